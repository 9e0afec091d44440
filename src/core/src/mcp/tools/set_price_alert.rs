//! `set_price_alert`: watch a price; fires once when crossed.

use async_trait::async_trait;
use serde_json::json;

use super::{Args, Hints, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::{AlertView, App};
use crate::domain::AlertCondition;
use crate::error::AppError;
use crate::mcp::schema::{derived, enumeration, object, string};

/// The `set_price_alert` tool.
pub(crate) struct SetPriceAlert;

/// The tool's answer.
#[derive(serde::Serialize, schemars::JsonSchema)]
struct Output<'a> {
    /// The alert as set.
    alert: AlertView<'a>,
    /// The price when the alert was set.
    current_price: Option<f64>,
    /// How far the threshold is from the current price, percent.
    distance_percent: Option<f64>,
    /// The price already meets the condition: the alert fires at the next check (within
    /// seconds) instead of when the price next gets there. `null` without a price.
    already_met: Option<bool>,
    /// Active alerts now.
    active_alerts: usize,
}

#[async_trait]
impl Tool for SetPriceAlert {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "set_price_alert",
            title: "Set price alert",
            description: "Watch a symbol's price: the alert fires once when the last trade (or the mark when there is \
                no trade) is at or above (`above`) or at or below (`below`) the threshold. It is checked in the \
                background every few seconds and survives restarts. When it fires, every connected client gets a \
                `notifications/message` (level warning, logger ttai.alerts), the desktop app a line on stderr or a \
                webhook a POST; one that fired while no client was connected is reported by the next list_alerts \
                (`fired_while_away`). `already_met` says when the price is already there: such an alert fires at \
                the next check.",
            input_schema: object(
                &[
                    ("symbol", string("ticker to watch", false)),
                    (
                        "condition",
                        enumeration(
                            "fire when the price is at or above, or at or below, the threshold",
                            &["above", "below"],
                        ),
                    ),
                    (
                        "threshold",
                        json!({"type": "number", "exclusiveMinimum": 0, "description": "the price to cross (> 0)"}),
                    ),
                    (
                        "note",
                        json!({"type": "string", "maxLength": 500, "description": "why this level matters (optional)"}),
                    ),
                ],
                &["symbol", "condition", "threshold"],
                true,
            ),
            output_schema: derived::<Output<'static>>,
            hints: Hints::WRITES,
        }
    }

    async fn call(&self, app: &App, args: Args, _ctx: &ToolContext) -> Result<ToolOutput, AppError> {
        args.only(&["symbol", "condition", "threshold", "note"])?;
        let symbol = args.required_symbol("symbol")?;
        let condition_text = args.required_str("condition")?;
        let condition = AlertCondition::parse(condition_text).ok_or_else(|| {
            AppError::invalid(
                "condition",
                format!("must be above or below, got {condition_text:?}"),
            )
        })?;
        let threshold = args
            .f64("threshold")?
            .ok_or_else(|| AppError::invalid("threshold", "is required"))?;
        let note = args.str("note")?.map(str::to_owned);
        let (alert, price) = app.set_price_alert(symbol, condition, threshold, note).await?;
        let active = app
            .list_alerts(Some(crate::domain::AlertStatus::Active))
            .await?
            .len();
        let distance = price
            .filter(|p| *p > 0.0)
            .map(|p| ((threshold - p) / p * 10_000.0).round() / 100.0);
        Ok(ToolOutput::serialize(&Output {
            alert: AlertView::of(&alert),
            current_price: price,
            distance_percent: distance,
            already_met: price.map(|p| condition.is_met(p, threshold)),
            active_alerts: active,
        }))
    }
}
