//! From what the trader asked (a candidate of a saved analysis, or legs) to the exact order:
//! OCC symbols, actions, quantities, and a limit price on the option's tick from the market now.

use serde::Serialize;
use serde_json::Value;

use crate::app::analysis::OptionsAnalysis;
use crate::app::{App, AppEvent};
use crate::domain::{
    AccountNumber, AnalysisId, InstrumentType, LimitPrice, MAX_ORDER_LEGS, OptionType, OrderLeg,
    OrderRequest, PriceEffect, Symbol, TickClass, TimeInForce, TradeAction, new_york_date, occ_symbol,
    parse_occ, round4,
};
use crate::error::AppError;
use crate::ports::NewAnalysis;
use crate::time::Date;

/// One leg as the trader gives it: an OCC symbol, or a type, strike and expiration.
#[derive(Clone, Debug, PartialEq)]
pub struct LegSpec {
    /// The OCC symbol, when given.
    pub symbol: Option<Symbol>,
    /// Call or put (with `strike` and `expiration` instead of a symbol).
    pub option_type: Option<OptionType>,
    /// The strike.
    pub strike: Option<f64>,
    /// The expiration.
    pub expiration: Option<Date>,
    /// Buy or sell, to open or close.
    pub action: TradeAction,
    /// Contracts.
    pub quantity: u32,
}

/// Where the order comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum OrderSource {
    /// A ranked candidate of a saved `analyze_options` or `run_full_analysis`.
    Candidate {
        /// The analysis.
        analysis_id: AnalysisId,
        /// 1 is best.
        rank: usize,
    },
    /// Legs on one underlying.
    Legs {
        /// The underlying.
        underlying: Symbol,
        /// The legs.
        legs: Vec<LegSpec>,
    },
}

/// What the trader asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct OrderSpec {
    /// The account (default: the configured or first one).
    pub account: Option<String>,
    /// The trade.
    pub source: OrderSource,
    /// Contracts of a candidate (default: the recommendation's, else 1).
    pub contracts: Option<u32>,
    /// The limit per share; `None`: the market's mid rounded toward a fill onto the tick.
    pub price: Option<f64>,
    /// Credit or debit, when the price is given (default: the market's side).
    pub price_effect: Option<PriceEffect>,
    /// Day (default) or GTC.
    pub time_in_force: TimeInForce,
    /// Covered calls below the shares' cost basis are allowed.
    pub allow_below_basis: bool,
}

/// One leg with its market now.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct LegView {
    /// OCC symbol.
    pub symbol: String,
    /// `sell_to_open`, ...
    #[schemars(with = "OptionLegAction")]
    pub action: TradeAction,
    /// Contracts.
    pub quantity: u32,
    /// Call or put.
    pub option_type: OptionType,
    /// Strike.
    pub strike: f64,
    /// Expiration.
    pub expiration: String,
    /// Bid now.
    pub bid: Option<f64>,
    /// Ask now.
    pub ask: Option<f64>,
    /// Mid now.
    pub mid: Option<f64>,
}

/// The actions an option leg takes (the schema of [`LegView::action`]: never `buy` or `sell`).
#[derive(schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
enum OptionLegAction {
    /// Sell, opening a short position.
    SellToOpen,
    /// Buy, opening a long position.
    BuyToOpen,
    /// Buy, closing a short position.
    BuyToClose,
    /// Sell, closing a long position.
    SellToClose,
}

/// The order's price against the market now.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct MarketPrice {
    /// Net mid per unit (positive).
    pub mid: f64,
    /// The natural price: what crossing the market now would give (credit) or cost (debit).
    pub natural: f64,
    /// Credit or debit at the mid.
    pub effect: PriceEffect,
    /// The limit ttai would enter: the mid rounded toward a fill onto the tick.
    pub suggested_limit: f64,
    /// The tick of the limit.
    pub tick: f64,
}

/// The candidate an order came from.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct FromAnalysis {
    /// The saved analysis.
    pub analysis_id: String,
    /// Its kind (`full_analysis`, `options`).
    pub kind: String,
    /// The candidate's rank.
    pub rank: usize,
    /// When it was made.
    pub created_at: String,
    /// The limit the analysis priced it at.
    pub analysed_limit: Option<f64>,
    /// The contracts the recommendation named, when this is the recommended candidate.
    pub recommended_contracts: Option<i64>,
}

