//! HTTP/1.1 plumbing of the fake: an accept thread, one thread per connection, one request and
//! one answer per connection (`Connection: close`). Only `std::net`, so the fake runs the same
//! under any test runtime, paused Tokio time included.

use std::io::{self, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
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
    let _ = stream.set_read_timeout(Some(http1::IO_TIMEOUT));
    let _ = stream.set_write_timeout(Some(http1::IO_TIMEOUT));
    let mut reader = BufReader::new(&stream);
    let Ok(read) = http1::read_request(&mut reader, &stream, MAX_BODY) else {
        let _ = stream.shutdown(Shutdown::Both);
        return;
    };
    let request = RecordedRequest {
        method: read.method,
        target: read.target,
        endpoint: super::Endpoint::Other,
        headers: read.headers,
        body: read.body,
    };
    let reply = super::routes::handle(shared, request);
    if !reply.delay.is_zero() {
        std::thread::sleep(reply.delay);
    }
    // The client may have given up meanwhile; then the answer has nowhere to go.
    let _ = write_reply(&stream, &reply);
    let _ = stream.shutdown(Shutdown::Both);
}

/// Writes `reply` with `Connection: close`.
fn write_reply(mut stream: &TcpStream, reply: &Reply) -> io::Result<()> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    if let Some(content_type) = reply.content_type {
        head.push_str(&format!("Content-Type: {content_type}\r\n"));
    }
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nServer: nginx\r\nConnection: close\r\n\r\n",
        reply.body.len()
    ));
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(&reply.body);
    stream.write_all(&bytes)?;
    stream.flush()
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
