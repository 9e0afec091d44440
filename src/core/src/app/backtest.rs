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

use serde::Serialize;

use super::analysis::{Candidate, OptionsInput, OptionsRequest, Strategy, rank_candidates};
use super::{App, Pricing, expiry_instant};
use crate::domain::{OptionChain, OptionContract, OptionType, Symbol, Timeframe, round_to};
use crate::error::{AppError, ErrorCode};
use crate::ports::ReplayClock;
use crate::time::{Date, Timestamp};

/// What a backtest trades.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fill {
    /// At the mid of bid and ask.
    Mid,
    /// Sell at the bid, buy at the ask: half the spread paid on every leg.
    Natural,
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
    /// Fewest days to expiration of a new trade.
    pub dte_min: i32,
    /// Most days to expiration of a new trade.
    pub dte_max: i32,
    /// Smallest |delta| of the short leg.
    pub delta_min: f64,
    /// Largest |delta| of the short leg.
    pub delta_max: f64,
    /// How orders fill.
    pub fill: Fill,
    /// Close early once this fraction of the maximum profit (the credit) can be kept.
    pub take_profit: Option<f64>,
}

impl BacktestRequest {
    /// The analysis defaults (30–45 DTE, short delta 0.15–0.35), fills at the mid, held to
    /// expiration, over the whole tape.
    pub fn new(symbol: Symbol, strategy: BacktestStrategy) -> BacktestRequest {
        let defaults = OptionsRequest::defaults(Strategy::Csp);
        BacktestRequest {
            symbol,
            strategy,
            from: None,
            to: None,
            dte_min: defaults.dte_min,
            dte_max: defaults.dte_max,
            delta_min: defaults.delta_min,
            delta_max: defaults.delta_max,
            fill: Fill::Mid,
            take_profit: None,
        }
    }
}

/// One leg of a trade as filled.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TradeLeg {
    /// sell or buy.
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
#[derive(Clone, Debug, PartialEq, Serialize)]
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
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StockMove {
    /// Date.
    pub date: String,
    /// bought, assigned or called_away.
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
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Skipped {
    /// Date.
    pub date: String,
    /// Why no trade was opened.
    pub reason: String,
}

/// Totals.
#[derive(Clone, Debug, PartialEq, Serialize)]
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
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BacktestSettings {
    /// DTE window.
    pub dte_min: i32,
    /// DTE window.
    pub dte_max: i32,
    /// Short |delta| window.
    pub delta_min: f64,
    /// Short |delta| window.
    pub delta_max: f64,
    /// mid or natural.
    pub fill: Fill,
    /// Take-profit fraction of the credit, when set.
    pub take_profit: Option<f64>,
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

const ASSUMPTIONS: [&str; 6] = [
    "one contract (100 shares) at a time; a new trade opens only when no option position is open",
    "the options analysis ranks the candidates at each chain snapshot; the top one is traded",
    "options fill at the mid (fill=mid) or at the bid/ask (fill=natural, half the spread paid per leg)",
    "at expiration legs settle at intrinsic value against the daily close; assignment and call-away happen at that close",
    "capital is the most tied up at once: strike x 100 for a put, the shares' cost, a spread's maximum loss",
    "annualized return compounds the total return over the calendar days from the first entry to the last date",
];

/// An open option position.
struct OpenOption {
    trade: usize,
    expiration: Date,
    legs: Vec<TradeLeg>,
    credit: f64,
    opened: Date,
}

/// Shares held.
struct Shares {
    basis: f64,
}

/// The running book.
struct Book {
    option: Option<OpenOption>,
    shares: Option<Shares>,
    trades: Vec<Trade>,
    stock: Vec<StockMove>,
    realized_option: f64,
    realized_stock: f64,
    capital: f64,
}

fn intrinsic(option_type: OptionType, strike: f64, spot: f64) -> f64 {
    match option_type {
        OptionType::Call => (spot - strike).max(0.0),
        OptionType::Put => (strike - spot).max(0.0),
    }
}

fn find<'a>(chain: &'a OptionChain, symbol: &str) -> Option<&'a OptionContract> {
    chain
        .expirations
        .iter()
        .flat_map(|e| &e.strikes)
        .flat_map(|r| [r.call.as_ref(), r.put.as_ref()])
        .flatten()
        .find(|c| c.symbol == symbol)
}

