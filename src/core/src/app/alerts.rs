//! Price alerts (docs/design.md, "Alerts and notifications"): setting, listing, deleting, and the background monitor and
//! deliverer.
//!
//! The monitor checks every active alert at an interval with ONE batched quote request for all
//! their symbols; an alert fires once, when `last` (or the mark when there is no trade) crosses its
//! threshold, and the store marks it triggered and puts the notification in the outbox in one
//! transaction. The deliverer sends from the outbox and removes only what was delivered, retrying
//! with backoff, so nothing is lost across crashes or receiver outages.

use std::collections::{BTreeSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::Notify;

use super::{App, AppEvent};
use crate::domain::{Alert, AlertCondition, AlertId, AlertStatus, Notification, Symbol, round4};
use crate::error::AppError;
use crate::ports::{NewAlert, NotifierPort, PendingNotification, Shutdown};
use crate::time::Timestamp;

/// The resource that lists active alerts.
pub const ALERTS_URI: &str = "alerts://active";

/// Longest alert note accepted.
pub(crate) const MAX_NOTE: usize = 500;

/// Outcome of one monitor check.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CheckReport {
    /// Active alerts looked at.
    pub active: usize,
    /// Distinct symbols quoted.
    pub symbols: usize,
    /// Quote requests made (0 or 1).
    pub quote_requests: usize,
    /// Alerts that fired in this check.
    pub fired: Vec<Alert>,
    /// Their notifications, as put in the outbox.
    pub notifications: Vec<Notification>,
    /// Symbols the broker had no usable price for.
    pub unpriced: Vec<String>,
}

/// Wakes the deliverer when something lands in the outbox, and lets tests and the replay clock
/// ask for an immediate check; keeps the alerts that fired while no client was connected.
#[derive(Debug, Default)]
pub struct AlertSignals {
    /// Something was put in the outbox.
    pub outbox: Notify,
    /// Check the alerts now instead of waiting for the interval.
    pub check_now: Notify,
    /// Alerts that fired while no MCP client was connected, oldest first, until a `list_alerts`
    /// reports them (at most [`MAX_UNANNOUNCED`]).
    unannounced: Mutex<VecDeque<Alert>>,
}

/// The most alerts kept for the next client when none was connected as they fired; beyond it
/// the oldest is dropped (`list_alerts` with `status=triggered` and `since` still finds it).
pub(crate) const MAX_UNANNOUNCED: usize = 100;

/// The most notifications the outbox keeps for a notifier that keeps failing; beyond it the
/// oldest are dropped and the count is logged.
pub const OUTBOX_RETENTION: usize = 1000;

/// Notifications delivered in one round of the deliverer.
const DELIVERY_BATCH: usize = 64;

/// Tells people that an alert fired, on every channel they may be watching besides the outbox's
/// notifier: implemented by the MCP engine (`McpServer::announce_alert`), which the monitor
/// calls once per fired alert.
pub trait AlertAnnouncer: Send + Sync {
    /// Announces `notification`; returns how many clients were told (0: nobody was connected,
    /// and the alert is kept for the next `list_alerts`).
    fn announce_alert(&self, notification: &Notification) -> usize;
}

fn notification_text(alert: &Alert, price: f64) -> PendingNotification {
    let verb = match alert.condition {
        AlertCondition::Above => "rose to",
        AlertCondition::Below => "fell to",
    };
    let mut message = format!(
        "{} {verb} {price} ({} {} {}).",
        alert.symbol,
        alert.condition.as_str(),
        alert.threshold,
        alert.id
    );
    if let Some(note) = &alert.note {
        message.push_str(" Note: ");
        message.push_str(note);
    }
    PendingNotification {
        kind: "alert_triggered".to_owned(),
        title: format!(
            "{} {} {}",
            alert.symbol,
            alert.condition.as_str(),
            alert.threshold
        ),
        message,
    }
}

impl App {
    /// Creates an alert after checking that the broker knows the symbol.
    pub async fn set_price_alert(
        &self,
        symbol: Symbol,
        condition: AlertCondition,
        threshold: f64,
        note: Option<String>,
    ) -> Result<(Alert, Option<f64>), AppError> {
        if !(threshold.is_finite() && threshold > 0.0) {
            return Err(AppError::invalid("threshold", "must be a price greater than 0"));
        }
        if note.as_ref().is_some_and(|n| n.chars().count() > MAX_NOTE) {
            return Err(AppError::invalid(
                "note",
                format!("must be at most {MAX_NOTE} characters"),
            ));
        }
        let quotes = self.quotes(std::slice::from_ref(&symbol)).await?;
        let Some(quote) = quotes.first() else {
            return Err(AppError::invalid(
                "symbol",
                format!("{symbol} is not a symbol the broker knows; check it with search_symbols"),
            ));
        };
        let price = quote.reference_price();
        let alert = self
            .store()
            .create_alert(NewAlert {
                symbol,
                condition,
                threshold,
                note: note.filter(|n| !n.trim().is_empty()),
                created_at: self.broker().now(),
            })
            .await?;
        self.emit(AppEvent::ResourceUpdated(ALERTS_URI.to_owned()));
        self.alert_signals().check_now.notify_one();
        Ok((alert, price))
    }

