//! The book as the risk model sees it, and each leg priced and greeked.
//!
//! Everything here is pure: a [`Book`] holds the positions with the volatility chosen for each
//! option and the market of each underlying, and [`price_leg`] values one leg at any spot,
//! volatility and time, so today's greeks and every scenario cell come from the same function.

use serde::Serialize;

use crate::app::chain::years_to_expiry;
use crate::app::portfolio::{Judged, judged_price};
use crate::domain::{OptionType, Symbol, new_york_date, occ_symbol};
use crate::quant::bsm::{self, BsmInput};
use crate::time::{Date, Timestamp};

/// What kind of position a leg is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LegKind {
    /// Shares, or anything priced one for one with its underlying (delta 1 per unit).
    Linear,
    /// An option.
    Option {
        /// Call or put.
        option_type: OptionType,
        /// Strike.
        strike: f64,
        /// Expiration date (it expires at 16:00 New York time that day).
        expiration: Date,
    },
}

impl LegKind {
    /// An option's type, strike and expiration; `None` for a linear leg.
    pub fn option(self) -> Option<(OptionType, f64, Date)> {
        match self {
            LegKind::Option {
                option_type,
                strike,
                expiration,
            } => Some((option_type, strike, expiration)),
            LegKind::Linear => None,
        }
    }
}

/// Where an option leg's volatility (and greeks) came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VolSource {
    /// Stock-like leg: no volatility needed.
    NotApplicable,
    /// The broker's streamed greeks (DXLink): IV, delta and gamma are the broker's; theta and
    /// vega are BSM at that IV.
    Broker,
    /// Implied by the mid of the contract in the option chain.
    ChainMid,
    /// Implied by the position's mark (the chain had no two-sided market for it).
    PositionMark,
    /// The underlying's 30-day IV index (no price to imply from).
    IvIndex,
    /// None could be found: the leg is left out of greeks and scenarios.
    Unpriced,
}

/// One position.
#[derive(Clone, Debug, PartialEq)]
pub struct RiskLeg {
    /// Instrument symbol (OCC for options).
    pub symbol: String,
    /// Underlying symbol.
    pub underlying: Symbol,
    /// Stock-like or option.
    pub kind: LegKind,
    /// Signed quantity: shares or contracts.
    pub quantity: f64,
    /// Shares per contract (1 for stock).
    pub multiplier: f64,
    /// Average open price per share or option.
    pub average_open_price: f64,
    /// Current mark per share or option, when known.
    pub mark: Option<f64>,
    /// Volatility for the model (options).
    pub vol: Option<f64>,
    /// Where `vol` came from.
    pub vol_source: VolSource,
    /// The broker's (delta, gamma) per option, when its feed streams them.
    pub broker_delta_gamma: Option<(f64, f64)>,
}

impl RiskLeg {
    /// A leg of `quantity` opened at `average_open_price`: stock-like legs take the underlying's
    /// symbol and a multiplier of 1, options their OCC symbol and 100; no mark and no volatility
    /// yet (see [`RiskLeg::marked`] and [`RiskLeg::with_vol`]).
    pub fn new(underlying: &Symbol, kind: LegKind, quantity: f64, average_open_price: f64) -> RiskLeg {
        let (symbol, multiplier, vol_source) = match kind {
            LegKind::Linear => (underlying.to_string(), 1.0, VolSource::NotApplicable),
            LegKind::Option {
                option_type,
                strike,
                expiration,
            } => (
                occ_symbol(underlying.as_str(), expiration, option_type, strike),
                100.0,
                VolSource::Unpriced,
            ),
        };
        RiskLeg {
            symbol,
            underlying: underlying.clone(),
            kind,
            quantity,
            multiplier,
            average_open_price,
            mark: None,
            vol: None,
            vol_source,
            broker_delta_gamma: None,
        }
    }

    /// With a mark per unit.
    pub fn marked(self, mark: f64) -> RiskLeg {
        RiskLeg {
            mark: Some(mark),
            ..self
        }
    }

    /// With a volatility and where it came from.
    pub fn with_vol(self, vol: f64, source: VolSource) -> RiskLeg {
        RiskLeg {
            vol: Some(vol),
            vol_source: source,
            ..self
        }
    }
}

/// Where a beta came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BetaSource {
    /// The broker's market metrics.
    MarketMetrics,
    /// The reference itself (SPY's beta to SPY is 1).
    Reference,
    /// Not known: 1 assumed (stated in the warnings).
    Assumed,
}

/// The market of one underlying.
#[derive(Clone, Debug, PartialEq)]
pub struct UnderlyingState {
    /// The underlying.
    pub symbol: Symbol,
    /// Its price now, when known (legs of an unpriced underlying are left out).
    pub price: Option<f64>,
    /// Beta to the reference (SPY).
    pub beta: f64,
    /// Where the beta came from.
    pub beta_source: BetaSource,
    /// Continuous dividend yield for the model.
    pub dividend_yield: f64,
    /// Next earnings date, when known.
    pub earnings_date: Option<Date>,
    /// Next ex-dividend date, when known.
    pub ex_dividend_date: Option<Date>,
    /// Its close on the expiration days of options past their expiration that are still
    /// listed, where the broker had that day's bar: what those options are judged at.
    pub expiration_closes: Vec<(Date, f64)>,
}

