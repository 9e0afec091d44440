//! What `preview_order` and `place_order` take (the same arguments: `place_order` previews the
//! order again before asking), and the schemas the order tools share.

use serde_json::{Value, json};

use super::{Args, ToolOutput};
use crate::app::orders::{Confirmed, LegSpec, OrderSource, OrderSpec, parse_action};
use crate::domain::{AnalysisId, MAX_ORDER_LEGS, OptionType, PriceEffect, TimeInForce};
use crate::error::AppError;
use crate::mcp::input::InputRequired;
use crate::mcp::schema::{array, boolean, enumeration, integer, number, object, string};

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

/// The schema of an order as the answers show it (`OrderView`).
pub(crate) fn order_view_schema() -> Value {
    let leg = object(
        &[
            ("symbol", string("OCC symbol", false)),
            ("action", enumeration("what the leg does", &ACTIONS)),
            ("quantity", integer("contracts", false)),
            ("option_type", enumeration("call or put", &["call", "put"])),
            ("strike", number("strike", false)),
            ("expiration", string("YYYY-MM-DD", false)),
            ("bid", number("bid now", true)),
            ("ask", number("ask now", true)),
            ("mid", number("mid now", true)),
        ],
        &[
            "symbol",
            "action",
            "quantity",
            "option_type",
            "strike",
            "expiration",
        ],
        false,
    );
    object(
        &[
            ("ticket", string("the order as a trader reads it", false)),
            ("underlying", string("the underlying", false)),
            ("order_type", enumeration("always limit", &["limit"])),
            ("time_in_force", enumeration("day or gtc", &["day", "gtc"])),
            ("price", number("limit per share, on the tick", false)),
            (
                "price_effect",
                enumeration("credit or debit", &["credit", "debit"]),
            ),
            ("size", integer("contracts (largest leg)", false)),
            ("legs", array("legs with their markets now", leg)),
            (
                "cash_at_limit",
                number(
                    "cash when filled at the limit, before fees ($, credit positive)",
                    false,
                ),
            ),
        ],
        &[
            "ticket",
            "underlying",
            "time_in_force",
            "price",
            "price_effect",
            "size",
            "legs",
        ],
        false,
    )
}

/// The schema of a broker's order summary (`OrderSummary`).
pub(crate) fn order_summary_schema() -> Value {
    object(
        &[
            ("id", string("the broker's order id", true)),
            (
                "status",
                string("received, live, filled, cancelled, expired, rejected, ...", false),
            ),
            ("ticket", string("the order as a trader reads it", false)),
            ("underlying", string("the underlying", false)),
            ("price", number("limit per share", true)),
            (
                "price_effect",
                json!({"type": ["string", "null"], "enum": ["credit", "debit", null]}),
            ),
            ("size", number("contracts", true)),
            ("time_in_force", enumeration("day or gtc", &["day", "gtc"])),
            ("remaining", number("contracts not yet filled", false)),
            ("fill_price", number("average net fill price per share", true)),
            ("received_at", string("when received", true)),
            (
                "terminal_at",
                string("when it filled, was cancelled or expired", true),
            ),
            ("cancellable", boolean("a cancel may be asked for")),
            ("reject_reason", string("why it was rejected", true)),
        ],
        &["id", "status", "ticket", "underlying", "remaining", "cancellable"],
        false,
    )
}

/// The broker's verdict (`BrokerVerdict`).
pub(crate) fn broker_verdict_schema() -> Value {
    let message = object(
        &[
            ("code", string("the broker's code", false)),
            ("message", string("its words", false)),
        ],
        &["code", "message"],
        false,
    );
    object(
        &[
            ("accepted", boolean("the broker reports no error")),
            (
                "buying_power_used",
                number("buying power the order uses, $ (negative: frees)", true),
            ),
            (
                "buying_power_effect",
                json!({"type": ["object", "null"], "description": "the broker's figures, signed (a debit is negative)"}),
            ),
            (
                "fees",
                json!({"type": ["object", "null"], "description": "fees as costs: commission, clearing_fees, regulatory_fees, proprietary_index_option_fees, total_fees"}),
            ),
            ("warnings", array("warnings", message.clone())),
            ("errors", array("errors that refuse the order", message)),
        ],
        &["accepted", "warnings", "errors"],
        false,
    )
}

/// The paper flag every order answer carries.
pub(crate) fn paper_field() -> (&'static str, Value) {
    (
        "paper",
        boolean("true when orders are simulated (paper trading): nothing reaches a real account"),
    )
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
