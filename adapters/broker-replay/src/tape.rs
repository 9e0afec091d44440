//! The tape format (docs/tapes.md): a folder with `manifest.json` and `tape.jsonl` (optionally
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

fn op_from(text: &str) -> Option<Op> {
    Op::ALL.into_iter().find(|op| op.as_str() == text)
}

fn io(path: &Path, err: impl fmt::Display) -> TapeError {
    TapeError::Io {
        path: path.display().to_string(),
        message: err.to_string(),
    }
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
                let bytes = std::fs::read(&gz).map_err(|e| io(&gz, e))?;
                parse_members(
                    manifest,
                    Bytes::Owned(bytes.into()),
                    &gz.display().to_string(),
                    true,
                )
            } else {
                Err(io(
                    &plain,
                    "missing (neither tape.jsonl nor tape.jsonl.gz is in the tape folder)",
                ))
            }
        }
        TapeSource::Embedded {
            manifest,
            tape_gz,
            index,
        } => {
            let manifest = parse_manifest(manifest, "demo/manifest.json")?;
            let file = "demo/tape.jsonl.gz";
            match index.and_then(|index| parse_index(index, tape_gz.len(), file)) {
                Some(collector) => collector.finish(manifest, Some(Bytes::Static(tape_gz))),
                None => parse_members(manifest, Bytes::Static(tape_gz), file, false),
            }
        }
    }
}

fn parse_manifest(bytes: &[u8], path: &str) -> Result<Manifest, TapeError> {
    let manifest: Manifest = serde_json::from_slice(bytes).map_err(|e| TapeError::Manifest {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    if manifest.name.trim().is_empty() {
        return Err(TapeError::Manifest {
            path: path.to_owned(),
            message: "name must not be empty".to_owned(),
        });
    }
    Ok(manifest)
}

/// Accumulates lines into a tape, checking each.
struct Collector {
    /// False for the bundled tape, whose entries are checked by its own tests: decoding every
    /// chain at start-up would cost a third of a second of CPU for nothing.
    check: bool,
    file: String,
    entries: HashMap<(Op, String), Vec<Entry>>,
    line_no: usize,
    start: Option<Timestamp>,
    last: Option<Timestamp>,
}

impl Collector {
    fn new(file: &str) -> Collector {
        Collector {
            check: true,
            file: file.to_owned(),
            entries: HashMap::new(),
            line_no: 0,
            start: None,
            last: None,
        }
    }

    /// Adds one line; `member` is where its gzip member lies, when it has one of its own.
    fn line(&mut self, text: &str, member: Option<(usize, usize)>) -> Result<(), TapeError> {
        self.line_no += 1;
        let text = text.trim();
        if text.is_empty() {
            return Ok(());
        }
        let line_no = self.line_no;
        let file = self.file.clone();
        let bad = |message: String| TapeError::Line {
            file: file.clone(),
            line: line_no,
            message,
        };
        let raw: RawLine<'_> = serde_json::from_str(text).map_err(|e| {
            bad(format!(
                "not a tape line ({e}); expected {{\"at\",\"op\",\"key\",\"data\"}}"
            ))
        })?;
        let at: Timestamp = raw.at.parse().map_err(|e| bad(format!("at: {e}")))?;
        let op = op_from(raw.op).ok_or_else(|| {
            let names: Vec<&str> = Op::ALL.iter().map(|op| op.as_str()).collect();
            bad(format!(
                "unknown op {:?}; expected one of {}",
                raw.op,
                names.join(", ")
            ))
        })?;
        if let Some(previous) = self.last
            && at < previous
        {
            return Err(bad(format!(
                "at {at} is earlier than the line before ({previous}); a tape is in time order"
            )));
        }
        if self.check {
            check_data(op, raw.data).map_err(|e| bad(format!("data of {}: {e}", op.as_str())))?;
        }
        self.last = Some(at);
        self.start.get_or_insert(at);
        let stored = match member {
            Some((start, end)) => Stored::Member { start, end },
            None => Stored::Raw(raw.data.to_owned()),
        };
        self.entries.entry((op, raw.key)).or_default().push(Entry {
            at,
            line: line_no,
            stored,
        });
        Ok(())
    }

    fn finish(self, manifest: Manifest, bytes: Option<Bytes>) -> Result<Tape, TapeError> {
        let (Some(start), Some(end)) = (self.start, self.last) else {
            return Err(TapeError::Empty(self.file));
        };
        Ok(Tape {
            manifest,
            file: self.file,
            entries: self.entries,
            start,
            end,
            bytes,
            inflated: std::sync::Mutex::new(HashMap::new()),
        })
    }
}

fn parse_lines(manifest: Manifest, mut reader: impl BufRead, file: &str) -> Result<Tape, TapeError> {
    let mut collector = Collector::new(file);
    let mut line_text = String::new();
    loop {
        line_text.clear();
        let read = reader
            .by_ref()
            .take(64 * 1024 * 1024)
            .read_line(&mut line_text)
            .map_err(|e| TapeError::Line {
                file: file.to_owned(),
                line: collector.line_no + 1,
                message: format!("unreadable: {e}"),
            })?;
        if read == 0 {
            break;
        }
        collector.line(&line_text, None)?;
    }
    collector.finish(manifest, None)
}

/// The name of the member index written next to a gzipped tape.
pub const INDEX_FILE: &str = "tape.index";

