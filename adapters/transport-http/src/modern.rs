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

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::Notify;
use ttai_core::mcp::ProtocolVersion;
use ttai_core::ports::{FrameHandler, FrameOutcome, FrameSession, Header, Outbound, RoutingHeaders};
use warp::http::{HeaderMap, HeaderValue, StatusCode};
use warp::reply::Reply;

use super::reply::{names, roomy};
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
    headers
        .get_all(names::MCP_PROTOCOL_VERSION)
        .iter()
        .any(names_modern)
}

/// True for a version header value that is not a handshake version (or not visible ASCII).
fn names_modern(value: &HeaderValue) -> bool {
    value
        .to_str()
        .map_or(true, |v| ProtocolVersion::parse(v.trim()).is_none())
}

/// A POST's routing headers and its era as they tell it, read in one pass over the header map.
pub(crate) struct Routing<'a> {
    /// `MCP-Protocol-Version` names a version that is not a handshake one ([`has_modern_header`]).
    pub(crate) modern: bool,
    /// `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name`, for the engine to check against the
    /// body.
    pub(crate) headers: RoutingHeaders<'a>,
}

/// Reads [`Routing`]: each header compared once by name, instead of three lookups that each
/// hash a name (and a fourth for the era).
pub(crate) fn routing<'a>(headers: &'a HeaderMap) -> Routing<'a> {
    /// The first value of a header, and whether it came more than once.
    #[derive(Default)]
    struct Seen<'a> {
        first: Option<&'a HeaderValue>,
        again: bool,
    }
    let (mut version, mut method, mut name) = (Seen::default(), Seen::default(), Seen::default());
    let mut modern = false;
    for (key, value) in headers {
        let seen = if *key == names::MCP_PROTOCOL_VERSION {
            modern |= names_modern(value);
            &mut version
        } else if *key == names::MCP_METHOD {
            &mut method
        } else if *key == names::MCP_NAME {
            &mut name
        } else {
            continue;
        };
        if seen.first.is_some() {
            seen.again = true;
        } else {
            seen.first = Some(value);
        }
    }
    // One routing header: sent once, in visible ASCII (space and tab allowed inside), trimmed.
    let read = |seen: Seen<'a>| match seen {
        Seen { first: None, .. } => Header::Absent,
        Seen { again: true, .. } => Header::Invalid,
        // `to_str` accepts exactly visible ASCII, space and tab, in one pass.
        Seen {
            first: Some(value), ..
        } => match value.to_str() {
            Ok(text) => Header::Value(text.trim()),
            Err(_) => Header::Invalid,
        },
    };
    Routing {
        modern,
        headers: RoutingHeaders {
            protocol_version: read(version),
            method: read(method),
            name: read(name),
        },
    }
}

