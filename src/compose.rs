//! The composition root: the only place that names adapter types. It turns `Settings` into the
//! ports, the core `App`, the MCP server, the background tasks and a transport.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use broker_paper::PaperBroker;
use broker_replay::Recorder;
use broker_replay::{ReplayBroker, TapeSource};
use broker_tastytrade::{StreamSettings, TastyConfig, TastyTradeBroker};
use notify_stderr::{StderrLines, StderrNotifier};
use notify_webhook::{WebhookConfig, WebhookNotifier};
use render_png::PngChartRenderer;
use store_redb::RedbStore;
use transport_http::{HttpConfig, HttpLimits, HttpTransport};
use transport_stdio::{StdioConfig, StdioTransport};
use ttai_core::app::{
    AlertAnnouncer, App, AppConfig, ChartRenderer, CredentialOrigin, LazyStore, Restored,
    restore_credentials, run_deliverer, run_monitor,
};
use ttai_core::mcp::{BacktestLab, McpServer, ServerInfo, StateKey, Tool, ToolRegistry};
use ttai_core::ports::{
    BrokerPort, Credentials, NotifierPort, ShutdownTrigger, StoreError, StorePort, TransportPort,
};
use ttai_core::time::Timestamp;
use vault_orion::OrionVault;

use crate::settings::budgets::Budgets;
use crate::settings::{BrokerChoice, NotifyChoice, Settings, TransportChoice};

/// The wall clock, for live brokers.
pub(crate) fn wall_clock() -> Timestamp {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    Timestamp::from_millis(i64::try_from(ms).unwrap_or(i64::MAX))
}

/// Everything `serve` and `call` need.
#[derive(Clone)]
pub(crate) struct Composed {
    pub(crate) server: Arc<McpServer>,
    pub(crate) replay: Option<Arc<ReplayBroker>>,
    pub(crate) store: Arc<LazyStore>,
    pub(crate) notifier: Arc<dyn NotifierPort>,
    /// The live broker and where its credentials came from (`None` for the replay broker).
    pub(crate) live: Option<(Arc<TastyTradeBroker>, CredentialOrigin)>,
}

/// How the broker of a session is chosen beyond the settings.
#[derive(Default)]
pub(crate) struct SessionChoice {
    /// Credentials proven by `ttai login --no-remember`, used instead of the environment and vault.
    pub(crate) given: Option<Credentials>,
    /// `ttai record`: the live broker, every answer appended to the tape folder of `--tape`.
    pub(crate) record: bool,
}

/// The limit for one exchange with TastyTrade.
const BROKER_TIMEOUT: Duration = Duration::from_secs(15);

/// The vault in the data directory, keyed by `TTAI_VAULT_PASSPHRASE` when set, else by `.key`.
pub(crate) fn vault(settings: &Settings) -> OrionVault {
    match &settings.vault_passphrase {
        Some(passphrase) => OrionVault::with_passphrase(&settings.data_dir, passphrase.clone()),
        None => OrionVault::new(&settings.data_dir),
    }
}

/// The live broker as the login commands see it (`verify`, `token_status`, `set_credentials`).
pub(crate) type LiveBroker = TastyTradeBroker;

/// The live TastyTrade broker, without credentials.
pub(crate) fn live_broker(settings: &Settings) -> Arc<TastyTradeBroker> {
    Arc::new(TastyTradeBroker::new(TastyConfig {
        api_url: settings.api_url.clone(),
        user_agent: format!("ttai/{}", env!("CARGO_PKG_VERSION")),
        timeout: BROKER_TIMEOUT,
        credentials: None,
        now: wall_clock,
        streaming: Some(StreamSettings::standard()),
    }))
}

/// Gives `broker` the session's credentials: `given`, else the environment's, else the vault's.
/// A vault that cannot be read is logged and explained on every call, never fatal.
pub(crate) async fn restore_session(
    settings: &Settings,
    broker: &TastyTradeBroker,
    given: Option<Credentials>,
) -> CredentialOrigin {
    let restored = match given {
        Some(credentials) => Restored {
            credentials: Some(credentials),
            origin: CredentialOrigin::ThisProcess,
        },
        None => restore_credentials(settings.env_credentials.clone(), &vault(settings)).await,
    };
    match restored.credentials {
        Some(credentials) => broker.set_credentials(Some(credentials)),
        None => {
            if let CredentialOrigin::Unusable(why) = &restored.origin {
                tracing::warn!(problem = %why, "the stored TastyTrade credentials cannot be used");
            }
            broker.set_credentials_unavailable(restored.origin.refusal());
        }
    }
    restored.origin
}

