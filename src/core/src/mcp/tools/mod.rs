//! The MCP tools: one file per tool, each a [`Tool`] with its input and output schema.
//!
//! A tool validates its arguments into typed values (a VALIDATION_ERROR names the field), calls a
//! use case on [`App`], and returns structured content; the engine adds the text copy and the
//! `isError` envelope.

pub(crate) mod analyze_chart;
pub(crate) mod analyze_options;
mod analyze_payoff;
mod args;
mod cancel_order;
mod delete_alert;
pub(crate) mod get_analysis_history;
mod get_balances;
mod get_market_metrics;
mod get_market_status;
mod get_net_liq_history;
mod get_option_chain;
pub(crate) mod get_portfolio_risk;
mod get_positions;
mod get_quote;
mod get_realized_pnl;
mod get_transactions;
mod get_watchlists;
mod list_alerts;
mod list_orders;
mod order_args;
mod place_order;
mod preview_order;
mod registry;
mod replay_clock;
mod run_backtest;
mod run_full_analysis;
pub(crate) mod search_knowledge;
mod search_symbols;
pub(crate) mod set_price_alert;
mod window_args;

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Map, Value, json};

pub use args::Args;
pub use registry::ToolRegistry;
pub(crate) use registry::ToolsList;
pub use run_backtest::BacktestLab;

use super::envelope;
use super::input::{InputRequired, InputRound};
use super::modern::Envelope;
use super::session::{LogLevel, Outbound, Session};
use crate::app::App;
use crate::error::AppError;

/// What a tool is, for `tools/list`.
#[derive(Clone, Debug)]
pub struct ToolSpec {
    /// snake_case name (the seed's names are kept exactly).
    pub name: &'static str,
    /// Human title.
    pub title: &'static str,
    /// What it does and when to use it, for the model.
    pub description: &'static str,
    /// JSON Schema of the arguments.
    pub input_schema: Value,
    /// JSON Schema of `structuredContent`, generated when asked for (`tools/list` builds it
    /// once; a call never needs it).
    pub output_schema: fn() -> Value,
    /// What kind of tool it is: the annotations a client sees, and how the engine runs it.
    pub hints: Hints,
}

/// A tool's kind: the MCP annotation hints and the engine's `long_running` flag, one named value
/// per kind so a tool states its kind once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hints {
    /// True when the tool changes nothing.
    pub read_only: bool,
    /// True when it deletes something.
    pub destructive: bool,
    /// True when repeating the call changes nothing more.
    pub idempotent: bool,
    /// True when it talks to the outside world (the broker).
    pub open_world: bool,
    /// True when a call can take seconds even on a broker that answers at once (a full analysis,
    /// a backtest): the engine then always runs it as a cancellable task, never polled inline.
    pub long_running: bool,
}

impl Hints {
    /// Writes only what the server holds (the replay clock): every hint false, the base the
    /// other kinds name their true hints against.
    pub const WRITES_LOCAL: Hints = Hints {
        read_only: false,
        destructive: false,
        idempotent: false,
        open_world: false,
        long_running: false,
    };
    /// Writes something of its own, consulting the broker (an alert, a saved analysis).
    pub const WRITES: Hints = Hints {
        open_world: true,
        ..Hints::WRITES_LOCAL
    };
    /// Reads the broker and changes nothing (quotes, chains, the account).
    pub const READS_BROKER: Hints = Hints {
        read_only: true,
        idempotent: true,
        ..Hints::WRITES
    };
    /// Reads only what the server holds (history, alerts, the knowledge base) and changes nothing.
    pub const READS_LOCAL: Hints = Hints {
        read_only: true,
        idempotent: true,
        ..Hints::WRITES_LOCAL
    };
    /// Changes the account at the broker (an order placed or cancelled).
    pub const CHANGES_BROKER: Hints = Hints {
        destructive: true,
        ..Hints::WRITES
    };
    /// Deletes something the server holds (an alert).
    pub const DELETES_LOCAL: Hints = Hints {
        destructive: true,
        ..Hints::WRITES_LOCAL
    };

    /// The same kind, run by the engine as a cancellable task.
    pub const fn long_running(self) -> Hints {
        Hints {
            long_running: true,
            ..self
        }
    }
}

impl ToolSpec {
    fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "inputSchema": self.input_schema,
            "outputSchema": (self.output_schema)(),
            "annotations": {
                "title": self.title,
                "readOnlyHint": self.hints.read_only,
                "destructiveHint": self.hints.destructive,
                "idempotentHint": self.hints.idempotent,
                "openWorldHint": self.hints.open_world,
            }
        })
    }
}

