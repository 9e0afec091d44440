//! The person's consent through MCP elicitation (handshake era, 2025-06-18 and later): the
//! server sends `elicitation/create` on the session, the client shows the form to its user and
//! answers with `accept` (and the form's content), `decline` or `cancel`.
//!
//! The form has two fields: `order`, a single choice whose only value is the order's code and
//! whose label is the order's ticket, and `confirm`, a box the person ticks to place it. An
//! answer confirms the order only when it accepts, ticks `confirm` and names that code
//! (`app::orders::check_binding`); the form is shown for two minutes at most.
//!
//! Under MCP 2026-07-28 there are no server→client requests: [`InputConsent`] hands the same
//! form to the client as an `InputRequiredResult` (key `confirm`) with a state bound to the order
//! and the account, and reads the person's answer from the client's retry (`inputResponses`). The
//! engine seals and verifies the state (`super::input`); the two minutes count from its issue.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Value, json};

use super::client_requests::ClientRequestError;
use super::input::InputRound;
use super::protocol::ProtocolVersion;
use super::session::{Outbound, Session};
use super::tools::ToolContext;
use crate::app::orders::{Consent, ConsentAnswer, ConsentRequest, PendingQuestion};

/// True when a client's `initialize` capabilities include form elicitation: `elicitation: {}`
/// (form, before modes existed) or `elicitation: {"form": {}, ...}`.
pub fn accepts_forms(capabilities: &Value) -> bool {
    match capabilities.get("elicitation").and_then(Value::as_object) {
        Some(modes) => modes.contains_key("form") || !modes.contains_key("url"),
        None => false,
    }
}

/// Asks through `elicitation/create` on the session of the tool call.
pub struct ElicitationConsent {
    session: Arc<Session>,
    sink: Arc<dyn Outbound>,
}

impl ElicitationConsent {
    /// Consent asked on `session`, the request going out with the tool call's messages (`sink`).
    pub fn new(session: Arc<Session>, sink: Arc<dyn Outbound>) -> ElicitationConsent {
        ElicitationConsent { session, sink }
    }
}

/// The `elicitation/create` params for `request` under `version`.
pub(crate) fn params(request: &ConsentRequest, version: ProtocolVersion) -> Value {
    let description = "the order shown above, exactly as it will be sent";
    let order = if version >= ProtocolVersion::V2025_11_25 {
        json!({
            "type": "string",
            "title": "Order",
            "description": description,
            "oneOf": [{"const": request.order_code, "title": request.order_text}],
            "default": request.order_code,
        })
    } else {
        json!({
            "type": "string",
            "title": "Order",
            "description": description,
            "enum": [request.order_code],
            "enumNames": [request.order_text],
        })
    };
    let confirm = json!({
        "type": "boolean",
        "title": if request.action == "cancel" { "Cancel this order" } else { "Place this order" },
        "description": format!(
            "tick to confirm; valid for {} seconds, for this order only",
            request.valid_for.as_secs()
        ),
        "default": false,
    });
    let mut params = json!({
        "message": request.message,
        "requestedSchema": {
            "type": "object",
            "properties": {"order": order, "confirm": confirm},
            "required": ["order", "confirm"],
        },
    });
    if version >= ProtocolVersion::V2025_11_25
        && let Some(map) = params.as_object_mut()
    {
        map.insert("mode".into(), "form".into());
    }
    params
}

/// Reads the client's `ElicitResult`.
pub(crate) fn answer(result: &Value) -> ConsentAnswer {
    match result.get("action").and_then(Value::as_str) {
        Some("accept") => {
            let content = result.get("content").unwrap_or(&Value::Null);
            if content.get("confirm").and_then(Value::as_bool) != Some(true) {
                return ConsentAnswer::Declined;
            }
            ConsentAnswer::Accepted {
                order_code: content
                    .get("order")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            }
        }
        Some("decline") => ConsentAnswer::Declined,
        Some("cancel") => ConsentAnswer::Cancelled,
        _ => ConsentAnswer::Unavailable(
            "the client's answer to the confirmation is not an elicitation result".to_owned(),
        ),
    }
}

