//! A request as the engine runs it: its id, method and params, owned so that it can move into a
//! task, and the members of its params that the engine itself reads, found in one pass over the
//! text and kept as positions in it.
//!
//! A `tools/call` is read once, where it arrives: the 2026-07-28 envelope in `_meta` is checked
//! from that reading (`modern::validate`), whether the tool runs long is decided from its name,
//! and the handler slices its name, arguments, `_meta` and input round out of the text it
//! already has instead of scanning the params again.

use std::ops::Range;

use serde::Deserialize;
use serde_json::value::RawValue;

/// `_meta` keys of the envelope and of results.
pub(crate) mod keys {
    // (`io.modelcontextprotocol/clientInfo` is not read: nothing ttai answers depends on it.)

    /// The request's protocol version.
    pub(crate) const PROTOCOL_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
    /// The client's capabilities for this request.
    pub(crate) const CLIENT_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
    /// The least severe `notifications/message` level the request wants.
    pub(crate) const LOG_LEVEL: &str = "io.modelcontextprotocol/logLevel";
    /// The server's name and version, on every result.
    pub(crate) const SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";
    /// The `subscriptions/listen` request a notification belongs to.
    pub(crate) const SUBSCRIPTION_ID: &str = "io.modelcontextprotocol/subscriptionId";
}

/// The text of one JSON value as it was sent, borrowed from the frame: what serde_json's
/// `RawValue` holds, also made by the frame scanner (`scan`), which has already checked it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Raw<'a>(&'a str);

impl<'a> Raw<'a> {
    /// The value's text.
    pub(crate) fn get(self) -> &'a str {
        self.0
    }

    /// A `RawValue`'s text.
    pub(crate) fn of(raw: &'a RawValue) -> Raw<'a> {
        Raw(raw.get())
    }

    /// True for an id MCP accepts: a string or an integer (any sign, any size), not null.
    pub(crate) fn is_id(self) -> bool {
        let text = self.0;
        if text.starts_with('"') {
            return true;
        }
        let digits = text.strip_prefix('-').unwrap_or(text);
        !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
    }

    /// A value the scanner found; `text` is one whole JSON value.
    pub(super) fn scanned(text: &'a str) -> Raw<'a> {
        Raw(text)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Raw<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        <&'de RawValue>::deserialize(deserializer).map(|raw| Raw(raw.get()))
    }
}

/// The members of a request's params the engine reads; each the raw text of its value, and
/// `_meta` read for the keys the engine knows in the same pass.
#[derive(Debug, Default, Deserialize, PartialEq)]
pub(crate) struct Head<'a> {
    #[serde(rename = "_meta", borrow, default)]
    pub(crate) meta: Option<MetaHead<'a>>,
    #[serde(borrow, default)]
    pub(crate) name: Option<Raw<'a>>,
    #[serde(borrow, default)]
    pub(crate) uri: Option<Raw<'a>>,
    #[serde(borrow, default)]
    pub(crate) arguments: Option<Raw<'a>>,
    #[serde(rename = "inputResponses", borrow, default)]
    pub(crate) input_responses: Option<Raw<'a>>,
    #[serde(rename = "requestState", borrow, default)]
    pub(crate) request_state: Option<Raw<'a>>,
}

impl<'a> Head<'a> {
    /// Reads `params` when it is an object; `None` otherwise (absent, another JSON type, a
    /// member named twice).
    pub(crate) fn read(params: Option<&'a RawValue>) -> Option<Head<'a>> {
        let params = params?;
        if !params.get().starts_with('{') {
            return None;
        }
        serde_json::from_str(params.get()).ok()
    }
}

/// The keys of `_meta` the engine reads (the raw text of each value): the 2026-07-28 envelope
/// and the progress token. Read without holding the rest of `_meta`.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct MetaHead<'a> {
    /// `_meta` was an object with each envelope key at most once; otherwise nothing of it is
    /// read (a `_meta` of another type has no progress token and no envelope).
    pub(crate) readable: bool,
    /// `io.modelcontextprotocol/protocolVersion`.
    pub(crate) version: Option<Raw<'a>>,
    /// `io.modelcontextprotocol/clientCapabilities`.
    pub(crate) capabilities: Option<Raw<'a>>,
    /// `io.modelcontextprotocol/logLevel`.
    pub(crate) log_level: Option<Raw<'a>>,
    /// `progressToken` (the last one when repeated, as a map would read it).
    pub(crate) progress_token: Option<Raw<'a>>,
}

