use std::sync::Arc;

use async_trait::async_trait;

use crate::domain::{
    Account, AccountNumber, Balances, Candle, MarketCalendar, MarketMetrics, MarketSession, NetLiqPoint,
    NetLiqWindow, OptionChain, Order, OrderPreview, OrderQuery, OrderRequest, Position, Quote, Symbol,
    SymbolMatch, Timeframe, TransactionPage, TransactionQuery, Watchlist,
};
use crate::time::Timestamp;

/// Why a broker call failed. Messages never contain secrets, tokens or request headers.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BrokerError {
    /// No credentials, or the broker refused them (HTTP 401). The message says how to log in.
    #[error("{0}")]
    Unauthenticated(String),
    /// Authenticated but not permitted (HTTP 403).
    #[error("{0}")]
    Forbidden(String),
    /// The symbol, account or series does not exist; the text names it.
    #[error("{0} not found")]
    NotFound(String),
    /// Throttled (HTTP 429).
    #[error("rate limited")]
    RateLimited {
        /// Seconds to wait, when known.
        retry_after_secs: Option<u64>,
    },
    /// 5xx, timeouts, connection failures: may succeed later.
    #[error("{0}")]
    Unavailable(String),
    /// An answer that could not be read (HTML, empty, wrong shape).
    #[error("{0}")]
    InvalidResponse(String),
    /// The broker refused the request as malformed (HTTP 400/422).
    #[error("{0}")]
    Rejected(String),
    /// This broker cannot provide that kind of data (e.g. a timeframe it does not carry).
    #[error("{0}")]
    Unsupported(String),
    /// Anything else, with the adapter's name.
    #[error("{adapter}: {message}")]
    Other {
        /// The adapter that failed.
        adapter: &'static str,
        /// What happened, without secrets.
        message: String,
    },
}

/// What a broker is, for every answer's `source`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokerInfo {
    /// `tastytrade` or `replay:<tape name>`.
    pub source: String,
    /// True when the data is made up (a synthetic tape): answers say so.
    pub synthetic: bool,
    /// True for a live account, false for replay.
    pub live: bool,
}

/// What a paper-trading broker adds to its source once paper trades may show in its answers
/// (`tastytrade+paper`, `replay:demo+paper`).
pub const PAPER_SUFFIX: &str = "+paper";

/// The replay clock of a recorded tape: what "now" is for the broker, the alert monitor and the
/// backtest.
pub trait ReplayClock: Send + Sync {
    /// The current replay time.
    fn now(&self) -> Timestamp;
    /// First and last recorded instants of the tape.
    fn span(&self) -> (Timestamp, Timestamp);
    /// Moves the clock; times outside the span are clamped to it. Returns the new time.
    fn set(&self, at: Timestamp) -> Timestamp;
    /// The instants at which the tape recorded an option chain of `underlying`, oldest first
    /// (the entry dates of a backtest).
    fn chain_times(&self, underlying: &Symbol) -> Vec<Timestamp>;
}

/// Market data and account data from a brokerage (docs/design.md, "Shape").
///
/// Answers for several symbols contain at most one entry per requested symbol, in no promised
/// order; unknown symbols are left out (the caller reports them as missing).
#[async_trait]
pub trait BrokerPort: Send + Sync {
    /// Where answers come from.
    fn info(&self) -> BrokerInfo;

    /// `info().live`, asked on every quote (whose cache keeps a replay's clock): an adapter
    /// answers it without building its `info`. Default: from `info`.
    fn is_live(&self) -> bool {
        self.info().live
    }

    /// The market clock: wall time for a live broker, the replay clock for a tape.
    fn now(&self) -> Timestamp;

    /// True when orders are paper trades: simulated, never sent to a real account. Default:
    /// false.
    fn is_paper(&self) -> bool {
        false
    }

    /// The replay clock, for brokers that have one (a replay broker reads its tape first).
    async fn replay_clock(&self) -> Option<Arc<dyn ReplayClock>> {
        None
    }

    /// Accounts of the logged-in customer, open ones only.
    ///
    /// # Errors
    /// MUST return `Unauthenticated` when there are no valid credentials.
    async fn accounts(&self) -> Result<Vec<Account>, BrokerError>;

    /// Balances of one account.
    ///
    /// # Errors
    /// MUST return `NotFound` for an account the customer does not have.
    async fn balances(&self, account: &AccountNumber) -> Result<Balances, BrokerError>;

    /// Open positions of one account, with marks where the broker has them.
    ///
    /// # Errors
    /// MUST return `NotFound` for an account the customer does not have.
    async fn positions(&self, account: &AccountNumber) -> Result<Vec<Position>, BrokerError>;

    /// Quotes for up to 100 symbols (adapters chunk larger requests), in the order asked, once
    /// each. Unknown symbols are left out; an empty request gives an empty answer.
    async fn quotes(&self, symbols: &[Symbol]) -> Result<Vec<Quote>, BrokerError>;

    /// The quotes of `symbols` the broker holds live from a stream right now, without a request
    /// (only those it has; any order). The market-data cache serves these before its own entries,
    /// because they are newer. Default: none.
    fn live_quotes(&self, symbols: &[Symbol]) -> Vec<Quote> {
        let _ = symbols;
        Vec::new()
    }

    /// The option chain of an underlying, with the market of every contract.
    ///
    /// # Errors
    /// MUST return `NotFound` when the underlying has no options or does not exist.
    async fn option_chain(&self, underlying: &Symbol) -> Result<OptionChain, BrokerError>;

