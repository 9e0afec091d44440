use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;

use crate::mcp::Outbound;

/// An `Outbound` that keeps every message, for tests.
#[derive(Debug, Default)]
pub struct CollectingOutbound {
    messages: Mutex<Vec<String>>,
    arrived: Notify,
}

impl CollectingOutbound {
    /// An empty collector.
    pub fn new() -> CollectingOutbound {
        CollectingOutbound::default()
    }

    /// Every message so far.
    pub fn messages(&self) -> Vec<String> {
        self.messages.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// Waits until at least `n` messages arrived (or `timeout` passed), then returns them all.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<String> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.arrived.notified();
            let messages = self.messages();
            if messages.len() >= n || tokio::time::Instant::now() >= deadline {
                return messages;
            }
            let _ = tokio::time::timeout_at(deadline, notified).await;
        }
    }
}

impl Outbound for CollectingOutbound {
    fn send(&self, message: String) {
        if let Ok(mut messages) = self.messages.lock() {
            messages.push(message);
        }
        self.arrived.notify_waiters();
    }
}