/// A key of `_meta`, told apart without being copied (an escaped key is unescaped first).
enum MetaKey {
    Version,
    Capabilities,
    LogLevel,
    ProgressToken,
    Other,
}

impl<'de> Deserialize<'de> for MetaKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Key;
        impl serde::de::Visitor<'_> for Key {
            type Value = MetaKey;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<MetaKey, E> {
                Ok(match key {
                    keys::PROTOCOL_VERSION => MetaKey::Version,
                    keys::CLIENT_CAPABILITIES => MetaKey::Capabilities,
                    keys::LOG_LEVEL => MetaKey::LogLevel,
                    "progressToken" => MetaKey::ProgressToken,
                    _ => MetaKey::Other,
                })
            }
        }
        deserializer.deserialize_str(Key)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for MetaHead<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
        struct Members<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for Members<'a> {
            type Value = MetaHead<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut head = MetaHead {
                    readable: true,
                    ..MetaHead::default()
                };
                while let Some(key) = map.next_key::<MetaKey>()? {
                    let slot = match key {
                        MetaKey::Version => &mut head.version,
                        MetaKey::Capabilities => &mut head.capabilities,
                        MetaKey::LogLevel => &mut head.log_level,
                        MetaKey::ProgressToken => {
                            head.progress_token = Some(map.next_value::<Raw<'de>>()?);
                            continue;
                        }
                        MetaKey::Other => {
                            map.next_value::<IgnoredAny>()?;
                            continue;
                        }
                    };
                    let value = map.next_value::<Raw<'de>>()?;
                    if slot.replace(value).is_some() {
                        // An envelope key named twice: which one the client meant is unknown.
                        head.readable = false;
                    }
                }
                Ok(head)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(MetaHead::default())
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(MetaHead::default())
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(MetaHead::default())
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(MetaHead::default())
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(MetaHead::default())
            }
            fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
                Ok(MetaHead::default())
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(MetaHead::default())
            }
        }
        deserializer.deserialize_any(Members(std::marker::PhantomData))
    }
}

impl<'a> MetaHead<'a> {
    /// The envelope's keys, when `_meta` could be read for them.
    pub(crate) fn envelope(&self) -> Option<&MetaHead<'a>> {
        self.readable.then_some(self)
    }
}

/// Where the members of a `tools/call` are in its params text.
#[derive(Clone, Debug, Default)]
pub(crate) struct CallSpans {
    name: Option<Range<usize>>,
    arguments: Option<Range<usize>>,
    progress_token: Option<Range<usize>>,
    input_responses: Option<Range<usize>>,
    request_state: Option<Range<usize>>,
}

/// The position of `inner`, a slice of `outer`, in `outer`.
fn span(outer: &str, inner: Raw<'_>) -> Option<Range<usize>> {
    let start = (inner.get().as_ptr() as usize).checked_sub(outer.as_ptr() as usize)?;
    let end = start.checked_add(inner.get().len())?;
    (end <= outer.len()).then_some(start..end)
}

/// One request, owned: what a task needs to run it.
#[derive(Clone, Debug)]
pub(crate) struct Request {
    /// The client's id as sent (raw JSON).
    pub(crate) id: String,
    pub(crate) method: String,
    /// The raw params (any JSON value; the dispatcher refuses what is not an object); for a
    /// `tools/call` read in one pass, the whole frame ([`Request::call_in`]).
    pub(crate) params: Option<String>,
    /// A `tools/call`'s members, when its params were read as an object.
    call: Option<CallSpans>,
}

