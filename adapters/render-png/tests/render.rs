//! Renders realistic and degenerate specs and checks the PNGs decode, have the requested size
//! and show the candles; a property test checks random small specs never panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail loudly"
)]

mod common;

use std::collections::HashSet;

use proptest::prelude::*;
use render_png::{MAX_SIDE, PngChartRenderer};
use ttai_core::app::{ChartRenderer, ChartSpec, Level, LevelKind, LineSeries, LineStyle, RenderError};
use ttai_core::domain::Candle;
use ttai_core::time::Date;

/// Colour of rising candles.
const UP: [u8; 3] = [38, 166, 91];
/// Colour of falling candles.
const DOWN: [u8; 3] = [220, 53, 69];

fn colours(rgb: &[u8]) -> HashSet<[u8; 3]> {
    rgb.chunks_exact(3).map(|p| [p[0], p[1], p[2]]).collect()
}

fn candle(day: i32, open: f64, high: f64, low: f64, close: f64) -> Candle {
    Candle {
        time: Date::from_ymd(2025, 1, 2)
            .unwrap()
            .add_days(day)
            .at_midnight_utc(),
        open,
        high,
        low,
        close,
        volume: 1000.0,
    }
}

fn small_spec(candles: Vec<Candle>) -> ChartSpec {
    ChartSpec {
        title: "TEST".into(),
        subtitle: "degenerate".into(),
        candles,
        lines: vec![],
        levels: vec![],
        volume: true,
        width: 640,
        height: 400,
    }
}

fn render(spec: &ChartSpec) -> Result<Vec<u8>, RenderError> {
    PngChartRenderer::new().render_png(spec)
}

/// Renders and checks the PNG has the spec's size; returns its pixels.
fn render_ok(spec: &ChartSpec) -> Vec<u8> {
    let bytes = render(spec).unwrap_or_else(|e| panic!("render failed: {e}"));
    let (w, h, rgb) = common::decode(&bytes);
    assert_eq!((w, h), (spec.width, spec.height));
    rgb
}

#[test]
fn a_realistic_chart_decodes_to_the_requested_size_and_shows_candles() {
    let spec = common::realistic(120, 6, 7);
    let bytes = render(&spec).unwrap();
    let (w, h, rgb) = common::decode(&bytes);
    assert_eq!((w, h), (1200, 800));
    let seen = colours(&rgb);
    assert!(seen.len() > 20, "only {} colours", seen.len());
    assert!(seen.contains(&UP), "no rising candle colour");
    assert!(seen.contains(&DOWN), "no falling candle colour");
    assert!(seen.contains(&[255, 255, 255]), "no white background");

    // Written next to the build output so a person can look at it.
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("render-png-sample.png");
    std::fs::write(&path, &bytes).unwrap();
}

#[test]
fn other_sizes_and_a_long_chart_render() {
    let mut spec = common::realistic(300, 6, 11);
    render_ok(&spec);
    spec.width = 800;
    spec.height = 600;
    spec.volume = false;
    render_ok(&spec);
    spec.width = 2400;
    spec.height = 1600;
    spec.volume = true;
    let bytes = render(&spec).unwrap();
    std::fs::write(
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("render-png-large.png"),
        &bytes,
    )
    .unwrap();
    spec.width = 160;
    spec.height = 120;
    render_ok(&spec);
}

#[test]
fn many_candles_render() {
    let mut spec = common::realistic(5000, 6, 9);
    spec.levels
        .iter_mut()
        .for_each(|l| l.label = "a very long level label ".repeat(30));
    render_ok(&spec);
}

#[test]
fn intraday_candles_render() {
    let day = Date::from_ymd(2025, 3, 3).unwrap();
    let candles: Vec<Candle> = (0..78)
        .map(|i| {
            let p = 100.0 + (f64::from(i) / 7.0).sin();
            Candle {
                time: day.at_utc(14, 30).add_millis(i64::from(i) * 300_000),
                open: p,
                high: p + 0.2,
                low: p - 0.2,
                close: p + if i % 2 == 0 { 0.1 } else { -0.1 },
                volume: 1e5,
            }
        })
        .collect();
    render_ok(&small_spec(candles));
}

#[test]
fn no_candles_is_an_error() {
    let err = render(&small_spec(vec![])).unwrap_err();
    assert!(err.0.contains("no candles"), "{err}");
}

#[test]
fn one_candle_renders() {
    let rgb = render_ok(&small_spec(vec![candle(0, 10.0, 11.0, 9.0, 10.5)]));
    assert!(colours(&rgb).contains(&UP));
}

#[test]
fn flat_prices_render() {
    let candles = (0..30).map(|i| candle(i, 50.0, 50.0, 50.0, 50.0)).collect();
    render_ok(&small_spec(candles));
    let zeros = (0..5).map(|i| candle(i, 0.0, 0.0, 0.0, 0.0)).collect();
    render_ok(&small_spec(zeros));
}

