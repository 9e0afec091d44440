//! `run_full_analysis`: chart + options + account + recommendation, saved to history.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::analyze_options::{RISK_ARGS, risk_arg_schemas, risk_args, strategy_arg};
use super::{Args, Hints, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::App;
use crate::app::analysis::{FullAnalysis, FullOptions, Progress};
use crate::error::AppError;
use crate::mcp::schema::{derived, enumeration, object, props, string};

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
                cautions by severity (any blocking one means wait or avoid) and how to manage the trade; what the \
                management rules of get_portfolio_risk say about the positions already held in the symbol \
                (position_signals: take profit, 21 DTE, a tested strike, ex-dividend, earnings; each one that \
                calls for action is also a reason: manage what you hold before adding to it), plus relevant \
                knowledge passages. The result is saved and listed by get_analysis_history. Sends \
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
            output_schema,
            hints: Hints::WRITES.long_running(),
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

/// The figures of a candidate the ranking table keeps, named as the candidate names them.
#[derive(Serialize, Deserialize, schemars::JsonSchema)]
struct RowFigures {
    /// 1 is best.
    rank: usize,
    /// csp, covered_call, bull_put_spread or bear_call_spread.
    #[schemars(extend("enum" = ["csp", "covered_call", "bull_put_spread", "bear_call_spread"]))]
    kind: String,
    /// Expiration date, YYYY-MM-DD.
    expiration: String,
    /// Calendar days to expiration.
    dte: i32,
    /// The short strike.
    short_strike: f64,
    /// The long strike (spreads).
    long_strike: Option<f64>,
    /// The limit price: net credit per share on the tick.
    credit: f64,
    /// Credit × 100 ($ per contract).
    credit_per_contract: f64,
    /// Maximum loss per contract ($).
    max_loss: f64,
    /// Breakeven price of the underlying at expiration.
    breakeven: f64,
    /// Probability of profit (0–1).
    pop: f64,
    /// Expected value per contract ($), at the model volatility.
    expected_value: f64,
    /// Expected value / maximum loss: the ranking.
    ev_per_dollar_at_risk: f64,
    /// Credit / capital, percent.
    return_on_capital_percent: f64,
    /// Return on capital × 365 / DTE, percent.
    annualized_return_percent: f64,
}

/// One ranked candidate as a row of the ranking table: the figures that rank and size it
/// (analyze_options has its legs, greeks, levels and sizing).
#[derive(Serialize, schemars::JsonSchema)]
struct CandidateRow {
    #[serde(flatten)]
    figures: RowFigures,
    /// The natural price beside the limit.
    natural: f64,
    /// Contracts that fit the caps (null without an account).
    contracts_fit: Option<i64>,
    /// The cap that binds: exposure, buying_power or shares (null without an account).
    limited_by: Option<String>,
}

/// A candidate as the analysis writes it, read for its row.
#[derive(Deserialize)]
struct CandidateSource {
    #[serde(flatten)]
    figures: RowFigures,
    price: PriceSource,
    sizing: Option<SizingSource>,
}

#[derive(Deserialize)]
struct PriceSource {
    natural: f64,
}

#[derive(Deserialize)]
struct SizingSource {
    contracts: i64,
    limited_by: String,
}

impl CandidateRow {
    /// The row of a candidate's JSON; `None` when it is not a whole candidate.
    fn of(candidate: &Value) -> Option<CandidateRow> {
        let source = CandidateSource::deserialize(candidate).ok()?;
        let sizing = source.sizing;
        Some(CandidateRow {
            figures: source.figures,
            natural: source.price.natural,
            contracts_fit: sizing.as_ref().map(|s| s.contracts),
            limited_by: sizing.map(|s| s.limited_by),
        })
    }
}

/// The method's figures: the answer keeps them and leaves the prose (the same in every
/// answer) to analyze_options.
#[derive(Serialize, Deserialize, schemars::JsonSchema)]
struct MethodFigures {
    /// Risk-free rate used.
    risk_free_rate: f64,
    /// Dividend yield used.
    dividend_yield: f64,
    /// Least credit / width of a spread.
    min_credit_to_width: f64,
    /// Time the chain's quotes were taken.
    quotes_at: String,
    /// The tool whose `method` says how every figure is computed.
    #[serde(default = "explained_by")]
    explained_by: String,
}

fn explained_by() -> String {
    "analyze_options: its `method` says how every figure is computed".to_owned()
}

/// The answer stays sized for a model: the account is given once (at the top level, not again
/// under `options`), and the ranked candidates as one row each with the figures that rank and
/// size them ([`CandidateRow`]); the recommended trade keeps every detail under
/// `recommendation.candidate`, and analyze_options gives every candidate's legs, greeks, levels
/// and sizing, and the method's prose (only its figures stay here: [`MethodFigures`]). Works on
/// the JSON of a full analysis, so a saved one (get_analysis_history) reads the same; rows stay
/// rows.
pub(crate) fn summarise_options(value: &mut Value) {
    let Some(options) = value.get_mut("options").and_then(Value::as_object_mut) else {
        return;
    };
    options.remove("account");
    if let Some(method) = options.get_mut("method")
        && let Ok(figures) = MethodFigures::deserialize(&*method)
        && let Ok(figures) = serde_json::to_value(figures)
    {
        *method = figures;
    }
    let Some(Value::Array(candidates)) = options.get_mut("candidates") else {
        return;
    };
    for candidate in candidates.iter_mut() {
        if candidate.get("legs").is_none() {
            continue;
        }
        if let Some(row) = CandidateRow::of(candidate).and_then(|row| serde_json::to_value(row).ok()) {
            *candidate = row;
        }
    }
}

/// The schema of `T` as a part of another (no title of its own), with `description`.
fn part<T: schemars::JsonSchema>(description: &str) -> Value {
    let mut schema = derived::<T>();
    if let Some(map) = schema.as_object_mut() {
        map.remove("title");
        map.insert("description".into(), description.into());
    }
    schema
}

/// The answer's schema: the full analysis's, its `options` as [`summarise_options`] leaves them.
fn output_schema() -> Value {
    let mut schema = derived::<FullAnalysis>();
    let Some(options) = schema
        .pointer_mut("/properties/options")
        .and_then(Value::as_object_mut)
    else {
        return schema;
    };
    options.insert(
        "description".into(),
        "the options analysis without the account (given once, at the top level), with the method's figures and the candidates as rows".into(),
    );
    if let Some(properties) = options.get_mut("properties").and_then(Value::as_object_mut) {
        properties.remove("account");
        properties.insert(
            "method".into(),
            part::<MethodFigures>("the method's figures; explained_by names the tool whose method says how every figure is computed"),
        );
        properties.insert(
            "candidates".into(),
            json!({
                "type": "array",
                "description": "every ranked candidate, best first, as one row (analyze_options has each one's legs, greeks, levels and sizing; the recommended one is in full under recommendation.candidate)",
                "items": part::<CandidateRow>("one ranked candidate"),
            }),
        );
    }
    if let Some(required) = options.get_mut("required").and_then(Value::as_array_mut) {
        required.retain(|r| r != "account");
    }
    schema
}

#[cfg(test)]
mod tests {
    use serde_json::json;

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
        let problems = schema::validate(&(RunFullAnalysis.spec().output_schema)(), &value);
        assert!(problems.is_empty(), "{problems:?}");
        assert!(value["options"].get("account").is_none());
        let method = value["options"]["method"].as_object().unwrap();
        assert!(method["risk_free_rate"].is_number() && method["quotes_at"].is_string());
        assert!(method.get("pricing").is_none() && method.contains_key("explained_by"));
        assert!(value["account"]["net_liquidating_value"].is_number());
        let rows = value["options"]["candidates"].as_array().unwrap();
        assert!(!rows.is_empty());
        let row_schema = derived::<CandidateRow>();
        let row_keys: Vec<&String> = row_schema["properties"].as_object().unwrap().keys().collect();
        assert_eq!(row_keys.len(), 18);
        for (i, row) in rows.iter().enumerate() {
            assert_eq!(row["rank"], i + 1);
            let keys: Vec<&String> = row.as_object().unwrap().keys().collect();
            assert_eq!(keys, row_keys, "{row}");
        }
        // Summarising again (a saved analysis read by get_analysis_history) changes nothing.
        let mut again = value.clone();
        summarise_options(&mut again);
        assert_eq!(again, value);
        // The schema holds the answer to its types: a wrong type, an unknown action or a
        // missing recommendation are refused.
        for broken in [
            ("/options/candidates/0/rank", json!("first")),
            ("/recommendation/action", json!("buy")),
            ("/options/method/quotes_at", json!(0)),
        ] {
            let mut wrong = value.clone();
            *wrong.pointer_mut(broken.0).unwrap() = broken.1;
            assert!(
                !schema::validate(&(RunFullAnalysis.spec().output_schema)(), &wrong).is_empty(),
                "{}",
                broken.0
            );
        }
        let mut wrong = value.clone();
        wrong.as_object_mut().unwrap().remove("recommendation");
        assert!(!schema::validate(&(RunFullAnalysis.spec().output_schema)(), &wrong).is_empty());
    }
}
