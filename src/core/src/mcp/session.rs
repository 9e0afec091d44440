//! One MCP session: the negotiated version, subscriptions, log level and in-flight requests.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use serde_json::{Value, json};
use tokio::sync::Notify;
use tokio::task::AbortHandle;

use super::client_requests::{ClientRequestError, ClientRequests};
use super::envelope;
use super::protocol::ProtocolVersion;

pub use crate::ports::Outbound;

/// A `notifications/message`.
pub(crate) fn log_message(level: LogLevel, logger: &str, data: Value) -> String {
    envelope::notification(
        "notifications/message",
        &json!({ "level": level.as_str(), "logger": logger, "data": data }),
    )
}

/// MCP log levels, in increasing severity (RFC 5424 names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// Debugging detail.
    Debug,
    /// Normal events.
    Info,
    /// Significant normal events (an alert fired).
    Notice,
    /// Something looks wrong.
    Warning,
    /// A request failed.
    Error,
    /// A component failed.
    Critical,
    /// Action needed now.
    Alert,
    /// The system is unusable.
    Emergency,
}

impl LogLevel {
    /// Reads an MCP level name.
    pub fn parse(text: &str) -> Option<LogLevel> {
        Some(match text {
            "debug" => LogLevel::Debug,
            "info" => LogLevel::Info,
            "notice" => LogLevel::Notice,
            "warning" => LogLevel::Warning,
            "error" => LogLevel::Error,
            "critical" => LogLevel::Critical,
            "alert" => LogLevel::Alert,
            "emergency" => LogLevel::Emergency,
            _ => return None,
        })
    }

    /// The MCP level name.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Notice => "notice",
            LogLevel::Warning => "warning",
            LogLevel::Error => "error",
            LogLevel::Critical => "critical",
            LogLevel::Alert => "alert",
            LogLevel::Emergency => "emergency",
        }
    }
}

/// Which protocol era a session speaks (docs/mcp-2026-07-28.md, "Eras").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Era {
    /// No request seen yet: the first one decides (stdio).
    Undecided,
    /// The handshake versions (2024-11-05 … 2025-11-25): `initialize` first, session state.
    Legacy,
    /// MCP 2026-07-28: every request carries its own `_meta` envelope; nothing is negotiated.
    Modern,
}

impl Era {
    fn from_u8(value: u8) -> Era {
        match value {
            1 => Era::Legacy,
            2 => Era::Modern,
            _ => Era::Undecided,
        }
    }

    fn as_u8(self) -> u8 {
        match self {
            Era::Undecided => 0,
            Era::Legacy => 1,
            Era::Modern => 2,
        }
    }
}

#[derive(Default)]
struct SessionState {
    protocol_version: Option<ProtocolVersion>,
    client_name: Option<String>,
    log_level: Option<LogLevel>,
    subscriptions: HashSet<String>,
    /// The client declared the MCP Apps extension (`super::apps::accepts_views`).
    accepts_views: bool,
    /// The client declared form elicitation in `initialize` (it can ask its user).
    elicitation: bool,
}

/// The next engine session number: unique in the process (across servers), never 0. Each
/// thread takes numbers a block at a time, so that opening a session, which a stateless HTTP
/// request does every time, does not write a counter that every thread shares.
pub(crate) fn next_id() -> u64 {
    use std::cell::Cell;
    use std::sync::atomic::AtomicU64;
    const BLOCK: u64 = 1024;
    static NEXT_BLOCK: AtomicU64 = AtomicU64::new(1);
    thread_local! {
        /// The thread's next number and the end of its block.
        static BLOCK_LEFT: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
    }
    BLOCK_LEFT.with(|left| {
        let (mut next, mut end) = left.get();
        if next == end {
            next = NEXT_BLOCK.fetch_add(BLOCK, Ordering::Relaxed);
            end = next + BLOCK;
        }
        left.set((next + 1, end));
        next
    })
}

