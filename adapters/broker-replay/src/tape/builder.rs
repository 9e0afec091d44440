//! Writing a tape: [`TapeBuilder`] collects recorded answers and writes the folder.

use std::path::Path;

use serde::Serialize;
use ttai_core::time::Timestamp;

use super::read::{index_line, io, op_from};
use super::{INDEX_FILE, Manifest, Op, RawLine, TapeError, TapeLine};

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
