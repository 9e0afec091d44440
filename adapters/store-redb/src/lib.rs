//! `store-redb`: the `StorePort` on [redb](https://www.redb.org), an embedded, transactional,
//! pure-Rust key-value store in a single file (`<data dir>/ttai.db`).
//!
//! It keeps saved analyses, price alerts and the notification outbox. The key decisions:
//!
//! - **One redb write transaction per port call**, committed with immediate durability, so every
//!   write is on disk when the call returns and `trigger_alert` (check active, mark triggered,
//!   enqueue the notification) is atomic: an alert fires at most once even across a crash.
//! - **Records are versioned JSON** (`{"v":1, ...}`, see `record.rs`), decoupled from the domain
//!   types, so a later layout can migrate old records; an unknown version is `Corrupt`, never a
//!   guess. Ids are `anl_`/`alrt_`/`ntf_` and a 12-digit counter kept in a counters table, so
//!   they sort in creation order and stay unique across restarts.
//! - **Indexes are tables whose key order is the answer's order**: analyses by
//!   `(symbol, newest-first time, newest-first counter)` and by `(newest-first time, …)`, so a
//!   list is a forward range scan that stops at `limit`.
//! - **redb is blocking**: every call runs in `tokio::task::spawn_blocking`.
//! - **Failures are mapped at the boundary** (`error.rs`): no space left ⇒ `Full` (the
//!   transaction is not committed, so earlier data is intact), another process holding the file
//!   ⇒ `InUse`, damage ⇒ `Corrupt`, other I/O ⇒ `Unavailable`. After an I/O failure redb refuses
//!   all further work on that handle, so the store reopens the database on the next call
//!   (when it knows how to: a path or a backend factory) and recovers by itself once the disk
//!   has room again.

mod error;
mod record;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use redb::{
    Builder, Database, DatabaseError, ReadableDatabase, ReadableTable, StorageBackend, Table,
    TableDefinition, WriteTransaction,
};
use ttai_core::domain::{
    AccountNumber, Alert, AlertId, AlertStatus, AnalysisId, AnalysisRecord, AuditEntry, AuditId,
    Notification, NotificationId, PaperBook, Symbol,
};
use ttai_core::ports::{NewAlert, NewAnalysis, NewAuditEntry, PendingNotification, StoreError, StorePort};
use ttai_core::time::Timestamp;

use crate::error::Fail;

/// The adapter's name in `StoreError::Other`.
pub(crate) const ADAPTER: &str = "redb";

/// The layout of the tables; a file with a different number was written by another version.
const SCHEMA_VERSION: u64 = 1;

/// `"schema"` → `SCHEMA_VERSION`; written once, with the other tables.
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
/// `"analysis"`, `"alert"`, `"notification"` → the last counter used for that kind of id.
const COUNTERS: TableDefinition<&str, u64> = TableDefinition::new("counters");
/// Analysis id → versioned record.
const ANALYSES: TableDefinition<&str, &[u8]> = TableDefinition::new("analyses");
/// `(symbol, newest-first time, newest-first counter)` → analysis id.
const ANALYSES_BY_SYMBOL: TableDefinition<(&str, u64, u64), &str> =
    TableDefinition::new("analyses_by_symbol");
/// `(newest-first time, newest-first counter)` → analysis id.
const ANALYSES_BY_TIME: TableDefinition<(u64, u64), &str> = TableDefinition::new("analyses_by_time");
/// Alert id → versioned record; ids sort oldest first.
const ALERTS: TableDefinition<&str, &[u8]> = TableDefinition::new("alerts");
/// Notification id → versioned record; ids sort oldest first.
const OUTBOX: TableDefinition<&str, &[u8]> = TableDefinition::new("outbox");
/// Audit entry id → versioned record; ids sort oldest first. Added after schema v1 was first
/// written: a database without it reads as an empty log, and the first append creates it.
const AUDIT: TableDefinition<&str, &[u8]> = TableDefinition::new("audit");
/// Account number → versioned paper book (created by the first save, like `AUDIT`).
const PAPER_BOOKS: TableDefinition<&str, &[u8]> = TableDefinition::new("paper_books");