/// An image to return as MCP image content.
#[derive(Clone, Debug, PartialEq)]
pub struct ImageContent {
    /// Base64 of the image bytes.
    pub data_base64: String,
    /// `image/png`.
    pub mime_type: &'static str,
}

/// What a tool returns on success.
#[derive(Clone, Debug)]
pub struct ToolOutput {
    /// The structured result, serialized once; must match the output schema.
    pub structured: Box<serde_json::value::RawValue>,
    /// Images to add after the text content.
    pub images: Vec<ImageContent>,
    /// The result's `_meta`: the view-model of an MCP Apps view (`super::apps`), set only for
    /// clients that render views; never part of the text the model reads.
    pub meta: Option<Value>,
    /// Set when the tool cannot finish without input from the client (a person's confirmation):
    /// the engine answers with an `InputRequiredResult` instead of a result (MCP 2026-07-28,
    /// [`ToolContext::can_request_input`]); `structured` is then unused.
    pub input_required: Option<InputRequired>,
}

impl ToolOutput {
    /// A structured result without images.
    pub fn new(structured: Value) -> ToolOutput {
        ToolOutput::serialize(&structured)
    }

    /// A structured result serialized straight from a typed value (no intermediate `Value`).
    pub fn serialize<T: serde::Serialize + ?Sized>(structured: &T) -> ToolOutput {
        let raw = serde_json::value::to_raw_value(structured).unwrap_or_else(|_| {
            // Serializing domain values cannot fail (no maps with non-string keys); be safe anyway.
            serde_json::value::to_raw_value(&serde_json::json!({})).unwrap_or_else(|_| empty_raw())
        });
        ToolOutput {
            structured: raw,
            images: Vec::new(),
            meta: None,
            input_required: None,
        }
    }

    /// The call needs input from the client first; it is made again with the answers
    /// ([`ToolContext::input`]).
    pub fn needs_input(input: InputRequired) -> ToolOutput {
        ToolOutput {
            input_required: Some(input),
            ..ToolOutput::new(Value::Null)
        }
    }

    /// A structured result followed by its PNG picture (when there is one) as image content; the
    /// result's `chart` field ([`PngChart`]) describes the picture.
    pub fn serialize_with_png<T: serde::Serialize + ?Sized>(
        structured: &T,
        picture: Option<Vec<u8>>,
    ) -> ToolOutput {
        let mut output = ToolOutput::serialize(structured);
        if let Some(png) = picture {
            output.images.push(ImageContent {
                data_base64: crate::app::analysis::base64(&png),
                mime_type: "image/png",
            });
        }
        output
    }

    /// The structured result as a `Value` (tests, and tools that read another tool's output).
    pub fn structured_value(&self) -> Value {
        serde_json::from_str(self.structured.get()).unwrap_or(Value::Null)
    }
}

/// The `chart` field of a result with a picture: what follows the text as image content, with the
/// tool's own `details` (flattened beside `mime_type` and `bytes`).
#[derive(Clone, Debug, serde::Serialize, schemars::JsonSchema)]
pub(crate) struct PngChart<D> {
    /// image/png.
    mime_type: PngMime,
    /// Size of the PNG.
    bytes: usize,
    #[serde(flatten)]
    details: D,
}

/// The one media type of a [`PngChart`].
#[derive(Clone, Copy, Debug, serde::Serialize, schemars::JsonSchema)]
enum PngMime {
    /// A PNG image.
    #[serde(rename = "image/png")]
    Png,
}

/// A [`PngChart`] without details.
#[derive(Clone, Copy, Debug, serde::Serialize, schemars::JsonSchema)]
pub(crate) struct NoDetails {}

impl<D> PngChart<D> {
    /// The description of `picture`, if there is one.
    pub(crate) fn of(picture: Option<&[u8]>, details: D) -> Option<PngChart<D>> {
        picture.map(|png| PngChart {
            mime_type: PngMime::Png,
            bytes: png.len(),
            details,
        })
    }
}

/// The request a tool runs in: progress, logging, the session, and under MCP 2026-07-28 the
/// request's own envelope and the answers of an earlier input round.
pub struct ToolContext {
    pub(crate) session: Arc<Session>,
    pub(crate) reply_to: Arc<dyn Outbound>,
    pub(crate) progress_token: Option<Value>,
    pub(crate) envelope: Option<Envelope>,
    pub(crate) input: Option<InputRound>,
}

