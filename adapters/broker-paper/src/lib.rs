//! `broker-paper`: paper trading as a [`BrokerPort`] decorator.
//!
//! [`PaperBroker`] wraps any broker (the replay broker on a tape, or the live TastyTrade broker
//! with `--paper`): market data, accounts and history pass through; orders never reach the
//! wrapped broker. A dry run is simulated (`ttai_core::app::orders::simulate`: the portfolio-risk
//! requirement rules and TastyTrade-like fees); a placed order is kept in the account's
//! [`PaperBook`] in the store and fills, at its limit, when the wrapped broker's market reaches
//! it (the net mid at least the credit asked, or at most the debit offered). Day orders expire at
//! the close. Options of the book that pass their expiration are settled at the underlying's
//! daily close on that date: worthless out of the money, assigned or exercised into shares at
//! the strike in the money, cash for an index. Positions and balances answer the wrapped
//! broker's account with the book laid over it, so every use case (`get_positions`,
//! `get_balances`, `get_portfolio_risk`, the analyses' sizing) sees the paper trades.
//!
//! The book is brought up to date at the wrapped broker's clock (wall time live, the replay
//! clock on a tape) whenever an account's positions, balances or orders are asked for: fills are
//! checked against the market at that moment, not at every instant in between. Moving a replay
//! clock back does not undo what the book already holds.
//!
//! Answers say paper when they are: the source is the wrapped broker's with `+paper`
//! (`tastytrade+paper`, `replay:demo+paper`) wherever paper trades can be made, and, where they
//! cannot (a replay served without orders allowed, [`PaperBroker::announced`]), from the moment
//! a book holding paper trades is read. Order answers say `paper: true` always.
//!
//! The key decision: one engine for both uses, as a decorator, so the replay and the live
//! broker fill orders by the same rules and neither adapter knows about paper trading.

mod book;
mod port;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use tokio::sync::Mutex;
use ttai_core::app::expiry_instant;
use ttai_core::app::orders::simulate;
use ttai_core::domain::{
    Account, AccountNumber, Balances, Candle, InstrumentType, MarketCalendar, MarketMetrics, MarketSession,
    NetLiqPoint, NetLiqWindow, OptionChain, Order, OrderPreview, OrderQuery, OrderRequest, OrderStatus,
    PaperBook, PaperEvent, Position, Quote, Symbol, SymbolMatch, Timeframe, TransactionPage,
    TransactionQuery, Watchlist, new_york_clock, parse_occ, round_to,
};
use ttai_core::ports::{BrokerError, BrokerInfo, BrokerPort, PAPER_SUFFIX, ReplayClock, StorePort};
use ttai_core::time::Timestamp;

use book::Market;

/// Paper trading over `inner`; see the crate docs.
pub struct PaperBroker {
    inner: Arc<dyn BrokerPort>,
    store: Arc<dyn StorePort>,
    /// One book change at a time (read, bring up to date, write).
    books: Mutex<()>,
    /// Answers say `+paper`: paper trades may be placed (orders are allowed, or `--paper`).
    announced: bool,
    /// A book with paper trades was read: answers say `+paper` from then on, whatever else.
    holds_trades: AtomicBool,
}

impl std::fmt::Debug for PaperBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaperBroker")
            .field("inner", &self.inner.info().source)
            .finish_non_exhaustive()
    }
}

fn store_error(err: ttai_core::ports::StoreError) -> BrokerError {
    BrokerError::Other {
        adapter: "paper",
        message: format!("the paper book cannot be read or written: {err}"),
    }
}

/// The markets (bid, ask) of symbols, with the underlyings' prices.
#[derive(Debug, Default)]
struct Markets {
    by_symbol: HashMap<String, Market>,
    spots: HashMap<String, f64>,
    /// Underlyings quoted as indices (their options settle in cash).
    indices: Vec<String>,
}

impl Markets {
    fn of(&self, symbol: &str) -> Option<Market> {
        self.by_symbol.get(symbol).copied()
    }
}