/// redb's page cache; the store is small, so the 1 GiB default is far more than it needs.
const CACHE_BYTES: usize = 16 * 1024 * 1024;

/// Makes a fresh database handle over the same storage, to recover after an I/O failure.
type Opener = Box<dyn Fn() -> Result<Database, DatabaseError> + Send + Sync>;

/// A `StorePort` backed by a redb database file (or any redb `StorageBackend`).
///
/// Share it behind an `Arc`: each call runs its own redb transaction, so concurrent calls are
/// safe, and redb runs one write transaction at a time.
pub struct RedbStore {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RedbStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbStore")
            .field("label", &self.inner.label)
            .finish_non_exhaustive()
    }
}

struct Inner {
    /// The path (or a description of the backend), for messages.
    label: String,
    /// The open database. Calls share it through the read lock (redb orders its own
    /// transactions); a reopen takes the write lock, so no transaction spans the swap. `None`
    /// only while a reopen has failed; the next call tries again.
    db: RwLock<Option<Database>>,
    /// Set when a call failed with an I/O error: redb then refuses all work on that handle
    /// (`PreviousIo`) until the database is closed and opened again.
    failed: AtomicBool,
    /// How to open the storage again; `None` for a backend given by value, which cannot be.
    opener: Option<Opener>,
}

fn builder() -> Builder {
    let mut builder = Database::builder();
    // A damaged file is reported as `Corrupt` instead of risking a panic inside redb; the
    // check reads the whole file once per open, which is cheap for a store this size.
    builder
        .set_check_integrity_on_open(true)
        .set_cache_size(CACHE_BYTES);
    builder
}

impl RedbStore {
    /// Opens the database file at `path`, creating it (but not its folder) when missing.
    ///
    /// Blocking: call it off the async runtime (e.g. in `spawn_blocking`).
    ///
    /// # Errors
    /// `InUse` when another ttai holds the file; `Full` when the disk is full; `Corrupt` when
    /// the file is damaged, not a database, or from a newer ttai; `Unavailable` for other I/O
    /// failures (a missing folder, no permission).
    pub fn open(path: &Path) -> Result<RedbStore, StoreError> {
        let owned = path.to_owned();
        let opener: Opener = Box::new(move || builder().create(&owned));
        RedbStore::start(path.display().to_string(), opener)
    }

    /// Opens (or initialises) a database over `backend`, e.g. redb's `InMemoryBackend` in tests.
    ///
    /// Blocking. After an I/O failure the backend cannot be reopened, so the store answers
    /// `Unavailable` until it is dropped and opened again; use
    /// [`RedbStore::open_with_backend_factory`] to recover in place.
    ///
    /// # Errors
    /// As [`RedbStore::open`].
    pub fn open_with_backend(backend: impl StorageBackend) -> Result<RedbStore, StoreError> {
        let label = "storage backend".to_owned();
        let db = builder()
            .create_with_backend(backend)
            .map_err(|e| opening(e, &label))?;
        prepare(&db, &label).map_err(|Fail(e)| e)?;
        Ok(RedbStore::assemble(label, db, None))
    }

    /// Opens a database over the backend `make` returns, and calls `make` again to reopen the
    /// same storage after an I/O failure. Each call must return a backend over the same bytes.
    ///
    /// Blocking.
    ///
    /// # Errors
    /// As [`RedbStore::open`].
    pub fn open_with_backend_factory<B, F>(make: F) -> Result<RedbStore, StoreError>
    where
        B: StorageBackend,
        F: Fn() -> B + Send + Sync + 'static,
    {
        let opener: Opener = Box::new(move || builder().create_with_backend(make()));
        RedbStore::start("storage backend".to_owned(), opener)
    }

    fn start(label: String, opener: Opener) -> Result<RedbStore, StoreError> {
        let db = opener().map_err(|e| opening(e, &label))?;
        prepare(&db, &label).map_err(|Fail(e)| e)?;
        Ok(RedbStore::assemble(label, db, Some(opener)))
    }

    fn assemble(label: String, db: Database, opener: Option<Opener>) -> RedbStore {
        RedbStore {
            inner: Arc::new(Inner {
                label,
                db: RwLock::new(Some(db)),
                failed: AtomicBool::new(false),
                opener,
            }),
        }
    }