/// `Ok` when `version` is a handshake-era revision with `elicitation/create` (2025-06-18 and
/// 2025-11-25); otherwise why ttai cannot ask through it. A session never initialized has no
/// version; a revision after 2025-11-25 (the stateless 2026-07-28) asks through an
/// `InputRequiredResult`, a different `Consent` (docs/orders.md), so such a
/// request is refused here rather than sent a server→client request it cannot carry
/// ([`consent_for`] gives such a request an [`InputConsent`]).
fn handshake_era(version: Option<ProtocolVersion>) -> Result<(), String> {
    match version {
        None => Err(
            "this request came outside an initialized MCP session (no `initialize` handshake), so ttai cannot ask you to confirm"
                .to_owned(),
        ),
        Some(v) if v < ProtocolVersion::V2025_06_18 => Err(format!(
            "this client speaks MCP {}, which has no elicitation, so ttai cannot ask you to confirm",
            v.as_str()
        )),
        Some(v) if v > ProtocolVersion::V2025_11_25 => Err(format!(
            "this client speaks MCP {}, whose confirmations travel in an InputRequiredResult, not elicitation/create, so ttai cannot ask you to confirm this way",
            v.as_str()
        )),
        Some(_) => Ok(()),
    }
}

/// The `Consent` of the request's era: [`InputConsent`] for an MCP 2026-07-28 request, else
/// [`ElicitationConsent`] on its session.
pub(crate) fn consent_for(ctx: &ToolContext) -> Box<dyn Consent> {
    match &ctx.envelope {
        Some(envelope) => Box::new(InputConsent {
            forms: envelope.capabilities().is_some_and(accepts_forms),
            round: ctx.input.clone(),
        }),
        None => Box::new(ElicitationConsent::new(ctx.session.clone(), ctx.reply_to.clone())),
    }
}

/// The input request's key.
const CONFIRM: &str = "confirm";

/// Asks through an `InputRequiredResult` (MCP 2026-07-28): the first call defers, the retry
/// answers.
pub struct InputConsent {
    /// The request's client capabilities declare form elicitation.
    forms: bool,
    /// The retry's round (its state verified by the engine); `None` on a first call.
    round: Option<InputRound>,
}

impl InputConsent {
    /// The consent of a call whose client declares form elicitation or not (`forms`), with the
    /// round of its retry.
    pub fn new(forms: bool, round: Option<InputRound>) -> InputConsent {
        InputConsent { forms, round }
    }
}

/// The state a question is bound to: the order's fingerprint and the account's (its SHA-256,
/// not the number: the state is readable by the client).
fn bound_state(request: &ConsentRequest) -> Value {
    let account = crate::sha256::hex(format!("account|{}", request.account).as_bytes());
    json!({
        "order_hash": request.order_hash,
        "account": account.get(..16).unwrap_or_default(),
    })
}

#[async_trait]
impl Consent for InputConsent {
    fn available(&self) -> Result<(), String> {
        if self.forms {
            Ok(())
        } else {
            Err("this client cannot show a confirmation form (its request did not declare the elicitation capability), so ttai cannot ask you to confirm".to_owned())
        }
    }

    async fn ask(&self, request: &ConsentRequest) -> ConsentAnswer {
        let Some(round) = &self.round else {
            let mut requests = serde_json::Map::new();
            requests.insert(
                CONFIRM.to_owned(),
                json!({
                    "method": "elicitation/create",
                    "params": params(request, ProtocolVersion::V2025_11_25),
                }),
            );
            return ConsentAnswer::Deferred(PendingQuestion {
                requests,
                state: bound_state(request),
            });
        };
        // A state answers once, whatever the answer: a replayed retry is refused.
        if !round.take() {
            return ConsentAnswer::AlreadyUsed;
        }
        let Some(response) = round.responses.get(CONFIRM) else {
            return ConsentAnswer::Unavailable(
                "the retry carries no answer to the confirmation (inputResponses.confirm)".to_owned(),
            );
        };
        let answer = answer(response);
        let expected = bound_state(request);
        if round.state.get("account") != expected.get("account") {
            return ConsentAnswer::Unavailable("the confirmation was asked for another account".to_owned());
        }
        match (&answer, round.state.get("order_hash").and_then(Value::as_str)) {
            (_, Some(hash)) if hash == request.order_hash => answer,
            // The person accepted another order than this call would send (the market moved
            // between the rounds): the binding refuses the code of the order they saw.
            (ConsentAnswer::Accepted { .. }, Some(hash)) => ConsentAnswer::Accepted {
                order_code: hash.chars().take(8).collect(),
            },
            (ConsentAnswer::Accepted { .. }, None) => {
                ConsentAnswer::Unavailable("the confirmation's state names no order".to_owned())
            }
            _ => answer,
        }
    }

