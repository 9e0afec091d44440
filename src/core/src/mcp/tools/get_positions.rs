//! `get_positions`: open positions with marks, P&L and DTE.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{Args, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::App;
use crate::error::AppError;
use crate::mcp::schema::{array, enumeration, integer, number, object, props, source_fields, string};

/// The `get_positions` tool.
pub(crate) struct GetPositions;

/// One position (also the analyses' `positions_in_symbol`).
pub(crate) fn position_schema() -> Value {
    object(
        &[
            ("symbol", string("instrument symbol (OCC for options)", false)),
            ("underlying", string("underlying symbol", false)),
            (
                "instrument_type",
                string("equity, equity_option, future, ...", false),
            ),
            ("quantity", number("signed quantity: negative when short", false)),
            ("direction", enumeration("long or short", &["long", "short"])),
            (
                "average_open_price",
                number("average open price per share or per option", false),
            ),
            ("mark", number("current mark per share or option", true)),
            (
                "mark_source",
                enumeration("where the mark came from", &["broker", "quote", "close", "none"]),
            ),
            (
                "multiplier",
                number("contract multiplier (100 for equity options)", false),
            ),
            ("market_value", number("mark × quantity × multiplier", true)),
            (
                "cost_basis",
                number("average open × quantity × multiplier", false),
            ),
            (
                "unrealized_pnl",
                number("(mark − open) × quantity × multiplier", true),
            ),
            (
                "unrealized_pnl_percent",
                number("P&L as a percent of |cost basis|", true),
            ),
            (
                "day_pnl",
                number("(mark − previous close) × quantity × multiplier", true),
            ),
            (
                "option_type",
                json!({"type": ["string", "null"], "enum": ["call", "put", null], "description": "for options"}),
            ),
            ("strike", number("for options", true)),
            ("expiration", string("for options, YYYY-MM-DD", true)),
            ("dte", integer("for options, calendar days to expiration", true)),
        ],
        &[
            "symbol",
            "underlying",
            "instrument_type",
            "quantity",
            "average_open_price",
            "mark",
            "multiplier",
            "unrealized_pnl",
        ],
        false,
    )
}

pub(crate) fn positions_schema() -> Value {
    let position = position_schema();
    object(
        &props(&[
            &[
                ("account", string("account number, masked", false)),
                ("positions", array("open positions, by underlying", position)),
                ("count", integer("number of positions", false)),
                ("total_market_value", number("sum of market values", false)),
                ("total_unrealized_pnl", number("sum of unrealized P&L", false)),
                ("total_day_pnl", number("sum of day P&L", false)),
                ("as_of", string("market time of the answer", false)),
            ],
            &source_fields(),
        ]),
        &[
            "account",
            "positions",
            "count",
            "total_unrealized_pnl",
            "as_of",
            "source",
            "synthetic",
        ],
        false,
    )
}

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
            output_schema: positions_schema(),
            read_only: true,
            destructive: false,
            idempotent: true,
            open_world: true,
        }
    }

    async fn call(&self, app: &App, args: Args, _ctx: &ToolContext) -> Result<ToolOutput, AppError> {
        args.only(&["account"])?;
        let view = app.positions_view(args.str("account")?).await?;
        let value = serde_json::to_value(&view).map_err(|_| AppError::internal("serialising positions"))?;
        Ok(ToolOutput::new(value))
    }
}
