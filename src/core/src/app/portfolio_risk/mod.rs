//! The whole book's risk (`get_portfolio_risk`): every position priced and greeked, grouped by
//! underlying and by the strategy its legs form, with beta-weighted delta, buying power,
//! concentration, a scenario grid by full repricing, and management signals.
//!
//! Layout: [`model`] is the book and the pricing of one leg; [`strategy`] recognises structures;
//! [`requirement`] estimates their buying power; [`scenario`] builds and reprices the grid;
//! [`signals`] applies the knowledge base's management rules; [`report`] assembles the answer;
//! [`heatmap`] describes the grid's picture. All of those are pure; this file gathers the book
//! from the broker (positions, balances, quotes, metrics, chains) and hands it to them.

pub mod heatmap;
pub mod model;
pub mod report;
pub mod requirement;
pub mod scenario;
pub mod signals;
pub mod strategy;

#[cfg(test)]
mod tests;

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use super::App;
use super::chain::{Pricing, analyse_contract, years_to_expiry};
use super::portfolio::{drop_expired_worthless, expiry_outcome};
use crate::domain::{InstrumentType, MarketMetrics, OptionChain, Position, Quote, Symbol};
use crate::error::{AppError, ErrorCode};
use crate::quant::bsm;
use model::{BetaSource, Book, LegKind, RiskLeg, UnderlyingState, VolSource};
use report::{PortfolioRisk, ReportContext, assess, vol_note};
use scenario::ScenarioGrid;

/// The reference of beta weighting.
pub const REFERENCE: &str = "SPY";
/// Option chains fetched at once (a live broker answers each in a few hundred milliseconds).
const CHAIN_CONCURRENCY: usize = 8;
/// Symbols per market-metrics request (the broker's limit).
const METRICS_CHUNK: usize = 100;

/// What to assess.
#[derive(Clone, Debug, PartialEq)]
pub struct RiskRequest {
    /// The account (default: the configured or first one).
    pub account: Option<String>,
    /// Only the positions in this underlying.
    pub symbol: Option<Symbol>,
    /// The scenario grid.
    pub grid: ScenarioGrid,
    /// Draw the grid as a heat-map PNG.
    pub include_chart: bool,
    /// Give every group its whole grid (by default a group has its P&L by move).
    pub group_grids: bool,
}

impl RiskRequest {
    /// The whole default account with the default grid and no picture.
    pub fn default_book() -> RiskRequest {
        RiskRequest {
            account: None,
            symbol: None,
            grid: ScenarioGrid::default_grid(),
            include_chart: false,
            group_grids: false,
        }
    }
}

/// Runs futures together and returns their outputs in order (the core has no futures crate).
async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut pending: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut waiting = false;
        for (future, output) in pending.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => *output = Some(value),
                    Poll::Pending => waiting = true,
                }
            }
        }
        if waiting { Poll::Pending } else { Poll::Ready(()) }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

/// The option fields of a position, when it is an option the model can value.
fn option_fields(position: &Position) -> Option<LegKind> {
    Some(LegKind::Option {
        option_type: position.option_type?,
        strike: position.strike.filter(|k| k.is_finite() && *k > 0.0)?,
        expiration: position.expiration?,
    })
}

fn is_option(position: &Position) -> bool {
    matches!(
        position.instrument_type,
        InstrumentType::EquityOption | InstrumentType::FutureOption
    ) || position.option_type.is_some()
}

/// The volatility of an option leg: the broker's streamed IV, else the chain's mid, else the
/// position's mark, else the underlying's IV index.
struct VolChoice {
    vol: Option<f64>,
    source: VolSource,
    broker_delta_gamma: Option<(f64, f64)>,
}

