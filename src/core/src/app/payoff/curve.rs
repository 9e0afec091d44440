//! The pure computation of a payoff from priced legs: the curves at expiration and today,
//! breakevens, extremes, probability of profit and the expected-move scenarios.

use super::{
    LegKind, METHOD_PNL, METHOD_POP, Payoff, PayoffMethod, PayoffPoint, PayoffRequest, PricedLeg, Scenario,
};
use crate::app::{Pricing, years_to_expiry};
use crate::domain::{OptionType, new_york_date, round_to, round4};
use crate::error::AppError;
use crate::quant::bsm::{self, BsmInput};
use crate::time::{Date, Timestamp};

/// Points of the drawn curves (the strikes are added to them).
const CURVE_POINTS: usize = 160;
/// Lowest volatility a shifted IV is floored at.
const MIN_VOL: f64 = 0.01;

/// Everything the pure computation needs.
pub(super) struct Market {
    pub(super) pricing: Pricing,
    /// Instant of the "today" curve.
    pub(super) today: Timestamp,
    /// Added to each IV (fraction).
    pub(super) shift: f64,
}

fn shifted(iv: f64, shift: f64) -> f64 {
    (iv + shift).max(MIN_VOL)
}

/// Value per share of a leg at underlying price `x`, `t_from` being the valuation instant.
fn leg_value(leg: &PricedLeg, market: &Market, x: f64, at: Timestamp) -> f64 {
    let (Some(option_type), Some(strike), Some(expiry)) = (leg.kind.option_type(), leg.strike, leg.expiry)
    else {
        return x;
    };
    let t = years_to_expiry(at, expiry);
    let intrinsic = match option_type {
        OptionType::Call => (x - strike).max(0.0),
        OptionType::Put => (strike - x).max(0.0),
    };
    let Some(iv) = leg.iv else { return intrinsic };
    if t <= 0.0 || x <= 0.0 {
        return intrinsic;
    }
    let input = BsmInput {
        option_type,
        spot: x,
        strike,
        t,
        vol: shifted(iv, market.shift),
        rate: market.pricing.rate,
        div: market.pricing.dividend_yield,
    };
    bsm::price(&input).unwrap_or(intrinsic)
}

fn pnl_at(legs: &[PricedLeg], market: &Market, x: f64, at: Timestamp) -> f64 {
    legs.iter()
        .map(|leg| leg.units() * (leg_value(leg, market, x, at) - leg.entry_price))
        .sum()
}

/// The instant the "at expiration" curve is taken at: the first expiration's close.
fn first_expiry(legs: &[PricedLeg]) -> Option<Date> {
    legs.iter().filter_map(|l| l.expiry).min()
}

/// Zero crossings of `points` (price, P&L), by linear interpolation, lowest first.
fn crossings(points: &[(f64, f64)]) -> Vec<f64> {
    let mut roots: Vec<f64> = Vec::new();
    for pair in points.windows(2) {
        let [(a, pa), (b, pb)] = pair else { continue };
        let root = if *pa == 0.0 {
            Some(*a)
        } else if pa * pb < 0.0 {
            Some(a + (b - a) * (-pa) / (pb - pa))
        } else {
            None
        };
        if let Some(r) = root
            && roots.last().is_none_or(|last| (r - last).abs() > 1e-9)
        {
            roots.push(r);
        }
    }
    if let Some((x, p)) = points.last()
        && *p == 0.0
        && roots.last().is_none_or(|last| (x - last).abs() > 1e-9)
    {
        roots.push(*x);
    }
    roots
}

/// Risk-neutral P(S_T > level).
fn prob_above(market: &Market, t: f64, vol: f64, level: f64) -> f64 {
    if level <= 0.0 {
        return 1.0;
    }
    let input = BsmInput {
        option_type: OptionType::Call,
        spot: market.pricing.spot,
        strike: level,
        t,
        vol,
        rate: market.pricing.rate,
        div: market.pricing.dividend_yield,
    };
    bsm::prob_itm(&input).unwrap_or(0.0)
}

/// The volatility of the probability of profit: the short leg nearest the money, else the
/// option leg nearest the money.
fn pop_volatility(legs: &[PricedLeg], spot: f64) -> Option<f64> {
    let nearest = |short_only: bool| {
        legs.iter()
            .filter(|l| l.kind != LegKind::Stock && (!short_only || l.quantity < 0.0))
            .filter_map(|l| Some(((l.strike? - spot).abs(), l.iv?)))
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, iv)| iv)
    };
    nearest(true).or_else(|| nearest(false))
}

