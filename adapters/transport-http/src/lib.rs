//! `transport-http`: MCP over HTTP on warp (docs/design.md, "HTTP transport"; docs/protocol.md, "Transports").
//!
//! - Streamable HTTP at `/mcp`: POST carries one message (or a batch under 2025-03-26) and is
//!   answered with `application/json`, or with `text/event-stream` when the client accepts only
//!   that or asked for progress; notifications and responses get 202. GET opens the session's
//!   stream for server-initiated messages; DELETE ends the session. `Mcp-Session-Id` is issued at
//!   `initialize` (random 128 bits) and required after; `MCP-Protocol-Version` is checked.
//!   Every SSE event has an id (`<stream>-<n>`), so a client can resume any stream, including an
//!   interrupted POST stream, with GET and `Last-Event-ID`.
//! - MCP 2026-07-28 at the same `/mcp` (`modern`): a POST whose `MCP-Protocol-Version` names
//!   that era, or whose body carries its envelope, is served without a session; GET and DELETE
//!   with such a header are 405.
//! - The 2024-11-05 pair: GET `/sse` (first event `endpoint` naming `/messages?sessionId=…`) and
//!   POST `/messages?sessionId=…` (202; answers travel on the SSE stream).
//! - `/healthz` for process supervisors.
//!
//! Safety (`checks`): `Origin` is checked against an allow list (localhost origins by default)
//! and, on a loopback address, `Host` and an absolute-form target must be a local name too (DNS
//! rebinding); what cannot be parsed is refused; with a token every request needs
//! `Authorization: Bearer` (any case of the scheme; constant-time compare); no CORS wildcard.
//!
//! Budgets ([`HttpLimits`], README "Budgets"): header and body read timeouts that apply before
//! authentication, connections (`server`), body size and the bytes of bodies held at once,
//! sessions at once and per client address (a new session takes an idle one's place rather than
//! being refused, `sessions`), and the bytes retained per session and in all for resumable
//! streams. Shutdown closes the listener and every idle or half-read connection at once, ends
//! the streams, and gives requests in flight at most the drain period.
//!
//! The key decision: the transport only frames. Every message goes to `McpServer::handle_frame`
//! with an `Outbound` that knows where this request's messages must go; the engine never sees
//! HTTP.

// Handlers return a ready HTTP response as their error: it is built once per request and returned
// at once, so boxing it would only add an allocation.
#![allow(clippy::result_large_err)]

mod checks;
mod modern;
mod server;
mod sessions;

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use async_trait::async_trait;
use bytes::Buf;
use futures_util::{FutureExt, Stream, StreamExt};
use tokio::sync::mpsc;
use ttai_core::mcp::ProtocolVersion;
use ttai_core::ports::{FrameHandler, FrameOutcome, Secret, Shutdown, TransportError, TransportPort};
use warp::Filter;
use warp::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use warp::reply::Reply;

/// The response type of every handler.
type Resp = warp::reply::Response;

use server::{ClientAddr, ConnLimits, Target};
use sessions::{
    Flavor, GET_STREAM, HttpSession, LEGACY_STREAM, PostSink, Retention, SessionLimits, Sessions, SseItem,
    StandaloneSink,
};

/// How the HTTP transport listens and what it refuses.
#[derive(Clone, Debug)]
pub struct HttpConfig {
    /// Address to bind (`127.0.0.1` by default in the settings).
    pub host: String,
    /// Port (0 picks a free one; the bound address is logged).
    pub port: u16,
    /// Bearer token every request must carry, when set.
    pub auth_token: Option<Secret>,
    /// Origins allowed besides the localhost ones (`http://localhost:*`, `http://127.0.0.1:*`,
    /// `http://[::1]:*`, and the same with https).
    pub allowed_origins: Vec<String>,
    /// The budgets.
    pub limits: HttpLimits,
}

