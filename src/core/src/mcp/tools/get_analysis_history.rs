//! `get_analysis_history`: saved analyses, newest first.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{Args, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::App;
use crate::domain::AnalysisRecord;
use crate::error::AppError;
use crate::mcp::schema::{array, boolean, integer, object, string};

/// The `get_analysis_history` tool.
pub(crate) struct GetAnalysisHistory;

/// An analysis as listed; the full result only when asked.
pub(crate) fn analysis_json(record: &AnalysisRecord, with_result: bool) -> Value {
    let mut value = json!({
        "id": record.id.0,
        "symbol": record.symbol.as_str(),
        "kind": record.kind,
        "strategy": record.strategy,
        "created_at": record.created_at.to_string(),
        "source": record.source,
        "summary": record.summary,
    });
    if with_result && let Some(map) = value.as_object_mut() {
        map.insert("result".into(), record.result.clone());
    }
    value
}

pub(crate) fn analysis_schema() -> Value {
    object(
        &[
            ("id", string("analysis id", false)),
            ("symbol", string("analysed underlying", false)),
            ("kind", string("full_analysis, chart or options", false)),
            ("strategy", string("strategy analysed", true)),
            ("created_at", string("when (market clock)", false)),
            ("source", string("data source of the analysis", false)),
            ("summary", string("the recommendation in a few words", false)),
            (
                "result",
                json!({"type": "object", "description": "the full analysis (with include_details)"}),
            ),
        ],
        &["id", "symbol", "kind", "created_at", "source", "summary"],
        false,
    )
}

#[async_trait]
impl Tool for GetAnalysisHistory {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "get_analysis_history",
            title: "Get analysis history",
            description: "Saved analyses (from run_full_analysis), newest first, for one symbol or all; \
                `include_details` adds each full result.",
            input_schema: object(
                &[
                    ("symbol", string("only this underlying", false)),
                    (
                        "limit",
                        json!({"type": "integer", "minimum": 1, "maximum": 100, "default": 10, "description": "at most this many"}),
                    ),
                    (
                        "include_details",
                        boolean("include each analysis's full result (default false)"),
                    ),
                ],
                &[],
                true,
            ),
            output_schema: object(
                &[
                    (
                        "analyses",
                        array("saved analyses, newest first", analysis_schema()),
                    ),
                    ("count", integer("number returned", false)),
                    ("symbol", string("the filter applied", true)),
                ],
                &["analyses", "count", "symbol"],
                false,
            ),
            read_only: true,
            destructive: false,
            idempotent: true,
            open_world: false,
        }
    }

    async fn call(&self, app: &App, args: Args, _ctx: &ToolContext) -> Result<ToolOutput, AppError> {
        args.only(&["symbol", "limit", "include_details"])?;
        let symbol = args.symbol("symbol")?;
        let limit = args.int("limit", 1, 100)?.unwrap_or(10) as usize;
        let details = args.bool("include_details")?.unwrap_or(false);
        let records = app.store().list_analyses(symbol.as_ref(), limit).await?;
        let list: Vec<Value> = records.iter().map(|r| analysis_json(r, details)).collect();
        Ok(ToolOutput::new(json!({
            "analyses": list,
            "count": records.len(),
            "symbol": symbol.map(|s| s.to_string()),
        })))
    }
}
