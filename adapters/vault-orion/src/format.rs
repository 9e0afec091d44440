//! The `.credentials` file format: a header, then the header-bound XChaCha20-Poly1305 seal.
//!
//! ```text
//! offset  size  field
//!      0     9  magic "TTAIVAULT"
//!      9     1  format version (1)
//!     10     1  key mode: 1 = key file, 2 = passphrase
//!     11     8  key id: the first 8 bytes of keyed BLAKE2b-256(key, "ttai vault key id v1")
//!     19    16  argon2id salt (passphrase mode only)
//!  19|35    24  XChaCha20 nonce (random per seal)
//!  43|59     n  ciphertext of the JSON `Credentials` (n >= 1)
//!   ...     16  Poly1305 tag
//! ```
//!
//! Everything before the nonce is the header, and the header is the AEAD's associated data, so a
//! changed header byte fails authentication just like a changed ciphertext byte.

use orion::hazardous::aead::xchacha20poly1305::{Nonce, SecretKey, XChaCha20Poly1305};
use orion::hazardous::mac::poly1305::POLY1305_OUTSIZE;
use orion::hazardous::stream::xchacha20::XCHACHA_NONCESIZE;
use ttai_core::ports::VaultError;

/// The file's first bytes.
pub(crate) const MAGIC: &[u8; 9] = b"TTAIVAULT";
/// The only format version written and read.
pub(crate) const VERSION: u8 = 1;
/// Key mode byte: the key is the `.key` file.
pub(crate) const MODE_KEY_FILE: u8 = 1;
/// Key mode byte: the key is derived from a passphrase with argon2id.
pub(crate) const MODE_PASSPHRASE: u8 = 2;
/// Length of the key id.
pub(crate) const KEY_ID_LEN: usize = 8;
/// Length of the argon2id salt.
pub(crate) const SALT_LEN: usize = 16;
/// Length of the symmetric key.
pub(crate) const KEY_LEN: usize = 32;
/// The message the key id authenticates, so the id says nothing else about the key.
const KEY_ID_LABEL: &[u8] = b"ttai vault key id v1";

/// Where the key comes from, as recorded in the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyMode {
    /// The `.key` file.
    KeyFile,
    /// A passphrase, stretched with this salt.
    Passphrase { salt: [u8; SALT_LEN] },
}

/// The header of a sealed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) mode: KeyMode,
    pub(crate) key_id: [u8; KEY_ID_LEN],
}

impl Header {
    /// The header's bytes, as written and as bound to the seal.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(MAGIC.len() + 2 + KEY_ID_LEN + SALT_LEN);
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        match &self.mode {
            KeyMode::KeyFile => {
                out.push(MODE_KEY_FILE);
                out.extend_from_slice(&self.key_id);
            }
            KeyMode::Passphrase { salt } => {
                out.push(MODE_PASSPHRASE);
                out.extend_from_slice(&self.key_id);
                out.extend_from_slice(salt);
            }
        }
        out
    }
}

/// A parsed file: the header, its bytes, and the sealed part.
#[derive(Debug)]
pub(crate) struct Parsed<'a> {
    pub(crate) header: Header,
    header_bytes: &'a [u8],
    nonce: &'a [u8],
    ciphertext_and_tag: &'a [u8],
}

fn tampered(reason: impl Into<String>) -> VaultError {
    VaultError::Tampered(reason.into())
}

fn truncated(len: usize) -> VaultError {
    if len == 0 {
        tampered("truncated: the file is empty")
    } else {
        tampered(format!("truncated: the file has only {len} bytes"))
    }
}

/// Splits `n` bytes off the front of `rest`, or reports a truncated file of `total` bytes.
fn take<'a>(rest: &mut &'a [u8], n: usize, total: usize) -> Result<&'a [u8], VaultError> {
    if rest.len() < n {
        return Err(truncated(total));
    }
    let (head, tail) = rest.split_at(n);
    *rest = tail;
    Ok(head)
}

