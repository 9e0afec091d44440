//! The canonical scenario and its forms: a fake broker, a tape.

use std::path::{Path, PathBuf};

use broker_replay::{Manifest, Op, TapeBuilder};
use ttai_core::domain::{InstrumentType, Quote, Symbol};
use ttai_core::testing::{FakeMarket, sample_market, sample_now};
use ttai_core::time::Timestamp;

/// The scenario's market.
pub fn market() -> FakeMarket {
    sample_market()
}

/// The scenario's clock.
pub fn now() -> Timestamp {
    sample_now()
}

/// A cash index's quote at the scenario's clock (no bid or ask, as indices are quoted), for tests
/// that add one the adapter does not know by name.
pub fn index_quote(symbol: &str, last: f64, prev_close: f64) -> Quote {
    Quote {
        symbol: Symbol::parse(symbol).unwrap(),
        instrument_type: Some(InstrumentType::Index),
        bid: None,
        ask: None,
        bid_size: None,
        ask_size: None,
        last: Some(last),
        mark: None,
        volume: None,
        open: None,
        day_high: None,
        day_low: None,
        prev_close: Some(prev_close),
        year_high: None,
        year_low: None,
        as_of: now(),
    }
}

/// The repository's `.venv` python (the official MCP and TastyTrade SDKs, installed by
/// `.ci/setup-python`); a test that needs it fails, it does not skip, when the setup was not run.
pub fn venv_python() -> PathBuf {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run .ci/setup-python (the README's test command does)",
        python.display()
    );
    python
}

/// Writes the scenario as a replay tape in `dir` (plain or gzipped), every answer recorded at
/// the scenario's clock (the account's transactions and net-liq series as one line each, as a
/// recording would hold them), candles one bar per line at each bar's close.
pub fn write_tape(dir: &Path, gzip: bool) {
    let market = market();
    let at = now();
    let mut tape = TapeBuilder::new();
    tape.push(at, Op::Accounts, "", &market.accounts).unwrap();
    tape.push(at, Op::SymbolSearch, "", &market.instruments).unwrap();
    for b in &market.balances {
        tape.push(at, Op::Balances, b.account.as_str(), b).unwrap();
        let positions: Vec<_> = market
            .positions
            .iter()
            .filter(|p| p.account == b.account)
            .collect();
        tape.push(at, Op::Positions, b.account.as_str(), &positions)
            .unwrap();
        let transactions: Vec<_> = market
            .transactions
            .iter()
            .filter(|t| t.account == b.account)
            .collect();
        tape.push(at, Op::Transactions, b.account.as_str(), &transactions)
            .unwrap();
    }
    for (account, points) in &market.net_liq_history {
        tape.push(at, Op::NetLiq, account.as_str(), points).unwrap();
    }
    tape.push(at, Op::Watchlists, "", &market.watchlists).unwrap();
    for q in &market.quotes {
        tape.push(at, Op::Quote, q.symbol.as_str(), q).unwrap();
    }
    for c in &market.chains {
        tape.push(at, Op::OptionChain, c.underlying.as_str(), c).unwrap();
    }
    for m in &market.metrics {
        tape.push(at, Op::MarketMetrics, m.symbol.as_str(), m).unwrap();
    }
    for (symbol, timeframe, candles) in &market.candles {
        let key = broker_replay::tape::candles_key(symbol, *timeframe);
        for candle in candles {
            let bar_close = candle.time.add_millis(20 * 3_600_000).min(at);
            tape.push(bar_close, Op::Candles, &key, &vec![*candle]).unwrap();
        }
    }
    let manifest = Manifest {
        name: "scenario".into(),
        description: "the canonical contract-test scenario".into(),
        synthetic: true,
        symbols: market.quotes.iter().map(|q| q.symbol.to_string()).collect(),
        start: None,
        end: Some(at),
        extra: serde_json::Map::new(),
    };
    tape.write_dir(dir, &manifest, gzip).unwrap();
}
