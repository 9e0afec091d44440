//! Settings (docs/design.md, "Configuration"): defaults < environment < flags, validated together.
//!
//! `cli::GlobalOptions` holds the raw text (clap already applied flag-over-env precedence);
//! [`Settings::from_options`] turns it into typed settings or the list of every problem, each
//! naming its setting, so the user fixes them in one go (exit code 2).

use std::path::PathBuf;
use std::time::Duration;

use ttai_core::app::analysis::RiskLimits;
use ttai_core::app::orders::OrderSettings;
use ttai_core::ports::{Credentials, Secret};
use ttai_core::time::Timestamp;

use crate::budgets::Budgets;
use crate::cli::GlobalOptions;

/// The MCP transport of `serve`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TransportChoice {
    Stdio,
    Http,
}

/// Which broker answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BrokerChoice {
    Tastytrade,
    Replay,
}

/// Where notifications go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NotifyChoice {
    Stderr,
    Webhook,
}

/// Validated settings.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub(crate) data_dir: PathBuf,
    pub(crate) log_level: tracing::level_filters::LevelFilter,
    pub(crate) transport: TransportChoice,
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) auth_token: Option<Secret>,
    pub(crate) broker: BrokerChoice,
    pub(crate) tape: Option<PathBuf>,
    pub(crate) replay_at: Option<Timestamp>,
    pub(crate) api_url: String,
    pub(crate) account: Option<String>,
    pub(crate) quote_ttl: Duration,
    pub(crate) chain_ttl: Duration,
    pub(crate) notify: NotifyChoice,
    pub(crate) webhook_url: Option<String>,
    pub(crate) webhook_secret: Option<Secret>,
    pub(crate) alert_interval: Duration,
    pub(crate) risk_free_rate: f64,
    pub(crate) dividend_yield: f64,
    pub(crate) risk_limits: RiskLimits,
    /// Orders: whether they may be placed, and the limits every order meets.
    pub(crate) orders: OrderSettings,
    /// Paper trading on the live broker (`--paper`); the replay broker always is.
    pub(crate) paper: bool,
    pub(crate) allowed_origins: Vec<String>,
    /// Memory and time budgets (README "Budgets").
    pub(crate) budgets: Budgets,
    pub(crate) vault_passphrase: Option<Secret>,
    pub(crate) env_credentials: Option<Credentials>,
}

/// Reads an environment variable that has no flag; empty counts as unset.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Reads `90`, `90s`, `500ms`, `5m`, `1h` as a duration.
pub(crate) fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let value: f64 = number.parse().ok()?;
    if !value.is_finite() || value < 0.0 {
        return None;
    }
    let seconds = match unit.trim() {
        "ms" => value / 1000.0,
        "s" | "" => value,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        _ => return None,
    };
    (seconds <= 365.0 * 86_400.0).then(|| Duration::from_secs_f64(seconds))
}

fn valid_url(text: &str) -> bool {
    let Some(rest) = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
    else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    !host.is_empty() && !host.contains(char::is_whitespace)
}

impl Settings {
    /// Validates the options and the flag-less environment variables, group by group, and
    /// reports every problem of every group at once.
    pub(crate) fn from_options(options: &GlobalOptions) -> Result<Settings, Vec<String>> {
        let mut problems = Vec::new();
        let data_dir = data_dir(options, &mut problems);
        let log_level = log_level(options, &mut problems);
        let Listening {
            transport,
            host,
            port,
            auth_token,
        } = listening(options, &mut problems);
        let MarketSource {
            broker,
            tape,
            replay_at,
            api_url,
            account,
        } = market_source(options, &mut problems);
        let Timings {
            quote_ttl,
            chain_ttl,
            alert_interval,
        } = timings(&mut problems);
        let Notifications {
            notify,
            webhook_url,
            webhook_secret,
        } = notifications(options, transport, &mut problems);
        let Analysis {
            risk_free_rate,
            dividend_yield,
            risk_limits,
        } = analysis(options, &mut problems);
        let (orders, paper) = order_settings(options, &mut problems);
        let allowed_origins = allowed_origins(&mut problems);
        let budgets = Budgets::from_env(&mut problems);
        let Secrets {
            vault_passphrase,
            env_credentials,
        } = secrets(&mut problems);
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Settings {
            data_dir,
            log_level,
            transport,
            host,
            port,
            auth_token,
            broker,
            tape,
            replay_at,
            api_url,
            account,
            quote_ttl,
            chain_ttl,
            notify,
            webhook_url,
            webhook_secret,
            alert_interval,
            risk_free_rate,
            dividend_yield,
            risk_limits,
            orders,
            paper,
            allowed_origins,
            budgets,
            vault_passphrase,
            env_credentials,
        })
    }
}

