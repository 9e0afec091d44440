//! The weekly option-chain snapshots: expirations (weeklies and monthlies), a volatility
//! surface with skew, term structure and an earnings bump, and Black-Scholes-Merton prices on the
//! tick with spreads that widen away from the money.

use ttai_core::domain::{
    Expiration, OptionChain, OptionContract, OptionType, StrikeRow, occ_symbol, round_to,
};
use ttai_core::quant::bsm::{self, BsmInput};
use ttai_core::time::{Date, Weekday};

use super::RATE;
use super::calendar::{close_time, nth_weekday};
use super::market::{Day, Rng, Series, Spec, long_term_vol, sym};

/// Implied volatility of a strike and expiry from the day's 30-day ATM level: term structure
/// toward the long-term level, skew in standardized moneyness, and an earnings bump for
/// expirations after the next report.
pub(super) fn surface(spec: &Spec, iv30: f64, spot: f64, strike: f64, t: f64, earnings_inside: bool) -> f64 {
    let long = long_term_vol(spec) * 1.08;
    let base = long + (iv30 - long) * (-(t - 30.0 / 365.0).max(0.0) / 0.35).exp();
    let atm = if earnings_inside {
        let move_var = 0.05_f64 * 0.05;
        ((base * base * t + move_var) / t).sqrt()
    } else {
        base
    };
    let forward = spot * ((RATE - spec.div_yield) * t).exp();
    let m = (strike / forward).ln() / (atm * t.sqrt());
    let factor = (1.0 - spec.skew * m + 0.025 * m * m).clamp(0.65, 2.5);
    atm * factor
}

pub(super) fn expirations_for(snapshot: Date, calendar: &[Date]) -> Vec<Date> {
    let is_trading = |d: Date| calendar.binary_search(&d).is_ok();
    let settle = |mut d: Date| {
        while !is_trading(d) && d > snapshot {
            d = d.add_days(-1);
        }
        d
    };
    let mut out = Vec::new();
    // Weeklies: the next six Fridays.
    let mut friday = snapshot.add_days(1);
    while friday.weekday() != Weekday::Friday {
        friday = friday.add_days(1);
    }
    for k in 0..6 {
        out.push(settle(friday.add_days(7 * k)));
    }
    // Monthlies (third Friday) up to ~120 days out.
    let (mut y, mut m, _) = snapshot.ymd();
    for _ in 0..6 {
        let third = settle(nth_weekday(y, m, Weekday::Friday, 3));
        if third > snapshot && snapshot.days_until(third) <= 120 && !out.contains(&third) {
            out.push(third);
        }
        m += 1;
        if m > 12 {
            m = 1;
            y += 1;
        }
    }
    out.retain(|d| *d > snapshot);
    out.sort();
    out.dedup();
    out
}

pub(super) fn tick_floor(price: f64) -> f64 {
    let tick = if price < 3.0 { 0.01 } else { 0.05 };
    round_to((price / tick).floor() * tick, 2)
}

pub(super) fn tick_ceil(price: f64) -> f64 {
    let tick = if price < 3.0 { 0.01 } else { 0.05 };
    round_to((price / tick).ceil() * tick, 2)
}

pub(super) fn model_price(
    option_type: OptionType,
    spot: f64,
    strike: f64,
    t: f64,
    vol: f64,
    div: f64,
) -> f64 {
    bsm::price(&BsmInput {
        option_type,
        spot,
        strike,
        t,
        vol,
        rate: RATE,
        div,
    })
    .unwrap_or(0.0)
}

pub(super) fn chain_snapshot(
    spec: &Spec,
    day: &Day,
    series: &Series,
    calendar: &[Date],
    rng: &mut Rng,
) -> OptionChain {
    let spot = day.candle.close;
    let next_earnings = series.earnings.iter().find(|e| **e >= day.date).copied();
    let expirations = expirations_for(day.date, calendar)
        .into_iter()
        .map(|exp| {
            let days = day.date.days_until(exp);
            let t = f64::from(days) / 365.0;
            let earnings_inside = next_earnings.is_some_and(|e| e < exp);
            let atm = surface(spec, day.iv30, spot, spot, t, earnings_inside);
            let half_range = (2.4 * atm * t.sqrt()).max(0.08) * spot;
            let n_side = ((half_range / spec.strike_step).ceil() as i32).clamp(6, 26);
            let centre = (spot / spec.strike_step).round() * spec.strike_step;
            let strikes = (-n_side..=n_side)
                .map(|k| centre + f64::from(k) * spec.strike_step)
                .filter(|k| *k > 0.0)
                .map(|strike| {
                    let vol = surface(spec, day.iv30, spot, strike, t, earnings_inside);
                    let moneyness = ((strike / spot).ln() / (atm * t.sqrt())).abs();
                    let mut side = |option_type: OptionType| {
                        let value = model_price(option_type, spot, strike, t, vol, spec.div_yield);
                        let width = (0.03 + 0.025 * moneyness) * value + 0.01;
                        let bid = tick_floor(value - width / 2.0).max(0.0);
                        let ask = tick_ceil(value + width / 2.0).max(0.01);
                        let oi = (spec.liquidity
                            * 2_000.0
                            * (-moneyness * moneyness / 2.0).exp()
                            * (0.5 + rng.uniform()))
                        .round();
                        let volume = (oi * 0.12 * rng.uniform()).round();
                        OptionContract {
                            symbol: occ_symbol(spec.symbol, exp, option_type, strike),
                            streamer_symbol: None,
                            bid: Some(bid),
                            ask: Some(ask),
                            last: None,
                            volume: Some(volume),
                            open_interest: Some(oi),
                            broker_greeks: None,
                        }
                    };
                    let call = side(OptionType::Call);
                    let put = side(OptionType::Put);
                    StrikeRow {
                        strike: round_to(strike, 2),
                        call: Some(call),
                        put: Some(put),
                    }
                })
                .collect();
            let third_friday = nth_weekday(exp.ymd().0, exp.ymd().1, Weekday::Friday, 3);
            let regular = exp == third_friday || exp == third_friday.add_days(-1);
            Expiration {
                date: exp,
                expiration_type: if regular {
                    "Regular".into()
                } else {
                    "Weekly".into()
                },
                settlement: "PM".into(),
                strikes,
                underlying: None,
            }
        })
        .collect();
    OptionChain {
        underlying: sym(spec.symbol),
        underlying_price: Some(spot),
        shares_per_contract: 100,
        exercise_style: "American".into(),
        expirations,
        as_of: close_time(day.date),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::calendar::{date, trading_days};

    #[test]
    fn expirations_are_weekly_then_monthly_and_in_the_future() {
        let cal = trading_days(date(2026, 1, 1), date(2026, 12, 31));
        let exps = expirations_for(date(2026, 3, 6), &cal);
        assert_eq!(exps.first(), Some(&date(2026, 3, 13)));
        assert!(exps.contains(&date(2026, 6, 18)) || exps.contains(&date(2026, 6, 19)));
        assert!(exps.windows(2).all(|w| w[0] < w[1]));
    }
}
