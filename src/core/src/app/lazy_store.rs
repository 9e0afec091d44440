//! A `StorePort` opened on first use, so start-up does not wait for the database (and a
//! database held by another process fails the store's calls with a clear error, not the start).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::OnceCell;

use crate::domain::{
    Alert, AlertId, AlertStatus, AnalysisId, AnalysisRecord, Notification, NotificationId, Symbol,
};
use crate::ports::{NewAlert, NewAnalysis, PendingNotification, StoreError, StorePort};
use crate::time::Timestamp;

/// Opens the real store.
pub type StoreOpener = Box<
    dyn Fn() -> Pin<Box<dyn Future<Output = Result<Arc<dyn StorePort>, StoreError>> + Send>> + Send + Sync,
>;

/// A store that opens itself on the first call; the outcome (store or error) is kept.
pub struct LazyStore {
    open: StoreOpener,
    cell: OnceCell<Result<Arc<dyn StorePort>, StoreError>>,
}

impl std::fmt::Debug for LazyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyStore")
            .field("opened", &self.cell.initialized())
            .finish()
    }
}

impl LazyStore {
    /// A store opened by `open` when first needed.
    pub fn new(open: StoreOpener) -> LazyStore {
        LazyStore {
            open,
            cell: OnceCell::new(),
        }
    }

    /// Opens now (idempotent); the error, if any, is kept for every later call.
    pub async fn open(&self) -> Result<Arc<dyn StorePort>, StoreError> {
        self.cell.get_or_init(|| (self.open)()).await.clone()
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
}
