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

pub use account::{Account, AccountNumber, Balances, Expired, Position};
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
    MarketCalendar, MarketSession, MarketState, SessionTimes, expiry_instant, new_york_clock, new_york_date,
    new_york_time, nyse_half_day_name, nyse_half_days, nyse_holiday_name, nyse_holidays,
    nyse_special_closure,
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
    round_to(value, 4)
}

/// Rounds to `places` decimals. A value that rounds to zero is `0`, never `-0` (which JSON
/// would print as `-0.0`: a "negative" P&L of nothing).
pub fn round_to(value: f64, places: i32) -> f64 {
    if !value.is_finite() {
        return value;
    }
    let scale = 10_f64.powi(places);
    // Adding +0 turns -0 into +0 and changes nothing else.
    (value * scale).round() / scale + 0.0
}

#[cfg(test)]
mod rounding_tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rounding_to_nothing_is_zero_not_negative_zero() {
        for value in [-0.0, -0.001, -0.004_9, -1e-12] {
            let rounded = round_to(value, 2);
            assert!(
                rounded == 0.0 && rounded.is_sign_positive(),
                "{value} -> {rounded}"
            );
            assert_eq!(serde_json::to_string(&rounded).unwrap(), "0.0");
            assert!(round4(value / 100.0).is_sign_positive());
        }
        assert_eq!(round_to(-0.005_1, 2), -0.01);
        assert_eq!(round4((1.1 + 1.2) / 2.0), 1.15);
        assert!(round_to(f64::NAN, 2).is_nan());
        assert_eq!(round_to(f64::NEG_INFINITY, 2), f64::NEG_INFINITY);
    }

    proptest! {
        #[test]
        fn rounding_keeps_the_sign_of_what_is_left(value in -1e6f64..1e6, places in 0i32..6) {
            let rounded = round_to(value, places);
            prop_assert!((rounded - value).abs() <= 0.5 / 10f64.powi(places) + 1e-9);
            if rounded != 0.0 {
                prop_assert_eq!(rounded.is_sign_negative(), value < 0.0);
            } else {
                prop_assert!(rounded.is_sign_positive());
            }
        }
    }
}
