//! MCP resources: read-only views a client can attach to a conversation.

use jsonrpsee::types::ErrorObjectOwned;
use serde_json::{Value, json};

use super::EngineCore;
use super::envelope::codes;
use super::methods::app_failure;
use super::modern::CacheHint;
use super::tools::get_analysis_history::{analyses_json, analysis_json};
use super::tools::search_knowledge::document_uri;
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
    StaticResource {
        uri: "portfolio://risk",
        name: "portfolio-risk",
        title: "Portfolio risk",
        description: "The default account's book: greeks, beta-weighted delta, buying power, concentration, the default scenario grid and management signals (get_portfolio_risk with its defaults).",
    },
    StaticResource {
        uri: "alerts://active",
        name: "active-alerts",
        title: "Active price alerts",
        description: "Price alerts being watched. Subscribe to hear when one is added, removed or fires.",
    },
    StaticResource {
        uri: "history://analyses",
        name: "analysis-history",
        title: "Analysis history",
        description: "Saved analyses of every symbol, newest first (the 50 latest).",
    },
    StaticResource {
        uri: crate::app::orders::AUDIT_URI,
        name: "order-audit-log",
        title: "Order audit log",
        description: "Every order preview, confirmation asked and answered, order placed or refused and cancel, newest first (the 30 latest), with the order's fingerprint. Subscribe to hear of new entries.",
    },
];

/// Audit entries the resource shows.
const AUDIT_ENTRIES: usize = 30;

/// The history template's prefix.
const HISTORY_PREFIX: &str = "history://analyses/";
/// The strategy template's prefix.
const STRATEGY_PREFIX: &str = "knowledge://options/strategies/";
/// Knowledge documents' prefix.
const DOCUMENT_PREFIX: &str = "knowledge://documents/";

pub(crate) async fn list(core: &EngineCore) -> Value {
    let mut resources: Vec<Value> = STATIC
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
    let base = core.app.knowledge().await;
    for document in base.documents() {
        resources.push(json!({
            "uri": document_uri(&document.path),
            "name": document.path,
            "title": document.title,
            "description": format!("Knowledge: {} ({})", document.title, match document.origin {
                crate::knowledge::Origin::Builtin => "built-in",
                crate::knowledge::Origin::User => "your document",
            }),
            "mimeType": "text/markdown",
        }));
    }
    json!({ "resources": resources })
}

pub(crate) fn templates() -> Value {
    json!({ "resourceTemplates": [
        {
            "uriTemplate": "history://analyses/{symbol}",
            "name": "analysis-history-by-symbol",
            "title": "Analysis history of a symbol",
            "description": "Saved analyses of one underlying, newest first: the newest with their full results (as many as fit in about 12 KB), the others as summaries (details_left_out counts them).",
            "mimeType": "application/json"
        },
        {
            "uriTemplate": "knowledge://options/strategies/{strategy}",
            "name": "strategy-guide",
            "title": "Options strategy guide",
            "description": "The knowledge document of one strategy: cash-secured-put, covered-call, wheel, bull-put-spread, bear-call-spread, iron-condor, short-strangle, calendar-spread (and the user's own).",
            "mimeType": "text/markdown"
        }
    ] })
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
    let templated = uri
        .strip_prefix(HISTORY_PREFIX)
        .is_some_and(|s| crate::domain::Symbol::parse(s).is_ok())
        || uri.starts_with(STRATEGY_PREFIX)
        || uri.starts_with(DOCUMENT_PREFIX);
    if STATIC.iter().any(|r| r.uri == uri) || templated {
        Ok(())
    } else {
        Err(not_found(uri))
    }
}

/// A knowledge document and its freshness: built-in documents are compiled in, the user's
/// change when the user edits the knowledge folder.
fn markdown_contents(uri: &str, document: &crate::knowledge::Document) -> (Value, CacheHint) {
    let text = format!("# {}\n\n{}", document.title, document.body.trim_start());
    let hint = match document.origin {
        crate::knowledge::Origin::Builtin => CacheHint::STATIC,
        crate::knowledge::Origin::User => CacheHint::USER_DOCUMENTS,
    };
    (
        json!({ "contents": [{ "uri": uri, "mimeType": "text/markdown", "text": text }] }),
        hint,
    )
}

