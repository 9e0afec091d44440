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
        // A `fields` selection keeps only the fields asked for.
        &[],
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
            (
                "strikes_listed",
                integer(
                    "strikes the expiration lists (the answer shows those around the money)",
                    false,
                ),
            ),
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
                (
                    "left_out",
                    object(
                        &[
                            (
                                "expirations",
                                integer("listed expirations not in this answer", false),
                            ),
                            (
                                "strikes",
                                integer("strikes of these expirations beyond strikes_around", false),
                            ),
                            (
                                "rows_on_later_pages",
                                integer("strike rows that follow on the pages of next_cursor", false),
                            ),
                            ("how_to_get_more", string("the arguments that show them", false)),
                        ],
                        &["expirations", "strikes", "rows_on_later_pages", "how_to_get_more"],
                        false,
                    ),
                ),
                (
                    "next_cursor",
                    string(
                        "pass as `cursor` with the same arguments for the rest of the answer; null when complete",
                        true,
                    ),
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
            "left_out",
            "next_cursor",
            "source",
            "synthetic",
        ],
        false,
    )
}

/// The contract fields a `fields` selection may name (every one by default).
const CONTRACT_FIELDS: [&str; 16] = [
    "symbol",
    "bid",
    "ask",
    "mid",
    "last",
    "volume",
    "open_interest",
    "two_sided",
    "spread_percent",
    "iv",
    "delta",
    "gamma",
    "theta",
    "vega",
    "prob_itm",
    "broker_greeks",
];

/// The most bytes of JSON one answer carries (about 4 000 tokens); the strikes beyond it come
/// on later pages (`next_cursor`).
pub(crate) const ANSWER_BYTES: usize = 14 * 1024;

/// A cursor is the first strike row of the next page: `row-<n>`.
const CURSOR_PREFIX: &str = "row-";

/// How to see what an answer left out, for the model.
const HOW_TO_GET_MORE: &str = "another expiration: `expiration` (one of available_expirations), or every \
    expiration in a window with `dte_min`/`dte_max`; more strikes: `strikes_around` (up to 100); smaller \
    rows: `fields` (e.g. [\"bid\",\"ask\",\"iv\",\"delta\"]); the rest of a long answer: pass `next_cursor` back \
    as `cursor` with the same arguments";

/// Reads `fields`: contract field names, each once.
fn fields_arg(args: &Args) -> Result<Option<Vec<&'static str>>, AppError> {
    let Some(items) = args.array("fields")? else {
        return Ok(None);
    };
    let mut fields = Vec::new();
    for item in items {
        let name = item.as_str().unwrap_or_default();
        let Some(known) = CONTRACT_FIELDS.iter().find(|f| **f == name) else {
            return Err(AppError::invalid(
                "fields",
                format!(
                    "{item} is not a contract field; choose from {}",
                    CONTRACT_FIELDS.join(", ")
                ),
            ));
        };
        if !fields.contains(known) {
            fields.push(*known);
        }
    }
    if fields.is_empty() {
        return Err(AppError::invalid("fields", "name at least one contract field"));
    }
    Ok(Some(fields))
}

/// Keeps only `fields` of every call and put of `expiration`.
fn select_fields(expiration: &mut Value, fields: &[&str]) {
    let Some(strikes) = expiration.get_mut("strikes").and_then(Value::as_array_mut) else {
        return;
    };
    for row in strikes {
        for side in ["call", "put"] {
            if let Some(contract) = row.get_mut(side).and_then(Value::as_object_mut) {
                contract.retain(|key, _| fields.contains(&key.as_str()));
            }
        }
    }
}

fn json_len(value: &Value) -> usize {
    serde_json::to_string(value).map_or(0, |text| text.len())
}

/// One page of strike rows: the rows of `expirations` (in order, expiration by expiration) from
/// `offset`, as many as fit in `budget` bytes (at least one).
struct Page {
    expirations: Vec<Value>,
    /// The offset of the first row left for the next page.
    next: Option<usize>,
    /// Rows in all pages.
    total: usize,
}

fn with_rows(mut expiration: Value, rows: Vec<Value>) -> Value {
    if let Some(map) = expiration.as_object_mut() {
        map.insert("strikes".into(), Value::Array(rows));
    }
    expiration
}

