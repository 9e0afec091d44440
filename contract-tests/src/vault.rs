//! The `VaultPort` contract.
//!
//! Checks come in three capabilities, and a harness declares the ones it has, so a check that does
//! not apply is not generated rather than passing vacuously:
//! - `core` ([`VaultHarness`]): every vault; what the port promises through its methods.
//! - `files` ([`FileVaultHarness`]): vaults that keep sealed files in a directory; tampering,
//!   truncation, wrong keys, crashes mid-write, file modes, leaks into error messages.
//! - `key_file` ([`KeyFileVaultHarness`]): vaults whose key is a file beside the credentials.
//!
//! Checks named `*_prop` are property tests; they drive the vault from a runtime of their own.

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use ttai_core::ports::{Credentials, Secret, VaultError, VaultPort, VaultState};

/// Makes fresh vaults (capability `core`).
#[async_trait::async_trait]
pub trait VaultHarness: Send + Sync {
    /// A new, empty vault.
    async fn fresh(&self) -> Arc<dyn VaultPort>;
}

/// A vault that keeps its state in files in a directory (capability `files`).
#[async_trait::async_trait]
pub trait FileVaultHarness: VaultHarness {
    /// A vault over `dir` with this harness's key (the key file in `dir`, or the passphrase).
    /// Two vaults opened over the same directory see the same credentials.
    fn open(&self, dir: &Path) -> Arc<dyn VaultPort>;

    /// A vault over `dir` whose key is not the one `open` uses: the key file in `dir` is replaced
    /// with another valid key, or another passphrase is used.
    async fn open_with_other_key(&self, dir: &Path) -> Arc<dyn VaultPort>;

    /// The sealed credentials file in `dir`.
    fn credentials_path(&self, dir: &Path) -> PathBuf;

    /// Every file the vault keeps in `dir` once credentials are stored.
    fn kept_files(&self, dir: &Path) -> Vec<PathBuf>;
}

/// A vault whose key is a file beside the credentials (capability `key_file`).
pub trait KeyFileVaultHarness: FileVaultHarness {
    /// The key file in `dir`.
    fn key_path(&self, dir: &Path) -> PathBuf;
}

fn creds(client_secret: &str, refresh_token: &str) -> Credentials {
    Credentials {
        client_secret: Secret::new(client_secret),
        refresh_token: Secret::new(refresh_token),
    }
}

fn alice() -> Credentials {
    creds("client-secret-alice", "refresh-token-alice")
}

fn bob() -> Credentials {
    creds("client-secret-bob", "refresh-token-bob")
}

/// The marker every canary secret carries; no message may contain it.
const CANARY: &str = "CANARY";

fn canaries() -> Credentials {
    creds("cs-CANARY-7f3a9c1e-ünïcødé", "rt-CANARY-0b8d2e44-\u{1F511}")
}

/// Asserts that `result` reports damage (tampered or a bad key) and returns the error.
#[track_caller]
fn assert_damaged(result: Result<Option<Credentials>, VaultError>, what: &str) -> VaultError {
    match result {
        Err(e @ (VaultError::Tampered(_) | VaultError::BadKey)) => e,
        other => panic!("{what}: expected Tampered or BadKey, got {other:?}"),
    }
}

#[track_caller]
fn assert_tampered(result: Result<Option<Credentials>, VaultError>, what: &str) -> String {
    match result {
        Err(VaultError::Tampered(reason)) => {
            assert!(!reason.trim().is_empty(), "{what}: Tampered without a reason");
            reason
        }
        other => panic!("{what}: expected Tampered, got {other:?}"),
    }
}

#[track_caller]
fn assert_state_damaged(state: VaultState, what: &str) {
    assert!(
        matches!(state, VaultState::Damaged(ref m) if !m.is_empty()),
        "{what}: expected Damaged, got {state:?}"
    );
}

/// A runtime for the property checks, which are synchronous.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn entries(dir: &Path) -> BTreeSet<PathBuf> {
    fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect()
}

// ---------------------------------------------------------------- core

/// What was stored is what loads, and the state is `Present`.
pub async fn round_trip_returns_what_was_stored(h: &dyn VaultHarness) {
    let vault = h.fresh().await;
    vault.store(&alice()).await.unwrap();
    assert_eq!(vault.load().await.unwrap(), Some(alice()));
    assert_eq!(vault.state().await, VaultState::Present);
}

/// A new vault loads `None`, is `Empty`, and has nothing to erase.
pub async fn an_empty_vault_loads_none_and_is_empty(h: &dyn VaultHarness) {
    let vault = h.fresh().await;
    assert_eq!(vault.load().await.unwrap(), None);
    assert_eq!(vault.state().await, VaultState::Empty);
    assert!(!vault.erase().await.unwrap());
}

