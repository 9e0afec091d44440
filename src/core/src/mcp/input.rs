//! Input a tool needs from the client before it can finish (MCP 2026-07-28 "multi round-trip
//! requests", docs/mcp-2026-07-28.md): instead of sending the client a request of its own (an
//! elicitation), the server answers `tools/call` with an `InputRequiredResult` (`inputRequests`
//! plus an opaque `requestState`), and the client calls again with `inputResponses` and the same
//! `requestState`.
//!
//! Nothing is kept between the two calls: the tool's state travels in `requestState`, sealed
//! here with a keyed BLAKE2b-256 MAC (orion) under a key of this process. A state is accepted
//! only unaltered, within [`STATE_TTL_MS`] of being issued, on a call of the same tool with the
//! same arguments, and at most [`MAX_STATE_BYTES`] long; anything else is refused (-32602), so a
//! client cannot forge or replay a confirmation onto another call.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Map, Value, json};

/// How long a `requestState` stays valid: time for a person to read a question and answer it.
pub const STATE_TTL_MS: u64 = 10 * 60 * 1000;
/// The longest `requestState` accepted or issued (bytes).
pub const MAX_STATE_BYTES: usize = 8 * 1024;
/// The most input requests one round may make.
pub const MAX_INPUT_REQUESTS: usize = 8;

/// The state format's version prefix.
const PREFIX: &str = "v1.";

/// What a tool needs from the client: the spec's `InputRequiredResult`.
#[derive(Clone, Debug, PartialEq)]
pub struct InputRequired {
    /// The requests by key (unique within the round), each `{"method": …, "params": …}`:
    /// `elicitation/create`, `sampling/createMessage` or `roots/list`.
    pub requests: Map<String, Value>,
    /// The tool's state for the next round, sealed by the engine; `Value::Null` for none.
    pub state: Value,
}

impl InputRequired {
    /// One form elicitation: `message` for the person, `schema` the object they fill in.
    pub fn elicit(key: &str, message: &str, schema: Value, state: Value) -> InputRequired {
        let mut requests = Map::new();
        requests.insert(
            key.to_owned(),
            json!({
                "method": "elicitation/create",
                "params": { "mode": "form", "message": message, "requestedSchema": schema },
            }),
        );
        InputRequired { requests, state }
    }

    /// The client capabilities these requests need (`elicitation`, `sampling`, `roots`), as a
    /// `ClientCapabilities` object.
    pub(crate) fn required_capabilities(&self) -> Map<String, Value> {
        let mut needed = Map::new();
        for request in self.requests.values() {
            let capability = match request.get("method").and_then(Value::as_str) {
                Some("elicitation/create") => "elicitation",
                Some("sampling/createMessage") => "sampling",
                Some("roots/list") => "roots",
                _ => continue,
            };
            needed.insert(capability.to_owned(), json!({}));
        }
        needed
    }
}

/// A later round of a call: the state the tool sealed and the client's answers.
#[derive(Clone, Debug)]
pub struct InputRound {
    /// The tool's state, verified.
    pub state: Value,
    /// The client's responses by request key (only keys the previous round asked for).
    pub responses: Map<String, Value>,
    /// How long ago the state was issued (the engine's clock, from the sealed expiry).
    pub age: Duration,
    /// The state's identity and expiry in the engine's record of used states.
    once: Option<(Arc<UsedStates>, String, u64)>,
}

impl InputRound {
    /// A round of `state` and `responses` issued `age` ago, outside any engine (tests): it can
    /// be taken any number of times.
    pub fn new(state: Value, responses: Map<String, Value>, age: Duration) -> InputRound {
        InputRound {
            state,
            responses,
            age,
            once: None,
        }
    }

    /// Marks this round's state used: `true` the first time this process sees it taken, `false`
    /// for a replay (the same `requestState` presented again). A tool whose effect must happen
    /// at most once (an order) takes the state before acting.
    pub fn take(&self) -> bool {
        match &self.once {
            Some((used, id, expires)) => used.take(id, *expires),
            None => true,
        }
    }

