//! The market-data cache: quotes for `quote_ttl`, chains for `chain_ttl`, the account list for
//! [`ACCOUNTS_TTL`], with single flight, so ten concurrent asks for SPY make one broker call (and
//! a tool that names no account does not list the accounts on every call).
//!
//! On a replay broker an entry is also tied to the replay clock: moving the clock makes every
//! entry stale, so a stepped tape never answers with a price from another time.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::domain::{Account, OptionChain, Quote, Symbol};
use crate::ports::{BrokerError, BrokerPort};
use crate::time::Timestamp;

type Shared<T> = watch::Receiver<Option<Result<T, BrokerError>>>;
type Publish<T> = watch::Sender<Option<Result<T, BrokerError>>>;

struct Entry<T> {
    fetched: Instant,
    clock: Option<Timestamp>,
    value: T,
}

/// How long the account list is served from the cache.
pub(crate) const ACCOUNTS_TTL: Duration = Duration::from_secs(600);

/// One keyed cache with single-flight fetches.
struct Table<T: Clone, K = Symbol> {
    entries: Mutex<HashMap<K, Entry<T>>>,
    in_flight: Mutex<HashMap<K, Shared<T>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl<T: Clone, K> Default for Table<T, K> {
    fn default() -> Self {
        Table {
            entries: Mutex::new(HashMap::new()),
            in_flight: Mutex::new(HashMap::new()),
        }
    }
}

impl<T: Clone, K: Hash + Eq + Clone> Table<T, K> {
    fn fresh(&self, key: &K, ttl: Duration, clock: Option<Timestamp>) -> Option<T> {
        let entries = lock(&self.entries);
        let entry = entries.get(key)?;
        (entry.fetched.elapsed() < ttl && entry.clock == clock).then(|| entry.value.clone())
    }

    fn store(&self, key: K, value: T, clock: Option<Timestamp>) {
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

/// Removes in-flight entries when a fetch is dropped half-way (its caller was cancelled), so
/// the next caller fetches again instead of waiting on a fetch that will never finish.
struct InFlight<'a, T: Clone, K: Hash + Eq> {
    table: &'a Table<T, K>,
    keys: Vec<K>,
}

impl<T: Clone, K: Hash + Eq> InFlight<'_, T, K> {
    /// The fetch finished: its entries were removed and its results published.
    fn done(mut self) {
        self.keys.clear();
    }
}

impl<T: Clone, K: Hash + Eq> Drop for InFlight<'_, T, K> {
    fn drop(&mut self) {
        if !self.keys.is_empty() {
            let mut in_flight = lock(&self.table.in_flight);
            for key in &self.keys {
                in_flight.remove(key);
            }
        }
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
    accounts: Table<Arc<Vec<Account>>, ()>,
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
            accounts: Table::default(),
            quote_ttl,
            chain_ttl,
        }
    }

    fn clock(broker: &dyn BrokerPort) -> Option<Timestamp> {
        (!broker.is_live()).then(|| broker.now())
    }

    /// Quotes for `symbols`: fresh cache entries, shared in-flight fetches, and one batched broker
    /// call for the rest. Unknown symbols are left out (and remembered as unknown for the TTL).
    pub(crate) async fn quotes(
        &self,
        broker: &dyn BrokerPort,
        symbols: &[Symbol],
    ) -> Result<Vec<Quote>, BrokerError> {
        // A streaming broker's live quotes are newer than any cache entry.
        let live = broker.live_quotes(symbols);
        if !live.is_empty() {
            let rest: Vec<Symbol> = symbols
                .iter()
                .filter(|s| !live.iter().any(|q| &q.symbol == *s))
                .cloned()
                .collect();
            let mut fetched = if rest.is_empty() {
                Vec::new()
            } else {
                self.cached_quotes(broker, &rest).await?
            };
            fetched.extend(live);
            let order = |q: &Quote| symbols.iter().position(|s| s == &q.symbol).unwrap_or(usize::MAX);
            fetched.sort_by_key(order);
            return Ok(fetched);
        }
        self.cached_quotes(broker, symbols).await
    }

    /// Quotes from fresh entries, shared fetches and one batched broker call.
    async fn cached_quotes(
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
        let guard = InFlight {
            table: &self.quotes,
            keys: to_fetch.clone(),
        };
        let fetched = if to_fetch.is_empty() {
            Ok(Vec::new())
        } else {
            broker.quotes(&to_fetch).await
        };
        guard.done();
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
        single(&self.chains, underlying, self.chain_ttl, clock, || async {
            broker.option_chain(underlying).await.map(Arc::new)
        })
        .await
    }

    /// The customer's accounts, cached with single flight for [`ACCOUNTS_TTL`].
    pub(crate) async fn accounts(&self, broker: &dyn BrokerPort) -> Result<Arc<Vec<Account>>, BrokerError> {
        let clock = MarketCache::clock(broker);
        single(&self.accounts, &(), ACCOUNTS_TTL, clock, || async {
            broker.accounts().await.map(Arc::new)
        })
        .await
    }
}

