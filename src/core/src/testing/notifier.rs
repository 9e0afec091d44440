use std::sync::Mutex;

use async_trait::async_trait;

use crate::domain::Notification;
use crate::ports::{NotifierPort, NotifyError};

/// A notifier that records deliveries and can be told to fail the next attempts.
#[derive(Debug, Default)]
pub struct RecordingNotifier {
    delivered: Mutex<Vec<Notification>>,
    failures_left: Mutex<u32>,
}

impl RecordingNotifier {
    /// A notifier that delivers everything.
    pub fn new() -> RecordingNotifier {
        RecordingNotifier::default()
    }

    /// Makes the next `n` deliveries fail with `Unreachable`.
    pub fn fail_next(&self, n: u32) {
        if let Ok(mut left) = self.failures_left.lock() {
            *left = n;
        }
    }

    /// Everything delivered, in order.
    pub fn delivered(&self) -> Vec<Notification> {
        self.delivered.lock().map(|d| d.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl NotifierPort for RecordingNotifier {
    fn name(&self) -> &'static str {
        "recording"
    }

    async fn deliver(&self, notification: &Notification) -> Result<(), NotifyError> {
        if let Ok(mut left) = self.failures_left.lock()
            && *left > 0
        {
            *left -= 1;
            return Err(NotifyError::Unreachable("scripted failure".to_owned()));
        }
        if let Ok(mut delivered) = self.delivered.lock() {
            delivered.push(notification.clone());
        }
        Ok(())
    }
}
