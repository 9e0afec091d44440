//! Draws a [`SeriesSpec`]: one value over time (an equity curve) as a line, with a zero line,
//! date labels under the plot and value labels on the right.

use plotters::backend::RGBPixel;
use plotters::prelude::*;
use ttai_core::app::{RenderError, SeriesSpec};
use ttai_core::time::Timestamp;

use crate::draw::{AXIS, GRID, LABEL, MUTED, TITLE, fail, font};
use crate::prepare::{clean_text, pad_range};
use crate::text::{CrispText, Face};
use crate::{MAX_SIDE, MIN_HEIGHT, MIN_WIDTH};

/// The line's colour.
const LINE: RGBColor = RGBColor(31, 119, 180);
/// The zero line's colour.
const ZERO: RGBColor = RGBColor(120, 120, 120);

/// Checks `spec`: at least two points, finite values, times in order, a usable size.
pub(crate) fn check(spec: &SeriesSpec) -> Result<(), RenderError> {
    if spec.points.len() < 2 {
        return Err(RenderError("a series chart needs at least two points".into()));
    }
    if spec.points.iter().any(|(_, v)| !v.is_finite()) {
        return Err(RenderError("a series value is not a finite number".into()));
    }
    if spec.points.windows(2).any(|w| matches!(w, [a, b] if b.0 < a.0)) {
        return Err(RenderError("series points are not in time order".into()));
    }
    if !(MIN_WIDTH..=MAX_SIDE).contains(&spec.width) || !(MIN_HEIGHT..=MAX_SIDE).contains(&spec.height) {
        return Err(RenderError(format!(
            "picture size {}x{} is outside {MIN_WIDTH}..={MAX_SIDE} by {MIN_HEIGHT}..={MAX_SIDE}",
            spec.width, spec.height
        )));
    }
    Ok(())
}

/// Days since the first point, as the x coordinate.
fn day(first: Timestamp, t: Timestamp) -> f64 {
    (t.millis() - first.millis()) as f64 / 86_400_000.0
}

/// `12,345` or `-1,234.5`: thousands separated, at most one decimal.
pub(crate) fn money(v: f64) -> String {
    let rounded = (v * 10.0).round() / 10.0;
    let whole = rounded.trunc().abs() as u64;
    let mut digits = whole.to_string();
    let mut grouped = String::new();
    while digits.len() > 3 {
        let tail = digits.split_off(digits.len() - 3);
        grouped = format!(",{tail}{grouped}");
    }
    let fraction = (rounded.fract().abs() * 10.0).round() as u64;
    let sign = if rounded < 0.0 { "-" } else { "" };
    if fraction == 0 {
        format!("{sign}{digits}{grouped}")
    } else {
        format!("{sign}{digits}{grouped}.{fraction}")
    }
}

/// Draws `spec` into `buf` (`width × height` RGB pixels) with text in `face`.
pub(crate) fn draw(spec: &SeriesSpec, buf: &mut [u8], face: &'static Face) -> Result<(), RenderError> {
    let (Some(first), Some(last)) = (spec.points.first(), spec.points.last()) else {
        return Err(RenderError("a series chart needs at least two points".into()));
    };
    let (first_t, last_t) = (first.0, last.0);
    let bitmap =
        BitMapBackend::<RGBPixel>::with_buffer_and_format(buf, (spec.width, spec.height)).map_err(fail)?;
    let root = CrispText::new(bitmap, face).into_drawing_area();
    root.fill(&WHITE).map_err(fail)?;
    let scale = (f64::from(spec.width) / 1200.0)
        .min(f64::from(spec.height) / 800.0)
        .sqrt()
        .clamp(0.6, 3.0);
    let px = |v: f64| (v * scale).round() as i32;
    let margin = px(14.0);
    root.draw(&Text::new(
        clean_text(&spec.title),
        (margin, margin),
        font(22.0 * scale).color(&TITLE),
    ))
    .map_err(fail)?;
    let subtitle_y = margin + px(22.0) + px(6.0);
    root.draw(&Text::new(
        clean_text(&spec.subtitle),
        (margin, subtitle_y),
        font(14.0 * scale).color(&MUTED),
    ))
    .map_err(fail)?;
    let (_, body) = root.split_vertically(subtitle_y + px(14.0) + px(10.0));

    let lo = spec.points.iter().map(|p| p.1).fold(0.0_f64, f64::min);
    let hi = spec.points.iter().map(|p| p.1).fold(0.0_f64, f64::max);
    let (bottom, top) = pad_range(lo, hi);
    let x_end = day(first_t, last_t).max(1.0);
    let label_style = font(13.0 * scale).color(&LABEL);
    let mut chart = ChartBuilder::on(&body)
        .margin(margin)
        .x_label_area_size(px(30.0))
        .y_label_area_size(px(90.0))
        .build_cartesian_2d(0.0..x_end, bottom..top)
        .map_err(fail)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .axis_style(AXIS)
        .x_labels(6)
        .y_labels(8)
        .x_label_style(label_style.clone())
        .y_label_style(label_style.clone())
        .x_label_formatter(&|d| first_t.add_millis((*d * 86_400_000.0) as i64).date().to_string())
        .y_label_formatter(&|v| money(*v))
        .draw()
        .map_err(fail)?;
    chart
        .draw_series(LineSeries::new([(0.0, 0.0), (x_end, 0.0)], ZERO.stroke_width(1)))
        .map_err(fail)?;
    chart
        .draw_series(LineSeries::new(
            spec.points.iter().map(|(t, v)| (day(first_t, *t), *v)),
            LINE.stroke_width(px(2.0).max(1) as u32),
        ))
        .map_err(fail)?
        .label(clean_text(&spec.label))
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], LINE.stroke_width(2)));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(label_style)
        .background_style(WHITE.mix(0.9))
        .border_style(AXIS)
        .draw()
        .map_err(fail)?;
    root.present().map_err(fail)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_grouped() {
        assert_eq!(money(0.0), "0");
        assert_eq!(money(1234.0), "1,234");
        assert_eq!(money(-1234567.25), "-1,234,567.3");
        assert_eq!(money(999.94), "999.9");
    }
}
