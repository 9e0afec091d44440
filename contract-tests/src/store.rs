//! The `StorePort` contract: saved analyses, price alerts, the notification outbox, the order
//! audit log and paper books.
//!
//! Checks are named after the port's MUST clauses and `InMemoryStore`'s reference semantics.
//! A model check applies random operation sequences to the store under test and to a small
//! `BTreeMap` model (written here, independent of `InMemoryStore`, so the fake is checked too)
//! and requires identical answers. Durable stores also run the checks that close and reopen.

use std::collections::BTreeMap;
use std::sync::Arc;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::json;
use ttai_core::domain::{
    AccountNumber, Alert, AlertCondition, AlertId, AlertStatus, AnalysisId, AnalysisRecord, InstrumentType,
    Notification, NotificationId, Order, OrderLegState, OrderStatus, PaperBook, PaperEvent, Position,
    PriceEffect, Symbol, TimeInForce, TradeAction,
};
use ttai_core::ports::{NewAlert, NewAnalysis, NewAuditEntry, PendingNotification, StoreError, StorePort};
use ttai_core::time::Timestamp;

/// Makes stores for the checks. One harness serves one test, so it may keep state such as a
/// temporary folder.
#[async_trait::async_trait]
pub trait StoreHarness: Send + Sync {
    /// A new, empty store.
    async fn fresh(&self) -> Arc<dyn StorePort>;

    /// Closes `store`, the one the latest `fresh` (or `reopen`) returned, and opens its storage
    /// again. Only for harnesses declared `durable` to `store_contract!`; callers drop every
    /// other handle to the store first.
    async fn reopen(&self, store: Arc<dyn StorePort>) -> Arc<dyn StorePort> {
        drop(store);
        panic!("this store harness is not durable: do not declare the `durable` capability")
    }

    /// Makes the storage of the store the latest `fresh` returned full (`true`) or gives the
    /// space back (`false`). Only for harnesses declared `full` to `store_contract!`.
    fn set_full(&self, full: bool) {
        let _ = full;
        panic!("this store harness cannot fill its storage: do not declare the `full` capability")
    }
}

/// Bases every timestamp in the checks near the sample clock.
const T0: i64 = 1_745_962_405_000;

fn at(offset_ms: i64) -> Timestamp {
    Timestamp::from_millis(T0 + offset_ms)
}

fn sym(s: &str) -> Symbol {
    Symbol::parse(s).unwrap()
}

fn analysis(symbol: &str, offset_ms: i64, summary: &str) -> NewAnalysis {
    NewAnalysis {
        symbol: sym(symbol),
        kind: "full_analysis".to_owned(),
        strategy: Some("short_put".to_owned()),
        created_at: at(offset_ms),
        source: "replay:demo".to_owned(),
        summary: summary.to_owned(),
        result: json!({
            "summary": summary,
            "score": 0.1 + 0.2,
            "tiny": 1.234_567_890_123_456_7e-300,
            "legs": [{"strike": 450.0, "delta": -0.16}],
            "nested": {"none": null, "flag": true},
        }),
    }
}

fn new_alert(symbol: &str, condition: AlertCondition, threshold: f64) -> NewAlert {
    NewAlert {
        symbol: sym(symbol),
        condition,
        threshold,
        note: Some("roll the put".to_owned()),
        created_at: at(0),
    }
}

fn pending(title: &str) -> PendingNotification {
    PendingNotification {
        kind: "alert_triggered".to_owned(),
        title: title.to_owned(),
        message: "SPY crossed 450".to_owned(),
    }
}

fn assert_id(id: &str, prefix: &str) {
    let digits = id
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('_'))
        .unwrap_or_else(|| panic!("{id} does not start with {prefix}_"));
    assert!(
        digits.len() == 12 && digits.bytes().all(|b| b.is_ascii_digit()),
        "{id} is not {prefix}_ and 12 digits"
    );
}

fn ids(records: &[AnalysisRecord]) -> Vec<&str> {
    records.iter().map(|r| r.id.0.as_str()).collect()
}

/// A saved analysis gets an `anl_` id and reads back equal, field for field.
pub async fn saved_analysis_round_trips(h: &dyn StoreHarness) {
    let store = h.fresh().await;
    let saved = store
        .save_analysis(analysis("SPY", 0, "sell the 450 put"))
        .await
        .unwrap();
    assert_id(&saved.id.0, "anl");
    let want = analysis("SPY", 0, "sell the 450 put");
    assert_eq!(saved.symbol, want.symbol);
    assert_eq!(saved.kind, want.kind);
    assert_eq!(saved.strategy, want.strategy);
    assert_eq!(saved.created_at, want.created_at);
    assert_eq!(saved.source, want.source);
    assert_eq!(saved.summary, want.summary);
    assert_eq!(saved.result, want.result);
    assert_eq!(store.get_analysis(&saved.id).await.unwrap(), saved);
}

