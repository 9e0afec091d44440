//! `broker-tastytrade`: the [`BrokerPort`] of a live TastyTrade account over its REST API
//! (docs/tastytrade.md; docs/design.md, "Authentication and the vault").
//!
//! Layout:
//! - `http`: one exchange with ureq on `spawn_blocking`; headers every request needs.
//! - `token`: the OAuth access token (refresh-token grant): lazy, refreshed 60 s before expiry,
//!   single flight, re-minted once when a GET is answered 401.
//! - `errors`: every answer that is not a usable 2xx becomes a `BrokerError`, in one function.
//! - `wire`: the API's JSON (kebab-case, decimals as strings or numbers, any time offset).
//! - `mapping`: wire types to domain types (signs, units, OCC parsing), in one place.
//! - `symbols`: `/market-data/by-type` keys, futures symbols, OCC symbols, percent-encoding.
//!
//! Instruments beyond stocks and ETFs (`docs/tastytrade.md`): an index the adapter does not know
//! by name is recognised through `/instruments/equities` (`is-index`) and remembered; a futures
//! product (`/ES`) is quoted as its active contract (`/instruments/futures`); the option chain of
//! a futures symbol comes from `/futures-option-chains/{product}/nested`, each expiration with
//! the contract it delivers and its price.
//!
//! The key decision: the adapter asks for no more than a call needs and tells the truth about
//! what it did not ask. Quotes are chunked at 100 symbols (the API's limit) and the chunks run
//! concurrently, at most [`MAX_IN_FLIGHT`] requests at a time. An option chain lists every
//! contract of every root but prices only those expiring within [`CHAIN_MAX_DTE`] days with a
//! strike within [`CHAIN_STRIKE_BAND`] of the underlying's price, nearest to the money first and
//! at most [`CHAIN_MAX_PRICED`] (ten requests): contracts outside are listed without a market
//! (`bid`/`ask` `None`), which the analysis treats as "no quote", never as zero.
//!
//! Secrets: the client secret, refresh token and access token never appear in an error, a log
//! line or `Debug` output. Errors are built from status codes and the API's own codes and
//! messages, never from ureq's text (which can quote URLs and headers), and every message is
//! scrubbed of the secrets in case the API echoes one.
//!
//! Streaming (`dxlink`, when [`TastyConfig::streaming`] is set): one DXLink websocket per broker
//! serves candle history and keeps the quotes of every symbol asked live, so a quote asked again
//! is answered from memory while the stream is up, and from REST otherwise. Without streaming,
//! `candles` answers `Unsupported`. TLS (`https://`, `wss://`) needs the crate feature `tls`.

mod dxlink;
mod errors;
mod http;
mod mapping;
mod symbols;
#[cfg(feature = "tls")]
mod tls;
mod token;
mod wire;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;
use ttai_core::domain::{
    Account, AccountNumber, Balances, Candle, MAX_TRANSACTIONS_PER_PAGE, MarketCalendar, MarketMetrics,
    MarketSession, NetLiqPoint, NetLiqWindow, OptionChain, Order, OrderPreview, OrderQuery, OrderRequest,
    Position, Quote, Symbol, SymbolMatch, Timeframe, TransactionPage, TransactionQuery, Watchlist,
};
use ttai_core::ports::{BrokerError, BrokerInfo, BrokerPort, Credentials};
use ttai_core::time::Timestamp;

use crate::dxlink::Streamer;
pub use crate::dxlink::{StreamSettings, StreamStatus};
use crate::errors::Call;
use crate::http::Client;
use crate::symbols::MarketDataKind;
use crate::token::{Token, Tokens};
use crate::wire::{Envelope, Items};

/// The most symbols one `/market-data/by-type` or `/market-metrics` request may carry.
pub const MAX_SYMBOLS_PER_REQUEST: usize = 100;

/// The most requests to the API in flight at once (TastyTrade publishes no rate limit and
/// answers bursts with 429).
pub const MAX_IN_FLIGHT: usize = 4;

/// Option contracts expiring within this many days are priced in a chain.
pub const CHAIN_MAX_DTE: i32 = 60;

/// Option contracts with a strike within this fraction of the underlying's price are priced.
pub const CHAIN_STRIKE_BAND: f64 = 0.15;

/// The most option contracts priced per chain (ten requests of 100).
pub const CHAIN_MAX_PRICED: usize = 1000;

/// The most contracts of a chain, nearest the money first, whose greeks are asked of the stream.
pub const CHAIN_MAX_GREEKS: usize = 200;

/// How long a chain fetch waits for the stream's greeks of contracts it has none of yet.
pub const GREEKS_WAIT: Duration = Duration::from_secs(1);

/// How long a futures product's active contract (`/ES` → `/ESU5`) is used before asking again.
pub const ACTIVE_CONTRACT_TTL: Duration = Duration::from_secs(3600);

/// The most tickers whose kind (index or not) the adapter remembers.
const MAX_KNOWN_KINDS: usize = 10_000;

/// What the answer to `candles` says when streaming is off.
pub const CANDLES_UNSUPPORTED: &str =
    "candles come from DXLink streaming, which is off in this configuration";

