//! The replay clock as a use case: where a tape is read from, and moving it.

use serde::Serialize;

use super::{ALERTS_URI, App, AppEvent};
use crate::error::AppError;
use crate::time::Timestamp;

/// Where the replay clock stands.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ClockView {
    /// The replay time now.
    pub now: String,
    /// The time before this move (same as `now` when it did not move).
    pub previous: String,
    /// First recorded instant of the tape.
    pub start: String,
    /// Last recorded instant of the tape.
    pub end: String,
    /// True when the asked time was outside the tape and was clamped to it.
    pub clamped: bool,
    /// The tape.
    pub source: String,
}

impl App {
    /// The replay clock, or a clear error for a live broker.
    async fn clock(&self) -> Result<std::sync::Arc<dyn crate::ports::ReplayClock>, AppError> {
        self.broker().replay_clock().await.ok_or_else(|| {
            AppError::invalid(
                "broker",
                "the replay clock exists only with --broker replay (a recorded tape)",
            )
        })
    }

    /// Where the replay clock stands.
    pub async fn replay_clock_view(&self) -> Result<ClockView, AppError> {
        let clock = self.clock().await?;
        let (start, end) = clock.span();
        let now = clock.now().to_string();
        Ok(ClockView {
            previous: now.clone(),
            now,
            start: start.to_string(),
            end: end.to_string(),
            clamped: false,
            source: self.source().source,
        })
    }

    /// Moves the replay clock (clamped to the tape); connected clients hear that the portfolio and
    /// the alerts may have changed, and the alert monitor checks at once.
    pub async fn move_replay_clock(&self, to: Timestamp) -> Result<ClockView, AppError> {
        let clock = self.clock().await?;
        let previous = clock.now();
        let now = clock.set(to);
        let (start, end) = clock.span();
        if now != previous {
            for uri in ["portfolio://positions", "portfolio://balances", ALERTS_URI] {
                self.emit(AppEvent::ResourceUpdated(uri.to_owned()));
            }
            self.alert_signals().check_now.notify_one();
        }
        Ok(ClockView {
            now: now.to_string(),
            previous: previous.to_string(),
            start: start.to_string(),
            end: end.to_string(),
            clamped: now != to,
            source: self.source().source,
        })
    }
}
