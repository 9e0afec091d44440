//! DXLink streaming (docs/tastytrade-wire.md, "DXLink"): one long-lived websocket per broker, shared by
//! every call, for live quotes and candle history.
//!
//! - `protocol`: the messages, field lists and COMPACT decoding (pure).
//! - `connection`: the task that owns the socket: quote token, SETUP/AUTH, one channel per event
//!   type, keepalive, reconnect with backoff, resubscription, idle close.
//!
//! The [`Streamer`] is the handle the broker calls. Its state is a plain mutex shared with the
//! task: which symbols are watched (each with the REST snapshot it started from and the latest
//! stream values), and which candle histories are being loaded (with their waiters). The caller
//! records what it wants in that state and then nudges the task; after a reconnect the task
//! subscribes again to everything the state holds, so nothing is lost between the two.
//!
//! Quotes: a symbol asked through REST is watched from then on (`Quote`, `Trade`, `Summary`
//! events). Its quote is *live* once the current connection has delivered a `Quote` event for
//! it; until then, and whenever the connection is down, the broker asks REST. A symbol nobody
//! asked for during [`StreamSettings::idle_after`] is unsubscribed, and a connection with nothing
//! to stream is closed (the next use opens another).
//!
//! Greeks: the option streamer symbols of a chain's priced contracts are subscribed to `Greeks`
//! when the chain is fetched; the chain carries the values that arrived within a short wait, and
//! later fetches the values kept fresh since. They go idle like quotes.
//!
//! Candles: a `Candle` subscription with `fromTime`; the history is the snapshot the server sends
//! (`SNAPSHOT_BEGIN` … `SNAPSHOT_END`/`SNAPSHOT_SNIP`, possibly over several frames, `REMOVE_EVENT`
//! honoured), sorted by time. Requests are kept under the normal form of their symbol
//! (`protocol::normalize_candle_symbol`): dxFeed names the events of `SPY{=1d,tho=true}`
//! `SPY{=d,tho=true}`, and both forms find the request. The subscription is removed (with its
//! `fromTime`) when the snapshot is complete. A caller waits at most
//! [`StreamSettings::candle_timeout`].

mod connection;
mod events;
pub(crate) mod protocol;
mod socket;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::{Notify, mpsc, oneshot};
use tokio::time::Instant;
use ttai_core::domain::{BrokerGreeks, Candle, Quote, Symbol, Timeframe};
use ttai_core::ports::BrokerError;
use ttai_core::time::Timestamp;

use crate::Inner;
use crate::symbols::MarketDataKind;
use protocol::{EventType, Subscription};

/// Timings of the stream. `standard()` is what production uses; tests shorten them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamSettings {
    /// The limit for opening the socket and for each step of the handshake.
    pub connect_timeout: Duration,
    /// How long a candle request waits for its snapshot.
    pub candle_timeout: Duration,
    /// How often a `KEEPALIVE` is sent (the server drops a client silent for 60 s).
    pub keepalive: Duration,
    /// A connection from which nothing arrived for this long is considered dead.
    pub silence_limit: Duration,
    /// A watched symbol nobody asked for during this long is unsubscribed; a connection with
    /// nothing to stream for this long is closed.
    pub idle_after: Duration,
    /// The first wait before reconnecting; it doubles up to `backoff_max`.
    pub backoff_min: Duration,
    /// The longest wait before reconnecting.
    pub backoff_max: Duration,
}

impl StreamSettings {
    /// Production timings: 10 s handshake steps, 20 s for a candle history, keepalive every 30 s,
    /// 65 s of silence is a dead link, 10 min idle, reconnect after 0.5 s doubling to 30 s.
    pub fn standard() -> StreamSettings {
        StreamSettings {
            connect_timeout: Duration::from_secs(10),
            candle_timeout: Duration::from_secs(20),
            keepalive: Duration::from_secs(30),
            silence_limit: Duration::from_secs(65),
            idle_after: Duration::from_secs(600),
            backoff_min: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
        }
    }
}

/// What the stream is doing, for tests and status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamStatus {
    /// Authorized with every channel open.
    pub connected: bool,
    /// Sessions that reached that state so far (a reconnect adds one).
    pub sessions: u64,
    /// Symbols watched for quotes.
    pub watched: usize,
    /// Options watched for greeks.
    pub greeks: usize,
    /// Of those, the ones with a live quote on the current connection.
    pub live: usize,
    /// Candle histories being loaded.
    pub loading_candles: usize,
}

