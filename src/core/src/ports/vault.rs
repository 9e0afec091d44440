use std::fmt;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// A secret string whose `Debug` and `Display` print `[redacted]`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// TastyTrade OAuth credentials (docs/design.md, "Authentication and the vault").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    /// The OAuth application's client secret.
    pub client_secret: Secret,
    /// The personal grant's refresh token.
    pub refresh_token: Secret,
}

/// What the vault holds, for `ttai status`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VaultState {
    /// No credentials stored.
    Empty,
    /// Credentials stored and readable.
    Present,
    /// A file exists but cannot be opened: tampered, truncated, or a wrong key/passphrase.
    Damaged(String),
}

/// Why the vault failed. Messages never contain the secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    /// The sealed file was altered or truncated.
    #[error("credentials file is damaged ({0}); run ttai login")]
    Tampered(String),
    /// The key (or passphrase) does not open the file.
    #[error("credentials file cannot be opened with this key or passphrase; run ttai login")]
    BadKey,
    /// Reading or writing failed.
    #[error("credentials vault I/O error: {0}")]
    Io(String),
}

/// Sealed storage of the OAuth credentials.
#[async_trait]
pub trait VaultPort: Send + Sync {
    /// The stored credentials, `None` when nothing is stored.
    ///
    /// # Errors
    /// MUST return `Tampered` for a flipped byte or a truncated file, `BadKey` for a wrong key,
    /// never a panic and never a silent replacement.
    async fn load(&self) -> Result<Option<Credentials>, VaultError>;

    /// Replaces the stored credentials atomically: a crash leaves the old or the new, readable.
    async fn store(&self, credentials: &Credentials) -> Result<(), VaultError>;

    /// Erases the stored credentials; true when something was erased.
    async fn erase(&self) -> Result<bool, VaultError>;

    /// What the vault holds, without returning the secrets.
    async fn state(&self) -> VaultState {
        match self.load().await {
            Ok(Some(_)) => VaultState::Present,
            Ok(None) => VaultState::Empty,
            Err(e) => VaultState::Damaged(e.to_string()),
        }
    }
}