    /// The accepted content of a form elicitation: `Some(content)` when the person accepted,
    /// `None` when they declined, cancelled or the response is missing.
    pub fn accepted(&self, key: &str) -> Option<&Value> {
        let response = self.responses.get(key)?;
        (response.get("action").and_then(Value::as_str) == Some("accept"))
            .then(|| response.get("content"))
            .flatten()
    }
}

/// The states already taken ([`InputRound::take`]), by their MAC, until they expire: a state
/// is valid only in the process whose key sealed it, so a record in memory covers every state
/// that could be presented. At most [`MAX_USED_STATES`] unexpired states are remembered; beyond
/// that a state cannot be taken (fail closed) until older ones expire.
pub(crate) struct UsedStates {
    clock: Arc<dyn Fn() -> u64 + Send + Sync>,
    used: Mutex<HashMap<String, u64>>,
}

/// The most unexpired used states remembered.
pub const MAX_USED_STATES: usize = 4096;

impl std::fmt::Debug for UsedStates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UsedStates").finish_non_exhaustive()
    }
}

impl UsedStates {
    /// A record on `clock` (the engine's milliseconds).
    pub(crate) fn new(clock: Arc<dyn Fn() -> u64 + Send + Sync>) -> UsedStates {
        UsedStates {
            clock,
            used: Mutex::new(HashMap::new()),
        }
    }

    fn take(&self, id: &str, expires: u64) -> bool {
        let now = (self.clock)();
        let Ok(mut used) = self.used.lock() else {
            return false;
        };
        if used.contains_key(id) {
            return false;
        }
        if used.len() >= MAX_USED_STATES / 2 {
            used.retain(|_, until| *until >= now);
        }
        if used.len() >= MAX_USED_STATES {
            tracing::warn!("too many request states taken recently; refusing one");
            return false;
        }
        used.insert(id.to_owned(), expires);
        true
    }

    /// The round of a verified state (`open`'s answer) at `now_ms`.
    pub(crate) fn round(
        self: &Arc<Self>,
        opened: Opened,
        responses: Map<String, Value>,
        now_ms: u64,
    ) -> InputRound {
        let issued = opened.expires.saturating_sub(STATE_TTL_MS);
        InputRound {
            state: opened.state,
            responses,
            age: Duration::from_millis(now_ms.saturating_sub(issued)),
            once: Some((self.clone(), opened.id, opened.expires)),
        }
    }
}

/// A verified `requestState`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Opened {
    /// The tool's state.
    pub(crate) state: Value,
    /// The request keys it was issued with.
    pub(crate) asked: Vec<String>,
    /// When it expires (engine milliseconds).
    pub(crate) expires: u64,
    /// Its identity: the MAC.
    pub(crate) id: String,
}

/// The process's request-state key.
pub struct StateKey(orion::auth::SecretKey);

impl std::fmt::Debug for StateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StateKey(..)")
    }
}

impl StateKey {
    /// A key from 32 random bytes (the composition root draws them).
    pub fn from_bytes(bytes: &[u8; 32]) -> Option<StateKey> {
        orion::auth::SecretKey::try_from(bytes.as_slice())
            .ok()
            .map(StateKey)
    }
}

/// Why a `requestState` was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StateError {
    TooLarge,
    Malformed,
    Forged,
    Expired,
    OtherCall,
}

impl StateError {
    pub(crate) fn message(self) -> &'static str {
        match self {
            StateError::TooLarge => "Invalid params: requestState is longer than this server ever issues",
            StateError::Malformed => "Invalid params: requestState was not issued by this server",
            StateError::Forged => {
                "Invalid params: requestState failed verification (altered, or issued by another ttai process); call again without it"
            }
            StateError::Expired => "Invalid params: requestState expired; call again without it",
            StateError::OtherCall => {
                "Invalid params: requestState belongs to another call (a different tool or different arguments)"
            }
        }
    }
}