/// The data dir: the option, else [`default_data_dir`].
fn data_dir(options: &GlobalOptions, problems: &mut Vec<String>) -> PathBuf {
    match options.data_dir.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => match default_data_dir(env("HOME").map(PathBuf::from), dirs::data_local_dir()) {
            Some(dir) => dir,
            None => {
                problems.push(
                    "data dir: this system names no home or data folder; give --data-dir or TTAI_DATA_DIR"
                        .to_owned(),
                );
                PathBuf::from("ttai")
            }
        },
    }
}

/// The data folder when `--data-dir` / `TTAI_DATA_DIR` name none: `$HOME/.ttai` when it exists
/// (where ttai kept its data before, so existing users keep their vault, alerts and history), else
/// `ttai` in the platform's local data folder (`$XDG_DATA_HOME` or `~/.local/share` on Linux,
/// `~/Library/Application Support` on macOS, `%LOCALAPPDATA%` on Windows), which needs no `HOME`
/// on Windows or with `XDG_DATA_HOME` set.
pub(crate) fn default_data_dir(home: Option<PathBuf>, data: Option<PathBuf>) -> Option<PathBuf> {
    if let Some(legacy) = home.map(|home| home.join(".ttai"))
        && legacy.is_dir()
    {
        return Some(legacy);
    }
    data.map(|data| data.join("ttai"))
}

/// The log level (`info` unless told).
fn log_level(options: &GlobalOptions, problems: &mut Vec<String>) -> tracing::level_filters::LevelFilter {
    match options
        .log_level
        .as_deref()
        .map(str::trim)
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("info") => tracing::level_filters::LevelFilter::INFO,
        Some("error") => tracing::level_filters::LevelFilter::ERROR,
        Some("warn" | "warning") => tracing::level_filters::LevelFilter::WARN,
        Some("debug") => tracing::level_filters::LevelFilter::DEBUG,
        Some("trace") => tracing::level_filters::LevelFilter::TRACE,
        Some("off") => tracing::level_filters::LevelFilter::OFF,
        Some(other) => {
            problems.push(format!("log level (--log-level / TTAI_LOG_LEVEL): {other:?} is not one of error, warn, info, debug, trace, off"));
            tracing::level_filters::LevelFilter::INFO
        }
    }
}

/// How `serve` listens: the transport and, for HTTP, the host, port and bearer token.
struct Listening {
    transport: TransportChoice,
    host: String,
    port: u16,
    auth_token: Option<Secret>,
}

