//! `list_alerts`: alerts by status.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::set_price_alert::alert_schema;
use super::{Args, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::{App, alert_json};
use crate::domain::AlertStatus;
use crate::error::AppError;
use crate::mcp::schema::{array, enumeration, integer, object};

/// The `list_alerts` tool.
pub(crate) struct ListAlerts;

#[async_trait]
impl Tool for ListAlerts {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "list_alerts",
            title: "List price alerts",
            description: "Price alerts: active ones by default, or `triggered`, `deleted` or `all`; oldest first.",
            input_schema: object(
                &[(
                    "status",
                    enumeration(
                        "which alerts (default active)",
                        &["active", "triggered", "deleted", "all"],
                    ),
                )],
                &[],
                true,
            ),
            output_schema: object(
                &[
                    (
                        "status",
                        enumeration("the filter applied", &["active", "triggered", "deleted", "all"]),
                    ),
                    ("alerts", array("alerts, oldest first", alert_schema())),
                    ("count", integer("number of alerts", false)),
                ],
                &["status", "alerts", "count"],
                false,
            ),
            read_only: true,
            destructive: false,
            idempotent: true,
            open_world: false,
        }
    }

    async fn call(&self, app: &App, args: Args, _ctx: &ToolContext) -> Result<ToolOutput, AppError> {
        args.only(&["status"])?;
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
        let alerts = app.list_alerts(status).await?;
        let list: Vec<Value> = alerts.iter().map(alert_json).collect();
        Ok(ToolOutput::new(
            json!({ "status": status_text, "count": list.len(), "alerts": list }),
        ))
    }
}
