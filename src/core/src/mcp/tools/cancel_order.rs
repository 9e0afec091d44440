//! `cancel_order`: cancels a working order after the person confirms it. Off unless the server
//! runs with `--allow-orders`.

use async_trait::async_trait;

use super::order_args::confirmed;
use super::{Args, Hints, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::App;
use crate::error::AppError;
use crate::mcp::elicitation::consent_for;
use crate::mcp::schema::derived;
use crate::mcp::schema::{object, string};

/// The `cancel_order` tool.
pub(crate) struct CancelOrder;
#[async_trait]
impl Tool for CancelOrder {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "cancel_order",
            title: "Cancel an order (you confirm it)",
            description: "Cancels a working order (an id from list_orders) after YOU confirm it through your MCP client \
                (a form showing the order), within 2 minutes. Refused when the server runs without --allow-orders, \
                when the client cannot show the form, or when the order is no longer working. Says paper: true when \
                orders are simulated.",
            input_schema: object(
                &[
                    (
                        "account",
                        string("account number (default: the configured or first account)", false),
                    ),
                    ("order_id", string("the order's id, from list_orders", false)),
                ],
                &["order_id"],
                true,
            ),
            output_schema: derived::<crate::app::orders::CancelView>,
            hints: Hints::CHANGES_BROKER,
        }
    }

    async fn call(&self, app: &App, args: Args, ctx: &ToolContext) -> Result<ToolOutput, AppError> {
        args.only(&["account", "order_id"])?;
        let id = args.required_str("order_id")?.trim();
        if id.is_empty() || id.len() > 64 {
            return Err(AppError::invalid("order_id", "is an order id from list_orders"));
        }
        let consent = consent_for(ctx);
        let view = app.cancel_order(args.str("account")?, id, &*consent).await?;
        Ok(confirmed(view))
    }
}
