//! `analyze_options`: ranked short-premium candidates from the enriched chain: cash-secured
//! puts, covered calls, and short vertical credit spreads (bull put, bear call), sized to the
//! account.
//!
//! Conventions (also stated in every result's `method`):
//! - Prices: every credit is a limit a trader can enter: the mid rounded down onto the option's
//!   tick (never below the natural price), with the exact mid and the natural price beside it;
//!   every figure (credit per contract, returns, breakeven, maximum loss, expected value) uses
//!   that limit.
//! - Return on capital is the credit over the capital the trade ties up (strike × 100 for a
//!   cash-secured put, the shares' value for a covered call, the maximum loss for a spread);
//!   annualised = return × 365 / DTE.
//! - Probability of profit is risk-neutral: the chance the underlying finishes past breakeven
//!   under Black-Scholes-Merton with the short leg's implied volatility.
//! - Ranking is by expected value per dollar at risk: the payoff at expiration integrated over a
//!   lognormal distribution whose volatility is NOT each option's own (priced at its own IV,
//!   every trade is worth about zero) but the expiration's at-the-money IV blended half and half
//!   with the 30-day historical volatility. Skew (a put's IV above the ATM IV) and IV above HV
//!   both show as edge; IV below HV as a cost.
//! - Time runs (ACT/365) to 16:00 America/New_York on the expiration date.

use serde::Serialize;

use super::sizing::{self, AccountContext, RiskLimits, Sizing};
use crate::app::{
    App, ContractAnalytics, ExpectedMove, MODEL_NAME, Pricing, analyse_contract, atm_iv, expected_move,
    years_to_expiry,
};
use crate::domain::{
    LimitPrice, MarketMetrics, OptionChain, OptionContract, OptionType, Symbol, TickClass, round_to, round4,
};
use crate::error::{AppError, ErrorCode};
use crate::quant::bsm::{self, BsmInput};
use crate::time::Date;

/// IV rank at or above this: premium is rich for the underlying.
pub const IV_RANK_HIGH: f64 = 0.5;
/// IV rank below this: premium is cheap for the underlying (a major caution for selling).
pub const IV_RANK_LOW: f64 = 0.3;
/// Weight of the ATM IV in the model volatility (the rest is the 30-day HV).
pub(crate) const MODEL_IV_WEIGHT: f64 = 0.5;

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
    /// The daily ATR(14): a level nearer the price than half of it is not protection.
    pub atr: Option<f64>,
    /// Covered calls: the shares' average cost; strikes below it are left out unless
    /// `allow_below_basis`.
    pub cost_basis: Option<f64>,
    /// Covered calls: keep strikes below the cost basis.
    pub allow_below_basis: bool,
    /// Credit spreads must collect at least this share of their width (0–1).
    pub min_credit_to_width: f64,
    /// Earnings before expiration is a major caution instead of a blocking one.
    pub allow_earnings: bool,
    /// Exposure cap for this call, percent of net liq (`None`: the setting).
    pub max_exposure_percent: Option<f64>,
    /// Option buying power cap for this call, percent of net liq (`None`: the setting).
    pub max_bp_usage_percent: Option<f64>,
}

