//! The analysis group: the model's rates, the advice's risk limits and the order settings.

use ttai_core::app::analysis::RiskLimits;
use ttai_core::app::orders::OrderSettings;

use super::env;
use crate::cli::GlobalOptions;

/// The analyses' model inputs and caps.
pub(super) struct Analysis {
    pub(super) risk_free_rate: f64,
    pub(super) dividend_yield: f64,
    pub(super) risk_limits: RiskLimits,
}

/// The risk-free rate, the fallback dividend yield and the caps of the analyses.
pub(super) fn analysis(options: &GlobalOptions, problems: &mut Vec<String>) -> Analysis {
    let mut fraction =
        |name: &str, flag: &str, text: Option<&str>, default: f64, max: f64| match text.map(str::trim) {
            None => default,
            Some(text) => match text.parse::<f64>() {
                Ok(v) if v.is_finite() && (0.0..=max).contains(&v) => v,
                _ => {
                    problems.push(format!(
                        "{name} ({flag}): {text:?} is not a decimal between 0 and {max}"
                    ));
                    default
                }
            },
        };
    let risk_free_rate = fraction(
        "risk-free rate",
        "--risk-free-rate / TTAI_RISK_FREE_RATE",
        options.risk_free_rate.as_deref(),
        0.04,
        0.25,
    );
    let dividend_yield = fraction(
        "dividend yield",
        "--dividend-yield / TTAI_DIVIDEND_YIELD",
        options.dividend_yield.as_deref(),
        0.0,
        0.25,
    );
    let defaults = RiskLimits::default();
    let mut percent = |name: &str, flag: &str, text: Option<&str>, default: f64| match text.map(str::trim) {
        None => default,
        Some(text) => match text.trim_end_matches('%').trim().parse::<f64>() {
            Ok(v) if v.is_finite() && v > 0.0 && v <= 100.0 => v,
            _ => {
                problems.push(format!(
                    "{name} ({flag}): {text:?} is not a percent of net liq in (0, 100]"
                ));
                default
            }
        },
    };
    let max_exposure_percent = percent(
        "exposure cap",
        "--max-exposure-percent / TTAI_MAX_EXPOSURE_PERCENT",
        options.max_exposure_percent.as_deref(),
        defaults.max_exposure_percent,
    );
    let max_bp_usage_percent = percent(
        "buying power cap",
        "--max-bp-usage-percent / TTAI_MAX_BP_USAGE_PERCENT",
        options.max_bp_usage_percent.as_deref(),
        defaults.max_bp_usage_percent,
    );
    let min_credit_to_width = match options.min_credit_to_width.as_deref().map(str::trim) {
        None => defaults.min_credit_to_width,
        Some(text) => match text.parse::<f64>() {
            Ok(v) if v.is_finite() && (0.0..1.0).contains(&v) => v,
            _ => {
                problems.push(format!(
                    "minimum credit / width (--min-credit-to-width / TTAI_MIN_CREDIT_TO_WIDTH): {text:?} is not a share of the width in [0, 1)"
                ));
                defaults.min_credit_to_width
            }
        },
    };
    let risk_limits = RiskLimits {
        max_exposure_percent,
        max_bp_usage_percent,
        min_credit_to_width,
    };
    Analysis {
        risk_free_rate,
        dividend_yield,
        risk_limits,
    }
}

/// A yes/no setting: `--flag` alone, or `1`/`true`/`yes`/`on` and `0`/`false`/`no`/`off`.
pub(super) fn switch(name: &str, text: Option<&str>, problems: &mut Vec<String>) -> bool {
    match text.map(|t| t.trim().to_ascii_lowercase()).as_deref() {
        None | Some("" | "0" | "false" | "no" | "off") => false,
        Some("1" | "true" | "yes" | "on") => true,
        Some(other) => {
            problems.push(format!("{name}: {other:?} is not true or false"));
            false
        }
    }
}

/// The order settings: `--allow-orders`, `--paper`, and the server's limits
/// (`TTAI_MAX_ORDER_CONTRACTS`, `TTAI_MAX_ORDER_BP_PERCENT`).
pub(super) fn order_settings(options: &GlobalOptions, problems: &mut Vec<String>) -> (OrderSettings, bool) {
    let defaults = OrderSettings::default();
    let allow_orders = switch(
        "orders (--allow-orders / TTAI_ALLOW_ORDERS)",
        options.allow_orders.as_deref(),
        problems,
    );
    let paper = switch(
        "paper trading (--paper / TTAI_PAPER)",
        options.paper.as_deref(),
        problems,
    );
    let max_contracts_per_order = match env("TTAI_MAX_ORDER_CONTRACTS") {
        None => defaults.max_contracts_per_order,
        Some(text) => match text.trim().parse::<u32>() {
            Ok(n) if (1..=10_000).contains(&n) => n,
            _ => {
                problems.push(format!(
                    "most contracts per order (TTAI_MAX_ORDER_CONTRACTS): {text:?} is not a whole number from 1 to 10000"
                ));
                defaults.max_contracts_per_order
            }
        },
    };
    let max_order_bp_percent = match env("TTAI_MAX_ORDER_BP_PERCENT") {
        None => defaults.max_order_bp_percent,
        Some(text) => match text.trim().trim_end_matches('%').trim().parse::<f64>() {
            Ok(v) if v.is_finite() && v > 0.0 && v <= 100.0 => v,
            _ => {
                problems.push(format!(
                    "most buying power per order (TTAI_MAX_ORDER_BP_PERCENT): {text:?} is not a percent of net liq in (0, 100]"
                ));
                defaults.max_order_bp_percent
            }
        },
    };
    (
        OrderSettings {
            allow_orders,
            max_contracts_per_order,
            max_order_bp_percent,
        },
        paper,
    )
}
