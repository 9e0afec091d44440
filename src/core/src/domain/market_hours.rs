//! The US equity market's hours: sessions, holidays and early closes.
//!
//! [`MarketSession`] is TastyTrade's `/market-time/sessions/current` for the `Equity` collection
//! (the state now, with the current, next and previous sessions) and [`MarketCalendar`] its
//! `/market-time/equities/holidays` (holidays and half days).
//!
//! [`MarketCalendar::nyse`] is the NYSE calendar by its rules (docs/market-hours.md): the ten
//! holidays with their weekend observance (New Year's Day falling on a Saturday is not observed;
//! Juneteenth from 2022), the special closures since 2015 (national days of mourning,
//! 2018-12-05 and 2025-01-09), and the early closes at 13:00 (July 3 when July 4 falls on a
//! Tuesday to Friday, the day after Thanksgiving, December 24 on a Monday to Thursday, and the
//! early closes TastyTrade publishes outside those rules: 2027-07-02, 2027-12-23, 2028-12-22).
//! It reproduces, date for date, the holidays and half days TastyTrade listed from 2015-12-24 to
//! 2029-09-03 (the test below). Sessions use TastyTrade's times in New York: start (pre-market)
//! 08:15, open 09:30, close 16:00 (13:00 on a half day), extended hours until 20:00 (17:00 on a
//! half day, an assumption: TastyTrade has not been seen answering for one).

use serde::{Deserialize, Serialize};

use crate::time::{Date, Timestamp, Weekday};

/// New York's time zone, compiled in from the IANA database.
static NEW_YORK: jiff::tz::TimeZone = jiff::tz::get!("America/New_York");

/// The instant of `hour:minute` New York time on `date` (EST or EDT by the date).
pub fn new_york_time(date: Date, hour: u32, minute: u32) -> Timestamp {
    let (year, month, day) = date.ymd();
    let civil = match (
        i16::try_from(year),
        i8::try_from(month),
        i8::try_from(day),
        i8::try_from(hour),
        i8::try_from(minute),
    ) {
        (Ok(y), Ok(m), Ok(d), Ok(h), Ok(mi)) => jiff::civil::DateTime::new(y, m, d, h, mi, 0, 0),
        _ => return date.at_utc(hour + 5, minute),
    };
    match civil.and_then(|dt| NEW_YORK.to_timestamp(dt)) {
        Ok(instant) => Timestamp::from_millis(instant.as_millisecond()),
        // Only outside jiff's years (±9999).
        Err(_) => date.at_utc(hour + 5, minute),
    }
}

/// Options stop trading and settle at the close: 16:00 America/New_York on the expiration date,
/// which is 21:00 UTC under EST and 20:00 UTC under EDT (the time zone database decides).
pub fn expiry_instant(expiration: Date) -> Timestamp {
    new_york_time(expiration, 16, 0)
}

/// The New York date and time (hours, minutes) of an instant.
pub fn new_york_clock(at: Timestamp) -> (Date, u32, u32) {
    match jiff::Timestamp::from_millisecond(at.millis()) {
        Ok(instant) => {
            let local = NEW_YORK.to_datetime(instant);
            let date = Date::from_ymd(
                i32::from(local.year()),
                local.month().unsigned_abs().into(),
                local.day().unsigned_abs().into(),
            )
            .unwrap_or_else(|| at.date());
            (
                date,
                local.hour().unsigned_abs().into(),
                local.minute().unsigned_abs().into(),
            )
        }
        Err(_) => (at.date(), 0, 0),
    }
}

/// The trading date of an instant: New York's calendar date, by which sessions and expirations
/// are dated. Days to expiration count from it: on a Thursday evening in New York (already Friday
/// in UTC) a Friday expiration is one day out, not expiring today.
pub fn new_york_date(at: Timestamp) -> Date {
    new_york_clock(at).0
}

/// What the market is doing, TastyTrade's `state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MarketState {
    /// Regular trading hours.
    Open,
    /// Before the open, from the session's start.
    PreMarket,
    /// After the close, until extended hours end.
    Extended,
    /// No trading.
    Closed,
}