impl UnderlyingState {
    /// What an option expiring on `expiration` is judged at once past it: the close of that day
    /// when known, else the price now.
    pub(crate) fn judged_at(&self, expiration: Date) -> Option<Judged> {
        judged_price(expiration, self.expiration_closes.iter().copied(), self.price)
    }
}

/// The whole book at one instant.
#[derive(Clone, Debug, PartialEq)]
pub struct Book {
    /// The market clock.
    pub now: Timestamp,
    /// Risk-free rate (continuous, decimal).
    pub rate: f64,
    /// Every position.
    pub legs: Vec<RiskLeg>,
    /// The market of every underlying held.
    pub underlyings: Vec<UnderlyingState>,
    /// The reference's (SPY's) price, for beta weighting.
    pub reference_price: Option<f64>,
    /// Net liquidating value of the account.
    pub net_liquidating_value: Option<f64>,
    /// Buying power in use as the broker reports it (maintenance requirement).
    pub buying_power_in_use: Option<f64>,
    /// True for a margin account (false: a cash account).
    pub margin_account: bool,
}

impl Book {
    /// The market of an underlying.
    pub fn underlying(&self, symbol: &Symbol) -> Option<&UnderlyingState> {
        self.underlyings.iter().find(|u| &u.symbol == symbol)
    }
}

/// One unit (a share or one option) of a leg valued at some market.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct UnitValue {
    /// Model value.
    pub value: f64,
    /// ∂V/∂S.
    pub delta: f64,
    /// ∂²V/∂S².
    pub gamma: f64,
    /// Value change per calendar day.
    pub theta: f64,
    /// Value change per vol point.
    pub vega: f64,
}

/// The market a leg is valued at.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LegMarket {
    /// Underlying price.
    pub spot: f64,
    /// Volatility (options).
    pub vol: f64,
    /// Years to expiry (options), ≥ 0.
    pub t: f64,
    /// Risk-free rate.
    pub rate: f64,
    /// Dividend yield.
    pub dividend_yield: f64,
}

/// The lowest volatility a scenario may shift an option to (1 %): BSM needs σ > 0.
pub const MIN_VOL: f64 = 0.01;

/// The BSM inputs of an option at a market (the volatility floored at [`MIN_VOL`]).
fn bsm_input(option_type: OptionType, strike: f64, market: &LegMarket) -> BsmInput {
    BsmInput {
        option_type,
        spot: market.spot,
        strike,
        t: market.t,
        vol: market.vol.max(MIN_VOL),
        rate: market.rate,
        div: market.dividend_yield,
    }
}

/// Values one unit of a leg, with greeks; `None` when BSM refuses the inputs.
pub fn price_leg(kind: LegKind, market: &LegMarket) -> Option<UnitValue> {
    match kind {
        LegKind::Linear => Some(UnitValue {
            value: market.spot,
            delta: 1.0,
            ..UnitValue::default()
        }),
        LegKind::Option {
            option_type, strike, ..
        } => {
            let g = bsm::greeks(&bsm_input(option_type, strike, market)).ok()?;
            Some(UnitValue {
                value: g.price,
                delta: g.delta,
                gamma: g.gamma,
                theta: g.theta,
                vega: g.vega,
            })
        }
    }
}

/// Only the value of one unit (the scenario's inner loop): no greeks computed.
pub fn value_leg(kind: LegKind, market: &LegMarket) -> Option<f64> {
    match kind {
        LegKind::Linear => Some(market.spot),
        LegKind::Option {
            option_type, strike, ..
        } => bsm::price(&bsm_input(option_type, strike, market)).ok(),
    }
}

/// A leg valued now: its market and per-unit figures (the broker's delta and gamma when it
/// streams them).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PricedLeg {
    /// The market it was valued at.
    pub market: LegMarket,
    /// Per-unit value and greeks.
    pub unit: UnitValue,
    /// Calendar days to expiration (options).
    pub dte: Option<i32>,
}

/// Values every leg of the book now; `None` for legs without a price or volatility.
pub fn price_book(book: &Book) -> Vec<Option<PricedLeg>> {
    let today = new_york_date(book.now);
    book.legs
        .iter()
        .map(|leg| {
            let underlying = book.underlying(&leg.underlying)?;
            let spot = underlying.price.filter(|p| p.is_finite() && *p > 0.0)?;
            let (t, vol, dte) = match leg.kind {
                LegKind::Linear => (0.0, 0.0, None),
                LegKind::Option { expiration, .. } => (
                    years_to_expiry(book.now, expiration),
                    leg.vol.filter(|v| v.is_finite() && *v > 0.0)?,
                    Some(today.days_until(expiration)),
                ),
            };
            let market = LegMarket {
                spot,
                vol,
                t,
                rate: book.rate,
                dividend_yield: underlying.dividend_yield,
            };
            let mut unit = price_leg(leg.kind, &market)?;
            if let Some((delta, gamma)) = leg.broker_delta_gamma
                && delta.is_finite()
                && gamma.is_finite()
                && t > 0.0
            {
                unit.delta = delta;
                unit.gamma = gamma;
            }
            Some(PricedLeg { market, unit, dte })
        })
        .collect()
}
