//! `analyze_options`: ranked short-premium candidates from the enriched chain: cash-secured
//! puts, covered calls, and short vertical credit spreads (bull put, bear call).
//!
//! Conventions (also stated in every result's `method`): prices at mid; return on capital is the
//! credit over the capital the trade ties up (strike × 100 for a cash-secured put, the shares'
//! value for a covered call, the maximum loss for a spread); annualised = return × 365 / DTE;
//! probability of profit is risk-neutral: the chance the underlying finishes past breakeven under
//! Black-Scholes-Merton with the short leg's implied volatility.

use serde::Serialize;

use crate::app::{App, ContractAnalytics, MODEL_NAME, Pricing, analyse_contract, years_to_expiry};
use crate::domain::{
    InstrumentType, MarketMetrics, OptionChain, OptionContract, OptionType, Position, Symbol, round_to,
    round4,
};
use crate::error::{AppError, ErrorCode};
use crate::quant::bsm::{self, BsmInput};
use crate::time::Date;

/// The strategies `analyze_options` evaluates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Cash-secured put.
    Csp,
    /// Covered call on 100+ shares held.
    CoveredCall,
    /// Short vertical credit spreads: bull put and bear call.
    Spread,
}

impl Strategy {
    /// Reads `csp`, `covered_call` or `spread` (a few spellings accepted).
    pub fn parse(text: &str) -> Option<Strategy> {
        match text.trim().to_ascii_lowercase().replace(['-', ' '], "_").as_str() {
            "csp" | "cash_secured_put" | "short_put" => Some(Strategy::Csp),
            "covered_call" | "cc" => Some(Strategy::CoveredCall),
            "spread" | "credit_spread" | "vertical" | "vertical_spread" => Some(Strategy::Spread),
            _ => None,
        }
    }

    /// `csp`, `covered_call` or `spread`.
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Csp => "csp",
            Strategy::CoveredCall => "covered_call",
            Strategy::Spread => "spread",
        }
    }

    /// Names of the knowledge documents to cite.
    pub fn knowledge_names(self) -> &'static [&'static str] {
        match self {
            Strategy::Csp => &["cash-secured-put"],
            Strategy::CoveredCall => &["covered-call"],
            Strategy::Spread => &["bull-put-spread", "bear-call-spread"],
        }
    }
}

/// What to look for.
#[derive(Clone, Debug, PartialEq)]
pub struct OptionsRequest {
    /// The strategy.
    pub strategy: Strategy,
    /// Fewest days to expiration.
    pub dte_min: i32,
    /// Most days to expiration.
    pub dte_max: i32,
    /// Smallest |delta| of the short leg.
    pub delta_min: f64,
    /// Largest |delta| of the short leg.
    pub delta_max: f64,
    /// Nearest support and resistance, when the caller has them (from `analyze_chart`).
    pub levels: Option<(Option<f64>, Option<f64>)>,
}

impl OptionsRequest {
    /// The defaults: 30–45 DTE, short delta 0.15–0.35.
    pub fn defaults(strategy: Strategy) -> OptionsRequest {
        OptionsRequest {
            strategy,
            dte_min: 30,
            dte_max: 45,
            delta_min: 0.15,
            delta_max: 0.35,
            levels: None,
        }
    }
}

/// One leg of a candidate, with its market and model numbers.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Leg {
    /// sell or buy.
    pub action: &'static str,
    /// call or put.
    pub option_type: OptionType,
    /// Strike.
    pub strike: f64,
    /// OCC symbol.
    pub symbol: String,
    /// Bid.
    pub bid: f64,
    /// Ask.
    pub ask: f64,
    /// Mid.
    pub mid: f64,
    /// (ask − bid) / mid, percent.
    pub spread_percent: f64,
    /// Open interest.
    pub open_interest: Option<f64>,
    /// Volume.
    pub volume: Option<f64>,
    /// IV and greeks of the contract (per share, long side).
    #[serde(flatten)]
    pub analytics: ContractAnalytics,
}

/// Position greeks of one contract of the trade ($ per contract; short legs negated).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PositionGreeks {
    /// Share-equivalent delta.
    pub delta: f64,
    /// Delta change per $1.
    pub gamma: f64,
    /// $ per calendar day (positive: time decay earns).
    pub theta: f64,
    /// $ per vol point (negative: short volatility).
    pub vega: f64,
}

/// Where the short strike stands against chart levels.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LevelContext {
    /// (spot − short strike) / spot, percent (positive: strike below the price).
    pub strike_distance_percent: f64,
    /// The level compared with: support for puts, resistance for calls.
    pub level: Option<f64>,
    /// Which level: support or resistance.
    pub level_kind: &'static str,
    /// True when the short strike is beyond the level (a put at or below support, a call at or
    /// above resistance): the level stands between the price and the strike.
    pub protected_by_level: Option<bool>,
    /// (short strike − level) / level, percent.
    pub strike_vs_level_percent: Option<f64>,
}

