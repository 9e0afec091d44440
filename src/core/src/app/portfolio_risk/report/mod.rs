//! The risk report of a book: groups, exposures, concentration, scenarios and signals, computed
//! from a [`Book`] without I/O.
//!
//! Layout: [`view`] is the answer's types; [`group`] builds one recognised structure; this file
//! groups the book by underlying, totals it, ranks concentration and trims the groups listed.

mod group;
mod view;

pub(crate) use group::vol_note;
pub use view::{
    AccountSummary, Concentration, Exposure, GroupRisk, LegView, ModelNote, PortfolioRisk, ReportContext,
    Scenarios, UnderlyingRisk, WorstCell,
};

use std::collections::BTreeMap;

use super::model::{Book, PricedLeg, price_book};
use super::requirement::METHOD;
use super::scenario::{ScenarioGrid, leg_pnl, nest};
use super::signals::Signal;
use super::strategy::{LegShape, recognise};
use crate::app::chain::MODEL_NAME;
use crate::domain::{Symbol, round_to};
use group::{build_group, middle_shift, worst_cell};

/// Most groups listed in an answer (the largest by buying power, then by dollar delta); totals,
/// scenarios and signals always cover the whole book.
pub const MAX_GROUPS: usize = 30;
/// Most names in the concentration list.
pub const MAX_CONCENTRATION: usize = 5;
/// A single name above this share of net liq is flagged (position sizing: 5–10 %).
pub const SINGLE_NAME_PERCENT: f64 = 10.0;

/// Units of the exposures, for the answer.
pub const UNITS: &str = "delta and beta_weighted_delta: share equivalents (beta-weighted: SPY shares); gamma: delta change per $1 of the underlying; theta: $ per calendar day; vega: $ per vol point; delta_dollars, notional, buying power, P&L: $";
/// The scenario method, for the answer.
pub const SCENARIO_METHOD: &str = "full Black-Scholes-Merton repricing of every option in every cell (not a greeks extrapolation): each underlying moves by the cell's move (× its beta when the moves are SPY's), every volatility shifts by the cell's points (floored at 1 %), time passes by the cell's days (options past expiration at intrinsic value); P&L against the model value now";

fn percent_of(value: f64, net_liq: Option<f64>) -> Option<f64> {
    net_liq
        .filter(|n| *n > 0.0)
        .map(|n| round_to(value / n * 100.0, 2))
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

    let (built, underlyings) = build_underlyings(book, &priced, &pnl, grid, context.group_grids);
    let mut book_pnl = vec![0.0; cells];
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
    let concentration = concentration(&underlyings, net_liq);

    let mut signals: Vec<Signal> = built.iter().flat_map(|b| b.signals.clone()).collect();
    // Actions first, then warnings, then information (stable within a level).
    signals.sort_by_key(|s| s.severity);
    let (mut groups, groups_omitted) = largest_groups(built.into_iter().map(|b| b.group).collect());
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

/// Each underlying's structures built as groups (ids `g1`, `g2`… in book order) and the
/// underlying's exposure summed over them.
fn build_underlyings(
    book: &Book,
    priced: &[Option<PricedLeg>],
    pnl: &[Option<Vec<f64>>],
    grid: &ScenarioGrid,
    group_grids: bool,
) -> (Vec<Built>, Vec<UnderlyingRisk>) {
    let mut by_underlying: BTreeMap<&Symbol, Vec<usize>> = BTreeMap::new();
    for (index, leg) in book.legs.iter().enumerate() {
        by_underlying.entry(&leg.underlying).or_default().push(index);
    }

    let mut built: Vec<Built> = Vec::new();
    let mut underlyings: Vec<UnderlyingRisk> = Vec::new();
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
            let group = build_group(book, priced, pnl, grid, &id, found.strategy, &slices, group_grids);
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
    (built, underlyings)
}

/// The names that control the most of net liq, largest first, with a note above the
/// single-name guideline.
fn concentration(underlyings: &[UnderlyingRisk], net_liq: Option<f64>) -> Vec<Concentration> {
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

    concentration
}

/// At most [`MAX_GROUPS`] groups, the largest by buying power and dollar delta kept in book
/// order, with how many were left out.
fn largest_groups(mut groups: Vec<GroupRisk>) -> (Vec<GroupRisk>, usize) {
    let groups_total = groups.len();
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
    (groups, groups_omitted)
}
