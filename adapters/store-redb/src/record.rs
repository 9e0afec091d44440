//! The stored form of each record: JSON of a versioned envelope (`{"v":1, ...}`).
//!
//! The record types are separate from the domain types on purpose: the domain's serde form is
//! the replay tape format and may change for its own reasons, while bytes on a user's disk must
//! stay readable. A new layout gets a new `…V2` type and a match arm in the `decode_*` functions
//! that migrates `V1` to it; a version this build does not know is reported as
//! `StoreError::Corrupt` instead of being guessed at.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use ttai_core::domain::{
    Alert, AlertCondition, AlertId, AlertStatus, AnalysisId, AnalysisRecord, AuditEntry, AuditId,
    Notification, NotificationId, PaperBook, Symbol,
};
use ttai_core::ports::StoreError;
use ttai_core::time::Timestamp;

/// The record format this build writes.
const CURRENT: u32 = 1;

/// The first field of every envelope, read before the rest to choose the layout.
#[derive(Deserialize)]
struct Probe {
    v: u32,
}

/// A saved analysis, format version 1.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct AnalysisRecordV1 {
    /// Always 1.
    pub(crate) v: u32,
    /// `anl_` and a 12-digit counter.
    pub(crate) id: String,
    /// The analysed underlying.
    pub(crate) symbol: String,
    /// "full_analysis", "chart" or "options".
    pub(crate) kind: String,
    /// The strategy asked for, when any.
    pub(crate) strategy: Option<String>,
    /// When it was made, in milliseconds since the Unix epoch.
    pub(crate) created_at_ms: i64,
    /// Where the data came from.
    pub(crate) source: String,
    /// The headline.
    pub(crate) summary: String,
    /// The full structured result, as the core produced it.
    pub(crate) result: serde_json::Value,
}

/// Which way an alert's price must cross, as stored.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ConditionV1 {
    /// At or above the threshold.
    Above,
    /// At or below the threshold.
    Below,
}

/// An alert's lifecycle state, as stored.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum StatusV1 {
    /// Watched.
    Active,
    /// Fired once.
    Triggered,
    /// Deleted by the user.
    Deleted,
}

/// A price alert, format version 1.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct AlertRecordV1 {
    /// Always 1.
    pub(crate) v: u32,
    /// `alrt_` and a 12-digit counter.
    pub(crate) id: String,
    /// The watched symbol.
    pub(crate) symbol: String,
    /// Above or below.
    pub(crate) condition: ConditionV1,
    /// The price to cross.
    #[serde(with = "float")]
    pub(crate) threshold: f64,
    /// The user's note.
    pub(crate) note: Option<String>,
    /// Lifecycle state.
    pub(crate) status: StatusV1,
    /// When it was set, in milliseconds since the Unix epoch.
    pub(crate) created_at_ms: i64,
    /// When it fired, in milliseconds since the Unix epoch.
    pub(crate) triggered_at_ms: Option<i64>,
    /// The price that fired it.
    #[serde(with = "float::option")]
    pub(crate) triggered_price: Option<f64>,
    /// When it was deleted, in milliseconds since the Unix epoch.
    pub(crate) deleted_at_ms: Option<i64>,
}

/// An outbox notification, format version 1.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct NotificationRecordV1 {
    /// Always 1.
    pub(crate) v: u32,
    /// `ntf_` and a 12-digit counter.
    pub(crate) id: String,
    /// "alert_triggered".
    pub(crate) kind: String,
    /// One line for people.
    pub(crate) title: String,
    /// Details for people.
    pub(crate) message: String,
    /// The alert as it was when it fired, itself a versioned record.
    pub(crate) alert: Option<AlertRecordV1>,
    /// When it was created, in milliseconds since the Unix epoch.
    pub(crate) created_at_ms: i64,
    /// Failed delivery attempts so far.
    pub(crate) attempts: u32,
}

impl From<&AnalysisRecord> for AnalysisRecordV1 {
    fn from(a: &AnalysisRecord) -> AnalysisRecordV1 {
        AnalysisRecordV1 {
            v: CURRENT,
            id: a.id.0.clone(),
            symbol: a.symbol.as_str().to_owned(),
            kind: a.kind.clone(),
            strategy: a.strategy.clone(),
            created_at_ms: a.created_at.millis(),
            source: a.source.clone(),
            summary: a.summary.clone(),
            result: a.result.clone(),
        }
    }
}

