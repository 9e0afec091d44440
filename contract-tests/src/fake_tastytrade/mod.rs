//! A fake TastyTrade REST API on `127.0.0.1`, for the live adapter's tests and the binary's
//! end-to-end tests.
//!
//! It speaks the wire format of docs/tastytrade-wire.md (envelopes, kebab-case keys, decimals as
//! strings, HV in percent, OAuth's flat token answer) and serves a [`FakeMarket`], by default the
//! canonical scenario (`ttai_core::testing::sample_market`), so the live adapter pointed at it
//! must answer exactly what the fake broker and the replay tapes answer.
//!
//! What it checks, like the real API:
//! - `User-Agent`: missing or blank → 401 with nginx's HTML page;
//! - `POST /oauth/token`: the refresh-token grant with the configured client secret and refresh
//!   token mints `<prefix>-<n>` valid for `expires_in` seconds; anything else → 401
//!   `{"error_code":"invalid_grant","error_description":"Invalid JWT"}` (TastyTrade's shape);
//! - every other endpoint: `Authorization: Bearer <a token it minted, not expired>`, else JSON 401
//!   `{"error":{"code":"unauthorized",…}}`;
//! - at most 100 symbols per `/market-data/by-type` or `/market-metrics` request, else 400;
//! - transactions in pages (`per-page`, `page-offset`, with the `pagination` block) and the
//!   API's filters; sessions and holidays by the NYSE calendar at its clock (`history`);
//! - orders (`orders`): the dry run (a preflight refusal is HTTP 422 with `data` and `error`),
//!   placing, today's orders, the paged history, one order and a cancel;
//! - an account the customer does not have → 403 `not_permitted` (assumed real behaviour; the
//!   adapter also copes with 404).
//!
//! What tests can do: count calls per [`Endpoint`], read every [`RecordedRequest`], script the
//! next answers of an endpoint ([`Fault`]: 401, 429 with or without `Retry-After`, any status, an
//! HTML page, an empty body, a slow answer, any JSON), expire every token at once, and change the
//! lifetime of new tokens.
//!
//! It runs on its own threads with `std::net` only (see `server`), so it works under any Tokio
//! runtime, paused time included, and outside one.

mod dxlink;
mod futures;
mod history;
mod orders;
mod render;
mod routes;
mod server;

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ttai_core::ports::{Credentials, Secret};
use ttai_core::testing::{FakeMarket, sample_market, sample_now};
use ttai_core::time::Timestamp;

/// The client secret the fake accepts by default.
pub const CLIENT_SECRET: &str = "fake-client-secret";

/// The refresh token the fake accepts by default.
pub const REFRESH_TOKEN: &str = "fake-refresh-token";

/// The lifetime of minted tokens by default, in seconds (TastyTrade's 15 minutes).
pub const DEFAULT_EXPIRES_IN: u64 = 900;

/// The closed account the fake lists next to the open ones by default.
pub const CLOSED_ACCOUNT: &str = "5WT99999";

/// What the fake serves and accepts.
#[derive(Clone, Debug)]
pub struct FakeOptions {
    /// The market it serves.
    pub market: FakeMarket,
    /// The market's clock (for days to expiration and missing times).
    pub now: Timestamp,
    /// The client secret it accepts.
    pub client_secret: String,
    /// The refresh token it accepts.
    pub refresh_token: String,
    /// The lifetime of minted tokens, in seconds.
    pub expires_in: u64,
    /// Minted tokens are `<token_prefix>-<n>`.
    pub token_prefix: String,
    /// A closed account listed next to the open ones (a client must leave it out).
    pub closed_account: Option<String>,
    /// How candle events name their symbol.
    pub candle_echo: CandleEcho,
}

/// How the fake's DXLink names the events of a candle subscription.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CandleEcho {
    /// As dxFeed does: the normal form of the symbol (`SPY{=1d,tho=true}` → `SPY{=d,tho=true}`).
    Normalised,
    /// With the text as subscribed (a client must cope with both).
    AsSubscribed,
}

impl FakeOptions {
    /// The canonical scenario with the default credentials.
    pub fn scenario() -> FakeOptions {
        FakeOptions {
            market: sample_market(),
            now: sample_now(),
            client_secret: CLIENT_SECRET.to_owned(),
            refresh_token: REFRESH_TOKEN.to_owned(),
            expires_in: DEFAULT_EXPIRES_IN,
            token_prefix: "fake-access-token".to_owned(),
            closed_account: Some(CLOSED_ACCOUNT.to_owned()),
            candle_echo: CandleEcho::Normalised,
        }
    }
}

