//! Authentication use cases (docs/design.md, "Authentication and the vault"): where the session's credentials come from, and the
//! words a tool says when there are none.
//!
//! The OAuth exchange itself belongs to the live broker adapter; what is decided here is the
//! precedence (the environment over the vault), that a vault which cannot be read never stops
//! the server, and what the trader is told in each case. Nothing here ever formats a secret.

use crate::ports::{Credentials, Secret, VaultError, VaultPort};

/// What a tool says when the live broker has no credentials.
pub const LOGIN_HINT: &str = "not logged in to TastyTrade: run `ttai login` (or set TASTYTRADE_CLIENT_SECRET and \
TASTYTRADE_REFRESH_TOKEN), or start ttai with `--broker replay` to use the bundled demo tape";

/// Where the session's credentials came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CredentialOrigin {
    /// `TASTYTRADE_CLIENT_SECRET` and `TASTYTRADE_REFRESH_TOKEN`.
    Environment,
    /// The sealed vault (`ttai login`).
    Vault,
    /// Given for this process only (`ttai login --no-remember`).
    ThisProcess,
    /// None anywhere.
    Missing,
    /// The vault holds credentials that cannot be read; the message says why and what to do.
    Unusable(String),
}

impl CredentialOrigin {
    /// A short label for `ttai status` and logs.
    pub fn label(&self) -> &'static str {
        match self {
            CredentialOrigin::Environment => "environment",
            CredentialOrigin::Vault => "vault",
            CredentialOrigin::ThisProcess => "this process only",
            CredentialOrigin::Missing => "none",
            CredentialOrigin::Unusable(_) => "vault (unusable)",
        }
    }

    /// What a broker call says when there are no usable credentials.
    pub fn refusal(&self) -> String {
        match self {
            CredentialOrigin::Unusable(why) => {
                format!("the stored TastyTrade credentials cannot be used: {why}")
            }
            _ => LOGIN_HINT.to_owned(),
        }
    }
}

/// The credentials a session starts with, and where they came from.
#[derive(Clone, Debug)]
pub struct Restored {
    /// The credentials, when there are usable ones.
    pub credentials: Option<Credentials>,
    /// Where they came from (or why there are none).
    pub origin: CredentialOrigin,
}

/// The credentials of a session: the environment's when both variables are set (the vault is
/// then not read at all), else the vault's. A vault that cannot be read is reported, not fatal.
pub async fn restore_credentials(environment: Option<Credentials>, vault: &dyn VaultPort) -> Restored {
    if let Some(credentials) = environment {
        return Restored {
            credentials: Some(credentials),
            origin: CredentialOrigin::Environment,
        };
    }
    match vault.load().await {
        Ok(Some(credentials)) => Restored {
            credentials: Some(credentials),
            origin: CredentialOrigin::Vault,
        },
        Ok(None) => Restored {
            credentials: None,
            origin: CredentialOrigin::Missing,
        },
        Err(err) => Restored {
            credentials: None,
            origin: CredentialOrigin::Unusable(err.to_string()),
        },
    }
}

/// Credentials as typed by a person: surrounding whitespace (a pasted newline) is dropped, and
/// an empty value is refused with the name of what is missing.
///
/// # Errors
/// The name of the first empty value.
pub fn credentials_from_input(client_secret: &str, refresh_token: &str) -> Result<Credentials, String> {
    let client_secret = client_secret.trim();
    let refresh_token = refresh_token.trim();
    if client_secret.is_empty() {
        return Err("the client secret is empty".to_owned());
    }
    if refresh_token.is_empty() {
        return Err("the refresh token is empty".to_owned());
    }
    Ok(Credentials {
        client_secret: Secret::new(client_secret),
        refresh_token: Secret::new(refresh_token),
    })
}

/// What to tell the user when the vault refuses to store or erase.
pub fn vault_failure(err: &VaultError) -> String {
    match err {
        VaultError::Io(message) => format!("the credentials vault cannot be written: {message}"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use async_trait::async_trait;

    use super::*;

    struct Fixed(Result<Option<Credentials>, VaultError>);

    #[async_trait]
    impl VaultPort for Fixed {
        async fn load(&self) -> Result<Option<Credentials>, VaultError> {
            self.0.clone()
        }
        async fn store(&self, _: &Credentials) -> Result<(), VaultError> {
            Err(VaultError::Io("read-only".to_owned()))
        }
        async fn erase(&self) -> Result<bool, VaultError> {
            Ok(false)
        }
    }

    /// A vault whose `load` must not be called.
    struct Untouchable;

    #[async_trait]
    impl VaultPort for Untouchable {
        async fn load(&self) -> Result<Option<Credentials>, VaultError> {
            Err(VaultError::Io(
                "the vault was read although the environment had credentials".to_owned(),
            ))
        }
        async fn store(&self, _: &Credentials) -> Result<(), VaultError> {
            Ok(())
        }
        async fn erase(&self) -> Result<bool, VaultError> {
            Ok(false)
        }
    }

    fn creds(tag: &str) -> Credentials {
        Credentials {
            client_secret: Secret::new(format!("secret-{tag}")),
            refresh_token: Secret::new(format!("refresh-{tag}")),
        }
    }

    #[tokio::test]
    async fn the_environment_wins_without_reading_the_vault() {
        let restored = restore_credentials(Some(creds("env")), &Untouchable).await;
        assert_eq!(restored.origin, CredentialOrigin::Environment);
        assert_eq!(restored.credentials, Some(creds("env")));
    }

    #[tokio::test]
    async fn the_vault_answers_when_the_environment_is_silent() {
        let restored = restore_credentials(None, &Fixed(Ok(Some(creds("vault"))))).await;
        assert_eq!(restored.origin, CredentialOrigin::Vault);
        assert_eq!(restored.credentials, Some(creds("vault")));
        let restored = restore_credentials(None, &Fixed(Ok(None))).await;
        assert_eq!(restored.origin, CredentialOrigin::Missing);
        assert_eq!(restored.credentials, None);
        assert_eq!(restored.origin.refusal(), LOGIN_HINT);
    }

    #[tokio::test]
    async fn a_damaged_vault_is_reported_with_what_to_do() {
        let restored = restore_credentials(
            None,
            &Fixed(Err(VaultError::Tampered("authentication failed".to_owned()))),
        )
        .await;
        assert_eq!(restored.credentials, None);
        let refusal = restored.origin.refusal();
        assert_eq!(
            refusal,
            "the stored TastyTrade credentials cannot be used: credentials file is damaged \
             (authentication failed); run ttai login"
        );
        assert_eq!(restored.origin.label(), "vault (unusable)");
    }

    #[test]
    fn typed_credentials_are_trimmed_and_must_not_be_empty() {
        let c = credentials_from_input("  abc\n", "\tdef\r\n").unwrap();
        assert_eq!(
            (c.client_secret.expose(), c.refresh_token.expose()),
            ("abc", "def")
        );
        assert_eq!(
            credentials_from_input(" \n", "x").unwrap_err(),
            "the client secret is empty"
        );
        assert_eq!(
            credentials_from_input("x", "").unwrap_err(),
            "the refresh token is empty"
        );
    }

    #[test]
    fn vault_failures_name_the_problem_without_secrets() {
        assert_eq!(
            vault_failure(&VaultError::Io("disk full".to_owned())),
            "the credentials vault cannot be written: disk full"
        );
        assert_eq!(
            vault_failure(&VaultError::BadKey),
            "credentials file cannot be opened with this key or passphrase; run ttai login"
        );
    }
}
