//! Domain types: what a trader and an analysis talk about.
//!
//! These types have a stable serde form because it is also the tape format of the replay broker
//! (docs/tapes.md: tapes record domain JSON). Wire formats of brokers never appear here; adapters
//! map their own wire types into these in one place.
//!
//! Conventions: prices are `f64` in currency units; volatilities, IV ranks and percentiles are
//! fractions (0.25 = 25 %); quantities are signed (short is negative).

mod account;
mod alert;
mod analysis;
mod candle;
mod chain;
mod history;
mod instrument;
mod market_hours;
mod metrics;
mod order;
mod paper;
mod quote;
mod tick;

pub use account::{Account, AccountNumber, Balances, Position};
pub use alert::{
    Alert, AlertCondition, AlertId, AlertStatus, NewAlert, Notification, NotificationId, PendingNotification,
};
pub use analysis::{AnalysisId, AnalysisRecord, NewAnalysis};
pub use candle::{Candle, Timeframe, weekly_from_daily};
pub use chain::{
    BrokerGreeks, Expiration, ExpirationUnderlying, OccParts, OptionChain, OptionContract, StrikeRow, is_occ,
    occ_symbol, parse_occ,
};
pub use history::{
    MAX_TRANSACTIONS_PER_PAGE, NetLiqPoint, NetLiqWindow, TRANSACTION_TYPES, TradeAction, Transaction,
    TransactionPage, TransactionQuery, Watchlist, WatchlistEntry,
};
pub use instrument::{InstrumentType, OptionType, Symbol, SymbolError, SymbolMatch, rank_symbol_matches};
pub use market_hours::{
    MarketCalendar, MarketSession, MarketState, SessionTimes, new_york_clock, new_york_date, new_york_time,
    nyse_half_day_name, nyse_half_days, nyse_holiday_name, nyse_holidays, nyse_special_closure,
};
pub use metrics::MarketMetrics;
pub use order::{
    BuyingPowerEffect, FeeCalculation, MAX_ORDER_LEGS, Order, OrderFill, OrderLeg, OrderLegState,
    OrderMessage, OrderPreview, OrderQuery, OrderRequest, OrderStatus, PriceEffect, TimeInForce,
    describe_leg, fees, instrument_api_name, instrument_from_api, order_fees, price_text,
};
pub use paper::{AuditEntry, AuditId, PaperBook, PaperEvent};
pub use quote::Quote;
pub use tick::{LimitPrice, PENNY_ALL, PENNY_PROGRAM, TickClass};

/// Rounds a computed money value to 4 decimals so that `(1.1 + 1.2) / 2` prints as `1.15`.
pub fn round4(value: f64) -> f64 {
    if value.is_finite() {
        (value * 10_000.0).round() / 10_000.0
    } else {
        value
    }
}

/// Rounds to `places` decimals.
pub fn round_to(value: f64, places: i32) -> f64 {
    if !value.is_finite() {
        return value;
    }
    let scale = 10_f64.powi(places);
    (value * scale).round() / scale
}
