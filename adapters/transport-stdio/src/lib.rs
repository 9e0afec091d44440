//! `transport-stdio`: MCP over stdio (docs/protocol.md, "Transports").
//!
//! One JSON-RPC message per line on stdin; answers and notifications one per line on stdout.
//! This crate is the only code that writes stdout (enforced by `clippy.toml`'s
//! `disallowed-methods`); logs go to stderr.
//!
//! The key decision: stdin is read on a dedicated thread that hands each line straight to
//! [`McpServer::handle_frame`], and answers are written to stdout by the task that produced them,
//! under a lock. No extra hop through a channel or a writer thread: that is the latency budget
//! of a sequential `tools/call` round trip.

use std::io::{BufRead, Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use ttai_core::mcp::{McpServer, Outbound, Session};
use ttai_core::ports::{Shutdown, TransportError, TransportPort};

/// The stdio transport's budgets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StdioConfig {
    /// Longest accepted line, bytes; a longer one is refused with a parse error and skipped
    /// without being held.
    pub max_line: usize,
    /// How long in-flight requests may run after stdin closes or shutdown is asked for.
    pub drain: Duration,
}

impl Default for StdioConfig {
    fn default() -> StdioConfig {
        StdioConfig {
            max_line: 4 * 1024 * 1024,
            drain: Duration::from_secs(10),
        }
    }
}

/// The line buffer is given back when a line made it grow past this.
const KEEP_BUFFER: usize = 64 * 1024;

/// Writes whole lines to stdout, one writer at a time.
struct StdoutSink {
    /// Std's stdout handle: its lock keeps whole lines together across threads.
    out: std::io::Stdout,
}

impl StdoutSink {
    #[allow(clippy::disallowed_methods)]
    fn new() -> StdoutSink {
        StdoutSink {
            out: std::io::stdout(),
        }
    }

    fn write_line(&self, text: &str) -> std::io::Result<()> {
        let mut lock = self.out.lock();
        lock.write_all(text.as_bytes())?;
        lock.write_all(b"\n")?;
        lock.flush()
    }
}

impl Outbound for StdoutSink {
    fn send(&self, message: String) {
        debug_assert!(!message.contains('\n'), "a JSON-RPC message has no raw newline");
        if let Err(err) = self.write_line(&message) {
            tracing::warn!(error = %err, "stdout write failed; the client has probably gone");
        }
    }
}

/// Prints a document (the `call` and `quant` commands' output) on stdout.
pub fn print_document(text: &str) -> std::io::Result<()> {
    StdoutSink::new().write_line(text.trim_end_matches('\n'))
}

/// The stdio transport.
#[derive(Debug, Default)]
pub struct StdioTransport {
    config: StdioConfig,
}

impl StdioTransport {
    /// A stdio transport with the default budgets.
    pub fn new() -> StdioTransport {
        StdioTransport::default()
    }

    /// A stdio transport with `config`.
    pub fn with_config(config: StdioConfig) -> StdioTransport {
        StdioTransport { config }
    }
}

