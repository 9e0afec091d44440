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

/// The most bytes of full results one answer carries: the newest analyses keep theirs (the
/// newest always), older ones are listed without it (`details_left_out`).
const DETAILS_BYTES: usize = 12 * 1024;

/// Saved analyses as listed, newest first, with their full results when `details` (within
/// [`DETAILS_BYTES`]); and how many were listed without the full result they would have had.
pub(crate) fn analyses_json(records: &[AnalysisRecord], details: bool) -> (Vec<Value>, usize) {
    let (mut used, mut left_out) = (0usize, 0usize);
    let list = records
        .iter()
        .map(|record| {
            if !details {
                return analysis_json(record, false);
            }
            let full = analysis_json(record, true);
            let size = serde_json::to_string(&full).map_or(0, |text| text.len());
            if used > 0 && used + size > DETAILS_BYTES {
                left_out += 1;
                return analysis_json(record, false);
            }
            used += size;
            full
        })
        .collect();
    (list, left_out)
}

/// An analysis as listed; the full result only when asked (a full analysis as
/// `run_full_analysis` answers it: the account once, the candidates as rows).
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
        let mut result = record.result.clone();
        if record.kind == "full_analysis" {
            super::run_full_analysis::summarise_options(&mut result);
        }
        map.insert("result".into(), result);
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
                `include_details` adds the full results of the newest ones, as many as fit in about 12 KB (always \
                the newest); `details_left_out` counts the others (ask for one symbol, or a smaller `limit`).",
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
                    (
                        "details_left_out",
                        integer(
                            "analyses listed without the full result asked for, to keep the answer small",
                            false,
                        ),
                    ),
                ],
                &["analyses", "count", "symbol", "details_left_out"],
                false,
            ),
            read_only: true,
            destructive: false,
            idempotent: true,
            open_world: false,
            long_running: false,
        }
    }

    async fn call(&self, app: &App, args: Args, _ctx: &ToolContext) -> Result<ToolOutput, AppError> {
        args.only(&["symbol", "limit", "include_details"])?;
        let symbol = args.symbol("symbol")?;
        let limit = args.int("limit", 1, 100)?.unwrap_or(10) as usize;
        let details = args.bool("include_details")?.unwrap_or(false);
        let records = app.store().list_analyses(symbol.as_ref(), limit).await?;
        let (list, left_out) = analyses_json(&records, details);
        Ok(ToolOutput::new(json!({
            "analyses": list,
            "count": records.len(),
            "symbol": symbol.map(|s| s.to_string()),
            "details_left_out": left_out,
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AnalysisId, Symbol};

    fn record(n: usize, result_bytes: usize) -> AnalysisRecord {
        AnalysisRecord {
            id: AnalysisId(format!("anl_{n}")),
            symbol: Symbol::parse("SPY").unwrap(),
            kind: "options".into(),
            strategy: Some("csp".into()),
            created_at: "2026-03-02T21:00:00Z".parse().unwrap(),
            source: "replay:demo".into(),
            summary: "sell".into(),
            result: json!({"padding": "x".repeat(result_bytes)}),
        }
    }

    #[test]
    fn full_results_stop_at_the_budget_but_the_newest_always_has_one() {
        let records: Vec<AnalysisRecord> = (0..5).map(|n| record(n, 5_000)).collect();
        let (list, left_out) = analyses_json(&records, true);
        let with: Vec<bool> = list.iter().map(|a| a.get("result").is_some()).collect();
        assert_eq!(with, [true, true, false, false, false]);
        assert_eq!(left_out, 3);
        let huge = [record(9, 50_000)];
        let (list, left_out) = analyses_json(&huge, true);
        assert!(list[0].get("result").is_some() && left_out == 0);
        let (list, left_out) = analyses_json(&records, false);
        assert!(list.iter().all(|a| a.get("result").is_none()) && left_out == 0);
    }
}
