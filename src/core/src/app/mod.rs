//! Use cases over the ports: the application services the MCP tools call.
//!
//! [`App`] holds the ports chosen by the composition root and the settings the use cases need.
//! Tools never talk to a port directly when a use case exists for it, so caching (market data)
//! and invariants (alerts fire once) live in one place.

mod alerts;
pub mod analysis;
mod auth;
mod backtest;
mod cache;
mod chain;
mod chart_spec;
pub mod history;
mod knowledge;
mod lazy_store;
mod market;
mod market_status;
pub mod orders;
mod payoff;
mod portfolio;
pub mod portfolio_risk;
mod replay;
mod watchlists;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;

pub use alerts::{
    ALERTS_URI, AlertAnnouncer, AlertSignals, AlertView, CheckReport, OUTBOX_RETENTION, alert_json,
    notification_json, run_deliverer, run_monitor,
};
pub use auth::{
    CredentialOrigin, LOGIN_HINT, Restored, credentials_from_input, restore_credentials, vault_failure,
};
pub use backtest::{
    BacktestProgress, BacktestReport, BacktestRequest, BacktestSettings, BacktestStrategy, BacktestSummary,
    EquityPoint, Fill, Skipped, StockMove, Trade, TradeLeg, TradeRules,
};
pub use chain::{
    ChainFilter, ChainView, ContractAnalytics, ContractView, ExpectedMove, ExpirationView, GREEK_UNITS,
    MODEL_NAME, ModelView, Pricing, StrikeView, analyse_contract, atm_iv, enrich, expected_move,
    expiry_instant, years_to_expiry,
};
pub use chart_spec::{
    ChartRenderer, ChartSpec, HeatmapPanel, HeatmapSpec, Level, LevelKind, LineSeries, LineStyle,
    RenderError, SeriesSpec,
};
pub use knowledge::KnowledgeSource;
pub use lazy_store::{LazyStore, StoreOpener};
pub use market::SourceInfo;
pub use market_status::{ChangeView, ClosureView, MarketStatusView, SessionView};
pub use payoff::{
    LegKind, LegRequest, MAX_LEGS, Payoff, PayoffMethod, PayoffPoint, PayoffRequest, PricedLeg, Scenario,
};
pub use portfolio::{BalancesView, ExpiredView, PositionView, PositionsView};
pub use replay::ClockView;
pub use watchlists::{WatchlistView, WatchlistsView};

use crate::domain::{Account, AccountNumber};
use crate::error::{AppError, ErrorCode};
use crate::ports::{BrokerPort, StorePort};

/// Settings the use cases need; built by the composition root from `Settings`.
#[derive(Clone, Debug)]
pub struct AppConfig {
    /// The account to use when a tool names none (`--account`); else the first account.
    pub default_account: Option<String>,
    /// Risk-free rate for option models (continuously compounded, decimal).
    pub risk_free_rate: f64,
    /// Dividend yield used when the broker has none for an underlying (decimal).
    pub dividend_yield: f64,
    /// How long a quote is served from the cache.
    pub quote_ttl: Duration,
    /// How long an option chain is served from the cache.
    pub chain_ttl: Duration,
}

/// Something that happened that connected clients may want to hear about.
#[derive(Clone, Debug, PartialEq)]
pub enum AppEvent {
    /// A resource's content changed (`notifications/resources/updated`).
    ResourceUpdated(String),
}

/// The ports and settings, shared by every request.
pub struct App {
    broker: Arc<dyn BrokerPort>,
    store: Arc<dyn StorePort>,
    config: AppConfig,
    /// Fan-out of [`AppEvent`]s to the MCP sessions; lagging receivers lose old events only.
    events: broadcast::Sender<AppEvent>,
    /// Wake-ups for the alert monitor and the deliverer.
    alert_signals: Arc<AlertSignals>,
    /// Where user knowledge documents come from (none: built-in documents only).
    knowledge_source: Option<Arc<dyn KnowledgeSource>>,
    /// The knowledge index, built on first use and rebuilt when the user's documents change.
    knowledge: tokio::sync::Mutex<Option<knowledge::KnowledgeState>>,
    /// Draws chart pictures (none: `include_chart` is refused).
    chart_renderer: Option<Arc<dyn ChartRenderer>>,
    /// Quotes and chains with TTLs and single flight.
    cache: cache::MarketCache,
    /// Caps on exposure and buying power, least spread credit (analysis settings).
    risk_limits: analysis::RiskLimits,
    /// Whether orders may be placed, and the limits every order meets.
    order_settings: orders::OrderSettings,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("broker", &self.broker.info().source)
            .finish_non_exhaustive()
    }
}

