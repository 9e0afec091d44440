//! `broker-replay`: a `BrokerPort` over a recorded tape (docs/tapes.md).
//!
//! Each call is answered with the latest recorded entry at or before the replay clock (default:
//! the tape's end), and `NotFound` otherwise; candle series are the union of every recorded bar up
//! to the clock. Every answer's source is `replay:<tape name>` and synthetic tapes say so.
//!
//! The key decision: the tape is parsed off the async runtime, once: started at composition
//! ([`ReplayBroker::start_loading`], on the blocking pool while the server starts), else on
//! first use or [`ReplayBroker::preload`], so start-up stays within a few milliseconds; entries keep
//! their JSON text and are decoded per answer, so the tape's memory is its text size.

mod recorder;
pub mod tape;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use ttai_core::domain::{
    Account, AccountNumber, Balances, Candle, MarketCalendar, MarketMetrics, MarketSession, NetLiqPoint,
    NetLiqWindow, OptionChain, Position, Quote, Symbol, SymbolMatch, Timeframe, Transaction, TransactionPage,
    TransactionQuery, Watchlist, new_york_clock, rank_symbol_matches,
};
use ttai_core::ports::{BrokerError, BrokerInfo, BrokerPort, ReplayClock};
use ttai_core::time::Timestamp;

pub use recorder::Recorder;
pub use tape::{Manifest, Op, TapeBuilder, TapeError, TapeSource};

use tape::{Entry, Tape, candles_key};

/// The bundled demo tape (synthetic), compiled into the binary.
pub fn demo_tape() -> TapeSource {
    TapeSource::Embedded {
        manifest: include_bytes!("../tapes/demo/manifest.json"),
        tape_gz: include_bytes!("../tapes/demo/tape.jsonl.gz"),
        index: Some(include_bytes!("../tapes/demo/tape.index")),
    }
}

/// The name of the bundled demo tape, known without loading it.
pub const DEMO_TAPE_NAME: &str = "demo";

/// The replay clock: milliseconds since the epoch, clamped to the tape's span.
#[derive(Debug)]
struct Clock {
    now: AtomicI64,
    start: i64,
    end: i64,
    /// When each underlying's option chain was recorded, oldest first.
    chain_times: HashMap<String, Vec<Timestamp>>,
}

impl ReplayClock for Clock {
    fn now(&self) -> Timestamp {
        Timestamp::from_millis(self.now.load(Ordering::Acquire))
    }
    fn span(&self) -> (Timestamp, Timestamp) {
        (
            Timestamp::from_millis(self.start),
            Timestamp::from_millis(self.end),
        )
    }
    fn set(&self, at: Timestamp) -> Timestamp {
        let clamped = at.millis().clamp(self.start, self.end);
        self.now.store(clamped, Ordering::Release);
        Timestamp::from_millis(clamped)
    }
    fn chain_times(&self, underlying: &Symbol) -> Vec<Timestamp> {
        self.chain_times
            .get(underlying.as_str())
            .cloned()
            .unwrap_or_default()
    }
}

struct Loaded {
    tape: Tape,
    clock: Arc<Clock>,
}

