//! Requests the server sends to the client, and the client's answers (the handshake era's
//! server→client requests: `elicitation/create`).
//!
//! A session numbers its requests `"ttai-<n>"` (never a client's id: the two directions have
//! their own ids) and keeps one waiter per request. The envelope classifies the client's
//! response (`envelope::Incoming::Response`) and the engine hands it to
//! [`ClientRequests::deliver`], which wakes the waiter; a response nobody waits for (late, or
//! for an id never sent) is dropped. A request is written with `method` before `id`, so a
//! transport that tells answers from other messages by their first bytes (`{"jsonrpc":"2.0",
//! "id":…`) never takes it for the answer of the client's request it belongs to.
//!
//! The 2026-07-28 revision has no server→client requests: there a tool returns an
//! `InputRequiredResult` and the client answers by calling again (see `docs/orders.md`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::Value;
use serde_json::value::RawValue;
use tokio::sync::oneshot;

use super::session::Outbound;

/// The most server→client requests a session waits on at once.
pub const MAX_PENDING: usize = 8;

/// How a server→client request ended without a result.
#[derive(Clone, Debug, PartialEq)]
pub enum ClientRequestError {
    /// The client answered with a JSON-RPC error.
    Refused {
        /// Its code.
        code: i64,
        /// Its message.
        message: String,
    },
    /// No answer within the time allowed.
    TimedOut,
    /// The session ended first.
    Closed,
    /// The session already waits on [`MAX_PENDING`] requests.
    TooMany,
}

/// What the client answered.
type Answer = Result<Value, ClientRequestError>;

/// The server→client requests of one session.
#[derive(Debug, Default)]
pub(crate) struct ClientRequests {
    next: AtomicU64,
    /// Waiters by the request's raw id (`"ttai-<n>"` with its quotes).
    pending: Mutex<HashMap<String, oneshot::Sender<Answer>>>,
    /// Set when the session closed: no new waiter is registered.
    closed: Mutex<bool>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Removes the waiter when the request's future ends, however it ends (answered, timed out,
/// cancelled with the tool call).
struct Registration<'a> {
    requests: &'a ClientRequests,
    id: String,
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        lock(&self.requests.pending).remove(&self.id);
    }
}

