//! Draws a [`HeatmapSpec`]: panels of cells coloured by sign and size (red below zero, green
//! above, white at zero, on one scale for the whole picture), each cell with its value written
//! in it, row labels on the left, column labels on top, and the marked cell outlined.

use plotters::backend::RGBPixel;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use ttai_core::app::{HeatmapSpec, RenderError};

use crate::draw::{AXIS, LABEL, MUTED, TITLE, fail, fit_text, font};
use crate::prepare::{DOWN, UP, clean_text};
use crate::series::money;
use crate::text::{CrispText, Face};
use crate::{MAX_SIDE, MIN_HEIGHT, MIN_WIDTH};

/// Most columns a heat map may have.
pub const MAX_HEATMAP_COLUMNS: usize = 40;
/// Most rows over all panels.
pub const MAX_HEATMAP_ROWS: usize = 80;
/// The outline of the marked cell.
const MARK: RGBColor = RGBColor(20, 20, 20);

/// Checks `spec`: panels and columns present and bounded, every row as long as the columns,
/// finite values, the marked cell inside its panel, a usable size.
pub(crate) fn check(spec: &HeatmapSpec) -> Result<(), RenderError> {
    if spec.columns.is_empty() || spec.panels.is_empty() {
        return Err(RenderError(
            "a heat map needs at least one column and one panel".into(),
        ));
    }
    if spec.columns.len() > MAX_HEATMAP_COLUMNS {
        return Err(RenderError(format!(
            "a heat map has at most {MAX_HEATMAP_COLUMNS} columns, got {}",
            spec.columns.len()
        )));
    }
    let rows: usize = spec.panels.iter().map(|p| p.values.len()).sum();
    if rows > MAX_HEATMAP_ROWS {
        return Err(RenderError(format!(
            "a heat map has at most {MAX_HEATMAP_ROWS} rows, got {rows}"
        )));
    }
    for (i, panel) in spec.panels.iter().enumerate() {
        if panel.values.is_empty() || panel.values.len() != panel.rows.len() {
            return Err(RenderError(format!(
                "panel {i} has {} rows of values for {} row labels",
                panel.values.len(),
                panel.rows.len()
            )));
        }
        if panel.values.iter().any(|row| row.len() != spec.columns.len()) {
            return Err(RenderError(format!(
                "panel {i} has a row whose length is not the {} columns",
                spec.columns.len()
            )));
        }
        if panel.values.iter().flatten().any(|v| !v.is_finite()) {
            return Err(RenderError(format!(
                "panel {i} has a value that is not a finite number"
            )));
        }
        if let Some((row, column)) = panel.marked
            && (row >= panel.values.len() || column >= spec.columns.len())
        {
            return Err(RenderError(format!("panel {i} marks a cell outside its grid")));
        }
    }
    if !(MIN_WIDTH..=MAX_SIDE).contains(&spec.width) || !(MIN_HEIGHT..=MAX_SIDE).contains(&spec.height) {
        return Err(RenderError(format!(
            "picture size {}x{} is outside {MIN_WIDTH}..={MAX_SIDE} by {MIN_HEIGHT}..={MAX_SIDE}",
            spec.width, spec.height
        )));
    }
    Ok(())
}

