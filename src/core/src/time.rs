//! Calendar dates and UTC instants, without a clock.
//!
//! The core never reads the wall clock: "now" comes from the broker's market clock (the replay
//! clock on a tape, the system clock in the live adapter). These two types are all the calendar
//! arithmetic ttai needs: days between dates for DTE, RFC 3339 in and out, and weekdays.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Milliseconds in one day.
pub const MS_PER_DAY: i64 = 86_400_000;

/// A calendar date (proleptic Gregorian), stored as days since 1970-01-01.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(i32);

/// An instant in UTC with millisecond precision, stored as milliseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

/// Why a date or time text could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TimeParseError(String);

fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    // Howard Hinnant's days_from_civil.
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Day of the week.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Date {
    /// The date for a year, month (1–12) and day, or `None` when no such day exists.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Date> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(i64::from(year), month) {
            return None;
        }
        i32::try_from(days_from_civil(i64::from(year), month, day))
            .ok()
            .map(Date)
    }

    /// The date `days` days after 1970-01-01.
    pub fn from_days_since_epoch(days: i32) -> Date {
        Date(days)
    }

    /// Days since 1970-01-01.
    pub fn days_since_epoch(self) -> i32 {
        self.0
    }

    /// Year, month and day.
    pub fn ymd(self) -> (i32, u32, u32) {
        let (y, m, d) = civil_from_days(i64::from(self.0));
        (y as i32, m, d)
    }

    /// The date `n` days later (earlier when negative).
    pub fn add_days(self, n: i32) -> Date {
        Date(self.0.saturating_add(n))
    }

    /// Whole days from `self` to `later` (negative when `later` is earlier).
    pub fn days_until(self, later: Date) -> i32 {
        later.0 - self.0
    }

    /// The day of the week.
    pub fn weekday(self) -> Weekday {
        // 1970-01-01 was a Thursday.
        match (i64::from(self.0) + 3).rem_euclid(7) {
            0 => Weekday::Monday,
            1 => Weekday::Tuesday,
            2 => Weekday::Wednesday,
            3 => Weekday::Thursday,
            4 => Weekday::Friday,
            5 => Weekday::Saturday,
            _ => Weekday::Sunday,
        }
    }

    /// True on Saturday and Sunday.
    pub fn is_weekend(self) -> bool {
        matches!(self.weekday(), Weekday::Saturday | Weekday::Sunday)
    }

    /// Midnight UTC at the start of this date.
    pub fn at_midnight_utc(self) -> Timestamp {
        Timestamp(i64::from(self.0) * MS_PER_DAY)
    }

    /// This date at `hour:minute` UTC.
    pub fn at_utc(self, hour: u32, minute: u32) -> Timestamp {
        Timestamp(i64::from(self.0) * MS_PER_DAY + i64::from(hour) * 3_600_000 + i64::from(minute) * 60_000)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

fn parse_digits(text: &str, what: &str) -> Result<u32, TimeParseError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TimeParseError(format!("{what} is not a number")));
    }
    text.parse::<u32>()
        .map_err(|_| TimeParseError(format!("{what} is out of range")))
}

impl FromStr for Date {
    type Err = TimeParseError;