/// Reads the header and splits the sealed part, without any key.
///
/// # Errors
/// `Tampered` when the file is truncated, is not a ttai vault, or has an unknown version or mode.
pub(crate) fn parse(bytes: &[u8]) -> Result<Parsed<'_>, VaultError> {
    let total = bytes.len();
    let mut rest = bytes;
    let prefix = bytes.get(..MAGIC.len().min(total)).unwrap_or_default();
    if MAGIC.get(..prefix.len()) != Some(prefix) {
        return Err(tampered("not a ttai vault: the magic bytes are wrong"));
    }
    take(&mut rest, MAGIC.len(), total)?;
    let version = take_byte(&mut rest, total)?;
    if version != VERSION {
        return Err(tampered(format!("unsupported format version {version}")));
    }
    let mode = take_byte(&mut rest, total)?;
    let key_id = take_array::<KEY_ID_LEN>(&mut rest, total)?;
    let mode = match mode {
        MODE_KEY_FILE => KeyMode::KeyFile,
        MODE_PASSPHRASE => KeyMode::Passphrase {
            salt: take_array::<SALT_LEN>(&mut rest, total)?,
        },
        other => return Err(tampered(format!("unknown key mode {other}"))),
    };
    let header_len = total - rest.len();
    let header_bytes = bytes.get(..header_len).ok_or_else(|| truncated(total))?;
    let nonce = take(&mut rest, XCHACHA_NONCESIZE, total)?;
    // The sealed JSON is never empty, so at least one ciphertext byte precedes the tag.
    if rest.len() <= POLY1305_OUTSIZE {
        return Err(truncated(total));
    }
    Ok(Parsed {
        header: Header { mode, key_id },
        header_bytes,
        nonce,
        ciphertext_and_tag: rest,
    })
}

fn take_byte(rest: &mut &[u8], total: usize) -> Result<u8, VaultError> {
    let byte = take(rest, 1, total)?;
    byte.first().copied().ok_or_else(|| truncated(total))
}

fn take_array<const N: usize>(rest: &mut &[u8], total: usize) -> Result<[u8; N], VaultError> {
    let bytes = take(rest, N, total)?;
    <[u8; N]>::try_from(bytes).map_err(|_| truncated(total))
}

/// The key id of `key`: the first bytes of a keyed BLAKE2b over a fixed label.
///
/// It tells a wrong key from a tampered file without revealing anything usable about the key.
pub(crate) fn key_id(key: &SecretKey) -> Result<[u8; KEY_ID_LEN], VaultError> {
    let crypto = |_| VaultError::Io("cannot compute the key id".to_owned());
    let key_bytes: &[u8] = key.unprotected_as_ref();
    let mac_key = orion::auth::SecretKey::try_from(key_bytes).map_err(crypto)?;
    let tag = orion::auth::authenticate(&mac_key, KEY_ID_LABEL).map_err(crypto)?;
    let tag_bytes: &[u8] = tag.unprotected_as_ref();
    tag_bytes
        .get(..KEY_ID_LEN)
        .and_then(|id| <[u8; KEY_ID_LEN]>::try_from(id).ok())
        .ok_or_else(|| VaultError::Io("cannot compute the key id".to_owned()))
}

/// True when `a` and `b` are equal, compared in constant time.
pub(crate) fn same_key_id(a: &[u8; KEY_ID_LEN], b: &[u8; KEY_ID_LEN]) -> bool {
    orion::util::secure_cmp(a, b).is_ok()
}

