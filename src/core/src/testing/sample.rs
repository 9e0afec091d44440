//! A small, fully known market for unit and contract tests: two stocks, the E-mini S&P 500 future
//! with options, one account.

use crate::domain::{
    Account, AccountNumber, Balances, Candle, Expiration, ExpirationUnderlying, InstrumentType,
    MarketMetrics, NetLiqPoint, OptionChain, OptionContract, OptionType, Position, Quote, StrikeRow, Symbol,
    SymbolMatch, Timeframe, TradeAction, Transaction, Watchlist, WatchlistEntry, occ_symbol, round_to,
    round4,
};
use crate::time::{Date, Timestamp};

use super::FakeMarket;

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
fn emini(now: Timestamp) -> (Vec<Quote>, OptionChain, MarketMetrics, SymbolMatch) {
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

/// One transaction of the sample account, `days_ago` days before `now` at 15:00 UTC.
struct Booked {
    days_ago: i32,
    kind: &'static str,
    sub_type: &'static str,
    description: String,
    symbol: Option<String>,
    underlying: Option<&'static str>,
    action: Option<TradeAction>,
    quantity: Option<f64>,
    price: Option<f64>,
    value: f64,
    commission: f64,
    fees: f64,
}

/// The sample account's history, consistent with its positions: a deposit, 100 SPY bought at
/// 500, a SPY put sold for 4.00 and bought back for 1.50, a SPY dividend, an AAPL call that
/// expired, and the short AAPL put (`put`, sold for 3.00); 60 weekdays of net liq ending at the
/// balances' 100 000; three watchlists.
fn sample_history(
    now: Timestamp,
    put: &str,
    put_strike: f64,
    put_expiration: Date,
) -> (Vec<Transaction>, Vec<NetLiqPoint>, Vec<Watchlist>) {
    let today = now.date();
    let spy_put_expiration = today.add_days(-85);
    let spy_put = occ_symbol("SPY", spy_put_expiration, OptionType::Put, 470.0);
    let aapl_call_expiration = today.add_days(-30);
    let aapl_call = occ_symbol("AAPL", aapl_call_expiration, OptionType::Call, 230.0);
    let mmddyy = |d: Date| {
        let (y, m, day) = d.ymd();
        format!("{m:02}/{day:02}/{:02}", y % 100)
    };
    let booked = vec![
        Booked {
            days_ago: 200,
            kind: "Money Movement",
            sub_type: "Deposit",
            description: "ACH DEPOSIT".into(),
            symbol: None,
            underlying: None,
            action: None,
            quantity: None,
            price: None,
            value: 90_000.0,
            commission: 0.0,
            fees: 0.0,
        },
        Booked {
            days_ago: 180,
            kind: "Trade",
            sub_type: "Buy to Open",
            description: "Bought 100 SPY @ 500.00".into(),
            symbol: Some("SPY".into()),
            underlying: Some("SPY"),
            action: Some(TradeAction::BuyToOpen),
            quantity: Some(100.0),
            price: Some(500.0),
            value: -50_000.0,
            commission: 0.0,
            fees: 0.08,
        },
        Booked {
            days_ago: 120,
            kind: "Trade",
            sub_type: "Sell to Open",
            description: format!("Sold 1 SPY {} Put 470.00 @ 4.00", mmddyy(spy_put_expiration)),
            symbol: Some(spy_put.clone()),
            underlying: Some("SPY"),
            action: Some(TradeAction::SellToOpen),
            quantity: Some(1.0),
            price: Some(4.0),
            value: 400.0,
            commission: 1.0,
            fees: 0.14,
        },
        Booked {
            days_ago: 100,
            kind: "Trade",
            sub_type: "Buy to Close",
            description: format!("Bought 1 SPY {} Put 470.00 @ 1.50", mmddyy(spy_put_expiration)),
            symbol: Some(spy_put),
            underlying: Some("SPY"),
            action: Some(TradeAction::BuyToClose),
            quantity: Some(1.0),
            price: Some(1.5),
            value: -150.0,
            commission: 0.0,
            fees: 0.14,
        },
        Booked {
            days_ago: 90,
            kind: "Money Movement",
            sub_type: "Dividend",
            description: "SPDR S&P 500 ETF TRUST".into(),
            symbol: Some("SPY".into()),
            underlying: Some("SPY"),
            action: None,
            quantity: None,
            price: None,
            value: 175.0,
            commission: 0.0,
            fees: 0.0,
        },
        Booked {
            days_ago: 60,
            kind: "Trade",
            sub_type: "Sell to Open",
            description: format!("Sold 1 AAPL {} Call 230.00 @ 1.10", mmddyy(aapl_call_expiration)),
            symbol: Some(aapl_call.clone()),
            underlying: Some("AAPL"),
            action: Some(TradeAction::SellToOpen),
            quantity: Some(1.0),
            price: Some(1.1),
            value: 110.0,
            commission: 1.0,
            fees: 0.14,
        },
        Booked {
            days_ago: 30,
            kind: "Receive Deliver",
            sub_type: "Expiration",
            description: format!(
                "Removal of 1.0 AAPL {} Call 230.00 due to expiration.",
                mmddyy(aapl_call_expiration)
            ),
            symbol: Some(aapl_call),
            underlying: Some("AAPL"),
            action: Some(TradeAction::BuyToClose),
            quantity: Some(1.0),
            price: Some(0.0),
            value: 0.0,
            commission: 0.0,
            fees: 0.0,
        },
        Booked {
            days_ago: 10,
            kind: "Trade",
            sub_type: "Sell to Open",
            description: format!(
                "Sold 1 AAPL {} Put {put_strike:.2} @ 3.00",
                mmddyy(put_expiration)
            ),
            symbol: Some(put.to_owned()),
            underlying: Some("AAPL"),
            action: Some(TradeAction::SellToOpen),
            quantity: Some(1.0),
            price: Some(3.0),
            value: 300.0,
            commission: 1.0,
            fees: 0.14,
        },
    ];
    let account = AccountNumber::new(SAMPLE_ACCOUNT);
    let transactions = booked
        .into_iter()
        .enumerate()
        .map(|(i, b)| {
            let date = today.add_days(-b.days_ago);
            let instrument_type = b.symbol.as_ref().map(|s| {
                if s.len() > 6 {
                    InstrumentType::EquityOption
                } else {
                    InstrumentType::Equity
                }
            });
            Transaction {
                id: 4_100_000_001 + i as u64,
                account: account.clone(),
                executed_at: date.at_utc(15, 0),
                date,
                transaction_type: b.kind.to_owned(),
                sub_type: b.sub_type.to_owned(),
                description: b.description,
                symbol: b.symbol.as_deref().map(sym),
                instrument_type,
                underlying: b.underlying.map(sym),
                action: b.action,
                quantity: b.quantity,
                price: b.price,
                value: b.value,
                commission: b.commission,
                fees: b.fees,
                net_value: round_to(b.value - b.commission - b.fees, 2),
            }
        })
        .collect();
    let mut days: Vec<Date> = (0..90)
        .map(|k| today.add_days(-k))
        .filter(|d| !d.is_weekend())
        .take(60)
        .collect();
    days.reverse();
    let n = days.len();
    let mut previous = 95_000.0;
    let net_liq = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let close = if i + 1 == n {
                100_000.0
            } else {
                round_to(
                    95_000.0 + 5_000.0 * i as f64 / (n - 1) as f64 + 400.0 * (((i * 7) % 5) as f64 - 2.0),
                    2,
                )
            };
            let open = previous;
            previous = close;
            NetLiqPoint {
                time: d.at_utc(20, 0),
                open,
                high: round_to(open.max(close) + 50.0, 2),
                low: round_to(open.min(close) - 50.0, 2),
                close,
                pending_cash: 0.0,
            }
        })
        .collect();
    let entry = |s: &str, kind: InstrumentType| WatchlistEntry {
        symbol: sym(s),
        instrument_type: Some(kind),
    };
    let watchlists = vec![
        Watchlist {
            name: "Core ETFs".into(),
            group: Some("main".into()),
            entries: vec![entry("SPY", InstrumentType::Equity)],
        },
        Watchlist {
            name: "Tech".into(),
            group: None,
            entries: vec![
                entry("AAPL", InstrumentType::Equity),
                entry("SPY", InstrumentType::Equity),
            ],
        },
        Watchlist {
            name: "Futures".into(),
            group: None,
            entries: vec![entry("/ES", InstrumentType::Future)],
        },
    ];
    (transactions, net_liq, watchlists)
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