/// A connected client. Cheap to share; all state is behind short, non-async locks.
pub struct Session {
    id: u64,
    /// The session's own stream for messages not tied to a request (resource updates, logs).
    outbound: Arc<dyn Outbound>,
    state: Mutex<SessionState>,
    /// Requests being served, by the client's raw id, so `notifications/cancelled` can abort them.
    /// A batch also holds one entry of its own (see `BATCH_KEY`) from the moment it is accepted.
    in_flight: Mutex<HashMap<String, Option<AbortHandle>>>,
    /// Open `subscriptions/listen` streams (2026-07-28), by the listen request's raw id. They
    /// are cancellable like requests but do not hold the in-flight budget: a stream lives until
    /// the client cancels it, and reading must go on meanwhile.
    listens: Mutex<HashMap<String, AbortHandle>>,
    /// Woken whenever a request leaves `in_flight`.
    finished: Notify,
    initialized: AtomicBool,
    closed: AtomicBool,
    /// Requests sent to the client, waiting for its answers.
    client_requests: ClientRequests,
    era: AtomicU8,
    /// Set before anything is registered that closing must end (a request in flight, a listen
    /// stream, a request to the client): a session that never held one closes with a store,
    /// which is most stateless requests (answered inline).
    held: AtomicBool,
    /// A session of one stateless request (HTTP at 2026-07-28): it ends with its response.
    stateless: bool,
    /// This session's own `Arc` (set by [`Session::shared`]), so that the transport port can
    /// hand the engine the session itself and the engine still keep it alive for its requests.
    me: Weak<Session>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Session {
    pub(crate) fn new(id: u64, outbound: Arc<dyn Outbound>) -> Session {
        Session::made(id, outbound, false, Era::Undecided, Weak::new())
    }

    fn made(id: u64, outbound: Arc<dyn Outbound>, stateless: bool, era: Era, me: Weak<Session>) -> Session {
        Session {
            id,
            outbound,
            state: Mutex::new(SessionState::default()),
            in_flight: Mutex::new(HashMap::new()),
            listens: Mutex::new(HashMap::new()),
            finished: Notify::new(),
            initialized: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            client_requests: ClientRequests::default(),
            era: AtomicU8::new(era.as_u8()),
            held: AtomicBool::new(false),
            stateless,
            me,
        }
    }

    /// `session` shared, knowing its own `Arc` ([`Session::arc`]).
    pub(crate) fn shared(session: Session) -> Arc<Session> {
        Arc::new_cyclic(|me| Session {
            me: me.clone(),
            ..session
        })
    }

    /// This session's `Arc`, for a session made by [`Session::shared`] (`None` otherwise).
    pub(crate) fn arc(&self) -> Option<Arc<Session>> {
        self.me.upgrade()
    }

    /// A session for one request of the 2026-07-28 era on a transport without sessions, shared
    /// as [`Session::shared`] makes it (built in place: one is made per request).
    pub(crate) fn stateless(id: u64, outbound: Arc<dyn Outbound>) -> Arc<Session> {
        Arc::new_cyclic(|me| Session::made(id, outbound, true, Era::Modern, me.clone()))
    }

    /// The protocol era of this session.
    pub fn era(&self) -> Era {
        Era::from_u8(self.era.load(Ordering::Acquire))
    }

    pub(crate) fn set_era(&self, era: Era) {
        self.era.store(era.as_u8(), Ordering::Release);
    }

    /// True for the session of one stateless request (HTTP, 2026-07-28).
    pub fn is_stateless(&self) -> bool {
        self.stateless
    }

    /// The engine's number for this session (not the HTTP session id).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The negotiated protocol version, once `initialize` was answered.
    pub fn protocol_version(&self) -> Option<ProtocolVersion> {
        lock(&self.state).protocol_version
    }

    pub(crate) fn set_negotiated(&self, version: ProtocolVersion, client_name: Option<String>) {
        let mut state = lock(&self.state);
        state.protocol_version = Some(version);
        state.client_name = client_name;
    }

    pub(crate) fn set_accepts_views(&self, accepts: bool) {
        lock(&self.state).accepts_views = accepts;
    }

    /// True when the client renders MCP Apps views (it declared the extension in `initialize`).
    pub fn accepts_views(&self) -> bool {
        lock(&self.state).accepts_views
    }

    pub(crate) fn set_elicitation(&self, form: bool) {
        lock(&self.state).elicitation = form;
    }

    /// True when the client can ask its user through a form (`elicitation` in `initialize`).
    pub fn supports_elicitation(&self) -> bool {
        lock(&self.state).elicitation
    }

    /// Sends a request to the client through `sink` (the stream of the client's request it
    /// serves) and waits at most `timeout` for the answer.
    pub(crate) async fn request_client(
        &self,
        sink: &dyn Outbound,
        method: &str,
        params: &Value,
        timeout: std::time::Duration,
    ) -> Result<Value, ClientRequestError> {
        // Marked before closing is checked, and `close` stores before it reads the mark: one of
        // the two always sees the other.
        self.held.store(true, Ordering::SeqCst);
        if self.closed.load(Ordering::SeqCst) {
            return Err(ClientRequestError::Closed);
        }
        self.client_requests.request(sink, method, params, timeout).await
    }

    /// Hands a response of the client to the request of ours it answers.
    pub(crate) fn deliver_client_answer(
        &self,
        id: &str,
        result: Option<&serde_json::value::RawValue>,
        error: Option<&serde_json::value::RawValue>,
    ) {
        if !self.client_requests.deliver(id, result, error) {
            tracing::debug!(id, "a response to no request of ours (late or unknown); dropped");
        }
    }

    /// The client's name from `initialize`.
    pub fn client_name(&self) -> Option<String> {
        lock(&self.state).client_name.clone()
    }

    pub(crate) fn mark_initialized(&self) {
        self.initialized.store(true, Ordering::Release);
    }

    /// True after `notifications/initialized`.
    pub fn is_initialized(&self) -> bool {
        self.initialized.load(Ordering::Acquire)
    }

    pub(crate) fn set_log_level(&self, level: LogLevel) {
        lock(&self.state).log_level = Some(level);
    }

    /// Subscribes to `uri`; false when the session already holds `max` other subscriptions.
    pub(crate) fn subscribe(&self, uri: &str, max: usize) -> bool {
        let mut state = lock(&self.state);
        if state.subscriptions.contains(uri) {
            return true;
        }
        if state.subscriptions.len() >= max {
            return false;
        }
        state.subscriptions.insert(uri.to_owned());
        true
    }

    pub(crate) fn unsubscribe(&self, uri: &str) {
        lock(&self.state).subscriptions.remove(uri);
    }

    pub(crate) fn is_subscribed(&self, uri: &str) -> bool {
        lock(&self.state).subscriptions.contains(uri)
    }

    /// Sends a message on the session's own stream.
    pub(crate) fn send(&self, message: String) {
        if !self.closed.load(Ordering::Acquire) {
            self.outbound.send(message);
        }
    }

    /// Sends `notifications/message` when the client asked for this level or more.
    pub fn log(&self, level: LogLevel, logger: &str, data: Value) {
        self.log_to(&*self.outbound, level, logger, data);
    }

    /// Sends a `notifications/message` that matters to the person at the client (a fired price
    /// alert): sent unless the client set its level (`logging/setLevel`) above `level`, and only
    /// once the session is initialized. Returns whether it was sent.
    pub(crate) fn announce(&self, level: LogLevel, logger: &str, data: &Value) -> bool {
        let wanted = lock(&self.state).log_level;
        let sent =
            self.protocol_version().is_some() && !self.is_closed() && wanted.is_none_or(|min| level >= min);
        if sent {
            self.outbound.send(envelope::notification(
                "notifications/message",
                &json!({ "level": level.as_str(), "logger": logger, "data": data }),
            ));
        }
        sent
    }

    pub(crate) fn log_to(&self, sink: &dyn Outbound, level: LogLevel, logger: &str, data: Value) {
        let wanted = lock(&self.state).log_level;
        if wanted.is_some_and(|min| level >= min) && !self.closed.load(Ordering::Acquire) {
            sink.send(log_message(level, logger, data));
        }
    }

    pub(crate) fn begin_request(&self, key: &str) {
        self.held.store(true, Ordering::SeqCst);
        lock(&self.in_flight).insert(key.to_owned(), None);
    }

    /// True while a request with this raw id is being served.
    pub(crate) fn is_in_flight(&self, key: &str) -> bool {
        lock(&self.in_flight).contains_key(key)
    }

    pub(crate) fn attach_abort(&self, key: &str, handle: AbortHandle) {
        if let Some(slot) = lock(&self.in_flight).get_mut(key) {
            *slot = Some(handle);
        }
    }

    pub(crate) fn end_request(&self, key: &str) {
        lock(&self.in_flight).remove(key);
        self.finished.notify_waiters();
    }

    /// Aborts an in-flight request or ends a listen stream; true when one was found.
    pub(crate) fn cancel(&self, key: &str) -> bool {
        if let Some(handle) = lock(&self.listens).remove(key) {
            handle.abort();
            return true;
        }
        let found = match lock(&self.in_flight).remove(key) {
            Some(Some(handle)) => {
                handle.abort();
                true
            }
            Some(None) => true,
            None => false,
        };
        self.finished.notify_waiters();
        found
    }

    /// Records an open listen stream (its task's abort handle); false when the session already
    /// holds `max` streams.
    pub(crate) fn add_listen(&self, key: &str, handle: AbortHandle, max: usize) -> bool {
        self.held.store(true, Ordering::SeqCst);
        let mut listens = lock(&self.listens);
        if listens.len() >= max {
            return false;
        }
        listens.insert(key.to_owned(), handle);
        true
    }

    /// Open listen streams.
    pub fn listens(&self) -> usize {
        lock(&self.listens).len()
    }

    /// True while a request or a listen stream with this raw id is open.
    pub(crate) fn id_in_use(&self, key: &str) -> bool {
        self.is_in_flight(key) || lock(&self.listens).contains_key(key)
    }

    /// Number of requests being served (a batch counts from the moment it is accepted).
    pub fn in_flight(&self) -> usize {
        lock(&self.in_flight).len()
    }

    /// Waits until fewer than `limit` requests are in flight (or the session is closed); a
    /// `limit` of 0 counts as 1 (nothing in flight), so only a session holding a request ever
    /// waits here, which `close` relies on.
    pub async fn below(&self, limit: usize) {
        let limit = limit.max(1);
        loop {
            let finished = self.finished.notified();
            tokio::pin!(finished);
            finished.as_mut().enable();
            if self.in_flight() < limit || self.is_closed() {
                return;
            }
            finished.await;
        }
    }

    /// Waits until nothing is in flight: every accepted request, batch included, was answered.
    pub async fn drained(&self) {
        self.below(1).await;
    }

    /// Ends the session: aborts what is in flight and drops later messages.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        if !self.held.load(Ordering::SeqCst) {
            // Nothing was ever registered: nothing to abort, and nobody waits (`below` waits
            // only while something is in flight).
            return;
        }
        self.client_requests.close();
        for (_, handle) in lock(&self.in_flight).drain() {
            if let Some(handle) = handle {
                handle.abort();
            }
        }
        for (_, handle) in lock(&self.listens).drain() {
            handle.abort();
        }
        self.finished.notify_waiters();
    }

    /// True once closed.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn closing_ends_what_a_session_held_and_a_session_that_held_nothing_closes_alike() {
        let out: Arc<dyn Outbound> = Arc::new(crate::testing::CollectingOutbound::new());
        // Held nothing: closed, and nothing can be registered with the client afterwards.
        let idle = Session::stateless(next_id(), out.clone());
        idle.close();
        assert!(idle.is_closed());
        let asked = idle
            .request_client(
                &*out,
                "elicitation/create",
                &json!({}),
                std::time::Duration::from_secs(5),
            )
            .await;
        assert!(matches!(asked, Err(ClientRequestError::Closed)), "{asked:?}");
        // A request in flight and a listen stream: both aborted, and a waiter for the session
        // to drain wakes.
        let busy = Session::stateless(next_id(), out.clone());
        busy.begin_request("1");
        let request = tokio::spawn(std::future::pending::<()>());
        busy.attach_abort("1", request.abort_handle());
        let listen = tokio::spawn(std::future::pending::<()>());
        assert!(busy.add_listen("2", listen.abort_handle(), 4));
        let waiter = {
            let busy = busy.clone();
            tokio::spawn(async move { busy.drained().await })
        };
        tokio::task::yield_now().await;
        busy.close();
        assert!(request.await.unwrap_err().is_cancelled());
        assert!(listen.await.unwrap_err().is_cancelled());
        tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .expect("the waiter woke")
            .unwrap();
        assert_eq!((busy.in_flight(), busy.listens()), (0, 0));
    }

    #[test]
    fn session_numbers_are_unique_across_threads_and_blocks() {
        let numbers: Vec<u64> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..4)
                .map(|_| scope.spawn(|| (0..3000).map(|_| next_id()).collect::<Vec<_>>()))
                .collect();
            handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
        });
        let unique: std::collections::HashSet<u64> = numbers.iter().copied().collect();
        assert_eq!(unique.len(), numbers.len(), "no number given twice");
        assert!(!unique.contains(&0));
    }
}
