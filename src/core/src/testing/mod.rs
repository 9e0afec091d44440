//! In-memory fakes of the ports (feature `testing`), verified by the same contract suites as the
//! real adapters, so core tests can trust them. Test-support code: it may panic on broken
//! fixtures.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod broker;
mod notifier;
mod outbound;
mod sample;
pub mod schema;
mod store;
mod vault;

pub use broker::{FakeBroker, FakeMarket};
pub use notifier::RecordingNotifier;
pub use outbound::CollectingOutbound;
pub use sample::{
    SAMPLE_ACCOUNT, sample_candles, sample_config, sample_market, sample_market_at, sample_now,
};
pub use store::InMemoryStore;
pub use vault::MemoryVault;

/// An `App` over a [`FakeBroker`] of `market` at [`sample_now`], an [`InMemoryStore`] and
/// [`sample_config`].
pub fn sample_app(market: FakeMarket) -> crate::app::App {
    crate::app::App::new(
        std::sync::Arc::new(FakeBroker::new(market, sample_now())),
        std::sync::Arc::new(InMemoryStore::new()),
        sample_config(),
    )
}

/// `quantity` of the option `occ` on `underlying` sold to open at a credit of `price`, a day
/// order: the order most order tests need (change the fields for others).
pub fn sell_to_open(underlying: &str, occ: &str, quantity: u32, price: f64) -> crate::domain::OrderRequest {
    use crate::domain::{
        InstrumentType, OrderLeg, OrderRequest, PriceEffect, Symbol, TimeInForce, TradeAction,
    };
    OrderRequest {
        underlying: Symbol::parse(underlying).unwrap(),
        time_in_force: TimeInForce::Day,
        price,
        price_effect: PriceEffect::Credit,
        legs: vec![OrderLeg {
            instrument_type: InstrumentType::EquityOption,
            symbol: Symbol::parse(occ).unwrap(),
            action: TradeAction::SellToOpen,
            quantity,
        }],
    }
}
