//! The JSON-RPC envelope (docs/protocol.md): telling requests from notifications and responses,
//! refusing malformed frames with the right code, ids of any integer or string form (negative
//! ones included) echoed exactly, batches, and the answers written around a method's result or
//! error object.

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use super::head::{Head, Raw};
use super::scan::Scanned;

/// JSON-RPC error codes used by the engine.
pub mod codes {
    /// Invalid JSON.
    pub const PARSE_ERROR: i32 = -32700;
    /// Not a valid request object.
    pub const INVALID_REQUEST: i32 = -32600;
    /// Unknown method.
    pub const METHOD_NOT_FOUND: i32 = -32601;
    /// Bad params (also unknown tool or prompt).
    pub const INVALID_PARAMS: i32 = -32602;
    /// Internal error, including a caught panic.
    pub const INTERNAL_ERROR: i32 = -32603;
    /// MCP: resource not found.
    pub const RESOURCE_NOT_FOUND: i32 = -32002;
    /// A budget of the server was exceeded (batch length or answer bytes, requests in flight,
    /// subscriptions); `data` names the budget and its limit.
    pub const LIMIT_EXCEEDED: i32 = -32005;
    /// MCP 2026-07-28: the HTTP routing headers disagree with the body, or one is missing.
    pub const HEADER_MISMATCH: i32 = -32020;
    /// MCP 2026-07-28: serving the request needs a client capability the request did not declare.
    pub const MISSING_REQUIRED_CLIENT_CAPABILITY: i32 = -32021;
    /// MCP 2026-07-28: the request's protocol version is not one the server speaks.
    pub const UNSUPPORTED_PROTOCOL_VERSION: i32 = -32022;
}

/// One classified message.
#[derive(Debug)]
pub(crate) enum Incoming<'a> {
    /// A request: the client waits for an answer carrying `id`.
    Request {
        id: &'a RawValue,
        method: String,
        params: Option<&'a RawValue>,
    },
    /// A notification: never answered.
    Notification {
        method: String,
        params: Option<&'a RawValue>,
    },
    /// A response to a request the server sent (`client_requests`).
    Response {
        id: &'a RawValue,
        result: Option<&'a RawValue>,
        error: Option<&'a RawValue>,
    },
}

/// Why a frame was refused.
#[derive(Debug, PartialEq)]
pub(crate) enum EnvelopeError {
    /// Not JSON: -32700, id null.
    Parse,
    /// JSON but not a valid message: -32600, with the id when it could be read.
    Invalid {
        id: Option<String>,
        reason: &'static str,
    },
}

/// A message's members, each the raw text of its value; `P` is how the params are read (raw, or
/// a call's head read in the same pass, [`classify_call`]).
#[derive(Deserialize)]
#[serde(bound(deserialize = "P: Deserialize<'de>"))]
struct Message<'a, P> {
    #[serde(borrow, default, deserialize_with = "present")]
    jsonrpc: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    id: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    method: Option<&'a RawValue>,
    #[serde(default, deserialize_with = "present")]
    params: Option<P>,
    #[serde(borrow, default, deserialize_with = "present")]
    result: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    error: Option<&'a RawValue>,
}

type RawMessage<'a> = Message<'a, &'a RawValue>;

/// A present field, even `null`, is `Some` (serde's `Option` would make `null` absent).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

/// True for an id MCP accepts: a string or an integer (any sign, any size), not null.
pub(crate) fn is_valid_id(raw: &RawValue) -> bool {
    Raw::of(raw).is_id()
}