impl OptionsRequest {
    /// The defaults: 30–45 DTE, short delta 0.15–0.35, spreads collecting at least 1/5 of their
    /// width, nothing below the cost basis, earnings blocking.
    pub fn defaults(strategy: Strategy) -> OptionsRequest {
        OptionsRequest {
            strategy,
            dte_min: 30,
            dte_max: 45,
            delta_min: 0.15,
            delta_max: 0.35,
            levels: None,
            atr: None,
            cost_basis: None,
            allow_below_basis: false,
            min_credit_to_width: sizing::DEFAULT_MIN_CREDIT_TO_WIDTH,
            allow_earnings: false,
            max_exposure_percent: None,
            max_bp_usage_percent: None,
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
    /// (spot − short strike) / the expiration's 1σ expected move.
    pub strike_distance_sigma: Option<f64>,
    /// The level compared with: support for puts, resistance for calls.
    pub level: Option<f64>,
    /// Which level: support or resistance.
    pub level_kind: &'static str,
    /// |price − level| in daily ATRs.
    pub level_distance_atr: Option<f64>,
    /// True when the short strike is beyond the level (a put at or below support, a call at or
    /// above resistance) and the level is at least half an ATR from the price: the level stands
    /// between the price and the strike. A level nearer than half an ATR is not protection.
    pub protected_by_level: Option<bool>,
    /// (short strike − level) / level, percent.
    pub strike_vs_level_percent: Option<f64>,
}

/// A covered call measured against the shares' cost as well as today's price.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CoveredCallBasis {
    /// Average open price of the shares.
    pub cost_basis: f64,
    /// credit / cost basis, percent.
    pub return_on_basis_percent: f64,
    /// Cost basis − credit.
    pub breakeven_on_basis: f64,
    /// (strike − cost basis + credit) × 100: the P&L per contract if the shares are called away.
    pub pnl_if_assigned: f64,
    /// (strike − price + credit) × 100: the same measured from today's price.
    pub pnl_if_assigned_from_price: f64,
    /// True when the strike is below the cost basis (assignment locks in a loss on the shares).
    pub below_basis: bool,
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
    /// The limit price to enter (net credit per share): the mid rounded down onto the tick,
    /// never below the natural price. Every figure below uses it.
    pub credit: f64,
    /// The exact mid, the natural price and the tick beside the limit.
    pub price: LimitPrice,
    /// credit × 100 ($ per contract).
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
    /// Breakeven price of the underlying at expiration (from today's price for a covered call).
    pub breakeven: f64,
    /// Probability of profit (risk-neutral at the short leg's IV, 0–1).
    pub pop: f64,
    /// Probability the short leg finishes in the money (0–1).
    pub short_prob_itm: Option<f64>,
    /// credit / width (spreads).
    pub credit_to_width: Option<f64>,
    /// Expected value per contract at expiration ($) under the model distribution.
    pub expected_value: f64,
    /// expected value / maximum loss (the ranking figure; 0.01 = one cent per dollar at risk).
    pub ev_per_dollar_at_risk: f64,
    /// Covered calls: the figures against the cost basis.
    pub basis: Option<CoveredCallBasis>,
    /// Greeks of one contract of the position.
    pub greeks: PositionGreeks,
    /// The short strike against support or resistance.
    pub levels: LevelContext,
    /// Whether earnings fall before expiration.
    pub earnings_before_expiration: Option<bool>,
    /// Wide markets, thin open interest, ...
    pub liquidity_warnings: Vec<String>,
    /// How many contracts fit the account's caps (null without an account).
    pub sizing: Option<Sizing>,
    /// Ranking score: expected value per dollar at risk, percent.
    pub score: f64,
    /// How the score was made.
    pub score_parts: ScoreParts,
}

/// The parts of a candidate's score.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScoreParts {
    /// The model volatility the payoff was integrated over (fraction).
    pub model_vol: f64,
    /// Where it came from: `atm_iv+hv30`, `atm_iv`, `hv30` or `own_iv`.
    pub model_vol_source: &'static str,
    /// The options' net value per share at the model volatility.
    pub model_value: f64,
    /// Expected value per contract ($).
    pub expected_value: f64,
    /// Dollars at risk per contract (the maximum loss).
    pub at_risk: f64,
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
    /// IV rank thresholds: `[low, high]`.
    pub iv_rank_thresholds: [f64; 2],
    /// One sentence reconciling IV against HV with IV rank.
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
    /// Spreads with no net credit at the limit or collecting less than the minimum share of
    /// their width.
    pub credit_too_small: usize,
    /// Covered calls struck below the shares' cost basis.
    pub below_cost_basis: usize,
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
    /// The distribution the expected value integrates over.
    pub distribution: &'static str,
    /// Ranking.
    pub ranking: &'static str,
    /// Time to expiry.
    pub time: &'static str,
    /// Risk-free rate used.
    pub risk_free_rate: f64,
    /// Dividend yield used.
    pub dividend_yield: f64,
    /// Least credit / width of a spread.
    pub min_credit_to_width: f64,
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
    /// Whether the strategy can be traded in this account (a covered call needs 100 shares not
    /// yet covered by a short call).
    pub eligible: bool,
    /// Why not, or why there are no candidates.
    pub reason: Option<String>,
    /// Shares of the underlying held.
    pub shares_held: Option<f64>,
    /// The account: positions in the underlying, exposure, buying power, caps (null when the
    /// account could not be read; then nothing is sized).
    pub account: Option<AccountContext>,
    /// IV rank context.
    pub iv_context: IvContext,
    /// ±1σ by expiration from the ATM IV and the ATM straddle, for the expirations in the window.
    pub expected_moves: Vec<ExpectedMove>,
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
    /// Covered calls below the cost basis kept.
    pub allow_below_basis: bool,
    /// Earnings before expiration accepted.
    pub allow_earnings: bool,
}

/// Support and resistance used.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChartLevels {
    /// Nearest support.
    pub nearest_support: Option<f64>,
    /// Nearest resistance.
    pub nearest_resistance: Option<f64>,
    /// Daily ATR(14) used to judge whether a level is near.
    pub atr: Option<f64>,
    /// chart_context (given), computed (daily chart analysis) or unavailable.
    pub from: &'static str,
}

const METHOD_PRICING: &str = "each credit is a limit price: the net mid rounded down onto the option's tick (SPY, QQQ, IWM $0.01; other Penny Interval Program classes $0.01 under $3 and $0.05 from $3; all others $0.05 under $3 and $0.10 from $3), never below the natural price (bids of what is sold less asks of what is bought); credit per contract, returns, breakeven, maximum loss and expected value all use it";
const METHOD_POP: &str = "risk-neutral probability that the underlying finishes past the breakeven at expiration (Black-Scholes-Merton with the short leg's implied volatility)";
const METHOD_ROC: &str = "credit / capital required: strike × 100 for a cash-secured put, the shares' value (price × 100) for a covered call, the maximum loss for a spread";
const METHOD_DISTRIBUTION: &str = "lognormal at expiration with the risk-neutral forward (rate − dividend yield) and volatility ½ × the expiration's at-the-money IV + ½ × the 30-day historical volatility (the ATM IV alone without HV): not each option's own IV, at which every trade is worth zero, so skew and IV above HV show as edge";
const METHOD_RANK: &str = "score = expected value per dollar at risk, percent: (limit credit − the options' value at the model volatility) × e^(rate × years) × 100, over the maximum loss (for a covered call the call's value only: the shares are held either way); nothing is clipped; POP, return on capital and annualized return are reported, not ranked";
const METHOD_TIME: &str = "ACT/365 from the chain's quote time to 16:00 America/New_York on the expiration date (EST or EDT by the date)";

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

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

