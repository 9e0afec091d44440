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

use super::{App, Pricing, analyse_contract, years_to_expiry};
use crate::domain::{OptionChain, OptionType, Symbol, round_to, round4};
use crate::error::{AppError, ErrorCode};
use crate::quant::bsm::{self, BsmInput};
use crate::time::{Date, Timestamp};

/// Most legs a payoff takes.
pub const MAX_LEGS: usize = 8;
/// Points of the drawn curves (the strikes are added to them).
const CURVE_POINTS: usize = 160;
/// Lowest volatility a shifted IV is floored at.
const MIN_VOL: f64 = 0.01;
const MS_PER_DAY: i64 = 86_400_000;

/// What a leg is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
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
#[derive(Clone, Debug, PartialEq, Serialize)]
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
    pub entry_from: &'static str,
    /// Current mid (options) or underlying price (stock).
    pub mark: Option<f64>,
    /// Implied volatility used (before the shift), fraction.
    pub iv: Option<f64>,
    /// Where it came from: the contract's mid, or the nearest strike's when the contract has no
    /// two-sided market.
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
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct PayoffPoint {
    /// Underlying price.
    pub price: f64,
    /// P&L at the first expiration ($).
    pub expiration: f64,
    /// P&L on the "today" date ($).
    pub today: f64,
}

/// P&L at a standard move of the underlying.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scenario {
    /// -2σ, -1σ, spot, +1σ, +2σ.
    pub label: &'static str,
    /// Underlying price.
    pub price: f64,
    /// P&L at the first expiration ($).
    pub pnl_at_expiration: f64,
    /// P&L on the "today" date ($).
    pub pnl_today: f64,
}

/// How the numbers were made.
#[derive(Clone, Debug, PartialEq, Serialize)]
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
#[derive(Clone, Debug, PartialEq, Serialize)]
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

/// Everything the pure computation needs.
struct Market {
    pricing: Pricing,
    /// Instant of the "today" curve.
    today: Timestamp,
    /// Added to each IV (fraction).
    shift: f64,
}

fn shifted(iv: f64, shift: f64) -> f64 {
    (iv + shift).max(MIN_VOL)
}

/// Value per share of a leg at underlying price `x`, `t_from` being the valuation instant.
fn leg_value(leg: &PricedLeg, market: &Market, x: f64, at: Timestamp) -> f64 {
    let (Some(option_type), Some(strike), Some(expiry)) = (leg.kind.option_type(), leg.strike, leg.expiry)
    else {
        return x;
    };
    let t = years_to_expiry(at, expiry);
    let intrinsic = match option_type {
        OptionType::Call => (x - strike).max(0.0),
        OptionType::Put => (strike - x).max(0.0),
    };
    let Some(iv) = leg.iv else { return intrinsic };
    if t <= 0.0 || x <= 0.0 {
        return intrinsic;
    }
    let input = BsmInput {
        option_type,
        spot: x,
        strike,
        t,
        vol: shifted(iv, market.shift),
        rate: market.pricing.rate,
        div: market.pricing.dividend_yield,
    };
    bsm::price(&input).unwrap_or(intrinsic)
}

fn pnl_at(legs: &[PricedLeg], market: &Market, x: f64, at: Timestamp) -> f64 {
    legs.iter()
        .map(|leg| leg.units() * (leg_value(leg, market, x, at) - leg.entry_price))
        .sum()
}

/// The instant the "at expiration" curve is taken at: the first expiration's close.
fn first_expiry(legs: &[PricedLeg]) -> Option<Date> {
    legs.iter().filter_map(|l| l.expiry).min()
}

/// Zero crossings of `points` (price, P&L), by linear interpolation, lowest first.
fn crossings(points: &[(f64, f64)]) -> Vec<f64> {
    let mut roots: Vec<f64> = Vec::new();
    for pair in points.windows(2) {
        let [(a, pa), (b, pb)] = pair else { continue };
        let root = if *pa == 0.0 {
            Some(*a)
        } else if pa * pb < 0.0 {
            Some(a + (b - a) * (-pa) / (pb - pa))
        } else {
            None
        };
        if let Some(r) = root
            && roots.last().is_none_or(|last| (r - last).abs() > 1e-9)
        {
            roots.push(r);
        }
    }
    if let Some((x, p)) = points.last()
        && *p == 0.0
        && roots.last().is_none_or(|last| (x - last).abs() > 1e-9)
    {
        roots.push(*x);
    }
    roots
}