/// The exact order with what it was built from.
#[derive(Clone, Debug, PartialEq)]
pub struct Ticket {
    /// The account.
    pub account: AccountNumber,
    /// The order to send.
    pub order: OrderRequest,
    /// Each leg with its market.
    pub legs: Vec<LegView>,
    /// The market's price of the order, when every leg has a two-sided market.
    pub market: Option<MarketPrice>,
    /// `given` or `market`.
    pub price_from: &'static str,
    /// The candidate it came from.
    pub from: Option<FromAnalysis>,
    /// The market clock's date.
    pub today: Date,
    /// The underlying's price now, when known.
    pub underlying_price: Option<f64>,
}

/// A candidate of a saved analysis as an order needs it.
struct SavedCandidate {
    /// Each leg's OCC symbol and action (sells and buys to open).
    legs: Vec<(String, TradeAction)>,
    /// The limit the analysis priced it at.
    limit: Option<f64>,
    /// The recommendation's contracts, when it is the recommended candidate.
    recommended: Option<i64>,
}

/// The candidate of rank `rank` in a saved analysis's result.
fn candidate_legs(result: &Value, kind: &str, rank: usize) -> Result<SavedCandidate, AppError> {
    let candidates = match kind {
        "full_analysis" => result.pointer("/options/candidates"),
        _ => result.get("candidates"),
    }
    .and_then(Value::as_array)
    .ok_or_else(|| {
        AppError::invalid(
            "analysis_id",
            format!("a {kind} analysis has no candidates to order; use analyze_options or run_full_analysis"),
        )
    })?;
    let candidate = candidates
        .iter()
        .find(|c| c.get("rank").and_then(Value::as_u64) == Some(rank as u64))
        .ok_or_else(|| {
            AppError::invalid(
                "rank",
                format!(
                    "the analysis has {} candidate(s); no rank {rank}",
                    candidates.len()
                ),
            )
        })?;
    let legs = candidate
        .get("legs")
        .and_then(Value::as_array)
        .ok_or_else(|| AppError::invalid("rank", "the candidate has no legs"))?
        .iter()
        .map(|leg| {
            let symbol = leg.get("symbol").and_then(Value::as_str).unwrap_or_default();
            let action = match leg.get("action").and_then(Value::as_str) {
                Some("sell") => TradeAction::SellToOpen,
                _ => TradeAction::BuyToOpen,
            };
            (symbol.to_owned(), action)
        })
        .collect();
    let recommended = result
        .pointer("/recommendation/candidate/rank")
        .and_then(Value::as_u64)
        .filter(|r| *r == rank as u64)
        .and_then(|_| result.pointer("/recommendation/contracts"))
        .and_then(Value::as_i64);
    Ok(SavedCandidate {
        legs,
        limit: candidate.get("credit").and_then(Value::as_f64),
        recommended,
    })
}

impl App {
    /// Saves an `analyze_options` result so its candidates can be ordered by analysis id and
    /// rank; `None` (logged) when the store cannot be written: the analysis still stands.
    pub async fn save_options_analysis(&self, analysis: &OptionsAnalysis) -> Option<String> {
        let result = serde_json::to_value(analysis).ok()?;
        let symbol = Symbol::parse(&analysis.symbol).ok()?;
        let summary = match analysis.candidates.first() {
            Some(top) => format!(
                "{}: {} candidate(s), best {} {} at {:.2}",
                analysis.symbol,
                analysis.candidates.len(),
                top.kind,
                top.expiration,
                top.credit
            ),
            None => format!("{}: no {} candidate", analysis.symbol, analysis.strategy.as_str()),
        };
        let saved = self
            .store()
            .save_analysis(NewAnalysis {
                symbol: symbol.clone(),
                kind: "options".to_owned(),
                strategy: Some(analysis.strategy.as_str().to_owned()),
                created_at: self.broker().now(),
                source: self.source().source,
                summary,
                result,
            })
            .await;
        match saved {
            Ok(record) => {
                self.emit(AppEvent::ResourceUpdated("history://analyses".to_owned()));
                self.emit(AppEvent::ResourceUpdated(format!("history://analyses/{symbol}")));
                Some(record.id.0)
            }
            Err(err) => {
                tracing::warn!(error = %err, "the options analysis could not be saved");
                None
            }
        }
    }