/// One ranked candidate trade.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Candidate {
    /// 1 is best.
    pub rank: usize,
    /// csp, covered_call, bull_put_spread or bear_call_spread.
    pub kind: &'static str,
    /// Expiration date.
    pub expiration: String,
    /// Calendar days to expiration.
    pub dte: i32,
    /// The short strike.
    pub short_strike: f64,
    /// The long strike (spreads).
    pub long_strike: Option<f64>,
    /// Spread width (spreads).
    pub width: Option<f64>,
    /// The legs.
    pub legs: Vec<Leg>,
    /// Net credit per share at mid.
    pub credit: f64,
    /// Net credit per contract ($).
    pub credit_per_contract: f64,
    /// Maximum profit per contract ($).
    pub max_profit: f64,
    /// Maximum loss per contract ($); for a covered call, the loss if the shares went to zero.
    pub max_loss: f64,
    /// Capital the trade ties up per contract ($).
    pub capital_required: f64,
    /// credit / capital, percent.
    pub return_on_capital_percent: f64,
    /// return on capital × 365 / DTE, percent.
    pub annualized_return_percent: f64,
    /// Breakeven price of the underlying at expiration.
    pub breakeven: f64,
    /// Probability of profit (risk-neutral, 0–1).
    pub pop: f64,
    /// Probability the short leg finishes in the money (0–1).
    pub short_prob_itm: Option<f64>,
    /// credit / width (spreads).
    pub credit_to_width: Option<f64>,
    /// Greeks of one contract of the position.
    pub greeks: PositionGreeks,
    /// The short strike against support or resistance.
    pub levels: LevelContext,
    /// Whether earnings fall before expiration.
    pub earnings_before_expiration: Option<bool>,
    /// Wide markets, thin open interest, ...
    pub liquidity_warnings: Vec<String>,
    /// Ranking score (higher is better); see `method.ranking`.
    pub score: f64,
    /// How the score was made.
    pub score_parts: ScoreParts,
}

/// The parts of a candidate's score.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScoreParts {
    /// Probability of profit.
    pub pop: f64,
    /// Annualised return, percent, capped at 100.
    pub annualized_capped: f64,
    /// 1, 0.8 or 0.6 by liquidity warnings.
    pub liquidity_factor: f64,
    /// 1.1 when a chart level protects the short strike, else 1.
    pub level_factor: f64,
}

/// IV rank context of the underlying.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IvContext {
    /// IV rank (0–1).
    pub iv_rank: Option<f64>,
    /// IV percentile (0–1).
    pub iv_percentile: Option<f64>,
    /// IV index (fraction).
    pub iv_index: Option<f64>,
    /// 30-day historical volatility (fraction).
    pub hv_30: Option<f64>,
    /// Next earnings date.
    pub earnings_date: Option<String>,
    /// What the IV rank means for selling premium.
    pub assessment: String,
}

/// Rejection counts, so it is clear why a chain gave few candidates.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Rejected {
    /// Expirations outside the DTE window.
    pub expirations_outside_dte: usize,
    /// Contracts outside the delta window.
    pub outside_delta: usize,
    /// Contracts without a two-sided market (not guessed).
    pub no_two_sided_market: usize,
    /// Contracts whose mid has no implied volatility.
    pub no_implied_volatility: usize,
    /// Spreads with no net credit or a credit below 10% of the width.
    pub credit_too_small: usize,
}

/// How the numbers were computed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Method {
    /// Option model.
    pub model: &'static str,
    /// Pricing.
    pub pricing: &'static str,
    /// Probability of profit.
    pub pop: &'static str,
    /// Return on capital.
    pub return_on_capital: &'static str,
    /// Annualisation.
    pub annualized: &'static str,
    /// Ranking.
    pub ranking: &'static str,
    /// Risk-free rate used.
    pub risk_free_rate: f64,
    /// Dividend yield used.
    pub dividend_yield: f64,
    /// Time the chain's quotes were taken.
    pub quotes_at: String,
}

/// A knowledge document to read.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Citation {
    /// Document title.
    pub title: String,
    /// Resource URI.
    pub uri: String,
}

/// The result of an options analysis.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OptionsAnalysis {
    /// The underlying.
    pub symbol: String,
    /// csp, covered_call or spread.
    pub strategy: Strategy,
    /// Underlying price used.
    pub underlying_price: f64,
    /// Market clock date.
    pub as_of: String,
    /// The windows applied.
    pub filters: FiltersUsed,
    /// Whether the strategy can be traded in this account (covered calls need 100 shares).
    pub eligible: bool,
    /// Why not, or why there are no candidates.
    pub reason: Option<String>,
    /// Shares of the underlying held (covered calls).
    pub shares_held: Option<f64>,
    /// IV rank context.
    pub iv_context: IvContext,
    /// Support and resistance used and where they came from.
    pub chart_levels: ChartLevels,
    /// Ranked candidates, best first (at most 10).
    pub candidates: Vec<Candidate>,
    /// Candidates evaluated before ranking.
    pub evaluated: usize,
    /// Why contracts were left out.
    pub rejected: Rejected,
    /// How the numbers were computed.
    pub method: Method,
    /// Knowledge documents about the strategy.
    pub knowledge: Vec<Citation>,
    /// Data source.
    pub source: String,
    /// True for made-up data.
    pub synthetic: bool,
}

