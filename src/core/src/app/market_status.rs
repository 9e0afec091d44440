//! Whether the US equity market is open, its sessions, and the holidays and early closes ahead:
//! the broker's session and calendar, told in New York time.

use serde::Serialize;

use super::App;
use crate::domain::{
    MarketCalendar, MarketSession, MarketState, SessionTimes, new_york_clock, nyse_half_day_name,
    nyse_holiday_name,
};
use crate::error::AppError;
use crate::ports::BrokerError;
use crate::time::{Date, Timestamp, Weekday};

/// Days ahead the answer lists holidays and early closes for.
pub(crate) const CLOSURES_AHEAD_DAYS: i32 = 60;
/// The most closures listed.
const MAX_CLOSURES: usize = 8;

/// One session, in New York time.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct SessionView {
    /// The date.
    pub date: String,
    /// Its weekday.
    pub weekday: &'static str,
    /// Pre-market starts, HH:MM New York.
    pub pre_market: String,
    /// Regular trading opens, HH:MM New York.
    pub open: String,
    /// Regular trading closes, HH:MM New York.
    pub close: String,
    /// Extended hours end, HH:MM New York.
    pub after_hours_until: Option<String>,
    /// True when it closes early.
    pub early_close: bool,
    /// The open as a UTC time.
    pub open_at: String,
    /// The close as a UTC time.
    pub close_at: String,
}

/// A day the market is closed or closes early.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ClosureView {
    /// The date.
    pub date: String,
    /// Its weekday.
    pub weekday: &'static str,
    /// `holiday` or `early_close`.
    #[schemars(extend("enum" = ["holiday", "early_close"]))]
    pub kind: &'static str,
    /// The holiday's name, or what the early close precedes.
    pub name: String,
}

/// The next change of state.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ChangeView {
    /// The state it changes to.
    pub state: MarketState,
    /// When, UTC.
    pub at: String,
    /// When, New York (`YYYY-MM-DD HH:MM`).
    pub new_york: String,
    /// Minutes from now.
    pub in_minutes: i64,
}

/// Whether the market is open, and when it next opens or closes.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct MarketStatusView {
    /// Which market.
    pub market: &'static str,
    /// open, pre_market, extended (after hours) or closed.
    pub state: MarketState,
    /// True during regular trading hours.
    pub is_open: bool,
    /// One or two sentences a trader can read out.
    pub summary: String,
    /// The broker's clock, UTC.
    pub now: String,
    /// The broker's clock in New York (`YYYY-MM-DD HH:MM`).
    pub new_york_time: String,
    /// Today's session, when today is a trading day.
    pub current_session: Option<SessionView>,
    /// The next trading day's session.
    pub next_session: Option<SessionView>,
    /// The previous trading day's session.
    pub previous_session: Option<SessionView>,
    /// The next change of state.
    pub next_change: Option<ChangeView>,
    /// Holidays and early closes in the next 60 days.
    pub upcoming_closures: Vec<ClosureView>,
    /// Where the holidays come from: `broker` or `nyse_rules` when the broker has no calendar.
    #[schemars(extend("enum" = ["broker", "nyse_rules"]))]
    pub calendar_source: &'static str,
    /// Data source.
    pub source: String,
    /// True for made-up data.
    pub synthetic: bool,
}

fn weekday(date: Date) -> &'static str {
    match date.weekday() {
        Weekday::Monday => "Monday",
        Weekday::Tuesday => "Tuesday",
        Weekday::Wednesday => "Wednesday",
        Weekday::Thursday => "Thursday",
        Weekday::Friday => "Friday",
        Weekday::Saturday => "Saturday",
        Weekday::Sunday => "Sunday",
    }
}

/// `HH:MM` New York of an instant.
fn clock(at: Timestamp) -> String {
    let (_, h, m) = new_york_clock(at);
    format!("{h:02}:{m:02}")
}

/// `YYYY-MM-DD HH:MM` New York of an instant.
fn local(at: Timestamp) -> String {
    let (d, h, m) = new_york_clock(at);
    format!("{d} {h:02}:{m:02}")
}

/// `2 d 17 h 30 min`, `45 min`.
fn duration(minutes: i64) -> String {
    let minutes = minutes.max(0);
    let (d, h, m) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    match (d, h) {
        (0, 0) => format!("{m} min"),
        (0, _) => format!("{h} h {m} min"),
        _ => format!("{d} d {h} h {m} min"),
    }
}

