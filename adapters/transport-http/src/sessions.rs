//! HTTP sessions: the engine's session plus the streams that carry its messages, with event ids
//! so a client can resume a stream with `Last-Event-ID`.
//!
//! Budgets kept here:
//! - bytes retained for resumption, per session and across all sessions: beyond either, the
//!   oldest events are dropped (never the one just sent), and a resume from before them is
//!   answered with a clear error rather than a silent gap;
//! - a live connection that stops reading is cut off once [`LIVE_QUEUE`] events wait for it (its
//!   events stay retained for a resume), so a slow reader never makes the server queue without
//!   bound;
//! - sessions at once and per client address: a new session takes the place of the least
//!   recently used one that is idle (then of one that only holds a stream), so a flood of
//!   `initialize` calls or of `/sse` streams cannot lock new clients out.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Instant;

use tokio::sync::mpsc;
use ttai_core::ports::{FrameSession, Outbound};

/// Events kept per stream for resumption.
const KEEP_EVENTS: usize = 256;
/// Streams kept per session (older finished ones are dropped).
const KEEP_STREAMS: usize = 64;
/// Events that may wait for a live connection before it counts as stalled and is cut off.
pub(crate) const LIVE_QUEUE: usize = 64;
/// The standalone (GET) stream's name.
pub(crate) const GET_STREAM: &str = "g";
/// The legacy HTTP+SSE stream's name.
pub(crate) const LEGACY_STREAM: &str = "l";

/// One server-sent event: its id and its JSON-RPC message (or an empty priming event). The data
/// is shared between the retained copy and the live connection.
#[derive(Clone, Debug)]
pub(crate) struct SseItem {
    pub(crate) id: String,
    pub(crate) event: Option<&'static str>,
    pub(crate) data: Arc<str>,
    /// True for the answer that ends a POST stream.
    pub(crate) last: bool,
}

/// A stream's recent events, and the connection it is live on, if any.
#[derive(Debug, Default)]
struct StreamState {
    next_seq: u64,
    /// (sequence number, session-wide order, event).
    events: VecDeque<(u64, u64, SseItem)>,
    /// The highest sequence number dropped from `events`; a resume from before it has a gap.
    dropped_through: u64,
    /// Events up to this sequence number reached a live connection.
    delivered: u64,
    live: Option<mpsc::Sender<SseItem>>,
    done: bool,
}

/// What a session's streams hold.
#[derive(Debug, Default)]
struct Streams {
    map: HashMap<String, StreamState>,
    /// Bytes of event data retained across the session's streams.
    bytes: usize,
    /// Session-wide event counter, to find the oldest event across streams.
    order: u64,
}

/// The retention budgets, shared by every session of a transport.
#[derive(Debug)]
pub(crate) struct Retention {
    /// Most bytes one session retains.
    pub(crate) per_session: usize,
    /// Most bytes all sessions retain together.
    pub(crate) total: usize,
    /// Bytes retained now, all sessions.
    pub(crate) used: AtomicUsize,
}

impl Retention {
    pub(crate) fn new(per_session: usize, total: usize) -> Arc<Retention> {
        Arc::new(Retention {
            per_session,
            total,
            used: AtomicUsize::new(0),
        })
    }
}

/// Why a stream cannot be resumed where the client asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Gap {
    /// The stream.
    pub(crate) stream: String,
    /// The first event still retained (`None`: none are).
    pub(crate) first_kept: Option<u64>,
}

/// Which protocol the session speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// Streamable HTTP (`/mcp`).
    Streamable,
    /// The 2024-11-05 HTTP+SSE pair (`/sse` + `/messages`).
    Legacy,
}

