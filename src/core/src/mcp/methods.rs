//! The MCP methods registered on jsonrpsee's `RpcModule`.

use std::sync::Arc;

use jsonrpsee::types::{ErrorObjectOwned, Params};
use jsonrpsee::{Extensions, Methods, RpcModule};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use super::envelope::codes;
use super::session::LogLevel;
use super::tools::{Args, ToolContext};
use super::{EngineCore, RequestCtx, apps, completion, prompts, resources};
use crate::error::{AppError, ErrorCode};

type RpcResult<T> = Result<T, ErrorObjectOwned>;

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

fn ctx(ext: &Extensions) -> RpcResult<RequestCtx> {
    ext.get::<RequestCtx>()
        .cloned()
        .ok_or_else(|| ErrorObjectOwned::owned(codes::INTERNAL_ERROR, "Internal error", None::<()>))
}

fn object_params(params: &Params<'_>) -> RpcResult<Map<String, Value>> {
    match params.as_str() {
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

/// `tools/call` params. `arguments` and `_meta` stay raw so that a value serde cannot hold (a
/// number beyond a double's range) is blamed on its own argument, not on the whole call.
#[derive(Deserialize)]
struct CallToolParams<'a> {
    name: String,
    #[serde(default, borrow)]
    arguments: Option<&'a RawValue>,
    #[serde(default, rename = "_meta", borrow)]
    meta: Option<&'a RawValue>,
}

/// `tools/call` result, with the structured content serialized once.
#[derive(Clone, Serialize)]
struct CallToolResult {
    content: Vec<Value>,
    #[serde(rename = "structuredContent")]
    structured_content: Box<RawValue>,
    #[serde(rename = "isError")]
    is_error: bool,
    /// An MCP Apps view-model (`super::apps`), for clients that render views.
    #[serde(rename = "_meta", skip_serializing_if = "Option::is_none")]
    meta: Option<Value>,
}

fn tool_result(
    structured: Box<RawValue>,
    images: Vec<super::ImageContent>,
    meta: Option<Value>,
    is_error: bool,
) -> CallToolResult {
    let mut content = Vec::with_capacity(1 + images.len());
    content.push(json!({ "type": "text", "text": structured.get() }));
    for image in images {
        content.push(json!({ "type": "image", "data": image.data_base64, "mimeType": image.mime_type }));
    }
    CallToolResult {
        content,
        structured_content: structured,
        is_error,
        meta,
    }
}

async fn tools_call(
    params: Params<'static>,
    core: Arc<EngineCore>,
    ext: Extensions,
) -> RpcResult<CallToolResult> {
    let request = ctx(&ext)?;
    let text = params.as_str().unwrap_or("{}");
    let call: CallToolParams<'_> = serde_json::from_str(text).map_err(|_| {
        invalid_params("Invalid params: tools/call needs `name` (a string) and optional `arguments`")
    })?;
    let Some((spec, tool)) = core.tools.get(&call.name) else {
        return Err(ErrorObjectOwned::owned(
            codes::INVALID_PARAMS,
            format!("Unknown tool: {}", call.name),
            Some(json!({ "available": core.tools.specs().map(|s| s.name).collect::<Vec<_>>() })),
        ));
    };
    let progress_token = call
        .meta
        .and_then(|m| serde_json::from_str::<std::collections::BTreeMap<String, Box<RawValue>>>(m.get()).ok())
        .and_then(|m| {
            m.get("progressToken")
                .and_then(|t| serde_json::from_str::<Value>(t.get()).ok())
        })
        .filter(|t| !t.is_null());
    let tool_ctx = ToolContext {
        session: request.session.clone(),
        reply_to: request.reply_to.clone(),
        progress_token,
    };
    let outcome = match Args::from_raw(call.arguments) {
        Ok(args) => tool.call(&core.app, args, &tool_ctx).await,
        Err(err) => Err(err),
    };
    match outcome {
        Ok(output) => {
            let meta = output.meta.filter(|_| request.session.accepts_views());
            Ok(tool_result(output.structured, output.images, meta, false))
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
            Ok(tool_result(
                super::ToolOutput::new(err.to_payload()).structured,
                Vec::new(),
                None,
                true,
            ))
        }
    }
}