/// The price grid of the curves: the strikes and the spot, and evenly spaced points over a range
/// wide enough for ±3σ and every strike.
fn curve_prices(legs: &[PricedLeg], spot: f64, sigma_move: Option<f64>) -> Vec<f64> {
    let farthest = legs
        .iter()
        .filter_map(|l| l.strike)
        .map(|k| (k - spot).abs() / spot)
        .fold(0.0_f64, f64::max);
    let spread = sigma_move.map_or(0.15, |m| 3.0 * m / spot);
    let k = (farthest * 1.25).max(spread).clamp(0.05, 0.9);
    let (lo, hi) = (spot * (1.0 - k), spot * (1.0 + k));
    let step = (hi - lo) / CURVE_POINTS as f64;
    let mut prices: Vec<f64> = (0..=CURVE_POINTS).map(|i| lo + step * i as f64).collect();
    prices.extend(
        legs.iter()
            .filter_map(|l| l.strike)
            .filter(|k| *k > lo && *k < hi),
    );
    prices.push(spot);
    prices.sort_by(f64::total_cmp);
    prices.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
    prices
}

/// Fills in a payoff's numbers from priced legs (no I/O).
pub(super) fn compute(
    legs: Vec<PricedLeg>,
    market: &Market,
    request: &PayoffRequest,
) -> Result<Payoff, AppError> {
    let spot = market.pricing.spot;
    let first = first_expiry(&legs)
        .ok_or_else(|| AppError::invalid("legs", "a payoff needs at least one option leg"))?;
    let at_expiry = crate::app::expiry_instant(first);
    let t1 = years_to_expiry(market.pricing.quotes_at, first);
    let mut warnings: Vec<String> = Vec::new();
    if t1 <= 0.0 {
        warnings.push(format!(
            "the first expiration {first} has passed: its legs are worth their intrinsic value"
        ));
    }
    let single_expiry = legs.iter().all(|l| l.expiry.is_none_or(|e| e == first));
    let vol = pop_volatility(&legs, spot).map(|iv| shifted(iv, market.shift));
    let sigma_move = vol.map(|v| bsm::expected_move(spot, v, t1.max(1.0 / 365.0)));
    let at_exp = |x: f64| pnl_at(&legs, market, x, at_expiry);
    let today = |x: f64| pnl_at(&legs, market, x, market.today);

    // Breakevens and extremes: exact on the kinks for one expiration (the P&L is linear between
    // strikes), searched on a fine grid otherwise.
    let mut kinks: Vec<f64> = vec![0.0, spot];
    kinks.extend(legs.iter().filter_map(|l| l.strike));
    let strike_max = kinks.iter().copied().fold(spot, f64::max);
    let far = strike_max * 4.0 + spot;
    kinks.push(far);
    kinks.sort_by(f64::total_cmp);
    kinks.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
    let prices = curve_prices(&legs, spot, sigma_move);
    let search: Vec<f64> = if single_expiry {
        kinks
    } else {
        let mut fine: Vec<f64> = (0..=4000).map(|i| far * f64::from(i) / 4000.0).collect();
        fine.extend(prices.iter().copied());
        fine.sort_by(f64::total_cmp);
        fine
    };
    let valued: Vec<(f64, f64)> = search.iter().map(|&x| (x, at_exp(x))).collect();
    let breakevens: Vec<f64> = crossings(&valued).into_iter().map(round4).collect();
    // Beyond the last kink only calls and shares move the P&L: its slope per $1.
    let right_slope: f64 = legs
        .iter()
        .filter(|l| l.expiry.is_none_or(|e| e == first) && l.kind != LegKind::Put)
        .map(PricedLeg::units)
        .sum();
    let later_legs = !single_expiry;
    let max_profit_unbounded = !later_legs && right_slope > 1e-9;
    let max_loss_unbounded = !later_legs && right_slope < -1e-9;
    let highest = valued.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let lowest = valued.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let max_profit = (!max_profit_unbounded).then(|| round_to(highest, 2));
    let max_loss = (!max_loss_unbounded).then(|| round_to((-lowest).max(0.0), 2));

    let pop = vol.map(|v| probability_of_profit(market, &valued, &at_exp, t1, v));

    let net_premium: f64 = legs.iter().map(|l| -l.units() * l.entry_price).sum();
    let scenarios = sigma_move
        .map(|m| scenarios(spot, m, &at_exp, &today))
        .unwrap_or_default();
    let curve = prices
        .iter()
        .map(|&x| PayoffPoint {
            price: round4(x),
            expiration: round_to(at_exp(x), 2),
            today: round_to(today(x), 2),
        })
        .collect();
    warnings.extend(nearest_strike_warnings(&legs));
    let quote_date = new_york_date(market.pricing.quotes_at);
    Ok(Payoff {
        symbol: request.symbol.as_str().to_owned(),
        underlying_price: spot,
        as_of: market.pricing.quotes_at.to_string(),
        net_premium: round_to(net_premium, 2),
        expiration: first.to_string(),
        dte: quote_date.days_until(first),
        days_forward: request.days_forward,
        today_date: new_york_date(market.today).to_string(),
        iv_shift: request.iv_shift,
        breakevens,
        max_profit,
        max_loss,
        max_profit_unbounded,
        max_loss_unbounded,
        extremes_approximate: later_legs,
        pop,
        pop_volatility: vol.map(round4),
        expected_move: sigma_move.map(|m| round_to(m, 2)),
        pnl_today_at_spot: round_to(today(spot), 2),
        scenarios,
        curve,
        warnings,
        legs,
        method: PayoffMethod {
            model: crate::app::MODEL_NAME,
            pnl: METHOD_PNL,
            pop: METHOD_POP,
            risk_free_rate: market.pricing.rate,
            dividend_yield: market.pricing.dividend_yield,
        },
    })
}