/// One HTTP session.
pub(crate) struct HttpSession {
    pub(crate) id: String,
    pub(crate) flavor: Flavor,
    /// The client address that opened it (per-client budget).
    pub(crate) client: Option<IpAddr>,
    /// The engine's session, set right after creation.
    core: Mutex<Option<Arc<dyn FrameSession>>>,
    last_seen: Mutex<Instant>,
    streams: Mutex<Streams>,
    next_stream: Mutex<u64>,
    retention: Arc<Retention>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl HttpSession {
    pub(crate) fn new(
        id: String,
        flavor: Flavor,
        client: Option<IpAddr>,
        retention: Arc<Retention>,
    ) -> HttpSession {
        HttpSession {
            id,
            flavor,
            client,
            core: Mutex::new(None),
            last_seen: Mutex::new(Instant::now()),
            streams: Mutex::new(Streams::default()),
            next_stream: Mutex::new(0),
            retention,
        }
    }

    pub(crate) fn set_core(&self, session: Arc<dyn FrameSession>) {
        *lock(&self.core) = Some(session);
    }

    pub(crate) fn core(&self) -> Option<Arc<dyn FrameSession>> {
        lock(&self.core).clone()
    }

    pub(crate) fn touch(&self) {
        *lock(&self.last_seen) = Instant::now();
    }

    pub(crate) fn idle_since(&self) -> Instant {
        *lock(&self.last_seen)
    }

    /// True while some stream is connected.
    pub(crate) fn has_live_stream(&self) -> bool {
        lock(&self.streams)
            .map
            .values()
            .any(|s| s.live.as_ref().is_some_and(|l| !l.is_closed()))
    }

    /// True while the engine is serving one of its requests.
    fn has_request_in_flight(&self) -> bool {
        self.core().is_some_and(|core| core.in_flight() > 0)
    }

    /// Bytes retained for resumption.
    #[cfg(test)]
    pub(crate) fn retained_bytes(&self) -> usize {
        lock(&self.streams).bytes
    }

    /// A fresh name for a POST stream.
    pub(crate) fn new_post_stream(&self) -> String {
        let mut n = lock(&self.next_stream);
        *n += 1;
        format!("p{n}")
    }

    /// True for the name of a POST stream this session opened (whether or not it is still kept).
    fn opened_post_stream(&self, stream: &str) -> bool {
        stream
            .strip_prefix('p')
            .and_then(|n| n.parse::<u64>().ok())
            .is_some_and(|n| n >= 1 && n <= *lock(&self.next_stream))
    }

    /// Appends a message to a stream and sends it if the stream is live.
    pub(crate) fn push(&self, stream: &str, event: Option<&'static str>, data: String, last: bool) {
        let mut streams = lock(&self.streams);
        self.make_room(&mut streams, stream);
        streams.order += 1;
        let order = streams.order;
        let size = data.len();
        let state = streams.map.entry(stream.to_owned()).or_default();
        state.next_seq += 1;
        let seq = state.next_seq;
        let item = SseItem {
            id: format!("{stream}-{seq}"),
            event,
            data: Arc::from(data),
            last,
        };
        state.events.push_back((seq, order, item.clone()));
        let mut dropped = 0;
        if state.events.len() > KEEP_EVENTS
            && let Some((old, _, old_item)) = state.events.pop_front()
        {
            state.dropped_through = old;
            dropped = old_item.data.len();
        }
        if last {
            state.done = true;
        }
        if let Some(live) = &state.live {
            match live.try_send(item) {
                Ok(()) => state.delivered = seq,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    // The client stopped reading: end its connection; the events stay retained
                    // (within budget) for a resume with Last-Event-ID.
                    tracing::debug!(session = %self.id, stream, "SSE client not reading; connection ended");
                    state.live = None;
                }
                Err(mpsc::error::TrySendError::Closed(_)) => state.live = None,
            }
        }
        streams.bytes += size;
        self.retention.used.fetch_add(size, Ordering::Relaxed);
        self.release(&mut streams, dropped);
        self.enforce_budget(&mut streams, stream, seq);
    }

    /// Before a stream `stream` is added: at [`KEEP_STREAMS`], drops the finished streams whose
    /// last event is oldest (releasing their bytes) until there is room. Streams still going
    /// are never dropped. Every place that adds a stream calls this (a POST's stream is added
    /// when it opens, before its first event), so a session keeps at most `KEEP_STREAMS` finished
    /// streams and each call costs the same however many POSTs came before.
    fn make_room(&self, streams: &mut Streams, stream: &str) {
        if streams.map.contains_key(stream) {
            return;
        }
        while streams.map.len() >= KEEP_STREAMS {
            let oldest = streams
                .map
                .iter()
                .filter(|(_, s)| s.done)
                .min_by_key(|(_, s)| s.events.back().map_or(0, |(_, order, _)| *order))
                .map(|(name, _)| name.clone());
            let Some(name) = oldest else { return };
            if let Some(state) = streams.map.remove(&name) {
                let bytes: usize = state.events.iter().map(|(_, _, e)| e.data.len()).sum();
                self.release(streams, bytes);
            }
        }
    }

