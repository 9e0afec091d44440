//! Analysis and alert benchmarks on in-memory fakes (no broker I/O):
//! - `run_full_analysis` on 300 daily bars and a 500-option chain (chart, options ranking,
//!   account context, recommendation, knowledge notes, save);
//! - one alert-monitor check of 1000 active alerts over 100 symbols: time and broker calls.
//!
//! Run with `cargo bench -p ttai-core --features testing --bench analysis`.
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use ttai_core::app::analysis::{Progress, Strategy};
use ttai_core::app::{App, AppConfig};
use ttai_core::domain::{
    AlertCondition, Expiration, InstrumentType, OptionChain, OptionContract, OptionType, Quote, StrikeRow,
    Symbol, Timeframe, occ_symbol, round_to,
};
use ttai_core::quant::bsm::{self, BsmInput};
use ttai_core::testing::{FakeBroker, InMemoryStore, sample_candles, sample_market, sample_now};

struct Quiet;
impl Progress for Quiet {
    fn report(&self, _: f64, _: f64, _: &str) {}
}

fn config() -> AppConfig {
    AppConfig {
        default_account: None,
        risk_free_rate: 0.04,
        dividend_yield: 0.0,
        quote_ttl: Duration::from_secs(60),
        chain_ttl: Duration::from_secs(300),
    }
}

/// A 500-option chain (5 expirations × 50 strikes × call and put) priced with a smile.
fn chain(spot: f64) -> OptionChain {
    let now = sample_now();
    let expirations = [21, 28, 35, 42, 49]
        .iter()
        .map(|days| {
            let date = now.date().add_days(*days);
            let t = f64::from(*days) / 365.0;
            let strikes = (0..50)
                .map(|i| {
                    let strike = (spot * 0.8 / 5.0).round() * 5.0 + 5.0 * f64::from(i);
                    let vol = 0.2 + 0.3 * (strike / spot).ln().abs();
                    let side = |option_type| {
                        let p = bsm::price(&BsmInput {
                            option_type,
                            spot,
                            strike,
                            t,
                            vol,
                            rate: 0.04,
                            div: 0.0,
                        })
                        .unwrap();
                        OptionContract {
                            symbol: occ_symbol("SPY", date, option_type, strike),
                            streamer_symbol: None,
                            bid: Some(round_to((p * 0.97 - 0.01).max(0.0), 2)),
                            ask: Some(round_to(p * 1.03 + 0.01, 2)),
                            last: None,
                            volume: Some(100.0),
                            open_interest: Some(1000.0),
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
    OptionChain {
        underlying: Symbol::parse("SPY").unwrap(),
        underlying_price: Some(spot),
        shares_per_contract: 100,
        exercise_style: "American".into(),
        expirations,
        as_of: now,
    }
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        // run_full_analysis: 300 bars, 500 options.
        let mut market = sample_market();
        let candles = sample_candles(480.0, 0.0008, 300, sample_now().date());
        let spot = candles.last().unwrap().close;
        market.candles = vec![(Symbol::parse("SPY").unwrap(), Timeframe::Daily, candles)];
        market.chains = vec![chain(spot)];
        let options: usize = market.chains[0].expirations.iter().map(|e| e.strikes.len() * 2).sum();
        let app = App::new(Arc::new(FakeBroker::new(market, sample_now())), Arc::new(InMemoryStore::new()), config());
        let spy = Symbol::parse("SPY").unwrap();
        // Warm-up: the knowledge index is built on first use.
        for _ in 0..3 {
            app.run_full_analysis(&spy, Strategy::Csp, &Quiet).await.unwrap();
        }
        let mut samples = Vec::new();
        for _ in 0..30 {
            let start = Instant::now();
            let result = app.run_full_analysis(&spy, Strategy::Csp, &Quiet).await.unwrap();
            samples.push(start.elapsed().as_secs_f64() * 1e3);
            std::hint::black_box(result);
        }
        println!("run_full_analysis (300 bars, {options}-option chain, in-memory fakes): median {:.2} ms", median(samples));
        let mut samples = Vec::new();
        for _ in 0..30 {
            let start = Instant::now();
            std::hint::black_box(app.analyze_chart(&spy, Timeframe::Daily, false).await.unwrap());
            samples.push(start.elapsed().as_secs_f64() * 1e3);
        }
        println!("analyze_chart (300 bars): median {:.3} ms", median(samples));

        // Alert monitor: 1000 active alerts over 100 symbols.
        let mut market = sample_market();
        let template = market.quotes[0].clone();
        market.quotes = (0..100)
            .map(|i| Quote { symbol: Symbol::parse(&format!("S{i:03}")).unwrap(), instrument_type: Some(InstrumentType::Equity), ..template.clone() })
            .collect();
        let broker = Arc::new(FakeBroker::new(market, sample_now()));
        let app = App::new(broker.clone(), Arc::new(InMemoryStore::new()), config());
        for i in 0..1000 {
            let symbol = Symbol::parse(&format!("S{:03}", i % 100)).unwrap();
            app.set_price_alert(symbol, AlertCondition::Above, 1.0e9 + f64::from(i), None).await.unwrap();
        }
        let before = broker.calls("quotes");
        let checks = 50;
        let mut samples = Vec::new();
        for _ in 0..checks {
            let start = Instant::now();
            let report = app.check_alerts().await.unwrap();
            samples.push(start.elapsed().as_secs_f64() * 1e3);
            assert_eq!(report.active, 1000);
        }
        let calls = broker.calls("quotes") - before;
        println!(
            "alert check, 1000 active alerts over 100 symbols: median {:.3} ms per check, {} broker quote call(s) per check",
            median(samples),
            calls as f64 / f64::from(checks)
        );
    });
}
