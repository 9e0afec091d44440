//! Logging: `tracing` to stderr (never stdout, which belongs to the stdio transport), plain text
//! without colour so that a host application can tell log lines from the JSON notification lines.
//!
//! Every line goes through the one stderr writer (`compose::stderr_line`): logging never waits
//! for stderr, so a reader that stopped reading (or went away) cannot stall the server or its
//! shutdown, and a line is made safe first (one line per event, never starting with `{`).

use std::io::Write;

use tracing::level_filters::LevelFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Installs the global subscriber. Safe to call once; later calls are ignored.
pub(crate) fn init(level: LevelFilter) {
    let subscriber = tracing_subscriber::fmt()
        .with_writer(Lines)
        .with_ansi(false)
        .with_target(false)
        .with_max_level(level)
        .finish();
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// Hands each formatted event to the stderr writer.
struct Lines;

impl<'a> MakeWriter<'a> for Lines {
    type Writer = Line;

    fn make_writer(&'a self) -> Line {
        Line(Vec::with_capacity(256))
    }
}

/// One event: collected here, queued when dropped (tracing writes an event with one `write_all`
/// and then drops the writer).
struct Line(Vec<u8>);

impl Write for Line {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        if !self.0.is_empty() {
            crate::compose::stderr_line(&self.0);
        }
    }
}

/// Writes the binary's own message (start-up failures, the final error) without ever blocking
/// or panicking on a broken stderr, then waits a moment for it to be written.
pub(crate) fn say(text: &str) {
    for line in text.lines() {
        crate::compose::stderr_line(line.as_bytes());
    }
    flush();
}

/// Waits briefly (at most half a second) for queued lines to reach stderr.
pub(crate) fn flush() {
    crate::compose::stderr_flush(std::time::Duration::from_millis(500));
}