#[test]
fn non_finite_prices_are_errors() {
    let mut candles: Vec<Candle> = (0..10).map(|i| candle(i, 10.0, 11.0, 9.0, 10.5)).collect();
    candles[4].close = f64::NAN;
    let err = render(&small_spec(candles.clone())).unwrap_err();
    assert!(err.0.contains("candle 4"), "{err}");
    candles[4].close = f64::INFINITY;
    assert!(render(&small_spec(candles.clone())).is_err());
    candles[4].close = 1e300;
    assert!(render(&small_spec(candles)).is_err());

    let mut spec = small_spec((0..10).map(|i| candle(i, 10.0, 11.0, 9.0, 10.5)).collect());
    spec.levels.push(Level {
        label: "S".into(),
        price: f64::NAN,
        kind: LevelKind::Support,
    });
    assert!(render(&spec).is_err());
}

/// Colours of the SMA 20, SMA 50 and SMA 200 lines (their styles' own palette colours).
const SMA20: [u8; 3] = [245, 124, 0];
const SMA50: [u8; 3] = [30, 136, 229];
const SMA200: [u8; 3] = [142, 36, 170];
/// Colours of support and resistance levels.
const SUPPORT: [u8; 3] = [27, 140, 60];
const RESISTANCE: [u8; 3] = [200, 30, 45];

/// Ten flat-ish candles with an undefined SMA 200, an empty SMA 20, a gappy SMA 50 with one far
/// value, a far resistance and a near support.
fn spec_with_undefined_lines_and_far_levels() -> ChartSpec {
    let mut spec = small_spec((0..10).map(|i| candle(i, 10.0, 11.0, 9.0, 10.5)).collect());
    spec.lines.push(LineSeries {
        label: "SMA 200".into(),
        style: LineStyle::Sma200,
        values: vec![None; 10],
    });
    spec.lines.push(LineSeries {
        label: "empty".into(),
        style: LineStyle::Sma20,
        values: vec![],
    });
    spec.lines.push(LineSeries {
        label: "gappy".into(),
        style: LineStyle::Sma50,
        values: vec![
            Some(10.0),
            None,
            Some(10.2),
            Some(f64::NAN),
            Some(10.1),
            Some(1e12),
            Some(10.3),
            Some(10.4),
        ],
    });
    spec.levels.push(Level {
        label: "far".into(),
        price: 1e9,
        kind: LevelKind::Resistance,
    });
    spec.levels.push(Level {
        label: String::new(),
        price: 9.5,
        kind: LevelKind::Support,
    });
    spec.volume = false;
    spec
}

#[test]
fn undefined_lines_and_far_levels_are_left_out() {
    let spec = spec_with_undefined_lines_and_far_levels();
    let seen = colours(&render_ok(&spec));
    // Drawn: the candles, the gappy line's defined runs, the near support.
    assert!(seen.contains(&UP), "no candle");
    assert!(seen.contains(&SMA50), "the gappy line is missing");
    assert!(seen.contains(&SUPPORT), "the near support is missing");
    // Left out, line and legend entry alike: the undefined and the empty lines, the far level.
    assert!(!seen.contains(&SMA200), "the undefined line was drawn");
    assert!(!seen.contains(&SMA20), "the empty line was drawn");
    assert!(!seen.contains(&RESISTANCE), "the far level was drawn");

    // The same chart with those lines defined and the level near shows each of them, so the
    // checks above can see what they look for.
    let mut control = spec.clone();
    control.lines[0].values = vec![Some(10.2); 10];
    control.lines[1].values = vec![Some(9.8); 10];
    control.levels[0].price = 10.9;
    let seen = colours(&render_ok(&control));
    for (colour, what) in [(SMA200, "SMA 200"), (SMA20, "SMA 20"), (RESISTANCE, "resistance")] {
        assert!(seen.contains(&colour), "{what} not drawn in the control");
    }
}

#[test]
fn zero_missing_and_negative_volume_render() {
    let mut candles: Vec<Candle> = (0..10).map(|i| candle(i, 10.0, 11.0, 9.0, 10.5)).collect();
    for c in &mut candles {
        c.volume = 0.0;
    }
    candles[3].volume = f64::NAN;
    candles[5].volume = -5.0;
    render_ok(&small_spec(candles));
}

#[test]
fn bad_sizes_are_errors() {
    let candles: Vec<Candle> = (0..10).map(|i| candle(i, 10.0, 11.0, 9.0, 10.5)).collect();
    for (w, h) in [
        (0, 0),
        (0, 400),
        (640, 0),
        (MAX_SIDE + 1, 400),
        (640, u32::MAX),
        (10, 10),
    ] {
        let mut spec = small_spec(candles.clone());
        spec.width = w;
        spec.height = h;
        let err = render(&spec).unwrap_err();
        assert!(err.0.contains("size"), "{w}×{h}: {err}");
    }
}