impl AnalysisRecordV1 {
    fn into_domain(self) -> Result<AnalysisRecord, StoreError> {
        Ok(AnalysisRecord {
            symbol: symbol(&self.symbol, &self.id)?,
            id: AnalysisId(self.id),
            kind: self.kind,
            strategy: self.strategy,
            created_at: Timestamp::from_millis(self.created_at_ms),
            source: self.source,
            summary: self.summary,
            result: self.result,
        })
    }
}

impl From<&Alert> for AlertRecordV1 {
    fn from(a: &Alert) -> AlertRecordV1 {
        AlertRecordV1 {
            v: CURRENT,
            id: a.id.0.clone(),
            symbol: a.symbol.as_str().to_owned(),
            condition: match a.condition {
                AlertCondition::Above => ConditionV1::Above,
                AlertCondition::Below => ConditionV1::Below,
            },
            threshold: a.threshold,
            note: a.note.clone(),
            status: match a.status {
                AlertStatus::Active => StatusV1::Active,
                AlertStatus::Triggered => StatusV1::Triggered,
                AlertStatus::Deleted => StatusV1::Deleted,
            },
            created_at_ms: a.created_at.millis(),
            triggered_at_ms: a.triggered_at.map(Timestamp::millis),
            triggered_price: a.triggered_price,
            deleted_at_ms: a.deleted_at.map(Timestamp::millis),
        }
    }
}

impl AlertRecordV1 {
    fn into_domain(self) -> Result<Alert, StoreError> {
        Ok(Alert {
            symbol: symbol(&self.symbol, &self.id)?,
            id: AlertId(self.id),
            condition: match self.condition {
                ConditionV1::Above => AlertCondition::Above,
                ConditionV1::Below => AlertCondition::Below,
            },
            threshold: self.threshold,
            note: self.note,
            status: match self.status {
                StatusV1::Active => AlertStatus::Active,
                StatusV1::Triggered => AlertStatus::Triggered,
                StatusV1::Deleted => AlertStatus::Deleted,
            },
            created_at: Timestamp::from_millis(self.created_at_ms),
            triggered_at: self.triggered_at_ms.map(Timestamp::from_millis),
            triggered_price: self.triggered_price,
            deleted_at: self.deleted_at_ms.map(Timestamp::from_millis),
        })
    }
}

impl From<&Notification> for NotificationRecordV1 {
    fn from(n: &Notification) -> NotificationRecordV1 {
        NotificationRecordV1 {
            v: CURRENT,
            id: n.id.0.clone(),
            kind: n.kind.clone(),
            title: n.title.clone(),
            message: n.message.clone(),
            alert: n.alert.as_ref().map(AlertRecordV1::from),
            created_at_ms: n.created_at.millis(),
            attempts: n.attempts,
        }
    }
}

impl NotificationRecordV1 {
    fn into_domain(self) -> Result<Notification, StoreError> {
        let alert = match self.alert {
            Some(alert) => Some(
                check_version(alert.v, "alert in notification", &self.id)
                    .and_then(|()| alert.into_domain())?,
            ),
            None => None,
        };
        Ok(Notification {
            id: NotificationId(self.id),
            kind: self.kind,
            title: self.title,
            message: self.message,
            alert,
            created_at: Timestamp::from_millis(self.created_at_ms),
            attempts: self.attempts,
        })
    }
}

/// An audit entry, format version 1.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct AuditRecordV1 {
    /// Always 1.
    pub(crate) v: u32,
    /// `aud_` and a 12-digit counter.
    pub(crate) id: String,
    /// When, in milliseconds since the Unix epoch.
    pub(crate) at_ms: i64,
    /// `preview`, `place`, `cancel`, `confirmation`.
    pub(crate) action: String,
    /// How it ended.
    pub(crate) outcome: String,
    /// The account, masked.
    pub(crate) account: String,
    /// True for paper trading.
    pub(crate) paper: bool,
    /// The order's fingerprint.
    pub(crate) order_hash: Option<String>,
    /// The order ticket.
    pub(crate) order: Option<String>,
    /// The broker's order id.
    pub(crate) order_id: Option<String>,
    /// Particulars, as the core wrote them.
    pub(crate) detail: serde_json::Value,
}