/// The endpoints the fake tells apart, for counting and scripting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `POST /oauth/token`.
    Token,
    /// `GET /customers/me/accounts`.
    Accounts,
    /// `GET /accounts/{n}/balances` (and `/balances/USD`, the official SDK's path).
    Balances,
    /// `GET /accounts/{n}/positions`.
    Positions,
    /// `GET /market-data/by-type`.
    MarketData,
    /// `GET /option-chains/{symbol}/nested`.
    OptionChain,
    /// `GET /futures-option-chains/{product}/nested`.
    FutureOptionChain,
    /// `GET /instruments/equities` (which tickers are indices).
    Equities,
    /// `GET /instruments/futures` (a product's contracts).
    Futures,
    /// `GET /market-metrics`.
    MarketMetrics,
    /// `GET /symbols/search/{prefix}`.
    SymbolSearch,
    /// `GET /api-quote-tokens` (the DXLink token).
    QuoteToken,
    /// `GET /accounts/{n}/transactions` (paged).
    Transactions,
    /// `GET /accounts/{n}/net-liq/history`.
    NetLiqHistory,
    /// `GET /watchlists` and `/watchlists/{name}`.
    Watchlists,
    /// `GET /market-time/sessions/current`.
    MarketSessions,
    /// `GET /market-time/equities/holidays`.
    MarketHolidays,
    /// `POST /accounts/{n}/orders/dry-run`.
    OrderDryRun,
    /// `POST /accounts/{n}/orders` (an order placed).
    PlaceOrder,
    /// `GET /accounts/{n}/orders/live`.
    LiveOrders,
    /// `GET /accounts/{n}/orders` (the history, paged).
    OrderHistory,
    /// `GET /accounts/{n}/orders/{id}`.
    OrderById,
    /// `DELETE /accounts/{n}/orders/{id}`.
    CancelOrder,
    /// Anything else (answered 404).
    Other,
}

/// A scripted answer for the next request to an endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// JSON 401 `{"error":{"code":"unauthorized",…}}`, as for an expired token.
    Unauthorized,
    /// 429, with `Retry-After: <seconds>` when given.
    RateLimited {
        /// The `Retry-After` value.
        retry_after: Option<u64>,
    },
    /// This status with a JSON error envelope (500, 503, ...).
    Status(u16),
    /// nginx's HTML page with this status.
    Html(u16),
    /// An empty body with this status.
    Empty(u16),
    /// The normal answer, sent after this delay (beyond a client's timeout to test it).
    Slow(Duration),
    /// Any answer: a status and a JSON body, as given.
    Reply {
        /// The status.
        status: u16,
        /// The body, sent as `application/json`.
        body: String,
    },
}

/// A request the fake read, whatever it answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The request target: path and query, still percent-encoded.
    pub target: String,
    /// The endpoint it was routed to.
    pub endpoint: Endpoint,
    /// Every header in arrival order, names as sent.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl RecordedRequest {
    /// The first value of header `name`, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The path, still percent-encoded.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// The query's key–value pairs, decoded, in order (repeated keys repeat).
    pub fn query(&self) -> Vec<(String, String)> {
        let Some((_, query)) = self.target.split_once('?') else {
            return Vec::new();
        };
        query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                (server::percent_decode(k, true), server::percent_decode(v, true))
            })
            .collect()
    }

    /// The body as JSON, `None` when it is not JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// What the connection threads share with the test.
pub(crate) struct Shared {
    /// Everything served, recorded and scripted.
    state: Mutex<State>,
}