/// The transport, host, port and token; a host that is not loopback needs a token.
fn listening(options: &GlobalOptions, problems: &mut Vec<String>) -> Listening {
    let transport = match options
        .transport
        .as_deref()
        .map(str::trim)
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("stdio") => TransportChoice::Stdio,
        Some("http" | "sse" | "streamable-http") => TransportChoice::Http,
        Some(other) => {
            problems.push(format!(
                "transport (--transport / TTAI_TRANSPORT): {other:?} is not stdio or http"
            ));
            TransportChoice::Stdio
        }
    };
    let host = options
        .host
        .clone()
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|| "127.0.0.1".to_owned());
    if host.is_empty() || host.contains(char::is_whitespace) {
        problems.push(format!(
            "host (--host / TTAI_HOST): {host:?} is not a host name or address"
        ));
    }
    let port = match options.port.as_deref().map(str::trim) {
        None => 5180,
        Some(text) => match text.parse::<u16>() {
            Ok(port) => port,
            Err(_) => {
                problems.push(format!(
                    "port (--port / TTAI_PORT): {text:?} is not a port number (0–65535)"
                ));
                5180
            }
        },
    };
    let auth_token = options
        .auth_token
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(Secret::new);
    if let Some(token) = &auth_token
        && token.expose().len() < 16
    {
        problems
            .push("auth token (--auth-token / TTAI_AUTH_TOKEN): must be at least 16 characters".to_owned());
    }
    if transport == TransportChoice::Http && !ttai_core::host::is_loopback(&host) && auth_token.is_none() {
        problems.push(format!(
            "auth token (--auth-token / TTAI_AUTH_TOKEN): required to listen on {host}, which is not a loopback address"
        ));
    }
    Listening {
        transport,
        host,
        port,
        auth_token,
    }
}

/// Where market and account data come from.
struct MarketSource {
    broker: BrokerChoice,
    tape: Option<PathBuf>,
    replay_at: Option<Timestamp>,
    api_url: String,
    account: Option<String>,
}

