//! `get_market_metrics`: IV index, IV rank and percentile, HV, earnings, liquidity.

use async_trait::async_trait;
use serde_json::{Map, Value, json};

use super::{Args, Tool, ToolContext, ToolOutput, ToolSpec, num, with_source};
use crate::app::App;
use crate::domain::MarketMetrics;
use crate::error::AppError;
use crate::mcp::schema::{array, integer, number, object, props, source_fields, string};

/// The `get_market_metrics` tool.
pub(crate) struct GetMarketMetrics;

pub(crate) fn metrics_json(m: &MarketMetrics, today: crate::time::Date) -> Value {
    let iv_hv = match (m.iv_index, m.hv_30) {
        (Some(iv), Some(hv)) => Some(((iv - hv) * 10_000.0).round() / 10_000.0),
        _ => None,
    };
    json!({
        "symbol": m.symbol.as_str(),
        "iv_index": num(m.iv_index),
        "iv_rank": num(m.iv_rank),
        "iv_percentile": num(m.iv_percentile),
        "hv_30": num(m.hv_30),
        "hv_60": num(m.hv_60),
        "hv_90": num(m.hv_90),
        "iv_hv_spread": num(iv_hv),
        "earnings_date": m.earnings_date.map(|d| d.to_string()),
        "days_to_earnings": m.earnings_date.map(|d| today.days_until(d)).filter(|d| *d >= 0),
        "liquidity_rating": num(m.liquidity_rating),
        "beta": num(m.beta),
        "dividend_yield": num(m.dividend_yield),
        "ex_dividend_date": m.ex_dividend_date.map(|d| d.to_string()),
        "as_of": m.as_of.to_string(),
    })
}

pub(crate) fn metrics_schema() -> Value {
    object(
        &[
            ("symbol", string("the underlying", false)),
            (
                "iv_index",
                number("30-day implied volatility index, fraction (0.25 = 25%)", true),
            ),
            ("iv_rank", number("IV rank over the past year, 0–1", true)),
            (
                "iv_percentile",
                number("IV percentile over the past year, 0–1", true),
            ),
            ("hv_30", number("30-day historical volatility, fraction", true)),
            ("hv_60", number("60-day historical volatility, fraction", true)),
            ("hv_90", number("90-day historical volatility, fraction", true)),
            (
                "iv_hv_spread",
                number(
                    "iv_index − hv_30 (positive: options priced above realised movement)",
                    true,
                ),
            ),
            (
                "earnings_date",
                string("next expected earnings report, YYYY-MM-DD", true),
            ),
            (
                "days_to_earnings",
                integer("calendar days to the earnings report", true),
            ),
            (
                "liquidity_rating",
                number("broker's liquidity rating (higher is more liquid, 0–5)", true),
            ),
            ("beta", number("beta against the S&P 500", true)),
            ("dividend_yield", number("dividend yield, fraction", true)),
            (
                "ex_dividend_date",
                string("next ex-dividend date, YYYY-MM-DD, when the broker has one", true),
            ),
            ("as_of", string("when the metrics were computed", false)),
        ],
        &[
            "symbol",
            "iv_index",
            "iv_rank",
            "iv_percentile",
            "hv_30",
            "earnings_date",
            "liquidity_rating",
            "as_of",
        ],
        false,
    )
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
            output_schema: object(
                &props(&[
                    &[
                        ("metrics", array("one entry per symbol found", metrics_schema())),
                        (
                            "missing",
                            array("symbols without metrics", json!({"type": "string"})),
                        ),
                        ("count", integer("number of entries", false)),
                    ],
                    &source_fields(),
                ]),
                &["metrics", "missing", "count", "source", "synthetic"],
                false,
            ),
            read_only: true,
            destructive: false,
            idempotent: true,
            open_world: true,
            long_running: false,
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
        let today = app.broker().now().date();
        let mut found = Vec::new();
        let mut missing = Vec::new();
        for symbol in &symbols {
            match metrics.iter().find(|m| &m.symbol == symbol) {
                Some(m) => found.push(metrics_json(m, today)),
                None => missing.push(Value::from(symbol.as_str())),
            }
        }
        if found.is_empty() {
            return Err(AppError::not_found(format!(
                "no market metrics for {}",
                symbols.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            )));
        }
        let mut fields = Map::new();
        fields.insert("count".into(), found.len().into());
        fields.insert("metrics".into(), Value::Array(found));
        fields.insert("missing".into(), Value::Array(missing));
        Ok(ToolOutput::new(with_source(app, fields)))
    }
}