/// Erase reports that it erased, then the vault loads `None` and is `Empty`; a second erase
/// erases nothing; storing again works.
pub async fn erase_then_load_is_none(h: &dyn VaultHarness) {
    let vault = h.fresh().await;
    vault.store(&alice()).await.unwrap();
    assert!(vault.erase().await.unwrap());
    assert_eq!(vault.load().await.unwrap(), None);
    assert_eq!(vault.state().await, VaultState::Empty);
    assert!(!vault.erase().await.unwrap());
    vault.store(&bob()).await.unwrap();
    assert_eq!(vault.load().await.unwrap(), Some(bob()));
}

/// A second store replaces the first.
pub async fn store_replaces_the_credentials(h: &dyn VaultHarness) {
    let vault = h.fresh().await;
    vault.store(&alice()).await.unwrap();
    vault.store(&bob()).await.unwrap();
    assert_eq!(vault.load().await.unwrap(), Some(bob()));
    vault.store(&bob()).await.unwrap();
    assert_eq!(vault.load().await.unwrap(), Some(bob()));
}

/// Loaded credentials and the vault state print no secret.
pub async fn state_and_debug_never_show_secrets(h: &dyn VaultHarness) {
    let vault = h.fresh().await;
    vault.store(&canaries()).await.unwrap();
    let loaded = vault.load().await.unwrap().unwrap();
    assert_eq!(loaded, canaries());
    let shown = format!("{loaded:?} {:?} {:?}", vault.state().await, vault.load().await);
    assert!(!shown.contains(CANARY), "{shown}");
}

/// Any payload strings round-trip: empty, unicode, control characters, long.
pub fn arbitrary_payloads_round_trip_prop(h: &dyn VaultHarness) {
    let rt = runtime();
    let vault = rt.block_on(h.fresh());
    let text = prop_oneof![
        Just(String::new()),
        any::<String>(),
        "\\PC{0,40}",
        "[\"\\\\\\x00-\\x1f\\x7f\\x{fffd}]{0,16}",
        ".{1000,5000}",
    ];
    runner(128)
        .run(&(text.clone(), text), |(client_secret, refresh_token)| {
            let credentials = creds(&client_secret, &refresh_token);
            rt.block_on(vault.store(&credentials))
                .map_err(|e| TestCaseError::fail(format!("store: {e}")))?;
            let loaded = rt
                .block_on(vault.load())
                .map_err(|e| TestCaseError::fail(format!("load: {e}")))?;
            prop_assert_eq!(loaded, Some(credentials));
            Ok(())
        })
        .unwrap();
}

// ---------------------------------------------------------------- files

/// A vault opened again over the same directory loads what the first stored.
pub async fn credentials_persist_across_instances(h: &dyn FileVaultHarness) {
    let dir = tempfile::tempdir().unwrap();
    h.open(dir.path()).store(&alice()).await.unwrap();
    let again = h.open(dir.path());
    assert_eq!(again.load().await.unwrap(), Some(alice()));
    assert!(again.erase().await.unwrap());
    assert_eq!(h.open(dir.path()).load().await.unwrap(), None);
}

/// Another key (or passphrase) is `BadKey` and the state `Damaged`; the file is not replaced and
/// the right key still opens it.
pub async fn a_wrong_key_is_bad_key_and_damaged(h: &dyn FileVaultHarness) {
    let dir = tempfile::tempdir().unwrap();
    h.open(dir.path()).store(&alice()).await.unwrap();
    let sealed = fs::read(h.credentials_path(dir.path())).unwrap();
    let wrong = h.open_with_other_key(dir.path()).await;
    assert_eq!(wrong.load().await, Err(VaultError::BadKey));
    assert_state_damaged(wrong.state().await, "wrong key");
    assert_eq!(fs::read(h.credentials_path(dir.path())).unwrap(), sealed);
}

