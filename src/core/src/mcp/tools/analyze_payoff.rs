//! `analyze_payoff`: P&L of any options position over the underlying's price, at expiration and
//! on a chosen day, with breakevens, maximum profit and loss and probability of profit.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{Args, Hints, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::{App, LegKind, LegRequest, MAX_LEGS, Payoff, PayoffRequest};
use crate::error::AppError;
use crate::mcp::apps;
use crate::mcp::schema::{derived, enumeration, number, object, string};

/// The `analyze_payoff` tool.
pub(crate) struct AnalyzePayoff;

fn leg_input_schema() -> Value {
    object(
        &[
            (
                "type",
                enumeration("call, put or stock", &["call", "put", "stock"]),
            ),
            ("strike", number("strike (options)", false)),
            (
                "expiration",
                json!({"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2}$", "description": "expiration YYYY-MM-DD (options)"}),
            ),
            (
                "quantity",
                number(
                    "contracts (options) or shares (stock); negative is short, e.g. -1 for one short put",
                    false,
                ),
            ),
            (
                "price",
                number(
                    "entry price per share (default: the current mid, or the underlying price for stock)",
                    false,
                ),
            ),
        ],
        &["type", "quantity"],
        true,
    )
}

/// The tool's answer: the payoff and where its data came from.
#[derive(serde::Serialize, schemars::JsonSchema)]
struct Output<'a> {
    #[serde(flatten)]
    payoff: &'a Payoff,
    /// Where the data came from: `tastytrade` (live) or `replay:<tape>` (recorded).
    source: String,
    /// True when the data is made up (a demo tape): never real prices.
    synthetic: bool,
}

fn leg_request(index: usize, value: &Value) -> Result<LegRequest, AppError> {
    let field = format!("legs[{index}]");
    let Some(map) = value.as_object() else {
        return Err(AppError::invalid(&field, "must be an object"));
    };
    let leg = Args::from_map(map.clone());
    leg.only(&["type", "strike", "expiration", "quantity", "price"])
        .map_err(|e| AppError::invalid(&field, e.message))?;
    let named = |e: AppError| AppError::invalid(&field, e.message);
    let text = leg.required_str("type").map_err(named)?;
    let kind = LegKind::parse(text).ok_or_else(|| {
        AppError::invalid(
            &format!("{field}.type"),
            format!("must be call, put or stock, got {text:?}"),
        )
    })?;
    let quantity = leg
        .f64("quantity")
        .map_err(named)?
        .ok_or_else(|| AppError::invalid(&format!("{field}.quantity"), "is required (negative = short)"))?;
    let strike = leg.f64("strike").map_err(named)?;
    if let Some(k) = strike
        && !(k.is_finite() && k > 0.0)
    {
        return Err(AppError::invalid(&format!("{field}.strike"), "must be positive"));
    }
    Ok(LegRequest {
        kind,
        strike,
        expiration: leg.date("expiration").map_err(named)?,
        quantity,
        price: leg.f64("price").map_err(named)?,
    })
}

#[async_trait]
impl Tool for AnalyzePayoff {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "analyze_payoff",
            title: "Analyze payoff",
            description: "Payoff of an options position on one underlying: P&L over the underlying's price at the first \
                expiration and on a day before it (Black-Scholes-Merton at each leg's implied volatility, optionally \
                shifted), breakevens, maximum profit and loss (unlimited when so), probability of profit (risk-neutral, \
                as analyze_options), P&L at ±1σ/±2σ moves. Legs: calls, puts (strike, expiration, signed quantity in \
                contracts) and shares; entry prices default to the current mids. Pass an analyze_options candidate's \
                legs (sell = quantity -1) to see its payoff, or a position group's legs.",
            input_schema: object(
                &[
                    ("symbol", string("underlying ticker, e.g. SPY", false)),
                    (
                        "legs",
                        json!({"type": "array", "minItems": 1, "maxItems": MAX_LEGS, "items": leg_input_schema(), "description": "the position's legs"}),
                    ),
                    (
                        "days_forward",
                        json!({"type": "integer", "minimum": 0, "maximum": 3650, "description": "calendar days from now to the 'today' curve (default 0)"}),
                    ),
                    (
                        "iv_shift",
                        json!({"type": "number", "minimum": -100, "maximum": 100, "description": "vol points added to every implied volatility, e.g. -5 (default 0)"}),
                    ),
                ],
                &["symbol", "legs"],
                true,
            ),
            output_schema: derived::<Output<'static>>,
            hints: Hints::READS_BROKER,
        }
    }

    async fn call(&self, app: &App, args: Args, ctx: &ToolContext) -> Result<ToolOutput, AppError> {
        args.only(&["symbol", "legs", "days_forward", "iv_shift"])?;
        let symbol = args.required_symbol("symbol")?;
        let items = args
            .array("legs")?
            .ok_or_else(|| AppError::invalid("legs", "is required: 1 to 8 legs"))?;
        let legs = items
            .iter()
            .enumerate()
            .map(|(i, v)| leg_request(i, v))
            .collect::<Result<Vec<_>, _>>()?;
        let request = PayoffRequest {
            symbol,
            legs,
            days_forward: args.int("days_forward", 0, 3650)?.unwrap_or(0) as i32,
            iv_shift: args.f64("iv_shift")?.unwrap_or(0.0),
        };
        let payoff = app.payoff(&request).await?;
        let source = app.source();
        let mut output = ToolOutput::serialize(&Output {
            payoff: &payoff,
            source: source.source.clone(),
            synthetic: source.synthetic,
        });
        if apps::wanted(ctx) {
            output.meta = Some(apps::meta(apps::payoff::view_model(&payoff, &source)));
        }
        Ok(output)
    }
}
