//! The risk report of a book: groups, exposures, concentration, scenarios and signals, computed
//! from a [`Book`] without I/O.

use std::collections::BTreeMap;

use serde::Serialize;

use super::model::{Book, LegKind, PricedLeg, RiskLeg, VolSource, price_book};
use super::requirement::{self, METHOD};
use super::scenario::{Cell, MoveBasis, ScenarioGrid, leg_pnl, nest, worst};
use super::signals::{self, GroupFacts, Signal};
use super::strategy::{LegShape, Strategy, recognise};
use crate::app::chain::MODEL_NAME;
use crate::domain::{OptionType, Symbol, round_to};

/// Most groups listed in an answer (the largest by buying power, then by dollar delta); totals,
/// scenarios and signals always cover the whole book.
pub const MAX_GROUPS: usize = 30;
/// Most names in the concentration list.
pub const MAX_CONCENTRATION: usize = 5;
/// A single name above this share of net liq is flagged (position sizing: 5–10 %).
pub const SINGLE_NAME_PERCENT: f64 = 10.0;

/// Units of the exposures, for the answer.
pub const UNITS: &str = "delta and beta_weighted_delta: share equivalents (beta-weighted: SPY shares); gamma: delta change per $1 of the underlying; theta: $ per calendar day; vega: $ per vol point; delta_dollars, notional, buying power, P&L: $";

/// Delta, gamma, theta, vega and the dollar figures of a set of positions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Exposure {
    /// Share-equivalent delta (Δ × quantity × multiplier).
    pub delta: f64,
    /// Share-equivalent gamma.
    pub gamma: f64,
    /// Dollars per calendar day.
    pub theta: f64,
    /// Dollars per vol point.
    pub vega: f64,
    /// SPY-share equivalents: Σ delta × beta × price ÷ SPY price (null without SPY's price).
    pub beta_weighted_delta: Option<f64>,
    /// Delta × price: dollars gained per 1 % rise ÷ 0.01.
    pub delta_dollars: f64,
    /// Value of the underlying controlled (each structure's largest leg × price).
    pub notional: f64,
    /// Buying power estimated per structure (see `model.buying_power_method`).
    pub estimated_buying_power: f64,
}

impl Exposure {
    fn add(&mut self, other: &Exposure) {
        self.delta += other.delta;
        self.gamma += other.gamma;
        self.theta += other.theta;
        self.vega += other.vega;
        self.beta_weighted_delta = match (self.beta_weighted_delta, other.beta_weighted_delta) {
            (Some(a), Some(b)) => Some(a + b),
            _ => None,
        };
        self.delta_dollars += other.delta_dollars;
        self.notional += other.notional;
        self.estimated_buying_power += other.estimated_buying_power;
    }

    fn empty(reference: bool) -> Exposure {
        Exposure {
            beta_weighted_delta: reference.then_some(0.0),
            ..Exposure::default()
        }
    }

    fn rounded(self) -> Exposure {
        Exposure {
            delta: round_to(self.delta, 2),
            gamma: round_to(self.gamma, 4),
            theta: round_to(self.theta, 2),
            vega: round_to(self.vega, 2),
            beta_weighted_delta: self.beta_weighted_delta.map(|d| round_to(d, 2)),
            delta_dollars: round_to(self.delta_dollars, 0),
            notional: round_to(self.notional, 0),
            estimated_buying_power: round_to(self.estimated_buying_power, 0),
        }
    }
}

/// The account's side.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AccountSummary {
    /// Net liquidating value.
    pub net_liquidating_value: Option<f64>,
    /// Buying power in use as the broker reports it (its maintenance requirement).
    pub buying_power_in_use: Option<f64>,
    /// That as a percent of net liq.
    pub buying_power_percent_of_net_liq: Option<f64>,
    /// The sum of the per-structure estimates (compare with the broker's figure).
    pub estimated_buying_power: f64,
    /// Margin or cash account (cash: short puts are cash-secured).
    pub margin_account: bool,
    /// Positions in the book (after the symbol filter).
    pub positions: usize,
    /// Positions with a price and volatility (the others are left out of greeks and scenarios).
    pub priced_positions: usize,
}

