//! `analyze_options`: ranked cash-secured puts, covered calls or credit spreads.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{Args, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::App;
use crate::app::analysis::{OptionsRequest, Strategy, levels_from_context};
use crate::error::AppError;
use crate::mcp::apps;
use crate::mcp::schema::{
    array, boolean, enumeration, integer, number, object, props, source_fields, string,
};

/// The `analyze_options` tool.
pub(crate) struct AnalyzeOptions;

fn candidate_schema() -> Value {
    object(
        &[
            ("rank", integer("1 is best", false)),
            (
                "kind",
                enumeration(
                    "trade",
                    &["csp", "covered_call", "bull_put_spread", "bear_call_spread"],
                ),
            ),
            ("expiration", string("YYYY-MM-DD", false)),
            ("dte", integer("days to expiration", false)),
            ("short_strike", number("short strike", false)),
            ("long_strike", number("long strike (spreads)", true)),
            ("width", number("strike width (spreads)", true)),
            (
                "legs",
                array("legs with bid/ask/mid, IV and greeks", json!({"type": "object"})),
            ),
            ("credit", number("net credit per share at mid", false)),
            ("credit_per_contract", number("net credit per contract, $", false)),
            ("max_profit", number("per contract, $", false)),
            ("max_loss", number("per contract, $", false)),
            (
                "capital_required",
                number("capital tied up per contract, $", false),
            ),
            (
                "return_on_capital_percent",
                number("credit / capital, percent", false),
            ),
            ("annualized_return_percent", number("× 365 / DTE, percent", false)),
            (
                "breakeven",
                number(
                    "underlying price at which the trade breaks even at expiration",
                    false,
                ),
            ),
            ("pop", number("probability of profit, 0–1 (risk-neutral)", false)),
            (
                "short_prob_itm",
                number("probability the short leg finishes in the money", true),
            ),
            ("credit_to_width", number("credit / width (spreads)", true)),
            (
                "greeks",
                json!({"type": "object", "description": "position greeks per contract: delta (shares), gamma, theta ($/day), vega ($/vol point)"}),
            ),
            (
                "levels",
                json!({"type": "object", "description": "the short strike against support (puts) or resistance (calls)"}),
            ),
            ("earnings_before_expiration", json!({"type": ["boolean", "null"]})),
            (
                "liquidity_warnings",
                array("wide markets, thin open interest", json!({"type": "string"})),
            ),
            ("score", number("ranking score", false)),
            ("score_parts", json!({"type": "object"})),
        ],
        &[
            "rank",
            "kind",
            "expiration",
            "dte",
            "short_strike",
            "legs",
            "credit",
            "max_loss",
            "capital_required",
            "return_on_capital_percent",
            "annualized_return_percent",
            "breakeven",
            "pop",
            "score",
        ],
        false,
    )
}

/// The schema of an options analysis (also embedded in run_full_analysis).
pub(crate) fn options_analysis_schema() -> Value {
    object(
        &props(&[
            &[
                ("symbol", string("the underlying", false)),
                (
                    "strategy",
                    enumeration("strategy", &["csp", "covered_call", "spread"]),
                ),
                ("underlying_price", number("price used", false)),
                ("as_of", string("market date", false)),
                (
                    "filters",
                    json!({"type": "object", "description": "DTE and delta windows applied"}),
                ),
                (
                    "eligible",
                    boolean("whether the strategy applies to this account"),
                ),
                (
                    "reason",
                    string("why not eligible, or why there are no candidates", true),
                ),
                ("shares_held", number("shares held (covered calls)", true)),
                (
                    "iv_context",
                    json!({"type": "object", "description": "IV rank, percentile, index, HV30, earnings, assessment"}),
                ),
                (
                    "chart_levels",
                    json!({"type": "object", "description": "support and resistance used and their origin"}),
                ),
                (
                    "candidates",
                    array("ranked candidates, best first", candidate_schema()),
                ),
                ("evaluated", integer("candidates evaluated", false)),
                (
                    "rejected",
                    json!({"type": "object", "description": "why contracts were left out"}),
                ),
                (
                    "method",
                    json!({"type": "object", "description": "how every number was computed"}),
                ),
                (
                    "knowledge",
                    array(
                        "documents about the strategy",
                        object(
                            &[
                                ("title", string("title", false)),
                                ("uri", string("resource", false)),
                            ],
                            &["title", "uri"],
                            false,
                        ),
                    ),
                ),
            ],
            &source_fields(),
        ]),
        &[
            "symbol",
            "strategy",
            "underlying_price",
            "eligible",
            "reason",
            "iv_context",
            "candidates",
            "method",
            "knowledge",
            "source",
            "synthetic",
        ],
        false,
    )
}

