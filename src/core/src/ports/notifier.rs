use async_trait::async_trait;

use crate::domain::Notification;

/// Why a delivery failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotifyError {
    /// The receiver could not be reached or answered 5xx/timeout: retry later.
    #[error("notification receiver unreachable: {0}")]
    Unreachable(String),
    /// The receiver refused the notification (4xx): retrying the same body will not help.
    #[error("notification refused: {0}")]
    Rejected(String),
    /// The notifier is not configured (e.g. webhook without a URL).
    #[error("notifier not configured: {0}")]
    NotConfigured(String),
}

/// Delivers one notification to the user (docs/design.md, "Alerts and notifications").
///
/// A successful return means the notification reached its destination: the deliverer removes it
/// from the outbox only then. Delivering the same notification twice is allowed (receivers
/// de-duplicate by `id`), losing one is not.
#[async_trait]
pub trait NotifierPort: Send + Sync {
    /// `stderr`, `webhook`, ...
    fn name(&self) -> &'static str;

    /// Sends one notification.
    ///
    /// # Errors
    /// MUST return `Unreachable` for failures that may pass, `Rejected` for permanent ones.
    async fn deliver(&self, notification: &Notification) -> Result<(), NotifyError>;
}
