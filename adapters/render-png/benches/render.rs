//! Time to render a 300-bar daily chart with 6 lines, 4 levels and volume at 1200×800, and a
//! scenario heat map (7 moves × 4 IV shifts × 2 days) at 1100×700, PNG encoding included, and the
//! size of each PNG.
//!
//! Run with `cargo bench -p render-png --bench render`.
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a benchmark reports its figures on stdout and fails loudly"
)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::Instant;

use render_png::PngChartRenderer;
use ttai_core::app::ChartRenderer;

const WARM_UP: usize = 3;
const RUNS: usize = 15;

fn main() {
    let spec = common::realistic(300, 6, 42);
    assert_eq!(
        (spec.candles.len(), spec.lines.len(), spec.levels.len()),
        (300, 6, 4)
    );
    let renderer = PngChartRenderer::new();
    let (median, min, max, bytes) = time(|| renderer.render_png(black_box(&spec)).expect("render"));
    println!(
        "render 300 bars, 6 lines, 4 levels, volume, 1200x800 PNG: median {median:.1} ms (min {min:.1}, max {max:.1}, {RUNS} runs), {:.1} KB",
        bytes as f64 / 1024.0
    );
    let heatmap = common::scenario_heatmap();
    let (median, min, max, bytes) =
        time(|| renderer.render_heatmap_png(black_box(&heatmap)).expect("render"));
    println!(
        "render a 7 x 4 x 2 scenario heat map, 1100x700 PNG: median {median:.1} ms (min {min:.1}, max {max:.1}, {RUNS} runs), {:.1} KB",
        bytes as f64 / 1024.0
    );
}

/// Median, min and max milliseconds of `RUNS` renders after `WARM_UP`, and the PNG's size.
fn time(render: impl Fn() -> Vec<u8>) -> (f64, f64, f64, usize) {
    let mut png = Vec::new();
    for _ in 0..WARM_UP {
        png = render();
    }
    let mut times_ms: Vec<f64> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            black_box(render());
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times_ms.sort_by(f64::total_cmp);
    (times_ms[RUNS / 2], times_ms[0], times_ms[RUNS - 1], png.len())
}