#[async_trait]
impl Tool for AnalyzeOptions {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "analyze_options",
            title: "Analyze options",
            description: "Ranks short-premium trades on an underlying from its option chain: cash-secured puts \
                (`csp`), covered calls (`covered_call`, only on a position of 100+ shares, else it says why not) or \
                short vertical credit spreads (`spread`: bull put and bear call). Each candidate has strike(s), \
                expiry, DTE, credit at mid, probability of profit, return on capital and annualized, breakeven, \
                greeks, distance to support/resistance, liquidity warnings; plus IV-rank context and the method \
                behind every number. Defaults: 30–45 DTE, short delta 0.15–0.35. Pass `chart_context` (the \
                levels from analyze_chart) to reuse a chart analysis.",
            input_schema: object(
                &[
                    ("symbol", string("underlying ticker", false)),
                    (
                        "strategy",
                        enumeration("trade type", &["csp", "covered_call", "spread"]),
                    ),
                    (
                        "chart_context",
                        json!({"type": "object", "description": "an analyze_chart result, or {nearest_support, nearest_resistance}"}),
                    ),
                    (
                        "dte_min",
                        json!({"type": "integer", "minimum": 0, "maximum": 1000, "description": "default 30"}),
                    ),
                    (
                        "dte_max",
                        json!({"type": "integer", "minimum": 0, "maximum": 1000, "description": "default 45"}),
                    ),
                    (
                        "delta_min",
                        json!({"type": "number", "minimum": 0, "maximum": 1, "description": "short leg |delta| floor, default 0.15"}),
                    ),
                    (
                        "delta_max",
                        json!({"type": "number", "minimum": 0, "maximum": 1, "description": "short leg |delta| ceiling, default 0.35"}),
                    ),
                ],
                &["symbol", "strategy"],
                true,
            ),
            output_schema: options_analysis_schema(),
            read_only: true,
            destructive: false,
            idempotent: true,
            open_world: true,
        }
    }

    async fn call(&self, app: &App, args: Args, ctx: &ToolContext) -> Result<ToolOutput, AppError> {
        args.only(&[
            "symbol",
            "strategy",
            "chart_context",
            "dte_min",
            "dte_max",
            "delta_min",
            "delta_max",
        ])?;
        let symbol = args.required_symbol("symbol")?;
        let request = options_request(&args)?;
        let analysis = app.analyze_options(&symbol, request).await?;
        let mut output = ToolOutput::serialize(&analysis);
        if apps::wanted(&ctx.session) {
            output.meta = Some(apps::meta(apps::chain::options_view_model(app, &analysis).await?));
        }
        Ok(output)
    }
}

/// Reads strategy, windows and chart context (shared with run_full_analysis).
pub(crate) fn options_request(args: &Args) -> Result<OptionsRequest, AppError> {
    let text = args.required_str("strategy")?;
    let strategy = Strategy::parse(text).ok_or_else(|| {
        AppError::invalid(
            "strategy",
            format!("must be csp, covered_call or spread, got {text:?}"),
        )
    })?;
    let mut request = OptionsRequest::defaults(strategy);
    if let Some(v) = args.int("dte_min", 0, 1000)? {
        request.dte_min = v as i32;
    }
    if let Some(v) = args.int("dte_max", 0, 1000)? {
        request.dte_max = v as i32;
    }
    for (key, slot) in [
        ("delta_min", &mut request.delta_min),
        ("delta_max", &mut request.delta_max),
    ] {
        if let Some(v) = args.f64(key)? {
            if !(0.0..=1.0).contains(&v) {
                return Err(AppError::invalid(key, "must be between 0 and 1 (absolute delta)"));
            }
            *slot = v;
        }
    }
    if request.dte_min > request.dte_max {
        return Err(AppError::invalid(
            "dte_min",
            format!("must not exceed dte_max ({})", request.dte_max),
        ));
    }
    if request.delta_min > request.delta_max {
        return Err(AppError::invalid(
            "delta_min",
            format!("must not exceed delta_max ({})", request.delta_max),
        ));
    }
    if let Some(context) = args.object("chart_context")? {
        request.levels = Some(levels_from_context(context).ok_or_else(|| {
            AppError::invalid(
                "chart_context",
                "needs nearest_support and/or nearest_resistance (an analyze_chart result works)",
            )
        })?);
    }
    Ok(request)
}