    /// Alerts with a status (all when `None`), oldest first.
    pub async fn list_alerts(&self, status: Option<AlertStatus>) -> Result<Vec<Alert>, AppError> {
        Ok(self.store().list_alerts(status).await?)
    }

    /// Deletes an alert.
    pub async fn delete_alert(&self, id: &AlertId) -> Result<Alert, AppError> {
        let alert = self
            .store()
            .delete_alert(id, self.broker().now())
            .await
            .map_err(|e| match e {
                crate::ports::StoreError::NotFound(_) => AppError::not_found(format!(
                    "no alert {id} (or it was already deleted); list_alerts shows the ids"
                ))
                .with_detail("field", "id"),
                other => other.into(),
            })?;
        self.emit(AppEvent::ResourceUpdated(ALERTS_URI.to_owned()));
        Ok(alert)
    }

    /// One check of every active alert: one quote request for all their symbols.
    pub async fn check_alerts(&self) -> Result<CheckReport, AppError> {
        let active = self.store().list_alerts(Some(AlertStatus::Active)).await?;
        let mut report = CheckReport {
            active: active.len(),
            ..CheckReport::default()
        };
        if active.is_empty() {
            return Ok(report);
        }
        let symbols: Vec<Symbol> = active
            .iter()
            .map(|a| a.symbol.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        report.symbols = symbols.len();
        report.quote_requests = 1;
        let quotes = self.broker().quotes(&symbols).await.map_err(AppError::from)?;
        let now = self.broker().now();
        for symbol in &symbols {
            if !quotes
                .iter()
                .any(|q| &q.symbol == symbol && q.reference_price().is_some())
            {
                report.unpriced.push(symbol.to_string());
            }
        }
        for alert in &active {
            let Some(price) = quotes
                .iter()
                .find(|q| q.symbol == alert.symbol)
                .and_then(|q| q.reference_price())
            else {
                continue;
            };
            if !alert.condition.is_met(price, alert.threshold) {
                continue;
            }
            let pending = notification_text(alert, round4(price));
            if let Some(notification) = self
                .store()
                .trigger_alert(&alert.id, now, round4(price), pending)
                .await?
            {
                tracing::info!(alert = %alert.id, symbol = %alert.symbol, price, "price alert fired");
                if let Some(fired) = notification.alert.clone() {
                    report.fired.push(fired);
                }
                report.notifications.push(notification);
                self.alert_signals().outbox.notify_one();
            }
        }
        if !report.fired.is_empty() {
            self.emit(AppEvent::ResourceUpdated(ALERTS_URI.to_owned()));
        }
        Ok(report)
    }

    /// Keeps an alert that fired while no client was connected, for the next `list_alerts`.
    pub fn note_unannounced(&self, alert: Alert) {
        let mut kept = self
            .alert_signals()
            .unannounced
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if kept.len() >= MAX_UNANNOUNCED {
            kept.pop_front();
        }
        kept.push_back(alert);
    }

    /// The alerts that fired while no client was connected, without taking them.
    pub fn unannounced(&self) -> Vec<Alert> {
        self.alert_signals()
            .unannounced
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }

    /// Takes the alerts that fired while no client was connected (a `list_alerts` reports them
    /// once).
    pub fn take_unannounced(&self) -> Vec<Alert> {
        self.alert_signals()
            .unannounced
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .drain(..)
            .collect()
    }

    /// Delivers what is in the outbox once; returns (delivered, failed). An outbox grown past
    /// [`OUTBOX_RETENTION`] (a notifier failing for long) first loses its oldest notifications,
    /// and says how many.
    pub async fn deliver_pending(&self, notifier: &dyn NotifierPort) -> Result<(usize, usize), AppError> {
        let mut pending = self
            .store()
            .pending_notifications(OUTBOX_RETENTION + DELIVERY_BATCH)
            .await?;
        if pending.len() > OUTBOX_RETENTION {
            let excess = pending.len() - OUTBOX_RETENTION;
            for stale in pending.drain(..excess) {
                self.store().remove_notification(&stale.id).await?;
            }
            tracing::warn!(
                dropped = excess,
                retention = OUTBOX_RETENTION,
                notifier = notifier.name(),
                "notifications dropped: the outbox keeps at most {OUTBOX_RETENTION} undelivered; the oldest went first"
            );
        }
        pending.truncate(DELIVERY_BATCH);
        let (mut delivered, mut failed) = (0, 0);
        for notification in pending {
            match notifier.deliver(&notification).await {
                Ok(()) => {
                    self.store().remove_notification(&notification.id).await?;
                    delivered += 1;
                }
                Err(err) => {
                    tracing::warn!(notification = %notification.id, notifier = notifier.name(), error = %err, "notification not delivered; will retry");
                    self.store().record_delivery_attempt(&notification.id).await?;
                    failed += 1;
                    // Keep order: later notifications wait for this one.
                    break;
                }
            }
        }
        Ok((delivered, failed))
    }
}

/// Runs the alert monitor until `shutdown`: a check every `interval`, or at once when asked;
/// every alert that fires is announced by `announcer` (the outbox's notifier delivers it too).
/// Failures are logged and the monitor keeps running.
pub async fn run_monitor(
    app: Arc<App>,
    interval: Duration,
    announcer: Arc<dyn AlertAnnouncer>,
    mut shutdown: Shutdown,
) {
    let signals = app.alert_signals_arc();
    loop {
        match app.check_alerts().await {
            Ok(report) if !report.fired.is_empty() => {
                tracing::debug!(fired = report.fired.len(), active = report.active, "alert check");
                for notification in &report.notifications {
                    announcer.announce_alert(notification);
                }
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "alert check failed; the monitor keeps running"),
        }
        tokio::select! {
            () = shutdown.wait() => break,
            () = tokio::time::sleep(interval) => {}
            () = signals.check_now.notified() => {}
        }
    }
    tracing::debug!("alert monitor stopped");
}

/// Runs the deliverer until `shutdown`: delivers the outbox when notified and retries failures
/// with exponential backoff (1 s doubling to 60 s).
pub async fn run_deliverer(app: Arc<App>, notifier: Arc<dyn NotifierPort>, mut shutdown: Shutdown) {
    let signals = app.alert_signals_arc();
    let mut backoff = Duration::from_secs(1);
    loop {
        let wait = match app.deliver_pending(&*notifier).await {
            Ok((_, 0)) => {
                backoff = Duration::from_secs(1);
                None
            }
            Ok((_, _)) => {
                let wait = backoff;
                backoff = (backoff * 2).min(Duration::from_secs(60));
                Some(wait)
            }
            Err(err) => {
                tracing::warn!(error = %err, "outbox unavailable; the deliverer keeps running");
                Some(Duration::from_secs(5))
            }
        };
        match wait {
            None => {
                tokio::select! {
                    () = shutdown.wait() => break,
                    () = signals.outbox.notified() => {}
                    // A safety net: look at the outbox now and then even without a signal.
                    () = tokio::time::sleep(Duration::from_secs(30)) => {}
                }
            }
            Some(wait) => {
                tokio::select! {
                    () = shutdown.wait() => break,
                    () = tokio::time::sleep(wait) => {}
                }
            }
        }
    }
    tracing::debug!("notification deliverer stopped");
}

/// An alert as tools and resources show it.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct AlertView<'a> {
    /// Alert id (give it to delete_alert).
    pub id: &'a str,
    /// Watched symbol.
    pub symbol: &'a str,
    /// Above or below.
    pub condition: AlertCondition,
    /// The price to cross.
    pub threshold: f64,
    /// The user's note.
    pub note: Option<&'a str>,
    /// Lifecycle.
    pub status: AlertStatus,
    /// When it was set (market clock).
    pub created_at: Timestamp,
    /// When it fired.
    pub triggered_at: Option<Timestamp>,
    /// The price that fired it.
    pub triggered_price: Option<f64>,
}

