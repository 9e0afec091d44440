//! Signals (observations with the numbers behind them, most important first) and the summary.

use serde::Serialize;

use super::momentum::MomentumView;
use super::trend::TrendView;
use super::volatility::VolatilityView;
use super::{Indicators, LevelsView, back, last, pct};
use crate::domain::{Symbol, Timeframe};

/// One observation with the numbers behind it.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Signal {
    /// Short name, e.g. `golden_cross`.
    pub name: &'static str,
    /// bullish, bearish or neutral.
    #[schemars(extend("enum" = ["bullish", "bearish", "neutral"]))]
    pub direction: &'static str,
    /// What it means, with the numbers.
    pub detail: String,
}

/// The signals of an analysed series: crosses of the 50 and 200-bar averages within 10 bars, the
/// close against the 200-bar average, RSI extremes, a recent MACD cross, the close outside the
/// bands, the close within an ATR of a level, and implied against realised volatility.
pub(super) fn signals(
    ind: &Indicators,
    last_close: f64,
    trend: &TrendView,
    momentum: &MomentumView,
    volatility: &VolatilityView,
    levels: &LevelsView,
) -> Vec<Signal> {
    let (sma50, sma200) = (&ind.sma50, &ind.sma200);
    let (trend_50, trend_200) = (&trend.sma50, &trend.sma200);
    let (rsi14, rsi_state) = (momentum.rsi14, momentum.rsi_state);
    let (macd_cross, bars_since_cross) = (momentum.macd_cross, momentum.bars_since_cross);
    // The close against the unrounded bands and ATR, as they were computed.
    let (upper, lower) = (last(&ind.bands.upper), last(&ind.bands.lower));
    let atr14 = last(&ind.atr);
    let mut signals = Vec::new();
    if let (Some(s50), Some(s200), Some(p50), Some(p200)) =
        (trend_50.value, trend_200.value, back(sma50, 10), back(sma200, 10))
    {
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

    signals
}

/// One line: direction, RSI, the nearest levels and IV against HV.
pub(super) fn summary(
    symbol: &Symbol,
    timeframe: Timeframe,
    direction: &str,
    momentum: &MomentumView,
    volatility: &VolatilityView,
    levels: &LevelsView,
) -> String {
    let (rsi14, rsi_state) = (momentum.rsi14, momentum.rsi_state);
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

    summary
}
