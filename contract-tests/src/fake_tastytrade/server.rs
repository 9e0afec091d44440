//! HTTP/1.1 plumbing of the fake: an accept thread, one thread per connection, one request and
//! one answer per connection (`Connection: close`). Only `std::net`, so the fake runs the same
//! under any test runtime, paused Tokio time included.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::{RecordedRequest, Shared};

/// Longest accepted request head line.
const MAX_LINE: u64 = 64 * 1024;

/// Most header lines accepted in one request.
const MAX_HEADERS: usize = 100;

/// Largest accepted request body.
const MAX_BODY: usize = 1024 * 1024;

/// How long a connection may stay silent before the fake gives up on it.
const IO_TIMEOUT: Duration = Duration::from_secs(30);

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
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else {
            std::thread::sleep(Duration::from_millis(10));
            continue;
        };
        let shared = Arc::clone(shared);
        let spawned = std::thread::Builder::new()
            .name("fake-tastytrade-conn".to_owned())
            .spawn(move || serve(stream, &shared));
        if spawned.is_err() {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Serves one connection: one request, one answer, then close.
fn serve(stream: TcpStream, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
    let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
    let mut reader = BufReader::new(&stream);
    let Ok(request) = read_request(&mut reader, &stream) else {
        let _ = stream.shutdown(Shutdown::Both);
        return;
    };
    let reply = super::routes::handle(shared, request);
    if !reply.delay.is_zero() {
        std::thread::sleep(reply.delay);
    }
    // The client may have given up meanwhile; then the answer has nowhere to go.
    let _ = write_reply(&stream, &reply);
    let _ = stream.shutdown(Shutdown::Both);
}

/// An `InvalidData` error.
fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

/// Reads one line ending in CRLF (or LF), without the line end.
fn read_line(reader: &mut impl BufRead) -> io::Result<String> {
    let mut line = String::new();
    let n = reader.by_ref().take(MAX_LINE).read_line(&mut line)?;
    if n == 0 || !line.ends_with('\n') {
        return Err(invalid("connection closed mid-line or line too long"));
    }
    let trimmed = line.trim_end_matches(['\r', '\n']).len();
    line.truncate(trimmed);
    Ok(line)
}

/// Reads the request line, the headers and a `Content-Length` body.
fn read_request(reader: &mut impl BufRead, _stream: &TcpStream) -> io::Result<RecordedRequest> {
    let request_line = read_line(reader)?;
    let mut parts = request_line.split_whitespace();
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(invalid("malformed request line"));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(invalid("not HTTP/1.x"));
    }
    let mut headers = Vec::new();
    loop {
        let line = read_line(reader)?;
        if line.is_empty() {
            break;
        }
        if headers.len() >= MAX_HEADERS {
            return Err(invalid("too many headers"));
        }
        let (name, value) = line.split_once(':').ok_or_else(|| invalid("malformed header"))?;
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.parse::<usize>().map_err(|_| invalid("bad content-length")))
        .transpose()?
        .unwrap_or(0);
    if length > MAX_BODY {
        return Err(invalid("body too large"));
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(RecordedRequest {
        method: method.to_owned(),
        target: target.to_owned(),
        endpoint: super::Endpoint::Other,
        headers,
        body,
    })
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
