//! Black-Scholes-Merton for European options with a continuous dividend yield.
//!
//! Conventions (see the quant reference README): `t` is in years (ACT/365F, so `days / 365`),
//! `vol`, `rate` and `div` are annualized decimals with continuous compounding. The reported
//! `vega` is per vol point (σ + 0.01), `theta` per calendar day (per-year theta / 365, negative
//! for decay) and `rho` per rate point (r + 0.01); the raw derivatives are reported too.
//!
//! At `t == 0` the option has expired: the price is the undiscounted intrinsic value, delta is
//! ±1 in the money and 0 out of it, gamma, vega, rho, theta and the expected move are 0, and the
//! implied volatility is undefined. Exactly at the money, delta and the probability of finishing
//! in the money take their limits as `t -> 0+`: ±0.5 and 0.5.

use super::normal::{cdf, pdf};
pub use crate::domain::OptionType;

/// The inputs of one European option valuation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BsmInput {
    /// Call or put.
    pub option_type: OptionType,
    /// Price of the underlying, in currency units; must be finite and positive.
    pub spot: f64,
    /// Strike, in currency units; must be finite and positive.
    pub strike: f64,
    /// Time to expiry in years; must be finite and `>= 0`.
    pub t: f64,
    /// Annualized volatility as a decimal (0.25 = 25 %); must be finite and positive.
    pub vol: f64,
    /// Continuously compounded risk-free rate as a decimal; must be finite.
    pub rate: f64,
    /// Continuous dividend yield as a decimal; must be finite.
    pub div: f64,
}

/// The value of an option and its sensitivities, in trader units and raw units.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Greeks {
    /// Model value in currency units.
    pub price: f64,
    /// ∂V/∂S.
    pub delta: f64,
    /// ∂²V/∂S².
    pub gamma: f64,
    /// Value change for a volatility increase of one point (σ + 0.01).
    pub vega: f64,
    /// Value change as one calendar day passes (per-year theta / 365); negative means decay.
    pub theta: f64,
    /// Value change for a rate increase of one point (r + 0.01).
    pub rho: f64,
    /// ∂V/∂σ per 1.00 of volatility.
    pub vega_per_unit: f64,
    /// Value change per year of calendar time (−∂V/∂t).
    pub theta_per_year: f64,
    /// ∂V/∂r per 1.00 of rate.
    pub rho_per_unit: f64,
    /// ∂V/∂q per 1.00 of dividend yield.
    pub dividend_rho_per_unit: f64,
    /// Risk-neutral probability of finishing in the money: N(d2) for a call, N(−d2) for a put.
    pub prob_itm: f64,
    /// One standard deviation move of the underlying to expiry: S·σ·√t.
    pub expected_move: f64,
}

/// Why a valuation input was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BsmError {
    /// The spot is zero, negative, infinite or NaN.
    #[error("spot must be a finite number > 0")]
    Spot,
    /// The strike is zero, negative, infinite or NaN.
    #[error("strike must be a finite number > 0")]
    Strike,
    /// The time to expiry is negative, infinite or NaN.
    #[error("t must be a finite number >= 0")]
    Time,
    /// The volatility is zero, negative, infinite or NaN.
    #[error("vol must be a finite number > 0")]
    Vol,
    /// The rate is infinite or NaN.
    #[error("rate must be a finite number")]
    Rate,
    /// The dividend yield is infinite or NaN.
    #[error("div must be a finite number")]
    Div,
    /// The premium paid is negative, infinite or NaN.
    #[error("premium must be a finite number >= 0")]
    Premium,
}

/// The intermediate quantities of a valuation with time left.
#[derive(Clone, Copy, Debug)]
struct Live {
    /// `e^{-qT}`.
    dq: f64,
    /// `e^{-rT}`.
    dr: f64,
    /// `√T`.
    sqrt_t: f64,
    /// `d1`.
    d1: f64,
    /// `d2 = d1 − σ√T`.
    d2: f64,
}

