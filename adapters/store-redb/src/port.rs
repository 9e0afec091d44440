//! The `StorePort` on redb: each record family's transactions (analyses, alerts and the
//! outbox, the audit log, paper books), one write transaction per call.

use super::*;

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
