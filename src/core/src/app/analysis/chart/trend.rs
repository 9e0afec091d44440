//! Trend: the close against its 20, 50 and 200-bar simple moving averages.

use serde::Serialize;

use super::{Indicators, back, last, pct};
use crate::domain::round_to;

/// Price against one moving average.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
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
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct TrendView {
    /// uptrend, downtrend or sideways.
    #[schemars(extend("enum" = ["uptrend", "downtrend", "sideways"]))]
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

/// The close against one average, and the average's slope over the last 5 bars.
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

/// The trend of `close`: its averages and a direction only when the close, the 50-bar and the
/// 200-bar averages line up (with the 50 rising or falling); the 50-bar alone when there are not
/// yet 200 bars.
pub(super) fn trend(ind: &Indicators, last_close: f64) -> TrendView {
    let trend_20 = average_view(&ind.sma20, last_close);
    let trend_50 = average_view(&ind.sma50, last_close);
    let trend_200 = average_view(&ind.sma200, last_close);
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

    TrendView {
        direction,
        reason,
        sma20: trend_20,
        sma50: trend_50,
        sma200: trend_200,
        ema20: last(&ind.ema20).map(|v| round_to(v, 4)),
    }
}