/// The digest that binds a state to one call: the tool and its arguments in canonical JSON.
fn call_digest(tool: &str, arguments: &Value) -> Option<String> {
    let canonical = format!("{tool}\u{0}{arguments}");
    let digest = orion::hash::digest(canonical.as_bytes()).ok()?;
    Some(crate::app::analysis::base64(digest.as_ref()))
}

/// Seals `state` for a later round of `tool` called with `arguments`, valid until
/// `now_ms + STATE_TTL_MS`; `None` when it cannot be sealed (too large).
pub(crate) fn seal(
    key: &StateKey,
    tool: &str,
    arguments: &Value,
    asked: &[&String],
    state: &Value,
    now_ms: u64,
) -> Option<String> {
    let payload = json!({
        "call": call_digest(tool, arguments)?,
        "asked": asked,
        "exp": now_ms.saturating_add(STATE_TTL_MS),
        "state": state,
    })
    .to_string();
    let tag = orion::auth::authenticate(&key.0, payload.as_bytes()).ok()?;
    let token = format!(
        "{PREFIX}{}.{}",
        crate::app::analysis::base64(payload.as_bytes()),
        crate::app::analysis::base64(tag.unprotected_as_ref::<[u8]>())
    );
    (token.len() <= MAX_STATE_BYTES).then_some(token)
}

