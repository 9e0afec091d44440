//! A local webhook receiver for tests: a minimal HTTP/1.1 server on `127.0.0.1` that records
//! every request and answers as scripted.
//!
//! It serves the notifier contract suite and the end-to-end tests of the binary. One thread
//! accepts connections (`std::net`) and one thread per connection reads the request with hyper
//! (`http1`: the body by `Content-Length`, or chunked), records it, waits the scripted delay,
//! answers the scripted status with `Connection: close`, and closes.
//!
//! Faults it can play:
//! - a status for the next requests ([`WebhookReceiver::script`]) or for all of them
//!   ([`WebhookReceiver::set_default`]), e.g. 500 once then 200;
//! - a slow answer ([`Reply::after`]), to drive a client into its timeout;
//! - hanging up: every connection is closed at once without an answer and nothing is recorded
//!   ([`WebhookReceiver::set_hang_up`]); connections are still counted, so tests can see how many
//!   attempts a client made;
//! - being down: [`WebhookReceiver::stop`] closes the listening socket, so connections are
//!   refused, and [`WebhookReceiver::restart`] listens on the same port again.
//!
//! Readiness is explicit: [`WebhookReceiver::wait_for`] blocks until `n` requests were recorded
//! (or a deadline passed), so tests never sleep.

use std::collections::VecDeque;
use std::io;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::http1;

/// Largest accepted body.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// How the receiver answers one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The status code sent back.
    pub status: u16,
    /// How long to wait after reading the request before answering.
    pub delay: Duration,
}

impl Reply {
    /// Answers `status` at once.
    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            delay: Duration::ZERO,
        }
    }

    /// The same answer, sent after `delay`.
    #[must_use]
    pub fn after(self, delay: Duration) -> Reply {
        Reply { delay, ..self }
    }
}

/// One request the receiver read completely, and what it answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedRequest {
    /// `POST`, `GET`, ...
    pub method: String,
    /// The request target, e.g. `/hook`.
    pub target: String,
    /// Every header in arrival order (names lower-cased by the HTTP library).
    pub headers: Vec<(String, String)>,
    /// The body bytes exactly as received (de-chunked when chunked).
    pub body: Vec<u8>,
    /// The status the receiver answered (or was about to answer, when the client gave up first).
    pub status: u16,
}

