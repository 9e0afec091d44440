//! `transport-stdio`: MCP over stdio (docs/protocol.md, "Transports").
//!
//! One JSON-RPC message per line on stdin; answers and notifications one per line on stdout.
//! This crate is the only code that writes stdout (enforced by `clippy.toml`'s
//! `disallowed-methods`); logs go to stderr.
//!
//! The key decision: stdin is read on a dedicated thread that hands each line straight to
//! [`FrameHandler::handle_inline`], and answers are written to stdout by the task that produced
//! them, under a lock. No extra hop through a channel or a writer thread: that is the latency
//! budget of a sequential `tools/call` round trip.
//!
//! In-flight requests are counted by a drop guard riding on each frame's `reply_to` ([`Reply`]):
//! the engine drops it once the request is answered, which wakes the reader (back-pressure) and
//! the drain through a [`Notify`], with no polling.

use std::io::{BufRead, BufReader, Read, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::Notify;
use ttai_core::ports::{FrameHandler, FrameOutcome, Outbound, Shutdown, TransportError, TransportPort};

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

/// Writes whole lines to stdout (or the writer a test gave), one writer at a time.
enum StdoutSink {
    /// Std's stdout handle: its lock keeps whole lines together across threads.
    Stdout(std::io::Stdout),
    /// Another writer (a pipe in the contract suite), under a lock.
    Writer(Mutex<Box<dyn Write + Send>>),
}

impl StdoutSink {
    #[allow(clippy::disallowed_methods)]
    fn new() -> StdoutSink {
        StdoutSink::Stdout(std::io::stdout())
    }

    fn write_line(&self, text: &str) -> std::io::Result<()> {
        match self {
            StdoutSink::Stdout(out) => {
                let mut lock = out.lock();
                lock.write_all(text.as_bytes())?;
                lock.write_all(b"\n")?;
                lock.flush()
            }
            StdoutSink::Writer(writer) => {
                let mut lock = writer.lock().unwrap_or_else(PoisonError::into_inner);
                lock.write_all(text.as_bytes())?;
                lock.write_all(b"\n")?;
                lock.flush()
            }
        }
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

/// Requests handed to the engine and not yet answered: one [`Reply`] alive each.
#[derive(Default)]
struct InFlight {
    count: AtomicUsize,
    /// Woken when the count falls (back-pressure and the drain wait on it).
    fell: Notify,
}

impl InFlight {
    fn count(&self) -> usize {
        self.count.load(Ordering::Acquire)
    }

    fn leave(&self) {
        self.count.fetch_sub(1, Ordering::AcqRel);
        self.fell.notify_waiters();
    }

    /// Waits until fewer than `limit` are in flight.
    async fn below(&self, limit: usize) {
        loop {
            let fell = self.fell.notified();
            tokio::pin!(fell);
            fell.as_mut().enable();
            if self.count() < limit {
                return;
            }
            fell.await;
        }
    }
}

/// One frame's `reply_to`: the shared sink, and a guard that counts the request as in flight
/// until the engine drops it (it holds it until the answer is sent or the request cancelled).
struct Reply {
    sink: Arc<StdoutSink>,
    flight: Arc<InFlight>,
    /// False once the frame turned out to open a listen stream: those are not requests in flight
    /// (they end with `end_listens` before the drain).
    counted: AtomicBool,
}

impl Reply {
    fn new(sink: &Arc<StdoutSink>, flight: &Arc<InFlight>) -> Reply {
        flight.count.fetch_add(1, Ordering::AcqRel);
        Reply {
            sink: sink.clone(),
            flight: flight.clone(),
            counted: AtomicBool::new(true),
        }
    }

    fn release(&self) {
        if self.counted.swap(false, Ordering::AcqRel) {
            self.flight.leave();
        }
    }
}

impl Outbound for Reply {
    fn send(&self, message: String) {
        self.sink.send(message);
    }
}

impl Drop for Reply {
    fn drop(&mut self) {
        self.release();
    }
}

/// Where the transport reads and writes: the process's stdin and stdout, or a pair of pipes.
type Io = (Box<dyn Read + Send>, Box<dyn Write + Send>);

/// The stdio transport.
#[derive(Default)]
pub struct StdioTransport {
    config: StdioConfig,
    /// `None`: the process's stdin and stdout. Taken by the first `serve`.
    io: Mutex<Option<Io>>,
    /// True when `io` was given (a second `serve` has nothing to read).
    piped: bool,
}

impl std::fmt::Debug for StdioTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StdioTransport")
            .field("config", &self.config)
            .field("piped", &self.piped)
            .finish_non_exhaustive()
    }
}

impl StdioTransport {
    /// A stdio transport with the default budgets.
    pub fn new() -> StdioTransport {
        StdioTransport::default()
    }

    /// A stdio transport with `config`.
    pub fn with_config(config: StdioConfig) -> StdioTransport {
        StdioTransport {
            config,
            ..StdioTransport::default()
        }
    }

    /// A transport that reads `input` and writes `output` instead of stdin and stdout (the
    /// contract suite drives it over pipes); it serves once.
    pub fn with_io(
        config: StdioConfig,
        input: Box<dyn Read + Send>,
        output: Box<dyn Write + Send>,
    ) -> StdioTransport {
        StdioTransport {
            config,
            io: Mutex::new(Some((input, output))),
            piped: true,
        }
    }
}

/// Reads lines until EOF (or `stop`), handing each to the server. Runs on its own thread.
///
/// Back-pressure: while the session has as many requests in flight as its budget allows, the
/// next line is not read, so a client that pipelines without reading answers waits instead of
/// being refused.
#[allow(clippy::too_many_arguments)]
fn read_loop(
    mut input: impl BufRead,
    server: &dyn FrameHandler,
    session: &dyn ttai_core::ports::FrameSession,
    sink: &Arc<StdoutSink>,
    flight: &Arc<InFlight>,
    runtime: &tokio::runtime::Handle,
    max_line: usize,
    stop: &AtomicBool,
) {
    let _entered = runtime.enter();
    let limit = server.max_in_flight().max(1);
    let mut line: Vec<u8> = Vec::with_capacity(4096);
    loop {
        if flight.count() >= limit {
            runtime.block_on(flight.below(limit));
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
        let reply = Arc::new(Reply::new(sink, flight));
        if server.handle_inline(session, text, reply.clone()) == FrameOutcome::Listening {
            reply.release();
        }
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

    async fn serve(
        &self,
        server: Arc<dyn FrameHandler>,
        mut shutdown: Shutdown,
    ) -> Result<(), TransportError> {
        let (input, sink): (Option<Box<dyn Read + Send>>, Arc<StdoutSink>) =
            match self.io.lock().unwrap_or_else(PoisonError::into_inner).take() {
                Some((input, output)) => (Some(input), Arc::new(StdoutSink::Writer(Mutex::new(output)))),
                None if self.piped => {
                    return Err(TransportError::Io(
                        "this transport's input was already served".into(),
                    ));
                }
                None => (None, Arc::new(StdoutSink::new())),
            };
        let session = server.open(sink.clone());
        let flight = Arc::new(InFlight::default());
        let (eof_tx, eof_rx) = tokio::sync::oneshot::channel::<()>();
        let runtime = tokio::runtime::Handle::current();
        let stop = Arc::new(AtomicBool::new(false));
        let reader_server = server.clone();
        let reader_session = session.clone();
        let reader_sink = sink.clone();
        let reader_flight = flight.clone();
        let reader_stop = stop.clone();
        let max_line = self.config.max_line;
        std::thread::Builder::new()
            .name("stdin".into())
            .spawn(move || {
                let read = |input: &mut dyn BufRead| {
                    read_loop(
                        input,
                        &*reader_server,
                        &*reader_session,
                        &reader_sink,
                        &reader_flight,
                        &runtime,
                        max_line,
                        &reader_stop,
                    );
                };
                match input {
                    Some(input) => read(&mut BufReader::new(input)),
                    None => read(&mut std::io::stdin().lock()),
                }
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
        server.end_listens(Some(&*session));
        if tokio::time::timeout(self.config.drain, flight.below(1))
            .await
            .is_err()
        {
            tracing::warn!(
                in_flight = flight.count(),
                "requests still running after the drain period were abandoned"
            );
        }
        server.close(&*session);
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
