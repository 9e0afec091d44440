//! Orders: the order, its legs and fills, a dry run's buying-power effect and fees, messages.

use serde::Deserialize;
use ttai_core::time::Timestamp;

use super::{ErrorObject, de};

/// An order (`PlacedOrder`, or the dry run's `UnplacedOrder` without an id).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct OrderWire {
    /// The id (a number).
    #[serde(default, deserialize_with = "de::text")]
    pub(crate) id: Option<String>,
    /// `Day`, `GTC`, ...
    #[serde(default)]
    pub(crate) time_in_force: Option<String>,
    /// `Limit`, `Market`, ...
    #[serde(default)]
    pub(crate) order_type: Option<String>,
    /// Contracts.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) size: Option<f64>,
    /// The underlying.
    #[serde(default)]
    pub(crate) underlying_symbol: Option<String>,
    /// The limit, unsigned.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) price: Option<f64>,
    /// `Credit` or `Debit`.
    #[serde(default)]
    pub(crate) price_effect: Option<String>,
    /// `Received`, `Live`, `Filled`, ...
    #[serde(default)]
    pub(crate) status: Option<String>,
    /// A cancel may be asked for.
    #[serde(default, deserialize_with = "de::flag")]
    pub(crate) cancellable: Option<bool>,
    /// When received.
    #[serde(default, deserialize_with = "de::timestamp")]
    pub(crate) received_at: Option<Timestamp>,
    /// When it last changed (epoch ms or text; 0 in a dry run).
    #[serde(default, deserialize_with = "de::timestamp")]
    pub(crate) updated_at: Option<Timestamp>,
    /// When it ended.
    #[serde(default, deserialize_with = "de::timestamp")]
    pub(crate) terminal_at: Option<Timestamp>,
    /// Why it was rejected.
    #[serde(default)]
    pub(crate) reject_reason: Option<String>,
    /// The identifier the sender gave it.
    #[serde(default)]
    pub(crate) external_identifier: Option<String>,
    /// The legs.
    #[serde(default = "Vec::new", deserialize_with = "de::items")]
    pub(crate) legs: Vec<OrderLegWire>,
}

/// One leg of an order.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct OrderLegWire {
    /// `Equity Option`, ...
    #[serde(default)]
    pub(crate) instrument_type: Option<String>,
    /// The symbol.
    #[serde(default)]
    pub(crate) symbol: Option<String>,
    /// `Sell to Open`, ...
    #[serde(default)]
    pub(crate) action: Option<String>,
    /// Quantity ordered.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) quantity: Option<f64>,
    /// Quantity not filled.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) remaining_quantity: Option<f64>,
    /// Fills.
    #[serde(default = "Vec::new", deserialize_with = "de::items")]
    pub(crate) fills: Vec<FillWire>,
}

/// One fill of a leg.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct FillWire {
    /// Quantity filled.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) quantity: Option<f64>,
    /// Price.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) fill_price: Option<f64>,
    /// When.
    #[serde(default, deserialize_with = "de::timestamp")]
    pub(crate) filled_at: Option<Timestamp>,
}

/// `buying-power-effect` of a dry run or a placed order: unsigned amounts with `-effect`s.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct BuyingPowerWire {
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) change_in_margin_requirement: Option<f64>,
    #[serde(default)]
    pub(crate) change_in_margin_requirement_effect: Option<String>,
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) change_in_buying_power: Option<f64>,
    #[serde(default)]
    pub(crate) change_in_buying_power_effect: Option<String>,
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) current_buying_power: Option<f64>,
    #[serde(default)]
    pub(crate) current_buying_power_effect: Option<String>,
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) new_buying_power: Option<f64>,
    #[serde(default)]
    pub(crate) new_buying_power_effect: Option<String>,
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) isolated_order_margin_requirement: Option<f64>,
    #[serde(default)]
    pub(crate) isolated_order_margin_requirement_effect: Option<String>,
    #[serde(default, deserialize_with = "de::flag")]
    pub(crate) is_spread: Option<bool>,
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) impact: Option<f64>,
    #[serde(default)]
    pub(crate) effect: Option<String>,
}

/// `fee-calculation`: unsigned amounts with `-effect`s.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct FeesWire {
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) regulatory_fees: Option<f64>,
    #[serde(default)]
    pub(crate) regulatory_fees_effect: Option<String>,
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) clearing_fees: Option<f64>,
    #[serde(default)]
    pub(crate) clearing_fees_effect: Option<String>,
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) commission: Option<f64>,
    #[serde(default)]
    pub(crate) commission_effect: Option<String>,
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) proprietary_index_option_fees: Option<f64>,
    #[serde(default)]
    pub(crate) proprietary_index_option_fees_effect: Option<String>,
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) total_fees: Option<f64>,
    #[serde(default)]
    pub(crate) total_fees_effect: Option<String>,
}

/// A warning or error about an order: `{code, message[, preflight-id]}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct OrderMessageWire {
    #[serde(default, deserialize_with = "de::text")]
    pub(crate) code: Option<String>,
    #[serde(default, deserialize_with = "de::text")]
    pub(crate) message: Option<String>,
}

/// The `data` of a dry run or a placed order.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct OrderAnswerWire {
    #[serde(default)]
    pub(crate) order: Option<OrderWire>,
    #[serde(default)]
    pub(crate) buying_power_effect: Option<BuyingPowerWire>,
    #[serde(default)]
    pub(crate) fee_calculation: Option<FeesWire>,
    #[serde(default = "Vec::new", deserialize_with = "de::items")]
    pub(crate) warnings: Vec<OrderMessageWire>,
    #[serde(default = "Vec::new", deserialize_with = "de::items")]
    pub(crate) errors: Vec<OrderMessageWire>,
}

/// An order answer as a whole: `data`, `error`, or both (a dry run refused by the broker's
/// preflight checks still reports its buying-power effect).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct OrderEnvelopeWire {
    #[serde(default)]
    pub(crate) data: Option<OrderAnswerWire>,
    #[serde(default)]
    pub(crate) error: Option<ErrorObject>,
}
