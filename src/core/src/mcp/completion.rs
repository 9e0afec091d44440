//! `completion/complete`: suggestions for prompt and resource-template arguments.

use jsonrpsee::types::ErrorObjectOwned;
use serde_json::{Map, Value, json};

use super::EngineCore;
use super::methods::invalid_params;

const MAX_VALUES: usize = 100;

fn answer(mut values: Vec<String>) -> Value {
    values.sort();
    values.dedup();
    let total = values.len();
    values.truncate(MAX_VALUES);
    json!({ "completion": { "values": values, "total": total, "hasMore": total > MAX_VALUES } })
}

/// Symbols the user likely means: held underlyings and the broker's search, filtered by prefix.
async fn symbols(core: &EngineCore, prefix: &str) -> Vec<String> {
    let prefix = prefix.trim().to_ascii_uppercase();
    let mut out: Vec<String> = Vec::new();
    if let Ok(view) = core.app.positions_view(None).await {
        out.extend(view.positions.iter().map(|p| p.underlying.clone()));
    }
    if !prefix.is_empty()
        && let Ok(found) = core.app.broker().search_symbols(&prefix, 20).await
    {
        out.extend(found.into_iter().map(|m| m.symbol.to_string()));
    }
    out.retain(|s| s.starts_with(&prefix));
    out
}

pub(crate) async fn complete(
    core: &EngineCore,
    params: &Map<String, Value>,
) -> Result<Value, ErrorObjectOwned> {
    let reference = params
        .get("ref")
        .and_then(Value::as_object)
        .ok_or_else(|| invalid_params("Invalid params: completion/complete needs `ref`"))?;
    let argument = params
        .get("argument")
        .and_then(Value::as_object)
        .ok_or_else(|| invalid_params("Invalid params: completion/complete needs `argument`"))?;
    let arg_name = argument.get("name").and_then(Value::as_str).unwrap_or_default();
    let value = argument.get("value").and_then(Value::as_str).unwrap_or_default();
    match reference.get("type").and_then(Value::as_str) {
        Some("ref/prompt") => {
            let name = reference.get("name").and_then(Value::as_str).unwrap_or_default();
            match (name, arg_name) {
                ("analyze-for-csp" | "position-review", "symbol") => Ok(answer(symbols(core, value).await)),
                ("analyze-for-csp" | "position-review" | "morning-briefing" | "iv-rank-scan", _) => {
                    Ok(answer(Vec::new()))
                }
                _ => Err(invalid_params(format!("Invalid params: unknown prompt {name}"))),
            }
        }
        Some("ref/resource") => {
            let uri = reference.get("uri").and_then(Value::as_str).unwrap_or_default();
            match (uri, arg_name) {
                ("history://analyses/{symbol}", "symbol") => {
                    let prefix = value.trim().to_ascii_uppercase();
                    let mut values: Vec<String> = core
                        .app
                        .store()
                        .analysed_symbols()
                        .await
                        .unwrap_or_default()
                        .into_iter()
                        .map(|s| s.to_string())
                        .collect();
                    values.extend(symbols(core, value).await);
                    values.retain(|s| s.starts_with(&prefix));
                    Ok(answer(values))
                }
                ("knowledge://options/strategies/{strategy}", "strategy") => {
                    let prefix = value.trim().to_ascii_lowercase();
                    let mut names = core.app.knowledge().await.strategy_names();
                    names.retain(|n| n.starts_with(&prefix));
                    Ok(answer(names))
                }
                _ => Err(invalid_params(format!(
                    "Invalid params: no completions for {uri} argument {arg_name}"
                ))),
            }
        }
        _ => Err(invalid_params(
            "Invalid params: ref.type must be ref/prompt or ref/resource",
        )),
    }
}
