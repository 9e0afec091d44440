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
    /// Plays a full disk: every write is `Full` and changes nothing.
    full: bool,
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

    /// Plays a full disk (`true`): every write is refused with `Full` until given `false`.
    pub fn set_full(&self, full: bool) {
        if let Ok(mut state) = self.state.lock() {
            state.full = full;
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut state = self
            .state
            .lock()
            .map_err(|_| StoreError::Unavailable("lock poisoned".to_owned()))?;
        f(&mut state)
    }

    /// As `with`, for a write: refused while the disk is full.
    fn write<T>(&self, f: impl FnOnce(&mut State) -> Result<T, StoreError>) -> Result<T, StoreError> {
        self.with(|s| if s.full { Err(StoreError::Full) } else { f(s) })
    }
}

#[async_trait]
impl StorePort for InMemoryStore {
    async fn save_analysis(&self, analysis: NewAnalysis) -> Result<AnalysisRecord, StoreError> {
        self.write(|s| {
            s.next_analysis += 1;
            let record = analysis.into_record(AnalysisId::nth(s.next_analysis));
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
        self.write(|s| {
            s.next_alert += 1;
            let alert = alert.into_alert(AlertId::nth(s.next_alert));
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
        self.with(|s| {
            let full = s.full;
            let not_found = || StoreError::NotFound(format!("alert {id}"));
            let alert = s.alerts.get_mut(id).ok_or_else(not_found)?;
            if alert.status != AlertStatus::Deleted && full {
                return Err(StoreError::Full);
            }
            if alert.delete(at) {
                Ok(alert.clone())
            } else {
                Err(not_found())
            }
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
            if alert.status == AlertStatus::Active && s.full {
                return Err(StoreError::Full);
            }
            if !alert.trigger(at, price) {
                return Ok(None);
            }
            let alert = alert.clone();
            s.next_notification += 1;
            let id = NotificationId::nth(s.next_notification);
            let notification = Notification::for_alert(id, alert, pending, at);
            s.outbox.insert(notification.id.clone(), notification.clone());
            Ok(Some(notification))
        })
    }

    async fn pending_notifications(&self, limit: usize) -> Result<Vec<Notification>, StoreError> {
        self.with(|s| Ok(s.outbox.values().take(limit).cloned().collect()))
    }

    async fn record_delivery_attempt(&self, id: &NotificationId) -> Result<(), StoreError> {
        self.write(|s| {
            if let Some(n) = s.outbox.get_mut(id) {
                n.attempts += 1;
            }
            Ok(())
        })
    }

    async fn remove_notification(&self, id: &NotificationId) -> Result<(), StoreError> {
        self.write(|s| {
            s.outbox.remove(id);
            Ok(())
        })
    }

    async fn append_audit(&self, entry: NewAuditEntry) -> Result<AuditEntry, StoreError> {
        self.with(|s| {
            s.next_audit += 1;
            let entry = entry.into_entry(AuditId::nth(s.next_audit));
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
