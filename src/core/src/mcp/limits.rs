//! The engine's budgets: how much one client can make the engine hold or do at once, and the
//! lifecycle rules every request passes before it runs.
//!
//! Transports have budgets of their own (line and body sizes, connections, timeouts, retained
//! stream bytes); these are the ones that hold whatever carries the frames. Every refusal names
//! the budget and its limit, so a client author can see what to change.

use serde_json::{Value, json};

use super::envelope::{self, codes};
use super::protocol::ProtocolVersion;

/// The engine's budgets. `Default` gives the documented defaults (README, "Budgets").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most messages in one JSON-RPC batch; a longer batch is refused whole (-32600).
    pub max_batch_len: usize,
    /// Most bytes of answers one batch may produce; the request that passes it and every later
    /// one in the batch are answered with a [`codes::LIMIT_EXCEEDED`] error instead of running.
    pub max_batch_answer_bytes: usize,
    /// Batches executing at once across all sessions; later ones wait their turn.
    pub max_concurrent_batches: usize,
    /// Requests in flight per session: a transport that reads a stream (stdio) stops reading
    /// until one finishes; a request beyond it is refused with [`codes::LIMIT_EXCEEDED`].
    pub max_in_flight: usize,
    /// Resources one session may subscribe to.
    pub max_subscriptions: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_batch_len: 32,
            max_batch_answer_bytes: 8 * 1024 * 1024,
            max_concurrent_batches: 2,
            max_in_flight: 32,
            max_subscriptions: 64,
        }
    }
}

/// A budget a request ran into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Budget {
    /// [`Limits::max_batch_len`].
    BatchLength,
    /// [`Limits::max_batch_answer_bytes`].
    BatchAnswerBytes,
    /// [`Limits::max_in_flight`].
    InFlight,
    /// [`Limits::max_subscriptions`].
    Subscriptions,
}

impl Budget {
    /// The budget's name in error data.
    pub fn name(self) -> &'static str {
        match self {
            Budget::BatchLength => "batch_length",
            Budget::BatchAnswerBytes => "batch_answer_bytes",
            Budget::InFlight => "requests_in_flight",
            Budget::Subscriptions => "subscriptions",
        }
    }

    /// The `data` of a refusal: which budget, and its limit.
    pub fn data(self, limit: usize) -> Value {
        json!({ "budget": self.name(), "limit": limit })
    }
}

/// The error answer for a request refused by `budget`.
pub(crate) fn over_budget(id: Option<&str>, budget: Budget, limit: usize, message: &str) -> String {
    envelope::error_response(id, codes::LIMIT_EXCEEDED, message, Some(&budget.data(limit)))
}

/// Why the lifecycle refuses a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LifecycleRefusal {
    /// A request other than `initialize` or `ping` before `initialize` was answered.
    NotInitialized,
    /// `initialize` on a session that already negotiated this version.
    AlreadyInitialized(ProtocolVersion),
}

impl LifecycleRefusal {
    /// The -32600 answer.
    pub(crate) fn answer(self, id: &str) -> String {
        let message = match self {
            LifecycleRefusal::NotInitialized => {
                "Invalid Request: send initialize first; only ping is allowed before it".to_owned()
            }
            LifecycleRefusal::AlreadyInitialized(version) => format!(
                "Invalid Request: this session is already initialized (MCP {}); start a new session to negotiate again",
                version.as_str()
            ),
        };
        envelope::error_response(Some(id), codes::INVALID_REQUEST, &message, None)
    }
}

/// The lifecycle rule of the handshake era (every version ttai speaks): a session serves
/// requests only after `initialize`, answers `ping` at any time, and negotiates once.
pub(crate) fn admit(negotiated: Option<ProtocolVersion>, method: &str) -> Result<(), LifecycleRefusal> {
    match (negotiated, method) {
        (Some(version), "initialize") => Err(LifecycleRefusal::AlreadyInitialized(version)),
        (None, "initialize" | "ping") | (Some(_), _) => Ok(()),
        (None, _) => Err(LifecycleRefusal::NotInitialized),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_handshake_comes_first_and_only_once() {
        assert_eq!(admit(None, "initialize"), Ok(()));
        assert_eq!(admit(None, "ping"), Ok(()));
        assert_eq!(admit(None, "tools/list"), Err(LifecycleRefusal::NotInitialized));
        let v = ProtocolVersion::V2025_11_25;
        assert_eq!(admit(Some(v), "tools/call"), Ok(()));
        assert_eq!(
            admit(Some(v), "initialize"),
            Err(LifecycleRefusal::AlreadyInitialized(v))
        );
        let answer: Value = serde_json::from_str(&LifecycleRefusal::NotInitialized.answer("7")).unwrap();
        assert_eq!(answer["id"], 7);
        assert_eq!(answer["error"]["code"], -32600);
    }

    #[test]
    fn refusals_name_their_budget() {
        let answer: Value = serde_json::from_str(&over_budget(
            Some("\"a\""),
            Budget::BatchAnswerBytes,
            10,
            "too much",
        ))
        .unwrap();
        assert_eq!(answer["error"]["code"], codes::LIMIT_EXCEEDED);
        assert_eq!(answer["error"]["data"]["budget"], "batch_answer_bytes");
        assert_eq!(answer["error"]["data"]["limit"], 10);
    }
}
