//! `ttai login`, `ttai logout` and `ttai status` (docs/design.md, "Authentication and the vault").
//!
//! Human messages go to stderr (after `login --no-remember` stdout may carry MCP); `status`
//! prints its report on stdout, as text or `--json`. Secrets are read, proven and sealed, never
//! printed: every line shown here is built from account numbers (masked), paths and the broker's
//! own scrubbed error messages.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use serde_json::{Value, json};
use ttai_core::app::{CredentialOrigin, credentials_from_input, vault_failure};
use ttai_core::domain::Account;
use ttai_core::ports::{BrokerError, Credentials, VaultPort, VaultState};

use crate::cli::{LoginArgs, StatusArgs};
use crate::compose;
use crate::settings::{BrokerChoice, Settings};

/// Reads the client secret and refresh token: hidden prompts on a terminal, else one line each
/// from stdin (the rest of stdin is left for MCP after `--no-remember`).
fn read_credentials() -> anyhow::Result<Credentials> {
    let stdin = std::io::stdin();
    let (secret, token) = if stdin.is_terminal() {
        eprintln!(
            "Paste the OAuth client secret and personal refresh token of your TastyTrade API application"
        );
        eprintln!("(my.tastytrade.com → Manage → My Profile → API). Input is hidden.");
        let secret = rpassword::prompt_password("client secret: ").context("reading the client secret")?;
        let token = rpassword::prompt_password("refresh token: ").context("reading the refresh token")?;
        (secret, token)
    } else {
        let mut input = stdin.lock();
        let mut secret = String::new();
        let mut token = String::new();
        input
            .read_line(&mut secret)
            .context("reading the client secret from stdin")?;
        input
            .read_line(&mut token)
            .context("reading the refresh token from stdin")?;
        (secret, token)
    };
    credentials_from_input(&secret, &token).map_err(|problem| {
        anyhow::anyhow!(
            "{problem}: give the client secret on the first line and the refresh token on the second"
        )
    })
}

/// `Individual, Margin` and the like, from what the broker says about an account.
fn describe(account: &Account) -> String {
    let mut parts: Vec<&str> = Vec::new();
    if let Some(nickname) = account.nickname.as_deref().filter(|n| !n.is_empty()) {
        parts.push(nickname);
    }
    if let Some(kind) = account.account_type.as_deref() {
        parts.push(kind);
    }
    if let Some(margin) = account.margin_or_cash.as_deref() {
        parts.push(margin);
    }
    if parts.is_empty() {
        account.number.masked()
    } else {
        format!("{} ({})", account.number.masked(), parts.join(", "))
    }
}

fn account_list(accounts: &[Account]) -> String {
    match accounts {
        [] => "no open accounts".to_owned(),
        [one] => format!("1 account: {}", describe(one)),
        many => format!(
            "{} accounts: {}",
            many.len(),
            many.iter().map(describe).collect::<Vec<_>>().join("; ")
        ),
    }
}

/// `ttai login`: prove the credentials, then seal them (or, with `--no-remember`, hand them back
/// for this process to serve with).
///
/// # Errors
/// Unreadable input, refused credentials, or a vault that cannot be written (the exit code is 1
/// and nothing is stored).
pub(crate) async fn login(settings: &Settings, args: &LoginArgs) -> anyhow::Result<Option<Credentials>> {
    let credentials = read_credentials()?;
    let broker = compose::live_broker(settings);
    broker.set_credentials(Some(credentials.clone()));
    let accounts = broker.verify().await.map_err(|err| match err {
        // Not a refusal: the credentials were never put to TastyTrade.
        BrokerError::Unavailable(why) => anyhow::anyhow!(
            "cannot reach TastyTrade at {}: {why}. Nothing was stored; check the network connection and try again",
            settings.api_url
        ),
        other => anyhow::anyhow!("TastyTrade did not accept the credentials: {other}"),
    })?;
    eprintln!(
        "Logged in to TastyTrade ({}): {}.",
        settings.api_url,
        account_list(&accounts)
    );
    if args.no_remember {
        eprintln!("Not stored (--no-remember): serving with these credentials for this process only.");
        return Ok(Some(credentials));
    }
    let vault = compose::vault(settings);
    vault
        .store(&credentials)
        .await
        .map_err(|err| anyhow::anyhow!(vault_failure(&err)))?;
    eprintln!(
        "Credentials sealed in {}; `ttai serve` restores the session from there.",
        vault.credentials_path().display()
    );
    if settings.env_credentials.is_some() {
        eprintln!(
            "Note: TASTYTRADE_CLIENT_SECRET and TASTYTRADE_REFRESH_TOKEN are set and take precedence over the vault."
        );
    }
    Ok(None)
}

