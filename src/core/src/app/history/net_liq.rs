//! `get_net_liq_history`: the account's net liquidating value over a window, its change, high,
//! low and largest drawdown from every point, the points sampled down, and its picture.

use serde::Serialize;

use crate::app::App;
use crate::app::chart_spec::SeriesSpec;
use crate::domain::{AccountNumber, NetLiqPoint, NetLiqWindow, new_york_clock, round_to};
use crate::error::{AppError, ErrorCode};

/// What `get_net_liq_history` asks.
#[derive(Clone, Debug, PartialEq)]
pub struct NetLiqRequest {
    /// The account; default: the configured or first one.
    pub account: Option<String>,
    /// How far back.
    pub window: NetLiqWindow,
    /// Points in the answer, at most.
    pub max_points: usize,
    /// Also draw the series.
    pub include_chart: bool,
}

/// A value at a time.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct NetLiqAt {
    /// When.
    pub time: String,
    /// Net liquidating value.
    pub net_liq: f64,
}

/// The largest fall from a high to a later low.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Drawdown {
    /// Dollars lost from the peak to the trough.
    pub amount: f64,
    /// As a percent of the peak.
    pub percent: f64,
    /// When the peak was.
    pub peak_at: String,
    /// When the trough was.
    pub trough_at: String,
}

/// The account's net liquidating value over a window.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct NetLiqView {
    /// Masked account number.
    pub account: String,
    /// The window: 1d, 1m, 3m, 6m, 1y or all.
    pub time_back: &'static str,
    /// The first point.
    pub start: Option<NetLiqAt>,
    /// The last point.
    pub end: Option<NetLiqAt>,
    /// End minus start.
    pub change: Option<f64>,
    /// Change as a percent of the start.
    pub change_percent: Option<f64>,
    /// The highest close.
    pub high: Option<NetLiqAt>,
    /// The lowest close.
    pub low: Option<NetLiqAt>,
    /// The largest fall from a high to a later low.
    pub max_drawdown: Option<Drawdown>,
    /// Points the broker gave.
    pub points_total: usize,
    /// The series, sampled evenly to at most `max_points` (first and last kept).
    pub points: Vec<NetLiqAt>,
    /// True when `points` is a sample.
    pub sampled: bool,
    /// What the series includes.
    pub note: &'static str,
    /// Market clock time of the answer.
    pub as_of: String,
    /// Data source.
    pub source: String,
    /// True for made-up data.
    pub synthetic: bool,
}

/// What net liq counts, for the answer.
const NET_LIQ_NOTE: &str = "net liquidating value at each point's close; deposits and withdrawals move it too \
    (get_transactions with types [\"Money Movement\"] lists them)";

/// Evenly spaced indices of `n` items, at most `max`, first and last included.
pub(super) fn sample_indices(n: usize, max: usize) -> Vec<usize> {
    if n <= max {
        return (0..n).collect();
    }
    if max < 2 {
        // One point: the latest.
        return (max == 1).then(|| n - 1).into_iter().collect();
    }
    let mut indices: Vec<usize> = (0..max)
        .map(|i| ((i as f64) * ((n - 1) as f64) / ((max - 1) as f64)).round() as usize)
        .collect();
    indices.dedup();
    indices
}

impl App {
    /// The account's net liquidating value over a window: its statistics from every point, the
    /// points sampled to `max_points`, and the series as a line picture when asked.
    pub async fn net_liq_history(
        &self,
        request: &NetLiqRequest,
    ) -> Result<(NetLiqView, Option<Vec<u8>>), AppError> {
        let renderer = self.renderer_if(request.include_chart)?;
        let (number, _) = self.resolve_account(request.account.as_deref()).await?;
        let mut points = self.broker().net_liq_history(&number, request.window).await?;
        points.retain(|p| p.close.is_finite());
        points.sort_by_key(|p| p.time);
        let view = self.net_liq_view(&number, request, &points);
        let picture = match renderer {
            Some(renderer) => {
                let spec = net_liq_spec(&view, &points);
                if spec.points.len() < 2 {
                    return Err(AppError::new(
                        ErrorCode::AnalysisError,
                        format!(
                            "{} net-liq point(s) in the {} window: too few to draw; ask a longer time_back",
                            spec.points.len(),
                            request.window.as_str()
                        ),
                    )
                    .with_detail("field", "time_back"));
                }
                Some(renderer.render_series_png(&spec).map_err(|e| {
                    tracing::error!(error = %e, "net-liq chart rendering failed");
                    AppError::new(
                        ErrorCode::AnalysisError,
                        "the net-liq picture could not be drawn; the history itself is fine without include_chart",
                    )
                })?)
            }
            None => None,
        };
        Ok((view, picture))
    }

