//! `analyze_chart`: trend, momentum, volatility, support and resistance, and signals, from the
//! quant library's TA-Lib-exact indicators.
//!
//! Layout: the indicator series are computed once ([`Indicators`]); each concern reads them in its
//! own module (`trend.rs`, `momentum.rs`, `volatility.rs`, `levels.rs`), `signals.rs` turns the
//! views into observations and the summary, and `picture.rs` describes the chart to draw.

mod levels;
mod momentum;
mod picture;
mod signals;
#[cfg(test)]
mod tests;
mod trend;
mod volatility;

use serde::Serialize;

use levels::LevelsView;
use momentum::MomentumView;
pub(crate) use picture::chart_spec;
use signals::Signal;
use trend::TrendView;
use volatility::VolatilityView;

use crate::app::App;
use crate::domain::{Candle, MarketMetrics, Symbol, Timeframe, round_to, weekly_from_daily};
use crate::error::{AppError, ErrorCode};
use crate::ports::BrokerError;
use crate::quant::indicators::{self, Bollinger, Macd};
use crate::time::MS_PER_DAY;

/// Fewest bars an analysis accepts.
pub const MIN_BARS: usize = 30;

/// The result of a chart analysis.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ChartAnalysis {
    /// The underlying.
    pub symbol: String,
    /// daily, weekly or intraday.
    #[schemars(extend("enum" = ["daily", "weekly", "intraday"]))]
    pub timeframe: &'static str,
    /// weekly bars aggregated from daily ones when the broker has no weekly series.
    pub aggregated_from_daily: bool,
    /// Bars analysed.
    pub bars: usize,
    /// Start time of the last bar.
    pub last_bar: String,
    /// Last close.
    pub last_close: f64,
    /// Trend.
    pub trend: TrendView,
    /// Momentum.
    pub momentum: MomentumView,
    /// Volatility.
    pub volatility: VolatilityView,
    /// Support and resistance.
    pub levels: LevelsView,
    /// Observations, most important first.
    pub signals: Vec<Signal>,
    /// A short plain-language summary.
    pub summary: String,
    /// Data source.
    pub source: String,
    /// True for made-up data.
    pub synthetic: bool,
}

/// The last finite value of a series.
fn last(series: &[Option<f64>]) -> Option<f64> {
    series.last().copied().flatten().filter(|v| v.is_finite())
}

/// The value `bars` bars before the last.
fn back(series: &[Option<f64>], bars: usize) -> Option<f64> {
    series
        .len()
        .checked_sub(1 + bars)
        .and_then(|i| series.get(i).copied().flatten())
}

/// (a − b) / b, percent to two decimals.
fn pct(a: f64, b: f64) -> f64 {
    round_to((a - b) / b * 100.0, 2)
}

/// The price series of the candles and every indicator an analysis reads, computed once.
struct Indicators {
    close: Vec<f64>,
    high: Vec<f64>,
    low: Vec<f64>,
    sma20: Vec<Option<f64>>,
    sma50: Vec<Option<f64>>,
    sma200: Vec<Option<f64>>,
    ema20: Vec<Option<f64>>,
    rsi: Vec<Option<f64>>,
    macd: Macd,
    bands: Bollinger,
    atr: Vec<Option<f64>>,
    hv: Vec<Option<f64>>,
}

impl Indicators {
    /// The indicators of `candles`; an error when there are too few bars or a price is missing,
    /// zero or negative.
    fn of(symbol: &Symbol, timeframe: Timeframe, candles: &[Candle]) -> Result<Indicators, AppError> {
        if candles.len() < MIN_BARS {
            return Err(AppError::new(
                ErrorCode::AnalysisError,
                format!(
                    "{symbol} has {} {} bars; a chart analysis needs at least {MIN_BARS}",
                    candles.len(),
                    timeframe.as_str()
                ),
            ));
        }
        let close: Vec<f64> = candles.iter().map(|c| c.close).collect();
        let high: Vec<f64> = candles.iter().map(|c| c.high).collect();
        let low: Vec<f64> = candles.iter().map(|c| c.low).collect();
        if close
            .iter()
            .chain(&high)
            .chain(&low)
            .any(|v| !v.is_finite() || *v <= 0.0)
        {
            return Err(AppError::new(
                ErrorCode::AnalysisError,
                format!("{symbol} has bars with missing or non-positive prices"),
            ));
        }
        Ok(Indicators {
            sma20: indicators::sma(&close, 20),
            sma50: indicators::sma(&close, 50),
            sma200: indicators::sma(&close, 200),
            ema20: indicators::ema(&close, 20),
            rsi: indicators::rsi(&close, 14),
            macd: indicators::macd(&close, 12, 26, 9),
            bands: indicators::bollinger(&close, 20, 2.0, 2.0),
            atr: indicators::atr(&high, &low, &close, 14),
            hv: indicators::historical_volatility(&close, 20, volatility::bars_per_year(timeframe)),
            close,
            high,
            low,
        })
    }
}

