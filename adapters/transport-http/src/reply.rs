//! The pieces every route uses: plain and JSON-RPC refusals, headers, SSE events and streams,
//! request bodies read within the budgets, CORS and the session header.

use super::*;

/// The MCP headers, named once: a lookup by a `HeaderName` skips parsing and lowercasing the
/// name on every request.
pub(crate) mod names {
    use warp::http::HeaderName;

    pub(crate) const MCP_PROTOCOL_VERSION: HeaderName = HeaderName::from_static("mcp-protocol-version");
    pub(crate) const MCP_METHOD: HeaderName = HeaderName::from_static("mcp-method");
    pub(crate) const MCP_NAME: HeaderName = HeaderName::from_static("mcp-name");
    pub(crate) const MCP_SESSION_ID: HeaderName = HeaderName::from_static("mcp-session-id");
    pub(crate) const LAST_EVENT_ID: HeaderName = HeaderName::from_static("last-event-id");
}

pub(crate) fn header(headers: &HeaderMap, name: impl warp::http::header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Headers a response's map has room for: hyper parses the connection's next request into the
/// map of the response before it (emptied), and a request with more headers than the map holds
/// makes it grow, two allocations per request. MCP clients send 9 to 12 headers (Host, Accept,
/// Accept-Encoding, Connection, User-Agent, Content-Type, Content-Length, the MCP headers, an
/// Authorization); a map made for the few headers of a response holds 6.
pub(crate) const HEADER_ROOM: usize = 12;

/// Makes room for [`HEADER_ROOM`] headers in a response's map that has none allocated yet (in
/// the same two allocations its first header would make).
pub(crate) fn roomy(headers: &mut HeaderMap) {
    if headers.capacity() == 0 {
        headers.reserve(HEADER_ROOM);
    }
}

pub(crate) fn plain(status: StatusCode, body: impl Into<String>) -> Resp {
    // The answer moves into the body: a large answer is never copied.
    let mut response = Resp::new(body.into().into());
    *response.status_mut() = status;
    let headers = response.headers_mut();
    roomy(headers);
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    response
}

/// An HTTP-level refusal with a JSON-RPC error body (so SDK clients can show it).
pub(crate) fn refuse(status: StatusCode, code: i32, message: &str) -> Resp {
    let body = serde_json::json!({"jsonrpc": "2.0", "id": null, "error": {"code": code, "message": message}});
    plain(status, body.to_string())
}

/// The answer framings a request's `Accept` header allows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Accepted {
    /// `application/json`.
    pub(crate) json: bool,
    /// `text/event-stream`.
    pub(crate) sse: bool,
}

/// What `Accept` allows, read in one pass: both framings when it is absent (or not visible
/// ASCII) or names `*/*`; otherwise those it names, in any case, parameters ignored.
pub(crate) fn accepted(headers: &HeaderMap) -> Accepted {
    match header(headers, warp::http::header::ACCEPT) {
        None => Accepted {
            json: true,
            sse: true,
        },
        Some(accept) => accepted_in(accept),
    }
}

fn accepted_in(accept: &str) -> Accepted {
    let mut allowed = Accepted {
        json: false,
        sse: false,
    };
    for part in accept.as_bytes().split(|&b| b == b',') {
        let media = part.split(|&b| b == b';').next().unwrap_or_default().trim_ascii();
        if media == b"*/*" {
            return Accepted {
                json: true,
                sse: true,
            };
        }
        allowed.json |= media.eq_ignore_ascii_case(b"application/json");
        allowed.sse |= media.eq_ignore_ascii_case(b"text/event-stream");
    }
    allowed
}

