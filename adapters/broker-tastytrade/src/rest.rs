//! The REST exchanges behind the port: one GET with the token's retry, paged lists, chunked
//! market data under the in-flight limit, order exchanges, and what the instruments API taught.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;
use ttai_core::domain::{Quote, Symbol};
use ttai_core::ports::BrokerError;
use ttai_core::time::Timestamp;

use crate::errors::Call;
use crate::http::Client;
use crate::symbols::MarketDataKind;
use crate::token::{Token, Tokens};
use crate::wire::{Envelope, Items};
use crate::{ACTIVE_CONTRACT_TTL, MAX_KNOWN_KINDS, MAX_SYMBOLS_PER_REQUEST};
use crate::{errors, http, mapping, symbols, wire};

/// The broker's state.
pub(crate) struct Inner {
    /// HTTP with the base URL, User-Agent and timeout.
    pub(crate) client: Client,
    /// Credentials and the access token.
    pub(crate) tokens: Tokens,
    /// The market clock.
    pub(crate) now: fn() -> Timestamp,
    /// Bounds the requests in flight to [`MAX_IN_FLIGHT`].
    pub(crate) permits: Semaphore,
    /// What the instruments API said about symbols.
    pub(crate) instruments: Mutex<Instruments>,
}

/// What the adapter learnt from the instruments API.
#[derive(Default)]
pub(crate) struct Instruments {
    /// Tickers looked up in `/instruments/equities`: true for a cash index.
    pub(crate) indices: HashMap<String, bool>,
    /// Futures products resolved to their active contract, and when.
    pub(crate) fronts: HashMap<String, (Symbol, tokio::time::Instant)>,
}

/// How an order request is sent.
#[derive(Clone)]
pub(crate) enum OrderMethod {
    /// A POST of this body (a dry run or an order).
    Post(Vec<u8>),
    /// A DELETE (a cancel).
    Delete,
}

impl Inner {
    /// One order exchange with a token, under the in-flight limit. A 401 JSON answer means the
    /// request was not taken: with `retry_refused_token` (a dry run, a cancel) it is sent once
    /// more with a new token; an order is never sent twice, whatever the answer.
    pub(crate) async fn order_exchange(
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
    pub(crate) async fn get<T: DeserializeOwned>(&self, path: &str, call: &Call) -> Result<T, BrokerError> {
        self.get_enveloped(path, call).await.map(|envelope| envelope.data)
    }

    /// [`Inner::get`] keeping the envelope's `pagination`.
    pub(crate) async fn get_enveloped<T: DeserializeOwned>(
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
    pub(crate) async fn get_once_retrying<T: DeserializeOwned>(
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
    pub(crate) async fn send(
        &self,
        path: &str,
        call: &Call,
        token: &Token,
    ) -> Result<http::Answer, BrokerError> {
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
    pub(crate) async fn get_lists<T: DeserializeOwned + Send + 'static>(
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
    pub(crate) async fn market_data(
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

    pub(crate) fn instruments(&self) -> std::sync::MutexGuard<'_, Instruments> {
        self.instruments.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The key a symbol is quoted under: by its form, or `index` for a ticker the instruments
    /// API said is one.
    pub(crate) fn kind(&self, symbol: &str) -> MarketDataKind {
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
    pub(crate) async fn learn_indices(self: &Arc<Self>, tickers: &[String]) -> Vec<String> {
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
    pub(crate) async fn active_contract(
        self: &Arc<Self>,
        product: &str,
    ) -> Result<Option<Symbol>, BrokerError> {
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
    pub(crate) async fn quotes_of(self: &Arc<Self>, requested: &[Symbol]) -> Result<Vec<Quote>, BrokerError> {
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
pub(crate) fn unique(symbols: &[Symbol]) -> Vec<Symbol> {
    let mut seen = HashSet::new();
    symbols.iter().filter(|s| seen.insert(*s)).cloned().collect()
}
