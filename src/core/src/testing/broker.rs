use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;

use crate::domain::{
    Account, AccountNumber, Balances, Candle, MarketCalendar, MarketMetrics, MarketSession, NetLiqPoint,
    NetLiqWindow, OptionChain, Order, OrderPreview, OrderQuery, OrderRequest, OrderStatus, Position, Quote,
    Symbol, SymbolMatch, Timeframe, Transaction, TransactionPage, TransactionQuery, Watchlist,
    new_york_clock, rank_symbol_matches,
};
use crate::ports::{BrokerError, BrokerInfo, BrokerPort};
use crate::time::Timestamp;

/// The data a [`FakeBroker`] serves.
#[derive(Clone, Debug, Default)]
pub struct FakeMarket {
    /// Accounts.
    pub accounts: Vec<Account>,
    /// Balances, one per account.
    pub balances: Vec<Balances>,
    /// Positions of every account.
    pub positions: Vec<Position>,
    /// Quotes.
    pub quotes: Vec<Quote>,
    /// Option chains.
    pub chains: Vec<OptionChain>,
    /// Market metrics.
    pub metrics: Vec<MarketMetrics>,
    /// Candle series.
    pub candles: Vec<(Symbol, Timeframe, Vec<Candle>)>,
    /// Instruments for symbol search.
    pub instruments: Vec<SymbolMatch>,
    /// Transactions of every account.
    pub transactions: Vec<Transaction>,
    /// Each account's net liq over time (any order).
    pub net_liq_history: Vec<(AccountNumber, Vec<NetLiqPoint>)>,
    /// The customer's watchlists.
    pub watchlists: Vec<Watchlist>,
}

/// An in-memory broker: serves a [`FakeMarket`], counts calls, and fails on request.
#[derive(Debug)]
pub struct FakeBroker {
    market: Mutex<FakeMarket>,
    now: Mutex<Timestamp>,
    calls: Mutex<HashMap<&'static str, usize>>,
    quote_symbols_requested: AtomicUsize,
    failure: Mutex<Option<BrokerError>>,
    /// Orders placed, oldest first (they stay working until cancelled).
    orders: Mutex<Vec<Order>>,
}

impl FakeBroker {
    /// A broker serving `market`, with its clock at `now`.
    pub fn new(market: FakeMarket, now: Timestamp) -> FakeBroker {
        FakeBroker {
            market: Mutex::new(market),
            now: Mutex::new(now),
            calls: Mutex::new(HashMap::new()),
            quote_symbols_requested: AtomicUsize::new(0),
            failure: Mutex::new(None),
            orders: Mutex::new(Vec::new()),
        }
    }

    /// Changes the market served (add candles, move a quote, reshape the account).
    pub fn update_market(&self, change: impl FnOnce(&mut FakeMarket)) {
        if let Ok(mut m) = self.market.lock() {
            change(&mut m);
        }
    }

    /// Every order placed so far, oldest first.
    pub fn placed_orders(&self) -> Vec<Order> {
        self.orders.lock().map(|o| o.clone()).unwrap_or_default()
    }

    /// The simulated dry run of `order` (`app::orders::simulate`) on the market now.
    fn simulate(&self, market: &FakeMarket, account: &AccountNumber, order: &OrderRequest) -> OrderPreview {
        let mid_of = |symbol: &str| market.chains.iter().find_map(|c| c.mid_of(symbol));
        let spot = market
            .quotes
            .iter()
            .find(|q| q.symbol == order.underlying)
            .and_then(Quote::mark_price)
            .unwrap_or(0.0);
        let positions: Vec<Position> = market
            .positions
            .iter()
            .filter(|p| &p.account == account)
            .cloned()
            .collect();
        let buying_power = market
            .balances
            .iter()
            .find(|b| &b.account == account)
            .map_or(0.0, |b| b.derivative_buying_power);
        crate::app::orders::simulate::dry_run_on(
            order,
            account,
            &positions,
            buying_power,
            true,
            mid_of,
            spot,
            self.now(),
        )
    }

    /// Replaces the quote of a symbol (or adds it).
    pub fn set_quote(&self, quote: Quote) {
        if let Ok(mut m) = self.market.lock() {
            m.quotes.retain(|q| q.symbol != quote.symbol);
            m.quotes.push(quote);
        }
    }

    /// Moves the clock.
    pub fn set_now(&self, now: Timestamp) {
        if let Ok(mut n) = self.now.lock() {
            *n = now;
        }
    }