/// Probability of profit at the first expiration: the lognormal mass of the intervals between
/// breakevens where the P&L is positive.
fn probability_of_profit(
    market: &Market,
    valued: &[(f64, f64)],
    at_exp: &dyn Fn(f64) -> f64,
    t1: f64,
    vol: f64,
) -> f64 {
    let spot = market.pricing.spot;
    let mut edges = vec![0.0];
    edges.extend(crossings(valued));
    edges.push(f64::INFINITY);
    let mut p = 0.0;
    for pair in edges.windows(2) {
        let [a, b] = pair else { continue };
        let probe = if b.is_finite() {
            (a + b) / 2.0
        } else {
            a.max(spot) * 2.0 + 1.0
        };
        if at_exp(probe) > 0.0 {
            let upper = if b.is_finite() {
                prob_above(market, t1, vol, *b)
            } else {
                0.0
            };
            p += prob_above(market, t1, vol, *a) - upper;
        }
    }
    round4(p.clamp(0.0, 1.0))
}

/// The P&L at the spot and at one and two expected moves either side (prices above zero).
fn scenarios(spot: f64, m: f64, at_exp: &dyn Fn(f64) -> f64, today: &dyn Fn(f64) -> f64) -> Vec<Scenario> {
    [
        ("-2σ", -2.0),
        ("-1σ", -1.0),
        ("spot", 0.0),
        ("+1σ", 1.0),
        ("+2σ", 2.0),
    ]
    .into_iter()
    .filter(|(_, n)| spot + n * m > 0.0)
    .map(|(label, n)| {
        let x = spot + n * m;
        Scenario {
            label,
            price: round_to(x, 2),
            pnl_at_expiration: round_to(at_exp(x), 2),
            pnl_today: round_to(today(x), 2),
        }
    })
    .collect()
}