/// `ttai logout`: erase the sealed credentials (a damaged file is erased too).
///
/// # Errors
/// A vault that cannot be written.
pub(crate) async fn logout(settings: &Settings) -> anyhow::Result<ExitCode> {
    let vault = compose::vault(settings);
    let erased = vault
        .erase()
        .await
        .map_err(|err| anyhow::anyhow!(vault_failure(&err)))?;
    if erased {
        eprintln!("Logged out: erased {}.", vault.credentials_path().display());
    } else {
        eprintln!(
            "No stored credentials in {}; nothing to erase.",
            settings.data_dir.display()
        );
    }
    if settings.env_credentials.is_some() {
        eprintln!(
            "Note: TASTYTRADE_CLIENT_SECRET and TASTYTRADE_REFRESH_TOKEN are still set; unset them to log out completely."
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// "14m 59s".
fn minutes_seconds(duration: Duration) -> String {
    let secs = duration.as_secs();
    format!("{}m {:02}s", secs / 60, secs % 60)
}

/// What the live session amounts to.
struct Proof {
    accounts: Result<Vec<Account>, String>,
    expires_in: Option<Duration>,
}

async fn prove(broker: &compose::LiveBroker, origin: &CredentialOrigin) -> Option<Proof> {
    match origin {
        CredentialOrigin::Missing | CredentialOrigin::Unusable(_) => None,
        _ => {
            let accounts = broker.verify().await.map_err(|err| err.to_string());
            Some(Proof {
                accounts,
                expires_in: broker.token_status().map(|t| t.expires_in),
            })
        }
    }
}

/// `ttai status`: the broker in use, where the credentials come from, the vault's state, and,
/// when there are credentials, proof that TastyTrade accepts them (masked accounts and the
/// access token's lifetime). Exit code 0 when ready to serve (logged in, or the replay broker,
/// which needs no login and is not proven against TastyTrade), 1 when not.
///
/// # Errors
/// Only a failure to write the report.
pub(crate) async fn status(settings: &Settings, args: &StatusArgs) -> anyhow::Result<ExitCode> {
    let vault = compose::vault(settings);
    let broker = compose::live_broker(settings);
    let origin = compose::restore_session(settings, &broker, None).await;
    // Restoring read the vault unless the environment had credentials: open it once only (with
    // a passphrase, each opening costs an argon2 derivation).
    let vault_state = match &origin {
        CredentialOrigin::Vault => VaultState::Present,
        CredentialOrigin::Missing => VaultState::Empty,
        CredentialOrigin::Unusable(why) => VaultState::Damaged(why.clone()),
        CredentialOrigin::Environment | CredentialOrigin::ThisProcess => vault.state().await,
    };
    // The replay broker answers from its tape: nothing to prove, and ready to serve.
    let replay = settings.broker == BrokerChoice::Replay;
    let proof = if replay {
        None
    } else {
        prove(&broker, &origin).await
    };
    let logged_in = proof.as_ref().is_some_and(|p| p.accounts.is_ok());
    let ready = replay || logged_in;
    let keyed_by = if settings.vault_passphrase.is_some() {
        "passphrase (TTAI_VAULT_PASSPHRASE)".to_owned()
    } else {
        format!("key file {}", vault.key_path().display())
    };
    let (broker_name, broker_detail) = match settings.broker {
        BrokerChoice::Tastytrade => ("tastytrade", settings.api_url.clone()),
        BrokerChoice::Replay => (
            "replay",
            settings.tape.as_ref().map_or_else(
                || "the bundled synthetic demo tape".to_owned(),
                |dir| format!("tape {}", dir.display()),
            ),
        ),
    };
    let (vault_word, vault_detail) = match &vault_state {
        VaultState::Empty => ("empty", None),
        VaultState::Present => ("present", None),
        VaultState::Damaged(why) => ("damaged", Some(why.clone())),
    };
    let text = if args.json {
        let accounts: Value = match proof.as_ref().map(|p| &p.accounts) {
            Some(Ok(accounts)) => accounts
                .iter()
                .map(|a| {
                    json!({
                        "account_number": a.number.masked(),
                        "nickname": a.nickname,
                        "account_type": a.account_type,
                        "margin_or_cash": a.margin_or_cash,
                    })
                })
                .collect(),
            _ => Value::Array(Vec::new()),
        };
        let error = match (&origin, proof.as_ref().map(|p| &p.accounts)) {
            (_, Some(Err(err))) => Some(err.clone()),
            (_, None) if replay => None,
            (origin, None) => Some(origin.refusal()),
            _ => None,
        };
        let report = json!({
            "broker": { "name": broker_name, "detail": broker_detail },
            "ready": ready,
            "login_needed": !replay,
            "data_dir": settings.data_dir.display().to_string(),
            "api_url": settings.api_url,
            "logged_in": logged_in,
            "credentials": origin.label(),
            "accounts": accounts,
            "access_token_expires_in_s": proof.as_ref().and_then(|p| p.expires_in).map(|d| d.as_secs()),
            "vault": {
                "state": vault_word,
                "detail": vault_detail,
                "path": vault.credentials_path().display().to_string(),
                "keyed_by": keyed_by,
            },
            "error": error,
        });
        serde_json::to_string_pretty(&report).context("writing the report")?
    } else {
        let mut lines = vec![format!("broker:       {broker_name} ({broker_detail})")];
        let credentials = match &origin {
            CredentialOrigin::Environment => {
                "from TASTYTRADE_CLIENT_SECRET and TASTYTRADE_REFRESH_TOKEN".to_owned()
            }
            CredentialOrigin::Vault => format!("from the vault ({})", vault.credentials_path().display()),
            CredentialOrigin::ThisProcess => "given to this process only".to_owned(),
            CredentialOrigin::Missing if replay => {
                "none (`ttai login` stores them, for serving your account)".to_owned()
            }
            CredentialOrigin::Missing => "none: run `ttai login`".to_owned(),
            CredentialOrigin::Unusable(why) => format!("unusable: {why}"),
        };
        lines.push(format!("credentials:  {credentials}"));
        lines.push(match &vault_state {
            VaultState::Empty => format!("vault:        empty ({keyed_by})"),
            VaultState::Present => format!("vault:        credentials stored, sealed with the {keyed_by}"),
            VaultState::Damaged(why) => format!("vault:        {why}"),
        });
        match &proof {
            None if replay => lines.push(
                "logged in:    not needed: the replay broker answers from its tape (drop --broker replay for your account)"
                    .to_owned(),
            ),
            None => lines.push(format!("logged in:    no ({})", settings.api_url)),
            Some(Proof {
                accounts: Ok(accounts),
                expires_in,
            }) => {
                lines.push(format!(
                    "logged in:    yes, {} ({})",
                    account_list(accounts),
                    settings.api_url
                ));
                if let Some(expires_in) = expires_in {
                    lines.push(format!(
                        "access token: valid for {}",
                        minutes_seconds(*expires_in)
                    ));
                }
            }
            Some(Proof {
                accounts: Err(err), ..
            }) => lines.push(format!("logged in:    no: {err}")),
        }
        lines.push(format!("data dir:     {}", settings.data_dir.display()));
        lines.join("\n")
    };
    crate::compose::print_document(&text).context("writing to stdout")?;
    Ok(if ready {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

#[cfg(test)]
mod tests {
    use ttai_core::domain::AccountNumber;

    use super::*;

    fn account(number: &str, nickname: Option<&str>, kind: Option<&str>) -> Account {
        Account {
            number: AccountNumber::new(number),
            nickname: nickname.map(str::to_owned),
            account_type: kind.map(str::to_owned),
            margin_or_cash: kind.map(|_| "Margin".to_owned()),
        }
    }

    #[test]
    fn accounts_are_listed_masked() {
        assert_eq!(account_list(&[]), "no open accounts");
        assert_eq!(
            account_list(&[account("5WT00001", Some("Main"), Some("Individual"))]),
            "1 account: 5WT•••01 (Main, Individual, Margin)"
        );
        assert_eq!(
            account_list(&[
                account("5WT00001", None, None),
                account("5WT00002", Some(""), Some("Roth IRA"))
            ]),
            "2 accounts: 5WT•••01; 5WT•••02 (Roth IRA, Margin)"
        );
    }

    #[test]
    fn durations_read_as_minutes_and_seconds() {
        assert_eq!(minutes_seconds(Duration::from_secs(899)), "14m 59s");
        assert_eq!(minutes_seconds(Duration::from_secs(5)), "0m 05s");
    }
}