/// The windows applied.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FiltersUsed {
    /// DTE floor.
    pub dte_min: i32,
    /// DTE ceiling.
    pub dte_max: i32,
    /// Short |delta| floor.
    pub delta_min: f64,
    /// Short |delta| ceiling.
    pub delta_max: f64,
}

/// Support and resistance used.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChartLevels {
    /// Nearest support.
    pub nearest_support: Option<f64>,
    /// Nearest resistance.
    pub nearest_resistance: Option<f64>,
    /// chart_context (given), computed (daily chart analysis) or unavailable.
    pub from: &'static str,
}

const METHOD_POP: &str = "risk-neutral probability that the underlying finishes past the breakeven at expiration (Black-Scholes-Merton with the short leg's implied volatility)";
const METHOD_ROC: &str = "credit / capital required: strike × 100 for a cash-secured put, the shares' value (price × 100) for a covered call, the maximum loss for a spread";
const METHOD_RANK: &str = "score = POP × min(annualized return %, 100) × liquidity factor (1, 0.8 with one warning, 0.6 with more) × level factor (1.1 when support/resistance lies between the price and the short strike)";

/// Everything the pure analysis needs.
#[derive(Clone, Debug)]
pub struct OptionsInput<'a> {
    /// The chain.
    pub chain: &'a OptionChain,
    /// Underlying price, rates, quote time.
    pub pricing: Pricing,
    /// Market clock date.
    pub today: Date,
    /// Volatility metrics, when known.
    pub metrics: Option<&'a MarketMetrics>,
    /// The request.
    pub request: &'a OptionsRequest,
}

struct Quoted<'a> {
    contract: &'a OptionContract,
    mid: f64,
    analytics: ContractAnalytics,
}

fn leg(action: &'static str, option_type: OptionType, strike: f64, q: &Quoted<'_>) -> Leg {
    let bid = q.contract.bid.unwrap_or_default();
    let ask = q.contract.ask.unwrap_or_default();
    Leg {
        action,
        option_type,
        strike,
        symbol: q.contract.symbol.clone(),
        bid,
        ask,
        mid: q.mid,
        spread_percent: if q.mid > 0.0 {
            round_to((ask - bid) / q.mid * 100.0, 2)
        } else {
            0.0
        },
        open_interest: q.contract.open_interest,
        volume: q.contract.volume,
        analytics: q.analytics,
    }
}

fn liquidity_warnings(legs: &[Leg]) -> Vec<String> {
    let mut warnings = Vec::new();
    for l in legs {
        if l.spread_percent > 10.0 {
            warnings.push(format!(
                "wide market on the {} {} {}: {}% of mid",
                l.action,
                l.strike,
                l.option_type.as_str(),
                l.spread_percent
            ));
        }
        if l.open_interest.is_some_and(|oi| oi < 100.0) {
            warnings.push(format!(
                "thin open interest on the {} {}: {}",
                l.strike,
                l.option_type.as_str(),
                l.open_interest.unwrap_or_default()
            ));
        }
    }
    warnings
}

/// P(S_T above `level`) (`above`) or below it, risk-neutral, at volatility `vol`.
fn prob_beyond(pricing: &Pricing, t: f64, vol: f64, level: f64, above: bool) -> f64 {
    if level <= 0.0 {
        return if above { 1.0 } else { 0.0 };
    }
    let option_type = if above { OptionType::Call } else { OptionType::Put };
    let input = BsmInput {
        option_type,
        spot: pricing.spot,
        strike: level,
        t,
        vol,
        rate: pricing.rate,
        div: pricing.dividend_yield,
    };
    bsm::prob_itm(&input).unwrap_or(0.0)
}

fn iv_context(metrics: Option<&MarketMetrics>) -> IvContext {
    let rank = metrics.and_then(|m| m.iv_rank);
    let assessment = match rank {
        Some(r) if r >= 0.5 => format!(
            "IV rank {r:.2}: implied volatility is high for this underlying; premium is rich and selling it is favoured"
        ),
        Some(r) if r >= 0.3 => format!("IV rank {r:.2}: implied volatility is moderate; premium is fair"),
        Some(r) => format!(
            "IV rank {r:.2}: implied volatility is low for this underlying; premium is cheap, consider waiting or smaller size"
        ),
        None => "no IV rank available: judge premium by the candidates' IV against HV".to_owned(),
    };
    IvContext {
        iv_rank: rank,
        iv_percentile: metrics.and_then(|m| m.iv_percentile),
        iv_index: metrics.and_then(|m| m.iv_index),
        hv_30: metrics.and_then(|m| m.hv_30),
        earnings_date: metrics.and_then(|m| m.earnings_date).map(|d| d.to_string()),
        assessment,
    }
}

