//! `get_balances`: net liq, cash, buying power, maintenance requirement.

use async_trait::async_trait;

use super::{Args, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::{App, BalancesView};
use crate::error::AppError;
use crate::mcp::schema::{derived, object, string};

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
            input_schema: object(
                &[(
                    "account",
                    string("account number; default: the configured or first account", false),
                )],
                &[],
                true,
            ),
            output_schema: derived::<BalancesView>(),
            read_only: true,
            destructive: false,
            idempotent: true,
            open_world: true,
            long_running: false,
        }
    }

    async fn call(&self, app: &App, args: Args, _ctx: &ToolContext) -> Result<ToolOutput, AppError> {
        args.only(&["account"])?;
        let view = app.balances_view(args.str("account")?).await?;
        let value = serde_json::to_value(&view).map_err(|_| AppError::internal("serialising balances"))?;
        Ok(ToolOutput::new(value))
    }
}
