//! The trades built on a short strike that passed the [`filters`](super::filters): a
//! cash-secured put, a covered call, or a vertical credit spread whose long leg is one to three
//! strikes further out of the money. Each is a [`Draft`]: its legs at a limit price, the capital
//! it ties up, its maximum loss, breakeven and probability of profit.

use super::filters::Reject;
use super::score::prob_beyond;
use super::view::{Leg, PositionGreeks};
use super::{OptionsInput, OptionsRequest, Strategy};
use crate::app::{ContractAnalytics, Pricing};
use crate::domain::{LimitPrice, OptionContract, OptionType, TickClass, round_to, round4};
use crate::time::Date;

/// A contract with a two-sided market, its mid and its analytics.
pub(super) struct Quoted<'a> {
    pub(super) contract: &'a OptionContract,
    pub(super) mid: f64,
    pub(super) analytics: ContractAnalytics,
}

/// What the drafts of one expiration share.
#[derive(Clone, Copy)]
pub(super) struct Expiry {
    pub(super) date: Date,
    pub(super) dte: i32,
    /// Years to expiration (ACT/365 to 16:00 New York).
    pub(super) t: f64,
    /// The expiration's model volatility and where it came from, when there is one.
    pub(super) model: Option<(f64, &'static str)>,
    /// A one-standard-deviation move to expiration at the at-the-money IV.
    pub(super) one_sigma: Option<f64>,
}

/// A short strike that passed the filters, with its side of the chain (strikes ascending) for
/// the long legs of a spread.
pub(super) struct Short<'s, 'a> {
    pub(super) option_type: OptionType,
    pub(super) strike: f64,
    pub(super) quote: &'s Quoted<'a>,
    pub(super) side: &'s [(f64, Option<Quoted<'a>>)],
    pub(super) index: usize,
}

/// A trade before it is scored.
pub(super) struct Draft {
    pub(super) kind: &'static str,
    pub(super) expiry: Expiry,
    pub(super) short_strike: f64,
    pub(super) long_strike: Option<f64>,
    pub(super) legs: Vec<Leg>,
    pub(super) price: LimitPrice,
    pub(super) capital: f64,
    pub(super) max_loss: f64,
    pub(super) breakeven: f64,
    pub(super) pop: f64,
    pub(super) short_prob_itm: Option<f64>,
    pub(super) greeks: PositionGreeks,
    pub(super) put_side: bool,
    /// The volatility the trade is valued at and its source.
    pub(super) model: (f64, &'static str),
}

/// Every trade the requested strategy builds on `short`, each a draft or the reason it is not.
pub(super) fn drafts(
    input: &OptionsInput<'_>,
    expiry: &Expiry,
    short: &Short<'_, '_>,
) -> Vec<Result<Draft, Reject>> {
    let q = short.quote;
    let vol = q.analytics.iv.unwrap_or_default();
    let builder = Builder {
        pricing: &input.pricing,
        expiry: *expiry,
        short,
        sold: leg("sell", short.option_type, short.strike, q),
        vol,
        model: expiry.model.unwrap_or((vol, "own_iv")),
        tick: TickClass::of(input.chain.underlying.as_str()),
    };
    match input.request.strategy {
        Strategy::Csp => vec![builder.csp()],
        Strategy::CoveredCall => vec![builder.covered_call(input.request)],
        Strategy::Spread => builder.spreads(input.request),
    }
}

/// Builds the drafts on one short strike.
struct Builder<'b, 's, 'a> {
    pricing: &'b Pricing,
    expiry: Expiry,
    short: &'b Short<'s, 'a>,
    /// The short leg.
    sold: Leg,
    /// The short leg's implied volatility (the probability of profit uses it).
    vol: f64,
    model: (f64, &'static str),
    tick: TickClass,
}

impl Builder<'_, '_, '_> {
    /// The single-leg limit price: the short's mid onto its tick, never below its bid.
    fn single_price(&self) -> LimitPrice {
        LimitPrice::credit(self.tick, self.short.quote.mid, self.sold.bid)
    }

    /// P(the underlying finishes above (`above`) or below `breakeven`) at the short's IV.
    fn pop(&self, breakeven: f64, above: bool) -> f64 {
        prob_beyond(self.pricing, self.expiry.t, self.vol, breakeven, above)
    }

    fn csp(&self) -> Result<Draft, Reject> {
        let strike = self.short.strike;
        let price = self.single_price();
        let credit = price.limit;
        if credit <= 0.0 {
            return Err(Reject::CreditTooSmall);
        }
        let breakeven = round4(strike - credit);
        Ok(Draft {
            kind: "csp",
            expiry: self.expiry,
            short_strike: strike,
            long_strike: None,
            greeks: position_greeks(std::slice::from_ref(&self.sold)),
            legs: vec![self.sold.clone()],
            price,
            capital: strike * 100.0,
            max_loss: round_to((strike - credit) * 100.0, 2),
            breakeven,
            pop: self.pop(breakeven, true),
            short_prob_itm: self.short.quote.analytics.prob_itm,
            put_side: true,
            model: self.model,
        })
    }

