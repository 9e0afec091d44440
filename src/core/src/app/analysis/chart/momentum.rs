//! Momentum: Wilder's RSI and the MACD with its last cross.

use serde::Serialize;

use super::{Indicators, back, last};
use crate::domain::round_to;

/// Momentum: RSI and MACD.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct MomentumView {
    /// Wilder RSI(14).
    pub rsi14: Option<f64>,
    /// overbought (≥ 70), oversold (≤ 30) or neutral.
    #[schemars(extend("enum" = ["overbought", "oversold", "neutral"]))]
    pub rsi_state: &'static str,
    /// MACD(12, 26) line.
    pub macd: Option<f64>,
    /// MACD signal line (9).
    pub macd_signal: Option<f64>,
    /// MACD histogram.
    pub macd_hist: Option<f64>,
    /// The last cross of the MACD line over its signal within 10 bars: bullish, bearish or none.
    #[schemars(extend("enum" = ["bullish", "bearish", "none"]))]
    pub macd_cross: &'static str,
    /// Bars since that cross.
    pub bars_since_cross: Option<usize>,
}

/// RSI(14) and its state, and MACD(12, 26, 9) with the last cross of its signal line within 10
/// bars.
pub(super) fn momentum(ind: &Indicators) -> MomentumView {
    let (rsi, macd) = (&ind.rsi, &ind.macd);
    let rsi14 = last(rsi).map(|v| round_to(v, 2));
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
    MomentumView {
        rsi14,
        rsi_state,
        macd: last(&macd.macd).map(|v| round_to(v, 4)),
        macd_signal: last(&macd.signal).map(|v| round_to(v, 4)),
        macd_hist: last(&macd.hist).map(|v| round_to(v, 4)),
        macd_cross,
        bars_since_cross,
    }
}
