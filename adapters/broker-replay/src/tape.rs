//! The tape format (design.md §7): a folder with `manifest.json` and `tape.jsonl` (optionally
//! `tape.jsonl.gz`), one recorded broker answer per line:
//! `{"at": RFC3339, "op": "...", "key": "...", "data": <domain JSON>}`.

use std::collections::HashMap;
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

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
        }
    }
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

/// One recorded answer, data kept as JSON text until asked for.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) at: Timestamp,
    pub(crate) line: usize,
    pub(crate) data: Box<RawValue>,
}

/// A parsed tape: entries by (op, key), each list in time order.
pub(crate) struct Tape {
    pub(crate) manifest: Manifest,
    pub(crate) file: String,
    pub(crate) entries: HashMap<(Op, String), Vec<Entry>>,
    pub(crate) start: Timestamp,
    pub(crate) end: Timestamp,
}

impl fmt::Debug for Tape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tape").field("name", &self.manifest.name).field("keys", &self.entries.len()).finish()
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
    },
}

fn op_from(text: &str) -> Option<Op> {
    Some(match text {
        "quote" => Op::Quote,
        "option_chain" => Op::OptionChain,
        "candles" => Op::Candles,
        "positions" => Op::Positions,
        "balances" => Op::Balances,
        "market_metrics" => Op::MarketMetrics,
        "accounts" => Op::Accounts,
        "symbol_search" => Op::SymbolSearch,
        _ => return None,
    })
}

fn io(path: &Path, err: impl fmt::Display) -> TapeError {
    TapeError::Io { path: path.display().to_string(), message: err.to_string() }
}

/// Reads manifest and lines from a source.
pub(crate) fn load(source: &TapeSource) -> Result<Tape, TapeError> {
    match source {
        TapeSource::Dir(dir) => {
            let manifest_path = dir.join("manifest.json");
            let manifest_bytes = std::fs::read(&manifest_path).map_err(|e| io(&manifest_path, e))?;
            let manifest = parse_manifest(&manifest_bytes, &manifest_path.display().to_string())?;
            let plain = dir.join("tape.jsonl");
            let gz = dir.join("tape.jsonl.gz");
            if plain.exists() {
                let file = std::fs::File::open(&plain).map_err(|e| io(&plain, e))?;
                parse_lines(manifest, BufReader::new(file), &plain.display().to_string())
            } else if gz.exists() {
                let file = std::fs::File::open(&gz).map_err(|e| io(&gz, e))?;
                let reader = BufReader::new(flate2::read::MultiGzDecoder::new(BufReader::new(file)));
                parse_lines(manifest, reader, &gz.display().to_string())
            } else {
                Err(io(&plain, "missing (neither tape.jsonl nor tape.jsonl.gz is in the tape folder)"))
            }
        }
        TapeSource::Embedded { manifest, tape_gz } => {
            let manifest = parse_manifest(manifest, "demo/manifest.json")?;
            let reader = BufReader::new(flate2::read::MultiGzDecoder::new(*tape_gz));
            parse_lines(manifest, reader, "demo/tape.jsonl.gz")
        }
    }
}

fn parse_manifest(bytes: &[u8], path: &str) -> Result<Manifest, TapeError> {
    let manifest: Manifest = serde_json::from_slice(bytes)
        .map_err(|e| TapeError::Manifest { path: path.to_owned(), message: e.to_string() })?;
    if manifest.name.trim().is_empty() {
        return Err(TapeError::Manifest { path: path.to_owned(), message: "name must not be empty".to_owned() });
    }
    Ok(manifest)
}

fn parse_lines(manifest: Manifest, mut reader: impl BufRead, file: &str) -> Result<Tape, TapeError> {
    let mut entries: HashMap<(Op, String), Vec<Entry>> = HashMap::new();
    let mut line_text = String::new();
    let mut line_no = 0_usize;
    let mut start: Option<Timestamp> = None;
    let mut last: Option<Timestamp> = None;
    loop {
        line_text.clear();
        let read = reader
            .by_ref()
            .take(64 * 1024 * 1024)
            .read_line(&mut line_text)
            .map_err(|e| TapeError::Line { file: file.to_owned(), line: line_no + 1, message: format!("unreadable: {e}") })?;
        if read == 0 {
            break;
        }
        line_no += 1;
        let text = line_text.trim();
        if text.is_empty() {
            continue;
        }
        let bad = |message: String| TapeError::Line { file: file.to_owned(), line: line_no, message };
        let raw: RawLine<'_> = serde_json::from_str(text)
            .map_err(|e| bad(format!("not a tape line ({e}); expected {{\"at\",\"op\",\"key\",\"data\"}}")))?;
        let at: Timestamp = raw.at.parse().map_err(|e| bad(format!("at: {e}")))?;
        let op = op_from(raw.op).ok_or_else(|| {
            bad(format!(
                "unknown op {:?}; expected quote, option_chain, candles, positions, balances, market_metrics, accounts or symbol_search",
                raw.op
            ))
        })?;
        if let Some(previous) = last {
            if at < previous {
                return Err(bad(format!("at {at} is earlier than the line before ({previous}); a tape is in time order")));
            }
        }
        check_data(op, raw.data).map_err(|e| bad(format!("data of {}: {e}", op.as_str())))?;
        last = Some(at);
        start.get_or_insert(at);
        entries.entry((op, raw.key)).or_default().push(Entry { at, line: line_no, data: raw.data.to_owned() });
    }
    let (Some(start), Some(end)) = (start, last) else {
        return Err(TapeError::Empty(file.to_owned()));
    };
    Ok(Tape { manifest, file: file.to_owned(), entries, start, end })
}

