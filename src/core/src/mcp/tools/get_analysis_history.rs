//! `get_analysis_history`: saved analyses, newest first.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{Args, Hints, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::App;
use crate::domain::AnalysisRecord;
use crate::error::AppError;
use crate::mcp::schema::{boolean, derived, object, string};
use crate::time::Timestamp;

/// The `get_analysis_history` tool.
pub(crate) struct GetAnalysisHistory;

/// The most bytes of full results one answer carries: the newest analyses keep theirs (the
/// newest always), older ones are listed without it (`details_left_out`).
const DETAILS_BYTES: usize = 12 * 1024;

/// One saved analysis as the tool and the `analyses://` resources show it.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub(crate) struct AnalysisView<'a> {
    /// Analysis id.
    id: &'a str,
    /// Analysed underlying.
    symbol: &'a str,
    /// full_analysis, chart or options.
    kind: &'a str,
    /// Strategy analysed.
    strategy: Option<&'a str>,
    /// When (market clock).
    created_at: Timestamp,
    /// Data source of the analysis.
    source: &'a str,
    /// The recommendation in a few words.
    summary: &'a str,
    /// The full analysis (with include_details).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "any_object")]
    result: Option<Value>,
}

/// A JSON object of any shape.
fn any_object(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({ "type": "object" })
}

impl<'a> AnalysisView<'a> {
    /// The view of `record`, with its full result when `with_result`.
    fn of(record: &'a AnalysisRecord, with_result: bool) -> AnalysisView<'a> {
        let result = with_result.then(|| {
            let mut result = record.result.clone();
            if record.kind == "full_analysis" {
                super::run_full_analysis::summarise_options(&mut result);
            }
            result
        });
        AnalysisView {
            id: &record.id.0,
            symbol: record.symbol.as_str(),
            kind: &record.kind,
            strategy: record.strategy.as_deref(),
            created_at: record.created_at,
            source: &record.source,
            summary: &record.summary,
            result,
        }
    }
}

/// The analyses, the newest with their full results when `details`, as many as fit in
/// [`DETAILS_BYTES`] (always the newest); the second value counts those left without.
fn analysis_views(records: &[AnalysisRecord], details: bool) -> (Vec<AnalysisView<'_>>, usize) {
    let (mut used, mut left_out) = (0usize, 0usize);
    let list = records
        .iter()
        .map(|record| {
            if !details {
                return AnalysisView::of(record, false);
            }
            let full = AnalysisView::of(record, true);
            let size = serde_json::to_string(&full).map_or(0, |text| text.len());
            if used > 0 && used + size > DETAILS_BYTES {
                left_out += 1;
                return AnalysisView::of(record, false);
            }
            used += size;
            full
        })
        .collect();
    (list, left_out)
}

/// [`analysis_views`] as JSON values.
pub(crate) fn analyses_json(records: &[AnalysisRecord], details: bool) -> (Vec<Value>, usize) {
    let (views, left_out) = analysis_views(records, details);
    let list = views
        .iter()
        .map(|view| serde_json::to_value(view).unwrap_or(Value::Null))
        .collect();
    (list, left_out)
}

/// One analysis as JSON ([`AnalysisView`]).
pub(crate) fn analysis_json(record: &AnalysisRecord, with_result: bool) -> Value {
    serde_json::to_value(AnalysisView::of(record, with_result)).unwrap_or(Value::Null)
}

/// The tool's answer.
#[derive(serde::Serialize, schemars::JsonSchema)]
struct Output<'a> {
    /// Saved analyses, newest first.
    analyses: Vec<AnalysisView<'a>>,
    /// Number returned.
    count: usize,
    /// The filter applied.
    symbol: Option<&'a str>,
    /// Analyses listed without the full result asked for, to keep the answer small.
    details_left_out: usize,
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
            output_schema: derived::<Output<'static>>,
            hints: Hints::READS_LOCAL,
        }
    }

    async fn call(&self, app: &App, args: Args, _ctx: &ToolContext) -> Result<ToolOutput, AppError> {
        args.only(&["symbol", "limit", "include_details"])?;
        let symbol = args.symbol("symbol")?;
        let limit = args.int("limit", 1, 100)?.unwrap_or(10) as usize;
        let details = args.bool("include_details")?.unwrap_or(false);
        let records = app.store().list_analyses(symbol.as_ref(), limit).await?;
        let (analyses, details_left_out) = analysis_views(&records, details);
        Ok(ToolOutput::serialize(&Output {
            analyses,
            count: records.len(),
            symbol: symbol.as_ref().map(|s| s.as_str()),
            details_left_out,
        }))
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
