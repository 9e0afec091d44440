//! Buying power a structure uses, estimated with the usual Reg-T and CBOE rules, so each
//! underlying's share of the account can be seen (the broker reports only the account's total).
//!
//! - Stock: 50 % of its value in a margin account, 100 % in a cash account (short stock 50 %).
//! - A naked short option: the larger of 20 % of the underlying less the out-of-the-money amount
//!   and 10 % of the strike (puts) or of the underlying (calls), plus the option's value; in a
//!   cash account a short put reserves its strike less the premium received.
//! - A long option: its cost.
//! - Defined-risk spreads (verticals, iron condors and butterflies): the width less the credit
//!   received, or the debit paid.
//! - Straddles and strangles: the larger side's naked requirement plus the other side's value.
//! - Covered calls, collars and protective puts: the stock's requirement (plus the put's cost).
//! - Calendars and diagonals: the debit paid, plus the strike difference when the long leg is
//!   further out of the money than the short one.

use super::strategy::Strategy;
use crate::domain::OptionType;

/// A slice of a leg, with what the rules need.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SliceFacts {
    /// Call or put with strike and expiration order (options); `None` for stock.
    pub option: Option<(OptionType, f64)>,
    /// Signed quantity of the slice.
    pub quantity: f64,
    /// Shares per contract.
    pub multiplier: f64,
    /// Current value per unit (mark, else model value).
    pub value: f64,
    /// Average open price per unit.
    pub open_price: f64,
    /// Expiration order: days to expiration (options).
    pub dte: i32,
}

/// The rule used, in words, for the answer.
pub const METHOD: &str = "estimated per structure with Reg-T/CBOE rules: stock 50 % of value (100 % in a cash account); naked short options max(20 % of the underlying − out-of-the-money amount, 10 % of strike (puts) or underlying (calls)) + the option's value; defined-risk spreads the width − credit (or the debit); straddles and strangles the larger side + the other side's value; long options their cost";

fn naked(facts: &SliceFacts, spot: f64) -> f64 {
    let Some((option_type, strike)) = facts.option else {
        return 0.0;
    };
    let per_share = match option_type {
        OptionType::Put => {
            let otm = (spot - strike).max(0.0);
            (0.20 * spot - otm).max(0.10 * strike)
        }
        OptionType::Call => {
            let otm = (strike - spot).max(0.0);
            (0.20 * spot - otm).max(0.10 * spot)
        }
    };
    (per_share + facts.value) * facts.multiplier * facts.quantity.abs()
}

fn stock(facts: &SliceFacts, margin_account: bool) -> f64 {
    let value = (facts.value * facts.quantity * facts.multiplier).abs();
    if facts.quantity < 0.0 || margin_account {
        0.5 * value
    } else {
        value
    }
}

/// Premium received (positive) or paid (negative) at the open, over the option slices.
fn open_credit(slices: &[SliceFacts]) -> f64 {
    slices
        .iter()
        .filter(|s| s.option.is_some())
        .map(|s| -s.quantity * s.open_price * s.multiplier)
        .sum()
}

fn cost(facts: &SliceFacts) -> f64 {
    (facts.open_price * facts.quantity * facts.multiplier).abs()
}

/// The widest distance between a short and a long strike of one type, times contracts and
/// multiplier.
fn width(slices: &[SliceFacts], option_type: OptionType) -> f64 {
    let of_type: Vec<&SliceFacts> = slices
        .iter()
        .filter(|s| s.option.is_some_and(|(t, _)| t == option_type))
        .collect();
    let mut widest = 0.0_f64;
    for short in of_type.iter().filter(|s| s.quantity < 0.0) {
        for long in of_type.iter().filter(|s| s.quantity > 0.0) {
            if let (Some((_, ks)), Some((_, kl))) = (short.option, long.option) {
                let size = short.quantity.abs().min(long.quantity.abs()) * short.multiplier;
                widest = widest.max((ks - kl).abs() * size);
            }
        }
    }
    widest
}

/// The estimated buying power of one structure.
pub fn estimate(strategy: Strategy, slices: &[SliceFacts], spot: f64, margin_account: bool) -> f64 {
    let stock_part: f64 = slices
        .iter()
        .filter(|s| s.option.is_none())
        .map(|s| stock(s, margin_account))
        .sum();
    let options = || slices.iter().filter(|s| s.option.is_some());
    let long_cost: f64 = options().filter(|s| s.quantity > 0.0).map(cost).sum();
    let estimate = match strategy {
        Strategy::LongStock | Strategy::ShortStock | Strategy::CoveredCall => stock_part,
        Strategy::Collar | Strategy::ProtectivePut => stock_part + long_cost,
        Strategy::LongPut | Strategy::LongCall | Strategy::LongStrangle | Strategy::LongStraddle => long_cost,
        Strategy::ShortPut if !margin_account => options()
            .map(|s| {
                let strike = s.option.map_or(0.0, |(_, k)| k);
                (strike - s.open_price) * s.multiplier * s.quantity.abs()
            })
            .sum(),
        Strategy::ShortPut | Strategy::ShortCall => options().map(|s| naked(s, spot)).sum(),
        Strategy::BullPutSpread
        | Strategy::BearCallSpread
        | Strategy::BullCallSpread
        | Strategy::BearPutSpread
        | Strategy::IronCondor
        | Strategy::IronButterfly => {
            let credit = open_credit(slices);
            if credit > 0.0 {
                width(slices, OptionType::Put).max(width(slices, OptionType::Call)) - credit
            } else {
                -credit
            }
        }
        Strategy::ShortStrangle | Strategy::ShortStraddle => {
            let sides: Vec<(f64, f64)> = options()
                .map(|s| (naked(s, spot), s.value * s.multiplier * s.quantity.abs()))
                .collect();
            let total_value: f64 = sides.iter().map(|(_, v)| v).sum();
            sides
                .iter()
                .map(|(req, value)| req + (total_value - value))
                .fold(0.0, f64::max)
        }
        Strategy::CalendarSpread | Strategy::DiagonalSpread => {
            let short = options().find(|s| s.quantity < 0.0);
            let long = options().find(|s| s.quantity > 0.0);
            match (short, long) {
                (Some(short), Some(long)) if long.dte >= short.dte => {
                    let adverse = match (short.option, long.option) {
                        (Some((OptionType::Call, ks)), Some((_, kl))) => (kl - ks).max(0.0),
                        (Some((OptionType::Put, ks)), Some((_, kl))) => (ks - kl).max(0.0),
                        _ => 0.0,
                    };
                    (-open_credit(slices)).max(0.0) + adverse * short.multiplier * short.quantity.abs()
                }
                // The long leg expires first: the short one is naked after that.
                (Some(short), _) => naked(short, spot),
                _ => long_cost,
            }
        }
    };
    estimate.max(0.0)
}
