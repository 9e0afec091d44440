//! `analyze_chart`: trend, momentum, volatility, support and resistance, and signals, from the
//! quant library's TA-Lib-exact indicators.

use serde::Serialize;

use crate::app::{App, ChartSpec, Level, LevelKind, LineSeries, LineStyle};
use crate::domain::{Candle, MarketMetrics, Symbol, Timeframe, round_to, weekly_from_daily};
use crate::error::{AppError, ErrorCode};
use crate::ports::BrokerError;
use crate::quant::{indicators, levels};
use crate::time::MS_PER_DAY;

/// Fewest bars an analysis accepts.
pub const MIN_BARS: usize = 30;

/// Price against one moving average.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AverageView {
    /// The average's value on the last bar (null until enough bars).
    pub value: Option<f64>,
    /// (close − average) / average, percent.
    pub distance_percent: Option<f64>,
    /// Close above the average.
    pub above: Option<bool>,
    /// Change of the average over the last 5 bars, percent per bar.
    pub slope_percent_per_bar: Option<f64>,
}

/// Trend: the close against the 20, 50 and 200-bar averages.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TrendView {
    /// uptrend, downtrend or sideways.
    pub direction: &'static str,
    /// Why, in words.
    pub reason: String,
    /// 20-bar simple moving average.
    pub sma20: AverageView,
    /// 50-bar simple moving average.
    pub sma50: AverageView,
    /// 200-bar simple moving average.
    pub sma200: AverageView,
    /// 20-bar exponential moving average (SMA-seeded).
    pub ema20: Option<f64>,
}

/// Momentum: RSI and MACD.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MomentumView {
    /// Wilder RSI(14).
    pub rsi14: Option<f64>,
    /// overbought (≥ 70), oversold (≤ 30) or neutral.
    pub rsi_state: &'static str,
    /// MACD(12, 26) line.
    pub macd: Option<f64>,
    /// MACD signal line (9).
    pub macd_signal: Option<f64>,
    /// MACD histogram.
    pub macd_hist: Option<f64>,
    /// The last cross of the MACD line over its signal within 10 bars: bullish, bearish or none.
    pub macd_cross: &'static str,
    /// Bars since that cross.
    pub bars_since_cross: Option<usize>,
}

/// Bollinger bands on the last bar.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BandsView {
    /// Upper band (SMA20 + 2 population SD).
    pub upper: Option<f64>,
    /// Middle band (SMA20).
    pub middle: Option<f64>,
    /// Lower band.
    pub lower: Option<f64>,
    /// (upper − lower) / middle, percent.
    pub width_percent: Option<f64>,
    /// Where the close sits: 0 at the lower band, 1 at the upper.
    pub percent_b: Option<f64>,
}

/// Volatility: ATR, bands, realised and implied.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VolatilityView {
    /// Wilder ATR(14), in price units.
    pub atr14: Option<f64>,
    /// ATR as a percent of the close.
    pub atr_percent: Option<f64>,
    /// Bollinger bands (20, 2).
    pub bollinger: BandsView,
    /// Close-to-close historical volatility over 20 bars, annualised (fraction).
    pub hv20: Option<f64>,
    /// The window of `hv20` in time: "20 days", "20 weeks" or "20 five-minute bars".
    pub hv_window: &'static str,
    /// Implied volatility index from market metrics (fraction).
    pub iv_index: Option<f64>,
    /// IV rank from market metrics (0–1).
    pub iv_rank: Option<f64>,
    /// iv_index / hv20: above 1 means options price more movement than the stock has shown.
    pub iv_hv_ratio: Option<f64>,
}

/// Support and resistance from swing highs and lows.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LevelsView {
    /// Swing window half-width used (bars on each side).
    pub swing_window: usize,
    /// Highest swing low below the close.
    pub nearest_support: Option<f64>,
    /// Lowest swing high above the close.
    pub nearest_resistance: Option<f64>,
    /// (close − support) / close, percent.
    pub support_distance_percent: Option<f64>,
    /// (resistance − close) / close, percent.
    pub resistance_distance_percent: Option<f64>,
    /// Support distance in ATRs.
    pub support_distance_atr: Option<f64>,
    /// Supports below the close, nearest first (at most 5).
    pub supports: Vec<f64>,
    /// Resistances above the close, nearest first (at most 5).
    pub resistances: Vec<f64>,
}

