//! What a broker says about orders: the orders it holds with their legs and fills, a dry run's
//! buying-power effect and fees, its warnings and errors, and which orders to list.

use super::*;

/// A fill of one leg.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderFill {
    /// Contracts or shares filled.
    pub quantity: f64,
    /// The price per share or option.
    pub price: f64,
    /// When.
    pub filled_at: Timestamp,
}

/// One leg of an order the broker holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderLegState {
    /// Equity or equity option.
    pub instrument_type: InstrumentType,
    /// The symbol.
    pub symbol: Symbol,
    /// The action.
    pub action: TradeAction,
    /// Quantity ordered.
    pub quantity: f64,
    /// Quantity not yet filled.
    pub remaining_quantity: f64,
    /// Its fills.
    #[serde(default)]
    pub fills: Vec<OrderFill>,
}

/// An order as the broker holds it (or, without an id, as a dry run would place it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Order {
    /// The broker's id (`None` in a dry run).
    #[serde(default)]
    pub id: Option<String>,
    /// The account.
    pub account: AccountNumber,
    /// The underlying.
    pub underlying: Symbol,
    /// Where it stands.
    pub status: OrderStatus,
    /// Day or GTC.
    pub time_in_force: TimeInForce,
    /// `Limit`, `Market`, ... as the broker says.
    pub order_type: String,
    /// The limit per share (positive).
    #[serde(default)]
    pub price: Option<f64>,
    /// Credit or debit.
    #[serde(default)]
    pub price_effect: Option<PriceEffect>,
    /// Contracts (the largest leg).
    #[serde(default)]
    pub size: Option<f64>,
    /// The legs.
    pub legs: Vec<OrderLegState>,
    /// When the broker received it.
    #[serde(default)]
    pub received_at: Option<Timestamp>,
    /// When it last changed.
    #[serde(default)]
    pub updated_at: Option<Timestamp>,
    /// When it filled, was cancelled, expired or was rejected.
    #[serde(default)]
    pub terminal_at: Option<Timestamp>,
    /// True while a cancel may be asked for.
    #[serde(default)]
    pub cancellable: bool,
    /// Why it was rejected.
    #[serde(default)]
    pub reject_reason: Option<String>,
    /// The identifier ttai gave it (`ttai-<order code>`), when it came from ttai.
    #[serde(default)]
    pub external_identifier: Option<String>,
}

impl Order {
    /// The order as the request that would make it (limit orders of known legs), for the paper
    /// engine and for comparing what a broker holds with what was sent.
    pub fn request(&self) -> Option<OrderRequest> {
        let legs = self
            .legs
            .iter()
            .map(|l| {
                let quantity = l.quantity.round();
                (quantity >= 1.0 && quantity <= f64::from(u32::MAX)).then(|| OrderLeg {
                    instrument_type: l.instrument_type,
                    symbol: l.symbol.clone(),
                    action: l.action,
                    quantity: quantity as u32,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(OrderRequest {
            underlying: self.underlying.clone(),
            time_in_force: self.time_in_force,
            price: self.price?,
            price_effect: self.price_effect?,
            legs,
        })
    }

    /// The average net fill price per unit of the order (positive), when every leg filled.
    pub fn fill_price(&self) -> Option<f64> {
        let size = self.size.filter(|s| *s > 0.0)?;
        let mut net = 0.0;
        for leg in &self.legs {
            if leg.fills.is_empty() {
                return None;
            }
            net += leg
                .fills
                .iter()
                .map(|f| -leg.action.sign() * f.price * f.quantity)
                .sum::<f64>();
        }
        Some((net / size).abs())
    }
}

/// TastyTrade's estimate of what an order does to buying power. Signed like the API after its
/// `-effect` fields: a debit (buying power or requirement used) is negative.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BuyingPowerEffect {
    /// Change in the margin requirement (negative: the requirement grows).
    pub change_in_margin_requirement: f64,
    /// Change in buying power (negative: buying power is used).
    pub change_in_buying_power: f64,
    /// Buying power before the order.
    pub current_buying_power: f64,
    /// Buying power after it.
    pub new_buying_power: f64,
    /// The order's own margin requirement (negative: a requirement).
    pub isolated_order_margin_requirement: f64,
    /// True when the broker margins it as a spread.
    pub is_spread: bool,
    /// The size of the change (unsigned).
    pub impact: f64,
    /// Whether the impact is a debit or a credit.
    pub effect: Option<PriceEffect>,
}

impl BuyingPowerEffect {
    /// Buying power the order uses (positive), or frees (negative).
    pub fn used(&self) -> f64 {
        -self.change_in_buying_power
    }
}

/// The fees of an order, as costs: positive when charged.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FeeCalculation {
    /// Regulatory fees.
    pub regulatory_fees: f64,
    /// Clearing fees.
    pub clearing_fees: f64,
    /// Commission.
    pub commission: f64,
    /// Proprietary index option fees.
    pub proprietary_index_option_fees: f64,
    /// The total.
    pub total_fees: f64,
}

/// A warning or error of the broker about an order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OrderMessage {
    /// The broker's code, e.g. `margin_check_failed`.
    pub code: String,
    /// Its words.
    pub message: String,
}

/// The broker's answer to a dry run or a placed order: the order, its buying-power effect and
/// fees, warnings, and the errors that would refuse it (a dry run that fails the broker's
/// preflight checks still reports its buying-power effect).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderPreview {
    /// The order as the broker would place it (or placed it); `None` when a failed dry run
    /// returned only its buying-power effect.
    pub order: Option<Order>,
    /// The effect on buying power.
    pub buying_power_effect: Option<BuyingPowerEffect>,
    /// The fees.
    pub fees: Option<FeeCalculation>,
    /// Warnings that do not stop it.
    pub warnings: Vec<OrderMessage>,
    /// Errors that refuse it (empty when the broker would accept it).
    pub errors: Vec<OrderMessage>,
}

impl OrderPreview {
    /// True when the broker reports no error.
    pub fn accepted(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Which orders to list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderQuery {
    /// Today's orders, whatever their status (TastyTrade's `/orders/live`).
    Live,
    /// Orders since a date, newest first, at most `limit`.
    Since {
        /// The first day.
        date: Date,
        /// The most orders.
        limit: usize,
    },
}
