//! The order answers as the tools show them: previews, placed orders, the order list, cancels.

use super::*;

/// The order as the answers show it.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct OrderView {
    /// The ticket: `SELL 1 SPY 2026-12-24 540 PUT to open @ 6.30 LMT credit, day`.
    pub ticket: String,
    /// The underlying.
    pub underlying: String,
    /// Always `limit`.
    #[schemars(extend("enum" = ["limit"]))]
    pub order_type: &'static str,
    /// `day` or `gtc`.
    pub time_in_force: TimeInForce,
    /// The limit per share, on the tick.
    pub price: f64,
    /// `credit` or `debit`.
    pub price_effect: PriceEffect,
    /// Contracts (the largest leg).
    pub size: u32,
    /// The legs with their markets now.
    pub legs: Vec<LegView>,
    /// Cash at the limit when filled, before fees ($, credit positive).
    pub cash_at_limit: f64,
}

/// What the broker's dry run said.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct BrokerVerdict {
    /// True when the broker reports no error.
    pub accepted: bool,
    /// Buying power the order uses ($, negative when it frees some).
    pub buying_power_used: Option<f64>,
    /// The broker's figures (signed: a debit is negative).
    pub buying_power_effect: Option<BuyingPowerEffect>,
    /// Fees (costs, positive).
    pub fees: Option<FeeCalculation>,
    /// Warnings.
    pub warnings: Vec<OrderMessage>,
    /// Errors that refuse it.
    pub errors: Vec<OrderMessage>,
}

impl BrokerVerdict {
    pub(super) fn of(preview: &OrderPreview) -> BrokerVerdict {
        BrokerVerdict {
            accepted: preview.accepted(),
            buying_power_used: preview
                .buying_power_effect
                .as_ref()
                .map(|b| round_to(b.used(), 2)),
            buying_power_effect: preview.buying_power_effect.clone(),
            fees: preview.fees.clone(),
            warnings: preview.warnings.clone(),
            errors: preview.errors.clone(),
        }
    }
}

/// The server's limits, as the answers show them.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct LimitsView {
    /// The most contracts per order.
    pub max_contracts_per_order: u32,
    /// The most buying power per order, percent of net liq.
    pub max_order_bp_percent: f64,
    /// How long a confirmation stays valid, seconds.
    pub confirmation_valid_seconds: u64,
}

/// The answer of `preview_order`.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PreviewView {
    /// True when orders are simulated (paper trading): nothing reaches a real account.
    pub paper: bool,
    /// The account, masked.
    pub account: String,
    /// The exact order.
    pub order: OrderView,
    /// Its fingerprint: SHA-256 of its canonical text.
    pub order_hash: String,
    /// The first 8 hex digits: the code a confirmation names.
    pub order_code: String,
    /// The order's price against the market now.
    pub market: Option<MarketPrice>,
    /// `given` or `market`.
    #[schemars(extend("enum" = ["given", "market"]))]
    pub price_from: &'static str,
    /// The analysis candidate it came from.
    pub from_analysis: Option<FromAnalysis>,
    /// The broker's dry run.
    pub broker: BrokerVerdict,
    /// ttai's checks, most severe first.
    pub checks: Vec<Caution>,
    /// True when no check blocks it.
    pub placeable: bool,
    /// True when this server may place orders (`--allow-orders`).
    pub orders_enabled: bool,
    /// The server's limits.
    pub limits: LimitsView,
    /// What to do next.
    pub next_step: String,
    /// Market clock.
    pub as_of: String,
    /// Data source.
    pub source: String,
    /// True for made-up data.
    pub synthetic: bool,
}