/// The broker, the replay tape and clock, the API URL and the account.
fn market_source(options: &GlobalOptions, problems: &mut Vec<String>) -> MarketSource {
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
struct Timings {
    quote_ttl: Duration,
    chain_ttl: Duration,
    alert_interval: Duration,
}

/// The cache TTLs and the alert check interval, from the environment.
fn timings(problems: &mut Vec<String>) -> Timings {
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

/// Where notifications go.
struct Notifications {
    notify: NotifyChoice,
    webhook_url: Option<String>,
    webhook_secret: Option<Secret>,
}

/// The notification backend (stderr, or the webhook for a headless server that has one) and the
/// webhook.
fn notifications(
    options: &GlobalOptions,
    transport: TransportChoice,
    problems: &mut Vec<String>,
) -> Notifications {
    let webhook_url = env("TTAI_WEBHOOK_URL").map(|u| u.trim().to_owned());
    if let Some(url) = &webhook_url
        && !valid_url(url)
    {
        problems.push(format!(
            "webhook URL (TTAI_WEBHOOK_URL): {url:?} is not an http(s) URL"
        ));
    }
    let notify = match options
        .notify
        .as_deref()
        .map(str::trim)
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        // A headless server posts to a webhook when it has one; every MCP client connected
        // hears of an alert either way (`notifications/message`).
        None | Some("auto") => match (transport, &webhook_url) {
            (TransportChoice::Http, Some(_)) => NotifyChoice::Webhook,
            _ => NotifyChoice::Stderr,
        },
        // `tauri`: the original design's name for the desktop app's stderr lines.
        Some("stderr" | "tauri") => NotifyChoice::Stderr,
        Some("webhook") => {
            if webhook_url.is_none() {
                problems.push(
                    "notifications (--notify / TTAI_NOTIFICATION_BACKEND): webhook needs TTAI_WEBHOOK_URL; set it, or choose auto or stderr".to_owned(),
                );
            }
            NotifyChoice::Webhook
        }
        Some(other) => {
            problems.push(format!("notifications (--notify / TTAI_NOTIFICATION_BACKEND): {other:?} is not auto, stderr (or tauri) or webhook"));
            NotifyChoice::Stderr
        }
    };
    let webhook_secret = env("TTAI_WEBHOOK_SECRET").map(Secret::new);
    Notifications {
        notify,
        webhook_url,
        webhook_secret,
    }
}

/// The analyses' model inputs and caps.
struct Analysis {
    risk_free_rate: f64,
    dividend_yield: f64,
    risk_limits: RiskLimits,
}

/// The risk-free rate, the fallback dividend yield and the caps of the analyses.
fn analysis(options: &GlobalOptions, problems: &mut Vec<String>) -> Analysis {
    let mut fraction =
        |name: &str, flag: &str, text: Option<&str>, default: f64, max: f64| match text.map(str::trim) {
            None => default,
            Some(text) => match text.parse::<f64>() {
                Ok(v) if v.is_finite() && (0.0..=max).contains(&v) => v,
                _ => {
                    problems.push(format!(
                        "{name} ({flag}): {text:?} is not a decimal between 0 and {max}"
                    ));
                    default
                }
            },
        };
    let risk_free_rate = fraction(
        "risk-free rate",
        "--risk-free-rate / TTAI_RISK_FREE_RATE",
        options.risk_free_rate.as_deref(),
        0.04,
        0.25,
    );
    let dividend_yield = fraction(
        "dividend yield",
        "--dividend-yield / TTAI_DIVIDEND_YIELD",
        options.dividend_yield.as_deref(),
        0.0,
        0.25,
    );
    let defaults = RiskLimits::default();
    let mut percent = |name: &str, flag: &str, text: Option<&str>, default: f64| match text.map(str::trim) {
        None => default,
        Some(text) => match text.trim_end_matches('%').trim().parse::<f64>() {
            Ok(v) if v.is_finite() && v > 0.0 && v <= 100.0 => v,
            _ => {
                problems.push(format!(
                    "{name} ({flag}): {text:?} is not a percent of net liq in (0, 100]"
                ));
                default
            }
        },
    };
    let max_exposure_percent = percent(
        "exposure cap",
        "--max-exposure-percent / TTAI_MAX_EXPOSURE_PERCENT",
        options.max_exposure_percent.as_deref(),
        defaults.max_exposure_percent,
    );
    let max_bp_usage_percent = percent(
        "buying power cap",
        "--max-bp-usage-percent / TTAI_MAX_BP_USAGE_PERCENT",
        options.max_bp_usage_percent.as_deref(),
        defaults.max_bp_usage_percent,
    );
    let min_credit_to_width = match options.min_credit_to_width.as_deref().map(str::trim) {
        None => defaults.min_credit_to_width,
        Some(text) => match text.parse::<f64>() {
            Ok(v) if v.is_finite() && (0.0..1.0).contains(&v) => v,
            _ => {
                problems.push(format!(
                    "minimum credit / width (--min-credit-to-width / TTAI_MIN_CREDIT_TO_WIDTH): {text:?} is not a share of the width in [0, 1)"
                ));
                defaults.min_credit_to_width
            }
        },
    };
    let risk_limits = RiskLimits {
        max_exposure_percent,
        max_bp_usage_percent,
        min_credit_to_width,
    };
    Analysis {
        risk_free_rate,
        dividend_yield,
        risk_limits,
    }
}

/// A yes/no setting: `--flag` alone, or `1`/`true`/`yes`/`on` and `0`/`false`/`no`/`off`.
fn switch(name: &str, text: Option<&str>, problems: &mut Vec<String>) -> bool {
    match text.map(|t| t.trim().to_ascii_lowercase()).as_deref() {
        None | Some("" | "0" | "false" | "no" | "off") => false,
        Some("1" | "true" | "yes" | "on") => true,
        Some(other) => {
            problems.push(format!("{name}: {other:?} is not true or false"));
            false
        }
    }
}

/// The order settings: `--allow-orders`, `--paper`, and the server's limits
/// (`TTAI_MAX_ORDER_CONTRACTS`, `TTAI_MAX_ORDER_BP_PERCENT`).
fn order_settings(options: &GlobalOptions, problems: &mut Vec<String>) -> (OrderSettings, bool) {
    let defaults = OrderSettings::default();
    let allow_orders = switch(
        "orders (--allow-orders / TTAI_ALLOW_ORDERS)",
        options.allow_orders.as_deref(),
        problems,
    );
    let paper = switch(
        "paper trading (--paper / TTAI_PAPER)",
        options.paper.as_deref(),
        problems,
    );
    let max_contracts_per_order = match env("TTAI_MAX_ORDER_CONTRACTS") {
        None => defaults.max_contracts_per_order,
        Some(text) => match text.trim().parse::<u32>() {
            Ok(n) if (1..=10_000).contains(&n) => n,
            _ => {
                problems.push(format!(
                    "most contracts per order (TTAI_MAX_ORDER_CONTRACTS): {text:?} is not a whole number from 1 to 10000"
                ));
                defaults.max_contracts_per_order
            }
        },
    };
    let max_order_bp_percent = match env("TTAI_MAX_ORDER_BP_PERCENT") {
        None => defaults.max_order_bp_percent,
        Some(text) => match text.trim().trim_end_matches('%').trim().parse::<f64>() {
            Ok(v) if v.is_finite() && v > 0.0 && v <= 100.0 => v,
            _ => {
                problems.push(format!(
                    "most buying power per order (TTAI_MAX_ORDER_BP_PERCENT): {text:?} is not a percent of net liq in (0, 100]"
                ));
                defaults.max_order_bp_percent
            }
        },
    };
    (
        OrderSettings {
            allow_orders,
            max_contracts_per_order,
            max_order_bp_percent,
        },
        paper,
    )
}

/// Browser origins the HTTP transport accepts besides loopback ones.
fn allowed_origins(problems: &mut Vec<String>) -> Vec<String> {
    let allowed_origins: Vec<String> = env("TTAI_ALLOWED_ORIGINS")
        .map(|list| {
            list.split(',')
                .map(|o| o.trim().trim_end_matches('/').to_owned())
                .filter(|o| !o.is_empty())
                .collect()
        })
        .unwrap_or_default();
    for origin in &allowed_origins {
        if origin == "*" || !valid_url(origin) {
            problems.push(format!(
                "allowed origins (TTAI_ALLOWED_ORIGINS): {origin:?} is not an origin such as https://app.example.com (no wildcards)"
            ));
        }
    }
    allowed_origins
}

/// Secrets from the environment: the vault's passphrase and TastyTrade credentials.
struct Secrets {
    vault_passphrase: Option<Secret>,
    env_credentials: Option<Credentials>,
}

/// The vault passphrase and the environment's credentials (both or neither).
fn secrets(problems: &mut Vec<String>) -> Secrets {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> GlobalOptions {
        GlobalOptions {
            data_dir: Some("/tmp/ttai-test".into()),
            log_level: None,
            broker: None,
            tape: None,
            replay_at: None,
            account: None,
            transport: None,
            host: None,
            port: None,
            auth_token: None,
            notify: None,
            risk_free_rate: None,
            dividend_yield: None,
            max_exposure_percent: None,
            max_bp_usage_percent: None,
            min_credit_to_width: None,
            allow_orders: None,
            paper: None,
        }
    }

    #[test]
    fn defaults_are_design_md_defaults() {
        let s = Settings::from_options(&options()).unwrap();
        assert_eq!(s.transport, TransportChoice::Stdio);
        assert_eq!((s.host.as_str(), s.port), ("127.0.0.1", 5180));
        assert_eq!(s.broker, BrokerChoice::Tastytrade);
        assert_eq!(s.notify, NotifyChoice::Stderr);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let mut o = options();
        o.transport = Some("carrier-pigeon".into());
        o.port = Some("70000".into());
        o.broker = Some("robinhood".into());
        o.log_level = Some("loud".into());
        let problems = Settings::from_options(&o).unwrap_err();
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems.iter().any(|p| p.starts_with("port")));
        assert!(problems.iter().any(|p| p.starts_with("transport")));
    }

    #[test]
    fn a_public_host_needs_a_token() {
        let mut o = options();
        o.transport = Some("http".into());
        o.host = Some("0.0.0.0".into());
        assert!(Settings::from_options(&o).unwrap_err()[0].contains("auth token"));
        o.auth_token = Some("a-long-enough-token-123".into());
        assert!(Settings::from_options(&o).is_ok());
        o.transport = Some("sse".into());
        assert_eq!(
            Settings::from_options(&o).unwrap().transport,
            TransportChoice::Http
        );
    }

    #[test]
    fn a_loopback_host_needs_no_token_however_it_is_written() {
        let mut o = options();
        o.transport = Some("http".into());
        for host in ["localhost", "127.0.0.1", "::1", "[::1]"] {
            o.host = Some(host.into());
            assert!(Settings::from_options(&o).is_ok(), "{host}");
        }
    }

    #[test]
    fn the_analysis_caps_default_and_are_checked() {
        let s = Settings::from_options(&options()).unwrap();
        assert_eq!(s.risk_limits, RiskLimits::default());
        assert_eq!(
            (
                s.risk_limits.max_exposure_percent,
                s.risk_limits.max_bp_usage_percent
            ),
            (10.0, 50.0)
        );
        let mut o = options();
        o.max_exposure_percent = Some("15%".into());
        o.max_bp_usage_percent = Some("35".into());
        o.min_credit_to_width = Some("0.25".into());
        let s = Settings::from_options(&o).unwrap();
        assert_eq!(
            s.risk_limits,
            RiskLimits {
                max_exposure_percent: 15.0,
                max_bp_usage_percent: 35.0,
                min_credit_to_width: 0.25
            }
        );
        o.max_exposure_percent = Some("0".into());
        o.max_bp_usage_percent = Some("150".into());
        o.min_credit_to_width = Some("1".into());
        let problems = Settings::from_options(&o).unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("TTAI_MAX_EXPOSURE_PERCENT"));
    }

    #[test]
    fn the_data_dir_is_the_old_one_when_it_exists_else_the_platforms() {
        let home = tempfile::tempdir().unwrap();
        let data = tempfile::tempdir().unwrap();
        let (home_path, data_path) = (home.path().to_owned(), data.path().to_owned());
        assert_eq!(
            default_data_dir(Some(home_path.clone()), Some(data_path.clone())),
            Some(data_path.join("ttai"))
        );
        std::fs::create_dir(home_path.join(".ttai")).unwrap();
        assert_eq!(
            default_data_dir(Some(home_path.clone()), Some(data_path.clone())),
            Some(home_path.join(".ttai"))
        );
        assert_eq!(
            default_data_dir(None, Some(data_path.clone())),
            Some(data_path.join("ttai"))
        );
        assert_eq!(default_data_dir(None, None), None);
    }

    #[test]
    fn notifications_go_to_a_webhook_only_when_it_has_a_url() {
        let mut o = options();
        o.transport = Some("http".into());
        // TTAI_WEBHOOK_URL is not set in the tests' environment.
        assert_eq!(Settings::from_options(&o).unwrap().notify, NotifyChoice::Stderr);
        o.notify = Some("webhook".into());
        let problems = Settings::from_options(&o).unwrap_err();
        assert!(problems[0].contains("needs TTAI_WEBHOOK_URL"), "{problems:?}");
        o.notify = Some("Tauri".into());
        assert_eq!(Settings::from_options(&o).unwrap().notify, NotifyChoice::Stderr);
        o.notify = Some("pager".into());
        assert!(Settings::from_options(&o).unwrap_err()[0].contains("tauri"));
    }

    #[test]
    fn orders_are_off_unless_switched_on() {
        let s = Settings::from_options(&options()).unwrap();
        assert!(!s.orders.allow_orders && !s.paper);
        let mut o = options();
        o.allow_orders = Some("true".into());
        o.paper = Some("1".into());
        let s = Settings::from_options(&o).unwrap();
        assert!(s.orders.allow_orders && s.paper);
        o.allow_orders = Some("maybe".into());
        assert!(Settings::from_options(&o).unwrap_err()[0].contains("TTAI_ALLOW_ORDERS"));
    }

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(parse_duration("60"), Some(Duration::from_secs(60)));
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("5m"), Some(Duration::from_secs(300)));
        assert_eq!(parse_duration("soon"), None);
        assert_eq!(parse_duration("-1"), None);
    }
}
