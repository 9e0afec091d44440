use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};

/// A ticker as the broker spells it: an equity (`SPY`), an index (`SPX`), a class share
/// (`BRK/B`), a future (`/ESZ4`) or an OCC option symbol (`SPY   250117P00450000`).
///
/// Invariant: 1–32 characters, upper case, only `A-Z 0-9 . / space -`, not blank.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Symbol(String);

/// Why a symbol was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SymbolError {
    /// Empty or only spaces.
    #[error("symbol is empty")]
    Empty,
    /// Longer than 32 characters.
    #[error("symbol is longer than 32 characters")]
    TooLong,
    /// A character a ticker cannot contain.
    #[error("symbol contains {0:?}, which no ticker contains")]
    BadCharacter(char),
}

impl Symbol {
    /// Validates and upper-cases a ticker; surrounding spaces are trimmed.
    pub fn parse(text: &str) -> Result<Symbol, SymbolError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(SymbolError::Empty);
        }
        if trimmed.chars().count() > 32 {
            return Err(SymbolError::TooLong);
        }
        let upper = trimmed.to_ascii_uppercase();
        if let Some(c) = upper
            .chars()
            .find(|c| !(c.is_ascii_uppercase() || c.is_ascii_digit() || " ./-".contains(*c)))
        {
            return Err(SymbolError::BadCharacter(c));
        }
        Ok(Symbol(upper))
    }

    /// The ticker text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for a futures symbol: a product such as `/ES` or a contract such as `/ESZ5`.
    pub fn is_future(&self) -> bool {
        self.0.starts_with('/')
    }

    /// True for an option on a future, such as `./ESU5 EW3N5 250718P5800`.
    pub fn is_future_option(&self) -> bool {
        self.0.starts_with("./")
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Symbol {
    type Err = SymbolError;
    fn from_str(text: &str) -> Result<Symbol, SymbolError> {
        Symbol::parse(text)
    }
}

impl<'de> Deserialize<'de> for Symbol {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Symbol, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Symbol::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// What kind of instrument a symbol names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum InstrumentType {
    /// A stock or an ETF.
    Equity,
    /// An option on an equity or ETF.
    EquityOption,
    /// A cash index such as SPX (no trades of its own).
    Index,
    /// A futures contract.
    Future,
    /// An option on a future.
    FutureOption,
    /// A cryptocurrency pair.
    Cryptocurrency,
    /// Anything else the broker reports.
    Other,
}

/// Call or put.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OptionType {
    /// The right to buy at the strike.
    Call,
    /// The right to sell at the strike.
    Put,
}

impl OptionType {
    /// `"call"` or `"put"`.
    pub fn as_str(self) -> &'static str {
        match self {
            OptionType::Call => "call",
            OptionType::Put => "put",
        }
    }

    /// Whether an option of this type struck at `strike` finishes in the money with its
    /// underlying at `price`; `None` when that is not known: no usable price, or exactly at the
    /// strike.
    pub fn in_the_money(self, strike: f64, price: Option<f64>) -> Option<bool> {
        let price = price.filter(|p| p.is_finite() && *p > 0.0 && *p != strike)?;
        Some(match self {
            OptionType::Call => price > strike,
            OptionType::Put => price < strike,
        })
    }
}

/// One answer of a symbol search.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SymbolMatch {
    /// The ticker.
    pub symbol: Symbol,
    /// The instrument's name, e.g. "SPDR S&P 500 ETF Trust".
    pub description: String,
    /// The kind of instrument, when the broker says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instrument_type: Option<InstrumentType>,
    /// Whether options are listed on it, when the broker says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_options: Option<bool>,
}

/// Ranks instruments against a search query the way a trader expects: exact ticker, then ticker
/// prefix, then words of the name that start with the query, then names containing it; ties by
/// ticker. Used by brokers that search locally (replay, fakes).
pub fn rank_symbol_matches(instruments: &[SymbolMatch], query: &str, limit: usize) -> Vec<SymbolMatch> {
    let q = query.trim().to_ascii_lowercase();
    if q.is_empty() {
        return Vec::new();
    }
    let mut scored: Vec<(u8, &SymbolMatch)> = instruments
        .iter()
        .filter_map(|m| {
            let symbol = m.symbol.as_str().to_ascii_lowercase();
            let name = m.description.to_ascii_lowercase();
            let rank = if symbol == q {
                0
            } else if symbol.starts_with(&q) {
                1
            } else if name
                .split(|c: char| !c.is_ascii_alphanumeric())
                .any(|w| w.starts_with(&q))
            {
                2
            } else if name.contains(&q) {
                3
            } else {
                return None;
            };
            Some((rank, m))
        })
        .collect();
    scored.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.symbol.cmp(&b.1.symbol)));
    scored.into_iter().take(limit).map(|(_, m)| m.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn symbols_are_normalised_and_checked() {
        assert_eq!(Symbol::parse(" spy ").unwrap().as_str(), "SPY");
        assert_eq!(Symbol::parse("brk/b").unwrap().as_str(), "BRK/B");
        assert_eq!(
            Symbol::parse("SPY   250117P00450000").unwrap().as_str(),
            "SPY   250117P00450000"
        );
        assert_eq!(Symbol::parse("  "), Err(SymbolError::Empty));
        assert_eq!(Symbol::parse("SP;Y"), Err(SymbolError::BadCharacter(';')));
        assert_eq!(Symbol::parse(&"A".repeat(33)), Err(SymbolError::TooLong));
        let es = Symbol::parse("/es").unwrap();
        assert_eq!(es.as_str(), "/ES");
        assert!(es.is_future() && !es.is_future_option());
        let option = Symbol::parse("./ESU5 EW3N5 250718P5800").unwrap();
        assert!(option.is_future_option() && !option.is_future());
        assert!(!Symbol::parse("BRK/B").unwrap().is_future());
    }

    proptest! {
        #[test]
        fn parsed_symbols_hold_the_invariant(text in "\\PC{0,40}") {
            if let Ok(symbol) = Symbol::parse(&text) {
                let s = symbol.as_str();
                prop_assert!(!s.trim().is_empty() && s.chars().count() <= 32);
                prop_assert!(s.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || " ./-".contains(c)));
                prop_assert_eq!(Symbol::parse(s).unwrap(), symbol.clone());
            }
        }
    }
}
