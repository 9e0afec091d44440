//! The E-mini S&P 500 future of the sample market: its contract codes, quote, options and metrics.

use crate::domain::{
    Expiration, ExpirationUnderlying, InstrumentType, MarketMetrics, OptionChain, OptionType, Quote,
    SymbolMatch, round4,
};
use crate::time::{Date, Timestamp};

use super::{strike_rows, sym, years_between};

/// The month codes of futures contracts, January to December.
const MONTH_CODES: [char; 12] = ['F', 'G', 'H', 'J', 'K', 'M', 'N', 'Q', 'U', 'V', 'X', 'Z'];

/// The futures month code of a date's month (`U` for September).
fn month_code(date: Date) -> char {
    let (_, month, _) = date.ymd();
    MONTH_CODES
        .get(month.saturating_sub(1) as usize)
        .copied()
        .unwrap_or('F')
}

/// The third Friday of a month, when the equity-index futures and their quarterly options expire.
fn third_friday(year: i32, month: u32) -> Date {
    let first = Date::from_ymd(year, month, 1).expect("the first of a month");
    let to_friday = (0..7)
        .find(|d| first.add_days(*d).weekday() == crate::time::Weekday::Friday)
        .unwrap_or(0);
    first.add_days(to_friday + 14)
}

/// The first quarterly (March, June, September, December) expiration after `after`.
fn quarterly_after(after: Date) -> Date {
    let (mut year, mut month, _) = after.ymd();
    loop {
        if month % 3 == 0 {
            let expiry = third_friday(year, month);
            if expiry > after {
                return expiry;
            }
        }
        month += 1;
        if month > 12 {
            month = 1;
            year += 1;
        }
    }
}

/// A futures contract's code without the slash: `ESU5` for the September 2025 E-mini.
fn contract_code(product: &str, expiry: Date) -> String {
    let (year, _, _) = expiry.ymd();
    format!("{product}{}{}", month_code(expiry), year.rem_euclid(10))
}

/// A strike as futures option symbols write it: `5800`, `5812.5`.
fn strike_text(strike: f64) -> String {
    let text = format!("{strike}");
    text.trim_end_matches(".0").to_owned()
}

/// TastyTrade's symbol of an option on a future and its DXLink symbol:
/// `./ESU5 EW3N5 250718P5800` and `./EW3N25P5800:XCME`.
fn future_option_symbols(
    contract: &str,
    root: &str,
    expiration: Date,
    option_type: OptionType,
    strike: f64,
) -> (String, Option<String>) {
    let (year, month, day) = expiration.ymd();
    let kind = match option_type {
        OptionType::Call => 'C',
        OptionType::Put => 'P',
    };
    let code = month_code(expiration);
    let yy = year.rem_euclid(100);
    let strike = strike_text(strike);
    (
        format!(
            "./{contract} {root}{code}{} {yy:02}{month:02}{day:02}{kind}{strike}",
            year.rem_euclid(10)
        ),
        Some(format!("./{root}{code}{yy:02}{kind}{strike}:XCME")),
    )
}

/// The E-mini S&P 500 (`/ES`, $50 per point) of the sample market: the two quarterly contracts
/// after the options below, the product quoted as the front one, and options on both: weeklies
/// 35 and 42 days out delivering the front contract and one a fortnight after the front expires,
/// delivering the next.
pub(super) fn emini(now: Timestamp) -> (Vec<Quote>, OptionChain, MarketMetrics, SymbolMatch) {
    let today = now.date();
    let front = quarterly_after(today.add_days(42));
    let next = quarterly_after(front);
    let front_price = 6012.25;
    let next_price = 6071.5;
    let quote = |symbol: &str, last: f64| Quote {
        symbol: sym(symbol),
        instrument_type: Some(InstrumentType::Future),
        bid: Some(last - 0.25),
        ask: Some(last),
        bid_size: Some(12.0),
        ask_size: Some(9.0),
        last: Some(last),
        mark: Some(last),
        volume: Some(1_250_000.0),
        open: Some(round4(last - 18.5)),
        day_high: Some(round4(last + 7.75)),
        day_low: Some(round4(last - 21.0)),
        prev_close: Some(round4(last - 15.25)),
        year_high: None,
        year_low: None,
        as_of: now,
    };
    let front_code = contract_code("ES", front);
    let next_code = contract_code("ES", next);
    let quotes = vec![
        quote("/ES", front_price),
        quote(&format!("/{front_code}"), front_price),
        quote(&format!("/{next_code}"), next_price),
    ];
    let weekly = |date: Date, code: &str, price: f64| {
        let (_, _, day) = date.ymd();
        let root = format!("EW{}", (day - 1) / 7 + 1);
        Expiration {
            date,
            expiration_type: "Weekly".into(),
            settlement: "PM".into(),
            strikes: strike_rows(price, 25.0, years_between(today, date), &|option_type, strike| {
                future_option_symbols(code, &root, date, option_type, strike)
            }),
            underlying: Some(ExpirationUnderlying {
                symbol: sym(&format!("/{code}")),
                price: Some(price),
            }),
        }
    };
    let chain = OptionChain {
        underlying: sym("/ES"),
        underlying_price: Some(front_price),
        shares_per_contract: 50,
        exercise_style: "American".into(),
        expirations: vec![
            weekly(today.add_days(35), &front_code, front_price),
            weekly(today.add_days(42), &front_code, front_price),
            weekly(front.add_days(14), &next_code, next_price),
        ],
        as_of: now,
    };
    let metrics = MarketMetrics {
        symbol: sym("/ES"),
        iv_index: Some(0.16),
        iv_rank: Some(0.3),
        iv_percentile: Some(0.38),
        hv_30: Some(0.13),
        hv_60: Some(0.14),
        hv_90: Some(0.15),
        earnings_date: None,
        liquidity_rating: Some(5.0),
        beta: None,
        dividend_yield: None,
        ex_dividend_date: None,
        as_of: now,
    };
    let instrument = SymbolMatch {
        symbol: sym("/ES"),
        description: "E-mini S&P 500".into(),
        instrument_type: Some(InstrumentType::Future),
        has_options: Some(true),
    };
    (quotes, chain, metrics, instrument)
}
