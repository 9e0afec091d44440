//! `analyze_options`: ranked cash-secured puts, covered calls or credit spreads.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::window_args::{TRADE_WINDOW_ARGS, delta_args, dte_args, ordered, trade_window_schemas};
use super::{Args, Hints, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::App;
use crate::app::analysis::{
    OptionsAnalysis, OptionsRequest, Strategy, atr_from_context, levels_from_context,
};
use crate::error::AppError;
use crate::mcp::apps;
use crate::mcp::schema::{boolean, derived, enumeration, object, props, string};

/// The `analyze_options` tool.
pub(crate) struct AnalyzeOptions;

/// Candidates shown by default: the answer stays well inside a model's budget for one result
/// (about 2 KB a spread candidate).
const DEFAULT_CANDIDATES: usize = 5;
/// The most candidates the analysis ranks.
const MAX_CANDIDATES: i64 = 10;

/// The tool's answer: the analysis with its candidates cut to `limit`, and how many were ranked.
#[derive(serde::Serialize, schemars::JsonSchema)]
struct Output<'a> {
    #[serde(flatten)]
    analysis: &'a OptionsAnalysis,
    /// Candidates that passed every filter (at most 10); `candidates` holds the best `limit` of
    /// them.
    candidates_ranked: usize,
    /// The saved analysis (preview_order takes it with a candidate's rank); null when it could
    /// not be saved.
    analysis_id: Option<String>,
}

#[async_trait]
impl Tool for AnalyzeOptions {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "analyze_options",
            title: "Analyze options",
            description: "Ranks short-premium trades on an underlying from its option chain, sized to the account: \
                cash-secured puts (`csp`), covered calls (`covered_call`: only on 100 shares per contract not already \
                under a short call, and at or above the shares' cost basis unless `allow_below_basis`) or short \
                vertical credit spreads (`spread`: bull put and bear call, collecting at least 1/5 of the width). Each \
                candidate has strike(s), expiry, DTE, a limit price on the option's tick with the mid and natural \
                price, expected value per dollar at risk (the ranking), probability of profit, return on capital and \
                annualized, breakeven (and against the cost basis for covered calls), greeks, distance to \
                support/resistance and in expected moves, liquidity warnings, and how many contracts fit the caps \
                (exposure to the underlying, option buying power in use). Also: the account's positions in the \
                symbol, the expected move by expiration (±1σ from ATM IV, ATM straddle), one volatility verdict and \
                the method behind every number. Defaults: 30–45 DTE, short delta 0.15–0.35, the best 5 candidates \
                (`limit` up to 10; `candidates_ranked` says how many passed). Pass `chart_context` (an analyze_chart \
                result) to reuse a chart analysis.",
            input_schema: object(
                &props(&[
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
                            "limit",
                            json!({"type": "integer", "minimum": 1, "maximum": MAX_CANDIDATES, "description": "candidates to show, best first (default 5)"}),
                        ),
                    ],
                    &trade_window_schemas(),
                    &risk_arg_schemas(),
                ]),
                &["symbol", "strategy"],
                true,
            ),
            output_schema: derived::<Output<'static>>,
            hints: Hints::READS_BROKER,
        }
    }

    async fn call(&self, app: &App, args: Args, ctx: &ToolContext) -> Result<ToolOutput, AppError> {
        args.only(&[
            "symbol",
            "strategy",
            "chart_context",
            TRADE_WINDOW_ARGS[0],
            TRADE_WINDOW_ARGS[1],
            TRADE_WINDOW_ARGS[2],
            TRADE_WINDOW_ARGS[3],
            "limit",
            RISK_ARGS[0],
            RISK_ARGS[1],
            RISK_ARGS[2],
            RISK_ARGS[3],
            RISK_ARGS[4],
        ])?;
        let symbol = args.required_symbol("symbol")?;
        let request = options_request(&args, app)?;
        let limit = args
            .int("limit", 1, MAX_CANDIDATES)?
            .map_or(DEFAULT_CANDIDATES, |v| v as usize);
        let mut analysis = app.analyze_options(&symbol, request).await?;
        let ranked = analysis.candidates.len();
        analysis.candidates.truncate(limit);
        // Saved as answered, so preview_order can order a candidate by this id and its rank.
        let analysis_id = app.save_options_analysis(&analysis).await;
        let mut output = ToolOutput::serialize(&Output {
            analysis: &analysis,
            candidates_ranked: ranked,
            analysis_id,
        });
        if apps::wanted(ctx) {
            output.meta = Some(apps::meta(apps::chain::options_view_model(app, &analysis).await?));
        }
        Ok(output)
    }
}

/// Reads the strategy argument (shared with run_full_analysis).
pub(crate) fn strategy_arg(args: &Args) -> Result<Strategy, AppError> {
    let text = args.required_str("strategy")?;
    Strategy::parse(text).ok_or_else(|| {
        AppError::invalid(
            "strategy",
            format!("must be csp, covered_call or spread, got {text:?}"),
        )
    })
}

