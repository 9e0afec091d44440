//! The windows a short strike must pass before a trade is built on it: the expiration's days to
//! expiration, a two-sided market, an implied volatility, the out-of-the-money side and the
//! short delta. What fails is counted in [`Rejected`], never guessed.

use super::candidates::{self, Draft, Expiry, Quoted, Short};
use super::view::Rejected;
use super::volatility::model_vol;
use super::{OptionsInput, OptionsRequest, Strategy};
use crate::app::{Pricing, analyse_contract, atm_iv, years_to_expiry};
use crate::domain::{Expiration, OptionType};

/// Why a strike or a trade was left out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Reject {
    NoTwoSidedMarket,
    NoImpliedVolatility,
    OutsideDelta,
    CreditTooSmall,
    BelowCostBasis,
}

impl Rejected {
    fn count(&mut self, why: Reject) {
        let counter = match why {
            Reject::NoTwoSidedMarket => &mut self.no_two_sided_market,
            Reject::NoImpliedVolatility => &mut self.no_implied_volatility,
            Reject::OutsideDelta => &mut self.outside_delta,
            Reject::CreditTooSmall => &mut self.credit_too_small,
            Reject::BelowCostBasis => &mut self.below_cost_basis,
        };
        *counter += 1;
    }
}

/// The drafts of every short strike inside the windows, in chain order, with what was left
/// out counted in `rejected`.
pub(super) fn drafts(input: &OptionsInput<'_>, rejected: &mut Rejected) -> Vec<Draft> {
    let req = input.request;
    let pricing = &input.pricing;
    let hv = input.metrics.and_then(|m| m.hv_30);
    let mut drafts = Vec::new();
    for expiration in &input.chain.expirations {
        let dte = input.today.days_until(expiration.date);
        if dte < req.dte_min || dte > req.dte_max {
            rejected.expirations_outside_dte += 1;
            continue;
        }
        let t = years_to_expiry(pricing.quotes_at, expiration.date);
        let atm = atm_iv(expiration, pricing);
        let expiry = Expiry {
            date: expiration.date,
            dte,
            t,
            model: model_vol(atm, hv),
            one_sigma: atm.map(|iv| pricing.spot * iv * t.sqrt()).filter(|m| *m > 0.0),
        };
        for &option_type in sides(req.strategy) {
            let side = quoted_side(expiration, pricing, option_type);
            for (index, (strike, quoted)) in side.iter().enumerate() {
                let outcomes = match short_window(req, pricing.spot, option_type, *strike, quoted.as_ref()) {
                    Ok(quote) => {
                        let short = Short {
                            option_type,
                            strike: *strike,
                            quote,
                            side: &side,
                            index,
                        };
                        candidates::drafts(input, &expiry, &short)
                    }
                    Err(why) => vec![Err(why)],
                };
                for outcome in outcomes {
                    match outcome {
                        Ok(draft) => drafts.push(draft),
                        Err(why) => rejected.count(why),
                    }
                }
            }
        }
    }
    drafts
}

/// The sides of the chain a strategy sells.
fn sides(strategy: Strategy) -> &'static [OptionType] {
    match strategy {
        Strategy::Csp => &[OptionType::Put],
        Strategy::CoveredCall => &[OptionType::Call],
        Strategy::Spread => &[OptionType::Put, OptionType::Call],
    }
}

/// One side of an expiration, strikes ascending, each with its quote when it has a mid.
fn quoted_side<'a>(
    expiration: &'a Expiration,
    pricing: &Pricing,
    option_type: OptionType,
) -> Vec<(f64, Option<Quoted<'a>>)> {
    expiration
        .strikes
        .iter()
        .filter_map(|row| {
            let contract = row.side(option_type)?;
            let quoted = contract.mid().map(|mid| Quoted {
                contract,
                mid,
                analytics: analyse_contract(pricing, option_type, row.strike, expiration.date, contract),
            });
            Some((row.strike, quoted))
        })
        .collect()
}

/// The strike's quote when it may be sold: a two-sided market, an implied volatility, out of
/// the money, and a short delta inside the request's window.
fn short_window<'q, 'a>(
    req: &OptionsRequest,
    spot: f64,
    option_type: OptionType,
    strike: f64,
    quoted: Option<&'q Quoted<'a>>,
) -> Result<&'q Quoted<'a>, Reject> {
    let q = quoted.ok_or(Reject::NoTwoSidedMarket)?;
    let delta = q.analytics.delta.ok_or(Reject::NoImpliedVolatility)?;
    // Short strikes on the out-of-the-money side only.
    let otm = match option_type {
        OptionType::Put => strike < spot,
        OptionType::Call => strike > spot,
    };
    if !otm || delta.abs() < req.delta_min || delta.abs() > req.delta_max {
        return Err(Reject::OutsideDelta);
    }
    Ok(q)
}
