//! `analyze_chart`: trend, momentum, volatility, levels and signals; a PNG chart on request.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{Args, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::App;
use crate::domain::Timeframe;
use crate::error::AppError;
use crate::mcp::apps;
use crate::mcp::schema::{
    array, boolean, enumeration, integer, nullable, number, object, props, source_fields, string,
};

/// The `analyze_chart` tool.
pub(crate) struct AnalyzeChart;

fn average_schema() -> Value {
    object(
        &[
            ("value", number("the average on the last bar", true)),
            (
                "distance_percent",
                number("(close − average) / average, percent", true),
            ),
            (
                "above",
                json!({"type": ["boolean", "null"], "description": "close above the average"}),
            ),
            (
                "slope_percent_per_bar",
                number("change over the last 5 bars, percent per bar", true),
            ),
        ],
        &["value", "distance_percent", "above", "slope_percent_per_bar"],
        false,
    )
}

/// The schema of a chart analysis (also embedded in run_full_analysis).
pub(crate) fn chart_analysis_schema(with_picture: bool) -> Value {
    let mut properties = props(&[
        &[
            ("symbol", string("the underlying", false)),
            (
                "timeframe",
                enumeration("bar size", &["daily", "weekly", "intraday"]),
            ),
            (
                "aggregated_from_daily",
                boolean("weekly bars built from daily ones"),
            ),
            ("bars", integer("bars analysed", false)),
            ("last_bar", string("start time of the last bar", false)),
            ("last_close", number("last close", false)),
            (
                "trend",
                object(
                    &[
                        (
                            "direction",
                            enumeration("trend", &["uptrend", "downtrend", "sideways"]),
                        ),
                        ("reason", string("why, with the numbers", false)),
                        ("sma20", average_schema()),
                        ("sma50", average_schema()),
                        ("sma200", average_schema()),
                        ("ema20", number("20-bar EMA (SMA-seeded)", true)),
                    ],
                    &["direction", "reason", "sma20", "sma50", "sma200"],
                    false,
                ),
            ),
            (
                "momentum",
                object(
                    &[
                        ("rsi14", number("Wilder RSI(14)", true)),
                        (
                            "rsi_state",
                            enumeration("RSI zone", &["overbought", "oversold", "neutral"]),
                        ),
                        ("macd", number("MACD(12,26) line", true)),
                        ("macd_signal", number("signal line (9)", true)),
                        ("macd_hist", number("histogram", true)),
                        (
                            "macd_cross",
                            enumeration("last cross within 10 bars", &["bullish", "bearish", "none"]),
                        ),
                        ("bars_since_cross", integer("bars since that cross", true)),
                    ],
                    &[
                        "rsi14",
                        "rsi_state",
                        "macd",
                        "macd_signal",
                        "macd_hist",
                        "macd_cross",
                    ],
                    false,
                ),
            ),
            (
                "volatility",
                object(
                    &[
                        ("atr14", number("Wilder ATR(14), price units", true)),
                        ("atr_percent", number("ATR as a percent of the close", true)),
                        (
                            "bollinger",
                            json!({"type": "object", "description": "Bollinger bands (20, 2): upper, middle, lower, width_percent, percent_b"}),
                        ),
                        (
                            "hv20",
                            number("20-bar historical volatility, annualised fraction", true),
                        ),
                        (
                            "hv_window",
                            string(
                                "the window of hv20: 20 days, 20 weeks or 20 five-minute bars",
                                false,
                            ),
                        ),
                        ("iv_index", number("implied volatility index, fraction", true)),
                        ("iv_rank", number("IV rank, 0–1", true)),
                        ("iv_hv_ratio", number("iv_index / hv20", true)),
                    ],
                    &["atr14", "bollinger", "hv20"],
                    false,
                ),
            ),
            (
                "levels",
                object(
                    &[
                        ("swing_window", integer("bars on each side of a swing", false)),
                        (
                            "nearest_support",
                            number("highest swing low below the close", true),
                        ),
                        (
                            "nearest_resistance",
                            number("lowest swing high above the close", true),
                        ),
                        (
                            "support_distance_percent",
                            number("percent below the close", true),
                        ),
                        (
                            "resistance_distance_percent",
                            number("percent above the close", true),
                        ),
                        ("support_distance_atr", number("support distance in ATRs", true)),
                        (
                            "supports",
                            array("supports, nearest first", json!({"type": "number"})),
                        ),
                        (
                            "resistances",
                            array("resistances, nearest first", json!({"type": "number"})),
                        ),
                    ],
                    &["nearest_support", "nearest_resistance", "supports", "resistances"],
                    false,
                ),
            ),
            (
                "signals",
                array(
                    "observations with their numbers",
                    object(
                        &[
                            ("name", string("signal", false)),
                            (
                                "direction",
                                enumeration("bias", &["bullish", "bearish", "neutral"]),
                            ),
                            ("detail", string("what and why", false)),
                        ],
                        &["name", "direction", "detail"],
                        false,
                    ),
                ),
            ),
            ("summary", string("plain-language summary", false)),
        ],
        &source_fields(),
    ]);
    let mut required = vec![
        "symbol",
        "timeframe",
        "bars",
        "last_close",
        "trend",
        "momentum",
        "volatility",
        "levels",
        "signals",
        "summary",
        "source",
        "synthetic",
    ];
    if with_picture {
        properties.push((
            "chart",
            nullable(object(
                &[
                    ("mime_type", string("image/png", false)),
                    ("bytes", integer("size of the PNG", false)),
                    ("bars_drawn", integer("candles drawn", false)),
                ],
                &["mime_type", "bytes"],
                false,
            )),
        ));
        required.push("chart");
    }
    object(&properties, &required, false)
}

