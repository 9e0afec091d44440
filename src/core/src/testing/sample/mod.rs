//! A small, fully known market for unit and contract tests: two stocks, the E-mini S&P 500 future
//! with options, one account.

use crate::domain::{
    Account, AccountNumber, Balances, Candle, Expiration, InstrumentType, MarketMetrics, OptionChain,
    OptionContract, OptionType, Position, Quote, StrikeRow, Symbol, SymbolMatch, Timeframe, occ_symbol,
    round4,
};
use crate::time::{Date, Timestamp};

use super::FakeMarket;

mod futures;
mod history;

use futures::emini;
use history::sample_history;

fn sym(s: &str) -> Symbol {
    Symbol::parse(s).expect("static symbols are valid")
}

/// The sample market's clock: Friday 2025-06-13, 20:00 UTC (the close).
pub fn sample_now() -> Timestamp {
    Date::from_ymd(2025, 6, 13)
        .expect("a calendar date")
        .at_utc(20, 0)
}

/// The settings tests run the use cases with: rate 4 %, no fallback dividend yield, quotes
/// cached a minute and chains five.
pub fn sample_config() -> crate::app::AppConfig {
    crate::app::AppConfig {
        default_account: None,
        risk_free_rate: 0.04,
        dividend_yield: 0.0,
        quote_ttl: std::time::Duration::from_secs(60),
        chain_ttl: std::time::Duration::from_secs(300),
    }
}

/// The sample account number.
pub const SAMPLE_ACCOUNT: &str = "5WT00001";

/// Daily candles ending on `end`: a gentle up-trend with a deterministic wiggle.
pub fn sample_candles(start_price: f64, drift: f64, bars: usize, end: Date) -> Vec<Candle> {
    let mut dates = Vec::with_capacity(bars);
    let mut d = end;
    while dates.len() < bars {
        if !d.is_weekend() {
            dates.push(d);
        }
        d = d.add_days(-1);
    }
    dates.reverse();
    let mut close = start_price;
    dates
        .iter()
        .enumerate()
        .map(|(i, date)| {
            let wiggle = ((i as f64) * 0.7).sin() * 0.012 + ((i as f64) * 0.13).cos() * 0.006;
            let open = close;
            close = round4(close * (1.0 + drift + wiggle * 0.5));
            let high = round4(open.max(close) * (1.0 + 0.004 + (i % 3) as f64 * 0.001));
            let low = round4(open.min(close) * (1.0 - 0.004 - (i % 4) as f64 * 0.001));
            Candle {
                time: date.at_midnight_utc(),
                open: round4(open),
                high,
                low,
                close,
                volume: 1_000_000.0 + (i % 7) as f64 * 50_000.0,
            }
        })
        .collect()
}

/// Strikes `step` apart around `price`, eight on each side, with a two-sided market from a
/// smile-less model; `symbols` names each contract (its symbol and streamer symbol).
fn strike_rows(
    price: f64,
    step: f64,
    years: f64,
    symbols: &dyn Fn(OptionType, f64) -> (String, Option<String>),
) -> Vec<StrikeRow> {
    let atm_value = price * 0.2 * years.sqrt() * 0.4;
    let centre = (price / step).round() * step;
    (-8..=8)
        .map(|k| {
            let strike = centre + f64::from(k) * step;
            let side = |option_type: OptionType| {
                let intrinsic = match option_type {
                    OptionType::Call => (price - strike).max(0.0),
                    OptionType::Put => (strike - price).max(0.0),
                };
                let distance = ((strike - price) / (price * 0.2 * years.sqrt())).abs();
                let value = intrinsic + atm_value * (-distance * distance / 2.0).exp();
                let half_spread = (0.01 + value * 0.02).min(0.5);
                let bid = round4(((value - half_spread) * 100.0).floor() / 100.0).max(0.0);
                let ask = round4(((value + half_spread) * 100.0).ceil() / 100.0);
                let (symbol, streamer_symbol) = symbols(option_type, strike);
                OptionContract {
                    symbol,
                    streamer_symbol,
                    bid: Some(bid),
                    ask: Some(ask),
                    last: None,
                    volume: Some(100.0),
                    open_interest: Some(1000.0),
                    broker_greeks: None,
                }
            };
            StrikeRow {
                strike,
                call: Some(side(OptionType::Call)),
                put: Some(side(OptionType::Put)),
            }
        })
        .collect()
}

fn years_between(today: Date, date: Date) -> f64 {
    f64::from(today.days_until(date).max(1)) / 365.0
}

fn chain(root: &str, price: f64, step: f64, expirations: &[Date], now: Timestamp) -> OptionChain {
    let today = now.date();
    let expirations = expirations
        .iter()
        .map(|&date| Expiration {
            date,
            expiration_type: "Regular".into(),
            settlement: "PM".into(),
            strikes: strike_rows(price, step, years_between(today, date), &|option_type, strike| {
                (occ_symbol(root, date, option_type, strike), None)
            }),
            underlying: None,
        })
        .collect();
    OptionChain {
        underlying: sym(root),
        underlying_price: Some(price),
        shares_per_contract: 100,
        exercise_style: "American".into(),
        expirations,
        as_of: now,
    }
}

/// The sample market: SPY and AAPL quotes, chains (two expirations each), metrics, 300 daily
/// candles each; one account with 100 SPY shares and one short AAPL put.
pub fn sample_market() -> FakeMarket {
    sample_market_at(sample_now())
}

