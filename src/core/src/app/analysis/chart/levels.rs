//! Support and resistance from swing highs and lows.

use serde::Serialize;

use super::{Indicators, pct};
use crate::domain::round_to;
use crate::quant::levels::swing_levels;

/// Support and resistance from swing highs and lows.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
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

/// The swing levels around the close: a 5-bar swing window with 100 bars or more, else (or when
/// that finds nothing) 2; distances in percent and, with an ATR, in ATRs.
pub(super) fn levels(ind: &Indicators, last_close: f64, atr14: Option<f64>) -> LevelsView {
    let (close, high, low) = (&ind.close, &ind.high, &ind.low);
    let swing_k = if close.len() >= 100 { 5 } else { 2 };
    let mut swings = swing_levels(high, low, close, swing_k);
    if swings.nearest_support.is_none() && swings.nearest_resistance.is_none() && swing_k > 2 {
        swings = swing_levels(high, low, close, 2);
    }
    LevelsView {
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
    }
}