fn session_view(s: &SessionTimes, calendar: &MarketCalendar) -> SessionView {
    SessionView {
        date: s.date.to_string(),
        weekday: weekday(s.date),
        pre_market: clock(s.start_at),
        open: clock(s.open_at),
        close: clock(s.close_at),
        after_hours_until: s.close_at_ext.map(clock),
        early_close: calendar.is_half_day(s.date) || clock(s.close_at) != "16:00",
        open_at: s.open_at.to_string(),
        close_at: s.close_at.to_string(),
    }
}

/// The next change of state after `now`, with the state it changes to.
fn next_change(session: &MarketSession, now: Timestamp) -> Option<(MarketState, Timestamp)> {
    let mut changes: Vec<(MarketState, Timestamp)> = Vec::new();
    if let Some(c) = &session.current {
        changes.push((MarketState::PreMarket, c.start_at));
        changes.push((MarketState::Open, c.open_at));
        match c.close_at_ext {
            Some(ext) => {
                changes.push((MarketState::Extended, c.close_at));
                changes.push((MarketState::Closed, ext));
            }
            None => changes.push((MarketState::Closed, c.close_at)),
        }
    }
    if let Some(n) = &session.next {
        changes.push((MarketState::PreMarket, n.start_at));
    }
    changes
        .into_iter()
        .filter(|(_, at)| *at > now)
        .min_by_key(|(_, at)| *at)
}

/// Why today has no session: a holiday's name or the weekend.
fn closed_because(today: Date, calendar: &MarketCalendar) -> String {
    if today.is_weekend() {
        weekday(today).to_owned()
    } else if calendar.holidays.contains(&today) {
        nyse_holiday_name(today).unwrap_or("a market holiday").to_owned()
    } else {
        "no session today".to_owned()
    }
}

/// The sentence for the model.
fn summary(session: &MarketSession, calendar: &MarketCalendar, now: Timestamp) -> String {
    let (today, _, _) = new_york_clock(now);
    let until = |at: Timestamp| duration((at.millis() - now.millis()) / 60_000);
    let next_open = |s: &SessionTimes| {
        let early = if calendar.is_half_day(s.date) {
            format!(", closing early at {}", clock(s.close_at))
        } else {
            String::new()
        };
        format!(
            "it opens {} {} at {} New York time (in {}){early}",
            weekday(s.date),
            s.date,
            clock(s.open_at),
            until(s.open_at)
        )
    };
    // The session that opens next: today's before its open, else the next trading day's.
    let opening = match &session.current {
        Some(c) if now < c.open_at => Some(c),
        _ => session.next.as_ref(),
    };
    let next_text = opening.map(next_open);
    match (session.state, &session.current) {
        (MarketState::Open, Some(c)) => format!(
            "The US equity market is open: regular trading until {} New York time (in {}){}.",
            clock(c.close_at),
            until(c.close_at),
            if calendar.is_half_day(c.date) {
                ", an early close"
            } else {
                ""
            }
        ),
        (MarketState::PreMarket, Some(c)) => format!(
            "Pre-market: the US equity market is closed for regular trading, which opens at {} New York time (in {}).",
            clock(c.open_at),
            until(c.open_at)
        ),
        (MarketState::Extended, Some(c)) => format!(
            "The US equity market closed at {} New York time; extended hours run until {}. Quotes are the close's; {}.",
            clock(c.close_at),
            c.close_at_ext.map_or_else(|| "later".to_owned(), clock),
            next_text.unwrap_or_else(|| "the next session is not known".to_owned())
        ),
        _ => {
            let why = match &session.current {
                Some(c) if now >= c.close_at => format!("today's session ended at {}", clock(c.close_at)),
                Some(_) => "before today's session".to_owned(),
                None => closed_because(today, calendar),
            };
            format!(
                "The US equity market is closed ({why}); quotes are from the last session. {}.",
                next_text.map_or_else(
                    || "The next session is not known".to_owned(),
                    |t| format!(
                        "{}{}",
                        t.get(..1).unwrap_or_default().to_uppercase(),
                        t.get(1..).unwrap_or_default()
                    )
                )
            )
        }
    }
}