/// Risk-neutral P(S_T > level).
fn prob_above(market: &Market, t: f64, vol: f64, level: f64) -> f64 {
    if level <= 0.0 {
        return 1.0;
    }
    let input = BsmInput {
        option_type: OptionType::Call,
        spot: market.pricing.spot,
        strike: level,
        t,
        vol,
        rate: market.pricing.rate,
        div: market.pricing.dividend_yield,
    };
    bsm::prob_itm(&input).unwrap_or(0.0)
}

/// The volatility of the probability of profit: the short leg nearest the money, else the
/// option leg nearest the money.
fn pop_volatility(legs: &[PricedLeg], spot: f64) -> Option<f64> {
    let nearest = |short_only: bool| {
        legs.iter()
            .filter(|l| l.kind != LegKind::Stock && (!short_only || l.quantity < 0.0))
            .filter_map(|l| Some(((l.strike? - spot).abs(), l.iv?)))
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, iv)| iv)
    };
    nearest(true).or_else(|| nearest(false))
}

/// The price grid of the curves: the strikes and the spot, and evenly spaced points over a range
/// wide enough for ±3σ and every strike.
fn curve_prices(legs: &[PricedLeg], spot: f64, sigma_move: Option<f64>) -> Vec<f64> {
    let farthest = legs
        .iter()
        .filter_map(|l| l.strike)
        .map(|k| (k - spot).abs() / spot)
        .fold(0.0_f64, f64::max);
    let spread = sigma_move.map_or(0.15, |m| 3.0 * m / spot);
    let k = (farthest * 1.25).max(spread).clamp(0.05, 0.9);
    let (lo, hi) = (spot * (1.0 - k), spot * (1.0 + k));
    let step = (hi - lo) / CURVE_POINTS as f64;
    let mut prices: Vec<f64> = (0..=CURVE_POINTS).map(|i| lo + step * i as f64).collect();
    prices.extend(
        legs.iter()
            .filter_map(|l| l.strike)
            .filter(|k| *k > lo && *k < hi),
    );
    prices.push(spot);
    prices.sort_by(f64::total_cmp);
    prices.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
    prices
}

