//! The payoff of an options position: profit and loss over the underlying's price at the first
//! expiration and on a chosen day before it, breakevens, maximum profit and loss, probability of
//! profit. Any list of legs (options of one underlying and its shares): a candidate of
//! `analyze_options`, a spread, a position group.
//!
//! Conventions (also in every result's `method`):
//! - P&L in dollars for the whole position: quantity × multiplier × (value − entry price);
//!   a negative quantity is short. Entry prices default to the chain's mids (the shares' to the
//!   underlying price).
//! - At expiration, legs of the first expiration are worth their intrinsic value; legs that
//!   expire later are valued by Black-Scholes-Merton with their implied volatility.
//! - "Today" is the quote time plus `days_forward` calendar days; every leg is valued by
//!   Black-Scholes-Merton at its implied volatility plus `iv_shift` vol points (intrinsic once
//!   expired).
//! - Probability of profit: risk-neutral, lognormal, at the implied volatility of the short leg
//!   nearest the money (the long leg's when there is no short one), to the first expiration; the
//!   same convention as `analyze_options`, so a candidate's POP is the same number here.

use serde::Serialize;

mod curve;
mod legs;

use curve::{Market, compute};
use legs::price_leg;

use super::{App, Pricing};
use crate::domain::{OptionType, Symbol};
use crate::error::{AppError, ErrorCode};
use crate::time::Date;

/// Most legs a payoff takes.
pub const MAX_LEGS: usize = 8;
const MS_PER_DAY: i64 = 86_400_000;

/// What a leg is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LegKind {
    /// A call option.
    Call,
    /// A put option.
    Put,
    /// Shares of the underlying.
    Stock,
}

impl LegKind {
    /// Reads `call`, `put` or `stock` (`shares` too).
    pub fn parse(text: &str) -> Option<LegKind> {
        match text.trim().to_ascii_lowercase().as_str() {
            "call" | "c" => Some(LegKind::Call),
            "put" | "p" => Some(LegKind::Put),
            "stock" | "shares" | "equity" => Some(LegKind::Stock),
            _ => None,
        }
    }

    fn option_type(self) -> Option<OptionType> {
        match self {
            LegKind::Call => Some(OptionType::Call),
            LegKind::Put => Some(OptionType::Put),
            LegKind::Stock => None,
        }
    }
}

/// One leg as asked.
#[derive(Clone, Debug, PartialEq)]
pub struct LegRequest {
    /// Call, put or stock.
    pub kind: LegKind,
    /// Strike (options).
    pub strike: Option<f64>,
    /// Expiration (options).
    pub expiration: Option<Date>,
    /// Contracts (options) or shares (stock); negative is short.
    pub quantity: f64,
    /// Entry price per share; default the mid (options) or the underlying price (stock).
    pub price: Option<f64>,
}

/// What to compute.
#[derive(Clone, Debug, PartialEq)]
pub struct PayoffRequest {
    /// The underlying.
    pub symbol: Symbol,
    /// The legs.
    pub legs: Vec<LegRequest>,
    /// Calendar days from the quote time to the "today" curve.
    pub days_forward: i32,
    /// Added to every implied volatility, in vol points (−5 = five points lower).
    pub iv_shift: f64,
}

/// A leg with its market.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PricedLeg {
    /// Call, put or stock.
    pub kind: LegKind,
    /// OCC symbol (options).
    pub symbol: Option<String>,
    /// Strike (options).
    pub strike: Option<f64>,
    /// Expiration (options).
    pub expiration: Option<String>,
    /// Contracts or shares; negative is short.
    pub quantity: f64,
    /// Shares per unit of quantity (100 for an option, 1 for a share).
    pub multiplier: f64,
    /// Entry price per share.
    pub entry_price: f64,
    /// Where the entry price came from: given, mid or underlying.
    #[schemars(extend("enum" = ["given", "mid", "underlying"]))]
    pub entry_from: &'static str,
    /// Current mid (options) or underlying price (stock).
    pub mark: Option<f64>,
    /// Implied volatility used (before the shift), fraction.
    pub iv: Option<f64>,
    /// Where it came from: the contract's mid, or the nearest strike's when the contract has no
    /// two-sided market.
    #[schemars(extend("enum" = ["mid", "nearest_strike", null]))]
    pub iv_from: Option<&'static str>,
    #[serde(skip)]
    expiry: Option<Date>,
}

impl PricedLeg {
    fn units(&self) -> f64 {
        self.quantity * self.multiplier
    }
}

/// P&L at one underlying price.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PayoffPoint {
    /// Underlying price.
    pub price: f64,
    /// P&L at the first expiration ($).
    pub expiration: f64,
    /// P&L on the "today" date ($).
    pub today: f64,
}

