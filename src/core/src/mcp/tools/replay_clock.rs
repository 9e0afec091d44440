//! `replay_clock`: read or move the replay clock (replay broker only).

use async_trait::async_trait;
use serde_json::json;

use super::{Args, Hints, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::App;
use crate::error::AppError;
use crate::mcp::schema::{derived, object, string};
use crate::time::{MS_PER_DAY, Timestamp};

/// The `replay_clock` tool, listed only when the broker replays a tape.
pub(crate) struct ReplayClockTool;

#[async_trait]
impl Tool for ReplayClockTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "replay_clock",
            title: "Replay clock",
            description: "Shows or moves the replay clock of the recorded tape this server replays (not live data). \
                Give `to` (a time or date) or `advance_days`/`advance_hours`/`advance_minutes` to step through \
                recorded history: quotes, chains, positions and alerts then follow the new time. Without arguments \
                it only reports the clock.",
            input_schema: object(
                &[
                    (
                        "to",
                        string(
                            "move to this time (RFC 3339) or date (YYYY-MM-DD, midnight UTC)",
                            false,
                        ),
                    ),
                    (
                        "advance_days",
                        json!({"type": "number", "description": "move forward (negative: back) by days"}),
                    ),
                    (
                        "advance_hours",
                        json!({"type": "number", "description": "move by hours"}),
                    ),
                    (
                        "advance_minutes",
                        json!({"type": "number", "description": "move by minutes"}),
                    ),
                ],
                &[],
                true,
            ),
            output_schema: derived::<crate::app::ClockView>,
            hints: Hints::WRITES_LOCAL,
        }
    }

    async fn call(&self, app: &App, args: Args, _ctx: &ToolContext) -> Result<ToolOutput, AppError> {
        args.only(&["to", "advance_days", "advance_hours", "advance_minutes"])?;
        let to = args
            .str("to")?
            .map(|t| {
                t.trim()
                    .parse::<Timestamp>()
                    .map_err(|e| AppError::invalid("to", e))
            })
            .transpose()?;
        let days = args.f64("advance_days")?.unwrap_or(0.0);
        let hours = args.f64("advance_hours")?.unwrap_or(0.0);
        let minutes = args.f64("advance_minutes")?.unwrap_or(0.0);
        let parts = [
            ("advance_days", days * MS_PER_DAY as f64),
            ("advance_hours", hours * 3_600_000.0),
            ("advance_minutes", minutes * 60_000.0),
        ];
        let advance_ms: f64 = parts.iter().map(|(_, ms)| ms).sum();
        if !advance_ms.is_finite() || advance_ms.abs() > 3_650.0 * MS_PER_DAY as f64 {
            // Blame the argument that moves the clock furthest, not always the first one.
            let (field, _) = parts
                .iter()
                .copied()
                .fold(("advance_days", 0.0_f64), |best, part| {
                    if part.1.abs() > best.1.abs() { part } else { best }
                });
            return Err(AppError::invalid(
                field,
                "the clock moves by at most ten years (3650 days) in one call",
            ));
        }
        let view = match (to, advance_ms != 0.0) {
            (Some(_), true) => return Err(AppError::invalid("to", "give `to` or an advance, not both")),
            (Some(to), false) => app.move_replay_clock(to).await?,
            (None, true) => {
                let current = app
                    .broker()
                    .replay_clock()
                    .await
                    .map(|c| c.now())
                    .ok_or_else(|| {
                        AppError::invalid(
                            "broker",
                            "the replay clock exists only with --broker replay (a recorded tape)",
                        )
                    })?;
                app.move_replay_clock(current.add_millis(advance_ms.round() as i64))
                    .await?
            }
            (None, false) => app.replay_clock_view().await?,
        };
        Ok(ToolOutput::serialize(&view))
    }
}