impl std::fmt::Debug for ToolContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolContext")
            .field("progress_token", &self.progress_token)
            .finish_non_exhaustive()
    }
}

impl ToolContext {
    /// A context for calls outside a client session (the `call` command, tests).
    pub fn detached(session: Arc<Session>, reply_to: Arc<dyn Outbound>) -> ToolContext {
        ToolContext {
            session,
            reply_to,
            progress_token: None,
            envelope: None,
            input: None,
        }
    }

    /// Whether the client renders MCP Apps views: the request's capabilities under MCP
    /// 2026-07-28, else those its session declared at `initialize` (`super::apps::accepts_views`).
    pub fn accepts_views(&self) -> bool {
        match &self.envelope {
            Some(envelope) => envelope.views,
            None => self.session.accepts_views(),
        }
    }

    /// Whether this call may ask the client for input ([`ToolOutput::needs_input`]): an MCP
    /// 2026-07-28 request whose client declared `capability` (`elicitation`, `sampling`,
    /// `roots`). The handshake era has no input rounds.
    pub fn can_request_input(&self, capability: &str) -> bool {
        self.envelope.as_ref().is_some_and(|e| e.declares(capability))
    }

    /// The answers of the previous input round of this call, once its `requestState` was
    /// verified; `None` on a first call.
    pub fn input(&self) -> Option<&InputRound> {
        self.input.as_ref()
    }

    /// Sends `notifications/progress` when the client asked for progress.
    pub fn progress(&self, progress: f64, total: Option<f64>, message: &str) {
        if let Some(token) = &self.progress_token {
            let mut params = Map::new();
            params.insert("progressToken".into(), token.clone());
            params.insert("progress".into(), progress.into());
            if let Some(total) = total {
                params.insert("total".into(), total.into());
            }
            params.insert("message".into(), message.into());
            self.reply_to.send(envelope::notification(
                "notifications/progress",
                &Value::Object(params),
            ));
        }
    }

    /// Sends a log message to the client when it asked for this level or more: by
    /// `logging/setLevel` on its session, or under MCP 2026-07-28 in this request's `logLevel`
    /// (never without one).
    pub fn log(&self, level: LogLevel, logger: &str, data: Value) {
        match &self.envelope {
            Some(envelope) => {
                if envelope.log_level.is_some_and(|min| level >= min) {
                    self.reply_to
                        .send(super::session::log_message(level, logger, data));
                }
            }
            None => self.session.log_to(&*self.reply_to, level, logger, data),
        }
    }
}

/// One MCP tool.
#[async_trait]
pub trait Tool: Send + Sync {
    /// The tool's description; called once when the registry is built.
    fn spec(&self) -> ToolSpec;

    /// Runs the tool.
    async fn call(&self, app: &App, args: Args, ctx: &ToolContext) -> Result<ToolOutput, AppError>;
}

fn empty_raw() -> Box<serde_json::value::RawValue> {
    serde_json::value::RawValue::NULL.to_owned()
}

/// A context outside any client session, for the tools' unit tests.
#[cfg(test)]
pub(crate) fn test_context() -> ToolContext {
    let out = Arc::new(crate::testing::CollectingOutbound::new());
    ToolContext::detached(Arc::new(Session::new(1, out.clone())), out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_is_long_running_by_its_tools_spec_not_by_its_text() {
        let mut tools = ToolRegistry::standard();
        tools.extend(ToolRegistry::analysis());
        let registry = ToolRegistry::new(tools);
        let long_running = |params: &str| {
            let raw = serde_json::value::RawValue::from_string(params.to_owned()).ok();
            crate::mcp::head::Request::new("1", "tools/call", raw.as_deref(), None)
                .tool_name()
                .is_some_and(|name| registry.is_long_running(&name))
        };
        assert!(long_running(
            r#"{"name":"run_full_analysis","arguments":{"symbol":"SPY"}}"#
        ));
        assert!(long_running(
            r#"{"arguments":{"symbol":"SPY"},"name":"run_full_analysis"}"#
        ));
        assert!(long_running(r#"{"name":"run_full\u005fanalysis"}"#));
        // The name of a long-running tool inside the arguments is not the tool called.
        assert!(!long_running(
            r#"{"name":"get_quote","arguments":{"symbol":"run_full_analysis"}}"#
        ));
        assert!(!long_running(r#"{"name":"analyze_chart","arguments":{}}"#));
        assert!(!long_running(r#"{"name":"no_such_tool"}"#));
        assert!(!long_running(r#"{"arguments":{}}"#));
        assert!(!long_running(r#"["run_full_analysis"]"#));
    }
}