/// Analyses list newest first by `created_at`, then by id, for one symbol or all, at most
/// `limit`.
pub async fn analyses_list_newest_first_and_honour_the_limit(h: &dyn StoreHarness) {
    let store = h.fresh().await;
    let a = store.save_analysis(analysis("SPY", 1_000, "a")).await.unwrap();
    let b = store.save_analysis(analysis("AAPL", 3_000, "b")).await.unwrap();
    let c = store.save_analysis(analysis("SPY", -5_000, "c")).await.unwrap();
    let d = store.save_analysis(analysis("SPY", 1_000, "d")).await.unwrap();
    let e = store.save_analysis(analysis("QQQ", 2_000, "e")).await.unwrap();

    let all = store.list_analyses(None, 10).await.unwrap();
    // Same time: the larger id (the later save) first.
    assert_eq!(ids(&all), ids(&[b.clone(), e, d.clone(), a.clone(), c.clone()]));
    let spy = store.list_analyses(Some(&sym("SPY")), 10).await.unwrap();
    assert_eq!(ids(&spy), ids(&[d.clone(), a, c]));
    assert_eq!(spy.first(), Some(&d));
    let top = store.list_analyses(None, 2).await.unwrap();
    assert_eq!(top.len(), 2);
    assert_eq!(top.first(), Some(&b));
    assert_eq!(store.list_analyses(Some(&sym("SPY")), 1).await.unwrap(), [d]);
    assert!(store.list_analyses(None, 0).await.unwrap().is_empty());
    assert!(
        store
            .list_analyses(Some(&sym("NOPE")), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Analysed symbols are sorted and unique.
pub async fn analysed_symbols_are_sorted_and_unique(h: &dyn StoreHarness) {
    let store = h.fresh().await;
    assert!(store.analysed_symbols().await.unwrap().is_empty());
    for (symbol, t) in [
        ("SPY", 0),
        ("AAPL", 1),
        ("SPY", 2),
        ("BRK/B", 3),
        ("AAPL", -4),
        ("/ESZ4", 5),
    ] {
        store.save_analysis(analysis(symbol, t, "x")).await.unwrap();
    }
    assert_eq!(
        store.analysed_symbols().await.unwrap(),
        [sym("/ESZ4"), sym("AAPL"), sym("BRK/B"), sym("SPY")]
    );
}

/// An unknown analysis id is `NotFound`.
pub async fn get_unknown_analysis_is_not_found(h: &dyn StoreHarness) {
    let store = h.fresh().await;
    store.save_analysis(analysis("SPY", 0, "x")).await.unwrap();
    for id in ["anl_999999999999", "nonsense", ""] {
        let err = store.get_analysis(&AnalysisId(id.to_owned())).await.unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)), "{id}: {err:?}");
    }
}

/// A created alert is active, has an `alrt_` id, and reads back equal.
pub async fn created_alert_is_active_and_round_trips(h: &dyn StoreHarness) {
    let store = h.fresh().await;
    let alert = store
        .create_alert(new_alert("SPY", AlertCondition::Below, 450.25))
        .await
        .unwrap();
    assert_id(&alert.id.0, "alrt");
    assert_eq!(alert.status, AlertStatus::Active);
    assert_eq!(alert.symbol, sym("SPY"));
    assert_eq!(alert.condition, AlertCondition::Below);
    assert_eq!(alert.threshold, 450.25);
    assert_eq!(alert.note.as_deref(), Some("roll the put"));
    assert_eq!(alert.created_at, at(0));
    assert_eq!(
        (alert.triggered_at, alert.triggered_price, alert.deleted_at),
        (None, None, None)
    );
    assert_eq!(store.get_alert(&alert.id).await.unwrap(), alert);
}

