//! `get_market_status`: whether the US equity market is open now, the current, next and previous
//! sessions in New York time, and the holidays and early closes ahead.

use async_trait::async_trait;
use serde_json::Value;

use super::{Args, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::App;
use crate::error::AppError;
use crate::mcp::schema::{
    array, boolean, enumeration, integer, nullable, object, props, source_fields, string,
};

/// The `get_market_status` tool.
pub(crate) struct GetMarketStatus;

const STATES: [&str; 4] = ["open", "pre_market", "extended", "closed"];

fn session_schema(description: &str) -> Value {
    let mut schema = nullable(object(
        &[
            ("date", string("YYYY-MM-DD", false)),
            ("weekday", string("its weekday", false)),
            ("pre_market", string("pre-market starts, HH:MM New York", false)),
            ("open", string("regular trading opens, HH:MM New York", false)),
            ("close", string("regular trading closes, HH:MM New York", false)),
            (
                "after_hours_until",
                string("extended hours end, HH:MM New York", true),
            ),
            ("early_close", boolean("true when it closes early")),
            ("open_at", string("the open, UTC", false)),
            ("close_at", string("the close, UTC", false)),
        ],
        &["date", "open", "close", "early_close", "open_at", "close_at"],
        false,
    ));
    if let Some(map) = schema.as_object_mut() {
        map.insert("description".into(), description.into());
    }
    schema
}

fn output_schema() -> Value {
    let change = nullable(object(
        &[
            ("state", enumeration("the state it changes to", &STATES)),
            ("at", string("when, UTC", false)),
            ("new_york", string("when, New York (YYYY-MM-DD HH:MM)", false)),
            ("in_minutes", integer("minutes from now", false)),
        ],
        &["state", "at", "in_minutes"],
        false,
    ));
    let closure = object(
        &[
            ("date", string("YYYY-MM-DD", false)),
            ("weekday", string("its weekday", false)),
            (
                "kind",
                enumeration("closed all day, or closing at 13:00", &["holiday", "early_close"]),
            ),
            (
                "name",
                string("the holiday, or what the early close precedes", false),
            ),
        ],
        &["date", "kind", "name"],
        false,
    );
    object(
        &props(&[
            &[
                ("market", string("which market", false)),
                (
                    "state",
                    enumeration(
                        "open (regular hours), pre_market, extended (after hours) or closed",
                        &STATES,
                    ),
                ),
                ("is_open", boolean("true during regular trading hours")),
                (
                    "summary",
                    string("the state in words, with when it next opens or closes", false),
                ),
                ("now", string("the broker's clock, UTC", false)),
                ("new_york_time", string("the broker's clock in New York", false)),
                (
                    "current_session",
                    session_schema("today's session, when today is a trading day"),
                ),
                ("next_session", session_schema("the next trading day's session")),
                (
                    "previous_session",
                    session_schema("the previous trading day's session"),
                ),
                ("next_change", change),
                (
                    "upcoming_closures",
                    array("holidays and early closes in the next 60 days", closure),
                ),
                (
                    "calendar_source",
                    enumeration(
                        "broker, or nyse_rules when the broker has no calendar",
                        &["broker", "nyse_rules"],
                    ),
                ),
            ],
            &source_fields(),
        ]),
        &[
            "market",
            "state",
            "is_open",
            "summary",
            "now",
            "current_session",
            "next_session",
            "upcoming_closures",
            "source",
            "synthetic",
        ],
        false,
    )
}

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
            output_schema: output_schema(),
            read_only: true,
            destructive: false,
            idempotent: true,
            open_world: true,
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
        let problems = schema::validate(&GetMarketStatus.spec().output_schema, &value);
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
