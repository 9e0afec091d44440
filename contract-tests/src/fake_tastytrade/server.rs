//! HTTP/1.1 plumbing of the fake: an accept thread, one thread per connection, one request and
//! one answer per connection (`Connection: close`), on `http1` (hyper on a runtime of the
//! connection's own), so the fake runs the same under any test runtime, paused Tokio time
//! included.

use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use super::{RecordedRequest, Shared};
use crate::http1;

/// Largest accepted request body.
const MAX_BODY: usize = 1024 * 1024;

/// An answer to send.
#[derive(Clone, Debug)]
pub(crate) struct Reply {
    /// The status.
    pub(crate) status: u16,
    /// The `Content-Type`, when there is a body type to declare.
    pub(crate) content_type: Option<&'static str>,
    /// More headers.
    pub(crate) headers: Vec<(String, String)>,
    /// The body.
    pub(crate) body: Vec<u8>,
    /// How long to wait before answering.
    pub(crate) delay: Duration,
}

impl Reply {
    /// A JSON answer.
    pub(crate) fn json(status: u16, body: &serde_json::Value) -> Reply {
        Reply {
            status,
            content_type: Some("application/json"),
            headers: Vec::new(),
            body: body.to_string().into_bytes(),
            delay: Duration::ZERO,
        }
    }

    /// An HTML page like the one nginx serves for `status`.
    pub(crate) fn html(status: u16) -> Reply {
        let title = format!("{status} {}", reason(status));
        let page = format!(
            "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n\
<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
        );
        Reply {
            status,
            content_type: Some("text/html"),
            headers: Vec::new(),
            body: page.into_bytes(),
            delay: Duration::ZERO,
        }
    }

    /// An empty body.
    pub(crate) fn empty(status: u16) -> Reply {
        Reply {
            status,
            content_type: Some("application/json"),
            headers: Vec::new(),
            body: Vec::new(),
            delay: Duration::ZERO,
        }
    }
}

/// The reason phrase of a status.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Authorization Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Temporarily Unavailable",
        504 => "Gateway Time-out",
        _ => "Status",
    }
}

/// Accepts connections until `stop` is set, each served on its own thread so a slow answer does
/// not hold up the others.
pub(crate) fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>, stop: &AtomicBool) {
    let shared = Arc::clone(shared);
    http1::accept_loop(listener, stop, "fake-tastytrade-conn", move |stream| {
        serve(stream, &shared)
    });
}

/// Serves one connection: one request, one answer, then close.
fn serve(stream: TcpStream, shared: &Shared) {
    http1::serve_one(stream, MAX_BODY, |read| {
        let request = RecordedRequest {
            method: read.method,
            target: read.target,
            endpoint: super::Endpoint::Other,
            headers: read.headers,
            body: read.body,
        };
        Some(answer(super::routes::handle(shared, request)))
    });
}

/// The HTTP answer of a reply, as nginx in front of TastyTrade words it.
fn answer(reply: Reply) -> http1::Answer {
    let mut headers = Vec::with_capacity(reply.headers.len() + 2);
    if let Some(content_type) = reply.content_type {
        headers.push(("Content-Type".to_owned(), content_type.to_owned()));
    }
    headers.extend(reply.headers);
    headers.push(("Server".to_owned(), "nginx".to_owned()));
    http1::Answer {
        status: reply.status,
        reason: Some(reason(reply.status)),
        headers,
        body: reply.body,
        delay: reply.delay,
    }
}

/// Decodes `%XX` escapes (and `+` as a space when `plus_is_space`); bad escapes are kept as is.
pub(crate) fn percent_decode(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = |at: usize| bytes.get(at).and_then(|c| char::from(*c).to_digit(16));
        match b {
            b'%' => match (hex(i + 1), hex(i + 2)) {
                (Some(hi), Some(lo)) => {
                    out.push((hi * 16 + lo) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b),
            },
            b'+' if plus_is_space => out.push(b' '),
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_decoded() {
        assert_eq!(
            percent_decode("SPY%20%20%20250117P00450000", false),
            "SPY   250117P00450000"
        );
        assert_eq!(percent_decode("BRK%2fB+x", true), "BRK/B x");
        assert_eq!(percent_decode("100%", false), "100%");
    }
}