/// What one client can make the HTTP transport hold, and for how long. `Default` gives the
/// documented defaults (README, "Budgets").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpLimits {
    /// Largest accepted request body, bytes (413 beyond).
    pub max_body: usize,
    /// Bytes of request bodies held at once across all connections (503 beyond).
    pub body_budget: usize,
    /// A request's headers must arrive within this, and a keep-alive connection waiting for its
    /// next request is closed after it.
    pub header_timeout: Duration,
    /// A request's body must arrive within this once its headers have.
    pub body_timeout: Duration,
    /// Most connections at once (never closer than 64 to the process's open-file limit).
    pub max_connections: usize,
    /// Most sessions at once.
    pub max_sessions: usize,
    /// Most sessions per client address.
    pub max_sessions_per_client: usize,
    /// Sessions idle longer than this (and with no open stream) end.
    pub session_idle: Duration,
    /// Bytes of stream events one session keeps for resumption.
    pub retain_per_session: usize,
    /// Bytes of stream events all sessions keep together.
    pub retain_total: usize,
    /// At shutdown, requests in flight get at most this long.
    pub drain: Duration,
}

impl Default for HttpLimits {
    fn default() -> HttpLimits {
        HttpLimits {
            max_body: 4 * 1024 * 1024,
            body_budget: 32 * 1024 * 1024,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_connections: 512,
            max_sessions: 256,
            max_sessions_per_client: 64,
            session_idle: Duration::from_secs(30 * 60),
            retain_per_session: 1024 * 1024,
            retain_total: 32 * 1024 * 1024,
            drain: Duration::from_secs(10),
        }
    }
}

/// The HTTP transport.
#[derive(Debug)]
pub struct HttpTransport {
    config: HttpConfig,
    /// The listener it serves; taken by the first `serve`.
    listener: std::sync::Mutex<Option<std::net::TcpListener>>,
}

impl HttpTransport {
    /// A transport with `config` serving `listener`, already bound by the caller (with
    /// [`bind`], which reports an address it cannot bind).
    pub fn new(config: HttpConfig, listener: std::net::TcpListener) -> HttpTransport {
        HttpTransport {
            config,
            listener: std::sync::Mutex::new(Some(listener)),
        }
    }
}

/// Binds `config`'s host and port (the first address the host resolves to) for
/// [`HttpTransport::new`]; the composition root calls it before anything else starts.
///
/// # Errors
/// `Bind`, naming the address, when it cannot be resolved or bound (taken, not ours).
pub fn bind(config: &HttpConfig) -> Result<std::net::TcpListener, TransportError> {
    use std::net::ToSocketAddrs;
    let address = format!("{}:{}", config.host, config.port);
    let refused = |message: String| TransportError::Bind {
        address: address.clone(),
        message,
    };
    let first = address
        .to_socket_addrs()
        .map_err(|e| refused(e.to_string()))?
        .next()
        .ok_or_else(|| refused("no address".into()))?;
    std::net::TcpListener::bind(first).map_err(|e| refused(e.to_string()))
}

struct State {
    server: Arc<dyn FrameHandler>,
    config: HttpConfig,
    sessions: Sessions,
    retention: Arc<Retention>,
    /// Bytes of request bodies being held, all connections ([`HttpLimits::body_budget`]).
    body_budget: Arc<Semaphore>,
    shutdown: Shutdown,
    loopback: bool,
}