impl PaperBroker {
    /// Paper trading over `inner`, the books in `store`.
    pub fn new(inner: Arc<dyn BrokerPort>, store: Arc<dyn StorePort>) -> PaperBroker {
        PaperBroker {
            inner,
            store,
            books: Mutex::new(()),
            announced: true,
            holds_trades: AtomicBool::new(false),
        }
    }

    /// Whether answers say `+paper` before any paper trade is seen: true (the default) where
    /// paper trades can be made, false where they cannot (a replay served without orders
    /// allowed), so its answers stay the wrapped broker's until a book holds paper trades.
    pub fn announced(mut self, announced: bool) -> PaperBroker {
        self.announced = announced;
        self
    }

    /// The book of `account` (empty before its first paper order).
    async fn load(&self, account: &AccountNumber) -> Result<PaperBook, BrokerError> {
        let book = self
            .store
            .paper_book(account)
            .await
            .map_err(store_error)?
            .unwrap_or_else(|| PaperBook::new(account.clone(), self.inner.now()));
        if !book.orders.is_empty() || !book.positions.is_empty() || book.cash != 0.0 {
            self.holds_trades.store(true, Ordering::Release);
        }
        Ok(book)
    }

    /// Markets now of `symbols` (each with its underlying), and of the underlyings: quotes
    /// first, then each underlying's chain for what the quotes lack.
    async fn markets(&self, wanted: &[(Symbol, Symbol)]) -> Markets {
        let mut markets = Markets::default();
        let mut asked: Vec<Symbol> = wanted.iter().map(|(s, _)| s.clone()).collect();
        for (_, underlying) in wanted {
            if !asked.contains(underlying) {
                asked.push(underlying.clone());
            }
        }
        for chunk in asked.chunks(100) {
            if let Ok(quotes) = self.inner.quotes(chunk).await {
                for q in quotes {
                    if q.instrument_type == Some(InstrumentType::Index) {
                        markets.indices.push(q.symbol.to_string());
                    }
                    if let Some(price) = q.mark_price() {
                        markets.spots.insert(q.symbol.to_string(), price);
                    }
                    if let (Some(bid), Some(ask)) = (q.bid, q.ask)
                        && ask >= bid
                        && ask > 0.0
                    {
                        markets
                            .by_symbol
                            .insert(q.symbol.to_string(), Market { bid, ask });
                    }
                }
            }
        }
        let mut chains: Vec<&Symbol> = wanted
            .iter()
            .filter(|(s, _)| parse_occ(s.as_str()).is_some() && !markets.by_symbol.contains_key(s.as_str()))
            .map(|(_, u)| u)
            .collect();
        chains.dedup();
        for underlying in chains {
            if let Ok(chain) = self.inner.option_chain(underlying).await {
                absorb_chain(&mut markets, &chain);
            }
        }
        markets
    }

    /// Brings the book of `account` up to the broker's clock: working orders fill or expire,
    /// options past their expiration settle. Returns the book and whether it changed.
    async fn sync(&self, account: &AccountNumber) -> Result<(PaperBook, bool), BrokerError> {
        let mut book = self.load(account).await?;
        let now = self.inner.now();
        let mut changed = false;
        // Orders: expired day orders first, then fills at the market now.
        let mut wanted: Vec<(Symbol, Symbol)> = Vec::new();
        for (index, order) in book.orders.clone().iter().enumerate() {
            if !order.status.is_working() || order.received_at.is_some_and(|t| t > now) {
                continue;
            }
            let received = order.received_at.unwrap_or(now);
            if order.time_in_force == ttai_core::domain::TimeInForce::Day
                && now >= book::day_order_end(received)
            {
                book::expire_order(&mut book, index, book::day_order_end(received));
                changed = true;
                continue;
            }
            for leg in &order.legs {
                wanted.push((leg.symbol.clone(), order.underlying.clone()));
            }
        }
        if !wanted.is_empty() {
            let markets = self.markets(&wanted).await;
            for index in 0..book.orders.len() {
                let working = book
                    .orders
                    .get(index)
                    .is_some_and(|o| o.status.is_working() && o.received_at.is_none_or(|t| t <= now));
                if working && book::try_fill(&mut book, index, &|s| markets.of(s), now) {
                    changed = true;
                }
            }
        }
        // Options past their expiration.
        let expired: Vec<Position> = book
            .positions
            .iter()
            .filter(|p| p.expiration.is_some_and(|e| now >= expiry_instant(e)))
            .cloned()
            .collect();
        for position in expired {
            let Some(expiration) = position.expiration else {
                continue;
            };
            match self.settlement_price(&position.underlying, expiration, now).await {
                Some((close, cash_settled)) => {
                    book::settle(
                        &mut book,
                        &position.symbol,
                        close,
                        cash_settled,
                        expiry_instant(expiration),
                    );
                    changed = true;
                }
                None => tracing::warn!(
                    symbol = %position.symbol,
                    "no close of the underlying on the expiration date yet: the paper position is settled later"
                ),
            }
        }
        if changed {
            book.updated_at = now;
            self.store.save_paper_book(&book).await.map_err(store_error)?;
        }
        Ok((book, changed))
    }

