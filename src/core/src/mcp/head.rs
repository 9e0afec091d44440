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

/// The members of a request's params the engine reads; each the raw text of its value.
#[derive(Default, Deserialize)]
pub(crate) struct Head<'a> {
    #[serde(rename = "_meta", borrow, default)]
    pub(crate) meta: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(crate) name: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(crate) uri: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(crate) arguments: Option<&'a RawValue>,
    #[serde(rename = "inputResponses", borrow, default)]
    pub(crate) input_responses: Option<&'a RawValue>,
    #[serde(rename = "requestState", borrow, default)]
    pub(crate) request_state: Option<&'a RawValue>,
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

/// Where the members of a `tools/call` are in its params text.
#[derive(Clone, Debug, Default)]
pub(crate) struct CallSpans {
    name: Option<Range<usize>>,
    arguments: Option<Range<usize>>,
    meta: Option<Range<usize>>,
    input_responses: Option<Range<usize>>,
    request_state: Option<Range<usize>>,
}

/// The position of `inner`, a slice of `outer`, in `outer`.
fn span(outer: &str, inner: &RawValue) -> Option<Range<usize>> {
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
    /// The raw params (any JSON value; the dispatcher refuses what is not an object).
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

    fn spans(params: Option<&RawValue>, head: &Head<'_>) -> CallSpans {
        let outer = params.map_or("", RawValue::get);
        let at = |member: Option<&RawValue>| member.and_then(|m| span(outer, m));
        CallSpans {
            name: at(head.name),
            arguments: at(head.arguments),
            meta: at(head.meta),
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

    /// The raw `_meta` of a `tools/call`.
    pub(crate) fn call_meta(&self) -> Option<&str> {
        self.member(|c| &c.meta)
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
        assert_eq!(request.call_meta(), Some(r#"{"progressToken":7}"#));
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
}
