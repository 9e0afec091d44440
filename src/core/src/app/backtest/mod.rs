//! Backtests of short-premium strategies on a recorded tape (`ttai backtest`).
//!
//! The replay clock is stepped through the tape's option-chain snapshots of one symbol. At each
//! snapshot: an option position whose expiration has passed is settled; an open position is
//! closed early when the take-profit rule allows it at this snapshot's prices; and when no option
//! position is open, the options analysis (`rank_candidates`, with the daily chart's support and
//! resistance, exactly as `analyze_options` ranks) picks its top candidate, which is opened.
//!
//! Accounting, per one contract (100 shares):
//! - Options are opened at the mid (or, with [`Fill::Natural`], sold at the bid and bought at the
//!   ask: half the spread paid on every leg) and closed early the same way.
//! - At expiration every leg is settled at its intrinsic value against the underlying's daily
//!   close on the expiration date. A put finishing in the money is *assigned*: in the wheel the
//!   100 shares are then held at that close (the loss below the strike is in the put's P&L);
//!   otherwise the position ends there. Shares under a call finishing in the money are *called
//!   away* at that close (the gain above the strike is given up in the call's P&L). The totals
//!   are those of physical settlement; each trade's P&L is its own.
//! - `covered_call` buys 100 shares at the first entry (and again after they are called away) and
//!   sells calls against them; `wheel` sells puts until assigned, then calls until called away.
//! - Capital is the most the strategy ties up at any time (strike × 100 for a put, the shares'
//!   cost, the maximum loss of a spread); returns are on that capital. The equity curve is the
//!   P&L to date at every snapshot, open positions marked at the mid; the drawdown is measured on
//!   it.
//!
//! Layout: `engine.rs` steps the clock and opens trades, `settle.rs` keeps the book (closing,
//! settling at expiration, marking), `report.rs` is the answer.

mod engine;
mod report;
mod settle;
#[cfg(test)]
mod tests;

use serde::Serialize;

pub use report::{
    BacktestReport, BacktestSettings, BacktestSummary, EquityPoint, Skipped, StockMove, Trade, TradeLeg,
};

use super::analysis::{OptionsRequest, Strategy};
use crate::domain::Symbol;
use crate::error::AppError;
use crate::time::Timestamp;

/// What a backtest trades.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BacktestStrategy {
    /// Cash-secured puts; an assignment ends the position at the expiration close.
    Csp,
    /// 100 shares with calls sold against them.
    CoveredCall,
    /// Short vertical credit spreads (bull put or bear call, whichever ranks first).
    Spread,
    /// Cash-secured puts until assigned, then covered calls until called away.
    Wheel,
}

impl BacktestStrategy {
    /// Reads `csp`, `covered_call`, `spread` or `wheel`.
    pub fn parse(text: &str) -> Option<BacktestStrategy> {
        if text.trim().eq_ignore_ascii_case("wheel") {
            return Some(BacktestStrategy::Wheel);
        }
        Strategy::parse(text).map(|s| match s {
            Strategy::Csp => BacktestStrategy::Csp,
            Strategy::CoveredCall => BacktestStrategy::CoveredCall,
            Strategy::Spread => BacktestStrategy::Spread,
        })
    }

    /// `csp`, `covered_call`, `spread` or `wheel`.
    pub fn as_str(self) -> &'static str {
        match self {
            BacktestStrategy::Csp => "csp",
            BacktestStrategy::CoveredCall => "covered_call",
            BacktestStrategy::Spread => "spread",
            BacktestStrategy::Wheel => "wheel",
        }
    }
}

/// How orders fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Fill {
    /// At the mid of bid and ask.
    Mid,
    /// Sell at the bid, buy at the ask: half the spread paid on every leg.
    Natural,
}

impl Fill {
    /// Reads `mid` or `natural` (also `half-spread`), in any case.
    pub fn parse(text: &str) -> Option<Fill> {
        match text.trim().to_ascii_lowercase().as_str() {
            "mid" => Some(Fill::Mid),
            "natural" | "half-spread" | "half_spread" => Some(Fill::Natural),
            _ => None,
        }
    }
}

/// The rules every trade of a backtest follows: which contracts may be opened, how orders fill
/// and when a position is closed early. The request carries them and the report repeats them.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct TradeRules {
    /// Fewest days to expiration of a new trade.
    pub dte_min: i32,
    /// Most days to expiration of a new trade.
    pub dte_max: i32,
    /// Smallest |delta| of the short leg.
    pub delta_min: f64,
    /// Largest |delta| of the short leg.
    pub delta_max: f64,
    /// How orders fill: mid or natural.
    pub fill: Fill,
    /// Close early once this fraction of the maximum profit (the credit) can be kept.
    pub take_profit: Option<f64>,
}

impl TradeRules {
    /// The analysis defaults (30–45 DTE, short delta 0.15–0.35), fills at the mid, held to
    /// expiration.
    pub fn defaults() -> TradeRules {
        let defaults = OptionsRequest::defaults(Strategy::Csp);
        TradeRules {
            dte_min: defaults.dte_min,
            dte_max: defaults.dte_max,
            delta_min: defaults.delta_min,
            delta_max: defaults.delta_max,
            fill: Fill::Mid,
            take_profit: None,
        }
    }

    /// Refuses windows that select nothing and a take-profit outside (0, 1].
    fn check(&self) -> Result<(), AppError> {
        if self.dte_min > self.dte_max || self.dte_min < 0 {
            return Err(AppError::invalid(
                "dte_min",
                "must be 0 or more and not exceed dte_max",
            ));
        }
        if !(self.delta_min.is_finite()
            && self.delta_max.is_finite()
            && 0.0 <= self.delta_min
            && self.delta_min <= self.delta_max
            && self.delta_max <= 1.0)
        {
            return Err(AppError::invalid(
                "delta_min",
                "deltas must satisfy 0 ≤ delta_min ≤ delta_max ≤ 1",
            ));
        }
        if let Some(tp) = self.take_profit
            && !(tp > 0.0 && tp <= 1.0)
        {
            return Err(AppError::invalid(
                "take_profit",
                "must be a fraction of the credit in (0, 1]",
            ));
        }
        Ok(())
    }
}

/// What to backtest.
#[derive(Clone, Debug, PartialEq)]
pub struct BacktestRequest {
    /// The underlying.
    pub symbol: Symbol,
    /// The strategy.
    pub strategy: BacktestStrategy,
    /// First entry no earlier than this (default: the tape's first chain).
    pub from: Option<Timestamp>,
    /// No entry after this (default: the tape's last chain); positions open then are still
    /// settled from the tape.
    pub to: Option<Timestamp>,
    /// How trades are chosen, filled and closed.
    pub rules: TradeRules,
}

impl BacktestRequest {
    /// The default rules ([`TradeRules::defaults`]) over the whole tape.
    pub fn new(symbol: Symbol, strategy: BacktestStrategy) -> BacktestRequest {
        BacktestRequest {
            symbol,
            strategy,
            from: None,
            to: None,
            rules: TradeRules::defaults(),
        }
    }
}

/// Where a running backtest stands, for progress bars.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BacktestProgress {
    /// Snapshots done.
    pub done: usize,
    /// Snapshots in all.
    pub total: usize,
    /// The snapshot just done.
    pub at: Timestamp,
    /// Trades opened so far.
    pub trades: usize,
    /// P&L to date.
    pub pnl: f64,
}
