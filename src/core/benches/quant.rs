//! Timing harness for `ttai_core::quant`: price + greeks, implied volatility and the full set
//! of indicators on 1000 bars.
//!
//! Run with `cargo bench -p ttai-core --bench quant`. Each figure is the median over several
//! repetitions, after a warm-up; it is a self-contained harness with no benchmark framework.
// A benchmark binary reports on stdout and indexes its own fixed tables.
#![allow(clippy::print_stdout, clippy::indexing_slicing)]

use std::hint::black_box;
use std::time::Instant;

use ttai_core::quant::bsm::{self, BsmInput, OptionType};
use ttai_core::quant::{indicators, levels};

const REPETITIONS: usize = 15;

/// Runs `batch` (which performs `ops` operations) after a warm-up, and returns the median
/// nanoseconds per operation.
fn median_ns_per_op(ops: usize, mut batch: impl FnMut()) -> f64 {
    for _ in 0..3 {
        batch();
    }
    let mut samples: Vec<f64> = (0..REPETITIONS)
        .map(|_| {
            let start = Instant::now();
            batch();
            start.elapsed().as_secs_f64() * 1e9 / ops as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// A deterministic pseudo-random sequence in [0, 1).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn option_cases() -> Vec<BsmInput> {
    let mut rng = Lcg(20240601);
    // Strikes from deep in the money to deep out of the money, calls and puts alternating.
    let moneyness = [0.6, 0.8, 0.9, 0.97, 1.0, 1.03, 1.1, 1.25, 1.5];
    (0..1024)
        .map(|i| {
            let spot = 20.0 + 480.0 * rng.next();
            BsmInput {
                option_type: if i % 2 == 0 {
                    OptionType::Call
                } else {
                    OptionType::Put
                },
                spot,
                strike: spot * moneyness[i % moneyness.len()],
                t: (7.0 + 358.0 * rng.next()) / 365.0,
                vol: 0.1 + 0.9 * rng.next(),
                rate: 0.05 * rng.next(),
                div: 0.02 * rng.next(),
            }
        })
        .collect()
}

fn bars(n: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut rng = Lcg(7);
    let mut close = Vec::with_capacity(n);
    let mut high = Vec::with_capacity(n);
    let mut low = Vec::with_capacity(n);
    let mut price: f64 = 100.0;
    for _ in 0..n {
        price *= 1.0 + 0.04 * (rng.next() - 0.5);
        close.push(price);
        high.push(price * (1.0 + 0.01 * rng.next()));
        low.push(price * (1.0 - 0.01 * rng.next()));
    }
    (high, low, close)
}

fn main() {
    let cases = option_cases();
    let greeks_ns = median_ns_per_op(cases.len() * 20, || {
        for _ in 0..20 {
            for case in &cases {
                black_box(bsm::greeks(black_box(case)).ok());
            }
        }
    });
    println!("price + greeks (one greeks call):   {greeks_ns:8.1} ns");

    let priced: Vec<(BsmInput, f64)> = cases
        .iter()
        .filter_map(|c| bsm::price(c).ok().map(|p| (*c, p)))
        .collect();
    let iv_ns = median_ns_per_op(priced.len() * 4, || {
        for _ in 0..4 {
            for (c, p) in &priced {
                black_box(bsm::implied_volatility(
                    c.option_type,
                    c.spot,
                    c.strike,
                    c.t,
                    c.rate,
                    c.div,
                    black_box(*p),
                ));
            }
        }
    });
    println!("implied vol (ITM/ATM/OTM mix):      {iv_ns:8.1} ns");

    let (high, low, close) = bars(1000);
    let all_ns = median_ns_per_op(1, || {
        for _ in 0..10 {
            let (h, l, c) = (black_box(&high[..]), black_box(&low[..]), black_box(&close[..]));
            black_box(indicators::sma(c, 20));
            black_box(indicators::ema(c, 20));
            black_box(indicators::rsi(c, 14));
            black_box(indicators::macd(c, 12, 26, 9));
            black_box(indicators::bollinger(c, 20, 2.0, 2.0));
            black_box(indicators::atr(h, l, c, 14));
            black_box(indicators::historical_volatility(c, 20, 252.0));
            black_box(levels::swing_levels(h, l, c, 2));
            black_box(levels::swing_levels(h, l, c, 5));
        }
    }) / 10.0;
    println!("all indicators on 1000 bars:        {:8.1} µs", all_ns / 1000.0);
}
