//! Orders: what ttai asks a broker to do, and what the broker says about it.
//!
//! An [`OrderRequest`] is the exact order, as a person confirms it and as it is sent: a limit
//! order (ttai sends no market orders) with a price per share on the option's tick, a
//! [`PriceEffect`], a time in force and legs with their symbols (OCC for options), actions and
//! quantities. Its [`OrderRequest::canonical`] text is the order and nothing else, and its
//! [`OrderRequest::fingerprint`] (SHA-256 of that text) is what a confirmation is bound to: a
//! different leg, quantity, price, effect or time in force is a different fingerprint.
//!
//! What a broker answers ([`OrderPreview`]: a dry run or a placed order) keeps TastyTrade's
//! meaning with ttai's sign conventions: money the account pays is negative (the API's `Debit`),
//! fees are costs (positive when charged).

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::{AccountNumber, InstrumentType, OptionType, Symbol, TradeAction, parse_occ};
use crate::time::{Date, Timestamp};

mod answer;

pub use answer::{
    BuyingPowerEffect, FeeCalculation, Order, OrderFill, OrderLegState, OrderMessage, OrderPreview,
    OrderQuery,
};

/// Credit (money received) or debit (money paid).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PriceEffect {
    /// The account receives the price.
    Credit,
    /// The account pays the price.
    Debit,
}

impl PriceEffect {
    /// The API's text: `Credit` or `Debit`.
    pub fn api_name(self) -> &'static str {
        match self {
            PriceEffect::Credit => "Credit",
            PriceEffect::Debit => "Debit",
        }
    }

    /// `credit` or `debit`.
    pub fn as_str(self) -> &'static str {
        match self {
            PriceEffect::Credit => "credit",
            PriceEffect::Debit => "debit",
        }
    }

    /// +1 for a credit, −1 for a debit: the sign of the cash the price moves.
    pub fn sign(self) -> f64 {
        match self {
            PriceEffect::Credit => 1.0,
            PriceEffect::Debit => -1.0,
        }
    }
}

/// How long an order works.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimeInForce {
    /// Until the end of the regular session of the day it is placed (or the next session's,
    /// when placed outside one).
    Day,
    /// Until filled or cancelled.
    Gtc,
}

impl TimeInForce {
    /// The API's text: `Day` or `GTC`.
    pub fn api_name(self) -> &'static str {
        match self {
            TimeInForce::Day => "Day",
            TimeInForce::Gtc => "GTC",
        }
    }

    /// `day` or `gtc`.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeInForce::Day => "day",
            TimeInForce::Gtc => "gtc",
        }
    }

    /// Reads `day` or `gtc` (any case), or the API's names.
    pub fn parse(text: &str) -> Option<TimeInForce> {
        match text.trim().to_ascii_lowercase().as_str() {
            "day" => Some(TimeInForce::Day),
            "gtc" | "good_till_cancelled" | "good till cancelled" => Some(TimeInForce::Gtc),
            _ => None,
        }
    }
}

/// Where an order stands, TastyTrade's `status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Accepted, not yet routed (also the status of a dry run).
    Received,
    /// Sent to the market.
    Routed,
    /// On its way.
    InFlight,
    /// Working in the market.
    Live,
    /// A cancel was asked for and is pending.
    CancelRequested,
    /// A replace was asked for and is pending.
    ReplaceRequested,
    /// Waiting for a condition.
    Contingent,
    /// Done.
    Filled,
    /// Cancelled.
    Cancelled,
    /// Its time in force ran out.
    Expired,
    /// Refused.
    Rejected,
    /// Removed by the broker.
    Removed,
    /// Partly removed.
    PartiallyRemoved,
}

impl OrderStatus {
    /// Every status with the API's text.
    const NAMES: [(OrderStatus, &'static str); 13] = [
        (OrderStatus::Received, "Received"),
        (OrderStatus::Routed, "Routed"),
        (OrderStatus::InFlight, "In Flight"),
        (OrderStatus::Live, "Live"),
        (OrderStatus::CancelRequested, "Cancel Requested"),
        (OrderStatus::ReplaceRequested, "Replace Requested"),
        (OrderStatus::Contingent, "Contingent"),
        (OrderStatus::Filled, "Filled"),
        (OrderStatus::Cancelled, "Cancelled"),
        (OrderStatus::Expired, "Expired"),
        (OrderStatus::Rejected, "Rejected"),
        (OrderStatus::Removed, "Removed"),
        (OrderStatus::PartiallyRemoved, "Partially Removed"),
    ];

    /// The API's text, e.g. `Cancel Requested`.
    pub fn api_name(self) -> &'static str {
        OrderStatus::NAMES
            .iter()
            .find(|(s, _)| *s == self)
            .map_or("Received", |(_, n)| n)
    }