/// Reads lines until EOF (or `stop`), handing each to the server. Runs on its own thread.
///
/// Back-pressure: while the session has as many requests in flight as its budget allows, the
/// next line is not read, so a client that pipelines without reading answers waits instead of
/// being refused.
fn read_loop(
    mut input: impl BufRead,
    server: &McpServer,
    session: &Arc<Session>,
    sink: Arc<dyn Outbound>,
    runtime: &tokio::runtime::Handle,
    max_line: usize,
    stop: &AtomicBool,
) {
    let _entered = runtime.enter();
    let limit = server.limits().max_in_flight;
    let mut line: Vec<u8> = Vec::with_capacity(4096);
    loop {
        if session.in_flight() >= limit {
            runtime.block_on(session.below(limit));
        }
        if stop.load(Ordering::Acquire) {
            break;
        }
        if line.capacity() > KEEP_BUFFER {
            line = Vec::with_capacity(4096);
        }
        line.clear();
        let read = match (&mut input)
            .take(max_line as u64 + 1)
            .read_until(b'\n', &mut line)
        {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) => {
                tracing::warn!(error = %err, "stdin read failed; ending the session");
                break;
            }
        };
        if read > max_line && line.last() != Some(&b'\n') {
            line = Vec::with_capacity(4096);
            sink.send(format!(
                r#"{{"jsonrpc":"2.0","id":null,"error":{{"code":-32700,"message":"Parse error: message longer than {max_line} bytes (the line was skipped)"}}}}"#
            ));
            if !skip_line(&mut input) {
                break;
            }
            continue;
        }
        if stop.load(Ordering::Acquire) {
            break;
        }
        let text = match std::str::from_utf8(&line) {
            Ok(text) => text.trim_end_matches(['\n', '\r']),
            Err(_) => {
                sink.send(r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error: not UTF-8"}}"#.to_owned());
                continue;
            }
        };
        if text.trim().is_empty() {
            continue;
        }
        server.handle_frame_inline(session, text, sink.clone());
    }
}

/// Reads and drops the rest of an oversized line in small pieces; false at EOF or on an error.
fn skip_line(input: &mut impl BufRead) -> bool {
    loop {
        let (done, used) = match input.fill_buf() {
            Ok([]) | Err(_) => return false,
            Ok(buffer) => match buffer.iter().position(|b| *b == b'\n') {
                Some(at) => (true, at + 1),
                None => (false, buffer.len()),
            },
        };
        input.consume(used);
        if done {
            return true;
        }
    }
}

#[async_trait]
impl TransportPort for StdioTransport {
    fn name(&self) -> &'static str {
        "stdio"
    }

    async fn serve(&self, server: Arc<McpServer>, mut shutdown: Shutdown) -> Result<(), TransportError> {
        let sink = Arc::new(StdoutSink::new());
        let session = server.open_session(sink.clone());
        let (eof_tx, eof_rx) = tokio::sync::oneshot::channel::<()>();
        let runtime = tokio::runtime::Handle::current();
        let stop = Arc::new(AtomicBool::new(false));
        let reader_server = server.clone();
        let reader_session = session.clone();
        let reader_sink: Arc<dyn Outbound> = sink.clone();
        let reader_stop = stop.clone();
        let max_line = self.config.max_line;
        std::thread::Builder::new()
            .name("stdin".into())
            .spawn(move || {
                let stdin = std::io::stdin();
                read_loop(
                    stdin.lock(),
                    &reader_server,
                    &reader_session,
                    reader_sink,
                    &runtime,
                    max_line,
                    &reader_stop,
                );
                let _ = eof_tx.send(());
            })
            .map_err(|e| TransportError::Io(format!("cannot start the stdin reader: {e}")))?;
        tokio::select! {
            _ = eof_rx => tracing::info!("stdin closed; finishing in-flight requests"),
            () = shutdown.wait() => tracing::info!("shutdown requested; finishing in-flight requests"),
        }
        // No new requests from here on; those accepted (a batch included) are answered first,
        // and listen streams (MCP 2026-07-28) end with their result.
        stop.store(true, Ordering::Release);
        server.end_listens(Some(&session));
        if tokio::time::timeout(self.config.drain, session.drained())
            .await
            .is_err()
        {
            tracing::warn!(
                in_flight = session.in_flight(),
                "requests still running after the drain period were abandoned"
            );
        }
        server.close_session(&session);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_oversized_line_is_skipped_without_being_held() {
        let mut input = std::io::Cursor::new(format!("{}\nnext\n", "x".repeat(10_000)).into_bytes());
        let mut line = Vec::new();
        let read = (&mut input).take(101).read_until(b'\n', &mut line).unwrap();
        assert_eq!(read, 101);
        assert!(skip_line(&mut input));
        line.clear();
        input.read_until(b'\n', &mut line).unwrap();
        assert_eq!(line, b"next\n");
        assert!(!skip_line(&mut input), "EOF");
    }
}