/// Settings of the adapter. There is no `Default`: the composition root states every value.
#[derive(Clone, Debug)]
pub struct TastyConfig {
    /// The REST base URL, `https://api.tastyworks.com` (or a local fake's `http://127.0.0.1:…`).
    pub api_url: String,
    /// The `User-Agent` header, `<product>/<version>`: TastyTrade turns requests without one away
    /// (a blank value sends `ttai/<this crate's version>`).
    pub user_agent: String,
    /// The limit for one HTTP exchange, from connecting to the end of the answer.
    pub timeout: Duration,
    /// The OAuth credentials; `None` makes every call `Unauthenticated` with the login hint.
    pub credentials: Option<Credentials>,
    /// The market clock (the wall clock in production; tests pass a fixed one).
    pub now: fn() -> Timestamp,
    /// DXLink streaming for candles and live quotes, with these timings; `None` for REST only.
    pub streaming: Option<StreamSettings>,
}

/// The access token's state, for `ttai status`. The token itself is never exposed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenStatus {
    /// How long the current access token stays valid.
    pub expires_in: Duration,
}

/// The live TastyTrade broker; see the crate docs.
pub struct TastyTradeBroker {
    /// Shared with the tasks that run chunked requests concurrently.
    inner: Arc<Inner>,
    /// The DXLink stream, when streaming is on.
    streamer: Option<Streamer>,
}

/// The broker's state.
struct Inner {
    /// HTTP with the base URL, User-Agent and timeout.
    client: Client,
    /// Credentials and the access token.
    tokens: Tokens,
    /// The market clock.
    now: fn() -> Timestamp,
    /// Bounds the requests in flight to [`MAX_IN_FLIGHT`].
    permits: Semaphore,
    /// What the instruments API said about symbols.
    instruments: Mutex<Instruments>,
}

/// What the adapter learnt from the instruments API.
#[derive(Default)]
struct Instruments {
    /// Tickers looked up in `/instruments/equities`: true for a cash index.
    indices: HashMap<String, bool>,
    /// Futures products resolved to their active contract, and when.
    fronts: HashMap<String, (Symbol, tokio::time::Instant)>,
}

impl TastyTradeBroker {
    /// A broker for `config`. Nothing is contacted here: the first call mints a token.
    pub fn new(config: TastyConfig) -> TastyTradeBroker {
        let inner = Arc::new(Inner {
            client: Client::new(&config.api_url, &config.user_agent, config.timeout),
            tokens: Tokens::new(config.credentials),
            now: config.now,
            permits: Semaphore::new(MAX_IN_FLIGHT),
            instruments: Mutex::new(Instruments::default()),
        });
        let streamer = config
            .streaming
            .map(|settings| Streamer::new(Arc::clone(&inner), settings));
        TastyTradeBroker { inner, streamer }
    }

    /// What the DXLink stream is doing; `None` when streaming is off.
    pub fn stream_status(&self) -> Option<StreamStatus> {
        self.streamer.as_ref().map(Streamer::status)
    }

    /// Replaces the credentials at run time (`ttai login`, `ttai logout`); the current access
    /// token is not used again.
    pub fn set_credentials(&self, credentials: Option<Credentials>) {
        self.inner.tokens.set_credentials(credentials);
    }

    /// Drops the credentials and makes every call answer `Unauthenticated` with `why` (for
    /// example "the credentials file is damaged; run ttai login") instead of the login hint.
    /// `why` must hold no secret.
    pub fn set_credentials_unavailable(&self, why: impl Into<String>) {
        self.inner.tokens.set_unavailable(why.into());
    }

    /// Proves the credentials: mints a fresh access token and lists the accounts. `ttai login`
    /// calls this before storing credentials.
    ///
    /// # Errors
    /// `Unauthenticated` when there are no credentials or TastyTrade refuses them; any error of
    /// [`BrokerPort::accounts`].
    pub async fn verify(&self) -> Result<Vec<Account>, BrokerError> {
        self.inner.tokens.credentials()?;
        self.inner.tokens.forget().await;
        self.accounts().await
    }

    /// How long the current access token stays valid; `None` before the first call, after a
    /// refusal, and after the credentials changed.
    pub fn token_status(&self) -> Option<TokenStatus> {
        self.inner
            .tokens
            .expires_in()
            .map(|expires_in| TokenStatus { expires_in })
    }

    /// Fails with the login hint when there are no credentials.
    fn require_credentials(&self) -> Result<(), BrokerError> {
        self.inner.tokens.credentials().map(|_| ())
    }

    /// True when `account` is one of the customer's open accounts.
    async fn has_account(&self, account: &AccountNumber) -> Result<bool, BrokerError> {
        Ok(self.accounts().await?.iter().any(|a| &a.number == account))
    }