/// Checks that `data` has the domain shape of `op`, so a hand-edited tape fails at load time
/// with its line number rather than later.
fn check_data(op: Op, data: &RawValue) -> Result<(), serde_json::Error> {
    use ttai_core::domain::{Account, Balances, Candle, MarketMetrics, OptionChain, Position, Quote, SymbolMatch};
    let text = data.get();
    match op {
        Op::Quote => serde_json::from_str::<Quote>(text).map(drop),
        Op::OptionChain => serde_json::from_str::<OptionChain>(text).map(drop),
        Op::Candles => serde_json::from_str::<Vec<Candle>>(text).map(drop),
        Op::Positions => serde_json::from_str::<Vec<Position>>(text).map(drop),
        Op::Balances => serde_json::from_str::<Balances>(text).map(drop),
        Op::MarketMetrics => serde_json::from_str::<MarketMetrics>(text).map(drop),
        Op::Accounts => serde_json::from_str::<Vec<Account>>(text).map(drop),
        Op::SymbolSearch => serde_json::from_str::<Vec<SymbolMatch>>(text).map(drop),
    }
}

/// Builds a tape in memory and writes it as a folder; lines are sorted by time (stable), and
/// gzip output carries no timestamp, so the same input always gives the same bytes.
#[derive(Debug, Default)]
pub struct TapeBuilder {
    lines: Vec<(Timestamp, String)>,
}

impl TapeBuilder {
    /// An empty tape.
    pub fn new() -> TapeBuilder {
        TapeBuilder::default()
    }

    /// Adds one recorded answer.
    pub fn push<T: Serialize>(&mut self, at: Timestamp, op: Op, key: &str, data: &T) -> Result<(), serde_json::Error> {
        let text = serde_json::to_string(&TapeLine { at, op, key, data })?;
        self.lines.push((at, text));
        Ok(())
    }

    /// Number of lines.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// True when no line was added.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The tape text (`tape.jsonl`), in time order.
    pub fn to_jsonl(&self) -> String {
        let mut lines: Vec<&(Timestamp, String)> = self.lines.iter().collect();
        lines.sort_by_key(|(at, _)| *at);
        let mut out = String::with_capacity(lines.iter().map(|(_, l)| l.len() + 1).sum());
        for (_, line) in lines {
            out.push_str(line);
            out.push('\n');
        }
        out
    }

    /// Writes `manifest.json` and `tape.jsonl` (or `tape.jsonl.gz`) into `dir`.
    pub fn write_dir(&self, dir: &Path, manifest: &Manifest, gzip: bool) -> Result<(), TapeError> {
        use std::io::Write;
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        let manifest_path = dir.join("manifest.json");
        let mut manifest_text = serde_json::to_string_pretty(manifest).map_err(|e| io(&manifest_path, e))?;
        manifest_text.push('\n');
        std::fs::write(&manifest_path, manifest_text).map_err(|e| io(&manifest_path, e))?;
        let jsonl = self.to_jsonl();
        if gzip {
            let path = dir.join("tape.jsonl.gz");
            let mut encoder = flate2::GzBuilder::new().mtime(0).write(Vec::new(), flate2::Compression::best());
            encoder.write_all(jsonl.as_bytes()).map_err(|e| io(&path, e))?;
            let bytes = encoder.finish().map_err(|e| io(&path, e))?;
            std::fs::write(&path, bytes).map_err(|e| io(&path, e))?;
            let _ = std::fs::remove_file(dir.join("tape.jsonl"));
        } else {
            let path = dir.join("tape.jsonl");
            std::fs::write(&path, jsonl).map_err(|e| io(&path, e))?;
            let _ = std::fs::remove_file(dir.join("tape.jsonl.gz"));
        }
        Ok(())
    }
}
