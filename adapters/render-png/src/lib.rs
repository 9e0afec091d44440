//! `render-png`: draws ttai's charts as PNG pictures.
//!
//! [`PngChartRenderer`] implements the core's [`ChartRenderer`] seam: the core describes a chart
//! as a [`ChartSpec`] (candles, indicator lines, support and resistance levels, volume), a
//! `SeriesSpec` (a line over time) or a `HeatmapSpec` (a grid of values, such as a scenario
//! grid's P&L) and this adapter turns it into PNG bytes. Drawing is done by `plotters` into an in-memory RGB buffer
//! and the buffer is encoded by the `png` crate; nothing touches the file system.
//!
//! The key decision is the font: DejaVu Sans is compiled into the binary (`fonts/`, with its
//! licence) and registered with plotters' `ab_glyph` text support, so text renders the same on
//! every machine, including containers with no fonts installed. System fonts (font-kit,
//! fontconfig) are never looked up. plotters measures text with the registered font; the
//! glyphs themselves are drawn by a thin backend wrapper with `ab_glyph` from the same font,
//! because plotters 0.3.7 drops glyph side bearings and letters would sit unevenly.
//!
//! Bad input never panics: a spec with no candles, a non-finite price or an unusable picture
//! size is a [`RenderError`], flat prices get a padded axis, and as a last resort a panic inside
//! the plotting library is caught and reported as a [`RenderError`].

#![warn(missing_docs)]

mod draw;
mod encode;
mod heatmap;
mod prepare;
mod series;
mod text;

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;

pub use heatmap::{MAX_HEATMAP_COLUMNS, MAX_HEATMAP_ROWS};
use plotters::style::FontStyle;
use ttai_core::app::{ChartRenderer, ChartSpec, HeatmapSpec, RenderError, SeriesSpec};

/// Smallest accepted picture width in pixels.
pub const MIN_WIDTH: u32 = 160;
/// Smallest accepted picture height in pixels.
pub const MIN_HEIGHT: u32 = 120;
/// Largest accepted width and height in pixels (a 4000×4000 picture is 48 MB of pixels).
pub const MAX_SIDE: u32 = 4000;

/// The embedded font file, DejaVu Sans (Bitstream Vera licence, see `fonts/LICENSE-DejaVu.txt`).
const FONT_BYTES: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
/// The family name the font is registered under; it is also plotters' default family, so any
/// text plotters draws on its own uses the embedded font too.
const FONT_FAMILY: &str = "sans-serif";

/// Draws [`ChartSpec`]s as PNG images: candlesticks with indicator lines, dashed support and
/// resistance levels, a legend, price and date axes and an optional volume panel, on white.
///
/// It holds no state; one instance can serve any number of threads.
#[derive(Clone, Copy, Debug, Default)]
pub struct PngChartRenderer;

impl PngChartRenderer {
    /// A renderer.
    pub fn new() -> PngChartRenderer {
        PngChartRenderer
    }
}

impl ChartRenderer for PngChartRenderer {
    fn render_png(&self, spec: &ChartSpec) -> Result<Vec<u8>, RenderError> {
        let prepared = prepare::prepare(spec)?;
        render(prepared.width, prepared.height, |pixels, face| {
            draw::draw(&prepared, pixels, face)
        })
    }

    fn render_series_png(&self, spec: &SeriesSpec) -> Result<Vec<u8>, RenderError> {
        series::check(spec)?;
        render(spec.width, spec.height, |pixels, face| {
            series::draw(spec, pixels, face)
        })
    }

    fn render_heatmap_png(&self, spec: &HeatmapSpec) -> Result<Vec<u8>, RenderError> {
        heatmap::check(spec)?;
        render(spec.width, spec.height, |pixels, face| {
            heatmap::draw(spec, pixels, face)
        })
    }
}

/// Draws into a white `width × height` RGB buffer with `draw` and encodes it as PNG; a panic in
/// the plotting library becomes a [`RenderError`].
fn render(
    width: u32,
    height: u32,
    draw: impl FnOnce(&mut [u8], &'static text::Face) -> Result<(), RenderError>,
) -> Result<Vec<u8>, RenderError> {
    let face = register_font()?;
    let len = usize::try_from(u64::from(width) * u64::from(height) * 3)
        .map_err(|_| RenderError("picture too large".into()))?;
    let mut pixels = vec![255_u8; len];
    match catch_unwind(AssertUnwindSafe(|| draw(&mut pixels, face))) {
        Ok(drawn) => drawn?,
        Err(payload) => {
            return Err(RenderError(format!(
                "the plotting library panicked: {}",
                panic_message(payload.as_ref())
            )));
        }
    }
    encode::encode_png(&pixels, width, height)
}

/// Registers the embedded font with plotters (which uses it to measure text) and parses it for
/// [`text::CrispText`] (which draws text), once per process.
fn register_font() -> Result<&'static text::Face, RenderError> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            plotters::style::register_font(FONT_FAMILY, FontStyle::Normal, FONT_BYTES)
                .map_err(|_| "the embedded font could not be read".to_owned())
        })
        .clone()
        .map_err(RenderError)?;
    text::face().ok_or_else(|| RenderError("the embedded font could not be read".into()))
}

/// The text of a panic payload, when it has one.
fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "no message".to_owned()
    }
}