/// A broker that replays a tape.
pub struct ReplayBroker {
    source: TapeSource,
    /// The tape's name as known before loading (the manifest's name replaces it once loaded).
    name: String,
    synthetic_hint: bool,
    start_at: Option<Timestamp>,
    /// The tape once read: set once, by the first read (early on the blocking pool, or by the
    /// first use), which every other use waits for, including the clock's `now`.
    loaded: Arc<std::sync::OnceLock<Result<Loaded, TapeError>>>,
    /// True once a read was started early ([`ReplayBroker::start_loading`]).
    started: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for ReplayBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplayBroker")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl ReplayBroker {
    /// A broker over `source`. `name` is used in answers until the manifest is read;
    /// `start_at` sets the clock (`--replay-at`), default the tape's end. Nothing is read yet.
    pub fn new(source: TapeSource, name: &str, synthetic: bool, start_at: Option<Timestamp>) -> ReplayBroker {
        ReplayBroker {
            source,
            name: name.to_owned(),
            synthetic_hint: synthetic,
            start_at,
            loaded: Arc::new(std::sync::OnceLock::new()),
            started: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// A broker over the bundled demo tape.
    pub fn demo(start_at: Option<Timestamp>) -> ReplayBroker {
        ReplayBroker::new(demo_tape(), DEMO_TAPE_NAME, true, start_at)
    }

    /// Starts reading the tape on the runtime's blocking pool and returns at once: the first
    /// use (or [`ReplayBroker::preload`]) then waits for this read instead of starting its own.
    /// Outside a Tokio runtime it does nothing (the first use reads the tape).
    pub fn start_loading(&self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if self.loaded.get().is_some() || self.started.swap(true, Ordering::AcqRel) {
            return;
        }
        drop(runtime.spawn_blocking(self.reader()));
    }

    /// The one read, as a job for the blocking pool: it sets `loaded`, or waits for the read
    /// that is already setting it.
    fn reader(&self) -> impl FnOnce() + Send + 'static {
        let (cell, source, start_at) = (self.loaded.clone(), self.source.clone(), self.start_at);
        move || {
            cell.get_or_init(|| read(&source, start_at));
        }
    }

    /// Reads the tape now (off the runtime); errors name the file and line.
    pub async fn preload(&self) -> Result<Manifest, TapeError> {
        self.loaded().await.map(|loaded| loaded.tape.manifest.clone())
    }

    /// The tape, read once: by the read started early, or else here, off the runtime's
    /// threads (a use that comes while another reads waits for that read).
    async fn loaded(&self) -> Result<&Loaded, TapeError> {
        if self.loaded.get().is_none() {
            let _ = tokio::task::spawn_blocking(self.reader()).await;
        }
        match self.loaded.get() {
            Some(Ok(loaded)) => Ok(loaded),
            Some(Err(err)) => Err(err.clone()),
            None => Err(TapeError::Io {
                path: "tape".into(),
                message: "the tape's reader failed".into(),
            }),
        }
    }

    /// The tape, read once, on this thread if no read has it yet: for the clock, which must not
    /// answer before the tape says what "now" is.
    fn loaded_now(&self) -> Option<&Loaded> {
        self.loaded
            .get_or_init(|| read(&self.source, self.start_at))
            .as_ref()
            .ok()
    }

    async fn tape(&self) -> Result<&Loaded, BrokerError> {
        self.loaded().await.map_err(|e| BrokerError::Other {
            adapter: "replay",
            message: e.to_string(),
        })
    }
}

/// Reads the tape and sets its clock: at `start_at` (clamped to the tape's span), else at its end.
fn read(source: &TapeSource, start_at: Option<Timestamp>) -> Result<Loaded, TapeError> {
    tape::load(source).map(|tape| {
        let now = start_at.map_or(tape.end, |t| t).millis().clamp(tape.start.millis(), tape.end.millis());
        let chain_times = tape
            .entries
            .iter()
            .filter(|((op, _), _)| *op == Op::OptionChain)
            .map(|((_, key), entries)| (key.clone(), entries.iter().map(|e| e.at).collect()))
            .collect();
        let clock = Arc::new(Clock {
            now: AtomicI64::new(now),
            start: tape.start.millis(),
            end: tape.end.millis(),
            chain_times,
        });
        tracing::info!(tape = %tape.manifest.name, start = %tape.start, end = %tape.end, "replay tape loaded");
        Loaded { tape, clock }
    })
}

fn decode<T: DeserializeOwned>(tape: &Tape, entry: &Entry) -> Result<T, BrokerError> {
    let bad = |e: String| BrokerError::InvalidResponse(format!("{} line {}: {e}", tape.file, entry.line));
    let text = tape.data_text(entry).map_err(bad)?;
    serde_json::from_str(&text).map_err(|e| bad(e.to_string()))
}

impl Loaded {
    fn latest(&self, op: Op, key: &str) -> Option<&Entry> {
        let now = self.clock.now();
        let entries = self.tape.entries.get(&(op, key.to_owned()))?;
        let idx = entries.partition_point(|e| e.at <= now);
        idx.checked_sub(1).and_then(|i| entries.get(i))
    }

