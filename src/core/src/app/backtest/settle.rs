//! The running book of a backtest: the open option position and the shares, closing a
//! position, settling it at expiration from the tape's daily close, and marking it.

use super::report::{StockMove, Trade, TradeLeg};
use super::{BacktestRequest, BacktestStrategy, Fill};
use crate::app::{App, expiry_instant};
use crate::domain::{OptionChain, OptionContract, OptionType, Symbol, Timeframe, round_to};
use crate::error::{AppError, ErrorCode};
use crate::time::{Date, Timestamp};

/// An open option position.
pub(super) struct OpenOption {
    /// Its index in the book's trades.
    pub(super) trade: usize,
    pub(super) expiration: Date,
    pub(super) legs: Vec<TradeLeg>,
    /// Net credit per share at the fill.
    pub(super) credit: f64,
    pub(super) opened: Date,
}

/// Shares held.
pub(super) struct Shares {
    /// The price they were bought or assigned at.
    pub(super) basis: f64,
}

/// The running book.
pub(super) struct Book {
    pub(super) option: Option<OpenOption>,
    pub(super) shares: Option<Shares>,
    pub(super) trades: Vec<Trade>,
    pub(super) stock: Vec<StockMove>,
    pub(super) realized_option: f64,
    pub(super) realized_stock: f64,
    /// The most capital tied up at once so far.
    pub(super) capital: f64,
}

pub(super) fn intrinsic(option_type: OptionType, strike: f64, spot: f64) -> f64 {
    match option_type {
        OptionType::Call => (spot - strike).max(0.0),
        OptionType::Put => (strike - spot).max(0.0),
    }
}

fn find<'a>(chain: &'a OptionChain, symbol: &str) -> Option<&'a OptionContract> {
    chain
        .expirations
        .iter()
        .flat_map(|e| &e.strikes)
        .flat_map(|r| [r.call.as_ref(), r.put.as_ref()])
        .flatten()
        .find(|c| c.symbol == symbol)
}

/// The price to close `leg` (buy back a short, sell a long) at this chain's market.
fn close_price(leg: &TradeLeg, contract: &OptionContract, fill: Fill) -> Option<f64> {
    let mid = contract.mid()?;
    Some(match (fill, leg.action) {
        (Fill::Mid, _) => mid,
        (Fill::Natural, "sell") => contract.ask?,
        (Fill::Natural, _) => contract.bid?,
    })
}

/// Net debit per share to close every leg at `chain`'s market; `None` when a leg has no
/// two-sided market there.
pub(super) fn close_debit(option: &OpenOption, chain: &OptionChain, fill: Fill) -> Option<f64> {
    let mut debit = 0.0;
    for leg in &option.legs {
        let price = close_price(leg, find(chain, &leg.symbol)?, fill)?;
        debit += if leg.action == "sell" { price } else { -price };
    }
    Some(debit)
}

/// Net value per share of the legs at expiration with the underlying at `spot`.
pub(super) fn settlement_debit(option: &OpenOption, spot: f64) -> f64 {
    option
        .legs
        .iter()
        .map(|leg| {
            let value = intrinsic(leg.option_type, leg.strike, spot);
            if leg.action == "sell" { value } else { -value }
        })
        .sum()
}

/// Dollars to the cent.
pub(super) fn money(v: f64) -> f64 {
    round_to(v, 2)
}

impl Book {
    /// An empty book.
    pub(super) fn new() -> Book {
        Book {
            option: None,
            shares: None,
            trades: Vec::new(),
            stock: Vec::new(),
            realized_option: 0.0,
            realized_stock: 0.0,
            capital: 0.0,
        }
    }

