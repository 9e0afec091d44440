//! `transport-stdio`: MCP over stdio (design.md §1, mcp.md "Transports").
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
use std::time::Duration;

use async_trait::async_trait;
use ttai_core::mcp::{McpServer, Outbound};
use ttai_core::ports::{Shutdown, TransportError, TransportPort};

/// Longest accepted line; a longer one is refused with a parse error and skipped.
const MAX_LINE: usize = 16 * 1024 * 1024;

/// How long in-flight requests may run after stdin closes or a signal arrives.
const DRAIN: Duration = Duration::from_secs(10);

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
pub struct StdioTransport;

impl StdioTransport {
    /// A stdio transport.
    pub fn new() -> StdioTransport {
        StdioTransport
    }
}

/// Reads stdin until EOF, handing each line to the server. Runs on its own thread.
fn read_loop(
    server: Arc<McpServer>,
    session: Arc<ttai_core::mcp::Session>,
    sink: Arc<StdoutSink>,
    runtime: tokio::runtime::Handle,
) {
    let _entered = runtime.enter();
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut line: Vec<u8> = Vec::with_capacity(4096);
    loop {
        line.clear();
        let read = match (&mut input)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut line)
        {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) => {
                tracing::warn!(error = %err, "stdin read failed; ending the session");
                break;
            }
        };
        if read > MAX_LINE && line.last() != Some(&b'\n') {
            sink.send(r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error: message longer than 16 MiB"}}"#.to_owned());
            // Skip the rest of the oversized line.
            let mut rest = Vec::new();
            loop {
                rest.clear();
                match (&mut input).take(1024 * 1024).read_until(b'\n', &mut rest) {
                    Ok(0) => return,
                    Ok(_) if rest.last() == Some(&b'\n') => break,
                    Ok(_) => continue,
                    Err(_) => return,
                }
            }
            continue;
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
        server.handle_frame_inline(&session, text, sink.clone());
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
        let reader_server = server.clone();
        let reader_session = session.clone();
        let reader_sink = sink.clone();
        std::thread::Builder::new()
            .name("stdin".into())
            .spawn(move || {
                read_loop(reader_server, reader_session, reader_sink, runtime);
                let _ = eof_tx.send(());
            })
            .map_err(|e| TransportError::Io(format!("cannot start the stdin reader: {e}")))?;
        tokio::select! {
            _ = eof_rx => tracing::info!("stdin closed; finishing in-flight requests"),
            () = shutdown.wait() => tracing::info!("shutdown requested; finishing in-flight requests"),
        }
        let deadline = tokio::time::Instant::now() + DRAIN;
        while session.in_flight() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        server.close_session(&session);
        Ok(())
    }
}