type Brokers = (
    Arc<dyn BrokerPort>,
    Option<Arc<ReplayBroker>>,
    Option<(Arc<TastyTradeBroker>, CredentialOrigin)>,
);

async fn broker(settings: &Settings, choice: SessionChoice) -> anyhow::Result<Brokers> {
    if choice.record {
        let Some(dir) = &settings.tape else {
            anyhow::bail!("ttai record needs the tape folder to write: give --tape DIR");
        };
        if settings.broker == BrokerChoice::Replay {
            anyhow::bail!(
                "ttai record records the live TastyTrade broker; drop --broker replay (TTAI_BROKER)"
            );
        }
        let live = live_broker(settings);
        let origin = restore_session(settings, &live, choice.given).await;
        let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("tape");
        let recorder = Recorder::create(live.clone(), dir, name)
            .with_context(|| format!("cannot record into {}", dir.display()))?;
        tracing::info!(tape = %dir.display(), "recording every broker answer");
        return Ok((Arc::new(recorder), None, Some((live, origin))));
    }
    match settings.broker {
        BrokerChoice::Replay => {
            let replay = Arc::new(match &settings.tape {
                Some(dir) => {
                    let name = dir
                        .file_name()
                        .and_then(|n| n.to_str())
                        .unwrap_or("tape")
                        .to_owned();
                    ReplayBroker::new(TapeSource::Dir(dir.clone()), &name, false, settings.replay_at)
                }
                None => ReplayBroker::demo(settings.replay_at),
            });
            // Read on the blocking pool while the rest starts: the first call needs the tape.
            replay.start_loading();
            Ok((replay.clone(), Some(replay), None))
        }
        BrokerChoice::Tastytrade => {
            let live = live_broker(settings);
            let origin = restore_session(settings, &live, choice.given).await;
            Ok((live.clone(), None, Some((live, origin))))
        }
    }
}

/// The redb store at `<data dir>/ttai.db`, opened off the runtime on first use.
pub(crate) fn store(settings: &Settings) -> Arc<LazyStore> {
    let path = settings.data_dir.join("ttai.db");
    Arc::new(LazyStore::new(Box::new(move || {
        let path = path.clone();
        Box::pin(async move {
            let opened = tokio::task::spawn_blocking(move || {
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).map_err(|e| {
                        StoreError::Unavailable(format!("cannot create {}: {e}", parent.display()))
                    })?;
                }
                RedbStore::open(&path)
            })
            .await
            .map_err(|e| StoreError::Unavailable(format!("the database opener failed: {e}")))?;
            opened.map(|store| Arc::new(store) as Arc<dyn StorePort>)
        })
    })))
}

fn notifier(settings: &Settings) -> Arc<dyn NotifierPort> {
    match settings.notify {
        NotifyChoice::Stderr => Arc::new(StderrNotifier::new()),
        NotifyChoice::Webhook => Arc::new(
            WebhookNotifier::new(WebhookConfig {
                url: settings.webhook_url.clone().unwrap_or_default(),
                secret: settings.webhook_secret.clone(),
                timeout: Duration::from_secs(5),
                attempts: 3,
                backoff: Duration::from_millis(250),
            })
            .with_version(env!("CARGO_PKG_VERSION")),
        ),
    }
}

/// Queues one line (a log event, made safe) for stderr's writer without waiting.
pub(crate) fn stderr_line(line: &[u8]) {
    StderrLines::global().log_line(line);
}

/// Prints a document (a command's answer) on stdout, through the one writer of stdout.
pub(crate) fn print_document(text: &str) -> std::io::Result<()> {
    transport_stdio::print_document(text)
}

/// Waits up to `timeout` for stderr's writer to write what is queued.
pub(crate) fn stderr_flush(timeout: Duration) {
    StderrLines::global().flush(timeout);
}

/// The chart renderer (PNG).
pub(crate) fn chart_renderer() -> Arc<dyn ChartRenderer> {
    Arc::new(PngChartRenderer::new())
}

/// The use cases over the replay broker alone, for `ttai backtest`: the tape of `--tape` (else
/// the bundled demo), read and checked before anything runs; the database is never opened.
pub(crate) async fn backtest_app(settings: &Settings) -> anyhow::Result<App> {
    let replay = Arc::new(match &settings.tape {
        Some(dir) => {
            if !dir.is_dir() {
                anyhow::bail!("--tape: {} is not a folder", dir.display());
            }
            let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("tape");
            ReplayBroker::new(TapeSource::Dir(dir.clone()), name, false, None)
        }
        None => ReplayBroker::demo(None),
    });
    replay
        .preload()
        .await
        .map_err(|e| anyhow::anyhow!("the tape cannot be read: {e}"))?;
    let config = AppConfig {
        default_account: None,
        risk_free_rate: settings.risk_free_rate,
        dividend_yield: settings.dividend_yield,
        quote_ttl: settings.quote_ttl,
        chain_ttl: settings.chain_ttl,
    };
    Ok(App::new(replay, store(settings), config).with_risk_limits(settings.risk_limits))
}