/// The caps and permissions both analysis tools take.
pub(crate) const RISK_ARGS: [&str; 5] = [
    "allow_below_basis",
    "allow_earnings",
    "max_exposure_percent",
    "max_bp_usage_percent",
    "min_credit_to_width",
];

/// Reads [`RISK_ARGS`] into `request`.
pub(crate) fn risk_args(args: &Args, request: &mut OptionsRequest) -> Result<(), AppError> {
    request.allow_below_basis = args.bool("allow_below_basis")?.unwrap_or(false);
    request.allow_earnings = args.bool("allow_earnings")?.unwrap_or(false);
    for (key, slot) in [
        ("max_exposure_percent", &mut request.max_exposure_percent),
        ("max_bp_usage_percent", &mut request.max_bp_usage_percent),
    ] {
        if let Some(v) = args.f64(key)? {
            if !(v > 0.0 && v <= 100.0) {
                return Err(AppError::invalid(key, "must be a percent of net liq in (0, 100]"));
            }
            *slot = Some(v);
        }
    }
    if let Some(v) = args.f64("min_credit_to_width")? {
        if !(0.0..1.0).contains(&v) {
            return Err(AppError::invalid(
                "min_credit_to_width",
                "must be a share of the width in [0, 1)",
            ));
        }
        request.min_credit_to_width = v;
    }
    Ok(())
}

/// The JSON Schema properties of [`risk_args`].
pub(crate) fn risk_arg_schemas() -> [(&'static str, Value); 5] {
    [
        (
            "allow_below_basis",
            boolean(
                "covered calls: also show strikes below the shares' cost basis, with the P&L if assigned (default false)",
            ),
        ),
        (
            "allow_earnings",
            boolean(
                "accept earnings before expiration as a major caution instead of a blocking one (default false)",
            ),
        ),
        (
            "max_exposure_percent",
            json!({"type": "number", "exclusiveMinimum": 0, "maximum": 100, "description": "cap on exposure to the underlying after the trade, percent of net liq (default: the setting, 10)"}),
        ),
        (
            "max_bp_usage_percent",
            json!({"type": "number", "exclusiveMinimum": 0, "maximum": 100, "description": "cap on option buying power in use after the trade, percent of net liq (default: the setting, 50)"}),
        ),
        (
            "min_credit_to_width",
            json!({"type": "number", "minimum": 0, "exclusiveMaximum": 1, "description": "spreads must collect at least this share of their width (default: the setting, 0.2)"}),
        ),
    ]
}

/// Reads strategy, windows, caps and chart context.
pub(crate) fn options_request(args: &Args, app: &App) -> Result<OptionsRequest, AppError> {
    let mut request = app.options_defaults(strategy_arg(args)?);
    risk_args(args, &mut request)?;
    let (dte_min, dte_max) = dte_args(args)?;
    let (delta_min, delta_max) = delta_args(args)?;
    request.dte_min = dte_min.unwrap_or(request.dte_min);
    request.dte_max = dte_max.unwrap_or(request.dte_max);
    request.delta_min = delta_min.unwrap_or(request.delta_min);
    request.delta_max = delta_max.unwrap_or(request.delta_max);
    ordered("dte_min", request.dte_min, "dte_max", request.dte_max)?;
    ordered("delta_min", request.delta_min, "delta_max", request.delta_max)?;
    if let Some(context) = args.object("chart_context")? {
        request.atr = atr_from_context(context);
        request.levels = Some(levels_from_context(context).ok_or_else(|| {
            AppError::invalid(
                "chart_context",
                "needs nearest_support and/or nearest_resistance (an analyze_chart result works)",
            )
        })?);
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::mcp::tools::test_context;
    use crate::testing::{sample_app, sample_market, schema};

    #[tokio::test]
    async fn limit_keeps_the_best_candidates_and_says_how_many_were_ranked() {
        let app = sample_app(sample_market());
        let mut shown = Vec::new();
        for limit in [None, Some(1)] {
            let mut args = json!({"symbol": "SPY", "strategy": "spread"});
            if let Some(limit) = limit {
                args["limit"] = json!(limit);
            }
            let output = AnalyzeOptions
                .call(&app, Args::from_value(Some(args)).unwrap(), &test_context())
                .await
                .unwrap();
            let value = output.structured_value();
            let problems = schema::validate(&(AnalyzeOptions.spec().output_schema)(), &value);
            assert!(problems.is_empty(), "{problems:?}");
            let candidates = value["candidates"].as_array().unwrap().clone();
            let ranked = value["candidates_ranked"].as_u64().unwrap() as usize;
            assert_eq!(candidates.len(), ranked.min(limit.unwrap_or(DEFAULT_CANDIDATES)));
            shown.push(candidates);
        }
        assert!(shown[0].len() > 1, "the sample has several spreads");
        assert_eq!(shown[1][0], shown[0][0], "the best one either way");
        let refused = AnalyzeOptions
            .call(
                &app,
                Args::from_value(Some(json!({"symbol": "SPY", "strategy": "csp", "limit": 11}))).unwrap(),
                &test_context(),
            )
            .await
            .unwrap_err();
        assert_eq!(refused.details["field"], "limit");
    }
}
