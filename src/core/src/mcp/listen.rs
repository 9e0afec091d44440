//! `subscriptions/listen` (MCP 2026-07-28): long-lived notification streams that replace
//! `resources/subscribe` and the unsolicited notifications of the handshake era
//! (docs/mcp-2026-07-28.md, "Listen streams").
//!
//! A stream begins with `notifications/subscriptions/acknowledged` naming the subset of the
//! requested filter ttai honors, and then carries only what the client opted in to, each message
//! tagged with `_meta["io.modelcontextprotocol/subscriptionId"]` (the listen request's id):
//! - `resourceSubscriptions`: `notifications/resources/updated` for those URIs (any resource ttai
//!   serves; unknown URIs are left out of the acknowledgement);
//! - with `alerts://active` among them and a `logLevel` of `warning` or lower in the listen
//!   request's own envelope: a fired alert as `notifications/message` (level `warning`, logger
//!   `ttai.alerts`);
//! - list changes are never honored: ttai's tools, prompts and resource templates do not change
//!   while it runs.
//!
//! The client ends a stream by cancelling it (`notifications/cancelled` on stdio, closing the
//! response on HTTP); the server ends its streams at shutdown with the listen request's result
//! (and, on stdio, `notifications/cancelled` naming it).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use serde_json::{Map, Value, json};

use super::envelope::{self, codes};
use super::modern::{ResultType, keys};
use super::session::{LogLevel, Outbound, Session};
use crate::app::ALERTS_URI;

/// The logger name of alert messages.
pub(crate) const ALERT_LOGGER: &str = "ttai.alerts";

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One open listen stream.
pub(crate) struct Listener {
    /// The registry's key.
    key: u64,
    /// The engine session the stream belongs to.
    session: Weak<Session>,
    /// The listen request's raw id.
    id: String,
    /// The same id as a JSON value (the `subscriptionId`).
    subscription_id: Value,
    uris: HashSet<String>,
    alert_messages: bool,
    sink: Arc<dyn Outbound>,
    /// Sending, until the stream is cancelled or ended.
    live: AtomicBool,
    stateless: bool,
}

impl Listener {
    fn tagged(&self, method: &str, mut params: Map<String, Value>) -> String {
        let mut meta = Map::new();
        meta.insert(keys::SUBSCRIPTION_ID.into(), self.subscription_id.clone());
        params.insert("_meta".into(), Value::Object(meta));
        envelope::notification(method, &Value::Object(params))
    }

    fn send(&self, message: String) {
        if self.live.load(Ordering::Acquire) {
            self.sink.send(message);
        }
    }

    /// Ends the stream from the server's side: the listen request's result, then on stdio a
    /// `notifications/cancelled` naming it; nothing is sent after.
    fn end(&self, server_info: &Value) {
        if !self.live.swap(false, Ordering::AcqRel) {
            return;
        }
        let result = json!({
            "resultType": ResultType::Complete,
            "_meta": { keys::SERVER_INFO: server_info, keys::SUBSCRIPTION_ID: self.subscription_id },
        });
        self.sink
            .send(envelope::success_response(&self.id, &result.to_string()));
        if !self.stateless {
            self.sink.send(envelope::notification(
                "notifications/cancelled",
                &json!({ "requestId": self.subscription_id, "reason": "the server is shutting down" }),
            ));
        }
    }
}

/// Every open listen stream of the engine.
#[derive(Default)]
pub(crate) struct Listeners {
    map: Mutex<HashMap<u64, Arc<Listener>>>,
    next: AtomicU64,
}

impl Listeners {
    fn all(&self) -> Vec<Arc<Listener>> {
        lock(&self.map).values().cloned().collect()
    }

    fn remove(&self, key: u64) {
        if let Some(listener) = lock(&self.map).remove(&key) {
            listener.live.store(false, Ordering::Release);
        }
    }

    /// Open streams.
    pub(crate) fn len(&self) -> usize {
        lock(&self.map).len()
    }

