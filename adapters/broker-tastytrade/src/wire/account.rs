//! The account's answers: accounts, balances, positions, transactions, net liq and watchlists.

use serde::Deserialize;
use ttai_core::time::{Date, Timestamp};

use super::de;

/// One element of `GET /customers/me/accounts`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct AccountItem {
    /// The account.
    #[serde(default)]
    pub(crate) account: Option<AccountWire>,
}

/// An account.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct AccountWire {
    /// `5WT00001`.
    #[serde(default, deserialize_with = "de::text")]
    pub(crate) account_number: Option<String>,
    /// The customer's name for it.
    #[serde(default)]
    pub(crate) nickname: Option<String>,
    /// `Individual`, `IRA`, ...
    #[serde(default)]
    pub(crate) account_type_name: Option<String>,
    /// `Margin` or `Cash`.
    #[serde(default)]
    pub(crate) margin_or_cash: Option<String>,
    /// Closed accounts are left out.
    #[serde(default, deserialize_with = "de::flag")]
    pub(crate) is_closed: Option<bool>,
}

/// `GET /accounts/{n}/balances`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct BalancesWire {
    /// Cash.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) cash_balance: Option<f64>,
    /// Net liquidating value.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) net_liquidating_value: Option<f64>,
    /// Stock buying power.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) equity_buying_power: Option<f64>,
    /// Option buying power.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) derivative_buying_power: Option<f64>,
    /// Day-trading buying power.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) day_trading_buying_power: Option<f64>,
    /// Maintenance requirement.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) maintenance_requirement: Option<f64>,
    /// Maintenance excess.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) maintenance_excess: Option<f64>,
    /// Cash available to withdraw.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) cash_available_to_withdraw: Option<f64>,
    /// Pending cash, unsigned.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) pending_cash: Option<f64>,
    /// `Credit`, `Debit` or `None`: the sign of `pending-cash`.
    #[serde(default)]
    pub(crate) pending_cash_effect: Option<String>,
    /// When the figures were computed.
    #[serde(default, deserialize_with = "de::timestamp")]
    pub(crate) updated_at: Option<Timestamp>,
}

/// One element of `GET /accounts/{n}/positions`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct PositionWire {
    /// The instrument, OCC for equity options.
    #[serde(default)]
    pub(crate) symbol: Option<String>,
    /// `Equity`, `Equity Option`, `Future`, ...
    #[serde(default)]
    pub(crate) instrument_type: Option<String>,
    /// The underlying.
    #[serde(default)]
    pub(crate) underlying_symbol: Option<String>,
    /// Unsigned quantity.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) quantity: Option<f64>,
    /// `Long`, `Short` or `Zero`: the sign of `quantity`.
    #[serde(default)]
    pub(crate) quantity_direction: Option<String>,
    /// Previous close per unit.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) close_price: Option<f64>,
    /// Average open price per unit.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) average_open_price: Option<f64>,
    /// Contract multiplier.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) multiplier: Option<f64>,
    /// Current mark per unit, with `include-marks=true`.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) mark_price: Option<f64>,
    /// Current mark, with `include-marks=true`; used when `mark-price` is absent.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) mark: Option<f64>,
    /// When the position was opened.
    #[serde(default, deserialize_with = "de::timestamp")]
    pub(crate) created_at: Option<Timestamp>,
}

/// One element of `GET /accounts/{n}/transactions`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct TransactionWire {
    /// The id.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) id: Option<f64>,
    /// The instrument.
    #[serde(default)]
    pub(crate) symbol: Option<String>,
    /// `Equity`, `Equity Option`, ...
    #[serde(default)]
    pub(crate) instrument_type: Option<String>,
    /// The underlying.
    #[serde(default)]
    pub(crate) underlying_symbol: Option<String>,
    /// `Trade`, `Receive Deliver`, `Money Movement`, ...
    #[serde(default)]
    pub(crate) transaction_type: Option<String>,
    /// `Sell to Open`, `Expiration`, `Dividend`, ...
    #[serde(default)]
    pub(crate) transaction_sub_type: Option<String>,
    /// The broker's words.
    #[serde(default)]
    pub(crate) description: Option<String>,
    /// `Buy to Open`, ..., `Buy`, `Sell`.
    #[serde(default)]
    pub(crate) action: Option<String>,
    /// Unsigned quantity.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) quantity: Option<f64>,
    /// Price per unit.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) price: Option<f64>,
    /// When it happened.
    #[serde(default, deserialize_with = "de::timestamp")]
    pub(crate) executed_at: Option<Timestamp>,
    /// The trade date.
    #[serde(default, deserialize_with = "de::date")]
    pub(crate) transaction_date: Option<Date>,
    /// Cash before fees, unsigned.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) value: Option<f64>,
    /// `Credit`, `Debit` or `None`.
    #[serde(default)]
    pub(crate) value_effect: Option<String>,
    /// Cash after fees, unsigned.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) net_value: Option<f64>,
    /// Its effect.
    #[serde(default)]
    pub(crate) net_value_effect: Option<String>,
    /// Commission.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) commission: Option<f64>,
    /// Its effect.
    #[serde(default)]
    pub(crate) commission_effect: Option<String>,
    /// Clearing fees.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) clearing_fees: Option<f64>,
    /// Their effect.
    #[serde(default)]
    pub(crate) clearing_fees_effect: Option<String>,
    /// Regulatory fees.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) regulatory_fees: Option<f64>,
    /// Their effect.
    #[serde(default)]
    pub(crate) regulatory_fees_effect: Option<String>,
    /// Index option fees.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) proprietary_index_option_fees: Option<f64>,
    /// Their effect.
    #[serde(default)]
    pub(crate) proprietary_index_option_fees_effect: Option<String>,
    /// Any other charge.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) other_charge: Option<f64>,
    /// Its effect.
    #[serde(default)]
    pub(crate) other_charge_effect: Option<String>,
}

/// One element of `GET /accounts/{n}/net-liq/history` (the SDK's `NetLiqOhlc`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct NetLiqWire {
    /// Net liq at the interval's start.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) open: Option<f64>,
    /// Highest.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) high: Option<f64>,
    /// Lowest.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) low: Option<f64>,
    /// At `time`.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) close: Option<f64>,
    /// Pending cash at `time`.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) pending_cash_close: Option<f64>,
    /// `2023-06-08 13:30:00+00`.
    #[serde(default, deserialize_with = "de::timestamp")]
    pub(crate) time: Option<Timestamp>,
}

/// One element of `GET /watchlists`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct WatchlistWire {
    /// Its name.
    #[serde(default)]
    pub(crate) name: Option<String>,
    /// Its symbols.
    #[serde(default = "Vec::new", deserialize_with = "de::items")]
    pub(crate) watchlist_entries: Vec<WatchlistEntryWire>,
    /// The group (`default` when none).
    #[serde(default)]
    pub(crate) group_name: Option<String>,
    /// Its place among the watchlists.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) order_index: Option<f64>,
}

/// One symbol of a watchlist.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct WatchlistEntryWire {
    /// The symbol.
    #[serde(default)]
    pub(crate) symbol: Option<String>,
    /// `Equity`, `Future`, ...
    #[serde(default)]
    pub(crate) instrument_type: Option<String>,
}