    fn latest_decoded<T: DeserializeOwned>(&self, op: Op, key: &str) -> Result<Option<T>, BrokerError> {
        self.latest(op, key).map(|e| decode(&self.tape, e)).transpose()
    }

    fn has_key(&self, op: Op, key: &str) -> bool {
        self.tape.entries.contains_key(&(op, key.to_owned()))
    }

    /// Every item of every list recorded under (op, key) by the clock, oldest line first.
    fn union<T: DeserializeOwned>(&self, op: Op, key: &str) -> Result<Vec<T>, BrokerError> {
        let now = self.clock.now();
        let mut all = Vec::new();
        if let Some(entries) = self.tape.entries.get(&(op, key.to_owned())) {
            for entry in entries.iter().take_while(|e| e.at <= now) {
                all.extend(decode::<Vec<T>>(&self.tape, entry)?);
            }
        }
        Ok(all)
    }

    /// `NotFound` unless the tape knows the account (its balances, positions or history).
    fn account_known(&self, account: &AccountNumber) -> Result<(), BrokerError> {
        let key = account.as_str();
        if [Op::Balances, Op::Positions, Op::Transactions, Op::NetLiq]
            .into_iter()
            .any(|op| self.has_key(op, key))
        {
            Ok(())
        } else {
            Err(BrokerError::NotFound(format!("account {}", account.masked())))
        }
    }

    /// The calendar recorded on the tape by the clock, else the NYSE rules around its date.
    fn calendar(&self) -> Result<MarketCalendar, BrokerError> {
        Ok(self
            .latest_decoded(Op::MarketCalendar, MARKET_KEY)?
            .unwrap_or_else(|| MarketCalendar::nyse_around(new_york_clock(self.clock.now()).0)))
    }
}

/// The key of the market-hours ops: the equity market's instrument collection.
pub const MARKET_KEY: &str = "Equity";

#[async_trait]
impl BrokerPort for ReplayBroker {
    fn info(&self) -> BrokerInfo {
        let (name, synthetic) = match self.loaded.get() {
            Some(Ok(loaded)) => (loaded.tape.manifest.name.clone(), loaded.tape.manifest.synthetic),
            _ => (self.name.clone(), self.synthetic_hint),
        };
        BrokerInfo {
            source: format!("replay:{name}"),
            synthetic,
            live: false,
        }
    }

    fn is_live(&self) -> bool {
        false
    }

    fn now(&self) -> Timestamp {
        // Before the tape is read, "now" is not known: wait for the read (once, at start-up)
        // rather than answer another instant.
        match self.loaded_now() {
            Some(loaded) => loaded.clock.now(),
            None => self.start_at.unwrap_or(Timestamp::from_millis(0)),
        }
    }

    async fn replay_clock(&self) -> Option<Arc<dyn ReplayClock>> {
        match self.loaded().await {
            Ok(loaded) => Some(loaded.clock.clone()),
            Err(_) => None,
        }
    }

    async fn accounts(&self) -> Result<Vec<Account>, BrokerError> {
        let t = self.tape().await?;
        Ok(t.latest_decoded(Op::Accounts, "")?.unwrap_or_default())
    }

    async fn balances(&self, account: &AccountNumber) -> Result<Balances, BrokerError> {
        let t = self.tape().await?;
        t.latest_decoded(Op::Balances, account.as_str())?
            .ok_or_else(|| BrokerError::NotFound(format!("account {}", account.masked())))
    }

    async fn positions(&self, account: &AccountNumber) -> Result<Vec<Position>, BrokerError> {
        let t = self.tape().await?;
        match t.latest_decoded(Op::Positions, account.as_str())? {
            Some(positions) => Ok(positions),
            None if t.has_key(Op::Balances, account.as_str()) => Ok(Vec::new()),
            None => Err(BrokerError::NotFound(format!("account {}", account.masked()))),
        }
    }

    async fn quotes(&self, symbols: &[Symbol]) -> Result<Vec<Quote>, BrokerError> {
        let t = self.tape().await?;
        let mut out = Vec::with_capacity(symbols.len());
        for symbol in symbols {
            if let Some(quote) = t.latest_decoded::<Quote>(Op::Quote, symbol.as_str())? {
                out.push(quote);
            }
        }
        Ok(out)
    }