    /// `notifications/resources/updated` to the streams subscribed to `uri`.
    pub(crate) fn resource_updated(&self, uri: &str) {
        for listener in self.all() {
            if listener.uris.contains(uri) {
                let mut params = Map::new();
                params.insert("uri".into(), uri.into());
                listener.send(listener.tagged("notifications/resources/updated", params));
            }
        }
    }

    /// A fired alert's `notifications/message` to the streams that asked for it; returns how
    /// many were told. The one function that delivers a fired alert to listen streams.
    pub(crate) fn alert_fired(&self, data: &Value) -> usize {
        let mut told = 0;
        for listener in self.all() {
            if listener.alert_messages && listener.live.load(Ordering::Acquire) {
                let mut params = Map::new();
                params.insert("level".into(), LogLevel::Warning.as_str().into());
                params.insert("logger".into(), ALERT_LOGGER.into());
                params.insert("data".into(), data.clone());
                listener.send(listener.tagged("notifications/message", params));
                told += 1;
            }
        }
        told
    }

    /// Stops a stream the client cancelled at once (its task is aborted separately): nothing
    /// more is sent for it, even by an event already being fanned out.
    pub(crate) fn cancel(&self, session: u64, id: &str) {
        let key = lock(&self.map)
            .values()
            .find(|l| l.id == id && l.session.upgrade().is_some_and(|s| s.id() == session))
            .map(|l| l.key);
        if let Some(key) = key {
            self.remove(key);
        }
    }

    /// Ends the streams of `session` (all of them when `None`) gracefully.
    pub(crate) fn end(&self, session: Option<u64>, server_info: &Value) {
        for listener in self.all() {
            let Some(owner) = listener.session.upgrade() else {
                self.remove(listener.key);
                continue;
            };
            if session.is_some_and(|id| id != owner.id()) {
                continue;
            }
            listener.end(server_info);
            owner.cancel(&listener.id);
            self.remove(listener.key);
        }
    }
}

/// What a listen request asked for, read and checked.
pub(crate) struct Filter {
    /// The acknowledged subset (`notifications` of the acknowledgement).
    pub(crate) honored: Value,
    uris: HashSet<String>,
    alert_messages: bool,
}

/// A refusal of a listen request: code, message, data.
pub(crate) type Refusal = (i32, String, Option<Value>);

/// Reads `params.notifications` of a listen request. `exists` tells the URIs ttai serves;
/// `max_uris` bounds the subscriptions of one stream; `log_level` is the request envelope's.
pub(crate) fn read_filter(
    params: &Map<String, Value>,
    exists: impl Fn(&str) -> bool,
    max_uris: usize,
    log_level: Option<LogLevel>,
) -> Result<Filter, Refusal> {
    let invalid = |message: &str| (codes::INVALID_PARAMS, format!("Invalid params: {message}"), None);
    let filter = match params.get("notifications") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(_) => return Err(invalid("notifications must be an object (a subscription filter)")),
    };
    for flag in ["toolsListChanged", "promptsListChanged", "resourcesListChanged"] {
        if filter.get(flag).is_some_and(|v| !v.is_boolean() && !v.is_null()) {
            return Err(invalid(&format!("notifications.{flag} must be a boolean")));
        }
    }
    let requested: Vec<&str> = match filter.get("resourceSubscriptions") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(Value::as_str)
            .collect::<Option<Vec<&str>>>()
            .ok_or_else(|| invalid("notifications.resourceSubscriptions must be an array of URIs"))?,
        Some(_) => {
            return Err(invalid(
                "notifications.resourceSubscriptions must be an array of URIs",
            ));
        }
    };
    if requested.len() > max_uris {
        return Err((
            codes::LIMIT_EXCEEDED,
            format!("Too many subscriptions: at most {max_uris} resource URIs per listen stream"),
            Some(super::Budget::Subscriptions.data(max_uris)),
        ));
    }
    let mut uris = HashSet::new();
    let mut honored_uris = Vec::new();
    for uri in requested {
        if exists(uri) && uris.insert(uri.to_owned()) {
            honored_uris.push(uri);
        }
    }
    let mut honored = Map::new();
    if !honored_uris.is_empty() {
        honored.insert("resourceSubscriptions".into(), json!(honored_uris));
    }
    let alert_messages =
        uris.contains(ALERTS_URI) && log_level.is_some_and(|level| level <= LogLevel::Warning);
    Ok(Filter {
        honored: Value::Object(honored),
        uris,
        alert_messages,
    })
}