/// One observation with the numbers behind it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Signal {
    /// Short name, e.g. `golden_cross`.
    pub name: &'static str,
    /// bullish, bearish or neutral.
    pub direction: &'static str,
    /// What it means, with the numbers.
    pub detail: String,
}

/// The result of a chart analysis.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChartAnalysis {
    /// The underlying.
    pub symbol: String,
    /// daily, weekly or intraday.
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

fn last(series: &[Option<f64>]) -> Option<f64> {
    series.last().copied().flatten().filter(|v| v.is_finite())
}

fn back(series: &[Option<f64>], bars: usize) -> Option<f64> {
    series
        .len()
        .checked_sub(1 + bars)
        .and_then(|i| series.get(i).copied().flatten())
}

fn pct(a: f64, b: f64) -> f64 {
    round_to((a - b) / b * 100.0, 2)
}

fn average_view(series: &[Option<f64>], close: f64) -> AverageView {
    let value = last(series);
    AverageView {
        value: value.map(|v| round_to(v, 4)),
        distance_percent: value.filter(|v| *v != 0.0).map(|v| pct(close, v)),
        above: value.map(|v| close > v),
        slope_percent_per_bar: match (value, back(series, 5)) {
            (Some(now), Some(then)) if then != 0.0 => Some(round_to((now - then) / then * 100.0 / 5.0, 4)),
            _ => None,
        },
    }
}

/// Bars-per-year of a timeframe, for annualising volatility.
/// What 20 bars of `timeframe` span, to name the historical volatility by its window.
fn hv_window(timeframe: Timeframe) -> &'static str {
    match timeframe {
        Timeframe::Daily => "20 days",
        Timeframe::Weekly => "20 weeks",
        Timeframe::Intraday => "20 five-minute bars",
    }
}

fn bars_per_year(timeframe: Timeframe) -> f64 {
    match timeframe {
        Timeframe::Daily => 252.0,
        Timeframe::Weekly => 52.0,
        Timeframe::Intraday => 252.0 * 78.0,
    }
}

