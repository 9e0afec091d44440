//! The composition root: the only place that names adapter types. It turns `Settings` into the
//! ports, the core `App`, the MCP server and a transport.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use broker_replay::{ReplayBroker, TapeSource};
use transport_stdio::StdioTransport;
use ttai_core::app::{App, AppConfig, LoggedOutBroker};
use ttai_core::mcp::{McpServer, ServerInfo, ToolRegistry};
use ttai_core::ports::{BrokerPort, StorePort, TransportPort};
use ttai_core::time::Timestamp;

use crate::settings::{BrokerChoice, Settings, TransportChoice};

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

fn store(_settings: &Settings) -> Arc<dyn StorePort> {
    Arc::new(ttai_core::testing::InMemoryStore::new())
}

/// Builds the server. Must run inside the Tokio runtime.
pub(crate) fn build(settings: &Settings) -> anyhow::Result<Composed> {
    let (broker, replay) = broker(settings);
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
    let app = Arc::new(App::new(broker, store(settings), config).with_knowledge_source(knowledge));
    let mut tools = ToolRegistry::standard();
    tools.extend(ToolRegistry::alerts_and_history());
    tools.extend(ToolRegistry::knowledge());
    if replay.is_some() {
        tools.extend(ToolRegistry::replay());
    }
    let tools = ToolRegistry::new(tools);
    let info = ServerInfo {
        name: "ttai".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    let server = Arc::new(McpServer::new(app, tools, info));
    Ok(Composed { server, replay })
}

/// The transport chosen by the settings.
pub(crate) fn transport(settings: &Settings) -> anyhow::Result<Arc<dyn TransportPort>> {
    match settings.transport {
        TransportChoice::Stdio => Ok(Arc::new(StdioTransport::new())),
        TransportChoice::Http => Err(anyhow::anyhow!(
            "the http transport is not built into this version"
        ))
        .context("transport (--transport http)"),
    }
}