fn page(expirations: Vec<Value>, offset: usize, budget: usize) -> Page {
    let total = expirations
        .iter()
        .map(|e| e.get("strikes").and_then(Value::as_array).map_or(0, Vec::len))
        .sum();
    let mut out = Vec::new();
    let (mut used, mut index, mut next) = (0usize, 0usize, None);
    'expirations: for mut expiration in expirations {
        let rows = match expiration.get_mut("strikes") {
            Some(Value::Array(rows)) => std::mem::take(rows),
            _ => Vec::new(),
        };
        let mut kept = Vec::new();
        for row in rows {
            let at = index;
            index += 1;
            if at < offset {
                continue;
            }
            let cost = json_len(&row) + 1 + if kept.is_empty() { json_len(&expiration) } else { 0 };
            if used + cost > budget && (used > 0 || !kept.is_empty()) {
                next = Some(at);
                if !kept.is_empty() {
                    out.push(with_rows(expiration, kept));
                }
                break 'expirations;
            }
            used += cost;
            kept.push(row);
        }
        if !kept.is_empty() {
            out.push(with_rows(expiration, kept));
        }
    }
    Page {
        expirations: out,
        next,
        total,
    }
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
                expiration carries its expected move: ±1σ from the at-the-money IV and the ATM straddle. Default: \
                a trader's first look, the one expiration nearest 30–45 days out (the monthly one when several fall \
                inside) with 5 strikes on each side of the money. `left_out` says what the answer left out and how \
                to ask for it: `expiration` (one of available_expirations), every expiration of a window with \
                `dte_min`/`dte_max`, `strikes_around` for more strikes, `fields` for smaller rows. Answers stay \
                under about 14 KB: a longer one pages, and `next_cursor` (passed back as `cursor` with the same \
                arguments) continues it.",
            input_schema: object(
                &[
                    ("symbol", string("underlying ticker, e.g. SPY", false)),
                    (
                        "expiration",
                        json!({"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2}$", "description": "only this expiration (YYYY-MM-DD)"}),
                    ),
                    (
                        "dte_min",
                        json!({"type": "integer", "minimum": 0, "maximum": 1000, "description": "every expiration at least this many days out (default 0 when dte_max is given; without either, the one expiration nearest 30–45 days)"}),
                    ),
                    (
                        "dte_max",
                        json!({"type": "integer", "minimum": 0, "maximum": 1000, "description": "every expiration at most this many days out (default 1000 when dte_min is given)"}),
                    ),
                    (
                        "strikes_around",
                        json!({"type": "integer", "minimum": 1, "maximum": 100, "description": "strikes on each side of the money (default 5)"}),
                    ),
                    (
                        "fields",
                        json!({"type": "array", "items": {"type": "string", "enum": CONTRACT_FIELDS}, "minItems": 1, "description": "only these fields of each call and put (default: all)"}),
                    ),
                    (
                        "cursor",
                        string(
                            "a previous answer's next_cursor, for the rest of the answer",
                            false,
                        ),
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
            long_running: false,
        }
    }

    async fn call(&self, app: &App, args: Args, ctx: &ToolContext) -> Result<ToolOutput, AppError> {
        args.only(&[
            "symbol",
            "expiration",
            "dte_min",
            "dte_max",
            "strikes_around",
            "fields",
            "cursor",
        ])?;
        let symbol = args.required_symbol("symbol")?;
        let defaults = ChainFilter::default_view();
        let dte_min = args.int("dte_min", 0, 1000)?.map(|v| v as i32);
        let dte_max = args.int("dte_max", 0, 1000)?.map(|v| v as i32);
        let window = dte_min.is_some() || dte_max.is_some();
        let (dte_min, dte_max) = if window {
            (dte_min.unwrap_or(0), dte_max.unwrap_or(1000))
        } else {
            (defaults.dte_min, defaults.dte_max)
        };
        if dte_min > dte_max {
            return Err(AppError::invalid(
                "dte_min",
                format!("must not exceed dte_max ({dte_max})"),
            ));
        }
        let fields = fields_arg(&args)?;
        let offset = match args.str("cursor")? {
            None => 0,
            Some(text) => text
                .trim()
                .strip_prefix(CURSOR_PREFIX)
                .and_then(|row| row.parse::<usize>().ok())
                .ok_or_else(|| {
                    AppError::invalid("cursor", "is not a cursor from a previous answer's next_cursor")
                })?,
        };
        let filter = ChainFilter {
            expiration: args.date("expiration")?,
            dte_min,
            dte_max,
            strikes_around: args
                .int("strikes_around", 1, 100)?
                .map_or(defaults.strikes_around, |v| Some(v as usize)),
            nearest: !window,
        };
        let mut view = app.chain_view(&symbol, &filter).await?;
        let mut value =
            serde_json::to_value(&view).map_err(|_| AppError::internal("serialising the chain"))?;
        let mut expirations = match value.get_mut("expirations") {
            Some(Value::Array(list)) => std::mem::take(list),
            _ => Vec::new(),
        };
        if let Some(fields) = &fields {
            for expiration in &mut expirations {
                select_fields(expiration, fields);
            }
        }
        let shown: Vec<(String, usize, usize)> = view
            .expirations
            .iter()
            .map(|e| (e.date.clone(), e.strikes_listed, e.strikes.len()))
            .collect();
        if let Some(map) = value.as_object_mut() {
            if let Some(Value::Object(applied)) = map.get_mut("filters") {
                applied.insert("fields".into(), fields.as_ref().map_or(Value::Null, |f| json!(f)));
            }
            map.insert(
                "left_out".into(),
                json!({
                    "expirations": view.available_expirations.len().saturating_sub(shown.len()),
                    "strikes": shown.iter().map(|(_, listed, kept)| listed.saturating_sub(*kept)).sum::<usize>(),
                    "rows_on_later_pages": 0,
                    "how_to_get_more": HOW_TO_GET_MORE,
                }),
            );
            map.insert("next_cursor".into(), Value::Null);
        }
        let budget = ANSWER_BYTES.saturating_sub(json_len(&value));
        let page = page(expirations, offset, budget);
        if offset > 0 && offset >= page.total {
            return Err(AppError::invalid(
                "cursor",
                "is past the end of this chain: pass a previous answer's next_cursor with the same arguments",
            ));
        }
        let on_page: Vec<String> = page
            .expirations
            .iter()
            .filter_map(|e| e.get("date").and_then(Value::as_str).map(str::to_owned))
            .collect();
        if let Some(map) = value.as_object_mut() {
            if let Some(next) = page.next {
                map.insert("next_cursor".into(), format!("{CURSOR_PREFIX}{next}").into());
                if let Some(Value::Object(left_out)) = map.get_mut("left_out") {
                    left_out.insert(
                        "rows_on_later_pages".into(),
                        page.total.saturating_sub(next).into(),
                    );
                }
            }
            map.insert("expirations".into(), Value::Array(page.expirations));
        }
        let mut output = ToolOutput::new(value);
        if apps::wanted(ctx) {
            view.expirations.retain(|e| on_page.contains(&e.date));
            output.meta = Some(apps::meta(apps::chain::chain_view_model(&view)));
        }
        Ok(output)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::mcp::tools::test_context;
    use crate::testing::{sample_app, sample_market, schema};

    async fn call(args: Value) -> Result<Value, AppError> {
        let app = sample_app(sample_market());
        let output = GetOptionChain
            .call(&app, Args::from_value(Some(args)).unwrap(), &test_context())
            .await?;
        let value = output.structured_value();
        let problems = schema::validate(&GetOptionChain.spec().output_schema, &value);
        assert!(problems.is_empty(), "{problems:?}\n{value:#}");
        Ok(value)
    }

    fn strikes(expiration: &Value) -> usize {
        expiration["strikes"].as_array().unwrap().len()
    }

    #[tokio::test]
    async fn the_default_is_the_expiration_nearest_30_to_45_days_and_5_strikes_each_side() {
        let chain = call(json!({"symbol": "SPY"})).await.unwrap();
        let expirations = chain["expirations"].as_array().unwrap();
        // The sample lists monthly expirations 35 and 42 days out: 35 is nearer the middle.
        assert_eq!(expirations.len(), 1);
        assert_eq!(expirations[0]["dte"], 35);
        assert_eq!(strikes(&expirations[0]), 11);
        let listed = expirations[0]["strikes_listed"].as_u64().unwrap();
        assert!(listed > 11);
        assert_eq!(chain["left_out"]["expirations"], 1);
        assert_eq!(chain["left_out"]["strikes"], listed - 11);
        assert_eq!(chain["left_out"]["rows_on_later_pages"], 0);
        assert_eq!(chain["next_cursor"], Value::Null);
        assert_eq!(chain["filters"]["nearest"], true);
        let how = chain["left_out"]["how_to_get_more"].as_str().unwrap();
        for argument in ["expiration", "dte_min", "strikes_around", "fields", "cursor"] {
            assert!(how.contains(argument), "{how}");
        }
        // The strikes are centred on the price.
        let price = chain["underlying_price"].as_f64().unwrap();
        let rows = expirations[0]["strikes"].as_array().unwrap();
        assert!(rows[0]["strike"].as_f64().unwrap() < price);
        assert!(rows[10]["strike"].as_f64().unwrap() > price);
    }

    #[tokio::test]
    async fn a_window_lists_every_expiration_in_it_and_fields_narrow_the_rows() {
        let chain = call(
            json!({"symbol": "SPY", "dte_min": 0, "strikes_around": 2, "fields": ["bid", "delta", "bid"]}),
        )
        .await
        .unwrap();
        let expirations = chain["expirations"].as_array().unwrap();
        assert_eq!(expirations.len(), 2);
        assert_eq!(chain["left_out"]["expirations"], 0);
        assert_eq!(chain["filters"]["fields"], json!(["bid", "delta"]));
        for expiration in expirations {
            assert_eq!(strikes(expiration), 5);
            for row in expiration["strikes"].as_array().unwrap() {
                for side in ["call", "put"] {
                    let keys: Vec<&String> = row[side].as_object().unwrap().keys().collect();
                    assert_eq!(keys, ["bid", "delta"], "{row}");
                }
            }
        }
        let one = call(json!({"symbol": "SPY", "dte_max": 36})).await.unwrap();
        assert_eq!(one["expirations"].as_array().unwrap().len(), 1);
        assert_eq!(one["filters"]["nearest"], false);
    }

    #[tokio::test]
    async fn bad_arguments_name_the_field() {
        for (args, field) in [
            (json!({"symbol": "SPY", "fields": ["bid", "colour"]}), "fields"),
            (json!({"symbol": "SPY", "fields": []}), "fields"),
            (json!({"symbol": "SPY", "cursor": "next"}), "cursor"),
            (json!({"symbol": "SPY", "cursor": "row-100000"}), "cursor"),
            (json!({"symbol": "SPY", "dte_min": 50, "dte_max": 40}), "dte_min"),
        ] {
            let error = call(args.clone()).await.unwrap_err();
            assert_eq!(error.details["field"], field, "{args}: {error}");
        }
    }

    fn expiration(date: &str, rows: usize) -> Value {
        let strikes: Vec<Value> = (0..rows)
            .map(|i| json!({"strike": 100 + i, "call": {"bid": 1.25}, "put": {"bid": 2.5}}))
            .collect();
        json!({"date": date, "strikes": strikes})
    }

    #[test]
    fn pages_hold_every_row_once_in_order_within_the_budget() {
        let all = vec![
            expiration("2026-01-16", 7),
            expiration("2026-02-20", 5),
            expiration("2026-03-20", 9),
        ];
        let whole: Vec<(String, Value)> = all
            .iter()
            .flat_map(|e| {
                e["strikes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|row| (e["date"].as_str().unwrap().to_owned(), row.clone()))
            })
            .collect();
        for budget in [0, 150, 400, 1000, 100_000] {
            let (mut seen, mut offset, mut pages) = (Vec::new(), 0, 0);
            loop {
                let page = page(all.clone(), offset, budget);
                assert_eq!(page.total, 21);
                pages += 1;
                let rows: usize = page.expirations.iter().map(strikes).sum();
                assert!(rows >= 1, "every page moves on");
                if rows > 1 {
                    assert!(json_len(&Value::Array(page.expirations.clone())) <= budget + 64);
                }
                for e in &page.expirations {
                    for row in e["strikes"].as_array().unwrap() {
                        seen.push((e["date"].as_str().unwrap().to_owned(), row.clone()));
                    }
                }
                match page.next {
                    Some(next) => offset = next,
                    None => break,
                }
            }
            assert_eq!(seen, whole, "budget {budget}");
            assert_eq!(pages == 1, budget >= 100_000, "budget {budget}: {pages} pages");
        }
    }
}
