//! The deterministic generator of the bundled demo tape (synthetic: not market data).
//!
//! Four liquid-looking underlyings over two years of trading days: prices follow a market factor
//! with volatility regimes (calm, normal, stressed) plus each symbol's own noise, with overnight
//! gaps on AAPL's quarterly earnings. The last year carries weekly option-chain snapshots (every
//! Friday close) priced with Black-Scholes-Merton from a volatility surface with skew, term
//! structure and an earnings bump; spreads widen away from the money. Daily quotes, market
//! metrics (IV rank and percentile from the tape's own IV history), positions and balances of a
//! synthetic account complete it.
//!
//! Everything derives from a fixed seed through an in-house SplitMix64, so regenerating gives the
//! same bytes: `cargo run -p broker-replay --example gen_demo_tape -- adapters/broker-replay/tapes/demo`.

use ttai_core::domain::{
    Account, AccountNumber, Balances, Candle, Expiration, InstrumentType, MarketMetrics, NetLiqPoint,
    OptionChain, OptionContract, OptionType, Position, Quote, StrikeRow, Symbol, SymbolMatch, Timeframe,
    TradeAction, Transaction, Watchlist, WatchlistEntry, new_york_time, nyse_holidays, nyse_special_closure,
    occ_symbol, round_to,
};
use ttai_core::quant::bsm::{self, BsmInput};
use ttai_core::time::{Date, Timestamp, Weekday};

use crate::tape::{Manifest, Op, TapeBuilder, candles_key};

/// The seed of the bundled tape.
pub const SEED: u64 = 20_251_121;
/// Risk-free rate used to price the tape's options.
pub const RATE: f64 = 0.04;
/// The synthetic account.
pub const ACCOUNT: &str = "5SYN0001";

struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1_u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let u1 = self.uniform().max(1e-300);
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

struct Spec {
    symbol: &'static str,
    description: &'static str,
    start: f64,
    beta: f64,
    idio_vol: f64,
    strike_step: f64,
    earnings: bool,
    div_yield: f64,
    base_volume: f64,
    liquidity: f64,
    skew: f64,
    spread: f64,
}

