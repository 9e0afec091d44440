//! `delete_alert`: stop watching.

use async_trait::async_trait;
use serde_json::json;

use super::set_price_alert::alert_schema;
use super::{Args, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::{App, alert_json};
use crate::domain::AlertId;
use crate::error::AppError;
use crate::mcp::schema::{object, string};

/// The `delete_alert` tool.
pub(crate) struct DeleteAlert;

#[async_trait]
impl Tool for DeleteAlert {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "delete_alert",
            title: "Delete price alert",
            description: "Deletes a price alert by id (from set_price_alert or list_alerts); it stops being watched \
                and is kept with status `deleted`.",
            input_schema: object(
                &[("id", string("the alert id, e.g. alrt_000000000001", false))],
                &["id"],
                true,
            ),
            output_schema: object(&[("deleted", alert_schema())], &["deleted"], false),
            read_only: false,
            destructive: true,
            idempotent: false,
            open_world: false,
            long_running: false,
        }
    }

    async fn call(&self, app: &App, args: Args, _ctx: &ToolContext) -> Result<ToolOutput, AppError> {
        args.only(&["id"])?;
        let id = args.required_str("id")?.trim();
        if id.is_empty() || id.len() > 64 {
            return Err(AppError::invalid(
                "id",
                "must be an alert id such as alrt_000000000001",
            ));
        }
        let alert = app.delete_alert(&AlertId(id.to_owned())).await?;
        Ok(ToolOutput::new(json!({ "deleted": alert_json(&alert) })))
    }
}
