//! `list_alerts`: alerts by status and time, and the ones that fired while no client was
//! connected.

use async_trait::async_trait;
use serde_json::json;

use super::{Args, Hints, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::{AlertView, App};
use crate::domain::{Alert, AlertStatus};
use crate::error::AppError;
use crate::mcp::schema::{derived, enumeration, object, string};
use crate::time::Timestamp;

/// The `list_alerts` tool.
pub(crate) struct ListAlerts;

/// Alerts listed by default; `limit` takes up to [`MAX_LIMIT`].
const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: i64 = 500;

/// When an alert last changed: when it fired, was deleted, or was set.
fn changed_at(alert: &Alert) -> Timestamp {
    alert
        .triggered_at
        .or(alert.deleted_at)
        .unwrap_or(alert.created_at)
}

/// Which alerts were listed.
#[derive(Clone, Copy, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
enum StatusFilter {
    /// Watched alerts.
    Active,
    /// Alerts that fired.
    Triggered,
    /// Deleted alerts.
    Deleted,
    /// Every alert.
    All,
}

impl StatusFilter {
    fn of(status: Option<AlertStatus>) -> StatusFilter {
        match status {
            None => StatusFilter::All,
            Some(AlertStatus::Active) => StatusFilter::Active,
            Some(AlertStatus::Triggered) => StatusFilter::Triggered,
            Some(AlertStatus::Deleted) => StatusFilter::Deleted,
        }
    }
}

/// The tool's answer.
#[derive(serde::Serialize, schemars::JsonSchema)]
struct Output<'a> {
    /// The filter applied.
    status: StatusFilter,
    /// The time filter applied.
    since: Option<Timestamp>,
    /// Alerts, oldest first (the most recent `limit`).
    alerts: Vec<AlertView<'a>>,
    /// Alerts that match.
    count: usize,
    /// Older matches beyond `limit`.
    left_out: usize,
    /// Alerts that fired while no MCP client was connected, reported once (by the first listing
    /// after).
    fired_while_away: Vec<AlertView<'a>>,
}

#[async_trait]
impl Tool for ListAlerts {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "list_alerts",
            title: "List price alerts",
            description: "Price alerts: active ones by default, or `triggered`, `deleted` or `all`, oldest first; \
                `since` keeps those that fired (triggered), were deleted or were set at or after a time, e.g. the \
                alerts that fired overnight: status `triggered`, since yesterday's close. `fired_while_away` lists \
                the alerts that fired while no client was connected to hear them, once: the first listing after \
                they fired reports them.",
            input_schema: object(
                &[
                    (
                        "status",
                        enumeration(
                            "which alerts (default active)",
                            &["active", "triggered", "deleted", "all"],
                        ),
                    ),
                    (
                        "since",
                        string(
                            "only alerts that fired, were deleted or were set at or after this time (RFC 3339, or YYYY-MM-DD for midnight UTC)",
                            false,
                        ),
                    ),
                    (
                        "limit",
                        json!({"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "description": "the most recent this many (default 50)"}),
                    ),
                ],
                &[],
                true,
            ),
            output_schema: derived::<Output<'static>>,
            hints: Hints::READS_LOCAL,
        }
    }

    async fn call(&self, app: &App, args: Args, _ctx: &ToolContext) -> Result<ToolOutput, AppError> {
        args.only(&["status", "since", "limit"])?;
        let status_text = args.str("status")?.unwrap_or("active");
        let status = match status_text {
            "all" => None,
            other => Some(AlertStatus::parse(other).ok_or_else(|| {
                AppError::invalid(
                    "status",
                    format!("must be active, triggered, deleted or all, got {other:?}"),
                )
            })?),
        };
        let since = args
            .str("since")?
            .map(|text| {
                text.trim()
                    .parse::<Timestamp>()
                    .map_err(|e| AppError::invalid("since", e))
            })
            .transpose()?;
        let limit = args
            .int("limit", 1, MAX_LIMIT)?
            .map_or(DEFAULT_LIMIT, |v| v as usize);
        let mut alerts = app.list_alerts(status).await?;
        if let Some(since) = since {
            alerts.retain(|a| changed_at(a) >= since);
        }
        let count = alerts.len();
        let left_out = count.saturating_sub(limit);
        let away = app.take_unannounced();
        Ok(ToolOutput::serialize(&Output {
            status: StatusFilter::of(status),
            since,
            alerts: alerts.iter().skip(left_out).map(AlertView::of).collect(),
            count,
            left_out,
            fired_while_away: away.iter().map(AlertView::of).collect(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AlertCondition, Symbol};
    use crate::mcp::tools::test_context;
    use crate::testing::{sample_app, sample_market, schema};
    use serde_json::Value;

    async fn list(app: &App, args: Value) -> Result<Value, AppError> {
        let output = ListAlerts
            .call(app, Args::from_value(Some(args)).unwrap(), &test_context())
            .await?;
        let value = output.structured_value();
        let problems = schema::validate(&(ListAlerts.spec().output_schema)(), &value);
        assert!(problems.is_empty(), "{problems:?}\n{value:#}");
        Ok(value)
    }

    #[tokio::test]
    async fn triggered_alerts_since_a_time_and_those_nobody_heard_once() {
        let app = sample_app(sample_market());
        let spy = Symbol::parse("SPY").unwrap();
        let (low, _) = app
            .set_price_alert(spy.clone(), AlertCondition::Above, 1.0, Some("fires".into()))
            .await
            .unwrap();
        app.set_price_alert(spy, AlertCondition::Above, 100_000.0, None)
            .await
            .unwrap();
        let report = app.check_alerts().await.unwrap();
        assert_eq!(report.fired.len(), 1);
        app.note_unannounced(report.fired[0].clone());
        let fired_at = report.fired[0].triggered_at.unwrap();

        let first = list(
            &app,
            json!({"status": "triggered", "since": fired_at.to_string()}),
        )
        .await
        .unwrap();
        assert_eq!(first["count"], 1);
        assert_eq!(first["alerts"][0]["id"], low.id.0);
        assert_eq!(first["fired_while_away"][0]["id"], low.id.0);
        assert_eq!(first["fired_while_away"][0]["status"], "triggered");
        let again = list(&app, json!({"status": "triggered"})).await.unwrap();
        assert_eq!(again["fired_while_away"], json!([]), "reported once");
        let later = fired_at.add_millis(1).to_string();
        let none = list(&app, json!({"status": "triggered", "since": later}))
            .await
            .unwrap();
        assert_eq!(none["count"], 0);
        let active = list(&app, json!({})).await.unwrap();
        assert_eq!(
            (active["count"].as_u64(), active["status"].as_str()),
            (Some(1), Some("active"))
        );
        let limited = list(&app, json!({"status": "all", "limit": 1})).await.unwrap();
        assert_eq!(
            (limited["count"].as_u64(), limited["left_out"].as_u64()),
            (Some(2), Some(1))
        );
        assert_eq!(limited["alerts"].as_array().unwrap().len(), 1);
        let error = list(&app, json!({"since": "yesterday"})).await.unwrap_err();
        assert_eq!(error.details["field"], "since");
    }
}