/// Account data, alerts and analyses: live, private.
fn json_contents(uri: &str, value: &Value) -> (Value, CacheHint) {
    (
        json!({ "contents": [{ "uri": uri, "mimeType": "application/json", "text": value.to_string() }] }),
        CacheHint::LIVE,
    )
}

fn to_value<T: serde::Serialize>(value: &T) -> Result<Value, ErrorObjectOwned> {
    serde_json::to_value(value).map_err(|_| app_failure(&AppError::internal("serialising a resource")))
}

/// A resource's contents and their freshness hint (`ttlMs`/`cacheScope` under MCP 2026-07-28).
pub(crate) async fn read(core: &EngineCore, uri: &str) -> Result<(Value, CacheHint), ErrorObjectOwned> {
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
        "portfolio://risk" => {
            let request = crate::app::portfolio_risk::RiskRequest::default_book();
            let (report, _) = app.portfolio_risk(&request).await.map_err(|e| app_failure(&e))?;
            Ok(json_contents(uri, &to_value(&report)?))
        }
        "alerts://active" => {
            let alerts = app
                .list_alerts(Some(crate::domain::AlertStatus::Active))
                .await
                .map_err(|e| app_failure(&e))?;
            let list: Vec<Value> = alerts.iter().map(crate::app::alert_json).collect();
            Ok(json_contents(
                uri,
                &json!({ "alerts": list, "count": list.len() }),
            ))
        }
        "history://analyses" => {
            let records = app
                .store()
                .list_analyses(None, 50)
                .await
                .map_err(|e| app_failure(&e.into()))?;
            let list: Vec<Value> = records.iter().map(|r| analysis_json(r, false)).collect();
            Ok(json_contents(
                uri,
                &json!({ "analyses": list, "count": list.len() }),
            ))
        }
        crate::app::orders::AUDIT_URI => {
            let entries = app.audit_log(AUDIT_ENTRIES).await.map_err(|e| app_failure(&e))?;
            Ok(json_contents(
                uri,
                &json!({ "entries": to_value(&entries)?, "count": entries.len() }),
            ))
        }
        _ if uri.starts_with(STRATEGY_PREFIX) => {
            let name = uri.get(STRATEGY_PREFIX.len()..).unwrap_or_default();
            let base = app.knowledge().await;
            match base.strategy(name) {
                Some(document) => Ok(markdown_contents(uri, document)),
                None => Err(ErrorObjectOwned::owned(
                    codes::RESOURCE_NOT_FOUND,
                    format!(
                        "Unknown strategy {name:?}; known strategies: {}",
                        base.strategy_names().join(", ")
                    ),
                    Some(json!({ "uri": uri, "strategies": base.strategy_names() })),
                )),
            }
        }
        _ if uri.starts_with(DOCUMENT_PREFIX) => {
            let path = uri.get(DOCUMENT_PREFIX.len()..).unwrap_or_default();
            let base = app.knowledge().await;
            base.document(path)
                .map(|d| markdown_contents(uri, d))
                .ok_or_else(|| not_found(uri))
        }
        _ => match uri.strip_prefix(HISTORY_PREFIX).map(crate::domain::Symbol::parse) {
            Some(Ok(symbol)) => {
                let records = app
                    .store()
                    .list_analyses(Some(&symbol), 50)
                    .await
                    .map_err(|e| app_failure(&e.into()))?;
                let (list, left_out) = analyses_json(&records, true);
                Ok(json_contents(
                    uri,
                    &json!({ "symbol": symbol.as_str(), "analyses": list, "count": list.len(), "details_left_out": left_out }),
                ))
            }
            _ => Err(not_found(uri)),
        },
    }
}
