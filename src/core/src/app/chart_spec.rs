//! What a chart picture shows, independent of how it is drawn. The core describes the chart;
//! a renderer adapter (`adapters/render-png`) draws it.

use crate::domain::Candle;
use crate::time::Timestamp;

/// One line drawn over the candles, aligned with them (one value per candle, `None` where the
/// indicator is not defined yet).
#[derive(Clone, Debug, PartialEq)]
pub struct LineSeries {
    /// Legend text, e.g. "SMA 50".
    pub label: String,
    /// How to draw it.
    pub style: LineStyle,
    /// One value per candle.
    pub values: Vec<Option<f64>>,
}

/// The line styles a chart uses; the renderer picks colours for them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineStyle {
    /// 20-period simple moving average.
    Sma20,
    /// 50-period simple moving average.
    Sma50,
    /// 200-period simple moving average.
    Sma200,
    /// Upper Bollinger band.
    BandUpper,
    /// Middle Bollinger band.
    BandMiddle,
    /// Lower Bollinger band.
    BandLower,
}

/// A horizontal price level.
#[derive(Clone, Debug, PartialEq)]
pub struct Level {
    /// Text next to the line, e.g. "S 571.20".
    pub label: String,
    /// The price.
    pub price: f64,
    /// Support or resistance.
    pub kind: LevelKind,
}

/// The kind of a level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LevelKind {
    /// Below the price.
    Support,
    /// Above the price.
    Resistance,
}

/// A candlestick chart with overlays, levels and volume.
#[derive(Clone, Debug, PartialEq)]
pub struct ChartSpec {
    /// Title, e.g. "SPY · daily".
    pub title: String,
    /// A second line, e.g. the data source ("replay:demo — synthetic data").
    pub subtitle: String,
    /// Candles, oldest first.
    pub candles: Vec<Candle>,
    /// Lines over the candles.
    pub lines: Vec<LineSeries>,
    /// Support and resistance lines.
    pub levels: Vec<Level>,
    /// Whether to draw a volume panel under the price panel.
    pub volume: bool,
    /// Picture size in pixels.
    pub width: u32,
    /// Picture size in pixels.
    pub height: u32,
}

/// A value over time, drawn as a line with a zero line (an equity curve): e.g. a backtest's
/// profit and loss after each step.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesSpec {
    /// Title, e.g. "Backtest · csp on SPY".
    pub title: String,
    /// A second line, e.g. the totals and the data source.
    pub subtitle: String,
    /// What the values are, e.g. "P&L ($)".
    pub label: String,
    /// (time, value) in time order.
    pub points: Vec<(Timestamp, f64)>,
    /// Picture size in pixels.
    pub width: u32,
    /// Picture size in pixels.
    pub height: u32,
}

/// Why a chart could not be drawn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("chart rendering failed: {0}")]
pub struct RenderError(pub String);

/// Draws a chart as PNG bytes. Pure computation (no I/O), but done by an adapter so the core
/// does not depend on a plotting library.
pub trait ChartRenderer: Send + Sync {
    /// Renders `spec` as a PNG image.
    ///
    /// # Errors
    /// MUST return an error (never panic) for a spec with no candles or non-finite prices.
    fn render_png(&self, spec: &ChartSpec) -> Result<Vec<u8>, RenderError>;

    /// Renders a line over time as a PNG image.
    ///
    /// # Errors
    /// MUST return an error (never panic) for fewer than two points, non-finite values or times
    /// out of order.
    fn render_series_png(&self, spec: &SeriesSpec) -> Result<Vec<u8>, RenderError>;

    /// Renders a heat map as a PNG image.
    ///
    /// # Errors
    /// MUST return an error (never panic) for no panels or columns, a row whose length differs
    /// from the columns', non-finite values, a marked cell outside the grid, or a picture size out
    /// of bounds.
    fn render_heatmap_png(&self, spec: &HeatmapSpec) -> Result<Vec<u8>, RenderError>;
}

/// One panel of a heat map: a grid of values with labelled rows.
#[derive(Clone, Debug, PartialEq)]
pub struct HeatmapPanel {
    /// Panel title, e.g. "Today".
    pub title: String,
    /// Row labels, top to bottom, e.g. "IV −5".
    pub rows: Vec<String>,
    /// `values[row][column]`.
    pub values: Vec<Vec<f64>>,
    /// A cell to outline (row, column), e.g. the worst scenario.
    pub marked: Option<(usize, usize)>,
}

/// A grid of values coloured by sign and size (red below zero, green above), with each value
/// written in its cell: a scenario grid's P&L, one panel per time step.
#[derive(Clone, Debug, PartialEq)]
pub struct HeatmapSpec {
    /// Title, e.g. "Portfolio scenarios · 5SY•••01".
    pub title: String,
    /// A second line, e.g. the worst cell and the data source.
    pub subtitle: String,
    /// What the columns are, e.g. "SPY move (beta-scaled)".
    pub column_title: String,
    /// Column labels, left to right, e.g. "−10 %".
    pub columns: Vec<String>,
    /// Panels, top to bottom; every panel has one value per column in each row.
    pub panels: Vec<HeatmapPanel>,
    /// Picture size in pixels.
    pub width: u32,
    /// Picture size in pixels.
    pub height: u32,
}
