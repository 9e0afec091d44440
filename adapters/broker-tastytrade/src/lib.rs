//! `broker-tastytrade`: the [`BrokerPort`] of a live TastyTrade account over its REST API
//! (docs/tastytrade.md; docs/design.md, "Authentication and the vault").
//!
//! Layout:
//! - `port`: [`BrokerPort`] for [`TastyTradeBroker`], each call as REST exchanges and mappings.
//! - `rest`: the broker's state and its exchanges: GET with the token's retry, paged lists, chunked
//!   market data under the in-flight limit, order exchanges, what the instruments API taught.
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
mod port;
mod rest;
mod symbols;
#[cfg(feature = "tls")]
mod tls;
mod token;
mod wire;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;
use ttai_core::domain::{Account, AccountNumber, OptionChain, new_york_date};
use ttai_core::ports::{BrokerError, BrokerPort, Credentials};
use ttai_core::time::Timestamp;

use crate::dxlink::Streamer;
pub use crate::dxlink::{StreamSettings, StreamStatus};
use crate::errors::Call;
use crate::http::Client;
use crate::symbols::MarketDataKind;
use crate::token::Tokens;
use crate::wire::Envelope;
pub(crate) use rest::{Inner, Instruments};

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
            new_york_date(self.now()),
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
