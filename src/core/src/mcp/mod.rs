//! The MCP protocol engine (docs/protocol.md).
//!
//! The engine owns the JSON-RPC envelope ([`envelope`]): parsing frames, notifications (never
//! answered), batches (answered or refused by the negotiated version), client ids of any form
//! (echoed exactly), cancellation, and a panic in a handler becoming a -32603 answer. A request
//! ([`head::Request`]) is dispatched by one `match` on its method (`methods::call`); handlers
//! answer a result or a JSON-RPC error object (jsonrpsee's `ErrorObjectOwned`).
//!
//! Transports call [`McpServer::handle_frame`] for every message of a session; answers and
//! notifications go out through the `Outbound` given with the frame (request-related) or the
//! session's own (everything else).
//!
//! Two protocol eras share this one engine (docs/mcp-2026-07-28.md): the handshake versions
//! (2024-11-05 … 2025-11-25: `initialize`, session state, [`limits::admit`]) and MCP 2026-07-28
//! ([`modern`]: every request carries its own `_meta` envelope, nothing is negotiated). The era
//! is decided before any lifecycle gate: by a stdio connection's first request, and per request
//! over HTTP ([`McpServer::handle_stateless`]).

mod announce;
pub mod apps;
mod batch;
mod catch_unwind;
pub mod client_requests;
mod completion;
pub mod elicitation;
pub mod envelope;
mod frame_handler;
pub(crate) mod head;
pub mod input;
pub mod limits;
mod listen;
mod methods;
pub mod modern;
mod prompts;
pub mod protocol;
mod resources;
mod running;
mod scan;
pub(crate) mod schema;
pub mod session;
mod stateless;
pub mod tools;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use serde_json::value::RawValue;
use serde_json::{Value, json};

pub use crate::ports::{FrameOutcome, FrameSession, Header, RoutingHeaders};
pub use input::{InputRequired, InputRound, StateKey};
pub use limits::{Budget, Limits};
pub use protocol::ProtocolVersion;
pub use session::{Era, LogLevel, Outbound, Session};
pub use tools::{
    Args, BacktestLab, Hints, ImageContent, Tool, ToolContext, ToolOutput, ToolRegistry, ToolSpec,
};

use crate::app::{AlertAnnouncer, App, AppEvent, notification_json};
use crate::domain::Notification;
use catch_unwind::CatchUnwind;
use envelope::{EnvelopeError, Incoming, codes};
use limits::over_budget;
use modern::Envelope;

/// The logger name of the `notifications/message` that announces a fired price alert.
pub const ALERT_LOGGER: &str = "ttai.alerts";

/// Name and version the server reports in `initialize`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerInfo {
    /// `ttai`.
    pub name: String,
    /// The binary's version.
    pub version: String,
}

/// What every request handler can reach.
pub(crate) struct EngineCore {
    pub(crate) app: Arc<App>,
    pub(crate) tools: ToolRegistry,
    pub(crate) info: ServerInfo,
    pub(crate) limits: Limits,
    sessions: Mutex<HashMap<u64, Weak<Session>>>,
    /// Open `subscriptions/listen` streams (2026-07-28).
    listeners: Arc<listen::Listeners>,
    /// `"resultType":"complete","_meta":{…serverInfo…}`, the members every modern result ends with.
    stamp: String,
    /// The server's identity as modern results carry it.
    pub(crate) server_info: Value,
    /// The key that seals `requestState` ([`input`]); set by the composition root.
    state_key: std::sync::OnceLock<StateKey>,
    /// The origin of the engine's monotonic milliseconds (request-state expiry).
    epoch: tokio::time::Instant,
    /// The request states already taken (a confirmation is used once).
    pub(crate) used_states: Arc<input::UsedStates>,
}

