//! `vault-orion`: the `VaultPort` on two files in the data directory, sealed with orion
//! (docs/design.md, "Authentication and the vault").
//!
//! - `.key`: 32 random bytes, the XChaCha20-Poly1305 key, created by the first `store`.
//! - `.credentials`: the sealed JSON of [`Credentials`], behind a small header.
//!
//! Both files are created with mode 0600 and written atomically (temp file in the same directory,
//! `sync_all`, `rename`, directory fsync), so a crash leaves the old file or the new one, readable.
//!
//! # File format (version 1)
//!
//! ```text
//! "TTAIVAULT" | version (1) | key mode (1 = key file, 2 = passphrase) | key id (8 bytes)
//!   | argon2id salt (16 bytes, passphrase mode only) | nonce (24) | ciphertext | tag (16)
//! ```
//!
//! The key id is the first 8 bytes of keyed BLAKE2b-256 of a fixed label under the key; the
//! header (everything before the nonce) is the AEAD's associated data.
//!
//! # The key decision
//!
//! The header carries a key id and is bound to the seal, so every failure has one clear name: a key
//! (or passphrase) whose id differs from the header's is [`VaultError::BadKey`]; a file that is
//! short, foreign, or fails authentication under the right key is [`VaultError::Tampered`] with the
//! reason. Nothing is ever replaced to make an error go away: `load` only reads, a missing `.key`
//! beside existing credentials is `BadKey` (never a fresh key), and only `store` (`ttai login`)
//! writes over a damaged file. The header binding uses orion's `hazardous` XChaCha20-Poly1305,
//! because the high-level `aead::seal` takes no associated data; the nonce is random per seal
//! (24 bytes, so collisions are not a concern) and the layout is the same nonce ‖ ciphertext ‖ tag.
//!
//! With [`OrionVault::with_passphrase`] (`TTAI_VAULT_PASSPHRASE`) the key is derived with argon2id
//! from the passphrase and a fresh random salt per `store`, kept in the header, and no `.key` file
//! is used. The cost is OWASP's first argon2id preset, m = 46 MiB, t = 1, p = 1 (orion's
//! `OWASP_ARGON2ID_1ST`): about 60 ms per derivation in a release build on the 2-core development
//! machine, about 0.4 s in a debug build. The cost is part of format version 1 and is not stored;
//! changing it needs a new version.
//!
//! Secrets never appear in errors or logs: messages name paths and reasons only, and the JSON
//! parser's messages (which can quote input) are never passed on. File work runs on
//! `tokio::task::spawn_blocking`, one operation at a time per vault.

mod files;
mod format;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use orion::hazardous::aead::xchacha20poly1305::SecretKey;
use orion::kdf::{self, CostParams};
use ttai_core::ports::{Credentials, Secret, VaultError, VaultPort};

use format::{Header, KeyMode};

/// The key file's name in the vault directory.
pub const KEY_FILE: &str = ".key";

/// The sealed credentials file's name in the vault directory.
pub const CREDENTIALS_FILE: &str = ".credentials";

/// The argon2id cost of passphrase mode: OWASP's first preset (m = 46 MiB, t = 1, p = 1).
const PASSPHRASE_COST: CostParams = kdf::OWASP_ARGON2ID_1ST;

/// Where the key comes from.
#[derive(Debug)]
enum KeySource {
    /// The `.key` file in the vault directory.
    KeyFile,
    /// Derived from a passphrase with argon2id at this cost.
    Passphrase { passphrase: Secret, cost: CostParams },
}

/// What the `.key` file holds.
enum KeyFileState {
    Missing,
    Malformed(usize),
    Key(SecretKey),
}

#[derive(Debug)]
struct Inner {
    dir: PathBuf,
    source: KeySource,
    /// Serializes this vault's operations, so a key replaced by `store` is never read half-way.
    lock: Mutex<()>,
}

/// A `VaultPort` on sealed files in one directory (see the crate documentation).
#[derive(Debug, Clone)]
pub struct OrionVault {
    inner: Arc<Inner>,
}

impl OrionVault {
    /// A vault in `dir` keyed by the `.key` file there, which the first `store` creates.
    pub fn new(dir: impl Into<PathBuf>) -> OrionVault {
        OrionVault::with_source(dir.into(), KeySource::KeyFile)
    }