    /// Forgets `bytes` of retained data.
    fn release(&self, streams: &mut Streams, bytes: usize) {
        streams.bytes = streams.bytes.saturating_sub(bytes);
        self.retention.used.fetch_sub(bytes, Ordering::Relaxed);
    }

    /// Drops the oldest events (never `keep`, the one just pushed) while the session is over its
    /// budget or all sessions together are over theirs.
    fn enforce_budget(&self, streams: &mut Streams, keep_stream: &str, keep_seq: u64) {
        loop {
            let over = streams.bytes > self.retention.per_session
                || self.retention.used.load(Ordering::Relaxed) > self.retention.total;
            if !over {
                return;
            }
            // The name is copied once, for the stream chosen, not for every candidate.
            let oldest = streams
                .map
                .iter()
                .filter_map(|(name, s)| {
                    let (seq, order, _) = s.events.front()?;
                    (!(name == keep_stream && *seq == keep_seq)).then_some((*order, name))
                })
                .min()
                .map(|(_, name)| name.clone());
            let Some(name) = oldest else { return };
            let mut freed = 0;
            let mut remove = false;
            if let Some(state) = streams.map.get_mut(&name)
                && let Some((seq, _, item)) = state.events.pop_front()
            {
                state.dropped_through = seq;
                freed = item.data.len();
                remove = state.done && state.events.is_empty();
            }
            if remove {
                streams.map.remove(&name);
            }
            self.release(streams, freed);
        }
    }

    /// Opens a new stream (a POST's, the legacy stream) live from its first event.
    pub(crate) fn open_stream(&self, stream: &str) -> mpsc::Receiver<SseItem> {
        let mut streams = lock(&self.streams);
        self.make_room(&mut streams, stream);
        let state = streams.map.entry(stream.to_owned()).or_default();
        let (tx, rx) = mpsc::channel(LIVE_QUEUE);
        state.live = Some(tx);
        rx
    }

    /// Connects a stream: replays its events after `after` (or everything not yet delivered) and
    /// returns the receiver of what follows. A finished stream ends after the replay.
    ///
    /// # Errors
    /// A [`Gap`] when events after `after` were already dropped (retention budget).
    pub(crate) fn attach(
        &self,
        stream: &str,
        after: Option<u64>,
    ) -> Result<(Vec<SseItem>, Option<mpsc::Receiver<SseItem>>), Gap> {
        let mut streams = lock(&self.streams);
        if after.is_some() && !streams.map.contains_key(stream) && self.opened_post_stream(stream) {
            return Err(Gap {
                stream: stream.to_owned(),
                first_kept: None,
            });
        }
        self.make_room(&mut streams, stream);
        let state = streams.map.entry(stream.to_owned()).or_default();
        if let Some(after) = after
            && after < state.dropped_through
        {
            return Err(Gap {
                stream: stream.to_owned(),
                first_kept: state.events.front().map(|(seq, _, _)| *seq),
            });
        }
        let from = after.unwrap_or(state.delivered);
        let replay: Vec<SseItem> = state
            .events
            .iter()
            .filter(|(seq, _, _)| *seq > from)
            .map(|(_, _, item)| item.clone())
            .collect();
        if let Some((seq, _, _)) = state.events.back() {
            state.delivered = *seq;
        }
        if state.done {
            return Ok((replay, None));
        }
        let (tx, rx) = mpsc::channel(LIVE_QUEUE);
        state.live = Some(tx);
        Ok((replay, Some(rx)))
    }

    /// Whether a stream of this name exists or existed.
    pub(crate) fn knows_stream(&self, stream: &str) -> bool {
        lock(&self.streams).map.contains_key(stream) || self.opened_post_stream(stream)
    }

    /// Disconnects every live stream (session end, shutdown).
    pub(crate) fn close_streams(&self) {
        for state in lock(&self.streams).map.values_mut() {
            state.live = None;
        }
    }

    /// Drops everything retained (the session ended).
    pub(crate) fn forget_streams(&self) {
        let mut streams = lock(&self.streams);
        let bytes = streams.bytes;
        streams.map.clear();
        self.release(&mut streams, bytes);
    }
}