    /// Makes every later call fail with `error` until cleared with `None`.
    pub fn fail_with(&self, error: Option<BrokerError>) {
        if let Ok(mut f) = self.failure.lock() {
            *f = error;
        }
    }

    /// Calls made to a method (`quotes`, `option_chain`, ...).
    pub fn calls(&self, method: &str) -> usize {
        self.calls
            .lock()
            .map(|c| c.get(method).copied().unwrap_or(0))
            .unwrap_or(0)
    }

    /// Symbols asked for across all `quotes` calls.
    pub fn quote_symbols_requested(&self) -> usize {
        self.quote_symbols_requested.load(Ordering::Relaxed)
    }

    fn enter(&self, method: &'static str) -> Result<FakeMarket, BrokerError> {
        if let Ok(mut c) = self.calls.lock() {
            *c.entry(method).or_insert(0) += 1;
        }
        if let Some(err) = self.failure.lock().ok().and_then(|f| f.clone()) {
            return Err(err);
        }
        self.market
            .lock()
            .map(|m| m.clone())
            .map_err(|_| BrokerError::Unavailable("fake poisoned".to_owned()))
    }
}

fn account_known(market: &FakeMarket, account: &AccountNumber) -> Result<(), BrokerError> {
    if market.accounts.iter().any(|a| &a.number == account) {
        Ok(())
    } else {
        Err(BrokerError::NotFound(format!("account {}", account.masked())))
    }
}

#[async_trait]
impl BrokerPort for FakeBroker {
    fn info(&self) -> BrokerInfo {
        BrokerInfo {
            source: "fake".to_owned(),
            synthetic: true,
            live: false,
        }
    }

    fn now(&self) -> Timestamp {
        self.now.lock().map(|n| *n).unwrap_or(Timestamp::from_millis(0))
    }

    async fn accounts(&self) -> Result<Vec<Account>, BrokerError> {
        Ok(self.enter("accounts")?.accounts)
    }

    async fn balances(&self, account: &AccountNumber) -> Result<Balances, BrokerError> {
        let market = self.enter("balances")?;
        account_known(&market, account)?;
        market
            .balances
            .into_iter()
            .find(|b| &b.account == account)
            .ok_or_else(|| BrokerError::NotFound(format!("balances of {}", account.masked())))
    }

    async fn positions(&self, account: &AccountNumber) -> Result<Vec<Position>, BrokerError> {
        let market = self.enter("positions")?;
        account_known(&market, account)?;
        Ok(market
            .positions
            .into_iter()
            .filter(|p| &p.account == account)
            .collect())
    }

    async fn quotes(&self, symbols: &[Symbol]) -> Result<Vec<Quote>, BrokerError> {
        let market = self.enter("quotes")?;
        self.quote_symbols_requested
            .fetch_add(symbols.len(), Ordering::Relaxed);
        // In the order asked, once each, like the adapters.
        let mut seen = std::collections::HashSet::new();
        Ok(symbols
            .iter()
            .filter(|s| seen.insert(*s))
            .filter_map(|s| market.quotes.iter().find(|q| &q.symbol == s).cloned())
            .collect())
    }

    async fn option_chain(&self, underlying: &Symbol) -> Result<OptionChain, BrokerError> {
        let market = self.enter("option_chain")?;
        market
            .chains
            .into_iter()
            .find(|c| &c.underlying == underlying)
            .ok_or_else(|| BrokerError::NotFound(format!("option chain of {underlying}")))
    }

    async fn market_metrics(&self, symbols: &[Symbol]) -> Result<Vec<MarketMetrics>, BrokerError> {
        let market = self.enter("market_metrics")?;
        Ok(market
            .metrics
            .into_iter()
            .filter(|m| symbols.contains(&m.symbol))
            .collect())
    }

    async fn candles(
        &self,
        symbol: &Symbol,
        timeframe: Timeframe,
        since: Timestamp,
    ) -> Result<Vec<Candle>, BrokerError> {
        let market = self.enter("candles")?;
        if !market.candles.iter().any(|(s, _, _)| s == symbol) {
            return Err(BrokerError::NotFound(format!("candles of {symbol}")));
        }
        let series = market
            .candles
            .into_iter()
            .find(|(s, t, _)| s == symbol && *t == timeframe)
            .ok_or_else(|| {
                BrokerError::Unsupported(format!("{} candles are not available", timeframe.as_str()))
            })?;
        Ok(series.2.into_iter().filter(|c| c.time >= since).collect())
    }

    async fn search_symbols(&self, query: &str, limit: usize) -> Result<Vec<SymbolMatch>, BrokerError> {
        let market = self.enter("search_symbols")?;
        Ok(rank_symbol_matches(&market.instruments, query, limit))
    }