impl From<&AuditEntry> for AuditRecordV1 {
    fn from(e: &AuditEntry) -> AuditRecordV1 {
        AuditRecordV1 {
            v: CURRENT,
            id: e.id.0.clone(),
            at_ms: e.at.millis(),
            action: e.action.clone(),
            outcome: e.outcome.clone(),
            account: e.account.clone(),
            paper: e.paper,
            order_hash: e.order_hash.clone(),
            order: e.order.clone(),
            order_id: e.order_id.clone(),
            detail: e.detail.clone(),
        }
    }
}

impl AuditRecordV1 {
    fn into_domain(self) -> AuditEntry {
        AuditEntry {
            id: AuditId(self.id),
            at: Timestamp::from_millis(self.at_ms),
            action: self.action,
            outcome: self.outcome,
            account: self.account,
            paper: self.paper,
            order_hash: self.order_hash,
            order: self.order,
            order_id: self.order_id,
            detail: self.detail,
        }
    }
}

/// A paper book, format version 1: the book in the core's serde form inside the envelope (the
/// book is not a tape type, so its form changes only with a new record version here).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct PaperBookRecordV1 {
    /// Always 1.
    pub(crate) v: u32,
    /// The book.
    pub(crate) book: PaperBook,
}

/// A stored symbol was valid when written; one that no longer parses means a damaged record.
fn symbol(text: &str, id: &str) -> Result<Symbol, StoreError> {
    Symbol::parse(text).map_err(|e| StoreError::Corrupt(format!("record {id} has a bad symbol: {e}")))
}

fn check_version(v: u32, what: &str, key: &str) -> Result<(), StoreError> {
    if v == CURRENT {
        Ok(())
    } else {
        Err(StoreError::Corrupt(format!(
            "{what} {key} is stored in record format v{v}, which this version of ttai cannot read"
        )))
    }
}

/// Reads the envelope's version, then the layout of that version.
fn decode<T: DeserializeOwned>(bytes: &[u8], what: &str, key: &str) -> Result<T, StoreError> {
    let bad = |e: serde_json::Error| StoreError::Corrupt(format!("{what} {key} cannot be read: {e}"));
    let probe: Probe = serde_json::from_slice(bytes).map_err(bad)?;
    check_version(probe.v, what, key)?;
    serde_json::from_slice(bytes).map_err(bad)
}

fn encode<T: Serialize>(record: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(record).map_err(|e| StoreError::Other {
        adapter: crate::ADAPTER,
        message: format!("a record cannot be encoded: {e}"),
    })
}

/// The stored bytes of an analysis.
pub(crate) fn encode_analysis(a: &AnalysisRecord) -> Result<Vec<u8>, StoreError> {
    encode(&AnalysisRecordV1::from(a))
}

/// An analysis from its stored bytes.
pub(crate) fn decode_analysis(bytes: &[u8], key: &str) -> Result<AnalysisRecord, StoreError> {
    decode::<AnalysisRecordV1>(bytes, "analysis", key)?.into_domain()
}

/// The stored bytes of an alert.
pub(crate) fn encode_alert(a: &Alert) -> Result<Vec<u8>, StoreError> {
    encode(&AlertRecordV1::from(a))
}

/// An alert from its stored bytes.
pub(crate) fn decode_alert(bytes: &[u8], key: &str) -> Result<Alert, StoreError> {
    decode::<AlertRecordV1>(bytes, "alert", key)?.into_domain()
}

/// The stored bytes of a notification.
pub(crate) fn encode_notification(n: &Notification) -> Result<Vec<u8>, StoreError> {
    encode(&NotificationRecordV1::from(n))
}

/// A notification from its stored bytes.
pub(crate) fn decode_notification(bytes: &[u8], key: &str) -> Result<Notification, StoreError> {
    decode::<NotificationRecordV1>(bytes, "notification", key)?.into_domain()
}

/// The stored bytes of an audit entry.
pub(crate) fn encode_audit(e: &AuditEntry) -> Result<Vec<u8>, StoreError> {
    encode(&AuditRecordV1::from(e))
}