/// The engine's unsolicited messages (resource updates, logs) for one session: the GET stream
/// for Streamable HTTP, the one SSE stream for the legacy transport.
pub(crate) struct StandaloneSink(pub(crate) Weak<HttpSession>);

impl Outbound for StandaloneSink {
    fn send(&self, message: String) {
        if let Some(session) = self.0.upgrade() {
            match session.flavor {
                Flavor::Streamable => session.push(GET_STREAM, None, message, false),
                Flavor::Legacy => session.push(LEGACY_STREAM, Some("message"), message, false),
            }
        }
    }
}

/// True for a JSON-RPC answer (not a notification): the engine writes answers as
/// `{"jsonrpc":"2.0","id":...` and batch answers as arrays.
pub(crate) fn is_answer(message: &str) -> bool {
    message.starts_with("{\"jsonrpc\":\"2.0\",\"id\":") || message.starts_with('[')
}

/// Where a POST's messages go.
pub(crate) enum PostSink {
    /// JSON answer: the answer to the waiting handler, anything else to the GET stream.
    Json {
        session: Weak<HttpSession>,
        answer: Mutex<Option<tokio::sync::oneshot::Sender<String>>>,
    },
    /// SSE answer: everything on the POST's own stream, which ends after the answer.
    Sse {
        session: Arc<HttpSession>,
        stream: String,
    },
}

impl Outbound for PostSink {
    fn send(&self, message: String) {
        match self {
            PostSink::Json { session, answer } => {
                if is_answer(&message) {
                    if let Some(tx) = lock(answer).take() {
                        let _ = tx.send(message);
                    }
                } else if let Some(session) = session.upgrade() {
                    session.push(GET_STREAM, None, message, false);
                }
            }
            PostSink::Sse { session, stream } => {
                let last = is_answer(&message);
                session.push(stream, None, message, last);
            }
        }
    }
}

/// The session budgets.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SessionLimits {
    /// Most sessions at once.
    pub(crate) total: usize,
    /// Most sessions per client address.
    pub(crate) per_client: usize,
}

/// Why a new session could not be made room for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Full;

/// The session table.
#[derive(Default)]
pub(crate) struct Sessions {
    map: Mutex<HashMap<String, Arc<HttpSession>>>,
}

impl Sessions {
    pub(crate) fn get(&self, id: &str) -> Option<Arc<HttpSession>> {
        lock(&self.map).get(id).cloned()
    }

    /// Adds `session`, first making room within `limits`: the least recently used session of
    /// the same client (when the client is at its budget) or of all (when the table is full)
    /// that is idle goes first, then one that only holds a stream. Sessions with a request in
    /// flight are never evicted: when all are busy the new session is refused. Returns the
    /// evicted sessions, for the caller to close.
    pub(crate) fn insert(
        &self,
        session: Arc<HttpSession>,
        limits: SessionLimits,
    ) -> Result<Vec<Arc<HttpSession>>, Full> {
        let mut map = lock(&self.map);
        let mut evicted = Vec::new();
        let client = session.client;
        let same_client = |s: &HttpSession| client.is_some() && s.client == client;
        if map.values().filter(|s| same_client(s)).count() >= limits.per_client {
            let victim = least_recently_used(map.values().filter(|s| same_client(s))).ok_or(Full)?;
            map.remove(&victim.id);
            evicted.push(victim);
        }
        if map.len() >= limits.total {
            let victim = least_recently_used(map.values()).ok_or(Full)?;
            map.remove(&victim.id);
            evicted.push(victim);
        }
        map.insert(session.id.clone(), session);
        Ok(evicted)
    }

    pub(crate) fn remove(&self, id: &str) -> Option<Arc<HttpSession>> {
        lock(&self.map).remove(id)
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        lock(&self.map).len()
    }

    /// Sessions idle longer than `idle` with no live stream.
    pub(crate) fn expired(&self, idle: std::time::Duration) -> Vec<Arc<HttpSession>> {
        let now = Instant::now();
        lock(&self.map)
            .values()
            .filter(|s| now.duration_since(s.idle_since()) > idle && !s.has_live_stream())
            .cloned()
            .collect()
    }

    pub(crate) fn all(&self) -> Vec<Arc<HttpSession>> {
        lock(&self.map).values().cloned().collect()
    }
}

