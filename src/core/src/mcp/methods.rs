//! The MCP methods: the engine's method table ([`call`]) and the handlers it runs.
//!
//! One `match` on the method name dispatches a request; each handler answers a result or a
//! JSON-RPC error object (jsonrpsee's `ErrorObjectOwned`, with its code, message and data).

use std::sync::Arc;

use jsonrpsee::types::ErrorObjectOwned;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use super::envelope::codes;
use super::head::Request;
use super::input::{self, InputRound, MAX_INPUT_REQUESTS};
use super::modern::{self, CacheHint, ResultType};
use super::session::LogLevel;
use super::tools::{Args, ToolContext};
use super::{EngineCore, RequestCtx, apps, completion, prompts, resources};
use crate::error::{AppError, ErrorCode};

pub(crate) type RpcResult<T> = Result<T, ErrorObjectOwned>;

pub(crate) fn invalid_params(message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(codes::INVALID_PARAMS, message.into(), None::<()>)
}

/// An application failure in a method that has no `isError` form (resources, prompts): -32000
/// with the error payload as data.
pub(crate) fn app_failure(err: &AppError) -> ErrorObjectOwned {
    if err.code == ErrorCode::InternalError {
        tracing::error!(error = %err, "request failed");
    }
    ErrorObjectOwned::owned(-32000, err.message.clone(), Some(err.to_payload()))
}

fn internal_error() -> ErrorObjectOwned {
    ErrorObjectOwned::owned(codes::INTERNAL_ERROR, "Internal error", None::<()>)
}

fn object_params(params: Option<&str>) -> RpcResult<Map<String, Value>> {
    match params {
        None => Ok(Map::new()),
        Some(text) => serde_json::from_str::<Map<String, Value>>(text).map_err(|_| unreadable_params(text)),
    }
}

/// Why params that are not a readable object were refused, naming the member at fault when the
/// object itself is well formed (e.g. a number beyond the range of a double).
fn unreadable_params(text: &str) -> ErrorObjectOwned {
    let Ok(members) = serde_json::from_str::<std::collections::BTreeMap<String, Box<RawValue>>>(text) else {
        return invalid_params("Invalid params: params must be an object");
    };
    for (key, raw) in &members {
        if let Err(err) = serde_json::from_str::<Value>(raw.get()) {
            return invalid_params(format!(
                "Invalid params: `{key}` cannot be read: {}",
                value_problem(&err)
            ));
        }
    }
    invalid_params("Invalid params: params must be an object")
}

/// A JSON value's problem in words, without serde's positions.
pub(crate) fn value_problem(err: &serde_json::Error) -> &'static str {
    if err.to_string().contains("number out of range") {
        "a number out of range (the largest is about 1.8e308)"
    } else {
        "not a JSON value ttai can read"
    }
}

/// Refuses a pagination cursor: ttai never hands one out, so any cursor is stale or foreign.
fn check_cursor(params: &Map<String, Value>) -> RpcResult<()> {
    match params.get("cursor") {
        None | Some(Value::Null) => Ok(()),
        Some(_) => Err(invalid_params(
            "Invalid params: unknown cursor (this server does not paginate)",
        )),
    }
}

/// `tools/call` result, with the structured content serialized once and written twice: as
/// `structuredContent`, and as the text of the first content block, which MCP asks of a tool
/// with an output schema (written from the same text, not copied into a block of its own).
#[derive(Clone)]
pub(crate) struct CallToolResult {
    /// `complete` under MCP 2026-07-28; absent in the handshake era.
    result_type: Option<ResultType>,
    structured_content: Box<RawValue>,
    /// Content blocks after the text one.
    images: Vec<super::ImageContent>,
    is_error: bool,
    /// An MCP Apps view-model (`super::apps`), for clients that render views, with under MCP
    /// 2026-07-28 the server's identity beside it. (A modern result without a view-model takes
    /// its era members from the response's stamp, `envelope::result_response`.)
    meta: Option<Value>,
}

