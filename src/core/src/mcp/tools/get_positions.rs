//! `get_positions`: open positions with marks, P&L and DTE.

use async_trait::async_trait;

use super::{Args, Hints, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::{App, PositionsView};
use crate::error::AppError;
use crate::mcp::schema::{account_argument, derived, object};

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
                expiration and days to expiration. Options past their expiration (from 16:00 New York on the \
                expiration date) that the broker still lists (until it processes expirations) are in `expired` \
                with what the expiration left: one that expired worthless is left out of the positions, the \
                totals and every analysis; one in the money stays, its assignment or exercise pending.",
            input_schema: object(&[account_argument()], &[], true),
            output_schema: derived::<PositionsView>,
            hints: Hints::READS_BROKER,
        }
    }

    async fn call(&self, app: &App, args: Args, _ctx: &ToolContext) -> Result<ToolOutput, AppError> {
        args.only(&["account"])?;
        let view = app.positions_view(args.str("account")?).await?;
        Ok(ToolOutput::serialize(&view))
    }
}