/// An unknown alert id is `NotFound` for get, delete and trigger.
pub async fn unknown_alert_is_not_found(h: &dyn StoreHarness) {
    let store = h.fresh().await;
    store
        .create_alert(new_alert("SPY", AlertCondition::Above, 1.0))
        .await
        .unwrap();
    let id = AlertId("alrt_999999999999".to_owned());
    let err = store.get_alert(&id).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    let err = store.delete_alert(&id, at(1)).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    let err = store
        .trigger_alert(&id, at(1), 2.0, pending("x"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    assert!(store.pending_notifications(10).await.unwrap().is_empty());
}

/// Alerts list oldest first, filtered by status when one is given.
pub async fn alerts_list_oldest_first_by_status(h: &dyn StoreHarness) {
    let store = h.fresh().await;
    let a = store
        .create_alert(new_alert("SPY", AlertCondition::Above, 500.0))
        .await
        .unwrap();
    let b = store
        .create_alert(new_alert("AAPL", AlertCondition::Below, 150.0))
        .await
        .unwrap();
    let c = store
        .create_alert(new_alert("QQQ", AlertCondition::Above, 400.0))
        .await
        .unwrap();
    let d = store
        .create_alert(new_alert("SPY", AlertCondition::Below, 420.0))
        .await
        .unwrap();
    let b = store.delete_alert(&b.id, at(10)).await.unwrap();
    let c = store
        .trigger_alert(&c.id, at(20), 401.5, pending("QQQ"))
        .await
        .unwrap()
        .unwrap()
        .alert
        .unwrap();

    let all = store.list_alerts(None).await.unwrap();
    assert_eq!(all, [a.clone(), b.clone(), c.clone(), d.clone()]);
    assert_eq!(
        store.list_alerts(Some(AlertStatus::Active)).await.unwrap(),
        [a, d]
    );
    assert_eq!(store.list_alerts(Some(AlertStatus::Deleted)).await.unwrap(), [b]);
    assert_eq!(
        store.list_alerts(Some(AlertStatus::Triggered)).await.unwrap(),
        [c]
    );
}

/// Deleting marks the alert deleted (kept for the record); deleting it again is `NotFound`.
pub async fn delete_marks_deleted_and_a_second_delete_is_not_found(h: &dyn StoreHarness) {
    let store = h.fresh().await;
    let alert = store
        .create_alert(new_alert("SPY", AlertCondition::Above, 500.0))
        .await
        .unwrap();
    let deleted = store.delete_alert(&alert.id, at(5)).await.unwrap();
    assert_eq!(deleted.status, AlertStatus::Deleted);
    assert_eq!(deleted.deleted_at, Some(at(5)));
    assert_eq!(deleted.id, alert.id);
    assert_eq!(store.get_alert(&alert.id).await.unwrap(), deleted);
    let err = store.delete_alert(&alert.id, at(6)).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    assert_eq!(store.get_alert(&alert.id).await.unwrap(), deleted);
    // A deleted alert never fires.
    assert_eq!(
        store
            .trigger_alert(&alert.id, at(7), 600.0, pending("x"))
            .await
            .unwrap(),
        None
    );
    assert!(store.pending_notifications(10).await.unwrap().is_empty());
}

/// A trigger marks the alert triggered and puts exactly one notification carrying it in the
/// outbox; a second trigger returns `None` and adds nothing.
pub async fn trigger_fires_once_and_enqueues_one_notification(h: &dyn StoreHarness) {
    let store = h.fresh().await;
    let alert = store
        .create_alert(new_alert("SPY", AlertCondition::Below, 450.0))
        .await
        .unwrap();
    let ntf = store
        .trigger_alert(&alert.id, at(60_000), 449.5, pending("SPY below 450"))
        .await
        .unwrap()
        .expect("an active alert fires");
    assert_id(&ntf.id.0, "ntf");
    assert_eq!(ntf.kind, "alert_triggered");
    assert_eq!(ntf.title, "SPY below 450");
    assert_eq!(ntf.message, "SPY crossed 450");
    assert_eq!(ntf.created_at, at(60_000));
    assert_eq!(ntf.attempts, 0);
    let fired = ntf.alert.clone().expect("the notification carries the alert");
    assert_eq!(fired.id, alert.id);
    assert_eq!(fired.status, AlertStatus::Triggered);
    assert_eq!(fired.triggered_at, Some(at(60_000)));
    assert_eq!(fired.triggered_price, Some(449.5));
    assert_eq!(store.get_alert(&alert.id).await.unwrap(), fired);

    let again = store
        .trigger_alert(&alert.id, at(61_000), 440.0, pending("again"))
        .await
        .unwrap();
    assert_eq!(again, None);
    assert_eq!(store.get_alert(&alert.id).await.unwrap(), fired);
    assert_eq!(store.pending_notifications(10).await.unwrap(), [ntf]);
    // A triggered alert cannot be triggered back to life by deleting it either: delete works.
    let deleted = store.delete_alert(&alert.id, at(62_000)).await.unwrap();
    assert_eq!(deleted.triggered_price, Some(449.5));
}

/// On a full disk every write is `Full` and changes nothing: what was written before reads back
/// unchanged, the alert that could not fire is still active, and writes succeed once there is
/// space again.
pub async fn a_full_disk_is_full_and_leaves_earlier_records_intact(h: &dyn StoreHarness) {
    let store = h.fresh().await;
    let saved = store.save_analysis(analysis("SPY", 0, "before")).await.unwrap();
    let fired = store
        .create_alert(new_alert("SPY", AlertCondition::Below, 450.0))
        .await
        .unwrap();
    let active = store
        .create_alert(new_alert("QQQ", AlertCondition::Above, 400.0))
        .await
        .unwrap();
    let ntf = store
        .trigger_alert(&fired.id, at(1_000), 449.5, pending("SPY below 450"))
        .await
        .unwrap()
        .unwrap();
    let before = (
        store.list_analyses(None, 10).await.unwrap(),
        store.list_alerts(None).await.unwrap(),
        store.pending_notifications(10).await.unwrap(),
    );

    h.set_full(true);
    let mut big = analysis("SPY", 2_000, "during");
    // Large enough that a store on pages needs new ones, not only a header update.
    big.result = json!({ "padding": "x".repeat(20_000) });
    assert_eq!(store.save_analysis(big).await.unwrap_err(), StoreError::Full);
    assert_eq!(
        store
            .create_alert(new_alert("AAPL", AlertCondition::Above, 1.0))
            .await
            .unwrap_err(),
        StoreError::Full
    );
    assert_eq!(
        store
            .trigger_alert(&active.id, at(3_000), 401.0, pending("QQQ above 400"))
            .await
            .unwrap_err(),
        StoreError::Full
    );

    h.set_full(false);
    let after = (
        store.list_analyses(None, 10).await.unwrap(),
        store.list_alerts(None).await.unwrap(),
        store.pending_notifications(10).await.unwrap(),
    );
    assert_eq!(after, before, "earlier records are intact");
    assert_eq!(store.get_analysis(&saved.id).await.unwrap(), saved);
    assert_eq!(after.2, [ntf]);
    let late = store
        .trigger_alert(&active.id, at(4_000), 401.0, pending("QQQ above 400"))
        .await
        .unwrap()
        .expect("the alert that could not fire is still active");
    assert!(late.id.0 > after.2[0].id.0, "{} after {}", late.id, after.2[0].id);
    store
        .save_analysis(analysis("SPY", 5_000, "after"))
        .await
        .unwrap();
}

/// Triggers racing on one alert fire it exactly once.
pub async fn racing_triggers_fire_once(h: &dyn StoreHarness) {
    let store = h.fresh().await;
    let alert = store
        .create_alert(new_alert("SPY", AlertCondition::Above, 500.0))
        .await
        .unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let store = Arc::clone(&store);
            let id = alert.id.clone();
            tokio::spawn(async move {
                store
                    .trigger_alert(&id, at(i), 500.0 + i as f64, pending("race"))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut fired = 0;
    for task in tasks {
        if task.await.unwrap().is_some() {
            fired += 1;
        }
    }
    assert_eq!(fired, 1);
    assert_eq!(store.pending_notifications(10).await.unwrap().len(), 1);
}

async fn fire(store: &Arc<dyn StorePort>, n: usize) -> Vec<Notification> {
    let mut out = Vec::new();
    for i in 0..n {
        let alert = store
            .create_alert(new_alert("SPY", AlertCondition::Above, 100.0 + i as f64))
            .await
            .unwrap();
        let ntf = store
            .trigger_alert(&alert.id, at(i as i64), 200.0, pending(&format!("n{i}")))
            .await
            .unwrap()
            .unwrap();
        out.push(ntf);
    }
    out
}

/// Pending notifications are oldest first, at most `limit`.
pub async fn pending_notifications_are_oldest_first_and_limited(h: &dyn StoreHarness) {
    let store = h.fresh().await;
    assert!(store.pending_notifications(10).await.unwrap().is_empty());
    let sent = fire(&store, 4).await;
    assert_eq!(store.pending_notifications(10).await.unwrap(), sent);
    assert_eq!(store.pending_notifications(2).await.unwrap(), sent[..2]);
    assert!(store.pending_notifications(0).await.unwrap().is_empty());
}

/// Each recorded delivery attempt counts one more; recording for a notification that is gone is
/// not an error.
pub async fn record_delivery_attempt_counts_attempts(h: &dyn StoreHarness) {
    let store = h.fresh().await;
    let sent = fire(&store, 2).await;
    let first = &sent[0].id;
    store.record_delivery_attempt(first).await.unwrap();
    store.record_delivery_attempt(first).await.unwrap();
    let pending = store.pending_notifications(10).await.unwrap();
    assert_eq!(pending[0].attempts, 2);
    assert_eq!(pending[1].attempts, 0);
    assert_eq!(pending[0].title, sent[0].title);
    store
        .record_delivery_attempt(&NotificationId("ntf_999999999999".to_owned()))
        .await
        .unwrap();
    assert_eq!(store.pending_notifications(10).await.unwrap(), pending);
}

/// Removing a notification takes it out of the outbox; removing it again (or one that never
/// existed) is not an error.
pub async fn remove_notification_removes_and_is_idempotent(h: &dyn StoreHarness) {
    let store = h.fresh().await;
    let sent = fire(&store, 3).await;
    store.remove_notification(&sent[1].id).await.unwrap();
    assert_eq!(
        store.pending_notifications(10).await.unwrap(),
        [sent[0].clone(), sent[2].clone()]
    );
    store.remove_notification(&sent[1].id).await.unwrap();
    store
        .remove_notification(&NotificationId("ntf_999999999999".to_owned()))
        .await
        .unwrap();
    assert_eq!(store.pending_notifications(10).await.unwrap().len(), 2);
}

/// Ids are unique and increase with creation, per kind (`anl_`, `alrt_`, `ntf_` and 12
/// digits).
pub async fn ids_are_unique_and_increasing(h: &dyn StoreHarness) {
    let store = h.fresh().await;
    let mut analyses = Vec::new();
    let mut alerts = Vec::new();
    for i in 0..5 {
        analyses.push(store.save_analysis(analysis("SPY", -i, "x")).await.unwrap().id.0);
        alerts.push(
            store
                .create_alert(new_alert("SPY", AlertCondition::Above, 1.0))
                .await
                .unwrap()
                .id
                .0,
        );
    }
    let notifications: Vec<String> = fire(&store, 5).await.into_iter().map(|n| n.id.0).collect();
    alerts.extend(
        store
            .list_alerts(None)
            .await
            .unwrap()
            .into_iter()
            .skip(5)
            .map(|a| a.id.0),
    );
    for (list, prefix) in [(&analyses, "anl"), (&alerts, "alrt"), (&notifications, "ntf")] {
        for id in list.iter() {
            assert_id(id, prefix);
        }
        assert!(list.windows(2).all(|w| w[0] < w[1]), "{prefix}: {list:?}");
    }
}

/// Ids keep increasing after the store is closed and reopened: no id is ever reused.
pub async fn ids_stay_unique_and_increasing_across_reopen(h: &dyn StoreHarness) {
    let store = h.fresh().await;
    let anl = store.save_analysis(analysis("SPY", 0, "x")).await.unwrap().id;
    let alrt = store
        .create_alert(new_alert("SPY", AlertCondition::Above, 1.0))
        .await
        .unwrap();
    let ntf = store
        .trigger_alert(&alrt.id, at(1), 2.0, pending("x"))
        .await
        .unwrap()
        .unwrap();
    // The outbox is emptied, so only the counter can prevent reuse.
    store.remove_notification(&ntf.id).await.unwrap();
    let store = h.reopen(store).await;
    let anl2 = store.save_analysis(analysis("SPY", 0, "y")).await.unwrap().id;
    let alrt2 = store
        .create_alert(new_alert("SPY", AlertCondition::Above, 1.0))
        .await
        .unwrap();
    let ntf2 = store
        .trigger_alert(&alrt2.id, at(2), 2.0, pending("y"))
        .await
        .unwrap()
        .unwrap();
    assert!(anl2.0 > anl.0, "{anl2} after {anl}");
    assert!(alrt2.id.0 > alrt.id.0, "{} after {}", alrt2.id, alrt.id);
    assert!(ntf2.id.0 > ntf.id.0, "{} after {}", ntf2.id, ntf.id);
}

/// Everything written before close is there after reopen: analyses with their order, alerts
/// with their states, the outbox with its attempts.
pub async fn everything_written_before_close_is_there_after_reopen(h: &dyn StoreHarness) {
    let store = h.fresh().await;
    for (symbol, t) in [("SPY", 3), ("AAPL", 1), ("SPY", 2)] {
        store.save_analysis(analysis(symbol, t, symbol)).await.unwrap();
    }
    let sent = fire(&store, 2).await;
    store.record_delivery_attempt(&sent[1].id).await.unwrap();
    let spare = store
        .create_alert(new_alert("QQQ", AlertCondition::Below, 0.5))
        .await
        .unwrap();
    store.delete_alert(&spare.id, at(9)).await.unwrap();
    store
        .create_alert(new_alert("IWM", AlertCondition::Above, 250.0))
        .await
        .unwrap();

    let analyses = store.list_analyses(None, 100).await.unwrap();
    let spy = store.list_analyses(Some(&sym("SPY")), 100).await.unwrap();
    let symbols = store.analysed_symbols().await.unwrap();
    let alerts = store.list_alerts(None).await.unwrap();
    let outbox = store.pending_notifications(100).await.unwrap();

    let store = h.reopen(store).await;
    assert_eq!(store.list_analyses(None, 100).await.unwrap(), analyses);
    assert_eq!(store.list_analyses(Some(&sym("SPY")), 100).await.unwrap(), spy);
    assert_eq!(store.analysed_symbols().await.unwrap(), symbols);
    assert_eq!(store.list_alerts(None).await.unwrap(), alerts);
    assert_eq!(store.pending_notifications(100).await.unwrap(), outbox);
    assert_eq!(outbox[1].attempts, 1);
    for a in &analyses {
        assert_eq!(&store.get_analysis(&a.id).await.unwrap(), a);
    }
    for a in &alerts {
        assert_eq!(&store.get_alert(&a.id).await.unwrap(), a);
    }
}

fn audit(action: &str, outcome: &str, offset_ms: i64) -> NewAuditEntry {
    NewAuditEntry {
        at: at(offset_ms),
        action: action.to_owned(),
        outcome: outcome.to_owned(),
        account: "5WT•••01".to_owned(),
        paper: offset_ms % 2 == 0,
        order_hash: Some("9f2c".repeat(16)),
        order: Some("SELL 1 SPY 2026-12-24 540 PUT to open @ 6.30 LMT credit, day".to_owned()),
        order_id: (outcome == "placed").then(|| "123456".to_owned()),
        detail: json!({"fees": 1.13, "checks": [{"code": "naked_call"}], "none": null, "price": 0.1 + 0.2}),
    }
}

/// Audit entries get `aud_` ids in the order written, read back field for field, and list newest
/// first within the limit.
pub async fn audit_entries_round_trip_newest_first(h: &dyn StoreHarness) {
    let store = h.fresh().await;
    assert!(store.audit_log(10).await.unwrap().is_empty());
    let mut written = Vec::new();
    for (i, (action, outcome)) in [
        ("preview", "previewed"),
        ("confirmation", "accepted"),
        ("place", "placed"),
        ("cancel", "refused"),
    ]
    .into_iter()
    .enumerate()
    {
        let want = audit(action, outcome, i as i64);
        let entry = store.append_audit(want.clone()).await.unwrap();
        assert_id(&entry.id.0, "aud");
        assert_eq!(
            (
                entry.at,
                &entry.action,
                &entry.outcome,
                &entry.account,
                entry.paper
            ),
            (want.at, &want.action, &want.outcome, &want.account, want.paper)
        );
        assert_eq!(
            (&entry.order_hash, &entry.order, &entry.order_id, &entry.detail),
            (&want.order_hash, &want.order, &want.order_id, &want.detail)
        );
        written.push(entry);
    }
    assert!(written.windows(2).all(|w| w[0].id < w[1].id));
    let newest: Vec<_> = written.iter().rev().cloned().collect();
    assert_eq!(store.audit_log(10).await.unwrap(), newest);
    assert_eq!(store.audit_log(2).await.unwrap(), newest[..2].to_vec());
}

fn paper_book(account: &str, cash: f64) -> PaperBook {
    let symbol = Symbol::parse("SPY   261224P00540000").unwrap();
    let mut book = PaperBook::new(AccountNumber::new(account), at(0));
    book.next_order = 3;
    book.cash = cash;
    book.fees = 1.13;
    book.orders.push(Order {
        id: Some("paper-2".to_owned()),
        account: AccountNumber::new(account),
        underlying: Symbol::parse("SPY").unwrap(),
        status: OrderStatus::Filled,
        time_in_force: TimeInForce::Day,
        order_type: "Limit".to_owned(),
        price: Some(6.3),
        price_effect: Some(PriceEffect::Credit),
        size: Some(1.0),
        legs: vec![OrderLegState {
            instrument_type: InstrumentType::EquityOption,
            symbol: symbol.clone(),
            action: TradeAction::SellToOpen,
            quantity: 1.0,
            remaining_quantity: 0.0,
            fills: Vec::new(),
        }],
        received_at: Some(at(1)),
        updated_at: Some(at(2)),
        terminal_at: Some(at(2)),
        cancellable: false,
        reject_reason: None,
        external_identifier: Some("ttai-9f2c9f2c".to_owned()),
    });
    book.positions.push(Position {
        account: AccountNumber::new(account),
        symbol,
        instrument_type: InstrumentType::EquityOption,
        underlying: Symbol::parse("SPY").unwrap(),
        quantity: -1.0,
        average_open_price: 6.3,
        close_price: None,
        mark: None,
        multiplier: 100.0,
        option_type: Some(ttai_core::domain::OptionType::Put),
        strike: Some(540.0),
        expiration: Some("2026-12-24".parse().unwrap()),
        opened_at: Some(at(2)),
    });
    book.events.push(PaperEvent {
        at: at(2),
        kind: "filled".to_owned(),
        order_id: Some("paper-2".to_owned()),
        symbol: Some("SPY   261224P00540000".to_owned()),
        quantity: -1.0,
        price: Some(6.3),
        cash: 628.87,
        description: "sold 1 at 6.30".to_owned(),
    });
    book
}

/// A paper book is absent until saved, reads back equal, is replaced by the next save, and
/// belongs to its account only.
pub async fn paper_books_round_trip_per_account(h: &dyn StoreHarness) {
    let store = h.fresh().await;
    let account = AccountNumber::new("5WT00001");
    assert_eq!(store.paper_book(&account).await.unwrap(), None);
    let first = paper_book("5WT00001", 628.87);
    store.save_paper_book(&first).await.unwrap();
    assert_eq!(store.paper_book(&account).await.unwrap(), Some(first));
    let second = paper_book("5WT00001", -0.1 - 0.2);
    store.save_paper_book(&second).await.unwrap();
    assert_eq!(store.paper_book(&account).await.unwrap(), Some(second.clone()));
    let other = paper_book("5WT00002", 1.0);
    store.save_paper_book(&other).await.unwrap();
    assert_eq!(store.paper_book(&account).await.unwrap(), Some(second));
    assert_eq!(
        store.paper_book(&AccountNumber::new("5WT00002")).await.unwrap(),
        Some(other)
    );
}

/// The audit log and paper books are there after the store is closed and reopened, and audit
/// ids keep increasing.
pub async fn audit_and_paper_books_survive_reopen(h: &dyn StoreHarness) {
    let store = h.fresh().await;
    let first = store.append_audit(audit("place", "placed", 1)).await.unwrap();
    let book = paper_book("5WT00001", 628.87);
    store.save_paper_book(&book).await.unwrap();
    let log = store.audit_log(10).await.unwrap();
    let store = h.reopen(store).await;
    assert_eq!(store.audit_log(10).await.unwrap(), log);
    assert_eq!(
        store.paper_book(&AccountNumber::new("5WT00001")).await.unwrap(),
        Some(book)
    );
    let second = store.append_audit(audit("cancel", "placed", 2)).await.unwrap();
    assert!(second.id > first.id, "{} after {}", second.id, first.id);
}

// ----------------------------------------------------------------------------------------------
// Model check.

/// The symbols the model check draws from.
const SYMBOLS: [&str; 3] = ["SPY", "AAPL", "BRK/B"];

/// One store operation; ids are picked among those issued so far, or unknown.
#[derive(Clone, Debug)]
enum Op {
    SaveAnalysis {
        symbol: usize,
        t: i64,
        score: f64,
    },
    GetAnalysis(Pick),
    ListAnalyses {
        symbol: Option<usize>,
        limit: usize,
    },
    AnalysedSymbols,
    CreateAlert {
        symbol: usize,
        above: bool,
        threshold: f64,
    },
    GetAlert(Pick),
    ListAlerts(Option<u8>),
    DeleteAlert(Pick, i64),
    TriggerAlert(Pick, i64, f64),
    Pending(usize),
    RecordAttempt(Pick),
    RemoveNotification(Pick),
    Reopen,
}

/// An issued id (by index, modulo how many there are) or one that was never issued.
#[derive(Clone, Debug)]
enum Pick {
    Issued(prop::sample::Index),
    Unknown,
}

fn pick() -> impl Strategy<Value = Pick> {
    prop_oneof![
        5 => any::<prop::sample::Index>().prop_map(Pick::Issued),
        1 => Just(Pick::Unknown),
    ]
}

fn price() -> impl Strategy<Value = f64> {
    prop_oneof![
        (1u32..1_000).prop_map(f64::from),
        0.01f64..10_000.0,
        Just(0.1 + 0.2),
    ]
}

fn op(reopen: bool) -> BoxedStrategy<Op> {
    let ops = prop_oneof![
        3 => (0..SYMBOLS.len(), -3i64..3, price())
            .prop_map(|(symbol, t, score)| Op::SaveAnalysis { symbol, t, score }),
        1 => pick().prop_map(Op::GetAnalysis),
        2 => (prop::option::of(0..SYMBOLS.len()), 0usize..6)
            .prop_map(|(symbol, limit)| Op::ListAnalyses { symbol, limit }),
        1 => Just(Op::AnalysedSymbols),
        3 => (0..SYMBOLS.len(), any::<bool>(), price())
            .prop_map(|(symbol, above, threshold)| Op::CreateAlert { symbol, above, threshold }),
        1 => pick().prop_map(Op::GetAlert),
        1 => prop::option::of(0u8..3).prop_map(Op::ListAlerts),
        2 => (pick(), 0i64..100).prop_map(|(p, t)| Op::DeleteAlert(p, t)),
        3 => (pick(), 0i64..100, price()).prop_map(|(p, t, x)| Op::TriggerAlert(p, t, x)),
        2 => (0usize..6).prop_map(Op::Pending),
        2 => pick().prop_map(Op::RecordAttempt),
        2 => pick().prop_map(Op::RemoveNotification),
    ]
    .boxed();
    if reopen {
        prop_oneof![24 => ops, 1 => Just(Op::Reopen)].boxed()
    } else {
        ops
    }
}

/// The store contract as plain maps: the simplest thing that could be right.
#[derive(Default)]
struct Model {
    counters: [u64; 3],
    analyses: BTreeMap<String, AnalysisRecord>,
    alerts: BTreeMap<String, Alert>,
    outbox: BTreeMap<String, Notification>,
    /// Every id issued, per kind, to pick from.
    issued: [Vec<String>; 3],
}

const ANL: usize = 0;
const ALRT: usize = 1;
const NTF: usize = 2;

impl Model {
    fn next_id(&mut self, kind: usize) -> String {
        let prefix = ["anl", "alrt", "ntf"][kind];
        self.counters[kind] += 1;
        let id = format!("{prefix}_{:012}", self.counters[kind]);
        self.issued[kind].push(id.clone());
        id
    }

    fn pick(&self, kind: usize, pick: &Pick) -> String {
        match pick {
            Pick::Issued(index) if !self.issued[kind].is_empty() => index.get(&self.issued[kind]).clone(),
            _ => format!("{}_999999999999", ["anl", "alrt", "ntf"][kind]),
        }
    }
}

fn status(n: u8) -> AlertStatus {
    [AlertStatus::Active, AlertStatus::Triggered, AlertStatus::Deleted][usize::from(n % 3)]
}

fn not_found(what: &str, id: &str) -> StoreError {
    StoreError::NotFound(format!("{what} {id}"))
}

/// Applies `op` to the model and to the store and fails the case when they answer differently.
async fn step(
    h: &dyn StoreHarness,
    store: &mut Option<Arc<dyn StorePort>>,
    model: &mut Model,
    op: &Op,
) -> Result<(), TestCaseError> {
    let s = Arc::clone(store.as_ref().unwrap());
    match op {
        Op::SaveAnalysis { symbol, t, score } => {
            let mut new = analysis(SYMBOLS[*symbol], *t, "model");
            new.result = json!({ "score": score });
            let id = model.next_id(ANL);
            let want = AnalysisRecord {
                id: AnalysisId(id.clone()),
                symbol: new.symbol.clone(),
                kind: new.kind.clone(),
                strategy: new.strategy.clone(),
                created_at: new.created_at,
                source: new.source.clone(),
                summary: new.summary.clone(),
                result: new.result.clone(),
            };
            model.analyses.insert(id, want.clone());
            prop_assert_eq!(s.save_analysis(new).await, Ok(want));
        }
        Op::GetAnalysis(p) => {
            let id = model.pick(ANL, p);
            let want = model
                .analyses
                .get(&id)
                .cloned()
                .ok_or_else(|| not_found("analysis", &id));
            prop_assert_eq!(s.get_analysis(&AnalysisId(id)).await, want);
        }
        Op::ListAnalyses { symbol, limit } => {
            let symbol = symbol.map(|i| sym(SYMBOLS[i]));
            let mut want: Vec<AnalysisRecord> = model
                .analyses
                .values()
                .filter(|a| symbol.as_ref().is_none_or(|s| &a.symbol == s))
                .cloned()
                .collect();
            want.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
            want.truncate(*limit);
            prop_assert_eq!(s.list_analyses(symbol.as_ref(), *limit).await, Ok(want));
        }
        Op::AnalysedSymbols => {
            let want: std::collections::BTreeSet<Symbol> =
                model.analyses.values().map(|a| a.symbol.clone()).collect();
            prop_assert_eq!(s.analysed_symbols().await, Ok(want.into_iter().collect()));
        }
        Op::CreateAlert {
            symbol,
            above,
            threshold,
        } => {
            let condition = if *above {
                AlertCondition::Above
            } else {
                AlertCondition::Below
            };
            let new = NewAlert {
                symbol: sym(SYMBOLS[*symbol]),
                condition,
                threshold: *threshold,
                note: None,
                created_at: at(0),
            };
            let id = model.next_id(ALRT);
            let want = Alert {
                id: AlertId(id.clone()),
                symbol: new.symbol.clone(),
                condition,
                threshold: *threshold,
                note: None,
                status: AlertStatus::Active,
                created_at: new.created_at,
                triggered_at: None,
                triggered_price: None,
                deleted_at: None,
            };
            model.alerts.insert(id, want.clone());
            prop_assert_eq!(s.create_alert(new).await, Ok(want));
        }
        Op::GetAlert(p) => {
            let id = model.pick(ALRT, p);
            let want = model
                .alerts
                .get(&id)
                .cloned()
                .ok_or_else(|| not_found("alert", &id));
            prop_assert_eq!(s.get_alert(&AlertId(id)).await, want);
        }
        Op::ListAlerts(filter) => {
            let filter = filter.map(status);
            let want: Vec<Alert> = model
                .alerts
                .values()
                .filter(|a| filter.is_none_or(|f| a.status == f))
                .cloned()
                .collect();
            prop_assert_eq!(s.list_alerts(filter).await, Ok(want));
        }
        Op::DeleteAlert(p, t) => {
            let id = model.pick(ALRT, p);
            let want = match model.alerts.get_mut(&id) {
                Some(a) if a.status != AlertStatus::Deleted => {
                    a.status = AlertStatus::Deleted;
                    a.deleted_at = Some(at(*t));
                    Ok(a.clone())
                }
                _ => Err(not_found("alert", &id)),
            };
            prop_assert_eq!(s.delete_alert(&AlertId(id), at(*t)).await, want);
        }
        Op::TriggerAlert(p, t, x) => {
            let id = model.pick(ALRT, p);
            let want = match model.alerts.get(&id).map(|a| a.status) {
                None => Err(not_found("alert", &id)),
                Some(AlertStatus::Active) => {
                    let mut alert = model.alerts.get(&id).unwrap().clone();
                    alert.status = AlertStatus::Triggered;
                    alert.triggered_at = Some(at(*t));
                    alert.triggered_price = Some(*x);
                    model.alerts.insert(id.clone(), alert.clone());
                    let ntf_id = model.next_id(NTF);
                    let p = pending("model");
                    let ntf = Notification {
                        id: NotificationId(ntf_id.clone()),
                        kind: p.kind,
                        title: p.title,
                        message: p.message,
                        alert: Some(alert),
                        created_at: at(*t),
                        attempts: 0,
                    };
                    model.outbox.insert(ntf_id, ntf.clone());
                    Ok(Some(ntf))
                }
                Some(_) => Ok(None),
            };
            prop_assert_eq!(
                s.trigger_alert(&AlertId(id), at(*t), *x, pending("model")).await,
                want
            );
        }
        Op::Pending(limit) => {
            let want: Vec<Notification> = model.outbox.values().take(*limit).cloned().collect();
            prop_assert_eq!(s.pending_notifications(*limit).await, Ok(want));
        }
        Op::RecordAttempt(p) => {
            let id = model.pick(NTF, p);
            if let Some(n) = model.outbox.get_mut(&id) {
                n.attempts += 1;
            }
            prop_assert_eq!(s.record_delivery_attempt(&NotificationId(id)).await, Ok(()));
        }
        Op::RemoveNotification(p) => {
            let id = model.pick(NTF, p);
            model.outbox.remove(&id);
            prop_assert_eq!(s.remove_notification(&NotificationId(id)).await, Ok(()));
        }
        Op::Reopen => {
            drop(s);
            let old = store.take().unwrap();
            *store = Some(h.reopen(old).await);
        }
    }
    Ok(())
}

fn model_check(h: &dyn StoreHarness, reopen: bool) {
    // Every write of a durable store is synced to disk, so cases are kept few and short.
    let mut runner = TestRunner::new(Config::with_cases(48));
    let ops = prop::collection::vec(op(reopen), 1..40);
    let result = runner.run(&ops, |ops| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let mut store = Some(h.fresh().await);
            let mut model = Model::default();
            for op in &ops {
                step(h, &mut store, &mut model, op).await?;
            }
            Ok(())
        })
    });
    if let Err(e) = result {
        panic!("the store disagrees with the model: {e}");
    }
}

/// Random sequences of operations give the same answers from the store as from the model.
pub fn operations_match_the_model(h: &dyn StoreHarness) {
    model_check(h, false);
}

/// The same, with the store closed and reopened at random points.
pub fn operations_match_the_model_across_reopens(h: &dyn StoreHarness) {
    model_check(h, true);
}

/// Expands every store check into a test against `$harness`; `durable` adds the checks that
/// close and reopen the store, `full` the check of a full disk.
#[macro_export]
macro_rules! store_contract {
    ($harness:expr) => {
        $crate::store_contract!(@checks $harness;
            saved_analysis_round_trips,
            analyses_list_newest_first_and_honour_the_limit,
            analysed_symbols_are_sorted_and_unique,
            get_unknown_analysis_is_not_found,
            created_alert_is_active_and_round_trips,
            unknown_alert_is_not_found,
            alerts_list_oldest_first_by_status,
            delete_marks_deleted_and_a_second_delete_is_not_found,
            trigger_fires_once_and_enqueues_one_notification,
            racing_triggers_fire_once,
            pending_notifications_are_oldest_first_and_limited,
            record_delivery_attempt_counts_attempts,
            remove_notification_removes_and_is_idempotent,
            ids_are_unique_and_increasing,
            audit_entries_round_trip_newest_first,
            paper_books_round_trip_per_account,
        );
        $crate::store_contract!(@sync $harness; operations_match_the_model);
    };
    ($harness:expr, durable) => {
        $crate::store_contract!($harness);
        $crate::store_contract!(@checks $harness;
            ids_stay_unique_and_increasing_across_reopen,
            everything_written_before_close_is_there_after_reopen,
            audit_and_paper_books_survive_reopen,
        );
        $crate::store_contract!(@sync $harness; operations_match_the_model_across_reopens);
    };
    ($harness:expr, full) => {
        $crate::store_contract!($harness);
        $crate::store_contract!(@checks $harness;
            a_full_disk_is_full_and_leaves_earlier_records_intact,
        );
    };
    (@checks $harness:expr; $($check:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $check() {
                let harness = $harness;
                $crate::store::$check(&harness).await;
            }
        )*
    };
    (@sync $harness:expr; $($check:ident),* $(,)?) => {
        $(
            #[test]
            fn $check() {
                let harness = $harness;
                $crate::store::$check(&harness);
            }
        )*
    };
}