    /// The status of the API's text (case-insensitive).
    pub fn from_api(text: &str) -> Option<OrderStatus> {
        let text = text.trim();
        OrderStatus::NAMES
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(text))
            .map(|(s, _)| *s)
    }

    /// True while the order may still fill (and can be cancelled).
    pub fn is_working(self) -> bool {
        matches!(
            self,
            OrderStatus::Received
                | OrderStatus::Routed
                | OrderStatus::InFlight
                | OrderStatus::Live
                | OrderStatus::Contingent
                | OrderStatus::ReplaceRequested
        )
    }
}

/// The API's name of an instrument type (`Equity Option`), for order legs.
pub fn instrument_api_name(kind: InstrumentType) -> &'static str {
    match kind {
        InstrumentType::Equity => "Equity",
        InstrumentType::EquityOption => "Equity Option",
        InstrumentType::Index => "Index",
        InstrumentType::Future => "Future",
        InstrumentType::FutureOption => "Future Option",
        InstrumentType::Cryptocurrency => "Cryptocurrency",
        InstrumentType::Other => "Unknown",
    }
}

/// The instrument type of the API's text; `Other` for names ttai does not trade.
pub fn instrument_from_api(text: &str) -> InstrumentType {
    match text.trim() {
        "Equity" => InstrumentType::Equity,
        "Equity Option" => InstrumentType::EquityOption,
        "Index" => InstrumentType::Index,
        "Future" => InstrumentType::Future,
        "Future Option" => InstrumentType::FutureOption,
        "Cryptocurrency" => InstrumentType::Cryptocurrency,
        _ => InstrumentType::Other,
    }
}

/// One leg of an order to send.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderLeg {
    /// Equity or equity option.
    pub instrument_type: InstrumentType,
    /// The symbol (OCC for options).
    pub symbol: Symbol,
    /// Buy or sell, to open or to close.
    pub action: TradeAction,
    /// Contracts or shares (positive).
    pub quantity: u32,
}

impl OrderLeg {
    /// The option's type, strike and expiration when the leg is an option.
    pub fn option(&self) -> Option<(OptionType, f64, Date)> {
        parse_occ(self.symbol.as_str()).map(|p| (p.option_type, p.strike, p.expiration))
    }

    /// Shares per unit: 100 for an equity option, 1 for stock.
    pub fn multiplier(&self) -> f64 {
        if self.instrument_type == InstrumentType::EquityOption {
            100.0
        } else {
            1.0
        }
    }
}

/// The most legs one order carries (TastyTrade's limit for a multi-leg option order).
pub const MAX_ORDER_LEGS: usize = 4;

/// An order to send: always a limit order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderRequest {
    /// The underlying.
    pub underlying: Symbol,
    /// Day or GTC.
    pub time_in_force: TimeInForce,
    /// The limit per share (or per option, per unit of the spread), positive, on the tick.
    pub price: f64,
    /// Whether the price is received or paid.
    pub price_effect: PriceEffect,
    /// The legs, in the order given.
    pub legs: Vec<OrderLeg>,
}

/// A price in cents, as text without a float's noise (`6.3` → `6.30`).
pub fn price_text(price: f64) -> String {
    format!("{:.2}", (price * 100.0).round() / 100.0)
}

impl OrderRequest {
    /// The order as one line of text that names every field that matters and nothing else:
    /// `Limit|Day|6.30|Credit|Equity Option,SPY   261224P00540000,Sell to Open,1`. Two orders with the same
    /// text are the same order.
    pub fn canonical(&self) -> String {
        let mut text = format!(
            "Limit|{}|{}|{}",
            self.time_in_force.api_name(),
            price_text(self.price),
            self.price_effect.api_name()
        );
        for leg in &self.legs {
            let _ = write!(
                text,
                "|{},{},{},{}",
                instrument_api_name(leg.instrument_type),
                leg.symbol,
                leg.action.api_name(),
                leg.quantity
            );
        }
        text
    }

    /// SHA-256 of [`OrderRequest::canonical`], hex: what a confirmation is bound to.
    pub fn fingerprint(&self) -> String {
        crate::sha256::hex(self.canonical().as_bytes())
    }

    /// The first 8 hex digits of the fingerprint: the order's code shown to the person.
    pub fn code(&self) -> String {
        self.fingerprint().chars().take(8).collect()
    }

    /// The order's size: its largest leg quantity (a vertical of 2 is 2 contracts).
    pub fn size(&self) -> u32 {
        self.legs.iter().map(|l| l.quantity).max().unwrap_or(0)
    }

    /// Contracts of options across the legs.
    pub fn option_contracts(&self) -> u32 {
        self.legs
            .iter()
            .filter(|l| l.instrument_type == InstrumentType::EquityOption)
            .map(|l| l.quantity)
            .sum()
    }