impl<'a> AlertView<'a> {
    /// The view of `alert`.
    pub fn of(alert: &'a Alert) -> AlertView<'a> {
        AlertView {
            id: &alert.id.0,
            symbol: alert.symbol.as_str(),
            condition: alert.condition,
            threshold: alert.threshold,
            note: alert.note.as_deref(),
            status: alert.status,
            created_at: alert.created_at,
            triggered_at: alert.triggered_at,
            triggered_price: alert.triggered_price,
        }
    }
}

/// The JSON of an alert as tools and resources show it ([`AlertView`]).
pub fn alert_json(alert: &Alert) -> serde_json::Value {
    serde_json::to_value(AlertView::of(alert)).unwrap_or(serde_json::Value::Null)
}

/// Validates a notification's JSON shape (used by notifiers' tests through the core).
pub fn notification_json(notification: &Notification) -> serde_json::Value {
    let mut value = serde_json::to_value(notification).unwrap_or(serde_json::Value::Null);
    if let Some(map) = value.as_object_mut() {
        map.insert("type".into(), "notification".into());
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::AppConfig;
    use crate::domain::Quote;
    use crate::testing::{FakeBroker, InMemoryStore, RecordingNotifier, sample_market, sample_now};

    fn app() -> (Arc<App>, Arc<FakeBroker>) {
        let broker = Arc::new(FakeBroker::new(sample_market(), sample_now()));
        let config = AppConfig {
            default_account: None,
            risk_free_rate: 0.04,
            dividend_yield: 0.0,
            quote_ttl: Duration::from_secs(60),
            chain_ttl: Duration::from_secs(300),
        };
        (
            Arc::new(App::new(broker.clone(), Arc::new(InMemoryStore::new()), config)),
            broker,
        )
    }

    fn sym(s: &str) -> Symbol {
        Symbol::parse(s).unwrap()
    }

    fn set_price(broker: &FakeBroker, symbol: &str, last: f64) {
        let mut quote: Quote = sample_market()
            .quotes
            .into_iter()
            .find(|q| q.symbol.as_str() == symbol)
            .unwrap();
        quote.last = Some(last);
        broker.set_quote(quote);
    }

    #[tokio::test]
    async fn alerts_are_validated() {
        let (app, _) = app();
        let err = app
            .set_price_alert(sym("NOPE"), AlertCondition::Above, 10.0, None)
            .await
            .unwrap_err();
        assert_eq!(err.code, crate::ErrorCode::ValidationError);
        assert_eq!(err.details["field"], "symbol");
        for bad in [0.0, -1.0, f64::NAN] {
            let err = app
                .set_price_alert(sym("SPY"), AlertCondition::Above, bad, None)
                .await
                .unwrap_err();
            assert_eq!(err.details["field"], "threshold");
        }
    }

    #[tokio::test]
    async fn one_check_makes_one_batched_quote_request_for_every_alert() {
        let (app, broker) = app();
        for i in 0..10 {
            app.set_price_alert(sym("SPY"), AlertCondition::Above, 10_000.0 + f64::from(i), None)
                .await
                .unwrap();
            app.set_price_alert(sym("AAPL"), AlertCondition::Below, 1.0 + f64::from(i), None)
                .await
                .unwrap();
        }
        let before = broker.calls("quotes");
        let report = app.check_alerts().await.unwrap();
        assert_eq!(broker.calls("quotes") - before, 1);
        assert_eq!((report.active, report.symbols, report.quote_requests), (20, 2, 1));
        assert!(report.fired.is_empty());
    }

    #[tokio::test]
    async fn an_alert_fires_once_and_its_notification_is_delivered_once_after_failures() {
        let (app, broker) = app();
        let mut events = app.subscribe_events();
        let (alert, _) = app
            .set_price_alert(sym("SPY"), AlertCondition::Above, 700.0, Some("breakout".into()))
            .await
            .unwrap();
        assert!(app.check_alerts().await.unwrap().fired.is_empty());
        set_price(&broker, "SPY", 701.5);
        let report = app.check_alerts().await.unwrap();
        assert_eq!(report.fired.len(), 1);
        assert_eq!(report.fired[0].triggered_price, Some(701.5));
        assert!(app.check_alerts().await.unwrap().fired.is_empty(), "fires once");
        assert_eq!(
            app.list_alerts(Some(AlertStatus::Triggered)).await.unwrap()[0].id,
            alert.id
        );
        let mut saw_update = false;
        while let Ok(event) = events.try_recv() {
            saw_update |= event == AppEvent::ResourceUpdated(ALERTS_URI.to_owned());
        }
        assert!(saw_update);
        assert_eq!(report.notifications.len(), 1);
        assert_eq!(report.notifications[0].alert.as_ref().unwrap().id, alert.id);
        assert!(report.notifications[0].message.contains("breakout"));

        let notifier = RecordingNotifier::new();
        notifier.fail_next(2);
        assert_eq!(app.deliver_pending(&notifier).await.unwrap(), (0, 1));
        assert_eq!(app.deliver_pending(&notifier).await.unwrap(), (0, 1));
        assert_eq!(app.deliver_pending(&notifier).await.unwrap(), (1, 0));
        assert_eq!(app.deliver_pending(&notifier).await.unwrap(), (0, 0));
        let delivered = notifier.delivered();
        assert_eq!(delivered.len(), 1);
        assert_eq!(delivered[0].attempts, 2);
        assert!(delivered[0].message.contains("breakout"));
        assert_eq!(delivered[0].alert.as_ref().unwrap().id, alert.id);
    }

    #[tokio::test]
    async fn deleted_alerts_do_not_fire_and_a_second_delete_is_not_found() {
        let (app, broker) = app();
        let (alert, _) = app
            .set_price_alert(sym("AAPL"), AlertCondition::Below, 50.0, None)
            .await
            .unwrap();
        app.delete_alert(&alert.id).await.unwrap();
        set_price(&broker, "AAPL", 49.0);
        assert!(app.check_alerts().await.unwrap().fired.is_empty());
        let err = app.delete_alert(&alert.id).await.unwrap_err();
        assert_eq!(err.code, crate::ErrorCode::NotFound);
    }

    #[tokio::test]
    async fn the_monitor_keeps_running_when_the_broker_fails_and_stops_on_shutdown() {
        let (app, broker) = app();
        app.set_price_alert(sym("SPY"), AlertCondition::Above, 700.0, None)
            .await
            .unwrap();
        broker.fail_with(Some(crate::ports::BrokerError::Unavailable("down".into())));
        let (trigger, shutdown) = crate::ports::ShutdownTrigger::new();
        let announcer = Arc::new(Announcements::default());
        let monitor = tokio::spawn(run_monitor(
            app.clone(),
            Duration::from_millis(10),
            announcer.clone(),
            shutdown,
        ));
        tokio::time::sleep(Duration::from_millis(50)).await;
        broker.fail_with(None);
        set_price(&broker, "SPY", 705.0);
        let mut fired = false;
        for _ in 0..100 {
            if !app
                .list_alerts(Some(AlertStatus::Triggered))
                .await
                .unwrap()
                .is_empty()
            {
                fired = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(fired, "the monitor recovered after broker failures");
        trigger.fire();
        tokio::time::timeout(Duration::from_secs(5), monitor)
            .await
            .unwrap()
            .unwrap();
        // The alert was announced once, with its notification.
        let told = announcer.0.lock().unwrap().clone();
        assert_eq!(told.len(), 1, "{told:?}");
        assert_eq!(told[0].alert.as_ref().unwrap().symbol.as_str(), "SPY");
        assert_eq!(told[0].kind, "alert_triggered");
    }

    /// Records what the monitor announces; nobody is connected.
    #[derive(Default)]
    struct Announcements(Mutex<Vec<Notification>>);

    impl AlertAnnouncer for Announcements {
        fn announce_alert(&self, notification: &Notification) -> usize {
            self.0.lock().unwrap().push(notification.clone());
            0
        }
    }

    #[tokio::test]
    async fn alerts_nobody_heard_are_kept_for_the_next_listing_within_a_bound() {
        let (app, _) = app();
        let (alert, _) = app
            .set_price_alert(sym("SPY"), AlertCondition::Above, 700.0, None)
            .await
            .unwrap();
        for _ in 0..MAX_UNANNOUNCED + 2 {
            app.note_unannounced(alert.clone());
        }
        assert_eq!(app.unannounced().len(), MAX_UNANNOUNCED, "bounded");
        assert_eq!(app.take_unannounced().len(), MAX_UNANNOUNCED);
        assert!(app.take_unannounced().is_empty(), "reported once");
    }

    #[tokio::test]
    async fn an_outbox_past_its_retention_drops_the_oldest() {
        let (app, _) = app();
        let store = app.store();
        let now = app.broker().now();
        for i in 0..OUTBOX_RETENTION + 5 {
            let alert = store
                .create_alert(NewAlert {
                    symbol: sym("SPY"),
                    condition: AlertCondition::Above,
                    threshold: 1.0 + i as f64,
                    note: None,
                    created_at: now,
                })
                .await
                .unwrap();
            let pending = notification_text(&alert, 2.0 + i as f64);
            store.trigger_alert(&alert.id, now, 2.0, pending).await.unwrap();
        }
        let notifier = RecordingNotifier::new();
        notifier.fail_next(1);
        assert_eq!(app.deliver_pending(&notifier).await.unwrap(), (0, 1));
        let left = store.pending_notifications(usize::MAX).await.unwrap();
        assert_eq!(left.len(), OUTBOX_RETENTION);
        // The five oldest went: the first left is the sixth notification.
        assert!(left[0].title.ends_with(" 6"), "{}", left[0].title);
    }
}
