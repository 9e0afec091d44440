//! The person's consent to one exact order: the question, the answer, and the binding check.
//!
//! [`Consent`] is the one abstraction the order use cases ask through: "show the person this
//! order and ask them to accept or decline it". How the question reaches the person is the
//! protocol's business (the handshake era's `elicitation/create`, in `mcp::elicitation`; the
//! 2026-07-28 revision's `InputRequiredResult`, see `docs/orders.md`). What the answer must
//! prove is decided here, the same for every protocol: the person accepted, the answer names the
//! order shown (its code, the first 8 hex digits of the order's SHA-256 fingerprint), and it came
//! within [`CONFIRMATION_VALIDITY`] of the question. Anything else places nothing.
//!
//! A protocol that cannot wait for the person inside one call (MCP 2026-07-28) answers the first
//! call with [`ConsentAnswer::Deferred`]: the use case hands the [`PendingQuestion`] back to the
//! client, which asks its user and calls again; on that call the same `Consent` reads the answer
//! and reports how long ago the question was asked ([`Consent::waited`]). An answer is used once
//! ([`ConsentAnswer::AlreadyUsed`] for a replay).

use std::time::Duration;

use async_trait::async_trait;
use serde::Serialize;
use serde_json::{Map, Value};

/// How long a question stays valid: an answer after this is refused (the market has moved).
pub const CONFIRMATION_VALIDITY: Duration = Duration::from_secs(120);

/// What the person is asked.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConsentRequest {
    /// `place` or `cancel`.
    pub action: &'static str,
    /// The account the order belongs to (not shown: part of what the answer is bound to).
    #[serde(skip)]
    pub account: String,
    /// The question in a few words: "Place this order?".
    pub title: String,
    /// What the person reads: the order, its price, fees and buying-power effect, the checks.
    pub message: String,
    /// The order's ticket, the label of the one choice the form offers.
    pub order_text: String,
    /// The fingerprint the answer is bound to (SHA-256 hex of the order's canonical text).
    pub order_hash: String,
    /// Its first 8 hex digits: what the answer must name.
    pub order_code: String,
    /// How long the question stays valid.
    pub valid_for: Duration,
}

/// A question the protocol asks across calls: the client shows it and calls again with the
/// answer (MCP 2026-07-28 `InputRequiredResult`).
#[derive(Clone, Debug, PartialEq)]
pub struct PendingQuestion {
    /// What the client is to ask, by key (the protocol's input requests).
    pub requests: Map<String, Value>,
    /// What the next call checks the answer against (the protocol seals it).
    pub state: Value,
}

/// The result of a use case the person confirms: done, or the question to hand to the client
/// first.
#[derive(Clone, Debug, PartialEq)]
pub enum Confirmed<T> {
    /// The use case ran to its end (placed, declined, ...).
    Done(T),
    /// The person has been asked; nothing was sent. The answer comes with the next call.
    Asking(PendingQuestion),
}

/// What came back.
#[derive(Clone, Debug, PartialEq)]
pub enum ConsentAnswer {
    /// The person accepted the order whose code the answer names (`confirm` true).
    Accepted {
        /// The order code in the answer.
        order_code: String,
    },
    /// The person declined (or accepted the form without ticking `confirm`).
    Declined,
    /// The person dismissed the question without a choice.
    Cancelled,
    /// No answer within the validity.
    NoAnswer,
    /// The question could not be asked or answered (no channel, the client refused, the session
    /// ended); the text says why.
    Unavailable(String),
    /// The question goes to the client now and its answer comes with a later call.
    Deferred(PendingQuestion),
    /// This answer was already used once (a replayed retry).
    AlreadyUsed,
}

impl ConsentAnswer {
    /// The audit log's word for it.
    pub fn outcome(&self) -> &'static str {
        match self {
            ConsentAnswer::Accepted { .. } => "accepted",
            ConsentAnswer::Declined => "declined",
            ConsentAnswer::Cancelled => "cancelled",
            ConsentAnswer::NoAnswer => "no_answer",
            ConsentAnswer::Unavailable(_) => "unavailable",
            ConsentAnswer::Deferred(_) => "asked",
            ConsentAnswer::AlreadyUsed => "replayed",
        }
    }
}

/// Asks the person. One implementation per protocol era.
#[async_trait]
pub trait Consent: Send + Sync {
    /// `Err` with the reason when this client cannot ask its user at all (checked before
    /// anything is shown).
    fn available(&self) -> Result<(), String>;

    /// Shows `request` and waits for the person's answer (at most `request.valid_for`), or
    /// defers it to a later call ([`ConsentAnswer::Deferred`]).
    async fn ask(&self, request: &ConsentRequest) -> ConsentAnswer;

    /// When the answer came with a later call: how long ago the question was asked (the binding
    /// counts its validity from then). `None`: the question was asked in this call.
    fn waited(&self) -> Option<Duration> {
        None
    }
}

/// Why an accepted answer does not confirm the order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Binding {
    /// The answer confirms this order.
    Holds,
    /// The answer names another order (its code).
    OtherOrder(String),
    /// The answer came after the question's validity.
    Expired,
}

/// The binding check: an accepted answer confirms `request`'s order only when it names that
/// order's code and came within the validity (`elapsed` since the question was asked).
pub fn check_binding(request: &ConsentRequest, answered_code: &str, elapsed: Duration) -> Binding {
    if elapsed > request.valid_for {
        return Binding::Expired;
    }
    if answered_code.trim().eq_ignore_ascii_case(&request.order_code) {
        Binding::Holds
    } else {
        Binding::OtherOrder(answered_code.chars().take(64).collect())
    }
}

/// How a person's answer to `request` stands: the binding of an acceptance (`None` for any other
/// answer) and the outcome the audit log records for it.
pub fn judge(
    request: &ConsentRequest,
    answer: &ConsentAnswer,
    elapsed: Duration,
) -> (Option<Binding>, &'static str) {
    let binding = match answer {
        ConsentAnswer::Accepted { order_code } => Some(check_binding(request, order_code, elapsed)),
        _ => None,
    };
    let outcome = match &binding {
        Some(Binding::Holds) => "accepted",
        Some(Binding::OtherOrder(_)) => "mismatch",
        Some(Binding::Expired) => "expired",
        None => answer.outcome(),
    };
    (binding, outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(code: &str) -> ConsentRequest {
        ConsentRequest {
            action: "place",
            account: "5WT00001".to_owned(),
            title: "Place this order?".to_owned(),
            message: String::new(),
            order_text: "SELL 1 SPY".to_owned(),
            order_hash: format!("{code}{}", "0".repeat(56)),
            order_code: code.to_owned(),
            valid_for: CONFIRMATION_VALIDITY,
        }
    }

    #[test]
    fn an_answer_binds_only_its_own_order_within_two_minutes() {
        let r = request("9f2c01ab");
        assert_eq!(
            check_binding(&r, "9f2c01ab", Duration::from_secs(119)),
            Binding::Holds
        );
        assert_eq!(check_binding(&r, "9F2C01AB", Duration::ZERO), Binding::Holds);
        assert_eq!(
            check_binding(&r, "deadbeef", Duration::from_secs(5)),
            Binding::OtherOrder("deadbeef".to_owned())
        );
        assert_eq!(
            check_binding(&r, "9f2c01ab", Duration::from_secs(121)),
            Binding::Expired
        );
    }
}