/// The price to close `leg` (buy back a short, sell a long) at this chain's market.
fn close_price(leg: &TradeLeg, contract: &OptionContract, fill: Fill) -> Option<f64> {
    let mid = contract.mid()?;
    Some(match (fill, leg.action) {
        (Fill::Mid, _) => mid,
        (Fill::Natural, "sell") => contract.ask?,
        (Fill::Natural, _) => contract.bid?,
    })
}

/// Net debit per share to close every leg at `chain`'s market; `None` when a leg has no
/// two-sided market there.
fn close_debit(option: &OpenOption, chain: &OptionChain, fill: Fill) -> Option<f64> {
    let mut debit = 0.0;
    for leg in &option.legs {
        let price = close_price(leg, find(chain, &leg.symbol)?, fill)?;
        debit += if leg.action == "sell" { price } else { -price };
    }
    Some(debit)
}

/// Net value per share of the legs at expiration with the underlying at `spot`.
fn settlement_debit(option: &OpenOption, spot: f64) -> f64 {
    option
        .legs
        .iter()
        .map(|leg| {
            let value = intrinsic(leg.option_type, leg.strike, spot);
            if leg.action == "sell" { value } else { -value }
        })
        .sum()
}

fn money(v: f64) -> f64 {
    round_to(v, 2)
}

impl Book {
    fn close(&mut self, at: Date, exit: &'static str, spot: f64, debit: f64) {
        let Some(option) = self.option.take() else {
            return;
        };
        let pnl = money((option.credit - debit) * 100.0);
        self.realized_option += pnl;
        if let Some(trade) = self.trades.get_mut(option.trade) {
            trade.closed = Some(at.to_string());
            trade.exit = exit;
            trade.underlying_at_close = Some(round_to(spot, 4));
            trade.close_debit = Some(round_to(debit, 4));
            trade.pnl = pnl;
            trade.return_percent = if trade.capital > 0.0 {
                round_to(pnl / trade.capital * 100.0, 2)
            } else {
                0.0
            };
            trade.days_held = option.opened.days_until(at);
        }
    }

    /// P&L to date with the open positions marked.
    fn marked(&self, option_mark: Option<f64>, spot: Option<f64>) -> (f64, f64) {
        let option_open = match (&self.option, option_mark) {
            (Some(option), Some(debit)) => (option.credit - debit) * 100.0,
            _ => 0.0,
        };
        let stock_open = match (&self.shares, spot) {
            (Some(shares), Some(spot)) => (spot - shares.basis) * 100.0,
            _ => 0.0,
        };
        (
            self.realized_option + self.realized_stock + option_open + stock_open,
            option_open + stock_open,
        )
    }
}

impl App {
    /// The daily close of `symbol` on `date`, or on the last trading day before it.
    async fn close_on(&self, symbol: &Symbol, date: Date) -> Result<f64, AppError> {
        let since = date.add_days(-10).at_midnight_utc();
        let candles = self.broker().candles(symbol, Timeframe::Daily, since).await?;
        candles
            .iter()
            .rev()
            .find(|c| c.time.date() <= date)
            .map(|c| c.close)
            .ok_or_else(|| {
                AppError::new(
                    ErrorCode::AnalysisError,
                    format!("the tape has no daily close of {symbol} on or before {date} to settle a trade expiring then"),
                )
            })
    }

    /// The top candidate at the current snapshot.
    async fn pick(
        &self,
        request: &BacktestRequest,
        strategy: Strategy,
        chain: &OptionChain,
        spot: f64,
        cost_basis: Option<f64>,
    ) -> Result<Option<Candidate>, AppError> {
        let symbol = &request.symbol;
        let metrics = self.metrics_of(symbol).await;
        let (dividend_yield, _) = self.dividend_yield(symbol).await;
        let chart = self.analyze_chart(symbol, Timeframe::Daily, false).await.ok();
        let options_request = OptionsRequest {
            dte_min: request.dte_min,
            dte_max: request.dte_max,
            delta_min: request.delta_min,
            delta_max: request.delta_max,
            levels: chart
                .as_ref()
                .map(|(chart, _)| (chart.levels.nearest_support, chart.levels.nearest_resistance)),
            atr: chart.as_ref().and_then(|(chart, _)| chart.volatility.atr14),
            cost_basis,
            ..self.options_defaults(strategy)
        };
        let input = OptionsInput {
            chain,
            pricing: Pricing {
                spot,
                rate: self.config().risk_free_rate,
                dividend_yield,
                quotes_at: chain.as_of,
            },
            today: self.broker().now().date(),
            metrics: metrics.as_ref(),
            request: &options_request,
        };
        let (candidates, _, _) = rank_candidates(&input);
        Ok(candidates.into_iter().next())
    }