/// The fill of a value on a scale whose extreme is `scale`: white at zero, full red or green at
/// the extreme; and whether text on it should be white.
pub(crate) fn fill(value: f64, scale: f64) -> (RGBColor, bool) {
    let t = if scale > 0.0 {
        (value.abs() / scale).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let end = if value < 0.0 { DOWN } else { UP };
    let mix = |full: u8| (255.0 + (f64::from(full) - 255.0) * t).round() as u8;
    (RGBColor(mix(end.0), mix(end.1), mix(end.2)), t > 0.6)
}

/// Draws `spec` into `buf` (`width × height` RGB pixels) with text in `face`.
pub(crate) fn draw(spec: &HeatmapSpec, buf: &mut [u8], face: &'static Face) -> Result<(), RenderError> {
    let bitmap =
        BitMapBackend::<RGBPixel>::with_buffer_and_format(buf, (spec.width, spec.height)).map_err(fail)?;
    let root = CrispText::new(bitmap, face).into_drawing_area();
    root.fill(&WHITE).map_err(fail)?;
    let width = i32::try_from(spec.width).map_err(fail)?;
    let height = i32::try_from(spec.height).map_err(fail)?;
    let scale = (f64::from(spec.width) / 1100.0).clamp(0.6, 3.0);
    let px = |v: f64| (v * scale).round() as i32;
    let margin = px(14.0);
    let text_width = width - 2 * margin;

    let title_style = font(22.0 * scale).color(&TITLE);
    let title = fit_text(&root, &clean_text(&spec.title), &title_style, text_width)?;
    root.draw(&Text::new(title, (margin, margin), title_style))
        .map_err(fail)?;
    let subtitle_y = margin + px(22.0) + px(6.0);
    let subtitle_style = font(14.0 * scale).color(&MUTED);
    let subtitle = fit_text(&root, &clean_text(&spec.subtitle), &subtitle_style, text_width)?;
    root.draw(&Text::new(subtitle, (margin, subtitle_y), subtitle_style))
        .map_err(fail)?;

    // Geometry: a label column on the left, then the cells; one header line of column labels,
    // one title line per panel.
    let label_size = 13.0 * scale;
    let label_column = px(110.0);
    let top = subtitle_y + px(14.0) + px(14.0);
    let grid_left = margin + label_column;
    let columns = spec.columns.len() as i32;
    let cell_width = ((width - margin - grid_left) / columns.max(1)).max(1);
    let lines: usize = spec.panels.iter().map(|p| p.rows.len() + 1).sum::<usize>() + 2;
    let cell_height =
        ((height - top - margin) / i32::try_from(lines).map_err(fail)?.max(1)).clamp(1, px(60.0));
    let scale_value = spec
        .panels
        .iter()
        .flat_map(|p| p.values.iter().flatten())
        .fold(0.0_f64, |m, v| m.max(v.abs()));
    let centred =
        |size: f64, colour: &RGBColor| font(size).color(colour).pos(Pos::new(HPos::Center, VPos::Center));
    let left_aligned =
        |size: f64, colour: &RGBColor| font(size).color(colour).pos(Pos::new(HPos::Left, VPos::Center));

    // Column title and labels.
    let mut y = top;
    let grid_centre = grid_left + cell_width * columns / 2;
    root.draw(&Text::new(
        clean_text(&spec.column_title),
        (grid_centre, y + cell_height / 2),
        centred(label_size, &LABEL),
    ))
    .map_err(fail)?;
    y += cell_height;
    for (c, label) in spec.columns.iter().enumerate() {
        let x = grid_left + cell_width * c as i32 + cell_width / 2;
        root.draw(&Text::new(
            clean_text(label),
            (x, y + cell_height / 2),
            centred(label_size, &TITLE),
        ))
        .map_err(fail)?;
    }
    y += cell_height;

    let value_size = (13.0 * scale).min(f64::from(cell_height) * 0.45).max(6.0);
    for panel in &spec.panels {
        root.draw(&Text::new(
            clean_text(&panel.title),
            (margin, y + cell_height / 2),
            left_aligned(15.0 * scale, &TITLE),
        ))
        .map_err(fail)?;
        y += cell_height;
        for (r, (label, row)) in panel.rows.iter().zip(&panel.values).enumerate() {
            root.draw(&Text::new(
                clean_text(label),
                (margin + px(8.0), y + cell_height / 2),
                left_aligned(label_size, &LABEL),
            ))
            .map_err(fail)?;
            for (c, value) in row.iter().enumerate() {
                let x0 = grid_left + cell_width * c as i32;
                let corners = [(x0, y), (x0 + cell_width, y + cell_height)];
                let (colour, light_text) = fill(*value, scale_value);
                root.draw(&Rectangle::new(corners, colour.filled()))
                    .map_err(fail)?;
                root.draw(&Rectangle::new(corners, AXIS.stroke_width(1)))
                    .map_err(fail)?;
                let text_colour = if light_text { WHITE } else { TITLE };
                root.draw(&Text::new(
                    money(*value),
                    (x0 + cell_width / 2, y + cell_height / 2),
                    centred(value_size, &text_colour),
                ))
                .map_err(fail)?;
                if panel.marked == Some((r, c)) {
                    let inset = px(2.0).max(1);
                    root.draw(&Rectangle::new(
                        [
                            (x0 + inset, y + inset),
                            (x0 + cell_width - inset, y + cell_height - inset),
                        ],
                        MARK.stroke_width(px(3.0).max(2) as u32),
                    ))
                    .map_err(fail)?;
                }
            }
            y += cell_height;
        }
    }
    root.present().map_err(fail)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_run_from_white_to_red_and_green() {
        assert_eq!(fill(0.0, 100.0).0, RGBColor(255, 255, 255));
        assert_eq!(fill(-100.0, 100.0).0, DOWN);
        assert_eq!(fill(250.0, 100.0).0, UP, "beyond the scale is the full colour");
        let (half, light) = fill(-50.0, 100.0);
        assert!(half.0 > DOWN.0 && half.1 > DOWN.1 && !light);
        assert_eq!(
            fill(5.0, 0.0).0,
            RGBColor(255, 255, 255),
            "a zero scale is all white"
        );
    }
}
