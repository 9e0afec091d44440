//! The transport port: what a transport needs from the engine ([`FrameHandler`]) and what the
//! binary needs from a transport ([`TransportPort`]).
//!
//! The engine (`crate::mcp::McpServer`) implements [`FrameHandler`]; a transport sees only this
//! trait, so it can be driven by a fake (the contract suite's channel handler) and the port
//! names nothing of the engine.

use std::any::Any;
use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::watch;

/// Why a transport stopped with an error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The listening address could not be bound.
    #[error("cannot listen on {address}: {message}")]
    Bind {
        /// The address.
        address: String,
        /// Why.
        message: String,
    },
    /// Reading or writing the channel failed (the stdin reader could not start, a second
    /// `serve` of a transport whose input was already used).
    #[error("transport I/O error: {0}")]
    Io(String),
}

/// Fires once to ask long-running tasks to stop.
#[derive(Clone, Debug)]
pub struct ShutdownTrigger(Arc<watch::Sender<bool>>);

/// Resolves when shutdown was asked for; cheap to clone.
#[derive(Clone, Debug)]
pub struct Shutdown(watch::Receiver<bool>);

impl ShutdownTrigger {
    /// A trigger and its first listener.
    pub fn new() -> (ShutdownTrigger, Shutdown) {
        let (tx, rx) = watch::channel(false);
        (ShutdownTrigger(Arc::new(tx)), Shutdown(rx))
    }

    /// Asks everyone listening to stop.
    pub fn fire(&self) {
        self.0.send_replace(true);
    }

    /// Another listener.
    pub fn subscribe(&self) -> Shutdown {
        Shutdown(self.0.subscribe())
    }
}

impl Shutdown {
    /// True once shutdown was asked for.
    pub fn is_fired(&self) -> bool {
        *self.0.borrow()
    }

    /// Waits until shutdown is asked for (or the trigger is gone).
    pub async fn wait(&mut self) {
        let _ = self.0.wait_for(|fired| *fired).await;
    }
}

/// Where a session's outgoing messages go. Implemented by transports: stdio writes a line,
/// HTTP queues an SSE event or answers a POST.
///
/// The engine holds the `reply_to` it was given for a request until that request is answered
/// (or cancelled) and drops it then: a transport may count its in-flight requests by the
/// `reply_to`s still alive (stdio's drain does).
pub trait Outbound: Send + Sync {
    /// Sends one complete JSON-RPC message. Must not block for long.
    fn send(&self, message: String);
}

/// What became of a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameOutcome {
    /// Nothing to answer (notifications, responses): HTTP answers 202.
    NoReply,
    /// The answer was already sent to `reply_to`.
    Answered,
    /// The answer will be sent to `reply_to` when the request completes.
    Pending,
    /// A `subscriptions/listen` stream opened (MCP 2026-07-28): its notifications follow on
    /// `reply_to` until the client cancels it or the server ends it with the request's result.
    Listening,
}

/// One HTTP routing header as the transport read it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Header<'a> {
    /// Not sent.
    #[default]
    Absent,
    /// Sent once; surrounding whitespace trimmed, the base64 form (`=?base64?…?=`) not yet
    /// decoded.
    Value(&'a str),
    /// Sent more than once, or not visible ASCII.
    Invalid,
}

/// The Streamable HTTP routing headers of a modern request (`MCP-Protocol-Version`,
/// `Mcp-Method`, `Mcp-Name`); the engine checks them against the body.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RoutingHeaders<'a> {
    /// `MCP-Protocol-Version`.
    pub protocol_version: Header<'a>,
    /// `Mcp-Method`.
    pub method: Header<'a>,
    /// `Mcp-Name`: `params.name` of `tools/call` and `prompts/get`, `params.uri` of
    /// `resources/read`.
    pub name: Header<'a>,
}

/// A session as a transport holds it: opened by [`FrameHandler::open`] (or `open_stateless`),
/// handed back with every frame, ended by [`FrameHandler::close`].
pub trait FrameSession: Send + Sync {
    /// Requests of this session being served.
    fn in_flight(&self) -> usize;

    /// The protocol version `initialize` negotiated (`"2025-11-25"`), if any.
    fn protocol_version(&self) -> Option<&'static str>;