impl Request {
    /// A request from its parts; `head` is the reading of `params` when the caller has one
    /// (else a `tools/call` is read here).
    pub(crate) fn new(id: &str, method: &str, params: Option<&RawValue>, head: Option<&Head<'_>>) -> Request {
        let text = params.map(RawValue::get);
        let call = (method == "tools/call")
            .then(|| match head {
                Some(head) => Some(Request::spans(params, head)),
                None => Head::read(params).map(|head| Request::spans(params, &head)),
            })
            .flatten();
        Request {
            id: id.to_owned(),
            method: method.to_owned(),
            params: text.map(str::to_owned),
            call,
        }
    }

    /// A `tools/call` read in one pass with its message (`envelope::classify_call`): `text` is
    /// the whole frame the head points into, kept as the request's params text (its members are
    /// found by their positions in it, and nothing else reads it).
    pub(crate) fn call_in(id: &str, text: &str, head: &Head<'_>) -> Request {
        Request {
            id: id.to_owned(),
            method: "tools/call".to_owned(),
            params: Some(text.to_owned()),
            call: Some(Request::spans_in(text, head)),
        }
    }

    fn spans(params: Option<&RawValue>, head: &Head<'_>) -> CallSpans {
        Request::spans_in(params.map_or("", RawValue::get), head)
    }

    fn spans_in(outer: &str, head: &Head<'_>) -> CallSpans {
        let at = |member: Option<Raw<'_>>| member.and_then(|m| span(outer, m));
        CallSpans {
            name: at(head.name),
            arguments: at(head.arguments),
            progress_token: at(head.meta.as_ref().and_then(|m| m.progress_token)),
            input_responses: at(head.input_responses),
            request_state: at(head.request_state),
        }
    }

    fn member(&self, pick: impl Fn(&CallSpans) -> &Option<Range<usize>>) -> Option<&str> {
        let range = pick(self.call.as_ref()?).clone()?;
        self.params.as_deref()?.get(range)
    }

    /// True when this is a `tools/call` whose params were an object.
    pub(crate) fn is_readable_call(&self) -> bool {
        self.call.is_some()
    }

    /// The raw `name` of a `tools/call`.
    pub(crate) fn call_name(&self) -> Option<&str> {
        self.member(|c| &c.name)
    }

