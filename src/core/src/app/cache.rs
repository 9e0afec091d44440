//! The market-data cache: quotes for `quote_ttl`, chains for `chain_ttl`, with single flight, so
//! ten concurrent asks for SPY make one broker call.
//!
//! On a replay broker an entry is also tied to the replay clock: moving the clock makes every
//! entry stale, so a stepped tape never answers with a price from another time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::domain::{OptionChain, Quote, Symbol};
use crate::ports::{BrokerError, BrokerPort};
use crate::time::Timestamp;

type Shared<T> = watch::Receiver<Option<Result<T, BrokerError>>>;
type Publish<T> = watch::Sender<Option<Result<T, BrokerError>>>;

struct Entry<T> {
    fetched: Instant,
    clock: Option<Timestamp>,
    value: T,
}

/// One keyed cache with single-flight fetches.
struct Table<T: Clone> {
    entries: Mutex<HashMap<Symbol, Entry<T>>>,
    in_flight: Mutex<HashMap<Symbol, Shared<T>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl<T: Clone> Default for Table<T> {
    fn default() -> Self {
        Table {
            entries: Mutex::new(HashMap::new()),
            in_flight: Mutex::new(HashMap::new()),
        }
    }
}

impl<T: Clone> Table<T> {
    fn fresh(&self, key: &Symbol, ttl: Duration, clock: Option<Timestamp>) -> Option<T> {
        let entries = lock(&self.entries);
        let entry = entries.get(key)?;
        (entry.fetched.elapsed() < ttl && entry.clock == clock).then(|| entry.value.clone())
    }

    fn store(&self, key: Symbol, value: T, clock: Option<Timestamp>) {
        let mut entries = lock(&self.entries);
        if entries.len() > 4096 {
            entries.clear();
        }
        entries.insert(
            key,
            Entry {
                fetched: Instant::now(),
                clock,
                value,
            },
        );
    }
}

/// What the cache does with each key of a request.
enum Plan<T> {
    Hit(T),
    Wait(Shared<T>),
    Fetch,
}

/// Quotes and chains, cached.
pub(crate) struct MarketCache {
    quotes: Table<Option<Quote>>,
    chains: Table<Arc<OptionChain>>,
    quote_ttl: Duration,
    chain_ttl: Duration,
}

async fn wait<T: Clone>(mut rx: Shared<T>) -> Result<T, BrokerError> {
    match rx.wait_for(Option::is_some).await {
        Ok(value) => value
            .clone()
            .unwrap_or_else(|| Err(BrokerError::Unavailable("the shared fetch was lost".into()))),
        Err(_) => Err(BrokerError::Unavailable("the shared fetch was cancelled".into())),
    }
}

impl MarketCache {
    pub(crate) fn new(quote_ttl: Duration, chain_ttl: Duration) -> MarketCache {
        MarketCache {
            quotes: Table::default(),
            chains: Table::default(),
            quote_ttl,
            chain_ttl,
        }
    }

    fn clock(broker: &dyn BrokerPort) -> Option<Timestamp> {
        (!broker.info().live).then(|| broker.now())
    }