    /// Runs a backtest on the replay broker's tape; `progress` hears after every snapshot.
    ///
    /// # Errors
    /// `VALIDATION_ERROR` for a live broker, bad windows or a symbol without chains in the tape;
    /// the tape's own error (naming its line) when an entry cannot be read; `ANALYSIS_ERROR`
    /// when a trade cannot be settled from the tape.
    pub async fn backtest(
        &self,
        request: &BacktestRequest,
        progress: &(dyn Fn(BacktestProgress) + Send + Sync),
    ) -> Result<BacktestReport, AppError> {
        if request.dte_min > request.dte_max || request.dte_min < 0 {
            return Err(AppError::invalid(
                "dte_min",
                "must be 0 or more and not exceed dte_max",
            ));
        }
        if !(request.delta_min.is_finite()
            && request.delta_max.is_finite()
            && 0.0 <= request.delta_min
            && request.delta_min <= request.delta_max
            && request.delta_max <= 1.0)
        {
            return Err(AppError::invalid(
                "delta_min",
                "deltas must satisfy 0 ≤ delta_min ≤ delta_max ≤ 1",
            ));
        }
        if let Some(tp) = request.take_profit
            && !(tp > 0.0 && tp <= 1.0)
        {
            return Err(AppError::invalid(
                "take_profit",
                "must be a fraction of the credit in (0, 1]",
            ));
        }
        let clock = self.broker().replay_clock().await.ok_or_else(|| {
            AppError::invalid("broker", "a backtest runs on a recorded tape (the replay broker)")
        })?;
        let symbol = &request.symbol;
        let all_times = clock.chain_times(symbol);
        if all_times.is_empty() {
            return Err(AppError::invalid(
                "symbol",
                format!("the tape has no option chains of {symbol}"),
            ));
        }
        let times: Vec<Timestamp> = all_times
            .iter()
            .copied()
            .filter(|t| request.from.is_none_or(|from| *t >= from))
            .filter(|t| request.to.is_none_or(|to| *t <= to))
            .collect();
        let Some(&last_entry) = times.last() else {
            return Err(AppError::invalid(
                "from",
                format!(
                    "no option chain of {symbol} between the given dates; the tape has them from {} to {}",
                    all_times
                        .first()
                        .map_or_else(String::new, |t| t.date().to_string()),
                    all_times
                        .last()
                        .map_or_else(String::new, |t| t.date().to_string()),
                ),
            ));
        };
        // Snapshots after the last entry still settle and mark open positions.
        let steps: Vec<Timestamp> = times
            .iter()
            .copied()
            .chain(all_times.iter().copied().filter(|t| *t > last_entry))
            .collect();
        let saved_clock = clock.now();
        let result = self
            .run_backtest(request, clock.as_ref(), &steps, last_entry, progress)
            .await;
        clock.set(saved_clock);
        result
    }

