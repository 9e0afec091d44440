//! Values and ranks the drafts: the expected value at the model volatility per dollar at risk
//! is the score; returns, the level context and the covered call's basis are reported beside it.

use super::OptionsInput;
use super::candidates::{Draft, liquidity_warnings};
use super::view::{Candidate, CoveredCallBasis, Leg, LevelContext, ScoreParts};
use crate::app::Pricing;
use crate::domain::{OptionType, round_to, round4};
use crate::quant::bsm::{self, BsmInput};

/// The ten best candidates of the drafts that risk something, ranked by expected value per
/// dollar at risk (then probability of profit, expiration, strike).
pub(super) fn rank(input: &OptionsInput<'_>, drafts: Vec<Draft>) -> Vec<Candidate> {
    let mut candidates: Vec<Candidate> = drafts
        .into_iter()
        .filter(|d| d.capital > 0.0 && d.expiry.dte > 0 && d.max_loss > 0.0)
        .map(|d| candidate(input, d))
        .collect();
    candidates.sort_by(|a, b| {
        b.ev_per_dollar_at_risk
            .total_cmp(&a.ev_per_dollar_at_risk)
            .then(b.pop.total_cmp(&a.pop))
            .then(a.expiration.cmp(&b.expiration))
            .then(a.short_strike.total_cmp(&b.short_strike))
    });
    candidates.truncate(10);
    for (i, c) in candidates.iter_mut().enumerate() {
        c.rank = i + 1;
    }
    candidates
}

/// A draft valued: returns, expected value and score, levels, basis and warnings.
fn candidate(input: &OptionsInput<'_>, d: Draft) -> Candidate {
    let pricing = &input.pricing;
    let credit = d.price.limit;
    let roc = credit * 100.0 / d.capital * 100.0;
    let annualized = roc * 365.0 / f64::from(d.expiry.dte);
    let (vol, vol_source) = d.model;
    let value = model_value(&d.legs, pricing, d.expiry.t, vol);
    let expected_value = (credit - value) * (pricing.rate * d.expiry.t).exp() * 100.0;
    let ev_per_dollar = expected_value / d.max_loss;
    let width = d.long_strike.map(|l| (d.short_strike - l).abs());
    let earnings = input.metrics.and_then(|m| m.earnings_date);
    let (basis, levels) = (basis(input, &d), level_context(input, &d));
    Candidate {
        rank: 0,
        kind: d.kind,
        expiration: d.expiry.date.to_string(),
        dte: d.expiry.dte,
        short_strike: d.short_strike,
        long_strike: d.long_strike,
        width,
        credit,
        price: d.price,
        credit_per_contract: round_to(credit * 100.0, 2),
        max_profit: round_to(credit * 100.0, 2),
        max_loss: d.max_loss,
        capital_required: round_to(d.capital, 2),
        return_on_capital_percent: round_to(roc, 2),
        annualized_return_percent: round_to(annualized, 2),
        breakeven: d.breakeven,
        pop: round_to(d.pop, 4),
        short_prob_itm: d.short_prob_itm,
        credit_to_width: width.map(|w| round_to(credit / w, 3)),
        expected_value: round_to(expected_value, 2),
        ev_per_dollar_at_risk: round_to(ev_per_dollar, 6),
        basis,
        greeks: d.greeks,
        levels,
        earnings_before_expiration: earnings.map(|e| e >= input.today && e <= d.expiry.date),
        liquidity_warnings: liquidity_warnings(&d.legs),
        sizing: None,
        score: round_to(ev_per_dollar * 100.0, 3),
        score_parts: ScoreParts {
            model_vol: round_to(vol, 6),
            model_vol_source: vol_source,
            model_value: round4(value),
            expected_value: round_to(expected_value, 2),
            at_risk: d.max_loss,
        },
        legs: d.legs,
    }
}

/// Where the short strike stands against the price, the expected move and the nearest level
/// on its side; a level nearer the price than half an ATR is not protection.
fn level_context(input: &OptionsInput<'_>, d: &Draft) -> LevelContext {
    let spot = input.pricing.spot;
    let (support, resistance) = input.request.levels.unwrap_or((None, None));
    let atr = input.request.atr.filter(|a| a.is_finite() && *a > 0.0);
    let (level, level_kind) = if d.put_side {
        (support, "support")
    } else {
        (resistance, "resistance")
    };
    let level_distance_atr = match (level, atr) {
        (Some(l), Some(a)) => Some(round_to((spot - l).abs() / a, 2)),
        _ => None,
    };
    let protected = level.map(|l| {
        let beyond = if d.put_side {
            d.short_strike <= l
        } else {
            d.short_strike >= l
        };
        beyond && level_distance_atr.is_none_or(|n| n >= 0.5)
    });
    LevelContext {
        strike_distance_percent: round_to((spot - d.short_strike) / spot * 100.0, 2),
        strike_distance_sigma: d
            .expiry
            .one_sigma
            .map(|s| round_to((spot - d.short_strike) / s, 2)),
        level,
        level_kind,
        level_distance_atr,
        protected_by_level: protected,
        strike_vs_level_percent: level
            .filter(|l| *l > 0.0)
            .map(|l| round_to((d.short_strike - l) / l * 100.0, 2)),
    }
}

/// A covered call against the shares' cost basis, when the request carries one.
fn basis(input: &OptionsInput<'_>, d: &Draft) -> Option<CoveredCallBasis> {
    let spot = input.pricing.spot;
    let credit = d.price.limit;
    (d.kind == "covered_call")
        .then_some(input.request.cost_basis)
        .flatten()
        .filter(|b| *b > 0.0)
        .map(|b| CoveredCallBasis {
            cost_basis: b,
            return_on_basis_percent: round_to(credit / b * 100.0, 2),
            breakeven_on_basis: round4(b - credit),
            pnl_if_assigned: round_to((d.short_strike - b + credit) * 100.0, 2),
            pnl_if_assigned_from_price: round_to((d.short_strike - spot + credit) * 100.0, 2),
            below_basis: d.short_strike < b,
        })
}

/// P(S_T above `level`) (`above`) or below it, risk-neutral, at volatility `vol`.
pub(super) fn prob_beyond(pricing: &Pricing, t: f64, vol: f64, level: f64, above: bool) -> f64 {
    if level <= 0.0 {
        return if above { 1.0 } else { 0.0 };
    }
    let option_type = if above { OptionType::Call } else { OptionType::Put };
    let input = BsmInput {
        option_type,
        spot: pricing.spot,
        strike: level,
        t,
        vol,
        rate: pricing.rate,
        div: pricing.dividend_yield,
    };
    bsm::prob_itm(&input).unwrap_or(0.0)
}

/// The options' net value per share (sold minus bought) at volatility `vol`.
fn model_value(legs: &[Leg], pricing: &Pricing, t: f64, vol: f64) -> f64 {
    legs.iter()
        .map(|l| {
            let value = bsm::price(&BsmInput {
                option_type: l.option_type,
                spot: pricing.spot,
                strike: l.strike,
                t,
                vol,
                rate: pricing.rate,
                div: pricing.dividend_yield,
            })
            .unwrap_or(l.mid);
            if l.action == "sell" { value } else { -value }
        })
        .sum()
}