fn register(module: &mut RpcModule<EngineCore>) -> Result<(), jsonrpsee::core::RegisterMethodError> {
    module.register_method("ping", |_, _, _| -> RpcResult<Value> { Ok(json!({})) })?;

    module.register_method("tools/list", |params, core, ext| -> RpcResult<Value> {
        check_cursor(&object_params(&params)?)?;
        let views = ctx(ext)?.session.accepts_views();
        Ok(core.tools.list_json_for(views).clone())
    })?;

    module.register_async_method("tools/call", tools_call)?;

    module.register_method("logging/setLevel", |params, _, ext| -> RpcResult<Value> {
        let request = ctx(ext)?;
        let params = object_params(&params)?;
        let level = params
            .get("level")
            .and_then(Value::as_str)
            .and_then(LogLevel::parse)
            .ok_or_else(|| invalid_params("Invalid params: level must be one of debug, info, notice, warning, error, critical, alert, emergency"))?;
        request.session.set_log_level(level);
        Ok(json!({}))
    })?;

    module.register_async_method("resources/list", |params, core, ext| async move {
        check_cursor(&object_params(&params)?)?;
        let views = ctx(&ext)?.session.accepts_views();
        RpcResult::Ok(apps::with_view_resources(resources::list(&core).await, views))
    })?;

    module.register_method("resources/templates/list", |params, _, _| -> RpcResult<Value> {
        check_cursor(&object_params(&params)?)?;
        Ok(resources::templates())
    })?;

    module.register_async_method("resources/read", |params, core, ext| async move {
        let params = object_params(&params)?;
        let uri = params
            .get("uri")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid_params("Invalid params: resources/read needs `uri` (a string)"))?;
        if apps::is_view_uri(uri) {
            let views = ctx(&ext)?.session.accepts_views();
            return apps::read_view(uri, views).ok_or_else(|| resources::not_found(uri));
        }
        resources::read(&core, uri).await
    })?;

    module.register_method("resources/subscribe", |params, core, ext| -> RpcResult<Value> {
        let request = ctx(ext)?;
        let params = object_params(&params)?;
        let uri = params
            .get("uri")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid_params("Invalid params: resources/subscribe needs `uri` (a string)"))?;
        resources::check_exists(core, uri)?;
        let limit = core.limits.max_subscriptions;
        if !request.session.subscribe(uri, limit) {
            return Err(ErrorObjectOwned::owned(
                codes::LIMIT_EXCEEDED,
                format!("Too many subscriptions: at most {limit} per session; unsubscribe from one first"),
                Some(super::Budget::Subscriptions.data(limit)),
            ));
        }
        Ok(json!({}))
    })?;

    module.register_method("resources/unsubscribe", |params, _, ext| -> RpcResult<Value> {
        let request = ctx(ext)?;
        let params = object_params(&params)?;
        let uri = params
            .get("uri")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid_params("Invalid params: resources/unsubscribe needs `uri` (a string)"))?;
        request.session.unsubscribe(uri);
        Ok(json!({}))
    })?;

    module.register_method("prompts/list", |params, _, _| -> RpcResult<Value> {
        check_cursor(&object_params(&params)?)?;
        Ok(prompts::list())
    })?;

    module.register_method("prompts/get", |params, core, _| -> RpcResult<Value> {
        let params = object_params(&params)?;
        prompts::get(&params, &core.app.unannounced())
    })?;

    module.register_async_method("completion/complete", |params, core, _| async move {
        let params = object_params(&params)?;
        completion::complete(&core, &params).await
    })?;
    Ok(())
}

/// Builds the method table over `core`.
pub(crate) fn build(core: Arc<EngineCore>) -> Methods {
    let mut module = RpcModule::from_arc(core);
    if let Err(err) = register(&mut module) {
        // Names are static and distinct; a duplicate is a programming error caught by tests.
        tracing::error!(error = %err, "registering MCP methods failed");
    }
    module.into()
}