const SPECS: [Spec; 4] = [
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

const REGIME_VOL: [f64; 3] = [0.11, 0.16, 0.30];
const MARKET_DRIFT: f64 = 0.07;

fn date(y: i32, m: u32, d: u32) -> Date {
    Date::from_ymd(y, m, d).unwrap_or(Date::from_days_since_epoch(0))
}

fn nth_weekday(year: i32, month: u32, weekday: Weekday, n: u32) -> Date {
    let mut d = date(year, month, 1);
    while d.weekday() != weekday {
        d = d.add_days(1);
    }
    d.add_days(7 * (n as i32 - 1))
}

fn last_weekday(year: i32, month: u32, weekday: Weekday) -> Date {
    let next = if month == 12 {
        date(year + 1, 1, 1)
    } else {
        date(year, month + 1, 1)
    };
    let mut d = next.add_days(-1);
    while d.weekday() != weekday {
        d = d.add_days(-1);
    }
    d
}

/// US equity market holidays of a year: the NYSE calendar's rules (docs/market-hours.md) without
/// its special closures (the synthetic history was generated trading on 2025-01-09).
fn holidays(year: i32) -> Vec<Date> {
    nyse_holidays(year)
        .into_iter()
        .map(|(d, _)| d)
        .filter(|d| nyse_special_closure(*d).is_none())
        .collect()
}

fn trading_days(from: Date, to: Date) -> Vec<Date> {
    let mut hol = Vec::new();
    for y in from.ymd().0..=to.ymd().0 {
        hol.extend(holidays(y));
    }
    let mut out = Vec::new();
    let mut d = from;
    while d <= to {
        if !d.is_weekend() && !hol.contains(&d) {
            out.push(d);
        }
        d = d.add_days(1);
    }
    out
}

/// Close of the session, as recorded (21:00 UTC).
fn close_time(d: Date) -> Timestamp {
    d.at_utc(21, 0)
}

fn sym(s: &str) -> Symbol {
    Symbol::parse(s).unwrap_or_else(|_| Symbol::parse("SPY").unwrap_or_else(|_| unreachable_symbol()))
}

#[allow(clippy::panic)]
fn unreachable_symbol() -> Symbol {
    panic!("static symbols are valid")
}

struct Day {
    date: Date,
    candle: Candle,
    prev_close: f64,
    /// 30-day at-the-money implied volatility.
    iv30: f64,
}

struct Series {
    days: Vec<Day>,
    earnings: Vec<Date>,
}

fn earnings_dates(from: Date, to: Date) -> Vec<Date> {
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

fn long_term_vol(spec: &Spec) -> f64 {
    (spec.beta * spec.beta * REGIME_VOL[1] * REGIME_VOL[1] + spec.idio_vol * spec.idio_vol).sqrt()
}

/// Simulates every symbol over `days` with a shared market factor.
fn simulate(rng: &mut Rng, days: &[Date]) -> Vec<Series> {
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

/// Implied volatility of a strike and expiry from the day's 30-day ATM level: term structure
/// toward the long-term level, skew in standardized moneyness, and an earnings bump for
/// expirations after the next report.
fn surface(spec: &Spec, iv30: f64, spot: f64, strike: f64, t: f64, earnings_inside: bool) -> f64 {
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

fn expirations_for(snapshot: Date, calendar: &[Date]) -> Vec<Date> {
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

fn tick_floor(price: f64) -> f64 {
    let tick = if price < 3.0 { 0.01 } else { 0.05 };
    round_to((price / tick).floor() * tick, 2)
}

fn tick_ceil(price: f64) -> f64 {
    let tick = if price < 3.0 { 0.01 } else { 0.05 };
    round_to((price / tick).ceil() * tick, 2)
}

fn model_price(option_type: OptionType, spot: f64, strike: f64, t: f64, vol: f64, div: f64) -> f64 {
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

fn chain_snapshot(spec: &Spec, day: &Day, series: &Series, calendar: &[Date], rng: &mut Rng) -> OptionChain {
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

fn hv(closes: &[f64], window: usize) -> Option<f64> {
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

/// An open short option of the synthetic account.
struct ShortOption {
    symbol: String,
    underlying: usize,
    option_type: OptionType,
    strike: f64,
    expiration: Date,
    quantity: f64,
    open_price: f64,
    opened: Date,
}

// What TastyTrade charges, as the demo account's ledger books it (the schedule the paper broker
// and the fakes charge too); expirations, cash settlements, dividends and deposits cost nothing.
use ttai_core::domain::fees;

/// One booking of the ledger.
struct Booking {
    at: Timestamp,
    date: Date,
    kind: &'static str,
    sub_type: &'static str,
    description: String,
    symbol: Option<String>,
    instrument_type: Option<InstrumentType>,
    underlying: Option<&'static str>,
    action: Option<TradeAction>,
    quantity: Option<f64>,
    price: Option<f64>,
    value: f64,
    commission: f64,
    fees: f64,
}

/// The synthetic account's transactions, as TastyTrade books them.
struct Ledger {
    account: AccountNumber,
    next_id: u64,
    transactions: Vec<Transaction>,
}

impl Ledger {
    /// Books a transaction; returns its cash after fees.
    fn book(&mut self, b: Booking) -> f64 {
        // `+ 0.0` turns the −0.0 of a worthless short's settlement into 0.
        let value = round_to(b.value, 2) + 0.0;
        let commission = round_to(b.commission, 2);
        let fees = round_to(b.fees, 2);
        let net_value = round_to(value - commission - fees, 2) + 0.0;
        self.transactions.push(Transaction {
            id: self.next_id,
            account: self.account.clone(),
            executed_at: b.at,
            date: b.date,
            transaction_type: b.kind.to_owned(),
            sub_type: b.sub_type.to_owned(),
            description: b.description,
            symbol: b.symbol.as_deref().map(sym),
            instrument_type: b.instrument_type,
            underlying: b.underlying.map(sym),
            action: b.action,
            quantity: b.quantity,
            price: b.price,
            value,
            commission,
            fees,
            net_value,
        });
        self.next_id += 1;
        net_value
    }
}

/// `12/19/25`, as TastyTrade's descriptions write expirations.
fn mmddyy(d: Date) -> String {
    let (y, m, day) = d.ymd();
    format!("{m:02}/{day:02}/{:02}", y % 100)
}

/// `AAPL 01/16/26 Call 265.00`.
fn option_words(underlying: &str, expiration: Date, option_type: OptionType, strike: f64) -> String {
    let kind = match option_type {
        OptionType::Call => "Call",
        OptionType::Put => "Put",
    };
    format!("{underlying} {} {kind} {strike:.2}", mmddyy(expiration))
}

/// A quarterly dividend of a held stock: paid on `pay`, to holders on `ex`.
struct Dividend {
    underlying: usize,
    ex: Date,
    pay: Date,
    per_share: f64,
}

/// The dividends the demo account's stock pays from `from` on: AAPL's (ex-date the second Monday
/// of February, May, August and November, paid ten days later) and QQQ's (ex-date the Monday
/// after the third Friday of March, June, September and December, paid on the month's last
/// Friday), each a quarter of the stock's yield at its ex-date close, in cents.
fn dividends(series: &[Series], days: &[Date], from: Date) -> Vec<Dividend> {
    let trading = |d: Date| days.binary_search(&d).is_ok();
    let next_trading = |mut d: Date| {
        while !trading(d) && d <= days.last().copied().unwrap_or(d) {
            d = d.add_days(1);
        }
        d
    };
    let mut out = Vec::new();
    for (y, m) in (2025..=2026).flat_map(|y| (1..=12).map(move |m| (y, m))) {
        let (underlying, ex, pay) = match m {
            2 | 5 | 8 | 11 => {
                let ex = next_trading(nth_weekday(y, m, Weekday::Monday, 2));
                (2, ex, next_trading(ex.add_days(10)))
            }
            3 | 6 | 9 | 12 => {
                let ex = next_trading(nth_weekday(y, m, Weekday::Friday, 3).add_days(3));
                let mut pay = last_weekday(y, m, Weekday::Friday).max(ex);
                while !trading(pay) && pay > ex {
                    pay = pay.add_days(-1);
                }
                (1, ex, pay)
            }
            _ => continue,
        };
        let (Some(spec), Some(close)) = (
            SPECS.get(underlying),
            series
                .get(underlying)
                .and_then(|x| x.days.iter().find(|d| d.date == ex))
                .map(|d| d.candle.close),
        ) else {
            continue;
        };
        if ex >= from && trading(pay) {
            out.push(Dividend {
                underlying,
                ex,
                pay,
                per_share: round_to(close * spec.div_yield / 4.0, 2),
            });
        }
    }
    out
}

/// Generates the demo tape.
pub fn generate() -> (Manifest, TapeBuilder) {
    let history_start = date(2024, 11, 18);
    let chain_start = date(2025, 11, 21);
    let end = date(2026, 11, 20);
    let calendar = trading_days(history_start, end.add_days(200));
    let days: Vec<Date> = calendar.iter().copied().filter(|d| *d <= end).collect();
    let mut rng = Rng(SEED);
    let series = simulate(&mut rng, &days);
    let mut tape = TapeBuilder::new();
    let push = |tape: &mut TapeBuilder, at: Timestamp, op: Op, key: &str, data: &dyn erased::Data| {
        data.push_into(tape, at, op, key);
    };
    let account = AccountNumber::new(ACCOUNT);
    let directory: Vec<SymbolMatch> = SPECS
        .iter()
        .map(|s| SymbolMatch {
            symbol: sym(s.symbol),
            description: s.description.to_owned(),
            instrument_type: Some(InstrumentType::Equity),
            has_options: Some(true),
        })
        .collect();
    let first_at = days
        .first()
        .map_or(Timestamp::from_millis(0), |d| d.at_utc(14, 30));
    push(&mut tape, first_at, Op::SymbolSearch, "", &directory);
    let accounts = vec![Account {
        number: account.clone(),
        nickname: Some("Demo margin account (synthetic)".into()),
        account_type: Some("Individual".into()),
        margin_or_cash: Some("Margin".into()),
    }];
    push(&mut tape, first_at, Op::Accounts, "", &accounts);

    // The account: 300 AAPL and 100 QQQ bought at the first chain day's close, cash rest.
    let mut cash = 250_000.0_f64;
    let stock: [(usize, f64); 2] = [(2, 300.0), (1, 100.0)];
    let mut stock_cost = [0.0_f64; 2];
    let mut shorts: Vec<ShortOption> = Vec::new();
    let mut iv_history: Vec<Vec<f64>> = vec![Vec::new(); SPECS.len()];
    let chain_start_index = days.iter().position(|d| *d >= chain_start).unwrap_or(0);
    let mut ledger = Ledger {
        account: account.clone(),
        next_id: 300_000_001,
        transactions: Vec::new(),
    };
    let payouts = dividends(&series, &days, chain_start);
    let mut previous_net_liq: Option<f64> = None;
    let watchlists = vec![
        Watchlist {
            name: "Index ETFs".into(),
            group: None,
            entries: ["SPY", "QQQ", "IWM"]
                .iter()
                .map(|s| WatchlistEntry {
                    symbol: sym(s),
                    instrument_type: Some(InstrumentType::Equity),
                })
                .collect(),
        },
        Watchlist {
            name: "Wheel candidates".into(),
            group: Some("Income".into()),
            entries: ["AAPL", "SPY", "IWM"]
                .iter()
                .map(|s| WatchlistEntry {
                    symbol: sym(s),
                    instrument_type: Some(InstrumentType::Equity),
                })
                .collect(),
        },
    ];
    push(&mut tape, first_at, Op::Watchlists, "", &watchlists);

    for (i, day) in days.iter().enumerate() {
        let at = close_time(*day);
        for (s, spec) in SPECS.iter().enumerate() {
            let Some(d) = series.get(s).and_then(|x| x.days.get(i)) else {
                continue;
            };
            if let Some(h) = iv_history.get_mut(s) {
                h.push(d.iv30);
            }
            push(
                &mut tape,
                at,
                Op::Candles,
                &candles_key(&sym(spec.symbol), Timeframe::Daily),
                &vec![d.candle],
            );
            if i < chain_start_index {
                continue;
            }
            let spread = spec.spread;
            let quote = Quote {
                symbol: sym(spec.symbol),
                instrument_type: Some(InstrumentType::Equity),
                bid: Some(round_to(d.candle.close - spread, 2)),
                ask: Some(round_to(d.candle.close + spread, 2)),
                bid_size: Some(4.0),
                ask_size: Some(6.0),
                last: Some(d.candle.close),
                mark: Some(d.candle.close),
                volume: Some(d.candle.volume),
                open: Some(d.candle.open),
                day_high: Some(d.candle.high),
                day_low: Some(d.candle.low),
                prev_close: Some(d.prev_close),
                year_high: None,
                year_low: None,
                as_of: at,
            };
            push(&mut tape, at, Op::Quote, spec.symbol, &quote);
            let history = iv_history.get(s).map(Vec::as_slice).unwrap_or_default();
            let window = history
                .get(history.len().saturating_sub(252)..)
                .unwrap_or_default();
            let (lo, hi) = window
                .iter()
                .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
            let rank = if hi > lo { (d.iv30 - lo) / (hi - lo) } else { 0.5 };
            let percentile =
                window.iter().filter(|v| **v < d.iv30).count() as f64 / window.len().max(1) as f64;
            let closes: Vec<f64> = series
                .get(s)
                .map(|x| {
                    x.days
                        .get(..=i)
                        .unwrap_or_default()
                        .iter()
                        .map(|d| d.candle.close)
                        .collect()
                })
                .unwrap_or_default();
            let next_earnings = series
                .get(s)
                .and_then(|x| x.earnings.iter().find(|e| **e >= *day).copied());
            let metrics = MarketMetrics {
                symbol: sym(spec.symbol),
                iv_index: Some(round_to(d.iv30, 4)),
                iv_rank: Some(round_to(rank, 4)),
                iv_percentile: Some(round_to(percentile, 4)),
                hv_30: hv(&closes, 30),
                hv_60: hv(&closes, 60),
                hv_90: hv(&closes, 90),
                earnings_date: next_earnings,
                liquidity_rating: Some(spec.liquidity),
                beta: Some(spec.beta),
                dividend_yield: Some(spec.div_yield),
                ex_dividend_date: None,
                as_of: at,
            };
            push(&mut tape, at, Op::MarketMetrics, spec.symbol, &metrics);
        }
        if i < chain_start_index {
            continue;
        }
        if i == chain_start_index {
            ledger.book(Booking {
                at: new_york_time(*day, 9, 0),
                date: *day,
                kind: "Money Movement",
                sub_type: "Deposit",
                description: "ACH DEPOSIT".into(),
                symbol: None,
                instrument_type: None,
                underlying: None,
                action: None,
                quantity: None,
                price: None,
                value: cash,
                commission: 0.0,
                fees: 0.0,
            });
            for (k, (s, qty)) in stock.iter().enumerate() {
                let price = series
                    .get(*s)
                    .and_then(|x| x.days.get(i))
                    .map_or(0.0, |d| d.candle.close);
                let Some(spec) = SPECS.get(*s) else { continue };
                cash += ledger.book(Booking {
                    at: new_york_time(*day, 15, 55),
                    date: *day,
                    kind: "Trade",
                    sub_type: "Buy to Open",
                    description: format!("Bought {qty} {} @ {price:.2}", spec.symbol),
                    symbol: Some(spec.symbol.to_owned()),
                    instrument_type: Some(InstrumentType::Equity),
                    underlying: Some(spec.symbol),
                    action: Some(TradeAction::BuyToOpen),
                    quantity: Some(*qty),
                    price: Some(price),
                    value: -price * qty,
                    commission: 0.0,
                    fees: fees::STOCK_CLEARING * qty,
                });
                if let Some(c) = stock_cost.get_mut(k) {
                    *c = price;
                }
            }
        }
        // Dividends paid today on the shares held since their ex-date.
        for dividend in payouts.iter().filter(|p| p.pay == *day) {
            let (Some(spec), Some((_, shares))) = (
                SPECS.get(dividend.underlying),
                stock.iter().find(|(s, _)| *s == dividend.underlying),
            ) else {
                continue;
            };
            cash += ledger.book(Booking {
                at: new_york_time(*day, 8, 0),
                date: *day,
                kind: "Money Movement",
                sub_type: "Dividend",
                description: format!(
                    "{} dividend {:.2} a share (ex {})",
                    spec.description, dividend.per_share, dividend.ex
                ),
                symbol: Some(spec.symbol.to_owned()),
                instrument_type: Some(InstrumentType::Equity),
                underlying: Some(spec.symbol),
                action: None,
                quantity: Some(*shares),
                price: Some(dividend.per_share),
                value: dividend.per_share * shares,
                commission: 0.0,
                fees: 0.0,
            });
        }
        // Settle expired short options at intrinsic value (cash-settled in this synthetic account).
        shorts.retain(|o| {
            if o.expiration >= *day {
                return true;
            }
            let settle_close = series
                .get(o.underlying)
                .and_then(|x| x.days.iter().rev().find(|d| d.date <= o.expiration))
                .map_or(0.0, |d| d.candle.close);
            let intrinsic = match o.option_type {
                OptionType::Call => (settle_close - o.strike).max(0.0),
                OptionType::Put => (o.strike - settle_close).max(0.0),
            };
            let root = SPECS.get(o.underlying).map_or("", |spec| spec.symbol);
            let words = option_words(root, o.expiration, o.option_type, o.strike);
            let (sub_type, why) = if intrinsic > 0.0 {
                ("Cash Settled Assignment", "cash settled assignment")
            } else {
                ("Expiration", "expiration")
            };
            cash += ledger.book(Booking {
                at: new_york_time(o.expiration, 18, 0),
                date: o.expiration,
                kind: "Receive Deliver",
                sub_type,
                description: format!("Removal of {:.1} {words} due to {why}.", o.quantity.abs()),
                symbol: Some(o.symbol.clone()),
                instrument_type: Some(InstrumentType::EquityOption),
                underlying: Some(root),
                action: Some(if o.quantity < 0.0 {
                    TradeAction::BuyToClose
                } else {
                    TradeAction::SellToClose
                }),
                quantity: Some(o.quantity.abs()),
                price: Some(round_to(intrinsic, 2)),
                value: intrinsic * o.quantity * 100.0,
                commission: 0.0,
                fees: 0.0,
            });
            false
        });
        let is_snapshot = day.weekday() == Weekday::Friday
            || days
                .get(i + 1)
                .is_some_and(|n| n.days_since_epoch() - day.days_since_epoch() > 3);
        if is_snapshot {
            for (s, spec) in SPECS.iter().enumerate() {
                let (Some(x), Some(d)) = (series.get(s), series.get(s).and_then(|x| x.days.get(i))) else {
                    continue;
                };
                let chain = chain_snapshot(spec, d, x, &calendar, &mut rng);
                // The account sells a ~0.25-delta SPY put and ~0.20-delta AAPL calls (covered) each
                // month when none is open, at the expiration nearest 40 days.
                let wants = match spec.symbol {
                    "SPY" => Some((OptionType::Put, 0.25, 1.0)),
                    "AAPL" => Some((OptionType::Call, 0.20, 3.0)),
                    _ => None,
                };
                if let Some((option_type, target, qty)) = wants
                    && !shorts.iter().any(|o| o.underlying == s)
                {
                    let pick = chain
                        .expirations
                        .iter()
                        .min_by_key(|e| (day.days_until(e.date) - 40).abs())
                        .and_then(|e| {
                            let t = f64::from(day.days_until(e.date)) / 365.0;
                            e.strikes
                                .iter()
                                .filter_map(|row| {
                                    let c = row.side(option_type)?;
                                    let mid = c.mid()?;
                                    let iv = bsm::implied_volatility(
                                        option_type,
                                        d.candle.close,
                                        row.strike,
                                        t,
                                        RATE,
                                        spec.div_yield,
                                        mid,
                                    )?;
                                    let g = bsm::greeks(&BsmInput {
                                        option_type,
                                        spot: d.candle.close,
                                        strike: row.strike,
                                        t,
                                        vol: iv,
                                        rate: RATE,
                                        div: spec.div_yield,
                                    })
                                    .ok()?;
                                    Some((
                                        (g.delta.abs() - target).abs(),
                                        row.strike,
                                        c.symbol.clone(),
                                        mid,
                                        e.date,
                                    ))
                                })
                                .min_by(|a, b| a.0.total_cmp(&b.0))
                        });
                    if let Some((_, strike, symbol, mid, expiration)) = pick {
                        cash += ledger.book(Booking {
                            at: new_york_time(*day, 15, 50),
                            date: *day,
                            kind: "Trade",
                            sub_type: "Sell to Open",
                            description: format!(
                                "Sold {qty} {} @ {mid:.2}",
                                option_words(spec.symbol, expiration, option_type, strike)
                            ),
                            symbol: Some(symbol.clone()),
                            instrument_type: Some(InstrumentType::EquityOption),
                            underlying: Some(spec.symbol),
                            action: Some(TradeAction::SellToOpen),
                            quantity: Some(qty),
                            price: Some(mid),
                            value: mid * qty * 100.0,
                            commission: (fees::OPTION_COMMISSION * qty).min(fees::OPTION_COMMISSION_CAP),
                            fees: fees::OPTION_FEES * qty,
                        });
                        shorts.push(ShortOption {
                            symbol,
                            underlying: s,
                            option_type,
                            strike,
                            expiration,
                            quantity: -qty,
                            open_price: mid,
                            opened: *day,
                        });
                    }
                }
                push(&mut tape, at, Op::OptionChain, spec.symbol, &chain);
            }
        }
        // Positions and balances at the close.
        let mut positions = Vec::new();
        let mut stock_value = 0.0;
        for (k, (s, qty)) in stock.iter().enumerate() {
            let Some(d) = series.get(*s).and_then(|x| x.days.get(i)) else {
                continue;
            };
            let Some(spec) = SPECS.get(*s) else { continue };
            stock_value += d.candle.close * qty;
            positions.push(Position {
                account: account.clone(),
                symbol: sym(spec.symbol),
                instrument_type: InstrumentType::Equity,
                underlying: sym(spec.symbol),
                quantity: *qty,
                average_open_price: stock_cost.get(k).copied().unwrap_or(0.0),
                close_price: Some(d.prev_close),
                mark: Some(d.candle.close),
                multiplier: 1.0,
                option_type: None,
                strike: None,
                expiration: None,
                opened_at: days.get(chain_start_index).map(|d| close_time(*d)),
            });
        }
        let mut option_value = 0.0;
        let mut option_requirement = 0.0;
        for o in &shorts {
            let (Some(d), Some(spec)) = (
                series.get(o.underlying).and_then(|x| x.days.get(i)),
                SPECS.get(o.underlying),
            ) else {
                continue;
            };
            let t = f64::from(day.days_until(o.expiration)) / 365.0;
            let earnings_inside = series
                .get(o.underlying)
                .and_then(|x| x.earnings.iter().find(|e| **e >= *day))
                .is_some_and(|e| *e < o.expiration);
            let vol = surface(
                spec,
                d.iv30,
                d.candle.close,
                o.strike,
                t.max(1.0 / 365.0),
                earnings_inside,
            );
            let mark = round_to(
                model_price(
                    o.option_type,
                    d.candle.close,
                    o.strike,
                    t.max(0.0),
                    vol,
                    spec.div_yield,
                ),
                2,
            );
            let prev = round_to(
                model_price(
                    o.option_type,
                    d.prev_close,
                    o.strike,
                    t + 1.0 / 365.0,
                    vol,
                    spec.div_yield,
                ),
                2,
            );
            option_value += mark * o.quantity * 100.0;
            if o.option_type == OptionType::Put {
                option_requirement += o.strike * 100.0 * o.quantity.abs();
            }
            positions.push(Position {
                account: account.clone(),
                symbol: sym(&o.symbol),
                instrument_type: InstrumentType::EquityOption,
                underlying: sym(spec.symbol),
                quantity: o.quantity,
                average_open_price: o.open_price,
                close_price: Some(prev),
                mark: Some(mark),
                multiplier: 100.0,
                option_type: Some(o.option_type),
                strike: Some(o.strike),
                expiration: Some(o.expiration),
                opened_at: Some(close_time(o.opened)),
            });
        }
        let net_liq = round_to(cash + stock_value + option_value, 2);
        let maintenance = round_to(stock_value * 0.25 + option_requirement * 0.2, 2);
        // A margin account: option buying power is what the maintenance requirement leaves of net
        // liq (TastyTrade's derivative buying power), so net liq minus it is the requirement in use.
        let derivative_bp = round_to((net_liq - maintenance).max(0.0), 2);
        let balances = Balances {
            account: account.clone(),
            net_liquidating_value: net_liq,
            cash_balance: round_to(cash, 2),
            equity_buying_power: round_to(((net_liq - maintenance) * 2.0).max(0.0), 2),
            derivative_buying_power: derivative_bp,
            maintenance_requirement: maintenance,
            maintenance_excess: Some(round_to(net_liq - maintenance, 2)),
            day_trading_buying_power: None,
            cash_available_to_withdraw: Some(round_to((cash - option_requirement).max(0.0), 2)),
            pending_cash: None,
            as_of: at,
        };
        push(&mut tape, at, Op::Positions, ACCOUNT, &positions);
        push(&mut tape, at, Op::Balances, ACCOUNT, &balances);
        // The day's net liq: from the previous close to this one.
        let open = previous_net_liq.unwrap_or(net_liq);
        let point = NetLiqPoint {
            time: at,
            open,
            high: open.max(net_liq),
            low: open.min(net_liq),
            close: net_liq,
            pending_cash: 0.0,
        };
        push(&mut tape, at, Op::NetLiq, ACCOUNT, &vec![point]);
        previous_net_liq = Some(net_liq);
    }
    // Each transaction on the tape when it happened.
    for transaction in &ledger.transactions {
        push(
            &mut tape,
            transaction.executed_at,
            Op::Transactions,
            ACCOUNT,
            &vec![transaction.clone()],
        );
    }
    let manifest = Manifest {
        name: "demo".to_owned(),
        description: "SYNTHETIC demo tape, not market data: four made-up underlyings (SPY, QQQ, AAPL, IWM) with two \
            years of daily candles, and for the last year daily quotes and market metrics, weekly option-chain \
            snapshots (Friday close) priced with Black-Scholes-Merton from a skewed volatility surface, and a \
            synthetic account (5SYN0001) holding stock, covered calls and cash-secured puts, with its year of \
            transactions (a deposit, the stock bought, options sold at the chain's mid, TastyTrade-like commission \
            and fees, quarterly AAPL and QQQ dividends) and its daily net liq; expired options are cash-settled at \
            intrinsic value; two watchlists."
            .to_owned(),
        synthetic: true,
        symbols: SPECS.iter().map(|s| s.symbol.to_owned()).collect(),
        start: Some(first_at),
        end: days.last().map(|d| close_time(*d)),
        extra: {
            let mut extra = serde_json::Map::new();
            extra.insert("generator".into(), "cargo run -p broker-replay --example gen_demo_tape -- adapters/broker-replay/tapes/demo".into());
            extra.insert("seed".into(), SEED.into());
            extra.insert("risk_free_rate".into(), RATE.into());
            extra
        },
    };
    (manifest, tape)
}

/// Type erasure so one closure can push any serializable domain value.
mod erased {
    use serde::Serialize;
    use ttai_core::time::Timestamp;

    use crate::tape::{Op, TapeBuilder};

    pub(super) trait Data {
        fn push_into(&self, tape: &mut TapeBuilder, at: Timestamp, op: Op, key: &str);
    }

    impl<T: Serialize> Data for T {
        fn push_into(&self, tape: &mut TapeBuilder, at: Timestamp, op: Op, key: &str) {
            if let Err(err) = tape.push(at, op, key, self) {
                tracing::error!(error = %err, "demo tape value could not be serialised");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_calendar_knows_the_usual_holidays() {
        let days = trading_days(date(2026, 1, 1), date(2026, 12, 31));
        assert!(!days.contains(&date(2026, 1, 1)));
        assert!(!days.contains(&date(2026, 4, 3)), "Good Friday 2026");
        assert!(!days.contains(&date(2026, 11, 26)), "Thanksgiving 2026");
        assert!(!days.contains(&date(2026, 7, 3)), "Independence Day observed");
        assert!(days.contains(&date(2026, 11, 27)));
        assert_eq!(days.len(), 251);
    }

    #[test]
    fn expirations_are_weekly_then_monthly_and_in_the_future() {
        let cal = trading_days(date(2026, 1, 1), date(2026, 12, 31));
        let exps = expirations_for(date(2026, 3, 6), &cal);
        assert_eq!(exps.first(), Some(&date(2026, 3, 13)));
        assert!(exps.contains(&date(2026, 6, 18)) || exps.contains(&date(2026, 6, 19)));
        assert!(exps.windows(2).all(|w| w[0] < w[1]));
    }
}