pub(crate) fn new_session_id() -> Option<String> {
    let mut bytes = [0u8; 16];
    orion::util::secure_rand_bytes(&mut bytes).ok()?;
    Some(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

pub(crate) fn sse_event(item: &SseItem) -> warp::sse::Event {
    let mut event = warp::sse::Event::default().id(item.id.clone()).data(&*item.data);
    if let Some(name) = item.event {
        event = event.event(name);
    }
    event
}

/// An SSE body: `first` events, then whatever arrives on `rx`, until the stream's last event,
/// the client leaves, or shutdown. `retry` adds a reconnection delay hint.
pub(crate) fn sse_response(
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
pub(crate) struct HeldBody {
    bytes: Vec<u8>,
    _held: Option<OwnedSemaphorePermit>,
}

/// Reads a body within its budgets: at most `max_body` bytes, its share of the bytes all bodies
/// may hold at once, and the body timeout; shutdown ends the read at once.
pub(crate) async fn read_body(
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

/// True when a Content-Type names `application/json` (in any case, with any parameters).
fn names_json(content_type: &str) -> bool {
    const JSON: &[u8] = b"application/json";
    content_type
        .as_bytes()
        .windows(JSON.len())
        .any(|w| w.eq_ignore_ascii_case(JSON))
}

/// A JSON-RPC POST body: declared as JSON (or undeclared), within its budgets, and UTF-8.
pub(crate) async fn json_body(
    state: &State,
    headers: &HeaderMap,
    body: impl Stream<Item = Result<impl Buf, warp::Error>> + Unpin,
    modern: bool,
) -> Result<(String, HeldBody), Resp> {
    let refuse = if modern { modern::refuse } else { refuse };
    if header(headers, warp::http::header::CONTENT_TYPE).is_some_and(|ct| !names_json(ct)) {
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
pub(crate) fn with_cors(mut response: Resp, origin: Option<&str>) -> Resp {
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

pub(crate) fn with_session_id(mut response: Resp, id: &str) -> Resp {
    if let Ok(value) = HeaderValue::from_str(id) {
        response.headers_mut().insert("mcp-session-id", value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The reading `accepted` replaced, one framing at a time: the property below holds the
    /// one-pass reading to it.
    fn accepts_by_splitting(accept: &str, mime: &str) -> bool {
        accept.split(',').any(|part| {
            let part = part.split(';').next().unwrap_or_default().trim();
            part.eq_ignore_ascii_case(mime) || part == "*/*"
        })
    }

    #[test]
    fn accept_is_read_for_both_framings_at_once() {
        let read = |accept: &str| {
            let mut headers = HeaderMap::new();
            headers.insert("accept", HeaderValue::from_str(accept).unwrap());
            accepted(&headers)
        };
        let both = Accepted {
            json: true,
            sse: true,
        };
        assert_eq!(accepted(&HeaderMap::new()), both);
        assert_eq!(read("application/json, text/event-stream"), both);
        assert_eq!(
            read("Application/JSON;q=0.9"),
            Accepted {
                json: true,
                sse: false
            }
        );
        assert_eq!(
            read(" text/event-stream ; charset=utf-8"),
            Accepted {
                json: false,
                sse: true
            }
        );
        assert_eq!(read("text/html, */*;q=0.1"), both);
        assert_eq!(
            read("text/html"),
            Accepted {
                json: false,
                sse: false
            }
        );
        assert_eq!(
            read("application/json-seq"),
            Accepted {
                json: false,
                sse: false
            }
        );
    }

    proptest! {
        #[test]
        fn accept_read_in_one_pass_allows_what_splitting_allowed(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just("application/json".to_owned()),
                    Just("TEXT/Event-Stream".to_owned()),
                    Just("*/*".to_owned()),
                    "[ \t]{0,2}[a-zA-Z*/;=, \t.-]{0,24}[ \t]{0,2}",
                ],
                0..5,
            ),
            separators in proptest::collection::vec("[,;]", 0..5),
        ) {
            let mut accept = String::new();
            for (i, part) in parts.iter().enumerate() {
                accept.push_str(part);
                if let Some(separator) = separators.get(i) {
                    accept.push_str(separator);
                }
            }
            let read = accepted_in(&accept);
            prop_assert_eq!(read.json, accepts_by_splitting(&accept, "application/json"));
            prop_assert_eq!(read.sse, accepts_by_splitting(&accept, "text/event-stream"));
        }
    }

    #[test]
    fn a_json_content_type_is_told_in_any_case_and_with_parameters() {
        assert!(names_json("application/json"));
        assert!(names_json("Application/JSON; charset=utf-8"));
        assert!(!names_json("text/plain"));
        assert!(!names_json("application/js"));
        assert!(!names_json(""));
    }

    #[test]
    fn an_answers_header_map_has_room_for_a_clients_next_request() {
        // hyper parses the connection's next request into this map: a client's dozen headers
        // must fit without growing it.
        let answer = plain(StatusCode::OK, "{}");
        assert!(
            answer.headers().capacity() >= HEADER_ROOM,
            "{}",
            answer.headers().capacity()
        );
        let mut headers = HeaderMap::new();
        roomy(&mut headers);
        let before = headers.capacity();
        for i in 0..HEADER_ROOM {
            headers.insert(
                warp::http::HeaderName::from_bytes(format!("x-{i}").as_bytes()).unwrap(),
                HeaderValue::from_static("v"),
            );
        }
        assert_eq!(
            headers.capacity(),
            before,
            "{HEADER_ROOM} headers fit without growing"
        );
    }
}