impl State {
    fn limits(&self) -> &HttpLimits {
        &self.config.limits
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn plain(status: StatusCode, body: impl Into<String>) -> Resp {
    // The answer moves into the body: a large answer is never copied.
    let mut response = Resp::new(body.into().into());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    response
}

/// An HTTP-level refusal with a JSON-RPC error body (so SDK clients can show it).
fn refuse(status: StatusCode, code: i32, message: &str) -> Resp {
    let body = serde_json::json!({"jsonrpc": "2.0", "id": null, "error": {"code": code, "message": message}});
    plain(status, body.to_string())
}

fn accepts(headers: &HeaderMap, mime: &str) -> bool {
    header(headers, "accept").is_none_or(|accept| {
        accept.split(',').any(|part| {
            let part = part.split(';').next().unwrap_or_default().trim();
            part.eq_ignore_ascii_case(mime) || part == "*/*"
        })
    })
}

fn new_session_id() -> Option<String> {
    let mut bytes = [0u8; 16];
    orion::util::secure_rand_bytes(&mut bytes).ok()?;
    Some(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn sse_event(item: &SseItem) -> warp::sse::Event {
    let mut event = warp::sse::Event::default().id(item.id.clone()).data(&*item.data);
    if let Some(name) = item.event {
        event = event.event(name);
    }
    event
}

/// An SSE body: `first` events, then whatever arrives on `rx`, until the stream's last event,
/// the client leaves, or shutdown. `retry` adds a reconnection delay hint.
fn sse_response(
    first: Vec<warp::sse::Event>,
    rx: Option<mpsc::Receiver<SseItem>>,
    shutdown: Shutdown,
    on_close: Option<Box<dyn FnOnce() + Send + Sync>>,
) -> Resp {
    struct Guard(Option<Box<dyn FnOnce() + Send + Sync>>);
    impl Drop for Guard {
        fn drop(&mut self) {
            if let Some(f) = self.0.take() {
                f();
            }
        }
    }
    let head = futures_util::stream::iter(first.into_iter().map(Ok::<_, Infallible>));
    let tail = futures_util::stream::unfold(
        (rx, shutdown, false, Guard(on_close)),
        |(rx, mut shutdown, finished, guard)| async move {
            if finished {
                return None;
            }
            let mut rx = rx?;
            tokio::select! {
                item = rx.recv() => {
                    let item = item?;
                    let last = item.last;
                    Some((Ok::<_, Infallible>(sse_event(&item)), (Some(rx), shutdown, last, guard)))
                }
                () = shutdown.wait() => None,
            }
        },
    );
    let stream: std::pin::Pin<Box<dyn Stream<Item = Result<warp::sse::Event, Infallible>> + Send + Sync>> =
        Box::pin(head.chain(tail));
    warp::sse::reply(
        warp::sse::keep_alive()
            .interval(Duration::from_secs(15))
            .stream(stream),
    )
    .into_response()
}

/// A request body in memory, with its share of the body budget (released when dropped).
struct HeldBody {
    bytes: Vec<u8>,
    _held: Option<OwnedSemaphorePermit>,
}

/// Reads a body within its budgets: at most `max_body` bytes, its share of the bytes all bodies
/// may hold at once, and the body timeout; shutdown ends the read at once.
async fn read_body(
    state: &State,
    body: impl Stream<Item = Result<impl Buf, warp::Error>> + Unpin,
    modern: bool,
) -> Result<HeldBody, Resp> {
    let refuse = if modern { modern::refuse } else { refuse };
    let limit = state.limits().max_body;
    let deadline = tokio::time::Instant::now() + state.limits().body_timeout;
    let mut shutdown = state.shutdown.clone();
    let mut body = body;
    let mut out = Vec::new();
    let mut held: Option<OwnedSemaphorePermit> = None;
    loop {
        // A chunk already here (a small body usually comes with its head) needs no timer.
        let chunk = match body.next().now_or_never() {
            Some(chunk) => chunk,
            None => tokio::select! {
                chunk = body.next() => chunk,
                () = tokio::time::sleep_until(deadline) => {
                    return Err(refuse(StatusCode::REQUEST_TIMEOUT, -32600, "Request Timeout: the body did not arrive in time"));
                }
                () = shutdown.wait() => {
                    return Err(refuse(StatusCode::SERVICE_UNAVAILABLE, -32603, "Service Unavailable: the server is shutting down"));
                }
            },
        };
        let Some(chunk) = chunk else { break };
        let mut chunk =
            chunk.map_err(|_| refuse(StatusCode::BAD_REQUEST, -32700, "Parse error: unreadable body"))?;
        let size = chunk.remaining();
        if out.len() + size > limit {
            return Err(refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                -32600,
                &format!("Invalid Request: body larger than {limit} bytes"),
            ));
        }
        let permit = u32::try_from(size)
            .ok()
            .and_then(|n| state.body_budget.clone().try_acquire_many_owned(n).ok());
        let Some(permit) = permit else {
            let mut busy = refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                -32603,
                "Service Unavailable: too many request bodies are being read at once; try again",
            );
            busy.headers_mut()
                .insert("retry-after", HeaderValue::from_static("1"));
            return Err(busy);
        };
        match &mut held {
            Some(held) => held.merge(permit),
            None => held = Some(permit),
        }
        while chunk.has_remaining() {
            let part = chunk.chunk();
            out.extend_from_slice(part);
            let n = part.len();
            chunk.advance(n);
        }
    }
    Ok(HeldBody {
        bytes: out,
        _held: held,
    })
}

/// A JSON-RPC POST body: declared as JSON (or undeclared), within its budgets, and UTF-8.
async fn json_body(
    state: &State,
    headers: &HeaderMap,
    body: impl Stream<Item = Result<impl Buf, warp::Error>> + Unpin,
    modern: bool,
) -> Result<(String, HeldBody), Resp> {
    let refuse = if modern { modern::refuse } else { refuse };
    if header(headers, "content-type").is_some_and(|ct| !ct.to_ascii_lowercase().contains("application/json"))
    {
        return Err(refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            -32600,
            "Unsupported Media Type: send application/json",
        ));
    }
    let mut held = read_body(state, body, modern).await?;
    let bytes = std::mem::take(&mut held.bytes);
    let text = String::from_utf8(bytes)
        .map_err(|_| refuse(StatusCode::BAD_REQUEST, -32700, "Parse error: body is not UTF-8"))?;
    Ok((text, held))
}

/// Adds CORS headers for an allowed browser origin (never a wildcard).
fn with_cors(mut response: Resp, origin: Option<&str>) -> Resp {
    if let Some(origin) = origin.and_then(|o| HeaderValue::from_str(o).ok()) {
        let headers = response.headers_mut();
        headers.insert("access-control-allow-origin", origin);
        headers.insert("vary", HeaderValue::from_static("Origin"));
        headers.insert(
            "access-control-expose-headers",
            HeaderValue::from_static("Mcp-Session-Id, MCP-Protocol-Version"),
        );
    }
    response
}

fn with_session_id(mut response: Resp, id: &str) -> Resp {
    if let Ok(value) = HeaderValue::from_str(id) {
        response.headers_mut().insert("mcp-session-id", value);
    }
    response
}

#[allow(clippy::too_many_arguments)]
async fn route(
    state: Arc<State>,
    method: Method,
    path: String,
    query: String,
    headers: HeaderMap,
    client: Option<ClientAddr>,
    target: Option<Target>,
    body: impl Stream<Item = Result<impl Buf, warp::Error>> + Unpin,
) -> Resp {
    let origin = match checks::check_origin(&headers, &state.config.allowed_origins) {
        Ok(origin) => origin.map(str::to_owned),
        Err(refusal) => return refuse(refusal.status, -32600, refusal.message),
    };
    let target = target.map_or_else(|| Uri::from_static("/"), |t| t.0);
    if let Err(refusal) = checks::check_host(&headers, &target, state.loopback, &state.config.host) {
        return refuse(refusal.status, -32600, refusal.message);
    }
    if method == Method::OPTIONS {
        let mut response = plain(StatusCode::NO_CONTENT, "");
        let h = response.headers_mut();
        h.insert(
            "access-control-allow-methods",
            HeaderValue::from_static("GET, POST, DELETE, OPTIONS"),
        );
        h.insert(
            "access-control-allow-headers",
            HeaderValue::from_static(
                "Content-Type, Accept, Authorization, Mcp-Session-Id, MCP-Protocol-Version, Mcp-Method, Mcp-Name, Last-Event-ID",
            ),
        );
        h.insert("access-control-max-age", HeaderValue::from_static("600"));
        return with_cors(response, origin.as_deref());
    }
    if path == "/healthz" {
        // Liveness only: without a token nothing about the sessions is told.
        return with_cors(plain(StatusCode::OK, r#"{"status":"ok"}"#), origin.as_deref());
    }
    if let Some(token) = &state.config.auth_token
        && !checks::bearer_ok(&headers, token)
    {
        let mut response = refuse(
            StatusCode::UNAUTHORIZED,
            -32600,
            "Unauthorized: a valid bearer token is required",
        );
        response.headers_mut().insert(
            "www-authenticate",
            HeaderValue::from_static("Bearer realm=\"ttai\""),
        );
        return with_cors(response, origin.as_deref());
    }
    let client = client.map(|c| c.0.ip());
    let response = match (path.as_str(), &method) {
        ("/mcp", &Method::POST) => post_mcp(&state, &headers, client, body).await,
        ("/mcp", &Method::GET | &Method::DELETE) if modern::has_modern_header(&headers) => {
            modern::method_not_allowed()
        }
        ("/mcp", &Method::GET) => get_mcp(&state, &headers),
        ("/mcp", &Method::DELETE) => delete_mcp(&state, &headers),
        ("/mcp", _) => {
            let mut r = refuse(StatusCode::METHOD_NOT_ALLOWED, -32600, "Method not allowed");
            r.headers_mut()
                .insert("allow", HeaderValue::from_static("GET, POST, DELETE, OPTIONS"));
            r
        }
        ("/sse", &Method::GET) => get_legacy_sse(&state, client),
        ("/messages", &Method::POST) => post_legacy(&state, &query, &headers, body).await,
        _ => refuse(
            StatusCode::NOT_FOUND,
            -32601,
            "Not found: MCP is served at /mcp (and /sse for HTTP+SSE)",
        ),
    };
    with_cors(response, origin.as_deref())
}

/// The session a request names: 400 without the header, 404 for an unknown or ended one.
fn session_of(state: &State, headers: &HeaderMap) -> Result<Arc<HttpSession>, Resp> {
    let id = header(headers, "mcp-session-id").ok_or_else(|| {
        refuse(
            StatusCode::BAD_REQUEST,
            -32600,
            "Bad Request: Mcp-Session-Id header is required after initialize",
        )
    })?;
    let session = state
        .sessions
        .get(id)
        .filter(|s| s.flavor == Flavor::Streamable)
        .ok_or_else(|| {
            refuse(
                StatusCode::NOT_FOUND,
                -32600,
                "Session not found: it ended or expired; initialize again",
            )
        })?;
    if let Some(version) = header(headers, "mcp-protocol-version")
        && ProtocolVersion::parse(version).is_none()
    {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            -32600,
            &format!("Bad Request: unsupported MCP-Protocol-Version {version:?}"),
        ));
    }
    session.touch();
    Ok(session)
}

/// Creates a session and its engine session, making room within the session budgets.
fn open_session(
    state: &State,
    flavor: Flavor,
    client: Option<std::net::IpAddr>,
) -> Result<Arc<HttpSession>, Resp> {
    let id = new_session_id()
        .ok_or_else(|| refuse(StatusCode::INTERNAL_SERVER_ERROR, -32603, "Internal error"))?;
    let session = Arc::new(HttpSession::new(id, flavor, client, state.retention.clone()));
    let limits = SessionLimits {
        total: state.limits().max_sessions,
        per_client: state.limits().max_sessions_per_client,
    };
    let evicted = state.sessions.insert(session.clone(), limits).map_err(|_| {
        let mut r = refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            -32603,
            "Too many sessions, every one of them busy; try again shortly",
        );
        r.headers_mut()
            .insert("retry-after", HeaderValue::from_static("1"));
        r
    })?;
    for old in evicted {
        tracing::debug!(session = %old.id, "HTTP session ended to make room for a new one");
        end_session(state, &old);
    }
    let core = state
        .server
        .open(Arc::new(StandaloneSink(Arc::downgrade(&session))));
    session.set_core(core);
    Ok(session)
}

