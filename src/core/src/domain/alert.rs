use std::fmt;

use serde::{Deserialize, Serialize};

use super::Symbol;
use crate::time::Timestamp;

/// Identifier of a price alert (`alrt_` + 16 hex digits), assigned by the store.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AlertId(pub String);

impl fmt::Display for AlertId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which way the price must cross the threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertCondition {
    /// Fires when the price is at or above the threshold.
    Above,
    /// Fires when the price is at or below the threshold.
    Below,
}

impl AlertCondition {
    /// Reads `above` or `below`.
    pub fn parse(text: &str) -> Option<AlertCondition> {
        match text.trim().to_ascii_lowercase().as_str() {
            "above" => Some(AlertCondition::Above),
            "below" => Some(AlertCondition::Below),
            _ => None,
        }
    }

    /// `above` or `below`.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertCondition::Above => "above",
            AlertCondition::Below => "below",
        }
    }

    /// Whether `price` satisfies the condition against `threshold`.
    pub fn is_met(self, price: f64, threshold: f64) -> bool {
        match self {
            AlertCondition::Above => price >= threshold,
            AlertCondition::Below => price <= threshold,
        }
    }
}

/// Lifecycle of an alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    /// Watched by the monitor.
    Active,
    /// Fired once; never fires again.
    Triggered,
    /// Deleted by the user; kept for the record.
    Deleted,
}

impl AlertStatus {
    /// Reads `active`, `triggered` or `deleted`.
    pub fn parse(text: &str) -> Option<AlertStatus> {
        match text.trim().to_ascii_lowercase().as_str() {
            "active" => Some(AlertStatus::Active),
            "triggered" => Some(AlertStatus::Triggered),
            "deleted" => Some(AlertStatus::Deleted),
            _ => None,
        }
    }
}

/// A price alert.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Identifier.
    pub id: AlertId,
    /// The watched symbol.
    pub symbol: Symbol,
    /// Above or below.
    pub condition: AlertCondition,
    /// The price to cross (> 0).
    pub threshold: f64,
    /// The user's note.
    #[serde(default)]
    pub note: Option<String>,
    /// Lifecycle state.
    pub status: AlertStatus,
    /// When it was set (market clock).
    pub created_at: Timestamp,
    /// When it fired.
    #[serde(default)]
    pub triggered_at: Option<Timestamp>,
    /// The price that fired it.
    #[serde(default)]
    pub triggered_price: Option<f64>,
    /// When it was deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<Timestamp>,
}

/// Identifier of an outbox notification.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NotificationId(pub String);

impl fmt::Display for NotificationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A notification waiting in the outbox or being delivered. Its JSON form is what the stderr
/// notifier prints and the webhook notifier posts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// Identifier, stable across retries so receivers can de-duplicate.
    pub id: NotificationId,
    /// "alert_triggered".
    pub kind: String,
    /// One line for people.
    pub title: String,
    /// Details for people.
    pub message: String,
    /// The alert that fired, when the notification is about one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<Alert>,
    /// When it was created.
    pub created_at: Timestamp,
    /// Delivery attempts so far.
    #[serde(default)]
    pub attempts: u32,
}
