//! The deterministic generator of the bundled demo tape (synthetic: not market data).
//!
//! Four liquid-looking underlyings over two years of trading days: prices follow a market factor
//! with volatility regimes (calm, normal, stressed) plus each symbol's own noise, with overnight
//! gaps on AAPL's quarterly earnings (`market.rs`). The last year carries weekly option-chain
//! snapshots (every Friday close) priced with Black-Scholes-Merton from a volatility surface with
//! skew, term structure and an earnings bump; spreads widen away from the money (`chains.rs`).
//! Daily quotes, market metrics (IV rank and percentile from the tape's own IV history), and a
//! synthetic account's positions, balances, net liq and transactions (`account.rs`,
//! `ledger.rs`) complete it.
//!
//! Everything derives from a fixed seed through an in-house SplitMix64, so regenerating gives the
//! same bytes: `cargo run -p broker-replay --example gen_demo_tape -- adapters/broker-replay/tapes/demo`.
//! The generator lives with the example that writes the tape, not in the library; the test
//! `tests/regenerate.rs` includes it to prove the committed tape is its output.

mod account;
mod calendar;
mod chains;
mod ledger;
mod market;

use broker_replay::tape::candles_key;
use broker_replay::{Manifest, Op, TapeBuilder};
use serde::Serialize;
use ttai_core::domain::{
    Account, AccountNumber, InstrumentType, MarketMetrics, Quote, SymbolMatch, Timeframe, Watchlist,
    WatchlistEntry, round_to,
};
use ttai_core::time::{Date, Timestamp, Weekday};

use account::DemoAccount;
use calendar::{close_time, date, trading_days};
use chains::chain_snapshot;
use market::{Day, Rng, SPECS, Series, Spec, hv, simulate, sym};

/// The seed of the bundled tape.
const SEED: u64 = 20_251_121;
/// Risk-free rate used to price the tape's options.
const RATE: f64 = 0.04;
/// The synthetic account.
const ACCOUNT: &str = "5SYN0001";

/// The tape being written.
struct Out(TapeBuilder);

impl Out {
    /// Appends one entry; a value that cannot be serialised is logged and left out.
    fn push<T: Serialize>(&mut self, at: Timestamp, op: Op, key: &str, data: &T) {
        if let Err(err) = self.0.push(at, op, key, data) {
            tracing::error!(error = %err, "demo tape value could not be serialised");
        }
    }
}

/// Generates the demo tape.
pub(crate) fn generate() -> (Manifest, TapeBuilder) {
    let history_start = date(2024, 11, 18);
    let chain_start = date(2025, 11, 21);
    let end = date(2026, 11, 20);
    let calendar = trading_days(history_start, end.add_days(200));
    let days: Vec<Date> = calendar.iter().copied().filter(|d| *d <= end).collect();
    let mut rng = Rng(SEED);
    let series = simulate(&mut rng, &days);
    let mut out = Out(TapeBuilder::new());
    let first_at = days
        .first()
        .map_or(Timestamp::from_millis(0), |d| d.at_utc(14, 30));
    out.push(first_at, Op::SymbolSearch, "", &directory());
    out.push(first_at, Op::Accounts, "", &accounts());

    let mut iv_history: Vec<Vec<f64>> = vec![Vec::new(); SPECS.len()];
    let chain_start_index = days.iter().position(|d| *d >= chain_start).unwrap_or(0);
    let mut account = DemoAccount::new(&series, &days, chain_start);
    out.push(first_at, Op::Watchlists, "", &watchlists());

    for (i, day) in days.iter().enumerate() {
        let at = close_time(*day);
        for (s, spec) in SPECS.iter().enumerate() {
            let Some(d) = series.get(s).and_then(|x| x.days.get(i)) else {
                continue;
            };
            if let Some(h) = iv_history.get_mut(s) {
                h.push(d.iv30);
            }
            out.push(
                at,
                Op::Candles,
                &candles_key(&sym(spec.symbol), Timeframe::Daily),
                &vec![d.candle],
            );
            if i >= chain_start_index {
                let history = iv_history.get(s).map(Vec::as_slice).unwrap_or_default();
                push_quote_and_metrics(&mut out, spec, series.get(s), d, i, history, at);
            }
        }
        if i < chain_start_index {
            continue;
        }
        if i == chain_start_index {
            account.open(i, *day);
        }
        account.collect_dividends(*day);
        account.settle_expired(*day);
        if is_snapshot(&days, i) {
            for (s, spec) in SPECS.iter().enumerate() {
                let (Some(x), Some(d)) = (series.get(s), series.get(s).and_then(|x| x.days.get(i))) else {
                    continue;
                };
                let chain = chain_snapshot(spec, d, x, &calendar, &mut rng);
                account.sell_monthly(s, spec, &chain, d, *day);
                out.push(at, Op::OptionChain, spec.symbol, &chain);
            }
        }
        account.push_close(&mut out, i, *day, at);
    }
    account.push_transactions(&mut out);
    (manifest(first_at, &days), out.0)
}