#[test]
fn odd_text_renders() {
    let mut spec = common::realistic(60, 4, 3);
    spec.title = "A very long title ".repeat(40) + "\n with a newline, 中文 and emoji 📈";
    spec.subtitle = String::new();
    spec.levels.iter_mut().for_each(|l| l.label = "\t".into());
    render_ok(&spec);
}

fn price() -> impl Strategy<Value = f64> {
    prop_oneof![
        40 => -5.0..1000.0f64,
        2 => Just(0.0),
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        2 => Just(1e14),
        2 => Just(-1e-9),
    ]
}

fn spec_strategy() -> impl Strategy<Value = ChartSpec> {
    let candle = (
        price(),
        price(),
        price(),
        price(),
        prop_oneof![Just(0.0), 0.0..1e9f64, Just(f64::NAN)],
    );
    let line = (
        prop::sample::select(vec![
            LineStyle::Sma20,
            LineStyle::Sma50,
            LineStyle::Sma200,
            LineStyle::BandUpper,
            LineStyle::BandMiddle,
            LineStyle::BandLower,
        ]),
        prop::collection::vec(prop::option::of(price()), 0..10),
    );
    let level = (price(), any::<bool>(), ".{0,12}");
    (
        prop::collection::vec(candle, 0..9),
        prop::collection::vec(line, 0..4),
        prop::collection::vec(level, 0..4),
        any::<bool>(),
        prop_oneof![Just(0u32), 100..900u32, Just(5000u32)],
        prop_oneof![Just(0u32), 80..700u32],
        ".{0,40}",
    )
        .prop_map(
            |(candles, lines, levels, volume, width, height, title)| ChartSpec {
                title,
                subtitle: "proptest".into(),
                candles: candles
                    .into_iter()
                    .enumerate()
                    .map(|(i, (o, h, l, c, v))| Candle {
                        time: Date::from_ymd(2025, 1, 1)
                            .unwrap()
                            .add_days(i as i32)
                            .at_midnight_utc(),
                        open: o,
                        high: h,
                        low: l,
                        close: c,
                        volume: v,
                    })
                    .collect(),
                lines: lines
                    .into_iter()
                    .map(|(style, values)| LineSeries {
                        label: format!("{style:?}"),
                        style,
                        values,
                    })
                    .collect(),
                levels: levels
                    .into_iter()
                    .map(|(price, support, label)| Level {
                        label,
                        price,
                        kind: if support {
                            LevelKind::Support
                        } else {
                            LevelKind::Resistance
                        },
                    })
                    .collect(),
                volume,
                width,
                height,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Random small specs give a PNG of the requested size or an error, never a panic, and no
    /// error comes from a caught panic inside the plotting library.
    #[test]
    fn random_specs_never_panic(spec in spec_strategy()) {
        match render(&spec) {
            Ok(bytes) => {
                let (w, h, _) = common::decode(&bytes);
                prop_assert_eq!((w, h), (spec.width, spec.height));
            }
            Err(err) => prop_assert!(!err.0.contains("panicked"), "{}", err),
        }
    }
}

fn series(points: Vec<(ttai_core::time::Timestamp, f64)>) -> ttai_core::app::SeriesSpec {
    ttai_core::app::SeriesSpec {
        title: "Backtest · csp on SPY".into(),
        subtitle: "P&L +383.50 · replay:demo (synthetic data)".into(),
        label: "P&L to date ($)".into(),
        points,
        width: 900,
        height: 500,
    }
}

#[test]
fn an_equity_curve_draws_its_line_and_bad_series_are_errors() {
    let start = Date::from_ymd(2025, 1, 3).unwrap().at_utc(21, 0);
    let points: Vec<_> = (0..53)
        .map(|w| {
            (
                start.add_millis(i64::from(w) * 7 * 86_400_000),
                f64::from(w * 37 % 400) - 150.0,
            )
        })
        .collect();
    let png_bytes = PngChartRenderer::new()
        .render_series_png(&series(points.clone()))
        .unwrap();
    let (width, height, rgb) = common::decode(&png_bytes);
    assert_eq!((width, height), (900, 500));
    let line = [31_u8, 119, 180];
    let blue = rgb.chunks_exact(3).filter(|p| p == &line).count();
    assert!(blue > 500, "the curve is drawn ({blue} pixels)");

    let renderer = PngChartRenderer::new();
    assert!(renderer.render_series_png(&series(points[..1].to_vec())).is_err());
    let mut nan = points.clone();
    nan[3].1 = f64::NAN;
    assert!(renderer.render_series_png(&series(nan)).is_err());
    let mut shuffled = points.clone();
    shuffled.swap(1, 2);
    assert!(renderer.render_series_png(&series(shuffled)).is_err());
    let mut huge = series(points.clone());
    huge.width = MAX_SIDE + 1;
    assert!(renderer.render_series_png(&huge).is_err());
    // Flat at zero still draws.
    let flat: Vec<_> = points.iter().map(|(t, _)| (*t, 0.0)).collect();
    assert!(renderer.render_series_png(&series(flat)).is_ok());
}
