//! `get_market_status`: whether the US equity market is open now, the current, next and previous
//! sessions in New York time, and the holidays and early closes ahead.

use async_trait::async_trait;

use super::{Args, Hints, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::{App, MarketStatusView};
use crate::error::AppError;
use crate::mcp::schema::{derived, object};

/// The `get_market_status` tool.
pub(crate) struct GetMarketStatus;

#[async_trait]
impl Tool for GetMarketStatus {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "get_market_status",
            title: "Get market status",
            description: "Is the US equity market open now? The state (open, pre_market, extended after hours, \
                closed) with a one-line summary, today's, the next and the previous session in New York time (early \
                closes marked), when the state next changes, and the holidays and early closes of the next 60 days. \
                When it is closed, quotes are the last session's.",
            input_schema: object(&[], &[], true),
            output_schema: derived::<MarketStatusView>,
            hints: Hints::READS_BROKER,
        }
    }

    async fn call(&self, app: &App, args: Args, _ctx: &ToolContext) -> Result<ToolOutput, AppError> {
        args.only(&[])?;
        let view = app.market_status().await?;
        Ok(ToolOutput::serialize(&view))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mcp::tools::test_context;
    use crate::testing::{sample_app, sample_market, schema};

    #[tokio::test]
    async fn the_sample_clock_is_the_close_of_a_friday_in_june() {
        let app = sample_app(sample_market());
        let ctx = test_context();
        let value = GetMarketStatus
            .call(&app, Args::default(), &ctx)
            .await
            .unwrap()
            .structured_value();
        let problems = schema::validate(&(GetMarketStatus.spec().output_schema)(), &value);
        assert!(problems.is_empty(), "{problems:?}\n{value:#}");
        // 2025-06-13 20:00 UTC is 16:00 EDT: the close, after hours until 20:00.
        assert_eq!(value["state"], "extended");
        assert_eq!(value["is_open"], false);
        assert_eq!(value["new_york_time"], "2025-06-13 16:00");
        assert_eq!(value["next_session"]["date"], "2025-06-16");
        assert_eq!(value["previous_session"]["date"], "2025-06-12");
        assert_eq!(value["next_change"]["state"], "closed");
        assert_eq!(value["next_change"]["in_minutes"], 240);
        // Juneteenth, Independence Day and the early close before it.
        let closures: Vec<(&str, &str)> = value["upcoming_closures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["date"].as_str().unwrap(), c["kind"].as_str().unwrap()))
            .collect();
        assert_eq!(
            closures,
            [
                ("2025-06-19", "holiday"),
                ("2025-07-03", "early_close"),
                ("2025-07-04", "holiday")
            ]
        );
        assert_eq!(value["calendar_source"], "broker");
        let extra = Args::from_value(Some(serde_json::json!({"market": "CME"}))).unwrap();
        assert!(GetMarketStatus.call(&app, extra, &ctx).await.is_err());
    }
}
