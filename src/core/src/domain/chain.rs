use serde::{Deserialize, Serialize};

use super::{OptionType, Symbol};
use crate::time::{Date, Timestamp};

/// An option chain with the market of every contract, as a broker returns it.
///
/// Greeks and implied volatilities computed by ttai are not part of this type; they are derived
/// from it (see `app::chain`), so a recorded chain stays what the broker said.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OptionChain {
    /// The underlying's symbol.
    pub underlying: Symbol,
    /// The underlying's price when the chain's quotes were taken, when known.
    #[serde(default)]
    pub underlying_price: Option<f64>,
    /// Shares per contract (100 for standard equity options).
    pub shares_per_contract: u32,
    /// Exercise style as the exchange lists it ("American" for US equity options).
    #[serde(default = "default_exercise_style")]
    pub exercise_style: String,
    /// Expirations, soonest first.
    pub expirations: Vec<Expiration>,
    /// When the quotes were taken.
    pub as_of: Timestamp,
}

fn default_exercise_style() -> String {
    "American".to_owned()
}

/// One expiration date with its strikes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Expiration {
    /// The expiration date.
    pub date: Date,
    /// "Regular" (monthly), "Weekly", "Quarterly" or "End-Of-Month", as listed.
    #[serde(default = "default_expiration_type")]
    pub expiration_type: String,
    /// "AM" or "PM" settlement.
    #[serde(default = "default_settlement")]
    pub settlement: String,
    /// Strikes, lowest first.
    pub strikes: Vec<StrikeRow>,
    /// What this expiration's options deliver when it is not the chain's underlying: the futures
    /// contract of options on a future (`/ESU5` under the `/ES` chain), with its price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub underlying: Option<ExpirationUnderlying>,
}

/// The instrument an expiration's options deliver, when it differs from the chain's underlying.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExpirationUnderlying {
    /// Its symbol, e.g. the futures contract `/ESU5`.
    pub symbol: Symbol,
    /// Its price when the chain's quotes were taken, when known.
    #[serde(default)]
    pub price: Option<f64>,
}

fn default_expiration_type() -> String {
    "Regular".to_owned()
}

fn default_settlement() -> String {
    "PM".to_owned()
}

/// The call and the put at one strike.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StrikeRow {
    /// The strike price.
    pub strike: f64,
    /// The call at this strike, when listed.
    #[serde(default)]
    pub call: Option<OptionContract>,
    /// The put at this strike, when listed.
    #[serde(default)]
    pub put: Option<OptionContract>,
}

impl StrikeRow {
    /// The contract of one side.
    pub fn side(&self, option_type: OptionType) -> Option<&OptionContract> {
        match option_type {
            OptionType::Call => self.call.as_ref(),
            OptionType::Put => self.put.as_ref(),
        }
    }
}

/// One listed option with its market.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OptionContract {
    /// OCC symbol, e.g. `SPY   250117P00450000`.
    pub symbol: String,
    /// Streamer symbol for market data, e.g. `.SPY250117P450`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub streamer_symbol: Option<String>,
    /// Best bid.
    #[serde(default)]
    pub bid: Option<f64>,
    /// Best ask.
    #[serde(default)]
    pub ask: Option<f64>,
    /// Last trade.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<f64>,
    /// Contracts traded today.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume: Option<f64>,
    /// Open interest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_interest: Option<f64>,
    /// The broker's own implied volatility and greeks, when its feed has them (TastyTrade's
    /// DXLink `Greeks` event); ttai computes its own from the mid either way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broker_greeks: Option<BrokerGreeks>,
}

/// Implied volatility and greeks as the broker's feed computes them: only the values whose units
/// are unambiguous (theta, vega and rho conventions differ between feeds and are left out).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BrokerGreeks {
    /// Implied volatility, decimal (0.25 = 25 %).
    pub iv: f64,
    /// Delta per $1 of the underlying.
    pub delta: f64,
    /// Gamma per $1 of the underlying.
    pub gamma: f64,
    /// When the feed computed them.
    pub as_of: Timestamp,
}

impl OptionContract {
    /// Mid of a two-sided market (bid > 0, ask ≥ bid); `None` otherwise.
    pub fn mid(&self) -> Option<f64> {
        match (self.bid, self.ask) {
            (Some(b), Some(a)) if b > 0.0 && a >= b && a.is_finite() => Some(super::round4((a + b) / 2.0)),
            _ => None,
        }
    }