    /// Resolves `spec` into the exact order, priced from the market now when no price is given.
    pub(crate) async fn ticket(&self, spec: &OrderSpec) -> Result<Ticket, AppError> {
        let (account, _) = self.resolve_account(spec.account.as_deref()).await?;
        let today = new_york_date(self.broker().now());
        let (underlying, mut legs, from): (Symbol, Vec<LegSpec>, Option<FromAnalysis>) = match &spec.source {
            OrderSource::Candidate { analysis_id, rank } => {
                let record = self
                    .store()
                    .get_analysis(analysis_id)
                    .await
                    .map_err(|e| AppError::from(e).with_detail("field", "analysis_id"))?;
                let SavedCandidate {
                    legs,
                    limit,
                    recommended,
                } = candidate_legs(&record.result, &record.kind, *rank)?;
                let contracts = spec
                    .contracts
                    .or_else(|| recommended.and_then(|c| u32::try_from(c).ok()))
                    .unwrap_or(1);
                let legs = legs
                    .into_iter()
                    .map(|(symbol, action)| {
                        Ok(LegSpec {
                            symbol: Some(Symbol::parse(&symbol).map_err(|_| {
                                AppError::invalid("rank", "the candidate's legs have no OCC symbols")
                            })?),
                            option_type: None,
                            strike: None,
                            expiration: None,
                            action,
                            quantity: contracts,
                        })
                    })
                    .collect::<Result<Vec<_>, AppError>>()?;
                let from = FromAnalysis {
                    analysis_id: record.id.0.clone(),
                    kind: record.kind.clone(),
                    rank: *rank,
                    created_at: record.created_at.to_string(),
                    analysed_limit: limit,
                    recommended_contracts: recommended,
                };
                (record.symbol, legs, Some(from))
            }
            OrderSource::Legs { underlying, legs } => (underlying.clone(), legs.clone(), None),
        };
        if legs.is_empty() || legs.len() > MAX_ORDER_LEGS {
            return Err(AppError::invalid(
                "legs",
                format!("an order has 1 to {MAX_ORDER_LEGS} legs"),
            ));
        }
        if underlying.is_future() || underlying.is_future_option() {
            return Err(AppError::invalid(
                "symbol",
                "ttai places equity and ETF option orders only",
            ));
        }
        // Every leg as an OCC symbol of this underlying's options.
        let mut resolved = Vec::with_capacity(legs.len());
        for (i, leg) in legs.iter_mut().enumerate() {
            let field = format!("legs[{i}]");
            if leg.quantity == 0 {
                return Err(AppError::invalid(
                    &format!("{field}.quantity"),
                    "must be at least 1",
                ));
            }
            let symbol = match (&leg.symbol, leg.option_type, leg.strike, leg.expiration) {
                (Some(symbol), _, _, _) => symbol.clone(),
                (None, Some(option_type), Some(strike), Some(expiration)) => {
                    Symbol::parse(&occ_symbol(underlying.as_str(), expiration, option_type, strike))
                        .map_err(|e| AppError::invalid(&field, e.to_string()))?
                }
                _ => {
                    return Err(AppError::invalid(
                        &field,
                        "give the OCC symbol, or type, strike and expiration",
                    ));
                }
            };
            let Some(parts) = parse_occ(symbol.as_str()) else {
                return Err(AppError::invalid(
                    &format!("{field}.symbol"),
                    format!("\"{symbol}\" is not an OCC option symbol such as \"SPY   261224P00540000\""),
                ));
            };
            resolved.push((symbol, parts));
        }
        let chain = self.option_chain(&underlying).await?;
        let mut views = Vec::with_capacity(legs.len());
        let mut order_legs = Vec::with_capacity(legs.len());
        for (leg, (symbol, parts)) in legs.iter().zip(&resolved) {
            let contract = chain.contract(symbol.as_str());
            if contract.is_none() {
                return Err(AppError::invalid(
                    "legs",
                    format!(
                        "{symbol} is not listed in {underlying}'s option chain (expiration {}, strike {})",
                        parts.expiration, parts.strike
                    ),
                ));
            }
            let two_sided = contract.and_then(|c| match (c.bid, c.ask) {
                (Some(b), Some(a)) if b >= 0.0 && a >= b && a > 0.0 => Some((b, a)),
                _ => None,
            });
            views.push(LegView {
                symbol: symbol.to_string(),
                action: leg.action,
                quantity: leg.quantity,
                option_type: parts.option_type,
                strike: parts.strike,
                expiration: parts.expiration.to_string(),
                bid: two_sided.map(|m| m.0),
                ask: two_sided.map(|m| m.1),
                mid: two_sided.map(|(b, a)| round4((b + a) / 2.0)),
            });
            order_legs.push(OrderLeg {
                instrument_type: InstrumentType::EquityOption,
                symbol: symbol.clone(),
                action: leg.action,
                quantity: leg.quantity,
            });
        }
        let underlying_price = self.chain_underlying_price(&chain).await;
        let size = order_legs.iter().map(|l| l.quantity).max().unwrap_or(1);
        let class = TickClass::of(underlying.as_str());
        let market = market_price(&views, size, class);
        let (price, price_effect, price_from) = match (spec.price, &market) {
            (Some(price), _) => {
                if !(price.is_finite() && price > 0.0) {
                    return Err(AppError::invalid("price", "must be a positive price per share"));
                }
                if !class.on_tick(price) {
                    return Err(AppError::invalid(
                        "price",
                        format!(
                            "{price} is not on {underlying}'s option tick ({}); the nearest valid limits are {} and {}",
                            class.tick(price),
                            class.floor(price),
                            class.ceil(price)
                        ),
                    ));
                }
                let effect = spec
                    .price_effect
                    .or(market.as_ref().map(|m| m.effect))
                    .ok_or_else(|| {
                        AppError::invalid(
                            "price_effect",
                            "the legs have no market to tell a credit from a debit: give credit or debit",
                        )
                    })?;
                (price, effect, "given")
            }
            (None, Some(m)) => (m.suggested_limit, m.effect, "market"),
            (None, None) => {
                return Err(AppError::invalid(
                    "price",
                    "a leg has no two-sided market to price the order from: give the limit price",
                ));
            }
        };
        if price_from == "market" && price <= 0.0 {
            return Err(AppError::invalid(
                "price",
                "the legs net to zero at the mid: give the limit price and price_effect",
            ));
        }
        Ok(Ticket {
            account,
            order: OrderRequest {
                underlying,
                time_in_force: spec.time_in_force,
                price,
                price_effect,
                legs: order_legs,
            },
            legs: views,
            market,
            price_from,
            from,
            today,
            underlying_price,
        })
    }
}