/// A watched symbol: the REST snapshot it started from and the latest stream values.
#[derive(Clone, Debug)]
struct Watched {
    base: Quote,
    /// A `Quote` event arrived on the current connection.
    live: bool,
    last_used: Instant,
    bid: Option<f64>,
    ask: Option<f64>,
    bid_size: Option<f64>,
    ask_size: Option<f64>,
    last: Option<f64>,
    volume: Option<f64>,
    open: Option<f64>,
    high: Option<f64>,
    low: Option<f64>,
    prev_close: Option<f64>,
    /// The newest event time, epoch ms.
    time: Option<i64>,
}

impl Watched {
    fn new(base: Quote, now: Instant) -> Watched {
        Watched {
            base,
            live: false,
            last_used: now,
            bid: None,
            ask: None,
            bid_size: None,
            ask_size: None,
            last: None,
            volume: None,
            open: None,
            high: None,
            low: None,
            prev_close: None,
            time: None,
        }
    }

    /// The REST snapshot with every value the stream has overlaid.
    fn quote(&self) -> Quote {
        let mut quote = self.base.clone();
        let or = |stream: Option<f64>, base: Option<f64>| stream.or(base);
        quote.bid = or(self.bid, quote.bid);
        quote.ask = or(self.ask, quote.ask);
        quote.bid_size = or(self.bid_size, quote.bid_size);
        quote.ask_size = or(self.ask_size, quote.ask_size);
        quote.last = or(self.last, quote.last);
        quote.volume = or(self.volume, quote.volume);
        quote.open = or(self.open, quote.open);
        quote.day_high = or(self.high, quote.day_high);
        quote.day_low = or(self.low, quote.day_low);
        quote.prev_close = or(self.prev_close, quote.prev_close);
        if let (Some(bid), Some(ask)) = (quote.bid, quote.ask)
            && bid > 0.0
            && ask >= bid
        {
            quote.mark = Some(ttai_core::domain::round4((bid + ask) / 2.0));
        }
        if let Some(time) = self.time
            && time > quote.as_of.millis()
        {
            quote.as_of = Timestamp::from_millis(time);
        }
        quote
    }
}

/// An option's greeks from the stream.
#[derive(Clone, Debug)]
struct WatchedGreeks {
    value: Option<BrokerGreeks>,
    last_used: Instant,
}

/// One waiter of a candle history.
struct CandleWaiter {
    since: Timestamp,
    reply: oneshot::Sender<Result<Vec<Candle>, BrokerError>>,
}

/// A candle history being loaded, kept under the normal form of its symbol (dxFeed answers
/// with that form, not always with the text subscribed).
struct CandleRequest {
    /// The symbol as subscribed (`SPY{=1d,tho=true}`), for `remove` and resubscription.
    symbol: String,
    from_time: i64,
    /// A snapshot has begun on the current connection.
    in_snapshot: bool,
    /// Bars by index.
    bars: BTreeMap<i64, Candle>,
    waiters: Vec<CandleWaiter>,
}

/// The state shared by the handle and the task.
#[derive(Default)]
struct State {
    connected: bool,
    sessions: u64,
    watched: HashMap<String, Watched>,
    greeks: HashMap<String, WatchedGreeks>,
    candles: HashMap<String, CandleRequest>,
    /// The connection task is running.
    task_running: bool,
}

/// What the handle tells the task; the state already says it.
#[derive(Debug)]
enum Command {
    /// Subscribe to these.
    Add(Vec<Subscription>),
    /// Unsubscribe from these.
    Remove(Vec<Subscription>),
}

