//! Stepping a backtest: the replay clock through the tape's chain snapshots, and at each one
//! settling, taking profit, opening the analysis's top pick when flat, and marking.

use super::report::{EquityPoint, Skipped, StockMove, Trade, TradeLeg};
use super::settle::{Book, OpenOption, Shares, close_debit, money, settlement_debit};
use super::{BacktestProgress, BacktestReport, BacktestRequest, BacktestStrategy, Fill};
use crate::app::analysis::{Candidate, OptionsInput, OptionsRequest, Strategy, rank_candidates};
use crate::app::{App, Pricing, expiry_instant};
use crate::domain::{OptionChain, Timeframe, round_to};
use crate::error::AppError;
use crate::ports::ReplayClock;
use crate::time::{Date, Timestamp};

/// What a run has gathered besides the book.
pub(super) struct Run {
    pub(super) book: Book,
    /// P&L to date after every snapshot.
    pub(super) equity: Vec<EquityPoint>,
    /// Entry dates without a trade, and why.
    pub(super) skipped: Vec<Skipped>,
    /// The last date stepped through (or settled).
    pub(super) last_date: Date,
    /// The underlying's last known price.
    pub(super) last_spot: Option<f64>,
    /// The open position's last mark (debit per share to close), when one is open.
    pub(super) last_mark: Option<f64>,
}

impl App {
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
        request.rules.check()?;
        let clock = self.broker().replay_clock().await.ok_or_else(|| {
            AppError::invalid("broker", "a backtest runs on a recorded tape (the replay broker)")
        })?;
        let (steps, last_entry) = snapshots(request, clock.as_ref())?;
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
        let (_, tape_end) = clock.span();
        let mut run = Run {
            book: Book::new(),
            equity: Vec::with_capacity(steps.len()),
            skipped: Vec::new(),
            last_date: steps.first().map_or_else(|| tape_end.date(), |t| t.date()),
            last_spot: None,
            last_mark: None,
        };
        for (i, &at) in steps.iter().enumerate() {
            clock.set(at);
            let pnl = self.step(request, &mut run, at, at <= last_entry).await?;
            progress(BacktestProgress {
                done: i + 1,
                total: steps.len(),
                at,
                trades: run.book.trades.len(),
                pnl,
            });
        }
        self.settle_before_tape_end(request, clock, tape_end, &mut run)
            .await?;
        Ok(self.report(request, run, steps.len()))
    }

    /// One snapshot: settle what expired at or before it, take profit when its market allows,
    /// open a trade when flat (and `may_open`), and mark. Returns the P&L to date.
    async fn step(
        &self,
        request: &BacktestRequest,
        run: &mut Run,
        at: Timestamp,
        may_open: bool,
    ) -> Result<f64, AppError> {
        let symbol = &request.symbol;
        let today = at.date();
        run.last_date = today;
        self.settle_expired(request, &mut run.book, at).await?;
        let chain = self.option_chain(symbol).await?;
        let spot = self.chain_underlying_price(&chain).await;
        run.last_spot = spot.or(run.last_spot);
        if let (Some(tp), Some(option)) = (request.rules.take_profit, run.book.option.as_ref())
            && let Some(debit) = close_debit(option, &chain, request.rules.fill)
            && option.credit - debit >= tp * option.credit
        {
            run.book
                .close(today, "take_profit", spot.unwrap_or_default(), debit);
        }
        if run.book.option.is_none() && may_open {
            let not_opened = match spot {
                None => Some(format!("no price of {symbol} at this snapshot")),
                Some(spot) => self.open_trade(request, &mut run.book, &chain, spot, at).await?,
            };
            if let Some(reason) = not_opened {
                run.skipped.push(Skipped {
                    date: today.to_string(),
                    reason,
                });
            }
        }
        let mark =
            run.book.option.as_ref().and_then(|o| {
                close_debit(o, &chain, Fill::Mid).or_else(|| spot.map(|s| settlement_debit(o, s)))
            });
        run.last_mark = mark;
        let (pnl, _) = run.book.marked(mark, spot);
        run.equity.push(EquityPoint { at, pnl: money(pnl) });
        Ok(pnl)
    }

    /// What expires before the tape ends is settled from it; the rest stays open, marked.
    async fn settle_before_tape_end(
        &self,
        request: &BacktestRequest,
        clock: &dyn ReplayClock,
        tape_end: Timestamp,
        run: &mut Run,
    ) -> Result<(), AppError> {
        let Some(expiration) = run.book.option.as_ref().map(|o| o.expiration) else {
            return Ok(());
        };
        if expiry_instant(expiration) > tape_end {
            return Ok(());
        }
        clock.set(tape_end);
        self.settle_expired(request, &mut run.book, tape_end).await?;
        run.last_date = run.last_date.max(expiration);
        run.last_mark = None;
        let (pnl, _) = run.book.marked(None, run.last_spot);
        if let Some(last) = run.equity.last_mut() {
            if last.at < tape_end {
                run.equity.push(EquityPoint {
                    at: tape_end,
                    pnl: money(pnl),
                });
            } else {
                last.pnl = money(pnl);
            }
        }
        Ok(())
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
            dte_min: request.rules.dte_min,
            dte_max: request.rules.dte_max,
            delta_min: request.rules.delta_min,
            delta_max: request.rules.delta_max,
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
        let rules = &request.rules;
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
                rules.dte_min,
                rules.dte_max,
                rules.delta_min,
                rules.delta_max
            )));
        };
        let legs = filled_legs(&candidate, rules.fill);
        let credit: f64 = legs
            .iter()
            .map(|l| if l.action == "sell" { l.price } else { -l.price })
            .sum();
        if credit <= 0.0 {
            return Ok(Some(format!(
                "the top {} candidate gives no credit at the {} fill",
                candidate.kind,
                if rules.fill == Fill::Mid { "mid" } else { "natural" }
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
}

/// The snapshots to step through and the last one a trade may open at: the tape's chain times
/// of the symbol within `from`–`to`, then the later ones, which still settle and mark what is
/// open.
fn snapshots(
    request: &BacktestRequest,
    clock: &dyn ReplayClock,
) -> Result<(Vec<Timestamp>, Timestamp), AppError> {
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
    let steps = times
        .iter()
        .copied()
        .chain(all_times.iter().copied().filter(|t| *t > last_entry))
        .collect();
    Ok((steps, last_entry))
}

/// The candidate's legs at the fill's prices: the mid, or the bid to sell and the ask to buy.
fn filled_legs(candidate: &Candidate, fill: Fill) -> Vec<TradeLeg> {
    candidate
        .legs
        .iter()
        .map(|leg| TradeLeg {
            action: leg.action,
            option_type: leg.option_type,
            strike: leg.strike,
            symbol: leg.symbol.clone(),
            price: match (fill, leg.action) {
                (Fill::Mid, _) => leg.mid,
                (Fill::Natural, "sell") => leg.bid,
                (Fill::Natural, _) => leg.ask,
            },
        })
        .collect()
}
