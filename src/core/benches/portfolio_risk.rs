//! `get_portfolio_risk` on a 50-position book with a 7 × 5 × 2 scenario grid (70 cells):
//! - the compute alone (`assess`: pricing, strategy recognition, buying power, 70 full
//!   repricings of every leg, signals), on a book built in memory;
//! - the whole use case through `App::portfolio_risk` on the in-memory fake broker (positions,
//!   balances, quotes, metrics, ten option chains from the cache, IV from each contract's mid).
//!
//! Run with `cargo bench -p ttai-core --features testing --bench portfolio_risk`.
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use ttai_core::app::portfolio_risk::RiskRequest;
use ttai_core::app::portfolio_risk::model::{BetaSource, Book, LegKind, RiskLeg, UnderlyingState, VolSource};
use ttai_core::app::portfolio_risk::report::{ReportContext, assess};
use ttai_core::app::portfolio_risk::scenario::{MoveBasis, ScenarioGrid};
use ttai_core::app::{App, AppConfig};
use ttai_core::domain::{
    AccountNumber, Expiration, InstrumentType, MarketMetrics, OptionChain, OptionContract, OptionType,
    Position, Quote, StrikeRow, Symbol, occ_symbol, round_to,
};
use ttai_core::quant::bsm::{self, BsmInput};
use ttai_core::testing::{
    FakeBroker, InMemoryStore, SAMPLE_ACCOUNT, sample_config, sample_market, sample_now,
};

const UNDERLYINGS: [(&str, f64, f64); 10] = [
    ("AAA", 50.0, 0.9),
    ("BBB", 120.0, 1.1),
    ("CCC", 80.0, 1.3),
    ("DDD", 210.0, 0.7),
    ("EEE", 35.0, 1.5),
    ("FFF", 400.0, 1.0),
    ("GGG", 150.0, 1.2),
    ("HHH", 95.0, 0.8),
    ("III", 260.0, 1.05),
    ("JJJ", 60.0, 1.4),
];
const VOL: f64 = 0.3;
const RATE: f64 = 0.04;

fn sym(s: &str) -> Symbol {
    Symbol::parse(s).unwrap()
}

/// Five positions per underlying, 50 in all: 100 shares and a short call (a covered call), a
/// put vertical and a short put; the strikes sit on a grid of 5 % of the price.
/// (underlying, signed quantity, the option's type and strike when it is one).
type Held = (String, f64, Option<(OptionType, f64)>);

fn positions() -> Vec<Held> {
    let mut out = Vec::new();
    for (symbol, price, _) in UNDERLYINGS {
        let step = |k: f64| (price * (1.0 + 0.05 * k) * 100.0).round() / 100.0;
        out.push((symbol.to_owned(), 100.0, None));
        out.push((symbol.to_owned(), -1.0, Some((OptionType::Call, step(2.0)))));
        out.push((symbol.to_owned(), -1.0, Some((OptionType::Put, step(-2.0)))));
        out.push((symbol.to_owned(), -1.0, Some((OptionType::Put, step(-1.0)))));
        out.push((symbol.to_owned(), 1.0, Some((OptionType::Put, step(-3.0)))));
    }
    out
}

fn model_price(option_type: OptionType, spot: f64, strike: f64, days: i32) -> f64 {
    bsm::price(&BsmInput {
        option_type,
        spot,
        strike,
        t: f64::from(days) / 365.0,
        vol: VOL,
        rate: RATE,
        div: 0.0,
    })
    .unwrap()
}

fn book(days: i32) -> Book {
    let now = sample_now();
    let expiration = now.date().add_days(days);
    let legs = positions()
        .into_iter()
        .map(|(underlying, quantity, option)| {
            let price = UNDERLYINGS.iter().find(|u| u.0 == underlying).unwrap().1;
            let symbol = sym(&underlying);
            match option {
                None => RiskLeg::new(&symbol, LegKind::Linear, quantity, price * 0.97).marked(price),
                Some((option_type, strike)) => {
                    let value = model_price(option_type, price, strike, days);
                    let kind = LegKind::Option {
                        option_type,
                        strike,
                        expiration,
                    };
                    RiskLeg::new(&symbol, kind, quantity, value * 1.3)
                        .marked(round_to(value, 2))
                        .with_vol(VOL, VolSource::ChainMid)
                }
            }
        })
        .collect();
    Book {
        now,
        rate: RATE,
        legs,
        underlyings: UNDERLYINGS
            .iter()
            .map(|(symbol, price, beta)| UnderlyingState {
                symbol: sym(symbol),
                price: Some(*price),
                beta: *beta,
                beta_source: BetaSource::MarketMetrics,
                dividend_yield: 0.0,
                earnings_date: None,
                ex_dividend_date: None,
                expiration_closes: Vec::new(),
            })
            .collect(),
        reference_price: Some(590.0),
        net_liquidating_value: Some(1_000_000.0),
        buying_power_in_use: Some(250_000.0),
        margin_account: true,
    }
}

fn grid() -> ScenarioGrid {
    ScenarioGrid::new(
        Some(vec![-10.0, -5.0, -2.0, 0.0, 2.0, 5.0, 10.0]),
        Some(vec![-5.0, -2.5, 0.0, 5.0, 10.0]),
        Some(vec![0.0, 7.0]),
        Some(MoveBasis::SpyBeta),
    )
    .unwrap()
}