    /// The underlying's close on `expiration` (daily candles), else its price now when the
    /// clock is still on that date; and whether its options settle in cash (an index).
    async fn settlement_price(
        &self,
        underlying: &Symbol,
        expiration: ttai_core::time::Date,
        now: Timestamp,
    ) -> Option<(f64, bool)> {
        let quotes = self
            .inner
            .quotes(std::slice::from_ref(underlying))
            .await
            .unwrap_or_default();
        let quote = quotes.first();
        let cash_settled = quote.is_some_and(|q| q.instrument_type == Some(InstrumentType::Index));
        let since = expiration.add_days(-3).at_midnight_utc();
        if let Ok(candles) = self.inner.candles(underlying, Timeframe::Daily, since).await
            && let Some(bar) = candles
                .iter()
                .find(|c| new_york_clock(c.time).0 == expiration || c.time.date() == expiration)
        {
            return Some((bar.close, cash_settled));
        }
        let (today, _, _) = new_york_clock(now);
        if today == expiration {
            return quote.and_then(Quote::reference_price).map(|p| (p, cash_settled));
        }
        None
    }

    /// The broker's positions with the book laid over them, marked where the broker had no mark.
    async fn merged_positions(
        &self,
        account: &AccountNumber,
        book: &PaperBook,
    ) -> Result<Vec<Position>, BrokerError> {
        let real = self.inner.positions(account).await?;
        let mut merged = book::merge(real, book);
        let unmarked: Vec<(Symbol, Symbol)> = merged
            .iter()
            .filter(|p| p.mark.is_none() && book.positions.iter().any(|b| b.symbol == p.symbol))
            .map(|p| (p.symbol.clone(), p.underlying.clone()))
            .collect();
        if !unmarked.is_empty() {
            let markets = self.markets(&unmarked).await;
            for p in &mut merged {
                if p.mark.is_none() && book.positions.iter().any(|b| b.symbol == p.symbol) {
                    p.mark = markets
                        .of(p.symbol.as_str())
                        .map(|m| round_to(m.mid(), 4))
                        .or_else(|| markets.spots.get(p.symbol.as_str()).copied());
                }
            }
        }
        Ok(merged)
    }

    async fn margin_account(&self, account: &AccountNumber) -> bool {
        self.inner
            .accounts()
            .await
            .ok()
            .and_then(|list| list.into_iter().find(|a| &a.number == account))
            .and_then(|a| a.margin_or_cash)
            .is_none_or(|kind| !kind.eq_ignore_ascii_case("cash"))
    }