    async fn option_chain(&self, underlying: &Symbol) -> Result<OptionChain, BrokerError> {
        let t = self.tape().await?;
        t.latest_decoded(Op::OptionChain, underlying.as_str())?
            .ok_or_else(|| {
                BrokerError::NotFound(format!(
                    "option chain of {underlying} on the tape at {}",
                    t.clock.now()
                ))
            })
    }

    async fn market_metrics(&self, symbols: &[Symbol]) -> Result<Vec<MarketMetrics>, BrokerError> {
        let t = self.tape().await?;
        let mut out = Vec::with_capacity(symbols.len());
        for symbol in symbols {
            if let Some(m) = t.latest_decoded::<MarketMetrics>(Op::MarketMetrics, symbol.as_str())? {
                out.push(m);
            }
        }
        Ok(out)
    }

    async fn candles(
        &self,
        symbol: &Symbol,
        timeframe: Timeframe,
        since: Timestamp,
    ) -> Result<Vec<Candle>, BrokerError> {
        let t = self.tape().await?;
        let key = candles_key(symbol, timeframe);
        let Some(entries) = t.tape.entries.get(&(Op::Candles, key)) else {
            let any = [Timeframe::Daily, Timeframe::Weekly, Timeframe::Intraday]
                .iter()
                .any(|tf| t.has_key(Op::Candles, &candles_key(symbol, *tf)));
            return Err(if any {
                BrokerError::Unsupported(format!(
                    "the tape has no {} candles of {symbol}",
                    timeframe.as_str()
                ))
            } else {
                BrokerError::NotFound(format!("candles of {symbol}"))
            });
        };
        let now = t.clock.now();
        let mut bars: Vec<Candle> = Vec::new();
        for entry in entries.iter().take_while(|e| e.at <= now) {
            let batch: Vec<Candle> = decode(&t.tape, entry)?;
            bars.extend(batch.into_iter().filter(|c| c.time >= since && c.time <= now));
        }
        bars.sort_by_key(|c| c.time);
        // A later recording of the same bar replaces the earlier one.
        bars.reverse();
        bars.dedup_by_key(|c| c.time);
        bars.reverse();
        Ok(bars)
    }

    async fn search_symbols(&self, query: &str, limit: usize) -> Result<Vec<SymbolMatch>, BrokerError> {
        let t = self.tape().await?;
        let key = query.trim().to_ascii_lowercase();
        if let Some(found) = t.latest_decoded::<Vec<SymbolMatch>>(Op::SymbolSearch, &key)? {
            return Ok(found.into_iter().take(limit).collect());
        }
        let directory: Vec<SymbolMatch> = match t.latest_decoded(Op::SymbolSearch, "")? {
            Some(directory) => directory,
            None => {
                let mut symbols: Vec<&String> = t
                    .tape
                    .entries
                    .keys()
                    .filter(|(op, _)| *op == Op::Quote)
                    .map(|(_, k)| k)
                    .collect();
                symbols.sort();
                symbols
                    .into_iter()
                    .filter_map(|s| Symbol::parse(s).ok())
                    .map(|symbol| SymbolMatch {
                        symbol,
                        description: String::new(),
                        instrument_type: None,
                        has_options: None,
                    })
                    .collect()
            }
        };
        Ok(rank_symbol_matches(&directory, query, limit))
    }

    /// Every transaction recorded by the clock (a transaction recorded twice counts once, as last
    /// recorded), executed by then, filtered and paged.
    async fn transactions(
        &self,
        account: &AccountNumber,
        query: &TransactionQuery,
    ) -> Result<TransactionPage, BrokerError> {
        let t = self.tape().await?;
        t.account_known(account)?;
        let now = t.clock.now();
        let mut by_id: HashMap<u64, Transaction> = HashMap::new();
        for transaction in t.union::<Transaction>(Op::Transactions, account.as_str())? {
            if transaction.executed_at <= now {
                by_id.insert(transaction.id, transaction);
            }
        }
        Ok(query.page_of(by_id.into_values()))
    }

