//! Volatility: ATR, Bollinger bands, the historical volatility and the implied one beside it.

use serde::Serialize;

use super::{Indicators, last};
use crate::domain::{MarketMetrics, Timeframe, round_to};

/// Bollinger bands on the last bar.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
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
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
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

/// What 20 bars of `timeframe` span, to name the historical volatility by its window.
pub(super) fn hv_window(timeframe: Timeframe) -> &'static str {
    match timeframe {
        Timeframe::Daily => "20 days",
        Timeframe::Weekly => "20 weeks",
        Timeframe::Intraday => "20 five-minute bars",
    }
}

/// Bars a year of a timeframe, for annualising volatility.
pub(super) fn bars_per_year(timeframe: Timeframe) -> f64 {
    match timeframe {
        Timeframe::Daily => 252.0,
        Timeframe::Weekly => 52.0,
        Timeframe::Intraday => 252.0 * 78.0,
    }
}

/// ATR(14), Bollinger(20, 2), the 20-bar historical volatility of `timeframe`, and the market
/// metrics' IV when known.
pub(super) fn volatility(
    ind: &Indicators,
    last_close: f64,
    timeframe: Timeframe,
    metrics: Option<&MarketMetrics>,
) -> VolatilityView {
    let (bands, atr, hv) = (&ind.bands, &ind.atr, &ind.hv);
    let atr14 = last(atr);
    let (upper, middle, lower) = (last(&bands.upper), last(&bands.middle), last(&bands.lower));
    let hv20 = last(hv);
    let iv_index = metrics.and_then(|m| m.iv_index);
    VolatilityView {
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
    }
}
