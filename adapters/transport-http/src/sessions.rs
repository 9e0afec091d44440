//! HTTP sessions: the engine's session plus the streams that carry its messages, with event ids
//! so a client can resume a stream with `Last-Event-ID`.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Instant;

use tokio::sync::mpsc;
use ttai_core::mcp::{Outbound, Session};

/// Events kept per stream for resumption.
const KEEP_EVENTS: usize = 256;
/// Streams kept per session (older finished ones are dropped).
const KEEP_STREAMS: usize = 64;
/// The standalone (GET) stream's name.
pub(crate) const GET_STREAM: &str = "g";
/// The legacy HTTP+SSE stream's name.
pub(crate) const LEGACY_STREAM: &str = "l";

/// One server-sent event: its id and its JSON-RPC message (or an empty priming event).
#[derive(Clone, Debug)]
pub(crate) struct SseItem {
    pub(crate) id: String,
    pub(crate) event: Option<&'static str>,
    pub(crate) data: String,
    /// True for the answer that ends a POST stream.
    pub(crate) last: bool,
}

/// A stream's recent events, and the connection it is live on, if any.
#[derive(Debug, Default)]
struct StreamState {
    next_seq: u64,
    events: VecDeque<(u64, SseItem)>,
    /// Events up to this sequence number reached a live connection.
    delivered: u64,
    live: Option<mpsc::UnboundedSender<SseItem>>,
    done: bool,
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
    /// The engine's session, set right after creation.
    core: Mutex<Option<Arc<Session>>>,
    last_seen: Mutex<Instant>,
    streams: Mutex<HashMap<String, StreamState>>,
    next_stream: Mutex<u64>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl HttpSession {
    pub(crate) fn new(id: String, flavor: Flavor) -> HttpSession {
        HttpSession {
            id,
            flavor,
            core: Mutex::new(None),
            last_seen: Mutex::new(Instant::now()),
            streams: Mutex::new(HashMap::new()),
            next_stream: Mutex::new(0),
        }
    }

    pub(crate) fn set_core(&self, session: Arc<Session>) {
        *lock(&self.core) = Some(session);
    }

    pub(crate) fn core(&self) -> Option<Arc<Session>> {
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
            .values()
            .any(|s| s.live.as_ref().is_some_and(|l| !l.is_closed()))
    }

    /// A fresh name for a POST stream.
    pub(crate) fn new_post_stream(&self) -> String {
        let mut n = lock(&self.next_stream);
        *n += 1;
        format!("p{n}")
    }

    /// Appends a message to a stream and sends it if the stream is live.
    pub(crate) fn push(&self, stream: &str, event: Option<&'static str>, data: String, last: bool) {
        let mut streams = lock(&self.streams);
        if !streams.contains_key(stream) && streams.len() >= KEEP_STREAMS {
            let finished: Vec<String> = streams
                .iter()
                .filter(|(_, s)| s.done)
                .map(|(k, _)| k.clone())
                .collect();
            for key in finished.into_iter().take(streams.len() + 1 - KEEP_STREAMS) {
                streams.remove(&key);
            }
        }
        let state = streams.entry(stream.to_owned()).or_default();
        state.next_seq += 1;
        let seq = state.next_seq;
        let item = SseItem {
            id: format!("{stream}-{seq}"),
            event,
            data,
            last,
        };
        state.events.push_back((seq, item.clone()));
        if state.events.len() > KEEP_EVENTS {
            state.events.pop_front();
        }
        if last {
            state.done = true;
        }
        if let Some(live) = &state.live {
            if live.send(item).is_ok() {
                state.delivered = seq;
            } else {
                state.live = None;
            }
        }
    }

    /// Connects a stream: replays its events after `after` (or everything not yet delivered) and
    /// returns the receiver of what follows. A finished stream ends after the replay.
    pub(crate) fn attach(
        &self,
        stream: &str,
        after: Option<u64>,
    ) -> (Vec<SseItem>, Option<mpsc::UnboundedReceiver<SseItem>>) {
        let mut streams = lock(&self.streams);
        let state = streams.entry(stream.to_owned()).or_default();
        let from = after.unwrap_or(state.delivered);
        let replay: Vec<SseItem> = state
            .events
            .iter()
            .filter(|(seq, _)| *seq > from)
            .map(|(_, item)| item.clone())
            .collect();
        if let Some((seq, _)) = state.events.back() {
            state.delivered = *seq;
        }
        if state.done {
            return (replay, None);
        }
        let (tx, rx) = mpsc::unbounded_channel();
        state.live = Some(tx);
        (replay, Some(rx))
    }

    /// Whether a stream of this name exists.
    pub(crate) fn has_stream(&self, stream: &str) -> bool {
        lock(&self.streams).contains_key(stream)
    }

    /// Disconnects every live stream (session end, shutdown).
    pub(crate) fn close_streams(&self) {
        for state in lock(&self.streams).values_mut() {
            state.live = None;
        }
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

/// The session table.
#[derive(Default)]
pub(crate) struct Sessions {
    map: Mutex<HashMap<String, Arc<HttpSession>>>,
}

impl Sessions {
    pub(crate) fn get(&self, id: &str) -> Option<Arc<HttpSession>> {
        lock(&self.map).get(id).cloned()
    }

    pub(crate) fn insert(&self, session: Arc<HttpSession>) {
        lock(&self.map).insert(session.id.clone(), session);
    }

    pub(crate) fn remove(&self, id: &str) -> Option<Arc<HttpSession>> {
        lock(&self.map).remove(id)
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_stream_replays_what_its_client_missed() {
        let session = HttpSession::new("s".into(), Flavor::Streamable);
        session.push("p1", None, "a".into(), false);
        session.push("p1", None, "b".into(), false);
        let (replay, rx) = session.attach("p1", Some(1));
        assert_eq!(replay.iter().map(|i| i.data.as_str()).collect::<Vec<_>>(), ["b"]);
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
        let (replay, rx) = session.attach("p1", Some(2));
        assert_eq!(replay.len(), 1);
        assert!(rx.is_none(), "a finished stream ends after the replay");
    }

    #[test]
    fn undelivered_standalone_messages_wait_for_the_get_stream() {
        let session = HttpSession::new("s".into(), Flavor::Streamable);
        session.push(GET_STREAM, None, "one".into(), false);
        let (replay, _rx) = session.attach(GET_STREAM, None);
        assert_eq!(replay.len(), 1);
        let (replay, _rx) = session.attach(GET_STREAM, None);
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
}