struct Draft {
    kind: &'static str,
    expiration: Date,
    dte: i32,
    short_strike: f64,
    long_strike: Option<f64>,
    legs: Vec<Leg>,
    credit: f64,
    capital: f64,
    max_loss: f64,
    breakeven: f64,
    pop: f64,
    short_prob_itm: Option<f64>,
    greeks: PositionGreeks,
    put_side: bool,
}

fn position_greeks(legs: &[Leg]) -> PositionGreeks {
    let mut g = PositionGreeks::default();
    for l in legs {
        let sign = if l.action == "sell" { -100.0 } else { 100.0 };
        g.delta += sign * l.analytics.delta.unwrap_or_default();
        g.gamma += sign * l.analytics.gamma.unwrap_or_default();
        g.theta += sign * l.analytics.theta.unwrap_or_default();
        g.vega += sign * l.analytics.vega.unwrap_or_default();
    }
    PositionGreeks {
        delta: round_to(g.delta, 2),
        gamma: round_to(g.gamma, 4),
        theta: round_to(g.theta, 2),
        vega: round_to(g.vega, 2),
    }
}

/// Ranks candidates (pure; see the module docs for the conventions).
pub fn rank_candidates(input: &OptionsInput<'_>) -> (Vec<Candidate>, usize, Rejected) {
    let req = input.request;
    let pricing = &input.pricing;
    let spot = pricing.spot;
    let mut rejected = Rejected::default();
    let mut drafts: Vec<Draft> = Vec::new();
    let earnings = input.metrics.and_then(|m| m.earnings_date);
    for expiration in &input.chain.expirations {
        let dte = input.today.days_until(expiration.date);
        if dte < req.dte_min || dte > req.dte_max {
            rejected.expirations_outside_dte += 1;
            continue;
        }
        let t = years_to_expiry(pricing.quotes_at, expiration.date);
        let side = |option_type: OptionType| -> Vec<(f64, Option<Quoted<'_>>)> {
            expiration
                .strikes
                .iter()
                .filter_map(|row| {
                    let contract = row.side(option_type)?;
                    let quoted = contract.mid().map(|mid| Quoted {
                        contract,
                        mid,
                        analytics: analyse_contract(
                            pricing,
                            option_type,
                            row.strike,
                            expiration.date,
                            contract,
                        ),
                    });
                    Some((row.strike, quoted))
                })
                .collect()
        };
        let wanted: &[OptionType] = match req.strategy {
            Strategy::Csp => &[OptionType::Put],
            Strategy::CoveredCall => &[OptionType::Call],
            Strategy::Spread => &[OptionType::Put, OptionType::Call],
        };
        for &option_type in wanted {
            let contracts = side(option_type);
            for (i, (strike, quoted)) in contracts.iter().enumerate() {
                let Some(q) = quoted else {
                    rejected.no_two_sided_market += 1;
                    continue;
                };
                let Some(delta) = q.analytics.delta else {
                    rejected.no_implied_volatility += 1;
                    continue;
                };
                // Short strikes on the out-of-the-money side only.
                let otm = match option_type {
                    OptionType::Put => *strike < spot,
                    OptionType::Call => *strike > spot,
                };
                if !otm || delta.abs() < req.delta_min || delta.abs() > req.delta_max {
                    rejected.outside_delta += 1;
                    continue;
                }
                let vol = q.analytics.iv.unwrap_or_default();
                let short = leg("sell", option_type, *strike, q);
                match req.strategy {
                    Strategy::Csp => {
                        let breakeven = round4(strike - q.mid);
                        drafts.push(Draft {
                            kind: "csp",
                            expiration: expiration.date,
                            dte,
                            short_strike: *strike,
                            long_strike: None,
                            greeks: position_greeks(std::slice::from_ref(&short)),
                            legs: vec![short],
                            credit: q.mid,
                            capital: strike * 100.0,
                            max_loss: round_to((strike - q.mid) * 100.0, 2),
                            breakeven,
                            pop: prob_beyond(pricing, t, vol, breakeven, true),
                            short_prob_itm: q.analytics.prob_itm,
                            put_side: true,
                        });
                    }
                    Strategy::CoveredCall => {
                        let breakeven = round4(spot - q.mid);
                        let mut greeks = position_greeks(std::slice::from_ref(&short));
                        greeks.delta = round_to(greeks.delta + 100.0, 2);
                        drafts.push(Draft {
                            kind: "covered_call",
                            expiration: expiration.date,
                            dte,
                            short_strike: *strike,
                            long_strike: None,
                            greeks,
                            legs: vec![short],
                            credit: q.mid,
                            capital: spot * 100.0,
                            max_loss: round_to((spot - q.mid) * 100.0, 2),
                            breakeven,
                            pop: prob_beyond(pricing, t, vol, breakeven, true),
                            short_prob_itm: q.analytics.prob_itm,
                            put_side: false,
                        });
                    }
                    Strategy::Spread => {
                        // The long leg: one to three strikes further out of the money.
                        let further: Vec<&(f64, Option<Quoted<'_>>)> = match option_type {
                            OptionType::Put => contracts
                                .get(..i)
                                .unwrap_or_default()
                                .iter()
                                .rev()
                                .take(3)
                                .collect(),
                            OptionType::Call => contracts
                                .get(i + 1..)
                                .unwrap_or_default()
                                .iter()
                                .take(3)
                                .collect(),
                        };
                        for (long_strike, long_quote) in further {
                            let Some(lq) = long_quote else {
                                rejected.no_two_sided_market += 1;
                                continue;
                            };
                            let width = (strike - long_strike).abs();
                            let credit = round4(q.mid - lq.mid);
                            if width <= 0.0 || credit <= 0.0 || credit < 0.1 * width {
                                rejected.credit_too_small += 1;
                                continue;
                            }
                            let long = leg("buy", option_type, *long_strike, lq);
                            let legs = vec![short.clone(), long];
                            let (kind, breakeven, above) = match option_type {
                                OptionType::Put => ("bull_put_spread", round4(strike - credit), true),
                                OptionType::Call => ("bear_call_spread", round4(strike + credit), false),
                            };
                            let max_loss = round_to((width - credit) * 100.0, 2);
                            drafts.push(Draft {
                                kind,
                                expiration: expiration.date,
                                dte,
                                short_strike: *strike,
                                long_strike: Some(*long_strike),
                                greeks: position_greeks(&legs),
                                legs,
                                credit,
                                capital: max_loss,
                                max_loss,
                                breakeven,
                                pop: prob_beyond(pricing, t, vol, breakeven, above),
                                short_prob_itm: q.analytics.prob_itm,
                                put_side: option_type == OptionType::Put,
                            });
                        }
                    }
                }
            }
        }
    }
    let evaluated = drafts.len();
    let (support, resistance) = input.request.levels.unwrap_or((None, None));
    let mut candidates: Vec<Candidate> = drafts
        .into_iter()
        .filter(|d| d.capital > 0.0 && d.dte > 0)
        .map(|d| {
            let roc = d.credit * 100.0 / d.capital * 100.0;
            let annualized = roc * 365.0 / f64::from(d.dte);
            let warnings = liquidity_warnings(&d.legs);
            let liquidity_factor = match warnings.len() {
                0 => 1.0,
                1 => 0.8,
                _ => 0.6,
            };
            let (level, level_kind) = if d.put_side {
                (support, "support")
            } else {
                (resistance, "resistance")
            };
            let protected = level.map(|l| {
                if d.put_side {
                    d.short_strike <= l
                } else {
                    d.short_strike >= l
                }
            });
            let level_factor = if protected == Some(true) { 1.1 } else { 1.0 };
            let pop = round_to(d.pop, 4);
            let annualized_capped = round_to(annualized.min(100.0), 2);
            let score = round_to(pop * annualized_capped * liquidity_factor * level_factor, 3);
            let width = d.long_strike.map(|l| (d.short_strike - l).abs());
            Candidate {
                rank: 0,
                kind: d.kind,
                expiration: d.expiration.to_string(),
                dte: d.dte,
                short_strike: d.short_strike,
                long_strike: d.long_strike,
                width,
                credit: d.credit,
                credit_per_contract: round_to(d.credit * 100.0, 2),
                max_profit: round_to(d.credit * 100.0, 2),
                max_loss: d.max_loss,
                capital_required: round_to(d.capital, 2),
                return_on_capital_percent: round_to(roc, 2),
                annualized_return_percent: round_to(annualized, 2),
                breakeven: d.breakeven,
                pop,
                short_prob_itm: d.short_prob_itm,
                credit_to_width: width.map(|w| round_to(d.credit / w, 3)),
                greeks: d.greeks,
                levels: LevelContext {
                    strike_distance_percent: round_to((spot - d.short_strike) / spot * 100.0, 2),
                    level,
                    level_kind,
                    protected_by_level: protected,
                    strike_vs_level_percent: level
                        .filter(|l| *l > 0.0)
                        .map(|l| round_to((d.short_strike - l) / l * 100.0, 2)),
                },
                earnings_before_expiration: earnings.map(|e| e >= input.today && e <= d.expiration),
                liquidity_warnings: warnings,
                score,
                score_parts: ScoreParts {
                    pop,
                    annualized_capped,
                    liquidity_factor,
                    level_factor,
                },
                legs: d.legs,
            }
        })
        .collect();
    candidates.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.pop.total_cmp(&a.pop))
            .then(a.expiration.cmp(&b.expiration))
            .then(a.short_strike.total_cmp(&b.short_strike))
    });
    candidates.truncate(10);
    for (i, c) in candidates.iter_mut().enumerate() {
        c.rank = i + 1;
    }
    (candidates, evaluated, rejected)
}