impl ClientRequests {
    /// Sends `method` with `params` to the client through `sink` and waits at most `timeout`
    /// for its answer.
    pub(crate) async fn request(
        &self,
        sink: &dyn Outbound,
        method: &str,
        params: &Value,
        timeout: Duration,
    ) -> Answer {
        let n = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let id = format!("\"ttai-{n}\"");
        let (tx, rx) = oneshot::channel();
        {
            if *lock(&self.closed) {
                return Err(ClientRequestError::Closed);
            }
            let mut pending = lock(&self.pending);
            if pending.len() >= MAX_PENDING {
                return Err(ClientRequestError::TooMany);
            }
            pending.insert(id.clone(), tx);
        }
        let _registered = Registration {
            requests: self,
            id: id.clone(),
        };
        sink.send(format!(
            "{{\"jsonrpc\":\"2.0\",\"method\":{},\"id\":{id},\"params\":{params}}}",
            Value::from(method)
        ));
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(_)) => Err(ClientRequestError::Closed),
            Err(_) => Err(ClientRequestError::TimedOut),
        }
    }

    /// Hands the client's response for `id` (raw JSON) to its waiter; false when nobody waits.
    pub(crate) fn deliver(&self, id: &str, result: Option<&RawValue>, error: Option<&RawValue>) -> bool {
        let Some(waiter) = lock(&self.pending).remove(id) else {
            return false;
        };
        let answer = match (result, error) {
            (Some(result), _) => {
                serde_json::from_str(result.get()).map_err(|_| ClientRequestError::Refused {
                    code: -32700,
                    message: "the client's result is not JSON".to_owned(),
                })
            }
            (None, error) => {
                let error: Value = error
                    .and_then(|e| serde_json::from_str(e.get()).ok())
                    .unwrap_or(Value::Null);
                Err(ClientRequestError::Refused {
                    code: error.get("code").and_then(Value::as_i64).unwrap_or(0),
                    message: error
                        .get("message")
                        .and_then(Value::as_str)
                        .unwrap_or("no message")
                        .chars()
                        .take(300)
                        .collect(),
                })
            }
        };
        waiter.send(answer).is_ok()
    }

    /// Ends every wait (the session closed).
    pub(crate) fn close(&self) {
        *lock(&self.closed) = true;
        lock(&self.pending).clear();
    }

    /// Requests waiting for an answer.
    #[cfg(test)]
    pub(crate) fn waiting(&self) -> usize {
        lock(&self.pending).len()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::testing::CollectingOutbound;

    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_owned()).unwrap()
    }

    #[tokio::test]
    async fn an_answer_reaches_its_request_and_only_its_own() {
        let requests = Arc::new(ClientRequests::default());
        let sink = Arc::new(CollectingOutbound::new());
        let task = {
            let (requests, sink) = (requests.clone(), sink.clone());
            tokio::spawn(async move {
                requests
                    .request(
                        &*sink,
                        "elicitation/create",
                        &serde_json::json!({"message": "ok?"}),
                        Duration::from_secs(5),
                    )
                    .await
            })
        };
        let sent = sink.wait_for(1, Duration::from_secs(5)).await;
        let first = sent.first().unwrap();
        assert!(
            first.starts_with("{\"jsonrpc\":\"2.0\",\"method\":\"elicitation/create\",\"id\":\"ttai-1\""),
            "method before id: {first}"
        );
        // A stray answer and an answer to another id wake nobody.
        assert!(!requests.deliver("\"ttai-9\"", Some(&raw("{}")), None));
        assert!(requests.deliver("\"ttai-1\"", Some(&raw(r#"{"action":"accept"}"#)), None));
        assert_eq!(task.await.unwrap().unwrap()["action"], "accept");
        assert_eq!(requests.waiting(), 0);
        // A second answer to the same id is dropped.
        assert!(!requests.deliver("\"ttai-1\"", Some(&raw("{}")), None));
    }

    /// A request to the client waiting for its answer in a task of its own.
    fn waiting(requests: &Arc<ClientRequests>) -> tokio::task::JoinHandle<Answer> {
        let requests = requests.clone();
        tokio::spawn(async move {
            let sink = CollectingOutbound::new();
            requests
                .request(&sink, "elicitation/create", &Value::Null, Duration::from_secs(60))
                .await
        })
    }

    #[tokio::test(start_paused = true)]
    async fn errors_timeouts_and_a_closed_session_end_the_wait() {
        let requests = Arc::new(ClientRequests::default());
        let sink = CollectingOutbound::new();
        let refused = waiting(&requests);
        tokio::task::yield_now().await;
        assert!(requests.deliver(
            "\"ttai-1\"",
            None,
            Some(&raw(r#"{"code":-32600,"message":"Elicitation not supported"}"#))
        ));
        assert_eq!(
            refused.await.unwrap(),
            Err(ClientRequestError::Refused {
                code: -32600,
                message: "Elicitation not supported".to_owned()
            })
        );
        let timed_out = requests
            .request(
                &sink,
                "elicitation/create",
                &Value::Null,
                Duration::from_secs(120),
            )
            .await;
        assert_eq!(timed_out, Err(ClientRequestError::TimedOut));
        assert_eq!(requests.waiting(), 0, "the waiter is gone after a timeout");
        let closing = waiting(&requests);
        tokio::task::yield_now().await;
        requests.close();
        assert_eq!(closing.await.unwrap(), Err(ClientRequestError::Closed));
        assert_eq!(
            requests
                .request(&sink, "elicitation/create", &Value::Null, Duration::from_secs(1))
                .await,
            Err(ClientRequestError::Closed)
        );
    }
}
