//! The option model on one contract and one expiration: the pricing inputs, time to the
//! 16:00 New York expiry, implied volatility and greeks of a contract, the at-the-money IV and
//! the expected move, and a whole chain enriched with them.

use serde::Serialize;

use crate::domain::{Expiration, OptionChain, OptionContract, OptionType, StrikeRow, round_to, round4};
use crate::quant::bsm::{self, BsmInput};
use crate::time::{Date, Timestamp};

/// What the option model needs besides the contract: the underlying price when the quotes were
/// taken, the rates, and that time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pricing {
    /// Underlying price.
    pub spot: f64,
    /// Risk-free rate (continuous, decimal).
    pub rate: f64,
    /// Dividend yield (continuous, decimal).
    pub dividend_yield: f64,
    /// When the option quotes were taken; time to expiry is measured from here.
    pub quotes_at: Timestamp,
}

/// Model numbers of one contract, from its mid. All `None` when the market is not two-sided or
/// the mid lies outside the no-arbitrage bounds (no implied volatility exists).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ContractAnalytics {
    /// Implied volatility of the mid (fraction).
    pub iv: Option<f64>,
    /// ∂V/∂S.
    pub delta: Option<f64>,
    /// ∂²V/∂S².
    pub gamma: Option<f64>,
    /// Value change per calendar day (negative: decay), per share.
    pub theta: Option<f64>,
    /// Value change per vol point, per share.
    pub vega: Option<f64>,
    /// Risk-neutral probability of finishing in the money.
    pub prob_itm: Option<f64>,
}

pub use crate::domain::expiry_instant;

/// Years (ACT/365) from `from` to the close of `expiration`, 0 when past.
pub fn years_to_expiry(from: Timestamp, expiration: Date) -> f64 {
    from.years_until(expiry_instant(expiration)).max(0.0)
}

/// The market's expected move to one expiration: ±1σ from the at-the-money implied volatility,
/// and the at-the-money straddle (what the market charges for a move either way).
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ExpectedMove {
    /// YYYY-MM-DD.
    pub expiration: String,
    /// Calendar days to expiration.
    pub dte: i32,
    /// The strike nearest the price (the straddle's).
    pub atm_strike: f64,
    /// Implied volatility at the money (fraction): the strikes on each side of the price, each
    /// the mean of its call and put IV, interpolated to the price.
    pub atm_iv: f64,
    /// One standard deviation of the price at expiration: price × ATM IV × √(years to 16:00 New York).
    pub one_sigma: f64,
    /// That move as a percent of the price.
    pub one_sigma_percent: f64,
    /// Price − 1σ.
    pub lower: f64,
    /// Price + 1σ.
    pub upper: f64,
    /// Call mid + put mid at the ATM strike, when both are two-sided.
    pub straddle: Option<f64>,
    /// The straddle as a percent of the price.
    pub straddle_percent: Option<f64>,
}

/// The implied volatility of one strike: the mean of its call's and put's (those that have one).
fn strike_iv(row: &StrikeRow, expiration: Date, pricing: &Pricing) -> Option<f64> {
    let ivs: Vec<f64> = [OptionType::Call, OptionType::Put]
        .into_iter()
        .filter_map(|option_type| {
            let contract = row.side(option_type)?;
            let t = years_to_expiry(pricing.quotes_at, expiration);
            bsm::implied_volatility(
                option_type,
                pricing.spot,
                row.strike,
                t,
                pricing.rate,
                pricing.dividend_yield,
                contract.mid()?,
            )
        })
        .collect();
    (!ivs.is_empty()).then(|| ivs.iter().sum::<f64>() / ivs.len() as f64)
}

/// The at-the-money implied volatility of an expiration: interpolated in strike between the
/// nearest strikes below and above the price that have one (the nearer one alone at an edge).
pub fn atm_iv(expiration: &Expiration, pricing: &Pricing) -> Option<f64> {
    let spot = pricing.spot;
    let below = expiration
        .strikes
        .iter()
        .rev()
        .filter(|r| r.strike <= spot)
        .find_map(|r| strike_iv(r, expiration.date, pricing).map(|iv| (r.strike, iv)));
    let above = expiration
        .strikes
        .iter()
        .filter(|r| r.strike > spot)
        .find_map(|r| strike_iv(r, expiration.date, pricing).map(|iv| (r.strike, iv)));
    match (below, above) {
        (Some((k0, v0)), Some((k1, v1))) if k1 > k0 => Some(v0 + (v1 - v0) * (spot - k0) / (k1 - k0)),
        (Some((_, v)), _) | (None, Some((_, v))) => Some(v),
        (None, None) => None,
    }
}