/// A chain snapshot every Friday, and on the last day before a long weekend.
fn is_snapshot(days: &[Date], i: usize) -> bool {
    days.get(i).is_some_and(|day| {
        day.weekday() == Weekday::Friday
            || days
                .get(i + 1)
                .is_some_and(|n| n.days_since_epoch() - day.days_since_epoch() > 3)
    })
}

/// The symbol directory: the four underlyings.
fn directory() -> Vec<SymbolMatch> {
    SPECS
        .iter()
        .map(|s| SymbolMatch {
            symbol: sym(s.symbol),
            description: s.description.to_owned(),
            instrument_type: Some(InstrumentType::Equity),
            has_options: Some(true),
        })
        .collect()
}

fn accounts() -> Vec<Account> {
    vec![Account {
        number: AccountNumber::new(ACCOUNT),
        nickname: Some("Demo margin account (synthetic)".into()),
        account_type: Some("Individual".into()),
        margin_or_cash: Some("Margin".into()),
    }]
}

fn watchlists() -> Vec<Watchlist> {
    let entries = |symbols: [&str; 3]| {
        symbols
            .iter()
            .map(|s| WatchlistEntry {
                symbol: sym(s),
                instrument_type: Some(InstrumentType::Equity),
            })
            .collect()
    };
    vec![
        Watchlist {
            name: "Index ETFs".into(),
            group: None,
            entries: entries(["SPY", "QQQ", "IWM"]),
        },
        Watchlist {
            name: "Wheel candidates".into(),
            group: Some("Income".into()),
            entries: entries(["AAPL", "SPY", "IWM"]),
        },
    ]
}

/// The day's quote at the close, and the market metrics: IV rank and percentile over the last
/// year of the tape's own IV, historical volatilities, the next earnings date.
fn push_quote_and_metrics(
    out: &mut Out,
    spec: &Spec,
    series: Option<&Series>,
    d: &Day,
    i: usize,
    iv_history: &[f64],
    at: Timestamp,
) {
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
    out.push(at, Op::Quote, spec.symbol, &quote);
    let window = iv_history
        .get(iv_history.len().saturating_sub(252)..)
        .unwrap_or_default();
    let (lo, hi) = window
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    let rank = if hi > lo { (d.iv30 - lo) / (hi - lo) } else { 0.5 };
    let percentile = window.iter().filter(|v| **v < d.iv30).count() as f64 / window.len().max(1) as f64;
    let closes: Vec<f64> = series
        .map(|x| {
            x.days
                .get(..=i)
                .unwrap_or_default()
                .iter()
                .map(|d| d.candle.close)
                .collect()
        })
        .unwrap_or_default();
    let next_earnings = series.and_then(|x| x.earnings.iter().find(|e| **e >= d.date).copied());
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
    out.push(at, Op::MarketMetrics, spec.symbol, &metrics);
}

fn manifest(first_at: Timestamp, days: &[Date]) -> Manifest {
    Manifest {
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
            extra.insert(
                "generator".into(),
                "cargo run -p broker-replay --example gen_demo_tape -- adapters/broker-replay/tapes/demo".into(),
            );
            extra.insert("seed".into(), SEED.into());
            extra.insert("risk_free_rate".into(), RATE.into());
            extra
        },
    }
}