/// A validated input: either expired (no time value) or live.
#[derive(Clone, Copy, Debug)]
enum Setup {
    /// `t == 0`, or `σ√t` underflows to 0.
    Expired,
    /// Time value remains.
    Live(Live),
}

fn validate(input: &BsmInput) -> Result<(), BsmError> {
    if !(input.spot.is_finite() && input.spot > 0.0) {
        return Err(BsmError::Spot);
    }
    if !(input.strike.is_finite() && input.strike > 0.0) {
        return Err(BsmError::Strike);
    }
    if !(input.t.is_finite() && input.t >= 0.0) {
        return Err(BsmError::Time);
    }
    if !(input.vol.is_finite() && input.vol > 0.0) {
        return Err(BsmError::Vol);
    }
    if !input.rate.is_finite() {
        return Err(BsmError::Rate);
    }
    if !input.div.is_finite() {
        return Err(BsmError::Div);
    }
    Ok(())
}

/// `d2` of a strike `strike` (the `d1` of it is `d2 + sd`).
fn d2_at(input: &BsmInput, strike: f64, sd: f64) -> f64 {
    let m = ((input.spot / strike).ln() + (input.rate - input.div) * input.t) / sd;
    m - 0.5 * sd
}

fn setup(input: &BsmInput) -> Result<Setup, BsmError> {
    validate(input)?;
    let sqrt_t = input.t.sqrt();
    let sd = input.vol * sqrt_t;
    if sd <= 0.0 {
        return Ok(Setup::Expired);
    }
    let d2 = d2_at(input, input.strike, sd);
    Ok(Setup::Live(Live {
        dq: (-input.div * input.t).exp(),
        dr: (-input.rate * input.t).exp(),
        sqrt_t,
        d1: d2 + sd,
        d2,
    }))
}

/// `+1` for a call, `-1` for a put.
fn sign(option_type: OptionType) -> f64 {
    match option_type {
        OptionType::Call => 1.0,
        OptionType::Put => -1.0,
    }
}

/// The Black-Scholes-Merton value of a European option.
///
/// At `t == 0` this is the undiscounted intrinsic value.
pub fn price(input: &BsmInput) -> Result<f64, BsmError> {
    Ok(match setup(input)? {
        Setup::Expired => intrinsic(input),
        Setup::Live(live) => live_price(input, &live),
    })
}

fn intrinsic(input: &BsmInput) -> f64 {
    (sign(input.option_type) * (input.spot - input.strike)).max(0.0)
}

fn live_price(input: &BsmInput, live: &Live) -> f64 {
    let s = sign(input.option_type);
    let value = s * (input.spot * live.dq * cdf(s * live.d1) - input.strike * live.dr * cdf(s * live.d2));
    // Deep out of the money the two terms can cancel to a tiny negative number.
    value.max(0.0)
}

/// Price and all sensitivities of a European option.
///
/// At `t == 0` the README's expiry convention applies (see the module documentation).
pub fn greeks(input: &BsmInput) -> Result<Greeks, BsmError> {
    let live = match setup(input)? {
        Setup::Expired => return Ok(expired_greeks(input)),
        Setup::Live(live) => live,
    };
    let (spot, strike, t, vol) = (input.spot, input.strike, input.t, input.vol);
    let s = sign(input.option_type);
    let n_d1 = cdf(s * live.d1);
    let n_d2 = cdf(s * live.d2);
    let density = pdf(live.d1);
    let spot_dq = spot * live.dq;
    let strike_dr = strike * live.dr;
    let price = (s * (spot_dq * n_d1 - strike_dr * n_d2)).max(0.0);
    let vega_per_unit = spot_dq * density * live.sqrt_t;
    let theta_per_year = -spot_dq * density * vol / (2.0 * live.sqrt_t) - s * input.rate * strike_dr * n_d2
        + s * input.div * spot_dq * n_d1;
    let rho_per_unit = s * strike * t * live.dr * n_d2;
    Ok(Greeks {
        price,
        delta: s * live.dq * n_d1,
        gamma: live.dq * density / (spot * vol * live.sqrt_t),
        vega: vega_per_unit / 100.0,
        theta: theta_per_year / 365.0,
        rho: rho_per_unit / 100.0,
        vega_per_unit,
        theta_per_year,
        rho_per_unit,
        dividend_rho_per_unit: -s * spot_dq * t * n_d1,
        prob_itm: n_d2,
        expected_move: expected_move(spot, vol, t),
    })
}

