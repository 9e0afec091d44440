//! MCP 2026-07-28, the stateless revision ("modern" era), beside the handshake versions
//! (docs/mcp-2026-07-28.md).
//!
//! A modern request carries everything about its client in `params._meta` (the envelope): the
//! protocol version, the client's capabilities, optionally its name and a log level. Nothing is
//! negotiated and nothing is remembered between requests. This module holds what is specific to
//! that era and pure: the envelope and its validation ladder (with the HTTP routing headers),
//! the method table of the era, the `server/discover` answer, the fields every result carries
//! (`resultType`, the server's identity, cache hints), and the error codes the era renames.

use std::borrow::Cow;

use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use super::envelope::{self, codes};
use super::head::{Head, MetaHead, Raw};
use super::session::LogLevel;
use super::{ServerInfo, apps, protocol};

/// The modern protocol versions ttai serves, newest first. `server/discover` lists exactly these,
/// and so does every -32022 refusal.
pub const MODERN_VERSIONS: [&str; 1] = ["2026-07-28"];

pub(crate) use super::head::keys;

/// Freshness hints (`ttlMs`, `cacheScope`) of the cacheable results.
pub mod ttl {
    /// What does not change while the process runs: the tools, prompts, templates, capabilities,
    /// the views' HTML and the built-in knowledge documents. One hour.
    pub const STATIC_MS: u64 = 3_600_000;
    /// The resource list and the user's own knowledge documents, which change when the user
    /// edits the knowledge folder (ttai notices on the next read). One minute.
    pub const USER_DOCUMENTS_MS: u64 = 60_000;
    /// Live data: positions, balances, risk, alerts, the analysis history. Stale at once.
    pub const LIVE_MS: u64 = 0;
}

/// Who may cache a result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheScope {
    /// The same for every user of this server: shared caches may keep it.
    Public,
    /// The account's or the user's own data.
    Private,
}

impl CacheScope {
    /// The value of `cacheScope`.
    pub fn as_str(self) -> &'static str {
        match self {
            CacheScope::Public => "public",
            CacheScope::Private => "private",
        }
    }
}

/// A result's freshness hint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheHint {
    /// `ttlMs`.
    pub ttl_ms: u64,
    /// `cacheScope`.
    pub scope: CacheScope,
}

impl CacheHint {
    /// Static, shared.
    pub const STATIC: CacheHint = CacheHint {
        ttl_ms: ttl::STATIC_MS,
        scope: CacheScope::Public,
    };
    /// The user's documents.
    pub const USER_DOCUMENTS: CacheHint = CacheHint {
        ttl_ms: ttl::USER_DOCUMENTS_MS,
        scope: CacheScope::Private,
    };
    /// Live account data.
    pub const LIVE: CacheHint = CacheHint {
        ttl_ms: ttl::LIVE_MS,
        scope: CacheScope::Private,
    };

    /// Adds `ttlMs` and `cacheScope` to a result object.
    pub(crate) fn apply(self, result: &mut Value) {
        if let Some(map) = result.as_object_mut() {
            map.insert("ttlMs".into(), self.ttl_ms.into());
            map.insert("cacheScope".into(), self.scope.as_str().into());
        }
    }
}

/// The methods a modern request may call; every other one (`initialize`, `ping`,
/// `logging/setLevel`, `resources/subscribe`, `resources/unsubscribe`, unknown names) is -32601.
const METHODS: [&str; 10] = [
    "server/discover",
    "subscriptions/listen",
    "tools/list",
    "tools/call",
    "resources/list",
    "resources/templates/list",
    "resources/read",
    "prompts/list",
    "prompts/get",
    "completion/complete",
];

/// True for a method of the modern era.
pub(crate) fn is_method(method: &str) -> bool {
    METHODS.contains(&method)
}

pub use crate::ports::{Header, RoutingHeaders};

/// Decodes a header value that may use the spec's base64 form for values that are not plain
/// ASCII (`=?base64?<base64 of the UTF-8 bytes>?=`); `None` for a malformed one.
pub fn decode_header_value(value: &str) -> Option<String> {
    decoded_header(value).map(Cow::into_owned)
}

/// [`decode_header_value`], borrowing a plain value.
fn decoded_header(value: &str) -> Option<Cow<'_, str>> {
    match value
        .strip_prefix("=?base64?")
        .and_then(|rest| rest.strip_suffix("?="))
    {
        Some(payload) => crate::app::analysis::base64_decode(payload)
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .map(Cow::Owned),
        None => Some(Cow::Borrowed(value)),
    }
}

