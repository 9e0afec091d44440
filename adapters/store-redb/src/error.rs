//! Mapping redb's per-operation errors to `StoreError`, at the adapter boundary.
//!
//! redb's enums are `#[non_exhaustive]`, so each mapping ends in a catch-all that reports the
//! variant as `StoreError::Other`. Messages stay short and never carry file contents.

use std::io;

use redb::{CommitError, DatabaseError, StorageError, TableError, TransactionError};
use ttai_core::ports::StoreError;

use crate::ADAPTER;

/// A `StoreError` on its way out of a transaction; the `From` impls let `?` map every redb
/// error at the point where it happens.
#[derive(Debug)]
pub(crate) struct Fail(pub(crate) StoreError);

impl From<StoreError> for Fail {
    fn from(err: StoreError) -> Fail {
        Fail(err)
    }
}

impl From<StorageError> for Fail {
    fn from(err: StorageError) -> Fail {
        Fail(storage(err))
    }
}

impl From<TransactionError> for Fail {
    fn from(err: TransactionError) -> Fail {
        Fail(transaction(err))
    }
}

impl From<TableError> for Fail {
    fn from(err: TableError) -> Fail {
        Fail(table(err))
    }
}

impl From<CommitError> for Fail {
    fn from(err: CommitError) -> Fail {
        Fail(commit(err))
    }
}

/// The `errno` of "no space left on device" on Linux and macOS.
const ENOSPC: i32 = 28;

/// Whether an I/O error means the disk (or the user's quota) is full.
pub(crate) fn is_full(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded
    ) || err.raw_os_error() == Some(ENOSPC)
}

/// An I/O error: `Full` when the disk is full, `Corrupt` when the file is not a database,
/// otherwise a passing `Unavailable`.
pub(crate) fn io(err: &io::Error) -> StoreError {
    if is_full(err) {
        StoreError::Full
    } else if err.kind() == io::ErrorKind::InvalidData {
        StoreError::Corrupt(format!("the file is not a ttai database ({err})"))
    } else {
        StoreError::Unavailable(format!("i/o error: {err}"))
    }
}

/// Looks through a boxed backend error for the `io::Error` it wraps.
fn backend(err: &(dyn std::error::Error + 'static)) -> StoreError {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cause {
        if let Some(io_err) = e.downcast_ref::<io::Error>() {
            return io(io_err);
        }
        cause = e.source();
    }
    StoreError::Unavailable("the storage backend failed".to_owned())
}

/// A storage error, the one all the others wrap.
pub(crate) fn storage(err: StorageError) -> StoreError {
    match err {
        StorageError::Corrupted(message) => StoreError::Corrupt(format!("redb found damage: {message}")),
        StorageError::ValueTooLarge(len) => StoreError::Other {
            adapter: ADAPTER,
            message: format!("a record of {len} bytes is too large to store"),
        },
        StorageError::Io(e) => io(&e),
        StorageError::Backend(e) => backend(e.as_ref()),
        StorageError::PreviousIo => StoreError::Unavailable(
            "an earlier i/o error stopped the database until it is reopened".to_owned(),
        ),
        StorageError::DatabaseClosed => StoreError::Unavailable("the database is closed".to_owned()),
        StorageError::LockPoisoned(_) => StoreError::Unavailable("the database lock is poisoned".to_owned()),
        other => StoreError::Other {
            adapter: ADAPTER,
            message: other.to_string(),
        },
    }
}

/// An error opening the database at `label` (a path, or a description of the backend).
pub(crate) fn database(err: DatabaseError, label: &str) -> StoreError {
    match err {
        DatabaseError::DatabaseAlreadyOpen | DatabaseError::LockProtocolMismatch => {
            StoreError::InUse(format!("database is in use by another ttai ({label})"))
        }
        DatabaseError::RepairAborted => StoreError::Corrupt(format!("the repair of {label} was aborted")),
        DatabaseError::UpgradeRequired(version) => StoreError::Corrupt(format!(
            "{label} is in redb file format {version}, which this version of ttai cannot open"
        )),
        DatabaseError::TransactionInProgress => {
            StoreError::Unavailable("a write transaction is still in progress".to_owned())
        }
        DatabaseError::Storage(e) => storage(e),
        other => StoreError::Other {
            adapter: ADAPTER,
            message: other.to_string(),
        },
    }
}

/// An error beginning a transaction.
pub(crate) fn transaction(err: TransactionError) -> StoreError {
    match err {
        TransactionError::Storage(e) => storage(e),
        TransactionError::WouldBlock => StoreError::Unavailable("the database is busy".to_owned()),
        other => StoreError::Other {
            adapter: ADAPTER,
            message: other.to_string(),
        },
    }
}

/// An error opening a table. Tables are created when the store opens, so a missing or
/// mistyped one means the file is not what this adapter wrote.
pub(crate) fn table(err: TableError) -> StoreError {
    match err {
        TableError::Storage(e) => storage(e),
        TableError::TableAlreadyOpen(name, _) => StoreError::Other {
            adapter: ADAPTER,
            message: format!("table {name} is already open"),
        },
        other => StoreError::Corrupt(format!("unexpected table layout: {other}")),
    }
}

/// An error committing a write transaction.
pub(crate) fn commit(err: CommitError) -> StoreError {
    match err {
        CommitError::Storage(e) => storage(e),
        other => StoreError::Other {
            adapter: ADAPTER,
            message: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_space_left_is_full() {
        assert_eq!(io(&io::Error::from_raw_os_error(ENOSPC)), StoreError::Full);
        assert_eq!(io(&io::Error::from(io::ErrorKind::StorageFull)), StoreError::Full);
        assert_eq!(
            storage(StorageError::Io(io::Error::from_raw_os_error(ENOSPC))),
            StoreError::Full
        );
        assert_eq!(
            commit(CommitError::Storage(StorageError::Io(
                io::Error::from_raw_os_error(ENOSPC)
            ))),
            StoreError::Full
        );
    }

    #[test]
    fn a_boxed_io_error_is_found() {
        let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(io::Error::from_raw_os_error(ENOSPC));
        assert_eq!(storage(StorageError::Backend(boxed)), StoreError::Full);
    }

    #[test]
    fn other_io_is_unavailable_and_corruption_is_corrupt() {
        assert!(matches!(
            io(&io::Error::from(io::ErrorKind::PermissionDenied)),
            StoreError::Unavailable(_)
        ));
        assert!(matches!(
            storage(StorageError::Corrupted("bad page".into())),
            StoreError::Corrupt(_)
        ));
    }

    #[test]
    fn already_open_is_in_use_and_names_the_path() {
        let err = database(DatabaseError::DatabaseAlreadyOpen, "/data/ttai.db");
        assert_eq!(
            err,
            StoreError::InUse("database is in use by another ttai (/data/ttai.db)".into())
        );
    }
}