/// The fake broker's market: the sample account holding the same 50 positions, with quotes,
/// metrics and a chain (30 strikes, priced at σ = 30 %) for every underlying.
fn market(days: i32) -> ttai_core::testing::FakeMarket {
    let now = sample_now();
    let expiration = now.date().add_days(days);
    let mut market = sample_market();
    let account = AccountNumber::new(SAMPLE_ACCOUNT);
    market.positions = positions()
        .into_iter()
        .map(|(underlying, quantity, option)| {
            let price = UNDERLYINGS.iter().find(|u| u.0 == underlying).unwrap().1;
            let (symbol, instrument_type, multiplier, open, mark) = match option {
                None => (
                    underlying.clone(),
                    InstrumentType::Equity,
                    1.0,
                    price * 0.97,
                    price,
                ),
                Some((t, k)) => {
                    let v = model_price(t, price, k, days);
                    (
                        occ_symbol(&underlying, expiration, t, k),
                        InstrumentType::EquityOption,
                        100.0,
                        v * 1.3,
                        round_to(v, 2),
                    )
                }
            };
            Position {
                account: account.clone(),
                symbol: sym(&symbol),
                instrument_type,
                underlying: sym(&underlying),
                quantity,
                average_open_price: open,
                close_price: None,
                mark: Some(mark),
                multiplier,
                option_type: option.map(|o| o.0),
                strike: option.map(|o| o.1),
                expiration: option.map(|_| expiration),
                opened_at: None,
            }
        })
        .collect();
    let template = market.quotes[0].clone();
    for (symbol, price, beta) in UNDERLYINGS {
        market.quotes.push(Quote {
            symbol: sym(symbol),
            bid: Some(price - 0.01),
            ask: Some(price + 0.01),
            last: Some(price),
            mark: Some(price),
            ..template.clone()
        });
        market.metrics.push(MarketMetrics {
            symbol: sym(symbol),
            iv_index: Some(VOL),
            iv_rank: Some(0.4),
            iv_percentile: Some(0.5),
            hv_30: Some(0.25),
            hv_60: None,
            hv_90: None,
            earnings_date: None,
            liquidity_rating: Some(4.0),
            beta: Some(beta),
            dividend_yield: Some(0.0),
            ex_dividend_date: None,
            as_of: now,
        });
        let strikes = (-15..15)
            .map(|k| {
                let strike = (price * (1.0 + 0.05 * f64::from(k) / 1.0) * 100.0).round() / 100.0;
                let side = |t: OptionType| {
                    let v = model_price(t, price, strike, days);
                    OptionContract {
                        symbol: occ_symbol(symbol, expiration, t, strike),
                        streamer_symbol: None,
                        bid: Some(round_to((v - 0.02).max(0.01), 2)),
                        ask: Some(round_to(v + 0.02, 2)),
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
            .filter(|row| row.strike > 0.0)
            .collect();
        market.chains.push(OptionChain {
            underlying: sym(symbol),
            underlying_price: Some(price),
            shares_per_contract: 100,
            exercise_style: "American".into(),
            expirations: vec![Expiration {
                date: expiration,
                expiration_type: "Regular".into(),
                settlement: "PM".into(),
                underlying: None,
                strikes,
            }],
            as_of: now,
        });
    }
    market
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn main() {
    let days = 35;
    let book = book(days);
    let grid = grid();
    assert_eq!(book.legs.len(), 50);
    assert_eq!(grid.cells(), 70);
    let context = || ReportContext {
        account: "5WT•••01".into(),
        symbol: None,
        warnings: Vec::new(),
        source: "bench".into(),
        synthetic: true,
        group_grids: false,
    };
    let report = assess(&book, &grid, context());
    assert_eq!(
        report.groups.len(),
        30,
        "10 covered calls, 10 verticals, 10 short puts"
    );
    let mut samples = Vec::new();
    for _ in 0..200 {
        let start = Instant::now();
        std::hint::black_box(assess(std::hint::black_box(&book), &grid, context()));
        samples.push(start.elapsed().as_secs_f64() * 1e3);
    }
    println!(
        "portfolio risk compute, 50 positions, 7 x 5 x 2 grid ({} legs x 70 cells repriced): median {:.3} ms, max {:.3} ms",
        book.legs.len(),
        median(samples.clone()),
        samples.iter().copied().fold(0.0, f64::max)
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let config = AppConfig {
            quote_ttl: Duration::from_secs(600),
            chain_ttl: Duration::from_secs(600),
            ..sample_config()
        };
        let app = App::new(
            Arc::new(FakeBroker::new(market(days), sample_now())),
            Arc::new(InMemoryStore::new()),
            config,
        );
        let request = RiskRequest {
            grid: grid.clone(),
            ..RiskRequest::default_book()
        };
        let (report, _) = app.portfolio_risk(&request).await.unwrap();
        assert_eq!(report.account_summary.priced_positions, 50);
        assert_eq!(report.groups.len(), 30);
        let mut samples = Vec::new();
        for _ in 0..100 {
            let start = Instant::now();
            std::hint::black_box(app.portfolio_risk(&request).await.unwrap());
            samples.push(start.elapsed().as_secs_f64() * 1e3);
        }
        println!(
            "App::portfolio_risk, same book on the in-memory fake broker (chains cached, IV from every mid): median {:.3} ms",
            median(samples)
        );
        let text = serde_json::to_string(&report).unwrap();
        println!("answer size, 50 positions, 70 cells: {:.1} KB of JSON", text.len() as f64 / 1024.0);
    });
}