/// Where `run_backtest` runs: the backtest use cases of `backtest_app`, built on first use and
/// kept, so backtests never move the clock of the broker that serves the other tools.
struct TapeLab {
    settings: Settings,
    app: tokio::sync::OnceCell<Arc<App>>,
}

#[async_trait::async_trait]
impl BacktestLab for TapeLab {
    async fn app(&self) -> Result<Arc<App>, ttai_core::AppError> {
        self.app
            .get_or_try_init(|| async {
                backtest_app(&self.settings)
                    .await
                    .map(Arc::new)
                    .map_err(|e| ttai_core::AppError::new(ttai_core::ErrorCode::AnalysisError, e.to_string()))
            })
            .await
            .cloned()
    }
}

/// Every tool the server offers, in listing order; the replay clock only with a replay broker.
fn tools(backtests: Arc<dyn BacktestLab>, replay: bool) -> Vec<Arc<dyn Tool>> {
    let mut tools = ToolRegistry::standard();
    tools.extend(ToolRegistry::history_and_market());
    tools.extend(ToolRegistry::analysis());
    tools.extend(ToolRegistry::alerts_and_history());
    tools.extend(ToolRegistry::knowledge());
    tools.extend(ToolRegistry::payoff());
    tools.extend(ToolRegistry::orders());
    tools.extend(ToolRegistry::backtest(backtests));
    if replay {
        tools.extend(ToolRegistry::replay());
    }
    tools
}

/// Where backtests would run for a tool list that is only read, never called (`ttai call
/// --help`).
struct ListedOnly;

#[async_trait::async_trait]
impl BacktestLab for ListedOnly {
    async fn app(&self) -> Result<Arc<App>, ttai_core::AppError> {
        Err(ttai_core::AppError::new(
            ttai_core::ErrorCode::AnalysisError,
            "backtests run in a server (ttai serve, ttai call run_backtest)",
        ))
    }
}

/// The tools, one a line with their titles, for `ttai call --help`.
pub(crate) fn tool_listing() -> String {
    let mut text = "Tools (the replay clock only with --broker replay):\n".to_owned();
    for tool in tools(Arc::new(ListedOnly), true) {
        let spec = tool.spec();
        text.push_str(&format!("  {:<22} {}\n", spec.name, spec.title));
    }
    text
}