/// The expected move to `expiration` (see [`ExpectedMove`]); `None` without an ATM IV or after
/// the close of the expiration day.
pub fn expected_move(expiration: &Expiration, pricing: &Pricing, today: Date) -> Option<ExpectedMove> {
    let t = years_to_expiry(pricing.quotes_at, expiration.date);
    if t <= 0.0 || pricing.spot <= 0.0 {
        return None;
    }
    let iv = atm_iv(expiration, pricing)?;
    let spot = pricing.spot;
    let one_sigma = spot * iv * t.sqrt();
    let atm_row = expiration
        .strikes
        .iter()
        .min_by(|a, b| (a.strike - spot).abs().total_cmp(&(b.strike - spot).abs()))?;
    let straddle = match (
        atm_row.call.as_ref().and_then(OptionContract::mid),
        atm_row.put.as_ref().and_then(OptionContract::mid),
    ) {
        (Some(c), Some(p)) => Some(round4(c + p)),
        _ => None,
    };
    Some(ExpectedMove {
        expiration: expiration.date.to_string(),
        dte: today.days_until(expiration.date),
        atm_strike: atm_row.strike,
        atm_iv: round_to(iv, 6),
        one_sigma: round_to(one_sigma, 2),
        one_sigma_percent: round_to(one_sigma / spot * 100.0, 2),
        lower: round_to(spot - one_sigma, 2),
        upper: round_to(spot + one_sigma, 2),
        straddle,
        straddle_percent: straddle.map(|s| round_to(s / spot * 100.0, 2)),
    })
}

/// IV from the mid and greeks at that IV, or nothing when there is no two-sided market.
pub fn analyse_contract(
    pricing: &Pricing,
    option_type: OptionType,
    strike: f64,
    expiration: Date,
    contract: &OptionContract,
) -> ContractAnalytics {
    let Some(mid) = contract.mid() else {
        return ContractAnalytics::default();
    };
    let t = years_to_expiry(pricing.quotes_at, expiration);
    let Some(iv) = bsm::implied_volatility(
        option_type,
        pricing.spot,
        strike,
        t,
        pricing.rate,
        pricing.dividend_yield,
        mid,
    ) else {
        return ContractAnalytics::default();
    };
    let input = BsmInput {
        option_type,
        spot: pricing.spot,
        strike,
        t,
        vol: iv,
        rate: pricing.rate,
        div: pricing.dividend_yield,
    };
    match bsm::greeks(&input) {
        Ok(g) => ContractAnalytics {
            iv: Some(round_to(iv, 6)),
            delta: Some(round_to(g.delta, 6)),
            gamma: Some(round_to(g.gamma, 8)),
            theta: Some(round_to(g.theta, 6)),
            vega: Some(round_to(g.vega, 6)),
            prob_itm: Some(round_to(g.prob_itm, 6)),
        },
        Err(_) => ContractAnalytics {
            iv: Some(round_to(iv, 6)),
            ..ContractAnalytics::default()
        },
    }
}

/// Analytics of every contract of a chain, in chain order (expiration, strike, call then put).
/// Pure and allocation-light: one `Vec` for the answer.
pub fn enrich(
    chain: &OptionChain,
    pricing: &Pricing,
) -> Vec<(Option<ContractAnalytics>, Option<ContractAnalytics>)> {
    let rows: usize = chain.expirations.iter().map(|e| e.strikes.len()).sum();
    let mut out = Vec::with_capacity(rows);
    for expiration in &chain.expirations {
        for row in &expiration.strikes {
            let call = row
                .call
                .as_ref()
                .map(|c| analyse_contract(pricing, OptionType::Call, row.strike, expiration.date, c));
            let put = row
                .put
                .as_ref()
                .map(|c| analyse_contract(pricing, OptionType::Put, row.strike, expiration.date, c));
            out.push((call, put));
        }
    }
    out
}

