//! The connection loop: accepting within budgets, serving each connection with hyper's HTTP/1.1,
//! and shutting down promptly.
//!
//! warp's own server has no header timeout, no connection cap, logs every client disconnect as
//! an error and waits for every connection at shutdown however long it stalls; this loop serves
//! warp's filter (as a service) with those budgets:
//! - a request's headers must arrive within the header timeout (before any authentication), and
//!   a keep-alive connection waiting for its next request is closed after the same time;
//! - at most `max_connections` connections (and never closer than [`FD_RESERVE`] to the process's
//!   file limit): a new one takes the place of the connection idle longest (one without a
//!   request in flight, such as a client trickling its headers), so `/healthz` and real clients
//!   are still served when someone holds every slot; when the process runs out of descriptors
//!   anyway, an idle connection is closed to make room;
//! - TCP_NODELAY on every connection (no Nagle delay on small answers);
//! - at shutdown the listener closes at once, idle and half-read connections are closed at once,
//!   and requests in flight get at most the drain period.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::Notify;
use tokio::task::AbortHandle;
use ttai_core::ports::Shutdown;
use warp::http::{Request, Uri};

/// File descriptors kept free for everything else (the database, the broker, the log).
pub(crate) const FD_RESERVE: usize = 64;

/// Largest request head (request line and headers), bytes.
const MAX_HEAD: usize = 64 * 1024;

/// The connection budgets.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ConnLimits {
    pub(crate) max_connections: usize,
    pub(crate) header_timeout: Duration,
    pub(crate) drain: Duration,
}

/// What answers a request: warp's routes, as a service.
pub(crate) trait Handler:
    hyper::service::Service<
        Request<Incoming>,
        Response = warp::reply::Response,
        Error = Infallible,
        Future: Send + 'static,
    > + Clone
    + Send
    + Sync
    + 'static
{
}

impl<S> Handler for S where
    S: hyper::service::Service<
            Request<Incoming>,
            Response = warp::reply::Response,
            Error = Infallible,
            Future: Send + 'static,
        > + Clone
        + Send
        + Sync
        + 'static
{
}

/// The client's address, put on every request for the handlers.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ClientAddr(pub(crate) SocketAddr);

/// An absolute-form request target, exactly as sent (origin-form targets are not recorded).
#[derive(Clone, Debug)]
pub(crate) struct Target(pub(crate) Uri);

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One open connection.
struct Conn {
    /// Requests received and not yet fully answered (an open SSE stream counts).
    busy: AtomicUsize,
    /// When it last had nothing in flight.
    idle_since: Mutex<Instant>,
    /// Asked to close (eviction or shutdown).
    closing: AtomicBool,
    close: Notify,
    abort: Mutex<Option<AbortHandle>>,
}

impl Conn {
    fn ask_to_close(&self) {
        self.closing.store(true, Ordering::Release);
        // `notify_one` keeps the wake-up if the connection is not waiting yet.
        self.close.notify_one();
    }
}

/// Every open connection.
#[derive(Default)]
pub(crate) struct Connections {
    table: Mutex<HashMap<u64, Arc<Conn>>>,
    next: AtomicU64,
    emptied: Notify,
}

impl Connections {
    /// Connections not asked to close.
    fn open(&self) -> usize {
        lock(&self.table)
            .values()
            .filter(|c| !c.closing.load(Ordering::Acquire))
            .count()
    }

    /// Asks the connection idle longest (nothing in flight) to close; false when every
    /// connection is busy.
    fn evict_idle(&self) -> bool {
        let table = lock(&self.table);
        let victim = table
            .values()
            .filter(|c| !c.closing.load(Ordering::Acquire) && c.busy.load(Ordering::Acquire) == 0)
            .min_by_key(|c| *lock(&c.idle_since));
        match victim {
            Some(conn) => {
                conn.ask_to_close();
                true
            }
            None => false,
        }
    }

    fn add(&self) -> (u64, Arc<Conn>) {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let conn = Arc::new(Conn {
            busy: AtomicUsize::new(0),
            idle_since: Mutex::new(Instant::now()),
            closing: AtomicBool::new(false),
            close: Notify::new(),
            abort: Mutex::new(None),
        });
        lock(&self.table).insert(id, conn.clone());
        (id, conn)
    }

    fn remove(&self, id: u64) {
        let mut table = lock(&self.table);
        table.remove(&id);
        if table.is_empty() {
            self.emptied.notify_waiters();
        }
    }

    fn close_all(&self) {
        for conn in lock(&self.table).values() {
            conn.ask_to_close();
        }
    }

    fn abort_all(&self) {
        for conn in lock(&self.table).values() {
            if let Some(handle) = lock(&conn.abort).as_ref() {
                handle.abort();
            }
        }
    }