/// Classifies one JSON object frame (not a batch).
pub(crate) fn classify(frame: &str) -> Result<Incoming<'_>, EnvelopeError> {
    // serde would read a struct from a JSON array too (`["2.0", 1, "ping"]` by position): a
    // message is an object, and nothing else is even looked at.
    if !frame.trim_start().starts_with('{') {
        return Err(diagnose(frame));
    }
    let message: RawMessage<'_> = match serde_json::from_str(frame) {
        Ok(m) => m,
        Err(_) => return Err(diagnose(frame)),
    };
    let id = message.id;
    let id_text = || id.filter(|raw| is_valid_id(raw)).map(|raw| raw.get().to_owned());
    if message.jsonrpc.map(RawValue::get) != Some("\"2.0\"") {
        return Err(EnvelopeError::Invalid {
            id: id_text(),
            reason: "jsonrpc must be \"2.0\"",
        });
    }
    if let Some(raw) = id
        && !is_valid_id(raw)
    {
        return Err(EnvelopeError::Invalid {
            id: None,
            reason: "id must be a string or an integer",
        });
    }
    match (message.method, id) {
        (Some(method), id) => {
            let Ok(method) = serde_json::from_str::<String>(method.get()) else {
                return Err(EnvelopeError::Invalid {
                    id: id_text(),
                    reason: "method must be a string",
                });
            };
            if message.result.is_some() || message.error.is_some() {
                return Err(EnvelopeError::Invalid {
                    id: id_text(),
                    reason: "a request cannot carry result or error",
                });
            }
            match id {
                Some(id) => Ok(Incoming::Request {
                    id,
                    method,
                    params: message.params,
                }),
                None => Ok(Incoming::Notification {
                    method,
                    params: message.params,
                }),
            }
        }
        (None, Some(id)) if message.result.is_some() != message.error.is_some() => Ok(Incoming::Response {
            id,
            result: message.result,
            error: message.error,
        }),
        (None, _) => Err(EnvelopeError::Invalid {
            id: id_text(),
            reason: "not a request, notification or response",
        }),
    }
}

/// A params head read only from a JSON object (a derived struct would also read an array by
/// position).
struct ObjectHead<'a>(Head<'a>);

impl<'de: 'a, 'a> Deserialize<'de> for ObjectHead<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Object<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Object<'a> {
            type Value = ObjectHead<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                Head::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(ObjectHead)
            }
        }
        deserializer.deserialize_map(Object(std::marker::PhantomData))
    }
}

/// A well-formed `tools/call` request (`jsonrpc` "2.0", a valid id, object params) read in one
/// pass: its id and its params' head, whose members point into `frame`. `None` for anything
/// else, which [`classify`] then reads and answers as it always does: this is a shortcut for the
/// most common request, never a second set of rules.
///
/// The frame scanner (`scan`) reads it first; a frame it read to the end and found not to be a
/// call is not read again, and what it is not sure of serde reads, by the same rules.
pub(crate) fn classify_call(frame: &str) -> Option<(Raw<'_>, Head<'_>)> {
    match super::scan::read(frame) {
        Scanned::Call(id, head) => Some((id, head)),
        Scanned::NotACall => None,
        Scanned::Unsure => classify_call_by_serde(frame),
    }
}

/// [`classify_call`] by serde alone: the scanner's fallback and the rule its tests hold it to.
pub(crate) fn classify_call_by_serde(frame: &str) -> Option<(Raw<'_>, Head<'_>)> {
    if !frame.starts_with('{') {
        return None;
    }
    let message: Message<'_, ObjectHead<'_>> = serde_json::from_str(frame).ok()?;
    let id = message.id.filter(|id| is_valid_id(id))?;
    let well_formed = message.jsonrpc.map(RawValue::get) == Some("\"2.0\"")
        && message.method.map(RawValue::get) == Some("\"tools/call\"")
        && message.result.is_none()
        && message.error.is_none();
    well_formed.then_some(())?;
    Some((Raw::of(id), message.params?.0))
}

/// For a frame the typed parse refused: invalid JSON, or JSON that is not a message.
fn diagnose(frame: &str) -> EnvelopeError {
    match serde_json::from_str::<serde_json::Value>(frame) {
        Err(_) => EnvelopeError::Parse,
        Ok(serde_json::Value::Object(map)) => {
            let id = map.get("id").and_then(|id| match id {
                serde_json::Value::String(_) => serde_json::to_string(id).ok(),
                serde_json::Value::Number(n) if n.is_i64() || n.is_u64() => Some(n.to_string()),
                _ => None,
            });
            EnvelopeError::Invalid {
                id,
                reason: "malformed message",
            }
        }
        Ok(_) => EnvelopeError::Invalid {
            id: None,
            reason: "a message must be a JSON object",
        },
    }
}

/// Splits a batch frame into its elements; `Err` for invalid JSON.
pub(crate) fn split_batch(frame: &str) -> Result<Vec<&RawValue>, EnvelopeError> {
    serde_json::from_str::<Vec<&RawValue>>(frame).map_err(|_| {
        if serde_json::from_str::<serde_json::Value>(frame).is_ok() {
            EnvelopeError::Invalid {
                id: None,
                reason: "malformed batch",
            }
        } else {
            EnvelopeError::Parse
        }
    })
}

