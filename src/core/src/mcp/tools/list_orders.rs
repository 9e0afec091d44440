//! `list_orders`: the account's orders today and in the last days.

use async_trait::async_trait;
use serde_json::json;

use super::{Args, Hints, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::App;
use crate::error::AppError;
use crate::mcp::schema::derived;
use crate::mcp::schema::{object, string};

/// The `list_orders` tool.
pub(crate) struct ListOrders;
#[async_trait]
impl Tool for ListOrders {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "list_orders",
            title: "List orders",
            description: "The account's orders: today's (working ones first: live, received, routed) and those of the last \
                days (default 7), each with its status, ticket, limit, fills and whether it can still be cancelled. \
                After place_order fails without a clear answer, look here before placing it again. Says paper: true \
                when orders are simulated.",
            input_schema: object(
                &[
                    (
                        "account",
                        string("account number (default: the configured or first account)", false),
                    ),
                    (
                        "days",
                        json!({"type": "integer", "minimum": 0, "maximum": 90, "description": "days of earlier orders (default 7; 0: today only)"}),
                    ),
                ],
                &[],
                true,
            ),
            output_schema: derived::<crate::app::orders::OrdersView>,
            hints: Hints::READS_BROKER,
        }
    }

    async fn call(&self, app: &App, args: Args, _ctx: &ToolContext) -> Result<ToolOutput, AppError> {
        args.only(&["account", "days"])?;
        let days = args.int("days", 0, 90)?.unwrap_or(7) as i32;
        let view = app.list_orders(args.str("account")?, days).await?;
        Ok(ToolOutput::serialize(&view))
    }
}