    async fn net_liq_history(
        &self,
        account: &AccountNumber,
        window: NetLiqWindow,
    ) -> Result<Vec<NetLiqPoint>, BrokerError> {
        let t = self.tape().await?;
        t.account_known(account)?;
        let points = t.union::<NetLiqPoint>(Op::NetLiq, account.as_str())?;
        Ok(window.select(points, t.clock.now()))
    }

    async fn watchlists(&self) -> Result<Vec<Watchlist>, BrokerError> {
        let t = self.tape().await?;
        Ok(t.latest_decoded(Op::Watchlists, "")?.unwrap_or_default())
    }

    /// The session recorded last, while it still holds at the clock; else the session at the
    /// clock by the tape's calendar (or the NYSE rules).
    async fn market_session(&self) -> Result<MarketSession, BrokerError> {
        let t = self.tape().await?;
        let now = t.clock.now();
        if let Some(mut recorded) = t.latest_decoded::<MarketSession>(Op::MarketSession, MARKET_KEY)?
            && now < recorded.valid_until()
        {
            recorded.as_of = now;
            return Ok(recorded);
        }
        Ok(t.calendar()?.session_at(now))
    }

    async fn market_calendar(&self) -> Result<MarketCalendar, BrokerError> {
        self.tape().await?.calendar()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use ttai_core::time::Date;

    fn sym(s: &str) -> Symbol {
        Symbol::parse(s).unwrap()
    }

    /// One entry: (op, key, at, line, member).
    type Listed = (String, String, i64, usize, Option<(usize, usize)>);

    /// Every entry, sorted.
    fn listing(tape: &Tape) -> Vec<Listed> {
        let mut all: Vec<_> = tape
            .entries
            .iter()
            .flat_map(|((op, key), entries)| {
                entries.iter().map(move |e| {
                    let member = match e.stored {
                        tape::Stored::Member { start, end } => Some((start, end)),
                        tape::Stored::Raw(_) => None,
                    };
                    (op.as_str().to_owned(), key.clone(), e.at.millis(), e.line, member)
                })
            })
            .collect();
        all.sort();
        all
    }

    #[test]
    fn the_demo_index_says_what_reading_the_tape_says() {
        let TapeSource::Embedded {
            manifest, tape_gz, ..
        } = demo_tape()
        else {
            panic!("the demo tape is embedded");
        };
        let indexed = tape::load(&demo_tape()).unwrap();
        let scanned = tape::load(&TapeSource::Embedded {
            manifest,
            tape_gz,
            index: None,
        })
        .unwrap();
        assert_eq!(listing(&indexed), listing(&scanned));
        assert_eq!((indexed.start, indexed.end), (scanned.start, scanned.end));
        // A damaged index is not trusted: the tape is read instead.
        let damaged = tape::load(&TapeSource::Embedded {
            manifest,
            tape_gz,
            index: Some(b"1\tquote\t0\t99999999999\tSPY\n"),
        })
        .unwrap();
        assert_eq!(listing(&damaged), listing(&scanned));
    }

    #[tokio::test]
    async fn the_demo_tape_is_synthetic_and_complete() {
        let broker = ReplayBroker::demo(None);
        let manifest = broker.preload().await.unwrap();
        assert!(manifest.synthetic);
        assert_eq!(broker.info().source, "replay:demo");
        assert!(broker.info().synthetic);
        let symbols: Vec<Symbol> = manifest.symbols.iter().map(|s| sym(s)).collect();
        assert!(symbols.len() >= 3);
        let quotes = broker.quotes(&symbols).await.unwrap();
        assert_eq!(quotes.len(), symbols.len());
        for symbol in &symbols {
            let candles = broker
                .candles(symbol, Timeframe::Daily, Timestamp::from_millis(0))
                .await
                .unwrap();
            assert!(candles.len() >= 250, "{symbol}: {} candles", candles.len());
            let chain = broker.option_chain(symbol).await.unwrap();
            assert!(chain.expirations.len() >= 2);
            assert!(chain.expirations.iter().all(|e| e.date > broker.now().date()));
            assert_eq!(
                broker
                    .market_metrics(std::slice::from_ref(symbol))
                    .await
                    .unwrap()
                    .len(),
                1
            );
        }
        let accounts = broker.accounts().await.unwrap();
        let account = &accounts[0].number;
        assert!(!broker.positions(account).await.unwrap().is_empty());
        assert!(broker.balances(account).await.unwrap().net_liquidating_value > 0.0);
    }

    #[tokio::test]
    async fn a_read_started_early_is_the_one_the_first_use_waits_for() {
        let broker = ReplayBroker::demo(None);
        broker.start_loading();
        broker.start_loading(); // a second start adds no second read
        assert!(broker.started.load(Ordering::Acquire));
        let quotes = broker.quotes(&[sym("SPY")]).await.unwrap();
        assert_eq!(quotes.len(), 1);
        assert!(broker.loaded.get().is_some_and(Result::is_ok));
        // A damaged tape read early is reported by the first use, as one read on first use is.
        let damaged = ReplayBroker::new(
            TapeSource::Embedded {
                manifest: b"{not json",
                tape_gz: b"",
                index: None,
            },
            "damaged",
            false,
            None,
        );
        damaged.start_loading();
        assert!(damaged.preload().await.is_err());
        assert!(damaged.quotes(&[sym("SPY")]).await.is_err());
        // Outside a runtime nothing is started; the first use reads the tape itself.
        let outside = std::thread::spawn(|| {
            let broker = ReplayBroker::demo(None);
            broker.start_loading();
            !broker.started.load(Ordering::Acquire) && broker.loaded.get().is_none()
        });
        assert!(outside.join().unwrap());
    }

    /// "Now" is the tape's, even asked before the tape was read: the first tool of a fresh
    /// process that reads the clock first (a chart's window, a DTE) must not get another
    /// instant. It used to answer the epoch (or `--replay-at` unclamped) until the read was done.
    #[tokio::test]
    async fn now_is_the_tapes_even_before_the_tape_is_read() {
        let end: Timestamp = "2026-11-20T21:00:00Z".parse().unwrap();
        // Nothing read yet, no read started: `now` reads the tape itself.
        assert_eq!(ReplayBroker::demo(None).now(), end);
        // A read started early and still going: `now` waits for it.
        let early = ReplayBroker::demo(None);
        early.start_loading();
        assert_eq!(early.now(), end);
        // `--replay-at` is clamped to the tape's span, before and after the read.
        let after_the_tape = end.add_millis(400 * ttai_core::time::MS_PER_DAY);
        let clamped = ReplayBroker::demo(Some(after_the_tape));
        assert_eq!(clamped.now(), end);
        let inside = end.add_millis(-10 * ttai_core::time::MS_PER_DAY);
        assert_eq!(ReplayBroker::demo(Some(inside)).now(), inside);
        // A chart's 450-day window taken first thing starts 450 days before the tape's end, not
        // at the tape's first bar (two years back).
        let fresh = ReplayBroker::demo(None);
        let window = 450 * ttai_core::time::MS_PER_DAY;
        let first = fresh
            .candles(&sym("SPY"), Timeframe::Daily, fresh.now().add_millis(-window))
            .await
            .unwrap();
        assert!(first.first().is_some_and(|c| c.time >= end.add_millis(-window)));
    }

    #[tokio::test]
    async fn the_clock_selects_what_was_recorded_by_then() {
        let broker = ReplayBroker::demo(None);
        broker.preload().await.unwrap();
        let clock = broker.replay_clock().await.unwrap();
        let (start, end) = clock.span();
        assert_eq!(broker.now(), end);
        let at_end = broker.quotes(&[sym("SPY")]).await.unwrap().remove(0);
        let earlier = clock.set(end.add_millis(-30 * ttai_core::time::MS_PER_DAY));
        let before = broker.quotes(&[sym("SPY")]).await.unwrap().remove(0);
        assert!(before.as_of <= earlier);
        assert_ne!(before.as_of, at_end.as_of);
        let candles = broker
            .candles(&sym("SPY"), Timeframe::Daily, Timestamp::from_millis(0))
            .await
            .unwrap();
        assert!(candles.last().unwrap().time <= earlier);
        assert_eq!(clock.set(Timestamp::from_millis(0)), start, "clamped to the tape");
        assert!(matches!(
            broker.option_chain(&sym("SPY")).await,
            Err(BrokerError::NotFound(_))
        ));
    }

    #[tokio::test]
    async fn replay_at_starts_the_clock_there() {
        let at: Timestamp = "2026-06-01T12:00:00Z".parse().unwrap();
        let broker = ReplayBroker::demo(Some(at));
        broker.preload().await.unwrap();
        assert_eq!(broker.now(), at);
        let quote = broker.quotes(&[sym("AAPL")]).await.unwrap().remove(0);
        assert_eq!(quote.as_of.date(), Date::from_ymd(2026, 5, 29).unwrap());
    }

    fn write(dir: &std::path::Path, manifest: &str, tape: &str) {
        std::fs::write(dir.join("manifest.json"), manifest).unwrap();
        std::fs::write(dir.join("tape.jsonl"), tape).unwrap();
    }

    const MANIFEST: &str = r#"{"name":"t","synthetic":true}"#;
    const QUOTE: &str = r#"{"symbol":"SPY","bid":1.0,"ask":1.1,"last":1.05,"mark":1.05,"volume":1,"day_high":1.1,"day_low":1.0,"prev_close":1.0,"as_of":"2025-01-02T21:00:00Z"}"#;

    async fn load_error(manifest: &str, tape: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), manifest, tape);
        let broker = ReplayBroker::new(TapeSource::Dir(dir.path().to_owned()), "t", true, None);
        broker.preload().await.unwrap_err().to_string()
    }

