//! The tape format (docs/tapes.md): a folder with `manifest.json` and `tape.jsonl` (optionally
//! `tape.jsonl.gz`), one recorded broker answer per line:
//! `{"at": RFC3339, "op": "...", "key": "...", "data": <domain JSON>}`.
//!
//! [`read`] loads a tape (folder, gzip members, index); [`builder`] writes one. This file is
//! the format: ops, manifest, line, errors and the loaded tape.

mod builder;
mod read;

pub use builder::TapeBuilder;
pub(crate) use read::load;

use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use ttai_core::domain::{Symbol, Timeframe};
use ttai_core::time::Timestamp;

/// What a tape line records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// A `Quote`; key = symbol.
    Quote,
    /// An `OptionChain`; key = underlying.
    OptionChain,
    /// A list of `Candle`s; key = `SYMBOL:daily|weekly|intraday`.
    Candles,
    /// A list of `Position`s; key = account number.
    Positions,
    /// `Balances`; key = account number.
    Balances,
    /// `MarketMetrics`; key = symbol.
    MarketMetrics,
    /// A list of `Account`s; key = "".
    Accounts,
    /// A list of `SymbolMatch`es; key = the lower-cased query, or "" for the tape's directory of
    /// instruments that any query is matched against.
    SymbolSearch,
    /// A list of `Transaction`s; key = account number. Replay answers the union of every line
    /// recorded by its clock (one id once), executed by then, filtered and paged.
    Transactions,
    /// A list of `NetLiqPoint`s; key = account number. Replay answers the union of every line
    /// recorded by its clock (one time once) inside the window.
    NetLiq,
    /// A list of `Watchlist`s; key = "".
    Watchlists,
    /// A `MarketSession`; key = `Equity`. Replay answers it while it still holds at its clock
    /// (`MarketSession::valid_until`), else derives the session from the calendar.
    MarketSession,
    /// A `MarketCalendar`; key = `Equity`. Without one, replay uses the NYSE calendar's rules.
    MarketCalendar,
}

impl Op {
    /// The name used in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Quote => "quote",
            Op::OptionChain => "option_chain",
            Op::Candles => "candles",
            Op::Positions => "positions",
            Op::Balances => "balances",
            Op::MarketMetrics => "market_metrics",
            Op::Accounts => "accounts",
            Op::SymbolSearch => "symbol_search",
            Op::Transactions => "transactions",
            Op::NetLiq => "net_liq",
            Op::Watchlists => "watchlists",
            Op::MarketSession => "market_session",
            Op::MarketCalendar => "market_calendar",
        }
    }

    /// Every op, in the order the tape format documents them.
    pub const ALL: [Op; 13] = [
        Op::Quote,
        Op::OptionChain,
        Op::Candles,
        Op::Positions,
        Op::Balances,
        Op::MarketMetrics,
        Op::Accounts,
        Op::SymbolSearch,
        Op::Transactions,
        Op::NetLiq,
        Op::Watchlists,
        Op::MarketSession,
        Op::MarketCalendar,
    ];
}

/// The key of a candle series.
pub fn candles_key(symbol: &Symbol, timeframe: Timeframe) -> String {
    format!("{}:{}", symbol.as_str(), timeframe.as_str())
}

/// `manifest.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Short name, used in every answer's source: `replay:<name>`.
    pub name: String,
    /// What the tape holds.
    #[serde(default)]
    pub description: String,
    /// True when the data is made up.
    pub synthetic: bool,
    /// Underlyings on the tape.
    #[serde(default)]
    pub symbols: Vec<String>,
    /// First recorded instant.
    #[serde(default)]
    pub start: Option<Timestamp>,
    /// Last recorded instant.
    #[serde(default)]
    pub end: Option<Timestamp>,
    /// Anything else the producer wants to say (generator seed, ...).
    #[serde(default, flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// One line, as written.
#[derive(Clone, Debug, Serialize)]
pub struct TapeLine<'a, T: Serialize> {
    /// When the answer was recorded.
    pub at: Timestamp,
    /// What it answers.
    pub op: Op,
    /// For which key.
    pub key: &'a str,
    /// The domain value.
    pub data: &'a T,
}

