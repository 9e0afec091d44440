//! The `BrokerPort` of the paper broker: market data and history pass through to the wrapped
//! broker; positions, balances and orders answer from the paper book laid over it.

use super::*;

#[async_trait]
impl BrokerPort for PaperBroker {
    fn info(&self) -> BrokerInfo {
        let inner = self.inner.info();
        let paper = self.announced || self.holds_trades.load(Ordering::Acquire);
        BrokerInfo {
            source: if paper {
                format!("{}{PAPER_SUFFIX}", inner.source)
            } else {
                inner.source
            },
            synthetic: inner.synthetic,
            live: inner.live,
        }
    }

    fn is_paper(&self) -> bool {
        true
    }

    fn is_live(&self) -> bool {
        self.inner.is_live()
    }

    fn now(&self) -> Timestamp {
        self.inner.now()
    }

    async fn replay_clock(&self) -> Option<Arc<dyn ReplayClock>> {
        self.inner.replay_clock().await
    }

    async fn accounts(&self) -> Result<Vec<Account>, BrokerError> {
        self.inner.accounts().await
    }

    async fn balances(&self, account: &AccountNumber) -> Result<Balances, BrokerError> {
        let _turn = self.books.lock().await;
        let (book, _) = self.sync(account).await?;
        self.merged_balances(account, &book).await
    }

    async fn positions(&self, account: &AccountNumber) -> Result<Vec<Position>, BrokerError> {
        let _turn = self.books.lock().await;
        let (book, _) = self.sync(account).await?;
        self.merged_positions(account, &book).await
    }

    async fn quotes(&self, symbols: &[Symbol]) -> Result<Vec<Quote>, BrokerError> {
        self.inner.quotes(symbols).await
    }

    fn live_quotes(&self, symbols: &[Symbol]) -> Vec<Quote> {
        self.inner.live_quotes(symbols)
    }

    async fn option_chain(&self, underlying: &Symbol) -> Result<OptionChain, BrokerError> {
        self.inner.option_chain(underlying).await
    }

    async fn market_metrics(&self, symbols: &[Symbol]) -> Result<Vec<MarketMetrics>, BrokerError> {
        self.inner.market_metrics(symbols).await
    }

    async fn candles(
        &self,
        symbol: &Symbol,
        timeframe: Timeframe,
        since: Timestamp,
    ) -> Result<Vec<Candle>, BrokerError> {
        self.inner.candles(symbol, timeframe, since).await
    }

    async fn search_symbols(&self, query: &str, limit: usize) -> Result<Vec<SymbolMatch>, BrokerError> {
        self.inner.search_symbols(query, limit).await
    }

    async fn transactions(
        &self,
        account: &AccountNumber,
        query: &TransactionQuery,
    ) -> Result<TransactionPage, BrokerError> {
        self.inner.transactions(account, query).await
    }

    async fn net_liq_history(
        &self,
        account: &AccountNumber,
        window: NetLiqWindow,
    ) -> Result<Vec<NetLiqPoint>, BrokerError> {
        self.inner.net_liq_history(account, window).await
    }

    async fn watchlists(&self) -> Result<Vec<Watchlist>, BrokerError> {
        self.inner.watchlists().await
    }

    async fn market_session(&self) -> Result<MarketSession, BrokerError> {
        self.inner.market_session().await
    }

    async fn market_calendar(&self) -> Result<MarketCalendar, BrokerError> {
        self.inner.market_calendar().await
    }

    async fn dry_run_order(
        &self,
        account: &AccountNumber,
        order: &OrderRequest,
    ) -> Result<OrderPreview, BrokerError> {
        let (_turn, book) = self.turn(account).await?;
        self.simulate(account, order, &book).await
    }

    async fn place_order(
        &self,
        account: &AccountNumber,
        order: &OrderRequest,
    ) -> Result<OrderPreview, BrokerError> {
        let (_turn, mut book) = self.turn(account).await?;
        let mut preview = self.simulate(account, order, &book).await?;
        if !preview.accepted() {
            preview.order = None;
            return Ok(preview);
        }
        let now = self.inner.now();
        let id = book::next_id(&mut book);
        book.orders
            .push(simulate::received(order, account, Some(id.clone()), now));
        book.orders
            .last_mut()
            .into_iter()
            .for_each(|o| o.status = OrderStatus::Live);
        book.events.push(PaperEvent {
            at: now,
            kind: "received".to_owned(),
            order_id: Some(id.clone()),
            symbol: order.legs.first().map(|l| l.symbol.to_string()),
            quantity: 0.0,
            price: Some(order.price),
            cash: 0.0,
            description: format!("paper order {id}: {}", order.describe()),
        });
        book.updated_at = now;
        self.store.save_paper_book(&book).await.map_err(store_error)?;
        // A marketable order fills at once.
        let (book, _) = self.sync(account).await?;
        preview.order = book
            .orders
            .iter()
            .find(|o| o.id.as_deref() == Some(id.as_str()))
            .cloned();
        Ok(preview)
    }

    async fn orders(&self, account: &AccountNumber, query: &OrderQuery) -> Result<Vec<Order>, BrokerError> {
        let (_turn, book) = self.turn(account).await?;
        let now = self.inner.now();
        Ok(match query {
            OrderQuery::Live => {
                let (today, _, _) = new_york_clock(now);
                book.orders
                    .iter()
                    .filter(|o| {
                        o.status.is_working()
                            || o.received_at.is_some_and(|t| new_york_clock(t).0 == today)
                            || o.terminal_at.is_some_and(|t| new_york_clock(t).0 == today)
                    })
                    .rev()
                    .cloned()
                    .collect()
            }
            OrderQuery::Since { date, limit } => book::orders_since(&book, *date, *limit),
        })
    }

    async fn order(&self, account: &AccountNumber, id: &str) -> Result<Order, BrokerError> {
        let (_turn, book) = self.turn(account).await?;
        book.orders
            .into_iter()
            .find(|o| o.id.as_deref() == Some(id))
            .ok_or_else(|| BrokerError::NotFound(format!("paper order {id}")))
    }

    async fn cancel_order(&self, account: &AccountNumber, id: &str) -> Result<Order, BrokerError> {
        let (_turn, mut book) = self.turn(account).await?;
        let now = self.inner.now();
        let Some(order) = book.orders.iter_mut().find(|o| o.id.as_deref() == Some(id)) else {
            return Err(BrokerError::NotFound(format!("paper order {id}")));
        };
        if !order.status.is_working() {
            return Err(BrokerError::Rejected(format!(
                "paper order {id} is {} and cannot be cancelled",
                order.status.api_name().to_lowercase()
            )));
        }
        order.status = OrderStatus::Cancelled;
        order.cancellable = false;
        order.updated_at = Some(now);
        order.terminal_at = Some(now);
        let after = order.clone();
        book.events.push(PaperEvent {
            at: now,
            kind: "cancelled".to_owned(),
            order_id: Some(id.to_owned()),
            symbol: None,
            quantity: 0.0,
            price: None,
            cash: 0.0,
            description: format!("paper order {id} cancelled"),
        });
        book.updated_at = now;
        self.store.save_paper_book(&book).await.map_err(store_error)?;
        Ok(after)
    }
}
