//! `notify-stderr`: the [`NotifierPort`] of the sidecar (docs/design.md, "Alerts and notifications").
//!
//! Each notification is written to stderr as one JSON object on one line:
//! `{"type":"notification","id":...,"kind":...,"title":...,"message":...,"alert":{...},"created_at":...,"attempts":...}`.
//! That is the domain [`Notification`]'s serde form with a `"type"` tag first, so the desktop app
//! that spawned the sidecar can tell notifications from the plain-text log lines on the same pipe.
//! The webhook notifier posts the same object, so a receiver can handle both alike.
//!
//! The key decision: the whole line, newline included, is encoded first and handed to
//! [`StderrLines`], the one writer of stderr, which log lines go through too (see `lines`): a
//! notification never interleaves with a log line or another notification, a stderr that is not
//! being read never blocks the caller, and a log line can never pass for a notification line.
//! Delivery waits (asynchronously) for the line to be written, so the outbox removes only what
//! was written.

mod lines;

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

pub use lines::{StderrLines, safe_log_line};

use async_trait::async_trait;
use serde::Serialize;
use ttai_core::domain::Notification;
use ttai_core::ports::{NotifierPort, NotifyError};

/// A writer shared with the code that reads what was written (tests).
pub type SharedWriter = Arc<Mutex<dyn Write + Send>>;

/// Writes each notification as one JSON line to stderr (or to a writer given for tests).
pub struct StderrNotifier {
    /// Where lines go.
    sink: Sink,
}

/// How long a notification line may wait for stderr before delivery counts as failed.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);

/// The destination of the lines.
enum Sink {
    /// The process's stderr, through its one writer.
    Stderr,
    /// Any writer; its mutex plays the part of the stderr lock.
    Writer(SharedWriter),
}

/// The wire form: the notification's own fields after a `"type"` tag.
#[derive(Serialize)]
struct Line<'a> {
    /// Always `"notification"`; first, so a reader can tell the line apart cheaply.
    #[serde(rename = "type")]
    tag: &'static str,
    /// The notification's serde fields, inlined.
    #[serde(flatten)]
    notification: &'a Notification,
}

impl StderrNotifier {
    /// A notifier that writes to the process's stderr.
    pub fn new() -> StderrNotifier {
        StderrNotifier { sink: Sink::Stderr }
    }

    /// A notifier that writes to `writer` instead of stderr, holding its lock for each line.
    pub fn with_writer(writer: SharedWriter) -> StderrNotifier {
        StderrNotifier {
            sink: Sink::Writer(writer),
        }
    }
}

impl Default for StderrNotifier {
    fn default() -> StderrNotifier {
        StderrNotifier::new()
    }
}

/// Encodes `notification` as its wire line: one JSON object and a newline.
///
/// The object has no raw newline: `serde_json` escapes control characters inside strings.
///
/// # Errors
/// `Rejected` when the notification cannot be encoded; retrying would not help.
fn encode_line(notification: &Notification) -> Result<Vec<u8>, NotifyError> {
    let line = Line {
        tag: "notification",
        notification,
    };
    let mut bytes = serde_json::to_vec(&line).map_err(|e| {
        NotifyError::Rejected(format!("notification {} cannot be encoded: {e}", notification.id))
    })?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Writes the whole line and flushes, so nothing of it waits in a buffer.
fn write_line(out: &mut dyn Write, line: &[u8]) -> std::io::Result<()> {
    out.write_all(line)?;
    out.flush()
}

#[async_trait]
impl NotifierPort for StderrNotifier {
    fn name(&self) -> &'static str {
        "stderr"
    }

    async fn deliver(&self, notification: &Notification) -> Result<(), NotifyError> {
        let line = encode_line(notification)?;
        let written = match &self.sink {
            Sink::Stderr => StderrLines::global().write_acked(line, WRITE_TIMEOUT).await,
            Sink::Writer(writer) => {
                // A panic in another writer leaves the buffer usable: keep writing whole lines.
                let mut guard = writer.lock().unwrap_or_else(PoisonError::into_inner);
                write_line(&mut *guard, &line)
            }
        };
        written.map_err(|e| {
            NotifyError::Unreachable(format!(
                "writing notification {} to stderr failed: {}",
                notification.id,
                e.kind()
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ttai_core::domain::{Alert, AlertCondition, AlertId, AlertStatus, NotificationId, Symbol};
    use ttai_core::time::Timestamp;

    fn notification(id: &str) -> Notification {
        Notification {
            id: NotificationId(id.to_owned()),
            kind: "alert_triggered".to_owned(),
            title: "SPY above 450".to_owned(),
            message: "line one\nline two".to_owned(),
            alert: Some(Alert {
                id: AlertId("alrt_0000000000000001".to_owned()),
                symbol: Symbol::parse("SPY").unwrap(),
                condition: AlertCondition::Above,
                threshold: 450.0,
                note: None,
                status: AlertStatus::Triggered,
                created_at: Timestamp::from_millis(1_700_000_000_000),
                triggered_at: Some(Timestamp::from_millis(1_700_000_060_000)),
                triggered_price: Some(450.25),
                deleted_at: None,
            }),
            created_at: Timestamp::from_millis(1_700_000_060_000),
            attempts: 0,
        }
    }

    /// A writer that fails every write.
    pub(crate) struct Broken;

    impl Write for Broken {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_line_starts_with_the_type_tag_and_has_one_newline() {
        let line = encode_line(&notification("ntf_1")).unwrap();
        let text = String::from_utf8(line).unwrap();
        assert!(text.starts_with(r#"{"type":"notification","id":"ntf_1","kind":"#));
        assert!(text.ends_with('\n'));
        assert_eq!(text.matches('\n').count(), 1);
        let back: Notification = serde_json::from_str(&text).unwrap();
        assert_eq!(back, notification("ntf_1"));
    }

    #[tokio::test]
    async fn a_failing_writer_is_unreachable() {
        let notifier = StderrNotifier::with_writer(Arc::new(Mutex::new(Broken)));
        let err = notifier.deliver(&notification("ntf_1")).await.unwrap_err();
        assert!(matches!(err, NotifyError::Unreachable(_)), "{err:?}");
        assert_eq!(notifier.name(), "stderr");
    }

    #[test]
    fn concurrent_deliveries_write_whole_lines() {
        let buffer = Arc::new(Mutex::new(Vec::<u8>::new()));
        let notifier = Arc::new(StderrNotifier::with_writer(buffer.clone()));
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let notifier = notifier.clone();
                std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
                    for i in 0..25 {
                        let n = notification(&format!("ntf_{t}_{i}"));
                        runtime.block_on(notifier.deliver(&n)).unwrap();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let text = String::from_utf8(buffer.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 200);
        for line in lines {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(value["type"], "notification");
        }
    }
}
