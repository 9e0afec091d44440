//! Assembles the MCP Apps views (`views/*.html`) into self-contained HTML files in `OUT_DIR`,
//! which `mcp::apps` embeds with `include_str!`.
//!
//! A view's source names the files to inline with `/*@include PATH*/` (PATH relative to
//! `views/`, inside a `<style>` or `<script>` element); included files may include others. No
//! network, no tools: the vendored library is a checked-in file (see `views/vendor/`), so the
//! embedded HTML follows from the sources alone.

use std::error::Error;
use std::fs;
use std::path::{Path, PathBuf};

const VIEWS: [&str; 4] = ["chart", "chain", "payoff", "backtest"];
const MARKER: &str = "/*@include ";

fn assemble(root: &Path, name: &str, depth: usize) -> Result<String, Box<dyn Error>> {
    if depth > 4 {
        return Err(format!("views: includes nested too deep at {name}").into());
    }
    let path = root.join(name);
    let text = fs::read_to_string(&path).map_err(|e| format!("views: {}: {e}", path.display()))?;
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(start) = rest.find(MARKER) {
        let (before, after) = rest.split_at(start);
        out.push_str(before);
        let after = after.get(MARKER.len()..).unwrap_or_default();
        let end = after
            .find("*/")
            .ok_or_else(|| format!("views: unclosed include in {name}"))?;
        let included = after.get(..end).unwrap_or_default().trim();
        let body = assemble(root, included, depth + 1)?;
        // Inlined into <script>/<style>: these would end the element or change how it parses.
        if body.contains("</script") || body.contains("</style") || body.contains("<!--") {
            return Err(format!("views: {included} contains a closing tag or a comment opener").into());
        }
        out.push_str(&body);
        rest = after.get(end + 2..).unwrap_or_default();
    }
    out.push_str(rest);
    Ok(out)
}

fn main() -> Result<(), Box<dyn Error>> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("views");
    let out = PathBuf::from(std::env::var("OUT_DIR")?).join("views");
    fs::create_dir_all(&out)?;
    println!("cargo:rerun-if-changed=views");
    for view in VIEWS {
        let html = assemble(&root, &format!("{view}.html"), 0)?;
        fs::write(out.join(format!("{view}.html")), html)?;
    }
    Ok(())
}
