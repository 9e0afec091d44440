//! SHA-256 (FIPS 180-4) as lowercase hex, for the fingerprint that binds a person's
//! confirmation to one exact order: orion's implementation (the crate the vault and the
//! `requestState` seal already use). Nothing secret is hashed here: the fingerprint names an
//! order, it does not protect one.

use orion::hazardous::hash::sha2::sha256::Sha256;

/// The SHA-256 digest of `data` in lowercase hex.
pub fn hex(data: &[u8]) -> String {
    match Sha256::digest(data) {
        Ok(digest) => digest.as_ref().iter().map(|b| format!("{b:02x}")).collect(),
        // orion refuses only inputs longer than 2^64 bits, which no order text is; the answer
        // still differs from every digest, so nothing could match it.
        Err(_) => format!("unhashable:{}", data.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::hex;

    #[test]
    fn the_standards_examples() {
        assert_eq!(
            hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hex(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
        // One million 'a': several blocks and a length across the 32-bit boundary of bits.
        assert_eq!(
            hex(&vec![b'a'; 1_000_000]),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        );
    }
}