    /// Quotes for `symbols`: fresh cache entries, shared in-flight fetches, and one batched broker
    /// call for the rest. Unknown symbols are left out (and remembered as unknown for the TTL).
    pub(crate) async fn quotes(
        &self,
        broker: &dyn BrokerPort,
        symbols: &[Symbol],
    ) -> Result<Vec<Quote>, BrokerError> {
        let clock = MarketCache::clock(broker);
        let mut plans: Vec<(Symbol, Plan<Option<Quote>>)> = Vec::with_capacity(symbols.len());
        let mut to_fetch: Vec<Symbol> = Vec::new();
        let mut senders: Vec<(Symbol, Publish<Option<Quote>>)> = Vec::new();
        {
            let mut in_flight = lock(&self.quotes.in_flight);
            for symbol in symbols {
                if let Some(hit) = self.quotes.fresh(symbol, self.quote_ttl, clock) {
                    plans.push((symbol.clone(), Plan::Hit(hit)));
                } else if let Some(rx) = in_flight.get(symbol) {
                    plans.push((symbol.clone(), Plan::Wait(rx.clone())));
                } else {
                    let (tx, rx) = watch::channel(None);
                    in_flight.insert(symbol.clone(), rx);
                    senders.push((symbol.clone(), tx));
                    to_fetch.push(symbol.clone());
                    plans.push((symbol.clone(), Plan::Fetch));
                }
            }
        }
        let fetched = if to_fetch.is_empty() {
            Ok(Vec::new())
        } else {
            broker.quotes(&to_fetch).await
        };
        {
            let mut in_flight = lock(&self.quotes.in_flight);
            for (symbol, tx) in &senders {
                in_flight.remove(symbol);
                let result = fetched
                    .as_ref()
                    .map(|quotes| quotes.iter().find(|q| &q.symbol == symbol).cloned())
                    .map_err(Clone::clone);
                if let Ok(value) = &result {
                    self.quotes.store(symbol.clone(), value.clone(), clock);
                }
                tx.send_replace(Some(result));
            }
        }
        let fetched = fetched?;
        let mut out = Vec::with_capacity(plans.len());
        for (symbol, plan) in plans {
            let quote = match plan {
                Plan::Hit(quote) => quote,
                Plan::Wait(rx) => wait(rx).await?,
                Plan::Fetch => fetched.iter().find(|q| q.symbol == symbol).cloned(),
            };
            out.extend(quote);
        }
        Ok(out)
    }

    /// The chain of `underlying`, cached with single flight.
    pub(crate) async fn chain(
        &self,
        broker: &dyn BrokerPort,
        underlying: &Symbol,
    ) -> Result<Arc<OptionChain>, BrokerError> {
        let clock = MarketCache::clock(broker);
        enum ChainPlan {
            Hit(Arc<OptionChain>),
            Wait(Shared<Arc<OptionChain>>),
            Fetch(Publish<Arc<OptionChain>>),
        }
        let plan = {
            let mut in_flight = lock(&self.chains.in_flight);
            if let Some(hit) = self.chains.fresh(underlying, self.chain_ttl, clock) {
                ChainPlan::Hit(hit)
            } else if let Some(rx) = in_flight.get(underlying) {
                ChainPlan::Wait(rx.clone())
            } else {
                let (tx, rx) = watch::channel(None);
                in_flight.insert(underlying.clone(), rx);
                ChainPlan::Fetch(tx)
            }
        };
        match plan {
            ChainPlan::Hit(hit) => Ok(hit),
            ChainPlan::Wait(rx) => wait(rx).await,
            ChainPlan::Fetch(tx) => self.fetch_chain(broker, underlying, clock, tx).await,
        }
    }

    async fn fetch_chain(
        &self,
        broker: &dyn BrokerPort,
        underlying: &Symbol,
        clock: Option<Timestamp>,
        tx: Publish<Arc<OptionChain>>,
    ) -> Result<Arc<OptionChain>, BrokerError> {
        let result = broker.option_chain(underlying).await.map(Arc::new);
        lock(&self.chains.in_flight).remove(underlying);
        if let Ok(chain) = &result {
            self.chains.store(underlying.clone(), chain.clone(), clock);
        }
        tx.send_replace(Some(result.clone()));
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        Account, AccountNumber, Balances, Candle, MarketMetrics, Position, SymbolMatch, Timeframe,
    };
    use crate::ports::BrokerInfo;
    use crate::testing::{FakeBroker, sample_market, sample_now};
    use async_trait::async_trait;

    /// A broker that takes 50 ms per call, to make calls overlap.
    struct Slow(FakeBroker, bool);