/// Builds the server. Must run inside the Tokio runtime.
pub(crate) async fn build(settings: &Settings, choice: SessionChoice) -> anyhow::Result<Composed> {
    let (broker, replay, live) = broker(settings, choice).await?;
    let store = store(settings);
    // Orders on a tape, or on the live broker with --paper, are paper trades: the decorator
    // fills them against the wrapped broker's market and keeps its book in the store. Its
    // answers say `+paper` where paper trades can be made (orders allowed, or --paper), else
    // once a book holding paper trades is read.
    let broker: Arc<dyn BrokerPort> = if replay.is_some() || settings.paper {
        Arc::new(
            PaperBroker::new(broker, store.clone()).announced(settings.paper || settings.orders.allow_orders),
        )
    } else {
        broker
    };
    let config = AppConfig {
        default_account: settings.account.clone(),
        risk_free_rate: settings.risk_free_rate,
        dividend_yield: settings.dividend_yield,
        quote_ttl: settings.quote_ttl,
        chain_ttl: settings.chain_ttl,
    };
    let knowledge = Arc::new(crate::knowledge_fs::KnowledgeFolder::new(
        settings.data_dir.join("knowledge"),
    ));
    let app = App::new(broker, store.clone(), config)
        .with_risk_limits(settings.risk_limits)
        .with_order_settings(settings.orders)
        .with_knowledge_source(knowledge)
        .with_chart_renderer(chart_renderer());
    let app = Arc::new(app);
    let lab = Arc::new(TapeLab {
        settings: settings.clone(),
        app: tokio::sync::OnceCell::new(),
    });
    let tools = tools(lab, replay.is_some());
    let info = ServerInfo {
        name: "ttai".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    let server = Arc::new(McpServer::with_limits(
        app,
        ToolRegistry::new(tools),
        info,
        settings.budgets.engine.clone(),
    ));
    // The key that seals the requestState of input rounds (MCP 2026-07-28): random, this
    // process's only, so a state is good for this process only (ARCHITECTURE.md).
    let mut key = [0u8; 32];
    match orion::util::secure_rand_bytes(&mut key)
        .ok()
        .and_then(|()| StateKey::from_bytes(&key))
    {
        Some(key) => server.set_request_state_key(key),
        None => tracing::warn!(
            "no random key for request states: tools that ask for input will answer with an error"
        ),
    }
    Ok(Composed {
        server,
        replay,
        store,
        notifier: notifier(settings),
        live,
    })
}

/// Starts what runs in the background while serving: the tape and database openers, the alert
/// monitor and the notification deliverer. They stop when `trigger` fires.
pub(crate) fn start_background(composed: &Composed, settings: &Settings, trigger: &ShutdownTrigger) {
    for dir in ["knowledge", "exports", "logs"] {
        if let Err(err) = std::fs::create_dir_all(settings.data_dir.join(dir)) {
            tracing::warn!(error = %err, dir, "cannot create a data folder");
        }
    }
    let replay = composed.replay.clone();
    let server = composed.server.clone();
    let announcer: Arc<dyn AlertAnnouncer> = composed.server.clone();
    let app = composed.server.app().clone();
    let store = composed.store.clone();
    let notifier = composed.notifier.clone();
    let interval = settings.alert_interval;
    let monitor_shutdown = trigger.subscribe();
    let deliverer_shutdown = trigger.subscribe();
    let open_shutdown = trigger.subscribe();
    // One step after another, in the order clients need them: on two cores, parallel start-up
    // work would take the CPU the client and the first answers need.
    tokio::spawn(async move {
        if let Some(replay) = replay
            && let Err(err) = replay.preload().await
        {
            tracing::error!(error = %err, "the replay tape cannot be read");
        }
        if tokio::task::spawn_blocking(move || server.tools().prepare())
            .await
            .is_err()
        {
            tracing::debug!("tool schemas will be built on first use");
        }
        // The monitor and the deliverer need the database; nothing else waits for it. A database
        // held by a ttai that is still finishing (or a full disk) is retried until it opens.
        if store.open_with_retry(open_shutdown).await.is_none() {
            return;
        }
        // Every alert it fires is announced to the connected clients by the MCP engine's
        // `McpServer::announce_alert`, and delivered by the outbox's notifier.
        tokio::spawn(run_monitor(app.clone(), interval, announcer, monitor_shutdown));
        tokio::spawn(run_deliverer(app, notifier, deliverer_shutdown));
    });
}

fn stdio_config(budgets: &Budgets) -> StdioConfig {
    StdioConfig {
        max_line: budgets.stdio_max_line,
        drain: budgets.drain,
    }
}

fn http_limits(budgets: &Budgets) -> HttpLimits {
    HttpLimits {
        max_body: budgets.http_max_body,
        body_budget: budgets.http_body_budget,
        header_timeout: budgets.http_header_timeout,
        body_timeout: budgets.http_body_timeout,
        max_connections: budgets.http_max_connections,
        max_sessions: budgets.http_max_sessions,
        max_sessions_per_client: budgets.http_max_sessions_per_client,
        session_idle: budgets.http_session_idle,
        retain_per_session: budgets.http_retain_per_session,
        retain_total: budgets.http_retain_total,
        drain: budgets.drain,
    }
}

/// The transport chosen by the settings, with its budgets. HTTP binds its address here, so
/// an address it cannot have is a start-up error naming it ("cannot listen on ADDR: ...").
pub(crate) fn transport(settings: &Settings) -> anyhow::Result<Arc<dyn TransportPort>> {
    let budgets = &settings.budgets;
    match settings.transport {
        TransportChoice::Stdio => Ok(Arc::new(StdioTransport::with_config(stdio_config(budgets)))),
        TransportChoice::Http => {
            let config = HttpConfig {
                host: settings.host.clone(),
                port: settings.port,
                auth_token: settings.auth_token.clone(),
                allowed_origins: settings.allowed_origins.clone(),
                limits: http_limits(budgets),
            };
            let listener = transport_http::bind(&config)?;
            Ok(Arc::new(HttpTransport::new(config, listener)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_defaults_are_the_components_defaults() {
        let defaults = Budgets::default();
        assert_eq!(http_limits(&defaults), HttpLimits::default());
        assert_eq!(stdio_config(&defaults), StdioConfig::default());
    }
}
