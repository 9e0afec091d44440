use serde::{Deserialize, Serialize};

use super::{InstrumentType, Symbol};
use crate::time::Timestamp;

/// A quote snapshot. Fields the market does not provide (an index has no bid) are `None`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Quote {
    /// The quoted symbol.
    pub symbol: Symbol,
    /// The kind of instrument.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instrument_type: Option<InstrumentType>,
    /// Best bid.
    #[serde(default)]
    pub bid: Option<f64>,
    /// Best ask.
    #[serde(default)]
    pub ask: Option<f64>,
    /// Size at the bid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bid_size: Option<f64>,
    /// Size at the ask.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ask_size: Option<f64>,
    /// Last trade price.
    #[serde(default)]
    pub last: Option<f64>,
    /// The broker's mark (mid of a two-sided market, else its best estimate).
    #[serde(default)]
    pub mark: Option<f64>,
    /// Shares or contracts traded today.
    #[serde(default)]
    pub volume: Option<f64>,
    /// Today's open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open: Option<f64>,
    /// Today's high.
    #[serde(default)]
    pub day_high: Option<f64>,
    /// Today's low.
    #[serde(default)]
    pub day_low: Option<f64>,
    /// The previous session's close.
    #[serde(default)]
    pub prev_close: Option<f64>,
    /// 52-week high.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year_high: Option<f64>,
    /// 52-week low.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year_low: Option<f64>,
    /// When the broker last updated the quote.
    pub as_of: Timestamp,
}

impl Quote {
    /// Mid of a two-sided market: both sides present, positive, and not crossed.
    pub fn mid(&self) -> Option<f64> {
        match (self.bid, self.ask) {
            (Some(b), Some(a)) if b > 0.0 && a > 0.0 && a >= b => Some(super::round4((a + b) / 2.0)),
            _ => None,
        }
    }

    /// The best single price: last trade, else mark, else mid. This is what alerts compare.
    pub fn reference_price(&self) -> Option<f64> {
        self.last
            .filter(|p| p.is_finite() && *p > 0.0)
            .or(self.mark)
            .or_else(|| self.mid())
    }

    /// Mark when given, else mid, else last: the value used to price a position.
    pub fn mark_price(&self) -> Option<f64> {
        self.mark.or_else(|| self.mid()).or(self.last)
    }
}