fn expired_greeks(input: &BsmInput) -> Greeks {
    let s = sign(input.option_type);
    let moneyness = s * (input.spot - input.strike);
    let (delta, prob_itm) = if moneyness > 0.0 {
        (s, 1.0)
    } else if moneyness < 0.0 {
        (0.0, 0.0)
    } else {
        (0.5 * s, 0.5)
    };
    Greeks {
        price: moneyness.max(0.0),
        delta,
        gamma: 0.0,
        vega: 0.0,
        theta: 0.0,
        rho: 0.0,
        vega_per_unit: 0.0,
        theta_per_year: 0.0,
        rho_per_unit: 0.0,
        dividend_rho_per_unit: 0.0,
        prob_itm,
        expected_move: 0.0,
    }
}

/// Risk-neutral probability that the option finishes in the money: `P(S_T > K)` for a call,
/// `P(S_T < K)` for a put. At `t == 0` it is 1 or 0 (0.5 exactly at the money).
pub fn prob_itm(input: &BsmInput) -> Result<f64, BsmError> {
    Ok(match setup(input)? {
        Setup::Expired => expired_greeks(input).prob_itm,
        Setup::Live(live) => cdf(sign(input.option_type) * live.d2),
    })
}

/// Risk-neutral probability that a long option bought for `premium` finishes past its
/// breakeven: `P(S_T > K + premium)` for a call, `P(S_T < K − premium)` for a put.
///
/// The premium carries no interest. A put whose breakeven is `<= 0` can never profit (0); a
/// call's breakeven is always positive. At `t == 0` the answer is 1 or 0 from the spot. For the
/// short side use `1 − value`.
pub fn prob_profit_long(input: &BsmInput, premium: f64) -> Result<f64, BsmError> {
    let setup = setup(input)?;
    if !(premium.is_finite() && premium >= 0.0) {
        return Err(BsmError::Premium);
    }
    let s = sign(input.option_type);
    let breakeven = input.strike + s * premium;
    if breakeven <= 0.0 {
        return Ok(match input.option_type {
            OptionType::Call => 1.0,
            OptionType::Put => 0.0,
        });
    }
    Ok(match setup {
        Setup::Expired => {
            if s * (input.spot - breakeven) > 0.0 {
                1.0
            } else {
                0.0
            }
        }
        Setup::Live(_) => {
            let sd = input.vol * input.t.sqrt();
            cdf(s * d2_at(input, breakeven, sd))
        }
    })
}

/// One standard deviation move of the underlying to expiry, in currency: `spot · vol · √t`.
///
/// No validation: a negative `t` gives NaN.
pub fn expected_move(spot: f64, vol: f64, t: f64) -> f64 {
    spot * vol * t.sqrt()
}