    async fn run_backtest(
        &self,
        request: &BacktestRequest,
        clock: &dyn ReplayClock,
        steps: &[Timestamp],
        last_entry: Timestamp,
        progress: &(dyn Fn(BacktestProgress) + Send + Sync),
    ) -> Result<BacktestReport, AppError> {
        let symbol = &request.symbol;
        let (_, tape_end) = clock.span();
        let mut book = Book {
            option: None,
            shares: None,
            trades: Vec::new(),
            stock: Vec::new(),
            realized_option: 0.0,
            realized_stock: 0.0,
            capital: 0.0,
        };
        let mut equity: Vec<EquityPoint> = Vec::with_capacity(steps.len());
        let mut skipped: Vec<Skipped> = Vec::new();
        let mut last_date = steps.first().map_or_else(|| tape_end.date(), |t| t.date());
        let mut last_spot: Option<f64> = None;
        let mut last_mark: Option<f64> = None;
        for (i, &at) in steps.iter().enumerate() {
            clock.set(at);
            let today = at.date();
            last_date = today;
            // 1. Settle what expired at or before this snapshot.
            self.settle_expired(request, &mut book, at).await?;
            let chain = self.option_chain(symbol).await?;
            let spot = self.chain_underlying_price(&chain).await;
            last_spot = spot.or(last_spot);
            // 2. Take profit when this snapshot's market allows.
            if let (Some(tp), Some(option)) = (request.take_profit, book.option.as_ref())
                && let Some(debit) = close_debit(option, &chain, request.fill)
                && option.credit - debit >= tp * option.credit
            {
                book.close(today, "take_profit", spot.unwrap_or_default(), debit);
            }
            // 3. Open a trade when flat.
            if book.option.is_none() && at <= last_entry {
                match spot {
                    None => skipped.push(Skipped {
                        date: today.to_string(),
                        reason: format!("no price of {symbol} at this snapshot"),
                    }),
                    Some(spot) => {
                        if let Some(reason) = self.open_trade(request, &mut book, &chain, spot, at).await? {
                            skipped.push(Skipped {
                                date: today.to_string(),
                                reason,
                            });
                        }
                    }
                }
            }
            // 4. Mark.
            let mark = book.option.as_ref().and_then(|o| {
                close_debit(o, &chain, Fill::Mid).or_else(|| spot.map(|s| settlement_debit(o, s)))
            });
            last_mark = mark;
            let (pnl, _) = book.marked(mark, spot);
            equity.push(EquityPoint { at, pnl: money(pnl) });
            progress(BacktestProgress {
                done: i + 1,
                total: steps.len(),
                at,
                trades: book.trades.len(),
                pnl,
            });
        }
        // What expires before the tape ends is settled from it; the rest stays open, marked.
        if let Some(option) = book.option.as_ref()
            && expiry_instant(option.expiration) <= tape_end
        {
            let expiration = option.expiration;
            clock.set(tape_end);
            self.settle_expired(request, &mut book, tape_end).await?;
            last_date = last_date.max(expiration);
            last_mark = None;
            let (pnl, _) = book.marked(None, last_spot);
            if let Some(last) = equity.last_mut() {
                if last.at < tape_end {
                    equity.push(EquityPoint {
                        at: tape_end,
                        pnl: money(pnl),
                    });
                } else {
                    last.pnl = money(pnl);
                }
            }
        }
        Ok(self.report(
            request,
            book,
            equity,
            skipped,
            last_date,
            last_mark,
            last_spot,
            steps.len(),
        ))
    }

