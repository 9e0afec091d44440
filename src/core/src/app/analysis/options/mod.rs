//! `analyze_options`: ranked short-premium candidates from the enriched chain: cash-secured
//! puts, covered calls, and short vertical credit spreads (bull put, bear call), sized to the
//! account.
//!
//! Conventions (also stated in every result's `method`):
//! - Prices: every credit is a limit a trader can enter: the mid rounded down onto the option's
//!   tick (never below the natural price), with the exact mid and the natural price beside it;
//!   every figure (credit per contract, returns, breakeven, maximum loss, expected value) uses
//!   that limit.
//! - Return on capital is the credit over the capital the trade ties up (strike × 100 for a
//!   cash-secured put, the shares' value for a covered call, the maximum loss for a spread);
//!   annualised = return × 365 / DTE.
//! - Probability of profit is risk-neutral: the chance the underlying finishes past breakeven
//!   under Black-Scholes-Merton with the short leg's implied volatility.
//! - Ranking is by expected value per dollar at risk: the payoff at expiration integrated over a
//!   lognormal distribution whose volatility is NOT each option's own (priced at its own IV,
//!   every trade is worth about zero) but the expiration's at-the-money IV blended half and half
//!   with the 30-day historical volatility. Skew (a put's IV above the ATM IV) and IV above HV
//!   both show as edge; IV below HV as a cost.
//! - Time runs (ACT/365) to 16:00 America/New_York on the expiration date.

mod analyze;
mod candidates;
mod filters;
mod request;
mod score;
mod view;
mod volatility;

pub use request::{OptionsRequest, Strategy, atr_from_context, levels_from_context};
use view::Rejected;
pub use view::{Candidate, OptionsAnalysis};
pub use volatility::volatility_verdict;

use super::sizing::{self, AccountContext};
use crate::app::Pricing;
use crate::domain::{MarketMetrics, OptionChain};
use crate::time::Date;

/// IV rank at or above this: premium is rich for the underlying.
pub const IV_RANK_HIGH: f64 = 0.5;
/// IV rank below this: premium is cheap for the underlying (a major caution for selling).
pub const IV_RANK_LOW: f64 = 0.3;
/// Weight of the ATM IV in the model volatility (the rest is the 30-day HV).
pub(crate) const MODEL_IV_WEIGHT: f64 = 0.5;

/// Everything the pure analysis needs.
#[derive(Clone, Debug)]
pub struct OptionsInput<'a> {
    /// The chain.
    pub chain: &'a OptionChain,
    /// Underlying price, rates, quote time.
    pub pricing: Pricing,
    /// Market clock date.
    pub today: Date,
    /// Volatility metrics, when known.
    pub metrics: Option<&'a MarketMetrics>,
    /// The request.
    pub request: &'a OptionsRequest,
}

/// Ranks candidates (pure; see the module docs for the conventions): the short strikes that
/// pass the [`filters`] become [`candidates`] (trades with a limit price), each valued and
/// [`score`]d; the best ten by expected value per dollar at risk, with how many were evaluated
/// and why the rest were left out. No sizing: that needs the account ([`size_candidates`]).
pub fn rank_candidates(input: &OptionsInput<'_>) -> (Vec<Candidate>, usize, Rejected) {
    let mut rejected = Rejected::default();
    let drafts = filters::drafts(input, &mut rejected);
    let evaluated = drafts.len();
    (score::rank(input, drafts), evaluated, rejected)
}