    #[tokio::test]
    async fn a_broken_tape_is_a_clear_error_naming_the_line() {
        let good = format!(r#"{{"at":"2025-01-02T21:00:00Z","op":"quote","key":"SPY","data":{QUOTE}}}"#);
        let e = load_error(MANIFEST, &format!("{good}\n{{\"at\":\"2025-01-02T21:00:00Z\",\"op\":\"quotes\",\"key\":\"SPY\",\"data\":{{}}}}\n")).await;
        assert!(e.contains("line 2") && e.contains("unknown op"), "{e}");
        let e = load_error(
            MANIFEST,
            &format!("{good}\n{}\n", good.replace("2025-01-02", "2024-12-31")),
        )
        .await;
        assert!(e.contains("line 2") && e.contains("earlier"), "{e}");
        let e = load_error(
            MANIFEST,
            &format!("{good}\n{}\n", good.replace("\"bid\":1.0", "\"bid\":\"x\"")),
        )
        .await;
        assert!(e.contains("line 2") && e.contains("data of quote"), "{e}");
        let e = load_error(MANIFEST, "\n\n").await;
        assert!(e.contains("empty"), "{e}");
        let e = load_error("{}", &good).await;
        assert!(e.contains("manifest"), "{e}");
        let e = load_error(MANIFEST, "not json\n").await;
        assert!(e.contains("line 1"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let broker = ReplayBroker::new(TapeSource::Dir(dir.path().join("missing")), "t", true, None);
        assert!(
            broker
                .preload()
                .await
                .unwrap_err()
                .to_string()
                .contains("manifest.json")
        );
        let calls = broker.quotes(&[sym("SPY")]).await.unwrap_err();
        assert!(matches!(calls, BrokerError::Other { .. }));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn a_hand_edited_tape_never_panics(cut in 0usize..400, junk in "\\PC{0,20}") {
            let line = format!(r#"{{"at":"2025-01-02T21:00:00Z","op":"quote","key":"SPY","data":{QUOTE}}}"#);
            let mut text = line.clone();
            let cut = cut.min(text.len());
            if text.is_char_boundary(cut) {
                text.insert_str(cut, &junk);
            }
            let dir = tempfile::tempdir().unwrap();
            write(dir.path(), MANIFEST, &format!("{line}\n{text}\n"));
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                let broker = ReplayBroker::new(TapeSource::Dir(dir.path().to_owned()), "t", true, None);
                let _ = broker.preload().await;
                let _ = broker.quotes(&[sym("SPY")]).await;
            });
        }
    }
}