    fn waited(&self) -> Option<std::time::Duration> {
        self.round.as_ref().map(|round| round.age)
    }
}

#[async_trait]
impl Consent for ElicitationConsent {
    fn available(&self) -> Result<(), String> {
        handshake_era(self.session.protocol_version())?;
        if !self.session.supports_elicitation() {
            return Err(
                "this client cannot show a confirmation form (it did not declare the elicitation capability), so ttai cannot ask you to confirm"
                    .to_owned(),
            );
        }
        Ok(())
    }

    async fn ask(&self, request: &ConsentRequest) -> ConsentAnswer {
        let version = self.session.protocol_version().unwrap_or(ProtocolVersion::LATEST);
        let outcome = self
            .session
            .request_client(
                &*self.sink,
                "elicitation/create",
                &params(request, version),
                request.valid_for,
            )
            .await;
        match outcome {
            Ok(result) => answer(&result),
            Err(ClientRequestError::TimedOut) => ConsentAnswer::NoAnswer,
            Err(ClientRequestError::Closed) => {
                ConsentAnswer::Unavailable("the session ended before an answer".to_owned())
            }
            Err(ClientRequestError::TooMany) => ConsentAnswer::Unavailable(
                "too many confirmations are already waiting on this session".to_owned(),
            ),
            Err(ClientRequestError::Refused { code, message }) => {
                ConsentAnswer::Unavailable(format!("the client did not ask ({code}: {message})"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn request() -> ConsentRequest {
        ConsentRequest {
            action: "place",
            account: "5WT00001".to_owned(),
            title: "Place this order?".to_owned(),
            message: "Place SELL 1 SPY …?".to_owned(),
            order_text: "SELL 1 SPY 2026-12-24 540 PUT to open @ 6.30 LMT credit, day".to_owned(),
            order_hash: "ab".repeat(32),
            order_code: "abababab".to_owned(),
            valid_for: Duration::from_secs(120),
        }
    }

    #[test]
    fn forms_are_declared_by_elicitation_with_form_or_without_modes() {
        assert!(accepts_forms(&json!({"elicitation": {}})));
        assert!(accepts_forms(&json!({"elicitation": {"form": {}, "url": {}}})));
        assert!(!accepts_forms(&json!({"elicitation": {"url": {}}})));
        assert!(!accepts_forms(&json!({"sampling": {}})));
        assert!(!accepts_forms(&Value::Null));
    }

    #[test]
    fn the_form_offers_one_order_by_its_code_in_each_versions_schema() {
        let modern = params(&request(), ProtocolVersion::V2025_11_25);
        assert_eq!(modern["mode"], "form");
        let order = &modern["requestedSchema"]["properties"]["order"];
        assert_eq!(order["oneOf"][0]["const"], "abababab");
        assert_eq!(
            order["oneOf"][0]["title"],
            "SELL 1 SPY 2026-12-24 540 PUT to open @ 6.30 LMT credit, day"
        );
        assert_eq!(modern["requestedSchema"]["required"], json!(["order", "confirm"]));
        let older = params(&request(), ProtocolVersion::V2025_06_18);
        assert!(older.get("mode").is_none());
        assert_eq!(
            older["requestedSchema"]["properties"]["order"]["enum"],
            json!(["abababab"])
        );
    }

    #[test]
    fn only_the_handshake_eras_with_elicitation_can_ask() {
        assert!(handshake_era(Some(ProtocolVersion::V2025_06_18)).is_ok());
        assert!(handshake_era(Some(ProtocolVersion::V2025_11_25)).is_ok());
        let old = handshake_era(Some(ProtocolVersion::V2025_03_26)).unwrap_err();
        assert!(old.contains("MCP 2025-03-26, which has no elicitation"), "{old}");
        let none = handshake_era(None).unwrap_err();
        assert!(none.contains("outside an initialized MCP session"), "{none}");
    }

    #[tokio::test]
    async fn a_stateless_question_is_deferred_and_its_answer_bound_to_the_order_and_account() {
        let r = request();
        assert!(InputConsent::new(false, None).available().is_err());
        let ConsentAnswer::Deferred(question) = InputConsent::new(true, None).ask(&r).await else {
            panic!("a first call defers");
        };
        assert_eq!(question.requests["confirm"]["method"], "elicitation/create");
        assert_eq!(
            question.requests["confirm"]["params"],
            params(&r, ProtocolVersion::V2025_11_25)
        );
        assert_eq!(question.state["order_hash"], r.order_hash);
        assert!(
            !question.state.to_string().contains("5WT00001"),
            "the account is hashed"
        );
        let accept = json!({"action": "accept", "content": {"order": "abababab", "confirm": true}});
        let retry = |state: Value, response: Option<Value>, secs: u64| {
            let mut responses = serde_json::Map::new();
            if let Some(response) = response {
                responses.insert("confirm".into(), response);
            }
            InputConsent::new(
                true,
                Some(InputRound::new(state, responses, Duration::from_secs(secs))),
            )
        };
        let answered = retry(question.state.clone(), Some(accept.clone()), 30);
        assert_eq!(answered.waited(), Some(Duration::from_secs(30)));
        assert_eq!(
            answered.ask(&r).await,
            ConsentAnswer::Accepted {
                order_code: "abababab".into()
            }
        );
        // The state of another order: the code the person saw, which the binding refuses.
        let mut other = question.state.clone();
        other["order_hash"] = json!("cd".repeat(32));
        assert_eq!(
            retry(other.clone(), Some(accept.clone()), 1).ask(&r).await,
            ConsentAnswer::Accepted {
                order_code: "cdcdcdcd".into()
            }
        );
        assert_eq!(
            retry(other, Some(json!({"action": "decline"})), 1).ask(&r).await,
            ConsentAnswer::Declined
        );
        // Another account, no answer, no order in the state.
        let mut elsewhere = question.state.clone();
        elsewhere["account"] = json!("0000000000000000");
        assert!(matches!(
            retry(elsewhere, Some(accept.clone()), 1).ask(&r).await,
            ConsentAnswer::Unavailable(_)
        ));
        assert!(matches!(
            retry(question.state.clone(), None, 1).ask(&r).await,
            ConsentAnswer::Unavailable(_)
        ));
        let mut blank = question.state;
        blank["order_hash"] = Value::Null;
        assert!(matches!(
            retry(blank, Some(accept), 1).ask(&r).await,
            ConsentAnswer::Unavailable(_)
        ));
    }

    #[test]
    fn answers_are_read_strictly() {
        let accepted = json!({"action": "accept", "content": {"order": "abababab", "confirm": true}});
        assert_eq!(
            answer(&accepted),
            ConsentAnswer::Accepted {
                order_code: "abababab".to_owned()
            }
        );
        let unticked = json!({"action": "accept", "content": {"order": "abababab", "confirm": false}});
        assert_eq!(answer(&unticked), ConsentAnswer::Declined);
        assert_eq!(answer(&json!({"action": "accept"})), ConsentAnswer::Declined);
        assert_eq!(answer(&json!({"action": "decline"})), ConsentAnswer::Declined);
        assert_eq!(answer(&json!({"action": "cancel"})), ConsentAnswer::Cancelled);
        assert!(matches!(answer(&json!({"ok": 1})), ConsentAnswer::Unavailable(_)));
    }
}
