//! The legs of a payoff priced off the chain: each contract found, its entry price and its
//! implied volatility (else the nearest strike's).

use super::{LegKind, LegRequest, PricedLeg};
use crate::app::{Pricing, analyse_contract};
use crate::domain::{OptionChain, OptionType};
use crate::error::{AppError, ErrorCode};
use crate::time::Date;

/// The IV of a contract, else of the nearest strike of the same type and expiration.
fn leg_iv(
    chain: &OptionChain,
    pricing: &Pricing,
    option_type: OptionType,
    expiration: Date,
    strike: f64,
) -> Option<(f64, &'static str)> {
    let exp = chain.expirations.iter().find(|e| e.date == expiration)?;
    let iv_of = |row: &crate::domain::StrikeRow| {
        row.side(option_type)
            .and_then(|c| analyse_contract(pricing, option_type, row.strike, expiration, c).iv)
    };
    if let Some(iv) = exp
        .strikes
        .iter()
        .find(|r| (r.strike - strike).abs() < 1e-6)
        .and_then(iv_of)
    {
        return Some((iv, "mid"));
    }
    exp.strikes
        .iter()
        .filter_map(|r| Some(((r.strike - strike).abs(), iv_of(r)?)))
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, iv)| (iv, "nearest_strike"))
}

pub(super) fn price_leg(
    index: usize,
    leg: &LegRequest,
    chain: &OptionChain,
    pricing: &Pricing,
) -> Result<PricedLeg, AppError> {
    let field = format!("legs[{index}]");
    if !(leg.quantity.is_finite() && leg.quantity != 0.0 && leg.quantity.abs() <= 100_000.0) {
        return Err(AppError::invalid(
            &format!("{field}.quantity"),
            "must be a non-zero number (negative = short) of at most 100000",
        ));
    }
    if let Some(p) = leg.price
        && !(p.is_finite() && p >= 0.0)
    {
        return Err(AppError::invalid(&format!("{field}.price"), "must be 0 or more"));
    }
    let Some(option_type) = leg.kind.option_type() else {
        return Ok(PricedLeg {
            kind: LegKind::Stock,
            symbol: None,
            strike: None,
            expiration: None,
            quantity: leg.quantity,
            multiplier: 1.0,
            entry_price: leg.price.unwrap_or(pricing.spot),
            entry_from: if leg.price.is_some() {
                "given"
            } else {
                "underlying"
            },
            mark: Some(pricing.spot),
            iv: None,
            iv_from: None,
            expiry: None,
        });
    };
    let (Some(strike), Some(expiration)) = (leg.strike, leg.expiration) else {
        return Err(AppError::invalid(
            &field,
            "an option leg needs a strike and an expiration (YYYY-MM-DD)",
        ));
    };
    let side = chain
        .expirations
        .iter()
        .find(|e| e.date == expiration)
        .and_then(|e| e.strikes.iter().find(|r| (r.strike - strike).abs() < 1e-6))
        .and_then(|r| r.side(option_type));
    let Some(contract) = side else {
        return Err(AppError::new(
            ErrorCode::NotFound,
            format!(
                "{field}: the chain of {} has no {expiration} {strike} {}",
                chain.underlying,
                option_type.as_str()
            ),
        )
        .with_detail("field", field.clone()));
    };
    let mark = contract.mid();
    let entry_price = match (leg.price, mark) {
        (Some(p), _) => p,
        (None, Some(m)) => m,
        (None, None) => {
            return Err(AppError::invalid(
                &format!("{field}.price"),
                format!(
                    "{} has no two-sided market to take a mid from; give the entry price",
                    contract.symbol
                ),
            ));
        }
    };
    let (iv, iv_from) = match leg_iv(chain, pricing, option_type, expiration, strike) {
        Some((iv, from)) => (Some(iv), Some(from)),
        None => (None, None),
    };
    Ok(PricedLeg {
        kind: leg.kind,
        symbol: Some(contract.symbol.clone()),
        strike: Some(strike),
        expiration: Some(expiration.to_string()),
        quantity: leg.quantity,
        multiplier: f64::from(chain.shares_per_contract.max(1)),
        entry_price,
        entry_from: if leg.price.is_some() { "given" } else { "mid" },
        mark,
        iv,
        iv_from,
        expiry: Some(expiration),
    })
}