/// The chart analysis of a candle series (pure). `metrics` adds IV context when known.
pub fn analyze_series(
    symbol: &Symbol,
    timeframe: Timeframe,
    candles: &[Candle],
    metrics: Option<&MarketMetrics>,
) -> Result<ChartAnalysis, AppError> {
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
    let last_close = close.last().copied().unwrap_or_default();
    let sma20 = indicators::sma(&close, 20);
    let sma50 = indicators::sma(&close, 50);
    let sma200 = indicators::sma(&close, 200);
    let ema20 = indicators::ema(&close, 20);
    let rsi = indicators::rsi(&close, 14);
    let macd = indicators::macd(&close, 12, 26, 9);
    let bands = indicators::bollinger(&close, 20, 2.0, 2.0);
    let atr = indicators::atr(&high, &low, &close, 14);
    let hv = indicators::historical_volatility(&close, 20, bars_per_year(timeframe));
    let swing_k = if candles.len() >= 100 { 5 } else { 2 };
    let mut swings = levels::swing_levels(&high, &low, &close, swing_k);
    if swings.nearest_support.is_none() && swings.nearest_resistance.is_none() && swing_k > 2 {
        swings = levels::swing_levels(&high, &low, &close, 2);
    }

    let trend_20 = average_view(&sma20, last_close);
    let trend_50 = average_view(&sma50, last_close);
    let trend_200 = average_view(&sma200, last_close);
    let (direction, reason) = match (trend_50.value, trend_200.value, trend_50.slope_percent_per_bar) {
        (Some(s50), Some(s200), Some(slope)) if last_close > s50 && s50 > s200 && slope > 0.0 => (
            "uptrend",
            format!("close {last_close} > SMA50 {s50:.2} > SMA200 {s200:.2}, SMA50 rising"),
        ),
        (Some(s50), Some(s200), Some(slope)) if last_close < s50 && s50 < s200 && slope < 0.0 => (
            "downtrend",
            format!("close {last_close} < SMA50 {s50:.2} < SMA200 {s200:.2}, SMA50 falling"),
        ),
        (Some(s50), None, Some(slope)) if last_close > s50 && slope > 0.0 => (
            "uptrend",
            format!("close {last_close} > SMA50 {s50:.2}, SMA50 rising (no SMA200 yet)"),
        ),
        (Some(s50), None, Some(slope)) if last_close < s50 && slope < 0.0 => (
            "downtrend",
            format!("close {last_close} < SMA50 {s50:.2}, SMA50 falling (no SMA200 yet)"),
        ),
        _ => (
            "sideways",
            "the close and the 50/200-bar averages do not line up in one direction".to_owned(),
        ),
    };

    let rsi14 = last(&rsi).map(|v| round_to(v, 2));
    let rsi_state = match rsi14 {
        Some(v) if v >= 70.0 => "overbought",
        Some(v) if v <= 30.0 => "oversold",
        _ => "neutral",
    };
    let (mut macd_cross, mut bars_since_cross) = ("none", None);
    let hist = &macd.hist;
    for bars_ago in 0..10 {
        let (Some(now), Some(before)) = (back(hist, bars_ago), back(hist, bars_ago + 1)) else {
            break;
        };
        if before <= 0.0 && now > 0.0 {
            (macd_cross, bars_since_cross) = ("bullish", Some(bars_ago));
            break;
        }
        if before >= 0.0 && now < 0.0 {
            (macd_cross, bars_since_cross) = ("bearish", Some(bars_ago));
            break;
        }
    }
    let momentum = MomentumView {
        rsi14,
        rsi_state,
        macd: last(&macd.macd).map(|v| round_to(v, 4)),
        macd_signal: last(&macd.signal).map(|v| round_to(v, 4)),
        macd_hist: last(&macd.hist).map(|v| round_to(v, 4)),
        macd_cross,
        bars_since_cross,
    };

    let atr14 = last(&atr);
    let (upper, middle, lower) = (last(&bands.upper), last(&bands.middle), last(&bands.lower));
    let hv20 = last(&hv);
    let iv_index = metrics.and_then(|m| m.iv_index);
    let volatility = VolatilityView {
        atr14: atr14.map(|v| round_to(v, 4)),
        atr_percent: atr14.map(|v| round_to(v / last_close * 100.0, 2)),
        bollinger: BandsView {
            upper: upper.map(|v| round_to(v, 4)),
            middle: middle.map(|v| round_to(v, 4)),
            lower: lower.map(|v| round_to(v, 4)),
            width_percent: match (upper, middle, lower) {
                (Some(u), Some(m), Some(l)) if m > 0.0 => Some(round_to((u - l) / m * 100.0, 2)),
                _ => None,
            },
            percent_b: match (upper, lower) {
                (Some(u), Some(l)) if u > l => Some(round_to((last_close - l) / (u - l), 3)),
                _ => None,
            },
        },
        hv20: hv20.map(|v| round_to(v, 4)),
        hv_window: hv_window(timeframe),
        iv_index,
        iv_rank: metrics.and_then(|m| m.iv_rank),
        iv_hv_ratio: match (iv_index, hv20) {
            (Some(iv), Some(h)) if h > 0.0 => Some(round_to(iv / h, 2)),
            _ => None,
        },
    };

    let levels = LevelsView {
        swing_window: swings.k,
        nearest_support: swings.nearest_support,
        nearest_resistance: swings.nearest_resistance,
        support_distance_percent: swings.nearest_support.map(|s| pct(last_close, s)),
        resistance_distance_percent: swings.nearest_resistance.map(|r| pct(r, last_close)),
        support_distance_atr: match (swings.nearest_support, atr14) {
            (Some(s), Some(a)) if a > 0.0 => Some(round_to((last_close - s) / a, 2)),
            _ => None,
        },
        supports: swings.support_below_last_close.iter().take(5).copied().collect(),
        resistances: swings
            .resistance_above_last_close
            .iter()
            .take(5)
            .copied()
            .collect(),
    };

    let mut signals = Vec::new();
    if let (Some(s50), Some(s200), Some(p50), Some(p200)) = (
        trend_50.value,
        trend_200.value,
        back(&sma50, 10),
        back(&sma200, 10),
    ) {
        if p50 <= p200 && s50 > s200 {
            signals.push(Signal {
                name: "golden_cross",
                direction: "bullish",
                detail: format!("SMA50 ({s50:.2}) crossed above SMA200 ({s200:.2}) within the last 10 bars"),
            });
        } else if p50 >= p200 && s50 < s200 {
            signals.push(Signal {
                name: "death_cross",
                direction: "bearish",
                detail: format!("SMA50 ({s50:.2}) crossed below SMA200 ({s200:.2}) within the last 10 bars"),
            });
        }
    }
    if let Some(s200) = trend_200.value {
        let above = last_close > s200;
        signals.push(Signal {
            name: if above { "above_sma200" } else { "below_sma200" },
            direction: if above { "bullish" } else { "bearish" },
            detail: format!(
                "close {last_close} is {} the 200-bar average {s200:.2} ({:+.2}%)",
                if above { "above" } else { "below" },
                pct(last_close, s200)
            ),
        });
    }
    match rsi_state {
        "overbought" => signals.push(Signal {
            name: "rsi_overbought",
            direction: "bearish",
            detail: format!(
                "RSI(14) {} ≥ 70: stretched to the upside",
                rsi14.unwrap_or_default()
            ),
        }),
        "oversold" => signals.push(Signal {
            name: "rsi_oversold",
            direction: "bullish",
            detail: format!(
                "RSI(14) {} ≤ 30: stretched to the downside",
                rsi14.unwrap_or_default()
            ),
        }),
        _ => {}
    }
    if let Some(bars) = bars_since_cross {
        signals.push(Signal {
            name: if macd_cross == "bullish" {
                "macd_bullish_cross"
            } else {
                "macd_bearish_cross"
            },
            direction: if macd_cross == "bullish" {
                "bullish"
            } else {
                "bearish"
            },
            detail: format!(
                "MACD crossed {} its signal line {bars} bar(s) ago (histogram {:+.4})",
                if macd_cross == "bullish" { "above" } else { "below" },
                momentum.macd_hist.unwrap_or_default()
            ),
        });
    }
    if let (Some(u), Some(l)) = (upper, lower) {
        if last_close > u {
            signals.push(Signal {
                name: "above_upper_band",
                direction: "bearish",
                detail: format!("close {last_close} above the upper Bollinger band {u:.2}"),
            });
        } else if last_close < l {
            signals.push(Signal {
                name: "below_lower_band",
                direction: "bullish",
                detail: format!("close {last_close} below the lower Bollinger band {l:.2}"),
            });
        }
    }
    if let (Some(s), Some(d)) = (levels.nearest_support, levels.support_distance_atr)
        && d <= 1.0
    {
        signals.push(Signal {
            name: "near_support",
            direction: "bullish",
            detail: format!("close is {d} ATR above support {s}"),
        });
    }
    if let (Some(r), Some(a)) = (levels.nearest_resistance, atr14)
        && a > 0.0
        && (r - last_close) / a <= 1.0
    {
        signals.push(Signal {
            name: "near_resistance",
            direction: "bearish",
            detail: format!("close is {:.2} ATR below resistance {r}", (r - last_close) / a),
        });
    }
    if let Some(ratio) = volatility.iv_hv_ratio {
        if ratio >= 1.2 {
            signals.push(Signal { name: "iv_above_hv", direction: "neutral", detail: format!("implied volatility is {ratio}× the volatility realised over the last {}: option premium is rich relative to that movement", volatility.hv_window) });
        } else if ratio <= 0.8 {
            signals.push(Signal { name: "iv_below_hv", direction: "neutral", detail: format!("implied volatility is {ratio}× the volatility realised over the last {}: option premium is cheap relative to that movement", volatility.hv_window) });
        }
    }

    let mut summary = format!("{symbol} ({}): {direction}", timeframe.as_str());
    summary.push_str(&format!(
        ", RSI {} ({rsi_state})",
        rsi14.map_or("n/a".to_owned(), |v| v.to_string())
    ));
    if let Some(s) = levels.nearest_support {
        summary.push_str(&format!(
            ", support {s} ({}% below)",
            levels.support_distance_percent.unwrap_or_default()
        ));
    }
    if let Some(r) = levels.nearest_resistance {
        summary.push_str(&format!(
            ", resistance {r} ({}% above)",
            levels.resistance_distance_percent.unwrap_or_default()
        ));
    }
    if let Some(ratio) = volatility.iv_hv_ratio {
        summary.push_str(&format!(", IV/HV({}) {ratio}", volatility.hv_window));
    }
    summary.push('.');

    Ok(ChartAnalysis {
        symbol: symbol.to_string(),
        timeframe: timeframe.as_str(),
        aggregated_from_daily: false,
        bars: candles.len(),
        last_bar: candles.last().map(|c| c.time.to_string()).unwrap_or_default(),
        last_close,
        trend: TrendView {
            direction,
            reason,
            sma20: trend_20,
            sma50: trend_50,
            sma200: trend_200,
            ema20: last(&ema20).map(|v| round_to(v, 4)),
        },
        momentum,
        volatility,
        levels,
        signals,
        summary,
        source: String::new(),
        synthetic: false,
    })
}