/// An audit entry from its stored bytes.
pub(crate) fn decode_audit(bytes: &[u8], key: &str) -> Result<AuditEntry, StoreError> {
    Ok(decode::<AuditRecordV1>(bytes, "audit entry", key)?.into_domain())
}

/// The stored bytes of a paper book.
pub(crate) fn encode_paper_book(book: &PaperBook) -> Result<Vec<u8>, StoreError> {
    encode(&PaperBookRecordV1 {
        v: CURRENT,
        book: book.clone(),
    })
}

/// A paper book from its stored bytes.
pub(crate) fn decode_paper_book(bytes: &[u8], key: &str) -> Result<PaperBook, StoreError> {
    Ok(decode::<PaperBookRecordV1>(bytes, "paper book", key)?.book)
}

/// Serde for prices: JSON has no NaN or infinity, so those are stored as the strings `"NaN"`,
/// `"inf"` and `"-inf"` instead of becoming `null` and making the record unreadable.
mod float {
    use serde::{Deserialize, Deserializer, Serializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Stored {
        Number(f64),
        Text(String),
    }

    pub(super) fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
        if x.is_finite() {
            s.serialize_f64(*x)
        } else if x.is_nan() {
            s.serialize_str("NaN")
        } else if x.is_sign_positive() {
            s.serialize_str("inf")
        } else {
            s.serialize_str("-inf")
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        match Stored::deserialize(d)? {
            Stored::Number(x) => Ok(x),
            Stored::Text(t) => match t.as_str() {
                "NaN" => Ok(f64::NAN),
                "inf" => Ok(f64::INFINITY),
                "-inf" => Ok(f64::NEG_INFINITY),
                other => Err(serde::de::Error::custom(format!("{other:?} is not a price"))),
            },
        }
    }

    /// The same for an optional price.
    pub(super) mod option {
        use serde::{Deserialize, Deserializer, Serializer};

        #[derive(Deserialize)]
        struct Wrapped(#[serde(with = "super")] f64);

        pub(in super::super) fn serialize<S: Serializer>(x: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
            match x {
                Some(x) => super::serialize(x, s),
                None => s.serialize_none(),
            }
        }

        pub(in super::super) fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<f64>, D::Error> {
            Ok(Option::<Wrapped>::deserialize(d)?.map(|w| w.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(threshold: f64, price: Option<f64>) -> Alert {
        Alert {
            id: AlertId("alrt_000000000001".into()),
            symbol: Symbol::parse("SPY").unwrap(),
            condition: AlertCondition::Below,
            threshold,
            note: Some("note".into()),
            status: AlertStatus::Triggered,
            created_at: Timestamp::from_millis(-5),
            triggered_at: Some(Timestamp::from_millis(7)),
            triggered_price: price,
            deleted_at: None,
        }
    }

    #[test]
    fn alert_round_trips_with_the_envelope_version() {
        let a = alert(0.1 + 0.2, Some(1e-300));
        let bytes = encode_alert(&a).unwrap();
        let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(json["v"], 1);
        assert_eq!(decode_alert(&bytes, "k").unwrap(), a);
    }

    #[test]
    fn non_finite_prices_round_trip() {
        let a = alert(f64::INFINITY, Some(f64::NEG_INFINITY));
        assert_eq!(decode_alert(&encode_alert(&a).unwrap(), "k").unwrap(), a);
        let b = decode_alert(&encode_alert(&alert(f64::NAN, None)).unwrap(), "k").unwrap();
        assert!(b.threshold.is_nan());
        assert_eq!(b.triggered_price, None);
    }

    #[test]
    fn an_unknown_version_is_corrupt_and_says_so() {
        let err = decode_alert(br#"{"v":2,"id":"alrt_000000000001"}"#, "alrt_000000000001").unwrap_err();
        let StoreError::Corrupt(message) = err else {
            panic!("{err:?}")
        };
        assert!(message.contains("v2"), "{message}");
        assert!(message.contains("alrt_000000000001"), "{message}");
    }

    #[test]
    fn garbage_is_corrupt() {
        assert!(matches!(
            decode_analysis(b"not json", "anl_1"),
            Err(StoreError::Corrupt(_))
        ));
        assert!(matches!(
            decode_notification(br#"{"v":1}"#, "ntf_1"),
            Err(StoreError::Corrupt(_))
        ));
    }
}