/// Seals `plaintext` under `key` with a fresh random nonce: header ‖ nonce ‖ ciphertext ‖ tag.
///
/// # Errors
/// `Io` when the random source or the cipher fails, which does not happen on a working system.
pub(crate) fn seal(header: &Header, key: &SecretKey, plaintext: &[u8]) -> Result<Vec<u8>, VaultError> {
    let crypto = |_| VaultError::Io("sealing the credentials failed".to_owned());
    let header_bytes = header.encode();
    let nonce = Nonce::generate().map_err(crypto)?;
    let mut sealed = vec![0u8; plaintext.len() + POLY1305_OUTSIZE];
    XChaCha20Poly1305::seal(key, &nonce, plaintext, Some(&header_bytes), &mut sealed).map_err(crypto)?;
    let mut out = header_bytes;
    out.reserve(XCHACHA_NONCESIZE + sealed.len());
    out.extend_from_slice(nonce.as_ref());
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Opens a parsed file with `key`, authenticating the header too.
///
/// # Errors
/// `Tampered` when authentication fails.
pub(crate) fn open(parsed: &Parsed<'_>, key: &SecretKey) -> Result<Vec<u8>, VaultError> {
    let nonce = Nonce::try_from(parsed.nonce).map_err(|_| tampered("the nonce is malformed"))?;
    let plain_len = parsed.ciphertext_and_tag.len().saturating_sub(POLY1305_OUTSIZE);
    let mut plain = vec![0u8; plain_len];
    XChaCha20Poly1305::open(
        key,
        &nonce,
        parsed.ciphertext_and_tag,
        Some(parsed.header_bytes),
        &mut plain,
    )
    .map_err(|_| tampered("authentication failed: the file was altered"))?;
    Ok(plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SecretKey {
        SecretKey::generate().unwrap()
    }

    fn header(key: &SecretKey, mode: KeyMode) -> Header {
        Header {
            mode,
            key_id: key_id(key).unwrap(),
        }
    }

    #[test]
    fn layout_matches_the_documented_offsets() {
        let k = key();
        let h = header(&k, KeyMode::KeyFile);
        let file = seal(&h, &k, b"{}").unwrap();
        assert_eq!(&file[..9], MAGIC);
        assert_eq!(file[9], VERSION);
        assert_eq!(file[10], MODE_KEY_FILE);
        assert_eq!(file[11..19], h.key_id);
        assert_eq!(file.len(), 19 + 24 + 2 + 16);

        let salt = [7u8; SALT_LEN];
        let h = header(&k, KeyMode::Passphrase { salt });
        let file = seal(&h, &k, b"{}").unwrap();
        assert_eq!(file[10], MODE_PASSPHRASE);
        assert_eq!(file[19..35], salt);
        assert_eq!(file.len(), 35 + 24 + 2 + 16);
    }

    #[test]
    fn seal_then_open_round_trips_and_nonces_differ() {
        let k = key();
        let h = header(&k, KeyMode::KeyFile);
        let a = seal(&h, &k, b"payload").unwrap();
        let b = seal(&h, &k, b"payload").unwrap();
        assert_ne!(a[19..43], b[19..43], "a fresh nonce per seal");
        let parsed = parse(&a).unwrap();
        assert_eq!(parsed.header, h);
        assert_eq!(open(&parsed, &k).unwrap(), b"payload");
    }

    #[test]
    fn the_header_is_authenticated() {
        let k = key();
        let h = header(&k, KeyMode::Passphrase { salt: [1; SALT_LEN] });
        let file = seal(&h, &k, b"payload").unwrap();
        // Changing the salt keeps the file parseable; only the seal can notice.
        let mut changed = file.clone();
        changed[20] ^= 1;
        let parsed = parse(&changed).unwrap();
        assert!(matches!(open(&parsed, &k), Err(VaultError::Tampered(_))));
    }

    #[test]
    fn short_and_foreign_files_are_tampered_with_a_reason() {
        let k = key();
        let file = seal(&header(&k, KeyMode::KeyFile), &k, b"x").unwrap();
        for len in 0..file.len() {
            let err = parse(&file[..len]).unwrap_err();
            let VaultError::Tampered(reason) = err else {
                panic!("{err:?}")
            };
            assert!(reason.starts_with("truncated"), "{len}: {reason}");
        }
        let err = parse(b"PK\x03\x04 a zip file").unwrap_err();
        assert_eq!(
            err,
            VaultError::Tampered("not a ttai vault: the magic bytes are wrong".into())
        );
        let mut future = file.clone();
        future[9] = 9;
        assert!(matches!(parse(&future), Err(VaultError::Tampered(r)) if r.contains("version 9")));
        let mut odd = file;
        odd[10] = 0;
        assert!(matches!(parse(&odd), Err(VaultError::Tampered(r)) if r.contains("key mode 0")));
    }

    #[test]
    fn key_ids_tell_keys_apart() {
        let (a, b) = (key(), key());
        assert_eq!(key_id(&a).unwrap(), key_id(&a).unwrap());
        assert!(!same_key_id(&key_id(&a).unwrap(), &key_id(&b).unwrap()));
    }
}