    /// Volatility metrics for up to 100 symbols; unknown symbols are left out.
    async fn market_metrics(&self, symbols: &[Symbol]) -> Result<Vec<MarketMetrics>, BrokerError>;

    /// Candles of `timeframe` whose period starts at or after `since`, oldest first.
    ///
    /// # Errors
    /// MUST return `NotFound` for an unknown symbol, and `Unsupported` for a timeframe the broker
    /// does not carry (the caller then aggregates from daily bars).
    async fn candles(
        &self,
        symbol: &Symbol,
        timeframe: Timeframe,
        since: Timestamp,
    ) -> Result<Vec<Candle>, BrokerError>;

    /// Instruments whose symbol or name matches `query`, best first, at most `limit`.
    async fn search_symbols(&self, query: &str, limit: usize) -> Result<Vec<SymbolMatch>, BrokerError>;

    /// One page of the account's transactions that match `query`, newest first (see
    /// [`TransactionQuery::page_of`] for the order and the paging). Default: `Unsupported`.
    ///
    /// # Errors
    /// MUST return `NotFound` for an account the customer does not have.
    async fn transactions(
        &self,
        account: &AccountNumber,
        query: &TransactionQuery,
    ) -> Result<TransactionPage, BrokerError> {
        let _ = (account, query);
        Err(BrokerError::Unsupported(
            "this broker has no transaction history".to_owned(),
        ))
    }

    /// The account's net liquidating value over `window`, in time order (daily points, or
    /// five-minute ones for a day on the live API). Default: `Unsupported`.
    ///
    /// # Errors
    /// MUST return `NotFound` for an account the customer does not have.
    async fn net_liq_history(
        &self,
        account: &AccountNumber,
        window: NetLiqWindow,
    ) -> Result<Vec<NetLiqPoint>, BrokerError> {
        let _ = (account, window);
        Err(BrokerError::Unsupported(
            "this broker has no net liquidating value history".to_owned(),
        ))
    }

    /// The customer's watchlists, in the customer's order. Default: `Unsupported`.
    async fn watchlists(&self) -> Result<Vec<Watchlist>, BrokerError> {
        Err(BrokerError::Unsupported(
            "this broker has no watchlists".to_owned(),
        ))
    }

    /// The US equity market at the broker's clock: state, current, next and previous sessions.
    /// Default: `Unsupported`.
    async fn market_session(&self) -> Result<MarketSession, BrokerError> {
        Err(BrokerError::Unsupported(
            "this broker does not know the market's hours".to_owned(),
        ))
    }

    /// The US equity market's holidays and early closes. Default: `Unsupported`.
    async fn market_calendar(&self) -> Result<MarketCalendar, BrokerError> {
        Err(BrokerError::Unsupported(
            "this broker does not know the market's holidays".to_owned(),
        ))
    }

    /// Sends `order` to the broker's dry run (`POST /accounts/{n}/orders/dry-run`): nothing is
    /// routed. The broker's refusals (buying power, permissions) are `errors` in the preview,
    /// not an `Err`. Default: `Unsupported`.
    ///
    /// # Errors
    /// MUST return `NotFound` for an account the customer does not have.
    async fn dry_run_order(
        &self,
        account: &AccountNumber,
        order: &OrderRequest,
    ) -> Result<OrderPreview, BrokerError> {
        let _ = (account, order);
        Err(BrokerError::Unsupported("this broker takes no orders".to_owned()))
    }

    /// Places `order`. Sent once: an adapter MUST NOT retry it (a lost answer is looked for with
    /// [`BrokerPort::orders`], never sent again). The broker's refusals are `errors` in the
    /// answer, whose `order` is then `None`. Default: `Unsupported`.
    ///
    /// # Errors
    /// MUST return `NotFound` for an account the customer does not have.
    async fn place_order(
        &self,
        account: &AccountNumber,
        order: &OrderRequest,
    ) -> Result<OrderPreview, BrokerError> {
        let _ = (account, order);
        Err(BrokerError::Unsupported("this broker takes no orders".to_owned()))
    }

    /// The account's orders: today's (`OrderQuery::Live`) or those since a date, newest first.
    /// Default: `Unsupported`.
    ///
    /// # Errors
    /// MUST return `NotFound` for an account the customer does not have.
    async fn orders(&self, account: &AccountNumber, query: &OrderQuery) -> Result<Vec<Order>, BrokerError> {
        let _ = (account, query);
        Err(BrokerError::Unsupported("this broker has no orders".to_owned()))
    }

    /// One order by id. Default: `Unsupported`.
    ///
    /// # Errors
    /// MUST return `NotFound` for an order the account does not have.
    async fn order(&self, account: &AccountNumber, id: &str) -> Result<Order, BrokerError> {
        let _ = (account, id);
        Err(BrokerError::Unsupported("this broker has no orders".to_owned()))
    }

    /// Asks the broker to cancel a working order and returns the order as it stands after.
    /// Default: `Unsupported`.
    ///
    /// # Errors
    /// MUST return `NotFound` for an order the account does not have, and `Rejected` for one
    /// that can no longer be cancelled (filled, cancelled, expired).
    async fn cancel_order(&self, account: &AccountNumber, id: &str) -> Result<Order, BrokerError> {
        let _ = (account, id);
        Err(BrokerError::Unsupported("this broker takes no orders".to_owned()))
    }
}
