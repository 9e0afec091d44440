//! Settings (docs/design.md, "Configuration"): defaults < environment < flags, validated together.
//!
//! `cli::GlobalOptions` holds the raw text (clap already applied flag-over-env precedence);
//! [`Settings::from_options`] turns it into typed settings or the list of every problem, each
//! naming its setting, so the user fixes them in one go (exit code 2).
//!
//! One module per group, each reading its settings and adding its problems: `data.rs` (data folder,
//! log level), `server.rs` (transport, listening address, token, allowed origins), `broker.rs` (the
//! broker and its tape or API, cache lifetimes, the environment's secrets), `notify.rs` (stderr or
//! webhook), `analysis.rs` (rates, risk limits, orders).

use std::path::PathBuf;
use std::time::Duration;

use ttai_core::app::analysis::RiskLimits;
use ttai_core::app::orders::OrderSettings;
use ttai_core::ports::{Credentials, Secret};
use ttai_core::time::Timestamp;

use crate::cli::GlobalOptions;
use budgets::Budgets;

mod analysis;
mod broker;
pub(crate) mod budgets;
mod data;
mod notify;
mod server;

use analysis::{Analysis, analysis, order_settings};
use broker::{MarketSource, Secrets, Timings, market_source, secrets, timings};
use data::{data_dir, log_level};
use notify::{Notifications, notifications};
use server::{Listening, allowed_origins, listening};

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

#[cfg(test)]
mod tests {
    use super::data::default_data_dir;
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