impl Shared {
    /// The state; a panicking connection thread does not make it unusable.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The fake's mutable state.
pub(crate) struct State {
    /// What it serves and accepts.
    options: FakeOptions,
    /// Lifetime of the next minted tokens, in seconds.
    expires_in: u64,
    /// Valid tokens and when they expire.
    tokens: HashMap<String, Instant>,
    /// Tokens minted so far.
    minted: usize,
    /// Requests per endpoint.
    calls: HashMap<Endpoint, usize>,
    /// Every request, in arrival order.
    requests: Vec<RecordedRequest>,
    /// Scripted answers per endpoint, used before the normal ones.
    script: HashMap<Endpoint, VecDeque<Fault>>,
    /// Where the DXLink websocket listens.
    dxlink_addr: SocketAddr,
    /// The DXLink side.
    dx: dxlink::DxState,
    /// Orders placed, oldest first.
    orders: Vec<orders::FakeOrder>,
}

/// The fake TastyTrade API; see the module docs. Dropping it stops listening.
pub struct FakeTastyTrade {
    /// Where it listens.
    addr: SocketAddr,
    /// State shared with the connection threads.
    shared: Arc<Shared>,
    /// Makes the accept loop exit at its next connection.
    stop: Arc<AtomicBool>,
    /// The accept loop; it owns the listening socket.
    thread: Option<JoinHandle<()>>,
    /// Where the DXLink websocket listens.
    dxlink_addr: SocketAddr,
    /// The DXLink accept loop.
    dxlink_thread: Option<JoinHandle<()>>,
}

impl FakeTastyTrade {
    /// Starts a fake serving the canonical scenario on a free port of `127.0.0.1`.
    ///
    /// # Errors
    /// When no socket can be bound or no thread started.
    pub fn start() -> io::Result<FakeTastyTrade> {
        FakeTastyTrade::start_with(FakeOptions::scenario())
    }

