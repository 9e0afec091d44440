use async_trait::async_trait;

use crate::domain::{
    Account, AccountNumber, Balances, Candle, MarketMetrics, OptionChain, Position, Quote, Symbol,
    SymbolMatch, Timeframe,
};
use crate::ports::{BrokerError, BrokerInfo, BrokerPort};
use crate::time::Timestamp;

/// The broker used when the live broker has no credentials: every call answers
/// `Unauthenticated` with how to log in, or how to use the demo tape instead.
#[derive(Debug, Clone)]
pub struct LoggedOutBroker {
    now: fn() -> Timestamp,
}

/// What a logged-out broker says.
pub const LOGIN_HINT: &str = "not logged in to TastyTrade: run `ttai login` (or set TASTYTRADE_CLIENT_SECRET and \
TASTYTRADE_REFRESH_TOKEN), or start ttai with `--broker replay` to use the bundled demo tape";

impl LoggedOutBroker {
    /// A logged-out broker; `now` is the wall clock supplied by the composition root.
    pub fn new(now: fn() -> Timestamp) -> LoggedOutBroker {
        LoggedOutBroker { now }
    }
}

fn refuse<T>() -> Result<T, BrokerError> {
    Err(BrokerError::Unauthenticated(LOGIN_HINT.to_owned()))
}

#[async_trait]
impl BrokerPort for LoggedOutBroker {
    fn info(&self) -> BrokerInfo {
        BrokerInfo {
            source: "tastytrade".to_owned(),
            synthetic: false,
            live: true,
        }
    }
    fn now(&self) -> Timestamp {
        (self.now)()
    }
    async fn accounts(&self) -> Result<Vec<Account>, BrokerError> {
        refuse()
    }
    async fn balances(&self, _: &AccountNumber) -> Result<Balances, BrokerError> {
        refuse()
    }
    async fn positions(&self, _: &AccountNumber) -> Result<Vec<Position>, BrokerError> {
        refuse()
    }
    async fn quotes(&self, _: &[Symbol]) -> Result<Vec<Quote>, BrokerError> {
        refuse()
    }
    async fn option_chain(&self, _: &Symbol) -> Result<OptionChain, BrokerError> {
        refuse()
    }
    async fn market_metrics(&self, _: &[Symbol]) -> Result<Vec<MarketMetrics>, BrokerError> {
        refuse()
    }
    async fn candles(&self, _: &Symbol, _: Timeframe, _: Timestamp) -> Result<Vec<Candle>, BrokerError> {
        refuse()
    }
    async fn search_symbols(&self, _: &str, _: usize) -> Result<Vec<SymbolMatch>, BrokerError> {
        refuse()
    }
}
