//! The HTTP/1.1 plumbing the local test servers share (the webhook receiver, the fake
//! TastyTrade's REST side and its DXLink side): an accept loop with a thread per connection, and
//! reading one request (request line, headers, a `Content-Length` or chunked body, `Expect:
//! 100-continue`). Only `std::net`, so the servers run under any test runtime.

use std::io::{self, BufRead, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Longest accepted request head line.
const MAX_LINE: u64 = 64 * 1024;

/// Most header lines accepted in one request.
const MAX_HEADERS: usize = 100;

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
    /// Headers in order, names as sent.
    pub(crate) headers: Vec<(String, String)>,
    /// The body.
    pub(crate) body: Vec<u8>,
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

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Reads the request line, the headers and a body of at most `max_body` bytes; answers
/// `100 Continue` on `stream` when the client expects it.
pub(crate) fn read_request(
    reader: &mut impl BufRead,
    mut stream: &TcpStream,
    max_body: usize,
) -> io::Result<Request> {
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
    if header(&headers, "Expect").is_some_and(|v| v.eq_ignore_ascii_case("100-continue")) {
        stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        stream.flush()?;
    }
    let chunked =
        header(&headers, "Transfer-Encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let body = if chunked {
        read_chunked(reader, max_body)?
    } else {
        let length = match header(&headers, "Content-Length") {
            Some(v) => v.parse::<usize>().map_err(|_| invalid("bad Content-Length"))?,
            None => 0,
        };
        if length > max_body {
            return Err(invalid("body too large"));
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        body
    };
    Ok(Request {
        method: method.to_owned(),
        target: target.to_owned(),
        headers,
        body,
    })
}

/// Reads a chunked body and its trailer.
fn read_chunked(reader: &mut impl BufRead, max_body: usize) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let size_line = read_line(reader)?;
        let size_text = size_line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| invalid("bad chunk size"))?;
        if size == 0 {
            // Trailer fields until the empty line.
            while !read_line(reader)?.is_empty() {}
            return Ok(body);
        }
        if body.len().saturating_add(size) > max_body {
            return Err(invalid("body too large"));
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(body.get_mut(start..).unwrap_or_default())?;
        if !read_line(reader)?.is_empty() {
            return Err(invalid("chunk not followed by CRLF"));
        }
    }
}