    /// Closes the open option position at `at` for `debit` per share, and records why.
    pub(super) fn close(&mut self, at: Date, exit: &'static str, spot: f64, debit: f64) {
        let Some(option) = self.option.take() else {
            return;
        };
        let pnl = money((option.credit - debit) * 100.0);
        self.realized_option += pnl;
        if let Some(trade) = self.trades.get_mut(option.trade) {
            trade.closed = Some(at.to_string());
            trade.exit = exit;
            trade.underlying_at_close = Some(round_to(spot, 4));
            trade.close_debit = Some(round_to(debit, 4));
            trade.pnl = pnl;
            trade.return_percent = if trade.capital > 0.0 {
                round_to(pnl / trade.capital * 100.0, 2)
            } else {
                0.0
            };
            trade.days_held = option.opened.days_until(at);
        }
    }

    /// P&L to date with the open positions marked.
    pub(super) fn marked(&self, option_mark: Option<f64>, spot: Option<f64>) -> (f64, f64) {
        let option_open = match (&self.option, option_mark) {
            (Some(option), Some(debit)) => (option.credit - debit) * 100.0,
            _ => 0.0,
        };
        let stock_open = match (&self.shares, spot) {
            (Some(shares), Some(spot)) => (spot - shares.basis) * 100.0,
            _ => 0.0,
        };
        (
            self.realized_option + self.realized_stock + option_open + stock_open,
            option_open + stock_open,
        )
    }
}

impl App {
    /// The daily close of `symbol` on `date`, or on the last trading day before it.
    async fn close_on(&self, symbol: &Symbol, date: Date) -> Result<f64, AppError> {
        let since = date.add_days(-10).at_midnight_utc();
        let candles = self.broker().candles(symbol, Timeframe::Daily, since).await?;
        candles
            .iter()
            .rev()
            .find(|c| c.time.date() <= date)
            .map(|c| c.close)
            .ok_or_else(|| {
                AppError::new(
                    ErrorCode::AnalysisError,
                    format!("the tape has no daily close of {symbol} on or before {date} to settle a trade expiring then"),
                )
            })
    }

    /// Settles an option position whose expiration is at or before `at`.
    pub(super) async fn settle_expired(
        &self,
        request: &BacktestRequest,
        book: &mut Book,
        at: Timestamp,
    ) -> Result<(), AppError> {
        let Some(option) = book.option.as_ref() else {
            return Ok(());
        };
        if expiry_instant(option.expiration) > at {
            return Ok(());
        }
        let expiration = option.expiration;
        let spot = self.close_on(&request.symbol, expiration).await?;
        let debit = settlement_debit(option, spot);
        let short = option.legs.iter().find(|l| l.action == "sell");
        let short_itm = short.is_some_and(|l| intrinsic(l.option_type, l.strike, spot) > 0.0);
        let kind = book
            .trades
            .get(option.trade)
            .map(|t| t.kind.clone())
            .unwrap_or_default();
        let exit = match (short_itm, kind.as_str()) {
            (false, _) if debit.abs() < 1e-12 => "expired_worthless",
            (false, _) => "settled_in_the_money",
            (true, "csp") => "assigned",
            (true, "covered_call") => "called_away",
            (true, _) => "settled_in_the_money",
        };
        book.close(expiration, exit, spot, debit);
        match (exit, request.strategy) {
            ("assigned", BacktestStrategy::Wheel) => {
                book.shares = Some(Shares { basis: spot });
                book.capital = book.capital.max(spot * 100.0);
                book.stock.push(StockMove {
                    date: expiration.to_string(),
                    action: "assigned",
                    shares: 100.0,
                    price: round_to(spot, 4),
                    pnl: None,
                });
            }
            ("called_away", _) => {
                if let Some(shares) = book.shares.take() {
                    let pnl = money((spot - shares.basis) * 100.0);
                    book.realized_stock += pnl;
                    book.stock.push(StockMove {
                        date: expiration.to_string(),
                        action: "called_away",
                        shares: 100.0,
                        price: round_to(spot, 4),
                        pnl: Some(pnl),
                    });
                }
            }
            _ => {}
        }
        Ok(())
    }
}
