//! The composition root: the only place that names adapter types. It turns `Settings` into the
//! ports, the core `App`, the MCP server, the background tasks and a transport.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use broker_replay::{ReplayBroker, TapeSource};
use notify_stderr::StderrNotifier;
use notify_webhook::{WebhookConfig, WebhookNotifier};
use render_png::PngChartRenderer;
use store_redb::RedbStore;
use transport_http::{HttpConfig, HttpTransport};
use transport_stdio::StdioTransport;
use ttai_core::app::{App, AppConfig, LazyStore, LoggedOutBroker, run_deliverer, run_monitor};
use ttai_core::mcp::{McpServer, ServerInfo, ToolRegistry};
use ttai_core::ports::{BrokerPort, NotifierPort, ShutdownTrigger, StoreError, StorePort, TransportPort};
use ttai_core::time::Timestamp;

use crate::settings::{BrokerChoice, NotifyChoice, Settings, TransportChoice};

/// The wall clock, for live brokers.
pub(crate) fn wall_clock() -> Timestamp {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    Timestamp::from_millis(i64::try_from(ms).unwrap_or(i64::MAX))
}

/// Everything `serve` and `call` need.
pub(crate) struct Composed {
    pub(crate) server: Arc<McpServer>,
    pub(crate) replay: Option<Arc<ReplayBroker>>,
    pub(crate) store: Arc<LazyStore>,
    pub(crate) notifier: Arc<dyn NotifierPort>,
}

fn broker(settings: &Settings) -> (Arc<dyn BrokerPort>, Option<Arc<ReplayBroker>>) {
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
            (replay.clone(), Some(replay))
        }
        BrokerChoice::Tastytrade => (Arc::new(LoggedOutBroker::new(wall_clock)), None),
    }
}

/// The redb store at `<data dir>/ttai.db`, opened off the runtime on first use.
fn store(settings: &Settings) -> Arc<LazyStore> {
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

/// Builds the server. Must run inside the Tokio runtime.
pub(crate) fn build(settings: &Settings) -> anyhow::Result<Composed> {
    let (broker, replay) = broker(settings);
    let store = store(settings);
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
        .with_knowledge_source(knowledge)
        .with_chart_renderer(Arc::new(PngChartRenderer::new()));
    let app = Arc::new(app);
    let mut tools = ToolRegistry::standard();
    tools.extend(ToolRegistry::analysis());
    tools.extend(ToolRegistry::alerts_and_history());
    tools.extend(ToolRegistry::knowledge());
    if replay.is_some() {
        tools.extend(ToolRegistry::replay());
    }
    let info = ServerInfo {
        name: "ttai".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    let server = Arc::new(McpServer::new(app, ToolRegistry::new(tools), info));
    Ok(Composed {
        server,
        replay,
        store,
        notifier: notifier(settings),
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
    if let Some(replay) = composed.replay.clone() {
        tokio::spawn(async move {
            if let Err(err) = replay.preload().await {
                tracing::error!(error = %err, "the replay tape cannot be read");
            }
        });
    }
    if settings.notify == NotifyChoice::Webhook && settings.webhook_url.is_none() {
        tracing::warn!(
            "notifications go to a webhook but TTAI_WEBHOOK_URL is not set: they wait in the outbox until it is"
        );
    }
    let app = composed.server.app().clone();
    let store = composed.store.clone();
    let notifier = composed.notifier.clone();
    let interval = settings.alert_interval;
    let monitor_shutdown = trigger.subscribe();
    let deliverer_shutdown = trigger.subscribe();
    tokio::spawn(async move {
        // The monitor and the deliverer need the database; nothing else waits for it.
        if let Err(err) = store.open().await {
            tracing::error!(error = %err, "the database cannot be opened; alerts are not watched");
            return;
        }
        tokio::spawn(run_monitor(app.clone(), interval, monitor_shutdown));
        tokio::spawn(run_deliverer(app, notifier, deliverer_shutdown));
    });
}

/// The transport chosen by the settings.
pub(crate) fn transport(settings: &Settings) -> anyhow::Result<Arc<dyn TransportPort>> {
    match settings.transport {
        TransportChoice::Stdio => Ok(Arc::new(StdioTransport::new())),
        TransportChoice::Http => Ok(Arc::new(HttpTransport::new(HttpConfig {
            host: settings.host.clone(),
            port: settings.port,
            auth_token: settings.auth_token.clone(),
            allowed_origins: settings.allowed_origins.clone(),
            max_body: settings.http_max_body,
            max_sessions: settings.http_max_sessions,
            idle_timeout: settings.http_session_idle,
        }))),
    }
}