/// Levels given by the caller: a whole `analyze_chart` result or just the two numbers.
pub fn levels_from_context(
    context: &serde_json::Map<String, serde_json::Value>,
) -> Option<(Option<f64>, Option<f64>)> {
    let get = |key: &str| {
        context
            .get(key)
            .or_else(|| context.get("levels").and_then(|l| l.get(key)))
            .and_then(serde_json::Value::as_f64)
            .filter(|v| v.is_finite() && *v > 0.0)
    };
    let (support, resistance) = (get("nearest_support"), get("nearest_resistance"));
    (support.is_some() || resistance.is_some()).then_some((support, resistance))
}

impl App {
    /// Shares of `symbol` held in the default account, with the positions.
    pub(crate) async fn shares_held(&self, symbol: &Symbol) -> Result<(f64, Vec<Position>), AppError> {
        let (account, _) = self.resolve_account(None).await?;
        let positions = self.broker().positions(&account).await?;
        let shares = positions
            .iter()
            .filter(|p| p.instrument_type == InstrumentType::Equity && &p.symbol == symbol)
            .map(|p| p.quantity)
            .sum::<f64>();
        // `+ 0.0` turns a negative zero (no shares) into 0.
        Ok((shares + 0.0, positions))
    }

    /// Knowledge documents to cite for a strategy.
    pub(crate) async fn citations(&self, strategy: Strategy) -> Vec<Citation> {
        let base = self.knowledge().await;
        strategy
            .knowledge_names()
            .iter()
            .filter_map(|name| base.strategy(name))
            .map(|d| Citation {
                title: d.title.clone(),
                uri: format!("knowledge://documents/{}", d.path),
            })
            .collect()
    }

