//! `run_backtest`: `ttai backtest` as a tool. The backtest steps a replay clock through a tape,
//! so it runs on a replay of its own (a [`BacktestLab`] from the composition root), never on the
//! broker that serves the other tools, one backtest at a time.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;

use super::window_args::{TRADE_WINDOW_ARGS, delta_args, dte_args, trade_window_schemas};
use super::{Args, Hints, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::{
    App, BacktestRequest, BacktestSettings, BacktestStrategy, BacktestSummary, Fill, Skipped, StockMove,
    Trade,
};
use crate::error::AppError;
use crate::mcp::apps;
use crate::mcp::schema::{derived, enumeration, object, props, string};
use crate::time::{MS_PER_DAY, Timestamp};

/// Where backtests run: the use cases over a replay of the tape (the `--tape` of the server, else
/// the bundled demo), separate from the broker that serves the other tools.
#[async_trait]
pub trait BacktestLab: Send + Sync {
    /// The use cases over the backtest's own replay broker.
    async fn app(&self) -> Result<Arc<App>, AppError>;
}

/// Entry dates without a trade listed in the result (the count is always given).
const SKIPPED_LISTED: usize = 10;

/// The `run_backtest` tool.
pub(crate) struct RunBacktest {
    lab: Arc<dyn BacktestLab>,
    /// A backtest moves its replay's clock: one at a time.
    running: tokio::sync::Mutex<()>,
}

impl RunBacktest {
    pub(crate) fn new(lab: Arc<dyn BacktestLab>) -> RunBacktest {
        RunBacktest {
            lab,
            running: tokio::sync::Mutex::new(()),
        }
    }
}
/// The tool's answer: the report without its equity curve (the view draws it), and at most
/// [`SKIPPED_LISTED`] of the skipped dates.
#[derive(serde::Serialize, schemars::JsonSchema)]
struct Output<'a> {
    /// The underlying.
    symbol: &'a str,
    /// The strategy.
    strategy: BacktestStrategy,
    /// The tape (`replay:<name>`).
    source: &'a str,
    /// True for made-up data.
    synthetic: bool,
    /// DTE and delta windows, fill, take-profit, rate.
    settings: &'a BacktestSettings,
    /// How the numbers are made.
    assumptions: &'a [&'static str],
    /// Trades, wins, losses, win rate, P&L, capital, returns, max drawdown.
    summary: &'a BacktestSummary,
    /// Every option trade.
    trades: &'a [Trade],
    /// Share purchases and sales.
    stock: &'a [StockMove],
    /// Points of the equity curve (the view draws them).
    equity_points: usize,
    /// P&L to date at the last point, $.
    final_pnl: Option<f64>,
    /// Entry dates without a trade.
    skipped_count: usize,
    /// The first of those, with why.
    skipped: &'a [Skipped],
}

/// A date means its start (`from`) or its end (`to`); a full RFC 3339 time is taken as is.
fn time_arg(args: &Args, key: &str, end_of_day: bool) -> Result<Option<Timestamp>, AppError> {
    let Some(text) = args.str(key)? else {
        return Ok(None);
    };
    let text = text.trim();
    let at: Timestamp = text
        .parse()
        .map_err(|e| AppError::invalid(key, format!("{e} (give YYYY-MM-DD or an RFC 3339 time)")))?;
    Ok(Some(if text.len() == 10 && end_of_day {
        at.add_millis(MS_PER_DAY - 1)
    } else {
        at
    }))
}