impl App {
    /// The risk of the account's book (or of one underlying's positions), with the heat-map
    /// picture of the scenario grid when asked.
    pub async fn portfolio_risk(
        &self,
        request: &RiskRequest,
    ) -> Result<(PortfolioRisk, Option<Vec<u8>>), AppError> {
        let renderer = self.renderer_if(request.include_chart)?;
        let (book, context) = self.gather_book(request).await?;
        let report = assess(&book, &request.grid, context);
        let picture = match renderer {
            Some(renderer) => {
                let spec = heatmap::heatmap_spec(&report);
                Some(renderer.render_heatmap_png(&spec).map_err(|e| {
                    tracing::error!(error = %e, "heat map rendering failed");
                    AppError::new(
                        ErrorCode::AnalysisError,
                        "the scenario picture could not be drawn; the risk report itself is fine without include_chart",
                    )
                })?)
            }
            None => None,
        };
        Ok((report, picture))
    }

    /// Positions, balances, prices, metrics and chains, as a [`Book`].
    async fn gather_book(&self, request: &RiskRequest) -> Result<(Book, ReportContext), AppError> {
        let (number, accounts) = self.resolve_account(request.account.as_deref()).await?;
        let margin_account = accounts
            .iter()
            .find(|a| a.number == number)
            .and_then(|a| a.margin_or_cash.as_deref())
            .is_none_or(|kind| !kind.eq_ignore_ascii_case("cash"));
        let mut positions = self.broker().positions(&number).await?;
        if let Some(symbol) = &request.symbol {
            positions.retain(|p| &p.underlying == symbol);
        }
        positions.sort_by(|a, b| a.underlying.cmp(&b.underlying).then(a.symbol.cmp(&b.symbol)));
        let mut warnings = Vec::new();
        if let Some(symbol) = &request.symbol
            && positions.is_empty()
        {
            warnings.push(format!("no open positions in {symbol}"));
        }
        let balances = match self.broker().balances(&number).await {
            Ok(b) => Some(b),
            Err(e) => {
                warnings.push(format!(
                    "balances unavailable ({e}): shares of net liq are not computed"
                ));
                None
            }
        };
        let reference = Symbol::parse(REFERENCE).map_err(|_| AppError::internal("the reference symbol"))?;
        let mut underlyings: Vec<Symbol> = positions.iter().map(|p| p.underlying.clone()).collect();
        underlyings.dedup();
        let mut wanted = underlyings.clone();
        if !wanted.contains(&reference) {
            wanted.push(reference.clone());
        }
        // Positions the broker gave no mark for are quoted too (as get_positions does).
        for position in positions.iter().filter(|p| p.mark.is_none()) {
            if !wanted.contains(&position.symbol) {
                wanted.push(position.symbol.clone());
            }
        }
        let quotes = self.quotes(&wanted).await?;
        // An option past its expiration that the broker still lists: left out when it expired
        // worthless, kept (with its pending assignment or exercise said) otherwise.
        let now = self.broker().now();
        let closes = self.expiration_closes(&positions, now).await;
        drop_expired_worthless(&mut positions, now, &closes, &quotes, |p, after, judged| {
            warnings.push(format!("{}: {}", p.symbol, expiry_outcome(p, after, judged)));
        });
        underlyings.retain(|u| positions.iter().any(|p| &p.underlying == u));
        let metrics = self.metrics_in_chunks(&wanted, &mut warnings).await;
        let with_options: Vec<&Symbol> = underlyings
            .iter()
            .filter(|u| positions.iter().any(|p| &p.underlying == *u && is_option(p)))
            .collect();
        let mut chains: Vec<(Symbol, std::sync::Arc<OptionChain>)> = Vec::new();
        for batch in with_options.chunks(CHAIN_CONCURRENCY) {
            let answers = join_all(batch.iter().map(|u| self.option_chain(u)).collect()).await;
            for (symbol, answer) in batch.iter().zip(answers) {
                match answer {
                    Ok(chain) => chains.push(((*symbol).clone(), chain)),
                    Err(e) => warnings.push(format!(
                        "{symbol}: option chain unavailable ({}); volatility implied from the positions' marks",
                        e.message
                    )),
                }
            }
        }
        let config = self.config();
        let quote_of = |s: &Symbol| quotes.iter().find(|q| &q.symbol == s);
        let metrics_of = |s: &Symbol| metrics.iter().find(|m| &m.symbol == s);
        let chain_of = |s: &Symbol| chains.iter().find(|(u, _)| u == s).map(|(_, c)| c.as_ref());
        let mut states = Vec::new();
        for symbol in &underlyings {
            let price = underlying_price(symbol, quote_of(symbol), chain_of(symbol), &positions);
            if price.is_none() {
                warnings.push(format!("{symbol}: no price; its positions are left out"));
            }
            let m = metrics_of(symbol);
            let (beta, beta_source) = if *symbol == reference {
                (1.0, BetaSource::Reference)
            } else {
                match m.and_then(|m| m.beta).filter(|b| b.is_finite()) {
                    Some(beta) => (beta, BetaSource::MarketMetrics),
                    None => {
                        warnings.push(format!(
                            "{symbol}: no beta in the market metrics; 1.0 assumed for beta weighting"
                        ));
                        (1.0, BetaSource::Assumed)
                    }
                }
            };
            states.push(UnderlyingState {
                symbol: symbol.clone(),
                price,
                beta,
                beta_source,
                dividend_yield: m
                    .and_then(|m| m.dividend_yield)
                    .filter(|y| y.is_finite() && *y >= 0.0 && *y < 0.5)
                    .unwrap_or(config.dividend_yield),
                earnings_date: m.and_then(|m| m.earnings_date),
                ex_dividend_date: m.and_then(|m| m.ex_dividend_date),
                expiration_closes: closes
                    .iter()
                    .filter(|(u, _, _)| u == symbol)
                    .map(|(_, day, close)| (*day, *close))
                    .collect(),
            });
        }
        let now = self.broker().now();
        let mut legs = Vec::new();
        for position in &positions {
            let kind = match (is_option(position), option_fields(position)) {
                (false, _) => LegKind::Linear,
                (true, Some(kind)) => kind,
                (true, None) => {
                    warnings.push(format!(
                        "{}: an option without strike, type or expiration cannot be modelled; left out",
                        position.symbol
                    ));
                    continue;
                }
            };
            let state = states.iter().find(|s| s.symbol == position.underlying);
            let choice = match kind {
                LegKind::Linear => VolChoice {
                    vol: None,
                    source: VolSource::NotApplicable,
                    broker_delta_gamma: None,
                },
                LegKind::Option { .. } => choose_vol(
                    kind,
                    position,
                    state,
                    chain_of(&position.underlying),
                    metrics_of(&position.underlying),
                    now,
                    config.risk_free_rate,
                ),
            };
            let leg = RiskLeg {
                symbol: position.symbol.to_string(),
                underlying: position.underlying.clone(),
                kind,
                quantity: position.quantity,
                multiplier: position.multiplier,
                average_open_price: position.average_open_price,
                mark: position.mark.or_else(|| {
                    quote_of(&position.symbol)
                        .and_then(Quote::mark_price)
                        .or(position.close_price)
                }),
                vol: choice.vol,
                vol_source: choice.source,
                broker_delta_gamma: choice.broker_delta_gamma,
            };
            if let Some(note) = vol_note(&leg) {
                warnings.push(note);
            }
            legs.push(leg);
        }
        let source = self.source();
        let book = Book {
            now,
            rate: config.risk_free_rate,
            legs,
            underlyings: states,
            reference_price: quote_of(&reference).and_then(Quote::mark_price),
            net_liquidating_value: balances.as_ref().map(|b| b.net_liquidating_value),
            buying_power_in_use: balances.as_ref().map(|b| b.maintenance_requirement),
            margin_account,
        };
        let context = ReportContext {
            account: number.masked(),
            symbol: request.symbol.clone(),
            warnings,
            source: source.source,
            synthetic: source.synthetic,
            group_grids: request.group_grids,
        };
        Ok((book, context))
    }