/// The model's name, with its limit stated.
pub const MODEL_NAME: &str = "Black-Scholes-Merton with continuous dividend yield: a European approximation of American equity options";

/// The model for options on futures: Black-76, which is Black-Scholes-Merton with the dividend
/// yield equal to the rate, on the price of the futures contract each expiration delivers.
pub(crate) const FUTURES_MODEL_NAME: &str = "Black-76 (Black-Scholes-Merton with dividend yield = rate) on each expiration's futures contract: a European approximation of American futures options";

/// The greeks' units.
pub const GREEK_UNITS: &str = "iv: fraction; delta: per $1 of the underlying; gamma: delta per $1; theta: $ per share per calendar day; vega: $ per share per vol point; time: ACT/365 to 16:00 America/New_York on the expiration date";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Symbol;

    fn contract(bid: Option<f64>, ask: Option<f64>) -> OptionContract {
        OptionContract {
            symbol: "X".into(),
            streamer_symbol: None,
            bid,
            ask,
            last: None,
            volume: None,
            open_interest: None,
            broker_greeks: None,
        }
    }

    #[test]
    fn a_contract_priced_by_the_model_gives_back_its_volatility() {
        let quotes_at: Timestamp = "2025-01-15T21:00:00Z".parse().unwrap();
        let expiration = Date::from_ymd(2025, 2, 14).unwrap();
        let pricing = Pricing {
            spot: 100.0,
            rate: 0.04,
            dividend_yield: 0.01,
            quotes_at,
        };
        let t = years_to_expiry(quotes_at, expiration);
        assert!((t - 30.0 / 365.0).abs() < 1e-12);
        let price = bsm::price(&BsmInput {
            option_type: OptionType::Put,
            spot: 100.0,
            strike: 95.0,
            t,
            vol: 0.3,
            rate: 0.04,
            div: 0.01,
        })
        .unwrap();
        let a = analyse_contract(
            &pricing,
            OptionType::Put,
            95.0,
            expiration,
            &contract(Some(price - 0.0001), Some(price + 0.0001)),
        );
        assert!((a.iv.unwrap() - 0.3).abs() < 1e-4, "{a:?}");
        assert!(a.delta.unwrap() < 0.0 && a.delta.unwrap() > -0.5);
        assert!(a.theta.unwrap() < 0.0);
        assert!(a.vega.unwrap() > 0.0 && a.gamma.unwrap() > 0.0);
    }

    #[test]
    fn time_runs_to_four_in_new_york_across_daylight_saving_changes() {
        // 16:00 New York is 21:00 UTC under EST and 20:00 UTC under EDT.
        let fri_est = Date::from_ymd(2025, 3, 7).unwrap(); // before the 9 March 2025 change
        let fri_edt = Date::from_ymd(2025, 3, 14).unwrap(); // after it
        assert_eq!(expiry_instant(fri_est).to_string(), "2025-03-07T21:00:00Z");
        assert_eq!(expiry_instant(fri_edt).to_string(), "2025-03-14T20:00:00Z");
        // From one Friday close to the next across the spring change: 7 days less an hour,
        // 167 h / 8760 h = 0.019063927 years (a fixed 21:00 UTC would say 168 h).
        let t = years_to_expiry(expiry_instant(fri_est), fri_edt);
        assert!((t - 167.0 / 8760.0).abs() < 1e-12, "{t}");
        // Across the autumn change (2 November 2025): 31 Oct 20:00 UTC to 7 Nov 21:00 UTC, 169 h.
        let oct31 = Date::from_ymd(2025, 10, 31).unwrap();
        let nov7 = Date::from_ymd(2025, 11, 7).unwrap();
        assert_eq!(expiry_instant(oct31).to_string(), "2025-10-31T20:00:00Z");
        let t = years_to_expiry(expiry_instant(oct31), nov7);
        assert!((t - 169.0 / 8760.0).abs() < 1e-12, "{t}");
        // 0 DTE in July: quoted 10:30 New York (14:30 UTC), 5.5 h to the close, not 6.5 h.
        let july = Date::from_ymd(2025, 7, 18).unwrap();
        let t = years_to_expiry(july.at_utc(14, 30), july);
        assert!((t - 5.5 / 8760.0).abs() < 1e-12, "{t}");
        // After the close nothing is left.
        assert_eq!(years_to_expiry(july.at_utc(20, 1), july), 0.0);
    }

    #[test]
    fn the_expected_move_is_one_sigma_from_the_atm_iv_and_the_straddle() {
        // Price 100, strikes 95/100/105; the 100 call and put both at 2.5227 (BSM at 20 % vol,
        // t = 0.1, no rate): ATM IV 0.20, 1σ = 100 × 0.20 × √0.1 = 6.32, straddle 5.05.
        let expiration = Date::from_ymd(2025, 2, 14).unwrap();
        let quotes_at: Timestamp = "2025-01-09T09:00:00Z".parse().unwrap(); // 36.5 days before 16:00 NY
        let side = |p: f64| Some(contract(Some(p), Some(p)));
        let e = Expiration {
            date: expiration,
            expiration_type: "Regular".into(),
            settlement: "PM".into(),
            underlying: None,
            strikes: vec![
                StrikeRow {
                    strike: 100.0,
                    call: side(2.5227),
                    put: side(2.5227),
                },
                StrikeRow {
                    strike: 95.0,
                    call: None,
                    put: None,
                },
            ],
        };
        let pricing = Pricing {
            spot: 100.0,
            rate: 0.0,
            dividend_yield: 0.0,
            quotes_at,
        };
        let m = expected_move(&e, &pricing, quotes_at.date()).unwrap();
        assert!((m.atm_iv - 0.2).abs() < 1e-4, "{m:?}");
        assert_eq!((m.one_sigma, m.lower, m.upper), (6.32, 93.68, 106.32));
        assert_eq!((m.straddle, m.dte, m.atm_strike), (Some(5.0454), 36, 100.0));
        assert_eq!(m.straddle_percent, Some(5.05));
    }

    #[test]
    fn no_two_sided_market_means_no_numbers() {
        let pricing = Pricing {
            spot: 100.0,
            rate: 0.04,
            dividend_yield: 0.0,
            quotes_at: "2025-01-15T21:00:00Z".parse().unwrap(),
        };
        let expiration = Date::from_ymd(2025, 2, 14).unwrap();
        for c in [
            contract(Some(0.0), Some(0.05)),
            contract(None, Some(1.0)),
            contract(Some(1.2), Some(1.0)),
        ] {
            assert_eq!(
                analyse_contract(&pricing, OptionType::Call, 120.0, expiration, &c),
                ContractAnalytics::default()
            );
        }
        // A mid below intrinsic value has no implied volatility: nothing is guessed.
        let below = contract(Some(4.0), Some(4.1));
        assert_eq!(
            analyse_contract(&pricing, OptionType::Call, 90.0, expiration, &below),
            ContractAnalytics::default()
        );
    }

    #[test]
    fn enrich_covers_every_contract_in_order() {
        let expiration = Date::from_ymd(2025, 2, 14).unwrap();
        let chain = OptionChain {
            underlying: Symbol::parse("X").unwrap(),
            underlying_price: Some(100.0),
            shares_per_contract: 100,
            exercise_style: "American".into(),
            expirations: vec![Expiration {
                date: expiration,
                expiration_type: "Regular".into(),
                settlement: "PM".into(),
                strikes: vec![
                    StrikeRow {
                        strike: 95.0,
                        call: Some(contract(Some(6.0), Some(6.2))),
                        put: Some(contract(Some(1.0), Some(1.1))),
                    },
                    StrikeRow {
                        strike: 105.0,
                        call: Some(contract(Some(1.5), Some(1.6))),
                        put: None,
                    },
                ],
                underlying: None,
            }],
            as_of: "2025-01-15T21:00:00Z".parse().unwrap(),
        };
        let pricing = Pricing {
            spot: 100.0,
            rate: 0.04,
            dividend_yield: 0.0,
            quotes_at: chain.as_of,
        };
        let rows = enrich(&chain, &pricing);
        assert_eq!(rows.len(), 2);
        assert!(rows[0].0.unwrap().delta.unwrap() > 0.5);
        assert!(rows[1].1.is_none());
    }
}