/// The sample market with its clock at `now` instead of [`sample_now`]: the same prices, with
/// every date (candles, expirations 35 and 42 days out, earnings) counted from `now`. For tests
/// of a binary that runs on the wall clock.
pub fn sample_market_at(now: Timestamp) -> FakeMarket {
    let today = now.date();
    let account = AccountNumber::new(SAMPLE_ACCOUNT);
    let spy_candles = sample_candles(480.0, 0.0008, 300, today);
    let aapl_candles = sample_candles(190.0, 0.0004, 300, today);
    let spy_last = spy_candles.last().map_or(590.0, |c| c.close);
    let aapl_last = aapl_candles.last().map_or(200.0, |c| c.close);
    let quote = |s: &str, last: f64, prev: f64| Quote {
        symbol: sym(s),
        instrument_type: Some(InstrumentType::Equity),
        bid: Some(round4(last - 0.01)),
        ask: Some(round4(last + 0.01)),
        bid_size: Some(3.0),
        ask_size: Some(5.0),
        last: Some(last),
        mark: Some(last),
        volume: Some(50_000_000.0),
        open: Some(prev),
        day_high: Some(round4(last.max(prev) * 1.004)),
        day_low: Some(round4(last.min(prev) * 0.996)),
        prev_close: Some(prev),
        year_high: None,
        year_low: None,
        as_of: now,
    };
    let prev = |c: &[Candle]| c.iter().rev().nth(1).map_or(0.0, |c| c.close);
    let exp1 = today.add_days(35);
    let exp2 = today.add_days(42);
    let put_strike = ((aapl_last * 0.95) / 5.0).round() * 5.0;
    let (emini_quotes, emini_chain, emini_metrics, emini_instrument) = emini(now);
    let put_symbol = occ_symbol("AAPL", exp1, OptionType::Put, put_strike);
    let (transactions, net_liq, watchlists) = sample_history(now, &put_symbol, put_strike, exp1);
    FakeMarket {
        accounts: vec![Account {
            number: account.clone(),
            nickname: Some("Sample margin".into()),
            account_type: Some("Individual".into()),
            margin_or_cash: Some("Margin".into()),
        }],
        balances: vec![Balances {
            account: account.clone(),
            net_liquidating_value: 100_000.0,
            cash_balance: 40_000.0,
            equity_buying_power: 80_000.0,
            derivative_buying_power: 40_000.0,
            maintenance_requirement: 30_000.0,
            maintenance_excess: Some(70_000.0),
            day_trading_buying_power: None,
            cash_available_to_withdraw: Some(40_000.0),
            pending_cash: None,
            as_of: now,
        }],
        positions: vec![
            Position {
                account: account.clone(),
                symbol: sym("SPY"),
                instrument_type: InstrumentType::Equity,
                underlying: sym("SPY"),
                quantity: 100.0,
                average_open_price: 500.0,
                close_price: Some(prev(&spy_candles)),
                mark: None,
                multiplier: 1.0,
                option_type: None,
                strike: None,
                expiration: None,
                opened_at: None,
            },
            Position {
                account,
                symbol: sym(&put_symbol),
                instrument_type: InstrumentType::EquityOption,
                underlying: sym("AAPL"),
                quantity: -1.0,
                average_open_price: 3.0,
                close_price: Some(2.5),
                mark: Some(2.0),
                multiplier: 100.0,
                option_type: Some(OptionType::Put),
                strike: Some(put_strike),
                expiration: Some(exp1),
                opened_at: None,
            },
        ],
        quotes: [
            quote("SPY", spy_last, prev(&spy_candles)),
            quote("AAPL", aapl_last, prev(&aapl_candles)),
        ]
        .into_iter()
        .chain(emini_quotes)
        .collect(),
        chains: vec![
            chain("SPY", spy_last, 5.0, &[exp1, exp2], now),
            chain("AAPL", aapl_last, 2.5, &[exp1, exp2], now),
            emini_chain,
        ],
        metrics: vec![
            MarketMetrics {
                symbol: sym("SPY"),
                iv_index: Some(0.18),
                iv_rank: Some(0.35),
                iv_percentile: Some(0.42),
                hv_30: Some(0.14),
                hv_60: Some(0.15),
                hv_90: Some(0.16),
                earnings_date: None,
                liquidity_rating: Some(5.0),
                beta: Some(1.0),
                dividend_yield: Some(0.013),
                ex_dividend_date: None,
                as_of: now,
            },
            MarketMetrics {
                symbol: sym("AAPL"),
                iv_index: Some(0.27),
                iv_rank: Some(0.55),
                iv_percentile: Some(0.61),
                hv_30: Some(0.22),
                hv_60: None,
                hv_90: None,
                earnings_date: Some(today.add_days(48)),
                liquidity_rating: Some(4.0),
                beta: Some(1.2),
                dividend_yield: Some(0.005),
                ex_dividend_date: Some(today.add_days(20)),
                as_of: now,
            },
            emini_metrics,
        ],
        candles: vec![
            (sym("SPY"), Timeframe::Daily, spy_candles),
            (sym("AAPL"), Timeframe::Daily, aapl_candles),
        ],
        instruments: vec![
            SymbolMatch {
                symbol: sym("SPY"),
                description: "SPDR S&P 500 ETF Trust".into(),
                instrument_type: Some(InstrumentType::Equity),
                has_options: Some(true),
            },
            SymbolMatch {
                symbol: sym("AAPL"),
                description: "Apple Inc. - Common Stock".into(),
                instrument_type: Some(InstrumentType::Equity),
                has_options: Some(true),
            },
            emini_instrument,
        ],
        transactions,
        net_liq_history: vec![(AccountNumber::new(SAMPLE_ACCOUNT), net_liq)],
        watchlists,
    }
}