/// The `resultType` of an MCP 2026-07-28 result: every type the era's results may have, the
/// one place a new one is added (each result of the era is shaped through this module:
/// [`result_stamp`] for the engine's answers (appended by `envelope::result_response`), the tool results in
/// `methods.rs` and the listen results in `listen.rs` take their type from here).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ResultType {
    /// The request is done: the result holds its answer.
    Complete,
    /// A tool needs input from the client first (`inputRequests`, `requestState`).
    InputRequired,
}

impl ResultType {
    /// The value of `resultType`.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            ResultType::Complete => "complete",
            ResultType::InputRequired => "input_required",
        }
    }
}

impl serde::Serialize for ResultType {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// What one modern request's envelope says about its client. Cheap to copy: a request's
/// context and its tool's each hold one.
#[derive(Clone, Debug)]
pub(crate) struct Envelope {
    /// The client's capabilities for this request (an object); `None` for `{}`, what most
    /// requests declare, which then costs nothing to keep.
    capabilities: Option<std::sync::Arc<Value>>,
    /// [`apps::accepts_views`] of those capabilities.
    pub(crate) views: bool,
    /// The least severe log level the request wants; `None`: no `notifications/message`.
    pub(crate) log_level: Option<LogLevel>,
}

impl Envelope {
    /// True when the client declared `capability` (a top-level key of its capabilities).
    pub(crate) fn declares(&self, capability: &str) -> bool {
        self.capabilities()
            .and_then(|c| c.get(capability))
            .is_some_and(Value::is_object)
    }

    /// The client's capabilities, unless it declared none (`{}`).
    pub(crate) fn capabilities(&self) -> Option<&Value> {
        self.capabilities.as_deref()
    }
}

/// A refusal of the validation ladder.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Refusal {
    pub(crate) code: i32,
    pub(crate) message: String,
    pub(crate) data: Option<Value>,
}

impl Refusal {
    fn new(code: i32, message: impl Into<String>) -> Refusal {
        Refusal {
            code,
            message: message.into(),
            data: None,
        }
    }

    /// The error answer, with the request's id.
    pub(crate) fn answer(&self, id: &str) -> String {
        envelope::error_response(Some(id), self.code, &self.message, self.data.as_ref())
    }
}

/// The envelope's keys of a `_meta` object; `None` when `_meta` is absent or not an object with
/// each envelope key at most once.
fn meta_of<'h, 'a>(head: &'h Head<'a>) -> Option<&'h MetaHead<'a>> {
    head.meta.as_ref().and_then(MetaHead::envelope)
}

/// False when `text` (a message or its params) cannot carry the envelope's protocol-version key
/// unescaped; true when it may (a parse decides). Every handshake-era request is asked this, so
/// it scans for the key's last 17 bytes: `str::contains` searches a needle of up to 32 bytes
/// with SIMD, but builds a two-way searcher for a longer one such as the key's 39 bytes (about
/// 2 500 instructions a call, counted with callgrind).
pub fn may_carry_envelope(text: &str) -> bool {
    const TAIL: &str = "/protocolVersion\"";
    debug_assert!(
        keys::PROTOCOL_VERSION.ends_with(&TAIL[..TAIL.len() - 1]),
        "the tail is the key's"
    );
    text.contains(TAIL)
}

/// True when a request's params carry the envelope's protocol-version key: such a request is of
/// the modern era (a half envelope included, so that it is told what is missing).
pub(crate) fn has_envelope(params: Option<&RawValue>) -> bool {
    let Some(params) = params else { return false };
    // The key's text first: a handshake-era request pays one scan, not a parse.
    if !may_carry_envelope(params.get()) {
        return false;
    }
    Head::read(Some(params)).is_some_and(|head| meta_of(&head).is_some_and(|meta| meta.version.is_some()))
}

fn as_string(raw: Raw<'_>) -> Option<String> {
    serde_json::from_str::<String>(raw.get()).ok()
}

/// A JSON string's text, borrowed when it has no escapes (a tool's name, a plain URI).
fn as_str(raw: Raw<'_>) -> Option<Cow<'_, str>> {
    match raw.get().strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(inner) if !inner.contains('\\') => Some(Cow::Borrowed(inner)),
        _ => as_string(raw).map(Cow::Owned),
    }
}

