//! Streamable HTTP for MCP 2026-07-28: stateless POSTs beside the session-based handshake era
//! (docs/mcp-2026-07-28.md, "HTTP").
//!
//! A POST is of the modern era when its `MCP-Protocol-Version` header names a version that is
//! not a handshake one, or when its body carries the 2026-07-28 envelope (an `initialize` never
//! does); it is decided before any session is looked at, and `Mcp-Session-Id` is then ignored.
//! Such a request gets a session of its own in the engine ([`McpServer::open_stateless`]),
//! closed when the response ends or the client goes away, which cancels what is still running.
//!
//! The answer is `application/json` when the result comes first (with the status of its error
//! code: 400 for -32700/-32600/-32602/-32020/-32021/-32022, 404 for -32601), and an SSE stream
//! when a notification comes first (progress, a log message the request asked for, a listen
//! stream's acknowledgement) or nothing has come within [`DEFER`]; each event is written in one
//! piece, without an SSE id (these streams are not resumable). A notification POST is 202. GET
//! and DELETE with a modern version header are 405.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};
use ttai_core::mcp::{FrameOutcome, Header, McpServer, Outbound, ProtocolVersion, RoutingHeaders, Session};
use warp::http::{HeaderMap, HeaderValue, StatusCode};
use warp::reply::Reply;

use super::sessions::LIVE_QUEUE;
use super::{Resp, plain};

/// How long a request may run before its answer is committed to an SSE stream (with keep-alive
/// comments), so that a proxy's idle timeout cannot cut a slow answer off.
const DEFER: Duration = Duration::from_secs(15);
/// Keep-alive comment interval on an SSE stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The body's text that marks the 2026-07-28 envelope.
const ENVELOPE_KEY: &str = "io.modelcontextprotocol/protocolVersion";

/// True when the request's `MCP-Protocol-Version` names a version that is not a handshake one.
pub(crate) fn has_modern_header(headers: &HeaderMap) -> bool {
    headers.get_all("mcp-protocol-version").iter().any(|v| {
        v.to_str()
            .map_or(true, |v| ProtocolVersion::parse(v.trim()).is_none())
    })
}

/// True when a POST belongs to the 2026-07-28 era: its version header says so, or its body is a
/// request (not `initialize`) with the envelope in `params._meta`.
pub(crate) fn is_modern(headers: &HeaderMap, body: &str) -> bool {
    if has_modern_header(headers) {
        return true;
    }
    // One scan on the handshake era's path; a parse only when the key's text is there.
    if !body.contains(ENVELOPE_KEY) {
        return false;
    }
    let Ok(message) = serde_json::from_str::<serde_json::Value>(body) else {
        return false;
    };
    message.get("method").and_then(|m| m.as_str()) != Some("initialize")
        && message
            .pointer("/params/_meta")
            .and_then(|meta| meta.get(ENVELOPE_KEY))
            .is_some()
}

/// One routing header: sent once, in visible ASCII (space and tab allowed inside), trimmed.
fn routing_header(headers: &HeaderMap, name: &str) -> Header {
    let mut values = headers.get_all(name).iter();
    let Some(value) = values.next() else {
        return Header::Absent;
    };
    if values.next().is_some() {
        return Header::Invalid;
    }
    let bytes = value.as_bytes();
    if bytes
        .iter()
        .any(|b| !(b.is_ascii_graphic() || *b == b' ' || *b == b'\t'))
    {
        return Header::Invalid;
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Header::Value(text.trim().to_owned()),
        Err(_) => Header::Invalid,
    }
}

fn routing_headers(headers: &HeaderMap) -> RoutingHeaders {
    RoutingHeaders {
        protocol_version: routing_header(headers, "mcp-protocol-version"),
        method: routing_header(headers, "mcp-method"),
        name: routing_header(headers, "mcp-name"),
    }
}

/// A refusal before the engine saw the request: a JSON-RPC error without an id (never `null`).
pub(crate) fn refuse(status: StatusCode, code: i32, message: &str) -> Resp {
    let body = serde_json::json!({"jsonrpc": "2.0", "error": {"code": code, "message": message}});
    plain(status, body.to_string())
}

/// GET or DELETE with a modern version header: the 2026-07-28 era has no session stream and
/// nothing to delete.
pub(crate) fn method_not_allowed() -> Resp {
    let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "");
    response
        .headers_mut()
        .insert("allow", HeaderValue::from_static("POST"));
    response
}

/// The HTTP status of an answer, from its JSON-RPC error code.
pub(crate) fn status_of(answer: &str) -> StatusCode {
    const HEAD: &str = "\"error\":{\"code\":";
    let code = answer.find(HEAD).and_then(|at| {
        let rest = answer.get(at + HEAD.len()..)?;
        let end = rest.find([',', '}'])?;
        rest.get(..end)?.trim().parse::<i32>().ok()
    });
    match code {
        Some(-32700 | -32600 | -32602 | -32020 | -32021 | -32022) => StatusCode::BAD_REQUEST,
        Some(-32601) => StatusCode::NOT_FOUND,
        _ => StatusCode::OK,
    }
}