#[async_trait]
impl Tool for AnalyzeChart {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "analyze_chart",
            title: "Analyze chart",
            description: "Technical analysis of an underlying: trend against the 20/50/200-bar averages and their \
                slopes, momentum (RSI, MACD and its crosses), volatility (ATR, Bollinger width, HV vs IV), nearest \
                support and resistance from swing highs/lows, a list of signals with the numbers behind each, and a \
                short summary. Indicators follow TA-Lib exactly. With include_chart the result also carries a PNG \
                candlestick chart (SMAs, Bollinger bands, levels, volume).",
            input_schema: object(
                &[
                    ("symbol", string("underlying ticker", false)),
                    (
                        "timeframe",
                        enumeration("bar size (default daily)", &["daily", "weekly", "intraday"]),
                    ),
                    (
                        "include_chart",
                        boolean("also return a PNG chart (default false)"),
                    ),
                ],
                &["symbol"],
                true,
            ),
            output_schema: chart_analysis_schema(true),
            read_only: true,
            destructive: false,
            idempotent: true,
            open_world: true,
            long_running: false,
        }
    }

    async fn call(&self, app: &App, args: Args, ctx: &ToolContext) -> Result<ToolOutput, AppError> {
        args.only(&["symbol", "timeframe", "include_chart"])?;
        let symbol = args.required_symbol("symbol")?;
        let timeframe = match args.str("timeframe")? {
            None => Timeframe::Daily,
            Some(text) => Timeframe::parse(text.trim()).ok_or_else(|| {
                AppError::invalid(
                    "timeframe",
                    format!("must be daily, weekly or intraday, got {text:?}"),
                )
            })?,
        };
        let include_chart = args.bool("include_chart")?.unwrap_or(false);
        let (analysis, picture, candles) = app
            .analyze_chart_with_candles(&symbol, timeframe, include_chart)
            .await?;
        let value = serde_json::to_value(&analysis)
            .map_err(|_| AppError::internal("serialising the chart analysis"))?;
        let bars_drawn = analysis.bars.min(120);
        let mut output = ToolOutput::with_png(value, picture, &[("bars_drawn", bars_drawn.into())]);
        if apps::wanted(ctx) {
            output.meta = Some(apps::meta(apps::chart::view_model(&analysis, &candles)));
        }
        Ok(output)
    }
}