impl Serialize for CallToolResult {
    /// `{resultType?, content, structuredContent, isError, _meta?}`; each content block's
    /// members in the order of their names, as a JSON object of them was always written.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        #[derive(Serialize)]
        struct Text<'a> {
            text: &'a str,
            r#type: &'static str,
        }
        #[derive(Serialize)]
        struct Image<'a> {
            data: &'a str,
            #[serde(rename = "mimeType")]
            mime_type: &'a str,
            r#type: &'static str,
        }
        struct Blocks<'a>(&'a CallToolResult);
        impl Serialize for Blocks<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let result = self.0;
                let mut blocks = serializer.serialize_seq(Some(1 + result.images.len()))?;
                blocks.serialize_element(&Text {
                    text: result.structured_content.get(),
                    r#type: "text",
                })?;
                for image in &result.images {
                    blocks.serialize_element(&Image {
                        data: &image.data_base64,
                        mime_type: image.mime_type,
                        r#type: "image",
                    })?;
                }
                blocks.end()
            }
        }
        let mut map = serializer.serialize_map(None)?;
        if let Some(result_type) = &self.result_type {
            map.serialize_entry("resultType", result_type)?;
        }
        map.serialize_entry("content", &Blocks(self))?;
        map.serialize_entry("structuredContent", &self.structured_content)?;
        map.serialize_entry("isError", &self.is_error)?;
        if let Some(meta) = &self.meta {
            map.serialize_entry("_meta", meta)?;
        }
        map.end()
    }
}

/// JSON serialized once and shared: written as it is, never copied per result.
#[derive(Clone)]
pub(crate) struct SharedRaw(pub(crate) Arc<RawValue>);

