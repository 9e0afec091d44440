//! What `preview_order` and `place_order` take (the same arguments: `place_order` previews the
//! order again before asking), and the schemas the order tools share.

use serde_json::{Value, json};

use super::{Args, ToolOutput};
use crate::app::orders::{Confirmed, LegSpec, OrderSource, OrderSpec, parse_action};
use crate::domain::{AnalysisId, MAX_ORDER_LEGS, OptionType, PriceEffect, TimeInForce};
use crate::error::AppError;
use crate::mcp::input::InputRequired;
use crate::mcp::schema::{boolean, enumeration, number, object, string};

/// The arguments both tools take.
pub(crate) const ORDER_ARGS: [&str; 10] = [
    "account",
    "analysis_id",
    "rank",
    "symbol",
    "legs",
    "contracts",
    "price",
    "price_effect",
    "time_in_force",
    "allow_below_basis",
];

const ACTIONS: [&str; 4] = ["sell_to_open", "buy_to_open", "buy_to_close", "sell_to_close"];

/// The input schema of `preview_order` and `place_order`.
pub(crate) fn order_input_schema() -> Value {
    let leg = object(
        &[
            (
                "symbol",
                string(
                    "the option's OCC symbol, e.g. \"SPY   261224P00540000\" (or give type, strike and expiration)",
                    false,
                ),
            ),
            ("type", enumeration("call or put", &["call", "put"])),
            ("strike", number("strike", false)),
            (
                "expiration",
                json!({"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2}$", "description": "expiration YYYY-MM-DD"}),
            ),
            ("action", enumeration("what the leg does", &ACTIONS)),
            (
                "quantity",
                json!({"type": "integer", "minimum": 1, "maximum": 10000, "description": "contracts"}),
            ),
        ],
        &["action", "quantity"],
        true,
    );
    object(
        &[
            (
                "account",
                string("account number (default: the configured or first account)", false),
            ),
            (
                "analysis_id",
                string(
                    "a saved analyze_options or run_full_analysis (anl_…): order one of its candidates",
                    false,
                ),
            ),
            (
                "rank",
                json!({"type": "integer", "minimum": 1, "maximum": 50, "description": "the candidate's rank in that analysis (1 is best)"}),
            ),
            (
                "symbol",
                string("the underlying, with legs (instead of an analysis)", false),
            ),
            (
                "legs",
                json!({"type": "array", "minItems": 1, "maxItems": MAX_ORDER_LEGS, "items": leg, "description": "the order's option legs (instead of an analysis)"}),
            ),
            (
                "contracts",
                json!({"type": "integer", "minimum": 1, "maximum": 10000, "description": "contracts of the candidate (default: the recommendation's, else 1)"}),
            ),
            (
                "price",
                json!({"type": "number", "exclusiveMinimum": 0, "description": "limit per share, on the option's tick (default: the mid now, rounded toward a fill)"}),
            ),
            (
                "price_effect",
                enumeration(
                    "credit (receive) or debit (pay), with price (default: the market's side)",
                    &["credit", "debit"],
                ),
            ),
            (
                "time_in_force",
                enumeration("day (default) or gtc", &["day", "gtc"]),
            ),
            (
                "allow_below_basis",
                boolean("allow a covered call struck below the shares' cost basis (default false)"),
            ),
        ],
        &[],
        true,
    )
}