/// One sentence that reconciles implied against realised volatility with IV rank.
pub fn volatility_verdict(iv: Option<f64>, hv: Option<f64>, rank: Option<f64>) -> String {
    let versus = match (iv, hv) {
        (Some(iv), Some(hv)) if hv > 0.0 => Some((iv, hv, iv > hv)),
        _ => None,
    };
    match (versus, rank) {
        (Some((iv, hv, true)), Some(r)) if r >= IV_RANK_HIGH => format!(
            "IV {} is above the 30-day HV {} and IV rank {r:.2} is high for the past year: premium is rich on both counts, which favours selling it",
            pct(iv),
            pct(hv)
        ),
        (Some((iv, hv, false)), Some(r)) if r >= IV_RANK_HIGH => format!(
            "IV rank {r:.2} is high for the past year, but IV {} is not above the 30-day HV {}: the stock is moving as much as options price, so the premium is high without being rich",
            pct(iv),
            pct(hv)
        ),
        (Some((iv, hv, true)), Some(r)) if r >= IV_RANK_LOW => format!(
            "IV {} is above the 30-day HV {} with IV rank {r:.2} in the middle of its year: premium is fair to modestly rich",
            pct(iv),
            pct(hv)
        ),
        (Some((iv, hv, false)), Some(r)) if r >= IV_RANK_LOW => format!(
            "IV rank {r:.2} is in the middle of its year, but IV {} is not above the 30-day HV {}: premium is fair at best against recent movement",
            pct(iv),
            pct(hv)
        ),
        (Some((iv, hv, true)), Some(r)) => format!(
            "IV {} is above the 30-day HV {}, yet IV rank {r:.2} is low for the past year: options still price more movement than the stock has shown, but premium is cheap by its own history, so the edge is thin",
            pct(iv),
            pct(hv)
        ),
        (Some((iv, hv, false)), Some(r)) => format!(
            "IV {} is not above the 30-day HV {} and IV rank {r:.2} is low: premium is cheap on both counts; selling it is not favoured",
            pct(iv),
            pct(hv)
        ),
        (Some((iv, hv, rich)), None) => format!(
            "IV {} is {} the 30-day HV {} (no IV rank to compare with the past year)",
            pct(iv),
            if rich { "above" } else { "not above" },
            pct(hv)
        ),
        (None, Some(r)) if r >= IV_RANK_HIGH => {
            format!(
                "IV rank {r:.2} is high for the past year (no HV to compare with): premium is rich by its own history"
            )
        }
        (None, Some(r)) if r >= IV_RANK_LOW => {
            format!("IV rank {r:.2} is in the middle of its year (no HV to compare with): premium is fair")
        }
        (None, Some(r)) => format!(
            "IV rank {r:.2} is low for the past year (no HV to compare with): premium is cheap; consider waiting or smaller size"
        ),
        (None, None) => {
            "no IV rank or HV available: judge premium by the candidates' expected value".to_owned()
        }
    }
}

fn iv_context(metrics: Option<&MarketMetrics>, atm: Option<f64>) -> IvContext {
    let rank = metrics.and_then(|m| m.iv_rank);
    let hv = metrics.and_then(|m| m.hv_30);
    let iv = metrics.and_then(|m| m.iv_index).or(atm);
    IvContext {
        iv_rank: rank,
        iv_percentile: metrics.and_then(|m| m.iv_percentile),
        iv_index: metrics.and_then(|m| m.iv_index),
        hv_30: hv,
        earnings_date: metrics.and_then(|m| m.earnings_date).map(|d| d.to_string()),
        iv_rank_thresholds: [IV_RANK_LOW, IV_RANK_HIGH],
        assessment: volatility_verdict(iv, hv, rank),
    }
}

/// The model volatility of an expiration and where it came from.
fn model_vol(atm: Option<f64>, hv: Option<f64>) -> Option<(f64, &'static str)> {
    let hv = hv.filter(|h| h.is_finite() && *h > 0.0);
    match (atm, hv) {
        (Some(a), Some(h)) => Some((MODEL_IV_WEIGHT * a + (1.0 - MODEL_IV_WEIGHT) * h, "atm_iv+hv30")),
        (Some(a), None) => Some((a, "atm_iv")),
        (None, Some(h)) => Some((h, "hv30")),
        (None, None) => None,
    }
}

