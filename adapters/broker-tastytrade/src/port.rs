//! [`BrokerPort`] for [`TastyTradeBroker`]: each call as REST exchanges mapped to domain types,
//! quotes and candles from the DXLink stream when it is up; orders through `send_order`.

use async_trait::async_trait;
use ttai_core::domain::{
    Account, AccountNumber, Balances, Candle, MAX_TRANSACTIONS_PER_PAGE, MarketCalendar, MarketMetrics,
    MarketSession, NetLiqPoint, NetLiqWindow, OptionChain, Order, OrderPreview, OrderQuery, OrderRequest,
    Position, Quote, Symbol, SymbolMatch, Timeframe, TransactionPage, TransactionQuery, Watchlist,
};
use ttai_core::ports::{BrokerError, BrokerInfo, BrokerPort};
use ttai_core::time::Timestamp;

use crate::errors::Call;
use crate::rest::{OrderMethod, unique};
use crate::symbols::MarketDataKind;
use crate::wire::{Envelope, Items};
use crate::{CANDLES_UNSUPPORTED, MAX_SYMBOLS_PER_REQUEST, TastyTradeBroker};
use crate::{errors, http, mapping, symbols, wire};

#[async_trait]
impl BrokerPort for TastyTradeBroker {
    fn info(&self) -> BrokerInfo {
        BrokerInfo {
            source: "tastytrade".to_owned(),
            synthetic: false,
            live: true,
        }
    }

    fn is_live(&self) -> bool {
        true
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
