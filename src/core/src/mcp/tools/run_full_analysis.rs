//! `run_full_analysis`: chart + options + account + recommendation, saved to history.

use async_trait::async_trait;
use serde_json::json;

use super::analyze_chart::chart_analysis_schema;
use super::analyze_options::options_analysis_schema;
use super::{Args, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::App;
use crate::app::analysis::{Progress, Strategy};
use crate::error::AppError;
use crate::mcp::schema::{array, enumeration, object, props, source_fields, string};

/// The `run_full_analysis` tool.
pub(crate) struct RunFullAnalysis;

struct ToolProgress<'a>(&'a ToolContext);

impl Progress for ToolProgress<'_> {
    fn report(&self, done: f64, total: f64, message: &str) {
        self.0.progress(done, Some(total), message);
    }
}

#[async_trait]
impl Tool for RunFullAnalysis {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "run_full_analysis",
            title: "Run full analysis",
            description: "The complete workflow for one trade idea: the daily chart analysis, the ranked options \
                candidates for the strategy, the account's context (existing exposure to the symbol, buying power \
                against the candidate's capital) and a recommendation (sell, wait or avoid) with its reasons, \
                cautions and how to manage the trade, plus relevant knowledge passages. The result is saved and \
                listed by get_analysis_history. Sends progress notifications when the request has a progressToken.",
            input_schema: object(
                &[
                    ("symbol", string("underlying ticker", false)),
                    (
                        "strategy",
                        enumeration("trade type", &["csp", "covered_call", "spread"]),
                    ),
                ],
                &["symbol", "strategy"],
                true,
            ),
            output_schema: object(
                &props(&[
                    &[
                        ("symbol", string("the underlying", false)),
                        (
                            "strategy",
                            enumeration("strategy", &["csp", "covered_call", "spread"]),
                        ),
                        ("as_of", string("market time", false)),
                        (
                            "recommendation",
                            object(
                                &[
                                    ("action", enumeration("what to do", &["sell", "wait", "avoid"])),
                                    ("headline", string("one line", false)),
                                    (
                                        "candidate",
                                        json!({"type": ["object", "null"], "description": "the trade, when the action is sell"}),
                                    ),
                                    ("reasons", array("why", json!({"type": "string"}))),
                                    (
                                        "cautions",
                                        array("what speaks against it", json!({"type": "string"})),
                                    ),
                                    (
                                        "management",
                                        array("how to manage it once open", json!({"type": "string"})),
                                    ),
                                ],
                                &[
                                    "action",
                                    "headline",
                                    "candidate",
                                    "reasons",
                                    "cautions",
                                    "management",
                                ],
                                false,
                            ),
                        ),
                        ("chart", chart_analysis_schema(false)),
                        ("options", options_analysis_schema()),
                        (
                            "account",
                            json!({"type": "object", "description": "net liq, buying power, positions in the symbol, exposure, candidate capital and whether it fits"}),
                        ),
                        (
                            "knowledge_notes",
                            array("knowledge passages", json!({"type": "object"})),
                        ),
                        ("analysis_id", string("saved analysis id", false)),
                    ],
                    &source_fields(),
                ]),
                &[
                    "symbol",
                    "strategy",
                    "as_of",
                    "recommendation",
                    "chart",
                    "options",
                    "account",
                    "knowledge_notes",
                    "analysis_id",
                    "source",
                    "synthetic",
                ],
                false,
            ),
            read_only: false,
            destructive: false,
            idempotent: false,
            open_world: true,
        }
    }

    async fn call(&self, app: &App, args: Args, ctx: &ToolContext) -> Result<ToolOutput, AppError> {
        args.only(&["symbol", "strategy"])?;
        let symbol = args.required_symbol("symbol")?;
        let text = args.required_str("strategy")?;
        let strategy = Strategy::parse(text).ok_or_else(|| {
            AppError::invalid(
                "strategy",
                format!("must be csp, covered_call or spread, got {text:?}"),
            )
        })?;
        ctx.progress(0.0, Some(5.0), "starting");
        let analysis = app
            .run_full_analysis(&symbol, strategy, &ToolProgress(ctx))
            .await?;
        Ok(ToolOutput::serialize(&analysis))
    }
}
