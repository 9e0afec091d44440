//! Draws a prepared chart into an RGB buffer with plotters.
//!
//! Layout, top to bottom: the title and subtitle; the price panel (candles, lines, levels,
//! legend); the volume panel (about a fifth of the plot height) when wanted, which then carries
//! the date axis. The price and volume axes are on the right, with the same width in both
//! panels so the candles and their volume bars line up.

use std::ops::Range;

use plotters::backend::RGBPixel;
use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use ttai_core::app::RenderError;

use crate::FONT_FAMILY;
use crate::prepare::{DOWN, Prepared, UP, label_at, price_decimals, tick_indices, volume_label};
use crate::text::{CrispText, Face};

/// Title text.
pub(crate) const TITLE: RGBColor = RGBColor(33, 33, 33);
/// Subtitle and caption text.
pub(crate) const MUTED: RGBColor = RGBColor(110, 110, 110);
/// Axis tick labels.
pub(crate) const LABEL: RGBColor = RGBColor(70, 70, 70);
/// Grid lines.
pub(crate) const GRID: RGBColor = RGBColor(232, 232, 232);
/// Axis lines and the legend border.
pub(crate) const AXIS: RGBColor = RGBColor(170, 170, 170);

/// The backend: an RGB buffer, with text drawn by [`CrispText`].
type Backend<'b> = CrispText<BitMapBackend<'b>>;
/// The drawing target.
type Area<'b> = DrawingArea<Backend<'b>, Shift>;

/// Sizes in pixels, scaled with the picture: 1.0 at 1200×800, in proportion for larger
/// pictures, and with the square root for smaller ones so their text stays legible.
struct Metrics {
    /// The scale factor.
    scale: f64,
    /// Space around the chart.
    margin: i32,
    /// Title font size.
    title: f64,
    /// Subtitle font size.
    subtitle: f64,
    /// Tick label, legend and level label font size.
    label: f64,
    /// Width of indicator lines.
    line_width: u32,
}

impl Metrics {
    /// The sizes for a `width × height` picture.
    fn new(width: u32, height: u32) -> Metrics {
        let linear = (f64::from(width) / 1200.0).min(f64::from(height) / 800.0);
        let scale = if linear >= 1.0 { linear } else { linear.sqrt() }.clamp(0.6, 3.0);
        Metrics {
            scale,
            margin: (14.0 * scale).round() as i32,
            title: 22.0 * scale,
            subtitle: 14.0 * scale,
            label: 13.0 * scale,
            line_width: (2.0 * scale).round().max(1.0) as u32,
        }
    }

    /// `v` pixels at 1200×800, scaled.
    fn px(&self, v: f64) -> i32 {
        (v * self.scale).round() as i32
    }
}

/// The x axis: candle positions, with grid lines and labels only at the chosen candles.
pub(crate) struct CandleAxis {
    /// The linear mapping.
    linear: RangedCoordf64,
    /// Where the grid lines and date labels go.
    ticks: Vec<f64>,
}

impl CandleAxis {
    /// An axis over `range` with grid lines and labels at `ticks`.
    fn new(range: Range<f64>, ticks: Vec<f64>) -> CandleAxis {
        CandleAxis {
            linear: range.into(),
            ticks,
        }
    }
}

impl Ranged for CandleAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.linear.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.linear.range()
    }
}

/// Turns a plotting error into a [`RenderError`].
pub(crate) fn fail<E: std::fmt::Display>(error: E) -> RenderError {
    RenderError(format!("drawing failed: {error}"))
}

/// The embedded font at `size` pixels.
pub(crate) fn font(size: f64) -> FontDesc<'static> {
    FontDesc::new(FontFamily::Name(FONT_FAMILY), size, FontStyle::Normal)
}

