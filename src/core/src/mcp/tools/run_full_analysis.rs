//! `run_full_analysis`: chart + options + account + recommendation, saved to history.

use async_trait::async_trait;
use serde_json::json;

use super::analyze_chart::chart_analysis_schema;
use super::analyze_options::{
    RISK_ARGS, account_schema, options_analysis_schema, risk_arg_schemas, risk_args, strategy_arg,
};
use super::{Args, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::App;
use crate::app::analysis::{FullOptions, Progress};
use crate::error::AppError;
use crate::mcp::schema::{array, enumeration, integer, object, props, source_fields, string};

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
                candidates for the strategy, the account's context (positions in the symbol with their open price \
                and P&L, exposure to it, option buying power in use, the caps) and a recommendation (sell, wait or \
                avoid) with how many contracts fit, the order at a limit price on the tick, its reasons, its \
                cautions by severity (any blocking one means wait or avoid) and how to manage the trade, plus \
                relevant knowledge passages. The result is saved and listed by get_analysis_history. Sends \
                progress notifications when the request has a progressToken.",
            input_schema: object(
                &props(&[
                    &[
                        ("symbol", string("underlying ticker", false)),
                        (
                            "strategy",
                            enumeration("trade type", &["csp", "covered_call", "spread"]),
                        ),
                    ],
                    &risk_arg_schemas(),
                    &[(
                        "contracts",
                        json!({"type": "integer", "minimum": 1, "maximum": 10000, "description": "contracts you mean to sell (default 1); the recommendation never exceeds what fits the caps"}),
                    )],
                ]),
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
                                    (
                                        "contracts",
                                        integer(
                                            "contracts to sell (when the action is sell): the `contracts` asked for (default 1), never more than fit the caps",
                                            true,
                                        ),
                                    ),
                                    (
                                        "order",
                                        string(
                                            "the order at its limit price (when the action is sell)",
                                            true,
                                        ),
                                    ),
                                    (
                                        "reasons",
                                        array(
                                            "why; the first states the decision",
                                            json!({"type": "string"}),
                                        ),
                                    ),
                                    (
                                        "cautions",
                                        array(
                                            "what speaks against it, most severe first",
                                            object(
                                                &[
                                                    (
                                                        "severity",
                                                        enumeration(
                                                            "weight",
                                                            &["blocking", "major", "minor"],
                                                        ),
                                                    ),
                                                    ("code", string("stable name", false)),
                                                    ("message", string("what, with the numbers", false)),
                                                ],
                                                &["severity", "code", "message"],
                                                false,
                                            ),
                                        ),
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
                                    "contracts",
                                    "order",
                                    "reasons",
                                    "cautions",
                                    "management",
                                ],
                                false,
                            ),
                        ),
                        ("chart", chart_analysis_schema(false)),
                        ("options", options_analysis_schema()),
                        ("account", account_schema()),
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
        let mut known = vec!["symbol", "strategy", "contracts"];
        known.extend(RISK_ARGS);
        args.only(&known)?;
        let symbol = args.required_symbol("symbol")?;
        let strategy = strategy_arg(&args)?;
        let mut request = app.options_defaults(strategy);
        risk_args(&args, &mut request)?;
        let overrides = FullOptions {
            allow_below_basis: request.allow_below_basis,
            allow_earnings: request.allow_earnings,
            max_exposure_percent: request.max_exposure_percent,
            max_bp_usage_percent: request.max_bp_usage_percent,
            min_credit_to_width: Some(request.min_credit_to_width),
            contracts: args.int("contracts", 1, 10_000)?,
        };
        ctx.progress(0.0, Some(5.0), "starting");
        let analysis = app
            .run_full_analysis_with(&symbol, strategy, &overrides, &ToolProgress(ctx))
            .await?;
        Ok(ToolOutput::serialize(&analysis))
    }
}