/// A flipped byte anywhere (header, nonce, ciphertext, tag), by several masks, is `Tampered` or
/// `BadKey`, never credentials and never a panic; the file is left as it was.
pub async fn a_flipped_byte_anywhere_is_detected(h: &dyn FileVaultHarness) {
    let dir = tempfile::tempdir().unwrap();
    let vault = h.open(dir.path());
    vault.store(&alice()).await.unwrap();
    let path = h.credentials_path(dir.path());
    let sealed = fs::read(&path).unwrap();
    let mut tampered = 0;
    for i in 0..sealed.len() {
        for mask in [0x01u8, 0x80, 0xff] {
            let mut bytes = sealed.clone();
            bytes[i] ^= mask;
            fs::write(&path, &bytes).unwrap();
            let what = format!("byte {i} of {} ^ {mask:#04x}", sealed.len());
            if let VaultError::Tampered(_) = assert_damaged(vault.load().await, &what) {
                tampered += 1;
            }
            assert_eq!(fs::read(&path).unwrap(), bytes, "{what}: the file was replaced");
        }
        if i % 16 == 0 {
            fs::write(&path, &sealed).unwrap();
            assert_eq!(vault.load().await.unwrap(), Some(alice()), "restored");
        }
    }
    assert!(tampered > 0, "no flip was reported as tampering");
    // The last byte belongs to the authentication tag: changing it can only be tampering.
    let mut bytes = sealed.clone();
    *bytes.last_mut().unwrap() ^= 1;
    fs::write(&path, &bytes).unwrap();
    assert_tampered(vault.load().await, "flipped tag byte");
    assert_state_damaged(vault.state().await, "flipped tag byte");
}

/// A file cut short at any length, including empty, or with bytes appended, is `Tampered`.
pub async fn a_truncated_or_extended_file_is_tampered(h: &dyn FileVaultHarness) {
    let dir = tempfile::tempdir().unwrap();
    let vault = h.open(dir.path());
    vault.store(&alice()).await.unwrap();
    let path = h.credentials_path(dir.path());
    let sealed = fs::read(&path).unwrap();
    for len in 0..sealed.len() {
        fs::write(&path, &sealed[..len]).unwrap();
        assert_tampered(vault.load().await, &format!("cut to {len} of {}", sealed.len()));
    }
    fs::write(&path, b"").unwrap();
    assert_state_damaged(vault.state().await, "empty file");
    for extra in [&b"\0"[..], b"\n", &sealed] {
        let mut bytes = sealed.clone();
        bytes.extend_from_slice(extra);
        fs::write(&path, &bytes).unwrap();
        assert_tampered(vault.load().await, &format!("{} bytes appended", extra.len()));
    }
    fs::write(&path, b"{\"client_secret\":\"x\",\"refresh_token\":\"y\"}").unwrap();
    assert_tampered(vault.load().await, "plain JSON");
}

/// A damaged file can be erased, and a store over it recovers (that is `ttai login`).
pub async fn a_damaged_file_can_be_erased_or_stored_over(h: &dyn FileVaultHarness) {
    let dir = tempfile::tempdir().unwrap();
    let vault = h.open(dir.path());
    vault.store(&alice()).await.unwrap();
    let path = h.credentials_path(dir.path());
    let sealed = fs::read(&path).unwrap();
    fs::write(&path, &sealed[..sealed.len() / 2]).unwrap();
    vault.store(&bob()).await.unwrap();
    assert_eq!(vault.load().await.unwrap(), Some(bob()));
    fs::write(&path, b"garbage").unwrap();
    assert!(vault.erase().await.unwrap());
    assert_eq!(vault.load().await.unwrap(), None);
}

/// A crash mid-write (a temp file, complete or partial, left beside the real file, never renamed)
/// leaves the old credentials readable, and the next store works.
pub async fn a_crash_mid_write_leaves_the_old_credentials(h: &dyn FileVaultHarness) {
    let dir = tempfile::tempdir().unwrap();
    let vault = h.open(dir.path());
    let path = h.credentials_path(dir.path());
    vault.store(&alice()).await.unwrap();
    let old = fs::read(&path).unwrap();
    vault.store(&bob()).await.unwrap();
    let new = fs::read(&path).unwrap();
    // Back to the state before the second store's rename, with its temp files left behind.
    fs::write(&path, &old).unwrap();
    let name = path.file_name().unwrap().to_str().unwrap().to_owned();
    let leftovers = [
        (format!("{name}.tmp"), new.clone()),
        (
            format!("{name}.0123456789abcdef.tmp"),
            new[..new.len() / 2].to_vec(),
        ),
        (format!(".{name}.tmp"), Vec::new()),
        (format!("{name}~"), new[..1].to_vec()),
    ];
    for (leftover, bytes) in &leftovers {
        fs::write(dir.path().join(leftover), bytes).unwrap();
    }
    assert_eq!(vault.load().await.unwrap(), Some(alice()));
    assert_eq!(h.open(dir.path()).load().await.unwrap(), Some(alice()));
    vault.store(&bob()).await.unwrap();
    assert_eq!(vault.load().await.unwrap(), Some(bob()));
}

