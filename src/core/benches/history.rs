//! Realized P&L by underlying over 10 000 transactions (the most `get_realized_pnl` reads): 5 000
//! option round trips over 20 underlyings (two puts sold to open, then bought back or expired),
//! FIFO-matched; the same ledger is then read through `App::realized_pnl` on the in-memory fake
//! broker (40 pages of 250) to check the use case agrees.
//!
//! Run with `cargo bench -p ttai-core --features testing --bench history`.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Instant;

use ttai_core::app::App;
use ttai_core::app::history::RealizedRequest;
use ttai_core::app::history::realized::realize;
use ttai_core::domain::{
    AccountNumber, InstrumentType, OptionType, Symbol, TradeAction, Transaction, occ_symbol,
};
use ttai_core::testing::{
    FakeBroker, InMemoryStore, SAMPLE_ACCOUNT, sample_config, sample_market, sample_now,
};
use ttai_core::time::Date;

const UNDERLYINGS: usize = 20;
const TRANSACTIONS: usize = 10_000;

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples.get(samples.len() / 2).copied().unwrap_or(f64::NAN)
}

/// `TRANSACTIONS` transactions over the 800 days before `end`, oldest first.
fn ledger(end: Date) -> Vec<Transaction> {
    let account = AccountNumber::new(SAMPLE_ACCOUNT);
    let mut out = Vec::with_capacity(TRANSACTIONS);
    let mut k = 0_usize;
    while out.len() < TRANSACTIONS {
        let u = k % UNDERLYINGS;
        let root = format!("U{u:02}");
        let opened = end.add_days(-800 + (k / UNDERLYINGS * 3) as i32);
        let expiration = opened.add_days(35);
        let strike = 50.0 + (k % 7) as f64 * 5.0;
        let symbol = occ_symbol(&root, expiration, OptionType::Put, strike);
        let credit = 1.0 + (k % 13) as f64 * 0.1;
        let booking =
            |id: usize, date: Date, action: TradeAction, value: f64, fees: f64, sub: &str| Transaction {
                id: id as u64,
                account: account.clone(),
                executed_at: date.at_utc(15, (id % 60) as u32),
                date,
                transaction_type: if sub == "Expiration" {
                    "Receive Deliver"
                } else {
                    "Trade"
                }
                .to_owned(),
                sub_type: sub.to_owned(),
                description: String::new(),
                symbol: Some(Symbol::parse(&symbol).unwrap()),
                instrument_type: Some(InstrumentType::EquityOption),
                underlying: Some(Symbol::parse(&root).unwrap()),
                action: Some(action),
                quantity: Some(2.0),
                price: None,
                value,
                commission: 0.0,
                fees,
                net_value: value - fees,
            };
        out.push(booking(
            out.len(),
            opened,
            TradeAction::SellToOpen,
            credit * 200.0,
            2.26,
            "Sell to Open",
        ));
        if k.is_multiple_of(3) {
            out.push(booking(
                out.len(),
                expiration,
                TradeAction::BuyToClose,
                0.0,
                0.0,
                "Expiration",
            ));
        } else {
            let close = opened.add_days(10 + (k % 20) as i32);
            let debit = credit * (0.2 + (k % 11) as f64 * 0.15);
            out.push(booking(
                out.len(),
                close,
                TradeAction::BuyToClose,
                -debit * 200.0,
                0.26,
                "Buy to Close",
            ));
        }
        k += 1;
    }
    out.truncate(TRANSACTIONS);
    out
}

fn main() {
    let end = sample_now().date();
    let transactions = ledger(end);
    let start = end.add_days(-365);
    let r = realize(&transactions, start, end);
    assert_eq!(r.by_underlying.len(), UNDERLYINGS);
    let mut samples = Vec::new();
    for _ in 0..50 {
        let t = Instant::now();
        std::hint::black_box(realize(std::hint::black_box(&transactions), start, end));
        samples.push(t.elapsed().as_secs_f64() * 1e3);
    }
    println!(
        "realized P&L, {TRANSACTIONS} transactions, {UNDERLYINGS} underlyings ({} closes in the year): median {:.2} ms",
        r.closes,
        median(samples)
    );

    let mut market = sample_market();
    market.transactions = transactions;
    let app = App::new(
        Arc::new(FakeBroker::new(market, sample_now())),
        Arc::new(InMemoryStore::new()),
        sample_config(),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let request = RealizedRequest {
        start: Some(start),
        ..RealizedRequest::default()
    };
    // The use case reads all 40 pages (timed above is the computation; the fake broker clones
    // and sorts its whole market for every page, which would dominate a timing here).
    let view = runtime.block_on(app.realized_pnl(&request)).unwrap();
    assert_eq!(view.transactions_read, TRANSACTIONS);
    assert_eq!(view.closes, r.closes);
}