/// One underlying.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UnderlyingRisk {
    /// The underlying.
    pub symbol: String,
    /// Its price.
    pub price: Option<f64>,
    /// Beta to SPY.
    pub beta: f64,
    /// Where the beta came from.
    pub beta_source: super::model::BetaSource,
    /// Its exposures.
    #[serde(flatten)]
    pub exposure: Exposure,
    /// Its groups' ids.
    pub groups: Vec<String>,
}

/// One leg (or the part of a leg) in a group.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LegView {
    /// Instrument symbol.
    pub symbol: String,
    /// Signed quantity in this group: shares or contracts.
    pub quantity: f64,
    /// call or put.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub option_type: Option<OptionType>,
    /// Strike.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strike: Option<f64>,
    /// Expiration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration: Option<String>,
    /// Days to expiration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dte: Option<i32>,
    /// Average open price per unit.
    pub open_price: f64,
    /// Mark per unit.
    pub mark: Option<f64>,
    /// Model value per unit now.
    pub model_value: Option<f64>,
    /// Volatility used (options).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iv: Option<f64>,
    /// Where the volatility and greeks came from.
    pub iv_source: VolSource,
    /// Delta per unit.
    pub delta: Option<f64>,
}

/// The worst cell of a grid.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WorstCell {
    /// The cell.
    #[serde(flatten)]
    pub cell: Cell,
    /// Its P&L.
    pub pnl: f64,
    /// The cell in words (the book's worst cell only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// One recognised structure (what a trader calls a position).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupRisk {
    /// `g1`, `g2`, ...: signals refer to it.
    pub id: String,
    /// The underlying.
    pub underlying: String,
    /// The strategy recognised from the legs.
    pub strategy: Strategy,
    /// Strategy and legs in words.
    pub label: String,
    /// True when the loss is capped.
    pub defined_risk: bool,
    /// The legs (a leg can be split between groups).
    pub legs: Vec<LegView>,
    /// Its exposures.
    #[serde(flatten)]
    pub exposure: Exposure,
    /// Premium received at the open (negative: paid), options only.
    pub open_premium: Option<f64>,
    /// (mark − open) × quantity × multiplier over the legs with marks.
    pub unrealized_pnl: Option<f64>,
    /// Share of the maximum profit captured (credit structures).
    pub profit_captured_percent: Option<f64>,
    /// P&L by move for each time step at the IV shift `scenarios.group_iv_shift` (the one
    /// nearest no change), `[day][move]`, whole dollars.
    pub pnl_by_move: Vec<Vec<f64>>,
    /// P&L over the whole grid, `[day][iv_shift][move]`, whole dollars (only when asked:
    /// `group_grids`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scenario_pnl: Option<Vec<Vec<Vec<f64>>>>,
    /// Its worst cell over the whole grid.
    pub worst: Option<WorstCell>,
}

/// A name's weight in the account.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Concentration {
    /// The underlying.
    pub underlying: String,
    /// Notional ÷ net liq, percent.
    pub notional_percent_of_net_liq: f64,
    /// Estimated buying power ÷ net liq, percent.
    pub buying_power_percent_of_net_liq: f64,
    /// |Delta dollars| ÷ net liq, percent.
    pub delta_dollars_percent_of_net_liq: f64,
    /// Set when above the single-name guideline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The book's scenario grid.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scenarios {
    /// Moves, percent (SPY's when beta-scaled).
    pub moves_percent: Vec<f64>,
    /// IV shifts, vol points.
    pub iv_shifts: Vec<f64>,
    /// Days forward.
    pub days: Vec<u32>,
    /// How the moves apply.
    pub move_basis: MoveBasis,
    /// The book's P&L, `[day][iv_shift][move]`, whole dollars.
    pub pnl: Vec<Vec<Vec<f64>>>,
    /// The worst cell.
    pub worst: Option<WorstCell>,
    /// The IV shift of the groups' `pnl_by_move` (the grid's shift nearest 0).
    pub group_iv_shift: f64,
    /// How the cells are computed.
    pub method: &'static str,
}

/// How the numbers were computed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ModelNote {
    /// The option model.
    pub name: &'static str,
    /// Risk-free rate.
    pub risk_free_rate: f64,
    /// Units.
    pub units: &'static str,
    /// Beta weighting's reference.
    pub beta_reference: &'static str,
    /// Its price.
    pub reference_price: Option<f64>,
    /// Beta weighting's formula.
    pub beta_weighting: &'static str,
    /// How buying power is estimated per structure.
    pub buying_power_method: &'static str,
}

