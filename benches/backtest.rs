#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::indexing_slicing
)]
//! Backtest wall time: one year of weekly chain snapshots of one symbol on the bundled demo tape,
//! for every strategy (the tape loaded once beforehand, its load time shown separately), and the
//! whole `ttai backtest` command from process start to report.
//!
//! Run: `cargo bench --bench backtest`.

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use broker_replay::ReplayBroker;
use ttai_core::app::{App, AppConfig, BacktestRequest, BacktestStrategy, LazyStore};
use ttai_core::domain::Symbol;
use ttai_core::ports::{BrokerPort, StoreError, StorePort};

const BIN: &str = env!("CARGO_BIN_EXE_ttai");

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let started = Instant::now();
        let replay = Arc::new(ReplayBroker::demo(None));
        replay.preload().await.unwrap();
        println!("demo tape load (inflate + index): {:.1?}", started.elapsed());
        let store: Arc<dyn StorePort> = Arc::new(LazyStore::new(Box::new(|| {
            Box::pin(async { Err(StoreError::Unavailable("no database in a benchmark".into())) })
        })));
        let app = App::new(
            replay.clone() as Arc<dyn BrokerPort>,
            store,
            AppConfig {
                default_account: None,
                risk_free_rate: 0.04,
                dividend_yield: 0.0,
                quote_ttl: Duration::from_secs(60),
                chain_ttl: Duration::from_secs(300),
            },
        );
        let spy = Symbol::parse("SPY").unwrap();
        for strategy in [
            BacktestStrategy::Csp,
            BacktestStrategy::CoveredCall,
            BacktestStrategy::Spread,
            BacktestStrategy::Wheel,
        ] {
            let request = BacktestRequest::new(spy.clone(), strategy);
            let mut samples = Vec::new();
            let mut snapshots = 0;
            let mut trades = 0;
            for _ in 0..7 {
                let started = Instant::now();
                let report = app.backtest(&request, &|_| {}).await.unwrap();
                samples.push(started.elapsed());
                snapshots = report.summary.snapshots;
                trades = report.summary.trades;
            }
            let m = median(samples);
            println!(
                "backtest {:<13} SPY, one year: {snapshots} snapshots, {trades} trades, median {:.1?} ({:.2?} per snapshot)",
                strategy.as_str(),
                m,
                m / u32::try_from(snapshots.max(1)).unwrap()
            );
        }
    });
    let mut samples = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let output = Command::new(BIN)
            .args([
                "--log-level",
                "warn",
                "backtest",
                "--strategy",
                "csp",
                "--symbol",
                "SPY",
                "--json",
            ])
            .env("TTAI_DATA_DIR", std::env::temp_dir().join("ttai-bench-backtest"))
            .output()
            .unwrap();
        samples.push(started.elapsed());
        assert!(output.status.success());
    }
    println!(
        "`ttai backtest --strategy csp --symbol SPY` end to end: median {:.1?}",
        median(samples)
    );
}
