//! The MCP 2026-07-28 entry points: a request served without a session, the era of a request,
//! its envelope checked, and `subscriptions/listen`.

use super::*;

impl McpServer {
    /// One message of MCP 2026-07-28 over a transport without sessions (Streamable HTTP), with
    /// the request's routing headers; `session` comes from [`McpServer::open_stateless`].
    /// Requests are validated against the headers and answered to `reply_to` (polled inline
    /// first, as [`McpServer::handle_frame_inline`] does); notifications and responses need
    /// nothing (HTTP answers 202).
    pub fn handle_stateless(
        &self,
        session: &Arc<Session>,
        frame: &str,
        headers: &RoutingHeaders<'_>,
        reply_to: Arc<dyn Outbound>,
    ) -> FrameOutcome {
        if frame.trim_start().starts_with('[') {
            reply_to.send(batch_refused_modern());
            return FrameOutcome::Answered;
        }
        // The routing header names the method before the body is read: a well-formed call is
        // read in one pass with its params (anything else takes the general path below).
        if headers.method == Header::Value("tools/call")
            && let Some(read) = envelope::classify_call(frame)
        {
            return self.modern_call(session, frame, read, Some(headers), reply_to, true);
        }
        match envelope::classify(frame) {
            Err(err) => {
                reply_to.send(refusal(&err, true));
                FrameOutcome::Answered
            }
            // Over HTTP a client cancels by closing the response; nothing else is expected.
            Ok(Incoming::Notification { .. } | Incoming::Response { .. }) => FrameOutcome::NoReply,
            Ok(Incoming::Request { id, method, params }) => self.modern_request(
                session,
                id.get(),
                &method,
                params,
                None,
                Some(headers),
                reply_to,
                true,
            ),
        }
    }

    /// The era of a request on `session`: the session's, or, for its first request, modern when
    /// the request carries the 2026-07-28 envelope (and is not `initialize`), else the
    /// handshake era. Decided before any lifecycle gate.
    pub(super) fn era_of(&self, session: &Session, method: &str, params: Option<&RawValue>) -> Era {
        match session.era() {
            Era::Undecided => {
                let era = if method != "initialize" && modern::has_envelope(params) {
                    Era::Modern
                } else {
                    Era::Legacy
                };
                session.set_era(era);
                era
            }
            era => era,
        }
    }

    /// A request of MCP 2026-07-28: the envelope ladder, the era's method table, the in-flight
    /// checks, then `server/discover`, `subscriptions/listen` or a method of the table. `read`
    /// is a `tools/call` already read with its message (the frame and its params' head;
    /// `params` is then `None`).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn modern_request(
        &self,
        session: &Arc<Session>,
        id: &str,
        method: &str,
        params: Option<&RawValue>,
        read: Option<(&str, head::Head<'_>)>,
        headers: Option<&RoutingHeaders<'_>>,
        reply_to: Arc<dyn Outbound>,
        inline: bool,
    ) -> FrameOutcome {
        let core = &self.inner.core;
        if method == "initialize" && headers.is_none() && !modern::has_envelope(params) {
            // A handshake on a connection that began in 2026-07-28: name the versions spoken.
            let requested = params
                .and_then(|p| serde_json::from_str::<Value>(p.get()).ok())
                .and_then(|p| {
                    p.get("protocolVersion")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
                .unwrap_or_default();
            reply_to.send(modern::unsupported_version(&requested).answer(id));
            return FrameOutcome::Answered;
        }
        // The params are read once: the ladder checks that reading, and a `tools/call` keeps it.
        let (text, head) = match read {
            Some((frame, head)) => (Some(frame), Some(head)),
            None => (None, head::Head::read(params)),
        };
        let envelope = match modern::validate(method, head.as_ref(), headers) {
            Ok(envelope) => envelope,
            Err(refused) => {
                reply_to.send(refused.answer(id));
                return FrameOutcome::Answered;
            }
        };
        if !modern::is_method(method) {
            reply_to.send(envelope::error_response(
                Some(id),
                codes::METHOD_NOT_FOUND,
                &format!("Method not found: {method} (not part of MCP 2026-07-28)"),
                None,
            ));
            return FrameOutcome::Answered;
        }
        // A stateless session holds this request alone: nothing else can be in flight on it.
        if !session.is_stateless()
            && let Some(refused) = self.admit_flight(session, id)
        {
            reply_to.send(refused);
            return FrameOutcome::Answered;
        }
        match method {
            "server/discover" => {
                let result = modern::discover(&core.info, envelope.views);
                reply_to.send(envelope::success_response(id, &result.to_string()));
                FrameOutcome::Answered
            }
            "subscriptions/listen" => self.listen(session, id, params, &envelope, reply_to),
            _ => {
                let envelope = Some(envelope);
                let request = match (text, &head) {
                    (Some(frame), Some(head)) => head::Request::call_in(id, frame, head),
                    _ => head::Request::new(id, method, params, head.as_ref()),
                };
                let (request, envelope) = if inline {
                    match self.try_inline(session, request, &reply_to, envelope) {
                        None => return FrameOutcome::Answered,
                        Some(back) => back,
                    }
                } else {
                    (request, envelope)
                };
                self.spawn_request(session.clone(), request, reply_to, envelope);
                FrameOutcome::Pending
            }
        }
    }

    /// A 2026-07-28 `tools/call` already read in one pass with its message
    /// (`envelope::classify_call`), over HTTP (`headers`) or on a stdio connection.
    pub(super) fn modern_call(
        &self,
        session: &Arc<Session>,
        frame: &str,
        (id, head): (head::Raw<'_>, head::Head<'_>),
        headers: Option<&RoutingHeaders<'_>>,
        reply_to: Arc<dyn Outbound>,
        inline: bool,
    ) -> FrameOutcome {
        self.modern_request(
            session,
            id.get(),
            "tools/call",
            None,
            Some((frame, head)),
            headers,
            reply_to,
            inline,
        )
    }

    /// `subscriptions/listen`: the acknowledgement, then the stream (module `listen`), which
    /// stays open until the client cancels it or the server ends it.
    pub(super) fn listen(
        &self,
        session: &Arc<Session>,
        id: &str,
        params: Option<&RawValue>,
        envelope: &Envelope,
        reply_to: Arc<dyn Outbound>,
    ) -> FrameOutcome {
        let core = &self.inner.core;
        let limit = core.limits.max_subscriptions;
        if session.listens() >= limit {
            reply_to.send(over_budget(
                Some(id),
                Budget::Subscriptions,
                limit,
                &format!("Too many listen streams: at most {limit} per connection; cancel one first"),
            ));
            return FrameOutcome::Answered;
        }
        let params: serde_json::Map<String, Value> = params
            .and_then(|p| serde_json::from_str(p.get()).ok())
            .unwrap_or_default();
        let exists = |uri: &str| resources::check_exists(core, uri).is_ok();
        let filter = match listen::read_filter(&params, exists, limit, envelope.log_level) {
            Ok(filter) => filter,
            Err((code, message, data)) => {
                reply_to.send(envelope::error_response(Some(id), code, &message, data.as_ref()));
                return FrameOutcome::Answered;
            }
        };
        let registration = listen::open(&core.listeners, session, id, filter, reply_to);
        // The stream lives as long as this task: cancelling the listen aborts it, and dropping
        // the registration takes the listener out of the table.
        let task = tokio::spawn(async move {
            let _registration = registration;
            std::future::pending::<()>().await;
        });
        if !session.add_listen(id, task.abort_handle(), limit) {
            task.abort();
        }
        FrameOutcome::Listening
    }
}