impl MarketState {
    /// The API's text: `Open`, `Pre-market`, `Extended`, `Closed`.
    pub fn api_name(self) -> &'static str {
        match self {
            MarketState::Open => "Open",
            MarketState::PreMarket => "Pre-market",
            MarketState::Extended => "Extended",
            MarketState::Closed => "Closed",
        }
    }

    /// The state of the API's text (case-insensitive); `None` for anything else.
    pub fn from_api(text: &str) -> Option<MarketState> {
        let text = text.trim();
        [
            MarketState::Open,
            MarketState::PreMarket,
            MarketState::Extended,
            MarketState::Closed,
        ]
        .into_iter()
        .find(|s| s.api_name().eq_ignore_ascii_case(text))
    }
}

/// The times of one trading session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionTimes {
    /// The session's date (New York).
    pub date: Date,
    /// Pre-market trading starts.
    pub start_at: Timestamp,
    /// Regular trading opens.
    pub open_at: Timestamp,
    /// Regular trading closes (13:00 New York on a half day).
    pub close_at: Timestamp,
    /// Extended hours end, when the market has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_at_ext: Option<Timestamp>,
}

impl SessionTimes {
    /// The state of the market at `at` by these times (closed outside them).
    pub fn state_at(&self, at: Timestamp) -> MarketState {
        if at < self.start_at {
            MarketState::Closed
        } else if at < self.open_at {
            MarketState::PreMarket
        } else if at < self.close_at {
            MarketState::Open
        } else if self.close_at_ext.is_some_and(|ext| at < ext) {
            MarketState::Extended
        } else {
            MarketState::Closed
        }
    }
}

/// The US equity market now: its state and the current, next and previous sessions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MarketSession {
    /// What the market is doing at `as_of`.
    pub state: MarketState,
    /// Today's session, when today is a trading day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<SessionTimes>,
    /// The next trading day's session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<SessionTimes>,
    /// The previous trading day's session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<SessionTimes>,
    /// When this was true.
    pub as_of: Timestamp,
}

impl MarketSession {
    /// Until when this answer stays true: the first of the current session's times, the next
    /// session's start, and the next New York midnight (when "today" changes) after `as_of`.
    pub fn valid_until(&self) -> Timestamp {
        let (today, _, _) = new_york_clock(self.as_of);
        let midnight = new_york_time(today.add_days(1), 0, 0);
        let mut times = vec![midnight];
        if let Some(current) = &self.current {
            times.extend([current.start_at, current.open_at, current.close_at]);
            times.extend(current.close_at_ext);
        }
        times.extend(self.next.map(|n| n.start_at));
        times
            .into_iter()
            .filter(|t| *t > self.as_of)
            .min()
            .unwrap_or(midnight)
    }
}

/// Holidays (no session) and half days (an early close) of the US equity market.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketCalendar {
    /// Weekdays without a session, in date order.
    pub holidays: Vec<Date>,
    /// Days that close early (13:00 New York), in date order.
    pub half_days: Vec<Date>,
}

/// The most consecutive days without a session the calendar looks across for the next or
/// previous session (a long weekend with a holiday is four).
const SEARCH_DAYS: i32 = 14;

impl MarketCalendar {
    /// The NYSE calendar by its rules for `first_year..=last_year` (see the module docs).
    pub fn nyse(first_year: i32, last_year: i32) -> MarketCalendar {
        let mut holidays: Vec<Date> = Vec::new();
        let mut half_days: Vec<Date> = Vec::new();
        for year in first_year..=last_year {
            holidays.extend(nyse_holidays(year).into_iter().map(|(d, _)| d));
            half_days.extend(nyse_half_days(year).into_iter().map(|(d, _)| d));
        }
        holidays.sort();
        holidays.dedup();
        half_days.sort();
        half_days.dedup();
        MarketCalendar { holidays, half_days }
    }

    /// The NYSE calendar of the years around `date` (the year before to the year after), enough
    /// for its session and the next and previous ones.
    pub fn nyse_around(date: Date) -> MarketCalendar {
        let year = date.ymd().0;
        MarketCalendar::nyse(year - 1, year + 1)
    }

    /// True on a weekday that is not a holiday.
    pub fn is_trading_day(&self, date: Date) -> bool {
        !date.is_weekend() && self.holidays.binary_search(&date).is_err()
    }