/// Every kept file is a regular file of mode 0600, and a store leaves no other file behind.
pub async fn files_are_owner_only_and_nothing_else_is_left(h: &dyn FileVaultHarness) {
    let dir = tempfile::tempdir().unwrap();
    let vault = h.open(dir.path());
    vault.store(&alice()).await.unwrap();
    vault.store(&bob()).await.unwrap();
    let kept: BTreeSet<PathBuf> = h.kept_files(dir.path()).into_iter().collect();
    assert!(kept.contains(&h.credentials_path(dir.path())));
    assert_eq!(entries(dir.path()), kept);
    for path in &kept {
        assert!(fs::metadata(path).unwrap().is_file(), "{}", path.display());
        assert_eq!(mode(path), 0o600, "{}", path.display());
    }
    // A loose mode on the old file does not survive the next store.
    let credentials = h.credentials_path(dir.path());
    fs::set_permissions(&credentials, fs::Permissions::from_mode(0o644)).unwrap();
    vault.store(&alice()).await.unwrap();
    assert_eq!(mode(&credentials), 0o600);
}

/// No secret appears in the sealed file, nor in any error's `Display` or `Debug`, nor in the
/// state, whatever the damage.
pub async fn errors_never_show_secrets(h: &dyn FileVaultHarness) {
    let dir = tempfile::tempdir().unwrap();
    let vault = h.open(dir.path());
    vault.store(&canaries()).await.unwrap();
    let path = h.credentials_path(dir.path());
    let sealed = fs::read(&path).unwrap();
    for secret in [&canaries().client_secret, &canaries().refresh_token] {
        let needle = secret.expose().as_bytes();
        assert!(
            !sealed.windows(needle.len()).any(|w| w == needle),
            "a secret is in the file in clear"
        );
    }
    assert!(!sealed.windows(CANARY.len()).any(|w| w == CANARY.as_bytes()));

    let mut damaged: Vec<Vec<u8>> = (0..sealed.len())
        .step_by(7)
        .map(|i| {
            let mut bytes = sealed.clone();
            bytes[i] ^= 0x20;
            bytes
        })
        .collect();
    damaged.extend([0, 1, sealed.len() / 2, sealed.len() - 1].map(|n| sealed[..n].to_vec()));
    let mut shown = Vec::new();
    for bytes in damaged {
        fs::write(&path, &bytes).unwrap();
        let err = assert_damaged(vault.load().await, "damaged");
        shown.push(format!("{err} {err:?} {:?}", vault.state().await));
    }
    fs::write(&path, &sealed).unwrap();
    let wrong = h.open_with_other_key(dir.path()).await;
    let err = assert_damaged(wrong.load().await, "wrong key");
    shown.push(format!("{err} {err:?} {:?}", wrong.state().await));
    for text in shown {
        assert!(!text.contains(CANARY), "{text}");
        assert!(!text.contains("7f3a9c1e") && !text.contains("0b8d2e44"), "{text}");
    }
}

/// Arbitrary byte mutations (overwrites, truncation, appended bytes) never panic and never load
/// other credentials: the result is the stored credentials when nothing changed, and `Tampered`
/// or `BadKey` otherwise.
pub fn arbitrary_mutations_never_panic_or_lie_prop(h: &dyn FileVaultHarness) {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let vault = h.open(dir.path());
    rt.block_on(vault.store(&alice())).unwrap();
    let path = h.credentials_path(dir.path());
    let sealed = fs::read(&path).unwrap();
    let mutation = (
        proptest::collection::vec((any::<Index>(), any::<u8>()), 0..6),
        proptest::option::of(any::<Index>()),
        proptest::collection::vec(any::<u8>(), 0..3),
    );
    runner(256)
        .run(&mutation, |(writes, cut, appended)| {
            let mut bytes = sealed.clone();
            for (at, value) in writes {
                bytes[at.index(sealed.len())] = value;
            }
            if let Some(cut) = cut {
                bytes.truncate(cut.index(sealed.len()));
            }
            bytes.extend_from_slice(&appended);
            fs::write(&path, &bytes).unwrap();
            let loaded = rt.block_on(vault.load());
            if bytes == sealed {
                prop_assert_eq!(loaded, Ok(Some(alice())));
            } else {
                prop_assert!(
                    matches!(loaded, Err(VaultError::Tampered(_) | VaultError::BadKey)),
                    "mutated file loaded as {:?}",
                    loaded
                );
            }
            Ok(())
        })
        .unwrap();
}

// ---------------------------------------------------------------- key_file

