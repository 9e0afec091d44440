//! `get_option_chain`: expirations → strikes → call/put markets.

use async_trait::async_trait;
use serde::Serialize;
use serde_json::{Value, json};

use super::window_args::{MAX_DTE, dte_args, dte_schemas, ordered};
use super::{Args, Hints, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::{App, ChainFilter, ChainView, ExpirationView};
use crate::error::AppError;
use crate::mcp::apps;
use crate::mcp::schema::{derived, object, props, string};

/// The `get_option_chain` tool.
pub(crate) struct GetOptionChain;

/// The tool's answer: one page of the chain (the strike rows that fit in [`ANSWER_BYTES`]), what
/// the answer left out, and how to continue it.
#[derive(Serialize, schemars::JsonSchema)]
struct Answer<'a> {
    #[serde(flatten)]
    chain: &'a ChainView,
    /// What the answer left out, and how to ask for it.
    left_out: LeftOut,
    /// Pass as `cursor` with the same arguments for the rest of the answer; null when complete.
    next_cursor: Option<String>,
}

/// What an answer left out.
#[derive(Clone, Copy, Serialize, schemars::JsonSchema)]
struct LeftOut {
    /// Listed expirations not in this answer.
    expirations: usize,
    /// Strikes of these expirations beyond `strikes_around`.
    strikes: usize,
    /// Strike rows that follow on the pages of `next_cursor`.
    rows_on_later_pages: usize,
    /// The arguments that show them.
    how_to_get_more: &'static str,
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

/// Keeps only `fields` of the call and put of a strike row.
fn select_fields(row: &mut Value, fields: &[&str]) {
    for side in ["call", "put"] {
        if let Some(contract) = row.get_mut(side).and_then(Value::as_object_mut) {
            contract.retain(|key, _| fields.contains(&key.as_str()));
        }
    }
}

fn json_len<T: Serialize + ?Sized>(value: &T) -> usize {
    serde_json::to_string(value).map_or(0, |text| text.len())
}

/// The bytes an expiration costs an answer: its own fields (`head`) and each strike row's, as
/// the answer writes them (after the `fields` selection).
struct Cost {
    head: usize,
    rows: Vec<usize>,
}

fn cost(expiration: &mut ExpirationView, fields: Option<&[&str]>) -> Cost {
    let rows = std::mem::take(&mut expiration.strikes);
    let head = json_len(expiration);
    expiration.strikes = rows;
    let rows = expiration
        .strikes
        .iter()
        .map(|row| match (serde_json::to_value(row), fields) {
            (Ok(mut row), Some(fields)) => {
                select_fields(&mut row, fields);
                json_len(&row)
            }
            (Ok(row), None) => json_len(&row),
            (Err(_), _) => 0,
        })
        .collect();
    Cost { head, rows }
}

/// One page of strike rows: the rows of the expirations (in order, expiration by expiration)
/// from `offset`, as many as fit in `budget` bytes (at least one).
struct Page {
    /// The rows of each expiration on this page (empty: none).
    rows: Vec<std::ops::Range<usize>>,
    /// The offset of the first row left for the next page.
    next: Option<usize>,
    /// Rows in all pages.
    total: usize,
}

fn page(costs: &[Cost], offset: usize, budget: usize) -> Page {
    let total = costs.iter().map(|c| c.rows.len()).sum();
    let mut rows = Vec::new();
    let (mut used, mut index, mut next) = (0usize, 0usize, None);
    for expiration in costs {
        let (mut first, mut kept) = (0usize, 0usize);
        for (i, row) in expiration.rows.iter().enumerate() {
            let at = index;
            index += 1;
            if next.is_some() || at < offset {
                continue;
            }
            let cost = row + 1 + if kept == 0 { expiration.head } else { 0 };
            if used + cost > budget && (used > 0 || kept > 0) {
                next = Some(at);
                continue;
            }
            if kept == 0 {
                first = i;
            }
            used += cost;
            kept += 1;
        }
        rows.push(first..first + kept);
    }
    Page { rows, next, total }
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
                &props(&[
                    &dte_schemas(
                        "every expiration at least this many days out (default 0 when dte_max is given; without either, the one expiration nearest 30–45 days)",
                        "every expiration at most this many days out (default 1000 when dte_min is given)",
                    ),
                    &[
                        ("symbol", string("underlying ticker, e.g. SPY", false)),
                        (
                            "expiration",
                            json!({"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2}$", "description": "only this expiration (YYYY-MM-DD)"}),
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
                ]),
                &["symbol"],
                true,
            ),
            output_schema: derived::<Answer<'static>>,
            hints: Hints::READS_BROKER,
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
        let (dte_min, dte_max) = dte_args(&args)?;
        let window = dte_min.is_some() || dte_max.is_some();
        let (dte_min, dte_max) = if window {
            (dte_min.unwrap_or(0), dte_max.unwrap_or(MAX_DTE as i32))
        } else {
            (defaults.dte_min, defaults.dte_max)
        };
        ordered("dte_min", dte_min, "dte_max", dte_max)?;
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
        view.filters.fields = fields.as_ref().map(|f| f.iter().map(|&f| f.to_owned()).collect());
        let fields = fields.as_deref();
        let mut expirations = std::mem::take(&mut view.expirations);
        let costs: Vec<Cost> = expirations.iter_mut().map(|e| cost(e, fields)).collect();
        let mut left_out = LeftOut {
            expirations: view.available_expirations.len().saturating_sub(expirations.len()),
            strikes: expirations
                .iter()
                .map(|e| e.strikes_listed.saturating_sub(e.strikes.len()))
                .sum(),
            rows_on_later_pages: 0,
            how_to_get_more: HOW_TO_GET_MORE,
        };
        let head = json_len(&Answer {
            chain: &view,
            left_out,
            next_cursor: None,
        });
        let page = page(&costs, offset, ANSWER_BYTES.saturating_sub(head));
        if offset > 0 && offset >= page.total {
            return Err(AppError::invalid(
                "cursor",
                "is past the end of this chain: pass a previous answer's next_cursor with the same arguments",
            ));
        }
        view.expirations = expirations
            .iter_mut()
            .zip(&page.rows)
            .filter(|(_, rows)| !rows.is_empty())
            .map(|(expiration, rows)| {
                let all = std::mem::take(&mut expiration.strikes);
                let mut shown = expiration.clone();
                shown.strikes = all.get(rows.clone()).unwrap_or_default().to_vec();
                expiration.strikes = all;
                shown
            })
            .collect();
        if let Some(next) = page.next {
            left_out.rows_on_later_pages = page.total.saturating_sub(next);
        }
        let answer = Answer {
            chain: &view,
            left_out,
            next_cursor: page.next.map(|next| format!("{CURSOR_PREFIX}{next}")),
        };
        let mut value =
            serde_json::to_value(&answer).map_err(|_| AppError::internal("serialising the chain"))?;
        if let Some(fields) = fields
            && let Some(Value::Array(expirations)) = value.get_mut("expirations")
        {
            for row in expirations
                .iter_mut()
                .filter_map(|e| e.get_mut("strikes").and_then(Value::as_array_mut))
                .flatten()
            {
                select_fields(row, fields);
            }
        }
        let mut output = ToolOutput::new(value);
        if apps::wanted(ctx) {
            // The view shows every strike of the expirations on this page.
            let on_page: Vec<String> = view.expirations.iter().map(|e| e.date.clone()).collect();
            view.expirations = expirations;
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
        let problems = schema::validate(&(GetOptionChain.spec().output_schema)(), &value);
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

    /// Three expirations of 7, 5 and 9 rows, each row's cost its place in the whole.
    fn costs() -> Vec<Cost> {
        let mut place = 0;
        [7, 5, 9]
            .into_iter()
            .map(|rows| Cost {
                head: 40,
                rows: (0..rows)
                    .map(|_| {
                        place += 1;
                        40 + place
                    })
                    .collect(),
            })
            .collect()
    }

    #[test]
    fn pages_hold_every_row_once_in_order_within_the_budget() {
        let costs = costs();
        let whole: Vec<(usize, usize)> = costs
            .iter()
            .enumerate()
            .flat_map(|(e, c)| (0..c.rows.len()).map(move |r| (e, r)))
            .collect();
        for budget in [0, 150, 400, 1000, 100_000] {
            let (mut seen, mut offset, mut pages) = (Vec::new(), 0, 0);
            loop {
                let page = page(&costs, offset, budget);
                assert_eq!(page.total, 21);
                assert_eq!(page.rows.len(), 3);
                pages += 1;
                let rows: usize = page.rows.iter().map(|r| r.len()).sum();
                assert!(rows >= 1, "every page moves on");
                let used: usize = page
                    .rows
                    .iter()
                    .zip(&costs)
                    .filter(|(r, _)| !r.is_empty())
                    .map(|(r, c)| c.head + r.clone().map(|i| c.rows[i] + 1).sum::<usize>())
                    .sum();
                assert!(rows == 1 || used <= budget, "budget {budget}: {used} bytes");
                for (e, r) in page.rows.iter().enumerate() {
                    seen.extend(r.clone().map(|i| (e, i)));
                }
                match page.next {
                    Some(next) => {
                        assert_eq!(next, offset + rows);
                        offset = next;
                    }
                    None => break,
                }
            }
            assert_eq!(seen, whole, "budget {budget}");
            assert_eq!(pages == 1, budget >= 100_000, "budget {budget}: {pages} pages");
        }
    }

    #[tokio::test]
    async fn the_schema_leaves_contract_fields_optional_and_holds_the_rest() {
        let chain = call(json!({"symbol": "SPY", "fields": ["bid"]})).await.unwrap();
        let schema_of = (GetOptionChain.spec().output_schema)();
        for (pointer, broken) in [
            ("/expirations/0/strikes/0/strike", json!("550")),
            ("/expirations/0/strikes/0/call/bid", json!("1.25")),
            ("/left_out/strikes", json!(-1)),
            ("/filters/fields", json!("bid")),
        ] {
            let mut wrong = chain.clone();
            *wrong.pointer_mut(pointer).unwrap() = broken;
            assert!(!schema::validate(&schema_of, &wrong).is_empty(), "{pointer}");
        }
        let mut wrong = chain.clone();
        wrong["expirations"][0].as_object_mut().unwrap().remove("dte");
        assert!(!schema::validate(&schema_of, &wrong).is_empty());
    }
}