/// Milliseconds since `epoch`: the engine's clock.
fn ms_since(epoch: tokio::time::Instant) -> u64 {
    u64::try_from(epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
}

impl EngineCore {
    /// Milliseconds since the engine started (monotonic; the core reads no wall clock).
    pub(crate) fn now_ms(&self) -> u64 {
        ms_since(self.epoch)
    }

    /// A fired alert to the listen streams that asked for it; returns how many were told.
    fn alert_fired(&self, notification: &crate::domain::Notification) -> usize {
        if self.listeners.len() == 0 {
            return 0;
        }
        self.listeners
            .alert_fired(&crate::app::notification_json(notification))
    }

    fn live_sessions(&self) -> Vec<Arc<Session>> {
        let mut sessions = self
            .sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        sessions.retain(|_, weak| weak.strong_count() > 0);
        sessions.values().filter_map(Weak::upgrade).collect()
    }
}

/// What a request's handler knows of where it came from.
#[derive(Clone)]
pub(crate) struct RequestCtx {
    pub(crate) session: Arc<Session>,
    pub(crate) reply_to: Arc<dyn Outbound>,
    /// The request's own envelope (MCP 2026-07-28); `None` in the handshake era.
    pub(crate) envelope: Option<Envelope>,
}

impl RequestCtx {
    /// Whether the client renders MCP Apps views: the request's capabilities (2026-07-28), else
    /// those its session declared at `initialize`.
    pub(crate) fn accepts_views(&self) -> bool {
        match &self.envelope {
            Some(envelope) => envelope.views,
            None => self.session.accepts_views(),
        }
    }
}

struct Inner {
    core: Arc<EngineCore>,
    /// Turns for batches to execute ([`Limits::max_concurrent_batches`]).
    batch_turns: Arc<tokio::sync::Semaphore>,
}

/// The in-flight key a batch holds from acceptance to answer; no client id looks like it (a raw
/// id is a JSON string or integer).
const BATCH_KEY: &str = "#batch";

/// The MCP server: sessions in, answers out. Cheap to clone.
#[derive(Clone)]
pub struct McpServer {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for McpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpServer")
            .field("tools", &self.inner.core.tools)
            .finish_non_exhaustive()
    }
}

impl McpServer {
    /// A server over `app` with `tools` and the default [`Limits`]. Must be called inside a Tokio
    /// runtime: it starts the task that forwards resource updates to subscribed sessions.
    pub fn new(app: Arc<App>, tools: ToolRegistry, info: ServerInfo) -> McpServer {
        McpServer::with_limits(app, tools, info, Limits::default())
    }

    /// A server with the given budgets (see [`McpServer::new`]).
    pub fn with_limits(app: Arc<App>, tools: ToolRegistry, info: ServerInfo, limits: Limits) -> McpServer {
        let batch_turns = Arc::new(tokio::sync::Semaphore::new(limits.max_concurrent_batches.max(1)));
        let epoch = tokio::time::Instant::now();
        let core = Arc::new(EngineCore {
            app,
            tools,
            stamp: modern::result_stamp(&info),
            server_info: modern::server_info(&info),
            info,
            limits,
            sessions: Mutex::new(HashMap::new()),
            listeners: Arc::new(listen::Listeners::default()),
            state_key: std::sync::OnceLock::new(),
            epoch,
            used_states: Arc::new(input::UsedStates::new(Arc::new(move || ms_since(epoch)))),
        });
        let server = McpServer {
            inner: Arc::new(Inner { core, batch_turns }),
        };
        server.start_event_pump();
        server
    }

    /// The application the server serves.
    pub fn app(&self) -> &Arc<App> {
        &self.inner.core.app
    }

    /// The tools offered.
    pub fn tools(&self) -> &ToolRegistry {
        &self.inner.core.tools
    }

    /// The budgets in force.
    pub fn limits(&self) -> &Limits {
        &self.inner.core.limits
    }

    /// Sets the key that seals the `requestState` of input rounds ([`input`]); the composition
    /// root draws it at random at start-up (a later call changes nothing). Without one, a tool
    /// that needs input from the client is answered with an error.
    pub fn set_request_state_key(&self, key: StateKey) {
        let _ = self.inner.core.state_key.set(key);
    }

    /// Open `subscriptions/listen` streams (all transports).
    pub fn listen_streams(&self) -> usize {
        self.inner.core.listeners.len()
    }

    /// Ends the listen streams of `session` (every one when `None`) the way the server ends
    /// them: the listen request's result, then, on stdio, `notifications/cancelled` naming it.
    /// Transports call it when stdin closes or at shutdown, before draining.
    pub fn end_listens(&self, session: Option<&Session>) {
        let core = &self.inner.core;
        core.listeners.end(session.map(Session::id), &core.server_info);
    }

    /// A session for one request of MCP 2026-07-28 on a transport without sessions (HTTP): not
    /// in the session table, closed by the transport with [`McpServer::close_session`] when the
    /// response ends or the client goes away (which cancels what is still running).
    pub fn open_stateless(&self, outbound: Arc<dyn Outbound>) -> Arc<Session> {
        Session::stateless(session::next_id(), outbound)
    }