    /// Reads `YYYY-MM-DD`.
    fn from_str(text: &str) -> Result<Date, TimeParseError> {
        let bad = || TimeParseError(format!("expected a date as YYYY-MM-DD, got {text:?}"));
        let mut parts = text.split('-');
        let (Some(y), Some(m), Some(d), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(bad());
        }
        let year = parse_digits(y, "year").map_err(|_| bad())?;
        let month = parse_digits(m, "month").map_err(|_| bad())?;
        let day = parse_digits(d, "day").map_err(|_| bad())?;
        Date::from_ymd(year as i32, month, day)
            .ok_or_else(|| TimeParseError(format!("{text:?} is not a calendar date")))
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl schemars::JsonSchema for Date {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Date".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "format": "date", "description": "YYYY-MM-DD" })
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl Timestamp {
    /// The instant `ms` milliseconds after the Unix epoch.
    pub const fn from_millis(ms: i64) -> Timestamp {
        Timestamp(ms)
    }

    /// Milliseconds since the Unix epoch.
    pub const fn millis(self) -> i64 {
        self.0
    }

    /// The UTC calendar date of this instant.
    pub fn date(self) -> Date {
        Date(self.0.div_euclid(MS_PER_DAY) as i32)
    }

    /// The instant `ms` milliseconds later.
    pub fn add_millis(self, ms: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(ms))
    }

    /// Milliseconds from `earlier` to `self`.
    pub fn millis_since(self, earlier: Timestamp) -> i64 {
        self.0.saturating_sub(earlier.0)
    }

    /// Years (ACT/365) from `self` to `later`.
    pub fn years_until(self, later: Timestamp) -> f64 {
        (later.0 - self.0) as f64 / (365.0 * MS_PER_DAY as f64)
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC: `2025-04-29T21:33:25Z`, with `.mmm` only when there are milliseconds.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let date = self.date();
        let ms_of_day = self.0.rem_euclid(MS_PER_DAY);
        let (h, rest) = (ms_of_day / 3_600_000, ms_of_day % 3_600_000);
        let (mi, rest) = (rest / 60_000, rest % 60_000);
        let (s, ms) = (rest / 1000, rest % 1000);
        if ms == 0 {
            write!(f, "{date}T{h:02}:{mi:02}:{s:02}Z")
        } else {
            write!(f, "{date}T{h:02}:{mi:02}:{s:02}.{ms:03}Z")
        }
    }
}

impl FromStr for Timestamp {
    type Err = TimeParseError;

    /// Reads RFC 3339 (`2025-04-29T21:33:25.130Z`, `...+00:00`, `...-06:00`, a space instead of
    /// `T`), or a bare date `YYYY-MM-DD` meaning midnight UTC.
    fn from_str(text: &str) -> Result<Timestamp, TimeParseError> {
        let bad = || {
            TimeParseError(format!(
                "expected an RFC 3339 time such as 2025-01-15T21:00:00Z, got {text:?}"
            ))
        };
        if text.len() == 10 {
            return text.parse::<Date>().map(Date::at_midnight_utc);
        }
        let date_part = text.get(0..10).ok_or_else(bad)?;
        let sep = text.get(10..11).ok_or_else(bad)?;
        if !matches!(sep, "T" | "t" | " ") {
            return Err(bad());
        }
        let date: Date = date_part.parse().map_err(|_| bad())?;
        let rest = text.get(11..).ok_or_else(bad)?;
        // Split the offset off the end.
        let (clock, offset_ms) =
            if let Some(clock) = rest.strip_suffix('Z').or_else(|| rest.strip_suffix('z')) {
                (clock, 0_i64)
            } else {
                let idx = rest.rfind(['+', '-']).ok_or_else(bad)?;
                let (clock, off) = rest.split_at(idx);
                let sign = if off.starts_with('-') { -1 } else { 1 };
                let off = off.get(1..).ok_or_else(bad)?;
                let (oh, om) = off.split_once(':').ok_or_else(bad)?;
                if oh.len() != 2 || om.len() != 2 {
                    return Err(bad());
                }
                let oh = parse_digits(oh, "offset hours").map_err(|_| bad())?;
                let om = parse_digits(om, "offset minutes").map_err(|_| bad())?;
                if oh > 23 || om > 59 {
                    return Err(bad());
                }
                (clock, sign * (i64::from(oh) * 3_600_000 + i64::from(om) * 60_000))
            };
        let (hms, frac) = match clock.split_once('.') {
            Some((hms, frac)) => (hms, Some(frac)),
            None => (clock, None),
        };
        let mut hms_parts = hms.split(':');
        let (Some(h), Some(mi), Some(s), None) = (
            hms_parts.next(),
            hms_parts.next(),
            hms_parts.next(),
            hms_parts.next(),
        ) else {
            return Err(bad());
        };
        if h.len() != 2 || mi.len() != 2 || s.len() != 2 {
            return Err(bad());
        }
        let h = parse_digits(h, "hour").map_err(|_| bad())?;
        let mi = parse_digits(mi, "minute").map_err(|_| bad())?;
        let s = parse_digits(s, "second").map_err(|_| bad())?;
        if h > 23 || mi > 59 || s > 60 {
            return Err(bad());
        }
        let ms = match frac {
            None => 0,
            Some(frac) => {
                if frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad());
                }
                let mut ms = 0_i64;
                for (i, b) in frac.bytes().take(3).enumerate() {
                    ms += i64::from(b - b'0') * [100, 10, 1].get(i).copied().unwrap_or(0);
                }
                ms
            }
        };
        let local = date.at_midnight_utc().millis()
            + i64::from(h) * 3_600_000
            + i64::from(mi) * 60_000
            + i64::from(s.min(59)) * 1000
            + ms;
        Ok(Timestamp(local - offset_ms))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl schemars::JsonSchema for Timestamp {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Timestamp".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "format": "date-time", "description": "RFC 3339, UTC" })
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_dates_round_trip() {
        let d: Date = "2025-01-15".parse().unwrap();
        assert_eq!(d.to_string(), "2025-01-15");
        assert_eq!(d.weekday(), Weekday::Wednesday);
        assert_eq!(Date::from_ymd(1970, 1, 1).unwrap().days_since_epoch(), 0);
        assert_eq!(Date::from_ymd(2000, 3, 1).unwrap().days_since_epoch(), 11_017);
        assert!(Date::from_ymd(2023, 2, 29).is_none());
        assert!(Date::from_ymd(2024, 2, 29).is_some());
        assert!("2024-13-01".parse::<Date>().is_err());
        assert!("2024-1-01".parse::<Date>().is_err());
    }

    #[test]
    fn timestamps_parse_offsets_and_fractions() {
        let t: Timestamp = "2025-04-29T21:33:25.130Z".parse().unwrap();
        assert_eq!(t.to_string(), "2025-04-29T21:33:25.130Z");
        let u: Timestamp = "2025-04-29T21:33:25.130+00:00".parse().unwrap();
        assert_eq!(t, u);
        let v: Timestamp = "2019-01-20T18:02:44.206-06:00".parse().unwrap();
        assert_eq!(v.to_string(), "2019-01-21T00:02:44.206Z");
        let w: Timestamp = "2025-01-15".parse().unwrap();
        assert_eq!(w.to_string(), "2025-01-15T00:00:00Z");
        assert!("2025-01-15T25:00:00Z".parse::<Timestamp>().is_err());
        assert!("yesterday".parse::<Timestamp>().is_err());
        assert!("2025-01-15T10:00:00".parse::<Timestamp>().is_err());
    }

    proptest! {
        #[test]
        fn date_days_round_trip(days in -200_000i32..200_000) {
            let d = Date::from_days_since_epoch(days);
            let (y, m, dd) = d.ymd();
            prop_assert_eq!(Date::from_ymd(y, m, dd), Some(d));
            if (0..10_000).contains(&y) {
                prop_assert_eq!(d.to_string().parse::<Date>().unwrap(), d);
            }
        }

        #[test]
        fn timestamp_text_round_trip(ms in 0i64..253_402_300_799_000) {
            let t = Timestamp::from_millis(ms);
            prop_assert_eq!(t.to_string().parse::<Timestamp>().unwrap(), t);
        }

        #[test]
        fn timestamp_parser_never_panics(text in "\\PC{0,40}") {
            let _ = text.parse::<Timestamp>();
            let _ = text.parse::<Date>();
        }
    }
}
