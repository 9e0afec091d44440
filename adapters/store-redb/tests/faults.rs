//! Failure modes of the redb store: a full disk, a file held by another store, damaged or
//! foreign records.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;

use contract_tests::full_disk::FillableDisk;
use redb::{Database, ReadableDatabase, TableDefinition};
use serde_json::json;
use store_redb::RedbStore;
use ttai_core::domain::{AlertCondition, AlertId, AlertStatus, Symbol};
use ttai_core::error::{AppError, ErrorCode};
use ttai_core::ports::{NewAlert, NewAnalysis, PendingNotification, StoreError, StorePort};
use ttai_core::time::Timestamp;

fn sym(s: &str) -> Symbol {
    Symbol::parse(s).unwrap()
}

fn analysis(summary: &str) -> NewAnalysis {
    NewAnalysis {
        symbol: sym("SPY"),
        kind: "full_analysis".to_owned(),
        strategy: None,
        created_at: Timestamp::from_millis(1_745_962_405_000),
        source: "replay:demo".to_owned(),
        summary: summary.to_owned(),
        // Large enough that the write needs new pages, not only a header update.
        result: json!({ "padding": "x".repeat(20_000) }),
    }
}

fn alert() -> NewAlert {
    NewAlert {
        symbol: sym("SPY"),
        condition: AlertCondition::Below,
        threshold: 450.0,
        note: None,
        created_at: Timestamp::from_millis(1_745_962_405_000),
    }
}

fn pending() -> PendingNotification {
    PendingNotification {
        kind: "alert_triggered".to_owned(),
        title: "SPY below 450".to_owned(),
        message: "SPY traded at 449.50".to_owned(),
    }
}

/// What a store holds, read back through the port.
#[derive(Debug, PartialEq)]
struct Snapshot {
    analyses: Vec<ttai_core::domain::AnalysisRecord>,
    alerts: Vec<ttai_core::domain::Alert>,
    outbox: Vec<ttai_core::domain::Notification>,
}

async fn snapshot(store: &dyn StorePort) -> Snapshot {
    Snapshot {
        analyses: store.list_analyses(None, 100).await.unwrap(),
        alerts: store.list_alerts(None).await.unwrap(),
        outbox: store.pending_notifications(100).await.unwrap(),
    }
}

/// Saves an analysis, an alert and a fired alert's notification.
async fn seed(store: &dyn StorePort) -> Snapshot {
    store.save_analysis(analysis("before")).await.unwrap();
    let fired = store.create_alert(alert()).await.unwrap();
    store.create_alert(alert()).await.unwrap();
    store
        .trigger_alert(
            &fired.id,
            Timestamp::from_millis(1_745_962_465_000),
            449.5,
            pending(),
        )
        .await
        .unwrap()
        .unwrap();
    snapshot(store).await
}

/// Every kind of write on a full disk is refused with `Full`, which the core reports as a
/// DATABASE_ERROR saying nothing was saved.
async fn every_write_is_refused_as_full(store: &dyn StorePort, alert_id: &AlertId) {
    let err = store.save_analysis(analysis("during")).await.unwrap_err();
    assert_eq!(err, StoreError::Full);
    let app = AppError::from(err);
    assert_eq!(app.code, ErrorCode::DatabaseError);
    assert!(app.message.contains("nothing was saved"), "{}", app.message);
    assert!(app.message.contains("intact"), "{}", app.message);
    assert_eq!(store.create_alert(alert()).await.unwrap_err(), StoreError::Full);
    assert_eq!(
        store
            .trigger_alert(alert_id, Timestamp::from_millis(0), 1.0, pending())
            .await
            .unwrap_err(),
        StoreError::Full
    );
}

#[tokio::test]
async fn a_full_disk_refuses_writes_and_the_store_recovers_in_place_when_space_returns() {
    let disk = FillableDisk::default();
    let factory_disk = disk.clone();
    let store = RedbStore::open_with_backend_factory(move || factory_disk.clone()).unwrap();
    let before = seed(&store).await;
    let active = before.alerts[1].id.clone();
    assert_eq!(before.alerts[1].status, AlertStatus::Active);

    disk.set_full(true);
    every_write_is_refused_as_full(&store, &active).await;
    assert!(disk.refused() > 0);

    disk.set_full(false);
    assert_eq!(snapshot(&store).await, before, "earlier data is intact");
    for a in &before.analyses {
        assert_eq!(&store.get_analysis(&a.id).await.unwrap(), a);
    }
    // The refused writes left no trace: the alert is still active and fires now, and ids
    // continue where the committed ones stopped.
    let ntf = store
        .trigger_alert(&active, Timestamp::from_millis(1), 449.0, pending())
        .await
        .unwrap()
        .expect("the alert is still active");
    assert_eq!(ntf.id.0, "ntf_000000000002");
    let saved = store.save_analysis(analysis("after")).await.unwrap();
    assert_eq!(saved.id.0, "anl_000000000002");
}

