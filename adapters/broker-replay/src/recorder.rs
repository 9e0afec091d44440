//! `ttai record`: a `BrokerPort` decorator that appends every answer of another broker to a tape.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde::Serialize;
use ttai_core::domain::{
    Account, AccountNumber, Balances, Candle, MarketCalendar, MarketMetrics, MarketSession, NetLiqPoint,
    NetLiqWindow, OptionChain, Position, Quote, Symbol, SymbolMatch, Timeframe, TransactionPage,
    TransactionQuery, Watchlist,
};
use ttai_core::ports::{BrokerError, BrokerInfo, BrokerPort, ReplayClock};
use ttai_core::time::Timestamp;

use crate::MARKET_KEY;
use crate::tape::{Manifest, Op, TapeError, TapeLine, candles_key};

/// Wraps a broker and records its answers (failures are not recorded).
pub struct Recorder {
    inner: Arc<dyn BrokerPort>,
    dir: PathBuf,
    file: Mutex<std::fs::File>,
    manifest: Mutex<Manifest>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

fn io(path: &Path, err: impl std::fmt::Display) -> TapeError {
    TapeError::Io {
        path: path.display().to_string(),
        message: err.to_string(),
    }
}

impl Recorder {
    /// Records into `dir` (created if needed; an existing `tape.jsonl` is appended to).
    pub fn create(inner: Arc<dyn BrokerPort>, dir: &Path, name: &str) -> Result<Recorder, TapeError> {
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        let manifest_path = dir.join("manifest.json");
        let manifest = match std::fs::read(&manifest_path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| TapeError::Manifest {
                path: manifest_path.display().to_string(),
                message: e.to_string(),
            })?,
            Err(_) => Manifest {
                name: name.to_owned(),
                description: format!("recorded from {} by ttai record", inner.info().source),
                synthetic: inner.info().synthetic,
                symbols: Vec::new(),
                start: None,
                end: None,
                extra: serde_json::Map::new(),
            },
        };
        let tape_path = dir.join("tape.jsonl");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&tape_path)
            .map_err(|e| io(&tape_path, e))?;
        let recorder = Recorder {
            inner,
            dir: dir.to_owned(),
            file: Mutex::new(file),
            manifest: Mutex::new(manifest),
        };
        recorder.write_manifest()?;
        Ok(recorder)
    }

    fn write_manifest(&self) -> Result<(), TapeError> {
        let path = self.dir.join("manifest.json");
        let text = self
            .manifest
            .lock()
            .map_err(|_| io(&path, "lock poisoned"))
            .and_then(|m| serde_json::to_string_pretty(&*m).map_err(|e| io(&path, e)))?;
        let tmp = self.dir.join("manifest.json.tmp");
        std::fs::write(&tmp, text).map_err(|e| io(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| io(&path, e))
    }

    /// Records each quote under its symbol (the one form a quote takes on the tape, whether it was
    /// asked for or streamed).
    fn record_quotes(&self, quotes: &[Quote]) {
        for quote in quotes {
            self.record(
                Op::Quote,
                quote.symbol.as_str(),
                quote,
                Some(quote.symbol.as_str()),
            );
        }
    }

    fn record<T: Serialize>(&self, op: Op, key: &str, data: &T, symbol: Option<&str>) {
        // The time is read under the file lock so that lines stay in time order.
        let Ok(mut file) = self.file.lock() else { return };
        let at = self.inner.now();
        let line = TapeLine { at, op, key, data };
        let Ok(mut text) = serde_json::to_string(&line) else {
            return;
        };
        text.push('\n');
        if file
            .write_all(text.as_bytes())
            .and_then(|()| file.flush())
            .is_err()
        {
            tracing::warn!(op = op.as_str(), "could not append to the tape");
            return;
        }
        drop(file);
        let changed = self.manifest.lock().map(|mut m| {
            let mut changed = false;
            if m.start.is_none() {
                m.start = Some(at);
                changed = true;
            }
            if m.end.is_none_or(|end| end < at) {
                m.end = Some(at);
                changed = true;
            }
            if let Some(s) = symbol
                && !m.symbols.iter().any(|x| x == s)
            {
                m.symbols.push(s.to_owned());
                changed = true;
            }
            changed
        });
        if changed.unwrap_or(false)
            && let Err(err) = self.write_manifest()
        {
            tracing::warn!(error = %err, "could not update the tape manifest");
        }
    }
}

