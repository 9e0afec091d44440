//! The order audit log: every preview, question, answer, order and cancel on record.

use super::*;

impl App {
    /// Appends to the audit log; a failure is logged and returned.
    pub(super) async fn audit(&self, entry: NewAuditEntry) -> Result<AuditEntry, AppError> {
        match self.store().append_audit(entry).await {
            Ok(entry) => {
                self.emit(crate::app::AppEvent::ResourceUpdated(AUDIT_URI.to_owned()));
                Ok(entry)
            }
            Err(err) => {
                tracing::error!(error = %err, "the order audit log cannot be written");
                Err(err.into())
            }
        }
    }

    pub(super) fn audit_entry(
        &self,
        action: &str,
        outcome: &str,
        account: &AccountNumber,
        order: Option<&OrderRequest>,
        order_id: Option<String>,
        detail: Value,
    ) -> NewAuditEntry {
        NewAuditEntry {
            at: self.broker().now(),
            action: action.to_owned(),
            outcome: outcome.to_owned(),
            account: account.masked(),
            paper: self.broker().is_paper(),
            order_hash: order.map(OrderRequest::fingerprint),
            order: order.map(OrderRequest::describe),
            order_id,
            detail,
        }
    }

    /// Records an order action refused because orders are off (nothing was built or sent).
    pub(super) async fn audit_orders_off(&self, action: &str, account: Option<&str>, order_id: Option<&str>) {
        let account = match self.resolve_account(account).await {
            Ok((number, _)) => number,
            Err(_) => AccountNumber::new(account.unwrap_or("unknown")),
        };
        let entry = self.audit_entry(
            action,
            "refused",
            &account,
            None,
            order_id.map(str::to_owned),
            json!({"reason": "orders_disabled"}),
        );
        let _ = self.audit(entry).await;
    }

    /// Records a question handed to the client to ask (its answer comes with a later call). The
    /// question goes out only once it is on record.
    pub(super) async fn audit_asked(
        &self,
        account: &AccountNumber,
        order: Option<&OrderRequest>,
        order_id: Option<&str>,
        request: &ConsentRequest,
    ) -> Result<(), AppError> {
        let entry = self.audit_entry(
            "confirmation",
            "asked",
            account,
            order,
            order_id.map(str::to_owned),
            json!({
                "action": request.action,
                "order_code": request.order_code,
                "valid_seconds": request.valid_for.as_secs(),
            }),
        );
        self.audit(entry).await.map(|_| ()).map_err(|e| {
            AppError::new(
                e.code,
                format!(
                    "nothing was sent: the question could not be written to the audit log ({})",
                    e.message
                ),
            )
        })
    }

    /// The newest `limit` audit entries.
    pub async fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, AppError> {
        Ok(self.store().audit_log(limit).await?)
    }
}