/// True for an answer (a result or an error, with or without an id), not a notification.
fn is_answer(message: &str) -> bool {
    !message.starts_with("{\"jsonrpc\":\"2.0\",\"method\":")
}

/// Where a modern request's messages go: the answer to its own slot, notifications to a bounded
/// queue (a listen stream whose client stopped reading is ended as lost rather than queued
/// without bound; a request's progress beyond the queue is dropped, never its answer).
struct ModernSink {
    answer: Mutex<Option<oneshot::Sender<String>>>,
    events: mpsc::Sender<String>,
    lost: Arc<AtomicBool>,
}

impl Outbound for ModernSink {
    fn send(&self, message: String) {
        if is_answer(&message) {
            if let Some(tx) = self
                .answer
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take()
            {
                let _ = tx.send(message);
            }
        } else if let Err(mpsc::error::TrySendError::Full(_)) = self.events.try_send(message) {
            self.lost.store(true, Ordering::Release);
        }
    }
}

/// Closes the request's engine session when the response is done with it (or dropped because
/// the client went away): whatever still runs for it is cancelled.
struct SessionGuard {
    server: Arc<McpServer>,
    session: Arc<Session>,
}

impl Drop for SessionGuard {
    fn drop(&mut self) {
        self.server.close_session(&self.session);
    }
}

/// One SSE event, in one piece.
fn event(message: &str) -> Bytes {
    let mut frame = String::with_capacity(message.len() + 24);
    frame.push_str("event: message\ndata: ");
    frame.push_str(message);
    frame.push_str("\n\n");
    Bytes::from(frame)
}

/// Serves one POST of the modern era (`body` already read within the budgets).
pub(crate) async fn post(
    server: &Arc<McpServer>,
    headers: &HeaderMap,
    body: &str,
    json_ok: bool,
    sse_ok: bool,
) -> Resp {
    let routing = routing_headers(headers);
    let (answer_tx, mut answer_rx) = oneshot::channel();
    let (events_tx, mut events_rx) = mpsc::channel(LIVE_QUEUE);
    let lost = Arc::new(AtomicBool::new(false));
    let sink = Arc::new(ModernSink {
        answer: Mutex::new(Some(answer_tx)),
        events: events_tx,
        lost: lost.clone(),
    });
    let session = server.open_stateless(sink.clone());
    let guard = SessionGuard {
        server: server.clone(),
        session: session.clone(),
    };
    let outcome = server.handle_stateless(&session, body, &routing, sink);
    drop(session);
    let listening = match outcome {
        FrameOutcome::NoReply => return plain(StatusCode::ACCEPTED, ""),
        FrameOutcome::Listening if !sse_ok => {
            return refuse(
                StatusCode::NOT_ACCEPTABLE,
                -32600,
                "Not Acceptable: subscriptions/listen answers with text/event-stream; accept it",
            );
        }
        FrameOutcome::Listening => true,
        FrameOutcome::Answered | FrameOutcome::Pending => false,
    };
    // The first message decides the framing: the answer alone is JSON, a notification first
    // (or a long wait) makes a stream.
    let first = if listening {
        None
    } else if let Ok(answer) = answer_rx.try_recv() {
        // Answered on this thread; a notification sent before it still makes a stream.
        match events_rx.try_recv() {
            Ok(note) if sse_ok => return stream(Some(note), Some(answer), events_rx, None, guard, lost),
            _ => return answer_response(answer, json_ok),
        }
    } else {
        tokio::select! {
            biased;
            note = events_rx.recv() => note,
            answer = &mut answer_rx => match answer {
                Ok(answer) => return answer_response(answer, json_ok),
                Err(_) => return refuse(StatusCode::INTERNAL_SERVER_ERROR, -32603, "Internal error: the request ended without an answer"),
            },
            () = tokio::time::sleep(DEFER) => None,
        }
    };
    if !sse_ok {
        // A client that reads JSON only: its notifications cannot be delivered; wait for the answer.
        return match answer_rx.await {
            Ok(answer) => answer_response(answer, json_ok),
            Err(_) => refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                -32603,
                "Internal error: the request ended without an answer",
            ),
        };
    }
    stream(first, None, events_rx, Some(answer_rx), guard, lost)
}

/// The answer as `application/json` (or as a one-event stream for a client that reads only
/// `text/event-stream`), with the status of its error code.
fn answer_response(answer: String, json_ok: bool) -> Resp {
    let status = status_of(&answer);
    if !json_ok && status == StatusCode::OK {
        let mut response =
            warp::reply::stream(futures_util::stream::iter([Ok::<_, std::convert::Infallible>(
                event(&answer),
            )]))
            .into_response();
        sse_headers(&mut response);
        return response;
    }
    plain(status, answer)
}

fn sse_headers(response: &mut Resp) {
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static("text/event-stream"));
    headers.insert("cache-control", HeaderValue::from_static("no-cache"));
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
}

/// What an SSE body still has to send.
struct StreamState {
    first: Option<String>,
    /// An answer already in hand, sent after the queued notifications.
    ready: Option<String>,
    events: mpsc::Receiver<String>,
    events_open: bool,
    answer: Option<oneshot::Receiver<String>>,
    lost: Arc<AtomicBool>,
    done: bool,
    _guard: SessionGuard,
}

