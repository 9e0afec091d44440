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
mod legacy;
mod modern;
mod reply;
mod server;
mod sessions;
mod streamable;

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

use legacy::*;
use reply::*;
use streamable::*;

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
