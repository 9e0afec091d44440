//! Time to render a 300-bar daily chart with 6 lines, 4 levels and volume at 1200×800, PNG
//! encoding included, and the size of the PNG.
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

    let mut png = Vec::new();
    for _ in 0..WARM_UP {
        png = renderer.render_png(black_box(&spec)).expect("render");
    }
    let mut times_ms: Vec<f64> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            let bytes = renderer.render_png(black_box(&spec)).expect("render");
            let elapsed = start.elapsed().as_secs_f64() * 1000.0;
            black_box(bytes);
            elapsed
        })
        .collect();
    times_ms.sort_by(f64::total_cmp);
    let median = times_ms[RUNS / 2];
    println!(
        "render 300 bars, 6 lines, 4 levels, volume, 1200x800 PNG: median {median:.1} ms (min {:.1}, max {:.1}, {RUNS} runs), {:.1} KB",
        times_ms[0],
        times_ms[RUNS - 1],
        png.len() as f64 / 1024.0
    );
}