fn leg_spec(index: usize, value: &Value) -> Result<LegSpec, AppError> {
    let field = format!("legs[{index}]");
    let Some(map) = value.as_object() else {
        return Err(AppError::invalid(&field, "must be an object"));
    };
    let leg = Args::from_map(map.clone());
    let named = |e: AppError| AppError::invalid(&field, e.message);
    leg.only(&["symbol", "type", "strike", "expiration", "action", "quantity"])
        .map_err(named)?;
    let text = leg.required_str("action").map_err(named)?;
    let action = parse_action(text).ok_or_else(|| {
        AppError::invalid(
            &format!("{field}.action"),
            format!("must be one of {}, got {text:?}", ACTIONS.join(", ")),
        )
    })?;
    let quantity = leg
        .int("quantity", 1, 10_000)
        .map_err(named)?
        .ok_or_else(|| AppError::invalid(&format!("{field}.quantity"), "is required (contracts)"))?;
    let option_type = match leg.str("type").map_err(named)? {
        None => None,
        Some("call") => Some(OptionType::Call),
        Some("put") => Some(OptionType::Put),
        Some(other) => {
            return Err(AppError::invalid(
                &format!("{field}.type"),
                format!("must be call or put, got {other:?}"),
            ));
        }
    };
    Ok(LegSpec {
        symbol: leg.symbol("symbol").map_err(named)?,
        option_type,
        strike: leg.f64("strike").map_err(named)?,
        expiration: leg.date("expiration").map_err(named)?,
        action,
        quantity: u32::try_from(quantity).unwrap_or(1),
    })
}

/// Reads the arguments into an order request.
pub(crate) fn order_spec(args: &Args) -> Result<OrderSpec, AppError> {
    args.only(&ORDER_ARGS)?;
    let source = match (args.str("analysis_id")?, args.array("legs")?) {
        (Some(_), Some(_)) => {
            return Err(AppError::invalid(
                "legs",
                "give analysis_id and rank, or symbol and legs, not both",
            ));
        }
        (Some(id), None) => OrderSource::Candidate {
            analysis_id: AnalysisId(id.trim().to_owned()),
            rank: args
                .int("rank", 1, 50)?
                .map_or(1, |r| usize::try_from(r).unwrap_or(1)),
        },
        (None, Some(items)) => OrderSource::Legs {
            underlying: args.required_symbol("symbol")?,
            legs: items
                .iter()
                .enumerate()
                .map(|(i, v)| leg_spec(i, v))
                .collect::<Result<Vec<_>, _>>()?,
        },
        (None, None) => {
            return Err(AppError::invalid(
                "analysis_id",
                "give analysis_id and rank (a candidate of a saved analysis), or symbol and legs",
            ));
        }
    };
    if matches!(source, OrderSource::Legs { .. }) && args.has("contracts") {
        return Err(AppError::invalid(
            "contracts",
            "applies to an analysis candidate; give each leg's quantity instead",
        ));
    }
    let price_effect = match args.str("price_effect")? {
        None => None,
        Some("credit") => Some(PriceEffect::Credit),
        Some("debit") => Some(PriceEffect::Debit),
        Some(other) => {
            return Err(AppError::invalid(
                "price_effect",
                format!("must be credit or debit, got {other:?}"),
            ));
        }
    };
    let time_in_force = match args.str("time_in_force")? {
        None => TimeInForce::Day,
        Some(text) => TimeInForce::parse(text)
            .ok_or_else(|| AppError::invalid("time_in_force", format!("must be day or gtc, got {text:?}")))?,
    };
    Ok(OrderSpec {
        account: args.str("account")?.map(str::to_owned),
        source,
        contracts: args
            .int("contracts", 1, 10_000)?
            .and_then(|c| u32::try_from(c).ok()),
        price: args.f64("price")?,
        price_effect,
        time_in_force,
        allow_below_basis: args.bool("allow_below_basis")?.unwrap_or(false),
    })
}

/// A confirmed use case's answer: its view, or (MCP 2026-07-28) the question for the client to
/// ask first, as an `InputRequiredResult`.
pub(super) fn confirmed<T: serde::Serialize>(outcome: Confirmed<T>) -> ToolOutput {
    match outcome {
        Confirmed::Done(view) => ToolOutput::serialize(&view),
        Confirmed::Asking(question) => ToolOutput::needs_input(InputRequired {
            requests: question.requests,
            state: question.state,
        }),
    }
}
