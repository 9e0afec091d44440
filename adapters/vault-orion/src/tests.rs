//! Unit tests of what the contract suite cannot see: the key file's shape, crashes between the
//! temp file and the rename, the production key-derivation cost, and key-creation races.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::time::Instant;

use super::*;

fn creds(tag: &str) -> Credentials {
    Credentials {
        client_secret: Secret::new(format!("client-{tag}")),
        refresh_token: Secret::new(format!("refresh-{tag}")),
    }
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

fn cheap(dir: &Path, passphrase: &str) -> OrionVault {
    let cost = CostParams::new(1, 8, 1).unwrap();
    OrionVault::with_source(
        dir.to_owned(),
        KeySource::Passphrase {
            passphrase: Secret::new(passphrase),
            cost,
        },
    )
}

#[tokio::test]
async fn store_creates_a_32_byte_owner_only_key_and_load_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let vault = OrionVault::new(dir.path());
    assert_eq!(vault.load().await.unwrap(), None);
    assert!(names(dir.path()).is_empty(), "load wrote something");
    vault.store(&creds("a")).await.unwrap();
    assert_eq!(names(dir.path()), [CREDENTIALS_FILE, KEY_FILE]);
    let key = fs::read(vault.key_path()).unwrap();
    assert_eq!(key.len(), 32);
    for path in [vault.key_path(), vault.credentials_path()] {
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", path.display());
    }
    vault.store(&creds("b")).await.unwrap();
    assert_eq!(fs::read(vault.key_path()).unwrap(), key, "the key is kept");
    assert!(vault.erase().await.unwrap());
    assert_eq!(fs::read(vault.key_path()).unwrap(), key, "erase keeps the key");
}

#[tokio::test]
async fn store_creates_a_missing_directory() {
    let dir = tempfile::tempdir().unwrap();
    let vault = OrionVault::new(dir.path().join("data/ttai"));
    vault.store(&creds("a")).await.unwrap();
    assert_eq!(vault.load().await.unwrap(), Some(creds("a")));
}

#[tokio::test]
async fn a_crash_before_the_rename_leaves_the_old_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let vault = OrionVault::new(dir.path());
    vault.store(&creds("old")).await.unwrap();
    let old = fs::read(vault.credentials_path()).unwrap();

    // A fully written temp file of newer credentials, and a partially written one.
    let newer = {
        let other = tempfile::tempdir().unwrap();
        fs::copy(vault.key_path(), other.path().join(KEY_FILE)).unwrap();
        let v = OrionVault::new(other.path());
        v.store(&creds("new")).await.unwrap();
        fs::read(v.credentials_path()).unwrap()
    };
    let full = files::crash_before_rename(dir.path(), CREDENTIALS_FILE, &newer);
    let partial = files::crash_before_rename(dir.path(), CREDENTIALS_FILE, &newer[..newer.len() / 2]);
    let key_temp = files::crash_before_rename(dir.path(), KEY_FILE, &[1, 2, 3]);

    assert_eq!(vault.load().await.unwrap(), Some(creds("old")));
    assert_eq!(fs::read(vault.credentials_path()).unwrap(), old);

    // The next store succeeds beside the leftovers, which it does not touch.
    vault.store(&creds("next")).await.unwrap();
    assert_eq!(vault.load().await.unwrap(), Some(creds("next")));
    for leftover in [full, partial, key_temp] {
        assert!(leftover.exists(), "{}", leftover.display());
    }
}

#[tokio::test]
async fn a_missing_key_is_bad_key_and_nothing_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let vault = OrionVault::new(dir.path());
    vault.store(&creds("a")).await.unwrap();
    let sealed = fs::read(vault.credentials_path()).unwrap();
    fs::remove_file(vault.key_path()).unwrap();
    assert_eq!(vault.load().await, Err(VaultError::BadKey));
    assert!(!vault.key_path().exists(), "load must not create a key");
    assert_eq!(fs::read(vault.credentials_path()).unwrap(), sealed);
}

#[tokio::test]
async fn a_malformed_key_is_bad_key_until_store_replaces_it() {
    let dir = tempfile::tempdir().unwrap();
    let vault = OrionVault::new(dir.path());
    vault.store(&creds("a")).await.unwrap();
    fs::write(vault.key_path(), [0u8; 31]).unwrap();
    assert_eq!(vault.load().await, Err(VaultError::BadKey));
    assert_eq!(fs::read(vault.key_path()).unwrap(), [0u8; 31]);
    vault.store(&creds("b")).await.unwrap();
    assert_eq!(fs::read(vault.key_path()).unwrap().len(), 32);
    assert_eq!(vault.load().await.unwrap(), Some(creds("b")));
}

#[tokio::test]
async fn key_file_and_passphrase_files_do_not_open_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let keyed = OrionVault::new(dir.path());
    let pass = cheap(dir.path(), "hunter2");
    keyed.store(&creds("k")).await.unwrap();
    assert_eq!(pass.load().await, Err(VaultError::BadKey));
    pass.store(&creds("p")).await.unwrap();
    assert_eq!(keyed.load().await, Err(VaultError::BadKey));
    assert_eq!(pass.load().await.unwrap(), Some(creds("p")));
    assert_eq!(cheap(dir.path(), "hunter3").load().await, Err(VaultError::BadKey));
}

#[tokio::test]
async fn an_empty_passphrase_opens_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let vault = cheap(dir.path(), "");
    assert_eq!(vault.load().await, Ok(None));
    assert_eq!(vault.store(&creds("a")).await, Err(VaultError::BadKey));
    cheap(dir.path(), "x").store(&creds("a")).await.unwrap();
    assert_eq!(vault.load().await, Err(VaultError::BadKey));
}

#[tokio::test]
async fn each_passphrase_store_uses_a_fresh_salt() {
    let dir = tempfile::tempdir().unwrap();
    let vault = cheap(dir.path(), "hunter2");
    vault.store(&creds("a")).await.unwrap();
    let first = fs::read(vault.credentials_path()).unwrap();
    vault.store(&creds("a")).await.unwrap();
    let second = fs::read(vault.credentials_path()).unwrap();
    assert_ne!(first[19..35], second[19..35]);
    assert_ne!(first[11..19], second[11..19], "a fresh salt gives a fresh key");
    assert!(!dir.path().join(KEY_FILE).exists());
}

#[tokio::test]
async fn the_production_passphrase_cost_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let vault = OrionVault::with_passphrase(dir.path(), Secret::new("correct horse battery"));
    let started = Instant::now();
    vault.store(&creds("a")).await.unwrap();
    let stored = started.elapsed();
    let started = Instant::now();
    assert_eq!(vault.load().await.unwrap(), Some(creds("a")));
    eprintln!(
        "production argon2id cost: store {stored:?}, load {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_credentials_path_that_is_a_directory_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join(CREDENTIALS_FILE)).unwrap();
    let vault = OrionVault::new(dir.path());
    assert!(matches!(vault.load().await, Err(VaultError::Io(_))));
    assert!(matches!(
        vault.state().await,
        ttai_core::ports::VaultState::Damaged(_)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_stores_agree_on_one_key() {
    let dir = tempfile::tempdir().unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            // Separate instances, as separate processes would be: only the file system is shared.
            let vault = OrionVault::new(dir.path());
            tokio::spawn(async move { vault.store(&creds(&i.to_string())).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let loaded = OrionVault::new(dir.path()).load().await.unwrap().unwrap();
    assert!(loaded.client_secret.expose().starts_with("client-"));
    assert_eq!(names(dir.path()), [CREDENTIALS_FILE, KEY_FILE]);
}