    /// Runs an account-scoped GET. TastyTrade may answer an account the customer does not have
    /// with 403 rather than 404: a 403 is `NotFound` when the account is not among the
    /// customer's accounts, and `Forbidden` otherwise.
    async fn account_get<T: DeserializeOwned + Send + 'static>(
        &self,
        account: &AccountNumber,
        path: String,
        label: &'static str,
    ) -> Result<T, BrokerError> {
        self.account_get_enveloped(account, path, label)
            .await
            .map(|envelope| envelope.data)
    }

    /// [`TastyTradeBroker::account_get`] keeping the envelope's `pagination`.
    async fn account_get_enveloped<T: DeserializeOwned + Send + 'static>(
        &self,
        account: &AccountNumber,
        path: String,
        label: &'static str,
    ) -> Result<Envelope<T>, BrokerError> {
        let not_found = format!("account {}", account.masked());
        let call = Call {
            label,
            not_found: not_found.clone(),
        };
        match self.inner.get_enveloped::<T>(&path, &call).await {
            Err(BrokerError::Forbidden(message)) => match self.has_account(account).await {
                Ok(false) => Err(BrokerError::NotFound(not_found)),
                _ => Err(BrokerError::Forbidden(message)),
            },
            other => other,
        }
    }
}

impl TastyTradeBroker {
    /// Fetches the markets of a listed chain's contracts near the money (see
    /// [`BrokerPort::option_chain`]) and, while REST prices them, asks the stream for the greeks
    /// of the [`CHAIN_MAX_GREEKS`] nearest.
    async fn price_chain(&self, chain: &mut OptionChain) -> Result<(), BrokerError> {
        let to_price = mapping::contracts_to_price(
            chain,
            self.now().date(),
            chain.underlying_price,
            CHAIN_MAX_DTE,
            CHAIN_STRIKE_BAND,
            CHAIN_MAX_PRICED,
        );
        if to_price.is_empty() {
            return Ok(());
        }
        let streamer_symbols: Vec<String> = match &self.streamer {
            Some(_) => {
                let nearest = to_price.get(..CHAIN_MAX_GREEKS).unwrap_or(&to_price);
                mapping::streamer_symbols(chain, nearest)
            }
            None => Vec::new(),
        };
        let greeks = async {
            match &self.streamer {
                Some(streamer) if !streamer_symbols.is_empty() => {
                    streamer.greeks(&streamer_symbols, GREEKS_WAIT).await
                }
                _ => HashMap::new(),
            }
        };
        let keyed: Vec<(MarketDataKind, String)> =
            to_price.into_iter().map(|s| (symbols::classify(&s), s)).collect();
        let (markets, greeks) = tokio::join!(self.inner.market_data(&keyed), greeks);
        mapping::apply_markets(chain, markets?);
        mapping::apply_greeks(chain, &greeks);
        Ok(())
    }
}

impl fmt::Debug for TastyTradeBroker {
    /// Shows where it connects and whether it has credentials, never the credentials.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TastyTradeBroker")
            .field("api", &self.inner.client.origin())
            .field("logged_in", &self.inner.tokens.credentials().is_ok())
            .field("token", &self.token_status())
            .finish()
    }
}

/// How an order request is sent.
#[derive(Clone)]
enum OrderMethod {
    /// A POST of this body (a dry run or an order).
    Post(Vec<u8>),
    /// A DELETE (a cancel).
    Delete,
}

impl Inner {
    /// One order exchange with a token, under the in-flight limit. A 401 JSON answer means the
    /// request was not taken: with `retry_refused_token` (a dry run, a cancel) it is sent once
    /// more with a new token; an order is never sent twice, whatever the answer.
    async fn order_exchange(
        &self,
        path: &str,
        call: &Call,
        method: OrderMethod,
        retry_refused_token: bool,
    ) -> Result<http::Answer, BrokerError> {
        let mut used: Option<Token> = None;
        let result = async {
            let mut attempt = 0;
            loop {
                attempt += 1;
                let token = self.tokens.get(&self.client).await?;
                used = Some(token.clone());
                let _permit = self.permits.acquire().await.map_err(|_| {
                    BrokerError::Unavailable("the TastyTrade adapter is shutting down".to_owned())
                })?;
                let answer = match &method {
                    OrderMethod::Post(body) => {
                        self.client
                            .post_authorized(path, token.access.clone(), body.clone())
                            .await?
                    }
                    OrderMethod::Delete => self.client.delete(path, token.access.clone()).await?,
                };
                tracing::debug!(
                    endpoint = call.label,
                    status = answer.status,
                    "TastyTrade answered"
                );
                if answer.status == 401 && !answer.is_html() && retry_refused_token && attempt == 1 {
                    self.tokens.invalidate(&token).await;
                    continue;
                }
                return Ok(answer);
            }
        }
        .await;
        result.map_err(|error| {
            let mut secrets = self.tokens.secrets();
            secrets.extend(used.map(|t| t.access));
            let secrets: Vec<&str> = secrets.iter().map(|s| s.expose()).collect();
            errors::scrub(error, &secrets)
        })
    }

    /// GETs `path` and reads `data` as `T`: with a token, re-minted and retried once on a JSON
    /// 401, every error mapped and scrubbed of secrets.
    async fn get<T: DeserializeOwned>(&self, path: &str, call: &Call) -> Result<T, BrokerError> {
        self.get_enveloped(path, call).await.map(|envelope| envelope.data)
    }

