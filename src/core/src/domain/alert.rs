use std::fmt;

use serde::{Deserialize, Serialize};

use super::Symbol;
use crate::time::Timestamp;

/// Identifier of a price alert (`alrt_` + 12 digits), assigned by the store.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AlertId(pub String);

impl AlertId {
    /// The id of the `n`th alert a store creates (counting from 1).
    pub fn nth(n: u64) -> AlertId {
        AlertId(store_id("alrt", n))
    }
}

/// A store's id: a prefix and a zero-padded counter, so ids sort in creation order.
pub(crate) fn store_id(prefix: &str, n: u64) -> String {
    format!("{prefix}_{n:012}")
}

impl fmt::Display for AlertId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which way the price must cross the threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
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

/// An alert to create; the store assigns the id.
#[derive(Clone, Debug, PartialEq)]
pub struct NewAlert {
    /// The watched symbol.
    pub symbol: Symbol,
    /// Above or below.
    pub condition: AlertCondition,
    /// The price to cross.
    pub threshold: f64,
    /// The user's note.
    pub note: Option<String>,
    /// When it was set.
    pub created_at: Timestamp,
}

impl NewAlert {
    /// The alert as created under `id`: active, never fired or deleted.
    pub fn into_alert(self, id: AlertId) -> Alert {
        Alert {
            id,
            symbol: self.symbol,
            condition: self.condition,
            threshold: self.threshold,
            note: self.note,
            status: AlertStatus::Active,
            created_at: self.created_at,
            triggered_at: None,
            triggered_price: None,
            deleted_at: None,
        }
    }
}

impl Alert {
    /// Fires the alert at `at` on `price` if it is active, and says whether it did: an alert
    /// fires once, and a triggered or deleted one is left as it is.
    pub fn trigger(&mut self, at: Timestamp, price: f64) -> bool {
        if self.status != AlertStatus::Active {
            return false;
        }
        self.status = AlertStatus::Triggered;
        self.triggered_at = Some(at);
        self.triggered_price = Some(price);
        true
    }

    /// Marks the alert deleted at `at`, and says whether it was not deleted already.
    pub fn delete(&mut self, at: Timestamp) -> bool {
        if self.status == AlertStatus::Deleted {
            return false;
        }
        self.status = AlertStatus::Deleted;
        self.deleted_at = Some(at);
        true
    }
}

/// The text of a notification to put in the outbox when an alert fires; the store adds the id,
/// the alert and the time ([`Notification::for_alert`]).
#[derive(Clone, Debug, PartialEq)]
pub struct PendingNotification {
    /// "alert_triggered".
    pub kind: String,
    /// One line for people.
    pub title: String,
    /// Details for people.
    pub message: String,
}

/// Identifier of an outbox notification (`ntf_` + 12 digits).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NotificationId(pub String);

impl NotificationId {
    /// The id of the `n`th notification a store enqueues (counting from 1).
    pub fn nth(n: u64) -> NotificationId {
        NotificationId(store_id("ntf", n))
    }
}

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

impl Notification {
    /// The outbox notification `id` of `alert`, fired at `at`: not yet attempted.
    pub fn for_alert(
        id: NotificationId,
        alert: Alert,
        text: PendingNotification,
        at: Timestamp,
    ) -> Notification {
        Notification {
            id,
            kind: text.kind,
            title: text.title,
            message: text.message,
            alert: Some(alert),
            created_at: at,
            attempts: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_alert() -> NewAlert {
        NewAlert {
            symbol: Symbol::parse("SPY").unwrap(),
            condition: AlertCondition::Below,
            threshold: 450.0,
            note: Some("roll".to_owned()),
            created_at: Timestamp::from_millis(1_000),
        }
    }

    #[test]
    fn ids_are_prefixed_counters_that_sort_in_creation_order() {
        assert_eq!(AlertId::nth(1).0, "alrt_000000000001");
        assert_eq!(NotificationId::nth(42).0, "ntf_000000000042");
        assert!(AlertId::nth(9) < AlertId::nth(10));
    }

    #[test]
    fn an_alert_is_created_active_and_fires_once() {
        let mut alert = new_alert().into_alert(AlertId::nth(1));
        assert_eq!(alert.status, AlertStatus::Active);
        assert_eq!(
            (alert.triggered_at, alert.triggered_price, alert.deleted_at),
            (None, None, None)
        );
        assert!(alert.trigger(Timestamp::from_millis(2_000), 449.5));
        assert_eq!(alert.status, AlertStatus::Triggered);
        assert_eq!(alert.triggered_price, Some(449.5));
        let fired = alert.clone();
        assert!(!alert.trigger(Timestamp::from_millis(3_000), 440.0));
        assert_eq!(alert, fired);
    }

    #[test]
    fn a_deleted_alert_never_fires_and_is_deleted_once() {
        let mut alert = new_alert().into_alert(AlertId::nth(2));
        assert!(alert.delete(Timestamp::from_millis(5)));
        assert_eq!(alert.deleted_at, Some(Timestamp::from_millis(5)));
        assert!(!alert.delete(Timestamp::from_millis(6)));
        assert_eq!(alert.deleted_at, Some(Timestamp::from_millis(5)));
        assert!(!alert.trigger(Timestamp::from_millis(7), 1.0));
        assert_eq!(alert.status, AlertStatus::Deleted);
    }

    #[test]
    fn the_notification_carries_the_fired_alert() {
        let mut alert = new_alert().into_alert(AlertId::nth(3));
        alert.trigger(Timestamp::from_millis(9), 449.0);
        let text = PendingNotification {
            kind: "alert_triggered".to_owned(),
            title: "SPY below 450".to_owned(),
            message: "SPY traded at 449".to_owned(),
        };
        let n = Notification::for_alert(
            NotificationId::nth(1),
            alert.clone(),
            text,
            Timestamp::from_millis(9),
        );
        assert_eq!(n.id.0, "ntf_000000000001");
        assert_eq!(
            (n.kind.as_str(), n.title.as_str()),
            ("alert_triggered", "SPY below 450")
        );
        assert_eq!(n.alert, Some(alert));
        assert_eq!((n.created_at, n.attempts), (Timestamp::from_millis(9), 0));
    }
}
