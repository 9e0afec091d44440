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
mod port;
mod record;
mod tables;

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
use crate::tables::*;

/// The adapter's name in `StoreError::Other`.
pub(crate) const ADAPTER: &str = "redb";

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