/// One index line per tape line: `<at ms>\t<op>\t<member start>\t<member end>\t<key>`.
fn index_line(at: Timestamp, op: Op, start: usize, end: usize, key: &str) -> String {
    format!("{}\t{}\t{start}\t{end}\t{key}\n", at.millis(), op.as_str())
}

/// Reads a member index; `None` when any line is not what [`index_line`] writes, points outside
/// the tape, or goes back in time (the caller then reads the tape itself).
fn parse_index(index: &[u8], tape_len: usize, file: &str) -> Option<Collector> {
    let text = std::str::from_utf8(index).ok()?;
    let mut collector = Collector::new(file);
    for line in text.lines() {
        collector.line_no += 1;
        let mut fields = line.splitn(5, '\t');
        let at = Timestamp::from_millis(fields.next()?.parse().ok()?);
        let op = op_from(fields.next()?)?;
        let start: usize = fields.next()?.parse().ok()?;
        let end: usize = fields.next()?.parse().ok()?;
        let key = fields.next()?.to_owned();
        if start >= end || end > tape_len || collector.last.is_some_and(|last| at < last) {
            return None;
        }
        collector.last = Some(at);
        collector.start.get_or_insert(at);
        collector.entries.entry((op, key)).or_default().push(Entry {
            at,
            line: collector.line_no,
            stored: Stored::Member { start, end },
        });
    }
    Some(collector)
}

/// Reads a gzip tape member by member. A member holding exactly one line is indexed by its place
/// in the compressed bytes and inflated again when asked for; other members are kept as text.
fn parse_members(manifest: Manifest, bytes: Bytes, file: &str, check: bool) -> Result<Tape, TapeError> {
    let mut collector = Collector::new(file);
    collector.check = check;
    let all = bytes.as_slice();
    let mut offset = 0_usize;
    let mut text = String::new();
    let mut kept_any_member = false;
    while offset < all.len() {
        let rest = all.get(offset..).unwrap_or_default();
        text.clear();
        let mut decoder = flate2::bufread::GzDecoder::new(rest);
        decoder.read_to_string(&mut text).map_err(|e| TapeError::Line {
            file: file.to_owned(),
            line: collector.line_no + 1,
            message: format!("not a gzip stream: {e}"),
        })?;
        let remaining = decoder.into_inner().len();
        let consumed = rest.len() - remaining;
        if consumed == 0 {
            break;
        }
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        if lines.len() == 1 {
            collector.line(
                lines.first().copied().unwrap_or_default(),
                Some((offset, offset + consumed)),
            )?;
            kept_any_member = true;
        } else {
            for line in text.lines() {
                collector.line(line, None)?;
            }
        }
        offset += consumed;
    }
    collector.finish(manifest, kept_any_member.then_some(bytes))
}

/// Checks that `data` has the domain shape of `op`, so a hand-edited tape fails at load time
/// with its line number rather than later.
fn check_data(op: Op, data: &RawValue) -> Result<(), serde_json::Error> {
    use ttai_core::domain::{
        Account, Balances, Candle, MarketCalendar, MarketMetrics, MarketSession, NetLiqPoint, OptionChain,
        Position, Quote, SymbolMatch, Transaction, Watchlist,
    };
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
        Op::Transactions => serde_json::from_str::<Vec<Transaction>>(text).map(drop),
        Op::NetLiq => serde_json::from_str::<Vec<NetLiqPoint>>(text).map(drop),
        Op::Watchlists => serde_json::from_str::<Vec<Watchlist>>(text).map(drop),
        Op::MarketSession => serde_json::from_str::<MarketSession>(text).map(drop),
        Op::MarketCalendar => serde_json::from_str::<MarketCalendar>(text).map(drop),
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
    pub fn push<T: Serialize>(
        &mut self,
        at: Timestamp,
        op: Op,
        key: &str,
        data: &T,
    ) -> Result<(), serde_json::Error> {
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
            // One gzip member per line: still one valid .gz file (zcat reads it whole), and a
            // reader can keep it compressed and inflate single entries.
            let path = dir.join("tape.jsonl.gz");
            let mut bytes = Vec::new();
            let mut index = String::new();
            for line in jsonl.lines() {
                let mut encoder = flate2::GzBuilder::new()
                    .mtime(0)
                    .write(Vec::new(), flate2::Compression::best());
                encoder.write_all(line.as_bytes()).map_err(|e| io(&path, e))?;
                encoder.write_all(b"\n").map_err(|e| io(&path, e))?;
                let start = bytes.len();
                bytes.extend(encoder.finish().map_err(|e| io(&path, e))?);
                let raw: RawLine<'_> = serde_json::from_str(line).map_err(|e| io(&path, e))?;
                let at: Timestamp = raw.at.parse().map_err(|e| io(&path, e))?;
                let op = op_from(raw.op).ok_or_else(|| io(&path, format!("unknown op {}", raw.op)))?;
                index.push_str(&index_line(at, op, start, bytes.len(), &raw.key));
            }
            std::fs::write(&path, bytes).map_err(|e| io(&path, e))?;
            let index_path = dir.join(INDEX_FILE);
            std::fs::write(&index_path, index).map_err(|e| io(&index_path, e))?;
            let _ = std::fs::remove_file(dir.join("tape.jsonl"));
        } else {
            let path = dir.join("tape.jsonl");
            std::fs::write(&path, jsonl).map_err(|e| io(&path, e))?;
            let _ = std::fs::remove_file(dir.join("tape.jsonl.gz"));
        }
        Ok(())
    }
}