    /// A vault in `dir` keyed by `passphrase` through argon2id; no `.key` file is used.
    ///
    /// An empty passphrase opens nothing: `store` and a `load` of existing credentials return
    /// [`VaultError::BadKey`].
    pub fn with_passphrase(dir: impl Into<PathBuf>, passphrase: Secret) -> OrionVault {
        OrionVault::with_source(
            dir.into(),
            KeySource::Passphrase {
                passphrase,
                cost: PASSPHRASE_COST,
            },
        )
    }

    /// Like [`OrionVault::with_passphrase`] with orion's minimum argon2id cost (8 KiB, one pass),
    /// so that tests stay fast. Files it writes open only with the same cost: never use it for
    /// real credentials.
    #[cfg(feature = "testing")]
    pub fn with_passphrase_for_tests(dir: impl Into<PathBuf>, passphrase: Secret) -> OrionVault {
        let cost = CostParams::new(1, 8, 1).unwrap_or(PASSPHRASE_COST);
        OrionVault::with_source(dir.into(), KeySource::Passphrase { passphrase, cost })
    }

    fn with_source(dir: PathBuf, source: KeySource) -> OrionVault {
        OrionVault {
            inner: Arc::new(Inner {
                dir,
                source,
                lock: Mutex::new(()),
            }),
        }
    }

    /// The vault's directory.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// The path of the sealed credentials file.
    pub fn credentials_path(&self) -> PathBuf {
        self.inner.dir.join(CREDENTIALS_FILE)
    }

    /// The path of the key file (used only without a passphrase).
    pub fn key_path(&self) -> PathBuf {
        self.inner.dir.join(KEY_FILE)
    }

    /// Runs `work` on the blocking pool, holding this vault's lock.
    async fn run<T, F>(&self, work: F) -> Result<T, VaultError>
    where
        T: Send + 'static,
        F: FnOnce(&Inner) -> Result<T, VaultError> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            // The lock guards no data, so a poisoned lock is still a good lock.
            let _guard = inner.lock.lock().unwrap_or_else(PoisonError::into_inner);
            work(&inner)
        })
        .await
        .map_err(|e| {
            VaultError::Io(if e.is_panic() {
                "the vault worker panicked".to_owned()
            } else {
                "the vault worker was cancelled".to_owned()
            })
        })?
    }
}

impl Inner {
    fn load(&self) -> Result<Option<Credentials>, VaultError> {
        let Some(bytes) = files::read_optional(&self.dir.join(CREDENTIALS_FILE))? else {
            return Ok(None);
        };
        let parsed = format::parse(&bytes)?;
        let key = match (&self.source, &parsed.header.mode) {
            (KeySource::KeyFile, KeyMode::KeyFile) => match self.read_key()? {
                KeyFileState::Key(key) => key,
                // Never a fresh key over existing credentials: that would lose them silently.
                KeyFileState::Missing | KeyFileState::Malformed(_) => {
                    return Err(VaultError::BadKey);
                }
            },
            (KeySource::Passphrase { passphrase, cost }, KeyMode::Passphrase { salt }) => {
                derive_key(passphrase, cost, salt)?
            }
            // Sealed with a passphrase and opened with a key file, or the other way round.
            _ => return Err(VaultError::BadKey),
        };
        if !format::same_key_id(&format::key_id(&key)?, &parsed.header.key_id) {
            return Err(VaultError::BadKey);
        }
        let plain = format::open(&parsed, &key)?;
        // The parser's message could quote the secrets: keep only the fact.
        serde_json::from_slice(&plain)
            .map(Some)
            .map_err(|_| VaultError::Tampered("the sealed payload is not a credentials record".to_owned()))
    }

