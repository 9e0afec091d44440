//! Chain enrichment: implied volatility from the mid plus greeks for every contract of a
//! 2000-option chain (10 expirations × 100 strikes × call and put).
//!
//! Run with `cargo bench -p ttai-core --bench chain`.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Instant;

use ttai_core::app::{Pricing, enrich};
use ttai_core::domain::{Expiration, OptionChain, OptionContract, OptionType, StrikeRow, Symbol, round_to};
use ttai_core::quant::bsm::{self, BsmInput};
use ttai_core::time::{Date, Timestamp};

fn chain() -> (OptionChain, Pricing) {
    let quotes_at: Timestamp = "2025-01-15T21:00:00Z".parse().unwrap();
    let today = quotes_at.date();
    let spot = 500.0;
    let expirations = (0..10)
        .map(|k| {
            let date: Date = today.add_days(7 * (k + 1));
            let t = f64::from(7 * (k + 1)) / 365.0;
            let strikes = (0..100)
                .map(|i| {
                    let strike = 375.0 + 2.5 * f64::from(i);
                    let vol = 0.18 + 0.25 * ((strike / spot).ln()).abs();
                    let side = |option_type| {
                        let p = bsm::price(&BsmInput {
                            option_type,
                            spot,
                            strike,
                            t,
                            vol,
                            rate: 0.04,
                            div: 0.013,
                        })
                        .unwrap();
                        OptionContract {
                            symbol: String::new(),
                            streamer_symbol: None,
                            bid: Some(round_to((p * 0.98 - 0.01).max(0.0), 2)),
                            ask: Some(round_to(p * 1.02 + 0.01, 2)),
                            last: None,
                            volume: None,
                            open_interest: None,
                            broker_greeks: None,
                        }
                    };
                    StrikeRow {
                        strike,
                        call: Some(side(OptionType::Call)),
                        put: Some(side(OptionType::Put)),
                    }
                })
                .collect();
            Expiration {
                date,
                expiration_type: "Weekly".into(),
                settlement: "PM".into(),
                strikes,
                underlying: None,
            }
        })
        .collect();
    let chain = OptionChain {
        underlying: Symbol::parse("BENCH").unwrap(),
        underlying_price: Some(spot),
        shares_per_contract: 100,
        exercise_style: "American".into(),
        expirations,
        as_of: quotes_at,
    };
    (
        chain,
        Pricing {
            spot,
            rate: 0.04,
            dividend_yield: 0.013,
            quotes_at,
        },
    )
}

fn main() {
    let (chain, pricing) = chain();
    let contracts: usize = chain.expirations.iter().map(|e| e.strikes.len() * 2).sum();
    for _ in 0..3 {
        black_box(enrich(black_box(&chain), &pricing));
    }
    let mut samples: Vec<f64> = (0..21)
        .map(|_| {
            let start = Instant::now();
            black_box(enrich(black_box(&chain), &pricing));
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    let median = samples.get(samples.len() / 2).copied().unwrap_or_default();
    println!(
        "enrich a {contracts}-option chain (IV from mid + greeks): median {median:.3} ms ({:.0} ns per contract)",
        median * 1e6 / contracts as f64
    );
}