/// One value of `table`: fresh from the cache, shared with a fetch in flight, or fetched.
async fn single<T, K, F, Fut>(
    table: &Table<T, K>,
    key: &K,
    ttl: Duration,
    clock: Option<Timestamp>,
    fetch: F,
) -> Result<T, BrokerError>
where
    T: Clone,
    K: Hash + Eq + Clone,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T, BrokerError>>,
{
    enum SinglePlan<T> {
        Hit(T),
        Wait(Shared<T>),
        Fetch(Publish<T>),
    }
    let plan = {
        let mut in_flight = lock(&table.in_flight);
        if let Some(hit) = table.fresh(key, ttl, clock) {
            SinglePlan::Hit(hit)
        } else if let Some(rx) = in_flight.get(key) {
            SinglePlan::Wait(rx.clone())
        } else {
            let (tx, rx) = watch::channel(None);
            in_flight.insert(key.clone(), rx);
            SinglePlan::Fetch(tx)
        }
    };
    match plan {
        SinglePlan::Hit(hit) => Ok(hit),
        SinglePlan::Wait(rx) => wait(rx).await,
        SinglePlan::Fetch(tx) => {
            let guard = InFlight {
                table,
                keys: vec![key.clone()],
            };
            let result = fetch().await;
            guard.done();
            lock(&table.in_flight).remove(key);
            if let Ok(value) = &result {
                table.store(key.clone(), value.clone(), clock);
            }
            tx.send_replace(Some(result.clone()));
            result
        }
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

    #[tokio::test(start_paused = true)]
    async fn the_account_list_is_fetched_once_per_ttl() {
        let (broker, cache) = setup(true);
        for _ in 0..5 {
            assert_eq!(cache.accounts(&*broker).await.unwrap().len(), 1);
        }
        assert_eq!(broker.0.calls("accounts"), 1);
        tokio::time::advance(ACCOUNTS_TTL + Duration::from_secs(1)).await;
        cache.accounts(&*broker).await.unwrap();
        assert_eq!(broker.0.calls("accounts"), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_fetch_does_not_block_the_next_caller() {
        let (broker, cache) = setup(true);
        // The fetch is dropped while the broker is still answering (50 ms).
        let quotes =
            tokio::time::timeout(Duration::from_millis(10), cache.quotes(&*broker, &[sym("SPY")])).await;
        assert!(quotes.is_err(), "timed out");
        let chain = tokio::time::timeout(Duration::from_millis(10), cache.chain(&*broker, &sym("SPY"))).await;
        assert!(chain.is_err(), "timed out");
        // The next callers fetch again and get answers.
        assert_eq!(cache.quotes(&*broker, &[sym("SPY")]).await.unwrap().len(), 1);
        assert_eq!(
            cache
                .chain(&*broker, &sym("SPY"))
                .await
                .unwrap()
                .underlying
                .as_str(),
            "SPY"
        );
        assert_eq!(
            broker.0.calls("quotes"),
            1,
            "the dropped fetch never reached the fake"
        );
    }
}
