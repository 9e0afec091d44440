//! Log capture shared by the adapter's test binaries: every `tracing` line from any thread (the
//! blocking pool included) goes into a buffer the tests search for secrets, and stays silent.

use std::io::Write;
use std::sync::{Mutex, Once, PoisonError};

/// Everything logged through `tracing` by any test of this binary.
static LOGS: Mutex<Vec<u8>> = Mutex::new(Vec::new());

/// A writer appending to [`LOGS`].
struct Capture;

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGS.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs a global subscriber at TRACE writing into the buffer (once per test binary).
pub(crate) fn capture_logs() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(|| Capture)
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
    });
}

/// Everything captured so far.
pub(crate) fn logs() -> String {
    String::from_utf8_lossy(&LOGS.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
}