struct Draft {
    kind: &'static str,
    expiration: Date,
    dte: i32,
    t: f64,
    short_strike: f64,
    long_strike: Option<f64>,
    legs: Vec<Leg>,
    price: LimitPrice,
    capital: f64,
    max_loss: f64,
    breakeven: f64,
    pop: f64,
    short_prob_itm: Option<f64>,
    greeks: PositionGreeks,
    put_side: bool,
    model: (f64, &'static str),
    one_sigma: Option<f64>,
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

/// The options' net value per share (sold minus bought) at volatility `vol`.
fn model_value(legs: &[Leg], pricing: &Pricing, t: f64, vol: f64) -> f64 {
    legs.iter()
        .map(|l| {
            let value = bsm::price(&BsmInput {
                option_type: l.option_type,
                spot: pricing.spot,
                strike: l.strike,
                t,
                vol,
                rate: pricing.rate,
                div: pricing.dividend_yield,
            })
            .unwrap_or(l.mid);
            if l.action == "sell" { value } else { -value }
        })
        .sum()
}

/// Ranks candidates (pure; see the module docs for the conventions). No sizing: that needs the
/// account ([`size_candidates`]).
pub fn rank_candidates(input: &OptionsInput<'_>) -> (Vec<Candidate>, usize, Rejected) {
    let req = input.request;
    let pricing = &input.pricing;
    let spot = pricing.spot;
    let tick = TickClass::of(input.chain.underlying.as_str());
    let hv = input.metrics.and_then(|m| m.hv_30);
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
        let atm = atm_iv(expiration, pricing);
        let expiration_model = model_vol(atm, hv);
        let one_sigma = atm.map(|iv| spot * iv * t.sqrt()).filter(|m| *m > 0.0);
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
                let model = expiration_model.unwrap_or((vol, "own_iv"));
                let short = leg("sell", option_type, *strike, q);
                let single_price = LimitPrice::credit(tick, q.mid, short.bid);
                match req.strategy {
                    Strategy::Csp => {
                        let credit = single_price.limit;
                        if credit <= 0.0 {
                            rejected.credit_too_small += 1;
                            continue;
                        }
                        let breakeven = round4(strike - credit);
                        drafts.push(Draft {
                            kind: "csp",
                            expiration: expiration.date,
                            dte,
                            t,
                            short_strike: *strike,
                            long_strike: None,
                            greeks: position_greeks(std::slice::from_ref(&short)),
                            legs: vec![short],
                            price: single_price,
                            capital: strike * 100.0,
                            max_loss: round_to((strike - credit) * 100.0, 2),
                            breakeven,
                            pop: prob_beyond(pricing, t, vol, breakeven, true),
                            short_prob_itm: q.analytics.prob_itm,
                            put_side: true,
                            model,
                            one_sigma,
                        });
                    }
                    Strategy::CoveredCall => {
                        if let Some(basis) = req.cost_basis
                            && *strike < basis
                            && !req.allow_below_basis
                        {
                            rejected.below_cost_basis += 1;
                            continue;
                        }
                        let credit = single_price.limit;
                        if credit <= 0.0 {
                            rejected.credit_too_small += 1;
                            continue;
                        }
                        let breakeven = round4(spot - credit);
                        let mut greeks = position_greeks(std::slice::from_ref(&short));
                        greeks.delta = round_to(greeks.delta + 100.0, 2);
                        drafts.push(Draft {
                            kind: "covered_call",
                            expiration: expiration.date,
                            dte,
                            t,
                            short_strike: *strike,
                            long_strike: None,
                            greeks,
                            legs: vec![short],
                            price: single_price,
                            capital: spot * 100.0,
                            max_loss: round_to((spot - credit) * 100.0, 2),
                            breakeven,
                            pop: prob_beyond(pricing, t, vol, breakeven, true),
                            short_prob_itm: q.analytics.prob_itm,
                            put_side: false,
                            model,
                            one_sigma,
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
                            let long = leg("buy", option_type, *long_strike, lq);
                            let price = LimitPrice::credit(tick, q.mid - lq.mid, short.bid - long.ask);
                            let credit = price.limit;
                            if width <= 0.0
                                || credit <= 0.0
                                || credit < req.min_credit_to_width * width - 1e-9
                            {
                                rejected.credit_too_small += 1;
                                continue;
                            }
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
                                t,
                                short_strike: *strike,
                                long_strike: Some(*long_strike),
                                greeks: position_greeks(&legs),
                                legs,
                                price,
                                capital: max_loss,
                                max_loss,
                                breakeven,
                                pop: prob_beyond(pricing, t, vol, breakeven, above),
                                short_prob_itm: q.analytics.prob_itm,
                                put_side: option_type == OptionType::Put,
                                model,
                                one_sigma,
                            });
                        }
                    }
                }
            }
        }
    }
    let evaluated = drafts.len();
    let (support, resistance) = input.request.levels.unwrap_or((None, None));
    let atr = input.request.atr.filter(|a| a.is_finite() && *a > 0.0);
    let mut candidates: Vec<Candidate> = drafts
        .into_iter()
        .filter(|d| d.capital > 0.0 && d.dte > 0 && d.max_loss > 0.0)
        .map(|d| {
            let credit = d.price.limit;
            let roc = credit * 100.0 / d.capital * 100.0;
            let annualized = roc * 365.0 / f64::from(d.dte);
            let warnings = liquidity_warnings(&d.legs);
            let (level, level_kind) = if d.put_side {
                (support, "support")
            } else {
                (resistance, "resistance")
            };
            let level_distance_atr = match (level, atr) {
                (Some(l), Some(a)) => Some(round_to((spot - l).abs() / a, 2)),
                _ => None,
            };
            let protected = level.map(|l| {
                let beyond = if d.put_side {
                    d.short_strike <= l
                } else {
                    d.short_strike >= l
                };
                beyond && level_distance_atr.is_none_or(|n| n >= 0.5)
            });
            let (vol, vol_source) = d.model;
            let value = model_value(&d.legs, pricing, d.t, vol);
            let expected_value = (credit - value) * (pricing.rate * d.t).exp() * 100.0;
            let ev_per_dollar = expected_value / d.max_loss;
            let width = d.long_strike.map(|l| (d.short_strike - l).abs());
            let basis = (d.kind == "covered_call")
                .then_some(req.cost_basis)
                .flatten()
                .filter(|b| *b > 0.0)
                .map(|b| CoveredCallBasis {
                    cost_basis: b,
                    return_on_basis_percent: round_to(credit / b * 100.0, 2),
                    breakeven_on_basis: round4(b - credit),
                    pnl_if_assigned: round_to((d.short_strike - b + credit) * 100.0, 2),
                    pnl_if_assigned_from_price: round_to((d.short_strike - spot + credit) * 100.0, 2),
                    below_basis: d.short_strike < b,
                });
            Candidate {
                rank: 0,
                kind: d.kind,
                expiration: d.expiration.to_string(),
                dte: d.dte,
                short_strike: d.short_strike,
                long_strike: d.long_strike,
                width,
                credit,
                price: d.price,
                credit_per_contract: round_to(credit * 100.0, 2),
                max_profit: round_to(credit * 100.0, 2),
                max_loss: d.max_loss,
                capital_required: round_to(d.capital, 2),
                return_on_capital_percent: round_to(roc, 2),
                annualized_return_percent: round_to(annualized, 2),
                breakeven: d.breakeven,
                pop: round_to(d.pop, 4),
                short_prob_itm: d.short_prob_itm,
                credit_to_width: width.map(|w| round_to(credit / w, 3)),
                expected_value: round_to(expected_value, 2),
                ev_per_dollar_at_risk: round_to(ev_per_dollar, 6),
                basis,
                greeks: d.greeks,
                levels: LevelContext {
                    strike_distance_percent: round_to((spot - d.short_strike) / spot * 100.0, 2),
                    strike_distance_sigma: d.one_sigma.map(|s| round_to((spot - d.short_strike) / s, 2)),
                    level,
                    level_kind,
                    level_distance_atr,
                    protected_by_level: protected,
                    strike_vs_level_percent: level
                        .filter(|l| *l > 0.0)
                        .map(|l| round_to((d.short_strike - l) / l * 100.0, 2)),
                },
                earnings_before_expiration: earnings.map(|e| e >= input.today && e <= d.expiration),
                liquidity_warnings: warnings,
                sizing: None,
                score: round_to(ev_per_dollar * 100.0, 3),
                score_parts: ScoreParts {
                    model_vol: round_to(vol, 6),
                    model_vol_source: vol_source,
                    model_value: round4(value),
                    expected_value: round_to(expected_value, 2),
                    at_risk: d.max_loss,
                },
                legs: d.legs,
            }
        })
        .collect();
    candidates.sort_by(|a, b| {
        b.ev_per_dollar_at_risk
            .total_cmp(&a.ev_per_dollar_at_risk)
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

/// Sizes every candidate against the account: exposure and buying power per contract by kind,
/// covered calls limited by the uncovered lots.
pub fn size_candidates(candidates: &mut [Candidate], account: &AccountContext) {
    for c in candidates {
        let sizing = match c.kind {
            "covered_call" => sizing::size(account, 0.0, 0.0, Some(account.covered_call_lots_available)),
            "csp" => sizing::size(account, c.short_strike * 100.0, c.capital_required, None),
            _ => sizing::size(account, c.max_loss, c.capital_required, None),
        };
        c.sizing = Some(sizing);
    }
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

/// The daily ATR in a caller's chart context (`atr14` at the top or under `volatility`).
pub fn atr_from_context(context: &serde_json::Map<String, serde_json::Value>) -> Option<f64> {
    context
        .get("atr14")
        .or_else(|| context.get("volatility").and_then(|v| v.get("atr14")))
        .and_then(serde_json::Value::as_f64)
        .filter(|v| v.is_finite() && *v > 0.0)
}

impl App {
    /// The account's side of an analysis of `symbol` at `price`: its positions (read once) and
    /// balances, with the caps of `request`.
    pub(crate) async fn account_context(
        &self,
        symbol: &Symbol,
        price: f64,
        request: &OptionsRequest,
    ) -> Result<AccountContext, AppError> {
        let positions = self.positions_view(None).await?;
        let balances = self.balances_view(None).await?;
        let defaults = self.risk_limits();
        let limits = RiskLimits {
            max_exposure_percent: request
                .max_exposure_percent
                .unwrap_or(defaults.max_exposure_percent),
            max_bp_usage_percent: request
                .max_bp_usage_percent
                .unwrap_or(defaults.max_bp_usage_percent),
            min_credit_to_width: request.min_credit_to_width,
        };
        Ok(sizing::account_context(
            balances.account,
            balances.net_liquidating_value,
            balances.derivative_buying_power,
            positions.positions,
            symbol.as_str(),
            price,
            limits,
        ))
    }

    /// The options request defaults with the settings' minimum credit / width.
    pub fn options_defaults(&self, strategy: Strategy) -> OptionsRequest {
        OptionsRequest {
            min_credit_to_width: self.risk_limits().min_credit_to_width,
            ..OptionsRequest::defaults(strategy)
        }
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

    /// Ranked candidates for a strategy on a symbol, sized to the default account.
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
                    request.atr = request.atr.or(chart.volatility.atr14);
                    "computed"
                }
                Err(err) => {
                    tracing::debug!(error = %err, "no chart levels for the options analysis");
                    "unavailable"
                }
            }
        };
        let account = match self.account_context(symbol, spot, &request).await {
            Ok(account) => Some(account),
            // A covered call cannot be judged without the shares.
            Err(err) if request.strategy == Strategy::CoveredCall => return Err(err),
            Err(err) => {
                tracing::debug!(error = %err, "no account for sizing the options analysis");
                None
            }
        };
        let (eligible, reason) = match (&account, request.strategy) {
            (Some(a), Strategy::CoveredCall) => {
                request.cost_basis = a.cost_basis;
                covered_call_eligibility(symbol, a)
            }
            _ => (true, None),
        };
        let today = self.broker().now().date();
        let input = OptionsInput {
            chain: &chain,
            pricing,
            today,
            metrics: metrics.as_ref(),
            request: &request,
        };
        let (mut candidates, evaluated, rejected) = if eligible {
            rank_candidates(&input)
        } else {
            (Vec::new(), 0, Rejected::default())
        };
        if let Some(a) = &account {
            size_candidates(&mut candidates, a);
        }
        let reason = reason.or_else(|| {
            if candidates.is_empty() {
                Some(no_candidate_reason(symbol, &request, &rejected))
            } else if account.is_none() {
                Some("the account could not be read: candidates are not sized".to_owned())
            } else {
                None
            }
        });
        let expected_moves: Vec<ExpectedMove> = chain
            .expirations
            .iter()
            .filter(|e| {
                let dte = today.days_until(e.date);
                dte >= request.dte_min && dte <= request.dte_max
            })
            .filter_map(|e| expected_move(e, &pricing, today))
            .collect();
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
                allow_below_basis: request.allow_below_basis,
                allow_earnings: request.allow_earnings,
            },
            eligible,
            reason,
            shares_held: account.as_ref().map(|a| a.shares_held),
            iv_context: iv_context(metrics.as_ref(), expected_moves.first().map(|m| m.atm_iv)),
            expected_moves,
            account,
            chart_levels: ChartLevels {
                nearest_support: support,
                nearest_resistance: resistance,
                atr: request.atr,
                from: levels_from,
            },
            candidates,
            evaluated,
            rejected,
            method: Method {
                model: MODEL_NAME,
                pricing: METHOD_PRICING,
                pop: METHOD_POP,
                return_on_capital: METHOD_ROC,
                annualized: "return on capital × 365 / days to expiration",
                distribution: METHOD_DISTRIBUTION,
                ranking: METHOD_RANK,
                time: METHOD_TIME,
                risk_free_rate: pricing.rate,
                dividend_yield: pricing.dividend_yield,
                min_credit_to_width: request.min_credit_to_width,
                quotes_at: chain.as_of.to_string(),
            },
            knowledge: self.citations(request.strategy).await,
            source: source.source,
            synthetic: source.synthetic,
        })
    }
}