/// The eviction candidate among `sessions`: idle ones (no stream, nothing in flight) before
/// those that hold a stream, least recently used first; never one with a request in flight.
fn least_recently_used<'a>(sessions: impl Iterator<Item = &'a Arc<HttpSession>>) -> Option<Arc<HttpSession>> {
    sessions
        .filter(|s| !s.has_request_in_flight())
        .min_by_key(|s| (s.has_live_stream(), s.idle_since()))
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retention() -> Arc<Retention> {
        Retention::new(1 << 20, 1 << 30)
    }

    fn session(id: &str) -> HttpSession {
        HttpSession::new(id.into(), Flavor::Streamable, None, retention())
    }

    #[tokio::test]
    async fn a_stream_replays_what_its_client_missed() {
        let session = session("s");
        session.push("p1", None, "a".into(), false);
        session.push("p1", None, "b".into(), false);
        let (replay, rx) = session.attach("p1", Some(1)).unwrap();
        assert_eq!(replay.iter().map(|i| &*i.data).collect::<Vec<_>>(), ["b"]);
        let mut rx = rx.unwrap();
        session.push(
            "p1",
            None,
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}".into(),
            true,
        );
        let next = rx.recv().await.unwrap();
        assert!(next.last);
        assert_eq!(next.id, "p1-3");
        let (replay, rx) = session.attach("p1", Some(2)).unwrap();
        assert_eq!(replay.len(), 1);
        assert!(rx.is_none(), "a finished stream ends after the replay");
    }

    #[test]
    fn undelivered_standalone_messages_wait_for_the_get_stream() {
        let session = session("s");
        session.push(GET_STREAM, None, "one".into(), false);
        let (replay, _rx) = session.attach(GET_STREAM, None).unwrap();
        assert_eq!(replay.len(), 1);
        let (replay, _rx) = session.attach(GET_STREAM, None).unwrap();
        assert!(replay.is_empty(), "delivered once");
    }

    #[test]
    fn answers_are_told_from_notifications() {
        assert!(is_answer(r#"{"jsonrpc":"2.0","id":1,"result":{}}"#));
        assert!(is_answer(r#"[{"jsonrpc":"2.0","id":1,"result":{}}]"#));
        assert!(!is_answer(
            r#"{"jsonrpc":"2.0","method":"notifications/progress","params":{}}"#
        ));
    }

    #[test]
    fn retained_bytes_stay_within_the_session_budget_and_a_resume_past_them_is_a_gap() {
        // Regression: 64 finished streams per session were kept in full, with no byte cap.
        let shared = Retention::new(10_000, 1 << 30);
        let session = HttpSession::new("s".into(), Flavor::Streamable, None, shared.clone());
        for n in 1..=64 {
            let stream = session.new_post_stream();
            assert_eq!(stream, format!("p{n}"));
            session.push(&stream, None, format!("[{}]", "x".repeat(3_000)), true);
        }
        assert!(session.retained_bytes() <= 10_000, "{}", session.retained_bytes());
        assert_eq!(shared.used.load(Ordering::Relaxed), session.retained_bytes());
        // The newest answers are kept; the oldest were dropped and say so.
        let (replay, _) = session.attach("p64", Some(0)).unwrap();
        assert_eq!(replay.len(), 1);
        assert_eq!(
            session.attach("p1", Some(0)).unwrap_err(),
            Gap {
                stream: "p1".into(),
                first_kept: None
            }
        );
        // One event bigger than the budget is still delivered (it is never the one dropped).
        let stream = session.new_post_stream();
        let rx = session.open_stream(&stream);
        session.push(&stream, None, format!("[{}]", "y".repeat(50_000)), true);
        let mut rx = rx;
        assert_eq!(rx.try_recv().unwrap().data.len(), 50_002);
        session.forget_streams();
        assert_eq!(shared.used.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn a_session_keeps_its_newest_finished_post_streams_however_many_it_opened() {
        // Regression: a POST's stream is added when it opens, and the limit on kept streams was
        // applied only to streams added by their first event, so a session answering in SSE kept
        // every stream until the byte budget dropped them, and each answer then scanned them all.
        let shared = Retention::new(1 << 30, 1 << 30);
        let session = HttpSession::new("s".into(), Flavor::Streamable, None, shared.clone());
        for n in 1..=500 {
            let stream = session.new_post_stream();
            let mut rx = session.open_stream(&stream);
            session.push(&stream, None, format!("[{n}]"), true);
            assert_eq!(
                rx.try_recv().unwrap().data.as_ref(),
                format!("[{n}]"),
                "delivered live"
            );
        }
        assert_eq!(lock(&session.streams).map.len(), KEEP_STREAMS);
        // The newest are kept, the oldest dropped (and a resume of one says so).
        let (replay, _) = session.attach("p500", Some(0)).unwrap();
        assert_eq!(replay[0].data.as_ref(), "[500]");
        let (replay, _) = session
            .attach(&format!("p{}", 500 - KEEP_STREAMS + 1), Some(0))
            .unwrap();
        assert_eq!(replay.len(), 1);
        assert!(session.attach("p1", Some(0)).is_err());
        assert_eq!(shared.used.load(Ordering::Relaxed), session.retained_bytes());
        // A stream still going is never dropped to make room.
        let going = session.new_post_stream();
        let _live = session.open_stream(&going);
        session.push(&going, None, "[progress]".into(), false);
        for _ in 0..2 * KEEP_STREAMS {
            let stream = session.new_post_stream();
            session.open_stream(&stream);
            session.push(&stream, None, "[x]".into(), true);
        }
        assert!(session.knows_stream(&going));
        assert_eq!(session.attach(&going, Some(0)).unwrap().0.len(), 1);
    }

    #[test]
    fn all_sessions_together_stay_within_the_total_budget() {
        let shared = Retention::new(1 << 20, 20_000);
        let sessions: Vec<HttpSession> = (0..8)
            .map(|i| HttpSession::new(format!("s{i}"), Flavor::Streamable, None, shared.clone()))
            .collect();
        for _ in 0..20 {
            for session in &sessions {
                let stream = session.new_post_stream();
                session.push(&stream, None, "z".repeat(2_000), true);
            }
        }
        let used = shared.used.load(Ordering::Relaxed);
        assert!(used <= 20_000 + 8 * 2_000, "{used}");
        assert_eq!(
            used,
            sessions.iter().map(HttpSession::retained_bytes).sum::<usize>()
        );
    }

    #[tokio::test]
    async fn a_live_stream_that_is_not_read_is_cut_off_not_queued_without_bound() {
        let session = session("s");
        let (_, rx) = session.attach(GET_STREAM, None).unwrap();
        let mut rx = rx.unwrap();
        for i in 0..LIVE_QUEUE + 10 {
            session.push(GET_STREAM, None, format!("m{i}"), false);
        }
        assert!(!session.has_live_stream(), "cut off once its queue was full");
        let mut got = 0;
        while rx.recv().await.is_some() {
            got += 1;
        }
        assert_eq!(
            got, LIVE_QUEUE,
            "what was queued is delivered, then the stream ends"
        );
        let (replay, _) = session.attach(GET_STREAM, Some(LIVE_QUEUE as u64)).unwrap();
        assert_eq!(replay.len(), 10, "the rest waits for a resume");
    }

    #[test]
    fn a_new_session_takes_the_place_of_the_least_recently_used_idle_one() {
        // Regression: 256 initialize calls, or 256 open /sse streams, locked new clients out.
        let sessions = Sessions::default();
        let limits = SessionLimits {
            total: 3,
            per_client: 2,
        };
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let make = |id: &str, client: IpAddr| {
            Arc::new(HttpSession::new(
                id.into(),
                Flavor::Streamable,
                Some(client),
                retention(),
            ))
        };
        let streaming = make("a1", a);
        let _rx = streaming.attach(GET_STREAM, None).unwrap();
        assert!(sessions.insert(streaming, limits).unwrap().is_empty());
        assert!(sessions.insert(make("a2", a), limits).unwrap().is_empty());
        // A's third session replaces A's idle one, not the one holding a stream.
        let evicted = sessions.insert(make("a3", a), limits).unwrap();
        assert_eq!(evicted.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["a2"]);
        assert!(sessions.insert(make("b1", b), limits).unwrap().is_empty());
        // The table is full: B's next session replaces the least recently used idle one.
        std::thread::sleep(std::time::Duration::from_millis(2));
        sessions.get("a3").unwrap().touch();
        let evicted = sessions.insert(make("b2", b), limits).unwrap();
        assert_eq!(evicted.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["b1"]);
        assert_eq!(sessions.len(), 3);
    }
}