    /// Ranked candidates for a strategy on a symbol.
    pub async fn analyze_options(
        &self,
        symbol: &Symbol,
        mut request: OptionsRequest,
    ) -> Result<OptionsAnalysis, AppError> {
        if request.dte_min > request.dte_max {
            return Err(AppError::invalid(
                "dte_min",
                format!("must not exceed dte_max ({})", request.dte_max),
            ));
        }
        if !(request.delta_min.is_finite()
            && request.delta_max.is_finite()
            && request.delta_min <= request.delta_max)
        {
            return Err(AppError::invalid("delta_min", "must not exceed delta_max"));
        }
        let chain = self.option_chain(symbol).await?;
        let spot = self.chain_underlying_price(&chain).await.ok_or_else(|| {
            AppError::new(
                ErrorCode::AnalysisError,
                format!("no price for {symbol}: the options cannot be valued"),
            )
        })?;
        let metrics = self.metrics_of(symbol).await;
        let (dividend_yield, _) = self.dividend_yield(symbol).await;
        let pricing = Pricing {
            spot,
            rate: self.config().risk_free_rate,
            dividend_yield,
            quotes_at: chain.as_of,
        };
        let levels_from = if request.levels.is_some() {
            "chart_context"
        } else {
            match self
                .analyze_chart(symbol, crate::domain::Timeframe::Daily, false)
                .await
            {
                Ok((chart, _)) => {
                    request.levels = Some((chart.levels.nearest_support, chart.levels.nearest_resistance));
                    "computed"
                }
                Err(err) => {
                    tracing::debug!(error = %err, "no chart levels for the options analysis");
                    "unavailable"
                }
            }
        };
        let (eligible, reason, shares_held) = if request.strategy == Strategy::CoveredCall {
            let (shares, _) = self.shares_held(symbol).await?;
            if shares >= 100.0 {
                (true, None, Some(shares))
            } else {
                (
                    false,
                    Some(format!(
                        "a covered call needs 100 shares of {symbol} per contract; the account holds {shares}. Consider a cash-secured put (strategy csp) to get assigned shares first"
                    )),
                    Some(shares),
                )
            }
        } else {
            (true, None, None)
        };
        let today = self.broker().now().date();
        let input = OptionsInput {
            chain: &chain,
            pricing,
            today,
            metrics: metrics.as_ref(),
            request: &request,
        };
        let (candidates, evaluated, rejected) = if eligible {
            rank_candidates(&input)
        } else {
            (Vec::new(), 0, Rejected::default())
        };
        let reason = reason.or_else(|| {
            candidates.is_empty().then(|| {
                format!(
                    "no {} candidate on {symbol} with {}–{} DTE and short delta {}–{} (see `rejected`); widen the windows",
                    request.strategy.as_str(),
                    request.dte_min,
                    request.dte_max,
                    request.delta_min,
                    request.delta_max
                )
            })
        });
        let (support, resistance) = request.levels.unwrap_or((None, None));
        let source = self.source();
        Ok(OptionsAnalysis {
            symbol: symbol.to_string(),
            strategy: request.strategy,
            underlying_price: round4(spot),
            as_of: today.to_string(),
            filters: FiltersUsed {
                dte_min: request.dte_min,
                dte_max: request.dte_max,
                delta_min: request.delta_min,
                delta_max: request.delta_max,
            },
            eligible,
            reason,
            shares_held,
            iv_context: iv_context(metrics.as_ref()),
            chart_levels: ChartLevels {
                nearest_support: support,
                nearest_resistance: resistance,
                from: levels_from,
            },
            candidates,
            evaluated,
            rejected,
            method: Method {
                model: MODEL_NAME,
                pricing: "every leg at the mid of its bid and ask",
                pop: METHOD_POP,
                return_on_capital: METHOD_ROC,
                annualized: "return on capital × 365 / days to expiration",
                ranking: METHOD_RANK,
                risk_free_rate: pricing.rate,
                dividend_yield: pricing.dividend_yield,
                quotes_at: chain.as_of.to_string(),
            },
            knowledge: self.citations(request.strategy).await,
            source: source.source,
            synthetic: source.synthetic,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::app::AppConfig;
    use crate::domain::{Expiration, StrikeRow};
    use crate::testing::{FakeBroker, InMemoryStore, sample_market, sample_now};
    use crate::time::Timestamp;

    fn contract(bid: f64, ask: f64) -> OptionContract {
        OptionContract {
            symbol: "X".into(),
            streamer_symbol: None,
            bid: Some(bid),
            ask: Some(ask),
            last: None,
            volume: Some(500.0),
            open_interest: Some(2000.0),
            broker_greeks: None,
        }
    }

    fn one_put_chain(quotes_at: Timestamp, expiration: Date) -> OptionChain {
        OptionChain {
            underlying: Symbol::parse("X").unwrap(),
            underlying_price: Some(100.0),
            shares_per_contract: 100,
            exercise_style: "American".into(),
            expirations: vec![Expiration {
                date: expiration,
                expiration_type: "Regular".into(),
                settlement: "PM".into(),
                strikes: vec![StrikeRow {
                    strike: 95.0,
                    call: None,
                    put: Some(contract(1.00, 1.10)),
                }],
                underlying: None,
            }],
            as_of: quotes_at,
        }
    }

    #[test]
    fn a_put_at_a_known_strike_and_premium_gives_the_known_returns() {
        let quotes_at: Timestamp = "2025-01-15T21:00:00Z".parse().unwrap();
        let expiration = Date::from_ymd(2025, 2, 14).unwrap(); // 30 days out
        let chain = one_put_chain(quotes_at, expiration);
        let request = OptionsRequest {
            delta_min: 0.05,
            delta_max: 0.5,
            ..OptionsRequest::defaults(Strategy::Csp)
        };
        let input = OptionsInput {
            chain: &chain,
            pricing: Pricing {
                spot: 100.0,
                rate: 0.04,
                dividend_yield: 0.0,
                quotes_at,
            },
            today: quotes_at.date(),
            metrics: None,
            request: &request,
        };
        let (candidates, evaluated, _) = rank_candidates(&input);
        assert_eq!(evaluated, 1);
        let c = &candidates[0];
        assert_eq!((c.kind, c.dte, c.short_strike), ("csp", 30, 95.0));
        assert_eq!(c.credit, 1.05);
        assert_eq!(c.credit_per_contract, 105.0);
        assert_eq!(c.capital_required, 9500.0);
        // 1.05 / 95 = 1.1053 %; × 365 / 30 = 13.447 %.
        assert_eq!(c.return_on_capital_percent, 1.11);
        assert_eq!(c.annualized_return_percent, 13.45);
        assert_eq!(c.breakeven, 93.95);
        assert_eq!(c.max_loss, 9395.0);
        // POP = P(S_T > 93.95) at the put's implied volatility, recomputed here.
        let iv = c.legs[0].analytics.iv.unwrap();
        let t = years_to_expiry(quotes_at, expiration);
        let expected = bsm::prob_itm(&BsmInput {
            option_type: OptionType::Call,
            spot: 100.0,
            strike: 93.95,
            t,
            vol: iv,
            rate: 0.04,
            div: 0.0,
        })
        .unwrap();
        assert!((c.pop - expected).abs() < 1e-4, "{} vs {expected}", c.pop);
        assert!(c.pop > 0.5 && c.pop < 1.0);
        assert!(c.greeks.theta > 0.0, "a short put earns time decay");
        assert_eq!(
            c.greeks.delta,
            round_to(-100.0 * c.legs[0].analytics.delta.unwrap(), 2)
        );
    }

    #[test]
    fn contracts_outside_the_windows_or_without_a_market_are_counted_not_guessed() {
        let quotes_at: Timestamp = "2025-01-15T21:00:00Z".parse().unwrap();
        let mut chain = one_put_chain(quotes_at, Date::from_ymd(2025, 2, 14).unwrap());
        if let Some(row) = chain.expirations[0].strikes.first_mut() {
            row.put = Some(contract(0.0, 0.05));
        }
        let request = OptionsRequest::defaults(Strategy::Csp);
        let input = OptionsInput {
            chain: &chain,
            pricing: Pricing {
                spot: 100.0,
                rate: 0.04,
                dividend_yield: 0.0,
                quotes_at,
            },
            today: quotes_at.date(),
            metrics: None,
            request: &request,
        };
        let (candidates, _, rejected) = rank_candidates(&input);
        assert!(candidates.is_empty());
        assert_eq!(rejected.no_two_sided_market, 1);
        let far = OptionsRequest {
            dte_min: 60,
            dte_max: 90,
            ..OptionsRequest::defaults(Strategy::Csp)
        };
        let input = OptionsInput {
            request: &far,
            ..input
        };
        assert_eq!(rank_candidates(&input).2.expirations_outside_dte, 1);
    }

    fn app_with_spy_shares(quantity: f64) -> App {
        let mut market = sample_market();
        for p in &mut market.positions {
            if p.symbol.as_str() == "SPY" {
                p.quantity = quantity;
            }
        }
        let config = AppConfig {
            default_account: None,
            risk_free_rate: 0.04,
            dividend_yield: 0.0,
            quote_ttl: Duration::from_secs(60),
            chain_ttl: Duration::from_secs(300),
        };
        App::new(
            Arc::new(FakeBroker::new(market, sample_now())),
            Arc::new(InMemoryStore::new()),
            config,
        )
    }

    #[tokio::test]
    async fn fifty_shares_make_a_covered_call_say_why_not() {
        let app = app_with_spy_shares(50.0);
        let spy = Symbol::parse("SPY").unwrap();
        let analysis = app
            .analyze_options(&spy, OptionsRequest::defaults(Strategy::CoveredCall))
            .await
            .unwrap();
        assert!(!analysis.eligible);
        assert!(analysis.candidates.is_empty());
        let reason = analysis.reason.unwrap();
        assert!(
            reason.contains("100 shares") && reason.contains("holds 50"),
            "{reason}"
        );
        let app = app_with_spy_shares(200.0);
        let analysis = app
            .analyze_options(
                &spy,
                OptionsRequest {
                    delta_min: 0.05,
                    delta_max: 0.6,
                    dte_min: 0,
                    dte_max: 60,
                    ..OptionsRequest::defaults(Strategy::CoveredCall)
                },
            )
            .await
            .unwrap();
        assert!(analysis.eligible);
        assert!(!analysis.candidates.is_empty());
        assert!(
            analysis
                .candidates
                .iter()
                .all(|c| c.kind == "covered_call" && c.short_strike > analysis.underlying_price)
        );
    }

    #[tokio::test]
    async fn spreads_have_a_capped_loss_and_a_credit_below_the_width() {
        let app = app_with_spy_shares(100.0);
        let spy = Symbol::parse("SPY").unwrap();
        let analysis = app
            .analyze_options(
                &spy,
                OptionsRequest {
                    delta_min: 0.05,
                    delta_max: 0.6,
                    dte_min: 0,
                    dte_max: 60,
                    ..OptionsRequest::defaults(Strategy::Spread)
                },
            )
            .await
            .unwrap();
        assert!(!analysis.candidates.is_empty(), "{:?}", analysis.rejected);
        for c in &analysis.candidates {
            let width = c.width.unwrap();
            assert!(c.credit > 0.0 && c.credit < width);
            assert_eq!(c.max_loss, round_to((width - c.credit) * 100.0, 2));
            assert_eq!(c.capital_required, c.max_loss);
            match c.kind {
                "bull_put_spread" => {
                    assert!(c.long_strike.unwrap() < c.short_strike && c.breakeven < c.short_strike)
                }
                "bear_call_spread" => {
                    assert!(c.long_strike.unwrap() > c.short_strike && c.breakeven > c.short_strike)
                }
                other => panic!("{other}"),
            }
        }
        assert!(analysis.candidates.windows(2).all(|w| w[0].score >= w[1].score));
        assert_eq!(analysis.knowledge.len(), 2);
    }

    #[test]
    fn strategy_names_are_read_leniently() {
        assert_eq!(Strategy::parse("CSP"), Some(Strategy::Csp));
        assert_eq!(Strategy::parse("covered-call"), Some(Strategy::CoveredCall));
        assert_eq!(Strategy::parse("credit spread"), Some(Strategy::Spread));
        assert_eq!(Strategy::parse("butterfly"), None);
    }
}
