//! `get_portfolio_risk`: the whole book's greeks, beta-weighted delta, buying power,
//! concentration, a scenario grid by full repricing, and management signals; the grid as a
//! heat-map PNG on request.

use async_trait::async_trait;
use serde_json::json;

use super::{Args, Hints, NoDetails, PngChart, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::App;
use crate::app::portfolio_risk::RiskRequest;
use crate::app::portfolio_risk::report::PortfolioRisk;
use crate::app::portfolio_risk::scenario::{MoveBasis, ScenarioGrid, limits};
use crate::error::AppError;
use crate::mcp::schema::{account_argument, boolean, derived, enumeration, object, string};

/// The tool's answer: the report and the heat map's description.
#[derive(serde::Serialize, schemars::JsonSchema)]
struct Output<'a> {
    #[serde(flatten)]
    report: &'a PortfolioRisk,
    /// The heat-map PNG that follows as image content (with include_chart).
    chart: Option<PngChart<NoDetails>>,
}

/// The `get_portfolio_risk` tool.
pub(crate) struct GetPortfolioRisk;

/// The argument names.
const ARGUMENTS: &[&str] = &[
    "account",
    "symbol",
    "moves",
    "iv_shifts",
    "days",
    "move_basis",
    "include_chart",
    "group_grids",
];

/// The request from the arguments, validated.
pub(crate) fn request(args: &Args) -> Result<RiskRequest, AppError> {
    args.only(ARGUMENTS)?;
    let move_basis = match args.str("move_basis")? {
        None => None,
        Some(text) => Some(MoveBasis::parse(text).ok_or_else(|| {
            AppError::invalid("move_basis", format!("must be spy_beta or symbol, got {text:?}"))
        })?),
    };
    // The lists are bounded before they are read, so a huge argument costs nothing.
    let grid = ScenarioGrid::new(
        args.f64_list("moves", limits::MAX_MOVES * 4)?,
        args.f64_list("iv_shifts", limits::MAX_IV_SHIFTS * 4)?,
        args.f64_list("days", limits::MAX_DAYS * 4)?,
        move_basis,
    )?;
    Ok(RiskRequest {
        account: args.str("account")?.map(str::to_owned),
        symbol: args.symbol("symbol")?,
        grid,
        include_chart: args.bool("include_chart")?.unwrap_or(false),
        group_grids: args.bool("group_grids")?.unwrap_or(false),
    })
}