impl App {
    /// Whether the US equity market is open, the sessions around now, and the holidays and early
    /// closes of the next 60 days. A broker without a calendar has the NYSE rules stand in.
    pub async fn market_status(&self) -> Result<MarketStatusView, AppError> {
        let broker = self.broker();
        let (session, calendar) = tokio::join!(broker.market_session(), broker.market_calendar());
        let session = session?;
        let now = session.as_of;
        let (today, _, _) = new_york_clock(now);
        let (calendar, calendar_source) = match calendar {
            Ok(calendar) => (calendar, "broker"),
            Err(BrokerError::Unsupported(_) | BrokerError::NotFound(_)) => {
                (MarketCalendar::nyse_around(today), "nyse_rules")
            }
            Err(error) => return Err(error.into()),
        };
        let horizon = today.add_days(CLOSURES_AHEAD_DAYS);
        let mut closures: Vec<ClosureView> = calendar
            .holidays
            .iter()
            .filter(|d| **d >= today && **d <= horizon)
            .map(|d| ClosureView {
                date: d.to_string(),
                weekday: weekday(*d),
                kind: "holiday",
                name: nyse_holiday_name(*d).unwrap_or("market holiday").to_owned(),
            })
            .chain(
                calendar
                    .half_days
                    .iter()
                    .filter(|d| **d >= today && **d <= horizon)
                    .map(|d| ClosureView {
                        date: d.to_string(),
                        weekday: weekday(*d),
                        kind: "early_close",
                        name: format!(
                            "closes at 13:00 New York time ({})",
                            nyse_half_day_name(*d).unwrap_or("early close")
                        ),
                    }),
            )
            .collect();
        closures.sort_by(|a, b| a.date.cmp(&b.date));
        closures.truncate(MAX_CLOSURES);
        let source = self.source();
        Ok(MarketStatusView {
            market: "US equities (NYSE, Nasdaq)",
            state: session.state,
            is_open: session.state == MarketState::Open,
            summary: summary(&session, &calendar, now),
            now: now.to_string(),
            new_york_time: local(now),
            current_session: session.current.as_ref().map(|s| session_view(s, &calendar)),
            next_session: session.next.as_ref().map(|s| session_view(s, &calendar)),
            previous_session: session.previous.as_ref().map(|s| session_view(s, &calendar)),
            next_change: next_change(&session, now).map(|(state, at)| ChangeView {
                state,
                at: at.to_string(),
                new_york: local(at),
                in_minutes: (at.millis() - now.millis()) / 60_000,
            }),
            upcoming_closures: closures,
            calendar_source,
            source: source.source,
            synthetic: source.synthetic,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status_at(at: &str) -> (MarketSession, MarketCalendar, Timestamp) {
        let now: Timestamp = at.parse().unwrap();
        let calendar = MarketCalendar::nyse_around(now.date());
        (calendar.session_at(now), calendar, now)
    }

    #[test]
    fn the_summary_says_when_the_market_is_closed_and_when_it_opens() {
        // Thanksgiving 2026 at noon New York time.
        let (session, calendar, now) = status_at("2026-11-26T17:00:00Z");
        let text = summary(&session, &calendar, now);
        assert_eq!(
            text,
            "The US equity market is closed (Thanksgiving Day); quotes are from the last session. It opens Friday \
             2026-11-27 at 09:30 New York time (in 21 h 30 min), closing early at 13:00."
        );
        assert_eq!(
            next_change(&session, now).map(|(s, at)| (s, at.to_string())),
            Some((MarketState::PreMarket, "2026-11-27T13:15:00Z".to_owned()))
        );
        // A Friday's close on the demo tape: after hours, the next session Monday.
        let (session, calendar, now) = status_at("2026-11-20T21:00:00Z");
        assert_eq!(session.state, MarketState::Extended);
        let text = summary(&session, &calendar, now);
        assert!(
            text.starts_with(
                "The US equity market closed at 16:00 New York time; extended hours run until 20:00."
            ) && text.contains("it opens Monday 2026-11-23 at 09:30 New York time (in 2 d 17 h 30 min)"),
            "{text}"
        );
        // During the session.
        let (session, calendar, now) = status_at("2026-11-20T17:15:00Z");
        assert_eq!(
            summary(&session, &calendar, now),
            "The US equity market is open: regular trading until 16:00 New York time (in 3 h 45 min)."
        );
        // A Saturday.
        let (session, calendar, now) = status_at("2026-11-21T15:00:00Z");
        assert!(summary(&session, &calendar, now).contains("closed (Saturday)"));
    }
}