/// The chart analysis of a candle series (pure). `metrics` adds IV context when known.
pub fn analyze_series(
    symbol: &Symbol,
    timeframe: Timeframe,
    candles: &[Candle],
    metrics: Option<&MarketMetrics>,
) -> Result<ChartAnalysis, AppError> {
    let ind = Indicators::of(symbol, timeframe, candles)?;
    let last_close = ind.close.last().copied().unwrap_or_default();
    let trend = trend::trend(&ind, last_close);
    let momentum = momentum::momentum(&ind);
    let volatility = volatility::volatility(&ind, last_close, timeframe, metrics);
    let levels = levels::levels(&ind, last_close, last(&ind.atr));
    let signals = signals::signals(&ind, last_close, &trend, &momentum, &volatility, &levels);
    let summary = signals::summary(
        symbol,
        timeframe,
        trend.direction,
        &momentum,
        &volatility,
        &levels,
    );
    Ok(ChartAnalysis {
        symbol: symbol.to_string(),
        timeframe: timeframe.as_str(),
        aggregated_from_daily: false,
        bars: candles.len(),
        last_bar: candles.last().map(|c| c.time.to_string()).unwrap_or_default(),
        last_close,
        trend,
        momentum,
        volatility,
        levels,
        signals,
        summary,
        source: String::new(),
        synthetic: false,
    })
}

impl App {
    /// Candles for an analysis: weekly from daily when the broker has no weekly series.
    pub(crate) async fn analysis_candles(
        &self,
        symbol: &Symbol,
        timeframe: Timeframe,
    ) -> Result<(Vec<Candle>, bool), AppError> {
        let now = self.broker().now();
        let lookback_days = match timeframe {
            Timeframe::Daily => 450,
            Timeframe::Weekly => 5 * 365,
            Timeframe::Intraday => 7,
        };
        let since = now.add_millis(-lookback_days * MS_PER_DAY);
        match self.broker().candles(symbol, timeframe, since).await {
            Ok(candles) => Ok((candles, false)),
            Err(BrokerError::Unsupported(_)) if timeframe == Timeframe::Weekly => {
                let daily = self.broker().candles(symbol, Timeframe::Daily, since).await?;
                Ok((weekly_from_daily(&daily), true))
            }
            Err(BrokerError::Unsupported(message)) => Err(AppError::new(
                ErrorCode::NotFound,
                format!("{message}; daily and weekly analyses are available"),
            )
            .with_detail("field", "timeframe")),
            Err(other) => Err(other.into()),
        }
    }

    /// Market metrics of one symbol, when the broker has them (their absence is not an error).
    pub(crate) async fn metrics_of(&self, symbol: &Symbol) -> Option<MarketMetrics> {
        self.broker()
            .market_metrics(std::slice::from_ref(symbol))
            .await
            .ok()
            .and_then(|m| m.into_iter().next())
    }

    /// Chart analysis of a symbol, with the picture when a renderer is wired and one is asked.
    pub async fn analyze_chart(
        &self,
        symbol: &Symbol,
        timeframe: Timeframe,
        include_chart: bool,
    ) -> Result<(ChartAnalysis, Option<Vec<u8>>), AppError> {
        let (analysis, picture, _) = self
            .analyze_chart_with_candles(symbol, timeframe, include_chart)
            .await?;
        Ok((analysis, picture))
    }

    /// [`App::analyze_chart`] and the candles it analysed (an interactive chart draws them).
    pub async fn analyze_chart_with_candles(
        &self,
        symbol: &Symbol,
        timeframe: Timeframe,
        include_chart: bool,
    ) -> Result<(ChartAnalysis, Option<Vec<u8>>, Vec<Candle>), AppError> {
        let (candles, aggregated) = self.analysis_candles(symbol, timeframe).await?;
        let metrics = self.metrics_of(symbol).await;
        let mut analysis = analyze_series(symbol, timeframe, &candles, metrics.as_ref())?;
        analysis.aggregated_from_daily = aggregated;
        let source = self.source();
        analysis.source = source.source.clone();
        analysis.synthetic = source.synthetic;
        let picture = if include_chart {
            let renderer = self.chart_renderer().ok_or_else(|| {
                AppError::new(
                    ErrorCode::AnalysisError,
                    "this build has no chart renderer; call again without include_chart",
                )
            })?;
            let line = if source.synthetic {
                format!("{} — SYNTHETIC demo data, not market prices", source.source)
            } else {
                source.source.clone()
            };
            let spec = chart_spec(&analysis, &candles, 120, line);
            let png = renderer.render_png(&spec).map_err(|e| {
                tracing::error!(error = %e, "chart rendering failed");
                AppError::new(
                    ErrorCode::AnalysisError,
                    "the chart picture could not be drawn; the analysis itself is fine without include_chart",
                )
            })?;
            Some(png)
        } else {
            None
        };
        Ok((analysis, picture, candles))
    }
}