impl Serialize for SharedRaw {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

fn tool_result(
    structured: Box<RawValue>,
    images: Vec<super::ImageContent>,
    meta: Option<Value>,
    is_error: bool,
) -> CallToolResult {
    CallToolResult {
        result_type: None,
        structured_content: structured,
        images,
        is_error,
        meta,
    }
}

/// What `tools/call` answers: a result, or (MCP 2026-07-28) a request for input first.
#[derive(Clone, Serialize)]
#[serde(untagged)]
pub(crate) enum CallAnswer {
    Complete(CallToolResult),
    InputRequired(Value),
}

impl CallAnswer {
    /// The era's fields on a complete result with a view-model: under 2026-07-28 `resultType`,
    /// and the server's identity beside the view-model in `_meta`. Any other result is stamped
    /// as the response is written ([`Reply::stamped`]).
    fn complete(mut result: CallToolResult, core: &EngineCore, modern: bool) -> CallAnswer {
        if modern && let Some(meta) = result.meta.take() {
            result.result_type = Some(ResultType::Complete);
            result.meta = Some(modern::stamp_meta(meta, &core.server_info));
        }
        CallAnswer::Complete(result)
    }
}

/// The input round a retried call carries: its `requestState` verified, its `inputResponses`
/// kept for the keys that state asked for. `Ok(None)` for a first call.
fn input_round(
    call: &Request,
    tool: &str,
    core: &EngineCore,
    arguments: &Value,
) -> RpcResult<Option<InputRound>> {
    let Some(raw_state) = call.call_request_state() else {
        return Ok(None);
    };
    let token: String = serde_json::from_str(raw_state)
        .map_err(|_| invalid_params("Invalid params: requestState must be a string"))?;
    let key = core
        .state_key
        .get()
        .ok_or_else(|| invalid_params(input::StateError::Forged.message()))?;
    let now = core.now_ms();
    let opened = input::open(key, &token, tool, arguments, now).map_err(|e| invalid_params(e.message()))?;
    let mut responses: Map<String, Value> = match call.call_input_responses() {
        None => Map::new(),
        Some(raw) => serde_json::from_str(raw)
            .map_err(|_| invalid_params("Invalid params: inputResponses must be an object"))?,
    };
    responses.retain(|key, _| opened.asked.iter().any(|k| k == key));
    Ok(Some(core.used_states.round(opened, responses, now)))
}

/// The `InputRequiredResult` for a tool that needs input: checked against the client's
/// declared capabilities (-32021 naming what is missing), its state sealed.
fn input_required(
    core: &EngineCore,
    request: &RequestCtx,
    tool: &str,
    arguments: &Value,
    needed: input::InputRequired,
) -> RpcResult<CallAnswer> {
    let Some(envelope) = &request.envelope else {
        // The handshake era has no input rounds: the tool says what it needed.
        let err = AppError::new(
            ErrorCode::AuthorizationError,
            "this call needs your confirmation, which this client cannot give in its protocol version (MCP 2026-07-28 clients can)",
        );
        return Ok(CallAnswer::Complete(tool_result(
            super::ToolOutput::new(err.to_payload()).structured,
            Vec::new(),
            None,
            true,
        )));
    };
    let required = needed.required_capabilities();
    let missing: Map<String, Value> = required
        .into_iter()
        .filter(|(capability, _)| !envelope.declares(capability))
        .collect();
    if !missing.is_empty() {
        let names: Vec<&str> = missing.keys().map(String::as_str).collect();
        return Err(ErrorObjectOwned::owned(
            codes::MISSING_REQUIRED_CLIENT_CAPABILITY,
            format!(
                "Missing required client capability: {tool} needs {} declared in io.modelcontextprotocol/clientCapabilities",
                names.join(", ")
            ),
            Some(json!({ "requiredCapabilities": missing })),
        ));
    }
    if needed.requests.is_empty() || needed.requests.len() > MAX_INPUT_REQUESTS {
        tracing::error!(
            tool,
            requests = needed.requests.len(),
            "a tool asked for no input or too much"
        );
        return Err(ErrorObjectOwned::owned(
            codes::INTERNAL_ERROR,
            "Internal error",
            None::<()>,
        ));
    }
    let asked: Vec<&String> = needed.requests.keys().collect();
    let sealed = core
        .state_key
        .get()
        .and_then(|key| input::seal(key, tool, arguments, &asked, &needed.state, core.now_ms()));
    let Some(state) = sealed else {
        tracing::error!(
            tool,
            "the request state could not be sealed (no key, or too large)"
        );
        return Err(ErrorObjectOwned::owned(
            codes::INTERNAL_ERROR,
            "Internal error",
            None::<()>,
        ));
    };
    Ok(CallAnswer::InputRequired(json!({
        "resultType": ResultType::InputRequired,
        "inputRequests": needed.requests,
        "requestState": state,
        "_meta": { modern::keys::SERVER_INFO: core.server_info },
    })))
}

async fn tools_call(core: &Arc<EngineCore>, request: &RequestCtx, call: &Request) -> RpcResult<CallAnswer> {
    let name = call
        .is_readable_call()
        .then(|| call.tool_name())
        .flatten()
        .ok_or_else(|| {
            invalid_params("Invalid params: tools/call needs `name` (a string) and optional `arguments`")
        })?;
    let Some((spec, tool)) = core.tools.get(&name) else {
        return Err(ErrorObjectOwned::owned(
            codes::INVALID_PARAMS,
            format!("Unknown tool: {name}"),
            Some(json!({ "available": core.tools.specs().map(|s| s.name).collect::<Vec<_>>() })),
        ));
    };
    // Found when the params were read (`head::MetaHead`): `_meta` is not scanned again.
    let progress_token = call
        .call_progress_token()
        .and_then(|t| serde_json::from_str::<Value>(t).ok())
        .filter(|t| !t.is_null());
    let modern = request.envelope.is_some();
    // A later input round binds its state to these exact arguments.
    let arguments: Value = match (modern, call.call_request_state().is_some()) {
        (true, true) => call
            .call_arguments()
            .and_then(|a| serde_json::from_str(a).ok())
            .unwrap_or(Value::Null),
        _ => Value::Null,
    };
    let input = if modern {
        input_round(call, spec.name, core, &arguments)?
    } else {
        None
    };
    let tool_ctx = ToolContext {
        session: request.session.clone(),
        reply_to: request.reply_to.clone(),
        progress_token,
        envelope: request.envelope.clone(),
        input,
    };
    let outcome = match Args::from_raw(call.call_arguments()) {
        Ok(args) => tool.call(&core.app, args, &tool_ctx).await,
        Err(err) => Err(err),
    };
    match outcome {
        Ok(output) if output.input_required.is_some() => {
            let arguments = if call.call_request_state().is_some() {
                arguments
            } else {
                call.call_arguments()
                    .and_then(|a| serde_json::from_str(a).ok())
                    .unwrap_or(Value::Null)
            };
            match output.input_required {
                Some(needed) => input_required(core, request, spec.name, &arguments, needed),
                None => Err(internal_error()),
            }
        }
        Ok(output) => {
            let meta = output.meta.filter(|_| request.accepts_views());
            Ok(CallAnswer::complete(
                tool_result(output.structured, output.images, meta, false),
                core,
                modern,
            ))
        }
        Err(err) => {
            match err.code {
                ErrorCode::InternalError | ErrorCode::DatabaseError => {
                    tracing::error!(tool = spec.name, error = %err, "tool failed");
                }
                _ => tracing::debug!(tool = spec.name, error = %err, "tool refused"),
            }
            tool_ctx.log(
                LogLevel::Error,
                spec.name,
                json!({ "error": err.code.as_str(), "message": err.message }),
            );
            Ok(CallAnswer::complete(
                tool_result(
                    super::ToolOutput::new(err.to_payload()).structured,
                    Vec::new(),
                    None,
                    true,
                ),
                core,
                modern,
            ))
        }
    }
}

/// A modern request's cacheable result gets its freshness hint.
fn cacheable(request: &RequestCtx, mut result: Value, hint: CacheHint) -> Value {
    if request.envelope.is_some() {
        hint.apply(&mut result);
    }
    result
}

/// The `uri` a resources method needs.
fn uri_of<'a>(params: &'a Map<String, Value>, method: &str) -> RpcResult<&'a str> {
    params
        .get("uri")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid_params(format!("Invalid params: {method} needs `uri` (a string)")))
}