/// Fills in a payoff's numbers from priced legs (no I/O).
fn compute(legs: Vec<PricedLeg>, market: &Market, request: &PayoffRequest) -> Result<Payoff, AppError> {
    let spot = market.pricing.spot;
    let first = first_expiry(&legs)
        .ok_or_else(|| AppError::invalid("legs", "a payoff needs at least one option leg"))?;
    let at_expiry = super::expiry_instant(first);
    let t1 = years_to_expiry(market.pricing.quotes_at, first);
    let mut warnings: Vec<String> = Vec::new();
    if t1 <= 0.0 {
        warnings.push(format!(
            "the first expiration {first} has passed: its legs are worth their intrinsic value"
        ));
    }
    let single_expiry = legs.iter().all(|l| l.expiry.is_none_or(|e| e == first));
    let vol = pop_volatility(&legs, spot).map(|iv| shifted(iv, market.shift));
    let sigma_move = vol.map(|v| bsm::expected_move(spot, v, t1.max(1.0 / 365.0)));
    let at_exp = |x: f64| pnl_at(&legs, market, x, at_expiry);
    let today = |x: f64| pnl_at(&legs, market, x, market.today);

    // Breakevens and extremes: exact on the kinks for one expiration (the P&L is linear between
    // strikes), searched on a fine grid otherwise.
    let mut kinks: Vec<f64> = vec![0.0, spot];
    kinks.extend(legs.iter().filter_map(|l| l.strike));
    let strike_max = kinks.iter().copied().fold(spot, f64::max);
    let far = strike_max * 4.0 + spot;
    kinks.push(far);
    kinks.sort_by(f64::total_cmp);
    kinks.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
    let prices = curve_prices(&legs, spot, sigma_move);
    let search: Vec<f64> = if single_expiry {
        kinks
    } else {
        let mut fine: Vec<f64> = (0..=4000).map(|i| far * f64::from(i) / 4000.0).collect();
        fine.extend(prices.iter().copied());
        fine.sort_by(f64::total_cmp);
        fine
    };
    let valued: Vec<(f64, f64)> = search.iter().map(|&x| (x, at_exp(x))).collect();
    let breakevens: Vec<f64> = crossings(&valued).into_iter().map(round4).collect();
    // Beyond the last kink only calls and shares move the P&L: its slope per $1.
    let right_slope: f64 = legs
        .iter()
        .filter(|l| l.expiry.is_none_or(|e| e == first) && l.kind != LegKind::Put)
        .map(PricedLeg::units)
        .sum();
    let later_legs = !single_expiry;
    let max_profit_unbounded = !later_legs && right_slope > 1e-9;
    let max_loss_unbounded = !later_legs && right_slope < -1e-9;
    let highest = valued.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let lowest = valued.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let max_profit = (!max_profit_unbounded).then(|| round_to(highest, 2));
    let max_loss = (!max_loss_unbounded).then(|| round_to((-lowest).max(0.0), 2));

    // Probability of profit: the intervals between breakevens where the P&L is positive.
    let pop = vol.map(|v| {
        let mut edges = vec![0.0];
        edges.extend(crossings(&valued));
        edges.push(f64::INFINITY);
        let mut p = 0.0;
        for pair in edges.windows(2) {
            let [a, b] = pair else { continue };
            let probe = if b.is_finite() {
                (a + b) / 2.0
            } else {
                a.max(spot) * 2.0 + 1.0
            };
            if at_exp(probe) > 0.0 {
                let upper = if b.is_finite() {
                    prob_above(market, t1, v, *b)
                } else {
                    0.0
                };
                p += prob_above(market, t1, v, *a) - upper;
            }
        }
        round4(p.clamp(0.0, 1.0))
    });

    let net_premium: f64 = legs.iter().map(|l| -l.units() * l.entry_price).sum();
    let scenarios = sigma_move
        .map(|m| {
            [
                ("-2σ", -2.0),
                ("-1σ", -1.0),
                ("spot", 0.0),
                ("+1σ", 1.0),
                ("+2σ", 2.0),
            ]
            .into_iter()
            .filter(|(_, n)| spot + n * m > 0.0)
            .map(|(label, n)| {
                let x = spot + n * m;
                Scenario {
                    label,
                    price: round_to(x, 2),
                    pnl_at_expiration: round_to(at_exp(x), 2),
                    pnl_today: round_to(today(x), 2),
                }
            })
            .collect()
        })
        .unwrap_or_default();
    let curve = prices
        .iter()
        .map(|&x| PayoffPoint {
            price: round4(x),
            expiration: round_to(at_exp(x), 2),
            today: round_to(today(x), 2),
        })
        .collect();
    for leg in &legs {
        if leg.iv_from == Some("nearest_strike") {
            warnings.push(format!(
                "the {} {} has no two-sided market: it is valued with the nearest strike's implied volatility",
                leg.strike.unwrap_or_default(),
                match leg.kind {
                    LegKind::Call => "call",
                    _ => "put",
                }
            ));
        }
    }
    let quote_date = market.pricing.quotes_at.date();
    Ok(Payoff {
        symbol: request.symbol.as_str().to_owned(),
        underlying_price: spot,
        as_of: market.pricing.quotes_at.to_string(),
        net_premium: round_to(net_premium, 2),
        expiration: first.to_string(),
        dte: quote_date.days_until(first),
        days_forward: request.days_forward,
        today_date: market.today.date().to_string(),
        iv_shift: request.iv_shift,
        breakevens,
        max_profit,
        max_loss,
        max_profit_unbounded,
        max_loss_unbounded,
        extremes_approximate: later_legs,
        pop,
        pop_volatility: vol.map(round4),
        expected_move: sigma_move.map(|m| round_to(m, 2)),
        pnl_today_at_spot: round_to(today(spot), 2),
        scenarios,
        curve,
        warnings,
        legs,
        method: PayoffMethod {
            model: super::MODEL_NAME,
            pnl: METHOD_PNL,
            pop: METHOD_POP,
            risk_free_rate: market.pricing.rate,
            dividend_yield: market.pricing.dividend_yield,
        },
    })
}

/// The IV of a contract, else of the nearest strike of the same type and expiration.
fn leg_iv(
    chain: &OptionChain,
    pricing: &Pricing,
    option_type: OptionType,
    expiration: Date,
    strike: f64,
) -> Option<(f64, &'static str)> {
    let exp = chain.expirations.iter().find(|e| e.date == expiration)?;
    let iv_of = |row: &crate::domain::StrikeRow| {
        row.side(option_type)
            .and_then(|c| analyse_contract(pricing, option_type, row.strike, expiration, c).iv)
    };
    if let Some(iv) = exp
        .strikes
        .iter()
        .find(|r| (r.strike - strike).abs() < 1e-6)
        .and_then(iv_of)
    {
        return Some((iv, "mid"));
    }
    exp.strikes
        .iter()
        .filter_map(|r| Some(((r.strike - strike).abs(), iv_of(r)?)))
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, iv)| (iv, "nearest_strike"))
}

