//! The answer of a backtest: every trade and share move, the equity curve, the totals, and the
//! rules and assumptions it was made with.

use serde::Serialize;

use super::engine::Run;
use super::settle::{Book, money};
use super::{BacktestRequest, BacktestStrategy, TradeRules};
use crate::app::App;
use crate::domain::{OptionType, round_to};
use crate::time::{Date, Timestamp};

/// One leg of a trade as filled.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct TradeLeg {
    /// sell or buy.
    #[schemars(extend("enum" = ["sell", "buy"]))]
    pub action: &'static str,
    /// call or put.
    pub option_type: OptionType,
    /// Strike.
    pub strike: f64,
    /// OCC symbol.
    pub symbol: String,
    /// Fill price per share.
    pub price: f64,
}

/// One option trade.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Trade {
    /// 1, 2, ...
    pub number: usize,
    /// csp, covered_call, bull_put_spread or bear_call_spread.
    pub kind: String,
    /// Entry date.
    pub opened: String,
    /// Expiration date.
    pub expiration: String,
    /// Calendar days to expiration at entry.
    pub dte: i32,
    /// The legs as filled.
    pub legs: Vec<TradeLeg>,
    /// Net credit per share at the fill.
    pub credit: f64,
    /// Capital tied up per contract ($).
    pub capital: f64,
    /// Underlying price at entry.
    pub underlying_at_open: f64,
    /// Exit date (None while open).
    pub closed: Option<String>,
    /// expired_worthless, take_profit, assigned, called_away, settled_in_the_money or open.
    #[schemars(extend("enum" = ["expired_worthless", "take_profit", "assigned", "called_away", "settled_in_the_money", "open"]))]
    pub exit: &'static str,
    /// Underlying price at exit (the expiration close when settled), or at the last mark.
    pub underlying_at_close: Option<f64>,
    /// What closing cost per share (intrinsic value at expiration).
    pub close_debit: Option<f64>,
    /// P&L per contract ($), marked at the mid while open.
    pub pnl: f64,
    /// P&L over capital, percent.
    pub return_percent: f64,
    /// Calendar days held.
    pub days_held: i32,
}

impl Trade {
    /// The legs in short form, e.g. `-625P` or `-540P +535P`.
    pub fn strikes_label(&self) -> String {
        self.legs
            .iter()
            .map(|l| {
                let side = if l.action == "sell" { "-" } else { "+" };
                let kind = if l.option_type == OptionType::Put {
                    "P"
                } else {
                    "C"
                };
                format!("{side}{}{kind}", l.strike)
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A change in the shares held (covered calls and the wheel).
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct StockMove {
    /// Date.
    pub date: String,
    /// bought, assigned or called_away.
    #[schemars(extend("enum" = ["bought", "assigned", "called_away"]))]
    pub action: &'static str,
    /// Shares.
    pub shares: f64,
    /// Price per share.
    pub price: f64,
    /// Realized P&L of a sale ($).
    pub pnl: Option<f64>,
}

/// The P&L to date after one snapshot.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EquityPoint {
    /// Snapshot time.
    pub at: Timestamp,
    /// P&L to date ($), open positions marked.
    pub pnl: f64,
}

/// An entry date with no trade opened, and why.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Skipped {
    /// Date.
    pub date: String,
    /// Why no trade was opened.
    pub reason: String,
}

/// Totals.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct BacktestSummary {
    /// Option trades opened.
    pub trades: usize,
    /// Of those, closed or settled.
    pub closed: usize,
    /// Closed with a profit.
    pub wins: usize,
    /// Closed with a loss.
    pub losses: usize,
    /// wins / closed, percent.
    pub win_rate_percent: f64,
    /// Option P&L, realized and marked ($).
    pub option_pnl: f64,
    /// Stock P&L, realized and marked ($).
    pub stock_pnl: f64,
    /// Of the total, what is still open (marked) ($).
    pub unrealized_pnl: f64,
    /// Everything ($).
    pub total_pnl: f64,
    /// The most capital tied up at once ($).
    pub capital: f64,
    /// total P&L / capital, percent.
    pub total_return_percent: f64,
    /// Compounded to a year over `days`, percent.
    pub annualized_return_percent: f64,
    /// Largest fall of the equity curve from a peak ($).
    pub max_drawdown: f64,
    /// That fall over capital, percent.
    pub max_drawdown_percent: f64,
    /// First entry date.
    pub first_entry: Option<String>,
    /// Last date of the backtest (last settlement or snapshot).
    pub last_date: String,
    /// Calendar days from the first entry to the last date.
    pub days: i32,
    /// Snapshots stepped through.
    pub snapshots: usize,
}

/// The settings a report was made with.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct BacktestSettings {
    /// The trade rules (in the JSON, beside the rate rather than nested).
    #[serde(flatten)]
    pub rules: TradeRules,
    /// Risk-free rate of the model.
    pub risk_free_rate: f64,
}

/// A backtest's result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BacktestReport {
    /// The underlying.
    pub symbol: String,
    /// The strategy.
    pub strategy: BacktestStrategy,
    /// The tape (`replay:<name>`).
    pub source: String,
    /// True for made-up data.
    pub synthetic: bool,
    /// What was asked.
    pub settings: BacktestSettings,
    /// How the numbers are made.
    pub assumptions: Vec<&'static str>,
    /// Totals.
    pub summary: BacktestSummary,
    /// Every option trade.
    pub trades: Vec<Trade>,
    /// Share purchases and sales.
    pub stock: Vec<StockMove>,
    /// P&L to date after every snapshot.
    pub equity: Vec<EquityPoint>,
    /// Entry dates without a trade.
    pub skipped: Vec<Skipped>,
}