/// True when a POST belongs to the 2026-07-28 era: its version header says so, or its body is a
/// request (not `initialize`) with the envelope in `params._meta`.
pub(crate) fn is_modern(routing: &Routing<'_>, body: &str) -> bool {
    if routing.modern {
        return true;
    }
    // One scan on the handshake era's path; a parse only when the key's text may be there.
    if !ttai_core::mcp::modern::may_carry_envelope(body) {
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

/// The JSON-RPC error code of an answer as the engine writes it (`{"jsonrpc":"2.0","id":…,` then
/// `"result"` or `"error":{"code":…`, the id omitted when unknown); `None` for a result. Reads
/// only the head, not the whole answer.
fn error_code(answer: &str) -> Option<i32> {
    let rest = answer.strip_prefix("{\"jsonrpc\":\"2.0\",")?;
    let rest = match rest.strip_prefix("\"id\":") {
        Some(id) if id.starts_with('"') => {
            // A string id: up to its closing quote (escapes skipped).
            let bytes = id.as_bytes();
            let mut at = 1;
            while let Some(b) = bytes.get(at) {
                match b {
                    b'\\' => at += 2,
                    b'"' => break,
                    _ => at += 1,
                }
            }
            id.get(at + 1..)?.strip_prefix(',')?
        }
        Some(id) => id.get(id.find(',')? + 1..)?,
        None => rest,
    };
    let code = rest.strip_prefix("\"error\":{\"code\":")?;
    let end = code.find([',', '}'])?;
    code.get(..end)?.trim().parse::<i32>().ok()
}

/// The HTTP status of an answer, from its JSON-RPC error code.
pub(crate) fn status_of(answer: &str) -> StatusCode {
    match error_code(answer) {
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
/// without bound; a request's progress beyond the queue is dropped, never its answer). Nothing
/// is allocated until something arrives.
#[derive(Default)]
struct ModernSink {
    state: Mutex<SinkState>,
    arrived: Notify,
}

#[derive(Default)]
struct SinkState {
    answer: Option<String>,
    events: VecDeque<String>,
    lost: bool,
}

impl ModernSink {
    fn lock(&self) -> std::sync::MutexGuard<'_, SinkState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The next notification, else the answer; `None` while neither has come.
    fn take(&self) -> Option<Message> {
        let mut state = self.lock();
        if let Some(note) = state.events.pop_front() {
            return Some(Message::Note(note));
        }
        if state.lost {
            // Told once: a listen stream ends on it; a request keeps waiting for its answer.
            state.lost = false;
            return Some(Message::Lost);
        }
        state.answer.take().map(Message::Answer)
    }

    /// Waits for the next message.
    async fn next(&self) -> Message {
        loop {
            let arrived = self.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            if let Some(message) = self.take() {
                return message;
            }
            arrived.await;
        }
    }
}

/// What a request's sink holds next.
enum Message {
    Note(String),
    Answer(String),
    /// A listen stream's client stopped reading.
    Lost,
}

impl Outbound for ModernSink {
    fn send(&self, message: String) {
        {
            let mut state = self.lock();
            if is_answer(&message) {
                if state.answer.is_none() {
                    state.answer = Some(message);
                }
            } else if state.events.len() < LIVE_QUEUE {
                state.events.push_back(message);
            } else {
                state.lost = true;
            }
        }
        self.arrived.notify_one();
    }
}

/// Closes the request's engine session when the response is done with it (or dropped because
/// the client went away): whatever still runs for it is cancelled. It borrows the server while
/// the answer is awaited in the handler (no count of a pointer every request shares is
/// written), and owns it once the answer becomes a stream that outlives the handler.
struct SessionGuard<H: AsRef<dyn FrameHandler>> {
    server: H,
    session: Option<Arc<dyn FrameSession>>,
}

impl SessionGuard<&Arc<dyn FrameHandler>> {
    fn owned(mut self) -> SessionGuard<Arc<dyn FrameHandler>> {
        SessionGuard {
            server: self.server.clone(),
            session: self.session.take(),
        }
    }
}

impl<H: AsRef<dyn FrameHandler>> Drop for SessionGuard<H> {
    fn drop(&mut self) {
        if let Some(session) = self.session.take() {
            self.server.as_ref().close(&*session);
        }
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
    server: &Arc<dyn FrameHandler>,
    routing: RoutingHeaders<'_>,
    body: &str,
    json_ok: bool,
    sse_ok: bool,
) -> Resp {
    let sink = Arc::new(ModernSink::default());
    let session = server.open_stateless(sink.clone());
    let guard = SessionGuard {
        server,
        session: Some(session.clone()),
    };
    let outcome = server.handle_stateless(&*session, body, &routing, sink.clone());
    drop(session);
    match outcome {
        FrameOutcome::NoReply => return plain(StatusCode::ACCEPTED, ""),
        FrameOutcome::Listening if !sse_ok => {
            return refuse(
                StatusCode::NOT_ACCEPTABLE,
                -32600,
                "Not Acceptable: subscriptions/listen answers with text/event-stream; accept it",
            );
        }
        FrameOutcome::Listening => return stream(None, sink, guard.owned(), true),
        FrameOutcome::Answered | FrameOutcome::Pending => {}
    }
    // The first message decides the framing: the answer alone is JSON, a notification first
    // (or a long wait) makes a stream.
    let first = match sink.take() {
        Some(first) => first,
        None => match tokio::time::timeout(DEFER, sink.next()).await {
            Ok(first) => first,
            Err(_) if sse_ok => return stream(None, sink, guard.owned(), false),
            Err(_) => sink.next().await,
        },
    };
    match first {
        Message::Answer(answer) => answer_response(answer, json_ok),
        Message::Note(note) if sse_ok => stream(Some(note), sink, guard.owned(), false),
        // A client that reads JSON only: its notifications cannot be delivered; the answer can.
        Message::Note(_) | Message::Lost => loop {
            if let Message::Answer(answer) = sink.next().await {
                return answer_response(answer, json_ok);
            }
        },
    }
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
    roomy(headers);
    headers.insert("content-type", HeaderValue::from_static("text/event-stream"));
    headers.insert("cache-control", HeaderValue::from_static("no-cache"));
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
}

/// An SSE body: `first`, then what the sink receives, with keep-alive comments, until the
/// answer (which ends it), the client leaves (dropping the body closes the session), or a listen
/// stream is lost (its client stopped reading). At shutdown a listen stream ends with its result
/// (`McpServer::end_listens`) and a request's stream with its answer within the drain period.
fn stream(
    first: Option<String>,
    sink: Arc<ModernSink>,
    guard: SessionGuard<Arc<dyn FrameHandler>>,
    listening: bool,
) -> Resp {
    struct State {
        first: Option<String>,
        sink: Arc<ModernSink>,
        done: bool,
        _guard: SessionGuard<Arc<dyn FrameHandler>>,
    }
    let state = State {
        first,
        sink,
        done: false,
        _guard: guard,
    };
    let body = futures_util::stream::unfold(state, move |mut state| async move {
        if state.done {
            return None;
        }
        if let Some(first) = state.first.take() {
            return Some((Ok::<_, std::convert::Infallible>(event(&first)), state));
        }
        loop {
            let next = match tokio::time::timeout(KEEP_ALIVE, state.sink.next()).await {
                Ok(next) => next,
                Err(_) => return Some((Ok(Bytes::from_static(b": keep-alive\n\n")), state)),
            };
            return match next {
                Message::Note(note) => Some((Ok(event(&note)), state)),
                Message::Answer(answer) => {
                    state.done = true;
                    Some((Ok(event(&answer)), state))
                }
                Message::Lost if listening => None,
                // A request's notifications beyond the queue were dropped; its answer follows.
                Message::Lost => continue,
            };
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
        let is_modern = |headers: &HeaderMap, body: &str| is_modern(&routing(headers), body);
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
        assert!(routing(&headers).modern);
        headers.append("mcp-protocol-version", HeaderValue::from_static("2025-11-25"));
        assert!(
            has_modern_header(&headers) && routing(&headers).modern,
            "any value decides"
        );
        headers.insert("mcp-protocol-version", HeaderValue::from_static("2025-06-18"));
        assert!(!has_modern_header(&headers) && !routing(&headers).modern);
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
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        let read = routing(&headers).headers;
        assert_eq!(read.method, Header::Value("tools/call"));
        assert_eq!(read.name, Header::Invalid);
        assert_eq!(read.protocol_version, Header::Invalid);
        assert!(
            routing(&headers).modern,
            "a version header not in visible ASCII is not a handshake one"
        );
        let empty = HeaderMap::new();
        let none = routing(&empty);
        assert_eq!(
            (
                none.modern,
                none.headers.method,
                none.headers.name,
                none.headers.protocol_version
            ),
            (false, Header::Absent, Header::Absent, Header::Absent)
        );
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
            // String ids that look like the rest of an answer.
            (
                r#"{"jsonrpc":"2.0","id":"a\",\"error\":{\"code\":-32601","result":{"x":1}}"#,
                200,
            ),
            (
                r#"{"jsonrpc":"2.0","id":"x,y","error":{"code":-32601,"message":"x"}}"#,
                404,
            ),
            (
                r#"{"jsonrpc":"2.0","id":-7,"error":{"code":-32020,"message":"x"}}"#,
                400,
            ),
        ] {
            assert_eq!(status_of(answer).as_u16(), status, "{answer}");
        }
    }
}
