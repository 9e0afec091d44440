use async_trait::async_trait;

use crate::domain::{
    AccountNumber, Alert, AlertId, AlertStatus, AnalysisId, AnalysisRecord, AuditEntry, AuditId,
    Notification, NotificationId, PaperBook, Symbol,
};
pub use crate::domain::{NewAlert, NewAnalysis, PendingNotification};
use crate::time::Timestamp;

/// Why a store operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The record does not exist; the text names it.
    #[error("{0} not found")]
    NotFound(String),
    /// The disk is full: the write was not made and earlier data is intact.
    #[error("the disk is full")]
    Full,
    /// Another process holds the database.
    #[error("{0}")]
    InUse(String),
    /// The file is damaged.
    #[error("{0}")]
    Corrupt(String),
    /// A passing failure (I/O); may succeed later.
    #[error("{0}")]
    Unavailable(String),
    /// Anything else, with the adapter's name.
    #[error("{adapter}: {message}")]
    Other {
        /// The adapter that failed.
        adapter: &'static str,
        /// What happened.
        message: String,
    },
}

/// Durable state: saved analyses, price alerts and the notification outbox (docs/design.md,
/// "Alerts and notifications"), the order audit log and the paper trading books.
///
/// Every write is durable when the call returns. Ids are assigned by the store, unique for the
/// life of the database: `anl_…`, `alrt_…`, `ntf_…`, `aud_…`.
#[async_trait]
pub trait StorePort: Send + Sync {
    /// Saves an analysis and returns it with its id.
    ///
    /// # Errors
    /// MUST return `Full` when the disk is full, leaving earlier records intact.
    async fn save_analysis(&self, analysis: NewAnalysis) -> Result<AnalysisRecord, StoreError>;

    /// One analysis.
    ///
    /// # Errors
    /// MUST return `NotFound` for an unknown id.
    async fn get_analysis(&self, id: &AnalysisId) -> Result<AnalysisRecord, StoreError>;

    /// Analyses newest first (by `created_at`, then by id), of one symbol or of all, at most
    /// `limit`.
    async fn list_analyses(
        &self,
        symbol: Option<&Symbol>,
        limit: usize,
    ) -> Result<Vec<AnalysisRecord>, StoreError>;

    /// Symbols that have saved analyses, sorted.
    async fn analysed_symbols(&self) -> Result<Vec<Symbol>, StoreError>;

    /// Creates an active alert and returns it with its id.
    async fn create_alert(&self, alert: NewAlert) -> Result<Alert, StoreError>;

    /// One alert, whatever its status.
    ///
    /// # Errors
    /// MUST return `NotFound` for an unknown id.
    async fn get_alert(&self, id: &AlertId) -> Result<Alert, StoreError>;

    /// Alerts with the given status (all when `None`), oldest first.
    async fn list_alerts(&self, status: Option<AlertStatus>) -> Result<Vec<Alert>, StoreError>;

    /// Marks an alert deleted and returns it.
    ///
    /// # Errors
    /// MUST return `NotFound` for an unknown or already deleted id.
    async fn delete_alert(&self, id: &AlertId, at: Timestamp) -> Result<Alert, StoreError>;

    /// In one transaction: if the alert is still active, marks it triggered at `at` with `price`
    /// and puts a notification built by `notification` into the outbox; returns the
    /// notification. Returns `None` when the alert is no longer active (it fires once).
    ///
    /// # Errors
    /// MUST return `NotFound` for an unknown id.
    async fn trigger_alert(
        &self,
        id: &AlertId,
        at: Timestamp,
        price: f64,
        notification: PendingNotification,
    ) -> Result<Option<Notification>, StoreError>;

    /// Notifications waiting for delivery, oldest first, at most `limit`.
    async fn pending_notifications(&self, limit: usize) -> Result<Vec<Notification>, StoreError>;

    /// Counts one more failed delivery attempt.
    async fn record_delivery_attempt(&self, id: &NotificationId) -> Result<(), StoreError>;

    /// Removes a delivered notification. Removing one that is gone is not an error.
    async fn remove_notification(&self, id: &NotificationId) -> Result<(), StoreError>;

    /// Appends an entry to the order audit log and returns it with its id (`aud_…`, in the
    /// order written).
    ///
    /// # Errors
    /// MUST return `Full` when the disk is full, leaving earlier entries intact.
    async fn append_audit(&self, entry: NewAuditEntry) -> Result<AuditEntry, StoreError>;

    /// The audit log newest first (by id), at most `limit`.
    async fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError>;

    /// The paper book of `account`; `None` before its first paper order.
    async fn paper_book(&self, account: &AccountNumber) -> Result<Option<PaperBook>, StoreError>;

    /// Replaces the paper book of its account.
    ///
    /// # Errors
    /// MUST return `Full` when the disk is full, leaving the previous book intact.
    async fn save_paper_book(&self, book: &PaperBook) -> Result<(), StoreError>;
}

impl NewAuditEntry {
    /// The entry with the id the store assigned.
    pub fn into_entry(self, id: AuditId) -> AuditEntry {
        AuditEntry {
            id,
            at: self.at,
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

/// An audit entry to append; the store assigns the id.
#[derive(Clone, Debug, PartialEq)]
pub struct NewAuditEntry {
    /// When (the market clock).
    pub at: Timestamp,
    /// `preview`, `place`, `cancel` or `confirmation`.
    pub action: String,
    /// How it ended.
    pub outcome: String,
    /// The account, masked.
    pub account: String,
    /// True for paper trading.
    pub paper: bool,
    /// The order's fingerprint.
    pub order_hash: Option<String>,
    /// The order ticket.
    pub order: Option<String>,
    /// The broker's order id.
    pub order_id: Option<String>,
    /// Particulars.
    pub detail: serde_json::Value,
}
