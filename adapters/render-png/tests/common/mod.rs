//! Realistic chart specs for the tests and the benchmark: a deterministic random walk with
//! SMA and Bollinger band lines, support and resistance levels and volume; and a scenario grid
//! as a heat map.
#![allow(dead_code)]

use ttai_core::app::{ChartSpec, HeatmapPanel, HeatmapSpec, Level, LevelKind, LineSeries, LineStyle};
use ttai_core::domain::Candle;
use ttai_core::time::Date;

/// A tiny deterministic generator (xorshift), so specs are the same on every run.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    /// Uniform in [0, 1).
    pub(crate) fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `bars` daily candles (weekdays only) of a random walk around 570, starting 2024-06-03.
pub(crate) fn candles(bars: usize, seed: u64) -> Vec<Candle> {
    let mut rng = Rng::new(seed);
    let mut date = Date::from_ymd(2024, 6, 3).unwrap();
    let mut close = 570.0;
    let mut out = Vec::with_capacity(bars);
    while out.len() < bars {
        if date.is_weekend() {
            date = date.add_days(1);
            continue;
        }
        let open = close + (rng.next() - 0.5) * 3.0;
        close = open + (rng.next() - 0.48) * 9.0;
        let high = open.max(close) + rng.next() * 3.0;
        let low = open.min(close) - rng.next() * 3.0;
        out.push(Candle {
            time: date.at_utc(20, 0),
            open,
            high,
            low,
            close,
            volume: 40e6 + rng.next() * 60e6,
        });
        date = date.add_days(1);
    }
    out
}

/// Simple moving average of the closes, `None` until `period` closes exist.
pub(crate) fn sma(candles: &[Candle], period: usize) -> Vec<Option<f64>> {
    (0..candles.len())
        .map(|i| {
            (i + 1 >= period)
                .then(|| candles[i + 1 - period..=i].iter().map(|c| c.close).sum::<f64>() / period as f64)
        })
        .collect()
}

/// Bollinger bands (20, 2): upper, middle, lower.
pub(crate) fn bands(candles: &[Candle]) -> [Vec<Option<f64>>; 3] {
    let middle = sma(candles, 20);
    let mut upper = Vec::with_capacity(candles.len());
    let mut lower = Vec::with_capacity(candles.len());
    for (i, m) in middle.iter().enumerate() {
        match m {
            Some(m) => {
                let window = &candles[i + 1 - 20..=i];
                let var = window.iter().map(|c| (c.close - m).powi(2)).sum::<f64>() / 20.0;
                upper.push(Some(m + 2.0 * var.sqrt()));
                lower.push(Some(m - 2.0 * var.sqrt()));
            }
            None => {
                upper.push(None);
                lower.push(None);
            }
        }
    }
    [upper, middle, lower]
}

/// A 1200×800 daily chart with SMA 20/50, Bollinger bands, two supports, two resistances and
/// volume, plus SMA 200 when there are enough bars (`lines` caps how many lines are drawn).
pub(crate) fn realistic(bars: usize, lines: usize, seed: u64) -> ChartSpec {
    let candles = candles(bars, seed);
    let [upper, middle, lower] = bands(&candles);
    let mut all = vec![
        LineSeries {
            label: "SMA 20".into(),
            style: LineStyle::Sma20,
            values: sma(&candles, 20),
        },
        LineSeries {
            label: "SMA 50".into(),
            style: LineStyle::Sma50,
            values: sma(&candles, 50),
        },
        LineSeries {
            label: "BB upper (20, 2)".into(),
            style: LineStyle::BandUpper,
            values: upper,
        },
        LineSeries {
            label: "BB middle".into(),
            style: LineStyle::BandMiddle,
            values: middle,
        },
        LineSeries {
            label: "BB lower (20, 2)".into(),
            style: LineStyle::BandLower,
            values: lower,
        },
        LineSeries {
            label: "SMA 200".into(),
            style: LineStyle::Sma200,
            values: sma(&candles, 200),
        },
    ];
    all.truncate(lines);
    let low = candles.iter().map(|c| c.low).fold(f64::INFINITY, f64::min);
    let high = candles.iter().map(|c| c.high).fold(f64::NEG_INFINITY, f64::max);
    let last = candles.last().map(|c| c.close).unwrap_or(570.0);
    let span = high - low;
    let level = |kind, price: f64| Level {
        label: format!(
            "{} {price:.2}",
            if kind == LevelKind::Support { "S" } else { "R" }
        ),
        price,
        kind,
    };
    let levels = vec![
        level(LevelKind::Support, last - span * 0.12),
        level(LevelKind::Support, low + span * 0.05),
        level(LevelKind::Resistance, last + span * 0.1),
        level(LevelKind::Resistance, high - span * 0.03),
    ];
    ChartSpec {
        title: "SPY · daily".into(),
        subtitle: "replay:demo — synthetic data".into(),
        candles,
        lines: all,
        levels,
        volume: true,
        width: 1200,
        height: 800,
    }
}

/// A 7 × 4 × 2 scenario grid like get_portfolio_risk's default.
pub(crate) fn scenario_heatmap() -> HeatmapSpec {
    let moves: [f64; 7] = [-10.0, -5.0, -2.0, 0.0, 2.0, 5.0, 10.0];
    let shifts: [f64; 4] = [-5.0, 0.0, 5.0, 10.0];
    let panel = |day: f64| HeatmapPanel {
        title: if day == 0.0 {
            "Today".into()
        } else {
            format!("In {day} days")
        },
        rows: shifts.iter().map(|s| format!("IV {s:+} pts")).collect(),
        values: shifts
            .iter()
            .map(|s| {
                moves
                    .iter()
                    .map(|m| m * 1700.0 - s.abs() * 40.0 - day * 10.0)
                    .collect()
            })
            .collect(),
        marked: (day == 0.0).then_some((3, 0)),
    };
    HeatmapSpec {
        title: "Portfolio scenarios · 5SY•••01".into(),
        subtitle: "P&L ($), full repricing · replay:demo — SYNTHETIC".into(),
        column_title: "SPY move (each underlying × its beta)".into(),
        columns: moves.iter().map(|m| format!("{m:+} %")).collect(),
        panels: vec![panel(0.0), panel(7.0)],
        width: 1100,
        height: 700,
    }
}

/// Decodes a PNG into (width, height, RGB pixels).
pub(crate) fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().expect("PNG header");
    let mut buf = vec![0; reader.output_buffer_size().expect("buffer size")];
    let info = reader.next_frame(&mut buf).expect("PNG data");
    assert_eq!(info.color_type, png::ColorType::Rgb);
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}