    fn store(&self, plaintext: &[u8]) -> Result<(), VaultError> {
        files::ensure_dir(&self.dir)?;
        let (key, mode) = match &self.source {
            KeySource::KeyFile => (self.key_for_store()?, KeyMode::KeyFile),
            KeySource::Passphrase { passphrase, cost } => {
                let mut salt = [0u8; format::SALT_LEN];
                orion::util::secure_rand_bytes(&mut salt).map_err(|_| random_failed())?;
                (derive_key(passphrase, cost, &salt)?, KeyMode::Passphrase { salt })
            }
        };
        let header = Header {
            mode,
            key_id: format::key_id(&key)?,
        };
        let sealed = format::seal(&header, &key, plaintext)?;
        files::write_atomic(&self.dir, CREDENTIALS_FILE, &sealed)
    }

    fn erase(&self) -> Result<bool, VaultError> {
        let erased = files::remove_optional(&self.dir.join(CREDENTIALS_FILE))?;
        if erased {
            files::sync_dir(&self.dir)?;
        }
        Ok(erased)
    }

    fn read_key(&self) -> Result<KeyFileState, VaultError> {
        let Some(bytes) = files::read_optional(&self.dir.join(KEY_FILE))? else {
            return Ok(KeyFileState::Missing);
        };
        if bytes.len() != format::KEY_LEN {
            return Ok(KeyFileState::Malformed(bytes.len()));
        }
        SecretKey::try_from(bytes.as_slice())
            .map(KeyFileState::Key)
            .map_err(|_| VaultError::Io("cannot use the key file".to_owned()))
    }

    /// The key to seal with: the existing `.key`, or a new one when it is missing or malformed.
    fn key_for_store(&self) -> Result<SecretKey, VaultError> {
        match self.read_key()? {
            KeyFileState::Key(key) => Ok(key),
            KeyFileState::Missing => {
                let key = SecretKey::generate().map_err(|_| random_failed())?;
                if files::create_atomic(&self.dir, KEY_FILE, key.unprotected_as_ref())? {
                    return Ok(key);
                }
                // Another process created the key first: seal with that one.
                match self.read_key()? {
                    KeyFileState::Key(key) => Ok(key),
                    KeyFileState::Missing | KeyFileState::Malformed(_) => Err(VaultError::Io(
                        "the key file changed while it was being created".to_owned(),
                    )),
                }
            }
            KeyFileState::Malformed(len) => {
                // The credentials it sealed are unreadable anyway; `store` is `ttai login`.
                tracing::warn!(
                    path = %self.dir.join(KEY_FILE).display(),
                    len,
                    "the key file is malformed; replacing it with a new key"
                );
                let key = SecretKey::generate().map_err(|_| random_failed())?;
                files::write_atomic(&self.dir, KEY_FILE, key.unprotected_as_ref())?;
                Ok(key)
            }
        }
    }
}

fn random_failed() -> VaultError {
    VaultError::Io("the random source failed".to_owned())
}

/// The argon2id key of `passphrase` and `salt`.
fn derive_key(
    passphrase: &Secret,
    cost: &CostParams,
    salt: &[u8; format::SALT_LEN],
) -> Result<SecretKey, VaultError> {
    if passphrase.is_empty() {
        return Err(VaultError::BadKey);
    }
    let password = kdf::Password::try_from(passphrase.expose().as_bytes()).map_err(|_| VaultError::BadKey)?;
    let salt =
        kdf::Salt::try_from(salt.as_slice()).map_err(|_| VaultError::Io("cannot use the salt".to_owned()))?;
    let derived = kdf::derive_key(&password, &salt, cost, format::KEY_LEN as u32)
        .map_err(|_| VaultError::Io("the key derivation failed".to_owned()))?;
    let derived: &[u8] = derived.unprotected_as_ref();
    SecretKey::try_from(derived).map_err(|_| VaultError::Io("the key derivation failed".to_owned()))
}

#[async_trait]
impl VaultPort for OrionVault {
    async fn load(&self) -> Result<Option<Credentials>, VaultError> {
        self.run(Inner::load).await
    }

    async fn store(&self, credentials: &Credentials) -> Result<(), VaultError> {
        let plaintext = serde_json::to_vec(credentials)
            .map_err(|_| VaultError::Io("cannot encode the credentials".to_owned()))?;
        self.run(move |inner| inner.store(&plaintext)).await
    }

    async fn erase(&self) -> Result<bool, VaultError> {
        self.run(Inner::erase).await
    }
}

#[cfg(test)]
mod tests;