/// Opens a `requestState` presented with a call of `tool` with `arguments` at `now_ms`; the
/// state and the request keys it was issued with.
pub(crate) fn open(
    key: &StateKey,
    token: &str,
    tool: &str,
    arguments: &Value,
    now_ms: u64,
) -> Result<Opened, StateError> {
    if token.len() > MAX_STATE_BYTES {
        return Err(StateError::TooLarge);
    }
    let (payload, tag) = token
        .strip_prefix(PREFIX)
        .and_then(|rest| rest.split_once('.'))
        .ok_or(StateError::Malformed)?;
    let id = tag.to_owned();
    let payload = crate::app::analysis::base64_decode(payload).ok_or(StateError::Malformed)?;
    let tag = crate::app::analysis::base64_decode(tag)
        .and_then(|t| orion::auth::Tag::try_from(t.as_slice()).ok())
        .ok_or(StateError::Malformed)?;
    orion::auth::authenticate_verify(&tag, &key.0, &payload).map_err(|_| StateError::Forged)?;
    let payload: Value = serde_json::from_slice(&payload).map_err(|_| StateError::Malformed)?;
    let expires = payload
        .get("exp")
        .and_then(Value::as_u64)
        .ok_or(StateError::Malformed)?;
    if now_ms > expires {
        return Err(StateError::Expired);
    }
    if payload.get("call").and_then(Value::as_str) != call_digest(tool, arguments).as_deref() {
        return Err(StateError::OtherCall);
    }
    let asked = payload
        .get("asked")
        .and_then(Value::as_array)
        .map(|keys| keys.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default();
    Ok(Opened {
        state: payload.get("state").cloned().unwrap_or(Value::Null),
        asked,
        expires,
        id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> StateKey {
        StateKey::from_bytes(&[byte; 32]).unwrap()
    }

    #[test]
    fn a_sealed_state_opens_only_unaltered_in_time_and_on_the_same_call() {
        let k = key(7);
        let args = json!({"symbol": "SPY", "quantity": 1});
        let keys = ["confirm".to_owned()];
        let asked: Vec<&String> = keys.iter().collect();
        let token = seal(&k, "place_order", &args, &asked, &json!({"n": 1}), 1_000).unwrap();
        let opened = open(&k, &token, "place_order", &args, 2_000).unwrap();
        assert_eq!(opened.state, json!({"n": 1}));
        assert_eq!(opened.asked, ["confirm"]);
        assert_eq!(opened.expires, 1_000 + STATE_TTL_MS);
        // Another process's key, another tool, other arguments, too late.
        assert_eq!(
            open(&key(8), &token, "place_order", &args, 2_000),
            Err(StateError::Forged)
        );
        assert_eq!(
            open(&k, &token, "delete_alert", &args, 2_000),
            Err(StateError::OtherCall)
        );
        assert_eq!(
            open(
                &k,
                &token,
                "place_order",
                &json!({"symbol": "SPY", "quantity": 9}),
                2_000
            ),
            Err(StateError::OtherCall)
        );
        assert_eq!(
            open(&k, &token, "place_order", &args, 1_000 + STATE_TTL_MS + 1),
            Err(StateError::Expired)
        );
        // One character changed anywhere is refused.
        for at in [5, token.len() / 2, token.len() - 3] {
            let mut bytes = token.clone().into_bytes();
            bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
            let altered = String::from_utf8(bytes).unwrap();
            assert!(open(&k, &altered, "place_order", &args, 2_000).is_err(), "{at}");
        }
        assert_eq!(
            open(&k, "garbage", "place_order", &args, 0),
            Err(StateError::Malformed)
        );
        assert_eq!(
            open(&k, &"x".repeat(MAX_STATE_BYTES + 1), "place_order", &args, 0),
            Err(StateError::TooLarge)
        );
    }

    #[test]
    fn a_state_is_taken_once_and_its_age_counts_from_its_issue() {
        let now = Arc::new(std::sync::atomic::AtomicU64::new(5_000));
        let clock = {
            let now = now.clone();
            Arc::new(move || now.load(std::sync::atomic::Ordering::SeqCst))
        };
        let used = Arc::new(UsedStates::new(clock));
        let k = key(3);
        let args = json!({"order_id": "1"});
        let token = seal(&k, "cancel_order", &args, &[], &json!({}), 1_000).unwrap();
        let round = || {
            let opened = open(&k, &token, "cancel_order", &args, 5_000).unwrap();
            used.round(opened, Map::new(), 5_000)
        };
        let first = round();
        assert_eq!(first.age, Duration::from_millis(4_000));
        assert!(first.take());
        // The same state again (a replayed retry), through a fresh round or the same one.
        assert!(!round().take());
        assert!(!first.take());
        // Another state of the same call is its own.
        let other = seal(&k, "cancel_order", &args, &[], &json!({}), 1_001).unwrap();
        let opened = open(&k, &other, "cancel_order", &args, 5_000).unwrap();
        assert!(used.round(opened, Map::new(), 5_000).take());
        // Expired entries are forgotten only when the record fills; a round outside an engine
        // is never limited.
        now.store(u64::MAX, std::sync::atomic::Ordering::SeqCst);
        assert!(!first.take());
        let detached = InputRound::new(Value::Null, Map::new(), Duration::ZERO);
        assert!(detached.take() && detached.take());
    }

    #[test]
    fn the_used_record_is_bounded_and_fails_closed() {
        let used = Arc::new(UsedStates::new(Arc::new(|| 0)));
        for n in 0..MAX_USED_STATES {
            assert!(used.take(&n.to_string(), 10));
        }
        assert!(!used.take("one more", 10));
        let later = Arc::new(UsedStates::new(Arc::new(|| 11)));
        for n in 0..MAX_USED_STATES {
            assert!(later.take(&n.to_string(), 10));
        }
        // At 11 every earlier entry has expired: they are dropped to make room.
        assert!(later.take("one more", 10));
    }

    #[test]
    fn a_state_too_large_is_not_sealed() {
        let big = json!({"blob": "z".repeat(MAX_STATE_BYTES)});
        assert_eq!(seal(&key(1), "t", &json!({}), &[], &big, 0), None);
    }

    #[test]
    fn an_accepted_elicitation_is_told_from_a_declined_one() {
        let mut responses = Map::new();
        responses.insert("a".into(), json!({"action": "accept", "content": {"ok": true}}));
        responses.insert("b".into(), json!({"action": "decline"}));
        let round = InputRound::new(Value::Null, responses, Duration::ZERO);
        assert_eq!(round.accepted("a"), Some(&json!({"ok": true})));
        assert_eq!(round.accepted("b"), None);
        assert_eq!(round.accepted("c"), None);
        let ask = InputRequired::elicit("a", "Sure?", json!({"type": "object"}), Value::Null);
        assert_eq!(
            Value::Object(ask.required_capabilities()),
            json!({"elicitation": {}})
        );
    }
}