    /// True on a half day.
    pub fn is_half_day(&self, date: Date) -> bool {
        self.half_days.binary_search(&date).is_ok()
    }

    /// The session of `date`, `None` when the market is closed that day.
    pub fn session(&self, date: Date) -> Option<SessionTimes> {
        if !self.is_trading_day(date) {
            return None;
        }
        let (close, ext) = if self.is_half_day(date) {
            (13, 17)
        } else {
            (16, 20)
        };
        Some(SessionTimes {
            date,
            start_at: new_york_time(date, 8, 15),
            open_at: new_york_time(date, 9, 30),
            close_at: new_york_time(date, close, 0),
            close_at_ext: Some(new_york_time(date, ext, 0)),
        })
    }

    /// The first session after `date` (within two weeks).
    pub fn next_session(&self, date: Date) -> Option<SessionTimes> {
        (1..=SEARCH_DAYS).find_map(|k| self.session(date.add_days(k)))
    }

    /// The last session before `date` (within two weeks).
    pub fn previous_session(&self, date: Date) -> Option<SessionTimes> {
        (1..=SEARCH_DAYS).find_map(|k| self.session(date.add_days(-k)))
    }

    /// The market at `now` by this calendar: today's session (New York's date), the next and
    /// previous ones, and the state.
    pub fn session_at(&self, now: Timestamp) -> MarketSession {
        let (today, _, _) = new_york_clock(now);
        let current = self.session(today);
        MarketSession {
            state: current.map_or(MarketState::Closed, |s| s.state_at(now)),
            current,
            next: self.next_session(today),
            previous: self.previous_session(today),
            as_of: now,
        }
    }
}

fn ymd(year: i32, month: u32, day: u32) -> Option<Date> {
    Date::from_ymd(year, month, day)
}

/// The `n`th `weekday` of a month (n from 1).
fn nth_weekday(year: i32, month: u32, weekday: Weekday, n: i32) -> Option<Date> {
    let first = ymd(year, month, 1)?;
    let offset = (0..7).find(|k| first.add_days(*k).weekday() == weekday)?;
    Some(first.add_days(offset + 7 * (n - 1)))
}

/// The last `weekday` of a month.
fn last_weekday(year: i32, month: u32, weekday: Weekday) -> Option<Date> {
    let next_month = if month == 12 {
        ymd(year + 1, 1, 1)?
    } else {
        ymd(year, month + 1, 1)?
    };
    (1..=7)
        .map(|k| next_month.add_days(-k))
        .find(|d| d.weekday() == weekday)
}

