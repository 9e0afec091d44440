//! Checks a [`ChartSpec`] and turns it into what the drawing code needs: validated sizes, the
//! price and volume ranges, axis label texts, line segments and the levels that fit.
//!
//! Everything here is plain arithmetic, so the rules (what is an error, what is silently left
//! out) can be tested without drawing anything.

use plotters::style::RGBColor;
use ttai_core::app::{ChartSpec, LevelKind, LineStyle, RenderError};
use ttai_core::domain::Candle;
use ttai_core::time::Timestamp;

use crate::{MAX_SIDE, MIN_HEIGHT, MIN_WIDTH};

/// Largest price magnitude accepted; beyond it tick arithmetic loses its meaning.
pub(crate) const MAX_PRICE: f64 = 1e15;

/// Colour of rising candles (close at or above open) and their volume bars.
pub(crate) const UP: RGBColor = RGBColor(38, 166, 91);
/// Colour of falling candles and their volume bars.
pub(crate) const DOWN: RGBColor = RGBColor(220, 53, 69);
/// Colour of support levels.
pub(crate) const SUPPORT: RGBColor = RGBColor(27, 140, 60);
/// Colour of resistance levels.
pub(crate) const RESISTANCE: RGBColor = RGBColor(200, 30, 45);

/// Line colours, in the order they are handed out when a style's own colour is taken.
const PALETTE: [RGBColor; 8] = [
    RGBColor(245, 124, 0),  // orange
    RGBColor(30, 136, 229), // blue
    RGBColor(142, 36, 170), // purple
    RGBColor(0, 151, 167),  // cyan
    RGBColor(121, 85, 72),  // brown
    RGBColor(84, 110, 122), // blue grey
    RGBColor(233, 30, 160), // pink
    RGBColor(158, 157, 36), // olive
];

/// A spec that passed the checks, with everything the drawing needs precomputed.
pub(crate) struct Prepared<'a> {
    /// Picture width in pixels.
    pub(crate) width: u32,
    /// Picture height in pixels.
    pub(crate) height: u32,
    /// The title, with control characters replaced.
    pub(crate) title: String,
    /// The subtitle, with control characters replaced.
    pub(crate) subtitle: String,
    /// The candles, oldest first; candle `i` is drawn at x = `i`.
    pub(crate) candles: &'a [Candle],
    /// One x-axis label per candle.
    pub(crate) x_labels: Vec<String>,
    /// Bottom and top of the price axis, padded.
    pub(crate) price_range: (f64, f64),
    /// The line series that have something to draw.
    pub(crate) lines: Vec<PreparedLine>,
    /// The levels inside the price range.
    pub(crate) levels: Vec<PreparedLevel>,
    /// One volume per candle (0 where unknown) when the volume panel is wanted.
    pub(crate) volumes: Option<Vec<f64>>,
    /// Top of the volume axis.
    pub(crate) volume_top: f64,
    /// Whether the legend goes to the upper left corner (else the lower left).
    pub(crate) legend_on_top: bool,
}

/// A line series cut into runs of defined values.
pub(crate) struct PreparedLine {
    /// Legend text.
    pub(crate) label: String,
    /// Line colour.
    pub(crate) colour: RGBColor,
    /// Whether the line is drawn thinner (the Bollinger bands, so the moving averages stand out
    /// and the SMA 20 under the middle band stays visible).
    pub(crate) thin: bool,
    /// Runs of consecutive defined points `(candle index, value)`.
    pub(crate) segments: Vec<Vec<(f64, f64)>>,
}

/// A level to draw.
pub(crate) struct PreparedLevel {
    /// Text at the right edge.
    pub(crate) label: String,
    /// The price.
    pub(crate) price: f64,
    /// Support or resistance.
    pub(crate) kind: LevelKind,
}

impl PreparedLevel {
    /// The colour of the line and its label.
    pub(crate) fn colour(&self) -> RGBColor {
        match self.kind {
            LevelKind::Support => SUPPORT,
            LevelKind::Resistance => RESISTANCE,
        }
    }
}