    async fn empty(&self) {
        loop {
            let emptied = self.emptied.notified();
            tokio::pin!(emptied);
            emptied.as_mut().enable();
            if lock(&self.table).is_empty() {
                return;
            }
            emptied.await;
        }
    }
}

/// Marks a connection busy while a request is being answered; dropped with the response body.
struct Busy(Arc<Conn>);

impl Busy {
    fn new(conn: Arc<Conn>) -> Busy {
        conn.busy.fetch_add(1, Ordering::AcqRel);
        Busy(conn)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        if self.0.busy.fetch_sub(1, Ordering::AcqRel) == 1 {
            *lock(&self.0.idle_since) = Instant::now();
        }
    }
}

/// A response body that keeps its connection marked busy until it is finished or dropped.
pub(crate) struct Guarded<B> {
    body: B,
    _busy: Busy,
}

impl<B: Body + Unpin> Body for Guarded<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        std::pin::Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The most connections this process can hold: the configured cap, but never closer than
/// [`FD_RESERVE`] to the open-file limit.
pub(crate) fn connection_cap(configured: usize) -> usize {
    match open_file_limit() {
        Some(limit) => configured.min(limit.saturating_sub(FD_RESERVE).max(8)),
        None => configured,
    }
}

/// The soft limit on open files, where the platform tells it without `unsafe` (Linux).
fn open_file_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// A minimal refusal written straight to a socket the loop cannot serve.
const BUSY_RESPONSE: &[u8] =
    b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

/// Accepts and serves connections until `shutdown`, then drains; see the module docs.
pub(crate) async fn run<S: Handler>(
    listener: tokio::net::TcpListener,
    service: S,
    limits: ConnLimits,
    mut shutdown: Shutdown,
) {
    let connections = Arc::new(Connections::default());
    let mut last_warning: Option<Instant> = None;
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = shutdown.wait() => break,
        };
        match accepted {
            Ok((stream, addr)) => {
                let _ = stream.set_nodelay(true);
                if connections.open() >= limits.max_connections && !connections.evict_idle() {
                    let _ = stream.try_write(BUSY_RESPONSE);
                    continue;
                }
                let (id, conn) = connections.add();
                let task_connections = connections.clone();
                let task_conn = conn.clone();
                let service = service.clone();
                let handle = tokio::spawn(async move {
                    serve_connection(stream, addr, task_conn, service, limits.header_timeout).await;
                    task_connections.remove(id);
                });
                *lock(&conn.abort) = Some(handle.abort_handle());
            }
            Err(err)
                if matches!(
                    err.kind(),
                    std::io::ErrorKind::ConnectionAborted
                        | std::io::ErrorKind::ConnectionReset
                        | std::io::ErrorKind::Interrupted
                        | std::io::ErrorKind::WouldBlock
                ) => {}
            Err(err) => {
                // Out of descriptors (or memory): make room by closing the connection idle
                // longest; with none idle, wait a little instead of spinning.
                if last_warning.is_none_or(|t| t.elapsed() > Duration::from_secs(10)) {
                    tracing::warn!(error = %err, "cannot accept a connection; closing idle ones to make room");
                    last_warning = Some(Instant::now());
                }
                if !connections.evict_idle() {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
    }
    drop(listener);
    connections.close_all();
    if tokio::time::timeout(limits.drain, connections.empty())
        .await
        .is_err()
    {
        tracing::warn!("requests still running after the drain period were abandoned");
        connections.abort_all();
    }
}

/// Serves one connection until it ends, is evicted, or shutdown closes it.
async fn serve_connection<S: Handler>(
    stream: tokio::net::TcpStream,
    addr: SocketAddr,
    conn: Arc<Conn>,
    service: S,
    header_timeout: Duration,
) {
    let service_conn = conn.clone();
    let hyper_service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        let busy = Busy::new(service_conn.clone());
        request.extensions_mut().insert(ClientAddr(addr));
        // Only an absolute-form target has an authority to check.
        if request.uri().authority().is_some() {
            let target = Target(request.uri().clone());
            request.extensions_mut().insert(target);
        }
        let answer = service.call(request);
        async move {
            let response = match answer.await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            Ok::<_, Infallible>(response.map(|body| Guarded { body, _busy: busy }))
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_header_size(MAX_HEAD)
        .keep_alive(true);
    let connection = builder.serve_connection(TokioIo::new(stream), hyper_service);
    tokio::pin!(connection);
    let ended = tokio::select! {
        ended = connection.as_mut() => ended,
        () = conn.close.notified() => {
            if conn.busy.load(Ordering::Acquire) == 0 {
                // Idle, or a request head still arriving: closed now (hyper's graceful shutdown
                // would wait for a head that may never end).
                return;
            }
            // A request in flight is answered first; keep-alive ends after it.
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(err) = ended {
        // Clients that hang up, time out or send garbage are routine, not server errors.
        tracing::debug!(client = %addr, error = %err, "HTTP connection ended");
    }
}