    /// Runs `f` on the blocking pool with the open database.
    async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Database) -> Result<T, Fail> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        match tokio::task::spawn_blocking(move || inner.with_db(f)).await {
            Ok(result) => result,
            Err(e) if e.is_panic() => Err(StoreError::Other {
                adapter: ADAPTER,
                message: "a store operation panicked; nothing was saved".to_owned(),
            }),
            Err(_) => Err(StoreError::Unavailable(
                "the store operation was cancelled".to_owned(),
            )),
        }
    }
}

/// An open error, with the path added to messages that would otherwise not say which file.
fn opening(err: DatabaseError, label: &str) -> StoreError {
    match error::database(err, label) {
        StoreError::Unavailable(message) => {
            StoreError::Unavailable(format!("cannot open {label}: {message}"))
        }
        StoreError::Corrupt(message) if !message.contains(label) => {
            StoreError::Corrupt(format!("{label}: {message}"))
        }
        other => other,
    }
}

impl Inner {
    fn with_db<T>(&self, f: impl FnOnce(&Database) -> Result<T, Fail>) -> Result<T, StoreError> {
        if self.failed.load(Ordering::Acquire) {
            self.reopen()?;
        }
        let guard = self
            .db
            .read()
            .map_err(|_| StoreError::Unavailable("the database lock is poisoned".to_owned()))?;
        let Some(db) = guard.as_ref() else {
            self.failed.store(true, Ordering::Release);
            return Err(StoreError::Unavailable("the database is not open".to_owned()));
        };
        let result = f(db).map_err(|Fail(e)| e);
        if matches!(result, Err(StoreError::Full | StoreError::Unavailable(_))) {
            self.failed.store(true, Ordering::Release);
        }
        result
    }

    /// Closes the failed handle and opens the storage again; redb repairs what the failed
    /// transaction left behind, which was never committed.
    fn reopen(&self) -> Result<(), StoreError> {
        let Some(opener) = &self.opener else {
            return Ok(());
        };
        let mut guard = self
            .db
            .write()
            .map_err(|_| StoreError::Unavailable("the database lock is poisoned".to_owned()))?;
        if !self.failed.load(Ordering::Acquire) {
            return Ok(());
        }
        // The old handle holds the file lock, so it must be gone before the new one opens.
        *guard = None;
        let db = opener().map_err(|e| opening(e, &self.label))?;
        prepare(&db, &self.label).map_err(|Fail(e)| e)?;
        *guard = Some(db);
        self.failed.store(false, Ordering::Release);
        tracing::info!(database = %self.label, "reopened the database after an i/o failure");
        Ok(())
    }
}

/// Creates the tables of a new database, or checks the schema version of an existing one.
fn prepare(db: &Database, label: &str) -> Result<(), Fail> {
    let read = db.begin_read()?;
    match read.open_table(META) {
        Ok(meta) => {
            if let Some(version) = meta.get("schema")?.map(|v| v.value()) {
                return check_schema(version, label);
            }
        }
        Err(redb::TableError::TableDoesNotExist(_)) => {}
        Err(e) => return Err(e.into()),
    }
    drop(read);
    let tx = db.begin_write()?;
    {
        let mut meta = tx.open_table(META)?;
        let existing = meta.get("schema")?.map(|v| v.value());
        match existing {
            Some(version) => check_schema(version, label)?,
            None => {
                meta.insert("schema", SCHEMA_VERSION)?;
            }
        }
        tx.open_table(COUNTERS)?;
        tx.open_table(ANALYSES)?;
        tx.open_table(ANALYSES_BY_SYMBOL)?;
        tx.open_table(ANALYSES_BY_TIME)?;
        tx.open_table(ALERTS)?;
        tx.open_table(OUTBOX)?;
        tx.open_table(AUDIT)?;
        tx.open_table(PAPER_BOOKS)?;
    }
    tx.commit()?;
    Ok(())
}

fn check_schema(version: u64, label: &str) -> Result<(), Fail> {
    if version == SCHEMA_VERSION {
        Ok(())
    } else {
        Err(Fail(StoreError::Corrupt(format!(
            "{label} has database schema v{version}, which this version of ttai cannot read"
        ))))
    }
}