    /// The cash the order moves at its limit when filled, before fees: price × size × 100 for
    /// option orders (× 1 for stock), positive for a credit.
    pub fn cash_at_limit(&self) -> f64 {
        let multiplier = self.legs.iter().map(OrderLeg::multiplier).fold(1.0, f64::max);
        self.price_effect.sign() * self.price * f64::from(self.size()) * multiplier
    }

    /// The ticket a trader reads: `SELL 1 SPY 2026-12-24 540 PUT @ 6.30 LMT credit, day`; a
    /// multi-leg order lists every leg.
    pub fn describe(&self) -> String {
        let legs: Vec<String> = self.legs.iter().map(describe_leg).collect();
        format!(
            "{} @ {} LMT {}, {}",
            legs.join(" / "),
            price_text(self.price),
            self.price_effect.as_str(),
            match self.time_in_force {
                TimeInForce::Day => "day",
                TimeInForce::Gtc => "good till cancelled",
            }
        )
    }
}

/// `SELL 1 SPY 2026-12-24 540 PUT (to open)`, or `BUY 100 SPY (to close)` for stock.
pub fn describe_leg(leg: &OrderLeg) -> String {
    let verb = if leg.action.sign() < 0.0 { "SELL" } else { "BUY" };
    let side = match leg.action.opens() {
        Some(true) => " to open",
        Some(false) => " to close",
        None => "",
    };
    match parse_occ(leg.symbol.as_str()) {
        Some(p) => format!(
            "{verb} {} {} {} {} {}{}",
            leg.quantity,
            p.root,
            p.expiration,
            p.strike,
            p.option_type.as_str().to_ascii_uppercase(),
            side
        ),
        None => format!("{verb} {} {}{}", leg.quantity, leg.symbol, side),
    }
}

/// What TastyTrade charges (as the demo account's ledger books it and the paper engine and the
/// fake TastyTrade charge): an option costs $1.00 a contract to open (at most $10 a leg) and
/// nothing to close, plus clearing ($0.10) and regulatory ($0.03) fees a contract either way;
/// stock costs no commission and $0.0008 a share of clearing.
pub mod fees {
    /// Commission per option contract opened.
    pub const OPTION_COMMISSION: f64 = 1.00;
    /// The most commission per option leg.
    pub const OPTION_COMMISSION_CAP: f64 = 10.00;
    /// Clearing fees per option contract, either way.
    pub const OPTION_CLEARING: f64 = 0.10;
    /// Regulatory fees per option contract, either way.
    pub const OPTION_REGULATORY: f64 = 0.03;
    /// Clearing and regulatory fees per option contract.
    pub const OPTION_FEES: f64 = OPTION_CLEARING + OPTION_REGULATORY;
    /// Clearing per share of stock.
    pub const STOCK_CLEARING: f64 = 0.0008;
}

