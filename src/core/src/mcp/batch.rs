//! Batches: answered or refused by the negotiated version, their requests run together.

use super::*;

impl McpServer {
    pub(super) fn handle_batch(
        &self,
        session: &Arc<Session>,
        frame: &str,
        reply_to: Arc<dyn Outbound>,
    ) -> FrameOutcome {
        let elements = match envelope::split_batch(frame) {
            Ok(elements) => elements,
            Err(err) => {
                reply_to.send(refusal(&err, false));
                return FrameOutcome::Answered;
            }
        };
        if elements.is_empty() {
            reply_to.send(envelope::error_response(
                None,
                codes::INVALID_REQUEST,
                "Invalid Request: empty batch",
                None,
            ));
            return FrameOutcome::Answered;
        }
        let allowed = session
            .protocol_version()
            .is_some_and(ProtocolVersion::allows_batches);
        if !allowed {
            let version = session
                .protocol_version()
                .map_or("none negotiated", ProtocolVersion::as_str);
            reply_to.send(envelope::error_response(
                None,
                codes::INVALID_REQUEST,
                &format!("Invalid Request: JSON-RPC batches are not part of MCP {version}; send one message at a time"),
                None,
            ));
            return FrameOutcome::Answered;
        }
        let limits = &self.inner.core.limits;
        if elements.len() > limits.max_batch_len {
            reply_to.send(envelope::error_response(
                None,
                codes::INVALID_REQUEST,
                &format!(
                    "Invalid Request: a batch of {} messages; at most {} per batch (nothing was run)",
                    elements.len(),
                    limits.max_batch_len
                ),
                Some(&Budget::BatchLength.data(limits.max_batch_len)),
            ));
            return FrameOutcome::Answered;
        }
        if session.is_in_flight(BATCH_KEY) || session.in_flight() >= limits.max_in_flight {
            reply_to.send(over_budget(
                None,
                Budget::InFlight,
                limits.max_in_flight,
                "Too many requests in flight: one batch at a time per session, within the in-flight budget; wait for answers",
            ));
            return FrameOutcome::Answered;
        }
        // Classify everything now so that notifications take effect in order; run the requests
        // in one task and answer with one array.
        let mut immediate: Vec<String> = Vec::new();
        let mut requests: Vec<head::Request> = Vec::new();
        for element in elements {
            match envelope::classify(element.get()) {
                Err(err) => immediate.push(refusal(&err, false)),
                Ok(Incoming::Notification { method, params }) => {
                    self.on_notification(session, &method, params)
                }
                Ok(Incoming::Response { id, result, error }) => {
                    session.deliver_client_answer(id.get(), result, error)
                }
                Ok(Incoming::Request { id, method, .. }) if method == "initialize" => {
                    immediate.push(envelope::error_response(
                        Some(id.get()),
                        codes::INVALID_REQUEST,
                        "Invalid Request: initialize must not be part of a batch",
                        None,
                    ))
                }
                Ok(Incoming::Request { id, method, params }) => {
                    requests.push(head::Request::new(id.get(), &method, params, None));
                }
            }
        }
        if requests.is_empty() && immediate.is_empty() {
            return FrameOutcome::NoReply;
        }
        if requests.is_empty() {
            reply_to.send(format!("[{}]", immediate.join(",")));
            return FrameOutcome::Answered;
        }
        // In flight from now on, so a transport draining at shutdown waits for this answer.
        session.begin_request(BATCH_KEY);
        let server = self.clone();
        let task_session = session.clone();
        let handle = tokio::spawn(async move {
            let session = task_session;
            let answer = server.run_batch(&session, immediate, requests, &reply_to).await;
            session.end_request(BATCH_KEY);
            if !session.is_closed() {
                reply_to.send(answer);
            }
        });
        session.attach_abort(BATCH_KEY, handle.abort_handle());
        FrameOutcome::Pending
    }

    /// Runs a batch's requests one after another within its answer budget and returns the array.
    pub(super) async fn run_batch(
        &self,
        session: &Arc<Session>,
        immediate: Vec<String>,
        requests: Vec<head::Request>,
        reply_to: &Arc<dyn Outbound>,
    ) -> String {
        let budget = self.inner.core.limits.max_batch_answer_bytes;
        // A closed semaphore cannot happen (it is never closed); run without a turn if it did.
        let _turn = self.inner.batch_turns.clone().acquire_owned().await.ok();
        // The array is built as answers come, so the batch's answers are held once.
        let mut out = String::from("[");
        for answer in &immediate {
            push_item(&mut out, answer);
        }
        let mut over = false;
        for request in requests {
            let id = &request.id;
            if !over {
                let answer = match self.admit(session, id, &request.method) {
                    Some(refused) => refused,
                    None => {
                        session.begin_request(id);
                        let answer = self.run_request(session, &request, reply_to.clone(), None).await;
                        session.end_request(id);
                        answer
                    }
                };
                if out.len() + answer.len() + 2 <= budget {
                    push_item(&mut out, &answer);
                    continue;
                }
                over = true;
            }
            let refused = over_budget(
                Some(id),
                Budget::BatchAnswerBytes,
                budget,
                &format!(
                    "Batch answer budget exceeded: a batch's answers may total at most {budget} bytes; send this request again on its own"
                ),
            );
            push_item(&mut out, &refused);
        }
        out.push(']');
        out
    }
}
