//! What `analyze_options` is asked for: the strategy, the windows, the caps, and the levels a
//! caller may bring from `analyze_chart`.

use serde::Serialize;

use crate::app::analysis::sizing;

/// The strategies `analyze_options` evaluates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Cash-secured put.
    Csp,
    /// Covered call on 100+ shares held.
    CoveredCall,
    /// Short vertical credit spreads: bull put and bear call.
    Spread,
}

impl Strategy {
    /// Reads `csp`, `covered_call` or `spread` (a few spellings accepted).
    pub fn parse(text: &str) -> Option<Strategy> {
        match text.trim().to_ascii_lowercase().replace(['-', ' '], "_").as_str() {
            "csp" | "cash_secured_put" | "short_put" => Some(Strategy::Csp),
            "covered_call" | "cc" => Some(Strategy::CoveredCall),
            "spread" | "credit_spread" | "vertical" | "vertical_spread" => Some(Strategy::Spread),
            _ => None,
        }
    }

    /// `csp`, `covered_call` or `spread`.
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Csp => "csp",
            Strategy::CoveredCall => "covered_call",
            Strategy::Spread => "spread",
        }
    }

    /// Names of the knowledge documents to cite.
    pub fn knowledge_names(self) -> &'static [&'static str] {
        match self {
            Strategy::Csp => &["cash-secured-put"],
            Strategy::CoveredCall => &["covered-call"],
            Strategy::Spread => &["bull-put-spread", "bear-call-spread"],
        }
    }
}

/// What to look for.
#[derive(Clone, Debug, PartialEq)]
pub struct OptionsRequest {
    /// The strategy.
    pub strategy: Strategy,
    /// Fewest days to expiration.
    pub dte_min: i32,
    /// Most days to expiration.
    pub dte_max: i32,
    /// Smallest |delta| of the short leg.
    pub delta_min: f64,
    /// Largest |delta| of the short leg.
    pub delta_max: f64,
    /// Nearest support and resistance, when the caller has them (from `analyze_chart`).
    pub levels: Option<(Option<f64>, Option<f64>)>,
    /// The daily ATR(14): a level nearer the price than half of it is not protection.
    pub atr: Option<f64>,
    /// Covered calls: the shares' average cost; strikes below it are left out unless
    /// `allow_below_basis`.
    pub cost_basis: Option<f64>,
    /// Covered calls: keep strikes below the cost basis.
    pub allow_below_basis: bool,
    /// Credit spreads must collect at least this share of their width (0–1).
    pub min_credit_to_width: f64,
    /// Earnings before expiration is a major caution instead of a blocking one.
    pub allow_earnings: bool,
    /// Exposure cap for this call, percent of net liq (`None`: the setting).
    pub max_exposure_percent: Option<f64>,
    /// Option buying power cap for this call, percent of net liq (`None`: the setting).
    pub max_bp_usage_percent: Option<f64>,
}

impl OptionsRequest {
    /// The defaults: 30–45 DTE, short delta 0.15–0.35, spreads collecting at least 1/5 of their
    /// width, nothing below the cost basis, earnings blocking.
    pub fn defaults(strategy: Strategy) -> OptionsRequest {
        OptionsRequest {
            strategy,
            dte_min: 30,
            dte_max: 45,
            delta_min: 0.15,
            delta_max: 0.35,
            levels: None,
            atr: None,
            cost_basis: None,
            allow_below_basis: false,
            min_credit_to_width: sizing::DEFAULT_MIN_CREDIT_TO_WIDTH,
            allow_earnings: false,
            max_exposure_percent: None,
            max_bp_usage_percent: None,
        }
    }
}

/// Levels given by the caller: a whole `analyze_chart` result or just the two numbers.
pub fn levels_from_context(
    context: &serde_json::Map<String, serde_json::Value>,
) -> Option<(Option<f64>, Option<f64>)> {
    let get = |key: &str| {
        context
            .get(key)
            .or_else(|| context.get("levels").and_then(|l| l.get(key)))
            .and_then(serde_json::Value::as_f64)
            .filter(|v| v.is_finite() && *v > 0.0)
    };
    let (support, resistance) = (get("nearest_support"), get("nearest_resistance"));
    (support.is_some() || resistance.is_some()).then_some((support, resistance))
}

/// The daily ATR in a caller's chart context (`atr14` at the top or under `volatility`).
pub fn atr_from_context(context: &serde_json::Map<String, serde_json::Value>) -> Option<f64> {
    context
        .get("atr14")
        .or_else(|| context.get("volatility").and_then(|v| v.get("atr14")))
        .and_then(serde_json::Value::as_f64)
        .filter(|v| v.is_finite() && *v > 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategy_names_are_read_leniently() {
        assert_eq!(Strategy::parse("CSP"), Some(Strategy::Csp));
        assert_eq!(Strategy::parse("covered-call"), Some(Strategy::CoveredCall));
        assert_eq!(Strategy::parse("credit spread"), Some(Strategy::Spread));
        assert_eq!(Strategy::parse("butterfly"), None);
    }
}
