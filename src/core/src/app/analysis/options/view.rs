//! The result of an options analysis as the tools return it: candidates with their legs, score,
//! levels and sizing, the IV context, the rejection counts and the method.

use serde::Serialize;

use super::Strategy;
use crate::app::analysis::sizing::{AccountContext, Sizing};
use crate::app::{ContractAnalytics, ExpectedMove};
use crate::domain::{LimitPrice, OptionType};

/// One leg of a candidate, with its market and model numbers.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Leg {
    /// sell or buy.
    #[schemars(extend("enum" = ["sell", "buy"]))]
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
#[derive(Clone, Debug, Default, PartialEq, Serialize, schemars::JsonSchema)]
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
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct LevelContext {
    /// (spot − short strike) / spot, percent (positive: strike below the price).
    pub strike_distance_percent: f64,
    /// (spot − short strike) / the expiration's 1σ expected move.
    pub strike_distance_sigma: Option<f64>,
    /// The level compared with: support for puts, resistance for calls.
    pub level: Option<f64>,
    /// Which level: support or resistance.
    #[schemars(extend("enum" = ["support", "resistance"]))]
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
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
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
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Candidate {
    /// 1 is best.
    pub rank: usize,
    /// csp, covered_call, bull_put_spread or bear_call_spread.
    #[schemars(extend("enum" = ["csp", "covered_call", "bull_put_spread", "bear_call_spread"]))]
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
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ScoreParts {
    /// The model volatility the payoff was integrated over (fraction).
    pub model_vol: f64,
    /// Where it came from: `atm_iv+hv30`, `atm_iv`, `hv30` or `own_iv`.
    #[schemars(extend("enum" = ["atm_iv+hv30", "atm_iv", "hv30", "own_iv"]))]
    pub model_vol_source: &'static str,
    /// The options' net value per share at the model volatility.
    pub model_value: f64,
    /// Expected value per contract ($).
    pub expected_value: f64,
    /// Dollars at risk per contract (the maximum loss).
    pub at_risk: f64,
}

/// IV rank context of the underlying.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
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
#[derive(Clone, Debug, Default, PartialEq, Serialize, schemars::JsonSchema)]
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
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
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
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Citation {
    /// Document title.
    pub title: String,
    /// Resource URI.
    pub uri: String,
}

/// The result of an options analysis.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
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
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
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
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ChartLevels {
    /// Nearest support.
    pub nearest_support: Option<f64>,
    /// Nearest resistance.
    pub nearest_resistance: Option<f64>,
    /// Daily ATR(14) used to judge whether a level is near.
    pub atr: Option<f64>,
    /// chart_context (given), computed (daily chart analysis) or unavailable.
    #[schemars(extend("enum" = ["chart_context", "computed", "unavailable"]))]
    pub from: &'static str,
}