/// The risk of a book.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PortfolioRisk {
    /// Masked account number.
    pub account: String,
    /// Market clock time.
    pub as_of: String,
    /// The underlying the book was cut down to, when asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    /// The account's side.
    pub account_summary: AccountSummary,
    /// The whole book's exposures.
    pub totals: Exposure,
    /// Per underlying.
    pub underlyings: Vec<UnderlyingRisk>,
    /// Per structure.
    pub groups: Vec<GroupRisk>,
    /// Groups left out of `groups` (smallest first) to keep the answer short.
    pub groups_omitted: usize,
    /// Largest names as a share of net liq.
    pub concentration: Vec<Concentration>,
    /// Scenario grid of the whole book.
    pub scenarios: Scenarios,
    /// Management signals, most urgent first.
    pub signals: Vec<Signal>,
    /// What could not be priced or was assumed.
    pub warnings: Vec<String>,
    /// How the numbers were computed.
    pub model: ModelNote,
    /// Data source.
    pub source: String,
    /// True for made-up data.
    pub synthetic: bool,
}

/// What the report carries besides the book.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportContext {
    /// Masked account number.
    pub account: String,
    /// The symbol filter.
    pub symbol: Option<Symbol>,
    /// Notes from gathering the book.
    pub warnings: Vec<String>,
    /// Data source.
    pub source: String,
    /// True for made-up data.
    pub synthetic: bool,
    /// Give every group its whole grid, not only its P&L by move.
    pub group_grids: bool,
}

/// The scenario method, for the answer.
pub const SCENARIO_METHOD: &str = "full Black-Scholes-Merton repricing of every option in every cell (not a greeks extrapolation): each underlying moves by the cell's move (× its beta when the moves are SPY's), every volatility shifts by the cell's points (floored at 1 %), time passes by the cell's days (options past expiration at intrinsic value); P&L against the model value now";

fn percent_of(value: f64, net_liq: Option<f64>) -> Option<f64> {
    net_liq
        .filter(|n| *n > 0.0)
        .map(|n| round_to(value / n * 100.0, 2))
}

fn signed(v: f64) -> String {
    let text = if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    };
    if v > 0.0 { format!("+{text}") } else { text }
}

fn leg_words(leg: &RiskLeg, quantity: f64) -> String {
    match leg.kind {
        LegKind::Linear => format!("{} sh", signed(quantity)),
        LegKind::Option {
            option_type,
            strike,
            expiration,
        } => format!(
            "{} {expiration} {strike} {}",
            signed(quantity),
            option_type.as_str()
        ),
    }
}

fn worst_cell(grid: &ScenarioGrid, values: &[f64], labelled: bool) -> Option<WorstCell> {
    let (index, pnl) = worst(values)?;
    let cell = grid.cell(index)?;
    Some(WorstCell {
        cell,
        pnl: round_to(pnl, 0),
        label: labelled.then(|| cell.label(grid.move_basis)),
    })
}

/// The index of the IV shift nearest no change.
fn middle_shift(grid: &ScenarioGrid) -> usize {
    grid.iv_shifts
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
        .map_or(0, |(i, _)| i)
}

/// Everything computed for one structure before it is cut down for the answer.
struct Built {
    group: GroupRisk,
    signals: Vec<Signal>,
}