    /// [`Inner::get`] keeping the envelope's `pagination`.
    async fn get_enveloped<T: DeserializeOwned>(
        &self,
        path: &str,
        call: &Call,
    ) -> Result<Envelope<T>, BrokerError> {
        let mut used: Option<Token> = None;
        let result = self.get_once_retrying(path, call, &mut used).await;
        result.map_err(|error| {
            let mut secrets = self.tokens.secrets();
            secrets.extend(used.map(|t| t.access));
            let secrets: Vec<&str> = secrets.iter().map(|s| s.expose()).collect();
            errors::scrub(error, &secrets)
        })
    }

    /// The body of [`Inner::get`]; `used` receives the last token sent, for scrubbing.
    async fn get_once_retrying<T: DeserializeOwned>(
        &self,
        path: &str,
        call: &Call,
        used: &mut Option<Token>,
    ) -> Result<Envelope<T>, BrokerError> {
        let token = self.tokens.get(&self.client).await?;
        *used = Some(token.clone());
        let mut answer = self.send(path, call, &token).await?;
        // An HTML 401 is a refused User-Agent: a new token would not change it.
        if answer.status == 401 && !answer.is_html() {
            tracing::debug!(
                endpoint = call.label,
                "access token refused; minting another and retrying once"
            );
            self.tokens.invalidate(&token).await;
            let token = self.tokens.get(&self.client).await?;
            *used = Some(token.clone());
            answer = self.send(path, call, &token).await?;
        }
        if answer.is_success() {
            errors::decode::<Envelope<T>>(&answer, call.label)
        } else {
            Err(errors::status_error(&answer, call))
        }
    }

    /// One exchange under the in-flight limit, logged by endpoint label and status only.
    async fn send(&self, path: &str, call: &Call, token: &Token) -> Result<http::Answer, BrokerError> {
        let _permit =
            self.permits.acquire().await.map_err(|_| {
                BrokerError::Unavailable("the TastyTrade adapter is shutting down".to_owned())
            })?;
        let started = tokio::time::Instant::now();
        let answer = self.client.get(path, token.access.clone()).await;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match &answer {
            Ok(a) => tracing::debug!(
                endpoint = call.label,
                status = a.status,
                elapsed_ms,
                "TastyTrade answered"
            ),
            Err(e) => {
                tracing::debug!(endpoint = call.label, error = %e, elapsed_ms, "TastyTrade request failed")
            }
        }
        answer
    }