/// The next value of `counter` (from 1); the domain makes the id of it (`AlertId::nth`, ...).
fn next_id(tx: &WriteTransaction, counter: &str) -> Result<u64, Fail> {
    let mut counters = tx.open_table(COUNTERS)?;
    let last = counters.get(counter)?.map_or(0, |v| v.value());
    let n = last.checked_add(1).ok_or_else(|| {
        Fail(StoreError::Other {
            adapter: ADAPTER,
            message: format!("the {counter} counter is exhausted"),
        })
    })?;
    counters.insert(counter, n)?;
    Ok(n)
}

/// Maps a time to a key part that sorts newest first: the sign bit flipped makes the order of
/// `u64` that of `i64`, and the complement reverses it.
fn newest_first(at: Timestamp) -> u64 {
    !((at.millis() as u64) ^ (1 << 63))
}

fn read_alert(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    id: &str,
) -> Result<Option<Alert>, Fail> {
    match table.get(id)? {
        Some(bytes) => Ok(Some(record::decode_alert(bytes.value(), id)?)),
        None => Ok(None),
    }
}

fn write_alert(table: &mut Table<'_, &'static str, &'static [u8]>, alert: &Alert) -> Result<(), Fail> {
    let bytes = record::encode_alert(alert)?;
    table.insert(alert.id.0.as_str(), bytes.as_slice())?;
    Ok(())
}

fn not_found_alert(id: &str) -> Fail {
    Fail(StoreError::NotFound(format!("alert {id}")))
}

/// Loads the analyses an index scan found, in the scan's order.
fn load_analyses(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    ids: Vec<String>,
) -> Result<Vec<AnalysisRecord>, Fail> {
    ids.into_iter()
        .map(|id| match table.get(id.as_str())? {
            Some(bytes) => Ok(record::decode_analysis(bytes.value(), &id)?),
            None => Err(Fail(StoreError::Corrupt(format!(
                "the analysis index names {id}, which is missing"
            )))),
        })
        .collect()
}

#[async_trait]
impl StorePort for RedbStore {
    async fn save_analysis(&self, analysis: NewAnalysis) -> Result<AnalysisRecord, StoreError> {
        self.run(move |db| {
            let tx = db.begin_write()?;
            let n = next_id(&tx, "analysis")?;
            let record = analysis.into_record(AnalysisId::nth(n));
            let bytes = record::encode_analysis(&record)?;
            let id = record.id.0.as_str();
            let time = newest_first(record.created_at);
            tx.open_table(ANALYSES)?.insert(id, bytes.as_slice())?;
            tx.open_table(ANALYSES_BY_SYMBOL)?
                .insert((record.symbol.as_str(), time, !n), id)?;
            tx.open_table(ANALYSES_BY_TIME)?.insert((time, !n), id)?;
            tx.commit()?;
            Ok(record)
        })
        .await
    }

    async fn get_analysis(&self, id: &AnalysisId) -> Result<AnalysisRecord, StoreError> {
        let id = id.0.clone();
        self.run(move |db| {
            let tx = db.begin_read()?;
            let table = tx.open_table(ANALYSES)?;
            let found = table.get(id.as_str())?;
            match found {
                Some(bytes) => Ok(record::decode_analysis(bytes.value(), &id)?),
                None => Err(Fail(StoreError::NotFound(format!("analysis {id}")))),
            }
        })
        .await
    }

    async fn list_analyses(
        &self,
        symbol: Option<&Symbol>,
        limit: usize,
    ) -> Result<Vec<AnalysisRecord>, StoreError> {
        let symbol = symbol.map(|s| s.as_str().to_owned());
        self.run(move |db| {
            let tx = db.begin_read()?;
            let mut ids = Vec::new();
            match &symbol {
                Some(symbol) => {
                    let index = tx.open_table(ANALYSES_BY_SYMBOL)?;
                    let range = (symbol.as_str(), 0, 0)..=(symbol.as_str(), u64::MAX, u64::MAX);
                    for entry in index.range(range)?.take(limit) {
                        ids.push(entry?.1.value().to_owned());
                    }
                }
                None => {
                    let index = tx.open_table(ANALYSES_BY_TIME)?;
                    for entry in index.iter()?.take(limit) {
                        ids.push(entry?.1.value().to_owned());
                    }
                }
            }
            load_analyses(&tx.open_table(ANALYSES)?, ids)
        })
        .await
    }

