//! MCP resources: read-only views a client can attach to a conversation.

use jsonrpsee::types::ErrorObjectOwned;
use serde_json::{Value, json};

use super::EngineCore;
use super::envelope::codes;
use super::methods::app_failure;
use crate::error::AppError;

struct StaticResource {
    uri: &'static str,
    name: &'static str,
    title: &'static str,
    description: &'static str,
}

const STATIC: &[StaticResource] = &[
    StaticResource {
        uri: "portfolio://positions",
        name: "positions",
        title: "Open positions",
        description: "Open positions of the default account with marks, P&L and days to expiration.",
    },
    StaticResource {
        uri: "portfolio://balances",
        name: "balances",
        title: "Account balances",
        description: "Net liquidating value, cash, buying power and maintenance requirement of the default account.",
    },
];

pub(crate) fn list(_core: &EngineCore) -> Value {
    let resources: Vec<Value> = STATIC
        .iter()
        .map(|r| {
            json!({
                "uri": r.uri,
                "name": r.name,
                "title": r.title,
                "description": r.description,
                "mimeType": "application/json",
            })
        })
        .collect();
    json!({ "resources": resources })
}

pub(crate) fn templates() -> Value {
    json!({ "resourceTemplates": [] })
}

pub(crate) fn not_found(uri: &str) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(
        codes::RESOURCE_NOT_FOUND,
        format!("Resource not found: {uri}"),
        Some(json!({ "uri": uri })),
    )
}

/// Refuses URIs that name no resource.
pub(crate) fn check_exists(_core: &EngineCore, uri: &str) -> Result<(), ErrorObjectOwned> {
    if STATIC.iter().any(|r| r.uri == uri) {
        Ok(())
    } else {
        Err(not_found(uri))
    }
}

fn json_contents(uri: &str, value: &Value) -> Value {
    json!({ "contents": [{ "uri": uri, "mimeType": "application/json", "text": value.to_string() }] })
}

fn to_value<T: serde::Serialize>(value: &T) -> Result<Value, ErrorObjectOwned> {
    serde_json::to_value(value).map_err(|_| app_failure(&AppError::internal("serialising a resource")))
}

pub(crate) async fn read(core: &EngineCore, uri: &str) -> Result<Value, ErrorObjectOwned> {
    let app = &core.app;
    match uri {
        "portfolio://positions" => {
            let view = app.positions_view(None).await.map_err(|e| app_failure(&e))?;
            Ok(json_contents(uri, &to_value(&view)?))
        }
        "portfolio://balances" => {
            let view = app.balances_view(None).await.map_err(|e| app_failure(&e))?;
            Ok(json_contents(uri, &to_value(&view)?))
        }
        _ => Err(not_found(uri)),
    }
}
