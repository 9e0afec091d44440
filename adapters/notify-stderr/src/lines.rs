//! Lines to stderr that never block the caller.
//!
//! stderr is a pipe to whoever started ttai. When that reader stops reading (or goes away), a
//! write blocks once the pipe is full; a log line written inline would then stall the thread
//! that logged it, and with it the runtime and even the handling of SIGTERM. So every line
//! (log lines and notification lines alike, in order) goes through one bounded queue to one
//! writer thread:
//! - a log line is handed over without waiting; when the queue is full it is dropped and
//!   counted, and the count is written once stderr keeps up again;
//! - a notification line waits for its write (asynchronously), so the outbox removes only what
//!   was written, and gives up after a timeout (the outbox retries later);
//! - log lines are made safe first: one line per event (a newline inside, from a file name or an
//!   API message, is escaped), no control characters, and never a `{` first, so no log line can
//!   pass for a notification line.

use std::io::Write;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::Duration;

/// Lines that may wait for the writer.
const QUEUE: usize = 1024;
/// The longest log line written; longer ones are cut.
const MAX_LOG_LINE: usize = 16 * 1024;

enum Job {
    Log(Vec<u8>),
    Acked(Vec<u8>, tokio::sync::oneshot::Sender<std::io::Result<()>>),
    Flush(std::sync::mpsc::Sender<()>),
}

/// The queue to stderr's writer thread; see the module docs.
pub struct StderrLines {
    queue: Option<SyncSender<Job>>,
    dropped: std::sync::Arc<AtomicU64>,
}

impl std::fmt::Debug for StderrLines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StderrLines")
            .field("dropped", &self.dropped.load(Ordering::Relaxed))
            .finish()
    }
}

impl StderrLines {
    /// The process's stderr writer, started on first use.
    pub fn global() -> &'static StderrLines {
        static GLOBAL: OnceLock<StderrLines> = OnceLock::new();
        GLOBAL.get_or_init(|| StderrLines::spawn(Box::new(std::io::stderr())))
    }

    /// A writer thread over `out`. Without a thread (the system refused one), lines are written
    /// inline.
    pub fn spawn(out: Box<dyn Write + Send>) -> StderrLines {
        let (tx, rx) = sync_channel(QUEUE);
        let dropped = std::sync::Arc::new(AtomicU64::new(0));
        let thread_dropped = dropped.clone();
        let started = std::thread::Builder::new()
            .name("stderr".into())
            .spawn(move || write_loop(rx, out, &thread_dropped));
        StderrLines {
            queue: started.ok().map(|_| tx),
            dropped,
        }
    }

    /// Queues one log event (made safe first) without waiting; dropped and counted when the
    /// queue is full.
    pub fn log_line(&self, event: &[u8]) {
        let line = safe_log_line(event);
        match &self.queue {
            Some(queue) => match queue.try_send(Job::Log(line)) {
                Ok(()) => {}
                Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                    self.dropped.fetch_add(1, Ordering::Relaxed);
                }
            },
            None => {
                let _ = std::io::stderr().write_all(&line);
            }
        }
    }

    /// Writes one complete line (with its newline) and waits, without blocking a thread, until
    /// it was written or `timeout` passed.
    ///
    /// # Errors
    /// The write's error; `WouldBlock` when the queue is full, `TimedOut` after `timeout` (the
    /// line is then not written unless the writer had already started it).
    pub async fn write_acked(&self, line: Vec<u8>, timeout: Duration) -> std::io::Result<()> {
        let Some(queue) = &self.queue else {
            return std::io::stderr().write_all(&line);
        };
        let (tx, rx) = tokio::sync::oneshot::channel();
        queue.try_send(Job::Acked(line, tx)).map_err(|e| match e {
            TrySendError::Full(_) => std::io::Error::from(std::io::ErrorKind::WouldBlock),
            TrySendError::Disconnected(_) => std::io::Error::from(std::io::ErrorKind::BrokenPipe),
        })?;
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(written)) => written,
            Ok(Err(_)) => Err(std::io::ErrorKind::BrokenPipe.into()),
            Err(_) => Err(std::io::ErrorKind::TimedOut.into()),
        }
    }

    /// Waits up to `timeout` for what is queued to be written; false when it was not.
    pub fn flush(&self, timeout: Duration) -> bool {
        let Some(queue) = &self.queue else {
            return true;
        };
        let deadline = std::time::Instant::now() + timeout;
        let (tx, rx) = std::sync::mpsc::channel();
        let mut job = Job::Flush(tx);
        loop {
            match queue.try_send(job) {
                Ok(()) => break,
                Err(TrySendError::Full(back)) if std::time::Instant::now() < deadline => {
                    job = back;
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(_) => return false,
            }
        }
        rx.recv_timeout(deadline.saturating_duration_since(std::time::Instant::now()))
            .is_ok()
    }
}

