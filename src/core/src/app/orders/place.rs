//! `place_order`: the preview again, the person's confirmation of this exact order, then the order, sent once.

use super::*;

impl App {
    /// `place_order`: the preview again, the person's confirmation of this exact order, then the
    /// order, sent once.
    pub async fn place_order(
        &self,
        spec: &OrderSpec,
        consent: &dyn Consent,
    ) -> Result<Confirmed<PlacedView>, AppError> {
        let settings = self.order_settings;
        if !settings.allow_orders {
            self.audit_orders_off("place", spec.account.as_deref(), None)
                .await;
            return Err(orders_off());
        }
        let prepared = self.prepare(spec).await?;
        let ticket = &prepared.ticket;
        let order = &ticket.order;
        let account = &ticket.account;
        let refuse = |outcome: &str, reason: &str, detail: Value| {
            self.audit_entry(
                "place",
                outcome,
                account,
                Some(order),
                None,
                json!({"reason": reason, "detail": detail}),
            )
        };
        if !prepared.view.placeable {
            let blocking: Vec<&Caution> = prepared
                .view
                .checks
                .iter()
                .filter(|c| c.severity == Severity::Blocking)
                .collect();
            let codes: Vec<&str> = blocking.iter().map(|c| c.code).collect();
            let _ = self.audit(refuse("refused", "blocked", json!(codes))).await;
            let message = blocking
                .iter()
                .map(|c| c.message.as_str())
                .collect::<Vec<_>>()
                .join("; ");
            return Err(refusal(
                ErrorCode::ValidationError,
                "blocked",
                format!("not placed: {message}"),
            )
            .with_detail("checks", codes));
        }
        if let Err(why) = consent.available() {
            let _ = self
                .audit(self.audit_entry(
                    "confirmation",
                    "unavailable",
                    account,
                    Some(order),
                    None,
                    json!({"reason": why}),
                ))
                .await;
            return Err(no_confirmation(&why));
        }
        let request = ConsentRequest {
            action: "place",
            account: account.as_str().to_owned(),
            title: "Place this order?".to_owned(),
            message: consent_message(&prepared, "Place"),
            order_text: order.describe(),
            order_hash: order.fingerprint(),
            order_code: order.code(),
            valid_for: CONFIRMATION_VALIDITY,
        };
        let asked = tokio::time::Instant::now();
        let answer = consent.ask(&request).await;
        if let ConsentAnswer::Deferred(question) = answer {
            self.audit_asked(account, Some(order), None, &request).await?;
            return Ok(Confirmed::Asking(question));
        }
        let elapsed = consent.waited().unwrap_or_else(|| asked.elapsed());
        let (binding, outcome) = judge(&request, &answer, elapsed);
        // The confirmation is on record before anything is sent: no order without its entry.
        self.audit(self.audit_entry(
            "confirmation",
            outcome,
            account,
            Some(order),
            None,
            json!({
                "answer": answer.outcome(),
                "named_code": match &answer { ConsentAnswer::Accepted { order_code } => Some(order_code.clone()), _ => None },
                "order_code": request.order_code,
                "seconds": round_to(elapsed.as_secs_f64(), 1),
                "reason": match &answer { ConsentAnswer::Unavailable(why) => Some(why.clone()), _ => None },
            }),
        ))
        .await
        .map_err(|e| {
            AppError::new(
                e.code,
                format!("not placed: the confirmation could not be written to the audit log ({})", e.message),
            )
        })?;
        let source = self.source();
        let declined = |outcome: &'static str, message: &str| PlacedView {
            placed: false,
            outcome,
            paper: prepared.view.paper,
            account: prepared.view.account.clone(),
            order: prepared.view.order.clone(),
            order_hash: prepared.view.order_hash.clone(),
            broker_order: None,
            broker: None,
            message: message.to_owned(),
            source: source.source.clone(),
            synthetic: source.synthetic,
        };
        match (&answer, binding) {
            (_, Some(Binding::Holds)) => {}
            (ConsentAnswer::Declined, _) => {
                return Ok(Confirmed::Done(declined(
                    "declined",
                    "you declined: nothing was sent",
                )));
            }
            (ConsentAnswer::Cancelled, _) => {
                return Ok(Confirmed::Done(declined(
                    "cancelled",
                    "the confirmation was dismissed: nothing was sent",
                )));
            }
            (ConsentAnswer::AlreadyUsed, _) => return Err(confirmation_used()),
            (ConsentAnswer::NoAnswer, _) => {
                return Err(refusal(
                    ErrorCode::AuthorizationError,
                    "no_answer",
                    format!(
                        "no answer within {} seconds: nothing was sent; preview again when you are ready",
                        CONFIRMATION_VALIDITY.as_secs()
                    ),
                ));
            }
            (ConsentAnswer::Unavailable(why), _) => return Err(no_confirmation(why)),
            (_, Some(Binding::OtherOrder(named))) => {
                return Err(refusal(
                    ErrorCode::AuthorizationError,
                    "confirmation_mismatch",
                    format!(
                        "the confirmation names order {named}, not this order ({}): the order changed after it was confirmed, so nothing was sent",
                        request.order_code
                    ),
                ));
            }
            (_, Some(Binding::Expired)) => {
                return Err(refusal(
                    ErrorCode::AuthorizationError,
                    "confirmation_expired",
                    format!(
                        "the confirmation came after {} seconds: nothing was sent; preview again",
                        CONFIRMATION_VALIDITY.as_secs()
                    ),
                ));
            }
            // Anything but an acceptance bound to this order sends nothing.
            _ => {
                return Err(refusal(
                    ErrorCode::AuthorizationError,
                    "not_confirmed",
                    format!("the order was not confirmed ({outcome}): nothing was sent"),
                ));
            }
        }
        // Sent once. An error here is reported as it is: the order may or may not have reached
        // the broker, so it is never sent again; list_orders shows what the broker holds.
        let placed = match self.broker().place_order(account, order).await {
            Ok(placed) => placed,
            Err(err) => {
                let error = AppError::from(err);
                let _ = self
                    .audit(self.audit_entry(
                        "place",
                        "failed",
                        account,
                        Some(order),
                        None,
                        json!({"error": error.message}),
                    ))
                    .await;
                return Err(AppError::new(
                    error.code,
                    format!(
                        "{}. ttai does not send an order twice: check list_orders before placing it again",
                        error.message
                    ),
                )
                .with_detail("reason", "broker_error"));
            }
        };
        let verdict = BrokerVerdict::of(&placed);
        let broker_order = placed.order.as_ref();
        let id = broker_order.and_then(|o| o.id.clone());
        let accepted = placed.accepted() && broker_order.is_some();
        let _ = self
            .audit(self.audit_entry(
                "place",
                if accepted { "placed" } else { "refused" },
                account,
                Some(order),
                id.clone(),
                json!({
                    "status": broker_order.map(|o| o.status.api_name()),
                    "errors": placed.errors,
                    "buying_power_used": verdict.buying_power_used,
                    "fees": verdict.fees.as_ref().map(|f| f.total_fees),
                }),
            ))
            .await;
        if !accepted {
            let why = placed
                .errors
                .iter()
                .map(|e| format!("{}: {}", e.code, e.message))
                .collect::<Vec<_>>()
                .join("; ");
            return Err(refusal(
                ErrorCode::TastytradeError,
                "broker_refused",
                format!("the broker refused the order: {why}"),
            ));
        }
        let summary = broker_order.map(OrderSummary::of);
        let message = format!(
            "{}placed as order {}: {} ({})",
            if prepared.view.paper { "paper order " } else { "" },
            id.unwrap_or_default(),
            order.describe(),
            summary.as_ref().map_or("status unknown", |s| s.status.api_name())
        );
        Ok(Confirmed::Done(PlacedView {
            placed: true,
            outcome: "placed",
            broker_order: summary,
            broker: Some(verdict),
            message,
            ..declined("placed", "")
        }))
    }
}
