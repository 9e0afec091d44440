//! The 2024-11-05 pair: GET `/sse` and POST `/messages?sessionId=…`.

use super::*;

pub(crate) fn get_legacy_sse(state: &Arc<State>, client: Option<std::net::IpAddr>) -> Resp {
    let session = match open_session(state, Flavor::Legacy, client) {
        Ok(session) => session,
        Err(response) => return response,
    };
    let rx = Some(session.open_stream(LEGACY_STREAM));
    let endpoint = warp::sse::Event::default()
        .event("endpoint")
        .data(format!("/messages?sessionId={}", session.id));
    let closer_state = state.clone();
    let closer_session = session.clone();
    let on_close: Box<dyn FnOnce() + Send + Sync> =
        Box::new(move || close_session(&closer_state, &closer_session));
    sse_response(vec![endpoint], rx, state.shutdown.clone(), Some(on_close))
}

pub(crate) async fn post_legacy(
    state: &Arc<State>,
    query: &str,
    headers: &HeaderMap,
    body: impl Stream<Item = Result<impl Buf, warp::Error>> + Unpin,
) -> Resp {
    let id = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("sessionId="))
        .unwrap_or_default();
    let Some(session) = state.sessions.get(id).filter(|s| s.flavor == Flavor::Legacy) else {
        return refuse(
            StatusCode::NOT_FOUND,
            -32600,
            "Session not found: open GET /sse first",
        );
    };
    let (body, _held) = match json_body(state, headers, body, false).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let text = body.as_str();
    let Some(core) = session.core() else {
        return refuse(StatusCode::NOT_FOUND, -32600, "Session not found");
    };
    session.touch();
    let sink = Arc::new(StandaloneSink(Arc::downgrade(&session)));
    state.server.handle(&*core, text, sink);
    plain(StatusCode::ACCEPTED, "")
}
