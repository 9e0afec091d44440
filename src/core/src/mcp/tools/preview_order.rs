//! `preview_order`: the exact TastyTrade order for a candidate or legs, the broker's dry run and
//! ttai's checks. Read-only: nothing is placed.

use async_trait::async_trait;

use super::order_args::{order_input_schema, order_spec};
use super::{Args, Hints, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::App;
use crate::error::AppError;
use crate::mcp::schema::derived;

/// The `preview_order` tool.
pub(crate) struct PreviewOrder;

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
            output_schema: derived::<crate::app::orders::PreviewView>,
            hints: Hints::READS_BROKER,
        }
    }

    async fn call(&self, app: &App, args: Args, _ctx: &ToolContext) -> Result<ToolOutput, AppError> {
        let spec = order_spec(&args)?;
        let view = app.preview_order(&spec).await?;
        Ok(ToolOutput::serialize(&view))
    }
}