/// A complete error response with a raw id (`null` when absent: the handshake era's form).
pub(crate) fn error_response(
    id: Option<&str>,
    code: i32,
    message: &str,
    data: Option<&serde_json::Value>,
) -> String {
    format!(
        "{{\"jsonrpc\":\"2.0\",\"id\":{},\"error\":{}}}",
        id.unwrap_or("null"),
        error_object(code, message, data)
    )
}

/// A complete error response whose `id` is omitted when unknown, never `null` (MCP 2026-07-28:
/// an id, when present, is a string or an integer).
pub(crate) fn error_response_without_null(
    id: Option<&str>,
    code: i32,
    message: &str,
    data: Option<&serde_json::Value>,
) -> String {
    match id {
        Some(id) => error_response(Some(id), code, message, data),
        None => format!(
            "{{\"jsonrpc\":\"2.0\",\"error\":{}}}",
            error_object(code, message, data)
        ),
    }
}

fn error_object(code: i32, message: &str, data: Option<&serde_json::Value>) -> serde_json::Value {
    let mut error = serde_json::Map::new();
    error.insert("code".into(), code.into());
    error.insert("message".into(), message.into());
    if let Some(data) = data {
        error.insert("data".into(), data.clone());
    }
    serde_json::Value::Object(error)
}

/// A complete success response with a raw id and an already serialized result.
pub(crate) fn success_response(id: &str, result: &str) -> String {
    format!("{{\"jsonrpc\":\"2.0\",\"id\":{id},\"result\":{result}}}")
}

/// A notification message.
pub(crate) fn notification(method: &str, params: &serde_json::Value) -> String {
    format!(
        "{{\"jsonrpc\":\"2.0\",\"method\":{},\"params\":{}}}",
        serde_json::Value::from(method),
        params
    )
}

/// A success response with a raw id, `result` serialized straight into it; `stamp` (a modern
/// result's era members, `modern::result_stamp`) is appended as the object's last members when
/// the result is an object, so nothing already written moves. A result that cannot be
/// serialized is -32603.
pub(crate) fn result_response<T: serde::Serialize>(id: &str, result: &T, stamp: Option<&str>) -> String {
    const HEAD: &str = "{\"jsonrpc\":\"2.0\",\"id\":";
    // Room for a quote's answer without growing; a larger one grows as it is written.
    let mut out = Vec::with_capacity(1024);
    out.extend_from_slice(HEAD.as_bytes());
    out.extend_from_slice(id.as_bytes());
    out.extend_from_slice(b",\"result\":");
    let at = out.len();
    if serde_json::to_writer(&mut out, result).is_err() {
        tracing::error!("a result could not be serialized; answered -32603");
        return error_response(Some(id), codes::INTERNAL_ERROR, "Internal error", None);
    }
    if let Some(stamp) = stamp
        && out.get(at) == Some(&b'{')
        && out.last() == Some(&b'}')
    {
        let empty = out.len() == at + 2;
        out.pop();
        if !empty {
            out.push(b',');
        }
        out.extend_from_slice(stamp.as_bytes());
        out.push(b'}');
    }
    out.push(b'}');
    // serde_json writes UTF-8, and the id and the stamp are text.
    String::from_utf8(out)
        .unwrap_or_else(|_| error_response(Some(id), codes::INTERNAL_ERROR, "Internal error", None))
}