    /// GETs list answers concurrently (each its own task) and concatenates their items; the
    /// first error wins and the other requests are abandoned.
    async fn get_lists<T: DeserializeOwned + Send + 'static>(
        self: &Arc<Self>,
        paths: Vec<String>,
        call: Call,
    ) -> Result<Vec<T>, BrokerError> {
        let mut tasks = tokio::task::JoinSet::new();
        for path in paths {
            let inner = Arc::clone(self);
            let call = call.clone();
            tasks.spawn(async move { inner.get::<Items<T>>(&path, &call).await });
        }
        let mut all = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(Ok(items)) => all.extend(items.items),
                Ok(Err(error)) => return Err(error),
                Err(_) => {
                    return Err(BrokerError::Unavailable(
                        "a TastyTrade request task failed".to_owned(),
                    ));
                }
            }
        }
        Ok(all)
    }

    /// Quote snapshots from `/market-data/by-type`, each symbol under its key, 100 symbols per
    /// request.
    async fn market_data(
        self: &Arc<Self>,
        keyed: &[(MarketDataKind, String)],
    ) -> Result<Vec<wire::MarketDataWire>, BrokerError> {
        if keyed.is_empty() {
            return Ok(Vec::new());
        }
        let paths = keyed
            .chunks(MAX_SYMBOLS_PER_REQUEST)
            .map(|chunk| {
                let mut chunk: Vec<&(MarketDataKind, String)> = chunk.iter().collect();
                chunk.sort_by_key(|(kind, _)| *kind);
                let query: Vec<String> = chunk
                    .iter()
                    .map(|(kind, s)| format!("{}={}", kind.key(), symbols::encode(s)))
                    .collect();
                format!("/market-data/by-type?{}", query.join("&"))
            })
            .collect();
        self.get_lists(
            paths,
            Call {
                label: "quotes",
                not_found: "market data".to_owned(),
            },
        )
        .await
    }

    fn instruments(&self) -> std::sync::MutexGuard<'_, Instruments> {
        self.instruments.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The key a symbol is quoted under: by its form, or `index` for a ticker the instruments
    /// API said is one.
    fn kind(&self, symbol: &str) -> MarketDataKind {
        match symbols::classify(symbol) {
            MarketDataKind::Equity if self.instruments().indices.get(symbol) == Some(&true) => {
                MarketDataKind::Index
            }
            kind => kind,
        }
    }

    /// Asks `/instruments/equities` which of `tickers` are indices and remembers the answer
    /// (a ticker it does not list is not one); returns the indices. A failed lookup is logged and
    /// teaches nothing.
    async fn learn_indices(self: &Arc<Self>, tickers: &[String]) -> Vec<String> {
        let paths = tickers
            .chunks(MAX_SYMBOLS_PER_REQUEST)
            .map(|chunk| {
                let query: Vec<String> = chunk
                    .iter()
                    .map(|s| format!("symbol[]={}", symbols::encode(s)))
                    .collect();
                format!("/instruments/equities?{}", query.join("&"))
            })
            .collect();
        let call = Call {
            label: "instruments",
            not_found: "the instruments".to_owned(),
        };
        let found = match self.get_lists::<wire::EquityInstrumentWire>(paths, call).await {
            Ok(found) => found,
            Err(BrokerError::NotFound(_)) => Vec::new(),
            Err(error) => {
                tracing::debug!(%error, "TastyTrade's instruments lookup failed");
                return Vec::new();
            }
        };
        let indices: Vec<String> = tickers
            .iter()
            .filter(|t| {
                found
                    .iter()
                    .any(|f| f.symbol.as_deref() == Some(t.as_str()) && f.is_index == Some(true))
            })
            .cloned()
            .collect();
        let mut instruments = self.instruments();
        if instruments.indices.len() + tickers.len() > MAX_KNOWN_KINDS {
            instruments.indices.clear();
        }
        for ticker in tickers {
            instruments
                .indices
                .insert(ticker.clone(), indices.contains(ticker));
        }
        indices
    }

    /// The active contract of a futures product (`ES` → `/ESU5`): the one TastyTrade marks
    /// `active-month`, else the nearest unexpired one; `None` for an unknown product. Remembered
    /// for [`ACTIVE_CONTRACT_TTL`].
    async fn active_contract(self: &Arc<Self>, product: &str) -> Result<Option<Symbol>, BrokerError> {
        if let Some((contract, at)) = self.instruments().fronts.get(product)
            && at.elapsed() < ACTIVE_CONTRACT_TTL
        {
            return Ok(Some(contract.clone()));
        }
        let path = format!("/instruments/futures?product-code[]={}", symbols::encode(product));
        let call = Call {
            label: "futures",
            not_found: format!("futures product /{product}"),
        };
        let futures = match self.get::<Items<wire::FutureContractWire>>(&path, &call).await {
            Ok(items) => items.items,
            Err(BrokerError::NotFound(_)) => return Ok(None),
            Err(error) => return Err(error),
        };
        let contract = mapping::active_contract(&futures, (self.now)().date());
        if let Some(contract) = &contract {
            self.instruments().fronts.insert(
                product.to_owned(),
                (contract.clone(), tokio::time::Instant::now()),
            );
        }
        Ok(contract)
    }

    /// Quotes of `requested` (unique symbols) from REST, in request order, unknown ones left
    /// out. A futures product (`/ES`) is quoted as its active contract, under its own symbol; a
    /// ticker `equity` does not answer is looked up and asked again under `index` when it is one.
    async fn quotes_of(self: &Arc<Self>, requested: &[Symbol]) -> Result<Vec<Quote>, BrokerError> {
        let now = (self.now)();
        let mut asks: Vec<(Symbol, String)> = Vec::with_capacity(requested.len());
        for symbol in requested {
            match symbols::future_symbol(symbol.as_str()) {
                Some(future) if !future.is_contract => {
                    if let Some(contract) = self.active_contract(&future.product).await? {
                        asks.push((symbol.clone(), contract.as_str().to_owned()));
                    }
                }
                _ => asks.push((symbol.clone(), symbol.as_str().to_owned())),
            }
        }
        let mut keyed: Vec<(MarketDataKind, String)> = Vec::with_capacity(asks.len());
        for (_, asked) in &asks {
            if !keyed.iter().any(|(_, s)| s == asked) {
                keyed.push((self.kind(asked), asked.clone()));
            }
        }
        let mut items = self.market_data(&keyed).await?;
        let unknown: Vec<String> = {
            let instruments = self.instruments();
            keyed
                .iter()
                .filter(|(kind, s)| {
                    *kind == MarketDataKind::Equity
                        && !instruments.indices.contains_key(s)
                        && !items.iter().any(|i| i.symbol.as_deref() == Some(s.as_str()))
                })
                .map(|(_, s)| s.clone())
                .collect()
        };
        if !unknown.is_empty() {
            let indices = self.learn_indices(&unknown).await;
            let keyed: Vec<(MarketDataKind, String)> =
                indices.into_iter().map(|s| (MarketDataKind::Index, s)).collect();
            items.extend(self.market_data(&keyed).await?);
        }
        Ok(mapping::quotes_for(&asks, items, now))
    }
}

/// The symbols once each, in first-seen order.
fn unique(symbols: &[Symbol]) -> Vec<Symbol> {
    let mut seen = HashSet::new();
    symbols.iter().filter(|s| seen.insert(*s)).cloned().collect()
}

