//! `get_positions`: open positions with marks, P&L and DTE.

use async_trait::async_trait;

use super::{Args, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::{App, PositionsView};
use crate::error::AppError;
use crate::mcp::schema::{derived, object, string};

/// The `get_positions` tool.
pub(crate) struct GetPositions;

#[async_trait]
impl Tool for GetPositions {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "get_positions",
            title: "Get positions",
            description: "Open positions of the account (the default one unless `account` is given): quantity, \
                average open price, mark, market value, unrealized and day P&L, and for options the strike, \
                expiration and days to expiration.",
            input_schema: object(
                &[(
                    "account",
                    string("account number; default: the configured or first account", false),
                )],
                &[],
                true,
            ),
            output_schema: derived::<PositionsView>(),
            read_only: true,
            destructive: false,
            idempotent: true,
            open_world: true,
            long_running: false,
        }
    }

    async fn call(&self, app: &App, args: Args, _ctx: &ToolContext) -> Result<ToolOutput, AppError> {
        args.only(&["account"])?;
        let view = app.positions_view(args.str("account")?).await?;
        let value = serde_json::to_value(&view).map_err(|_| AppError::internal("serialising positions"))?;
        Ok(ToolOutput::new(value))
    }
}