/// What the body waits for next.
enum Next {
    Note(String),
    EventsClosed,
    Answer(Option<String>),
    KeepAlive,
}

/// An SSE body: `first`, then notifications and keep-alive comments until the answer (which
/// ends it), the client leaves (dropping the body closes the session), or the listen stream is
/// lost (its client stopped reading). At shutdown a listen stream ends with its result
/// (`McpServer::end_listens`) and a request's stream with its answer within the drain period.
fn stream(
    first: Option<String>,
    ready: Option<String>,
    events: mpsc::Receiver<String>,
    answer: Option<oneshot::Receiver<String>>,
    guard: SessionGuard,
    lost: Arc<AtomicBool>,
) -> Resp {
    let state = StreamState {
        first,
        ready,
        events,
        events_open: true,
        answer,
        lost,
        done: false,
        _guard: guard,
    };
    let body = futures_util::stream::unfold(state, |mut state| async move {
        if state.done {
            return None;
        }
        if let Some(first) = state.first.take() {
            return Some((Ok::<_, std::convert::Infallible>(event(&first)), state));
        }
        if let Some(answer) = state.ready.take() {
            // Notifications sent before the answer go first.
            if let Ok(note) = state.events.try_recv() {
                state.ready = Some(answer);
                return Some((Ok(event(&note)), state));
            }
            state.done = true;
            return Some((Ok(event(&answer)), state));
        }
        loop {
            if state.lost.load(Ordering::Acquire) && state.events.is_empty() {
                return None;
            }
            if !state.events_open && state.answer.is_none() {
                return None;
            }
            let next = {
                let events_open = state.events_open;
                let events = &mut state.events;
                let answer = &mut state.answer;
                let answer = async move {
                    match answer {
                        Some(rx) => Next::Answer(rx.await.ok()),
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    biased;
                    note = events.recv(), if events_open => note.map_or(Next::EventsClosed, Next::Note),
                    next = answer => next,
                    () = tokio::time::sleep(KEEP_ALIVE) => Next::KeepAlive,
                }
            };
            match next {
                Next::Note(note) => return Some((Ok(event(&note)), state)),
                Next::EventsClosed => state.events_open = false,
                Next::Answer(answer) => {
                    state.answer = None;
                    let answer = answer?;
                    state.done = true;
                    return Some((Ok(event(&answer)), state));
                }
                Next::KeepAlive => return Some((Ok(Bytes::from_static(b": keep-alive\n\n")), state)),
            }
        }
    });
    let mut response = warp::reply::stream(body).into_response();
    sse_headers(&mut response);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_era_is_read_from_the_header_or_the_body() {
        let mut headers = HeaderMap::new();
        let modern_body = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}"#;
        let legacy_body = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
        assert!(is_modern(&headers, modern_body));
        assert!(!is_modern(&headers, legacy_body));
        let init = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#;
        assert!(
            !is_modern(&headers, init),
            "initialize without a modern header is the handshake"
        );
        headers.insert("mcp-protocol-version", HeaderValue::from_static("2025-11-25"));
        assert!(!is_modern(&headers, legacy_body));
        headers.insert("mcp-protocol-version", HeaderValue::from_static("2026-07-28"));
        assert!(is_modern(&headers, legacy_body));
        assert!(is_modern(&headers, init));
        headers.insert("mcp-protocol-version", HeaderValue::from_static("v999.0.0"));
        assert!(has_modern_header(&headers));
    }

    #[test]
    fn routing_headers_are_read_once_trimmed_and_in_visible_ascii() {
        let mut headers = HeaderMap::new();
        headers.insert("mcp-method", HeaderValue::from_static("  tools/call "));
        headers.append("mcp-name", HeaderValue::from_static("a"));
        headers.append("mcp-name", HeaderValue::from_static("b"));
        headers.insert(
            "mcp-protocol-version",
            HeaderValue::from_bytes(b"2026-07-28\xe9").unwrap(),
        );
        let read = routing_headers(&headers);
        assert_eq!(read.method, Header::Value("tools/call".into()));
        assert_eq!(read.name, Header::Invalid);
        assert_eq!(read.protocol_version, Header::Invalid);
    }

    #[test]
    fn statuses_follow_the_error_code() {
        for (answer, status) in [
            (r#"{"jsonrpc":"2.0","id":1,"result":{}}"#, 200),
            (
                r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"x"}}"#,
                400,
            ),
            (r#"{"jsonrpc":"2.0","error":{"code":-32700,"message":"x"}}"#, 400),
            (
                r#"{"jsonrpc":"2.0","id":"a","error":{"code":-32022,"message":"x","data":{}}}"#,
                400,
            ),
            (
                r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"x"}}"#,
                404,
            ),
            (
                r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"x"}}"#,
                200,
            ),
            (
                r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32005,"message":"x"}}"#,
                200,
            ),
        ] {
            assert_eq!(status_of(answer).as_u16(), status, "{answer}");
        }
    }
}