/// Checks `spec` and computes the ranges and labels.
///
/// Errors: a size outside `MIN_WIDTH..=MAX_SIDE` × `MIN_HEIGHT..=MAX_SIDE`, no candles, a
/// candle or level price that is not finite or beyond ±`MAX_PRICE`. Not errors: undefined or
/// non-finite line values (the line has a gap there), line values and levels far outside the
/// candles' range (left out so they do not squash the candles), unusable volumes (no bar).
pub(crate) fn prepare(spec: &ChartSpec) -> Result<Prepared<'_>, RenderError> {
    check_size(spec.width, spec.height)?;
    let candles = spec.candles.as_slice();
    if candles.is_empty() {
        return Err(RenderError("the chart has no candles".into()));
    }
    let (low, high) = candle_extremes(candles)?;

    // Lines and levels may widen the range, but only within one candle range of the candles.
    let min_span = minimum_span(low, high);
    let reach = (high - low).max(min_span);
    let window = (low - reach, high + reach);
    let inside = |v: f64| v.is_finite() && v >= window.0 && v <= window.1;

    let mut lo = low;
    let mut hi = high;
    let lines = prepare_lines(spec, candles.len(), &inside);
    for line in &lines {
        for &(_, v) in line.segments.iter().flatten() {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    let mut levels = Vec::new();
    for level in &spec.levels {
        if !level.price.is_finite() {
            return Err(RenderError(format!(
                "level '{}' has a non-finite price",
                level.label
            )));
        }
        if inside(level.price) {
            lo = lo.min(level.price);
            hi = hi.max(level.price);
            levels.push(PreparedLevel {
                label: clean_text(&level.label),
                price: level.price,
                kind: level.kind,
            });
        }
    }
    let price_range = pad_range(lo, hi);
    if !(price_range.0.is_finite() && price_range.1.is_finite() && price_range.0 < price_range.1) {
        return Err(RenderError("the price range cannot be drawn".into()));
    }

    let volumes = spec.volume.then(|| {
        candles
            .iter()
            .map(|c| {
                if c.volume.is_finite() && c.volume > 0.0 {
                    c.volume
                } else {
                    0.0
                }
            })
            .collect::<Vec<f64>>()
    });
    let volume_max = volumes.iter().flatten().fold(0.0_f64, |m, &v| m.max(v));
    let volume_top = if volume_max > 0.0 && (volume_max * 1.15).is_finite() {
        volume_max * 1.15
    } else {
        1.0
    };

    Ok(Prepared {
        width: spec.width,
        height: spec.height,
        title: clean_text(&spec.title),
        subtitle: clean_text(&spec.subtitle),
        candles,
        x_labels: x_labels(candles),
        legend_on_top: legend_on_top(candles, price_range),
        price_range,
        lines,
        levels,
        volumes,
        volume_top,
    })
}

/// Rejects sizes that cannot hold a chart or would take too much memory.
fn check_size(width: u32, height: u32) -> Result<(), RenderError> {
    if !(MIN_WIDTH..=MAX_SIDE).contains(&width) || !(MIN_HEIGHT..=MAX_SIDE).contains(&height) {
        return Err(RenderError(format!(
            "picture size {width}×{height} is outside {MIN_WIDTH}×{MIN_HEIGHT} to {MAX_SIDE}×{MAX_SIDE}"
        )));
    }
    Ok(())
}

/// The lowest and highest of all candle prices, or an error naming the first bad candle.
fn candle_extremes(candles: &[Candle]) -> Result<(f64, f64), RenderError> {
    let mut low = f64::INFINITY;
    let mut high = f64::NEG_INFINITY;
    for (i, c) in candles.iter().enumerate() {
        let prices = [c.open, c.high, c.low, c.close];
        if prices.iter().any(|p| !p.is_finite() || p.abs() > MAX_PRICE) {
            return Err(RenderError(format!(
                "candle {i} ({}) has a price that is not a finite number within ±{MAX_PRICE:e}",
                c.time.date()
            )));
        }
        for p in prices {
            low = low.min(p);
            high = high.max(p);
        }
    }
    Ok((low, high))
}

/// The smallest price span an axis shows, so a flat series still gets a readable axis.
fn minimum_span(low: f64, high: f64) -> f64 {
    let magnitude = low.abs().max(high.abs());
    (magnitude * 0.002).max(1e-6)
}

/// Widens `lo..hi` to at least the minimum span (centred) and adds headroom: 8 % above for the
/// legend, 5 % below.
pub(crate) fn pad_range(lo: f64, hi: f64) -> (f64, f64) {
    let span = hi - lo;
    let wanted = span.max(minimum_span(lo, hi));
    let extra = (wanted - span) / 2.0;
    (lo - extra - wanted * 0.05, hi + extra + wanted * 0.08)
}

/// Splits each line into runs of defined values, dropping lines with nothing to draw.
fn prepare_lines(spec: &ChartSpec, candle_count: usize, inside: &dyn Fn(f64) -> bool) -> Vec<PreparedLine> {
    let mut used: Vec<RGBColor> = Vec::new();
    let mut lines = Vec::new();
    for series in &spec.lines {
        let segments = segments(&series.values, candle_count, inside);
        if segments.is_empty() {
            continue;
        }
        let colour = pick_colour(series.style, &used);
        used.push(colour);
        lines.push(PreparedLine {
            label: clean_text(&series.label),
            colour,
            thin: matches!(
                series.style,
                LineStyle::BandUpper | LineStyle::BandMiddle | LineStyle::BandLower
            ),
            segments,
        });
    }
    lines
}

/// Runs of consecutive values that are defined, finite and accepted by `inside`; values past
/// the last candle are ignored.
pub(crate) fn segments(
    values: &[Option<f64>],
    candle_count: usize,
    inside: &dyn Fn(f64) -> bool,
) -> Vec<Vec<(f64, f64)>> {
    let mut runs = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    for (i, value) in values.iter().take(candle_count).enumerate() {
        match value {
            Some(v) if inside(*v) => current.push((i as f64, *v)),
            _ => {
                if !current.is_empty() {
                    runs.push(std::mem::take(&mut current));
                }
            }
        }
    }
    if !current.is_empty() {
        runs.push(current);
    }
    runs
}

/// The style's own colour, or the first palette colour not used yet when it is taken.
fn pick_colour(style: LineStyle, used: &[RGBColor]) -> RGBColor {
    let own = match style {
        LineStyle::Sma20 => PALETTE[0],
        LineStyle::Sma50 => PALETTE[1],
        LineStyle::Sma200 => PALETTE[2],
        LineStyle::BandUpper => PALETTE[3],
        LineStyle::BandMiddle => PALETTE[4],
        LineStyle::BandLower => PALETTE[5],
    };
    if !used.contains(&own) {
        return own;
    }
    PALETTE.iter().copied().find(|c| !used.contains(c)).unwrap_or(own)
}

/// Whether several candles share a date (intraday bars).
fn is_intraday(candles: &[Candle]) -> bool {
    candles.windows(2).any(|pair| match pair {
        [a, b] => a.time.date() == b.time.date(),
        _ => false,
    })
}

/// One x-axis label per candle: the date, plus the UTC time when several candles share a date.
fn x_labels(candles: &[Candle]) -> Vec<String> {
    let intraday = is_intraday(candles);
    candles
        .iter()
        .map(|c| {
            if intraday {
                date_time_label(c.time)
            } else {
                c.time.date().to_string()
            }
        })
        .collect()
}

/// `YYYY-MM-DD HH:MM` in UTC.
fn date_time_label(time: Timestamp) -> String {
    let date = time.date();
    let ms = time.millis_since(date.at_midnight_utc());
    format!("{date} {:02}:{:02}", ms / 3_600_000, (ms % 3_600_000) / 60_000)
}

/// The candles that get a date label, at most `max_labels` of them: the first candle of every
/// month (every 2nd, 3rd, 6th or 12th month when that is too many; every day for intraday
/// bars), or evenly spaced candles on a 1-2-5 step when fewer than two periods start.
pub(crate) fn tick_indices(candles: &[Candle], max_labels: usize) -> Vec<usize> {
    let max = max_labels.max(1);
    let intraday = is_intraday(candles);
    let starts: Vec<usize> = candles
        .windows(2)
        .enumerate()
        .filter_map(|(i, pair)| match pair {
            [a, b] => {
                let (before, after) = (a.time.date(), b.time.date());
                let new_period = if intraday {
                    before != after
                } else {
                    let ((y0, m0, _), (y1, m1, _)) = (before.ymd(), after.ymd());
                    (y0, m0) != (y1, m1)
                };
                new_period.then_some(i + 1)
            }
            _ => None,
        })
        .collect();
    for stride in [1, 2, 3, 6, 12] {
        let picked: Vec<usize> = starts.iter().copied().step_by(stride).collect();
        if (2..=max).contains(&picked.len()) {
            return picked;
        }
    }
    let mut step = 1;
    while step * max < candles.len() {
        step = match step.to_string().chars().next() {
            Some('1') => step * 2,
            Some('2') => step / 2 * 5,
            _ => step * 2,
        };
    }
    (0..candles.len()).step_by(step).collect()
}

/// The label for x-axis position `x`: the candle's label at whole positions, nothing between.
pub(crate) fn label_at(labels: &[String], x: f64) -> String {
    let rounded = x.round();
    if (x - rounded).abs() > 1e-6 || rounded < 0.0 {
        return String::new();
    }
    labels.get(rounded as usize).cloned().unwrap_or_default()
}

/// Puts the legend where the first third of the candles leaves more room: top or bottom.
fn legend_on_top(candles: &[Candle], (bottom, top): (f64, f64)) -> bool {
    let first = || candles.iter().take(candles.len().div_ceil(3));
    let high = first().fold(f64::NEG_INFINITY, |m, c| m.max(c.high.max(c.open).max(c.close)));
    let low = first().fold(f64::INFINITY, |m, c| m.min(c.low.min(c.open).min(c.close)));
    let headroom = top - high;
    let footroom = low - bottom;
    headroom >= footroom
}

/// Decimals for price labels when `count` labels share `range`: enough to tell ticks apart.
pub(crate) fn price_decimals((bottom, top): (f64, f64), count: usize) -> usize {
    let step = (top - bottom) / count.max(1) as f64;
    if !(step.is_finite() && step > 0.0) {
        return 2;
    }
    (-step.log10()).ceil().clamp(0.0, 8.0) as usize
}

/// A volume in short form: 950, 12.5K, 3.2M, 1.1B.
pub(crate) fn volume_label(v: f64) -> String {
    let a = v.abs();
    let (scaled, suffix) = if a >= 1e9 {
        (v / 1e9, "B")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e3 {
        (v / 1e3, "K")
    } else {
        (v, "")
    };
    let text = format!("{scaled:.1}");
    let text = text.strip_suffix(".0").unwrap_or(&text);
    format!("{text}{suffix}")
}

/// Longest text kept from a title, subtitle or label, in characters; nothing longer fits a
/// picture anyway, and the bound keeps text measuring cheap.
const MAX_TEXT_CHARS: usize = 300;

/// The text with control characters (newlines, tabs) replaced by spaces, the ends trimmed and
/// at most `MAX_TEXT_CHARS` characters kept.
pub(crate) fn clean_text(text: &str) -> String {
    text.chars()
        .take(MAX_TEXT_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ttai_core::time::Date;

    #[test]
    fn a_flat_range_is_widened_around_the_price() {
        let (lo, hi) = pad_range(100.0, 100.0);
        assert!(lo < 100.0 && hi > 100.0);
        assert!(hi - lo >= 0.2);
        let (lo, hi) = pad_range(0.0, 0.0);
        assert!(lo < 0.0 && hi > 0.0);
    }

    #[test]
    fn none_and_nan_break_a_line() {
        let values = [
            Some(1.0),
            Some(2.0),
            None,
            Some(3.0),
            Some(f64::NAN),
            Some(4.0),
            Some(5.0),
        ];
        let runs = segments(&values, 10, &|v: f64| v.is_finite());
        assert_eq!(
            runs,
            vec![
                vec![(0.0, 1.0), (1.0, 2.0)],
                vec![(3.0, 3.0)],
                vec![(5.0, 4.0), (6.0, 5.0)]
            ]
        );
        assert!(segments(&[None, None], 2, &|_| true).is_empty());
        assert_eq!(
            segments(&[Some(1.0), Some(2.0), Some(3.0)], 2, &|_| true).len(),
            1
        );
    }

    #[test]
    fn undefined_lines_and_far_values_and_levels_do_not_reach_the_prepared_chart() {
        use ttai_core::app::{Level, LineSeries};
        let mut candles = daily(Date::from_ymd(2025, 1, 2).unwrap(), 4);
        for c in &mut candles {
            (c.open, c.high, c.low, c.close) = (10.0, 11.0, 9.0, 10.5);
        }
        let line = |label: &str, style, values| LineSeries {
            label: label.into(),
            style,
            values,
        };
        let level = |price, kind| Level {
            label: "l".into(),
            price,
            kind,
        };
        let spec = ChartSpec {
            title: "T".into(),
            subtitle: String::new(),
            candles,
            lines: vec![
                line("undefined", LineStyle::Sma200, vec![None; 4]),
                line("empty", LineStyle::Sma20, vec![]),
                line(
                    "far",
                    LineStyle::Sma50,
                    vec![Some(10.0), Some(1e12), Some(10.2), None],
                ),
            ],
            levels: vec![level(1e9, LevelKind::Resistance), level(9.5, LevelKind::Support)],
            volume: false,
            width: 640,
            height: 400,
        };
        let prepared = prepare(&spec).unwrap();
        let labels: Vec<&str> = prepared.lines.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(labels, ["far"]);
        assert_eq!(
            prepared.lines[0].segments,
            vec![vec![(0.0, 10.0)], vec![(2.0, 10.2)]]
        );
        assert_eq!(prepared.levels.len(), 1);
        assert_eq!(
            (prepared.levels[0].price, prepared.levels[0].kind),
            (9.5, LevelKind::Support)
        );
        let (bottom, top) = prepared.price_range;
        assert!(bottom > 8.0 && top < 12.0, "{bottom}..{top}");
    }

    #[test]
    fn labels_only_at_whole_positions() {
        let labels = vec!["a".to_owned(), "b".to_owned()];
        assert_eq!(label_at(&labels, 1.0), "b");
        assert_eq!(label_at(&labels, 0.5), "");
        assert_eq!(label_at(&labels, -1.0), "");
        assert_eq!(label_at(&labels, 2.0), "");
    }

    fn daily(from: Date, count: i32) -> Vec<Candle> {
        (0..count)
            .map(|i| Candle {
                time: from.add_days(i).at_midnight_utc(),
                open: 1.0,
                high: 1.0,
                low: 1.0,
                close: 1.0,
                volume: 0.0,
            })
            .collect()
    }

    #[test]
    fn ticks_fall_on_month_starts_or_even_steps() {
        let start = Date::from_ymd(2024, 1, 15).unwrap();
        let year = daily(start, 365);
        let ticks = tick_indices(&year, 12);
        assert_eq!(ticks.len(), 12);
        assert!(ticks.iter().all(|&i| year[i].time.date().ymd().2 == 1));
        let ticks = tick_indices(&year, 5);
        assert_eq!(ticks.len(), 4, "every third month");

        let month = daily(start, 10);
        assert_eq!(tick_indices(&month, 4), vec![0, 5]);
        assert_eq!(tick_indices(&month, 20), (0..10).collect::<Vec<_>>());
        assert_eq!(tick_indices(&daily(start, 1), 3), vec![0]);
        assert!(tick_indices(&[], 3).is_empty());
        let steps: Vec<usize> = (1..=50)
            .map(|max| {
                let ticks = tick_indices(&daily(start, 13), max);
                ticks.get(1).copied().unwrap_or(0)
            })
            .collect();
        assert!(steps.iter().all(|s| [0, 1, 2, 5, 10].contains(s)), "{steps:?}");
    }

    #[test]
    fn decimals_follow_the_tick_step() {
        assert_eq!(price_decimals((500.0, 600.0), 10), 0);
        assert_eq!(price_decimals((99.0, 101.0), 10), 1);
        assert_eq!(price_decimals((0.99, 1.01), 10), 3);
    }

    #[test]
    fn volumes_are_short() {
        assert_eq!(volume_label(0.0), "0");
        assert_eq!(volume_label(950.0), "950");
        assert_eq!(volume_label(12_500.0), "12.5K");
        assert_eq!(volume_label(3_200_000.0), "3.2M");
        assert_eq!(volume_label(1.1e9), "1.1B");
        assert_eq!(volume_label(50e6), "50M");
        assert_eq!(volume_label(0.5), "0.5");
    }

    #[test]
    fn duplicate_styles_get_distinct_colours() {
        let a = pick_colour(LineStyle::Sma20, &[]);
        let b = pick_colour(LineStyle::Sma20, &[a]);
        assert_ne!(a, b);
    }

    #[test]
    fn control_characters_become_spaces() {
        assert_eq!(clean_text(" SPY\ndaily\t"), "SPY daily");
        assert_eq!(clean_text(&"x".repeat(10_000)).len(), MAX_TEXT_CHARS);
    }
}