    /// Settles an option position whose expiration is at or before `at`.
    async fn settle_expired(
        &self,
        request: &BacktestRequest,
        book: &mut Book,
        at: Timestamp,
    ) -> Result<(), AppError> {
        let Some(option) = book.option.as_ref() else {
            return Ok(());
        };
        if expiry_instant(option.expiration) > at {
            return Ok(());
        }
        let expiration = option.expiration;
        let spot = self.close_on(&request.symbol, expiration).await?;
        let debit = settlement_debit(option, spot);
        let short = option.legs.iter().find(|l| l.action == "sell");
        let short_itm = short.is_some_and(|l| intrinsic(l.option_type, l.strike, spot) > 0.0);
        let kind = book
            .trades
            .get(option.trade)
            .map(|t| t.kind.clone())
            .unwrap_or_default();
        let exit = match (short_itm, kind.as_str()) {
            (false, _) if debit.abs() < 1e-12 => "expired_worthless",
            (false, _) => "settled_in_the_money",
            (true, "csp") => "assigned",
            (true, "covered_call") => "called_away",
            (true, _) => "settled_in_the_money",
        };
        book.close(expiration, exit, spot, debit);
        match (exit, request.strategy) {
            ("assigned", BacktestStrategy::Wheel) => {
                book.shares = Some(Shares { basis: spot });
                book.capital = book.capital.max(spot * 100.0);
                book.stock.push(StockMove {
                    date: expiration.to_string(),
                    action: "assigned",
                    shares: 100.0,
                    price: round_to(spot, 4),
                    pnl: None,
                });
            }
            ("called_away", _) => {
                if let Some(shares) = book.shares.take() {
                    let pnl = money((spot - shares.basis) * 100.0);
                    book.realized_stock += pnl;
                    book.stock.push(StockMove {
                        date: expiration.to_string(),
                        action: "called_away",
                        shares: 100.0,
                        price: round_to(spot, 4),
                        pnl: Some(pnl),
                    });
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Opens the top candidate; returns why not when nothing was opened.
    async fn open_trade(
        &self,
        request: &BacktestRequest,
        book: &mut Book,
        chain: &OptionChain,
        spot: f64,
        at: Timestamp,
    ) -> Result<Option<String>, AppError> {
        let today = at.date();
        let strategy = match request.strategy {
            BacktestStrategy::Csp => Strategy::Csp,
            BacktestStrategy::Spread => Strategy::Spread,
            BacktestStrategy::CoveredCall => Strategy::CoveredCall,
            BacktestStrategy::Wheel if book.shares.is_some() => Strategy::CoveredCall,
            BacktestStrategy::Wheel => Strategy::Csp,
        };
        // Covered calls are struck at or above the shares' basis in the book (the price they were
        // bought or assigned at), as analyze_options does with the account's cost basis.
        let cost_basis = match strategy {
            Strategy::CoveredCall => Some(book.shares.as_ref().map_or(spot, |s| s.basis)),
            _ => None,
        };
        let Some(candidate) = self.pick(request, strategy, chain, spot, cost_basis).await? else {
            return Ok(Some(format!(
                "no {} candidate with {}–{} DTE and short delta {}–{}",
                strategy.as_str(),
                request.dte_min,
                request.dte_max,
                request.delta_min,
                request.delta_max
            )));
        };
        let legs: Vec<TradeLeg> = candidate
            .legs
            .iter()
            .map(|leg| TradeLeg {
                action: leg.action,
                option_type: leg.option_type,
                strike: leg.strike,
                symbol: leg.symbol.clone(),
                price: match (request.fill, leg.action) {
                    (Fill::Mid, _) => leg.mid,
                    (Fill::Natural, "sell") => leg.bid,
                    (Fill::Natural, _) => leg.ask,
                },
            })
            .collect();
        let credit: f64 = legs
            .iter()
            .map(|l| if l.action == "sell" { l.price } else { -l.price })
            .sum();
        if credit <= 0.0 {
            return Ok(Some(format!(
                "the top {} candidate gives no credit at the {} fill",
                candidate.kind,
                if request.fill == Fill::Mid {
                    "mid"
                } else {
                    "natural"
                }
            )));
        }
        let Ok(expiration) = candidate.expiration.parse::<Date>() else {
            return Ok(Some(format!("unreadable expiration {}", candidate.expiration)));
        };
        // Covered calls need the shares: buy them first (the buy-write).
        if strategy == Strategy::CoveredCall && book.shares.is_none() {
            book.shares = Some(Shares { basis: spot });
            book.stock.push(StockMove {
                date: today.to_string(),
                action: "bought",
                shares: 100.0,
                price: round_to(spot, 4),
                pnl: None,
            });
        }
        let capital = match (strategy, book.shares.as_ref()) {
            (Strategy::CoveredCall, Some(shares)) => shares.basis * 100.0,
            _ => candidate.capital_required,
        };
        book.capital = book.capital.max(capital);
        let number = book.trades.len() + 1;
        book.trades.push(Trade {
            number,
            kind: candidate.kind.to_owned(),
            opened: today.to_string(),
            expiration: expiration.to_string(),
            dte: candidate.dte,
            legs: legs.clone(),
            credit: round_to(credit, 4),
            capital: money(capital),
            underlying_at_open: round_to(spot, 4),
            closed: None,
            exit: "open",
            underlying_at_close: None,
            close_debit: None,
            pnl: 0.0,
            return_percent: 0.0,
            days_held: 0,
        });
        book.option = Some(OpenOption {
            trade: number - 1,
            expiration,
            legs,
            credit,
            opened: today,
        });
        Ok(None)
    }

    #[allow(clippy::too_many_arguments)]
    fn report(
        &self,
        request: &BacktestRequest,
        mut book: Book,
        equity: Vec<EquityPoint>,
        skipped: Vec<Skipped>,
        last_date: Date,
        last_mark: Option<f64>,
        last_spot: Option<f64>,
        snapshots: usize,
    ) -> BacktestReport {
        // A trade still open is shown marked at the last snapshot.
        if let (Some(option), Some(mark)) = (book.option.as_ref(), last_mark)
            && let Some(trade) = book.trades.get_mut(option.trade)
        {
            trade.pnl = money((option.credit - mark) * 100.0);
            trade.underlying_at_close = last_spot.map(|s| round_to(s, 4));
            trade.return_percent = if trade.capital > 0.0 {
                round_to(trade.pnl / trade.capital * 100.0, 2)
            } else {
                0.0
            };
            trade.days_held = option.opened.days_until(last_date);
        }
        let (total, unrealized) =
            book.marked(if book.option.is_some() { last_mark } else { None }, last_spot);
        let stock_open = match (&book.shares, last_spot) {
            (Some(shares), Some(spot)) => (spot - shares.basis) * 100.0,
            _ => 0.0,
        };
        let closed: Vec<&Trade> = book.trades.iter().filter(|t| t.exit != "open").collect();
        let wins = closed.iter().filter(|t| t.pnl > 0.0).count();
        let losses = closed.iter().filter(|t| t.pnl < 0.0).count();
        let first_entry = book.trades.first().and_then(|t| t.opened.parse::<Date>().ok());
        let days = first_entry.map_or(0, |d| d.days_until(last_date)).max(0);
        let capital = book.capital;
        let total_return = if capital > 0.0 { total / capital } else { 0.0 };
        let annualized = if days > 0 && capital > 0.0 {
            if 1.0 + total_return <= 0.0 {
                -100.0
            } else {
                ((1.0 + total_return).powf(365.0 / f64::from(days)) - 1.0) * 100.0
            }
        } else {
            0.0
        };
        let mut peak = 0.0_f64;
        let mut drawdown = 0.0_f64;
        for point in &equity {
            peak = peak.max(point.pnl);
            drawdown = drawdown.max(peak - point.pnl);
        }
        let source = self.source();
        BacktestReport {
            symbol: request.symbol.to_string(),
            strategy: request.strategy,
            source: source.source,
            synthetic: source.synthetic,
            settings: BacktestSettings {
                dte_min: request.dte_min,
                dte_max: request.dte_max,
                delta_min: request.delta_min,
                delta_max: request.delta_max,
                fill: request.fill,
                take_profit: request.take_profit,
                risk_free_rate: self.config().risk_free_rate,
            },
            assumptions: ASSUMPTIONS.to_vec(),
            summary: BacktestSummary {
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
                annualized_return_percent: round_to(annualized, 2),
                max_drawdown: money(drawdown),
                max_drawdown_percent: if capital > 0.0 {
                    round_to(drawdown / capital * 100.0, 2)
                } else {
                    0.0
                },
                first_entry: first_entry.map(|d| d.to_string()),
                last_date: last_date.to_string(),
                days,
                snapshots,
            },
            trades: book.trades,
            stock: book.stock,
            equity,
            skipped,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Expiration, StrikeRow};

    fn leg(action: &'static str, option_type: OptionType, strike: f64, price: f64) -> TradeLeg {
        TradeLeg {
            action,
            option_type,
            strike,
            symbol: format!("X{strike}{}", option_type.as_str()),
            price,
        }
    }

    fn spread() -> OpenOption {
        OpenOption {
            trade: 0,
            expiration: "2025-02-21".parse().unwrap(),
            legs: vec![
                leg("sell", OptionType::Put, 95.0, 2.0),
                leg("buy", OptionType::Put, 90.0, 0.8),
            ],
            credit: 1.2,
            opened: "2025-01-17".parse().unwrap(),
        }
    }

    fn contract(symbol: &str, bid: f64, ask: f64) -> OptionContract {
        OptionContract {
            symbol: symbol.to_owned(),
            streamer_symbol: None,
            bid: Some(bid),
            ask: Some(ask),
            last: None,
            volume: None,
            open_interest: None,
            broker_greeks: None,
        }
    }

    #[test]
    fn strategies_parse() {
        assert_eq!(BacktestStrategy::parse("Wheel"), Some(BacktestStrategy::Wheel));
        assert_eq!(
            BacktestStrategy::parse("cash-secured-put"),
            Some(BacktestStrategy::Csp)
        );
        assert_eq!(BacktestStrategy::parse("cc"), Some(BacktestStrategy::CoveredCall));
        assert_eq!(
            BacktestStrategy::parse("vertical"),
            Some(BacktestStrategy::Spread)
        );
        assert_eq!(BacktestStrategy::parse("strangle"), None);
    }

    #[test]
    fn a_spread_settles_at_its_intrinsic_value() {
        let s = spread();
        assert_eq!(settlement_debit(&s, 100.0), 0.0);
        assert_eq!(settlement_debit(&s, 93.0), 2.0);
        // Below the long strike the loss stops at the width.
        assert_eq!(settlement_debit(&s, 80.0), 5.0);
        assert_eq!(intrinsic(OptionType::Call, 100.0, 104.5), 4.5);
        assert_eq!(intrinsic(OptionType::Call, 100.0, 95.0), 0.0);
    }

    #[test]
    fn closing_pays_the_mid_or_the_natural_price() {
        let s = spread();
        let chain = OptionChain {
            underlying: Symbol::parse("X").unwrap(),
            underlying_price: Some(100.0),
            shares_per_contract: 100,
            exercise_style: "American".to_owned(),
            expirations: vec![Expiration {
                date: "2025-02-21".parse().unwrap(),
                expiration_type: "Regular".to_owned(),
                settlement: "PM".to_owned(),
                strikes: vec![
                    StrikeRow {
                        strike: 90.0,
                        call: None,
                        put: Some(contract("X90put", 0.2, 0.3)),
                    },
                    StrikeRow {
                        strike: 95.0,
                        call: None,
                        put: Some(contract("X95put", 0.9, 1.1)),
                    },
                ],
                underlying: None,
            }],
            as_of: "2025-02-07T21:00:00Z".parse().unwrap(),
        };
        // Buy the short back, sell the long: 1.00 − 0.25 at the mid, 1.10 − 0.20 at the natural.
        assert!((close_debit(&s, &chain, Fill::Mid).unwrap() - 0.75).abs() < 1e-12);
        assert!((close_debit(&s, &chain, Fill::Natural).unwrap() - 0.90).abs() < 1e-12);
        // A leg without a two-sided market cannot be closed here.
        let mut thin = chain.clone();
        if let Some(row) = thin.expirations[0].strikes.get_mut(0) {
            row.put = Some(contract("X90put", 0.0, 0.3));
        }
        assert_eq!(close_debit(&s, &thin, Fill::Mid), None);
    }

    #[test]
    fn the_book_marks_open_positions() {
        let mut book = Book {
            option: Some(spread()),
            shares: Some(Shares { basis: 100.0 }),
            trades: vec![Trade {
                number: 1,
                kind: "bull_put_spread".to_owned(),
                opened: "2025-01-17".to_owned(),
                expiration: "2025-02-21".to_owned(),
                dte: 35,
                legs: spread().legs,
                credit: 1.2,
                capital: 380.0,
                underlying_at_open: 100.0,
                closed: None,
                exit: "open",
                underlying_at_close: None,
                close_debit: None,
                pnl: 0.0,
                return_percent: 0.0,
                days_held: 0,
            }],
            stock: Vec::new(),
            realized_option: 10.0,
            realized_stock: -5.0,
            capital: 10_000.0,
        };
        // Option: (1.20 − 0.50) × 100 = 70; shares: (98 − 100) × 100 = −200; realized +5.
        let (total, open) = book.marked(Some(0.5), Some(98.0));
        assert!((total - (5.0 + 70.0 - 200.0)).abs() < 1e-9 && (open - (70.0 - 200.0)).abs() < 1e-9);
        book.close("2025-02-07".parse().unwrap(), "take_profit", 101.0, 0.5);
        assert!(book.option.is_none());
        assert_eq!(book.trades[0].pnl, 70.0);
        assert_eq!(book.trades[0].days_held, 21);
        assert_eq!(book.trades[0].return_percent, 18.42);
        assert_eq!(book.trades[0].exit, "take_profit");
    }
}