/// Why a tape could not be read. Messages name the file and line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TapeError {
    /// The folder or a file is missing or unreadable.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// What failed.
        message: String,
    },
    /// The manifest is invalid.
    #[error("{path}: invalid manifest: {message}")]
    Manifest {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A line is invalid.
    #[error("{file} line {line}: {message}")]
    Line {
        /// The file.
        file: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The tape has no entries.
    #[error("{0}: the tape is empty")]
    Empty(String),
}

#[derive(Deserialize)]
struct RawLine<'a> {
    at: &'a str,
    op: &'a str,
    key: String,
    #[serde(borrow)]
    data: &'a RawValue,
}

/// Where an entry's data lives.
#[derive(Debug)]
pub(crate) enum Stored {
    /// The data's JSON text.
    Raw(Box<RawValue>),
    /// A gzip member of the tape bytes holding exactly this line: inflated on demand, so a
    /// compressed tape stays compressed in memory.
    Member { start: usize, end: usize },
}

/// One recorded answer.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) at: Timestamp,
    pub(crate) line: usize,
    pub(crate) stored: Stored,
}

/// The compressed bytes a tape's `Member` entries point into.
#[derive(Clone)]
pub(crate) enum Bytes {
    Static(&'static [u8]),
    Owned(std::sync::Arc<[u8]>),
}

impl Bytes {
    pub(crate) fn as_slice(&self) -> &[u8] {
        match self {
            Bytes::Static(b) => b,
            Bytes::Owned(b) => b,
        }
    }
}

/// A parsed tape: entries by (op, key), each list in time order.
pub(crate) struct Tape {
    pub(crate) manifest: Manifest,
    pub(crate) file: String,
    pub(crate) entries: HashMap<(Op, String), Vec<Entry>>,
    pub(crate) start: Timestamp,
    pub(crate) end: Timestamp,
    pub(crate) bytes: Option<Bytes>,
    /// Inflated text of small member entries, so hot answers (quotes) are not inflated per call.
    pub(crate) inflated: std::sync::Mutex<HashMap<usize, std::sync::Arc<str>>>,
}

/// Entries up to this size stay inflated once read.
const KEEP_INFLATED: usize = 4096;
/// At most this many inflated entries are kept (then the cache starts over).
const KEEP_ENTRIES: usize = 2048;

impl Tape {
    /// The JSON text of an entry's data.
    pub(crate) fn data_text<'a>(&'a self, entry: &'a Entry) -> Result<std::borrow::Cow<'a, str>, String> {
        match &entry.stored {
            Stored::Raw(raw) => Ok(std::borrow::Cow::Borrowed(raw.get())),
            Stored::Member { start, end } => {
                if let Some(text) = self.inflated.lock().ok().and_then(|c| c.get(start).cloned()) {
                    return Ok(std::borrow::Cow::Owned(text.to_string()));
                }
                let bytes = self.bytes.as_ref().ok_or("tape bytes are gone")?;
                let member = bytes
                    .as_slice()
                    .get(*start..*end)
                    .ok_or("entry outside the tape")?;
                let mut text = String::new();
                flate2::bufread::GzDecoder::new(member)
                    .read_to_string(&mut text)
                    .map_err(|e| e.to_string())?;
                let line: RawLine<'_> = serde_json::from_str(text.trim()).map_err(|e| e.to_string())?;
                let data = line.data.get();
                if data.len() <= KEEP_INFLATED
                    && let Ok(mut cache) = self.inflated.lock()
                {
                    if cache.len() >= KEEP_ENTRIES {
                        cache.clear();
                    }
                    cache.insert(*start, std::sync::Arc::from(data));
                }
                Ok(std::borrow::Cow::Owned(data.to_owned()))
            }
        }
    }
}

impl fmt::Debug for Tape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tape")
            .field("name", &self.manifest.name)
            .field("keys", &self.entries.len())
            .finish()
    }
}

/// Where a tape's bytes come from.
#[derive(Clone, Debug)]
pub enum TapeSource {
    /// A folder on disk.
    Dir(PathBuf),
    /// Bytes compiled into the binary (the bundled demo tape).
    Embedded {
        /// `manifest.json`.
        manifest: &'static [u8],
        /// `tape.jsonl.gz`.
        tape_gz: &'static [u8],
        /// `tape.index`, written with the tape: where each line's gzip member lies, so loading
        /// reads the index instead of inflating the whole tape (which would also keep all of
        /// its pages resident). Trusted only for compiled-in tapes, whose test proves it.
        index: Option<&'static [u8]>,
    },
}

/// The name of the member index written next to a gzipped tape.
pub const INDEX_FILE: &str = "tape.index";