    /// Market metrics of `symbols`, at most [`METRICS_CHUNK`] per request; a failure is a warning
    /// (betas are then assumed), not an error.
    async fn metrics_in_chunks(&self, symbols: &[Symbol], warnings: &mut Vec<String>) -> Vec<MarketMetrics> {
        let mut out = Vec::new();
        for chunk in symbols.chunks(METRICS_CHUNK) {
            match self.broker().market_metrics(chunk).await {
                Ok(mut m) => out.append(&mut m),
                Err(e) => warnings.push(format!("market metrics unavailable ({e})")),
            }
        }
        out
    }
}

/// An underlying's price: its quote, else its chain's, else the mark of its shares.
fn underlying_price(
    symbol: &Symbol,
    quote: Option<&Quote>,
    chain: Option<&OptionChain>,
    positions: &[Position],
) -> Option<f64> {
    let valid = |p: &f64| p.is_finite() && *p > 0.0;
    quote
        .and_then(Quote::mark_price)
        .filter(valid)
        .or_else(|| chain.and_then(|c| c.underlying_price).filter(valid))
        .or_else(|| {
            positions
                .iter()
                .find(|p| &p.symbol == symbol)
                .and_then(|p| p.mark.or(p.close_price))
                .filter(valid)
        })
}

fn choose_vol(
    kind: LegKind,
    position: &Position,
    state: Option<&UnderlyingState>,
    chain: Option<&OptionChain>,
    metrics: Option<&MarketMetrics>,
    now: crate::time::Timestamp,
    rate: f64,
) -> VolChoice {
    let LegKind::Option {
        option_type,
        strike,
        expiration,
    } = kind
    else {
        return VolChoice {
            vol: None,
            source: VolSource::NotApplicable,
            broker_delta_gamma: None,
        };
    };
    let dividend_yield = state.map_or(0.0, |s| s.dividend_yield);
    let spot = state.and_then(|s| s.price);
    let valid = |v: &f64| v.is_finite() && *v > 0.0;
    let contract = chain.and_then(|c| {
        c.expiration(expiration)?
            .strikes
            .iter()
            .find(|row| (row.strike - strike).abs() < 1e-6)?
            .side(option_type)
    });
    if let Some(greeks) = contract.and_then(|c| c.broker_greeks)
        && valid(&greeks.iv)
    {
        return VolChoice {
            vol: Some(greeks.iv),
            source: VolSource::Broker,
            broker_delta_gamma: Some((greeks.delta, greeks.gamma)),
        };
    }
    let from_chain = contract.zip(chain).and_then(|(contract, chain)| {
        let pricing = Pricing {
            spot: chain.underlying_price.or(spot)?,
            rate,
            dividend_yield,
            quotes_at: chain.as_of,
        };
        analyse_contract(&pricing, option_type, strike, expiration, contract).iv
    });
    let chosen = from_chain
        .filter(valid)
        .map(|v| (v, VolSource::ChainMid))
        .or_else(|| {
            let mark = position.mark.filter(valid)?;
            bsm::implied_volatility(
                option_type,
                spot?,
                strike,
                years_to_expiry(now, expiration),
                rate,
                dividend_yield,
                mark,
            )
            .filter(valid)
            .map(|v| (v, VolSource::PositionMark))
        })
        .or_else(|| {
            metrics
                .and_then(|m| m.iv_index)
                .filter(valid)
                .map(|v| (v, VolSource::IvIndex))
        });
    match chosen {
        Some((vol, source)) => VolChoice {
            vol: Some(vol),
            source,
            broker_delta_gamma: None,
        },
        None => VolChoice {
            vol: None,
            source: VolSource::Unpriced,
            broker_delta_gamma: None,
        },
    }
}
