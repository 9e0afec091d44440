//! `get_balances`: net liq, cash, buying power, maintenance requirement.

use async_trait::async_trait;

use super::{Args, Hints, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::{App, BalancesView};
use crate::error::AppError;
use crate::mcp::schema::{account_argument, derived, object};

/// The `get_balances` tool.
pub(crate) struct GetBalances;

#[async_trait]
impl Tool for GetBalances {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "get_balances",
            title: "Get balances",
            description: "Balances of the account (the default one unless `account` is given): net liquidating value, \
                cash, stock and option buying power, maintenance requirement and excess.",
            input_schema: object(&[account_argument()], &[], true),
            output_schema: derived::<BalancesView>,
            hints: Hints::READS_BROKER,
        }
    }

    async fn call(&self, app: &App, args: Args, _ctx: &ToolContext) -> Result<ToolOutput, AppError> {
        args.only(&["account"])?;
        let view = app.balances_view(args.str("account")?).await?;
        Ok(ToolOutput::serialize(&view))
    }
}