#[tokio::test]
async fn after_a_full_disk_reopening_over_the_same_bytes_finds_earlier_data_intact() {
    let disk = FillableDisk::default();
    let store = RedbStore::open_with_backend(disk.clone()).unwrap();
    let before = seed(&store).await;
    let active = before.alerts[1].id.clone();

    disk.set_full(true);
    let err = store.save_analysis(analysis("during")).await.unwrap_err();
    assert_eq!(err, StoreError::Full);
    // redb stops a handle after an i/o error, and a store over a backend given by value cannot
    // open it again: later calls fail until the store is reopened, but never pretend success.
    disk.set_full(false);
    assert!(matches!(
        store.create_alert(alert()).await,
        Err(StoreError::Unavailable(_))
    ));
    assert!(matches!(
        store
            .trigger_alert(&active, Timestamp::from_millis(0), 1.0, pending())
            .await,
        Err(StoreError::Unavailable(_))
    ));
    drop(store);

    let store = RedbStore::open_with_backend(disk.clone()).unwrap();
    assert_eq!(snapshot(&store).await, before);
    let saved = store.save_analysis(analysis("after")).await.unwrap();
    assert_eq!(saved.id.0, "anl_000000000002");
}

#[tokio::test]
async fn opening_on_a_full_disk_is_full() {
    let disk = FillableDisk::default();
    disk.set_full(true);
    let err = RedbStore::open_with_backend(disk.clone()).unwrap_err();
    assert_eq!(err, StoreError::Full);
}

#[test]
fn a_second_open_of_the_same_file_is_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ttai.db");
    let first = RedbStore::open(&path).unwrap();
    let err = RedbStore::open(&path).unwrap_err();
    assert_eq!(
        err,
        StoreError::InUse(format!("database is in use by another ttai ({})", path.display()))
    );
    assert_eq!(AppError::from(err).code, ErrorCode::DatabaseError);
    drop(first);
    RedbStore::open(&path).unwrap();
}

#[test]
fn a_missing_folder_is_unavailable_and_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing").join("ttai.db");
    let err = RedbStore::open(&path).unwrap_err();
    let StoreError::Unavailable(message) = err else {
        panic!("{err:?}")
    };
    assert!(message.contains(&path.display().to_string()), "{message}");
}

#[test]
fn a_file_that_is_not_a_database_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ttai.db");
    std::fs::write(&path, "these are somebody's notes, not a database\n".repeat(200)).unwrap();
    let err = RedbStore::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
}

const ALERTS: TableDefinition<&str, &[u8]> = TableDefinition::new("alerts");
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

/// Edits the file behind the store's back, as a later ttai version might have.
fn edit(path: &Path, f: impl FnOnce(&redb::WriteTransaction)) {
    let db = Database::create(path).unwrap();
    let tx = db.begin_write().unwrap();
    f(&tx);
    tx.commit().unwrap();
}

#[tokio::test]
async fn a_record_in_an_unknown_format_version_is_corrupt_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ttai.db");
    let store = RedbStore::open(&path).unwrap();
    let a = store.create_alert(alert()).await.unwrap();
    drop(store);
    edit(&path, |tx| {
        let body = br#"{"v":7,"id":"alrt_000000000001","shape":"from the future"}"#;
        tx.open_table(ALERTS)
            .unwrap()
            .insert(a.id.0.as_str(), body.as_slice())
            .unwrap();
    });
    let store = RedbStore::open(&path).unwrap();
    let err = store.get_alert(&a.id).await.unwrap_err();
    let StoreError::Corrupt(message) = &err else {
        panic!("{err:?}")
    };
    assert!(message.contains("v7"), "{message}");
    assert!(message.contains(&a.id.0), "{message}");
    assert!(matches!(
        store.list_alerts(None).await,
        Err(StoreError::Corrupt(_))
    ));
    // Other data is still served.
    assert!(store.list_analyses(None, 10).await.unwrap().is_empty());
}

#[test]
fn a_database_from_a_newer_schema_is_refused_as_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ttai.db");
    drop(RedbStore::open(&path).unwrap());
    edit(&path, |tx| {
        tx.open_table(META).unwrap().insert("schema", 2).unwrap();
    });
    let err = RedbStore::open(&path).unwrap_err();
    let StoreError::Corrupt(message) = &err else {
        panic!("{err:?}")
    };
    assert!(message.contains("schema v2"), "{message}");
}

#[test]
fn records_are_stored_as_versioned_json() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ttai.db");
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let id = runtime.block_on(async {
        let store = RedbStore::open(&path).unwrap();
        store.create_alert(alert()).await.unwrap().id
    });
    let db = Database::create(&path).unwrap();
    let tx = db.begin_read().unwrap();
    let table = tx.open_table(ALERTS).unwrap();
    let bytes = table.get(id.0.as_str()).unwrap().unwrap();
    let json: serde_json::Value = serde_json::from_slice(bytes.value()).unwrap();
    assert_eq!(json["v"], 1);
    assert_eq!(json["id"], id.0);
    assert_eq!(json["status"], "active");
}