    async fn analysed_symbols(&self) -> Result<Vec<Symbol>, StoreError> {
        self.run(|db| {
            let tx = db.begin_read()?;
            let index = tx.open_table(ANALYSES_BY_SYMBOL)?;
            let mut symbols = Vec::new();
            let mut next = index.first()?.map(|(k, _)| k.value().0.to_owned());
            // One seek per symbol: the key after `(symbol, MAX, MAX)` is the next symbol's
            // newest entry (no entry has both parts at MAX: counters start at 1).
            while let Some(symbol) = next {
                let after = (symbol.as_str(), u64::MAX, u64::MAX);
                next = match index.range(after..)?.next() {
                    Some(entry) => Some(entry?.0.value().0.to_owned()),
                    None => None,
                };
                symbols.push(Symbol::parse(&symbol).map_err(|e| {
                    Fail(StoreError::Corrupt(format!(
                        "the analysis index has a bad symbol: {e}"
                    )))
                })?);
            }
            Ok(symbols)
        })
        .await
    }

    async fn create_alert(&self, alert: NewAlert) -> Result<Alert, StoreError> {
        self.run(move |db| {
            let tx = db.begin_write()?;
            let alert = alert.into_alert(AlertId::nth(next_id(&tx, "alert")?));
            write_alert(&mut tx.open_table(ALERTS)?, &alert)?;
            tx.commit()?;
            Ok(alert)
        })
        .await
    }

    async fn get_alert(&self, id: &AlertId) -> Result<Alert, StoreError> {
        let id = id.0.clone();
        self.run(move |db| {
            let tx = db.begin_read()?;
            read_alert(&tx.open_table(ALERTS)?, &id)?.ok_or_else(|| not_found_alert(&id))
        })
        .await
    }

    async fn list_alerts(&self, status: Option<AlertStatus>) -> Result<Vec<Alert>, StoreError> {
        self.run(move |db| {
            let tx = db.begin_read()?;
            let table = tx.open_table(ALERTS)?;
            let mut alerts = Vec::new();
            for entry in table.iter()? {
                let (key, bytes) = entry?;
                let alert = record::decode_alert(bytes.value(), key.value())?;
                if status.is_none_or(|s| alert.status == s) {
                    alerts.push(alert);
                }
            }
            Ok(alerts)
        })
        .await
    }

    async fn delete_alert(&self, id: &AlertId, at: Timestamp) -> Result<Alert, StoreError> {
        let id = id.0.clone();
        self.run(move |db| {
            let tx = db.begin_write()?;
            let alert = {
                let mut table = tx.open_table(ALERTS)?;
                let mut alert = read_alert(&table, &id)?.ok_or_else(|| not_found_alert(&id))?;
                if !alert.delete(at) {
                    return Err(not_found_alert(&id));
                }
                write_alert(&mut table, &alert)?;
                alert
            };
            tx.commit()?;
            Ok(alert)
        })
        .await
    }

    async fn trigger_alert(
        &self,
        id: &AlertId,
        at: Timestamp,
        price: f64,
        pending: PendingNotification,
    ) -> Result<Option<Notification>, StoreError> {
        let id = id.0.clone();
        self.run(move |db| {
            // Check, mark and enqueue in one write transaction: redb runs one writer at a time,
            // so two racing triggers cannot both see the alert active.
            let tx = db.begin_write()?;
            let alert = {
                let mut table = tx.open_table(ALERTS)?;
                let mut alert = read_alert(&table, &id)?.ok_or_else(|| not_found_alert(&id))?;
                if !alert.trigger(at, price) {
                    // Dropping the transaction aborts it; nothing was written.
                    return Ok(None);
                }
                write_alert(&mut table, &alert)?;
                alert
            };
            let ntf_id = NotificationId::nth(next_id(&tx, "notification")?);
            let notification = Notification::for_alert(ntf_id, alert, pending, at);
            let bytes = record::encode_notification(&notification)?;
            tx.open_table(OUTBOX)?
                .insert(notification.id.0.as_str(), bytes.as_slice())?;
            tx.commit()?;
            Ok(Some(notification))
        })
        .await
    }

