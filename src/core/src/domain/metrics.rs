use serde::{Deserialize, Serialize};

use super::Symbol;
use crate::time::{Date, Timestamp};

/// Volatility and liquidity metrics of an underlying. All volatilities, ranks and percentiles are
/// fractions (0.25 = 25 %; IV rank 0–1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MarketMetrics {
    /// The underlying.
    pub symbol: Symbol,
    /// Implied volatility index (30-day, fraction).
    #[serde(default)]
    pub iv_index: Option<f64>,
    /// IV rank over the past year (0–1).
    #[serde(default)]
    pub iv_rank: Option<f64>,
    /// IV percentile over the past year (0–1).
    #[serde(default)]
    pub iv_percentile: Option<f64>,
    /// 30-day historical volatility (fraction).
    #[serde(default)]
    pub hv_30: Option<f64>,
    /// 60-day historical volatility (fraction).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hv_60: Option<f64>,
    /// 90-day historical volatility (fraction).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hv_90: Option<f64>,
    /// Next expected earnings date.
    #[serde(default)]
    pub earnings_date: Option<Date>,
    /// The broker's liquidity rating (higher is more liquid; tastytrade uses 0–5).
    #[serde(default)]
    pub liquidity_rating: Option<f64>,
    /// Beta against the S&P 500.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beta: Option<f64>,
    /// Dividend yield (fraction).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dividend_yield: Option<f64>,
    /// The next (or latest announced) ex-dividend date: a short call in the money before it can be
    /// assigned early.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ex_dividend_date: Option<Date>,
    /// When the metrics were computed.
    pub as_of: Timestamp,
}
