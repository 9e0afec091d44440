//! `preview_order`: the exact TastyTrade order for a candidate or legs, the broker's dry run and
//! ttai's checks. Read-only: nothing is placed.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::order_args::{
    broker_verdict_schema, order_input_schema, order_spec, order_view_schema, paper_field,
};
use super::{Args, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::App;
use crate::error::AppError;
use crate::mcp::schema::{array, boolean, number, object, props, source_fields, string};

/// The `preview_order` tool.
pub(crate) struct PreviewOrder;

/// ttai's checks (`Caution`).
pub(crate) fn checks_schema() -> Value {
    array(
        "ttai's checks, most severe first (blocking stops place_order)",
        object(
            &[
                (
                    "severity",
                    json!({"type": "string", "enum": ["blocking", "major", "minor"]}),
                ),
                ("code", string("a stable name, e.g. naked_call", false)),
                ("message", string("what it is, with the numbers", false)),
            ],
            &["severity", "code", "message"],
            false,
        ),
    )
}

fn output_schema() -> Value {
    object(
        &props(&[
            &[
                paper_field(),
                ("account", string("the account, masked", false)),
                ("order", order_view_schema()),
                (
                    "order_hash",
                    string(
                        "SHA-256 of the order's canonical text: what a confirmation is bound to",
                        false,
                    ),
                ),
                (
                    "order_code",
                    string("its first 8 hex digits, shown to the person", false),
                ),
                (
                    "market",
                    json!({"type": ["object", "null"], "description": "net mid, natural, suggested limit and tick now"}),
                ),
                ("price_from", string("given or market", false)),
                (
                    "from_analysis",
                    json!({"type": ["object", "null"], "description": "the analysis candidate it came from"}),
                ),
                ("broker", broker_verdict_schema()),
                ("checks", checks_schema()),
                ("placeable", boolean("no check blocks it")),
                (
                    "orders_enabled",
                    boolean("this server may place orders (--allow-orders)"),
                ),
                (
                    "limits",
                    object(
                        &[
                            ("max_contracts_per_order", number("contracts", false)),
                            ("max_order_bp_percent", number("percent of net liq", false)),
                            ("confirmation_valid_seconds", number("seconds", false)),
                        ],
                        &["max_contracts_per_order", "max_order_bp_percent"],
                        false,
                    ),
                ),
                ("next_step", string("what to do next", false)),
                ("as_of", string("market clock", false)),
            ],
            &source_fields(),
        ]),
        &[
            "paper",
            "account",
            "order",
            "order_hash",
            "order_code",
            "broker",
            "checks",
            "placeable",
            "orders_enabled",
            "next_step",
            "source",
            "synthetic",
        ],
        false,
    )
}

#[async_trait]
impl Tool for PreviewOrder {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "preview_order",
            title: "Preview an order",
            description: "Builds the exact TastyTrade order for a candidate of a saved analysis (analysis_id and rank, \
                from analyze_options or run_full_analysis) or for option legs (symbol and legs): OCC symbols, actions, \
                quantities, a limit price on the option's tick (default: the mid now, rounded toward a fill), time in \
                force. Sends it to TastyTrade's dry run and answers the order, the buying-power effect, fees and \
                warnings, with ttai's own checks (the server's limits, naked calls, covered calls below basis, closing \
                what is not held, the advice's sizing caps, the limit against the market). Places nothing; \
                place_order takes the same arguments. Says paper: true when orders are simulated.",
            input_schema: order_input_schema(),
            output_schema: output_schema(),
            read_only: true,
            destructive: false,
            idempotent: true,
            open_world: true,
            long_running: false,
        }
    }

    async fn call(&self, app: &App, args: Args, _ctx: &ToolContext) -> Result<ToolOutput, AppError> {
        let spec = order_spec(&args)?;
        let view = app.preview_order(&spec).await?;
        Ok(ToolOutput::serialize(&view))
    }
}