/// A note for each leg valued with the nearest strike's implied volatility.
fn nearest_strike_warnings(legs: &[PricedLeg]) -> Vec<String> {
    let mut warnings = Vec::new();
    for leg in legs {
        if leg.iv_from == Some("nearest_strike") {
            warnings.push(format!(
                "the {} {} has no two-sided market: it is valued with the nearest strike's implied volatility",
                leg.strike.unwrap_or_default(),
                match leg.kind {
                    LegKind::Call => "call",
                    _ => "put",
                }
            ));
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::super::MS_PER_DAY;
    use super::*;
    use crate::domain::Symbol;

    fn market(spot: f64) -> Market {
        let quotes_at = Date::from_ymd(2026, 1, 2).unwrap().at_utc(21, 0);
        Market {
            pricing: Pricing {
                spot,
                rate: 0.04,
                dividend_yield: 0.0,
                quotes_at,
            },
            today: quotes_at,
            shift: 0.0,
        }
    }

    fn option(kind: LegKind, strike: f64, quantity: f64, entry: f64, iv: f64) -> PricedLeg {
        PricedLeg {
            kind,
            symbol: None,
            strike: Some(strike),
            expiration: Some("2026-02-06".into()),
            quantity,
            multiplier: 100.0,
            entry_price: entry,
            entry_from: "given",
            mark: Some(entry),
            iv: Some(iv),
            iv_from: Some("mid"),
            expiry: Date::from_ymd(2026, 2, 6),
        }
    }

    fn request() -> PayoffRequest {
        PayoffRequest {
            symbol: Symbol::parse("SPY").unwrap(),
            legs: Vec::new(),
            days_forward: 0,
            iv_shift: 0.0,
        }
    }

    #[test]
    fn a_short_put_breaks_even_at_strike_minus_credit_and_matches_the_put_probability() {
        let m = market(600.0);
        let p = compute(vec![option(LegKind::Put, 580.0, -1.0, 6.3, 0.18)], &m, &request()).unwrap();
        assert_eq!(p.breakevens, vec![573.7]);
        assert_eq!(p.max_profit, Some(630.0));
        assert_eq!(p.max_loss, Some(57_370.0));
        assert!(!p.max_loss_unbounded && !p.max_profit_unbounded);
        assert_eq!(p.net_premium, 630.0);
        // POP = P(S_T > breakeven), the number analyze_options reports for this trade.
        let t = years_to_expiry(m.pricing.quotes_at, Date::from_ymd(2026, 2, 6).unwrap());
        let expected = round4(prob_above(&m, t, 0.18, 573.7));
        assert_eq!(p.pop, Some(expected));
        assert!(p.pop.unwrap() > 0.5 && p.pop.unwrap() < 1.0);
    }

    #[test]
    fn a_bull_put_spread_has_bounded_extremes_and_one_breakeven() {
        let m = market(600.0);
        let legs = vec![
            option(LegKind::Put, 580.0, -1.0, 6.0, 0.18),
            option(LegKind::Put, 575.0, 1.0, 4.5, 0.19),
        ];
        let p = compute(legs, &m, &request()).unwrap();
        assert_eq!(p.breakevens, vec![578.5]);
        assert_eq!(p.max_profit, Some(150.0));
        assert_eq!(p.max_loss, Some(350.0));
        // The short leg's IV is the probability's volatility.
        assert_eq!(p.pop_volatility, Some(0.18));
    }

    #[test]
    fn a_long_call_has_unlimited_profit_and_loses_at_most_its_premium() {
        let p = compute(
            vec![option(LegKind::Call, 610.0, 2.0, 5.0, 0.2)],
            &market(600.0),
            &request(),
        )
        .unwrap();
        assert!(p.max_profit_unbounded);
        assert_eq!(p.max_profit, None);
        assert_eq!(p.max_loss, Some(1000.0));
        assert_eq!(p.breakevens, vec![615.0]);
        assert_eq!(p.net_premium, -1000.0);
    }

    #[test]
    fn a_naked_short_call_has_unlimited_loss() {
        let p = compute(
            vec![option(LegKind::Call, 620.0, -1.0, 3.0, 0.2)],
            &market(600.0),
            &request(),
        )
        .unwrap();
        assert!(p.max_loss_unbounded);
        assert_eq!(p.max_loss, None);
        assert_eq!(p.max_profit, Some(300.0));
    }

    #[test]
    fn a_covered_call_caps_the_gain_above_the_strike() {
        let mut stock = option(LegKind::Stock, 0.0, 100.0, 600.0, 0.2);
        stock.strike = None;
        stock.expiry = None;
        stock.multiplier = 1.0;
        stock.iv = None;
        let legs = vec![stock, option(LegKind::Call, 620.0, -1.0, 4.0, 0.2)];
        let p = compute(legs, &market(600.0), &request()).unwrap();
        assert!(!p.max_profit_unbounded);
        assert_eq!(p.max_profit, Some(2400.0));
        assert_eq!(p.breakevens, vec![596.0]);
        assert_eq!(p.max_loss, Some(59_600.0));
    }

    #[test]
    fn the_today_curve_moves_toward_expiration_as_days_pass() {
        let mut m = market(600.0);
        let legs = vec![option(LegKind::Put, 580.0, -1.0, 6.3, 0.18)];
        let now = compute(legs.clone(), &m, &request()).unwrap().pnl_today_at_spot;
        m.today = m.pricing.quotes_at.add_millis(30 * MS_PER_DAY);
        let later = compute(legs.clone(), &m, &request()).unwrap().pnl_today_at_spot;
        m.today = m.pricing.quotes_at.add_millis(60 * MS_PER_DAY);
        let expired = compute(legs, &m, &request()).unwrap().pnl_today_at_spot;
        assert!(now < later, "{now} < {later}");
        assert_eq!(expired, 630.0);
    }

    #[test]
    fn a_higher_iv_makes_a_short_option_worth_less_today() {
        let mut m = market(600.0);
        let legs = vec![option(LegKind::Put, 580.0, -1.0, 6.3, 0.18)];
        let base = compute(legs.clone(), &m, &request()).unwrap().pnl_today_at_spot;
        m.shift = 0.05;
        let up = compute(legs, &m, &request()).unwrap().pnl_today_at_spot;
        assert!(up < base);
    }

    #[test]
    fn stock_alone_is_refused() {
        let mut stock = option(LegKind::Stock, 0.0, 100.0, 600.0, 0.2);
        stock.expiry = None;
        assert!(compute(vec![stock], &market(600.0), &request()).is_err());
    }

    #[test]
    fn crossings_are_found_between_points_and_on_them() {
        assert_eq!(crossings(&[(0.0, -1.0), (1.0, 1.0)]), vec![0.5]);
        assert_eq!(crossings(&[(0.0, -1.0), (1.0, 0.0), (2.0, 1.0)]), vec![1.0]);
        assert!(crossings(&[(0.0, 1.0), (1.0, 2.0)]).is_empty());
    }
}