fn close_session(state: &State, session: &Arc<HttpSession>) {
    state.sessions.remove(&session.id);
    end_session(state, session);
}

/// Ends a session already out of the table: its streams, what it retained, its engine session.
fn end_session(state: &State, session: &Arc<HttpSession>) {
    session.close_streams();
    session.forget_streams();
    if let Some(core) = session.core() {
        state.server.close(&*core);
    }
}

/// The `method` of a single message, without parsing the rest.
fn method_of(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(body)
        .ok()
        .and_then(|m| m.get("method").and_then(|v| v.as_str()).map(str::to_owned))
}

fn wants_progress(body: &[u8]) -> bool {
    body.windows(b"progressToken".len())
        .any(|w| w == b"progressToken")
}

async fn post_mcp(
    state: &Arc<State>,
    headers: &HeaderMap,
    client: Option<std::net::IpAddr>,
    body: impl Stream<Item = Result<impl Buf, warp::Error>> + Unpin,
) -> Resp {
    let json_ok = accepts(headers, "application/json");
    let sse_ok = accepts(headers, "text/event-stream");
    let modern_header = modern::has_modern_header(headers);
    if !json_ok && !sse_ok {
        let refuse = if modern_header { modern::refuse } else { refuse };
        return refuse(
            StatusCode::NOT_ACCEPTABLE,
            -32600,
            "Not Acceptable: accept application/json or text/event-stream",
        );
    }
    // The body's share of the budget is held until the answer is in.
    let (body, _held) = match json_body(state, headers, body, modern_header).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let text = body.as_str();
    // The era is decided before any session is looked at.
    if modern_header || modern::is_modern(headers, text) {
        return modern::post(&state.server, headers, text, json_ok, sse_ok).await;
    }
    let (session, created) = match header(headers, "mcp-session-id") {
        Some(_) => match session_of(state, headers) {
            Ok(session) => (session, false),
            Err(response) => return response,
        },
        None => {
            if text.trim_start().starts_with('[')
                || method_of(body.as_bytes()).as_deref() != Some("initialize")
            {
                if serde_json::from_str::<serde_json::Value>(text).is_err() {
                    return refuse(StatusCode::BAD_REQUEST, -32700, "Parse error");
                }
                return refuse(
                    StatusCode::BAD_REQUEST,
                    -32600,
                    "Bad Request: Mcp-Session-Id header is required after initialize",
                );
            }
            match open_session(state, Flavor::Streamable, client) {
                Ok(session) => (session, true),
                Err(response) => return response,
            }
        }
    };
    let Some(core) = session.core() else {
        return refuse(StatusCode::NOT_FOUND, -32600, "Session not found");
    };
    let use_sse = sse_ok && (!json_ok || wants_progress(body.as_bytes()));
    let response = if use_sse {
        let stream = session.new_post_stream();
        // Attach before handling so nothing the request sends is missed.
        let rx = Some(session.open_stream(&stream));
        let sink = Arc::new(PostSink::Sse {
            session: session.clone(),
            stream: stream.clone(),
        });
        // Polled here first, as the JSON path does: a quick request needs no task of its own.
        match state.server.handle_inline(&*core, text, sink) {
            FrameOutcome::NoReply => plain(StatusCode::ACCEPTED, ""),
            FrameOutcome::Answered | FrameOutcome::Pending | FrameOutcome::Listening => {
                let mut first = Vec::new();
                if core
                    .protocol_version()
                    .and_then(ProtocolVersion::parse)
                    .is_some_and(|v| v >= ProtocolVersion::V2025_11_25)
                {
                    // A priming event (id, empty data) lets the client resume from the start.
                    first.push(
                        warp::sse::Event::default()
                            .id(format!("{stream}-0"))
                            .data("")
                            .retry(Duration::from_millis(1000)),
                    );
                }
                sse_response(first, rx, state.shutdown.clone(), None)
            }
        }
    } else {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let sink = Arc::new(PostSink::Json {
            session: Arc::downgrade(&session),
            answer: std::sync::Mutex::new(Some(tx)),
        });
        // Polled here first: a quick request is answered without a task of its own.
        match state.server.handle_inline(&*core, text, sink) {
            FrameOutcome::NoReply => plain(StatusCode::ACCEPTED, ""),
            FrameOutcome::Answered | FrameOutcome::Pending | FrameOutcome::Listening => match rx.await {
                Ok(answer) => plain(StatusCode::OK, answer),
                Err(_) => refuse(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    -32603,
                    "Internal error: the request was cancelled",
                ),
            },
        }
    };
    if created {
        with_session_id(response, &session.id)
    } else {
        response
    }
}