/// The state and how to reach the task.
struct Shared {
    state: Mutex<State>,
    /// Woken whenever greeks arrive.
    greeks_arrived: Notify,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The quote subscriptions of a watched symbol.
fn quote_subscriptions(symbol: &str) -> [Subscription; 3] {
    [EventType::Quote, EventType::Trade, EventType::Summary].map(|event| Subscription {
        event,
        symbol: symbol.to_owned(),
        from_time: None,
    })
}

/// The stream handle; see the module docs.
pub(crate) struct Streamer {
    inner: Arc<Inner>,
    settings: StreamSettings,
    shared: Arc<Shared>,
    commands: mpsc::UnboundedSender<Command>,
    /// The task's end of `commands`, until the task is started.
    receiver: Mutex<Option<mpsc::UnboundedReceiver<Command>>>,
}

impl Streamer {
    /// A streamer that will connect through `inner`'s quote token on first use.
    pub(crate) fn new(inner: Arc<Inner>, settings: StreamSettings) -> Streamer {
        let (commands, receiver) = mpsc::unbounded_channel();
        Streamer {
            inner,
            settings,
            shared: Arc::new(Shared {
                state: Mutex::new(State::default()),
                greeks_arrived: Notify::new(),
            }),
            commands,
            receiver: Mutex::new(Some(receiver)),
        }
    }

    /// Starts the connection task if it is not running (it runs until the streamer is dropped).
    fn ensure_running(&self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let mut state = self.shared.lock();
        if state.task_running {
            return;
        }
        let Some(receiver) = self
            .receiver
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        else {
            return;
        };
        state.task_running = true;
        drop(state);
        let task = connection::Task {
            inner: Arc::clone(&self.inner),
            shared: Arc::clone(&self.shared),
            settings: self.settings.clone(),
            commands: receiver,
        };
        runtime.spawn(task.run());
    }

    fn send(&self, command: Command) {
        self.ensure_running();
        // The task ends only when this handle is dropped, so the channel is open.
        let _ = self.commands.send(command);
    }

    /// The quotes of `symbols` the stream holds live, in the order asked; each one asked is kept
    /// subscribed for another `idle_after`.
    pub(crate) fn live_quotes(&self, symbols: &[Symbol]) -> Vec<Quote> {
        let mut state = self.shared.lock();
        if !state.connected {
            return Vec::new();
        }
        let now = Instant::now();
        symbols
            .iter()
            .filter_map(|symbol| {
                let watched = state.watched.get_mut(symbol.as_str())?;
                watched.last_used = now;
                watched.live.then(|| watched.quote())
            })
            .collect()
    }

    /// Watches the symbols of `quotes` (REST snapshots) from now on: stocks and ETFs only (index
    /// and option quotes come from REST). Already watched symbols get the newer snapshot as base.
    pub(crate) fn watch(&self, quotes: &[Quote]) {
        let now = Instant::now();
        let mut added = Vec::new();
        {
            let mut state = self.shared.lock();
            for quote in quotes {
                let symbol = quote.symbol.as_str();
                if self.inner.kind(symbol) != MarketDataKind::Equity {
                    continue;
                }
                match state.watched.get_mut(symbol) {
                    Some(watched) => {
                        watched.base = quote.clone();
                        watched.last_used = now;
                    }
                    None => {
                        state
                            .watched
                            .insert(symbol.to_owned(), Watched::new(quote.clone(), now));
                        added.extend(quote_subscriptions(symbol));
                    }
                }
            }
        }
        if !added.is_empty() {
            self.send(Command::Add(added));
        }
    }

    /// The greeks of the options with these streamer symbols (`.SPY250117P450`): subscribes the
    /// ones not watched yet and waits up to `wait` for values; returns those it has.
    pub(crate) async fn greeks(&self, symbols: &[String], wait: Duration) -> HashMap<String, BrokerGreeks> {
        let now = Instant::now();
        let mut added = Vec::new();
        {
            let mut state = self.shared.lock();
            for symbol in symbols {
                match state.greeks.get_mut(symbol) {
                    Some(watched) => watched.last_used = now,
                    None => {
                        state.greeks.insert(
                            symbol.clone(),
                            WatchedGreeks {
                                value: None,
                                last_used: now,
                            },
                        );
                        added.push(Subscription {
                            event: EventType::Greeks,
                            symbol: symbol.clone(),
                            from_time: None,
                        });
                    }
                }
            }
        }
        if !added.is_empty() {
            self.send(Command::Add(added));
        }
        let deadline = now + wait;
        let held = || -> HashMap<String, BrokerGreeks> {
            let state = self.shared.lock();
            symbols
                .iter()
                .filter_map(|s| Some((s.clone(), state.greeks.get(s)?.value?)))
                .collect()
        };
        loop {
            // Registered before looking, so that an arrival in between is not missed.
            let arrived = self.shared.greeks_arrived.notified();
            let found = held();
            if found.len() == symbols.len() || Instant::now() >= deadline {
                return found;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return held();
            }
        }
    }

