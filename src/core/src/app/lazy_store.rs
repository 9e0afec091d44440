//! A `StorePort` opened on first use, so start-up does not wait for the database (and a
//! database held by another process fails the store's calls with a clear error, not the start).
//!
//! A failed open is not kept: the next call tries again, and [`LazyStore::open_with_retry`]
//! retries with backoff in the background, so a database that becomes free (the previous ttai
//! finished draining) or writable again (space was freed) is opened without a restart.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;

use crate::domain::{
    AccountNumber, Alert, AlertId, AlertStatus, AnalysisId, AnalysisRecord, AuditEntry, Notification,
    NotificationId, PaperBook, Symbol,
};
use crate::ports::{
    NewAlert, NewAnalysis, NewAuditEntry, PendingNotification, Shutdown, StoreError, StorePort,
};
use crate::time::Timestamp;

/// Opens the real store.
pub type StoreOpener = Box<
    dyn Fn() -> Pin<Box<dyn Future<Output = Result<Arc<dyn StorePort>, StoreError>> + Send>> + Send + Sync,
>;

/// The first wait between background attempts; it doubles up to [`RETRY_MAX`].
pub(crate) const RETRY_MIN: Duration = Duration::from_millis(250);
/// The longest wait between background attempts.
pub(crate) const RETRY_MAX: Duration = Duration::from_secs(2);

/// A store that opens itself on first use and tries again after a failure.
pub struct LazyStore {
    open: StoreOpener,
    opened: OnceLock<Arc<dyn StorePort>>,
    /// Attempts finished; read before waiting for the attempt lock.
    finished: AtomicU64,
    /// Single flight: one attempt at a time. Holds the last failure with its attempt number, so
    /// callers that waited behind a failed attempt get its error instead of starting another.
    attempt: tokio::sync::Mutex<Option<(u64, StoreError)>>,
}

impl std::fmt::Debug for LazyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyStore")
            .field("opened", &self.opened.get().is_some())
            .finish()
    }
}

impl LazyStore {
    /// A store opened by `open` when first needed.
    pub fn new(open: StoreOpener) -> LazyStore {
        LazyStore {
            open,
            opened: OnceLock::new(),
            finished: AtomicU64::new(0),
            attempt: tokio::sync::Mutex::new(None),
        }
    }

    /// The store, opening it now if it is not open yet. An error is not kept: the next call
    /// tries again.
    pub async fn open(&self) -> Result<Arc<dyn StorePort>, StoreError> {
        if let Some(store) = self.opened.get() {
            return Ok(store.clone());
        }
        let seen = self.finished.load(Ordering::SeqCst);
        let mut failure = self.attempt.lock().await;
        if let Some(store) = self.opened.get() {
            return Ok(store.clone());
        }
        if let Some((number, error)) = &*failure
            && *number > seen
        {
            return Err(error.clone());
        }
        let result = (self.open)().await;
        let number = self.finished.fetch_add(1, Ordering::SeqCst) + 1;
        match result {
            Ok(store) => {
                *failure = None;
                Ok(self.opened.get_or_init(|| store).clone())
            }
            Err(error) => {
                *failure = Some((number, error.clone()));
                Err(error)
            }
        }
    }

    /// Opens the store, retrying with backoff ([`RETRY_MIN`] doubling to [`RETRY_MAX`]) until it
    /// opens or `shutdown` fires (then `None`). The first failure is logged as a warning with
    /// what to do, later ones only when the reason changes.
    pub async fn open_with_retry(&self, mut shutdown: Shutdown) -> Option<Arc<dyn StorePort>> {
        let mut wait = RETRY_MIN;
        let mut last: Option<String> = None;
        loop {
            match self.open().await {
                Ok(store) => {
                    if last.is_some() {
                        tracing::info!("the database is open now; alerts are watched");
                    }
                    return Some(store);
                }
                Err(error) => {
                    let text = error.to_string();
                    if last.as_deref() != Some(text.as_str()) {
                        tracing::warn!(
                            error = %text,
                            "the database cannot be opened yet; retrying in the background (alerts are watched once it opens)"
                        );
                        last = Some(text);
                    }
                }
            }
            if shutdown.is_fired() {
                return None;
            }
            tokio::select! {
                () = shutdown.wait() => return None,
                () = tokio::time::sleep(wait) => {}
            }
            wait = (wait * 2).min(RETRY_MAX);
        }
    }
}