#[async_trait]
impl BrokerPort for TastyTradeBroker {
    fn info(&self) -> BrokerInfo {
        BrokerInfo {
            source: "tastytrade".to_owned(),
            synthetic: false,
            live: true,
        }
    }

    fn now(&self) -> Timestamp {
        (self.inner.now)()
    }

    async fn accounts(&self) -> Result<Vec<Account>, BrokerError> {
        let call = Call {
            label: "accounts",
            not_found: "the customer's accounts".to_owned(),
        };
        let items: Items<wire::AccountItem> = self.inner.get("/customers/me/accounts", &call).await?;
        Ok(mapping::accounts(items.items))
    }

    async fn balances(&self, account: &AccountNumber) -> Result<Balances, BrokerError> {
        let path = format!("/accounts/{}/balances", symbols::encode(account.as_str()));
        let wire: wire::BalancesWire = self.account_get(account, path, "balances").await?;
        mapping::balances(account, wire, self.now())
    }

    async fn positions(&self, account: &AccountNumber) -> Result<Vec<Position>, BrokerError> {
        let path = format!(
            "/accounts/{}/positions?include-marks=true",
            symbols::encode(account.as_str())
        );
        let items: Items<wire::PositionWire> = self.account_get(account, path, "positions").await?;
        Ok(mapping::positions(account, items.items))
    }

    /// Live quotes from the stream for the symbols it holds; REST for the rest, which the stream
    /// then watches.
    async fn quotes(&self, symbols: &[Symbol]) -> Result<Vec<Quote>, BrokerError> {
        self.require_credentials()?;
        let requested = unique(symbols);
        if requested.is_empty() {
            return Ok(Vec::new());
        }
        let live = self.live_quotes(&requested);
        let missing: Vec<&Symbol> = requested
            .iter()
            .filter(|s| !live.iter().any(|q| &q.symbol == *s))
            .collect();
        if missing.is_empty() {
            return Ok(live);
        }
        let missing: Vec<Symbol> = missing.into_iter().cloned().collect();
        let fetched = self.inner.quotes_of(&missing).await?;
        if let Some(streamer) = &self.streamer {
            streamer.watch(&fetched);
        }
        let mut all = live;
        all.extend(fetched);
        all.sort_by_key(|q| requested.iter().position(|s| s == &q.symbol));
        Ok(all)
    }

    fn live_quotes(&self, symbols: &[Symbol]) -> Vec<Quote> {
        match &self.streamer {
            Some(streamer) if self.inner.tokens.credentials().is_ok() => streamer.live_quotes(symbols),
            _ => Vec::new(),
        }
    }

    /// The chain with every root merged. Markets are fetched for the contracts expiring within
    /// [`CHAIN_MAX_DTE`] days with a strike within [`CHAIN_STRIKE_BAND`] of the underlying's
    /// price, nearest to the money first, at most [`CHAIN_MAX_PRICED`]; the other contracts are
    /// listed without a market. A futures symbol (`/ES`, `/ESU5`) gives the options on that
    /// product (or contract), each expiration with the contract it delivers and its price.
    async fn option_chain(&self, underlying: &Symbol) -> Result<OptionChain, BrokerError> {
        let call = Call {
            label: "option chain",
            not_found: format!("option chain of {underlying}"),
        };
        let now = self.now();
        let mut chain = if let Some(future) = symbols::future_symbol(underlying.as_str()) {
            let path = format!(
                "/futures-option-chains/{}/nested",
                symbols::encode(&future.product)
            );
            let wire: wire::FutureChainWire = self.inner.get(&path, &call).await?;
            let contract = future.is_contract.then(|| underlying.as_str());
            let (mut chain, active) = mapping::future_chain_listing(underlying, wire, contract, now)?;
            let own = if future.is_contract {
                Some(underlying.clone())
            } else {
                active
            };
            let mut contracts = mapping::delivered_contracts(&chain);
            if let Some(own) = &own
                && !contracts.contains(own)
            {
                contracts.push(own.clone());
            }
            let quotes = self.inner.quotes_of(&contracts).await?;
            mapping::apply_underlying_prices(&mut chain, &quotes);
            chain.underlying_price = own
                .and_then(|own| quotes.iter().find(|q| q.symbol == own).cloned())
                .and_then(|q| q.mark_price());
            chain
        } else {
            let path = format!("/option-chains/{}/nested", symbols::encode(underlying.as_str()));
            let (roots, underlying_quote) = tokio::join!(
                self.inner.get::<Items<wire::ChainRootWire>>(&path, &call),
                self.inner.quotes_of(std::slice::from_ref(underlying)),
            );
            let roots = match roots {
                Err(BrokerError::NotFound(what)) => return Err(BrokerError::NotFound(what)),
                other => other?.items,
            };
            let price = underlying_quote?.first().and_then(Quote::mark_price);
            let european = self.inner.kind(underlying.as_str()) == MarketDataKind::Index;
            let mut chain = mapping::chain_listing(underlying, roots, european, now)?;
            chain.underlying_price = price;
            chain
        };
        self.price_chain(&mut chain).await?;
        Ok(chain)
    }