impl ReceivedRequest {
    /// The first value of header `name`, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.header_values(name).into_iter().next()
    }

    /// Every value of header `name`, compared case-insensitively.
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The body parsed as JSON, `None` when it is not JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// True when the receiver answered 2xx, i.e. the client's delivery succeeded.
    pub fn accepted(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// What the connection threads share with the test.
struct Shared {
    /// Everything recorded and scripted.
    state: Mutex<State>,
    /// Signalled whenever a request or a connection is recorded.
    changed: Condvar,
}

/// The receiver's mutable state.
struct State {
    /// Requests read completely, in arrival order.
    requests: Vec<ReceivedRequest>,
    /// Connections accepted, hung-up ones included.
    connections: usize,
    /// Replies for the next requests, used before `default`.
    script: VecDeque<Reply>,
    /// The reply once the script is used up.
    default: Reply,
    /// Close every connection at once, without reading or answering.
    hang_up: bool,
}

impl Shared {
    /// The state; a panicking connection thread does not make it unusable.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until `done` holds or `timeout` passes; returns the state either way.
    fn wait_until(&self, timeout: Duration, done: impl Fn(&State) -> bool) -> MutexGuard<'_, State> {
        let deadline = Instant::now() + timeout;
        let mut state = self.lock();
        while !done(&state) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            state = match self.changed.wait_timeout(state, left) {
                Ok((state, _)) => state,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
        state
    }
}

/// The accepting thread and how to stop it.
struct Acceptor {
    /// Set to make the accept loop exit at its next connection.
    stop: Arc<AtomicBool>,
    /// The accept loop; it owns the listening socket, which closes when it exits.
    thread: JoinHandle<()>,
}

/// A local HTTP/1.1 webhook receiver; see the module docs.
///
/// Dropping it stops listening; connection threads still waiting out a delay finish on their own.
pub struct WebhookReceiver {
    /// The address it listens on (the same across `stop`/`restart`).
    addr: SocketAddr,
    /// State shared with the connection threads.
    shared: Arc<Shared>,
    /// The running accept loop, `None` while stopped.
    acceptor: Mutex<Option<Acceptor>>,
}

impl WebhookReceiver {
    /// Starts a receiver on `127.0.0.1` with a free port, answering 200 to everything.
    ///
    /// # Errors
    /// When no socket can be bound or no thread started.
    pub fn start() -> io::Result<WebhookReceiver> {
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                requests: Vec::new(),
                connections: 0,
                script: VecDeque::new(),
                default: Reply::status(200),
                hang_up: false,
            }),
            changed: Condvar::new(),
        });
        let acceptor = spawn_acceptor(listener, Arc::clone(&shared))?;
        Ok(WebhookReceiver {
            addr,
            shared,
            acceptor: Mutex::new(Some(acceptor)),
        })
    }

    /// The URL to post to: `http://127.0.0.1:<port>/hook`.
    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request read completely so far, in arrival order, whatever it was answered.
    pub fn requests(&self) -> Vec<ReceivedRequest> {
        self.shared.lock().requests.clone()
    }

    /// The requests answered 2xx, i.e. the deliveries that succeeded.
    pub fn accepted(&self) -> Vec<ReceivedRequest> {
        self.requests()
            .into_iter()
            .filter(ReceivedRequest::accepted)
            .collect()
    }

    /// How many connections were accepted, including those hung up on.
    pub fn connections(&self) -> usize {
        self.shared.lock().connections
    }

    /// Waits until at least `n` requests were recorded or `timeout` passed, and returns all
    /// requests recorded by then (fewer than `n` on timeout: the caller asserts).
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<ReceivedRequest> {
        self.shared
            .wait_until(timeout, |state| state.requests.len() >= n)
            .requests
            .clone()
    }

    /// Waits until at least `n` connections were accepted or `timeout` passed, and returns the
    /// count by then.
    pub fn wait_for_connections(&self, n: usize, timeout: Duration) -> usize {
        self.shared
            .wait_until(timeout, |state| state.connections >= n)
            .connections
    }

    /// Queues replies for the next requests, after any already queued.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.shared.lock().script.extend(replies);
    }

    /// Answers the next `n` requests with `status`, e.g. `fail_next(1, 500)`.
    pub fn fail_next(&self, n: usize, status: u16) {
        self.script(std::iter::repeat_n(Reply::status(status), n));
    }

    /// Sets the reply used once the script is used up (initially 200 at once).
    pub fn set_default(&self, reply: Reply) {
        self.shared.lock().default = reply;
    }

    /// While on, every connection is closed at once without an answer and nothing is recorded.
    pub fn set_hang_up(&self, hang_up: bool) {
        self.shared.lock().hang_up = hang_up;
    }

    /// True while listening.
    pub fn is_running(&self) -> bool {
        self.acceptor_slot().is_some()
    }

    /// Stops listening: new connections are refused until [`WebhookReceiver::restart`].
    /// Does nothing when already stopped.
    pub fn stop(&self) {
        let Some(acceptor) = self.acceptor_slot().take() else {
            return;
        };
        acceptor.stop.store(true, Ordering::SeqCst);
        // Wake the blocking `accept` so the loop sees the flag and drops the listener. If the
        // connection fails, the loop has already ended.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(5));
        let _ = acceptor.thread.join();
    }

    /// Listens again on the same port. Does nothing when already running.
    ///
    /// # Errors
    /// When the port cannot be bound again (another process took it meanwhile).
    pub fn restart(&self) -> io::Result<()> {
        let mut slot = self.acceptor_slot();
        if slot.is_none() {
            let listener = TcpListener::bind(self.addr)?;
            *slot = Some(spawn_acceptor(listener, Arc::clone(&self.shared))?);
        }
        Ok(())
    }

    /// The acceptor slot, usable after a panic elsewhere.
    fn acceptor_slot(&self) -> MutexGuard<'_, Option<Acceptor>> {
        self.acceptor.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for WebhookReceiver {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Runs the accept loop on its own thread.
fn spawn_acceptor(listener: TcpListener, shared: Arc<Shared>) -> io::Result<Acceptor> {
    let stop = Arc::new(AtomicBool::new(false));
    let stop_flag = Arc::clone(&stop);
    let thread = std::thread::Builder::new()
        .name("webhook-receiver".to_owned())
        .spawn(move || {
            http1::accept_loop(&listener, &stop_flag, "webhook-connection", move |stream| {
                serve(stream, &shared);
            });
        })?;
    Ok(Acceptor { stop, thread })
}

/// Serves one connection: one request, one answer, then close.
fn serve(stream: TcpStream, shared: &Shared) {
    let hang_up = {
        let mut state = shared.lock();
        state.connections += 1;
        state.hang_up
    };
    shared.changed.notify_all();
    if hang_up {
        let _ = stream.shutdown(Shutdown::Both);
        return;
    }
    // Malformed or cut short requests are never handed over: nothing to record.
    http1::serve_one(stream, MAX_BODY, |request| {
        let reply = {
            let mut state = shared.lock();
            let reply = state.script.pop_front().unwrap_or_else(|| state.default.clone());
            state.requests.push(ReceivedRequest {
                method: request.method,
                target: request.target,
                headers: request.headers,
                body: request.body,
                status: reply.status,
            });
            reply
        };
        shared.changed.notify_all();
        Some(http1::Answer {
            status: reply.status,
            reason: Some(reason(reply.status)),
            headers: Vec::new(),
            body: Vec::new(),
            delay: reply.delay,
        })
    });
}

/// The reason phrase of common statuses.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        410 => "Gone",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::*;

    const WAIT: Duration = Duration::from_secs(10);

    /// Sends raw request bytes and returns the status of the answer.
    fn send(addr: SocketAddr, request: &[u8]) -> io::Result<u16> {
        let mut stream = TcpStream::connect(addr)?;
        stream.set_read_timeout(Some(WAIT))?;
        stream.write_all(request)?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer)?;
        answer
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no status"))
    }

    fn post(addr: SocketAddr, body: &str) -> io::Result<u16> {
        let request = format!(
            "POST /hook HTTP/1.1\r\nHost: x\r\nX-Test: a\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        send(addr, request.as_bytes())
    }

    #[test]
    fn records_requests_and_answers_as_scripted() {
        let receiver = WebhookReceiver::start().unwrap();
        receiver.script([Reply::status(500)]);
        receiver.fail_next(1, 429);
        assert_eq!(post(receiver.addr(), r#"{"a":1}"#).unwrap(), 500);
        assert_eq!(post(receiver.addr(), "x").unwrap(), 429);
        assert_eq!(post(receiver.addr(), "").unwrap(), 200);
        receiver.set_default(Reply::status(204));
        assert_eq!(post(receiver.addr(), "y").unwrap(), 204);
        let requests = receiver.wait_for(4, WAIT);
        assert_eq!(requests.len(), 4);
        assert_eq!(requests[0].method, "POST");
        assert_eq!(requests[0].target, "/hook");
        assert_eq!(requests[0].header("x-test"), Some("a"));
        assert_eq!(requests[0].json().unwrap()["a"], 1);
        assert_eq!(
            requests.iter().map(|r| r.status).collect::<Vec<_>>(),
            [500, 429, 200, 204]
        );
        assert_eq!(receiver.accepted().len(), 2);
        assert_eq!(receiver.connections(), 4);
        assert!(receiver.url().starts_with("http://127.0.0.1:"));
    }

    #[test]
    fn reads_chunked_bodies_and_answers_expect_continue() {
        let receiver = WebhookReceiver::start().unwrap();
        let request =
            b"POST /hook HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n";
        assert_eq!(send(receiver.addr(), request).unwrap(), 200);
        let request = b"POST /hook HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok";
        assert_eq!(send(receiver.addr(), request).unwrap(), 100);
        let requests = receiver.wait_for(2, WAIT);
        assert_eq!(requests[0].body, b"abcde");
        assert_eq!(requests[1].body, b"ok");
    }

    #[test]
    fn hanging_up_counts_connections_and_records_nothing() {
        let receiver = WebhookReceiver::start().unwrap();
        receiver.set_hang_up(true);
        assert!(post(receiver.addr(), "x").is_err());
        assert_eq!(receiver.wait_for_connections(1, WAIT), 1);
        assert!(receiver.requests().is_empty());
        receiver.set_hang_up(false);
        assert_eq!(post(receiver.addr(), "x").unwrap(), 200);
        assert_eq!(receiver.requests().len(), 1);
    }

    #[test]
    fn a_stopped_receiver_refuses_connections_until_restarted() {
        let receiver = WebhookReceiver::start().unwrap();
        receiver.stop();
        assert!(!receiver.is_running());
        let err = TcpStream::connect(receiver.addr()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
        receiver.stop();
        receiver.restart().unwrap();
        assert!(receiver.is_running());
        assert_eq!(post(receiver.addr(), "x").unwrap(), 200);
        assert_eq!(receiver.requests().len(), 1);
    }

    #[test]
    fn a_delayed_reply_arrives_after_the_delay() {
        let receiver = WebhookReceiver::start().unwrap();
        receiver.script([Reply::status(202).after(Duration::from_millis(50))]);
        assert_eq!(post(receiver.addr(), "x").unwrap(), 202);
    }

    #[test]
    fn malformed_requests_are_dropped_unrecorded() {
        let receiver = WebhookReceiver::start().unwrap();
        let _ = send(receiver.addr(), b"NONSENSE\r\n\r\n");
        assert_eq!(receiver.wait_for_connections(1, WAIT), 1);
        assert!(receiver.requests().is_empty());
    }
}