/// P&L at a standard move of the underlying.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Scenario {
    /// -2σ, -1σ, spot, +1σ, +2σ.
    #[schemars(extend("enum" = ["-2σ", "-1σ", "spot", "+1σ", "+2σ"]))]
    pub label: &'static str,
    /// Underlying price.
    pub price: f64,
    /// P&L at the first expiration ($).
    pub pnl_at_expiration: f64,
    /// P&L on the "today" date ($).
    pub pnl_today: f64,
}

/// How the numbers were made.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PayoffMethod {
    /// The model.
    pub model: &'static str,
    /// P&L convention.
    pub pnl: &'static str,
    /// Probability of profit.
    pub pop: &'static str,
    /// Risk-free rate used.
    pub risk_free_rate: f64,
    /// Dividend yield used.
    pub dividend_yield: f64,
}

/// The payoff of a position.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Payoff {
    /// The underlying.
    pub symbol: String,
    /// Underlying price used.
    pub underlying_price: f64,
    /// When the chain's quotes were taken.
    pub as_of: String,
    /// The legs with their markets.
    pub legs: Vec<PricedLeg>,
    /// Premium received (positive) or paid (negative) at entry, options and shares ($).
    pub net_premium: f64,
    /// The first expiration: the "at expiration" curve.
    pub expiration: String,
    /// Calendar days from the quote date to it.
    pub dte: i32,
    /// Days forward of the "today" curve.
    pub days_forward: i32,
    /// The date of the "today" curve.
    pub today_date: String,
    /// IV shift applied, vol points.
    pub iv_shift: f64,
    /// Underlying prices where the P&L at expiration crosses zero, lowest first.
    pub breakevens: Vec<f64>,
    /// Highest P&L at expiration ($); null when unlimited.
    pub max_profit: Option<f64>,
    /// Largest loss at expiration as a positive number ($); null when unlimited.
    pub max_loss: Option<f64>,
    /// True when the profit grows without limit as the underlying rises.
    pub max_profit_unbounded: bool,
    /// True when the loss grows without limit as the underlying rises.
    pub max_loss_unbounded: bool,
    /// True when the extremes were searched on the drawn range (legs of several expirations).
    pub extremes_approximate: bool,
    /// Probability that the P&L at expiration is positive (0–1).
    pub pop: Option<f64>,
    /// Volatility that probability was computed with (fraction).
    pub pop_volatility: Option<f64>,
    /// One standard deviation move to the first expiration at that volatility ($).
    pub expected_move: Option<f64>,
    /// P&L on the "today" date at the current underlying price ($).
    pub pnl_today_at_spot: f64,
    /// P&L at ±1σ and ±2σ moves.
    pub scenarios: Vec<Scenario>,
    /// The curves over the underlying's price, lowest price first: drawn by the payoff view,
    /// not part of the serialized result.
    #[serde(skip)]
    pub curve: Vec<PayoffPoint>,
    /// Cautions: legs valued with a neighbour's IV, expired legs.
    pub warnings: Vec<String>,
    /// How the numbers were made.
    pub method: PayoffMethod,
}

const METHOD_PNL: &str = "quantity × multiplier × (value − entry price) summed over the legs, negative quantity = short; at expiration the first expiration's legs are worth their intrinsic value and later legs their Black-Scholes-Merton value";
const METHOD_POP: &str = "risk-neutral lognormal probability that the P&L at the first expiration is positive, at the implied volatility of the short leg nearest the money (as analyze_options)";

impl App {
    /// The payoff of `request`'s legs on the current chain of its underlying.
    pub async fn payoff(&self, request: &PayoffRequest) -> Result<Payoff, AppError> {
        if request.legs.is_empty() || request.legs.len() > MAX_LEGS {
            return Err(AppError::invalid("legs", format!("give 1 to {MAX_LEGS} legs")));
        }
        if !(0..=3650).contains(&request.days_forward) {
            return Err(AppError::invalid("days_forward", "must be 0 to 3650"));
        }
        if !(request.iv_shift.is_finite() && request.iv_shift.abs() <= 100.0) {
            return Err(AppError::invalid("iv_shift", "must be within ±100 vol points"));
        }
        let chain = self.option_chain(&request.symbol).await?;
        let spot = self.chain_underlying_price(&chain).await.ok_or_else(|| {
            AppError::new(
                ErrorCode::AnalysisError,
                format!("no price for {}: the position cannot be valued", request.symbol),
            )
        })?;
        let (dividend_yield, _) = self.dividend_yield(&request.symbol).await;
        let pricing = Pricing {
            spot,
            rate: self.config().risk_free_rate,
            dividend_yield,
            quotes_at: chain.as_of,
        };
        let legs = request
            .legs
            .iter()
            .enumerate()
            .map(|(i, leg)| price_leg(i, leg, &chain, &pricing))
            .collect::<Result<Vec<_>, _>>()?;
        let market = Market {
            today: pricing
                .quotes_at
                .add_millis(i64::from(request.days_forward) * MS_PER_DAY),
            shift: request.iv_shift / 100.0,
            pricing,
        };
        compute(legs, &market, request)
    }
}