    fn net_liq_view(
        &self,
        number: &AccountNumber,
        request: &NetLiqRequest,
        points: &[NetLiqPoint],
    ) -> NetLiqView {
        let at = |p: &NetLiqPoint| NetLiqAt {
            time: p.time.to_string(),
            net_liq: round_to(p.close, 2),
        };
        let first = points.first();
        let last = points.last();
        let change = first.zip(last).map(|(a, b)| round_to(b.close - a.close, 2));
        let change_percent = first
            .zip(change)
            .filter(|(a, _)| a.close.abs() > 0.0)
            .map(|(a, c)| round_to(c / a.close * 100.0, 2));
        let high = points.iter().max_by(|a, b| a.close.total_cmp(&b.close));
        let low = points.iter().min_by(|a, b| a.close.total_cmp(&b.close));
        let mut drawdown: Option<(f64, &NetLiqPoint, &NetLiqPoint)> = None;
        let mut peak: Option<&NetLiqPoint> = None;
        for p in points {
            if peak.is_none_or(|k| p.close > k.close) {
                peak = Some(p);
            }
            if let Some(k) = peak {
                let fall = k.close - p.close;
                if fall > drawdown.map_or(0.0, |d| d.0) {
                    drawdown = Some((fall, k, p));
                }
            }
        }
        let indices = sample_indices(points.len(), request.max_points);
        let source = self.source();
        NetLiqView {
            account: number.masked(),
            time_back: request.window.as_str(),
            start: first.map(at),
            end: last.map(at),
            change,
            change_percent,
            high: high.map(at),
            low: low.map(at),
            max_drawdown: drawdown.map(|(amount, peak, trough)| Drawdown {
                amount: round_to(amount, 2),
                percent: if peak.close > 0.0 {
                    round_to(amount / peak.close * 100.0, 2)
                } else {
                    0.0
                },
                peak_at: peak.time.to_string(),
                trough_at: trough.time.to_string(),
            }),
            points_total: points.len(),
            sampled: indices.len() < points.len(),
            points: indices.iter().filter_map(|i| points.get(*i)).map(at).collect(),
            note: NET_LIQ_NOTE,
            as_of: self.broker().now().to_string(),
            source: source.source,
            synthetic: source.synthetic,
        }
    }
}

/// `245,900.02`: dollars with thousands separated.
fn grouped(value: f64) -> String {
    let text = format!("{:.2}", value.abs());
    let (whole, cents) = text.split_once('.').unwrap_or((&text, "00"));
    let digits: Vec<char> = whole.chars().collect();
    let mut out = String::new();
    for (i, c) in digits.iter().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(*c);
    }
    let sign = if value < 0.0 { "-" } else { "" };
    format!("{sign}{out}.{cents}")
}

/// The picture: net liq's change since the window's first point (every point), with the start,
/// end and change in the subtitle.
fn net_liq_spec(view: &NetLiqView, points: &[NetLiqPoint]) -> SeriesSpec {
    let base = points.first().map_or(0.0, |p| p.close);
    let since = points
        .first()
        .map_or_else(String::new, |p| new_york_clock(p.time).0.to_string());
    let synthetic = if view.synthetic { " (synthetic data)" } else { "" };
    let subtitle = match (&view.start, &view.end, view.change_percent) {
        (Some(start), Some(end), Some(pct)) => format!(
            "{} → {} ({pct:+.2} %) · {}{synthetic}",
            grouped(start.net_liq),
            grouped(end.net_liq),
            view.source
        ),
        _ => format!("{}{synthetic}", view.source),
    };
    SeriesSpec {
        title: format!("Net liq · {} · {}", view.account, view.time_back),
        subtitle,
        label: format!("change since {since} ($)"),
        points: points.iter().map(|p| (p.time, p.close - base)).collect(),
        width: 1000,
        height: 500,
    }
}