/// The volatility at which the model price equals `market_price`.
///
/// Returns `None` when an input is not finite, `spot`, `strike` or `t` is not positive, or the
/// price lies outside the no-arbitrage bounds, which are strict:
/// - call: `max(0, S e^{-qT} − K e^{-rT}) < price < S e^{-qT}`
/// - put: `max(0, K e^{-rT} − S e^{-qT}) < price < K e^{-rT}`
///
/// A deep in-the-money European put can be worth less than `K − S` and still has an implied
/// volatility. The solver works on the out-of-the-money side (in-the-money prices are turned into
/// the other type's price by put-call parity) and in total deviation `s = σ√T`. It runs Newton's
/// method safeguarded by a bisection bracket, on `ln(price)` below the inflection point
/// `s = √(2|ln(F/K)|)` and on the price above it, so it converges for deep in- or out-of-the-money
/// options and for volatilities of several hundred percent.
pub fn implied_volatility(
    option_type: OptionType,
    spot: f64,
    strike: f64,
    t: f64,
    rate: f64,
    div: f64,
    market_price: f64,
) -> Option<f64> {
    let finite = [spot, strike, t, rate, div, market_price]
        .iter()
        .all(|v| v.is_finite());
    if !(finite && spot > 0.0 && strike > 0.0 && t > 0.0) {
        return None;
    }
    let spot_dq = spot * (-div * t).exp();
    let strike_dr = strike * (-rate * t).exp();
    if !(spot_dq > 0.0 && strike_dr > 0.0 && spot_dq.is_finite() && strike_dr.is_finite()) {
        return None;
    }
    let (lower, upper) = match option_type {
        OptionType::Call => ((spot_dq - strike_dr).max(0.0), spot_dq),
        OptionType::Put => ((strike_dr - spot_dq).max(0.0), strike_dr),
    };
    if !(market_price > lower && market_price < upper) {
        return None;
    }
    // Work with the out-of-the-money option: its price is the time value.
    let otm_call = spot_dq <= strike_dr;
    let target = market_price - lower;
    let solver = Otm {
        otm_call,
        spot_dq,
        strike_dr,
        x: (spot_dq / strike_dr).ln(),
    };
    let otm_upper = if otm_call { spot_dq } else { strike_dr };
    if !(target > 0.0 && target < otm_upper) {
        return None;
    }
    let total = solver.solve(target)?;
    let vol = total / t.sqrt();
    (vol.is_finite() && vol > 0.0).then_some(vol)
}

/// The out-of-the-money option in Black form, as a function of total deviation `s = σ√T`.
struct Otm {
    /// Whether the out-of-the-money option is a call (else a put).
    otm_call: bool,
    /// `S e^{-qT}`.
    spot_dq: f64,
    /// `K e^{-rT}`.
    strike_dr: f64,
    /// `ln(S e^{-qT} / K e^{-rT}) = ln(F / K)`.
    x: f64,
}

impl Otm {
    /// Discounted value at total deviation `s > 0`.
    fn value(&self, s: f64) -> f64 {
        let d1 = self.x / s + 0.5 * s;
        let d2 = d1 - s;
        if self.otm_call {
            self.spot_dq * cdf(d1) - self.strike_dr * cdf(d2)
        } else {
            self.strike_dr * cdf(-d2) - self.spot_dq * cdf(-d1)
        }
    }

    /// ∂value/∂s.
    fn vega(&self, s: f64) -> f64 {
        self.spot_dq * pdf(self.x / s + 0.5 * s)
    }

