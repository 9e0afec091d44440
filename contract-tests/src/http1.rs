//! The HTTP/1.1 plumbing the local test servers share (the webhook receiver, the fake
//! TastyTrade's REST side and its DXLink side).
//!
//! Connections are accepted on a `std::net` listener with a thread each, so a server can count
//! or refuse a connection before reading it (hang-ups), stop by a flag, and run under any test
//! runtime (paused Tokio time included). HTTP itself is hyper's: each connection thread runs one
//! request and one answer on a current-thread runtime of its own, then closes (`Connection:
//! close`); chunked bodies, `Expect: 100-continue` and malformed requests are hyper's to read.

use std::io;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::ext::ReasonPhrase;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};

/// How long a connection may stay silent before a server gives up on it.
pub(crate) const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// Accepts connections until `stop` is set, each served by `serve` on its own thread (named
/// `name`) so a slow answer does not hold up the next connection.
pub(crate) fn accept_loop<F>(listener: &TcpListener, stop: &AtomicBool, name: &str, serve: F)
where
    F: Fn(TcpStream) + Clone + Send + 'static,
{
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else {
            // Out of descriptors or an aborted handshake: pause briefly rather than spin.
            std::thread::sleep(Duration::from_millis(10));
            continue;
        };
        let serve = serve.clone();
        let spawned = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || serve(stream));
        if spawned.is_err() {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// One request as read.
pub(crate) struct Request {
    /// `GET`, `POST`, ...
    pub(crate) method: String,
    /// The request target, path and query.
    pub(crate) target: String,
    /// Headers in arrival order (names lower-cased by the HTTP library).
    pub(crate) headers: Vec<(String, String)>,
    /// The body.
    pub(crate) body: Vec<u8>,
}

/// An answer to send.
pub(crate) struct Answer {
    /// The status.
    pub(crate) status: u16,
    /// The reason phrase, when it is not the standard one.
    pub(crate) reason: Option<&'static str>,
    /// Headers.
    pub(crate) headers: Vec<(String, String)>,
    /// The body.
    pub(crate) body: Vec<u8>,
    /// How long to wait before answering.
    pub(crate) delay: Duration,
}

/// Reads one request of at most `max_body` bytes from `stream`, answers what `handle` returns
/// (after its delay), and closes. `handle` returning `None`, a body too large or a request that
/// cannot be read closes the connection without an answer of ours.
pub(crate) fn serve_one<H>(stream: TcpStream, max_body: usize, handle: H)
where
    H: Fn(Request) -> Option<Answer>,
{
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
        return;
    };
    runtime.block_on(async {
        if stream.set_nonblocking(true).is_err() {
            return;
        }
        let Ok(stream) = tokio::net::TcpStream::from_std(stream) else {
            return;
        };
        let handle = &handle;
        let service = service_fn(move |request: hyper::Request<Incoming>| async move {
            let (parts, body) = request.into_parts();
            let read = tokio::time::timeout(IO_TIMEOUT, Limited::new(body, max_body).collect()).await;
            let Ok(Ok(body)) = read else {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "body unreadable or too large",
                ));
            };
            let request = Request {
                method: parts.method.as_str().to_owned(),
                target: parts
                    .uri
                    .path_and_query()
                    .map_or_else(|| parts.uri.to_string(), ToString::to_string),
                headers: parts
                    .headers
                    .iter()
                    .map(|(name, value)| {
                        (
                            name.as_str().to_owned(),
                            String::from_utf8_lossy(value.as_bytes()).into_owned(),
                        )
                    })
                    .collect(),
                body: body.to_bytes().to_vec(),
            };
            let Some(answer) = handle(request) else {
                return Err(io::Error::new(io::ErrorKind::ConnectionAborted, "hung up"));
            };
            if !answer.delay.is_zero() {
                tokio::time::sleep(answer.delay).await;
            }
            Ok::<_, io::Error>(response(answer))
        });
        // The client may give up meanwhile; then the answer has nowhere to go.
        let _ = http1::Builder::new()
            .keep_alive(false)
            .timer(TokioTimer::new())
            .header_read_timeout(IO_TIMEOUT)
            .serve_connection(TokioIo::new(stream), service)
            .await;
    });
}

/// The hyper response of an answer.
fn response(answer: Answer) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(answer.body)));
    *response.status_mut() = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Some(reason) = answer.reason {
        response
            .extensions_mut()
            .insert(ReasonPhrase::from_static(reason.as_bytes()));
    }
    let headers = response.headers_mut();
    for (name, value) in answer.headers {
        if let (Ok(name), Ok(value)) = (
            hyper::header::HeaderName::from_bytes(name.as_bytes()),
            hyper::header::HeaderValue::from_str(&value),
        ) {
            headers.append(name, value);
        }
    }
    response
}
