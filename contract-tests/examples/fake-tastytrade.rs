//! The fake TastyTrade (REST and DXLink) on its own, for trying ttai's live path offline:
//!
//! ```sh
//! cargo run -p contract-tests --example fake-tastytrade
//! ```
//!
//! prints, one per line, `API_URL=http://127.0.0.1:<port>`, `CLIENT_SECRET=…`,
//! `REFRESH_TOKEN=…` and `READY`, then serves the sample market (dated today, so expirations and
//! candles are current) until its standard input closes (Ctrl-D, or the parent closing the pipe).
//! Point ttai at it with `TASTYTRADE_API_URL` and those credentials (see README.md).
//!
//! The four lines are the example's whole output on stdout: it exists to print them.
#![allow(clippy::print_stdout, clippy::disallowed_methods)]

use std::io::{BufRead, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use contract_tests::fake_tastytrade::{FakeOptions, FakeTastyTrade};
use ttai_core::testing::sample_market_at;
use ttai_core::time::Timestamp;

fn main() -> std::io::Result<()> {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    let now = Timestamp::from_millis(millis);
    let mut options = FakeOptions::scenario();
    options.market = sample_market_at(now);
    options.now = now;
    let secret = options.client_secret.clone();
    let refresh = options.refresh_token.clone();
    let fake = FakeTastyTrade::start_with(options)?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "API_URL={}", fake.url())?;
        writeln!(out, "CLIENT_SECRET={secret}")?;
        writeln!(out, "REFRESH_TOKEN={refresh}")?;
        writeln!(out, "READY")?;
        out.flush()?;
    }
    // Serve until stdin closes; what is typed is ignored.
    let stdin = std::io::stdin();
    let mut line = String::new();
    while stdin.lock().read_line(&mut line)? > 0 {
        line.clear();
    }
    drop(fake);
    Ok(())
}
