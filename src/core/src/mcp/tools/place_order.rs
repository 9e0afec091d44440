//! `place_order`: previews the order again, asks the person to confirm this exact order through
//! the client (elicitation), and places it once. Off unless the server runs with
//! `--allow-orders`.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::order_args::{
    broker_verdict_schema, order_input_schema, order_spec, order_summary_schema, order_view_schema, paper_field,
};
use super::{Args, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::App;
use crate::error::AppError;
use crate::mcp::elicitation::ElicitationConsent;
use crate::mcp::schema::{boolean, enumeration, nullable, object, props, source_fields, string};

/// The `place_order` tool.
pub(crate) struct PlaceOrder;

fn output_schema() -> Value {
    object(
        &props(&[
            &[
                ("placed", boolean("the broker took the order")),
                (
                    "outcome",
                    enumeration("placed, or the person's other choice", &["placed", "declined", "cancelled"]),
                ),
                paper_field(),
                ("account", string("the account, masked", false)),
                ("order", order_view_schema()),
                ("order_hash", string("the order's fingerprint", false)),
                ("broker_order", nullable(order_summary_schema())),
                ("broker", json!({"anyOf": [broker_verdict_schema(), {"type": "null"}]})),
                ("message", string("one sentence", false)),
            ],
            &source_fields(),
        ]),
        &["placed", "outcome", "paper", "account", "order", "order_hash", "message", "source", "synthetic"],
        false,
    )
}

#[async_trait]
impl Tool for PlaceOrder {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "place_order",
            title: "Place an order (you confirm it)",
            description: "Places the order preview_order shows for the same arguments, after YOU confirm it: ttai previews \
                it again (TastyTrade's dry run and ttai's checks; any blocking check refuses it), then asks you through \
                your MCP client (a form showing the order, price, fees and buying-power effect) to accept or decline. \
                Only your acceptance of that exact order, within 2 minutes, places it, once. Refused when the server \
                runs without --allow-orders, when the client cannot show the form, or beyond the server's limits \
                (contracts and buying power per order). Says paper: true when orders are simulated.",
            input_schema: order_input_schema(),
            output_schema: output_schema(),
            read_only: false,
            destructive: true,
            idempotent: false,
            open_world: true,
        }
    }

    async fn call(&self, app: &App, args: Args, ctx: &ToolContext) -> Result<ToolOutput, AppError> {
        let spec = order_spec(&args)?;
        let consent = ElicitationConsent::new(ctx.session.clone(), ctx.reply_to.clone());
        let view = app.place_order(&spec, &consent).await?;
        Ok(ToolOutput::serialize(&view))
    }
}