fn request(args: &Args) -> Result<BacktestRequest, AppError> {
    let symbol = args.required_symbol("symbol")?;
    let text = args.required_str("strategy")?;
    let strategy = BacktestStrategy::parse(text).ok_or_else(|| {
        AppError::invalid(
            "strategy",
            format!("must be csp, covered_call, spread or wheel, got {text:?}"),
        )
    })?;
    let mut request = BacktestRequest::new(symbol, strategy);
    request.from = time_arg(args, "from", false)?;
    request.to = time_arg(args, "to", true)?;
    if let (Some(from), Some(to)) = (request.from, request.to)
        && from > to
    {
        return Err(AppError::invalid("from", "must not be after `to`"));
    }
    let (dte_min, dte_max) = dte_args(args)?;
    let (delta_min, delta_max) = delta_args(args)?;
    request.rules.dte_min = dte_min.unwrap_or(request.rules.dte_min);
    request.rules.dte_max = dte_max.unwrap_or(request.rules.dte_max);
    request.rules.delta_min = delta_min.unwrap_or(request.rules.delta_min);
    request.rules.delta_max = delta_max.unwrap_or(request.rules.delta_max);
    request.rules.fill = match args.str("fill")? {
        None => Fill::Mid,
        Some(text) => Fill::parse(text)
            .ok_or_else(|| AppError::invalid("fill", format!("must be mid or natural, got {text:?}")))?,
    };
    request.rules.take_profit = match args.f64("take_profit_percent")? {
        None => None,
        Some(p) if p > 0.0 && p <= 100.0 => Some(p / 100.0),
        Some(p) => {
            return Err(AppError::invalid(
                "take_profit_percent",
                format!("{p} is not a percentage in (0, 100]"),
            ));
        }
    };
    Ok(request)
}

#[async_trait]
impl Tool for RunBacktest {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "run_backtest",
            title: "Run backtest",
            description: "Backtest a short-premium strategy (csp, covered_call, spread, wheel) on a recorded tape (the \
                server's --tape, else the bundled synthetic demo tape): at each option-chain snapshot the options \
                analysis picks the top candidate, held to expiration or closed at a take-profit, settled from the \
                tape. Returns every trade, win rate, P&L, return on capital, annualized return and max drawdown; the \
                equity curve goes to the view. Same engine and numbers as `ttai backtest`.",
            input_schema: object(
                &props(&[
                    &[
                        ("symbol", string("underlying ticker, e.g. SPY", false)),
                        (
                            "strategy",
                            enumeration("what to trade", &["csp", "covered_call", "spread", "wheel"]),
                        ),
                        (
                            "from",
                            string(
                                "first entry date YYYY-MM-DD (default: the tape's first chain)",
                                false,
                            ),
                        ),
                        (
                            "to",
                            string(
                                "last entry date YYYY-MM-DD (default: the tape's last chain)",
                                false,
                            ),
                        ),
                        (
                            "fill",
                            enumeration(
                                "fills at the mid (default) or at the bid/ask",
                                &["mid", "natural"],
                            ),
                        ),
                        (
                            "take_profit_percent",
                            json!({"type": "number", "exclusiveMinimum": 0, "maximum": 100, "description": "close early once this percent of the credit can be kept (default: hold to expiration)"}),
                        ),
                    ],
                    &trade_window_schemas(),
                ]),
                &["symbol", "strategy"],
                true,
            ),
            output_schema: derived::<Output<'static>>,
            hints: Hints::READS_LOCAL.long_running(),
        }
    }

    async fn call(&self, _app: &App, args: Args, ctx: &ToolContext) -> Result<ToolOutput, AppError> {
        args.only(&[
            "symbol",
            "strategy",
            "from",
            "to",
            TRADE_WINDOW_ARGS[0],
            TRADE_WINDOW_ARGS[1],
            TRADE_WINDOW_ARGS[2],
            TRADE_WINDOW_ARGS[3],
            "fill",
            "take_profit_percent",
        ])?;
        let request = request(&args)?;
        let lab = self.lab.app().await?;
        let _one_at_a_time = self.running.lock().await;
        let progress = |p: crate::app::BacktestProgress| {
            ctx.progress(
                p.done as f64,
                Some(p.total as f64),
                &format!("{} of {} snapshots, {} trades", p.done, p.total, p.trades),
            );
        };
        let report = lab.backtest(&request, &progress).await?;
        let output = Output {
            symbol: &report.symbol,
            strategy: report.strategy,
            source: &report.source,
            synthetic: report.synthetic,
            settings: &report.settings,
            assumptions: &report.assumptions,
            summary: &report.summary,
            trades: &report.trades,
            stock: &report.stock,
            equity_points: report.equity.len(),
            final_pnl: report.equity.last().map(|p| p.pnl),
            skipped_count: report.skipped.len(),
            skipped: report.skipped.get(..SKIPPED_LISTED).unwrap_or(&report.skipped),
        };
        let mut output = ToolOutput::serialize(&output);
        if apps::wanted(ctx) {
            output.meta = Some(apps::meta(apps::backtest::view_model(&report)));
        }
        Ok(output)
    }
}
