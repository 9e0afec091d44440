//! `cancel_order`: the person confirms, then the cancel is asked for once.

use super::*;

impl App {
    /// `cancel_order`: the person confirms, then the cancel is asked for once.
    pub async fn cancel_order(
        &self,
        account: Option<&str>,
        id: &str,
        consent: &dyn Consent,
    ) -> Result<Confirmed<CancelView>, AppError> {
        if !self.order_settings.allow_orders {
            self.audit_orders_off("cancel", account, Some(id)).await;
            return Err(orders_off());
        }
        let (number, _) = self.resolve_account(account).await?;
        let order = self.broker().order(&number, id).await?;
        let summary = OrderSummary::of(&order);
        let request_of = order.request();
        let entry = |outcome: &str, detail: Value| {
            self.audit_entry(
                "cancel",
                outcome,
                &number,
                request_of.as_ref(),
                Some(id.to_owned()),
                detail,
            )
        };
        if !summary.cancellable {
            let _ = self
                .audit(entry("refused", json!({"status": order.status.api_name()})))
                .await;
            return Err(refusal(
                ErrorCode::ValidationError,
                "not_cancellable",
                format!(
                    "order {id} is {}: there is nothing to cancel",
                    order.status.api_name().to_lowercase()
                ),
            ));
        }
        if let Err(why) = consent.available() {
            let _ = self
                .audit(entry(
                    "refused",
                    json!({"reason": "no_confirmation_channel", "why": why}),
                ))
                .await;
            return Err(no_confirmation(&why));
        }
        let paper = self.broker().is_paper();
        let canonical = format!(
            "cancel|{}|{id}|{}",
            number.as_str(),
            request_of
                .as_ref()
                .map_or_else(|| summary.ticket.clone(), OrderRequest::canonical)
        );
        let hash = crate::sha256::hex(canonical.as_bytes());
        let code: String = hash.chars().take(8).collect();
        let order_text = format!("CANCEL order {id}: {}", summary.ticket);
        let request = ConsentRequest {
            action: "cancel",
            account: number.as_str().to_owned(),
            title: "Cancel this order?".to_owned(),
            message: format!(
                "Cancel order {id} on account {}?{}\n{}\nstatus {} · {} remaining\norder code {code} · valid {} seconds",
                number.masked(),
                if paper { " (PAPER TRADING)" } else { "" },
                summary.ticket,
                summary.status.api_name(),
                summary.remaining,
                CONFIRMATION_VALIDITY.as_secs()
            ),
            order_text,
            order_hash: hash,
            order_code: code,
            valid_for: CONFIRMATION_VALIDITY,
        };
        let asked = tokio::time::Instant::now();
        let answer = consent.ask(&request).await;
        if let ConsentAnswer::Deferred(question) = answer {
            self.audit_asked(&number, request_of.as_ref(), Some(id), &request)
                .await?;
            return Ok(Confirmed::Asking(question));
        }
        let elapsed = consent.waited().unwrap_or_else(|| asked.elapsed());
        let (binding, outcome) = judge(&request, &answer, elapsed);
        self.audit(NewAuditEntry {
            action: "confirmation".to_owned(),
            outcome: outcome.to_owned(),
            ..entry(
                outcome,
                json!({
                    "answer": answer.outcome(),
                    "order_code": request.order_code,
                    "seconds": round_to(elapsed.as_secs_f64(), 1),
                }),
            )
        })
        .await?;
        let source = self.source();
        let unchanged = |outcome: &'static str, message: String| CancelView {
            cancelled: false,
            outcome,
            paper,
            account: number.masked(),
            order: summary.clone(),
            message,
            source: source.source.clone(),
            synthetic: source.synthetic,
        };
        match (&answer, binding) {
            (_, Some(Binding::Holds)) => {}
            (ConsentAnswer::Declined, _) => {
                return Ok(Confirmed::Done(unchanged(
                    "declined",
                    "you declined: the order stays as it is".to_owned(),
                )));
            }
            (ConsentAnswer::Cancelled, _) => {
                return Ok(Confirmed::Done(unchanged(
                    "dismissed",
                    "the confirmation was dismissed: the order stays as it is".to_owned(),
                )));
            }
            (ConsentAnswer::Unavailable(why), _) => return Err(no_confirmation(why)),
            (ConsentAnswer::AlreadyUsed, _) => return Err(confirmation_used()),
            _ => {
                return Err(refusal(
                    ErrorCode::AuthorizationError,
                    "not_confirmed",
                    format!("the cancel of order {id} was not confirmed ({outcome}): nothing was sent"),
                ));
            }
        }
        let after = match self.broker().cancel_order(&number, id).await {
            Ok(after) => after,
            Err(err) => {
                let error = AppError::from(err);
                let _ = self.audit(entry("failed", json!({"error": error.message}))).await;
                return Err(error);
            }
        };
        let _ = self
            .audit(entry("cancelled", json!({"status": after.status.api_name()})))
            .await;
        Ok(Confirmed::Done(CancelView {
            cancelled: true,
            outcome: "cancelled",
            order: OrderSummary::of(&after),
            message: format!(
                "{}order {id} is {}",
                if paper { "paper " } else { "" },
                after.status.api_name().to_lowercase()
            ),
            ..unchanged("cancelled", String::new())
        }))
    }
}
