//! `get_balances`: net liq, cash, buying power, maintenance requirement.

use async_trait::async_trait;
use serde_json::Value;

use super::{Args, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::App;
use crate::error::AppError;
use crate::mcp::schema::{number, object, props, source_fields, string};

/// The `get_balances` tool.
pub(crate) struct GetBalances;

pub(crate) fn balances_schema() -> Value {
    object(
        &props(&[
            &[
                ("account", string("account number, masked", false)),
                ("net_liquidating_value", number("net liquidating value", false)),
                ("cash_balance", number("cash balance", false)),
                ("equity_buying_power", number("buying power for stock", false)),
                (
                    "derivative_buying_power",
                    number(
                        "buying power for options: what a cash-secured put or a spread consumes",
                        false,
                    ),
                ),
                (
                    "maintenance_requirement",
                    number("maintenance requirement of open positions", false),
                ),
                (
                    "maintenance_excess",
                    number("net liq above the maintenance requirement", true),
                ),
                (
                    "buying_power_percent_of_net_liq",
                    number("option buying power as a percent of net liq", true),
                ),
                (
                    "day_trading_buying_power",
                    number("day-trading buying power", true),
                ),
                (
                    "cash_available_to_withdraw",
                    number("cash available to withdraw", true),
                ),
                ("pending_cash", number("pending cash, signed", true)),
                ("as_of", string("when the broker computed the figures", false)),
            ],
            &source_fields(),
        ]),
        &[
            "account",
            "net_liquidating_value",
            "cash_balance",
            "equity_buying_power",
            "derivative_buying_power",
            "maintenance_requirement",
            "as_of",
            "source",
            "synthetic",
        ],
        false,
    )
}

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
            output_schema: balances_schema(),
            read_only: true,
            destructive: false,
            idempotent: true,
            open_world: true,
        }
    }

    async fn call(&self, app: &App, args: Args, _ctx: &ToolContext) -> Result<ToolOutput, AppError> {
        args.only(&["account"])?;
        let view = app.balances_view(args.str("account")?).await?;
        let value = serde_json::to_value(&view).map_err(|_| AppError::internal("serialising balances"))?;
        Ok(ToolOutput::new(value))
    }
}
