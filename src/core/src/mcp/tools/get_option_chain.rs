//! `get_option_chain`: expirations → strikes → call/put markets.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{Args, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::{App, ChainFilter};
use crate::error::AppError;
use crate::mcp::apps;
use crate::mcp::schema::{array, boolean, integer, nullable, number, object, props, source_fields, string};

/// The `get_option_chain` tool.
pub(crate) struct GetOptionChain;

fn contract_schema() -> Value {
    nullable(object(
        &[
            ("symbol", string("OCC option symbol", false)),
            ("bid", number("best bid", true)),
            ("ask", number("best ask", true)),
            ("mid", number("mid of a two-sided market", true)),
            ("last", number("last trade", true)),
            ("volume", number("volume today", true)),
            ("open_interest", number("open interest", true)),
            ("two_sided", boolean("true when bid > 0 and ask ≥ bid")),
            (
                "spread_percent",
                number("(ask − bid) / mid in percent: above ~10% is a wide market", true),
            ),
            (
                "broker_greeks",
                object(
                    &[
                        (
                            "iv",
                            number("the broker feed's implied volatility, decimal", false),
                        ),
                        ("delta", number("the broker feed's delta", false)),
                        ("gamma", number("the broker feed's gamma per $1", false)),
                        ("as_of", string("when the feed computed them (RFC 3339)", false)),
                    ],
                    &["iv", "delta", "gamma", "as_of"],
                    false,
                ),
            ),
        ],
        &["symbol", "bid", "ask", "mid", "two_sided"],
        false,
    ))
}

/// The expected move to one expiration (shared with analyze_options).
pub(crate) fn expected_move_schema() -> Value {
    object(
        &[
            ("expiration", string("YYYY-MM-DD", false)),
            ("dte", integer("calendar days to expiration", false)),
            (
                "atm_strike",
                number("strike nearest the price (the straddle's)", false),
            ),
            (
                "atm_iv",
                number(
                    "at-the-money implied volatility, interpolated to the price",
                    false,
                ),
            ),
            (
                "one_sigma",
                number(
                    "±1σ move by expiration: price × ATM IV × √(years to 16:00 New York)",
                    false,
                ),
            ),
            (
                "one_sigma_percent",
                number("that move, percent of the price", false),
            ),
            ("lower", number("price − 1σ", false)),
            ("upper", number("price + 1σ", false)),
            ("straddle", number("ATM call mid + put mid", true)),
            (
                "straddle_percent",
                number("the straddle, percent of the price", true),
            ),
        ],
        &[
            "expiration",
            "dte",
            "atm_iv",
            "one_sigma",
            "lower",
            "upper",
            "straddle",
        ],
        false,
    )
}

pub(crate) fn chain_schema() -> Value {
    let strike = object(
        &[
            ("strike", number("strike price", false)),
            ("call", contract_schema()),
            ("put", contract_schema()),
        ],
        &["strike", "call", "put"],
        false,
    );
    let expiration = object(
        &[
            ("date", string("expiration date YYYY-MM-DD", false)),
            ("dte", integer("calendar days to expiration", false)),
            (
                "underlying",
                string(
                    "the futures contract these options deliver (options on futures)",
                    false,
                ),
            ),
            (
                "underlying_price",
                number("that contract's price, which IV and greeks use", false),
            ),
            ("expiration_type", string("Regular (monthly), Weekly, ...", false)),
            ("settlement", string("AM or PM", false)),
            ("expected_move", nullable(expected_move_schema())),
            ("strikes", array("strikes, lowest first", strike)),
        ],
        &["date", "dte", "strikes"],
        false,
    );
    object(
        &props(&[
            &[
                ("symbol", string("the underlying", false)),
                (
                    "underlying_price",
                    number("underlying price used to centre strikes", true),
                ),
                ("shares_per_contract", integer("shares per contract", false)),
                ("exercise_style", string("American for US equity options", false)),
                ("as_of", string("when the quotes were taken", false)),
                (
                    "expirations",
                    array("expirations after filtering, soonest first", expiration),
                ),
                (
                    "available_expirations",
                    array(
                        "every listed expiration",
                        object(
                            &[
                                ("date", string("YYYY-MM-DD", false)),
                                ("dte", integer("days", false)),
                            ],
                            &["date", "dte"],
                            false,
                        ),
                    ),
                ),
                (
                    "filters",
                    json!({"type": "object", "description": "the filters applied"}),
                ),
            ],
            &source_fields(),
        ]),
        &[
            "symbol",
            "underlying_price",
            "as_of",
            "expirations",
            "available_expirations",
            "source",
            "synthetic",
        ],
        false,
    )
}

#[async_trait]
impl Tool for GetOptionChain {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "get_option_chain",
            title: "Get option chain",
            description: "Option chain of an underlying: expirations → strikes → call and put with bid, ask, mid, \
                volume, open interest, and the implied volatility of the mid with delta, gamma, theta and vega \
                (Black-Scholes-Merton to the 16:00 New York close; null when the market is not two-sided). Each \
                expiration carries its expected move: ±1σ from the at-the-money IV and the ATM straddle. Default view: expirations 0–60 days \
                out and 10 strikes on each side of the money; narrow it with `expiration`, `dte_min`/`dte_max` and \
                `strikes_around`.",
            input_schema: object(
                &[
                    ("symbol", string("underlying ticker, e.g. SPY", false)),
                    (
                        "expiration",
                        json!({"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2}$", "description": "only this expiration (YYYY-MM-DD)"}),
                    ),
                    (
                        "dte_min",
                        json!({"type": "integer", "minimum": 0, "maximum": 1000, "description": "minimum days to expiration (default 0)"}),
                    ),
                    (
                        "dte_max",
                        json!({"type": "integer", "minimum": 0, "maximum": 1000, "description": "maximum days to expiration (default 60)"}),
                    ),
                    (
                        "strikes_around",
                        json!({"type": "integer", "minimum": 1, "maximum": 100, "description": "strikes on each side of the money (default 10)"}),
                    ),
                ],
                &["symbol"],
                true,
            ),
            output_schema: chain_schema(),
            read_only: true,
            destructive: false,
            idempotent: true,
            open_world: true,
        }
    }

    async fn call(&self, app: &App, args: Args, ctx: &ToolContext) -> Result<ToolOutput, AppError> {
        args.only(&["symbol", "expiration", "dte_min", "dte_max", "strikes_around"])?;
        let symbol = args.required_symbol("symbol")?;
        let defaults = ChainFilter::default_view();
        let dte_min = args
            .int("dte_min", 0, 1000)?
            .map_or(defaults.dte_min, |v| v as i32);
        let dte_max = args
            .int("dte_max", 0, 1000)?
            .map_or(defaults.dte_max, |v| v as i32);
        if dte_min > dte_max {
            return Err(AppError::invalid(
                "dte_min",
                format!("must not exceed dte_max ({dte_max})"),
            ));
        }
        let filter = ChainFilter {
            expiration: args.date("expiration")?,
            dte_min,
            dte_max,
            strikes_around: args
                .int("strikes_around", 1, 100)?
                .map_or(defaults.strikes_around, |v| Some(v as usize)),
        };
        let view = app.chain_view(&symbol, &filter).await?;
        let value = serde_json::to_value(&view).map_err(|_| AppError::internal("serialising the chain"))?;
        let mut output = ToolOutput::new(value);
        if apps::wanted(ctx) {
            output.meta = Some(apps::meta(apps::chain::chain_view_model(&view)));
        }
        Ok(output)
    }
}
