//! `get_quote`: quotes for one symbol or up to 100.

use async_trait::async_trait;
use serde_json::json;

use super::{Args, Hints, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::App;
use crate::domain::{Quote, Symbol, round4};
use crate::error::AppError;
use crate::mcp::schema::{derived, object, string};

/// The `get_quote` tool.
pub(crate) struct GetQuote;

/// One quote as the tool shows it (serialized straight to JSON, no intermediate `Value`).
#[derive(serde::Serialize, schemars::JsonSchema)]
pub(crate) struct QuoteView<'a> {
    /// The quoted symbol.
    symbol: &'a str,
    /// equity, index, equity_option, ...
    instrument_type: Option<crate::domain::InstrumentType>,
    /// Best bid.
    bid: Option<f64>,
    /// Best ask.
    ask: Option<f64>,
    /// (bid + ask) / 2 of a two-sided market.
    mid: Option<f64>,
    /// The broker's mark.
    mark: Option<f64>,
    /// Last trade.
    last: Option<f64>,
    /// Volume today.
    volume: Option<f64>,
    /// Today's open.
    open: Option<f64>,
    /// Today's high.
    day_high: Option<f64>,
    /// Today's low.
    day_low: Option<f64>,
    /// Previous session's close.
    prev_close: Option<f64>,
    /// Last (or mark) minus previous close.
    change: Option<f64>,
    /// Change as a percent of the previous close.
    change_percent: Option<f64>,
    /// RFC 3339 time of the quote.
    as_of: crate::time::Timestamp,
}

/// A finite value, else none (a JSON number is never NaN or infinite).
pub(super) fn finite(v: Option<f64>) -> Option<f64> {
    v.filter(|x| x.is_finite())
}

/// The views of the symbols the broker answered for, in the order asked, and the symbols it did
/// not answer for.
pub(super) fn found_and_missing<'a, T, V>(
    symbols: &'a [Symbol],
    answers: &'a [T],
    symbol_of: impl Fn(&T) -> &Symbol,
    view: impl Fn(&'a T) -> V,
) -> (Vec<V>, Vec<&'a str>) {
    let mut found = Vec::with_capacity(answers.len());
    let mut missing = Vec::new();
    for symbol in symbols {
        match answers.iter().find(|a| symbol_of(a) == symbol) {
            Some(a) => found.push(view(a)),
            None => missing.push(symbol.as_str()),
        }
    }
    (found, missing)
}

pub(crate) fn quote_view(quote: &Quote) -> QuoteView<'_> {
    let price = quote.last.or(quote.mark);
    let change = match (price, quote.prev_close) {
        (Some(p), Some(c)) => Some(round4(p - c)),
        _ => None,
    };
    let change_percent = match (change, quote.prev_close) {
        (Some(ch), Some(c)) if c != 0.0 => Some((ch / c * 10_000.0).round() / 100.0),
        _ => None,
    };
    QuoteView {
        symbol: quote.symbol.as_str(),
        instrument_type: quote.instrument_type,
        bid: finite(quote.bid),
        ask: finite(quote.ask),
        mid: finite(quote.mid()),
        mark: finite(quote.mark.or_else(|| quote.mid())),
        last: finite(quote.last),
        volume: finite(quote.volume),
        open: finite(quote.open),
        day_high: finite(quote.day_high),
        day_low: finite(quote.day_low),
        prev_close: finite(quote.prev_close),
        change: finite(change),
        change_percent: finite(change_percent),
        as_of: quote.as_of,
    }
}

/// The tool's answer.
#[derive(serde::Serialize, schemars::JsonSchema)]
struct Output<'a> {
    /// One quote per symbol found, in the order asked.
    quotes: Vec<QuoteView<'a>>,
    /// Symbols the broker has no quote for.
    missing: Vec<&'a str>,
    /// Number of quotes.
    count: usize,
    /// Where the data came from: `tastytrade` (live) or `replay:<tape>` (recorded).
    source: String,
    /// True when the data is made up (a demo tape): never real prices.
    synthetic: bool,
}

#[async_trait]
impl Tool for GetQuote {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "get_quote",
            title: "Get quote",
            description: "Current quote for one symbol (`symbol`) or up to 100 (`symbols`): bid, ask, mid, mark, \
                last, volume, previous close, day high/low and the time of the quote. Symbols the broker does not \
                know are listed in `missing`.",
            input_schema: object(
                &[
                    ("symbol", string("one ticker, e.g. SPY", false)),
                    (
                        "symbols",
                        json!({"type": "array", "items": {"type": "string"}, "maxItems": 100, "minItems": 1,
                        "description": "several tickers (instead of `symbol`), at most 100"}),
                    ),
                ],
                &[],
                true,
            ),
            output_schema: derived::<Output<'static>>,
            hints: Hints::READS_BROKER,
        }
    }

    async fn call(&self, app: &App, args: Args, _ctx: &ToolContext) -> Result<ToolOutput, AppError> {
        args.only(&["symbol", "symbols"])?;
        let symbols = match (args.symbol("symbol")?, args.symbols("symbols", 100)?) {
            (Some(one), None) => vec![one],
            (None, Some(many)) => many,
            (Some(_), Some(_)) => {
                return Err(AppError::invalid(
                    "symbol",
                    "give `symbol` or `symbols`, not both",
                ));
            }
            (None, None) => return Err(AppError::invalid("symbol", "is required (or give `symbols`)")),
        };
        let quotes = app.quotes(&symbols).await?;
        let (found, missing) = found_and_missing(&symbols, &quotes, |q| &q.symbol, quote_view);
        if found.is_empty() {
            let names: Vec<&str> = symbols.iter().map(|s| s.as_str()).collect();
            return Err(AppError::not_found(format!(
                "no quote for {}: check the ticker with search_symbols",
                names.join(", ")
            ))
            .with_detail("symbols", names));
        }
        let source = app.source();
        Ok(ToolOutput::serialize(&Output {
            count: found.len(),
            quotes: found,
            missing,
            source: source.source,
            synthetic: source.synthetic,
        }))
    }
}
