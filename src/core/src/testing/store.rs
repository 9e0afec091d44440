use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::domain::{
    AccountNumber, Alert, AlertId, AlertStatus, AnalysisId, AnalysisRecord, AuditEntry, AuditId,
    Notification, NotificationId, PaperBook, Symbol,
};
use crate::ports::{NewAlert, NewAnalysis, NewAuditEntry, PendingNotification, StoreError, StorePort};
use crate::time::Timestamp;

#[derive(Debug, Default)]
struct State {
    next_analysis: u64,
    next_alert: u64,
    next_notification: u64,
    next_audit: u64,
    audit: Vec<AuditEntry>,
    paper: BTreeMap<AccountNumber, PaperBook>,
    analyses: BTreeMap<AnalysisId, AnalysisRecord>,
    alerts: BTreeMap<AlertId, Alert>,
    outbox: BTreeMap<NotificationId, Notification>,
}

/// A `StorePort` in memory: the reference model of the store contract.
#[derive(Debug, Default)]
pub struct InMemoryStore {
    state: Mutex<State>,
}

impl InMemoryStore {
    /// An empty store.
    pub fn new() -> InMemoryStore {
        InMemoryStore::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut state = self
            .state
            .lock()
            .map_err(|_| StoreError::Unavailable("lock poisoned".to_owned()))?;
        f(&mut state)
    }
}

/// Formats a store id: prefix and a zero-padded counter, so ids sort in creation order.
pub(crate) fn store_id(prefix: &str, n: u64) -> String {
    format!("{prefix}_{n:012}")
}

#[async_trait]
impl StorePort for InMemoryStore {
    async fn save_analysis(&self, analysis: NewAnalysis) -> Result<AnalysisRecord, StoreError> {
        self.with(|s| {
            s.next_analysis += 1;
            let record = AnalysisRecord {
                id: AnalysisId(store_id("anl", s.next_analysis)),
                symbol: analysis.symbol,
                kind: analysis.kind,
                strategy: analysis.strategy,
                created_at: analysis.created_at,
                source: analysis.source,
                summary: analysis.summary,
                result: analysis.result,
            };
            s.analyses.insert(record.id.clone(), record.clone());
            Ok(record)
        })
    }

    async fn get_analysis(&self, id: &AnalysisId) -> Result<AnalysisRecord, StoreError> {
        self.with(|s| {
            s.analyses
                .get(id)
                .cloned()
                .ok_or_else(|| StoreError::NotFound(format!("analysis {id}")))
        })
    }

    async fn list_analyses(
        &self,
        symbol: Option<&Symbol>,
        limit: usize,
    ) -> Result<Vec<AnalysisRecord>, StoreError> {
        self.with(|s| {
            let mut all: Vec<AnalysisRecord> = s
                .analyses
                .values()
                .filter(|a| symbol.is_none_or(|sym| &a.symbol == sym))
                .cloned()
                .collect();
            all.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| b.id.cmp(&a.id)));
            all.truncate(limit);
            Ok(all)
        })
    }

    async fn analysed_symbols(&self) -> Result<Vec<Symbol>, StoreError> {
        self.with(|s| {
            let mut symbols: Vec<Symbol> = s.analyses.values().map(|a| a.symbol.clone()).collect();
            symbols.sort();
            symbols.dedup();
            Ok(symbols)
        })
    }

    async fn create_alert(&self, alert: NewAlert) -> Result<Alert, StoreError> {
        self.with(|s| {
            s.next_alert += 1;
            let alert = Alert {
                id: AlertId(store_id("alrt", s.next_alert)),
                symbol: alert.symbol,
                condition: alert.condition,
                threshold: alert.threshold,
                note: alert.note,
                status: AlertStatus::Active,
                created_at: alert.created_at,
                triggered_at: None,
                triggered_price: None,
                deleted_at: None,
            };
            s.alerts.insert(alert.id.clone(), alert.clone());
            Ok(alert)
        })
    }

    async fn get_alert(&self, id: &AlertId) -> Result<Alert, StoreError> {
        self.with(|s| {
            s.alerts
                .get(id)
                .cloned()
                .ok_or_else(|| StoreError::NotFound(format!("alert {id}")))
        })
    }

    async fn list_alerts(&self, status: Option<AlertStatus>) -> Result<Vec<Alert>, StoreError> {
        self.with(|s| {
            Ok(s.alerts
                .values()
                .filter(|a| status.is_none_or(|st| a.status == st))
                .cloned()
                .collect())
        })
    }

    async fn delete_alert(&self, id: &AlertId, at: Timestamp) -> Result<Alert, StoreError> {
        self.with(|s| match s.alerts.get_mut(id) {
            Some(alert) if alert.status != AlertStatus::Deleted => {
                alert.status = AlertStatus::Deleted;
                alert.deleted_at = Some(at);
                Ok(alert.clone())
            }
            _ => Err(StoreError::NotFound(format!("alert {id}"))),
        })
    }

    async fn trigger_alert(
        &self,
        id: &AlertId,
        at: Timestamp,
        price: f64,
        pending: PendingNotification,
    ) -> Result<Option<Notification>, StoreError> {
        self.with(|s| {
            let alert = s
                .alerts
                .get_mut(id)
                .ok_or_else(|| StoreError::NotFound(format!("alert {id}")))?;
            if alert.status != AlertStatus::Active {
                return Ok(None);
            }
            alert.status = AlertStatus::Triggered;
            alert.triggered_at = Some(at);
            alert.triggered_price = Some(price);
            let alert = alert.clone();
            s.next_notification += 1;
            let notification = Notification {
                id: NotificationId(store_id("ntf", s.next_notification)),
                kind: pending.kind,
                title: pending.title,
                message: pending.message,
                alert: Some(alert),
                created_at: at,
                attempts: 0,
            };
            s.outbox.insert(notification.id.clone(), notification.clone());
            Ok(Some(notification))
        })
    }

    async fn pending_notifications(&self, limit: usize) -> Result<Vec<Notification>, StoreError> {
        self.with(|s| Ok(s.outbox.values().take(limit).cloned().collect()))
    }

    async fn record_delivery_attempt(&self, id: &NotificationId) -> Result<(), StoreError> {
        self.with(|s| {
            if let Some(n) = s.outbox.get_mut(id) {
                n.attempts += 1;
            }
            Ok(())
        })
    }

    async fn remove_notification(&self, id: &NotificationId) -> Result<(), StoreError> {
        self.with(|s| {
            s.outbox.remove(id);
            Ok(())
        })
    }

    async fn append_audit(&self, entry: NewAuditEntry) -> Result<AuditEntry, StoreError> {
        self.with(|s| {
            s.next_audit += 1;
            let entry = entry.into_entry(AuditId(store_id("aud", s.next_audit)));
            s.audit.push(entry.clone());
            Ok(entry)
        })
    }

    async fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        self.with(|s| Ok(s.audit.iter().rev().take(limit).cloned().collect()))
    }

    async fn paper_book(&self, account: &AccountNumber) -> Result<Option<PaperBook>, StoreError> {
        self.with(|s| Ok(s.paper.get(account).cloned()))
    }

    async fn save_paper_book(&self, book: &PaperBook) -> Result<(), StoreError> {
        self.with(|s| {
            s.paper.insert(book.account.clone(), book.clone());
            Ok(())
        })
    }
}
