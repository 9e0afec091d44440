//! `analyze_chart`: trend, momentum, volatility, levels and signals; a PNG chart on request.

use async_trait::async_trait;

use super::{Args, Hints, PngChart, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::App;
use crate::app::analysis::ChartAnalysis;
use crate::domain::Timeframe;
use crate::error::AppError;
use crate::mcp::apps;
use crate::mcp::schema::{boolean, derived, enumeration, object, string};

/// The `analyze_chart` tool.
pub(crate) struct AnalyzeChart;
/// What the chart shows.
#[derive(serde::Serialize, schemars::JsonSchema)]
struct Drawn {
    /// Candles drawn.
    bars_drawn: usize,
}

/// The tool's answer: the analysis and the picture's description.
#[derive(serde::Serialize, schemars::JsonSchema)]
struct Output<'a> {
    #[serde(flatten)]
    analysis: &'a ChartAnalysis,
    /// The PNG candlestick chart that follows as image content (with include_chart).
    chart: Option<PngChart<Drawn>>,
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
            output_schema: derived::<Output<'static>>,
            hints: Hints::READS_BROKER,
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
        let chart = PngChart::of(
            picture.as_deref(),
            Drawn {
                bars_drawn: analysis.bars.min(120),
            },
        );
        let mut output = ToolOutput::serialize_with_png(
            &Output {
                analysis: &analysis,
                chart,
            },
            picture,
        );
        if apps::wanted(ctx) {
            output.meta = Some(apps::meta(apps::chart::view_model(&analysis, &candles)));
        }
        Ok(output)
    }
}