    async fn market_metrics(&self, symbols: &[Symbol]) -> Result<Vec<MarketMetrics>, BrokerError> {
        self.require_credentials()?;
        let requested = unique(symbols);
        if requested.is_empty() {
            return Ok(Vec::new());
        }
        let paths = requested
            .chunks(MAX_SYMBOLS_PER_REQUEST)
            .map(|chunk| {
                let list: Vec<String> = chunk.iter().map(|s| symbols::encode(s.as_str())).collect();
                format!("/market-metrics?symbols={}", list.join(","))
            })
            .collect();
        let call = Call {
            label: "market metrics",
            not_found: "market metrics".to_owned(),
        };
        let items = self.inner.get_lists::<wire::MetricsWire>(paths, call).await?;
        Ok(mapping::metrics_for(&requested, items, self.now()))
    }

    /// Candle history from a DXLink `Candle` snapshot (regular trading hours): 5-minute bars
    /// for intraday, daily and weekly bars.
    async fn candles(
        &self,
        symbol: &Symbol,
        timeframe: Timeframe,
        since: Timestamp,
    ) -> Result<Vec<Candle>, BrokerError> {
        self.require_credentials()?;
        match &self.streamer {
            Some(streamer) => streamer.candles(symbol, timeframe, since).await,
            None => Err(BrokerError::Unsupported(CANDLES_UNSUPPORTED.to_owned())),
        }
    }

    async fn search_symbols(&self, query: &str, limit: usize) -> Result<Vec<SymbolMatch>, BrokerError> {
        self.require_credentials()?;
        let query = query.trim();
        if query.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let call = Call {
            label: "symbol search",
            not_found: format!("symbols matching {query:?}"),
        };
        let path = format!("/symbols/search/{}", symbols::encode(query));
        match self.inner.get::<Items<wire::SymbolWire>>(&path, &call).await {
            Ok(items) => Ok(mapping::symbol_matches(query, items.items, limit)),
            // Nothing matches: an empty answer, not an error.
            Err(BrokerError::NotFound(_)) => Ok(Vec::new()),
            Err(error) => Err(error),
        }
    }

    /// One page of `/accounts/{n}/transactions`, newest first (`sort=Desc`), its place from the
    /// answer's `pagination`.
    async fn transactions(
        &self,
        account: &AccountNumber,
        query: &TransactionQuery,
    ) -> Result<TransactionPage, BrokerError> {
        let per_page = query.per_page.clamp(1, MAX_TRANSACTIONS_PER_PAGE);
        let mut path = format!(
            "/accounts/{}/transactions?per-page={per_page}&page-offset={}&sort=Desc",
            symbols::encode(account.as_str()),
            query.page
        );
        for (key, date) in [("start-date", query.start), ("end-date", query.end)] {
            if let Some(date) = date {
                path.push_str(&format!("&{key}={date}"));
            }
        }
        if let Some(underlying) = &query.underlying {
            path.push_str(&format!(
                "&underlying-symbol={}",
                symbols::encode(underlying.as_str())
            ));
        }
        for kind in &query.types {
            path.push_str(&format!("&types[]={}", symbols::encode(kind)));
        }
        let envelope: Envelope<Items<wire::TransactionWire>> =
            self.account_get_enveloped(account, path, "transactions").await?;
        Ok(mapping::transaction_page(
            account,
            query,
            envelope.data.items,
            envelope.pagination,
        ))
    }

    async fn net_liq_history(
        &self,
        account: &AccountNumber,
        window: NetLiqWindow,
    ) -> Result<Vec<NetLiqPoint>, BrokerError> {
        let path = format!(
            "/accounts/{}/net-liq/history?time-back={}",
            symbols::encode(account.as_str()),
            window.as_str()
        );
        let items: Items<wire::NetLiqWire> = self.account_get(account, path, "net liq history").await?;
        Ok(mapping::net_liq_points(items.items))
    }

    async fn watchlists(&self) -> Result<Vec<Watchlist>, BrokerError> {
        let call = Call {
            label: "watchlists",
            not_found: "the customer's watchlists".to_owned(),
        };
        match self
            .inner
            .get::<Items<wire::WatchlistWire>>("/watchlists", &call)
            .await
        {
            Ok(items) => Ok(mapping::watchlists(items.items)),
            // No watchlists: an empty answer, not an error.
            Err(BrokerError::NotFound(_)) => Ok(Vec::new()),
            Err(error) => Err(error),
        }
    }

    async fn market_session(&self) -> Result<MarketSession, BrokerError> {
        let call = Call {
            label: "market sessions",
            not_found: "the equity market's session".to_owned(),
        };
        let items: Items<wire::MarketSessionWire> = self
            .inner
            .get(
                "/market-time/sessions/current?instrument-collections[]=Equity",
                &call,
            )
            .await?;
        mapping::market_session(items.items, self.now())
    }

    async fn market_calendar(&self) -> Result<MarketCalendar, BrokerError> {
        let call = Call {
            label: "market holidays",
            not_found: "the equity market's holidays".to_owned(),
        };
        let wire: wire::MarketCalendarWire = self.inner.get("/market-time/equities/holidays", &call).await?;
        Ok(mapping::market_calendar(wire))
    }