    /// The tool a `tools/call` names, unescaped; `None` when `name` is not a string.
    pub(crate) fn tool_name(&self) -> Option<std::borrow::Cow<'_, str>> {
        let raw = self.call_name()?;
        match raw.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
            Some(plain) if !plain.contains('\\') => Some(std::borrow::Cow::Borrowed(plain)),
            _ => serde_json::from_str::<String>(raw)
                .ok()
                .map(std::borrow::Cow::Owned),
        }
    }

    /// The raw `arguments` of a `tools/call`.
    pub(crate) fn call_arguments(&self) -> Option<&str> {
        self.member(|c| &c.arguments)
    }

    /// The raw `_meta.progressToken` of a `tools/call`.
    pub(crate) fn call_progress_token(&self) -> Option<&str> {
        self.member(|c| &c.progress_token)
    }

    /// The raw `inputResponses` of a `tools/call` (MCP 2026-07-28).
    pub(crate) fn call_input_responses(&self) -> Option<&str> {
        self.member(|c| &c.input_responses)
    }

    /// The raw `requestState` of a `tools/call` (MCP 2026-07-28).
    pub(crate) fn call_request_state(&self) -> Option<&str> {
        self.member(|c| &c.request_state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_owned()).unwrap()
    }

    #[test]
    fn a_call_is_read_once_and_sliced_after() {
        let params = raw(
            r#"{"name":"get_quote","arguments":{"symbol":"SPY"},"_meta":{"progressToken":7},"requestState":"s","inputResponses":{"a":1}}"#,
        );
        let request = Request::new("1", "tools/call", Some(&params), None);
        assert!(request.is_readable_call());
        assert_eq!(request.call_name(), Some(r#""get_quote""#));
        assert_eq!(request.tool_name().as_deref(), Some("get_quote"));
        assert_eq!(request.call_arguments(), Some(r#"{"symbol":"SPY"}"#));
        assert_eq!(request.call_progress_token(), Some("7"));
        assert_eq!(request.call_request_state(), Some(r#""s""#));
        assert_eq!(request.call_input_responses(), Some(r#"{"a":1}"#));
        // A clone keeps its own text and the same positions.
        let copy = request.clone();
        drop(request);
        assert_eq!(copy.call_arguments(), Some(r#"{"symbol":"SPY"}"#));
    }

    #[test]
    fn what_is_not_an_object_call_has_no_members() {
        for params in [r#"[1,2]"#, r#""x""#, r#"{"name":1,"name":2}"#] {
            let params = raw(params);
            let request = Request::new("1", "tools/call", Some(&params), None);
            assert!(!request.is_readable_call(), "{}", params.get());
            assert_eq!(request.call_name(), None);
        }
        let request = Request::new("1", "tools/call", None, None);
        assert!(!request.is_readable_call());
        // Other methods are not read.
        let params = raw(r#"{"name":"x"}"#);
        assert!(!Request::new("1", "prompts/get", Some(&params), None).is_readable_call());
    }

    #[test]
    fn escaped_names_are_unescaped_and_other_types_are_no_name() {
        let params = raw(r#"{"name":"get\u005fquote"}"#);
        let request = Request::new("1", "tools/call", Some(&params), None);
        assert_eq!(request.tool_name().as_deref(), Some("get_quote"));
        let params = raw(r#"{"name":5}"#);
        let request = Request::new("1", "tools/call", Some(&params), None);
        assert!(request.is_readable_call());
        assert_eq!(request.tool_name(), None);
    }

    fn token(params: &str) -> Option<String> {
        let params = raw(params);
        Request::new("1", "tools/call", Some(&params), None)
            .call_progress_token()
            .map(str::to_owned)
    }

    #[test]
    fn the_progress_token_is_read_from_meta_without_holding_the_rest() {
        assert_eq!(
            token(r#"{"_meta":{"progressToken":"p1"}}"#).as_deref(),
            Some(r#""p1""#)
        );
        let envelope = r#"{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"x":{"y":[1,2]}},"progressToken":7}}"#;
        assert_eq!(token(envelope).as_deref(), Some("7"));
        assert_eq!(
            token(r#"{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}"#),
            None
        );
        // The last of repeated keys wins, an escaped key is the same key, as a map would read it.
        assert_eq!(
            token(r#"{"_meta":{"progressToken":1,"progressToken":2}}"#).as_deref(),
            Some("2")
        );
        assert_eq!(
            token(r#"{"_meta":{"progress\u0054oken":"e"}}"#).as_deref(),
            Some(r#""e""#)
        );
        // A `_meta` that is not an object has no token, and the call is still read.
        for meta in ["5", "[1,{}]", "\"x\"", "null", "true", "-1.5"] {
            let params = raw(&format!(r#"{{"name":"get_quote","_meta":{meta}}}"#));
            let request = Request::new("1", "tools/call", Some(&params), None);
            assert!(request.is_readable_call(), "{meta}");
            assert_eq!(request.call_progress_token(), None, "{meta}");
        }
    }

    #[test]
    fn the_envelope_is_read_in_the_same_pass_and_a_repeated_key_makes_it_unreadable() {
        let params = raw(
            r#"{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/logLevel":"info","other":{"deep":[1]}}}"#,
        );
        let head = Head::read(Some(&params)).unwrap();
        let meta = head.meta.as_ref().and_then(MetaHead::envelope).unwrap();
        assert_eq!(meta.version.map(Raw::get), Some(r#""2026-07-28""#));
        assert_eq!(meta.capabilities.map(Raw::get), Some("{}"));
        assert_eq!(meta.log_level.map(Raw::get), Some(r#""info""#));
        let params = raw(
            r#"{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/protocolVersion":"1900-01-01"}}"#,
        );
        let head = Head::read(Some(&params)).unwrap();
        assert!(head.meta.as_ref().and_then(MetaHead::envelope).is_none());
    }
}
