//! Running a request: polled inline first when the transport asks, else spawned as a task;
//! then dispatched through the engine's method table (`methods::call`) and its answer written
//! with the client's own id.

use super::*;
use head::Request;

impl McpServer {
    /// Polls a request once on this thread; the request back when it must run as a task
    /// instead (a long-running tool, which must stay cancellable), else `None`: answered here,
    /// or handed to the runtime once started.
    pub(super) fn try_inline(
        &self,
        session: &Arc<Session>,
        request: Request,
        reply_to: &Arc<dyn Outbound>,
        envelope: Option<Envelope>,
    ) -> Option<(Request, Option<Envelope>)> {
        if request
            .tool_name()
            .is_some_and(|name| self.tools().is_long_running(&name))
        {
            return Some((request, envelope));
        }
        let key = request.id.clone();
        let server = self.clone();
        let task_session = session.clone();
        let sink = reply_to.clone();
        let mut future =
            Box::pin(async move { server.run_request(&task_session, &request, sink, envelope).await });
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match future.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(answer) => {
                reply_to.send(answer);
                None
            }
            std::task::Poll::Pending => {
                // Not finished: hand the started future to the runtime, which polls it again with
                // a real waker, and keep it cancellable under the client's id.
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
                None
            }
        }
    }

    pub(super) fn spawn_request(
        &self,
        session: Arc<Session>,
        request: Request,
        reply_to: Arc<dyn Outbound>,
        envelope: Option<Envelope>,
    ) {
        let server = self.clone();
        let key = request.id.clone();
        session.begin_request(&key);
        let task_session = session.clone();
        let task_key = key.clone();
        let handle = tokio::spawn(async move {
            let answer = server
                .run_request(&task_session, &request, reply_to.clone(), envelope)
                .await;
            task_session.end_request(&task_key);
            if !task_session.is_closed() {
                reply_to.send(answer);
            }
        });
        session.attach_abort(&key, handle.abort_handle());
    }

    /// Runs one request and returns its answer, with the client's id; a panic in a handler
    /// becomes -32603 and the server keeps serving. A modern request's result carries the
    /// era's fields (`resultType` and the server's identity; `tools/call` shapes its own), and
    /// an unknown resource is -32602 in that era.
    pub(super) async fn run_request(
        &self,
        session: &Arc<Session>,
        request: &Request,
        reply_to: Arc<dyn Outbound>,
        envelope: Option<Envelope>,
    ) -> String {
        let id = request.id.as_str();
        if request.params.as_deref().is_some_and(|p| !p.starts_with('{')) {
            return envelope::error_response(
                Some(id),
                codes::INVALID_PARAMS,
                "Invalid params: params must be an object",
                None,
            );
        }
        let modern = envelope.is_some();
        let context = RequestCtx {
            session: session.clone(),
            reply_to,
            envelope,
        };
        let core = &self.inner.core;
        let outcome = CatchUnwind::new(methods::call(core, &context, request)).await;
        match outcome {
            Ok(Ok(reply)) => {
                let stamp = (modern && !reply.stamped()).then_some(core.stamp.as_str());
                envelope::result_response(id, &reply, stamp)
            }
            Ok(Err(mut error)) => {
                if modern && error.code() == codes::RESOURCE_NOT_FOUND {
                    error = jsonrpsee::types::ErrorObjectOwned::owned(
                        codes::INVALID_PARAMS,
                        error.message().to_owned(),
                        error.data(),
                    );
                }
                envelope::error_object_response(id, &error)
            }
            Err(panic) => {
                tracing::error!(method = %request.method, panic = %panic, "handler panicked; answered -32603 and kept serving");
                envelope::error_response(Some(id), codes::INTERNAL_ERROR, "Internal error", None)
            }
        }
    }
}