    /// True when both sides are quoted with a positive bid.
    pub fn is_two_sided(&self) -> bool {
        self.mid().is_some()
    }
}

impl OptionChain {
    /// The expiration on a date.
    pub fn expiration(&self, date: Date) -> Option<&Expiration> {
        self.expirations.iter().find(|e| e.date == date)
    }

    /// Every contract, calls and puts, expiration by expiration.
    pub fn contracts(&self) -> impl Iterator<Item = &OptionContract> {
        self.expirations
            .iter()
            .flat_map(|e| &e.strikes)
            .flat_map(|row| [row.call.as_ref(), row.put.as_ref()])
            .flatten()
    }

    /// The contract with this symbol.
    pub fn contract(&self, symbol: &str) -> Option<&OptionContract> {
        self.contracts().find(|c| c.symbol == symbol)
    }

    /// The mid of a contract with a two-sided market.
    pub fn mid_of(&self, symbol: &str) -> Option<f64> {
        let contract = self.contract(symbol)?;
        Some((contract.bid? + contract.ask?) / 2.0)
    }
}

/// Builds the OCC symbol of an equity option: root padded to 6, `YYMMDD`, `C`/`P`, strike × 1000
/// as 8 digits.
pub fn occ_symbol(root: &str, expiration: Date, option_type: OptionType, strike: f64) -> String {
    let (y, m, d) = expiration.ymd();
    let kind = match option_type {
        OptionType::Call => 'C',
        OptionType::Put => 'P',
    };
    let strike_thousandths = (strike * 1000.0).round() as i64;
    format!(
        "{root:<6}{:02}{m:02}{d:02}{kind}{strike_thousandths:08}",
        y.rem_euclid(100)
    )
}

/// True when `symbol` is an OCC option symbol: `^[A-Z][A-Z0-9 ]{5}\d{6}[CP]\d{8}$`.
pub fn is_occ(symbol: &str) -> bool {
    let bytes = symbol.as_bytes();
    if bytes.len() != 21 {
        return false;
    }
    bytes.iter().enumerate().all(|(i, &b)| match i {
        0 => b.is_ascii_uppercase(),
        1..=5 => b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' ',
        6..=11 | 13..=20 => b.is_ascii_digit(),
        _ => b == b'C' || b == b'P',
    })
}

/// The parts of an OCC option symbol.
#[derive(Clone, Debug, PartialEq)]
pub struct OccParts {
    /// The option root without padding, e.g. `SPY` or `SPXW`.
    pub root: String,
    /// The expiration date (years 2000–2099).
    pub expiration: Date,
    /// Call or put.
    pub option_type: OptionType,
    /// The strike price.
    pub strike: f64,
}

/// Reads an OCC option symbol such as `SPY   250117P00450000`; `None` when it is not one.
pub fn parse_occ(symbol: &str) -> Option<OccParts> {
    if !is_occ(symbol) {
        return None;
    }
    let root = symbol.get(0..6)?.trim_end().to_owned();
    let digits = |range: std::ops::Range<usize>| symbol.get(range)?.parse::<u32>().ok();
    let year = digits(6..8)?;
    let month = digits(8..10)?;
    let day = digits(10..12)?;
    let expiration = Date::from_ymd(2000 + year as i32, month, day)?;
    let option_type = match symbol.get(12..13)? {
        "C" => OptionType::Call,
        _ => OptionType::Put,
    };
    // Thousandths divided by 1000 gives the same double as parsing the decimal strike text.
    let strike = f64::from(digits(13..21)?) / 1000.0;
    Some(OccParts {
        root,
        expiration,
        option_type,
        strike,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn occ_symbols_match_the_standard() {
        let date: Date = "2025-01-17".parse().unwrap();
        assert_eq!(
            occ_symbol("SPY", date, OptionType::Put, 450.0),
            "SPY   250117P00450000"
        );
        assert_eq!(
            occ_symbol("AAPL", date, OptionType::Call, 62.5),
            "AAPL  250117C00062500"
        );
        let parts = parse_occ("AAPL  250117C00062500").unwrap();
        assert_eq!(
            (
                parts.root.as_str(),
                parts.expiration,
                parts.option_type,
                parts.strike
            ),
            ("AAPL", date, OptionType::Call, 62.5)
        );
        assert!(parse_occ("AAPL").is_none() && !is_occ("SPY 250117P00450000"));
    }
}
