//! The book's arithmetic: settling, closing at the fill, marking.

use super::report::Trade;
use super::settle::{Book, OpenOption, Shares, close_debit, intrinsic, settlement_debit};
use super::*;
use crate::domain::{Expiration, OptionChain, OptionContract, OptionType, StrikeRow};

fn leg(action: &'static str, option_type: OptionType, strike: f64, price: f64) -> TradeLeg {
    TradeLeg {
        action,
        option_type,
        strike,
        symbol: format!("X{strike}{}", option_type.as_str()),
        price,
    }
}

fn spread() -> OpenOption {
    OpenOption {
        trade: 0,
        expiration: "2025-02-21".parse().unwrap(),
        legs: vec![
            leg("sell", OptionType::Put, 95.0, 2.0),
            leg("buy", OptionType::Put, 90.0, 0.8),
        ],
        credit: 1.2,
        opened: "2025-01-17".parse().unwrap(),
    }
}

fn contract(symbol: &str, bid: f64, ask: f64) -> OptionContract {
    OptionContract {
        symbol: symbol.to_owned(),
        streamer_symbol: None,
        bid: Some(bid),
        ask: Some(ask),
        last: None,
        volume: None,
        open_interest: None,
        broker_greeks: None,
    }
}

#[test]
fn strategies_parse() {
    assert_eq!(BacktestStrategy::parse("Wheel"), Some(BacktestStrategy::Wheel));
    assert_eq!(
        BacktestStrategy::parse("cash-secured-put"),
        Some(BacktestStrategy::Csp)
    );
    assert_eq!(BacktestStrategy::parse("cc"), Some(BacktestStrategy::CoveredCall));
    assert_eq!(
        BacktestStrategy::parse("vertical"),
        Some(BacktestStrategy::Spread)
    );
    assert_eq!(BacktestStrategy::parse("strangle"), None);
}

#[test]
fn a_spread_settles_at_its_intrinsic_value() {
    let s = spread();
    assert_eq!(settlement_debit(&s, 100.0), 0.0);
    assert_eq!(settlement_debit(&s, 93.0), 2.0);
    // Below the long strike the loss stops at the width.
    assert_eq!(settlement_debit(&s, 80.0), 5.0);
    assert_eq!(intrinsic(OptionType::Call, 100.0, 104.5), 4.5);
    assert_eq!(intrinsic(OptionType::Call, 100.0, 95.0), 0.0);
}

#[test]
fn closing_pays_the_mid_or_the_natural_price() {
    let s = spread();
    let chain = OptionChain {
        underlying: Symbol::parse("X").unwrap(),
        underlying_price: Some(100.0),
        shares_per_contract: 100,
        exercise_style: "American".to_owned(),
        expirations: vec![Expiration {
            date: "2025-02-21".parse().unwrap(),
            expiration_type: "Regular".to_owned(),
            settlement: "PM".to_owned(),
            strikes: vec![
                StrikeRow {
                    strike: 90.0,
                    call: None,
                    put: Some(contract("X90put", 0.2, 0.3)),
                },
                StrikeRow {
                    strike: 95.0,
                    call: None,
                    put: Some(contract("X95put", 0.9, 1.1)),
                },
            ],
            underlying: None,
        }],
        as_of: "2025-02-07T21:00:00Z".parse().unwrap(),
    };
    // Buy the short back, sell the long: 1.00 − 0.25 at the mid, 1.10 − 0.20 at the natural.
    assert!((close_debit(&s, &chain, Fill::Mid).unwrap() - 0.75).abs() < 1e-12);
    assert!((close_debit(&s, &chain, Fill::Natural).unwrap() - 0.90).abs() < 1e-12);
    // A leg without a two-sided market cannot be closed here.
    let mut thin = chain.clone();
    if let Some(row) = thin.expirations[0].strikes.get_mut(0) {
        row.put = Some(contract("X90put", 0.0, 0.3));
    }
    assert_eq!(close_debit(&s, &thin, Fill::Mid), None);
}

#[test]
fn the_book_marks_open_positions() {
    let mut book = Book {
        option: Some(spread()),
        shares: Some(Shares { basis: 100.0 }),
        trades: vec![Trade {
            number: 1,
            kind: "bull_put_spread".to_owned(),
            opened: "2025-01-17".to_owned(),
            expiration: "2025-02-21".to_owned(),
            dte: 35,
            legs: spread().legs,
            credit: 1.2,
            capital: 380.0,
            underlying_at_open: 100.0,
            closed: None,
            exit: "open",
            underlying_at_close: None,
            close_debit: None,
            pnl: 0.0,
            return_percent: 0.0,
            days_held: 0,
        }],
        stock: Vec::new(),
        realized_option: 10.0,
        realized_stock: -5.0,
        capital: 10_000.0,
    };
    // Option: (1.20 − 0.50) × 100 = 70; shares: (98 − 100) × 100 = −200; realized +5.
    let (total, open) = book.marked(Some(0.5), Some(98.0));
    assert!((total - (5.0 + 70.0 - 200.0)).abs() < 1e-9 && (open - (70.0 - 200.0)).abs() < 1e-9);
    book.close("2025-02-07".parse().unwrap(), "take_profit", 101.0, 0.5);
    assert!(book.option.is_none());
    assert_eq!(book.trades[0].pnl, 70.0);
    assert_eq!(book.trades[0].days_held, 21);
    assert_eq!(book.trades[0].return_percent, 18.42);
    assert_eq!(book.trades[0].exit, "take_profit");
}
