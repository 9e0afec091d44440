//! `transport-http`: MCP over HTTP on warp (design.md §8, mcp.md "Transports").
//!
//! - Streamable HTTP at `/mcp`: POST carries one message (or a batch under 2025-03-26) and is
//!   answered with `application/json`, or with `text/event-stream` when the client accepts only
//!   that or asked for progress; notifications and responses get 202. GET opens the session's
//!   stream for server-initiated messages; DELETE ends the session. `Mcp-Session-Id` is issued at
//!   `initialize` (random 128 bits) and required after; `MCP-Protocol-Version` is checked.
//!   Every SSE event has an id (`<stream>-<n>`), so a client can resume any stream, including an
//!   interrupted POST stream, with GET and `Last-Event-ID`.
//! - The 2024-11-05 pair: GET `/sse` (first event `endpoint` naming `/messages?sessionId=…`) and
//!   POST `/messages?sessionId=…` (202; answers travel on the SSE stream).
//! - `/healthz` for process supervisors.
//!
//! Safety: `Origin` is checked against an allow list (localhost origins by default) and, on a
//! loopback address, `Host` must be a local name too (DNS rebinding); with a token every request
//! needs `Authorization: Bearer` (constant-time compare); bodies are limited; sessions are
//! limited and expire when idle; no CORS wildcard. Shutdown stops accepting, ends the streams
//! and lets in-flight requests finish.
//!
//! The key decision: the transport only frames. Every message goes to `McpServer::handle_frame`
//! with an `Outbound` that knows where this request's messages must go; the engine never sees
//! HTTP.

// Handlers return a ready HTTP response as their error: it is built once per request and returned
// at once, so boxing it would only add an allocation.
#![allow(clippy::result_large_err)]

mod sessions;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Buf;
use futures_util::{Stream, StreamExt};
use tokio::sync::mpsc;
use ttai_core::mcp::{FrameOutcome, McpServer, ProtocolVersion};
use ttai_core::ports::{Secret, Shutdown, TransportError, TransportPort};
use warp::Filter;
use warp::http::{HeaderMap, HeaderValue, Method, StatusCode};
use warp::reply::Reply;

/// The response type of every handler.
type Resp = warp::reply::Response;

use sessions::{Flavor, GET_STREAM, HttpSession, LEGACY_STREAM, PostSink, Sessions, SseItem, StandaloneSink};

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
    /// Largest accepted request body, bytes.
    pub max_body: usize,
    /// Most sessions at once.
    pub max_sessions: usize,
    /// Sessions idle longer than this (and with no open stream) end.
    pub idle_timeout: Duration,
}

/// The HTTP transport.
#[derive(Debug)]
pub struct HttpTransport {
    config: HttpConfig,
}

impl HttpTransport {
    /// A transport with `config`.
    pub fn new(config: HttpConfig) -> HttpTransport {
        HttpTransport { config }
    }
}

struct State {
    server: Arc<McpServer>,
    config: HttpConfig,
    sessions: Sessions,
    shutdown: Shutdown,
    loopback: bool,
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The host part of a `Host` header or an origin's authority (`[::1]:8080` → `[::1]`).
fn host_of(authority: &str) -> &str {
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split(']').next().unwrap_or_default();
    }
    authority.rsplit_once(':').map_or(authority, |(h, port)| {
        if port.chars().all(|c| c.is_ascii_digit()) {
            h
        } else {
            authority
        }
    })
}

impl State {
    fn origin_allowed(&self, origin: &str) -> bool {
        if self
            .config
            .allowed_origins
            .iter()
            .any(|o| o.eq_ignore_ascii_case(origin))
        {
            return true;
        }
        let Some(authority) = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"))
        else {
            return false;
        };
        is_loopback(host_of(authority))
    }