#[async_trait]
impl StorePort for LazyStore {
    async fn save_analysis(&self, analysis: NewAnalysis) -> Result<AnalysisRecord, StoreError> {
        self.open().await?.save_analysis(analysis).await
    }
    async fn get_analysis(&self, id: &AnalysisId) -> Result<AnalysisRecord, StoreError> {
        self.open().await?.get_analysis(id).await
    }
    async fn list_analyses(
        &self,
        symbol: Option<&Symbol>,
        limit: usize,
    ) -> Result<Vec<AnalysisRecord>, StoreError> {
        self.open().await?.list_analyses(symbol, limit).await
    }
    async fn analysed_symbols(&self) -> Result<Vec<Symbol>, StoreError> {
        self.open().await?.analysed_symbols().await
    }
    async fn create_alert(&self, alert: NewAlert) -> Result<Alert, StoreError> {
        self.open().await?.create_alert(alert).await
    }
    async fn get_alert(&self, id: &AlertId) -> Result<Alert, StoreError> {
        self.open().await?.get_alert(id).await
    }
    async fn list_alerts(&self, status: Option<AlertStatus>) -> Result<Vec<Alert>, StoreError> {
        self.open().await?.list_alerts(status).await
    }
    async fn delete_alert(&self, id: &AlertId, at: Timestamp) -> Result<Alert, StoreError> {
        self.open().await?.delete_alert(id, at).await
    }
    async fn trigger_alert(
        &self,
        id: &AlertId,
        at: Timestamp,
        price: f64,
        notification: PendingNotification,
    ) -> Result<Option<Notification>, StoreError> {
        self.open()
            .await?
            .trigger_alert(id, at, price, notification)
            .await
    }
    async fn pending_notifications(&self, limit: usize) -> Result<Vec<Notification>, StoreError> {
        self.open().await?.pending_notifications(limit).await
    }
    async fn record_delivery_attempt(&self, id: &NotificationId) -> Result<(), StoreError> {
        self.open().await?.record_delivery_attempt(id).await
    }
    async fn remove_notification(&self, id: &NotificationId) -> Result<(), StoreError> {
        self.open().await?.remove_notification(id).await
    }
    async fn append_audit(&self, entry: NewAuditEntry) -> Result<AuditEntry, StoreError> {
        self.open().await?.append_audit(entry).await
    }
    async fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        self.open().await?.audit_log(limit).await
    }
    async fn paper_book(&self, account: &AccountNumber) -> Result<Option<PaperBook>, StoreError> {
        self.open().await?.paper_book(account).await
    }
    async fn save_paper_book(&self, book: &PaperBook) -> Result<(), StoreError> {
        self.open().await?.save_paper_book(book).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::ShutdownTrigger;
    use crate::testing::InMemoryStore;
    use std::sync::atomic::AtomicBool;

    /// A store whose file is "held" until `free` is set.
    fn held(free: Arc<AtomicBool>, attempts: Arc<AtomicU64>) -> LazyStore {
        LazyStore::new(Box::new(move || {
            let free = free.clone();
            let attempts = attempts.clone();
            Box::pin(async move {
                attempts.fetch_add(1, Ordering::SeqCst);
                if free.load(Ordering::SeqCst) {
                    Ok(Arc::new(InMemoryStore::new()) as Arc<dyn StorePort>)
                } else {
                    Err(StoreError::InUse("database is in use by another ttai".to_owned()))
                }
            })
        }))
    }

    #[tokio::test]
    async fn a_failed_open_is_tried_again_on_the_next_call() {
        // Regression: the first error was kept for the life of the process.
        let free = Arc::new(AtomicBool::new(false));
        let attempts = Arc::new(AtomicU64::new(0));
        let store = held(free.clone(), attempts.clone());
        assert!(matches!(store.list_alerts(None).await, Err(StoreError::InUse(_))));
        assert!(matches!(store.list_alerts(None).await, Err(StoreError::InUse(_))));
        assert_eq!(attempts.load(Ordering::SeqCst), 2);
        free.store(true, Ordering::SeqCst);
        assert!(store.list_alerts(None).await.unwrap().is_empty());
        store.list_alerts(None).await.unwrap();
        assert_eq!(attempts.load(Ordering::SeqCst), 3, "opened once, then kept");
    }

    #[tokio::test(start_paused = true)]
    async fn the_background_retry_opens_once_the_store_is_free_and_stops_at_shutdown() {
        let free = Arc::new(AtomicBool::new(false));
        let attempts = Arc::new(AtomicU64::new(0));
        let store = Arc::new(held(free.clone(), attempts.clone()));
        let (trigger, shutdown) = ShutdownTrigger::new();
        let retry = tokio::spawn({
            let store = store.clone();
            async move { store.open_with_retry(shutdown).await.is_some() }
        });
        tokio::time::sleep(Duration::from_secs(10)).await;
        let tried = attempts.load(Ordering::SeqCst);
        // 0, 0.25, 0.75, 1.75, 3.75, 5.75, 7.75, 9.75 s: backoff, not a busy loop.
        assert!((5..=9).contains(&tried), "{tried}");
        free.store(true, Ordering::SeqCst);
        tokio::time::sleep(RETRY_MAX).await;
        assert!(retry.await.unwrap(), "opened without a restart");

        let never = Arc::new(held(
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicU64::new(0)),
        ));
        let (trigger2, shutdown2) = ShutdownTrigger::new();
        let retry = tokio::spawn(async move { never.open_with_retry(shutdown2).await.is_some() });
        tokio::time::sleep(Duration::from_secs(1)).await;
        trigger2.fire();
        assert!(!retry.await.unwrap());
        drop(trigger);
    }
}