/// The validation ladder of a modern request (first failure wins): the envelope's required keys
/// (-32602), then, over HTTP, the routing headers against the body (-32020), then the protocol
/// version (-32022 naming the supported versions), then the log level (-32602). Whether the
/// method exists is decided after it (-32601). `head` is the request's params as read once
/// ([`Head::read`]; `None` when they are not an object).
pub(crate) fn validate(
    method: &str,
    head: Option<&Head<'_>>,
    headers: Option<&RoutingHeaders<'_>>,
) -> Result<Envelope, Refusal> {
    const REQUIRED: &str = "Invalid params: params._meta must be an object carrying \
        io.modelcontextprotocol/protocolVersion and io.modelcontextprotocol/clientCapabilities \
        (MCP 2026-07-28 requests carry their envelope)";
    let head = head.ok_or_else(|| Refusal::new(codes::INVALID_PARAMS, REQUIRED))?;
    let meta = meta_of(head).ok_or_else(|| Refusal::new(codes::INVALID_PARAMS, REQUIRED))?;
    let (Some(version), Some(capabilities)) = (meta.version, meta.capabilities) else {
        let missing: Vec<&str> = [
            (meta.version.is_none(), keys::PROTOCOL_VERSION),
            (meta.capabilities.is_none(), keys::CLIENT_CAPABILITIES),
        ]
        .into_iter()
        .filter_map(|(gone, key)| gone.then_some(key))
        .collect();
        return Err(Refusal::new(
            codes::INVALID_PARAMS,
            format!(
                "Invalid params: params._meta lacks the envelope key(s) {}",
                missing.join(", ")
            ),
        ));
    };
    // The version ttai serves, as sent by every client, needs no unescaping.
    let version = match version.get() {
        "\"2026-07-28\"" => Some(Cow::Borrowed("2026-07-28")),
        _ => as_string(version).map(Cow::Owned),
    };
    if let Some(headers) = headers {
        check_headers(method, head, version.as_deref(), headers)?;
    }
    let Some(version) = version else {
        return Err(Refusal::new(
            codes::INVALID_PARAMS,
            "Invalid params: io.modelcontextprotocol/protocolVersion must be a string",
        ));
    };
    if !MODERN_VERSIONS.contains(&version.as_ref()) {
        return Err(unsupported_version(&version));
    }
    let capabilities: Option<Value> = match capabilities.get() {
        "{}" => None,
        text => Some(serde_json::from_str(text).unwrap_or(Value::Null)),
    };
    if capabilities.as_ref().is_some_and(|c| !c.is_object()) {
        return Err(Refusal::new(
            codes::INVALID_PARAMS,
            "Invalid params: io.modelcontextprotocol/clientCapabilities must be an object",
        ));
    }
    let log_level = match meta.log_level {
        None => None,
        Some(raw) => Some(as_string(raw).as_deref().and_then(LogLevel::parse).ok_or_else(|| {
            Refusal::new(
                codes::INVALID_PARAMS,
                "Invalid params: io.modelcontextprotocol/logLevel must be one of debug, info, notice, warning, error, critical, alert, emergency",
            )
        })?),
    };
    let capabilities = capabilities.filter(|c| c.as_object().is_some_and(|m| !m.is_empty()));
    Ok(Envelope {
        views: capabilities.as_ref().is_some_and(apps::accepts_views),
        capabilities: capabilities.map(std::sync::Arc::new),
        log_level,
    })
}

/// -32022 with the versions ttai serves and the one asked for.
pub(crate) fn unsupported_version(requested: &str) -> Refusal {
    Refusal {
        code: codes::UNSUPPORTED_PROTOCOL_VERSION,
        message: format!(
            "Unsupported protocol version {requested:?}: this server speaks {} per request (and the handshake versions 2024-11-05 to 2025-11-25 after initialize)",
            MODERN_VERSIONS.join(", ")
        ),
        data: Some(json!({ "supported": MODERN_VERSIONS, "requested": requested })),
    }
}

