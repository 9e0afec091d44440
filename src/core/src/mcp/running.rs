//! Running a request: polled inline first when the transport asks, else spawned as a task;
//! then dispatched to its jsonrpsee method.

use super::*;

impl McpServer {
    /// Polls a request once on this thread; true when it was answered.
    pub(super) fn try_inline(
        &self,
        session: &Arc<Session>,
        id: &str,
        method: &str,
        params: Option<&str>,
        reply_to: &Arc<dyn Outbound>,
        envelope: Option<Arc<Envelope>>,
    ) -> bool {
        // Long-running tools must stay cancellable: they always run as tasks.
        if method == "tools/call" && params.is_some_and(|p| self.tools().is_long_running_call(p)) {
            return false;
        }
        let server = self.clone();
        let task_session = session.clone();
        let (task_id, method, params, sink) = (
            id.to_owned(),
            method.to_owned(),
            params.map(str::to_owned),
            reply_to.clone(),
        );
        let mut future = Box::pin(async move {
            server
                .run_request(&task_session, task_id, method, params, sink, envelope)
                .await
        });
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match future.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(answer) => {
                reply_to.send(answer);
                true
            }
            std::task::Poll::Pending => {
                // Not finished: hand the started future to the runtime, which polls it again with
                // a real waker, and keep it cancellable under the client's id.
                let key = id.to_owned();
                session.begin_request(&key);
                let task_session = session.clone();
                let task_key = key.clone();
                let reply_to = reply_to.clone();
                let handle = tokio::spawn(async move {
                    let answer = future.await;
                    task_session.end_request(&task_key);
                    if !task_session.is_closed() {
                        reply_to.send(answer);
                    }
                });
                session.attach_abort(&key, handle.abort_handle());
                true
            }
        }
    }

    pub(super) fn spawn_request(
        &self,
        session: Arc<Session>,
        id: String,
        method: String,
        params: Option<String>,
        reply_to: Arc<dyn Outbound>,
        envelope: Option<Arc<Envelope>>,
    ) {
        let server = self.clone();
        let key = id.clone();
        session.begin_request(&key);
        let task_session = session.clone();
        let task_key = key.clone();
        let handle = tokio::spawn(async move {
            let answer = server
                .run_request(&task_session, id, method, params, reply_to.clone(), envelope)
                .await;
            task_session.end_request(&task_key);
            if !task_session.is_closed() {
                reply_to.send(answer);
            }
        });
        session.attach_abort(&key, handle.abort_handle());
    }

    /// Runs one request through jsonrpsee and returns the answer with the client's id; a modern
    /// request's answer gets the era's fields (`modern::shape_answer`; `tools/call` shapes its
    /// own result).
    pub(super) async fn run_request(
        &self,
        session: &Arc<Session>,
        id: String,
        method: String,
        params: Option<String>,
        reply_to: Arc<dyn Outbound>,
        envelope: Option<Arc<Envelope>>,
    ) -> String {
        let modern = envelope.is_some();
        let answer = self
            .dispatch(session, &id, &method, params, reply_to, envelope)
            .await;
        if modern && method != "tools/call" {
            modern::shape_answer(answer, &id, &self.inner.core.stamp)
        } else {
            answer
        }
    }

    pub(super) async fn dispatch(
        &self,
        session: &Arc<Session>,
        id: &str,
        method: &str,
        params: Option<String>,
        reply_to: Arc<dyn Outbound>,
        envelope: Option<Arc<Envelope>>,
    ) -> String {
        if let Some(p) = &params
            && !p.starts_with('{')
        {
            return envelope::error_response(
                Some(id),
                codes::INVALID_PARAMS,
                "Invalid params: params must be an object",
                None,
            );
        }
        let Some((_, callback)) = self.inner.methods.method_with_name(method) else {
            return envelope::error_response(
                Some(id),
                codes::METHOD_NOT_FOUND,
                &format!("Method not found: {method}"),
                None,
            );
        };
        let internal = self.inner.next_internal_id.fetch_add(1, Ordering::Relaxed);
        let mut extensions = Extensions::new();
        extensions.insert(RequestCtx {
            session: session.clone(),
            reply_to,
            envelope,
        });
        let params_text = params.unwrap_or_else(|| "{}".to_owned());
        let callback = callback.clone();
        let client_id = id;
        let run = async move {
            let params = Params::new(Some(params_text.as_str())).into_owned();
            let response = match callback {
                MethodCallback::Async(cb) => {
                    (cb)(
                        Id::Number(internal),
                        params,
                        ConnectionId(0),
                        usize::MAX,
                        extensions,
                    )
                    .await
                }
                MethodCallback::Sync(cb) => (cb)(Id::Number(internal), params, usize::MAX, extensions),
                MethodCallback::Unsubscription(cb) => (cb)(
                    Id::Number(internal),
                    params,
                    ConnectionId(0),
                    usize::MAX,
                    extensions,
                ),
                MethodCallback::Subscription(_) => {
                    let answer =
                        envelope::error_response(None, codes::METHOD_NOT_FOUND, "Method not found", None);
                    return envelope::restore_id(&answer, internal, client_id);
                }
            };
            let (raw, _, _) = response.into_parts();
            // The client's id goes back on while the answer is copied out of jsonrpsee's.
            envelope::restore_id(raw.get(), internal, client_id)
        };
        match CatchUnwind::new(run).await {
            Ok(answer) => answer,
            Err(panic) => {
                tracing::error!(method = %method, panic = %panic, "handler panicked; answered -32603 and kept serving");
                envelope::error_response(Some(id), codes::INTERNAL_ERROR, "Internal error", None)
            }
        }
    }
}
