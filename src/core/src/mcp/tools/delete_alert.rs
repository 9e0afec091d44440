//! `delete_alert`: stop watching.

use super::{Args, Hints, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::{AlertView, App};
use crate::domain::AlertId;
use crate::error::AppError;
use crate::mcp::schema::{derived, object, string};
use async_trait::async_trait;

/// The `delete_alert` tool.
pub(crate) struct DeleteAlert;

/// The tool's answer.
#[derive(serde::Serialize, schemars::JsonSchema)]
struct Output<'a> {
    /// The alert, now with status `deleted`.
    deleted: AlertView<'a>,
}

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
            output_schema: derived::<Output<'static>>,
            hints: Hints::DELETES_LOCAL,
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
        Ok(ToolOutput::serialize(&Output {
            deleted: AlertView::of(&alert),
        }))
    }
}