fn check_headers(
    method: &str,
    head: &Head<'_>,
    version: Option<&str>,
    headers: &RoutingHeaders<'_>,
) -> Result<(), Refusal> {
    let mismatch = |what: &str| Refusal::new(codes::HEADER_MISMATCH, format!("Header mismatch: {what}"));
    match &headers.protocol_version {
        Header::Value(value) if Some(*value) == version => {}
        Header::Value(_) => {
            return Err(mismatch(
                "the MCP-Protocol-Version header does not match the request's io.modelcontextprotocol/protocolVersion",
            ));
        }
        Header::Absent => return Err(mismatch("the MCP-Protocol-Version header is required")),
        Header::Invalid => {
            return Err(mismatch(
                "the MCP-Protocol-Version header must be sent once, in visible ASCII",
            ));
        }
    }
    match &headers.method {
        Header::Value(value) if *value == method => {}
        Header::Value(_) => {
            return Err(mismatch(
                "the Mcp-Method header does not match the request's method",
            ));
        }
        Header::Absent => return Err(mismatch("the Mcp-Method header is required")),
        Header::Invalid => {
            return Err(mismatch(
                "the Mcp-Method header must be sent once, in visible ASCII",
            ));
        }
    }
    let named = match method {
        "tools/call" | "prompts/get" => head.name,
        "resources/read" => head.uri,
        _ => None,
    };
    if let Some(body) = named.and_then(as_str) {
        let field = if method == "resources/read" { "uri" } else { "name" };
        match &headers.name {
            Header::Value(value) => match decoded_header(value) {
                Some(decoded) if decoded == body => {}
                Some(_) => {
                    return Err(mismatch(&format!(
                        "the Mcp-Name header does not match params.{field}"
                    )));
                }
                None => {
                    return Err(mismatch(
                        "the Mcp-Name header's =?base64?…?= form does not decode to UTF-8",
                    ));
                }
            },
            Header::Absent => {
                return Err(mismatch(&format!(
                    "the Mcp-Name header (params.{field}) is required for {method}"
                )));
            }
            Header::Invalid => {
                return Err(mismatch(
                    "the Mcp-Name header must be sent once, in visible ASCII",
                ));
            }
        }
    }
    Ok(())
}

/// The server's identity as every result carries it: `{name, version}`, as the revision's
/// stamp is specified and the SDKs' servers send it. The human title is `server/discover`'s
/// alone, so that each result does not repeat 50 bytes no client reads there.
pub(crate) fn server_info(info: &ServerInfo) -> Value {
    json!({ "name": info.name, "version": info.version })
}

/// The members every modern result ends with: `"resultType":"complete","_meta":{…serverInfo…}`,
/// serialized once per server.
pub(crate) fn result_stamp(info: &ServerInfo) -> String {
    let meta = json!({ keys::SERVER_INFO: server_info(info) });
    format!(
        "\"resultType\":\"{}\",\"_meta\":{meta}",
        ResultType::Complete.as_str()
    )
}

