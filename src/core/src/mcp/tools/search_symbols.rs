//! `search_symbols`: find tickers by symbol or name.

use async_trait::async_trait;
use serde_json::{Map, Value, json};

use super::{Args, Tool, ToolContext, ToolOutput, ToolSpec, with_source};
use crate::app::App;
use crate::error::AppError;
use crate::mcp::schema::{array, boolean, integer, object, props, source_fields, string};

/// The `search_symbols` tool.
pub(crate) struct SearchSymbols;

#[async_trait]
impl Tool for SearchSymbols {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "search_symbols",
            title: "Search symbols",
            description: "Find tickers whose symbol or name matches a query (e.g. `apple`, `SP`), best matches first.",
            input_schema: object(
                &[
                    (
                        "query",
                        json!({"type": "string", "minLength": 1, "maxLength": 64, "description": "a ticker prefix or words of the name"}),
                    ),
                    (
                        "limit",
                        json!({"type": "integer", "minimum": 1, "maximum": 50, "default": 10, "description": "at most this many results"}),
                    ),
                ],
                &["query"],
                true,
            ),
            output_schema: object(
                &props(&[
                    &[
                        ("query", string("the query as searched", false)),
                        (
                            "results",
                            array(
                                "matching instruments",
                                object(
                                    &[
                                        ("symbol", string("ticker", false)),
                                        ("description", string("name", false)),
                                        ("instrument_type", string("equity, index, ...", true)),
                                        (
                                            "has_options",
                                            json!({"type": ["boolean", "null"], "description": "whether options are listed"}),
                                        ),
                                    ],
                                    &["symbol", "description"],
                                    false,
                                ),
                            ),
                        ),
                        ("count", integer("number of results", false)),
                        ("truncated", boolean("true when more matches exist than `limit`")),
                    ],
                    &source_fields(),
                ]),
                &["query", "results", "count", "source", "synthetic"],
                false,
            ),
            read_only: true,
            destructive: false,
            idempotent: true,
            open_world: true,
            long_running: false,
        }
    }

    async fn call(&self, app: &App, args: Args, _ctx: &ToolContext) -> Result<ToolOutput, AppError> {
        args.only(&["query", "limit"])?;
        let query = args.required_str("query")?.trim();
        if query.is_empty() {
            return Err(AppError::invalid("query", "must not be empty"));
        }
        if query.chars().count() > 64 {
            return Err(AppError::invalid("query", "must be at most 64 characters"));
        }
        let limit = args.int("limit", 1, 50)?.unwrap_or(10) as usize;
        let mut matches = app.broker().search_symbols(query, limit + 1).await?;
        let truncated = matches.len() > limit;
        matches.truncate(limit);
        let results: Vec<Value> = matches
            .iter()
            .map(|m| {
                json!({
                    "symbol": m.symbol.as_str(),
                    "description": m.description,
                    "instrument_type": m.instrument_type.map(|t| serde_json::to_value(t).unwrap_or(Value::Null)),
                    "has_options": m.has_options,
                })
            })
            .collect();
        let mut fields = Map::new();
        fields.insert("query".into(), query.into());
        fields.insert("count".into(), results.len().into());
        fields.insert("results".into(), Value::Array(results));
        fields.insert("truncated".into(), truncated.into());
        Ok(ToolOutput::new(with_source(app, fields)))
    }
}