fn get_mcp(state: &Arc<State>, headers: &HeaderMap) -> Resp {
    if !accepts(headers, "text/event-stream") {
        return refuse(
            StatusCode::NOT_ACCEPTABLE,
            -32600,
            "Not Acceptable: GET /mcp opens a text/event-stream",
        );
    }
    let session = match session_of(state, headers) {
        Ok(session) => session,
        Err(response) => return response,
    };
    // Resume a stream (the GET stream or an interrupted POST stream) after its last event, or
    // open the GET stream with what was not delivered yet.
    let (stream, after) = match header(headers, "last-event-id").and_then(|id| id.rsplit_once('-')) {
        Some((stream, seq)) if session.knows_stream(stream) => (stream.to_owned(), seq.parse::<u64>().ok()),
        _ => (GET_STREAM.to_owned(), None),
    };
    let (replay, rx) = match session.attach(&stream, after) {
        Ok(attached) => attached,
        Err(gap) => {
            let kept = gap.first_kept.map_or_else(
                || "none of its events".to_owned(),
                |n| format!("events from {}-{n} on", gap.stream),
            );
            return refuse(
                StatusCode::GONE,
                -32600,
                &format!(
                    "Gone: the events after that Last-Event-ID were dropped (the session keeps {} bytes of stream events; {kept} are kept); send the request again",
                    state.limits().retain_per_session
                ),
            );
        }
    };
    let first = replay.iter().map(sse_event).collect();
    let response = sse_response(first, rx, state.shutdown.clone(), None);
    with_session_id(response, &session.id)
}