    async fn dry_run_order(
        &self,
        account: &AccountNumber,
        order: &OrderRequest,
    ) -> Result<OrderPreview, BrokerError> {
        let path = format!("/accounts/{}/orders/dry-run", symbols::encode(account.as_str()));
        self.send_order(account, path, order, "order dry run", true).await
    }

    /// Sent once: a lost answer, a 5xx or a refused token is reported, never retried (the order
    /// may have been taken; `orders` shows what TastyTrade holds).
    async fn place_order(
        &self,
        account: &AccountNumber,
        order: &OrderRequest,
    ) -> Result<OrderPreview, BrokerError> {
        let path = format!("/accounts/{}/orders", symbols::encode(account.as_str()));
        self.send_order(account, path, order, "order", false).await
    }

    async fn orders(&self, account: &AccountNumber, query: &OrderQuery) -> Result<Vec<Order>, BrokerError> {
        let number = symbols::encode(account.as_str());
        let path = match query {
            OrderQuery::Live => format!("/accounts/{number}/orders/live"),
            OrderQuery::Since { date, limit } => format!(
                "/accounts/{number}/orders?start-date={date}&per-page={}&page-offset=0&sort=Desc",
                (*limit).clamp(1, 200)
            ),
        };
        let items: Items<wire::OrderWire> = self.account_get(account, path, "orders").await?;
        let mut orders = mapping::orders(account, items.items);
        if let OrderQuery::Since { limit, .. } = query {
            orders.truncate(*limit);
        }
        Ok(orders)
    }

    async fn order(&self, account: &AccountNumber, id: &str) -> Result<Order, BrokerError> {
        let path = format!(
            "/accounts/{}/orders/{}",
            symbols::encode(account.as_str()),
            symbols::encode(id)
        );
        let wire: wire::OrderWire = match self.account_get(account, path, "order").await {
            Err(BrokerError::NotFound(_)) => return Err(BrokerError::NotFound(format!("order {id}"))),
            other => other?,
        };
        mapping::order(account, wire).ok_or_else(|| {
            BrokerError::InvalidResponse(format!("TastyTrade's answer for order {id} has no legs"))
        })
    }

    async fn cancel_order(&self, account: &AccountNumber, id: &str) -> Result<Order, BrokerError> {
        let path = format!(
            "/accounts/{}/orders/{}",
            symbols::encode(account.as_str()),
            symbols::encode(id)
        );
        let call = Call {
            label: "order cancel",
            not_found: format!("order {id}"),
        };
        let answer = self
            .inner
            .order_exchange(&path, &call, OrderMethod::Delete, true)
            .await?;
        if !answer.is_success() {
            return Err(match errors::status_error(&answer, &call) {
                BrokerError::Forbidden(message) => match self.has_account(account).await {
                    Ok(false) => BrokerError::NotFound(format!("account {}", account.masked())),
                    _ => BrokerError::Forbidden(message),
                },
                other => other,
            });
        }
        // The answer carries the order when TastyTrade sends it; else it is asked for.
        let cancelled = errors::decode::<Envelope<wire::OrderWire>>(&answer, call.label)
            .ok()
            .and_then(|e| mapping::order(account, e.data));
        match cancelled {
            Some(order) => Ok(order),
            None => self.order(account, id).await,
        }
    }
}

impl TastyTradeBroker {
    /// A dry run or an order: the SDK's body; `data` and `error` read together (a preflight
    /// refusal is the answer's `errors`, with the buying-power effect when TastyTrade sends it).
    async fn send_order(
        &self,
        account: &AccountNumber,
        path: String,
        order: &OrderRequest,
        label: &'static str,
        retry_refused_token: bool,
    ) -> Result<OrderPreview, BrokerError> {
        let call = Call {
            label,
            not_found: format!("account {}", account.masked()),
        };
        let body = serde_json::to_vec(&mapping::order_body(order)).map_err(|_| BrokerError::Other {
            adapter: http::ADAPTER,
            message: "the order could not be encoded".to_owned(),
        })?;
        let answer = self
            .inner
            .order_exchange(&path, &call, OrderMethod::Post(body), retry_refused_token)
            .await?;
        let refused_with_reasons =
            matches!(answer.status, 400 | 409 | 422) && !answer.is_html() && !answer.is_blank();
        if answer.is_success() || refused_with_reasons {
            let envelope: wire::OrderEnvelopeWire = errors::decode(&answer, label)?;
            if answer.is_success() || envelope.data.is_some() || envelope.error.is_some() {
                let preview = mapping::order_preview(account, envelope);
                if answer.is_success() || !preview.errors.is_empty() {
                    return Ok(preview);
                }
            }
        }
        Err(match errors::status_error(&answer, &call) {
            BrokerError::Forbidden(message) => match self.has_account(account).await {
                Ok(false) => BrokerError::NotFound(format!("account {}", account.masked())),
                _ => BrokerError::Forbidden(message),
            },
            other => other,
        })
    }
}