/// Whether calls can be sold covered: 100 shares per contract not already under a short call.
fn covered_call_eligibility(symbol: &Symbol, account: &AccountContext) -> (bool, Option<String>) {
    let shares = account.shares_held;
    if shares < 100.0 {
        return (
            false,
            Some(format!(
                "a covered call needs 100 shares of {symbol} per contract; the account holds {shares}. Consider a cash-secured put (strategy csp) to get assigned shares first"
            )),
        );
    }
    if account.covered_call_lots_available < 1 {
        let calls: Vec<String> = account
            .positions_in_symbol
            .iter()
            .filter(|p| p.option_type == Some(OptionType::Call) && p.quantity < 0.0)
            .map(|p| {
                format!(
                    "{} × {}",
                    p.quantity,
                    p.symbol.split_whitespace().collect::<Vec<_>>().join(" ")
                )
            })
            .collect();
        return (
            false,
            Some(format!(
                "all {shares} shares of {symbol} are already covered by {} short call(s) ({}): another call would be a naked call. Wait for these to expire or close one first",
                account.short_calls,
                calls.join(", ")
            )),
        );
    }
    (true, None)
}

fn no_candidate_reason(symbol: &Symbol, request: &OptionsRequest, rejected: &Rejected) -> String {
    let window = format!(
        "{}–{} DTE and short delta {}–{}",
        request.dte_min, request.dte_max, request.delta_min, request.delta_max
    );
    if rejected.below_cost_basis > 0 {
        return format!(
            "every call on {symbol} with {window} is struck below the shares' cost basis {} ({} left out): assignment would lock in a loss on the shares. Wait for the price to recover toward the basis, or pass allow_below_basis to see them with the P&L if assigned",
            request.cost_basis.unwrap_or_default(),
            rejected.below_cost_basis
        );
    }
    if rejected.credit_too_small > 0 && request.strategy == Strategy::Spread {
        return format!(
            "no {} on {symbol} with {window} collects at least {:.0}% of its width ({} spreads left out as too thin); widen the windows or wait for richer premium",
            request.strategy.as_str(),
            request.min_credit_to_width * 100.0,
            rejected.credit_too_small
        );
    }
    format!(
        "no {} candidate on {symbol} with {window} (see `rejected`); widen the windows",
        request.strategy.as_str()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Expiration, StrikeRow};
    use crate::testing::{sample_app, sample_market};
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
        sample_app(market)
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

    fn metrics(symbol: &str, hv_30: f64) -> MarketMetrics {
        MarketMetrics {
            symbol: Symbol::parse(symbol).unwrap(),
            iv_index: None,
            iv_rank: None,
            iv_percentile: None,
            hv_30: Some(hv_30),
            hv_60: None,
            hv_90: None,
            earnings_date: None,
            liquidity_rating: None,
            beta: None,
            dividend_yield: None,
            ex_dividend_date: None,
            as_of: "2025-01-09T09:00:00Z".parse().unwrap(),
        }
    }

    fn row(strike: f64, call: Option<(f64, f64)>, put: Option<(f64, f64)>) -> StrikeRow {
        StrikeRow {
            strike,
            call: call.map(|(b, a)| contract(b, a)),
            put: put.map(|(b, a)| contract(b, a)),
        }
    }

    /// IWM-class (penny) chain at price 100, t = 0.1 exactly (2025-01-09 09:00 UTC to 16:00 New
    /// York on 2025-02-14 is 36.5 days), no rate or dividend. The 100 strike is BSM at 20 % vol
    /// (2.5227 both sides): the ATM IV is 0.20.
    /// Ranks the hand chain with HV30 `hv` (none: no metrics).
    fn rank_hand(
        chain: &OptionChain,
        pricing: Pricing,
        hv: Option<f64>,
        request: &OptionsRequest,
    ) -> (Vec<Candidate>, usize, Rejected) {
        let m = hv.map(|h| metrics(chain.underlying.as_str(), h));
        rank_candidates(&OptionsInput {
            chain,
            pricing,
            today: pricing.quotes_at.date(),
            metrics: m.as_ref(),
            request,
        })
    }

    fn hand_chain(symbol: &str, rows: Vec<StrikeRow>) -> (OptionChain, Pricing) {
        let quotes_at: Timestamp = "2025-01-09T09:00:00Z".parse().unwrap();
        let mut strikes = rows;
        strikes.push(row(100.0, Some((2.5227, 2.5227)), Some((2.5227, 2.5227))));
        strikes.sort_by(|a, b| a.strike.total_cmp(&b.strike));
        let chain = OptionChain {
            underlying: Symbol::parse(symbol).unwrap(),
            underlying_price: Some(100.0),
            shares_per_contract: 100,
            exercise_style: "American".into(),
            expirations: vec![Expiration {
                date: Date::from_ymd(2025, 2, 14).unwrap(),
                expiration_type: "Regular".into(),
                settlement: "PM".into(),
                underlying: None,
                strikes,
            }],
            as_of: quotes_at,
        };
        let pricing = Pricing {
            spot: 100.0,
            rate: 0.0,
            dividend_yield: 0.0,
            quotes_at,
        };
        (chain, pricing)
    }

    #[test]
    fn candidates_rank_by_expected_value_per_dollar_at_risk_not_by_pop() {
        // Puts: 95 quoted 1.18 × 1.225 (BSM 1.1991 at 25 % vol: skew), 90 quoted 0.60 × 0.61
        // (BSM 0.6043 at 30 %). HV30 is 10 %, so the model volatility is ½ × 0.20 + ½ × 0.10 = 0.15.
        let (chain, pricing) = hand_chain(
            "IWM",
            vec![
                row(95.0, None, Some((1.18, 1.225))),
                row(90.0, None, Some((0.60, 0.61))),
            ],
        );
        let request = OptionsRequest {
            delta_min: 0.1,
            ..OptionsRequest::defaults(Strategy::Csp)
        };
        let (candidates, evaluated, _) = rank_hand(&chain, pricing, Some(0.10), &request);
        assert_eq!(evaluated, 2);
        let (a, b) = (&candidates[0], &candidates[1]);
        // 95 put: mid 1.2025 → limit 1.20 on the penny tick (natural 1.18). BSM at 0.15: 0.32906.
        // EV = (1.20 − 0.32906) × 100 = 87.09 per contract; at risk (95 − 1.20) × 100 = 9380;
        // EV per dollar = 87.094 / 9380 = 0.0092851.
        assert_eq!(
            (a.short_strike, a.credit, a.price.natural, a.price.mid),
            (95.0, 1.2, 1.18, 1.2025)
        );
        assert_eq!(a.credit_per_contract, 120.0);
        assert_eq!(a.max_loss, 9380.0);
        assert!(
            (a.score_parts.model_vol - 0.15).abs() < 1e-4,
            "{:?}",
            a.score_parts
        );
        assert_eq!(a.score_parts.model_vol_source, "atm_iv+hv30");
        assert!((a.expected_value - 87.09).abs() < 0.02, "{}", a.expected_value);
        assert!(
            (a.ev_per_dollar_at_risk - 0.0092851).abs() < 3e-6,
            "{}",
            a.ev_per_dollar_at_risk
        );
        // 90 put: mid 0.605 → limit 0.60. BSM at 0.15: 0.02070. EV = (0.60 − 0.0207) × 100 =
        // 57.93; at risk 8940; 0.006480 per dollar: ranked second despite its higher POP.
        assert_eq!((b.short_strike, b.credit), (90.0, 0.6));
        assert!((b.expected_value - 57.93).abs() < 0.02, "{}", b.expected_value);
        assert!(
            (b.ev_per_dollar_at_risk - 0.006480).abs() < 3e-6,
            "{}",
            b.ev_per_dollar_at_risk
        );
        assert!(b.pop > a.pop);
        assert_eq!(a.score, round_to(a.ev_per_dollar_at_risk * 100.0, 3));
        // The expected move sets the strike's distance in sigmas: 1σ = 6.32, (100 − 95) / 6.32.
        assert_eq!(a.levels.strike_distance_sigma, Some(0.79));
    }

    #[test]
    fn thin_spreads_are_not_candidates_and_scores_are_not_clipped() {
        // Bull put spreads on the hand chain: 95/90 for 1.2025 − 0.605 = 0.5975 → limit 0.59
        // (11.8 % of the 5 width: below 1/5, left out); 95/94 quoted so the credit is 0.30
        // (30 % of the 1 width: kept).
        let (chain, pricing) = hand_chain(
            "IWM",
            vec![
                row(95.0, None, Some((1.18, 1.225))),
                row(94.0, None, Some((0.89, 0.91))),
                row(90.0, None, Some((0.60, 0.61))),
            ],
        );
        let request = OptionsRequest {
            delta_min: 0.1,
            ..OptionsRequest::defaults(Strategy::Spread)
        };
        let (candidates, _, rejected) = rank_hand(&chain, pricing, Some(0.10), &request);
        assert!(rejected.credit_too_small >= 1, "{rejected:?}");
        assert!(
            candidates.iter().all(|c| c.credit_to_width.unwrap() >= 0.2),
            "{candidates:?}"
        );
        let kept = candidates
            .iter()
            .find(|c| c.short_strike == 95.0 && c.long_strike == Some(94.0))
            .unwrap();
        // 1.2025 − 0.90 = 0.3025 → limit 0.30; max loss (1 − 0.30) × 100 = 70.
        assert_eq!(
            (kept.credit, kept.max_loss, kept.credit_to_width),
            (0.3, 70.0, Some(0.3))
        );
        // A spread's return on capital is far above 100 % annualised; the score is not clipped.
        assert!(kept.annualized_return_percent > 100.0);
        assert_eq!(kept.score, round_to(kept.ev_per_dollar_at_risk * 100.0, 3));
    }

    #[test]
    fn covered_calls_show_the_basis_and_leave_strikes_below_it_out() {
        // Calls 105 (1.00 × 1.04) and 110 (0.30 × 0.32) on shares bought at 107.
        let (chain, pricing) = hand_chain(
            "IWM",
            vec![
                row(105.0, Some((1.00, 1.04)), None),
                row(110.0, Some((0.30, 0.32)), None),
            ],
        );
        let request = OptionsRequest {
            delta_min: 0.05,
            delta_max: 0.5,
            cost_basis: Some(107.0),
            ..OptionsRequest::defaults(Strategy::CoveredCall)
        };
        let (candidates, _, rejected) = rank_hand(&chain, pricing, Some(0.10), &request);
        assert_eq!(rejected.below_cost_basis, 1);
        assert_eq!(candidates.len(), 1);
        let c = &candidates[0];
        // 110 call, limit 0.31: against the basis 0.31 / 107 = 0.29 %, breakeven 106.69,
        // P&L if assigned (110 − 107 + 0.31) × 100 = 331; from today's 100: 1031.
        let b = c.basis.as_ref().unwrap();
        assert_eq!(c.credit, 0.31);
        assert_eq!((b.return_on_basis_percent, b.breakeven_on_basis), (0.29, 106.69));
        assert_eq!((b.pnl_if_assigned, b.pnl_if_assigned_from_price), (331.0, 1031.0));
        assert!(!b.below_basis);
        // Asked for, the 105 is shown with the loss it locks in: (105 − 107 + 1.02) × 100 = −98.
        let allowed = OptionsRequest {
            allow_below_basis: true,
            ..request.clone()
        };
        let (candidates, _, _) = rank_hand(&chain, pricing, Some(0.10), &allowed);
        let below = candidates.iter().find(|c| c.short_strike == 105.0).unwrap();
        let b = below.basis.as_ref().unwrap();
        assert!(b.below_basis);
        assert_eq!((below.credit, b.pnl_if_assigned), (1.02, -98.0));
    }

    #[test]
    fn a_level_nearer_than_half_an_atr_is_not_protection() {
        let (chain, pricing) = hand_chain("IWM", vec![row(95.0, None, Some((1.18, 1.225)))]);
        let request = |support: f64, atr: f64| OptionsRequest {
            delta_min: 0.1,
            levels: Some((Some(support), None)),
            atr: Some(atr),
            ..OptionsRequest::defaults(Strategy::Csp)
        };
        let run = |r: &OptionsRequest| rank_hand(&chain, pricing, None, r).0.remove(0).levels;
        // Support 98 with ATR 2: 1 ATR from the price and above the 95 strike: protection.
        let far = run(&request(98.0, 2.0));
        assert_eq!(
            (far.protected_by_level, far.level_distance_atr),
            (Some(true), Some(1.0))
        );
        // Support 99.5 with ATR 2: 0.25 ATR away, about to be tested: not protection.
        let near = run(&request(99.5, 2.0));
        assert_eq!(
            (near.protected_by_level, near.level_distance_atr),
            (Some(false), Some(0.25))
        );
    }

    #[test]
    fn strategy_names_are_read_leniently() {
        assert_eq!(Strategy::parse("CSP"), Some(Strategy::Csp));
        assert_eq!(Strategy::parse("covered-call"), Some(Strategy::CoveredCall));
        assert_eq!(Strategy::parse("credit spread"), Some(Strategy::Spread));
        assert_eq!(Strategy::parse("butterfly"), None);
    }
}