fn delete_mcp(state: &Arc<State>, headers: &HeaderMap) -> Resp {
    match session_of(state, headers) {
        Ok(session) => {
            close_session(state, &session);
            plain(StatusCode::OK, "")
        }
        Err(response) => response,
    }
}

fn get_legacy_sse(state: &Arc<State>, client: Option<std::net::IpAddr>) -> Resp {
    let session = match open_session(state, Flavor::Legacy, client) {
        Ok(session) => session,
        Err(response) => return response,
    };
    let rx = Some(session.open_stream(LEGACY_STREAM));
    let endpoint = warp::sse::Event::default()
        .event("endpoint")
        .data(format!("/messages?sessionId={}", session.id));
    let closer_state = state.clone();
    let closer_session = session.clone();
    let on_close: Box<dyn FnOnce() + Send + Sync> =
        Box::new(move || close_session(&closer_state, &closer_session));
    sse_response(vec![endpoint], rx, state.shutdown.clone(), Some(on_close))
}

async fn post_legacy(
    state: &Arc<State>,
    query: &str,
    headers: &HeaderMap,
    body: impl Stream<Item = Result<impl Buf, warp::Error>> + Unpin,
) -> Resp {
    let id = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("sessionId="))
        .unwrap_or_default();
    let Some(session) = state.sessions.get(id).filter(|s| s.flavor == Flavor::Legacy) else {
        return refuse(
            StatusCode::NOT_FOUND,
            -32600,
            "Session not found: open GET /sse first",
        );
    };
    let (body, _held) = match json_body(state, headers, body, false).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let text = body.as_str();
    let Some(core) = session.core() else {
        return refuse(StatusCode::NOT_FOUND, -32600, "Session not found");
    };
    session.touch();
    let sink = Arc::new(StandaloneSink(Arc::downgrade(&session)));
    state.server.handle(&*core, text, sink);
    plain(StatusCode::ACCEPTED, "")
}