/// Sizes every candidate against the account: exposure and buying power per contract by kind,
/// covered calls limited by the uncovered lots.
pub fn size_candidates(candidates: &mut [Candidate], account: &AccountContext) {
    for c in candidates {
        let sizing = match c.kind {
            "covered_call" => sizing::size(account, 0.0, 0.0, Some(account.covered_call_lots_available)),
            "csp" => sizing::size(account, c.short_strike * 100.0, c.capital_required, None),
            _ => sizing::size(account, c.max_loss, c.capital_required, None),
        };
        c.sizing = Some(sizing);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::years_to_expiry;
    use crate::domain::{Expiration, OptionContract, OptionType, StrikeRow, Symbol, round_to};
    use crate::quant::bsm::{self, BsmInput};
    use crate::time::Timestamp;

    fn contract(bid: f64, ask: f64) -> OptionContract {
        OptionContract {
            symbol: "X".into(),
            streamer_symbol: None,
            bid: Some(bid),
            ask: Some(ask),
            last: None,
            volume: Some(500.0),
            open_interest: Some(2000.0),
            broker_greeks: None,
        }
    }

    fn one_put_chain(quotes_at: Timestamp, expiration: Date) -> OptionChain {
        OptionChain {
            underlying: Symbol::parse("X").unwrap(),
            underlying_price: Some(100.0),
            shares_per_contract: 100,
            exercise_style: "American".into(),
            expirations: vec![Expiration {
                date: expiration,
                expiration_type: "Regular".into(),
                settlement: "PM".into(),
                strikes: vec![StrikeRow {
                    strike: 95.0,
                    call: None,
                    put: Some(contract(1.00, 1.10)),
                }],
                underlying: None,
            }],
            as_of: quotes_at,
        }
    }

    #[test]
    fn a_put_at_a_known_strike_and_premium_gives_the_known_returns() {
        let quotes_at: Timestamp = "2025-01-15T21:00:00Z".parse().unwrap();
        let expiration = Date::from_ymd(2025, 2, 14).unwrap(); // 30 days out
        let chain = one_put_chain(quotes_at, expiration);
        let request = OptionsRequest {
            delta_min: 0.05,
            delta_max: 0.5,
            ..OptionsRequest::defaults(Strategy::Csp)
        };
        let input = OptionsInput {
            chain: &chain,
            pricing: Pricing {
                spot: 100.0,
                rate: 0.04,
                dividend_yield: 0.0,
                quotes_at,
            },
            today: quotes_at.date(),
            metrics: None,
            request: &request,
        };
        let (candidates, evaluated, _) = rank_candidates(&input);
        assert_eq!(evaluated, 1);
        let c = &candidates[0];
        assert_eq!((c.kind, c.dte, c.short_strike), ("csp", 30, 95.0));
        assert_eq!(c.credit, 1.05);
        assert_eq!(c.credit_per_contract, 105.0);
        assert_eq!(c.capital_required, 9500.0);
        // 1.05 / 95 = 1.1053 %; × 365 / 30 = 13.447 %.
        assert_eq!(c.return_on_capital_percent, 1.11);
        assert_eq!(c.annualized_return_percent, 13.45);
        assert_eq!(c.breakeven, 93.95);
        assert_eq!(c.max_loss, 9395.0);
        // POP = P(S_T > 93.95) at the put's implied volatility, recomputed here.
        let iv = c.legs[0].analytics.iv.unwrap();
        let t = years_to_expiry(quotes_at, expiration);
        let expected = bsm::prob_itm(&BsmInput {
            option_type: OptionType::Call,
            spot: 100.0,
            strike: 93.95,
            t,
            vol: iv,
            rate: 0.04,
            div: 0.0,
        })
        .unwrap();
        assert!((c.pop - expected).abs() < 1e-4, "{} vs {expected}", c.pop);
        assert!(c.pop > 0.5 && c.pop < 1.0);
        assert!(c.greeks.theta > 0.0, "a short put earns time decay");
        assert_eq!(
            c.greeks.delta,
            round_to(-100.0 * c.legs[0].analytics.delta.unwrap(), 2)
        );
    }

    #[test]
    fn contracts_outside_the_windows_or_without_a_market_are_counted_not_guessed() {
        let quotes_at: Timestamp = "2025-01-15T21:00:00Z".parse().unwrap();
        let mut chain = one_put_chain(quotes_at, Date::from_ymd(2025, 2, 14).unwrap());
        if let Some(row) = chain.expirations[0].strikes.first_mut() {
            row.put = Some(contract(0.0, 0.05));
        }
        let request = OptionsRequest::defaults(Strategy::Csp);
        let input = OptionsInput {
            chain: &chain,
            pricing: Pricing {
                spot: 100.0,
                rate: 0.04,
                dividend_yield: 0.0,
                quotes_at,
            },
            today: quotes_at.date(),
            metrics: None,
            request: &request,
        };
        let (candidates, _, rejected) = rank_candidates(&input);
        assert!(candidates.is_empty());
        assert_eq!(rejected.no_two_sided_market, 1);
        let far = OptionsRequest {
            dte_min: 60,
            dte_max: 90,
            ..OptionsRequest::defaults(Strategy::Csp)
        };
        let input = OptionsInput {
            request: &far,
            ..input
        };
        assert_eq!(rank_candidates(&input).2.expirations_outside_dte, 1);
    }

    fn metrics(symbol: &str, hv_30: f64) -> MarketMetrics {
        MarketMetrics {
            symbol: Symbol::parse(symbol).unwrap(),
            iv_index: None,
            iv_rank: None,
            iv_percentile: None,
            hv_30: Some(hv_30),
            hv_60: None,
            hv_90: None,
            earnings_date: None,
            liquidity_rating: None,
            beta: None,
            dividend_yield: None,
            ex_dividend_date: None,
            as_of: "2025-01-09T09:00:00Z".parse().unwrap(),
        }
    }

    fn row(strike: f64, call: Option<(f64, f64)>, put: Option<(f64, f64)>) -> StrikeRow {
        StrikeRow {
            strike,
            call: call.map(|(b, a)| contract(b, a)),
            put: put.map(|(b, a)| contract(b, a)),
        }
    }

    /// IWM-class (penny) chain at price 100, t = 0.1 exactly (2025-01-09 09:00 UTC to 16:00 New
    /// York on 2025-02-14 is 36.5 days), no rate or dividend. The 100 strike is BSM at 20 % vol
    /// (2.5227 both sides): the ATM IV is 0.20.
    /// Ranks the hand chain with HV30 `hv` (none: no metrics).
    fn rank_hand(
        chain: &OptionChain,
        pricing: Pricing,
        hv: Option<f64>,
        request: &OptionsRequest,
    ) -> (Vec<Candidate>, usize, Rejected) {
        let m = hv.map(|h| metrics(chain.underlying.as_str(), h));
        rank_candidates(&OptionsInput {
            chain,
            pricing,
            today: pricing.quotes_at.date(),
            metrics: m.as_ref(),
            request,
        })
    }

    fn hand_chain(symbol: &str, rows: Vec<StrikeRow>) -> (OptionChain, Pricing) {
        let quotes_at: Timestamp = "2025-01-09T09:00:00Z".parse().unwrap();
        let mut strikes = rows;
        strikes.push(row(100.0, Some((2.5227, 2.5227)), Some((2.5227, 2.5227))));
        strikes.sort_by(|a, b| a.strike.total_cmp(&b.strike));
        let chain = OptionChain {
            underlying: Symbol::parse(symbol).unwrap(),
            underlying_price: Some(100.0),
            shares_per_contract: 100,
            exercise_style: "American".into(),
            expirations: vec![Expiration {
                date: Date::from_ymd(2025, 2, 14).unwrap(),
                expiration_type: "Regular".into(),
                settlement: "PM".into(),
                underlying: None,
                strikes,
            }],
            as_of: quotes_at,
        };
        let pricing = Pricing {
            spot: 100.0,
            rate: 0.0,
            dividend_yield: 0.0,
            quotes_at,
        };
        (chain, pricing)
    }

    #[test]
    fn candidates_rank_by_expected_value_per_dollar_at_risk_not_by_pop() {
        // Puts: 95 quoted 1.18 × 1.225 (BSM 1.1991 at 25 % vol: skew), 90 quoted 0.60 × 0.61
        // (BSM 0.6043 at 30 %). HV30 is 10 %, so the model volatility is ½ × 0.20 + ½ × 0.10 = 0.15.
        let (chain, pricing) = hand_chain(
            "IWM",
            vec![
                row(95.0, None, Some((1.18, 1.225))),
                row(90.0, None, Some((0.60, 0.61))),
            ],
        );
        let request = OptionsRequest {
            delta_min: 0.1,
            ..OptionsRequest::defaults(Strategy::Csp)
        };
        let (candidates, evaluated, _) = rank_hand(&chain, pricing, Some(0.10), &request);
        assert_eq!(evaluated, 2);
        let (a, b) = (&candidates[0], &candidates[1]);
        // 95 put: mid 1.2025 → limit 1.20 on the penny tick (natural 1.18). BSM at 0.15: 0.32906.
        // EV = (1.20 − 0.32906) × 100 = 87.09 per contract; at risk (95 − 1.20) × 100 = 9380;
        // EV per dollar = 87.094 / 9380 = 0.0092851.
        assert_eq!(
            (a.short_strike, a.credit, a.price.natural, a.price.mid),
            (95.0, 1.2, 1.18, 1.2025)
        );
        assert_eq!(a.credit_per_contract, 120.0);
        assert_eq!(a.max_loss, 9380.0);
        assert!(
            (a.score_parts.model_vol - 0.15).abs() < 1e-4,
            "{:?}",
            a.score_parts
        );
        assert_eq!(a.score_parts.model_vol_source, "atm_iv+hv30");
        assert!((a.expected_value - 87.09).abs() < 0.02, "{}", a.expected_value);
        assert!(
            (a.ev_per_dollar_at_risk - 0.0092851).abs() < 3e-6,
            "{}",
            a.ev_per_dollar_at_risk
        );
        // 90 put: mid 0.605 → limit 0.60. BSM at 0.15: 0.02070. EV = (0.60 − 0.0207) × 100 =
        // 57.93; at risk 8940; 0.006480 per dollar: ranked second despite its higher POP.
        assert_eq!((b.short_strike, b.credit), (90.0, 0.6));
        assert!((b.expected_value - 57.93).abs() < 0.02, "{}", b.expected_value);
        assert!(
            (b.ev_per_dollar_at_risk - 0.006480).abs() < 3e-6,
            "{}",
            b.ev_per_dollar_at_risk
        );
        assert!(b.pop > a.pop);
        assert_eq!(a.score, round_to(a.ev_per_dollar_at_risk * 100.0, 3));
        // The expected move sets the strike's distance in sigmas: 1σ = 6.32, (100 − 95) / 6.32.
        assert_eq!(a.levels.strike_distance_sigma, Some(0.79));
    }

    #[test]
    fn thin_spreads_are_not_candidates_and_scores_are_not_clipped() {
        // Bull put spreads on the hand chain: 95/90 for 1.2025 − 0.605 = 0.5975 → limit 0.59
        // (11.8 % of the 5 width: below 1/5, left out); 95/94 quoted so the credit is 0.30
        // (30 % of the 1 width: kept).
        let (chain, pricing) = hand_chain(
            "IWM",
            vec![
                row(95.0, None, Some((1.18, 1.225))),
                row(94.0, None, Some((0.89, 0.91))),
                row(90.0, None, Some((0.60, 0.61))),
            ],
        );
        let request = OptionsRequest {
            delta_min: 0.1,
            ..OptionsRequest::defaults(Strategy::Spread)
        };
        let (candidates, _, rejected) = rank_hand(&chain, pricing, Some(0.10), &request);
        assert!(rejected.credit_too_small >= 1, "{rejected:?}");
        assert!(
            candidates.iter().all(|c| c.credit_to_width.unwrap() >= 0.2),
            "{candidates:?}"
        );
        let kept = candidates
            .iter()
            .find(|c| c.short_strike == 95.0 && c.long_strike == Some(94.0))
            .unwrap();
        // 1.2025 − 0.90 = 0.3025 → limit 0.30; max loss (1 − 0.30) × 100 = 70.
        assert_eq!(
            (kept.credit, kept.max_loss, kept.credit_to_width),
            (0.3, 70.0, Some(0.3))
        );
        // A spread's return on capital is far above 100 % annualised; the score is not clipped.
        assert!(kept.annualized_return_percent > 100.0);
        assert_eq!(kept.score, round_to(kept.ev_per_dollar_at_risk * 100.0, 3));
    }

    #[test]
    fn covered_calls_show_the_basis_and_leave_strikes_below_it_out() {
        // Calls 105 (1.00 × 1.04) and 110 (0.30 × 0.32) on shares bought at 107.
        let (chain, pricing) = hand_chain(
            "IWM",
            vec![
                row(105.0, Some((1.00, 1.04)), None),
                row(110.0, Some((0.30, 0.32)), None),
            ],
        );
        let request = OptionsRequest {
            delta_min: 0.05,
            delta_max: 0.5,
            cost_basis: Some(107.0),
            ..OptionsRequest::defaults(Strategy::CoveredCall)
        };
        let (candidates, _, rejected) = rank_hand(&chain, pricing, Some(0.10), &request);
        assert_eq!(rejected.below_cost_basis, 1);
        assert_eq!(candidates.len(), 1);
        let c = &candidates[0];
        // 110 call, limit 0.31: against the basis 0.31 / 107 = 0.29 %, breakeven 106.69,
        // P&L if assigned (110 − 107 + 0.31) × 100 = 331; from today's 100: 1031.
        let b = c.basis.as_ref().unwrap();
        assert_eq!(c.credit, 0.31);
        assert_eq!((b.return_on_basis_percent, b.breakeven_on_basis), (0.29, 106.69));
        assert_eq!((b.pnl_if_assigned, b.pnl_if_assigned_from_price), (331.0, 1031.0));
        assert!(!b.below_basis);
        // Asked for, the 105 is shown with the loss it locks in: (105 − 107 + 1.02) × 100 = −98.
        let allowed = OptionsRequest {
            allow_below_basis: true,
            ..request.clone()
        };
        let (candidates, _, _) = rank_hand(&chain, pricing, Some(0.10), &allowed);
        let below = candidates.iter().find(|c| c.short_strike == 105.0).unwrap();
        let b = below.basis.as_ref().unwrap();
        assert!(b.below_basis);
        assert_eq!((below.credit, b.pnl_if_assigned), (1.02, -98.0));
    }

    #[test]
    fn a_level_nearer_than_half_an_atr_is_not_protection() {
        let (chain, pricing) = hand_chain("IWM", vec![row(95.0, None, Some((1.18, 1.225)))]);
        let request = |support: f64, atr: f64| OptionsRequest {
            delta_min: 0.1,
            levels: Some((Some(support), None)),
            atr: Some(atr),
            ..OptionsRequest::defaults(Strategy::Csp)
        };
        let run = |r: &OptionsRequest| rank_hand(&chain, pricing, None, r).0.remove(0).levels;
        // Support 98 with ATR 2: 1 ATR from the price and above the 95 strike: protection.
        let far = run(&request(98.0, 2.0));
        assert_eq!(
            (far.protected_by_level, far.level_distance_atr),
            (Some(true), Some(1.0))
        );
        // Support 99.5 with ATR 2: 0.25 ATR away, about to be tested: not protection.
        let near = run(&request(99.5, 2.0));
        assert_eq!(
            (near.protected_by_level, near.level_distance_atr),
            (Some(false), Some(0.25))
        );
    }
}