/// The order's net price per unit at the mid and at the natural, when every leg has a market.
fn market_price(legs: &[LegView], size: u32, class: TickClass) -> Option<MarketPrice> {
    let mut mid = 0.0;
    let mut natural_credit = 0.0;
    let mut natural_debit = 0.0;
    for leg in legs {
        let (bid, ask, m) = (leg.bid?, leg.ask?, leg.mid?);
        let ratio = f64::from(leg.quantity) / f64::from(size.max(1));
        if leg.action.sign() < 0.0 {
            mid += m * ratio;
            natural_credit += bid * ratio;
            natural_debit -= bid * ratio;
        } else {
            mid -= m * ratio;
            natural_credit -= ask * ratio;
            natural_debit += ask * ratio;
        }
    }
    let (effect, price) = if mid >= 0.0 {
        (
            PriceEffect::Credit,
            LimitPrice::credit(class, mid, natural_credit),
        )
    } else {
        (PriceEffect::Debit, LimitPrice::debit(class, -mid, natural_debit))
    };
    Some(MarketPrice {
        mid: price.mid,
        natural: price.natural,
        effect,
        suggested_limit: price.limit,
        tick: price.tick,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leg(action: TradeAction, bid: f64, ask: f64) -> LegView {
        LegView {
            symbol: String::new(),
            action,
            quantity: 1,
            option_type: OptionType::Put,
            strike: 540.0,
            expiration: "2026-12-24".to_owned(),
            bid: Some(bid),
            ask: Some(ask),
            mid: Some((bid + ask) / 2.0),
        }
    }

    #[test]
    fn a_spread_is_priced_net_on_the_tick_toward_a_fill() {
        // Sell 6.20 × 6.40, buy 4.10 × 4.25: mid 6.30 − 4.175 = 2.125, natural 6.20 − 4.25 = 1.95.
        let legs = [
            leg(TradeAction::SellToOpen, 6.20, 6.40),
            leg(TradeAction::BuyToOpen, 4.10, 4.25),
        ];
        let m = market_price(&legs, 1, TickClass::PennyAll).unwrap();
        assert_eq!(
            (m.effect, m.mid, m.natural, m.suggested_limit),
            (PriceEffect::Credit, 2.125, 1.95, 2.12)
        );
        // Closing it: buy back the short, sell the long: a debit of 2.125 mid, 2.30 natural.
        let close = [
            leg(TradeAction::BuyToClose, 6.20, 6.40),
            leg(TradeAction::SellToClose, 4.10, 4.25),
        ];
        let m = market_price(&close, 1, TickClass::PennyAll).unwrap();
        assert_eq!(
            (m.effect, m.mid, m.natural, m.suggested_limit),
            (PriceEffect::Debit, 2.125, 2.3, 2.13)
        );
        let mut no_market = close.to_vec();
        no_market[0].bid = None;
        assert!(market_price(&no_market, 1, TickClass::PennyAll).is_none());
    }
}