    #[async_trait]
    impl BrokerPort for Slow {
        fn info(&self) -> BrokerInfo {
            BrokerInfo {
                live: self.1,
                ..self.0.info()
            }
        }
        fn now(&self) -> Timestamp {
            self.0.now()
        }
        async fn accounts(&self) -> Result<Vec<Account>, BrokerError> {
            self.0.accounts().await
        }
        async fn balances(&self, a: &AccountNumber) -> Result<Balances, BrokerError> {
            self.0.balances(a).await
        }
        async fn positions(&self, a: &AccountNumber) -> Result<Vec<Position>, BrokerError> {
            self.0.positions(a).await
        }
        async fn quotes(&self, s: &[Symbol]) -> Result<Vec<Quote>, BrokerError> {
            tokio::time::sleep(Duration::from_millis(50)).await;
            self.0.quotes(s).await
        }
        async fn option_chain(&self, s: &Symbol) -> Result<OptionChain, BrokerError> {
            tokio::time::sleep(Duration::from_millis(50)).await;
            self.0.option_chain(s).await
        }
        async fn market_metrics(&self, s: &[Symbol]) -> Result<Vec<MarketMetrics>, BrokerError> {
            self.0.market_metrics(s).await
        }
        async fn candles(
            &self,
            s: &Symbol,
            t: Timeframe,
            since: Timestamp,
        ) -> Result<Vec<Candle>, BrokerError> {
            self.0.candles(s, t, since).await
        }
        async fn search_symbols(&self, q: &str, l: usize) -> Result<Vec<SymbolMatch>, BrokerError> {
            self.0.search_symbols(q, l).await
        }
    }

    fn sym(s: &str) -> Symbol {
        Symbol::parse(s).unwrap()
    }

    fn setup(live: bool) -> (Arc<Slow>, Arc<MarketCache>) {
        (
            Arc::new(Slow(FakeBroker::new(sample_market(), sample_now()), live)),
            Arc::new(MarketCache::new(
                Duration::from_secs(60),
                Duration::from_secs(300),
            )),
        )
    }

    #[tokio::test(start_paused = true)]
    async fn ten_concurrent_asks_make_one_broker_call() {
        let (broker, cache) = setup(true);
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let (broker, cache) = (broker.clone(), cache.clone());
            tasks.push(tokio::spawn(async move {
                cache.quotes(&*broker, &[sym("SPY")]).await
            }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap().len(), 1);
        }
        assert_eq!(broker.0.calls("quotes"), 1);
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let (broker, cache) = (broker.clone(), cache.clone());
            tasks.push(tokio::spawn(
                async move { cache.chain(&*broker, &sym("AAPL")).await },
            ));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap().underlying.as_str(), "AAPL");
        }
        assert_eq!(broker.0.calls("option_chain"), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn entries_expire_after_their_ttl() {
        let (broker, cache) = setup(true);
        cache.quotes(&*broker, &[sym("SPY"), sym("NOPE")]).await.unwrap();
        tokio::time::advance(Duration::from_secs(59)).await;
        assert_eq!(
            cache
                .quotes(&*broker, &[sym("SPY"), sym("NOPE")])
                .await
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            broker.0.calls("quotes"),
            1,
            "the unknown symbol is remembered too"
        );
        tokio::time::advance(Duration::from_secs(2)).await;
        cache.quotes(&*broker, &[sym("SPY")]).await.unwrap();
        assert_eq!(broker.0.calls("quotes"), 2);
        // A batch asks the broker only for what is missing.
        cache.quotes(&*broker, &[sym("SPY"), sym("AAPL")]).await.unwrap();
        assert_eq!(broker.0.quote_symbols_requested(), 2 + 1 + 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_moved_replay_clock_makes_entries_stale_and_errors_are_not_kept() {
        let (broker, cache) = setup(false);
        cache.quotes(&*broker, &[sym("SPY")]).await.unwrap();
        cache.quotes(&*broker, &[sym("SPY")]).await.unwrap();
        assert_eq!(broker.0.calls("quotes"), 1);
        broker.0.set_now(sample_now().add_millis(1000));
        cache.quotes(&*broker, &[sym("SPY")]).await.unwrap();
        assert_eq!(broker.0.calls("quotes"), 2);
        broker.0.fail_with(Some(BrokerError::Unavailable("down".into())));
        assert!(cache.chain(&*broker, &sym("SPY")).await.is_err());
        broker.0.fail_with(None);
        assert!(cache.chain(&*broker, &sym("SPY")).await.is_ok());
        assert_eq!(broker.0.calls("option_chain"), 2);
    }
}
