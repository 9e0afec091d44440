use std::fmt;

use serde::{Deserialize, Serialize};

use super::{InstrumentType, OptionType, Symbol, expiry_instant};
use crate::time::{Date, Timestamp};

/// A brokerage account number. Shown masked (`5WT•••01`) everywhere but in the broker calls.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccountNumber(String);

impl AccountNumber {
    /// Wraps an account number as the broker spells it.
    pub fn new(text: impl Into<String>) -> AccountNumber {
        AccountNumber(text.into())
    }

    /// The full number, for broker calls.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first three and last two characters, the rest as dots: `5WT•••01`.
    pub fn masked(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        if chars.len() <= 5 {
            return "•".repeat(chars.len());
        }
        let head: String = chars.iter().take(3).collect();
        let tail: String = chars.iter().skip(chars.len() - 2).collect();
        format!("{head}{}{tail}", "•".repeat(chars.len() - 5))
    }
}

impl fmt::Debug for AccountNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccountNumber({})", self.masked())
    }
}

impl fmt::Display for AccountNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An account the logged-in customer can see.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Account {
    /// The account number.
    pub number: AccountNumber,
    /// The customer's nickname for it.
    #[serde(default)]
    pub nickname: Option<String>,
    /// "Individual", "IRA", ...
    #[serde(default)]
    pub account_type: Option<String>,
    /// "Margin" or "Cash".
    #[serde(default)]
    pub margin_or_cash: Option<String>,
}

/// Balances of one account.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Balances {
    /// The account.
    pub account: AccountNumber,
    /// Net liquidating value.
    pub net_liquidating_value: f64,
    /// Cash balance.
    pub cash_balance: f64,
    /// Buying power for stock.
    pub equity_buying_power: f64,
    /// Buying power for options (what a short put consumes).
    pub derivative_buying_power: f64,
    /// Maintenance requirement of open positions.
    pub maintenance_requirement: f64,
    /// Net liq above the maintenance requirement.
    #[serde(default)]
    pub maintenance_excess: Option<f64>,
    /// Day-trading buying power.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day_trading_buying_power: Option<f64>,
    /// Cash available to withdraw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cash_available_to_withdraw: Option<f64>,
    /// Pending cash (signed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_cash: Option<f64>,
    /// When the broker computed the figures.
    pub as_of: Timestamp,
}

/// An open position.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Position {
    /// The account holding it.
    pub account: AccountNumber,
    /// The instrument's symbol (OCC for options).
    pub symbol: Symbol,
    /// The kind of instrument.
    pub instrument_type: InstrumentType,
    /// The underlying's symbol (the symbol itself for stock).
    pub underlying: Symbol,
    /// Signed quantity: negative when short.
    pub quantity: f64,
    /// Average open price per share or per option (not per contract).
    pub average_open_price: f64,
    /// Previous close, per share or per option.
    #[serde(default)]
    pub close_price: Option<f64>,
    /// Current mark per share or option, when the broker gave one.
    #[serde(default)]
    pub mark: Option<f64>,
    /// Contract multiplier (100 for equity options, 1 for stock).
    pub multiplier: f64,
    /// Call or put, for options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub option_type: Option<OptionType>,
    /// Strike, for options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strike: Option<f64>,
    /// Expiration date, for options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration: Option<Date>,
    /// When the position was opened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opened_at: Option<Timestamp>,
}

impl Position {
    /// True for long positions.
    pub fn is_long(&self) -> bool {
        self.quantity > 0.0
    }

    /// Unrealized P&L at `mark`, in currency: (mark − open) × quantity × multiplier.
    pub fn unrealized_pnl(&self, mark: f64) -> f64 {
        (mark - self.average_open_price) * self.quantity * self.multiplier
    }

    /// For an option past its expiration at `now` (16:00 New York on its expiration date, when
    /// it stops trading; the broker lists it until it processes expirations, overnight), what
    /// the expiration left, judged at `underlying_price`; `None` for anything else.
    pub fn past_expiration(&self, now: Timestamp, underlying_price: Option<f64>) -> Option<Expired> {
        let (option_type, expiration) = (self.option_type?, self.expiration?);
        if now < expiry_instant(expiration) {
            return None;
        }
        Some(Expired {
            expiration,
            in_the_money: self
                .strike
                .and_then(|strike| option_type.in_the_money(strike, underlying_price)),
        })
    }
}

/// What an option past its expiration date left.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Expired {
    /// Its expiration date.
    pub expiration: Date,
    /// In the money at the underlying's price (exercised or assigned: shares move when the
    /// broker processes it); `Some(false)`: expired worthless; `None`: not known (no price, or
    /// exactly at the strike).
    pub in_the_money: Option<bool>,
}

impl Expired {
    /// Expired worthless: nothing follows from it, and nothing of it counts any more.
    pub fn worthless(&self) -> bool {
        self.in_the_money == Some(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_option_past_its_expiration_is_told_worthless_or_in_the_money() {
        let date = |s: &str| s.parse::<Date>().unwrap();
        let option = |option_type, strike: f64| Position {
            account: AccountNumber::new("5WT00001"),
            symbol: Symbol::parse("SPY   260529P00555000").unwrap(),
            instrument_type: InstrumentType::EquityOption,
            underlying: Symbol::parse("SPY").unwrap(),
            quantity: -1.0,
            average_open_price: 5.0,
            close_price: None,
            mark: Some(0.0),
            multiplier: 100.0,
            option_type: Some(option_type),
            strike: Some(strike),
            expiration: Some(date("2026-05-29")),
            opened_at: None,
        };
        let put = option(OptionType::Put, 555.0);
        let at = |s: &str| s.parse::<Timestamp>().unwrap();
        // Before 16:00 New York (20:00 UTC in May) on its expiration day, it trades.
        assert_eq!(put.past_expiration(at("2026-05-28T20:00:00Z"), Some(500.0)), None);
        assert_eq!(put.past_expiration(at("2026-05-29T19:59:59Z"), Some(500.0)), None);
        // From the close that day it is past its expiration, listed until it is processed.
        let closed = put
            .past_expiration(at("2026-05-29T20:00:00Z"), Some(500.0))
            .unwrap();
        assert_eq!(closed.in_the_money, Some(true));
        let after = at("2026-06-01T00:00:00Z");
        let worthless = put.past_expiration(after, Some(560.0)).unwrap();
        assert!(worthless.worthless());
        assert_eq!(worthless.expiration, date("2026-05-29"));
        assert_eq!(
            put.past_expiration(after, Some(550.0)).unwrap().in_the_money,
            Some(true)
        );
        let call = option(OptionType::Call, 240.0);
        assert_eq!(
            call.past_expiration(after, Some(246.1)).unwrap().in_the_money,
            Some(true)
        );
        assert!(call.past_expiration(after, Some(230.0)).unwrap().worthless());
        // No price, or exactly at the strike: not known, never taken for worthless.
        for price in [None, Some(240.0), Some(f64::NAN), Some(0.0)] {
            let expired = call.past_expiration(after, price).unwrap();
            assert_eq!(expired.in_the_money, None);
            assert!(!expired.worthless());
        }
        // Shares have no expiration.
        let shares = Position {
            option_type: None,
            strike: None,
            expiration: None,
            ..put
        };
        assert_eq!(shares.past_expiration(after, Some(1.0)), None);
    }

    #[test]
    fn account_numbers_are_masked() {
        assert_eq!(AccountNumber::new("5WT00001").masked(), "5WT•••01");
        assert_eq!(AccountNumber::new("12").masked(), "••");
        assert!(!format!("{:?}", AccountNumber::new("5WT00001")).contains("00001"));
    }
}