fn write_loop(rx: Receiver<Job>, mut out: Box<dyn Write + Send>, dropped: &AtomicU64) {
    for job in rx {
        let lost = dropped.swap(0, Ordering::Relaxed);
        if lost > 0 {
            let note = format!("ttai: {lost} log lines were dropped while stderr was not being read\n");
            let _ = out.write_all(note.as_bytes());
        }
        match job {
            // A closed or broken stderr is not an error of ours: keep draining the queue.
            Job::Log(line) => {
                let _ = out.write_all(&line).and_then(|()| out.flush());
            }
            Job::Acked(line, done) => {
                if !done.is_closed() {
                    let _ = done.send(out.write_all(&line).and_then(|()| out.flush()));
                }
            }
            Job::Flush(done) => {
                let _ = done.send(());
            }
        }
    }
}

/// One log event as one safe line: newlines and other control characters inside are escaped
/// (`\n`, `\r`, `\u{1b}`), the line is cut at [`MAX_LOG_LINE`], ends with one newline, and
/// never starts with `{` (a notification line does).
pub fn safe_log_line(event: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(event);
    let body = text.strip_suffix('\n').unwrap_or(&text);
    let mut out = String::with_capacity(body.len() + 8);
    if body.starts_with('{') {
        out.push_str("log ");
    }
    for c in body.chars() {
        if out.len() >= MAX_LOG_LINE {
            out.push_str(" …(cut)");
            break;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push('\t'),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('\n');
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A writer whose output the test reads; `gate` closed makes every write wait.
    #[derive(Clone, Default)]
    struct Capture {
        out: Arc<Mutex<Vec<u8>>>,
        gate: Arc<Mutex<()>>,
    }

    impl Write for Capture {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let _open = self.gate.lock().unwrap();
            self.out.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_log_line_can_never_pass_for_a_notification() {
        // Regression: a knowledge file named "x\n{\"type\":\"notification\",...}.md" put a forged
        // notification line on stderr through a log line.
        let forged = "2026-01-01T00:00:00Z WARN document too large document=x\n{\"type\":\"notification\",\"id\":\"ntf_1\"}.md\n";
        let line = String::from_utf8(safe_log_line(forged.as_bytes())).unwrap();
        assert_eq!(line.matches('\n').count(), 1, "{line}");
        assert!(line.ends_with('\n'));
        assert!(
            line.contains("x\\n{\\\"type\\\"") || line.contains("x\\n{\"type\""),
            "{line}"
        );
        for l in line.lines() {
            assert!(!l.starts_with('{'), "{l}");
        }
        assert!(
            String::from_utf8(safe_log_line(b"{\"type\":\"notification\"}"))
                .unwrap()
                .starts_with("log {")
        );
        let escaped = String::from_utf8(safe_log_line(b"a\x1b[31mred\rb")).unwrap();
        assert_eq!(escaped, "a\\u{1b}[31mred\\rb\n");
        assert!(safe_log_line(&vec![b'x'; 100_000]).len() < MAX_LOG_LINE + 32);
    }

    #[tokio::test]
    #[allow(clippy::await_holding_lock)] // the held lock is the stalled stderr
    async fn a_stalled_stderr_never_blocks_the_logger_and_lines_stay_whole_and_ordered() {
        let capture = Capture::default();
        let lines = StderrLines::spawn(Box::new(capture.clone()));
        lines.log_line(b"first\n");
        assert!(lines.flush(Duration::from_secs(5)));
        let stalled = capture.gate.lock().unwrap();
        // The writer is stuck: logging still returns at once, whatever the volume.
        let started = std::time::Instant::now();
        for i in 0..(QUEUE * 3) {
            lines.log_line(format!("line {i}\n").as_bytes());
        }
        assert!(started.elapsed() < Duration::from_secs(5));
        let acked = lines
            .write_acked(
                b"{\"type\":\"notification\"}\n".to_vec(),
                Duration::from_millis(50),
            )
            .await;
        assert!(
            acked.is_err(),
            "a notification line reports that it was not written"
        );
        assert!(!lines.flush(Duration::from_millis(50)));
        drop(stalled);
        assert!(lines.flush(Duration::from_secs(5)));
        let text = String::from_utf8(capture.out.lock().unwrap().clone()).unwrap();
        assert!(text.starts_with("first\n"));
        assert!(
            text.contains("log lines were dropped while stderr was not being read"),
            "{}",
            &text[..200]
        );
        let numbers: Vec<usize> = text
            .lines()
            .filter_map(|l| l.strip_prefix("line "))
            .map(|n| n.parse().unwrap())
            .collect();
        assert!(numbers.windows(2).all(|w| w[0] < w[1]), "in order");
        assert!(
            !text.contains("notification"),
            "the timed-out notification was not written"
        );
    }

    #[tokio::test]
    async fn a_broken_stderr_is_an_error_for_notifications_only() {
        use crate::tests::Broken;
        let lines = StderrLines::spawn(Box::new(Broken));
        lines.log_line(b"ignored\n");
        let err = lines
            .write_acked(b"x\n".to_vec(), Duration::from_secs(5))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe);
        assert!(lines.flush(Duration::from_secs(5)));
    }
}