async fn sweep(state: Arc<State>) {
    let mut shutdown = state.shutdown.clone();
    loop {
        tokio::select! {
            () = shutdown.wait() => break,
            () = tokio::time::sleep(Duration::from_secs(10)) => {}
        }
        for session in state.sessions.expired(state.limits().session_idle) {
            tracing::debug!(session = %session.id, "idle HTTP session expired");
            close_session(&state, &session);
        }
    }
}

#[async_trait]
impl TransportPort for HttpTransport {
    fn name(&self) -> &'static str {
        "http"
    }

    async fn serve(&self, server: Arc<dyn FrameHandler>, shutdown: Shutdown) -> Result<(), TransportError> {
        let address = format!("{}:{}", self.config.host, self.config.port);
        let unusable = |message: String| TransportError::Bind {
            address: address.clone(),
            message,
        };
        let listener = self
            .listener
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
            .ok_or_else(|| unusable("the listener was already served".into()))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| unusable(e.to_string()))?;
        let listener = tokio::net::TcpListener::from_std(listener).map_err(|e| unusable(e.to_string()))?;
        let bound = listener.local_addr().map_err(|e| unusable(e.to_string()))?;
        let limits = self.config.limits.clone();
        let state = Arc::new(State {
            server,
            loopback: bound.ip().is_loopback(),
            config: self.config.clone(),
            sessions: Sessions::default(),
            retention: Retention::new(limits.retain_per_session, limits.retain_total),
            body_budget: Arc::new(Semaphore::new(limits.body_budget.min(Semaphore::MAX_PERMITS))),
            shutdown: shutdown.clone(),
        });
        let connection_limits = ConnLimits {
            max_connections: server::connection_cap(limits.max_connections),
            header_timeout: limits.header_timeout,
            drain: limits.drain,
        };
        // The address comes last on the line: supervisors and scripts read it from there.
        tracing::info!(
            max_connections = connection_limits.max_connections,
            address = %bound,
            "ttai HTTP listening: Streamable HTTP at /mcp, HTTP+SSE at /sse"
        );
        let routes = {
            let state = state.clone();
            warp::any()
                .and(warp::method())
                .and(warp::path::full())
                .and(warp::query::raw().or(warp::any().map(String::new)).unify())
                .and(warp::header::headers_cloned())
                .and(warp::ext::optional::<ClientAddr>())
                .and(warp::ext::optional::<Target>())
                .and(warp::body::stream())
                .then(
                    move |method: Method,
                          path: warp::path::FullPath,
                          query: String,
                          headers: HeaderMap,
                          client: Option<ClientAddr>,
                          target: Option<Target>,
                          body| {
                        let state = state.clone();
                        async move {
                            route(
                                state,
                                method,
                                path.as_str().to_owned(),
                                query,
                                headers,
                                client,
                                target,
                                Box::pin(body),
                            )
                            .await
                        }
                    },
                )
        };
        let service = hyper_util::service::TowerToHyperService::new(warp::service(routes));
        tokio::spawn(sweep(state.clone()));
        // At shutdown the 2026-07-28 listen streams end with their result, so their connections
        // close at once instead of holding the drain period.
        let ending = state.clone();
        let mut ending_signal = shutdown.clone();
        tokio::spawn(async move {
            ending_signal.wait().await;
            ending.server.end_listens(None);
        });
        server::run(listener, service, connection_limits, shutdown).await;
        for session in state.sessions.all() {
            close_session(&state, &session);
        }
        Ok(())
    }
}
