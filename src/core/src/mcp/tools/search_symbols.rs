//! `search_symbols`: find tickers by symbol or name.

use async_trait::async_trait;
use serde_json::json;

use super::{Args, Hints, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::App;
use crate::domain::InstrumentType;
use crate::error::AppError;
use crate::mcp::schema::{derived, object};

/// The `search_symbols` tool.
pub(crate) struct SearchSymbols;

/// One matching instrument.
#[derive(serde::Serialize, schemars::JsonSchema)]
struct MatchView<'a> {
    /// Ticker.
    symbol: &'a str,
    /// Name.
    description: &'a str,
    /// Equity, index, ...
    instrument_type: Option<InstrumentType>,
    /// Whether options are listed.
    has_options: Option<bool>,
}

/// The tool's answer.
#[derive(serde::Serialize, schemars::JsonSchema)]
struct Output<'a> {
    /// The query as searched.
    query: &'a str,
    /// Matching instruments.
    results: Vec<MatchView<'a>>,
    /// Number of results.
    count: usize,
    /// True when more matches exist than `limit`.
    truncated: bool,
    /// Where the data came from: `tastytrade` (live) or `replay:<tape>` (recorded).
    source: String,
    /// True when the data is made up (a demo tape): never real prices.
    synthetic: bool,
}

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
            output_schema: derived::<Output<'static>>,
            hints: Hints::READS_BROKER,
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
        let results: Vec<MatchView<'_>> = matches
            .iter()
            .map(|m| MatchView {
                symbol: m.symbol.as_str(),
                description: &m.description,
                instrument_type: m.instrument_type,
                has_options: m.has_options,
            })
            .collect();
        let source = app.source();
        Ok(ToolOutput::serialize(&Output {
            query,
            count: results.len(),
            results,
            truncated,
            source: source.source,
            synthetic: source.synthetic,
        }))
    }
}
