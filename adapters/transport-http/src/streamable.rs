//! Streamable HTTP at `/mcp`: sessions opened, named and ended; POST, GET (the session's
//! stream) and DELETE.

use super::*;

/// The session a request names: 400 without the header, 404 for an unknown or ended one.
pub(crate) fn session_of(state: &State, headers: &HeaderMap) -> Result<Arc<HttpSession>, Resp> {
    let id = header(headers, names::MCP_SESSION_ID).ok_or_else(|| {
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
    if let Some(version) = header(headers, names::MCP_PROTOCOL_VERSION)
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

/// Creates a session and its engine session, making room within the session budgets.
pub(crate) fn open_session(
    state: &State,
    flavor: Flavor,
    client: Option<std::net::IpAddr>,
) -> Result<Arc<HttpSession>, Resp> {
    let id = new_session_id()
        .ok_or_else(|| refuse(StatusCode::INTERNAL_SERVER_ERROR, -32603, "Internal error"))?;
    let session = Arc::new(HttpSession::new(id, flavor, client, state.retention.clone()));
    let limits = SessionLimits {
        total: state.limits().max_sessions,
        per_client: state.limits().max_sessions_per_client,
    };
    let evicted = state.sessions.insert(session.clone(), limits).map_err(|_| {
        let mut r = refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            -32603,
            "Too many sessions, every one of them busy; try again shortly",
        );
        r.headers_mut()
            .insert("retry-after", HeaderValue::from_static("1"));
        r
    })?;
    for old in evicted {
        tracing::debug!(session = %old.id, "HTTP session ended to make room for a new one");
        end_session(state, &old);
    }
    let core = state
        .server
        .open(Arc::new(StandaloneSink(Arc::downgrade(&session))));
    session.set_core(core);
    Ok(session)
}

pub(crate) fn close_session(state: &State, session: &Arc<HttpSession>) {
    state.sessions.remove(&session.id);
    end_session(state, session);
}

/// Ends a session already out of the table: its streams, what it retained, its engine session.
pub(crate) fn end_session(state: &State, session: &Arc<HttpSession>) {
    session.close_streams();
    session.forget_streams();
    if let Some(core) = session.core() {
        state.server.close(&*core);
    }
}

/// The `method` of a single message, without parsing the rest.
pub(crate) fn method_of(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(body)
        .ok()
        .and_then(|m| m.get("method").and_then(|v| v.as_str()).map(str::to_owned))
}

pub(crate) fn wants_progress(body: &[u8]) -> bool {
    body.windows(b"progressToken".len())
        .any(|w| w == b"progressToken")
}

pub(crate) async fn post_mcp(
    state: &Arc<State>,
    headers: &HeaderMap,
    client: Option<std::net::IpAddr>,
    body: impl Stream<Item = Result<impl Buf, warp::Error>> + Unpin,
) -> Resp {
    let Accepted {
        json: json_ok,
        sse: sse_ok,
    } = accepted(headers);
    let routing = modern::routing(headers);
    let modern_header = routing.modern;
    if !json_ok && !sse_ok {
        let refuse = if modern_header { modern::refuse } else { refuse };
        return refuse(
            StatusCode::NOT_ACCEPTABLE,
            -32600,
            "Not Acceptable: accept application/json or text/event-stream",
        );
    }
    // The body's share of the budget is held until the answer is in.
    let (body, _held) = match json_body(state, headers, body, modern_header).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let text = body.as_str();
    // The era is decided before any session is looked at.
    if modern::is_modern(&routing, text) {
        return modern::post(&state.server, routing.headers, text, json_ok, sse_ok).await;
    }
    let (session, created) = match header(headers, names::MCP_SESSION_ID) {
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
            match open_session(state, Flavor::Streamable, client) {
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
        let rx = Some(session.open_stream(&stream));
        let sink = Arc::new(PostSink::Sse {
            session: session.clone(),
            stream: stream.clone(),
        });
        // Polled here first, as the JSON path does: a quick request needs no task of its own.
        match state.server.handle_inline(&*core, text, sink) {
            FrameOutcome::NoReply => plain(StatusCode::ACCEPTED, ""),
            FrameOutcome::Answered | FrameOutcome::Pending | FrameOutcome::Listening => {
                let mut first = Vec::new();
                if core
                    .protocol_version()
                    .and_then(ProtocolVersion::parse)
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
        match state.server.handle_inline(&*core, text, sink) {
            FrameOutcome::NoReply => plain(StatusCode::ACCEPTED, ""),
            FrameOutcome::Answered | FrameOutcome::Pending | FrameOutcome::Listening => match rx.await {
                Ok(answer) => plain(StatusCode::OK, answer),
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

pub(crate) fn get_mcp(state: &Arc<State>, headers: &HeaderMap) -> Resp {
    if !accepted(headers).sse {
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
    let (stream, after) = match header(headers, names::LAST_EVENT_ID).and_then(|id| id.rsplit_once('-')) {
        Some((stream, seq)) if session.knows_stream(stream) => (stream.to_owned(), seq.parse::<u64>().ok()),
        _ => (GET_STREAM.to_owned(), None),
    };
    let (replay, rx) = match session.attach(&stream, after) {
        Ok(attached) => attached,
        Err(gap) => {
            let kept = gap.first_kept.map_or_else(
                || "none of its events".to_owned(),
                |n| format!("events from {}-{n} on", gap.stream),
            );
            return refuse(
                StatusCode::GONE,
                -32600,
                &format!(
                    "Gone: the events after that Last-Event-ID were dropped (the session keeps {} bytes of stream events; {kept} are kept); send the request again",
                    state.limits().retain_per_session
                ),
            );
        }
    };
    let first = replay.iter().map(sse_event).collect();
    let response = sse_response(first, rx, state.shutdown.clone(), None);
    with_session_id(response, &session.id)
}

pub(crate) fn delete_mcp(state: &Arc<State>, headers: &HeaderMap) -> Resp {
    match session_of(state, headers) {
        Ok(session) => {
            close_session(state, &session);
            plain(StatusCode::OK, "")
        }
        Err(response) => response,
    }
}
