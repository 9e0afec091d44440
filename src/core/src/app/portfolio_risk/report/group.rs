//! One recognised structure (a spread, a covered call, shares alone…) priced, greeked, its
//! buying power estimated, its scenario P&L summed and its management signals applied.

use super::Built;
use super::view::{Exposure, GroupRisk, LegView, WorstCell};
use crate::app::portfolio_risk::model::{Book, LegKind, PricedLeg, RiskLeg, VolSource};
use crate::app::portfolio_risk::requirement;
use crate::app::portfolio_risk::scenario::{ScenarioGrid, nest, worst};
use crate::app::portfolio_risk::signals::{self, GroupFacts};
use crate::app::portfolio_risk::strategy::Strategy;
use crate::domain::{expiry_instant, new_york_date, round_to};

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

pub(super) fn worst_cell(grid: &ScenarioGrid, values: &[f64], labelled: bool) -> Option<WorstCell> {
    let (index, pnl) = worst(values)?;
    let cell = grid.cell(index)?;
    Some(WorstCell {
        cell,
        pnl: round_to(pnl, 0),
        label: labelled.then(|| cell.label(grid.move_basis)),
    })
}

/// The index of the IV shift nearest no change.
pub(super) fn middle_shift(grid: &ScenarioGrid) -> usize {
    grid.iv_shifts
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
        .map_or(0, |(i, _)| i)
}

#[allow(clippy::too_many_arguments)]
pub(super) fn build_group(
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
    let today = new_york_date(book.now);
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
        let option = leg.kind.option();
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
            expired: option.is_some_and(|(_, _, e)| book.now >= expiry_instant(e)),
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
