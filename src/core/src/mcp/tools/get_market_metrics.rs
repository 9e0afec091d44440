//! `get_market_metrics`: IV index, IV rank and percentile, HV, earnings, liquidity.

use async_trait::async_trait;
use serde_json::json;

use super::get_quote::{finite, found_and_missing};
use super::{Args, Hints, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::App;
use crate::domain::{MarketMetrics, new_york_date};
use crate::error::AppError;
use crate::mcp::schema::{derived, object, string};
use crate::time::{Date, Timestamp};

/// The `get_market_metrics` tool.
pub(crate) struct GetMarketMetrics;
/// One symbol's metrics as the tool shows them.
#[derive(serde::Serialize, schemars::JsonSchema)]
struct MetricsView<'a> {
    /// The underlying.
    symbol: &'a str,
    /// 30-day implied volatility index, fraction (0.25 = 25%).
    iv_index: Option<f64>,
    /// IV rank over the past year, 0–1.
    iv_rank: Option<f64>,
    /// IV percentile over the past year, 0–1.
    iv_percentile: Option<f64>,
    /// 30-day historical volatility, fraction.
    hv_30: Option<f64>,
    /// 60-day historical volatility, fraction.
    hv_60: Option<f64>,
    /// 90-day historical volatility, fraction.
    hv_90: Option<f64>,
    /// iv_index − hv_30 (positive: options priced above realised movement).
    iv_hv_spread: Option<f64>,
    /// Next expected earnings report, YYYY-MM-DD.
    earnings_date: Option<Date>,
    /// Calendar days to the earnings report.
    days_to_earnings: Option<i32>,
    /// Broker's liquidity rating (higher is more liquid, 0–5).
    liquidity_rating: Option<f64>,
    /// Beta against the S&P 500.
    beta: Option<f64>,
    /// Dividend yield, fraction.
    dividend_yield: Option<f64>,
    /// Next ex-dividend date, YYYY-MM-DD, when the broker has one.
    ex_dividend_date: Option<Date>,
    /// When the metrics were computed.
    as_of: Timestamp,
}

impl<'a> MetricsView<'a> {
    fn of(m: &'a MarketMetrics, today: Date) -> MetricsView<'a> {
        let iv_hv = match (m.iv_index, m.hv_30) {
            (Some(iv), Some(hv)) => Some(((iv - hv) * 10_000.0).round() / 10_000.0),
            _ => None,
        };
        MetricsView {
            symbol: m.symbol.as_str(),
            iv_index: finite(m.iv_index),
            iv_rank: finite(m.iv_rank),
            iv_percentile: finite(m.iv_percentile),
            hv_30: finite(m.hv_30),
            hv_60: finite(m.hv_60),
            hv_90: finite(m.hv_90),
            iv_hv_spread: finite(iv_hv),
            earnings_date: m.earnings_date,
            days_to_earnings: m.earnings_date.map(|d| today.days_until(d)).filter(|d| *d >= 0),
            liquidity_rating: finite(m.liquidity_rating),
            beta: finite(m.beta),
            dividend_yield: finite(m.dividend_yield),
            ex_dividend_date: m.ex_dividend_date,
            as_of: m.as_of,
        }
    }
}

/// The tool's answer.
#[derive(serde::Serialize, schemars::JsonSchema)]
struct Output<'a> {
    /// One entry per symbol found.
    metrics: Vec<MetricsView<'a>>,
    /// Symbols without metrics.
    missing: Vec<&'a str>,
    /// Number of entries.
    count: usize,
    /// Where the data came from: `tastytrade` (live) or `replay:<tape>` (recorded).
    source: String,
    /// True when the data is made up (a demo tape): never real prices.
    synthetic: bool,
}

#[async_trait]
impl Tool for GetMarketMetrics {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "get_market_metrics",
            title: "Get market metrics",
            description: "Volatility context for up to 100 underlyings: IV index, IV rank and IV percentile (0–1), \
                HV30/60/90, the IV−HV spread, next earnings date and liquidity. Use it to judge whether premium is \
                rich (high IV rank) before selling options.",
            input_schema: object(
                &[
                    (
                        "symbols",
                        json!({"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 100,
                        "description": "tickers (a comma-separated string is accepted too)"}),
                    ),
                    ("symbol", string("one ticker (instead of `symbols`)", false)),
                ],
                &[],
                true,
            ),
            output_schema: derived::<Output<'static>>,
            hints: Hints::READS_BROKER,
        }
    }

    async fn call(&self, app: &App, args: Args, _ctx: &ToolContext) -> Result<ToolOutput, AppError> {
        args.only(&["symbols", "symbol"])?;
        let symbols = match (args.symbols("symbols", 100)?, args.symbol("symbol")?) {
            (Some(many), None) => many,
            (None, Some(one)) => vec![one],
            (Some(_), Some(_)) => {
                return Err(AppError::invalid(
                    "symbols",
                    "give `symbols` or `symbol`, not both",
                ));
            }
            (None, None) => return Err(AppError::invalid("symbols", "is required")),
        };
        let metrics = app.broker().market_metrics(&symbols).await?;
        let today = new_york_date(app.broker().now());
        let (found, missing) =
            found_and_missing(&symbols, &metrics, |m| &m.symbol, |m| MetricsView::of(m, today));
        if found.is_empty() {
            return Err(AppError::not_found(format!(
                "no market metrics for {}",
                symbols.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            )));
        }
        let source = app.source();
        Ok(ToolOutput::serialize(&Output {
            count: found.len(),
            metrics: found,
            missing,
            source: source.source,
            synthetic: source.synthetic,
        }))
    }
}