#[async_trait]
impl Tool for GetPortfolioRisk {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "get_portfolio_risk",
            title: "Get portfolio risk",
            description: "The whole book's risk in one call: every position priced and greeked (options by \
                Black-Scholes-Merton from the chain's mid IV, or the broker's streamed greeks), grouped by underlying \
                and by strategy recognised from the legs (covered call, short put, vertical, strangle, iron condor, \
                calendar, ...); per group and in total delta, gamma, theta per day, vega per vol point, beta-weighted \
                delta in SPY shares, notional, estimated buying power and share of net liq, concentration; a scenario \
                grid (moves × IV shifts × days, full repricing, worst cell named) for the book and each group; and \
                management signals from the knowledge base's rules (50 % profit, 21 DTE, tested short strike, \
                ex-dividend before a short call's expiration, earnings before expiration, an option past its \
                expiration still listed: its pending assignment, and nothing to close) with the numbers behind \
                each; an option that expired worthless is left out, with a warning. `symbol` limits it to one underlying; include_chart adds the grid as a heat-map PNG.",
            input_schema: object(
                &[
                    account_argument(),
                    ("symbol", string("only the positions in this underlying", false)),
                    (
                        "moves",
                        json!({"type": "array", "items": {"type": "number", "minimum": -limits::MAX_MOVE_PERCENT, "maximum": limits::MAX_MOVE_PERCENT},
                            "minItems": 1, "maxItems": limits::MAX_MOVES,
                            "description": "underlying moves in percent (default -10,-5,-2,0,2,5,10); SPY's moves when move_basis is spy_beta"}),
                    ),
                    (
                        "iv_shifts",
                        json!({"type": "array", "items": {"type": "number", "minimum": limits::MIN_IV_SHIFT, "maximum": limits::MAX_IV_SHIFT},
                            "minItems": 1, "maxItems": limits::MAX_IV_SHIFTS,
                            "description": "implied-volatility shifts in vol points (default -5,0,5,10)"}),
                    ),
                    (
                        "days",
                        json!({"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": limits::MAX_DAY},
                            "minItems": 1, "maxItems": limits::MAX_DAYS,
                            "description": "calendar days forward (default 0 and 7)"}),
                    ),
                    (
                        "move_basis",
                        enumeration(
                            "spy_beta (default): the moves are SPY's and each underlying moves by its beta times them; symbol: every underlying moves by the move itself",
                            &["spy_beta", "symbol"],
                        ),
                    ),
                    (
                        "include_chart",
                        boolean("also return the scenario grid as a heat-map PNG (default false)"),
                    ),
                    (
                        "group_grids",
                        boolean(
                            "give every group its whole grid, not only its P&L by move (default false: shorter)",
                        ),
                    ),
                ],
                &[],
                true,
            ),
            output_schema: derived::<Output<'static>>,
            hints: Hints::READS_BROKER,
        }
    }

    async fn call(&self, app: &App, args: Args, _ctx: &ToolContext) -> Result<ToolOutput, AppError> {
        let request = request(&args)?;
        let (report, picture) = app.portfolio_risk(&request).await?;
        let chart = PngChart::of(picture.as_deref(), NoDetails {});
        Ok(ToolOutput::serialize_with_png(
            &Output {
                report: &report,
                chart,
            },
            picture,
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::{Value, json};

    use super::*;
    use crate::app::{ChartRenderer, ChartSpec, HeatmapSpec, RenderError, SeriesSpec};
    use crate::domain::{BrokerGreeks, OptionType};
    use crate::mcp::session::Session;
    use crate::testing::{
        CollectingOutbound, FakeBroker, FakeMarket, InMemoryStore, sample_config, sample_market, sample_now,
        schema,
    };

    fn app(market: FakeMarket) -> App {
        App::new(
            Arc::new(FakeBroker::new(market, sample_now())),
            Arc::new(InMemoryStore::new()),
            sample_config(),
        )
    }

    fn ctx() -> ToolContext {
        let out = Arc::new(CollectingOutbound::new());
        ToolContext::detached(Arc::new(Session::new(1, out.clone())), out)
    }

    async fn call(app: &App, args: Value) -> Result<ToolOutput, AppError> {
        GetPortfolioRisk
            .call(app, Args::from_value(Some(args)).unwrap(), &ctx())
            .await
    }

    fn valid(output: &ToolOutput) -> Value {
        let value = output.structured_value();
        let problems = schema::validate(&(GetPortfolioRisk.spec().output_schema)(), &value);
        assert!(problems.is_empty(), "{problems:?}\n{value:#}");
        value
    }

    #[tokio::test]
    async fn the_sample_book_is_priced_from_the_chain_and_matches_the_schema() {
        let app = app(sample_market());
        let value = valid(&call(&app, json!({})).await.unwrap());
        assert_eq!(value["account"], "5WT•••01");
        assert_eq!(value["source"], "fake");
        let groups = value["groups"].as_array().unwrap();
        let strategies: Vec<(&str, &str)> = groups
            .iter()
            .map(|g| (g["underlying"].as_str().unwrap(), g["strategy"].as_str().unwrap()))
            .collect();
        assert_eq!(strategies, [("AAPL", "short_put"), ("SPY", "long_stock")]);
        let put = &groups[0]["legs"][0];
        assert_eq!(put["iv_source"], "chain_mid");
        let iv = put["iv"].as_f64().unwrap();
        assert!(iv > 0.05 && iv < 1.0, "{iv}");
        // The derived schema holds the answer to its types: a missing field, an unknown strategy or
        // a number where a list belongs are refused.
        let schema_of = (GetPortfolioRisk.spec().output_schema)();
        for (pointer, broken) in [
            ("", json!("totals")),
            ("/groups/0/strategy", json!("bear_hug")),
            ("/groups/0/legs/0/iv_source", Value::Null),
            ("/scenarios/days", json!(7)),
        ] {
            let mut wrong = value.clone();
            match (pointer, broken) {
                ("", Value::String(key)) => {
                    wrong.as_object_mut().unwrap().remove(&key);
                }
                (pointer, broken) => *wrong.pointer_mut(pointer).unwrap() = broken,
            }
            assert!(!schema::validate(&schema_of, &wrong).is_empty(), "{pointer}");
        }
        // Short put: positive delta, positive theta, negative vega.
        assert!(groups[0]["delta"].as_f64().unwrap() > 0.0);
        assert!(groups[0]["theta"].as_f64().unwrap() > 0.0);
        assert!(groups[0]["vega"].as_f64().unwrap() < 0.0);
        // AAPL's beta (1.2) comes from the metrics; SPY is the reference.
        let aapl = value["underlyings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["symbol"] == "AAPL")
            .unwrap();
        assert_eq!(
            (aapl["beta"].as_f64(), aapl["beta_source"].as_str()),
            (Some(1.2), Some("market_metrics"))
        );
        // 100 SPY shares are 100 SPY-share deltas.
        let spy = &groups[1];
        assert_eq!(spy["beta_weighted_delta"], 100.0);
        assert_eq!(value["account_summary"]["net_liquidating_value"], 100_000.0);
        assert_eq!(value["account_summary"]["buying_power_percent_of_net_liq"], 30.0);
        assert_eq!(value["scenarios"]["pnl"].as_array().unwrap().len(), 2);
        assert_eq!(value["scenarios"]["pnl"][0].as_array().unwrap().len(), 4);
        assert_eq!(value["scenarios"]["pnl"][0][0].as_array().unwrap().len(), 7);
        assert_eq!(value["scenarios"]["pnl"][0][1][3], 0.0);
        assert!(
            value["warnings"].as_array().unwrap().is_empty(),
            "{}",
            value["warnings"]
        );
        assert_eq!(value["chart"], Value::Null);
        // Groups carry their P&L by move (per day, IV unchanged), not the whole grid.
        assert!(groups[0].get("scenario_pnl").is_none());
        assert_eq!(groups[1]["pnl_by_move"][1].as_array().unwrap().len(), 7);
        // Compact: the default answer is a few kilobytes.
        let size = value.to_string().len();
        assert!(size < 8_000, "{size} bytes");
    }

    #[tokio::test]
    async fn one_underlying_and_a_custom_grid() {
        let app = app(sample_market());
        let value = valid(
            &call(
                &app,
                json!({"symbol": "aapl", "moves": [-20, 0, 20], "iv_shifts": "0", "days": [0, 30], "move_basis": "symbol", "group_grids": true}),
            )
            .await
            .unwrap(),
        );
        assert_eq!(value["symbol"], "AAPL");
        assert_eq!(value["groups"].as_array().unwrap().len(), 1);
        assert_eq!(value["scenarios"]["move_basis"], "symbol");
        assert_eq!(value["scenarios"]["moves_percent"], json!([-20.0, 0.0, 20.0]));
        // A short put loses most when the stock falls.
        assert_eq!(value["scenarios"]["worst"]["move_percent"], -20.0);
        // With one underlying, the group's grid is the book's.
        assert_eq!(value["groups"][0]["scenario_pnl"], value["scenarios"]["pnl"]);
        let none = valid(&call(&app, json!({"symbol": "QQQ"})).await.unwrap());
        assert!(none["groups"].as_array().unwrap().is_empty());
        assert_eq!(none["warnings"][0], "no open positions in QQQ");
    }

    #[tokio::test]
    async fn bad_arguments_name_their_field() {
        let app = app(sample_market());
        for (args, field) in [
            (json!({"moves": [80]}), "moves"),
            (json!({"moves": "a,b"}), "moves[0]"),
            (json!({"iv_shifts": [-90]}), "iv_shifts"),
            (json!({"days": [0.5]}), "days"),
            (json!({"days": (0..100).collect::<Vec<i32>>()}), "days"),
            (json!({"move_basis": "sideways"}), "move_basis"),
            (json!({"symbol": "no;pe"}), "symbol"),
            (json!({"grid": 1}), "grid"),
        ] {
            let error = call(&app, args.clone()).await.unwrap_err();
            assert_eq!(error.details["field"], field, "{args}: {error:?}");
        }
    }

    struct Picture;
    impl ChartRenderer for Picture {
        fn render_png(&self, _: &ChartSpec) -> Result<Vec<u8>, RenderError> {
            Err(RenderError("not this one".into()))
        }
        fn render_series_png(&self, _: &SeriesSpec) -> Result<Vec<u8>, RenderError> {
            Err(RenderError("not this one".into()))
        }
        fn render_heatmap_png(&self, spec: &HeatmapSpec) -> Result<Vec<u8>, RenderError> {
            // The spec carries the book's grid: one panel per day, one row per IV shift.
            assert_eq!(spec.panels.len(), 2);
            assert_eq!(spec.panels[0].rows.len(), 4);
            assert_eq!(spec.columns.len(), 7);
            assert!(spec.panels.iter().filter(|p| p.marked.is_some()).count() == 1);
            Ok(vec![137, 80, 78, 71])
        }
    }

    #[tokio::test]
    async fn the_heat_map_comes_as_image_content_when_asked() {
        let without = app(sample_market());
        let error = call(&without, json!({"include_chart": true})).await.unwrap_err();
        assert_eq!(error.code, crate::ErrorCode::AnalysisError);
        let with = app(sample_market()).with_chart_renderer(Arc::new(Picture));
        let output = call(&with, json!({"include_chart": true})).await.unwrap();
        let value = valid(&output);
        assert_eq!(value["chart"]["bytes"], 4);
        assert_eq!(output.images.len(), 1);
        assert_eq!(output.images[0].data_base64, "iVBORw==");
    }

    #[tokio::test]
    async fn broker_greeks_and_fallbacks_are_stated() {
        // The AAPL put's contract carries the broker's greeks.
        let mut market = sample_market();
        let put = market.positions[1].clone();
        let chain = market
            .chains
            .iter_mut()
            .find(|c| c.underlying.as_str() == "AAPL")
            .unwrap();
        let contract = chain
            .expirations
            .iter_mut()
            .find(|e| Some(e.date) == put.expiration)
            .unwrap()
            .strikes
            .iter_mut()
            .find(|s| Some(s.strike) == put.strike)
            .unwrap()
            .put
            .as_mut()
            .unwrap();
        contract.broker_greeks = Some(BrokerGreeks {
            iv: 0.31,
            delta: -0.27,
            gamma: 0.02,
            as_of: sample_now(),
        });
        let value = valid(&call(&app(market), json!({"symbol": "AAPL"})).await.unwrap());
        let leg = &value["groups"][0]["legs"][0];
        assert_eq!(
            (
                leg["iv_source"].as_str(),
                leg["iv"].as_f64(),
                leg["delta"].as_f64()
            ),
            (Some("broker"), Some(0.31), Some(-0.27))
        );
        assert_eq!(value["groups"][0]["delta"], 27.0);

        // No chain for AAPL: the volatility is implied from the position's mark, and said.
        let mut market = sample_market();
        market.chains.retain(|c| c.underlying.as_str() != "AAPL");
        let value = valid(&call(&app(market), json!({})).await.unwrap());
        let leg = &value["groups"][0]["legs"][0];
        assert_eq!(leg["iv_source"], "position_mark");
        let warnings = value["warnings"].to_string();
        assert!(warnings.contains("option chain unavailable"), "{warnings}");
        assert!(
            warnings.contains("implied from the position's mark"),
            "{warnings}"
        );
        assert_eq!(leg["option_type"], OptionType::Put.as_str());
    }
}