/// Draws `p` into `buf`, which holds `p.width × p.height` RGB pixels, with text in `face`.
pub(crate) fn draw(p: &Prepared<'_>, buf: &mut [u8], face: &'static Face) -> Result<(), RenderError> {
    let bitmap = BitMapBackend::<RGBPixel>::with_buffer_and_format(buf, (p.width, p.height)).map_err(fail)?;
    let root = CrispText::new(bitmap, face).into_drawing_area();
    root.fill(&WHITE).map_err(fail)?;
    let m = Metrics::new(p.width, p.height);
    let width = i32::try_from(p.width).map_err(fail)?;
    let text_width = width - 2 * m.margin;

    // Header: title and subtitle.
    let title_style = font(m.title).color(&TITLE);
    let title = fit_text(&root, &p.title, &title_style, text_width)?;
    root.draw(&Text::new(title, (m.margin, m.margin), title_style))
        .map_err(fail)?;
    let subtitle_y = m.margin + m.title.ceil() as i32 + m.px(6.0);
    let subtitle_style = font(m.subtitle).color(&MUTED);
    let subtitle = fit_text(&root, &p.subtitle, &subtitle_style, text_width)?;
    root.draw(&Text::new(subtitle, (m.margin, subtitle_y), subtitle_style))
        .map_err(fail)?;
    let header = subtitle_y + m.subtitle.ceil() as i32 + m.px(8.0);
    let (_, body) = root.split_vertically(header);

    // Panel geometry shared by both panels.
    let label_style = font(m.label).color(&LABEL);
    let x_area = (m.label * 1.3).ceil() as i32 + m.px(10.0);
    let gap = m.px(8.0);
    let bottom = m.px(6.0);
    let body_height = i32::try_from(body.dim_in_pixel().1).map_err(fail)?;
    let plots_height = body_height - m.px(4.0) - x_area - bottom - if p.volumes.is_some() { gap } else { 0 };
    let volume_plot = if p.volumes.is_some() {
        (f64::from(plots_height) * 0.2).round() as i32
    } else {
        0
    };
    let price_plot = plots_height - volume_plot;
    let y_labels = usize::try_from(price_plot / m.px(48.0).max(1))
        .unwrap_or(0)
        .clamp(3, 12);
    let decimals = price_decimals(p.price_range, y_labels);
    let y_area = y_axis_width(&root, p, decimals, &label_style)? + m.px(12.0);
    // The first date label is centred on the first candle: leave room for its left half.
    let x_label_width = text_width_px(&root, x_label_sample(p), &label_style)?;
    let left = m.margin.max(x_label_width / 2 + m.px(2.0));
    let plot_width = width - left - m.margin - y_area;
    let x_labels = usize::try_from(plot_width / (x_label_width + m.px(40.0)).max(1))
        .unwrap_or(0)
        .clamp(2, 12);

    let (price_area, volume_area) = match p.volumes {
        Some(_) => {
            let (price, volume) = body.split_vertically(m.px(4.0) + price_plot);
            (price, Some(volume))
        }
        None => (body, None),
    };

    // Empty slots after the last candle make room for the level labels at the right edge.
    let count = p.candles.len() as f64;
    let label_room = f64::from(level_label_width(&root, p, &m)?);
    let spare = if label_room <= 0.0 {
        0.5
    } else if f64::from(plot_width) > 2.0 * label_room {
        label_room * count / (f64::from(plot_width) - label_room)
    } else {
        count
    };
    let x_range = -0.5..(count - 0.5 + spare);
    let ticks: Vec<f64> = tick_indices(p.candles, x_labels)
        .into_iter()
        .map(|i| i as f64)
        .collect();
    let format_x = |x: &f64| label_at(&p.x_labels, *x);
    let format_price = |y: &f64| format!("{y:.decimals$}");

    // Price panel.
    let mut chart = ChartBuilder::on(&price_area)
        .margin_left(left)
        .margin_right(m.margin)
        .margin_top(m.px(4.0))
        .margin_bottom(if volume_area.is_some() { 0 } else { bottom })
        .right_y_label_area_size(y_area)
        .x_label_area_size(if volume_area.is_some() { 0 } else { x_area })
        .build_cartesian_2d(
            CandleAxis::new(x_range.clone(), ticks.clone()),
            p.price_range.0..p.price_range.1,
        )
        .map_err(fail)?;
    let mut mesh = chart.configure_mesh();
    mesh.x_labels(x_labels)
        .y_labels(y_labels)
        .x_label_formatter(&format_x)
        .y_label_formatter(&format_price);
    panel_mesh(&mut mesh, &label_style).draw().map_err(fail)?;

    // Levels go under the candles, dashed, across the whole panel.
    let level_width = m.line_width.saturating_sub(1).max(1);
    for level in &p.levels {
        chart
            .draw_series(DashedLineSeries::new(
                [(x_range.start, level.price), (x_range.end, level.price)],
                m.px(9.0).max(2),
                m.px(6.0).max(2),
                level.colour().stroke_width(level_width),
            ))
            .map_err(fail)?;
    }

    let (plot_x, _) = chart.plotting_area().get_pixel_range();
    let slot = f64::from(plot_x.end - plot_x.start) / (x_range.end - x_range.start);
    let body_width = (slot * 0.7).floor().clamp(1.0, 60.0) as u32;
    chart
        .draw_series(p.candles.iter().enumerate().map(|(i, c)| {
            let style = if c.close >= c.open {
                UP.filled()
            } else {
                DOWN.filled()
            };
            CandleStick::new(i as f64, c.open, c.high, c.low, c.close, style, style, body_width)
        }))
        .map_err(fail)?;

    let legend_length = m.px(24.0);
    for line in &p.lines {
        let colour = line.colour;
        let line_width = if line.thin {
            m.line_width.saturating_sub(1).max(1)
        } else {
            m.line_width
        };
        for (k, segment) in line.segments.iter().enumerate() {
            let anno = if segment.len() == 1 {
                chart.draw_series(
                    segment
                        .iter()
                        .map(|&point| Circle::new(point, line_width + 1, colour.filled())),
                )
            } else {
                chart.draw_series(LineSeries::new(
                    segment.iter().copied(),
                    colour.stroke_width(line_width),
                ))
            }
            .map_err(fail)?;
            if k == 0 {
                anno.label(line.label.clone()).legend(move |(x, y)| {
                    PathElement::new(
                        vec![(x, y), (x + legend_length, y)],
                        colour.stroke_width(line_width),
                    )
                });
            }
        }
    }
    if !p.lines.is_empty() {
        chart
            .configure_series_labels()
            .position(if p.legend_on_top {
                SeriesLabelPosition::UpperLeft
            } else {
                SeriesLabelPosition::LowerLeft
            })
            .margin(m.px(8.0))
            .legend_area_size(m.px(32.0))
            .background_style(WHITE.mix(0.88))
            .border_style(AXIS)
            .label_font(label_style.clone())
            .draw()
            .map_err(fail)?;
    }
    draw_level_labels(&root, &chart, p, &m, x_range.end)?;

    // Volume panel, with the date axis.
    if let (Some(area), Some(volumes)) = (volume_area, &p.volumes) {
        let mut volume_chart = ChartBuilder::on(&area)
            .margin_left(left)
            .margin_right(m.margin)
            .margin_top(gap)
            .margin_bottom(bottom)
            .right_y_label_area_size(y_area)
            .x_label_area_size(x_area)
            .build_cartesian_2d(CandleAxis::new(x_range.clone(), ticks), 0.0..p.volume_top)
            .map_err(fail)?;
        let format_volume = |v: &f64| volume_label(*v);
        let mut mesh = volume_chart.configure_mesh();
        mesh.x_labels(x_labels)
            .y_labels(3)
            .x_label_formatter(&format_x)
            .y_label_formatter(&format_volume);
        panel_mesh(&mut mesh, &label_style).draw().map_err(fail)?;
        let half = 0.36;
        volume_chart
            .draw_series(
                p.candles
                    .iter()
                    .zip(volumes)
                    .enumerate()
                    .filter(|(_, (_, v))| **v > 0.0)
                    .map(|(i, (c, v))| {
                        let colour = if c.close >= c.open { UP } else { DOWN };
                        let x = i as f64;
                        Rectangle::new([(x - half, 0.0), (x + half, *v)], colour.mix(0.6).filled())
                    }),
            )
            .map_err(fail)?;
        let (vx, vy) = volume_chart.plotting_area().get_pixel_range();
        root.draw(&Text::new(
            "Volume",
            (vx.start + m.px(6.0), vy.start + m.px(3.0)),
            font(m.label).color(&MUTED),
        ))
        .map_err(fail)?;
    }
    root.present().map_err(fail)?;
    Ok(())
}