    /// The broker's balances with the book's cash, value and requirement laid over them.
    async fn merged_balances(
        &self,
        account: &AccountNumber,
        book: &PaperBook,
    ) -> Result<Balances, BrokerError> {
        let mut balances = self.inner.balances(account).await?;
        if book.positions.is_empty() && book.cash == 0.0 {
            return Ok(balances);
        }
        let real = self.inner.positions(account).await?;
        let merged = self.merged_positions(account, book).await?;
        let today = self.inner.now().date();
        let margin = self.margin_account(account).await;
        let mut underlyings: Vec<Symbol> = book.positions.iter().map(|p| p.underlying.clone()).collect();
        underlyings.sort();
        underlyings.dedup();
        let spots = self
            .markets(
                &underlyings
                    .iter()
                    .map(|u| (u.clone(), u.clone()))
                    .collect::<Vec<_>>(),
            )
            .await;
        let mut requirement_change = 0.0;
        for underlying in &underlyings {
            let spot = spots.spots.get(underlying.as_str()).copied().unwrap_or(0.0);
            let before =
                simulate::requirement(&simulate::position_legs(&real, underlying), spot, today, margin);
            let after =
                simulate::requirement(&simulate::position_legs(&merged, underlying), spot, today, margin);
            requirement_change += after - before;
        }
        // The book's positions at their marks (the merged view carries them).
        let value: f64 = book
            .positions
            .iter()
            .map(|p| {
                let mark = merged
                    .iter()
                    .find(|m| m.symbol == p.symbol)
                    .and_then(|m| m.mark)
                    .unwrap_or(p.average_open_price);
                p.quantity * mark * p.multiplier
            })
            .sum();
        balances.cash_balance = round_to(balances.cash_balance + book.cash, 2);
        balances.net_liquidating_value = round_to(balances.net_liquidating_value + book.cash + value, 2);
        balances.maintenance_requirement = round_to(balances.maintenance_requirement + requirement_change, 2);
        balances.derivative_buying_power = round_to(
            balances.derivative_buying_power + book.cash - requirement_change,
            2,
        );
        balances.equity_buying_power =
            round_to(balances.equity_buying_power + book.cash - requirement_change, 2);
        balances.maintenance_excess = Some(round_to(
            balances.net_liquidating_value - balances.maintenance_requirement,
            2,
        ));
        balances.as_of = self.inner.now();
        Ok(balances)
    }

    /// The dry run of `order` against the account with its book.
    async fn simulate(
        &self,
        account: &AccountNumber,
        order: &OrderRequest,
        book: &PaperBook,
    ) -> Result<OrderPreview, BrokerError> {
        let merged = self.merged_positions(account, book).await?;
        let balances = self.merged_balances(account, book).await?;
        let mut wanted: Vec<(Symbol, Symbol)> = order
            .legs
            .iter()
            .map(|l| (l.symbol.clone(), order.underlying.clone()))
            .collect();
        wanted.push((order.underlying.clone(), order.underlying.clone()));
        let markets = self.markets(&wanted).await;
        let spot = markets
            .spots
            .get(order.underlying.as_str())
            .copied()
            .unwrap_or(0.0);
        Ok(simulate::dry_run_on(
            order,
            account,
            &merged,
            balances.derivative_buying_power,
            self.margin_account(account).await,
            |s| markets.of(s).map(Market::mid),
            spot,
            self.inner.now(),
        ))
    }

    /// An order call's start: the account checked, the books' turn taken, the account's book
    /// brought up to date.
    async fn turn(
        &self,
        account: &AccountNumber,
    ) -> Result<(tokio::sync::MutexGuard<'_, ()>, PaperBook), BrokerError> {
        self.known(account).await?;
        let turn = self.books.lock().await;
        let (book, _) = self.sync(account).await?;
        Ok((turn, book))
    }

    /// Refuses an account the wrapped broker does not have.
    async fn known(&self, account: &AccountNumber) -> Result<(), BrokerError> {
        let accounts = self.inner.accounts().await?;
        if accounts.iter().any(|a| &a.number == account) {
            Ok(())
        } else {
            Err(BrokerError::NotFound(format!("account {}", account.masked())))
        }
    }
}

/// Takes the markets of a chain's contracts and its underlying's price.
fn absorb_chain(markets: &mut Markets, chain: &OptionChain) {
    if let Some(price) = chain.underlying_price {
        markets.spots.entry(chain.underlying.to_string()).or_insert(price);
    }
    for contract in chain.contracts() {
        if let (Some(bid), Some(ask)) = (contract.bid, contract.ask)
            && ask >= bid
            && ask > 0.0
        {
            markets
                .by_symbol
                .entry(contract.symbol.clone())
                .or_insert(Market { bid, ask });
        }
    }
}

#[cfg(test)]
mod tests;
