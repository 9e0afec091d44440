//! `run_full_analysis`: chart + options + account + recommendation, saved to history.

use async_trait::async_trait;
use serde_json::{Map, Value, json};

use super::analyze_chart::chart_analysis_schema;
use super::analyze_options::{RISK_ARGS, risk_arg_schemas, risk_args, strategy_arg};
use super::{Args, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::App;
use crate::app::analysis::{AccountContext, FullOptions, OptionsAnalysis, Progress};
use crate::error::AppError;
use crate::mcp::schema::{
    array, derived, enumeration, integer, number, object, props, source_fields, string,
};

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
                        ("chart", chart_analysis_schema()),
                        ("options", options_summary_schema()),
                        ("account", derived::<AccountContext>()),
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
            long_running: true,
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
        let mut value =
            serde_json::to_value(&analysis).map_err(|_| AppError::internal("serialising the analysis"))?;
        summarise_options(&mut value);
        Ok(ToolOutput::new(value))
    }
}

/// The figures of a candidate the ranking table keeps, each a top-level field of the candidate.
const ROW_FIELDS: [&str; 15] = [
    "rank",
    "kind",
    "expiration",
    "dte",
    "short_strike",
    "long_strike",
    "credit",
    "credit_per_contract",
    "max_loss",
    "breakeven",
    "pop",
    "expected_value",
    "ev_per_dollar_at_risk",
    "return_on_capital_percent",
    "annualized_return_percent",
];

/// The answer stays sized for a model: the account is given once (at the top level, not again
/// under `options`), and the ranked candidates as one row each with the figures that rank and
/// size them; the recommended trade keeps every detail under `recommendation.candidate`, and
/// analyze_options gives every candidate's legs, greeks, levels and sizing, and the method's
/// prose (only its figures stay here). Works on the JSON of a
/// full analysis, so a saved one (get_analysis_history) reads the same; rows stay rows.
pub(crate) fn summarise_options(value: &mut Value) {
    let Some(options) = value.get_mut("options").and_then(Value::as_object_mut) else {
        return;
    };
    options.remove("account");
    // The method's figures stay; its prose (the same in every answer) is analyze_options'.
    if let Some(Value::Object(method)) = options.get_mut("method")
        && !method.contains_key("explained_by")
    {
        method.retain(|key, v| !v.is_string() || key == "quotes_at");
        method.insert(
            "explained_by".into(),
            "analyze_options: its `method` says how every figure is computed".into(),
        );
    }
    let Some(Value::Array(candidates)) = options.get_mut("candidates") else {
        return;
    };
    for candidate in candidates.iter_mut() {
        if candidate.get("legs").is_none() {
            continue;
        }
        let mut row: Map<String, Value> = ROW_FIELDS
            .iter()
            .filter_map(|key| candidate.get(*key).map(|v| ((*key).to_owned(), v.clone())))
            .collect();
        let pick = |pointer: &str| candidate.pointer(pointer).cloned().unwrap_or(Value::Null);
        row.insert("natural".into(), pick("/price/natural"));
        row.insert("contracts_fit".into(), pick("/sizing/contracts"));
        row.insert("limited_by".into(), pick("/sizing/limited_by"));
        *candidate = Value::Object(row);
    }
}

/// `options` of the answer: the options analysis without the account, its candidates as rows.
fn options_summary_schema() -> Value {
    let mut schema = derived::<OptionsAnalysis>();
    if let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        properties.remove("account");
        properties.insert(
            "method".into(),
            json!({"type": "object", "description": "the method's figures (rates, minimum credit / width, quotes_at); explained_by names the tool whose method says how every figure is computed"}),
        );
        properties.insert(
            "candidates".into(),
            array(
                "every ranked candidate, best first, as one row (analyze_options has each one's legs, greeks, levels and sizing; the recommended one is in full under recommendation.candidate)",
                object(
                    &[
                        ("rank", integer("1 is best", false)),
                        ("kind", string("csp, covered_call, bull_put_spread or bear_call_spread", false)),
                        ("expiration", string("YYYY-MM-DD", false)),
                        ("dte", integer("days to expiration", false)),
                        ("short_strike", number("short strike", false)),
                        ("long_strike", number("long strike (spreads)", true)),
                        ("credit", number("limit price: net credit per share on the tick", false)),
                        ("natural", number("the natural price beside it", false)),
                        ("credit_per_contract", number("credit × 100", false)),
                        ("max_loss", number("per contract", false)),
                        ("breakeven", number("at expiration", false)),
                        ("pop", number("probability of profit", false)),
                        ("expected_value", number("per contract, at the model volatility", false)),
                        ("ev_per_dollar_at_risk", number("the ranking", false)),
                        ("return_on_capital_percent", number("credit / capital", false)),
                        ("annualized_return_percent", number("× 365 / DTE", false)),
                        ("contracts_fit", integer("contracts that fit the caps", true)),
                        ("limited_by", string("the cap that binds", true)),
                    ],
                    &["rank", "kind", "expiration", "short_strike", "credit", "pop", "ev_per_dollar_at_risk"],
                    false,
                ),
            ),
        );
    }
    if let Some(required) = schema.get_mut("required").and_then(Value::as_array_mut) {
        required.retain(|r| r != "account");
    }
    schema
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mcp::tools::test_context;
    use crate::testing::{sample_app, sample_market, schema};

    #[tokio::test]
    async fn the_account_is_given_once_and_the_candidates_as_rows() {
        let app = sample_app(sample_market());
        let args = json!({"symbol": "SPY", "strategy": "spread"});
        let output = RunFullAnalysis
            .call(&app, Args::from_value(Some(args)).unwrap(), &test_context())
            .await
            .unwrap();
        let value = output.structured_value();
        let problems = schema::validate(&RunFullAnalysis.spec().output_schema, &value);
        assert!(problems.is_empty(), "{problems:?}");
        assert!(value["options"].get("account").is_none());
        let method = value["options"]["method"].as_object().unwrap();
        assert!(method["risk_free_rate"].is_number() && method["quotes_at"].is_string());
        assert!(method.get("pricing").is_none() && method.contains_key("explained_by"));
        assert!(value["account"]["net_liquidating_value"].is_number());
        let rows = value["options"]["candidates"].as_array().unwrap();
        assert!(!rows.is_empty());
        for (i, row) in rows.iter().enumerate() {
            assert_eq!(row["rank"], i + 1);
            assert!(row.get("legs").is_none(), "{row}");
            for key in ROW_FIELDS
                .iter()
                .chain(&["natural", "contracts_fit", "limited_by"])
            {
                assert!(row.get(*key).is_some(), "{key} in {row}");
            }
        }
    }
}
