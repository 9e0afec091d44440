//! The MCP protocol engine on jsonrpsee (docs/protocol.md).
//!
//! jsonrpsee owns method dispatch: every MCP method is registered on an `RpcModule`. The engine
//! owns the envelope around it ([`envelope`]): parsing frames, notifications (never answered),
//! batches (answered or refused by the negotiated version), client ids of any form (jsonrpsee gets
//! an internal `u64` and the client's id is put back on the answer), cancellation, and a panic in
//! a handler becoming a -32603 answer.
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

pub mod apps;
mod catch_unwind;
pub mod client_requests;
mod completion;
pub mod elicitation;
pub mod envelope;
mod frame_handler;
pub mod input;
pub mod limits;
mod listen;
mod methods;
pub mod modern;
mod prompts;
pub mod protocol;
mod resources;
pub(crate) mod schema;
pub mod session;
pub mod tools;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use jsonrpsee::types::{Id, Params};
use jsonrpsee::{ConnectionId, Extensions, MethodCallback, Methods};
use serde_json::value::RawValue;
use serde_json::{Value, json};

pub use crate::ports::{FrameOutcome, FrameSession, Header, RoutingHeaders};
pub use input::{InputRequired, InputRound, StateKey};
pub use limits::{Budget, Limits};
pub use protocol::ProtocolVersion;
pub use session::{Era, LogLevel, Outbound, Session};
pub use tools::{Args, BacktestLab, ImageContent, Tool, ToolContext, ToolOutput, ToolRegistry, ToolSpec};

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
    /// `"resultType":"complete","_meta":{…serverInfo…}`, what every modern result starts with.
    stamp: String,
    /// The server's identity as modern results carry it.
    pub(crate) server_info: Value,
    /// `{"io.modelcontextprotocol/serverInfo":…}`, a modern tool result's `_meta`.
    pub(crate) meta_stamp: methods::SharedRaw,
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

