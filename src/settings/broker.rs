//! The broker group: which broker answers (and its tape or API), how long its answers are cached,
//! and the secrets from the environment.

use std::path::PathBuf;
use std::time::Duration;

use ttai_core::ports::{Credentials, Secret};
use ttai_core::time::Timestamp;

use super::{BrokerChoice, env, parse_duration, valid_url};
use crate::cli::GlobalOptions;

/// Where market and account data come from.
pub(super) struct MarketSource {
    pub(super) broker: BrokerChoice,
    pub(super) tape: Option<PathBuf>,
    pub(super) replay_at: Option<Timestamp>,
    pub(super) api_url: String,
    pub(super) account: Option<String>,
}

/// The broker, the replay tape and clock, the API URL and the account.
pub(super) fn market_source(options: &GlobalOptions, problems: &mut Vec<String>) -> MarketSource {
    let broker = match options
        .broker
        .as_deref()
        .map(str::trim)
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("tastytrade" | "live") => BrokerChoice::Tastytrade,
        Some("replay") => BrokerChoice::Replay,
        Some(other) => {
            problems.push(format!(
                "broker (--broker / TTAI_BROKER): {other:?} is not tastytrade or replay"
            ));
            BrokerChoice::Tastytrade
        }
    };
    let tape = options
        .tape
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(PathBuf::from);
    // `ttai record` creates its tape folder; the replay broker needs one that exists.
    if let Some(dir) = &tape
        && broker == BrokerChoice::Replay
        && !dir.is_dir()
    {
        problems.push(format!(
            "tape (--tape / TTAI_TAPE): {} is not a folder",
            dir.display()
        ));
    }
    let replay_at = match options
        .replay_at
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        None => None,
        Some(text) => match text.parse::<Timestamp>() {
            Ok(t) => Some(t),
            Err(e) => {
                problems.push(format!("replay time (--replay-at / TTAI_REPLAY_AT): {e}"));
                None
            }
        },
    };
    let api_url = env("TASTYTRADE_API_URL").unwrap_or_else(|| "https://api.tastyworks.com".to_owned());
    let api_url = api_url.trim().trim_end_matches('/').to_owned();
    if !valid_url(&api_url) {
        problems.push(format!(
            "API URL (TASTYTRADE_API_URL): {api_url:?} is not an http(s) URL"
        ));
    }
    let account = options
        .account
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_owned);
    MarketSource {
        broker,
        tape,
        replay_at,
        api_url,
        account,
    }
}

/// Cache lifetimes and the alert monitor's period.
pub(super) struct Timings {
    pub(super) quote_ttl: Duration,
    pub(super) chain_ttl: Duration,
    pub(super) alert_interval: Duration,
}

/// The cache TTLs and the alert check interval, from the environment.
pub(super) fn timings(problems: &mut Vec<String>) -> Timings {
    let mut duration = |name: &str, var: &str, default: u64| match env(var) {
        None => Duration::from_secs(default),
        Some(text) => parse_duration(&text).unwrap_or_else(|| {
            problems.push(format!(
                "{name} ({var}): {text:?} is not a duration such as 60, 60s, 5m or 500ms"
            ));
            Duration::from_secs(default)
        }),
    };
    let quote_ttl = duration("quote cache TTL", "TTAI_QUOTE_TTL", 60);
    let chain_ttl = duration("chain cache TTL", "TTAI_CHAIN_TTL", 300);
    let alert_interval = duration("alert check interval", "TTAI_ALERT_INTERVAL", 15);
    if alert_interval < Duration::from_millis(100) {
        problems.push("alert check interval (TTAI_ALERT_INTERVAL): must be at least 100ms".to_owned());
    }
    Timings {
        quote_ttl,
        chain_ttl,
        alert_interval,
    }
}

/// Secrets from the environment: the vault's passphrase and TastyTrade credentials.
pub(super) struct Secrets {
    pub(super) vault_passphrase: Option<Secret>,
    pub(super) env_credentials: Option<Credentials>,
}

/// The vault passphrase and the environment's credentials (both or neither).
pub(super) fn secrets(problems: &mut Vec<String>) -> Secrets {
    let vault_passphrase = std::env::var("TTAI_VAULT_PASSPHRASE").ok().map(Secret::new);
    if vault_passphrase
        .as_ref()
        .is_some_and(|p| p.expose().trim().is_empty())
    {
        problems.push("vault passphrase (TTAI_VAULT_PASSPHRASE): must not be empty".to_owned());
    }
    let env_credentials = match (env("TASTYTRADE_CLIENT_SECRET"), env("TASTYTRADE_REFRESH_TOKEN")) {
        (Some(secret), Some(token)) => Some(Credentials {
            client_secret: Secret::new(secret.trim()),
            refresh_token: Secret::new(token.trim()),
        }),
        (None, None) => None,
        _ => {
            problems.push(
                "TastyTrade credentials (TASTYTRADE_CLIENT_SECRET, TASTYTRADE_REFRESH_TOKEN): set both or neither".to_owned(),
            );
            None
        }
    };
    Secrets {
        vault_passphrase,
        env_credentials,
    }
}