    /// Opens a session whose unsolicited messages go to `outbound`.
    pub fn open_session(&self, outbound: Arc<dyn Outbound>) -> Arc<Session> {
        let id = session::next_id();
        let session = Session::shared(Session::new(id, outbound));
        self.inner
            .core
            .sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(id, Arc::downgrade(&session));
        session
    }

    /// Ends a session: aborts its in-flight requests, stops its notifications.
    pub fn close_session(&self, session: &Session) {
        session.close();
        if session.is_stateless() {
            // Never in the table: no lock shared by every request.
            return;
        }
        self.inner
            .core
            .sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&session.id());
    }

    /// Number of open sessions.
    pub fn session_count(&self) -> usize {
        self.inner
            .core
            .live_sessions()
            .iter()
            .filter(|s| !s.is_closed())
            .count()
    }

    /// Handles one frame (a JSON-RPC message or batch) of `session`. Answers go to `reply_to`.
    ///
    /// Notifications are handled before this returns, and so is `initialize`, so a client that
    /// pipelines messages sees them take effect in order.
    pub fn handle_frame(
        &self,
        session: &Arc<Session>,
        frame: &str,
        reply_to: Arc<dyn Outbound>,
    ) -> FrameOutcome {
        self.handle(session, frame, reply_to, false)
    }

    /// Like [`McpServer::handle_frame`], but a request is first polled on the calling thread: if it
    /// completes without waiting (a cached quote, a listing), it is answered right here, without
    /// waking a runtime thread; otherwise it continues as a task. For a transport that reads on a
    /// dedicated thread (stdio), this saves a cross-thread wake-up per request. The calling thread
    /// must be inside the runtime's context (`Handle::enter`).
    pub fn handle_frame_inline(
        &self,
        session: &Arc<Session>,
        frame: &str,
        reply_to: Arc<dyn Outbound>,
    ) -> FrameOutcome {
        self.handle(session, frame, reply_to, true)
    }

    fn handle(
        &self,
        session: &Arc<Session>,
        frame: &str,
        reply_to: Arc<dyn Outbound>,
        inline: bool,
    ) -> FrameOutcome {
        let trimmed = frame.trim_start();
        if trimmed.starts_with('[') {
            if session.era() == Era::Modern {
                reply_to.send(batch_refused_modern());
                return FrameOutcome::Answered;
            }
            return self.handle_batch(session, frame, reply_to);
        }
        // A connection of the 2026-07-28 era (stdio): a well-formed `tools/call` is read in one
        // pass with its params, as over HTTP (`handle_stateless`); anything else takes the
        // general path below.
        if session.era() == Era::Modern
            && let Some(read) = envelope::classify_call(frame)
        {
            return self.modern_call(session, frame, read, None, reply_to, inline);
        }
        match envelope::classify(frame) {
            Err(err) => {
                reply_to.send(refusal(&err, session.era() == Era::Modern));
                FrameOutcome::Answered
            }
            Ok(Incoming::Notification { method, params }) => {
                self.on_notification(session, &method, params);
                FrameOutcome::NoReply
            }
            Ok(Incoming::Response { id, result, error }) => {
                session.deliver_client_answer(id.get(), result, error);
                FrameOutcome::NoReply
            }
            Ok(Incoming::Request { id, method, params }) => {
                let id = id.get();
                match self.era_of(session, &method, params) {
                    Era::Modern => {
                        return self
                            .modern_request(session, id, &method, params, None, None, reply_to, inline);
                    }
                    _ if modern::has_envelope(params) => {
                        reply_to.send(envelope::error_response(
                            Some(id),
                            codes::INVALID_REQUEST,
                            "Invalid Request: this connection began with initialize (a handshake version); MCP 2026-07-28 requests need a connection of their own",
                            None,
                        ));
                        return FrameOutcome::Answered;
                    }
                    _ => {}
                }
                if let Some(refused) = self.admit(session, id, &method) {
                    reply_to.send(refused);
                    return FrameOutcome::Answered;
                }
                if method == "initialize" {
                    reply_to.send(self.initialize(session, id, params));
                    return FrameOutcome::Answered;
                }
                let request = head::Request::new(id, &method, params, None);
                let request = if inline {
                    match self.try_inline(session, request, &reply_to, None) {
                        None => return FrameOutcome::Answered,
                        Some((request, _)) => request,
                    }
                } else {
                    request
                };
                self.spawn_request(session.clone(), request, reply_to, None);
                FrameOutcome::Pending
            }
        }
    }

    /// The checks every handshake-era request passes before it runs: the lifecycle (initialize
    /// first, once), then [`McpServer::admit_flight`]. `Some` is the refusal.
    fn admit(&self, session: &Session, id: &str, method: &str) -> Option<String> {
        if let Err(refusal) = limits::admit(session.protocol_version(), method) {
            return Some(refusal.answer(id));
        }
        self.admit_flight(session, id)
    }

    /// The checks of both eras: an id not already in use (by a request or a listen stream), and
    /// the session's in-flight budget.
    fn admit_flight(&self, session: &Session, id: &str) -> Option<String> {
        if session.id_in_use(id) {
            return Some(envelope::error_response(
                Some(id),
                codes::INVALID_REQUEST,
                "Invalid Request: a request with this id is still in flight; use a new id",
                None,
            ));
        }
        let limit = self.inner.core.limits.max_in_flight;
        if session.in_flight() >= limit {
            return Some(over_budget(
                Some(id),
                Budget::InFlight,
                limit,
                &format!("Too many requests in flight: at most {limit} per session; wait for answers"),
            ));
        }
        None
    }

    fn on_notification(&self, session: &Arc<Session>, method: &str, params: Option<&RawValue>) {
        match method {
            "notifications/initialized" => session.mark_initialized(),
            "notifications/cancelled" => {
                let request_id = params
                    .and_then(|p| serde_json::from_str::<Value>(p.get()).ok())
                    .and_then(|p| p.get("requestId").cloned());
                if let Some(id) = request_id {
                    let key = id.to_string();
                    if session.listens() > 0 {
                        self.inner.core.listeners.cancel(session.id(), &key);
                    }
                    if session.cancel(&key) {
                        tracing::debug!(request = %key, "request cancelled by the client");
                    }
                }
            }
            // Other notifications (roots/list_changed, progress) need nothing from us.
            _ => {}
        }
    }

    fn initialize(&self, session: &Arc<Session>, id: &str, params: Option<&RawValue>) -> String {
        let params: Value = params
            .and_then(|p| serde_json::from_str(p.get()).ok())
            .unwrap_or(Value::Null);
        let Some(requested) = params.get("protocolVersion").and_then(Value::as_str) else {
            return envelope::error_response(
                Some(id),
                codes::INVALID_PARAMS,
                "Invalid params: initialize needs protocolVersion (a string)",
                None,
            );
        };
        let version = ProtocolVersion::negotiate(requested);
        let client_name = params
            .pointer("/clientInfo/name")
            .and_then(Value::as_str)
            .map(str::to_owned);
        session.set_negotiated(version, client_name.clone());
        let capabilities = params.get("capabilities").unwrap_or(&Value::Null);
        let views = apps::accepts_views(capabilities);
        session.set_accepts_views(views);
        session.set_elicitation(elicitation::accepts_forms(capabilities));
        tracing::info!(
            client = client_name.as_deref().unwrap_or("unknown"),
            requested,
            negotiated = version.as_str(),
            "initialize"
        );
        let info = &self.inner.core.info;
        let result = json!({
            "protocolVersion": version.as_str(),
            "capabilities": apps::with_extension(protocol::capabilities(), views),
            "serverInfo": { "name": info.name, "title": protocol::TITLE, "version": info.version },
            "instructions": protocol::INSTRUCTIONS,
        });
        envelope::success_response(id, &result.to_string())
    }
}

/// Appends one answer to a batch answer being built (`[` already written).
fn push_item(out: &mut String, item: &str) {
    if out.len() > 1 {
        out.push(',');
    }
    out.push_str(item);
}

/// The answer to a frame that is not a message; `modern`: an unknown id is omitted, not `null`.
fn refusal(err: &EnvelopeError, modern: bool) -> String {
    let answer = if modern {
        envelope::error_response_without_null
    } else {
        envelope::error_response
    };
    match err {
        EnvelopeError::Parse => answer(None, codes::PARSE_ERROR, "Parse error", None),
        EnvelopeError::Invalid { id, reason } => answer(
            id.as_deref(),
            codes::INVALID_REQUEST,
            &format!("Invalid Request: {reason}"),
            None,
        ),
    }
}

/// A batch sent in the 2026-07-28 era (which has none).
fn batch_refused_modern() -> String {
    envelope::error_response_without_null(
        None,
        codes::INVALID_REQUEST,
        "Invalid Request: JSON-RPC batches are not part of MCP 2026-07-28; send one message at a time",
        None,
    )
}

#[cfg(test)]
mod tests;
