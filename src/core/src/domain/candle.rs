use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

/// One OHLCV bar; `time` is the start of the bar's period.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Candle {
    /// Start of the period.
    pub time: Timestamp,
    /// First trade.
    pub open: f64,
    /// Highest trade.
    pub high: f64,
    /// Lowest trade.
    pub low: f64,
    /// Last trade.
    pub close: f64,
    /// Volume traded.
    #[serde(default)]
    pub volume: f64,
}

/// Bar size of a candle series.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Timeframe {
    /// Five-minute bars.
    Intraday,
    /// Daily bars.
    Daily,
    /// Weekly bars.
    Weekly,
}

impl Timeframe {
    /// `intraday`, `daily` or `weekly`.
    pub fn as_str(self) -> &'static str {
        match self {
            Timeframe::Intraday => "intraday",
            Timeframe::Daily => "daily",
            Timeframe::Weekly => "weekly",
        }
    }

    /// Reads `intraday`, `daily` or `weekly`.
    pub fn parse(text: &str) -> Option<Timeframe> {
        match text {
            "intraday" => Some(Timeframe::Intraday),
            "daily" => Some(Timeframe::Daily),
            "weekly" => Some(Timeframe::Weekly),
            _ => None,
        }
    }

    /// Length of one bar in milliseconds (a week for weekly).
    pub fn bar_millis(self) -> i64 {
        match self {
            Timeframe::Intraday => 5 * 60_000,
            Timeframe::Daily => crate::time::MS_PER_DAY,
            Timeframe::Weekly => 7 * crate::time::MS_PER_DAY,
        }
    }
}

/// Aggregates daily candles into weeks starting on Monday (the week's first trading day opens,
/// its last closes). Input must be sorted by time.
pub fn weekly_from_daily(daily: &[Candle]) -> Vec<Candle> {
    let mut weeks: Vec<Candle> = Vec::with_capacity(daily.len() / 5 + 1);
    let mut current_week: Option<i32> = None;
    for bar in daily {
        let date = bar.time.date();
        let monday = date.days_since_epoch() - (date.days_since_epoch() + 3).rem_euclid(7);
        match (current_week, weeks.last_mut()) {
            (Some(week), Some(last)) if week == monday => {
                last.high = last.high.max(bar.high);
                last.low = last.low.min(bar.low);
                last.close = bar.close;
                last.volume += bar.volume;
            }
            _ => {
                current_week = Some(monday);
                weeks.push(Candle {
                    time: crate::time::Date::from_days_since_epoch(monday).at_midnight_utc(),
                    ..*bar
                });
            }
        }
    }
    weeks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Date;

    fn bar(date: &str, o: f64, h: f64, l: f64, c: f64) -> Candle {
        Candle {
            time: date.parse::<Date>().unwrap().at_midnight_utc(),
            open: o,
            high: h,
            low: l,
            close: c,
            volume: 10.0,
        }
    }

    #[test]
    fn weeks_take_first_open_last_close_and_extremes() {
        let daily = [
            bar("2025-01-09", 10.0, 11.0, 9.0, 10.5),  // Thursday
            bar("2025-01-10", 10.5, 12.0, 10.0, 11.0), // Friday
            bar("2025-01-13", 11.0, 11.5, 8.0, 9.0),   // Monday
            bar("2025-01-17", 9.0, 9.5, 8.5, 9.2),     // Friday
        ];
        let weeks = weekly_from_daily(&daily);
        assert_eq!(weeks.len(), 2);
        assert_eq!(weeks[0].time.date().to_string(), "2025-01-06");
        assert_eq!(
            (weeks[0].open, weeks[0].high, weeks[0].low, weeks[0].close),
            (10.0, 12.0, 9.0, 11.0)
        );
        assert_eq!(weeks[0].volume, 20.0);
        assert_eq!(
            (weeks[1].open, weeks[1].high, weeks[1].low, weeks[1].close),
            (11.0, 11.5, 8.0, 9.2)
        );
    }
}