    /// The handler's own type behind the trait, for the handler that opened it.
    fn as_any(&self) -> &dyn Any;
}

/// What a transport needs from the engine: sessions, and one frame (a JSON-RPC message or
/// batch, as text) at a time.
///
/// A session handed to a method is one this handler opened (the engine answers any other with
/// an internal error); answers go to the `reply_to`
/// given with the frame, and unsolicited messages to the `outbound` given at `open`.
pub trait FrameHandler: Send + Sync {
    /// Requests one session may have in flight; a transport that reads a stream (stdio) stops
    /// reading at this many instead of having the next one refused.
    fn max_in_flight(&self) -> usize;

    /// Opens a session whose unsolicited messages go to `outbound`.
    fn open(&self, outbound: Arc<dyn Outbound>) -> Arc<dyn FrameSession>;

    /// A session for one request of MCP 2026-07-28 on a transport without sessions (HTTP),
    /// closed by the transport when the response ends or the client goes away.
    fn open_stateless(&self, outbound: Arc<dyn Outbound>) -> Arc<dyn FrameSession>;

    /// Handles one frame of `session`; the answer goes to `reply_to`. Notifications and
    /// `initialize` take effect before this returns.
    fn handle(&self, session: &dyn FrameSession, frame: &str, reply_to: Arc<dyn Outbound>) -> FrameOutcome;

    /// Like [`FrameHandler::handle`], but a request that completes without waiting is answered
    /// on the calling thread, which must be inside the runtime's context.
    fn handle_inline(
        &self,
        session: &dyn FrameSession,
        frame: &str,
        reply_to: Arc<dyn Outbound>,
    ) -> FrameOutcome;

    /// One message of MCP 2026-07-28 on a session from [`FrameHandler::open_stateless`], checked
    /// against the request's routing headers.
    fn handle_stateless(
        &self,
        session: &dyn FrameSession,
        frame: &str,
        headers: &RoutingHeaders<'_>,
        reply_to: Arc<dyn Outbound>,
    ) -> FrameOutcome;

    /// Ends the `subscriptions/listen` streams of `session` (every one when `None`) with their
    /// result; transports call it when input ends or at shutdown, before draining.
    fn end_listens(&self, session: Option<&dyn FrameSession>);

    /// Ends a session: what it still has running is cancelled.
    fn close(&self, session: &dyn FrameSession);
}

/// Carries MCP messages between clients and the core (docs/design.md, "Shape").
///
/// A transport frames bytes into JSON-RPC messages and hands each one to
/// [`FrameHandler::handle`] with the session it belongs to; the handler answers through the
/// `reply_to` given with the frame. A transport never interprets MCP beyond what its framing
/// needs. A network transport is given a listener already bound by its caller (the
/// composition root), which reports an address it cannot bind as [`TransportError::Bind`].
///
/// The clauses below are checked by `contract-tests/src/transport.rs`, one check each.
#[async_trait]
pub trait TransportPort: Send + Sync {
    /// `stdio` or `http`.
    fn name(&self) -> &'static str;

    /// Serves until the clients are gone (stdin EOF) or `shutdown` fires.
    ///
    /// - framing: MUST hand each message (a line on stdio, a POST body on HTTP) to the handler
    ///   as one frame (`each_message_is_one_frame`), and MUST deliver each answer to the client
    ///   whose frame it answers (`answers_reach_the_client_that_asked`).
    /// - oversized: MUST refuse a message over its size budget with an error to that client and
    ///   keep serving (`an_oversized_message_is_refused_and_serving_goes_on`).
    /// - drain: after `shutdown` (or EOF), MUST wait for the answers of requests in flight
    ///   (`shutdown_waits_for_the_answer_in_flight`) for at most its drain period, then return
    ///   (`the_drain_gives_up_after_its_period`).
    ///
    /// # Errors
    /// `Bind` when the listener it was given cannot be used. Binding is the caller's: a network
    /// adapter's bind function (`transport_http::bind`) MUST return `Bind` naming an address it
    /// cannot have (`a_taken_address_is_a_bind_error_naming_it`, capability `listens`).
    async fn serve(&self, handler: Arc<dyn FrameHandler>, shutdown: Shutdown) -> Result<(), TransportError>;
}
