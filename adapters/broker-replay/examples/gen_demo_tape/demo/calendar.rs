//! The demo's trading calendar: NYSE holidays by rule, sessions closing at 21:00 UTC.

use ttai_core::domain::{nyse_holidays, nyse_special_closure};
use ttai_core::time::{Date, Timestamp, Weekday};

pub(super) fn date(y: i32, m: u32, d: u32) -> Date {
    Date::from_ymd(y, m, d).unwrap_or(Date::from_days_since_epoch(0))
}

pub(super) fn nth_weekday(year: i32, month: u32, weekday: Weekday, n: u32) -> Date {
    let mut d = date(year, month, 1);
    while d.weekday() != weekday {
        d = d.add_days(1);
    }
    d.add_days(7 * (n as i32 - 1))
}

pub(super) fn last_weekday(year: i32, month: u32, weekday: Weekday) -> Date {
    let next = if month == 12 {
        date(year + 1, 1, 1)
    } else {
        date(year, month + 1, 1)
    };
    let mut d = next.add_days(-1);
    while d.weekday() != weekday {
        d = d.add_days(-1);
    }
    d
}

/// US equity market holidays of a year: the NYSE calendar's rules (docs/market-hours.md) without
/// its special closures (the synthetic history was generated trading on 2025-01-09).
pub(super) fn holidays(year: i32) -> Vec<Date> {
    nyse_holidays(year)
        .into_iter()
        .map(|(d, _)| d)
        .filter(|d| nyse_special_closure(*d).is_none())
        .collect()
}

pub(super) fn trading_days(from: Date, to: Date) -> Vec<Date> {
    let mut hol = Vec::new();
    for y in from.ymd().0..=to.ymd().0 {
        hol.extend(holidays(y));
    }
    let mut out = Vec::new();
    let mut d = from;
    while d <= to {
        if !d.is_weekend() && !hol.contains(&d) {
            out.push(d);
        }
        d = d.add_days(1);
    }
    out
}

/// Close of the session, as recorded (21:00 UTC).
pub(super) fn close_time(d: Date) -> Timestamp {
    d.at_utc(21, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_calendar_knows_the_usual_holidays() {
        let days = trading_days(date(2026, 1, 1), date(2026, 12, 31));
        assert!(!days.contains(&date(2026, 1, 1)));
        assert!(!days.contains(&date(2026, 4, 3)), "Good Friday 2026");
        assert!(!days.contains(&date(2026, 11, 26)), "Thanksgiving 2026");
        assert!(!days.contains(&date(2026, 7, 3)), "Independence Day observed");
        assert!(days.contains(&date(2026, 11, 27)));
        assert_eq!(days.len(), 251);
    }
}
