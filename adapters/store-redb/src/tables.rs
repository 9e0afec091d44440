//! The tables and their keys: the schema version, the id counters, the records by id and the
//! indexes whose key order is the answer's order (newest first).

use super::*;

/// The layout of the tables; a file with a different number was written by another version.
pub(crate) const SCHEMA_VERSION: u64 = 1;

/// `"schema"` → `SCHEMA_VERSION`; written once, with the other tables.
pub(crate) const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
/// `"analysis"`, `"alert"`, `"notification"` → the last counter used for that kind of id.
pub(crate) const COUNTERS: TableDefinition<&str, u64> = TableDefinition::new("counters");
/// Analysis id → versioned record.
pub(crate) const ANALYSES: TableDefinition<&str, &[u8]> = TableDefinition::new("analyses");
/// `(symbol, newest-first time, newest-first counter)` → analysis id.
pub(crate) const ANALYSES_BY_SYMBOL: TableDefinition<(&str, u64, u64), &str> =
    TableDefinition::new("analyses_by_symbol");
/// `(newest-first time, newest-first counter)` → analysis id.
pub(crate) const ANALYSES_BY_TIME: TableDefinition<(u64, u64), &str> =
    TableDefinition::new("analyses_by_time");
/// Alert id → versioned record; ids sort oldest first.
pub(crate) const ALERTS: TableDefinition<&str, &[u8]> = TableDefinition::new("alerts");
/// Notification id → versioned record; ids sort oldest first.
pub(crate) const OUTBOX: TableDefinition<&str, &[u8]> = TableDefinition::new("outbox");
/// Audit entry id → versioned record; ids sort oldest first. Added after schema v1 was first
/// written: a database without it reads as an empty log, and the first append creates it.
pub(crate) const AUDIT: TableDefinition<&str, &[u8]> = TableDefinition::new("audit");
/// Account number → versioned paper book (created by the first save, like `AUDIT`).
pub(crate) const PAPER_BOOKS: TableDefinition<&str, &[u8]> = TableDefinition::new("paper_books");

/// Creates the tables of a new database, or checks the schema version of an existing one.
pub(crate) fn prepare(db: &Database, label: &str) -> Result<(), Fail> {
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

pub(crate) fn check_schema(version: u64, label: &str) -> Result<(), Fail> {
    if version == SCHEMA_VERSION {
        Ok(())
    } else {
        Err(Fail(StoreError::Corrupt(format!(
            "{label} has database schema v{version}, which this version of ttai cannot read"
        ))))
    }
}

/// The next value of `counter` (from 1); the domain makes the id of it (`AlertId::nth`, ...).
pub(crate) fn next_id(tx: &WriteTransaction, counter: &str) -> Result<u64, Fail> {
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
pub(crate) fn newest_first(at: Timestamp) -> u64 {
    !((at.millis() as u64) ^ (1 << 63))
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