/// An error response with a raw id and a JSON-RPC error object.
pub(crate) fn error_object_response(id: &str, error: &jsonrpsee::types::ErrorObjectOwned) -> String {
    match serde_json::to_string(error) {
        Ok(error) => format!("{{\"jsonrpc\":\"2.0\",\"id\":{id},\"error\":{error}}}"),
        Err(_) => error_response(Some(id), codes::INTERNAL_ERROR, "Internal error", None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn requests_notifications_and_responses_are_told_apart() {
        match classify(r#"{"jsonrpc":"2.0","id":-7,"method":"ping"}"#).unwrap() {
            Incoming::Request { id, method, params } => {
                assert_eq!(id.get(), "-7");
                assert_eq!(method, "ping");
                assert!(params.is_none());
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            classify(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).unwrap(),
            Incoming::Notification { .. }
        ));
        match classify(r#"{"jsonrpc":"2.0","id":"a","result":{"action":"accept"}}"#).unwrap() {
            Incoming::Response { id, result, error } => {
                assert_eq!(id.get(), "\"a\"");
                assert_eq!(result.unwrap().get(), r#"{"action":"accept"}"#);
                assert!(error.is_none());
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn malformed_frames_get_the_right_code() {
        assert_eq!(classify("{not json").unwrap_err(), EnvelopeError::Parse);
        assert_eq!(
            classify(r#"{"id":1,"method":"ping"}"#).unwrap_err(),
            EnvelopeError::Invalid {
                id: Some("1".into()),
                reason: "jsonrpc must be \"2.0\""
            }
        );
        assert!(matches!(
            classify(r#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#).unwrap_err(),
            EnvelopeError::Invalid { id: None, .. }
        ));
        assert!(matches!(
            classify(r#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#).unwrap_err(),
            EnvelopeError::Invalid { id: None, .. }
        ));
        assert!(matches!(
            classify(r#"{"jsonrpc":"2.0","id":3,"method":7}"#).unwrap_err(),
            EnvelopeError::Invalid { id: Some(_), .. }
        ));
        assert!(matches!(
            classify("42").unwrap_err(),
            EnvelopeError::Invalid { id: None, .. }
        ));
        assert!(matches!(
            classify(r#"{"jsonrpc":"2.0"}"#).unwrap_err(),
            EnvelopeError::Invalid { .. }
        ));
    }

    #[test]
    fn a_positional_array_is_not_a_message() {
        // Regression: serde reads a struct from an array by position, so this used to run ping.
        assert_eq!(
            classify(r#"["2.0", 1, "ping"]"#).unwrap_err(),
            EnvelopeError::Invalid {
                id: None,
                reason: "a message must be a JSON object"
            }
        );
        assert_eq!(
            classify(r#" ["2.0", 1, "ping", null, null, null]"#).unwrap_err(),
            EnvelopeError::Invalid {
                id: None,
                reason: "a message must be a JSON object"
            }
        );
        assert_eq!(classify(r#"["2.0", 1, "#).unwrap_err(), EnvelopeError::Parse);
    }

    #[test]
    fn answers_carry_the_clients_id_exactly_and_the_stamp_last() {
        let empty = serde_json::json!({});
        assert_eq!(
            result_response("\"abc\"", &empty, None),
            r#"{"jsonrpc":"2.0","id":"abc","result":{}}"#
        );
        assert_eq!(
            result_response("-18446744073709551616", &serde_json::json!({"a":1}), None),
            r#"{"jsonrpc":"2.0","id":-18446744073709551616,"result":{"a":1}}"#
        );
        let stamp = r#""resultType":"complete""#;
        assert_eq!(
            result_response("7", &empty, Some(stamp)),
            r#"{"jsonrpc":"2.0","id":7,"result":{"resultType":"complete"}}"#
        );
        assert_eq!(
            result_response("7", &serde_json::json!({"tools":[]}), Some(stamp)),
            r#"{"jsonrpc":"2.0","id":7,"result":{"tools":[],"resultType":"complete"}}"#
        );
        assert_eq!(
            result_response("7", &serde_json::json!({"a":{"b":{}}}), Some(stamp)),
            r#"{"jsonrpc":"2.0","id":7,"result":{"a":{"b":{}},"resultType":"complete"}}"#
        );
        // Only an object takes the stamp.
        assert_eq!(
            result_response("7", &serde_json::json!([1]), Some(stamp)),
            r#"{"jsonrpc":"2.0","id":7,"result":[1]}"#
        );
        let error =
            jsonrpsee::types::ErrorObjectOwned::owned(-32602, "bad", Some(serde_json::json!({"uri":"x"})));
        assert_eq!(
            error_object_response("-1", &error),
            r#"{"jsonrpc":"2.0","id":-1,"error":{"code":-32602,"message":"bad","data":{"uri":"x"}}}"#
        );
    }

    #[test]
    fn a_call_read_in_one_pass_is_exactly_what_classify_reads() {
        let frame = r#"{"jsonrpc":"2.0","id":-7,"method":"tools/call","params":{"name":"get_quote","arguments":{"symbol":"SPY"}}}"#;
        let (id, head) = classify_call(frame).unwrap();
        assert_eq!(id.get(), "-7");
        assert_eq!(head.name.map(Raw::get), Some(r#""get_quote""#));
        assert_eq!(head.arguments.map(Raw::get), Some(r#"{"symbol":"SPY"}"#));
        // Anything not plainly a well-formed call is left to `classify`.
        for other in [
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}"#,
            r#"{"jsonrpc":"1.0","id":1,"method":"tools/call","params":{}}"#,
            r#"{"jsonrpc":"2.0","id":null,"method":"tools/call","params":{}}"#,
            r#"{"jsonrpc":"2.0","id":1.5,"method":"tools/call","params":{}}"#,
            r#"{"jsonrpc":"2.0","method":"tools/call","params":{}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":[1]}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call"}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{},"result":null}"#,
            r#"{"jsonrpc":"2.0","id":1,"id":2,"method":"tools/call","params":{}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools\u002fcall","params":{}}"#,
            r#" {"jsonrpc":"2.0","id":1,"method":"tools/call","params":{}}"#,
            "not json",
        ] {
            assert!(classify_call(other).is_none(), "{other}");
        }
    }

    /// One member of a generated message: its key and its value's text.
    fn member() -> impl Strategy<Value = (String, String)> {
        let key = prop_oneof![
            Just("jsonrpc"),
            Just("id"),
            Just("method"),
            Just("params"),
            Just("result"),
            Just("error"),
            Just("extra"),
        ];
        let value = prop_oneof![
            Just(r#""2.0""#.to_owned()),
            Just(r#""tools/call""#.to_owned()),
            Just(r#""tools\u002fcall""#.to_owned()),
            Just("null".to_owned()),
            (-1000_i64..1000).prop_map(|n| n.to_string()),
            "[a-z\\\\\"]{0,6}".prop_map(|t| serde_json::Value::from(t).to_string()),
            Just(r#"{"name":"get_quote","arguments":{"symbol":"SPY"}}"#.to_owned()),
            Just(r#"{"name":"get_quote","name":"x"}"#.to_owned()),
            Just(r#"{"arguments":[1,{"a":null}],"_meta":{"progressToken":"p","io.modelcontextprotocol/protocolVersion":"2026-07-28"},"requestState":"s"}"#.to_owned()),
            Just(r#"{"_meta":5,"inputResponses":{"k":true}}"#.to_owned()),
            Just("[1,2]".to_owned()),
            Just("{}".to_owned()),
        ];
        (key, value).prop_map(|(k, v)| (k.to_owned(), v))
    }

    proptest! {
        #[test]
        fn classify_never_panics(text in "\\PC{0,200}") {
            let _ = classify(&text);
            let _ = classify_call(&text);
            let _ = split_batch(&text);
        }

        /// The one-pass read of a call agrees with `classify` and `Head::read` wherever it
        /// answers, whatever the members, their order, repeats and values.
        #[test]
        fn a_call_read_in_one_pass_agrees_with_the_general_path(
            well_formed in proptest::bool::ANY,
            order in Just(vec![0_usize, 1, 2, 3]).prop_shuffle(),
            members in proptest::collection::vec(member(), 0..5),
        ) {
            // Half the frames start from a well-formed call (in any member order) and add members
            // to it, so both answers of the one-pass read are exercised.
            let call = [
                ("jsonrpc", r#""2.0""#),
                ("id", "-3"),
                ("method", r#""tools/call""#),
                ("params", r#"{"name":"get_quote","arguments":{"symbol":"SPY"},"_meta":{"progressToken":1}}"#),
            ];
            let base = order
                .iter()
                .filter(|_| well_formed)
                .filter_map(|i| call.get(*i))
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
            let members: Vec<(String, String)> = base.chain(members).collect();
            let body: Vec<String> = members
                .iter()
                .map(|(k, v)| format!("{}:{v}", serde_json::Value::from(k.as_str())))
                .collect();
            let frame = format!("{{{}}}", body.join(","));
            if let Some((id, head)) = classify_call(&frame) {
                match classify(&frame) {
                    Ok(Incoming::Request { id: general_id, method, params }) => {
                        prop_assert_eq!(general_id.get(), id.get());
                        prop_assert_eq!(method, "tools/call");
                        let general = crate::mcp::head::Head::read(params);
                        prop_assert!(general.is_some(), "{}", frame);
                        let general = general.unwrap();
                        let text = |raw: Option<Raw<'_>>| raw.map(|r| r.get().to_owned());
                        prop_assert_eq!(text(general.name), text(head.name));
                        prop_assert_eq!(text(general.arguments), text(head.arguments));
                        prop_assert_eq!(text(general.request_state), text(head.request_state));
                        prop_assert_eq!(text(general.input_responses), text(head.input_responses));
                        prop_assert_eq!(
                            general.meta.and_then(|m| m.progress_token).map(|r| r.get().to_owned()),
                            head.meta.and_then(|m| m.progress_token).map(|r| r.get().to_owned())
                        );
                    }
                    other => prop_assert!(false, "{} was read as a call but classified {:?}", frame, other),
                }
            }
        }
    }
}
