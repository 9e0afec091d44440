//! DXLink against REST on the fake TastyTrade server (127.0.0.1): the latency of a quote asked
//! through `BrokerPort::quotes`, and through `App::quotes` (what the `get_quote` tool calls, with
//! the market-data cache off so that REST is really asked), when the stream holds it versus when
//! it is fetched over REST; and the time to load 1000 daily candles from a `Candle` snapshot.
//!
//! Run with `cargo bench -p broker-tastytrade --bench streaming`.
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use broker_tastytrade::{StreamSettings, TastyConfig, TastyTradeBroker};
use contract_tests::fake_tastytrade::{FakeOptions, FakeTastyTrade};
use ttai_core::app::{App, AppConfig};
use ttai_core::domain::{Symbol, Timeframe};
use ttai_core::ports::BrokerPort;
use ttai_core::testing::{InMemoryStore, sample_candles, sample_now};
use ttai_core::time::Timestamp;

fn broker(fake: &FakeTastyTrade, streaming: bool) -> TastyTradeBroker {
    TastyTradeBroker::new(TastyConfig {
        api_url: fake.url(),
        user_agent: "ttai-bench/0.0.0".to_owned(),
        timeout: Duration::from_secs(10),
        credentials: Some(fake.credentials()),
        now: sample_now,
        streaming: streaming.then(StreamSettings::standard),
    })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
    println!(
        "{name:<44} n={:<6} p50={:>10.1?} p99={:>10.1?} mean={:>10.1?}",
        samples.len(),
        percentile(&samples, 0.50),
        percentile(&samples, 0.99),
        mean
    );
}

async fn quote_latency(broker: &TastyTradeBroker, n: usize) -> Vec<Duration> {
    let spy = [Symbol::parse("SPY").unwrap()];
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        let quotes = broker.quotes(&spy).await.unwrap();
        samples.push(started.elapsed());
        assert_eq!(quotes.len(), 1);
    }
    samples
}

/// The `get_quote` use case over `broker`, with no quote caching.
fn app(broker: TastyTradeBroker) -> App {
    App::new(
        Arc::new(broker),
        Arc::new(InMemoryStore::new()),
        AppConfig {
            default_account: None,
            risk_free_rate: 0.04,
            dividend_yield: 0.0,
            quote_ttl: Duration::ZERO,
            chain_ttl: Duration::ZERO,
        },
    )
}

async fn app_latency(app: &App, n: usize) -> Vec<Duration> {
    let spy = [Symbol::parse("SPY").unwrap()];
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        let quotes = app.quotes(&spy).await.unwrap();
        samples.push(started.elapsed());
        assert_eq!(quotes.len(), 1);
    }
    samples
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut options = FakeOptions::scenario();
        let spy = Symbol::parse("SPY").unwrap();
        let long = sample_candles(300.0, 0.0005, 1000, sample_now().date());
        options
            .market
            .candles
            .retain(|(s, t, _)| !(s == &spy && *t == Timeframe::Daily));
        options.market.candles.push((spy.clone(), Timeframe::Daily, long));
        let fake = FakeTastyTrade::start_with(options).unwrap();

        let rest = broker(&fake, false);
        quote_latency(&rest, 20).await;
        report(
            "get quote over REST (new request each)",
            quote_latency(&rest, 500).await,
        );

        let streamed = broker(&fake, true);
        streamed.quotes(std::slice::from_ref(&spy)).await.unwrap();
        while streamed.live_quotes(std::slice::from_ref(&spy)).is_empty() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        report(
            "get quote from the DXLink stream",
            quote_latency(&streamed, 100_000).await,
        );

        let rest_app = app(broker(&fake, false));
        report(
            "App::quotes (get_quote) over REST",
            app_latency(&rest_app, 500).await,
        );
        let stream_app = app(broker(&fake, true));
        stream_app.quotes(std::slice::from_ref(&spy)).await.unwrap();
        while stream_app
            .broker()
            .live_quotes(std::slice::from_ref(&spy))
            .is_empty()
        {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        report(
            "App::quotes (get_quote) from the stream",
            app_latency(&stream_app, 100_000).await,
        );

        let cold = broker(&fake, true);
        let started = Instant::now();
        let first = cold
            .candles(&spy, Timeframe::Daily, Timestamp::from_millis(0))
            .await
            .unwrap();
        let cold_time = started.elapsed();
        assert_eq!(first.len(), 1000);
        println!(
            "{:<44} {cold_time:>10.1?}",
            "1000 daily candles, first (token + connect)"
        );
        let mut samples = Vec::new();
        for _ in 0..50 {
            let started = Instant::now();
            let bars = cold
                .candles(&spy, Timeframe::Daily, Timestamp::from_millis(0))
                .await
                .unwrap();
            samples.push(started.elapsed());
            assert_eq!(bars.len(), 1000);
        }
        report("1000 daily candles, connection open", samples);
    });
}
