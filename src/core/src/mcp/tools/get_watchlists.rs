//! `get_watchlists`: the customer's watchlists, or one by name with all its symbols.

use super::{Args, Hints, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::{App, WatchlistsView};
use crate::error::AppError;
use crate::mcp::schema::{derived, object, string};
use async_trait::async_trait;

/// The `get_watchlists` tool.
pub(crate) struct GetWatchlists;

#[async_trait]
impl Tool for GetWatchlists {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "get_watchlists",
            title: "Get watchlists",
            description: "The account's watchlists with their symbols (the first 25 of each), or with `name` one \
                watchlist with all its symbols (any case). Feed the symbols to get_market_metrics or analyze_options, \
                e.g. for an IV-rank scan of a watchlist.",
            input_schema: object(
                &[(
                    "name",
                    string("one watchlist's name; default: every watchlist", false),
                )],
                &[],
                true,
            ),
            output_schema: derived::<WatchlistsView>,
            hints: Hints::READS_BROKER,
        }
    }

    async fn call(&self, app: &App, args: Args, _ctx: &ToolContext) -> Result<ToolOutput, AppError> {
        args.only(&["name"])?;
        let view = app.watchlists_view(args.str("name")?).await?;
        Ok(ToolOutput::serialize(&view))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::error::ErrorCode;
    use crate::mcp::tools::test_context;
    use crate::testing::{sample_app, sample_market, schema};

    #[tokio::test]
    async fn every_watchlist_or_one_by_name() {
        let app = sample_app(sample_market());
        let ctx = test_context();
        let call = |args: Value| {
            let app = &app;
            let ctx = &ctx;
            async move {
                GetWatchlists
                    .call(app, Args::from_value(Some(args)).unwrap(), ctx)
                    .await
                    .map(|o| o.structured_value())
            }
        };
        let all = call(json!({})).await.unwrap();
        assert!(schema::validate(&(GetWatchlists.spec().output_schema)(), &all).is_empty());
        let names: Vec<&str> = all["watchlists"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Core ETFs", "Tech", "Futures"]);
        let tech = call(json!({"name": "tech"})).await.unwrap();
        assert_eq!(tech["watchlists"][0]["symbols"], json!(["AAPL", "SPY"]));
        let missing = call(json!({"name": "Energy"})).await.unwrap_err();
        assert_eq!(missing.code, ErrorCode::NotFound);
        assert!(missing.message.contains("Core ETFs, Tech, Futures"), "{missing}");
    }
}