/// Draws each level's label at the right edge of the price panel, just above its line (below
/// when there is no room), on a light box, moving labels down so they never overlap.
/// The price and volume panels' mesh: a thin grid at the labelled ticks, no light lines, the
/// axis in its colour, the labels in `label_style`.
fn panel_mesh<'m, 'a, 'b, DB: DrawingBackend>(
    mesh: &'m mut MeshStyle<'a, 'b, CandleAxis, RangedCoordf64, DB>,
    label_style: &TextStyle<'b>,
) -> &'m mut MeshStyle<'a, 'b, CandleAxis, RangedCoordf64, DB> {
    mesh.bold_line_style(GRID.stroke_width(1))
        .light_line_style(TRANSPARENT.stroke_width(0))
        .max_light_lines(0)
        .axis_style(AXIS.stroke_width(1))
        .label_style(label_style.clone())
}

fn draw_level_labels<'b>(
    root: &Area<'b>,
    chart: &ChartContext<'_, Backend<'b>, Cartesian2d<CandleAxis, RangedCoordf64>>,
    p: &Prepared<'_>,
    m: &Metrics,
    x_end: f64,
) -> Result<(), RenderError> {
    let (x_pixels, y_pixels): (Range<i32>, Range<i32>) = chart.plotting_area().get_pixel_range();
    let mut placed: Vec<(i32, usize)> = p
        .levels
        .iter()
        .enumerate()
        .filter(|(_, level)| !level.label.is_empty())
        .map(|(i, level)| (chart.backend_coord(&(x_end, level.price)).1, i))
        .collect();
    placed.sort_unstable();
    let pad = m.px(3.0).max(1);
    let right = x_pixels.end - m.px(4.0);
    let mut free_from = i32::MIN;
    for (line_y, i) in placed {
        let Some(level) = p.levels.get(i) else { continue };
        let colour = level.colour();
        let style = font(m.label).color(&colour);
        let (text_w, text_h) = root.estimate_text_size(&level.label, &style).map_err(fail)?;
        let box_h = i32::try_from(text_h).map_err(fail)? + 2 * pad;
        let box_w = i32::try_from(text_w).map_err(fail)? + 2 * pad;
        let mut top = line_y - box_h - 1;
        if top < y_pixels.start {
            top = line_y + 2;
        }
        top = top.max(free_from);
        free_from = top + box_h + 1;
        let left = right - box_w;
        root.draw(&Rectangle::new(
            [(left, top), (right, top + box_h)],
            WHITE.mix(0.85).filled(),
        ))
        .map_err(fail)?;
        root.draw(&Text::new(
            level.label.clone(),
            (right - pad, top + pad),
            style.pos(Pos::new(HPos::Right, VPos::Top)),
        ))
        .map_err(fail)?;
    }
    Ok(())
}