/// The per-request context handed to jsonrpsee handlers through `Extensions`.
#[derive(Clone)]
pub(crate) struct RequestCtx {
    pub(crate) session: Arc<Session>,
    pub(crate) reply_to: Arc<dyn Outbound>,
    /// The request's own envelope (MCP 2026-07-28); `None` in the handshake era.
    pub(crate) envelope: Option<Arc<Envelope>>,
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
    methods: Methods,
    next_internal_id: AtomicU64,
    next_session_id: AtomicU64,
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
            meta_stamp: modern::meta_stamp(&info),
            info,
            limits,
            sessions: Mutex::new(HashMap::new()),
            listeners: Arc::new(listen::Listeners::default()),
            state_key: std::sync::OnceLock::new(),
            epoch,
            used_states: Arc::new(input::UsedStates::new(Arc::new(move || ms_since(epoch)))),
        });
        let methods = methods::build(core.clone());
        let server = McpServer {
            inner: Arc::new(Inner {
                core,
                methods,
                next_internal_id: AtomicU64::new(1),
                next_session_id: AtomicU64::new(1),
                batch_turns,
            }),
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
        let id = self.inner.next_session_id.fetch_add(1, Ordering::Relaxed);
        Arc::new(Session::stateless(id, outbound))
    }

    /// Opens a session whose unsolicited messages go to `outbound`.
    pub fn open_session(&self, outbound: Arc<dyn Outbound>) -> Arc<Session> {
        let id = self.inner.next_session_id.fetch_add(1, Ordering::Relaxed);
        let session = Arc::new(Session::new(id, outbound));
        self.inner
            .core
            .sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(id, Arc::downgrade(&session));
        session
    }

    /// Ends a session: aborts its in-flight requests, stops its notifications.
    pub fn close_session(&self, session: &Arc<Session>) {
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

    /// Tells every connected client that a price alert fired: the ONE place a fired alert
    /// reaches MCP sessions (the alert monitor calls it through [`AlertAnnouncer`] for each alert
    /// it fires). Each initialized session gets a `notifications/message` (level `warning`,
    /// logger [`ALERT_LOGGER`], the notification's JSON as data) unless it set its log level above
    /// warning; each 2026-07-28 `subscriptions/listen` stream that subscribed to
    /// `alerts://active` with a `logLevel` of `warning` or lower gets it tagged with its
    /// subscription id. When no client was told, the alert is kept for the next `list_alerts`
    /// (and the `morning-briefing` prompt). Returns how many clients were told.
    pub fn announce_alert(&self, notification: &Notification) -> usize {
        let data = notification_json(notification);
        let sessions = self
            .inner
            .core
            .live_sessions()
            .iter()
            .filter(|session| session.announce(LogLevel::Warning, ALERT_LOGGER, &data))
            .count();
        let told = sessions + self.inner.core.alert_fired(notification);
        if told == 0
            && let Some(alert) = &notification.alert
        {
            self.app().note_unannounced(alert.clone());
        }
        tracing::debug!(notification = %notification.id, clients = told, "alert announced");
        told
    }

    fn start_event_pump(&self) {
        let mut events = self.inner.core.app.subscribe_events();
        let core = Arc::downgrade(&self.inner.core);
        tokio::spawn(async move {
            loop {
                let event = match events.recv().await {
                    Ok(event) => event,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                };
                let Some(core) = core.upgrade() else { break };
                match event {
                    AppEvent::ResourceUpdated(uri) => {
                        let message =
                            envelope::notification("notifications/resources/updated", &json!({ "uri": uri }));
                        for session in core.live_sessions() {
                            if session.is_subscribed(&uri) {
                                session.send(message.clone());
                            }
                        }
                        core.listeners.resource_updated(&uri);
                    }
                }
            }
        });
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
                let id = id.get().to_owned();
                match self.era_of(session, &method, params) {
                    Era::Modern => {
                        return self.modern_request(session, &id, &method, params, None, reply_to, inline);
                    }
                    _ if modern::has_envelope(params) => {
                        reply_to.send(envelope::error_response(
                            Some(&id),
                            codes::INVALID_REQUEST,
                            "Invalid Request: this connection began with initialize (a handshake version); MCP 2026-07-28 requests need a connection of their own",
                            None,
                        ));
                        return FrameOutcome::Answered;
                    }
                    _ => {}
                }
                if let Some(refused) = self.admit(session, &id, &method) {
                    reply_to.send(refused);
                    return FrameOutcome::Answered;
                }
                if method == "initialize" {
                    reply_to.send(self.initialize(session, &id, params));
                    return FrameOutcome::Answered;
                }
                let params = params.map(|p| p.get().to_owned());
                if inline && self.try_inline(session, &id, &method, params.as_deref(), &reply_to, None) {
                    return FrameOutcome::Answered;
                }
                self.spawn_request(session.clone(), id, method, params, reply_to, None);
                FrameOutcome::Pending
            }
        }
    }

    /// One message of MCP 2026-07-28 over a transport without sessions (Streamable HTTP), with
    /// the request's routing headers; `session` comes from [`McpServer::open_stateless`].
    /// Requests are validated against the headers and answered to `reply_to` (polled inline
    /// first, as [`McpServer::handle_frame_inline`] does); notifications and responses need
    /// nothing (HTTP answers 202).
    pub fn handle_stateless(
        &self,
        session: &Arc<Session>,
        frame: &str,
        headers: &RoutingHeaders<'_>,
        reply_to: Arc<dyn Outbound>,
    ) -> FrameOutcome {
        if frame.trim_start().starts_with('[') {
            reply_to.send(batch_refused_modern());
            return FrameOutcome::Answered;
        }
        match envelope::classify(frame) {
            Err(err) => {
                reply_to.send(refusal(&err, true));
                FrameOutcome::Answered
            }
            // Over HTTP a client cancels by closing the response; nothing else is expected.
            Ok(Incoming::Notification { .. } | Incoming::Response { .. }) => FrameOutcome::NoReply,
            Ok(Incoming::Request { id, method, params }) => {
                let id = id.get().to_owned();
                self.modern_request(session, &id, &method, params, Some(headers), reply_to, true)
            }
        }
    }

    /// The era of a request on `session`: the session's, or, for its first request, modern when
    /// the request carries the 2026-07-28 envelope (and is not `initialize`), else the
    /// handshake era. Decided before any lifecycle gate.
    fn era_of(&self, session: &Session, method: &str, params: Option<&RawValue>) -> Era {
        match session.era() {
            Era::Undecided => {
                let era = if method != "initialize" && modern::has_envelope(params) {
                    Era::Modern
                } else {
                    Era::Legacy
                };
                session.set_era(era);
                era
            }
            era => era,
        }
    }

    /// A request of MCP 2026-07-28: the envelope ladder, the era's method table, the in-flight
    /// checks, then `server/discover`, `subscriptions/listen` or a method of the table.
    #[allow(clippy::too_many_arguments)]
    fn modern_request(
        &self,
        session: &Arc<Session>,
        id: &str,
        method: &str,
        params: Option<&RawValue>,
        headers: Option<&RoutingHeaders<'_>>,
        reply_to: Arc<dyn Outbound>,
        inline: bool,
    ) -> FrameOutcome {
        let core = &self.inner.core;
        if method == "initialize" && headers.is_none() && !modern::has_envelope(params) {
            // A handshake on a connection that began in 2026-07-28: name the versions spoken.
            let requested = params
                .and_then(|p| serde_json::from_str::<Value>(p.get()).ok())
                .and_then(|p| {
                    p.get("protocolVersion")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
                .unwrap_or_default();
            reply_to.send(modern::unsupported_version(&requested).answer(id));
            return FrameOutcome::Answered;
        }
        let envelope = match modern::validate(method, params, headers) {
            Ok(envelope) => envelope,
            Err(refused) => {
                reply_to.send(refused.answer(id));
                return FrameOutcome::Answered;
            }
        };
        if !modern::is_method(method) {
            reply_to.send(envelope::error_response(
                Some(id),
                codes::METHOD_NOT_FOUND,
                &format!("Method not found: {method} (not part of MCP 2026-07-28)"),
                None,
            ));
            return FrameOutcome::Answered;
        }
        if let Some(refused) = self.admit_flight(session, id) {
            reply_to.send(refused);
            return FrameOutcome::Answered;
        }
        match method {
            "server/discover" => {
                let result = modern::discover(&core.info, envelope.views);
                reply_to.send(envelope::success_response(id, &result.to_string()));
                FrameOutcome::Answered
            }
            "subscriptions/listen" => self.listen(session, id, params, &envelope, reply_to),
            _ => {
                let envelope = Some(Arc::new(envelope));
                let params = params.map(|p| p.get().to_owned());
                if inline
                    && self.try_inline(
                        session,
                        id,
                        method,
                        params.as_deref(),
                        &reply_to,
                        envelope.clone(),
                    )
                {
                    return FrameOutcome::Answered;
                }
                self.spawn_request(
                    session.clone(),
                    id.to_owned(),
                    method.to_owned(),
                    params,
                    reply_to,
                    envelope,
                );
                FrameOutcome::Pending
            }
        }
    }

    /// `subscriptions/listen`: the acknowledgement, then the stream (module `listen`), which
    /// stays open until the client cancels it or the server ends it.
    fn listen(
        &self,
        session: &Arc<Session>,
        id: &str,
        params: Option<&RawValue>,
        envelope: &Envelope,
        reply_to: Arc<dyn Outbound>,
    ) -> FrameOutcome {
        let core = &self.inner.core;
        let limit = core.limits.max_subscriptions;
        if session.listens() >= limit {
            reply_to.send(over_budget(
                Some(id),
                Budget::Subscriptions,
                limit,
                &format!("Too many listen streams: at most {limit} per connection; cancel one first"),
            ));
            return FrameOutcome::Answered;
        }
        let params: serde_json::Map<String, Value> = params
            .and_then(|p| serde_json::from_str(p.get()).ok())
            .unwrap_or_default();
        let exists = |uri: &str| resources::check_exists(core, uri).is_ok();
        let filter = match listen::read_filter(&params, exists, limit, envelope.log_level) {
            Ok(filter) => filter,
            Err((code, message, data)) => {
                reply_to.send(envelope::error_response(Some(id), code, &message, data.as_ref()));
                return FrameOutcome::Answered;
            }
        };
        let registration = listen::open(&core.listeners, session, id, filter, reply_to);
        // The stream lives as long as this task: cancelling the listen aborts it, and dropping
        // the registration takes the listener out of the table.
        let task = tokio::spawn(async move {
            let _registration = registration;
            std::future::pending::<()>().await;
        });
        if !session.add_listen(id, task.abort_handle(), limit) {
            task.abort();
        }
        FrameOutcome::Listening
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

    fn handle_batch(&self, session: &Arc<Session>, frame: &str, reply_to: Arc<dyn Outbound>) -> FrameOutcome {
        let elements = match envelope::split_batch(frame) {
            Ok(elements) => elements,
            Err(err) => {
                reply_to.send(refusal(&err, false));
                return FrameOutcome::Answered;
            }
        };
        if elements.is_empty() {
            reply_to.send(envelope::error_response(
                None,
                codes::INVALID_REQUEST,
                "Invalid Request: empty batch",
                None,
            ));
            return FrameOutcome::Answered;
        }
        let allowed = session
            .protocol_version()
            .is_some_and(ProtocolVersion::allows_batches);
        if !allowed {
            let version = session
                .protocol_version()
                .map_or("none negotiated", ProtocolVersion::as_str);
            reply_to.send(envelope::error_response(
                None,
                codes::INVALID_REQUEST,
                &format!("Invalid Request: JSON-RPC batches are not part of MCP {version}; send one message at a time"),
                None,
            ));
            return FrameOutcome::Answered;
        }
        let limits = &self.inner.core.limits;
        if elements.len() > limits.max_batch_len {
            reply_to.send(envelope::error_response(
                None,
                codes::INVALID_REQUEST,
                &format!(
                    "Invalid Request: a batch of {} messages; at most {} per batch (nothing was run)",
                    elements.len(),
                    limits.max_batch_len
                ),
                Some(&Budget::BatchLength.data(limits.max_batch_len)),
            ));
            return FrameOutcome::Answered;
        }
        if session.is_in_flight(BATCH_KEY) || session.in_flight() >= limits.max_in_flight {
            reply_to.send(over_budget(
                None,
                Budget::InFlight,
                limits.max_in_flight,
                "Too many requests in flight: one batch at a time per session, within the in-flight budget; wait for answers",
            ));
            return FrameOutcome::Answered;
        }
        // Classify everything now so that notifications take effect in order; run the requests
        // in one task and answer with one array.
        let mut immediate: Vec<String> = Vec::new();
        let mut requests: Vec<(String, String, Option<String>)> = Vec::new();
        for element in elements {
            match envelope::classify(element.get()) {
                Err(err) => immediate.push(refusal(&err, false)),
                Ok(Incoming::Notification { method, params }) => {
                    self.on_notification(session, &method, params)
                }
                Ok(Incoming::Response { id, result, error }) => {
                    session.deliver_client_answer(id.get(), result, error)
                }
                Ok(Incoming::Request { id, method, .. }) if method == "initialize" => {
                    immediate.push(envelope::error_response(
                        Some(id.get()),
                        codes::INVALID_REQUEST,
                        "Invalid Request: initialize must not be part of a batch",
                        None,
                    ))
                }
                Ok(Incoming::Request { id, method, params }) => {
                    requests.push((id.get().to_owned(), method, params.map(|p| p.get().to_owned())));
                }
            }
        }
        if requests.is_empty() && immediate.is_empty() {
            return FrameOutcome::NoReply;
        }
        if requests.is_empty() {
            reply_to.send(format!("[{}]", immediate.join(",")));
            return FrameOutcome::Answered;
        }
        // In flight from now on, so a transport draining at shutdown waits for this answer.
        session.begin_request(BATCH_KEY);
        let server = self.clone();
        let task_session = session.clone();
        let handle = tokio::spawn(async move {
            let session = task_session;
            let answer = server.run_batch(&session, immediate, requests, &reply_to).await;
            session.end_request(BATCH_KEY);
            if !session.is_closed() {
                reply_to.send(answer);
            }
        });
        session.attach_abort(BATCH_KEY, handle.abort_handle());
        FrameOutcome::Pending
    }

    /// Runs a batch's requests one after another within its answer budget and returns the array.
    async fn run_batch(
        &self,
        session: &Arc<Session>,
        immediate: Vec<String>,
        requests: Vec<(String, String, Option<String>)>,
        reply_to: &Arc<dyn Outbound>,
    ) -> String {
        let budget = self.inner.core.limits.max_batch_answer_bytes;
        // A closed semaphore cannot happen (it is never closed); run without a turn if it did.
        let _turn = self.inner.batch_turns.clone().acquire_owned().await.ok();
        // The array is built as answers come, so the batch's answers are held once.
        let mut out = String::from("[");
        for answer in &immediate {
            push_item(&mut out, answer);
        }
        let mut over = false;
        for (id, method, params) in requests {
            if !over {
                let answer = match self.admit(session, &id, &method) {
                    Some(refused) => refused,
                    None => {
                        session.begin_request(&id);
                        let answer = self
                            .run_request(session, id.clone(), method, params, reply_to.clone(), None)
                            .await;
                        session.end_request(&id);
                        answer
                    }
                };
                if out.len() + answer.len() + 2 <= budget {
                    push_item(&mut out, &answer);
                    continue;
                }
                over = true;
            }
            let refused = over_budget(
                Some(&id),
                Budget::BatchAnswerBytes,
                budget,
                &format!(
                    "Batch answer budget exceeded: a batch's answers may total at most {budget} bytes; send this request again on its own"
                ),
            );
            push_item(&mut out, &refused);
        }
        out.push(']');
        out
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

    /// Polls a request once on this thread; true when it was answered.
    fn try_inline(
        &self,
        session: &Arc<Session>,
        id: &str,
        method: &str,
        params: Option<&str>,
        reply_to: &Arc<dyn Outbound>,
        envelope: Option<Arc<Envelope>>,
    ) -> bool {
        // Long-running tools must stay cancellable: they always run as tasks.
        if method == "tools/call" && params.is_some_and(|p| self.tools().is_long_running_call(p)) {
            return false;
        }
        let server = self.clone();
        let task_session = session.clone();
        let (task_id, method, params, sink) = (
            id.to_owned(),
            method.to_owned(),
            params.map(str::to_owned),
            reply_to.clone(),
        );
        let mut future = Box::pin(async move {
            server
                .run_request(&task_session, task_id, method, params, sink, envelope)
                .await
        });
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match future.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(answer) => {
                reply_to.send(answer);
                true
            }
            std::task::Poll::Pending => {
                // Not finished: hand the started future to the runtime, which polls it again with
                // a real waker, and keep it cancellable under the client's id.
                let key = id.to_owned();
                session.begin_request(&key);
                let task_session = session.clone();
                let task_key = key.clone();
                let reply_to = reply_to.clone();
                let handle = tokio::spawn(async move {
                    let answer = future.await;
                    task_session.end_request(&task_key);
                    if !task_session.is_closed() {
                        reply_to.send(answer);
                    }
                });
                session.attach_abort(&key, handle.abort_handle());
                true
            }
        }
    }

    fn spawn_request(
        &self,
        session: Arc<Session>,
        id: String,
        method: String,
        params: Option<String>,
        reply_to: Arc<dyn Outbound>,
        envelope: Option<Arc<Envelope>>,
    ) {
        let server = self.clone();
        let key = id.clone();
        session.begin_request(&key);
        let task_session = session.clone();
        let task_key = key.clone();
        let handle = tokio::spawn(async move {
            let answer = server
                .run_request(&task_session, id, method, params, reply_to.clone(), envelope)
                .await;
            task_session.end_request(&task_key);
            if !task_session.is_closed() {
                reply_to.send(answer);
            }
        });
        session.attach_abort(&key, handle.abort_handle());
    }

    /// Runs one request through jsonrpsee and returns the answer with the client's id; a modern
    /// request's answer gets the era's fields (`modern::shape_answer`; `tools/call` shapes its
    /// own result).
    async fn run_request(
        &self,
        session: &Arc<Session>,
        id: String,
        method: String,
        params: Option<String>,
        reply_to: Arc<dyn Outbound>,
        envelope: Option<Arc<Envelope>>,
    ) -> String {
        let modern = envelope.is_some();
        let answer = self
            .dispatch(session, &id, &method, params, reply_to, envelope)
            .await;
        if modern && method != "tools/call" {
            modern::shape_answer(answer, &id, &self.inner.core.stamp)
        } else {
            answer
        }
    }

    async fn dispatch(
        &self,
        session: &Arc<Session>,
        id: &str,
        method: &str,
        params: Option<String>,
        reply_to: Arc<dyn Outbound>,
        envelope: Option<Arc<Envelope>>,
    ) -> String {
        if let Some(p) = &params
            && !p.starts_with('{')
        {
            return envelope::error_response(
                Some(id),
                codes::INVALID_PARAMS,
                "Invalid params: params must be an object",
                None,
            );
        }
        let Some((_, callback)) = self.inner.methods.method_with_name(method) else {
            return envelope::error_response(
                Some(id),
                codes::METHOD_NOT_FOUND,
                &format!("Method not found: {method}"),
                None,
            );
        };
        let internal = self.inner.next_internal_id.fetch_add(1, Ordering::Relaxed);
        let mut extensions = Extensions::new();
        extensions.insert(RequestCtx {
            session: session.clone(),
            reply_to,
            envelope,
        });
        let params_text = params.unwrap_or_else(|| "{}".to_owned());
        let callback = callback.clone();
        let client_id = id;
        let run = async move {
            let params = Params::new(Some(params_text.as_str())).into_owned();
            let response = match callback {
                MethodCallback::Async(cb) => {
                    (cb)(
                        Id::Number(internal),
                        params,
                        ConnectionId(0),
                        usize::MAX,
                        extensions,
                    )
                    .await
                }
                MethodCallback::Sync(cb) => (cb)(Id::Number(internal), params, usize::MAX, extensions),
                MethodCallback::Unsubscription(cb) => (cb)(
                    Id::Number(internal),
                    params,
                    ConnectionId(0),
                    usize::MAX,
                    extensions,
                ),
                MethodCallback::Subscription(_) => {
                    let answer =
                        envelope::error_response(None, codes::METHOD_NOT_FOUND, "Method not found", None);
                    return envelope::restore_id(&answer, internal, client_id);
                }
            };
            let (raw, _, _) = response.into_parts();
            // The client's id goes back on while the answer is copied out of jsonrpsee's.
            envelope::restore_id(raw.get(), internal, client_id)
        };
        match CatchUnwind::new(run).await {
            Ok(answer) => answer,
            Err(panic) => {
                tracing::error!(method = %method, panic = %panic, "handler panicked; answered -32603 and kept serving");
                envelope::error_response(Some(id), codes::INTERNAL_ERROR, "Internal error", None)
            }
        }
    }
}

/// Appends one answer to a batch answer being built (`[` already written).
impl AlertAnnouncer for McpServer {
    fn announce_alert(&self, notification: &Notification) -> usize {
        McpServer::announce_alert(self, notification)
    }
}

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
