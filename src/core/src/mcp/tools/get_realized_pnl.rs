//! `get_realized_pnl`: realized P&L by underlying over a period, from the transactions.

use async_trait::async_trait;

use super::{Args, Hints, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::App;
use crate::app::history::{RealizedRequest, RealizedView};
use crate::error::AppError;
use crate::mcp::schema::{account_argument, derived, object, string};

/// The `get_realized_pnl` tool.
pub(crate) struct GetRealizedPnl;

const ARGUMENTS: &[&str] = &["account", "start_date", "end_date", "symbol"];

#[async_trait]
impl Tool for GetRealizedPnl {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "get_realized_pnl",
            title: "Get realized P&L",
            description: "Realized P&L by underlying over a period (default: the year to date), computed from the \
                account's transactions: FIFO lots per instrument; expirations, assignments and exercises close options \
                at zero (the premium is realized); commission and fees realized with the close; dividends listed \
                beside. Totals, wins and losses, fees paid, and any close whose opening was not found (listed, never \
                guessed). `symbol` limits it to one underlying.",
            input_schema: object(
                &[
                    account_argument(),
                    (
                        "start_date",
                        string(
                            "first date of the period, YYYY-MM-DD; default: January 1 of end_date's year",
                            false,
                        ),
                    ),
                    (
                        "end_date",
                        string("last date of the period, YYYY-MM-DD; default: today", false),
                    ),
                    ("symbol", string("only this underlying", false)),
                ],
                &[],
                true,
            ),
            output_schema: derived::<RealizedView>,
            hints: Hints::READS_BROKER,
        }
    }

    async fn call(&self, app: &App, args: Args, _ctx: &ToolContext) -> Result<ToolOutput, AppError> {
        args.only(ARGUMENTS)?;
        let request = RealizedRequest {
            account: args.str("account")?.map(str::to_owned),
            start: args.date("start_date")?,
            end: args.date("end_date")?,
            symbol: args.symbol("symbol")?,
        };
        let view = app.realized_pnl(&request).await?;
        Ok(ToolOutput::serialize(&view))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::mcp::tools::test_context;
    use crate::testing::{sample_app, sample_market, schema};

    #[tokio::test]
    async fn the_answer_matches_its_schema() {
        let app = sample_app(sample_market());
        let ctx = test_context();
        let args = Args::from_value(Some(json!({"start_date": "2024-06-01"}))).unwrap();
        let value = GetRealizedPnl
            .call(&app, args, &ctx)
            .await
            .unwrap()
            .structured_value();
        let problems = schema::validate(&(GetRealizedPnl.spec().output_schema)(), &value);
        assert!(problems.is_empty(), "{problems:?}\n{value:#}");
        assert_eq!(value["realized"], 357.58);
        let bad = Args::from_value(Some(json!({"symbol": "not a symbol!"}))).unwrap();
        let error = GetRealizedPnl.call(&app, bad, &ctx).await.unwrap_err();
        assert_eq!(error.details["field"], "symbol");
    }
}