    /// Starts a fake with `options`.
    ///
    /// # Errors
    /// When no socket can be bound or no thread started.
    pub fn start_with(options: FakeOptions) -> io::Result<FakeTastyTrade> {
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        let addr = listener.local_addr()?;
        let dx_listener = TcpListener::bind(("127.0.0.1", 0))?;
        let dxlink_addr = dx_listener.local_addr()?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                expires_in: options.expires_in,
                options,
                tokens: HashMap::new(),
                minted: 0,
                calls: HashMap::new(),
                requests: Vec::new(),
                script: HashMap::new(),
                dxlink_addr,
                dx: dxlink::DxState::default(),
                orders: Vec::new(),
            }),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let shared = Arc::clone(&shared);
            let stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name("fake-tastytrade".to_owned())
                .spawn(move || server::accept_loop(&listener, &shared, &stop))?
        };
        let dxlink_thread = {
            let shared = Arc::clone(&shared);
            let stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name("fake-dxlink".to_owned())
                .spawn(move || dxlink::accept_loop(&dx_listener, &shared, &stop))?
        };
        Ok(FakeTastyTrade {
            addr,
            shared,
            stop,
            thread: Some(thread),
            dxlink_addr,
            dxlink_thread: Some(dxlink_thread),
        })
    }

    /// The API base URL: `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The credentials it accepts.
    pub fn credentials(&self) -> Credentials {
        let state = self.shared.lock();
        Credentials {
            client_secret: Secret::new(state.options.client_secret.clone()),
            refresh_token: Secret::new(state.options.refresh_token.clone()),
        }
    }

    /// Queues answers for the next requests to `endpoint`, after any already queued.
    pub fn script(&self, endpoint: Endpoint, faults: impl IntoIterator<Item = Fault>) {
        self.shared
            .lock()
            .script
            .entry(endpoint)
            .or_default()
            .extend(faults);
    }

    /// Answers the next `n` requests to `endpoint` with `fault`.
    pub fn fail_next(&self, endpoint: Endpoint, n: usize, fault: Fault) {
        self.script(endpoint, std::iter::repeat_n(fault, n));
    }

    /// Drops every scripted answer not used yet.
    pub fn clear_script(&self) {
        self.shared.lock().script.clear();
    }

    /// Makes every token minted so far invalid: the next request with one is answered 401.
    pub fn expire_tokens(&self) {
        self.shared.lock().tokens.clear();
    }

    /// Sets the lifetime of tokens minted from now on, in seconds.
    pub fn set_expires_in(&self, seconds: u64) {
        self.shared.lock().expires_in = seconds;
    }

    /// Requests made to `endpoint` so far, whatever they were answered.
    pub fn calls(&self, endpoint: Endpoint) -> usize {
        self.shared.lock().calls.get(&endpoint).copied().unwrap_or(0)
    }

    /// Requests made so far to any endpoint.
    pub fn total_calls(&self) -> usize {
        self.shared.lock().calls.values().sum()
    }

    /// Tokens minted so far (successful `/oauth/token` requests).
    pub fn tokens_minted(&self) -> usize {
        self.shared.lock().minted
    }

    /// Every access token minted so far, for tests that look for leaks.
    pub fn minted_tokens(&self) -> Vec<String> {
        let state = self.shared.lock();
        (1..=state.minted)
            .map(|n| format!("{}-{n}", state.options.token_prefix))
            .collect()
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }

    /// The DXLink websocket URL: `ws://127.0.0.1:<port>/realtime`.
    pub fn dxlink_url(&self) -> String {
        format!("ws://{}/realtime", self.dxlink_addr)
    }

    /// Drops every open DXLink connection abruptly (no close frame), like a network failure.
    pub fn drop_dxlink_connections(&self) {
        self.shared.lock().dx.drop_generation += 1;
    }

    /// Freezes (or thaws) every open DXLink connection: nothing is read or written.
    pub fn freeze_dxlink(&self, frozen: bool) {
        self.shared.lock().dx.frozen = frozen;
    }

    /// Answers subscriptions to `event_type` (`Quote`, `Candle`, ...) with nothing while `on`.
    pub fn withhold_dxlink(&self, event_type: &str, on: bool) {
        let mut state = self.shared.lock();
        if on {
            state.dx.withheld.insert(event_type.to_owned());
        } else {
            state.dx.withheld.remove(event_type);
        }
    }

    /// Makes every quote token minted so far invalid for DXLink's `AUTH`.
    pub fn expire_quote_tokens(&self) {
        self.shared.lock().dx.valid_tokens.clear();
    }

    /// Sets the bid and ask (and last, as their mid) of a quoted symbol, for REST and DXLink
    /// alike, and sends the new `Quote`, `Trade` and `Summary` to every DXLink subscriber.
    pub fn push_quote(&self, symbol: &str, bid: f64, ask: f64) {
        let mut state = self.shared.lock();
        if let Some(quote) = state
            .options
            .market
            .quotes
            .iter_mut()
            .find(|q| q.symbol.as_str() == symbol)
        {
            quote.bid = Some(bid);
            quote.ask = Some(ask);
            quote.last = Some(ttai_core::domain::round4((bid + ask) / 2.0));
            quote.mark = quote.last;
        }
        for conn in state.dx.open.values_mut() {
            conn.pushes.push_back(symbol.to_owned());
        }
    }

    /// Sends `{"type":"ERROR","channel":0,"error":<kind>,"message":<message>}` on every open
    /// DXLink connection.
    pub fn send_dxlink_error(&self, kind: &str, message: &str) {
        let frame = serde_json::json!({"type": "ERROR", "channel": 0, "error": kind, "message": message});
        for conn in self.shared.lock().dx.open.values_mut() {
            conn.frames.push_back(frame.clone());
        }
    }

    /// Answers in DXLink's FULL format (objects keyed by field name) on channels set up from now
    /// on, whatever the client asks for.
    pub fn force_dxlink_full_format(&self, on: bool) {
        self.shared.lock().dx.force_full = on;
    }

    /// Sends quotes whose bid, ask and event times are 0 (as dxFeed often does) while `on`.
    pub fn zero_dxlink_quote_times(&self, on: bool) {
        self.shared.lock().dx.zero_quote_times = on;
    }

    /// DXLink connections accepted so far.
    pub fn dxlink_connections(&self) -> usize {
        self.shared.lock().dx.connections
    }

    /// DXLink connections open now.
    pub fn dxlink_open(&self) -> usize {
        self.shared.lock().dx.open.len()
    }

    /// Successful and refused DXLink `AUTH`s so far.
    pub fn dxlink_auths(&self) -> (usize, usize) {
        let state = self.shared.lock();
        (state.dx.authorized, state.dx.refused)
    }

    /// `KEEPALIVE`s received so far.
    pub fn dxlink_keepalives(&self) -> usize {
        self.shared.lock().dx.keepalives
    }

    /// The (event type, symbol) pairs subscribed on open DXLink connections.
    pub fn dxlink_subscriptions(&self) -> Vec<(String, String)> {
        let state = self.shared.lock();
        let mut all: Vec<(String, String)> = state
            .dx
            .open
            .values()
            .flat_map(|c| c.subscriptions.iter().cloned())
            .collect();
        all.sort();
        all
    }

    /// Every DXLink message clients sent so far, in arrival order.
    pub fn dxlink_messages(&self) -> Vec<serde_json::Value> {
        self.shared.lock().dx.received.clone()
    }

    /// Quote tokens minted so far.
    pub fn quote_tokens_minted(&self) -> usize {
        self.shared.lock().dx.tokens_minted
    }

    /// The bodies of the orders placed so far (`POST /accounts/{n}/orders`, whatever the answer),
    /// as JSON, in arrival order.
    pub fn order_bodies(&self) -> Vec<serde_json::Value> {
        self.requests_to(Endpoint::PlaceOrder)
            .iter()
            .filter_map(RecordedRequest::json)
            .collect()
    }

    /// The orders the fake holds: (id, status), oldest first.
    pub fn held_orders(&self) -> Vec<(u64, String)> {
        self.shared
            .lock()
            .orders
            .iter()
            .map(|o| (o.id, o.status.to_owned()))
            .collect()
    }

    /// The requests made to `endpoint`, in arrival order.
    pub fn requests_to(&self, endpoint: Endpoint) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.endpoint == endpoint)
            .collect()
    }
}