#[async_trait]
impl BrokerPort for Recorder {
    fn info(&self) -> BrokerInfo {
        self.inner.info()
    }
    fn is_live(&self) -> bool {
        self.inner.is_live()
    }
    fn now(&self) -> Timestamp {
        self.inner.now()
    }
    async fn replay_clock(&self) -> Option<Arc<dyn ReplayClock>> {
        self.inner.replay_clock().await
    }
    async fn accounts(&self) -> Result<Vec<Account>, BrokerError> {
        let answer = self.inner.accounts().await?;
        self.record(Op::Accounts, "", &answer, None);
        Ok(answer)
    }
    async fn balances(&self, account: &AccountNumber) -> Result<Balances, BrokerError> {
        let answer = self.inner.balances(account).await?;
        self.record(Op::Balances, account.as_str(), &answer, None);
        Ok(answer)
    }
    async fn positions(&self, account: &AccountNumber) -> Result<Vec<Position>, BrokerError> {
        let answer = self.inner.positions(account).await?;
        self.record(Op::Positions, account.as_str(), &answer, None);
        Ok(answer)
    }
    async fn quotes(&self, symbols: &[Symbol]) -> Result<Vec<Quote>, BrokerError> {
        let answer = self.inner.quotes(symbols).await?;
        self.record_quotes(&answer);
        Ok(answer)
    }
    fn live_quotes(&self, symbols: &[Symbol]) -> Vec<Quote> {
        let answer = self.inner.live_quotes(symbols);
        self.record_quotes(&answer);
        answer
    }
    async fn option_chain(&self, underlying: &Symbol) -> Result<OptionChain, BrokerError> {
        let answer = self.inner.option_chain(underlying).await?;
        self.record(
            Op::OptionChain,
            underlying.as_str(),
            &answer,
            Some(underlying.as_str()),
        );
        Ok(answer)
    }
    async fn market_metrics(&self, symbols: &[Symbol]) -> Result<Vec<MarketMetrics>, BrokerError> {
        let answer = self.inner.market_metrics(symbols).await?;
        for m in &answer {
            self.record(Op::MarketMetrics, m.symbol.as_str(), m, Some(m.symbol.as_str()));
        }
        Ok(answer)
    }
    async fn candles(
        &self,
        symbol: &Symbol,
        timeframe: Timeframe,
        since: Timestamp,
    ) -> Result<Vec<Candle>, BrokerError> {
        let answer = self.inner.candles(symbol, timeframe, since).await?;
        self.record(
            Op::Candles,
            &candles_key(symbol, timeframe),
            &answer,
            Some(symbol.as_str()),
        );
        Ok(answer)
    }
    async fn search_symbols(&self, query: &str, limit: usize) -> Result<Vec<SymbolMatch>, BrokerError> {
        let answer = self.inner.search_symbols(query, limit).await?;
        self.record(
            Op::SymbolSearch,
            &query.trim().to_ascii_lowercase(),
            &answer,
            None,
        );
        Ok(answer)
    }
    /// Records the page's transactions (replay unions them and pages itself).
    async fn transactions(
        &self,
        account: &AccountNumber,
        query: &TransactionQuery,
    ) -> Result<TransactionPage, BrokerError> {
        let answer = self.inner.transactions(account, query).await?;
        self.record(Op::Transactions, account.as_str(), &answer.items, None);
        Ok(answer)
    }
    async fn net_liq_history(
        &self,
        account: &AccountNumber,
        window: NetLiqWindow,
    ) -> Result<Vec<NetLiqPoint>, BrokerError> {
        let answer = self.inner.net_liq_history(account, window).await?;
        self.record(Op::NetLiq, account.as_str(), &answer, None);
        Ok(answer)
    }
    async fn watchlists(&self) -> Result<Vec<Watchlist>, BrokerError> {
        let answer = self.inner.watchlists().await?;
        self.record(Op::Watchlists, "", &answer, None);
        Ok(answer)
    }
    async fn market_session(&self) -> Result<MarketSession, BrokerError> {
        let answer = self.inner.market_session().await?;
        self.record(Op::MarketSession, MARKET_KEY, &answer, None);
        Ok(answer)
    }
    async fn market_calendar(&self) -> Result<MarketCalendar, BrokerError> {
        let answer = self.inner.market_calendar().await?;
        self.record(Op::MarketCalendar, MARKET_KEY, &answer, None);
        Ok(answer)
    }
}
