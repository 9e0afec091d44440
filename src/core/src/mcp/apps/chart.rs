//! The chart view's model: the candles analysed, the averages and bands over them, the levels
//! and the signals of `analyze_chart`.

use serde_json::{Value, json};

use super::cents;
use crate::app::LevelKind;
use crate::app::analysis::{ChartAnalysis, chart_spec};
use crate::domain::Candle;

/// Most bars sent: a year of daily bars, 260 weeks, or five days of 5-minute bars (the view-model
/// stays near 25 KB).
pub(crate) const MAX_BARS: usize = 260;

/// The view-model of one chart analysis over `candles`.
pub(crate) fn view_model(analysis: &ChartAnalysis, candles: &[Candle]) -> Value {
    let spec = chart_spec(analysis, candles, MAX_BARS, String::new());
    let bars: Vec<Value> = spec
        .candles
        .iter()
        .map(|c| {
            json!([
                c.time.millis() / 1000,
                cents(c.open),
                cents(c.high),
                cents(c.low),
                cents(c.close),
                c.volume.round()
            ])
        })
        .collect();
    let lines: Vec<Value> = spec
        .lines
        .iter()
        .map(|line| {
            let values: Vec<Option<f64>> = line.values.iter().map(|v| v.map(cents)).collect();
            json!({ "label": line.label, "values": values })
        })
        .collect();
    let levels: Vec<Value> = spec
        .levels
        .iter()
        .map(|level| {
            json!({
                "kind": match level.kind { LevelKind::Support => "support", LevelKind::Resistance => "resistance" },
                "price": level.price,
            })
        })
        .collect();
    // The MACD cross the analysis found, on the bar it happened.
    let cross = (analysis.momentum.macd_cross != "none")
        .then_some(analysis.momentum.bars_since_cross)
        .flatten()
        .and_then(|ago| bars.len().checked_sub(ago + 1))
        .map(|index| json!({ "index": index, "direction": analysis.momentum.macd_cross, "text": format!("MACD {} cross", analysis.momentum.macd_cross) }));
    json!({
        "view": "chart",
        "symbol": analysis.symbol,
        "timeframe": analysis.timeframe,
        "aggregated_from_daily": analysis.aggregated_from_daily,
        "bars_analysed": analysis.bars,
        "bars": bars,
        "lines": lines,
        "levels": levels,
        "nearest_support": analysis.levels.nearest_support,
        "nearest_resistance": analysis.levels.nearest_resistance,
        "markers": cross.into_iter().collect::<Vec<_>>(),
        "last_close": analysis.last_close,
        "last_bar": analysis.last_bar,
        "trend": analysis.trend.direction,
        "trend_reason": analysis.trend.reason,
        "sma": {
            "sma20": analysis.trend.sma20.value,
            "sma50": analysis.trend.sma50.value,
            "sma200": analysis.trend.sma200.value,
        },
        "bollinger": { "upper": analysis.volatility.bollinger.upper, "lower": analysis.volatility.bollinger.lower },
        "rsi14": analysis.momentum.rsi14,
        "atr14": analysis.volatility.atr14,
        "signals": analysis.signals,
        "summary": analysis.summary,
        "source": analysis.source,
        "synthetic": analysis.synthetic,
    })
}