/// The risk report of `book` over `grid`.
pub fn assess(book: &Book, grid: &ScenarioGrid, context: ReportContext) -> PortfolioRisk {
    let priced = price_book(book);
    let pnl = leg_pnl(book, &priced, grid);
    let cells = grid.cells();
    let mut warnings = context.warnings;

    let mut by_underlying: BTreeMap<&Symbol, Vec<usize>> = BTreeMap::new();
    for (index, leg) in book.legs.iter().enumerate() {
        by_underlying.entry(&leg.underlying).or_default().push(index);
    }

    let mut built: Vec<Built> = Vec::new();
    let mut underlyings: Vec<UnderlyingRisk> = Vec::new();
    let mut book_pnl = vec![0.0; cells];
    for (symbol, indices) in &by_underlying {
        let Some(state) = book.underlying(symbol) else {
            continue;
        };
        let shapes: Vec<LegShape> = indices
            .iter()
            .filter_map(|i| book.legs.get(*i))
            .map(|leg| LegShape {
                kind: leg.kind,
                quantity: leg.quantity,
                multiplier: leg.multiplier,
            })
            .collect();
        let mut exposure = Exposure::empty(book.reference_price.is_some());
        let mut ids = Vec::new();
        for found in recognise(&shapes) {
            let slices: Vec<(usize, f64)> = found
                .slices
                .iter()
                .filter_map(|(local, quantity)| indices.get(*local).map(|i| (*i, *quantity)))
                .collect();
            let id = format!("g{}", built.len() + 1);
            let group = build_group(
                book,
                &priced,
                &pnl,
                grid,
                &id,
                found.strategy,
                &slices,
                context.group_grids,
            );
            exposure.add(&group.group.exposure);
            ids.push(id);
            built.push(group);
        }
        underlyings.push(UnderlyingRisk {
            symbol: symbol.to_string(),
            price: state.price.map(|p| round_to(p, 4)),
            beta: state.beta,
            beta_source: state.beta_source,
            exposure: exposure.rounded(),
            groups: ids,
        });
    }
    let mut totals = Exposure::empty(book.reference_price.is_some());
    for b in &built {
        totals.add(&b.group.exposure);
    }
    for (leg, values) in book.legs.iter().zip(&pnl) {
        match values {
            Some(values) => {
                for (sum, v) in book_pnl.iter_mut().zip(values) {
                    *sum += v;
                }
            }
            None => warnings.push(format!(
                "{} is left out of greeks and scenarios: no price or volatility for it",
                leg.symbol
            )),
        }
    }
    if book.reference_price.is_none() {
        warnings.push("no SPY price: beta-weighted delta is not computed".to_owned());
    }

    let net_liq = book.net_liquidating_value;
    let mut concentration: Vec<Concentration> = underlyings
        .iter()
        .filter_map(|u| {
            let notional = percent_of(u.exposure.notional, net_liq)?;
            let note = (notional > SINGLE_NAME_PERCENT).then(|| {
                format!(
                    "{} controls {notional:.1} % of net liq, above the 5–10 % single-name guideline of position sizing (index ETFs are usually allowed more)",
                    u.symbol
                )
            });
            Some(Concentration {
                underlying: u.symbol.clone(),
                notional_percent_of_net_liq: notional,
                buying_power_percent_of_net_liq: percent_of(u.exposure.estimated_buying_power, net_liq)
                    .unwrap_or(0.0),
                delta_dollars_percent_of_net_liq: percent_of(u.exposure.delta_dollars.abs(), net_liq)
                    .unwrap_or(0.0),
                note,
            })
        })
        .collect();
    concentration.sort_by(|a, b| {
        b.notional_percent_of_net_liq
            .total_cmp(&a.notional_percent_of_net_liq)
            .then(a.underlying.cmp(&b.underlying))
    });
    concentration.truncate(MAX_CONCENTRATION);

    let mut signals: Vec<Signal> = built.iter().flat_map(|b| b.signals.clone()).collect();
    // Actions first, then warnings, then information (stable within a level).
    signals.sort_by_key(|s| s.severity);
    let groups_total = built.len();
    let mut groups: Vec<GroupRisk> = built.into_iter().map(|b| b.group).collect();
    let groups_omitted = groups_total.saturating_sub(MAX_GROUPS);
    if groups_omitted > 0 {
        let mut order: Vec<usize> = (0..groups.len()).collect();
        order.sort_by(|a, b| {
            let size = |i: &usize| {
                groups.get(*i).map_or(0.0, |g| {
                    g.exposure.estimated_buying_power + g.exposure.delta_dollars.abs()
                })
            };
            size(b).total_cmp(&size(a))
        });
        let keep: Vec<usize> = order.into_iter().take(MAX_GROUPS).collect();
        groups = groups
            .into_iter()
            .enumerate()
            .filter(|(i, _)| keep.contains(i))
            .map(|(_, g)| g)
            .collect();
    }
    // Exposures were summed unrounded; the groups show them rounded.
    for group in &mut groups {
        group.exposure = group.exposure.rounded();
    }
    let priced_positions = priced.iter().filter(|p| p.is_some()).count();
    let estimated_buying_power = round_to(totals.estimated_buying_power, 0);
    PortfolioRisk {
        account: context.account,
        as_of: book.now.to_string(),
        symbol: context.symbol.map(|s| s.to_string()),
        account_summary: AccountSummary {
            net_liquidating_value: net_liq,
            buying_power_in_use: book.buying_power_in_use,
            buying_power_percent_of_net_liq: book.buying_power_in_use.and_then(|bp| percent_of(bp, net_liq)),
            estimated_buying_power,
            margin_account: book.margin_account,
            positions: book.legs.len(),
            priced_positions,
        },
        totals: totals.rounded(),
        underlyings,
        groups,
        groups_omitted,
        concentration,
        scenarios: Scenarios {
            moves_percent: grid.moves_percent.clone(),
            iv_shifts: grid.iv_shifts.clone(),
            days: grid.days.clone(),
            move_basis: grid.move_basis,
            pnl: nest(grid, &book_pnl, |v| round_to(v, 0)),
            worst: worst_cell(grid, &book_pnl, true),
            group_iv_shift: grid.iv_shifts.get(middle_shift(grid)).copied().unwrap_or(0.0),
            method: SCENARIO_METHOD,
        },
        signals,
        warnings,
        model: ModelNote {
            name: MODEL_NAME,
            risk_free_rate: book.rate,
            units: UNITS,
            beta_reference: "SPY",
            reference_price: book.reference_price,
            beta_weighting: "delta × beta × underlying price ÷ SPY price (SPY share equivalents)",
            buying_power_method: METHOD,
        },
        source: context.source,
        synthetic: context.synthetic,
    }
}