    fn covered_call(&self, req: &OptionsRequest) -> Result<Draft, Reject> {
        let strike = self.short.strike;
        if let Some(basis) = req.cost_basis
            && strike < basis
            && !req.allow_below_basis
        {
            return Err(Reject::BelowCostBasis);
        }
        let price = self.single_price();
        let credit = price.limit;
        if credit <= 0.0 {
            return Err(Reject::CreditTooSmall);
        }
        let spot = self.pricing.spot;
        let breakeven = round4(spot - credit);
        let mut greeks = position_greeks(std::slice::from_ref(&self.sold));
        greeks.delta = round_to(greeks.delta + 100.0, 2);
        Ok(Draft {
            kind: "covered_call",
            expiry: self.expiry,
            short_strike: strike,
            long_strike: None,
            greeks,
            legs: vec![self.sold.clone()],
            price,
            capital: spot * 100.0,
            max_loss: round_to((spot - credit) * 100.0, 2),
            breakeven,
            pop: self.pop(breakeven, true),
            short_prob_itm: self.short.quote.analytics.prob_itm,
            put_side: false,
            model: self.model,
        })
    }

    /// The spreads with a long leg one to three strikes further out of the money.
    fn spreads(&self, req: &OptionsRequest) -> Vec<Result<Draft, Reject>> {
        let (side, i) = (self.short.side, self.short.index);
        let further: Vec<&(f64, Option<Quoted<'_>>)> = match self.short.option_type {
            OptionType::Put => side.get(..i).unwrap_or_default().iter().rev().take(3).collect(),
            OptionType::Call => side.get(i + 1..).unwrap_or_default().iter().take(3).collect(),
        };
        further
            .into_iter()
            .map(|(long_strike, long_quote)| self.spread(req, *long_strike, long_quote.as_ref()))
            .collect()
    }

    fn spread(
        &self,
        req: &OptionsRequest,
        long_strike: f64,
        long_quote: Option<&Quoted<'_>>,
    ) -> Result<Draft, Reject> {
        let lq = long_quote.ok_or(Reject::NoTwoSidedMarket)?;
        let (option_type, strike) = (self.short.option_type, self.short.strike);
        let width = (strike - long_strike).abs();
        let long = leg("buy", option_type, long_strike, lq);
        let price = LimitPrice::credit(self.tick, self.short.quote.mid - lq.mid, self.sold.bid - long.ask);
        let credit = price.limit;
        if width <= 0.0 || credit <= 0.0 || credit < req.min_credit_to_width * width - 1e-9 {
            return Err(Reject::CreditTooSmall);
        }
        let legs = vec![self.sold.clone(), long];
        let (kind, breakeven, above) = match option_type {
            OptionType::Put => ("bull_put_spread", round4(strike - credit), true),
            OptionType::Call => ("bear_call_spread", round4(strike + credit), false),
        };
        let max_loss = round_to((width - credit) * 100.0, 2);
        Ok(Draft {
            kind,
            expiry: self.expiry,
            short_strike: strike,
            long_strike: Some(long_strike),
            greeks: position_greeks(&legs),
            legs,
            price,
            capital: max_loss,
            max_loss,
            breakeven,
            pop: self.pop(breakeven, above),
            short_prob_itm: self.short.quote.analytics.prob_itm,
            put_side: option_type == OptionType::Put,
            model: self.model,
        })
    }
}

fn leg(action: &'static str, option_type: OptionType, strike: f64, q: &Quoted<'_>) -> Leg {
    let bid = q.contract.bid.unwrap_or_default();
    let ask = q.contract.ask.unwrap_or_default();
    Leg {
        action,
        option_type,
        strike,
        symbol: q.contract.symbol.clone(),
        bid,
        ask,
        mid: q.mid,
        spread_percent: if q.mid > 0.0 {
            round_to((ask - bid) / q.mid * 100.0, 2)
        } else {
            0.0
        },
        open_interest: q.contract.open_interest,
        volume: q.contract.volume,
        analytics: q.analytics,
    }
}

pub(super) fn liquidity_warnings(legs: &[Leg]) -> Vec<String> {
    let mut warnings = Vec::new();
    for l in legs {
        if l.spread_percent > 10.0 {
            warnings.push(format!(
                "wide market on the {} {} {}: {}% of mid",
                l.action,
                l.strike,
                l.option_type.as_str(),
                l.spread_percent
            ));
        }
        if l.open_interest.is_some_and(|oi| oi < 100.0) {
            warnings.push(format!(
                "thin open interest on the {} {}: {}",
                l.strike,
                l.option_type.as_str(),
                l.open_interest.unwrap_or_default()
            ));
        }
    }
    warnings
}

fn position_greeks(legs: &[Leg]) -> PositionGreeks {
    let mut g = PositionGreeks::default();
    for l in legs {
        let sign = if l.action == "sell" { -100.0 } else { 100.0 };
        g.delta += sign * l.analytics.delta.unwrap_or_default();
        g.gamma += sign * l.analytics.gamma.unwrap_or_default();
        g.theta += sign * l.analytics.theta.unwrap_or_default();
        g.vega += sign * l.analytics.vega.unwrap_or_default();
    }
    PositionGreeks {
        delta: round_to(g.delta, 2),
        gamma: round_to(g.gamma, 4),
        theta: round_to(g.theta, 2),
        vega: round_to(g.vega, 2),
    }
}