impl Drop for FakeTastyTrade {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking `accept` so the loop sees the flag and drops the listener.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(5));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        // Open DXLink connections end with the next poll; the accept loop at its next connection.
        self.shared.lock().dx.drop_generation += 1;
        let _ = TcpStream::connect_timeout(&self.dxlink_addr, Duration::from_secs(5));
        if let Some(thread) = self.dxlink_thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::*;

    /// Sends raw HTTP and returns the raw answer.
    fn raw(fake: &FakeTastyTrade, request: &str) -> String {
        let mut stream = TcpStream::connect(fake.addr()).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    }

    #[test]
    fn a_request_without_user_agent_gets_nginx_html() {
        let fake = FakeTastyTrade::start().unwrap();
        let answer = raw(&fake, "GET /customers/me/accounts HTTP/1.1\r\nHost: x\r\n\r\n");
        assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
        assert!(
            answer.contains("text/html") && answer.contains("<center>nginx</center>"),
            "{answer}"
        );
        assert_eq!(fake.calls(Endpoint::Accounts), 1);
    }

    #[test]
    fn tokens_are_minted_for_the_right_grant_only() {
        let fake = FakeTastyTrade::start().unwrap();
        let post = |body: &str| {
            raw(
                &fake,
                &format!(
                    "POST /oauth/token HTTP/1.1\r\nHost: x\r\nUser-Agent: t/1\r\nContent-Type: application/json\r\n\
Content-Length: {}\r\n\r\n{body}",
                    body.len()
                ),
            )
        };
        let good = post(&format!(
            r#"{{"grant_type":"refresh_token","client_secret":"{CLIENT_SECRET}","refresh_token":"{REFRESH_TOKEN}"}}"#
        ));
        assert!(
            good.starts_with("HTTP/1.1 200") && good.contains("fake-access-token-1"),
            "{good}"
        );
        let bad = post(r#"{"grant_type":"refresh_token","client_secret":"x","refresh_token":"y"}"#);
        assert!(
            bad.starts_with("HTTP/1.1 401") && bad.contains("invalid_grant"),
            "{bad}"
        );
        assert_eq!(fake.tokens_minted(), 1);
        let get = |token: &str| {
            raw(
                &fake,
                &format!(
                    "GET /customers/me/accounts HTTP/1.1\r\nUser-Agent: t/1\r\nAuthorization: Bearer {token}\r\n\r\n"
                ),
            )
        };
        assert!(get("fake-access-token-1").starts_with("HTTP/1.1 200"));
        assert!(get("forged").contains(r#""code":"unauthorized""#));
        fake.expire_tokens();
        assert!(get("fake-access-token-1").starts_with("HTTP/1.1 401"));
    }

    #[test]
    fn queries_are_read_in_every_list_form() {
        let request = RecordedRequest {
            method: "GET".into(),
            target: "/market-data/by-type?equity=SPY&equity[]=AAPL&index=SPX,VIX&equity-option=SPY%20%20%20250117P00450000"
                .into(),
            endpoint: Endpoint::MarketData,
            headers: Vec::new(),
            body: Vec::new(),
        };
        assert_eq!(
            request.query().first(),
            Some(&("equity".to_owned(), "SPY".to_owned()))
        );
        assert_eq!(request.query().len(), 4);
        assert_eq!(request.query()[3].1, "SPY   250117P00450000");
    }
}