    async fn transactions(
        &self,
        account: &AccountNumber,
        query: &TransactionQuery,
    ) -> Result<TransactionPage, BrokerError> {
        let market = self.enter("transactions")?;
        account_known(&market, account)?;
        let now = self.now();
        Ok(query.page_of(
            market
                .transactions
                .into_iter()
                .filter(|t| &t.account == account && t.executed_at <= now),
        ))
    }

    async fn net_liq_history(
        &self,
        account: &AccountNumber,
        window: NetLiqWindow,
    ) -> Result<Vec<NetLiqPoint>, BrokerError> {
        let market = self.enter("net_liq_history")?;
        account_known(&market, account)?;
        let points = market
            .net_liq_history
            .into_iter()
            .filter(|(a, _)| a == account)
            .flat_map(|(_, points)| points);
        Ok(window.select(points, self.now()))
    }

    async fn watchlists(&self) -> Result<Vec<Watchlist>, BrokerError> {
        Ok(self.enter("watchlists")?.watchlists)
    }

    /// The session by the NYSE calendar at the fake's clock.
    async fn market_session(&self) -> Result<MarketSession, BrokerError> {
        self.enter("market_session")?;
        let now = self.now();
        Ok(MarketCalendar::nyse_around(new_york_clock(now).0).session_at(now))
    }

    async fn market_calendar(&self) -> Result<MarketCalendar, BrokerError> {
        self.enter("market_calendar")?;
        Ok(MarketCalendar::nyse_around(new_york_clock(self.now()).0))
    }

    async fn dry_run_order(
        &self,
        account: &AccountNumber,
        order: &OrderRequest,
    ) -> Result<OrderPreview, BrokerError> {
        let market = self.enter("dry_run_order")?;
        account_known(&market, account)?;
        Ok(self.simulate(&market, account, order))
    }

    async fn place_order(
        &self,
        account: &AccountNumber,
        order: &OrderRequest,
    ) -> Result<OrderPreview, BrokerError> {
        let market = self.enter("place_order")?;
        account_known(&market, account)?;
        let mut preview = self.simulate(&market, account, order);
        if !preview.accepted() {
            preview.order = None;
            return Ok(preview);
        }
        let mut orders = self
            .orders
            .lock()
            .map_err(|_| BrokerError::Unavailable("fake poisoned".to_owned()))?;
        let id = format!("fake-{}", orders.len() + 1);
        let mut placed = crate::app::orders::simulate::received(order, account, Some(id), self.now());
        placed.status = OrderStatus::Live;
        orders.push(placed.clone());
        preview.order = Some(placed);
        Ok(preview)
    }

    async fn orders(&self, account: &AccountNumber, query: &OrderQuery) -> Result<Vec<Order>, BrokerError> {
        let market = self.enter("orders")?;
        account_known(&market, account)?;
        let mut orders: Vec<Order> = self
            .placed_orders()
            .into_iter()
            .filter(|o| &o.account == account)
            .filter(|o| match query {
                OrderQuery::Live => true,
                OrderQuery::Since { date, .. } => o.received_at.is_some_and(|t| t.date() >= *date),
            })
            .collect();
        orders.reverse();
        if let OrderQuery::Since { limit, .. } = query {
            orders.truncate(*limit);
        }
        Ok(orders)
    }

    async fn order(&self, account: &AccountNumber, id: &str) -> Result<Order, BrokerError> {
        let market = self.enter("order")?;
        account_known(&market, account)?;
        self.placed_orders()
            .into_iter()
            .find(|o| &o.account == account && o.id.as_deref() == Some(id))
            .ok_or_else(|| BrokerError::NotFound(format!("order {id}")))
    }

    async fn cancel_order(&self, account: &AccountNumber, id: &str) -> Result<Order, BrokerError> {
        let market = self.enter("cancel_order")?;
        account_known(&market, account)?;
        let now = self.now();
        let mut orders = self
            .orders
            .lock()
            .map_err(|_| BrokerError::Unavailable("fake poisoned".to_owned()))?;
        let order = orders
            .iter_mut()
            .find(|o| &o.account == account && o.id.as_deref() == Some(id))
            .ok_or_else(|| BrokerError::NotFound(format!("order {id}")))?;
        if !order.status.is_working() {
            return Err(BrokerError::Rejected(format!(
                "order {id} can no longer be cancelled"
            )));
        }
        order.status = OrderStatus::Cancelled;
        order.cancellable = false;
        order.terminal_at = Some(now);
        Ok(order.clone())
    }
}
