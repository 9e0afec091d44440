//! The picture of an analysed series, as a `ChartSpec` an adapter draws.

use super::ChartAnalysis;
use crate::app::{ChartSpec, Level, LevelKind, LineSeries, LineStyle};
use crate::domain::Candle;
use crate::quant::indicators;

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