/// The answer of `place_order`.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PlacedView {
    /// True when the order was sent and the broker took it.
    pub placed: bool,
    /// `placed`, `declined` or `cancelled` (the person's choice).
    #[schemars(extend("enum" = ["placed", "declined", "cancelled"]))]
    pub outcome: &'static str,
    /// True for paper trading.
    pub paper: bool,
    /// The account, masked.
    pub account: String,
    /// The order asked for.
    pub order: OrderView,
    /// Its fingerprint.
    pub order_hash: String,
    /// The order as the broker holds it (with its id), when placed.
    pub broker_order: Option<OrderSummary>,
    /// The broker's buying-power effect and fees of the placed order.
    pub broker: Option<BrokerVerdict>,
    /// One sentence.
    pub message: String,
    /// Data source.
    pub source: String,
    /// True for made-up data.
    pub synthetic: bool,
}

/// One order as `list_orders` shows it.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct OrderSummary {
    /// The broker's id.
    pub id: Option<String>,
    /// `live`, `filled`, `cancelled`, ...
    pub status: OrderStatus,
    /// The ticket.
    pub ticket: String,
    /// The underlying.
    pub underlying: String,
    /// The limit.
    pub price: Option<f64>,
    /// Credit or debit.
    pub price_effect: Option<PriceEffect>,
    /// Contracts.
    pub size: Option<f64>,
    /// Day or GTC.
    pub time_in_force: TimeInForce,
    /// Contracts not yet filled (the largest leg's).
    pub remaining: f64,
    /// The average net fill price, when filled.
    pub fill_price: Option<f64>,
    /// When received.
    pub received_at: Option<String>,
    /// When it filled, was cancelled or expired.
    pub terminal_at: Option<String>,
    /// True while a cancel may be asked for.
    pub cancellable: bool,
    /// Why it was rejected.
    pub reject_reason: Option<String>,
}

impl OrderSummary {
    /// The summary of a broker's order.
    pub fn of(order: &Order) -> OrderSummary {
        let ticket = order.request().map_or_else(
            || {
                order
                    .legs
                    .iter()
                    .map(|l| format!("{} {} {}", l.action.api_name(), l.quantity, l.symbol))
                    .collect::<Vec<_>>()
                    .join(" / ")
            },
            |r| r.describe(),
        );
        OrderSummary {
            id: order.id.clone(),
            status: order.status,
            ticket,
            underlying: order.underlying.to_string(),
            price: order.price,
            price_effect: order.price_effect,
            size: order.size,
            time_in_force: order.time_in_force,
            remaining: order
                .legs
                .iter()
                .map(|l| l.remaining_quantity)
                .fold(0.0, f64::max),
            fill_price: order.fill_price().map(|p| round_to(p, 4)),
            received_at: order.received_at.map(|t| t.to_string()),
            terminal_at: order.terminal_at.map(|t| t.to_string()),
            cancellable: order.cancellable && order.status.is_working(),
            reject_reason: order.reject_reason.clone(),
        }
    }
}

/// The answer of `list_orders`.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct OrdersView {
    /// True for paper trading.
    pub paper: bool,
    /// The account, masked.
    pub account: String,
    /// Today's orders (working first).
    pub today: Vec<OrderSummary>,
    /// Earlier orders since `since`, newest first.
    pub recent: Vec<OrderSummary>,
    /// The first day of `recent`.
    pub since: String,
    /// Orders still working.
    pub working: usize,
    /// Market clock.
    pub as_of: String,
    /// Data source.
    pub source: String,
    /// True for made-up data.
    pub synthetic: bool,
}

/// The answer of `cancel_order`.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct CancelView {
    /// True when the broker took the cancel.
    pub cancelled: bool,
    /// `cancelled`, `declined` or `dismissed`.
    #[schemars(extend("enum" = ["cancelled", "declined", "dismissed"]))]
    pub outcome: &'static str,
    /// True for paper trading.
    pub paper: bool,
    /// The account, masked.
    pub account: String,
    /// The order as it stands after.
    pub order: OrderSummary,
    /// One sentence.
    pub message: String,
    /// Data source.
    pub source: String,
    /// True for made-up data.
    pub synthetic: bool,
}