    /// The total deviation whose value is `target` (which is inside the bounds).
    fn solve(&self, target: f64) -> Option<f64> {
        // The value is convex in s below the inflection point and concave above it.
        let inflection = (2.0 * self.x.abs()).sqrt();
        let below = inflection > 0.0 && target <= self.value(inflection);
        let (mut lo, mut hi, mut s) = if below {
            (0.0, inflection, inflection)
        } else {
            let mut lo = inflection;
            let mut hi = (2.0 * inflection).max(1.0);
            while self.value(hi) <= target {
                lo = hi;
                hi *= 2.0;
                if hi > 1.0e4 {
                    return None;
                }
            }
            // Start from the Brenner-Subrahmanyam guess when it is inside the bracket.
            let guess = target * std::f64::consts::TAU.sqrt() / self.spot_dq.max(self.strike_dr);
            let start = if guess > lo && guess < hi {
                guess
            } else {
                0.5 * (lo + hi)
            };
            (lo, hi, start)
        };
        let log_target = target.ln();
        for _ in 0..200 {
            let value = self.value(s);
            // Below the inflection point Newton works on ln(value), which is nearly linear there.
            let (f, slope) = if below {
                if value > 0.0 {
                    (value.ln() - log_target, self.vega(s) / value)
                } else {
                    (f64::NEG_INFINITY, f64::NAN)
                }
            } else {
                (value - target, self.vega(s))
            };
            if f == 0.0 {
                return Some(s);
            }
            if f < 0.0 {
                lo = s;
            } else {
                hi = s;
            }
            let newton = s - f / slope;
            let next = if newton.is_finite() && newton > lo && newton < hi {
                newton
            } else {
                0.5 * (lo + hi)
            };
            if (next - s).abs() <= 2.0 * f64::EPSILON * s || hi - lo <= 2.0 * f64::EPSILON * hi {
                return Some(next);
            }
            s = next;
        }
        Some(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn input(
        option_type: OptionType,
        spot: f64,
        strike: f64,
        t: f64,
        vol: f64,
        rate: f64,
        div: f64,
    ) -> BsmInput {
        BsmInput {
            option_type,
            spot,
            strike,
            t,
            vol,
            rate,
            div,
        }
    }

    fn close(a: f64, b: f64, atol: f64, rtol: f64) -> bool {
        (a - b).abs() <= atol + rtol * b.abs()
    }

    #[test]
    fn textbook_values() {
        // Hull's example: S = 42, K = 40, r = 10 %, σ = 20 %, T = 0.5.
        let call = input(OptionType::Call, 42.0, 40.0, 0.5, 0.2, 0.1, 0.0);
        let put = BsmInput {
            option_type: OptionType::Put,
            ..call
        };
        assert!(close(price(&call).unwrap(), 4.759_422_392_871_533, 1e-12, 1e-12));
        assert!(close(price(&put).unwrap(), 0.808_599_372_900_093_7, 1e-12, 1e-12));
    }

    #[test]
    fn expired_options_follow_the_convention() {
        let itm_put = input(OptionType::Put, 42.5, 50.0, 0.0, 0.6, 0.03, 0.0);
        let g = greeks(&itm_put).unwrap();
        assert_eq!(g.price, 7.5);
        assert_eq!(g.delta, -1.0);
        assert_eq!(g.prob_itm, 1.0);
        assert_eq!(
            (g.gamma, g.vega, g.rho, g.theta, g.expected_move),
            (0.0, 0.0, 0.0, 0.0, 0.0)
        );
        let otm_call = BsmInput {
            option_type: OptionType::Call,
            ..itm_put
        };
        let g = greeks(&otm_call).unwrap();
        assert_eq!((g.price, g.delta, g.prob_itm), (0.0, 0.0, 0.0));
        let atm = BsmInput {
            strike: 42.5,
            ..otm_call
        };
        let g = greeks(&atm).unwrap();
        assert_eq!((g.price, g.delta, g.prob_itm), (0.0, 0.5, 0.5));
        assert_eq!(price(&itm_put).unwrap(), 7.5);
        assert_eq!(
            implied_volatility(OptionType::Put, 42.5, 50.0, 0.0, 0.03, 0.0, 7.5),
            None
        );
        assert_eq!(prob_profit_long(&itm_put, 7.0).unwrap(), 1.0);
        assert_eq!(prob_profit_long(&itm_put, 8.0).unwrap(), 0.0);
    }

    #[test]
    fn bad_inputs_are_refused_with_clear_messages() {
        let good = input(OptionType::Call, 100.0, 100.0, 0.5, 0.2, 0.01, 0.0);
        let cases = [
            (BsmInput { spot: 0.0, ..good }, "spot must be a finite number > 0"),
            (
                BsmInput {
                    spot: f64::NAN,
                    ..good
                },
                "spot must be a finite number > 0",
            ),
            (
                BsmInput { strike: -1.0, ..good },
                "strike must be a finite number > 0",
            ),
            (BsmInput { t: -0.1, ..good }, "t must be a finite number >= 0"),
            (
                BsmInput {
                    t: f64::INFINITY,
                    ..good
                },
                "t must be a finite number >= 0",
            ),
            (BsmInput { vol: 0.0, ..good }, "vol must be a finite number > 0"),
            (
                BsmInput {
                    rate: f64::NAN,
                    ..good
                },
                "rate must be a finite number",
            ),
            (
                BsmInput {
                    div: f64::NEG_INFINITY,
                    ..good
                },
                "div must be a finite number",
            ),
        ];
        for (bad, message) in cases {
            assert_eq!(greeks(&bad).unwrap_err().to_string(), message);
            assert_eq!(price(&bad).unwrap_err().to_string(), message);
            assert_eq!(prob_itm(&bad).unwrap_err().to_string(), message);
        }
        assert_eq!(prob_profit_long(&good, -1.0).unwrap_err(), BsmError::Premium);
        assert_eq!(
            BsmError::Premium.to_string(),
            "premium must be a finite number >= 0"
        );
    }

    #[test]
    fn iv_outside_the_bounds_is_none() {
        // The call price below the discounted-forward intrinsic (README bs-0206).
        let below = implied_volatility(
            OptionType::Call,
            120.0,
            100.0,
            30.0 / 365.0,
            0.05,
            0.0,
            20.36011562357957,
        );
        assert_eq!(below, None);
        assert_eq!(
            implied_volatility(OptionType::Put, 100.0, 90.0, 0.5, 0.02, 0.0, -0.5),
            None
        );
        assert_eq!(
            implied_volatility(OptionType::Put, 100.0, 90.0, 0.5, 0.02, 0.0, 0.0),
            None
        );
        // At or above the cap S e^{-qT}.
        let cap = 50.0 * (-0.01_f64 * 0.25).exp();
        assert_eq!(
            implied_volatility(OptionType::Call, 50.0, 55.0, 0.25, 0.03, 0.01, cap),
            None
        );
        assert_eq!(
            implied_volatility(OptionType::Call, 50.0, 55.0, 0.25, 0.03, 0.01, 49.9),
            None
        );
        assert_eq!(
            implied_volatility(OptionType::Call, 50.0, 55.0, 0.25, 0.03, 0.01, f64::NAN),
            None
        );
    }

    #[test]
    fn european_put_below_intrinsic_has_an_iv() {
        let put = input(OptionType::Put, 50.0, 100.0, 2.0, 0.2, 0.08, 0.0);
        let p = price(&put).unwrap();
        assert!(p < 50.0, "the put is worth less than K - S");
        let iv = implied_volatility(OptionType::Put, 50.0, 100.0, 2.0, 0.08, 0.0, p).unwrap();
        assert!((iv - 0.2).abs() < 1e-9, "iv = {iv}");
    }

    #[test]
    fn extreme_and_low_vols_are_recovered() {
        for (option_type, spot, strike, t, vol) in [
            (OptionType::Call, 20.0, 20.0, 30.0 / 365.0, 3.0),
            (OptionType::Put, 20.0, 25.0, 30.0 / 365.0, 5.0),
            (OptionType::Call, 100.0, 300.0, 0.5, 4.0),
            (OptionType::Put, 100.0, 99.0, 90.0 / 365.0, 0.02),
            (OptionType::Call, 100.0, 101.0, 90.0 / 365.0, 0.01),
            (OptionType::Call, 100.0, 1.0, 1.0, 2.5),
        ] {
            let case = input(option_type, spot, strike, t, vol, 0.03, 0.01);
            let p = price(&case).unwrap();
            let iv = implied_volatility(option_type, spot, strike, t, 0.03, 0.01, p).unwrap();
            assert!((iv - vol).abs() < 1e-9, "{case:?}: iv = {iv}");
        }
    }

    #[test]
    fn prob_profit_handles_breakeven_at_or_below_zero() {
        let put = input(OptionType::Put, 10.0, 5.0, 0.5, 0.5, 0.0, 0.0);
        assert_eq!(prob_profit_long(&put, 5.0).unwrap(), 0.0);
        assert_eq!(prob_profit_long(&put, 6.0).unwrap(), 0.0);
        let call = BsmInput {
            option_type: OptionType::Call,
            ..put
        };
        let p = prob_profit_long(&call, 1.0).unwrap();
        assert!(p > 0.0 && p < prob_itm(&call).unwrap());
        assert_eq!(prob_profit_long(&call, 0.0).unwrap(), prob_itm(&call).unwrap());
    }

    fn arb_input() -> impl Strategy<Value = BsmInput> {
        (
            any::<bool>(),
            10.0..1000.0f64,
            0.5..2.0f64,
            0.02..3.0f64,
            0.05..1.5f64,
            0.0..0.08f64,
            0.0..0.05f64,
        )
            .prop_map(|(is_call, spot, moneyness, t, vol, rate, div)| BsmInput {
                option_type: if is_call {
                    OptionType::Call
                } else {
                    OptionType::Put
                },
                spot,
                strike: spot * moneyness,
                t,
                vol,
                rate,
                div,
            })
    }

    proptest! {
        #[test]
        fn put_call_parity(case in arb_input()) {
            let call = price(&BsmInput { option_type: OptionType::Call, ..case }).unwrap();
            let put = price(&BsmInput { option_type: OptionType::Put, ..case }).unwrap();
            let forward = case.spot * (-case.div * case.t).exp() - case.strike * (-case.rate * case.t).exp();
            prop_assert!((call - put - forward).abs() <= 1e-12 * case.spot.max(case.strike) * 10.0);
        }

        #[test]
        fn price_increases_with_vol(case in arb_input(), bump in 0.001..1.0f64) {
            let low = price(&case).unwrap();
            let high = price(&BsmInput { vol: case.vol + bump, ..case }).unwrap();
            prop_assert!(high >= low - 1e-12 * case.spot);
        }

        #[test]
        fn call_price_decreases_with_strike(case in arb_input(), bump in 0.01..100.0f64) {
            let call = BsmInput { option_type: OptionType::Call, ..case };
            let near = price(&call).unwrap();
            let far = price(&BsmInput { strike: call.strike + bump, ..call }).unwrap();
            prop_assert!(far <= near + 1e-12 * case.spot);
        }

        #[test]
        fn iv_inverts_price(case in arb_input()) {
            let g = greeks(&case).unwrap();
            let spot_dq = case.spot * (-case.div * case.t).exp();
            let strike_dr = case.strike * (-case.rate * case.t).exp();
            let (lower, upper) = match case.option_type {
                OptionType::Call => ((spot_dq - strike_dr).max(0.0), spot_dq),
                OptionType::Put => ((strike_dr - spot_dq).max(0.0), strike_dr),
            };
            let scale = case.spot.max(case.strike);
            if g.vega_per_unit <= 1e-4 * case.spot {
                return Ok(());
            }
            if !(g.price - lower > 1e-6 * scale && upper - g.price > 1e-6 * scale) {
                return Ok(());
            }
            let iv = implied_volatility(case.option_type, case.spot, case.strike, case.t, case.rate, case.div, g.price);
            prop_assert!(iv.is_some());
            let iv = iv.unwrap_or(f64::NAN);
            prop_assert!((iv - case.vol).abs() < 1e-8, "iv {} vol {}", iv, case.vol);
        }

        #[test]
        fn iv_inverts_price_over_the_reference_ranges(
            is_call in any::<bool>(), log_spot in 10f64.ln()..1000f64.ln(), days in 1u32..731,
            log_vol in 0.01f64.ln()..5f64.ln(), moneyness in prop_oneof![(-3.5..3.5f64).prop_map(Ok), (0.1..5.0f64).prop_map(Err)],
            rate in 0.0..0.08f64, div in 0.0..0.05f64,
        ) {
            let (spot, vol, t) = (log_spot.exp(), log_vol.exp(), f64::from(days) / 365.0);
            let strike = match moneyness {
                Ok(z) => spot * ((rate - div) * t + z * vol * t.sqrt()).exp(),
                Err(ratio) => spot * ratio,
            };
            let option_type = if is_call { OptionType::Call } else { OptionType::Put };
            let case = BsmInput { option_type, spot, strike, t, vol, rate, div };
            let g = greeks(&case).unwrap();
            let spot_dq = spot * (-div * t).exp();
            let strike_dr = strike * (-rate * t).exp();
            let lower = match option_type {
                OptionType::Call => (spot_dq - strike_dr).max(0.0),
                OptionType::Put => (strike_dr - spot_dq).max(0.0),
            };
            // The README's conditioning: enough vega, and a price off the bounds in double precision.
            if g.vega_per_unit < 1e-5 * spot.max(strike) {
                return Ok(());
            }
            if !(g.price > lower && g.price > 0.0) {
                return Ok(());
            }
            let iv = implied_volatility(option_type, spot, strike, t, rate, div, g.price);
            prop_assert!(iv.is_some(), "no iv for {:?}", case);
            let iv = iv.unwrap_or(f64::NAN);
            prop_assert!((iv - vol).abs() < 1e-7, "iv {} vol {} {:?}", iv, vol, case);
        }

        #[test]
        fn greeks_match_finite_differences(case in arb_input()) {
            let g = greeks(&case).unwrap();
            let p = |c: BsmInput| price(&c).unwrap();
            let tol = |fd: f64, exact: f64, atol: f64| (fd - exact).abs() <= atol + 1e-5 * exact.abs();
            // Rounding noise of a difference quotient with step h of the given order.
            let noise = |h: f64, order: i32| 16.0 * f64::EPSILON * (g.price + case.spot) / h.powi(order);
            let scale = case.spot * case.vol * case.t.sqrt();
            let h = 1e-4 * scale;
            let up = p(BsmInput { spot: case.spot + h, ..case });
            let down = p(BsmInput { spot: case.spot - h, ..case });
            let mid = p(case);
            prop_assert!(tol((up - down) / (2.0 * h), g.delta, 1e-7 + noise(h, 1)), "delta");
            let h = 1e-3 * scale;
            let up = p(BsmInput { spot: case.spot + h, ..case });
            let down = p(BsmInput { spot: case.spot - h, ..case });
            prop_assert!(tol((up - 2.0 * mid + down) / (h * h), g.gamma, 1e-7 / case.spot + noise(h, 2)), "gamma");
            let h = 1e-5;
            let fd_vega = (p(BsmInput { vol: case.vol + h, ..case }) - p(BsmInput { vol: case.vol - h, ..case })) / (2.0 * h);
            prop_assert!(tol(fd_vega, g.vega_per_unit, 1e-6 * case.spot), "vega");
            prop_assert!((g.vega - g.vega_per_unit / 100.0).abs() <= 1e-15 * g.vega_per_unit);
            let ht = 1e-4 * case.t;
            let fd_theta = (p(BsmInput { t: case.t - ht, ..case }) - p(BsmInput { t: case.t + ht, ..case })) / (2.0 * ht);
            prop_assert!(tol(fd_theta, g.theta_per_year, 1e-5 * case.spot), "theta {} {}", fd_theta, g.theta_per_year);
            prop_assert!((g.theta * 365.0 - g.theta_per_year).abs() <= 1e-12 * g.theta_per_year.abs());
            let fd_rho = (p(BsmInput { rate: case.rate + h, ..case }) - p(BsmInput { rate: case.rate - h, ..case })) / (2.0 * h);
            prop_assert!(tol(fd_rho, g.rho_per_unit, 1e-6 * case.spot), "rho");
            let fd_div = (p(BsmInput { div: case.div + h, ..case }) - p(BsmInput { div: case.div - h, ..case })) / (2.0 * h);
            prop_assert!(tol(fd_div, g.dividend_rho_per_unit, 1e-6 * case.spot), "dividend rho");
        }

        #[test]
        fn nothing_panics_on_arbitrary_numbers(
            is_call in any::<bool>(),
            spot in any::<f64>(), strike in any::<f64>(), t in any::<f64>(),
            vol in any::<f64>(), rate in any::<f64>(), div in any::<f64>(), market in any::<f64>(),
        ) {
            let option_type = if is_call { OptionType::Call } else { OptionType::Put };
            let case = BsmInput { option_type, spot, strike, t, vol, rate, div };
            let _ = greeks(&case);
            let _ = price(&case);
            let _ = prob_itm(&case);
            let _ = prob_profit_long(&case, market);
            let _ = implied_volatility(option_type, spot, strike, t, rate, div, market);
        }
    }
}
