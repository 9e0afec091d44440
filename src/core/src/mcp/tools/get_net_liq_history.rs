//! `get_net_liq_history`: the account's net liquidating value over a window, its change, high,
//! low and largest drawdown, the series sampled for a model, and a line picture on request.

use async_trait::async_trait;
use serde_json::json;

use super::{Args, Hints, PngChart, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::App;
use crate::app::history::{DEFAULT_NET_LIQ_POINTS, MAX_NET_LIQ_POINTS, NetLiqRequest, NetLiqView};
use crate::domain::NetLiqWindow;
use crate::error::AppError;
use crate::mcp::schema::{account_argument, boolean, derived, object};

/// The `get_net_liq_history` tool.
pub(crate) struct GetNetLiqHistory;

const ARGUMENTS: &[&str] = &["account", "time_back", "max_points", "include_chart"];

fn windows() -> Vec<&'static str> {
    NetLiqWindow::ALL.iter().map(|w| w.as_str()).collect()
}

/// The size of the net-liq picture.
#[derive(serde::Serialize, schemars::JsonSchema)]
struct Size {
    /// Width in pixels.
    width: u32,
    /// Height in pixels.
    height: u32,
}

/// The tool's answer: the history and the picture's description.
#[derive(serde::Serialize, schemars::JsonSchema)]
struct Output {
    #[serde(flatten)]
    view: NetLiqView,
    /// The PNG that follows as image content (with include_chart).
    chart: Option<PngChart<Size>>,
}

/// The request from the arguments, validated.
fn request(args: &Args) -> Result<NetLiqRequest, AppError> {
    args.only(ARGUMENTS)?;
    let window = match args.str("time_back")? {
        None => NetLiqWindow::Month,
        Some(text) => NetLiqWindow::parse(text).ok_or_else(|| {
            AppError::invalid(
                "time_back",
                format!("must be one of {}, got {text:?}", windows().join(", ")),
            )
        })?,
    };
    Ok(NetLiqRequest {
        account: args.str("account")?.map(str::to_owned),
        window,
        max_points: args
            .int("max_points", 2, MAX_NET_LIQ_POINTS as i64)?
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(DEFAULT_NET_LIQ_POINTS),
        include_chart: args.bool("include_chart")?.unwrap_or(false),
    })
}

#[async_trait]
impl Tool for GetNetLiqHistory {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "get_net_liq_history",
            title: "Get net liq history",
            description: "The account's net liquidating value over a window (time_back 1d, 1m, 3m, 6m, 1y or all; \
                default 1m): start, end, change in $ and %, high, low and the largest drawdown, computed from every \
                point, with the series sampled to max_points (default 40). include_chart adds the series as a line PNG \
                (the change since the window's start).",
            input_schema: object(
                &[
                    account_argument(),
                    (
                        "time_back",
                        json!({"type": "string", "enum": windows(), "description": "how far back (default 1m)"}),
                    ),
                    (
                        "max_points",
                        json!({"type": "integer", "minimum": 2, "maximum": MAX_NET_LIQ_POINTS,
                            "description": format!("points in the answer, at most (default {DEFAULT_NET_LIQ_POINTS})")}),
                    ),
                    (
                        "include_chart",
                        boolean("also return the series as a line PNG (default false)"),
                    ),
                ],
                &[],
                true,
            ),
            output_schema: derived::<Output>,
            hints: Hints::READS_BROKER,
        }
    }

    async fn call(&self, app: &App, args: Args, _ctx: &ToolContext) -> Result<ToolOutput, AppError> {
        let request = request(&args)?;
        let (view, picture) = app.net_liq_history(&request).await?;
        let chart = PngChart::of(
            picture.as_deref(),
            Size {
                width: 1000,
                height: 500,
            },
        );
        Ok(ToolOutput::serialize_with_png(&Output { view, chart }, picture))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::app::{ChartRenderer, ChartSpec, HeatmapSpec, RenderError, SeriesSpec};
    use crate::mcp::tools::test_context as ctx;
    use crate::testing::{sample_app, sample_market, schema};

    /// Records the series it is asked to draw and answers a stand-in PNG.
    struct Picture(std::sync::Mutex<Option<SeriesSpec>>);

    impl ChartRenderer for Picture {
        fn render_png(&self, _: &ChartSpec) -> Result<Vec<u8>, RenderError> {
            Err(RenderError("not this one".into()))
        }
        fn render_series_png(&self, spec: &SeriesSpec) -> Result<Vec<u8>, RenderError> {
            *self.0.lock().unwrap() = Some(spec.clone());
            Ok(b"\x89PNG\r\n\x1a\nseries".to_vec())
        }
        fn render_heatmap_png(&self, _: &HeatmapSpec) -> Result<Vec<u8>, RenderError> {
            Err(RenderError("not this one".into()))
        }
    }

    #[tokio::test]
    async fn the_series_is_drawn_as_its_change_since_the_start() {
        let picture = Arc::new(Picture(std::sync::Mutex::new(None)));
        let app = sample_app(sample_market()).with_chart_renderer(picture.clone());
        let args = Args::from_value(Some(json!({"time_back": "all", "include_chart": true}))).unwrap();
        let output = GetNetLiqHistory.call(&app, args, &ctx()).await.unwrap();
        let value = output.structured_value();
        let problems = schema::validate(&(GetNetLiqHistory.spec().output_schema)(), &value);
        assert!(problems.is_empty(), "{problems:?}\n{value:#}");
        assert_eq!(value["chart"]["mime_type"], "image/png");
        assert_eq!(output.images.len(), 1);
        let spec = picture.0.lock().unwrap().clone().unwrap();
        assert_eq!(spec.points.len(), 60, "every point is drawn");
        assert_eq!(spec.points.first().map(|p| p.1), Some(0.0));
        assert_eq!(spec.points.last().map(|p| p.1), Some(5_800.0));
        assert!(
            spec.subtitle.contains("94,200.00 → 100,000.00 (+6.16 %)"),
            "{}",
            spec.subtitle
        );

        // Without a renderer the picture is refused, the field named by the error's words.
        let plain = sample_app(sample_market());
        let args = Args::from_value(Some(json!({"include_chart": true}))).unwrap();
        let error = GetNetLiqHistory.call(&plain, args, &ctx()).await.unwrap_err();
        assert!(error.message.contains("without include_chart"), "{error}");
        let args = Args::from_value(Some(json!({"time_back": "2y"}))).unwrap();
        let error = GetNetLiqHistory.call(&plain, args, &ctx()).await.unwrap_err();
        assert_eq!(error.details["field"], "time_back");
    }
}