/// Easter Sunday (anonymous Gregorian algorithm).
fn easter(year: i32) -> Option<Date> {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    ymd(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

/// A fixed-date holiday as observed: a Saturday moves to Friday, a Sunday to Monday.
fn observed(date: Option<Date>) -> Option<Date> {
    let date = date?;
    Some(match date.weekday() {
        Weekday::Saturday => date.add_days(-1),
        Weekday::Sunday => date.add_days(1),
        _ => date,
    })
}

/// Special closures of the NYSE since 2015 (national days of mourning).
const SPECIAL_CLOSURES: [(i32, u32, u32, &str); 2] = [
    (2018, 12, 5, "National Day of Mourning (George H. W. Bush)"),
    (2025, 1, 9, "National Day of Mourning (Jimmy Carter)"),
];

/// Early closes TastyTrade publishes outside the usual rules.
const EXTRA_HALF_DAYS: [(i32, u32, u32, &str); 3] = [
    (2027, 7, 2, "before Independence Day"),
    (2027, 12, 23, "before Christmas"),
    (2028, 12, 22, "before Christmas"),
];

/// The NYSE holidays of a year with their names, in date order.
pub fn nyse_holidays(year: i32) -> Vec<(Date, &'static str)> {
    let new_year = ymd(year, 1, 1).filter(|d| d.weekday() != Weekday::Saturday);
    let mut days: Vec<(Option<Date>, &'static str)> = vec![
        (observed(new_year), "New Year's Day"),
        (
            nth_weekday(year, 1, Weekday::Monday, 3),
            "Martin Luther King Jr. Day",
        ),
        (nth_weekday(year, 2, Weekday::Monday, 3), "Washington's Birthday"),
        (easter(year).map(|e| e.add_days(-2)), "Good Friday"),
        (last_weekday(year, 5, Weekday::Monday), "Memorial Day"),
        (observed(ymd(year, 7, 4)), "Independence Day"),
        (nth_weekday(year, 9, Weekday::Monday, 1), "Labor Day"),
        (nth_weekday(year, 11, Weekday::Thursday, 4), "Thanksgiving Day"),
        (observed(ymd(year, 12, 25)), "Christmas Day"),
    ];
    if year >= 2022 {
        days.push((observed(ymd(year, 6, 19)), "Juneteenth"));
    }
    days.extend(
        SPECIAL_CLOSURES
            .iter()
            .filter(|(y, ..)| *y == year)
            .map(|(y, m, d, name)| (ymd(*y, *m, *d), *name)),
    );
    let mut out: Vec<(Date, &'static str)> = days
        .into_iter()
        .filter_map(|(d, name)| Some((d?, name)))
        .collect();
    out.sort_by_key(|(d, _)| *d);
    out
}

/// The NYSE early closes (13:00) of a year with what they precede, in date order.
pub fn nyse_half_days(year: i32) -> Vec<(Date, &'static str)> {
    let mut days: Vec<(Date, &'static str)> = Vec::new();
    if let Some(july3) = ymd(year, 7, 3)
        && matches!(
            july3.weekday(),
            Weekday::Monday | Weekday::Tuesday | Weekday::Wednesday | Weekday::Thursday
        )
    {
        days.push((july3, "before Independence Day"));
    }
    if let Some(thanksgiving) = nth_weekday(year, 11, Weekday::Thursday, 4) {
        days.push((thanksgiving.add_days(1), "day after Thanksgiving"));
    }
    if let Some(eve) = ymd(year, 12, 24)
        && matches!(
            eve.weekday(),
            Weekday::Monday | Weekday::Tuesday | Weekday::Wednesday | Weekday::Thursday
        )
    {
        days.push((eve, "Christmas Eve"));
    }
    days.extend(
        EXTRA_HALF_DAYS
            .iter()
            .filter(|(y, ..)| *y == year)
            .filter_map(|(y, m, d, name)| Some((ymd(*y, *m, *d)?, *name))),
    );
    days.sort_by_key(|(d, _)| *d);
    days
}

/// The reason for an NYSE special closure (a day closed outside the holiday rules), `None` for
/// any other day.
pub fn nyse_special_closure(date: Date) -> Option<&'static str> {
    let (year, month, day) = date.ymd();
    SPECIAL_CLOSURES
        .iter()
        .find(|(y, m, d, _)| (*y, *m, *d) == (year, month, day))
        .map(|(.., name)| *name)
}

/// The name of an NYSE holiday (by the rules), `None` for a day that is not one.
pub fn nyse_holiday_name(date: Date) -> Option<&'static str> {
    nyse_holidays(date.ymd().0)
        .into_iter()
        .find(|(d, _)| *d == date)
        .map(|(_, name)| name)
}

/// What an NYSE early close precedes (by the rules), `None` for a day that is not one.
pub fn nyse_half_day_name(date: Date) -> Option<&'static str> {
    nyse_half_days(date.ymd().0)
        .into_iter()
        .find(|(d, _)| *d == date)
        .map(|(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Date {
        text.parse().unwrap()
    }

    /// The holidays TastyTrade's `/market-time/equities/holidays` listed from 2015-12-25 to
    /// 2029-09-03, as the official SDK's documentation prints them.
    const TASTYTRADE_HOLIDAYS: &str = "2015-12-25 2016-01-01 2016-01-18 2016-02-15 2016-03-25 2016-05-30 \
        2016-07-04 2016-09-05 2016-11-24 2016-12-26 2017-01-02 2017-01-16 2017-02-20 2017-04-14 2017-05-29 \
        2017-07-04 2017-09-04 2017-11-23 2017-12-25 2018-01-01 2018-01-15 2018-02-19 2018-03-30 2018-05-28 \
        2018-07-04 2018-09-03 2018-11-22 2018-12-05 2018-12-25 2019-01-01 2019-01-21 2019-02-18 2019-04-19 \
        2019-05-27 2019-07-04 2019-09-02 2019-11-28 2019-12-25 2020-01-01 2020-01-20 2020-02-17 2020-04-10 \
        2020-05-25 2020-07-03 2020-09-07 2020-11-26 2020-12-25 2021-01-01 2021-01-18 2021-02-15 2021-04-02 \
        2021-05-31 2021-07-05 2021-09-06 2021-11-25 2021-12-24 2022-01-17 2022-02-21 2022-04-15 2022-05-30 \
        2022-06-20 2022-07-04 2022-09-05 2022-11-24 2022-12-26 2023-01-02 2023-01-16 2023-02-20 2023-04-07 \
        2023-05-29 2023-06-19 2023-07-04 2023-09-04 2023-11-23 2023-12-25 2024-01-01 2024-01-15 2024-02-19 \
        2024-03-29 2024-05-27 2024-06-19 2024-07-04 2024-09-02 2024-11-28 2024-12-25 2025-01-01 2025-01-09 \
        2025-01-20 2025-02-17 2025-04-18 2025-05-26 2025-06-19 2025-07-04 2025-09-01 2025-11-27 2025-12-25 \
        2026-01-01 2026-01-19 2026-02-16 2026-04-03 2026-05-25 2026-06-19 2026-07-03 2026-09-07 2026-11-26 \
        2026-12-25 2027-01-01 2027-01-18 2027-02-15 2027-03-26 2027-05-31 2027-06-18 2027-07-05 2027-09-06 \
        2027-11-25 2027-12-24 2028-01-17 2028-02-21 2028-04-14 2028-05-29 2028-06-19 2028-07-04 2028-09-04 \
        2028-11-23 2028-12-25 2029-01-01 2029-01-15 2029-02-19 2029-03-30 2029-05-28 2029-06-19 2029-07-04 \
        2029-09-03";

    /// The half days of the same answer, 2015-12-24 to 2029-07-03.
    const TASTYTRADE_HALF_DAYS: &str = "2015-12-24 2016-11-25 2017-07-03 2017-11-24 2018-07-03 2018-11-23 \
        2018-12-24 2019-07-03 2019-11-29 2019-12-24 2020-11-27 2020-12-24 2021-11-26 2022-11-25 2023-07-03 \
        2023-11-24 2024-07-03 2024-11-29 2024-12-24 2025-07-03 2025-11-28 2025-12-24 2026-11-27 2026-12-24 \
        2027-07-02 2027-11-26 2027-12-23 2028-07-03 2028-11-24 2028-12-22 2029-07-03";

    fn dates(text: &str) -> Vec<Date> {
        text.split_whitespace().map(d).collect()
    }

    #[test]
    fn the_rules_reproduce_tastytrades_published_calendar() {
        let calendar = MarketCalendar::nyse(2015, 2029);
        let within = |list: &[Date], from: &str, to: &str| -> Vec<Date> {
            list.iter()
                .copied()
                .filter(|x| *x >= d(from) && *x <= d(to))
                .collect()
        };
        assert_eq!(
            within(&calendar.holidays, "2015-12-25", "2029-09-03"),
            dates(TASTYTRADE_HOLIDAYS)
        );
        assert_eq!(
            within(&calendar.half_days, "2015-12-24", "2029-07-03"),
            dates(TASTYTRADE_HALF_DAYS)
        );
        assert_eq!(nyse_holiday_name(d("2026-11-26")), Some("Thanksgiving Day"));
        assert_eq!(nyse_holiday_name(d("2026-07-03")), Some("Independence Day"));
        assert_eq!(nyse_holiday_name(d("2026-07-06")), None);
        assert_eq!(
            nyse_half_day_name(d("2026-11-27")),
            Some("day after Thanksgiving")
        );
    }

    #[test]
    fn sessions_follow_new_york_time_and_the_calendar() {
        let calendar = MarketCalendar::nyse_around(d("2026-11-25"));
        // Wednesday before Thanksgiving (EST): 09:30 ET is 14:30 UTC.
        let wednesday = calendar.session(d("2026-11-25")).unwrap();
        assert_eq!(wednesday.open_at.to_string(), "2026-11-25T14:30:00Z");
        assert_eq!(wednesday.close_at.to_string(), "2026-11-25T21:00:00Z");
        assert_eq!(
            wednesday.close_at_ext.unwrap().to_string(),
            "2026-11-26T01:00:00Z"
        );
        assert_eq!(wednesday.start_at.to_string(), "2026-11-25T13:15:00Z");
        assert!(calendar.session(d("2026-11-26")).is_none(), "Thanksgiving");
        // The half day after it closes at 13:00 ET.
        let friday = calendar.session(d("2026-11-27")).unwrap();
        assert_eq!(friday.close_at.to_string(), "2026-11-27T18:00:00Z");
        // Summer (EDT): 16:00 ET is 20:00 UTC.
        let june = MarketCalendar::nyse_around(d("2025-06-13"));
        assert_eq!(
            june.session(d("2025-06-13")).unwrap().close_at.to_string(),
            "2025-06-13T20:00:00Z"
        );

        // Thanksgiving at noon: closed, the half day next, Wednesday before.
        let at = calendar.session_at("2026-11-26T17:00:00Z".parse().unwrap());
        assert_eq!(at.state, MarketState::Closed);
        assert!(at.current.is_none());
        assert_eq!(at.next.unwrap().date, d("2026-11-27"));
        assert_eq!(at.previous.unwrap().date, d("2026-11-25"));
        assert_eq!(
            at.valid_until().to_string(),
            "2026-11-27T05:00:00Z",
            "midnight ET"
        );
        // States through a day.
        let state = |t: &str| calendar.session_at(t.parse().unwrap()).state;
        assert_eq!(state("2026-11-25T13:00:00Z"), MarketState::Closed);
        assert_eq!(state("2026-11-25T13:15:00Z"), MarketState::PreMarket);
        assert_eq!(state("2026-11-25T14:30:00Z"), MarketState::Open);
        assert_eq!(state("2026-11-25T21:00:00Z"), MarketState::Extended);
        assert_eq!(state("2026-11-25T23:59:00Z"), MarketState::Extended);
        assert_eq!(state("2026-11-26T01:00:00Z"), MarketState::Closed);
        let open = calendar.session_at("2026-11-25T15:00:00Z".parse().unwrap());
        assert_eq!(open.valid_until(), open.current.unwrap().close_at);
        // Over a weekend the next session is Monday's.
        let saturday = calendar.session_at("2026-11-28T15:00:00Z".parse().unwrap());
        assert_eq!(saturday.next.unwrap().date, d("2026-11-30"));
        assert_eq!(saturday.previous.unwrap().date, d("2026-11-27"));
        // New York's date, not UTC's: 23:30 ET on Friday is Saturday in UTC.
        assert_eq!(
            new_york_clock("2026-11-28T04:30:00Z".parse().unwrap()),
            (d("2026-11-27"), 23, 30)
        );
    }

    #[test]
    fn the_trading_date_is_new_yorks_across_year_end_and_both_dst_switches() {
        for (at, date) in [
            // 22:30 EST on 31 December, 1 January in UTC.
            ("2027-01-01T03:30:00Z", "2026-12-31"),
            ("2027-01-01T05:00:00Z", "2027-01-01"),
            // The spring switch (02:00 EST becomes 03:00 EDT on 14 March 2027).
            ("2027-03-14T04:59:00Z", "2027-03-13"),
            ("2027-03-14T07:30:00Z", "2027-03-14"),
            // After it, New York's midnight is 04:00 UTC.
            ("2027-03-15T03:59:00Z", "2027-03-14"),
            ("2027-03-15T04:00:00Z", "2027-03-15"),
            // The autumn switch (02:00 EDT becomes 01:00 EST on 7 November 2027).
            ("2027-11-07T03:59:00Z", "2027-11-06"),
            ("2027-11-08T04:30:00Z", "2027-11-07"),
            ("2027-11-08T05:00:00Z", "2027-11-08"),
        ] {
            assert_eq!(new_york_date(at.parse().unwrap()), d(date), "{at}");
        }
    }

    #[test]
    fn states_read_the_apis_words() {
        assert_eq!(MarketState::from_api("Pre-market"), Some(MarketState::PreMarket));
        assert_eq!(MarketState::from_api("closed"), Some(MarketState::Closed));
        assert_eq!(MarketState::from_api("Halted"), None);
    }
}