    /// Candle history of `symbol` since `since`, oldest first, from a `Candle` snapshot.
    ///
    /// # Errors
    /// `Unavailable` when no complete snapshot arrives within `candle_timeout` (the message says
    /// so); `NotFound` when the snapshot is empty; the quote token's error when it cannot be had.
    pub(crate) async fn candles(
        &self,
        symbol: &Symbol,
        timeframe: Timeframe,
        since: Timestamp,
    ) -> Result<Vec<Candle>, BrokerError> {
        let candle_symbol = protocol::candle_symbol(symbol.as_str(), timeframe);
        let key = protocol::normalize_candle_symbol(&candle_symbol);
        let from_time = since.millis().max(0);
        let (reply, answer) = oneshot::channel();
        let command = {
            let mut state = self.shared.lock();
            let waiter = CandleWaiter { since, reply };
            match state.candles.get_mut(&key) {
                Some(request) if request.from_time <= from_time => {
                    request.waiters.push(waiter);
                    None
                }
                existing => {
                    // A first request, or one reaching further back: (re)subscribe from there.
                    let replaced = existing.map(|r| {
                        let old = Subscription {
                            event: EventType::Candle,
                            symbol: r.symbol.clone(),
                            from_time: Some(r.from_time),
                        };
                        (old, std::mem::take(&mut r.waiters))
                    });
                    let (removal, waiters) = match replaced {
                        Some((old, waiters)) => (Some(old), waiters),
                        None => (None, Vec::new()),
                    };
                    let mut request = CandleRequest {
                        symbol: candle_symbol.clone(),
                        from_time,
                        in_snapshot: false,
                        bars: BTreeMap::new(),
                        waiters,
                    };
                    request.waiters.push(waiter);
                    state.candles.insert(key.clone(), request);
                    Some((
                        removal,
                        Subscription {
                            event: EventType::Candle,
                            symbol: candle_symbol.clone(),
                            from_time: Some(from_time),
                        },
                    ))
                }
            }
        };
        if let Some((removal, subscription)) = command {
            if let Some(removal) = removal {
                self.send(Command::Remove(vec![removal]));
            }
            self.send(Command::Add(vec![subscription]));
        }
        let outcome = tokio::time::timeout(self.settings.candle_timeout, answer).await;
        let candles = match outcome {
            Ok(Ok(result)) => result?,
            Ok(Err(_)) => {
                return Err(BrokerError::Unavailable(
                    "the DXLink stream stopped before the candles arrived".to_owned(),
                ));
            }
            Err(_) => {
                self.abandon(&key);
                return Err(BrokerError::Unavailable(format!(
                    "DXLink sent no {} candles of {symbol} within {} s",
                    timeframe.as_str(),
                    self.settings.candle_timeout.as_secs_f64()
                )));
            }
        };
        if candles.is_empty() {
            return Err(BrokerError::NotFound(format!(
                "{} candles of {symbol}",
                timeframe.as_str()
            )));
        }
        Ok(candles)
    }

    /// Drops the waiters that gave up; the request (under `key`, its normal symbol) goes when
    /// none is left.
    fn abandon(&self, key: &str) {
        let removal = {
            let mut state = self.shared.lock();
            let Some(request) = state.candles.get_mut(key) else {
                return;
            };
            request.waiters.retain(|w| !w.reply.is_closed());
            if request.waiters.is_empty() {
                state.candles.remove(key).map(|request| Subscription {
                    event: EventType::Candle,
                    symbol: request.symbol,
                    from_time: Some(request.from_time),
                })
            } else {
                None
            }
        };
        if let Some(removal) = removal {
            self.send(Command::Remove(vec![removal]));
        }
    }

    /// What the stream is doing.
    pub(crate) fn status(&self) -> StreamStatus {
        let state = self.shared.lock();
        StreamStatus {
            connected: state.connected,
            sessions: state.sessions,
            watched: state.watched.len(),
            greeks: state.greeks.len(),
            live: state.watched.values().filter(|w| w.live).count(),
            loading_candles: state.candles.len(),
        }
    }
}
