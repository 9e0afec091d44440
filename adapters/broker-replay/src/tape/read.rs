//! Reading a tape: from a folder (plain or gzipped) or compiled-in bytes, each line checked
//! against its op's domain type; a gzipped tape kept compressed, one member per entry, found by
//! its index when there is one.

use std::collections::HashMap;
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use serde_json::value::RawValue;
use ttai_core::time::Timestamp;

use super::{Bytes, Entry, Manifest, Op, RawLine, Stored, Tape, TapeError, TapeSource};

pub(super) fn op_from(text: &str) -> Option<Op> {
    Op::ALL.into_iter().find(|op| op.as_str() == text)
}

pub(super) fn io(path: &Path, err: impl fmt::Display) -> TapeError {
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

/// One index line per tape line: `<at ms>\t<op>\t<member start>\t<member end>\t<key>`.
pub(super) fn index_line(at: Timestamp, op: Op, start: usize, end: usize, key: &str) -> String {
    format!("{}\t{}\t{start}\t{end}\t{key}\n", at.millis(), op.as_str())
}

/// Reads a member index; `None` when any line is not what [`index_line`] writes, points outside
/// the tape, or goes back in time (the caller then reads the tape itself).
fn parse_index(index: &[u8], tape_len: usize, file: &str) -> Option<Collector> {
    let text = std::str::from_utf8(index).ok()?;
    let mut collector = Collector::new(file);
    // Keyed by the index's own text while reading: thousands of lines share a few dozen keys,
    // which are copied once each at the end.
    let mut entries: HashMap<(Op, &str), Vec<Entry>> = HashMap::new();
    for line in text.lines() {
        collector.line_no += 1;
        let mut fields = line.splitn(5, '\t');
        let at = Timestamp::from_millis(fields.next()?.parse().ok()?);
        let op = op_from(fields.next()?)?;
        let start: usize = fields.next()?.parse().ok()?;
        let end: usize = fields.next()?.parse().ok()?;
        let key = fields.next()?;
        if start >= end || end > tape_len || collector.last.is_some_and(|last| at < last) {
            return None;
        }
        collector.last = Some(at);
        collector.start.get_or_insert(at);
        entries.entry((op, key)).or_default().push(Entry {
            at,
            line: collector.line_no,
            stored: Stored::Member { start, end },
        });
    }
    collector.entries = entries
        .into_iter()
        .map(|((op, key), list)| ((op, key.to_owned()), list))
        .collect();
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