/// The picture of an analysed series: the last `bars` candles with SMAs, bands and levels.
pub(crate) fn chart_spec(
    analysis: &ChartAnalysis,
    candles: &[Candle],
    bars: usize,
    source_line: String,
) -> ChartSpec {
    let close: Vec<f64> = candles.iter().map(|c| c.close).collect();
    let start = candles.len().saturating_sub(bars);
    let cut = |series: Vec<Option<f64>>| {
        series
            .get(start..)
            .map(<[Option<f64>]>::to_vec)
            .unwrap_or_default()
    };
    let bands = indicators::bollinger(&close, 20, 2.0, 2.0);
    let lines = vec![
        LineSeries {
            label: "SMA 20".into(),
            style: LineStyle::Sma20,
            values: cut(indicators::sma(&close, 20)),
        },
        LineSeries {
            label: "SMA 50".into(),
            style: LineStyle::Sma50,
            values: cut(indicators::sma(&close, 50)),
        },
        LineSeries {
            label: "SMA 200".into(),
            style: LineStyle::Sma200,
            values: cut(indicators::sma(&close, 200)),
        },
        LineSeries {
            label: "BB upper".into(),
            style: LineStyle::BandUpper,
            values: cut(bands.upper),
        },
        LineSeries {
            label: "BB middle".into(),
            style: LineStyle::BandMiddle,
            values: cut(bands.middle),
        },
        LineSeries {
            label: "BB lower".into(),
            style: LineStyle::BandLower,
            values: cut(bands.lower),
        },
    ];
    let mut levels: Vec<Level> = analysis
        .levels
        .supports
        .iter()
        .take(2)
        .map(|p| Level {
            label: format!("S {p}"),
            price: *p,
            kind: LevelKind::Support,
        })
        .collect();
    levels.extend(analysis.levels.resistances.iter().take(2).map(|p| Level {
        label: format!("R {p}"),
        price: *p,
        kind: LevelKind::Resistance,
    }));
    ChartSpec {
        title: format!("{} · {}", analysis.symbol, analysis.timeframe),
        subtitle: source_line,
        candles: candles.get(start..).map(<[Candle]>::to_vec).unwrap_or_default(),
        lines,
        levels,
        volume: true,
        width: 1200,
        height: 800,
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::sample_candles;
    use crate::time::Date;

    fn sym() -> Symbol {
        Symbol::parse("TEST").unwrap()
    }

    #[test]
    fn a_steady_rise_is_an_uptrend_with_support_below() {
        let candles = sample_candles(100.0, 0.002, 300, Date::from_ymd(2025, 6, 13).unwrap());
        let a = analyze_series(&sym(), Timeframe::Daily, &candles, None).unwrap();
        assert_eq!(a.trend.direction, "uptrend", "{}", a.trend.reason);
        assert_eq!(a.trend.sma200.above, Some(true));
        assert!(a.trend.sma50.slope_percent_per_bar.unwrap() > 0.0);
        assert!(a.signals.iter().any(|s| s.name == "above_sma200"));
        assert!(a.levels.nearest_support.unwrap() < a.last_close);
        assert!(a.summary.starts_with("TEST (daily): uptrend"));
    }

    #[test]
    fn a_steady_fall_is_a_downtrend() {
        let candles = sample_candles(300.0, -0.002, 300, Date::from_ymd(2025, 6, 13).unwrap());
        let a = analyze_series(&sym(), Timeframe::Daily, &candles, None).unwrap();
        assert_eq!(a.trend.direction, "downtrend");
        assert!(a.signals.iter().any(|s| s.name == "below_sma200"));
    }

    #[test]
    fn indicator_values_are_the_quant_librarys() {
        let candles = sample_candles(100.0, 0.001, 250, Date::from_ymd(2025, 6, 13).unwrap());
        let a = analyze_series(&sym(), Timeframe::Daily, &candles, None).unwrap();
        let close: Vec<f64> = candles.iter().map(|c| c.close).collect();
        let rsi = indicators::rsi(&close, 14).last().copied().flatten().unwrap();
        assert_eq!(a.momentum.rsi14, Some(round_to(rsi, 2)));
        let sma = indicators::sma(&close, 20).last().copied().flatten().unwrap();
        assert_eq!(a.trend.sma20.value, Some(round_to(sma, 4)));
    }

    #[test]
    fn too_little_history_is_an_analysis_error() {
        let candles = sample_candles(100.0, 0.001, 10, Date::from_ymd(2025, 6, 13).unwrap());
        let err = analyze_series(&sym(), Timeframe::Daily, &candles, None).unwrap_err();
        assert_eq!(err.code, ErrorCode::AnalysisError);
    }

    #[test]
    fn weekly_historical_volatility_is_named_by_its_window() {
        assert_eq!(hv_window(Timeframe::Weekly), "20 weeks");
        assert_eq!(hv_window(Timeframe::Daily), "20 days");
        assert_eq!(hv_window(Timeframe::Intraday), "20 five-minute bars");
    }

    #[test]
    fn iv_against_hv_is_reported_when_metrics_exist() {
        let candles = sample_candles(100.0, 0.001, 260, Date::from_ymd(2025, 6, 13).unwrap());
        let metrics = MarketMetrics {
            symbol: sym(),
            iv_index: Some(0.9),
            iv_rank: Some(0.8),
            iv_percentile: None,
            hv_30: None,
            hv_60: None,
            hv_90: None,
            earnings_date: None,
            liquidity_rating: None,
            beta: None,
            dividend_yield: None,
            ex_dividend_date: None,
            as_of: candles.last().unwrap().time,
        };
        let a = analyze_series(&sym(), Timeframe::Daily, &candles, Some(&metrics)).unwrap();
        assert_eq!(a.volatility.hv_window, "20 days");
        assert!(
            a.signals
                .iter()
                .any(|s| s.detail.contains("realised over the last 20 days"))
        );
        assert!(a.volatility.iv_hv_ratio.unwrap() > 1.2);
        assert!(a.signals.iter().any(|s| s.name == "iv_above_hv"));
    }
}