    async fn pending_notifications(&self, limit: usize) -> Result<Vec<Notification>, StoreError> {
        self.run(move |db| {
            let tx = db.begin_read()?;
            let table = tx.open_table(OUTBOX)?;
            let mut pending = Vec::new();
            for entry in table.iter()?.take(limit) {
                let (key, bytes) = entry?;
                pending.push(record::decode_notification(bytes.value(), key.value())?);
            }
            Ok(pending)
        })
        .await
    }

    async fn record_delivery_attempt(&self, id: &NotificationId) -> Result<(), StoreError> {
        let id = id.0.clone();
        self.run(move |db| {
            let tx = db.begin_write()?;
            {
                let mut table = tx.open_table(OUTBOX)?;
                let found = match table.get(id.as_str())? {
                    Some(bytes) => Some(record::decode_notification(bytes.value(), &id)?),
                    None => None,
                };
                // A notification that is gone was delivered meanwhile: nothing to count.
                let Some(mut notification) = found else {
                    return Ok(());
                };
                notification.attempts = notification.attempts.saturating_add(1);
                let bytes = record::encode_notification(&notification)?;
                table.insert(id.as_str(), bytes.as_slice())?;
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn remove_notification(&self, id: &NotificationId) -> Result<(), StoreError> {
        let id = id.0.clone();
        self.run(move |db| {
            let tx = db.begin_write()?;
            let removed = tx.open_table(OUTBOX)?.remove(id.as_str())?.is_some();
            if removed {
                tx.commit()?;
            }
            Ok(())
        })
        .await
    }

    async fn append_audit(&self, entry: NewAuditEntry) -> Result<AuditEntry, StoreError> {
        self.run(move |db| {
            let tx = db.begin_write()?;
            let entry = entry.into_entry(AuditId::nth(next_id(&tx, "audit")?));
            let bytes = record::encode_audit(&entry)?;
            tx.open_table(AUDIT)?
                .insert(entry.id.0.as_str(), bytes.as_slice())?;
            tx.commit()?;
            Ok(entry)
        })
        .await
    }

    async fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        self.run(move |db| {
            let tx = db.begin_read()?;
            let table = match tx.open_table(AUDIT) {
                Ok(table) => table,
                Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
                Err(e) => return Err(e.into()),
            };
            let mut entries = Vec::new();
            for entry in table.iter()?.rev().take(limit) {
                let (key, bytes) = entry?;
                entries.push(record::decode_audit(bytes.value(), key.value())?);
            }
            Ok(entries)
        })
        .await
    }

    async fn paper_book(&self, account: &AccountNumber) -> Result<Option<PaperBook>, StoreError> {
        let key = account.as_str().to_owned();
        self.run(move |db| {
            let tx = db.begin_read()?;
            let table = match tx.open_table(PAPER_BOOKS) {
                Ok(table) => table,
                Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
                Err(e) => return Err(e.into()),
            };
            let found = table.get(key.as_str())?;
            match found {
                Some(bytes) => Ok(Some(record::decode_paper_book(bytes.value(), &key)?)),
                None => Ok(None),
            }
        })
        .await
    }

    async fn save_paper_book(&self, book: &PaperBook) -> Result<(), StoreError> {
        let key = book.account.as_str().to_owned();
        let bytes = record::encode_paper_book(book)?;
        self.run(move |db| {
            let tx = db.begin_write()?;
            tx.open_table(PAPER_BOOKS)?
                .insert(key.as_str(), bytes.as_slice())?;
            tx.commit()?;
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_first_reverses_time_order_across_zero() {
        let times = [i64::MIN, -1_000, -1, 0, 1, 1_700_000_000_000, i64::MAX];
        for pair in times.windows(2) {
            let (older, newer) = (Timestamp::from_millis(pair[0]), Timestamp::from_millis(pair[1]));
            assert!(newest_first(newer) < newest_first(older), "{pair:?}");
        }
    }
}