/// Opens a stream: sends the acknowledgement (so it comes first), then registers the listener.
/// The returned key is the registry's; the caller ties the stream's lifetime to a task and
/// removes it with [`Registration`] when that task ends.
pub(crate) fn open(
    listeners: &Arc<Listeners>,
    session: &Arc<Session>,
    id: &str,
    filter: Filter,
    sink: Arc<dyn Outbound>,
) -> Registration {
    let subscription_id: Value = serde_json::from_str(id).unwrap_or(Value::Null);
    let key = listeners.next.fetch_add(1, Ordering::Relaxed);
    let listener = Arc::new(Listener {
        key,
        session: Arc::downgrade(session),
        id: id.to_owned(),
        subscription_id,
        uris: filter.uris,
        alert_messages: filter.alert_messages,
        sink,
        live: AtomicBool::new(true),
        stateless: session.is_stateless(),
    });
    let mut params = Map::new();
    params.insert("notifications".into(), filter.honored);
    listener
        .sink
        .send(listener.tagged("notifications/subscriptions/acknowledged", params));
    lock(&listeners.map).insert(key, listener);
    Registration {
        listeners: Arc::downgrade(listeners),
        key,
    }
}

/// Removes a listener from the registry when dropped (the stream's task ended or was aborted).
pub(crate) struct Registration {
    listeners: Weak<Listeners>,
    key: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Some(listeners) = self.listeners.upgrade() {
            listeners.remove(self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(filter: Value) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("notifications".into(), filter);
        map
    }

    #[test]
    fn the_acknowledgement_names_only_what_is_honored() {
        let exists = |uri: &str| uri == ALERTS_URI || uri == "portfolio://positions";
        let filter = read_filter(
            &params(json!({
                "toolsListChanged": true,
                "promptsListChanged": true,
                "resourceSubscriptions": ["alerts://active", "nope://x", "alerts://active"]
            })),
            exists,
            64,
            None,
        )
        .map_err(|(c, m, _)| format!("{c} {m}"))
        .unwrap();
        assert_eq!(
            filter.honored,
            json!({"resourceSubscriptions": ["alerts://active"]})
        );
        assert!(!filter.alert_messages, "no logLevel, no messages");
        let with_level = read_filter(
            &params(json!({"resourceSubscriptions": ["alerts://active"]})),
            exists,
            64,
            Some(LogLevel::Warning),
        )
        .map_err(|(c, m, _)| format!("{c} {m}"))
        .unwrap();
        assert!(with_level.alert_messages);
        let too_strict = read_filter(
            &params(json!({"resourceSubscriptions": ["alerts://active"]})),
            exists,
            64,
            Some(LogLevel::Error),
        )
        .map_err(|(c, m, _)| format!("{c} {m}"))
        .unwrap();
        assert!(
            !too_strict.alert_messages,
            "an error-level listener is not sent warnings"
        );
    }

    #[test]
    fn a_malformed_or_oversized_filter_is_refused() {
        let exists = |_: &str| true;
        for bad in [
            json!("all"),
            json!({"toolsListChanged": "yes"}),
            json!({"resourceSubscriptions": "alerts://active"}),
            json!({"resourceSubscriptions": [1]}),
        ] {
            assert_eq!(
                read_filter(&params(bad.clone()), exists, 64, None)
                    .err()
                    .map(|r| r.0),
                Some(codes::INVALID_PARAMS),
                "{bad}"
            );
        }
        let many: Vec<String> = (0..3).map(|i| format!("x://{i}")).collect();
        assert_eq!(
            read_filter(&params(json!({"resourceSubscriptions": many})), exists, 2, None)
                .err()
                .map(|r| r.0),
            Some(codes::LIMIT_EXCEEDED)
        );
    }
}