/// The key file of another vault in place of this one's is `BadKey` and the state `Damaged`.
pub async fn a_replaced_key_file_is_bad_key(h: &dyn KeyFileVaultHarness) {
    let (dir, other) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    h.open(dir.path()).store(&alice()).await.unwrap();
    h.open(other.path()).store(&alice()).await.unwrap();
    let key = fs::read(h.key_path(dir.path())).unwrap();
    let other_key = fs::read(h.key_path(other.path())).unwrap();
    assert_ne!(key, other_key);
    fs::write(h.key_path(dir.path()), &other_key).unwrap();
    let vault = h.open(dir.path());
    assert_eq!(vault.load().await, Err(VaultError::BadKey));
    assert_state_damaged(vault.state().await, "replaced key file");
    fs::write(h.key_path(dir.path()), &key).unwrap();
    assert_eq!(vault.load().await.unwrap(), Some(alice()));
}

/// A missing key file beside stored credentials is `BadKey`: load creates no key and leaves the
/// credentials as they are; a new store seals with a new key.
pub async fn a_missing_key_with_credentials_is_bad_key(h: &dyn KeyFileVaultHarness) {
    let dir = tempfile::tempdir().unwrap();
    let vault = h.open(dir.path());
    vault.store(&alice()).await.unwrap();
    let sealed = fs::read(h.credentials_path(dir.path())).unwrap();
    fs::remove_file(h.key_path(dir.path())).unwrap();
    assert_eq!(vault.load().await, Err(VaultError::BadKey));
    assert_state_damaged(vault.state().await, "missing key");
    assert!(!h.key_path(dir.path()).exists(), "load created a key");
    assert_eq!(fs::read(h.credentials_path(dir.path())).unwrap(), sealed);
    vault.store(&bob()).await.unwrap();
    assert!(h.key_path(dir.path()).exists());
    assert_eq!(vault.load().await.unwrap(), Some(bob()));
}

/// The first store creates the key file; later stores and erase keep it unchanged.
pub async fn store_creates_the_key_and_erase_keeps_it(h: &dyn KeyFileVaultHarness) {
    let dir = tempfile::tempdir().unwrap();
    let vault = h.open(dir.path());
    assert!(!h.key_path(dir.path()).exists());
    assert_eq!(vault.load().await.unwrap(), None);
    assert!(!h.key_path(dir.path()).exists(), "load created a key");
    vault.store(&alice()).await.unwrap();
    let key = fs::read(h.key_path(dir.path())).unwrap();
    vault.store(&bob()).await.unwrap();
    assert!(vault.erase().await.unwrap());
    assert!(!h.credentials_path(dir.path()).exists());
    assert_eq!(fs::read(h.key_path(dir.path())).unwrap(), key);
    vault.store(&alice()).await.unwrap();
    assert_eq!(fs::read(h.key_path(dir.path())).unwrap(), key);
}

/// Expands the vault checks of the given capabilities into tests against `$harness`:
/// `vault_contract!(harness(); core, files, key_file)`.
#[macro_export]
macro_rules! vault_contract {
    ($harness:expr; $($capability:ident),+ $(,)?) => {
        $( $crate::vault_contract!(@capability $capability $harness); )+
    };
    (@capability core $harness:expr) => {
        $crate::vault_contract!(@async $harness;
            round_trip_returns_what_was_stored,
            an_empty_vault_loads_none_and_is_empty,
            erase_then_load_is_none,
            store_replaces_the_credentials,
            state_and_debug_never_show_secrets,
        );
        $crate::vault_contract!(@sync $harness; arbitrary_payloads_round_trip_prop);
    };
    (@capability files $harness:expr) => {
        $crate::vault_contract!(@async $harness;
            credentials_persist_across_instances,
            a_wrong_key_is_bad_key_and_damaged,
            a_flipped_byte_anywhere_is_detected,
            a_truncated_or_extended_file_is_tampered,
            a_damaged_file_can_be_erased_or_stored_over,
            a_crash_mid_write_leaves_the_old_credentials,
            files_are_owner_only_and_nothing_else_is_left,
            errors_never_show_secrets,
        );
        $crate::vault_contract!(@sync $harness; arbitrary_mutations_never_panic_or_lie_prop);
    };
    (@capability key_file $harness:expr) => {
        $crate::vault_contract!(@async $harness;
            a_replaced_key_file_is_bad_key,
            a_missing_key_with_credentials_is_bad_key,
            store_creates_the_key_and_erase_keeps_it,
        );
    };
    (@async $harness:expr; $($check:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $check() {
                let harness = $harness;
                $crate::vault::$check(&harness).await;
            }
        )*
    };
    (@sync $harness:expr; $($check:ident),* $(,)?) => {
        $(
            #[test]
            fn $check() {
                let harness = $harness;
                $crate::vault::$check(&harness);
            }
        )*
    };
}