/// What a method answers: a result to serialize.
#[derive(Serialize)]
#[serde(untagged)]
pub(crate) enum Reply {
    Value(Value),
    Call(CallAnswer),
    /// `tools/list`, written from the text prepared once.
    Tools(super::tools::ToolsList),
}

impl Reply {
    /// True when the result already carries the 2026-07-28 era's members (`resultType`, the
    /// server's identity): a request for input, or a tool result with a view-model. Any other
    /// modern result takes the server's stamp as it is written.
    pub(crate) fn stamped(&self) -> bool {
        match self {
            Reply::Call(CallAnswer::Complete(result)) => result.result_type.is_some(),
            Reply::Call(CallAnswer::InputRequired(_)) => true,
            Reply::Value(_) | Reply::Tools(_) => false,
        }
    }
}

/// The engine's method table: runs `call` (whose params, when present, are an object) and
/// answers its result or its error. An unknown method is -32601.
pub(crate) async fn call(core: &Arc<EngineCore>, request: &RequestCtx, call: &Request) -> RpcResult<Reply> {
    let params = call.params.as_deref();
    let result = match call.method.as_str() {
        "ping" => json!({}),
        "tools/list" => {
            check_cursor(&object_params(params)?)?;
            let hint = request.envelope.is_some().then_some(CacheHint::STATIC);
            return Ok(Reply::Tools(core.tools.list_for(request.accepts_views(), hint)));
        }
        "tools/call" => return tools_call(core, request, call).await.map(Reply::Call),
        "logging/setLevel" => {
            let params = object_params(params)?;
            let level = params
                .get("level")
                .and_then(Value::as_str)
                .and_then(LogLevel::parse)
                .ok_or_else(|| invalid_params("Invalid params: level must be one of debug, info, notice, warning, error, critical, alert, emergency"))?;
            request.session.set_log_level(level);
            json!({})
        }
        "resources/list" => {
            check_cursor(&object_params(params)?)?;
            let list = apps::with_view_resources(resources::list(core).await, request.accepts_views());
            cacheable(request, list, CacheHint::USER_DOCUMENTS)
        }
        "resources/templates/list" => {
            check_cursor(&object_params(params)?)?;
            cacheable(request, resources::templates(), CacheHint::STATIC)
        }
        "resources/read" => {
            let params = object_params(params)?;
            let uri = uri_of(&params, "resources/read")?;
            if apps::is_view_uri(uri) {
                let view =
                    apps::read_view(uri, request.accepts_views()).ok_or_else(|| resources::not_found(uri))?;
                cacheable(request, view, CacheHint::STATIC)
            } else {
                let (contents, hint) = resources::read(core, uri).await?;
                cacheable(request, contents, hint)
            }
        }
        "resources/subscribe" => {
            let params = object_params(params)?;
            let uri = uri_of(&params, "resources/subscribe")?;
            resources::check_exists(core, uri)?;
            let limit = core.limits.max_subscriptions;
            if !request.session.subscribe(uri, limit) {
                return Err(ErrorObjectOwned::owned(
                    codes::LIMIT_EXCEEDED,
                    format!(
                        "Too many subscriptions: at most {limit} per session; unsubscribe from one first"
                    ),
                    Some(super::Budget::Subscriptions.data(limit)),
                ));
            }
            json!({})
        }
        "resources/unsubscribe" => {
            let params = object_params(params)?;
            request
                .session
                .unsubscribe(uri_of(&params, "resources/unsubscribe")?);
            json!({})
        }
        "prompts/list" => {
            check_cursor(&object_params(params)?)?;
            cacheable(request, prompts::list(), CacheHint::STATIC)
        }
        "prompts/get" => prompts::get(&object_params(params)?, &core.app.unannounced())?,
        "completion/complete" => completion::complete(core, &object_params(params)?).await?,
        method => {
            return Err(ErrorObjectOwned::owned(
                codes::METHOD_NOT_FOUND,
                format!("Method not found: {method}"),
                None::<()>,
            ));
        }
    };
    Ok(Reply::Value(result))
}