#[allow(clippy::too_many_arguments)]
fn build_group(
    book: &Book,
    priced: &[Option<PricedLeg>],
    pnl: &[Option<Vec<f64>>],
    grid: &ScenarioGrid,
    id: &str,
    strategy: Strategy,
    slices: &[(usize, f64)],
    full_grid: bool,
) -> Built {
    let cells = grid.cells();
    let today = book.now.date();
    let mut exposure = Exposure::empty(book.reference_price.is_some());
    let mut legs = Vec::new();
    let mut facts = Vec::new();
    let mut requirement_facts = Vec::new();
    let mut scenario = vec![0.0; cells];
    let mut unrealized: Option<f64> = Some(0.0);
    let mut open_premium: Option<f64> = None;
    let mut underlying_symbol = String::new();
    let mut state = None;
    for (index, quantity) in slices {
        let (Some(leg), Some(priced_leg)) = (book.legs.get(*index), priced.get(*index)) else {
            continue;
        };
        underlying_symbol = leg.underlying.to_string();
        let underlying = book.underlying(&leg.underlying);
        state = underlying.or(state);
        let spot = underlying.and_then(|u| u.price);
        let size = quantity * leg.multiplier;
        let option = match leg.kind {
            LegKind::Option {
                option_type,
                strike,
                expiration,
            } => Some((option_type, strike, expiration)),
            LegKind::Linear => None,
        };
        if let Some(p) = priced_leg {
            let beta = underlying.map_or(1.0, |u| u.beta);
            let delta = p.unit.delta * size;
            exposure.delta += delta;
            exposure.gamma += p.unit.gamma * size;
            exposure.theta += p.unit.theta * size;
            exposure.vega += p.unit.vega * size;
            exposure.delta_dollars += delta * p.market.spot;
            exposure.beta_weighted_delta = exposure
                .beta_weighted_delta
                .zip(book.reference_price)
                .map(|(sum, reference)| sum + delta * beta * p.market.spot / reference);
            exposure.notional = exposure.notional.max(size.abs() * p.market.spot);
        }
        if let Some(Some(values)) = pnl.get(*index)
            && leg.quantity != 0.0
        {
            let share = quantity / leg.quantity;
            for (sum, v) in scenario.iter_mut().zip(values) {
                *sum += v * share;
            }
        }
        let mark = leg.mark.or(match leg.kind {
            LegKind::Linear => spot,
            LegKind::Option { .. } => None,
        });
        unrealized = unrealized
            .zip(mark)
            .map(|(sum, m)| sum + (m - leg.average_open_price) * size);
        if option.is_some() {
            open_premium = Some(open_premium.unwrap_or(0.0) - leg.average_open_price * size);
        }
        let model_value = priced_leg.map(|p| p.unit.value);
        requirement_facts.push(requirement::SliceFacts {
            option: option.map(|(t, k, _)| (t, k)),
            quantity: *quantity,
            multiplier: leg.multiplier,
            value: mark.or(model_value).unwrap_or(0.0),
            open_price: leg.average_open_price,
            dte: option.map_or(0, |(_, _, e)| today.days_until(e)),
        });
        facts.push(signals::SliceFacts {
            symbol: leg.symbol.clone(),
            kind: leg.kind,
            quantity: *quantity,
            multiplier: leg.multiplier,
            mark: leg.mark,
            open_price: leg.average_open_price,
            delta: priced_leg.map(|p| p.unit.delta),
            vol: priced_leg.filter(|_| option.is_some()).map(|p| p.market.vol),
            t: priced_leg.map_or(0.0, |p| p.market.t),
            dte: option.map(|(_, _, e)| today.days_until(e)),
        });
        legs.push(LegView {
            symbol: leg.symbol.clone(),
            quantity: *quantity,
            option_type: option.map(|o| o.0),
            strike: option.map(|o| o.1),
            expiration: option.map(|o| o.2.to_string()),
            dte: option.map(|(_, _, e)| today.days_until(e)),
            open_price: leg.average_open_price,
            mark: leg.mark,
            model_value: model_value.map(|v| round_to(v, 4)),
            iv: priced_leg
                .filter(|_| option.is_some())
                .map(|p| round_to(p.market.vol, 4)),
            iv_source: leg.vol_source,
            delta: priced_leg.map(|p| round_to(p.unit.delta, 4)),
        });
    }
    let spot = state.and_then(|s| s.price).unwrap_or(0.0);
    exposure.estimated_buying_power =
        requirement::estimate(strategy, &requirement_facts, spot, book.margin_account);
    let words: Vec<String> = slices
        .iter()
        .filter_map(|(i, q)| book.legs.get(*i).map(|leg| leg_words(leg, *q)))
        .collect();
    let label = format!("{underlying_symbol} {}: {}", strategy.words(), words.join(", "));
    let credit = open_premium.filter(|c| *c > 0.0);
    let to_close: Option<f64> = facts
        .iter()
        .filter(|f| matches!(f.kind, LegKind::Option { .. }))
        .map(|f| f.mark.map(|m| -f.quantity * m * f.multiplier))
        .sum();
    let profit_captured_percent = credit
        .zip(to_close)
        .map(|(c, close)| round_to((c - close) / c * 100.0, 1));
    let signals = match state {
        Some(state) => signals::signals(&GroupFacts {
            id,
            label: &label,
            strategy,
            underlying: state,
            slices: &facts,
            today,
        }),
        None => Vec::new(),
    };
    let group = GroupRisk {
        id: id.to_owned(),
        underlying: underlying_symbol,
        strategy,
        label,
        defined_risk: strategy.defined_risk(),
        legs,
        exposure,
        open_premium: open_premium.map(|p| round_to(p, 2)),
        unrealized_pnl: unrealized.map(|u| round_to(u, 2)),
        profit_captured_percent,
        pnl_by_move: nest(grid, &scenario, |v| round_to(v, 0))
            .into_iter()
            .filter_map(|day| day.into_iter().nth(middle_shift(grid)))
            .collect(),
        scenario_pnl: full_grid.then(|| nest(grid, &scenario, |v| round_to(v, 0))),
        worst: worst_cell(grid, &scenario, false),
    };
    Built { group, signals }
}

/// The `VolSource` note for legs priced without the chain's market.
pub(crate) fn vol_note(leg: &RiskLeg) -> Option<String> {
    match leg.vol_source {
        VolSource::PositionMark => Some(format!(
            "{}: no two-sided market in the chain; volatility implied from the position's mark",
            leg.symbol
        )),
        VolSource::IvIndex => Some(format!(
            "{}: no usable price; the underlying's IV index stands in for its volatility",
            leg.symbol
        )),
        _ => None,
    }
}