fn price_leg(
    index: usize,
    leg: &LegRequest,
    chain: &OptionChain,
    pricing: &Pricing,
) -> Result<PricedLeg, AppError> {
    let field = format!("legs[{index}]");
    if !(leg.quantity.is_finite() && leg.quantity != 0.0 && leg.quantity.abs() <= 100_000.0) {
        return Err(AppError::invalid(
            &format!("{field}.quantity"),
            "must be a non-zero number (negative = short) of at most 100000",
        ));
    }
    if let Some(p) = leg.price
        && !(p.is_finite() && p >= 0.0)
    {
        return Err(AppError::invalid(&format!("{field}.price"), "must be 0 or more"));
    }
    let Some(option_type) = leg.kind.option_type() else {
        return Ok(PricedLeg {
            kind: LegKind::Stock,
            symbol: None,
            strike: None,
            expiration: None,
            quantity: leg.quantity,
            multiplier: 1.0,
            entry_price: leg.price.unwrap_or(pricing.spot),
            entry_from: if leg.price.is_some() {
                "given"
            } else {
                "underlying"
            },
            mark: Some(pricing.spot),
            iv: None,
            iv_from: None,
            expiry: None,
        });
    };
    let (Some(strike), Some(expiration)) = (leg.strike, leg.expiration) else {
        return Err(AppError::invalid(
            &field,
            "an option leg needs a strike and an expiration (YYYY-MM-DD)",
        ));
    };
    let side = chain
        .expirations
        .iter()
        .find(|e| e.date == expiration)
        .and_then(|e| e.strikes.iter().find(|r| (r.strike - strike).abs() < 1e-6))
        .and_then(|r| r.side(option_type));
    let Some(contract) = side else {
        return Err(AppError::new(
            ErrorCode::NotFound,
            format!(
                "{field}: the chain of {} has no {expiration} {strike} {}",
                chain.underlying,
                option_type.as_str()
            ),
        )
        .with_detail("field", field.clone()));
    };
    let mark = contract.mid();
    let entry_price = match (leg.price, mark) {
        (Some(p), _) => p,
        (None, Some(m)) => m,
        (None, None) => {
            return Err(AppError::invalid(
                &format!("{field}.price"),
                format!(
                    "{} has no two-sided market to take a mid from; give the entry price",
                    contract.symbol
                ),
            ));
        }
    };
    let (iv, iv_from) = match leg_iv(chain, pricing, option_type, expiration, strike) {
        Some((iv, from)) => (Some(iv), Some(from)),
        None => (None, None),
    };
    Ok(PricedLeg {
        kind: leg.kind,
        symbol: Some(contract.symbol.clone()),
        strike: Some(strike),
        expiration: Some(expiration.to_string()),
        quantity: leg.quantity,
        multiplier: f64::from(chain.shares_per_contract.max(1)),
        entry_price,
        entry_from: if leg.price.is_some() { "given" } else { "mid" },
        mark,
        iv,
        iv_from,
        expiry: Some(expiration),
    })
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn market(spot: f64) -> Market {
        let quotes_at = Date::from_ymd(2026, 1, 2).unwrap().at_utc(21, 0);
        Market {
            pricing: Pricing {
                spot,
                rate: 0.04,
                dividend_yield: 0.0,
                quotes_at,
            },
            today: quotes_at,
            shift: 0.0,
        }
    }

    fn option(kind: LegKind, strike: f64, quantity: f64, entry: f64, iv: f64) -> PricedLeg {
        PricedLeg {
            kind,
            symbol: None,
            strike: Some(strike),
            expiration: Some("2026-02-06".into()),
            quantity,
            multiplier: 100.0,
            entry_price: entry,
            entry_from: "given",
            mark: Some(entry),
            iv: Some(iv),
            iv_from: Some("mid"),
            expiry: Date::from_ymd(2026, 2, 6),
        }
    }

    fn request() -> PayoffRequest {
        PayoffRequest {
            symbol: Symbol::parse("SPY").unwrap(),
            legs: Vec::new(),
            days_forward: 0,
            iv_shift: 0.0,
        }
    }

    #[test]
    fn a_short_put_breaks_even_at_strike_minus_credit_and_matches_the_put_probability() {
        let m = market(600.0);
        let p = compute(vec![option(LegKind::Put, 580.0, -1.0, 6.3, 0.18)], &m, &request()).unwrap();
        assert_eq!(p.breakevens, vec![573.7]);
        assert_eq!(p.max_profit, Some(630.0));
        assert_eq!(p.max_loss, Some(57_370.0));
        assert!(!p.max_loss_unbounded && !p.max_profit_unbounded);
        assert_eq!(p.net_premium, 630.0);
        // POP = P(S_T > breakeven), the number analyze_options reports for this trade.
        let t = years_to_expiry(m.pricing.quotes_at, Date::from_ymd(2026, 2, 6).unwrap());
        let expected = round4(prob_above(&m, t, 0.18, 573.7));
        assert_eq!(p.pop, Some(expected));
        assert!(p.pop.unwrap() > 0.5 && p.pop.unwrap() < 1.0);
    }

    #[test]
    fn a_bull_put_spread_has_bounded_extremes_and_one_breakeven() {
        let m = market(600.0);
        let legs = vec![
            option(LegKind::Put, 580.0, -1.0, 6.0, 0.18),
            option(LegKind::Put, 575.0, 1.0, 4.5, 0.19),
        ];
        let p = compute(legs, &m, &request()).unwrap();
        assert_eq!(p.breakevens, vec![578.5]);
        assert_eq!(p.max_profit, Some(150.0));
        assert_eq!(p.max_loss, Some(350.0));
        // The short leg's IV is the probability's volatility.
        assert_eq!(p.pop_volatility, Some(0.18));
    }

    #[test]
    fn a_long_call_has_unlimited_profit_and_loses_at_most_its_premium() {
        let p = compute(
            vec![option(LegKind::Call, 610.0, 2.0, 5.0, 0.2)],
            &market(600.0),
            &request(),
        )
        .unwrap();
        assert!(p.max_profit_unbounded);
        assert_eq!(p.max_profit, None);
        assert_eq!(p.max_loss, Some(1000.0));
        assert_eq!(p.breakevens, vec![615.0]);
        assert_eq!(p.net_premium, -1000.0);
    }

    #[test]
    fn a_naked_short_call_has_unlimited_loss() {
        let p = compute(
            vec![option(LegKind::Call, 620.0, -1.0, 3.0, 0.2)],
            &market(600.0),
            &request(),
        )
        .unwrap();
        assert!(p.max_loss_unbounded);
        assert_eq!(p.max_loss, None);
        assert_eq!(p.max_profit, Some(300.0));
    }

    #[test]
    fn a_covered_call_caps_the_gain_above_the_strike() {
        let mut stock = option(LegKind::Stock, 0.0, 100.0, 600.0, 0.2);
        stock.strike = None;
        stock.expiry = None;
        stock.multiplier = 1.0;
        stock.iv = None;
        let legs = vec![stock, option(LegKind::Call, 620.0, -1.0, 4.0, 0.2)];
        let p = compute(legs, &market(600.0), &request()).unwrap();
        assert!(!p.max_profit_unbounded);
        assert_eq!(p.max_profit, Some(2400.0));
        assert_eq!(p.breakevens, vec![596.0]);
        assert_eq!(p.max_loss, Some(59_600.0));
    }

    #[test]
    fn the_today_curve_moves_toward_expiration_as_days_pass() {
        let mut m = market(600.0);
        let legs = vec![option(LegKind::Put, 580.0, -1.0, 6.3, 0.18)];
        let now = compute(legs.clone(), &m, &request()).unwrap().pnl_today_at_spot;
        m.today = m.pricing.quotes_at.add_millis(30 * MS_PER_DAY);
        let later = compute(legs.clone(), &m, &request()).unwrap().pnl_today_at_spot;
        m.today = m.pricing.quotes_at.add_millis(60 * MS_PER_DAY);
        let expired = compute(legs, &m, &request()).unwrap().pnl_today_at_spot;
        assert!(now < later, "{now} < {later}");
        assert_eq!(expired, 630.0);
    }

    #[test]
    fn a_higher_iv_makes_a_short_option_worth_less_today() {
        let mut m = market(600.0);
        let legs = vec![option(LegKind::Put, 580.0, -1.0, 6.3, 0.18)];
        let base = compute(legs.clone(), &m, &request()).unwrap().pnl_today_at_spot;
        m.shift = 0.05;
        let up = compute(legs, &m, &request()).unwrap().pnl_today_at_spot;
        assert!(up < base);
    }

    #[test]
    fn stock_alone_is_refused() {
        let mut stock = option(LegKind::Stock, 0.0, 100.0, 600.0, 0.2);
        stock.expiry = None;
        assert!(compute(vec![stock], &market(600.0), &request()).is_err());
    }

    #[test]
    fn crossings_are_found_between_points_and_on_them() {
        assert_eq!(crossings(&[(0.0, -1.0), (1.0, 1.0)]), vec![0.5]);
        assert_eq!(crossings(&[(0.0, -1.0), (1.0, 0.0), (2.0, 1.0)]), vec![1.0]);
        assert!(crossings(&[(0.0, 1.0), (1.0, 2.0)]).is_empty());
    }
}