impl App {
    /// Wires the ports.
    pub fn new(broker: Arc<dyn BrokerPort>, store: Arc<dyn StorePort>, config: AppConfig) -> App {
        let (events, _) = broadcast::channel(256);
        let cache = cache::MarketCache::new(config.quote_ttl, config.chain_ttl);
        App {
            broker,
            store,
            config,
            events,
            alert_signals: Arc::new(AlertSignals::default()),
            knowledge_source: None,
            knowledge: tokio::sync::Mutex::new(None),
            chart_renderer: None,
            cache,
            risk_limits: analysis::RiskLimits::default(),
            order_settings: orders::OrderSettings::default(),
        }
    }

    /// The broker.
    pub fn broker(&self) -> &Arc<dyn BrokerPort> {
        &self.broker
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn StorePort> {
        &self.store
    }

    /// The settings.
    pub fn config(&self) -> &AppConfig {
        &self.config
    }

    /// Adds the chart renderer.
    pub fn with_chart_renderer(mut self, renderer: Arc<dyn ChartRenderer>) -> App {
        self.chart_renderer = Some(renderer);
        self
    }

    /// Sets the analysis caps (default: [`analysis::RiskLimits::default`]).
    pub fn with_risk_limits(mut self, limits: analysis::RiskLimits) -> App {
        self.risk_limits = limits;
        self
    }

    /// Sets the order settings (default: orders off, [`orders::OrderSettings::default`]).
    pub fn with_order_settings(mut self, settings: orders::OrderSettings) -> App {
        self.order_settings = settings;
        self
    }

    /// The analysis caps.
    pub fn risk_limits(&self) -> analysis::RiskLimits {
        self.risk_limits
    }

    /// The chart renderer, when one is wired.
    pub fn chart_renderer(&self) -> Option<&Arc<dyn ChartRenderer>> {
        self.chart_renderer.as_ref()
    }

    /// The renderer for a picture the request asked for (`None` when it asked for none); an
    /// ANALYSIS_ERROR saying to call without `include_chart` when this build has none.
    pub(crate) fn renderer_if(
        &self,
        include_chart: bool,
    ) -> Result<Option<Arc<dyn ChartRenderer>>, AppError> {
        if !include_chart {
            return Ok(None);
        }
        self.chart_renderer.clone().map(Some).ok_or_else(|| {
            AppError::new(
                ErrorCode::AnalysisError,
                "this build has no chart renderer; call again without include_chart",
            )
        })
    }

    /// The alert monitor's and deliverer's wake-ups.
    pub fn alert_signals(&self) -> &AlertSignals {
        &self.alert_signals
    }

    pub(crate) fn alert_signals_arc(&self) -> Arc<AlertSignals> {
        self.alert_signals.clone()
    }

    /// Announces an event to connected clients.
    pub fn emit(&self, event: AppEvent) {
        let _ = self.events.send(event);
    }

    /// A receiver of future events.
    pub fn subscribe_events(&self) -> broadcast::Receiver<AppEvent> {
        self.events.subscribe()
    }

    /// The account a request is about: the one named (it must be the customer's), else the
    /// configured default, else the first account.
    pub async fn resolve_account(
        &self,
        requested: Option<&str>,
    ) -> Result<(AccountNumber, Vec<Account>), AppError> {
        let accounts = self.cache.accounts(&*self.broker).await?;
        let wanted = requested
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .or(self.config.default_account.as_deref());
        let chosen = match wanted {
            Some(number) => accounts
                .iter()
                .find(|a| a.number.as_str().eq_ignore_ascii_case(number))
                .ok_or_else(|| {
                    AppError::new(
                        ErrorCode::NotFound,
                        format!(
                            "account {} is not one of this login's accounts ({})",
                            AccountNumber::new(number).masked(),
                            accounts
                                .iter()
                                .map(|a| a.number.masked())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                    .with_detail("field", "account")
                })?,
            None => accounts
                .first()
                .ok_or_else(|| AppError::not_found("this login has no open accounts"))?,
        };
        Ok((chosen.number.clone(), accounts.as_ref().clone()))
    }
}