const ASSUMPTIONS: [&str; 6] = [
    "one contract (100 shares) at a time; a new trade opens only when no option position is open",
    "the options analysis ranks the candidates at each chain snapshot; the top one is traded",
    "options fill at the mid (fill=mid) or at the bid/ask (fill=natural, half the spread paid per leg)",
    "at expiration legs settle at intrinsic value against the daily close; assignment and call-away happen at that close",
    "capital is the most tied up at once: strike x 100 for a put, the shares' cost, a spread's maximum loss",
    "annualized return compounds the total return over the calendar days from the first entry to the last date",
];

impl App {
    /// The report of a finished run: a trade still open is shown marked at the last snapshot.
    pub(super) fn report(&self, request: &BacktestRequest, mut run: Run, snapshots: usize) -> BacktestReport {
        mark_open_trade(&mut run);
        let summary = summary(&run, snapshots);
        let source = self.source();
        BacktestReport {
            symbol: request.symbol.to_string(),
            strategy: request.strategy,
            source: source.source,
            synthetic: source.synthetic,
            settings: BacktestSettings {
                rules: request.rules,
                risk_free_rate: self.config().risk_free_rate,
            },
            assumptions: ASSUMPTIONS.to_vec(),
            summary,
            trades: run.book.trades,
            stock: run.book.stock,
            equity: run.equity,
            skipped: run.skipped,
        }
    }
}

/// Marks the trade still open (if any) at the last snapshot.
fn mark_open_trade(run: &mut Run) {
    let Book { option, trades, .. } = &mut run.book;
    if let (Some(option), Some(mark)) = (option.as_ref(), run.last_mark)
        && let Some(trade) = trades.get_mut(option.trade)
    {
        trade.pnl = money((option.credit - mark) * 100.0);
        trade.underlying_at_close = run.last_spot.map(|s| round_to(s, 4));
        trade.return_percent = if trade.capital > 0.0 {
            round_to(trade.pnl / trade.capital * 100.0, 2)
        } else {
            0.0
        };
        trade.days_held = option.opened.days_until(run.last_date);
    }
}

/// The totals: trades, wins, P&L split into options and stock, returns on capital and the
/// largest drawdown of the equity curve.
fn summary(run: &Run, snapshots: usize) -> BacktestSummary {
    let book = &run.book;
    let last_mark = if book.option.is_some() {
        run.last_mark
    } else {
        None
    };
    let (total, unrealized) = book.marked(last_mark, run.last_spot);
    let stock_open = match (&book.shares, run.last_spot) {
        (Some(shares), Some(spot)) => (spot - shares.basis) * 100.0,
        _ => 0.0,
    };
    let closed: Vec<&Trade> = book.trades.iter().filter(|t| t.exit != "open").collect();
    let wins = closed.iter().filter(|t| t.pnl > 0.0).count();
    let losses = closed.iter().filter(|t| t.pnl < 0.0).count();
    let first_entry = book.trades.first().and_then(|t| t.opened.parse::<Date>().ok());
    let days = first_entry.map_or(0, |d| d.days_until(run.last_date)).max(0);
    let capital = book.capital;
    let total_return = if capital > 0.0 { total / capital } else { 0.0 };
    let drawdown = max_drawdown(&run.equity);
    BacktestSummary {
        trades: book.trades.len(),
        closed: closed.len(),
        wins,
        losses,
        win_rate_percent: if closed.is_empty() {
            0.0
        } else {
            round_to(wins as f64 / closed.len() as f64 * 100.0, 2)
        },
        option_pnl: money(total - book.realized_stock - stock_open),
        stock_pnl: money(book.realized_stock + stock_open),
        unrealized_pnl: money(unrealized),
        total_pnl: money(total),
        capital: money(capital),
        total_return_percent: round_to(total_return * 100.0, 2),
        annualized_return_percent: round_to(annualized_percent(total_return, days, capital), 2),
        max_drawdown: money(drawdown),
        max_drawdown_percent: if capital > 0.0 {
            round_to(drawdown / capital * 100.0, 2)
        } else {
            0.0
        },
        first_entry: first_entry.map(|d| d.to_string()),
        last_date: run.last_date.to_string(),
        days,
        snapshots,
    }
}

/// `total_return` compounded to a year over `days` calendar days, percent (-100 for a loss of
/// everything or more; 0 without days or capital).
fn annualized_percent(total_return: f64, days: i32, capital: f64) -> f64 {
    if days <= 0 || capital <= 0.0 {
        0.0
    } else if 1.0 + total_return <= 0.0 {
        -100.0
    } else {
        ((1.0 + total_return).powf(365.0 / f64::from(days)) - 1.0) * 100.0
    }
}

/// The largest fall of the equity curve from a peak (the curve starts at 0).
fn max_drawdown(equity: &[EquityPoint]) -> f64 {
    let mut peak = 0.0_f64;
    let mut drawdown = 0.0_f64;
    for point in equity {
        peak = peak.max(point.pnl);
        drawdown = drawdown.max(peak - point.pnl);
    }
    drawdown
}