    fn host_allowed(&self, host: &str) -> bool {
        !self.loopback || is_loopback(host_of(host)) || host_of(host).eq_ignore_ascii_case(&self.config.host)
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn plain(status: StatusCode, body: &str) -> Resp {
    let mut response = Resp::new(body.to_owned().into());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    response
}

/// An HTTP-level refusal with a JSON-RPC error body (so SDK clients can show it).
fn refuse(status: StatusCode, code: i32, message: &str) -> Resp {
    let body = serde_json::json!({"jsonrpc": "2.0", "id": null, "error": {"code": code, "message": message}});
    plain(status, &body.to_string())
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
    let mut event = warp::sse::Event::default()
        .id(item.id.clone())
        .data(item.data.clone());
    if let Some(name) = item.event {
        event = event.event(name);
    }
    event
}

/// An SSE body: `first` events, then whatever arrives on `rx`, until the stream's last event,
/// the client leaves, or shutdown. `retry` adds a reconnection delay hint.
fn sse_response(
    first: Vec<warp::sse::Event>,
    rx: Option<mpsc::UnboundedReceiver<SseItem>>,
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

async fn read_body(
    body: impl Stream<Item = Result<impl Buf, warp::Error>> + Unpin,
    limit: usize,
) -> Result<Vec<u8>, Resp> {
    let mut body = body;
    let mut out = Vec::new();
    while let Some(chunk) = body.next().await {
        let mut chunk =
            chunk.map_err(|_| refuse(StatusCode::BAD_REQUEST, -32700, "Parse error: unreadable body"))?;
        if out.len() + chunk.remaining() > limit {
            return Err(refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                -32600,
                &format!("Invalid Request: body larger than {limit} bytes"),
            ));
        }
        while chunk.has_remaining() {
            let part = chunk.chunk();
            out.extend_from_slice(part);
            let n = part.len();
            chunk.advance(n);
        }
    }
    Ok(out)
}

/// A JSON-RPC POST body: declared as JSON (or undeclared), within `limit`, and UTF-8.
async fn json_body(
    headers: &HeaderMap,
    body: impl Stream<Item = Result<impl Buf, warp::Error>> + Unpin,
    limit: usize,
) -> Result<String, Resp> {
    if header(headers, "content-type").is_some_and(|ct| !ct.to_ascii_lowercase().contains("application/json"))
    {
        return Err(refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            -32600,
            "Unsupported Media Type: send application/json",
        ));
    }
    let body = read_body(body, limit).await?;
    String::from_utf8(body)
        .map_err(|_| refuse(StatusCode::BAD_REQUEST, -32700, "Parse error: body is not UTF-8"))
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

async fn route(
    state: Arc<State>,
    method: Method,
    path: String,
    query: String,
    headers: HeaderMap,
    body: impl Stream<Item = Result<impl Buf, warp::Error>> + Unpin,
) -> Resp {
    let origin = header(&headers, "origin").map(str::to_owned);
    if let Some(origin) = &origin
        && !state.origin_allowed(origin)
    {
        return refuse(StatusCode::FORBIDDEN, -32600, "Forbidden: Origin not allowed");
    }
    if let Some(host) = header(&headers, "host")
        && !state.host_allowed(host)
    {
        return refuse(StatusCode::FORBIDDEN, -32600, "Forbidden: Host not allowed");
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
                "Content-Type, Accept, Authorization, Mcp-Session-Id, MCP-Protocol-Version, Last-Event-ID",
            ),
        );
        h.insert("access-control-max-age", HeaderValue::from_static("600"));
        return with_cors(response, origin.as_deref());
    }
    if path == "/healthz" {
        let body = serde_json::json!({"status": "ok", "sessions": state.sessions.len()});
        return with_cors(plain(StatusCode::OK, &body.to_string()), origin.as_deref());
    }
    if let Some(token) = &state.config.auth_token {
        let given = header(&headers, "authorization")
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")));
        let ok = given
            .is_some_and(|g| orion::util::secure_cmp(g.trim().as_bytes(), token.expose().as_bytes()).is_ok());
        if !ok {
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
    }
    let response = match (path.as_str(), &method) {
        ("/mcp", &Method::POST) => post_mcp(&state, &headers, body).await,
        ("/mcp", &Method::GET) => get_mcp(&state, &headers),
        ("/mcp", &Method::DELETE) => delete_mcp(&state, &headers),
        ("/mcp", _) => {
            let mut r = refuse(StatusCode::METHOD_NOT_ALLOWED, -32600, "Method not allowed");
            r.headers_mut()
                .insert("allow", HeaderValue::from_static("GET, POST, DELETE, OPTIONS"));
            r
        }
        ("/sse", &Method::GET) => get_legacy_sse(&state),
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

/// Creates a session and its engine session.
fn open_session(state: &State, flavor: Flavor) -> Result<Arc<HttpSession>, Resp> {
    if state.sessions.len() >= state.config.max_sessions {
        let mut r = refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            -32603,
            "Too many sessions; try again later",
        );
        r.headers_mut()
            .insert("retry-after", HeaderValue::from_static("30"));
        return Err(r);
    }
    let id = new_session_id()
        .ok_or_else(|| refuse(StatusCode::INTERNAL_SERVER_ERROR, -32603, "Internal error"))?;
    let session = Arc::new(HttpSession::new(id, flavor));
    let core = state
        .server
        .open_session(Arc::new(StandaloneSink(Arc::downgrade(&session))));
    session.set_core(core);
    state.sessions.insert(session.clone());
    Ok(session)
}

fn close_session(state: &State, session: &Arc<HttpSession>) {
    state.sessions.remove(&session.id);
    session.close_streams();
    if let Some(core) = session.core() {
        state.server.close_session(&core);
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
    body: impl Stream<Item = Result<impl Buf, warp::Error>> + Unpin,
) -> Resp {
    let json_ok = accepts(headers, "application/json");
    let sse_ok = accepts(headers, "text/event-stream");
    if !json_ok && !sse_ok {
        return refuse(
            StatusCode::NOT_ACCEPTABLE,
            -32600,
            "Not Acceptable: accept application/json or text/event-stream",
        );
    }
    let body = match json_body(headers, body, state.config.max_body).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let text = body.as_str();
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
            match open_session(state, Flavor::Streamable) {
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
        let (_, rx) = session.attach(&stream, Some(0));
        let sink = Arc::new(PostSink::Sse {
            session: session.clone(),
            stream: stream.clone(),
        });
        match state.server.handle_frame(&core, text, sink) {
            FrameOutcome::NoReply => plain(StatusCode::ACCEPTED, ""),
            FrameOutcome::Answered | FrameOutcome::Pending => {
                let mut first = Vec::new();
                if core
                    .protocol_version()
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
        match state.server.handle_frame_inline(&core, text, sink) {
            FrameOutcome::NoReply => plain(StatusCode::ACCEPTED, ""),
            FrameOutcome::Answered | FrameOutcome::Pending => match rx.await {
                Ok(answer) => plain(StatusCode::OK, &answer),
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
        Some((stream, seq)) if session.has_stream(stream) => (stream.to_owned(), seq.parse::<u64>().ok()),
        _ => (GET_STREAM.to_owned(), None),
    };
    let (replay, rx) = session.attach(&stream, after);
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

fn get_legacy_sse(state: &Arc<State>) -> Resp {
    let session = match open_session(state, Flavor::Legacy) {
        Ok(session) => session,
        Err(response) => return response,
    };
    let (_, rx) = session.attach(LEGACY_STREAM, Some(0));
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
    let body = match json_body(headers, body, state.config.max_body).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let text = body.as_str();
    let Some(core) = session.core() else {
        return refuse(StatusCode::NOT_FOUND, -32600, "Session not found");
    };
    session.touch();
    let sink = Arc::new(StandaloneSink(Arc::downgrade(&session)));
    state.server.handle_frame(&core, text, sink);
    plain(StatusCode::ACCEPTED, "")
}

async fn sweep(state: Arc<State>) {
    let mut shutdown = state.shutdown.clone();
    loop {
        tokio::select! {
            () = shutdown.wait() => break,
            () = tokio::time::sleep(Duration::from_secs(10)) => {}
        }
        for session in state.sessions.expired(state.config.idle_timeout) {
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

    async fn serve(&self, server: Arc<McpServer>, shutdown: Shutdown) -> Result<(), TransportError> {
        let address = format!("{}:{}", self.config.host, self.config.port);
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host(&address)
            .await
            .map_err(|e| TransportError::Bind {
                address: address.clone(),
                message: e.to_string(),
            })?
            .collect();
        let first = addrs.first().copied().ok_or_else(|| TransportError::Bind {
            address: address.clone(),
            message: "no address".into(),
        })?;
        let listener = tokio::net::TcpListener::bind(first)
            .await
            .map_err(|e| TransportError::Bind {
                address: address.clone(),
                message: e.to_string(),
            })?;
        let bound = listener
            .local_addr()
            .map_err(|e| TransportError::Io(e.to_string()))?;
        let state = Arc::new(State {
            server,
            loopback: bound.ip().is_loopback(),
            config: self.config.clone(),
            sessions: Sessions::default(),
            shutdown: shutdown.clone(),
        });
        tracing::info!(address = %bound, "ttai HTTP listening: Streamable HTTP at /mcp, HTTP+SSE at /sse");
        let routes = {
            let state = state.clone();
            warp::any()
                .and(warp::method())
                .and(warp::path::full())
                .and(warp::query::raw().or(warp::any().map(String::new)).unify())
                .and(warp::header::headers_cloned())
                .and(warp::body::stream())
                .then(
                    move |method: Method,
                          path: warp::path::FullPath,
                          query: String,
                          headers: HeaderMap,
                          body| {
                        let state = state.clone();
                        async move {
                            route(
                                state,
                                method,
                                path.as_str().to_owned(),
                                query,
                                headers,
                                Box::pin(body),
                            )
                            .await
                        }
                    },
                )
        };
        tokio::spawn(sweep(state.clone()));
        let mut stop = shutdown.clone();
        warp::serve(routes)
            .incoming(listener)
            .graceful(async move {
                stop.wait().await;
            })
            .run()
            .await;
        for session in state.sessions.all() {
            close_session(&state, &session);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_origins_are_told_apart() {
        assert_eq!(host_of("localhost:8080"), "localhost");
        assert_eq!(host_of("[::1]:5180"), "::1");
        assert_eq!(host_of("127.0.0.1"), "127.0.0.1");
        assert!(is_loopback("localhost") && is_loopback("127.0.0.1") && is_loopback("::1"));
        assert!(!is_loopback("evil.example.com"));
    }
}