/// The `_meta` of a modern result that has one of its own (a tool result with a view-model):
/// the server's identity added.
pub(crate) fn stamp_meta(meta: Value, server_info: &Value) -> Value {
    let mut map = match meta {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    map.insert(keys::SERVER_INFO.into(), server_info.clone());
    Value::Object(map)
}

/// The `server/discover` result.
pub(crate) fn discover(info: &ServerInfo, views: bool) -> Value {
    let mut result = json!({
        "resultType": ResultType::Complete,
        "supportedVersions": MODERN_VERSIONS,
        "capabilities": apps::with_extension(protocol::capabilities(), views),
        "instructions": protocol::INSTRUCTIONS,
        "_meta": { keys::SERVER_INFO: {
            "name": info.name, "title": protocol::TITLE, "version": info.version,
        } },
    });
    CacheHint::STATIC.apply(&mut result);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_owned()).unwrap()
    }

    /// The ladder on params as the engine reads them.
    fn check(
        method: &str,
        params: Option<&RawValue>,
        headers: Option<&RoutingHeaders<'_>>,
    ) -> Result<Envelope, Refusal> {
        validate(method, Head::read(params).as_ref(), headers)
    }

    const ENVELOPE: &str = r#"{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}"#;

    #[test]
    fn the_scan_for_the_envelope_misses_no_key_and_passes_handshake_requests() {
        assert!(may_carry_envelope(ENVELOPE));
        let initialize = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}"#;
        assert!(!may_carry_envelope(initialize));
        assert!(!may_carry_envelope(
            r#"{"name":"get_quote","arguments":{"symbol":"SPY"}}"#
        ));
        assert!(!may_carry_envelope(""));
    }

    proptest::proptest! {
        /// Whatever surrounds it, text holding the key as a JSON string passes the scan (the
        /// parse after it decides), so no modern request is taken for a handshake one.
        #[test]
        fn any_text_with_the_key_passes_the_scan(before in ".{0,80}", after in ".{0,80}") {
            let key = keys::PROTOCOL_VERSION;
            let text = format!("{before}\"{key}\"{after}");
            proptest::prop_assert!(may_carry_envelope(&text));
        }
    }

    #[test]
    fn the_envelope_key_marks_a_modern_request() {
        assert!(has_envelope(Some(&raw(&format!(r#"{{"_meta":{ENVELOPE}}}"#)))));
        assert!(has_envelope(Some(&raw(
            r#"{"_meta":{"io.modelcontextprotocol/protocolVersion":"1900-01-01"}}"#
        ))));
        assert!(!has_envelope(None));
        assert!(!has_envelope(Some(&raw(r#"{"_meta":{"progressToken":1}}"#))));
        // The key's text elsewhere (an argument) is not an envelope.
        assert!(!has_envelope(Some(&raw(
            r#"{"name":"x","arguments":{"q":"io.modelcontextprotocol/protocolVersion"}}"#
        ))));
    }

    #[test]
    fn the_ladder_checks_the_envelope_then_the_headers_then_the_version() {
        let ok = check(
            "tools/list",
            Some(&raw(&format!(r#"{{"_meta":{ENVELOPE}}}"#))),
            None,
        )
        .unwrap();
        assert!(!ok.views);
        assert_eq!(ok.log_level, None);
        for params in [
            None,
            Some(raw("{}")),
            Some(raw("[]")),
            Some(raw(
                r#"{"_meta":{"io.modelcontextprotocol/clientCapabilities":{}}}"#,
            )),
            Some(raw(
                r#"{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}"#,
            )),
            Some(raw(
                r#"{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":[]}}"#,
            )),
        ] {
            let refusal = check("tools/list", params.as_deref(), None).unwrap_err();
            assert_eq!(refusal.code, codes::INVALID_PARAMS, "{params:?}");
        }
        let old = raw(
            r#"{"_meta":{"io.modelcontextprotocol/protocolVersion":"1900-01-01","io.modelcontextprotocol/clientCapabilities":{}}}"#,
        );
        let refusal = check("server/discover", Some(&old), None).unwrap_err();
        assert_eq!(refusal.code, codes::UNSUPPORTED_PROTOCOL_VERSION);
        assert_eq!(
            refusal.data,
            Some(json!({"supported": ["2026-07-28"], "requested": "1900-01-01"}))
        );
        // Over HTTP a header that disagrees with the body wins over the unsupported version.
        let headers = RoutingHeaders {
            protocol_version: Header::Value("2026-07-28"),
            method: Header::Value("server/discover"),
            name: Header::Absent,
        };
        assert_eq!(
            check("server/discover", Some(&old), Some(&headers))
                .unwrap_err()
                .code,
            codes::HEADER_MISMATCH
        );
        let bad_level = raw(
            r#"{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/logLevel":"loud"}}"#,
        );
        assert_eq!(
            check("tools/list", Some(&bad_level), None).unwrap_err().code,
            codes::INVALID_PARAMS
        );
    }

    #[test]
    fn routing_headers_must_match_the_body_including_the_base64_form() {
        let params = raw(&format!(
            r#"{{"name":"get_quote","arguments":{{}},"_meta":{ENVELOPE}}}"#
        ));
        fn with<'a>(method: &'a str, name: Header<'a>) -> RoutingHeaders<'a> {
            RoutingHeaders {
                protocol_version: Header::Value("2026-07-28"),
                method: Header::Value(method),
                name,
            }
        }
        assert!(
            check(
                "tools/call",
                Some(&params),
                Some(&with("tools/call", Header::Value("get_quote")))
            )
            .is_ok()
        );
        let encoded = format!("=?base64?{}?=", crate::app::analysis::base64(b"get_quote"));
        assert!(
            check(
                "tools/call",
                Some(&params),
                Some(&with("tools/call", Header::Value(&encoded)))
            )
            .is_ok()
        );
        for (method, name) in [
            ("tools/list", Header::Value("get_quote")),
            ("tools/call", Header::Absent),
            ("tools/call", Header::Value("get_quotes")),
            ("tools/call", Header::Value("=?base64?!!?=")),
            ("tools/call", Header::Invalid),
        ] {
            let refusal = check("tools/call", Some(&params), Some(&with(method, name))).unwrap_err();
            assert_eq!(refusal.code, codes::HEADER_MISMATCH, "{method} {name:?}");
        }
        let missing_version = RoutingHeaders {
            protocol_version: Header::Absent,
            ..with("tools/call", Header::Value("get_quote"))
        };
        assert_eq!(
            check("tools/call", Some(&params), Some(&missing_version))
                .unwrap_err()
                .code,
            codes::HEADER_MISMATCH
        );
        assert_eq!(
            decode_header_value("=?base64?5LiW55WM?=").as_deref(),
            Some("世界")
        );
        assert_eq!(decode_header_value("plain").as_deref(), Some("plain"));
    }
}
