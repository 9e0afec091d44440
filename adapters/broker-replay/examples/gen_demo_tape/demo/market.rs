//! The synthetic market: four underlyings driven by one market factor with volatility regimes,
//! each with its own noise, and AAPL's earnings gaps.

use ttai_core::domain::{Candle, Symbol, round_to};
use ttai_core::time::{Date, Weekday};

use super::calendar::date;

/// SplitMix64, seeded: the only source of randomness, so the tape is the same on every run.
pub(super) struct Rng(pub(super) u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub(super) fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1_u64 << 53) as f64
    }
    pub(super) fn normal(&mut self) -> f64 {
        let u1 = self.uniform().max(1e-300);
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

/// One synthetic underlying.
pub(super) struct Spec {
    pub(super) symbol: &'static str,
    pub(super) description: &'static str,
    pub(super) start: f64,
    pub(super) beta: f64,
    pub(super) idio_vol: f64,
    pub(super) strike_step: f64,
    pub(super) earnings: bool,
    pub(super) div_yield: f64,
    pub(super) base_volume: f64,
    pub(super) liquidity: f64,
    pub(super) skew: f64,
    pub(super) spread: f64,
}

/// The four underlyings, in the order of their series.
pub(super) const SPECS: [Spec; 4] = [
    Spec {
        symbol: "SPY",
        description: "SPDR S&P 500 ETF Trust (synthetic)",
        start: 520.0,
        beta: 1.0,
        idio_vol: 0.0,
        strike_step: 5.0,
        earnings: false,
        div_yield: 0.013,
        base_volume: 60e6,
        liquidity: 5.0,
        skew: 0.14,
        spread: 0.01,
    },
    Spec {
        symbol: "QQQ",
        description: "Invesco QQQ Trust (synthetic)",
        start: 440.0,
        beta: 1.2,
        idio_vol: 0.07,
        strike_step: 5.0,
        earnings: false,
        div_yield: 0.006,
        base_volume: 40e6,
        liquidity: 5.0,
        skew: 0.12,
        spread: 0.01,
    },
    Spec {
        symbol: "AAPL",
        description: "Apple Inc. - Common Stock (synthetic)",
        start: 200.0,
        beta: 1.1,
        idio_vol: 0.17,
        strike_step: 2.5,
        earnings: true,
        div_yield: 0.005,
        base_volume: 55e6,
        liquidity: 4.0,
        skew: 0.09,
        spread: 0.02,
    },
    Spec {
        symbol: "IWM",
        description: "iShares Russell 2000 ETF (synthetic)",
        start: 210.0,
        beta: 1.15,
        idio_vol: 0.09,
        strike_step: 2.0,
        earnings: false,
        div_yield: 0.011,
        base_volume: 30e6,
        liquidity: 4.0,
        skew: 0.11,
        spread: 0.01,
    },
];

pub(super) const REGIME_VOL: [f64; 3] = [0.11, 0.16, 0.30];
pub(super) const MARKET_DRIFT: f64 = 0.07;

pub(super) fn sym(s: &str) -> Symbol {
    Symbol::parse(s).unwrap_or_else(|_| Symbol::parse("SPY").unwrap_or_else(|_| unreachable_symbol()))
}

#[allow(clippy::panic)]
pub(super) fn unreachable_symbol() -> Symbol {
    panic!("static symbols are valid")
}

/// One trading day of one underlying.
pub(super) struct Day {
    pub(super) date: Date,
    pub(super) candle: Candle,
    pub(super) prev_close: f64,
    /// 30-day at-the-money implied volatility.
    pub(super) iv30: f64,
}

/// One underlying's days and its earnings dates.
pub(super) struct Series {
    pub(super) days: Vec<Day>,
    pub(super) earnings: Vec<Date>,
}

pub(super) fn earnings_dates(from: Date, to: Date) -> Vec<Date> {
    let mut out = Vec::new();
    for y in from.ymd().0..=to.ymd().0 {
        for (m, d) in [(1, 29), (4, 30), (7, 30), (10, 29)] {
            let mut e = date(y, m, d);
            while e.weekday() != Weekday::Thursday {
                e = e.add_days(1);
            }
            if e >= from && e <= to {
                out.push(e);
            }
        }
    }
    out
}

pub(super) fn long_term_vol(spec: &Spec) -> f64 {
    (spec.beta * spec.beta * REGIME_VOL[1] * REGIME_VOL[1] + spec.idio_vol * spec.idio_vol).sqrt()
}

/// Simulates every symbol over `days` with a shared market factor.
pub(super) fn simulate(rng: &mut Rng, days: &[Date]) -> Vec<Series> {
    let n = days.len();
    // Market regimes: a Markov chain, with a stress episode forced in the second year.
    let mut regime = Vec::with_capacity(n);
    let mut state = 1_usize;
    for (i, _) in days.iter().enumerate() {
        let u = rng.uniform();
        state = match state {
            0 => {
                if u < 0.012 {
                    1
                } else {
                    0
                }
            }
            1 => {
                if u < 0.010 {
                    0
                } else if u < 0.018 {
                    2
                } else {
                    1
                }
            }
            _ => {
                if u < 0.045 {
                    1
                } else {
                    2
                }
            }
        };
        // A deliberate sell-off about two-thirds through the last year.
        if (n * 3 / 4..n * 3 / 4 + 18).contains(&i) {
            state = 2;
        }
        regime.push(state);
    }
    let market: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    let dt = 1.0 / 252.0;
    let mut all = Vec::new();
    for spec in &SPECS {
        let earnings = if spec.earnings {
            earnings_dates(
                days.first().copied().unwrap_or(date(2000, 1, 1)),
                days.last().copied().unwrap_or(date(2000, 1, 1)),
            )
        } else {
            Vec::new()
        };
        let mut close = spec.start;
        let mut iv_noise = 0.0_f64;
        let mut out = Vec::with_capacity(n);
        for (i, day) in days.iter().enumerate() {
            let sigma_m = REGIME_VOL
                .get(regime.get(i).copied().unwrap_or(1))
                .copied()
                .unwrap_or(0.16);
            let stress_drift = if regime.get(i) == Some(&2) && (n * 3 / 4..n * 3 / 4 + 12).contains(&i) {
                -0.9
            } else {
                0.0
            };
            let m = (MARKET_DRIFT + stress_drift - 0.5 * sigma_m * sigma_m) * dt
                + sigma_m * dt.sqrt() * market.get(i).copied().unwrap_or(0.0);
            let idio = spec.idio_vol * dt.sqrt() * rng.normal();
            let total_vol =
                (spec.beta * spec.beta * sigma_m * sigma_m + spec.idio_vol * spec.idio_vol).sqrt();
            let sigma_d = total_vol * dt.sqrt();
            let after_earnings = i > 0 && days.get(i - 1).is_some_and(|p| earnings.contains(p));
            let gap = if after_earnings {
                0.055 * rng.normal()
            } else {
                0.15 * sigma_d * rng.normal()
            };
            let log_return = spec.beta * m + idio + if after_earnings { gap } else { 0.0 };
            let prev_close = close;
            let open = round_to(prev_close * gap.exp(), 2);
            close = round_to(prev_close * log_return.exp(), 2).max(1.0);
            let high = round_to(open.max(close) * (0.45 * sigma_d * rng.normal().abs()).exp(), 2);
            let low = round_to(open.min(close) * (-0.45 * sigma_d * rng.normal().abs()).exp(), 2);
            let volume = (spec.base_volume
                * (0.7 + 0.6 * rng.uniform())
                * (total_vol / long_term_vol(spec)).powf(1.2))
            .round();
            iv_noise = 0.92 * iv_noise + 0.012 * rng.normal();
            let iv30 = (total_vol * 1.12 + iv_noise).clamp(0.07, 1.5);
            out.push(Day {
                date: *day,
                candle: Candle {
                    time: day.at_midnight_utc(),
                    open,
                    high,
                    low,
                    close,
                    volume,
                },
                prev_close,
                iv30,
            });
        }
        all.push(Series { days: out, earnings });
    }
    all
}

/// Close-to-close historical volatility over `window` days, annualized.
pub(super) fn hv(closes: &[f64], window: usize) -> Option<f64> {
    if closes.len() <= window {
        return None;
    }
    let tail = closes.get(closes.len() - window - 1..)?;
    let returns: Vec<f64> = tail
        .windows(2)
        .filter_map(|w| Some((w.get(1)? / w.first()?).ln()))
        .collect();
    let mean = returns.iter().sum::<f64>() / returns.len() as f64;
    let var = returns.iter().map(|r| (r - mean) * (r - mean)).sum::<f64>() / (returns.len() as f64 - 1.0);
    Some(round_to(var.sqrt() * 252_f64.sqrt(), 4))
}