/// The fees of `order` by the [`fees`] schedule.
pub fn order_fees(order: &OrderRequest) -> FeeCalculation {
    let cents = |v: f64| (v * 100.0).round() / 100.0;
    let mut out = FeeCalculation::default();
    for leg in &order.legs {
        let quantity = f64::from(leg.quantity);
        if leg.instrument_type == InstrumentType::EquityOption {
            if leg.action.opens() != Some(false) {
                out.commission += (fees::OPTION_COMMISSION * quantity).min(fees::OPTION_COMMISSION_CAP);
            }
            out.clearing_fees += fees::OPTION_CLEARING * quantity;
            out.regulatory_fees += fees::OPTION_REGULATORY * quantity;
        } else {
            out.clearing_fees += fees::STOCK_CLEARING * quantity;
        }
    }
    out.commission = cents(out.commission);
    out.clearing_fees = cents(out.clearing_fees);
    out.regulatory_fees = cents(out.regulatory_fees);
    out.total_fees = cents(out.commission + out.clearing_fees + out.regulatory_fees);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(action: TradeAction, quantity: u32) -> OrderLeg {
        OrderLeg {
            instrument_type: InstrumentType::EquityOption,
            symbol: Symbol::parse("SPY   261224P00540000").unwrap(),
            action,
            quantity,
        }
    }

    fn order(price: f64) -> OrderRequest {
        OrderRequest {
            underlying: Symbol::parse("SPY").unwrap(),
            time_in_force: TimeInForce::Day,
            price,
            price_effect: PriceEffect::Credit,
            legs: vec![put(TradeAction::SellToOpen, 1)],
        }
    }

    #[test]
    fn the_canonical_text_names_the_whole_order_and_binds_the_fingerprint() {
        let o = order(6.3);
        assert_eq!(
            o.canonical(),
            "Limit|Day|6.30|Credit|Equity Option,SPY   261224P00540000,Sell to Open,1"
        );
        assert_eq!(o.fingerprint().len(), 64);
        assert_eq!(o.code().len(), 8);
        // Every field changes the fingerprint; float noise does not.
        assert_eq!(order(6.300000000001).fingerprint(), o.fingerprint());
        assert_ne!(order(6.31).fingerprint(), o.fingerprint());
        let mut debit = o.clone();
        debit.price_effect = PriceEffect::Debit;
        let mut two = o.clone();
        two.legs = vec![put(TradeAction::SellToOpen, 2)];
        let mut gtc = o.clone();
        gtc.time_in_force = TimeInForce::Gtc;
        let mut close = o.clone();
        close.legs = vec![put(TradeAction::SellToClose, 1)];
        for other in [debit, two, gtc, close] {
            assert_ne!(other.fingerprint(), o.fingerprint(), "{}", other.canonical());
        }
        assert_eq!(
            o.describe(),
            "SELL 1 SPY 2026-12-24 540 PUT to open @ 6.30 LMT credit, day"
        );
        assert_eq!(o.cash_at_limit(), 630.0);
    }

    #[test]
    fn fees_follow_the_schedule() {
        // One contract opened: $1 commission + $0.10 + $0.03.
        let f = order_fees(&order(6.3));
        assert_eq!(
            (f.commission, f.clearing_fees, f.regulatory_fees, f.total_fees),
            (1.0, 0.1, 0.03, 1.13)
        );
        // Twelve contracts closed: no commission; opened: the $10 cap per leg.
        let mut twelve = order(1.0);
        twelve.legs = vec![put(TradeAction::BuyToClose, 12)];
        assert_eq!(order_fees(&twelve).commission, 0.0);
        twelve.legs = vec![put(TradeAction::SellToOpen, 12)];
        let f = order_fees(&twelve);
        assert_eq!((f.commission, f.total_fees), (10.0, 11.56));
    }

    #[test]
    fn statuses_read_the_apis_names() {
        assert_eq!(
            OrderStatus::from_api("cancel requested"),
            Some(OrderStatus::CancelRequested)
        );
        assert_eq!(OrderStatus::InFlight.api_name(), "In Flight");
        assert!(OrderStatus::Live.is_working() && !OrderStatus::Filled.is_working());
        assert_eq!(OrderStatus::from_api("nonsense"), None);
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;

    use super::*;

    fn order() -> impl Strategy<Value = OrderRequest> {
        let leg = (0u32..4, 1u32..500, 0usize..4, 1u32..20).prop_map(|(expiry, strike, action, quantity)| {
            let actions = [
                TradeAction::SellToOpen,
                TradeAction::BuyToOpen,
                TradeAction::BuyToClose,
                TradeAction::SellToClose,
            ];
            let date = Date::from_ymd(2026, 1 + expiry, 16).unwrap();
            OrderLeg {
                instrument_type: InstrumentType::EquityOption,
                symbol: Symbol::parse(&crate::domain::occ_symbol(
                    "SPY",
                    date,
                    OptionType::Put,
                    f64::from(strike),
                ))
                .unwrap(),
                action: actions[action],
                quantity,
            }
        });
        (
            prop::collection::vec(leg, 1..=4),
            1u32..100_000,
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(legs, cents, credit, day)| OrderRequest {
                underlying: Symbol::parse("SPY").unwrap(),
                time_in_force: if day { TimeInForce::Day } else { TimeInForce::Gtc },
                price: f64::from(cents) / 100.0,
                price_effect: if credit {
                    PriceEffect::Credit
                } else {
                    PriceEffect::Debit
                },
                legs,
            })
    }

    proptest! {
        #[test]
        fn two_orders_share_a_fingerprint_only_when_they_are_the_same_order(
            a in order(),
            other in order(),
            how in 0u8..3,
        ) {
            // The same order (or the same with float noise in its price) as often as another one.
            let b = match how {
                0 => a.clone(),
                1 => OrderRequest { price: a.price + 1e-9, ..a.clone() },
                _ => other,
            };
            let same = a.time_in_force == b.time_in_force
                && price_text(a.price) == price_text(b.price)
                && a.price_effect == b.price_effect
                && a.legs == b.legs;
            prop_assert_eq!(a.fingerprint() == b.fingerprint(), same);
            prop_assert_eq!(a.code().len(), 8);
        }

        #[test]
        fn an_order_held_by_a_broker_is_the_order_sent(a in order()) {
            let held = crate::app::orders::simulate::received(&a, &AccountNumber::new("5WT00001"), None, crate::time::Timestamp::from_millis(0));
            prop_assert_eq!(held.request().unwrap().fingerprint(), a.fingerprint());
        }
    }
}