/// Width of the widest tick label on the right axes.
fn y_axis_width(
    root: &Area<'_>,
    p: &Prepared<'_>,
    decimals: usize,
    style: &TextStyle<'_>,
) -> Result<i32, RenderError> {
    let mut texts = vec![
        format!("{:.decimals$}", p.price_range.0),
        format!("{:.decimals$}", p.price_range.1),
    ];
    if p.volumes.is_some() {
        texts.push(volume_label(p.volume_top));
    }
    let mut widest = 0;
    for text in &texts {
        let (w, _) = root.estimate_text_size(text, style).map_err(fail)?;
        widest = widest.max(i32::try_from(w).map_err(fail)?);
    }
    Ok(widest)
}

/// A typical x-axis label, to measure.
fn x_label_sample<'p>(p: &'p Prepared<'_>) -> &'p str {
    p.x_labels.first().map(String::as_str).unwrap_or("0000-00-00")
}

/// Width of `text` in pixels.
fn text_width_px(root: &Area<'_>, text: &str, style: &TextStyle<'_>) -> Result<i32, RenderError> {
    let (w, _) = root.estimate_text_size(text, style).map_err(fail)?;
    i32::try_from(w).map_err(fail)
}

/// Width of the widest level label box plus a little air, or 0 when no level has a label.
fn level_label_width(root: &Area<'_>, p: &Prepared<'_>, m: &Metrics) -> Result<i32, RenderError> {
    let style = TextStyle::from(font(m.label));
    let mut widest = 0;
    for level in p.levels.iter().filter(|level| !level.label.is_empty()) {
        widest = widest.max(text_width_px(root, &level.label, &style)? + 2 * m.px(3.0).max(1) + m.px(10.0));
    }
    Ok(widest)
}

/// `text` shortened with an ellipsis until it fits in `max_width` pixels.
pub(crate) fn fit_text(
    root: &Area<'_>,
    text: &str,
    style: &TextStyle<'_>,
    max_width: i32,
) -> Result<String, RenderError> {
    let fits = |candidate: &str| -> Result<bool, RenderError> {
        let (w, _) = root.estimate_text_size(candidate, style).map_err(fail)?;
        Ok(i64::from(w) <= i64::from(max_width))
    };
    if text.is_empty() || fits(text)? {
        return Ok(text.to_owned());
    }
    let chars: Vec<char> = text.chars().collect();
    let mut keep = chars.len();
    while keep > 0 {
        keep = (keep * 9 / 10).min(keep - 1);
        let candidate: String = chars.iter().take(keep).chain(std::iter::once(&'…')).collect();
        if fits(&candidate)? {
            return Ok(candidate);
        }
    }
    Ok(String::new())
}
