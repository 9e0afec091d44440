//! `get_transactions`: the account's transactions over a date range, newest first, a page at a
//! time with a cursor for the next.

use async_trait::async_trait;
use serde_json::json;

use super::{Args, Hints, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::App;
use crate::app::history::{
    Cursor, DEFAULT_TRANSACTIONS, MAX_TRANSACTIONS, TransactionsRequest, TransactionsView,
};
use crate::domain::TRANSACTION_TYPES;
use crate::error::AppError;
use crate::mcp::schema::{account_argument, derived, object, string};

/// The `get_transactions` tool.
pub(crate) struct GetTransactions;

const ARGUMENTS: &[&str] = &[
    "account",
    "start_date",
    "end_date",
    "symbol",
    "types",
    "limit",
    "cursor",
];

/// The type filter: an array of names or one comma-separated string, each one of
/// [`TRANSACTION_TYPES`] (any case), given back in the API's spelling.
fn types(args: &Args) -> Result<Vec<String>, AppError> {
    let texts: Vec<String> = match args.array("types") {
        Ok(Some(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| AppError::invalid(&format!("types[{i}]"), "must be a string"))
            })
            .collect::<Result<_, _>>()?,
        Ok(None) => Vec::new(),
        Err(_) => args
            .str("types")?
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
    };
    let mut out: Vec<String> = Vec::new();
    for (i, text) in texts.iter().enumerate() {
        let name = TRANSACTION_TYPES
            .iter()
            .find(|t| t.eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| {
                AppError::invalid(
                    &format!("types[{i}]"),
                    format!(
                        "{text:?} is not a transaction type; use {}",
                        TRANSACTION_TYPES.join(", ")
                    ),
                )
            })?;
        if !out.iter().any(|o| o == name) {
            out.push((*name).to_owned());
        }
    }
    Ok(out)
}

/// The request from the arguments, validated.
fn request(args: &Args) -> Result<TransactionsRequest, AppError> {
    args.only(ARGUMENTS)?;
    let cursor = match args.str("cursor")? {
        None => None,
        Some(text) => Some(Cursor::decode(text).ok_or_else(|| {
            AppError::invalid("cursor", "is not a cursor from a previous answer's next_cursor")
        })?),
    };
    let limit = args
        .int("limit", 1, MAX_TRANSACTIONS as i64)?
        .and_then(|n| usize::try_from(n).ok());
    Ok(TransactionsRequest {
        account: args.str("account")?.map(str::to_owned),
        start: args.date("start_date")?,
        end: args.date("end_date")?,
        symbol: args.symbol("symbol")?,
        types: types(args)?,
        limit,
        cursor,
    })
}

#[async_trait]
impl Tool for GetTransactions {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "get_transactions",
            title: "Get transactions",
            description: "The account's transactions, newest first: trades (with the action: sell_to_open, \
                buy_to_close, ...), expirations, assignments and deliveries (Receive Deliver), dividends, deposits and \
                withdrawals (Money Movement); each with quantity, price, cash value (credit positive), fees and net \
                value. Default: the last 90 days, 25 a page; `next_cursor` pages on (pass it back as `cursor` with \
                the same filters). For realized P&L use get_realized_pnl.",
            input_schema: object(
                &[
                    account_argument(),
                    (
                        "start_date",
                        string("first date, YYYY-MM-DD; default: 90 days before end_date", false),
                    ),
                    ("end_date", string("last date, YYYY-MM-DD; default: today", false)),
                    (
                        "symbol",
                        string(
                            "only this underlying's transactions (its stock and options)",
                            false,
                        ),
                    ),
                    (
                        "types",
                        json!({"type": "array", "items": {"type": "string", "enum": TRANSACTION_TYPES},
                            "description": "only these transaction types"}),
                    ),
                    (
                        "limit",
                        json!({"type": "integer", "minimum": 1, "maximum": MAX_TRANSACTIONS,
                            "description": format!("transactions per answer (default {DEFAULT_TRANSACTIONS})")}),
                    ),
                    (
                        "cursor",
                        string("a previous answer's next_cursor, for the next page", false),
                    ),
                ],
                &[],
                true,
            ),
            output_schema: derived::<TransactionsView>,
            hints: Hints::READS_BROKER,
        }
    }

    async fn call(&self, app: &App, args: Args, _ctx: &ToolContext) -> Result<ToolOutput, AppError> {
        let request = request(&args)?;
        let view = app.transactions_view(&request).await?;
        Ok(ToolOutput::serialize(&view))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::mcp::tools::test_context;
    use crate::testing::{sample_app, sample_market, schema};

    async fn call(args: Value) -> Result<Value, AppError> {
        let app = sample_app(sample_market());
        let output = GetTransactions
            .call(&app, Args::from_value(Some(args)).unwrap(), &test_context())
            .await?;
        let value = output.structured_value();
        let problems = schema::validate(&(GetTransactions.spec().output_schema)(), &value);
        assert!(problems.is_empty(), "{problems:?}\n{value:#}");
        Ok(value)
    }

    #[tokio::test]
    async fn pages_follow_the_cursor_and_match_the_schema() {
        let first = call(json!({"limit": 5, "start_date": "2024-01-01"}))
            .await
            .unwrap();
        assert_eq!(
            (first["count"].as_u64(), first["total"].as_u64()),
            (Some(5), Some(8))
        );
        assert_eq!(first["source"], "fake");
        let cursor = first["next_cursor"].as_str().unwrap().to_owned();
        let second = call(json!({"start_date": "2024-01-01", "cursor": cursor}))
            .await
            .unwrap();
        assert_eq!(second["count"], 3);
        assert_eq!(second["next_cursor"], Value::Null);
        assert_eq!(second["transactions"][2]["sub_type"], "Deposit");
        // Types in any case, as an array or a comma-separated string.
        let moves = call(json!({"start_date": "2024-01-01", "types": "money movement"}))
            .await
            .unwrap();
        assert_eq!(moves["types"], json!(["Money Movement"]));
        assert_eq!(moves["total"], 2);
    }

    #[tokio::test]
    async fn bad_arguments_name_the_field() {
        for (args, field) in [
            (json!({"types": ["Trades"]}), "types[0]"),
            (json!({"limit": 500}), "limit"),
            (json!({"cursor": "next please"}), "cursor"),
            (json!({"start_date": "2025-13-01"}), "start_date"),
            (
                json!({"start_date": "2025-06-10", "end_date": "2025-06-01"}),
                "start_date",
            ),
            (json!({"page": 2}), "page"),
        ] {
            let error = call(args.clone()).await.unwrap_err();
            assert_eq!(error.details["field"], field, "{args}: {error}");
        }
    }
}
