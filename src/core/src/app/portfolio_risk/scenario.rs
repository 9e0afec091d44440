//! Scenario grids: the book repriced over underlying moves × IV shifts × time steps.
//!
//! Every cell is a full Black-Scholes-Merton revaluation of every option (never a greeks
//! extrapolation): the underlying moves by the cell's percentage (scaled by each underlying's
//! beta when the moves are SPY's), every option's volatility shifts by the cell's vol points
//! (floored at 1 %), and time moves forward by the cell's days (an option past its expiration is
//! worth its intrinsic value). P&L is against the model value now, so the cell with no move, no
//! shift and no time is exactly zero.

use serde::Serialize;

use super::model::{Book, LegMarket, PricedLeg, value_leg};
use crate::error::AppError;

/// How a grid's moves apply to each underlying.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MoveBasis {
    /// The moves are SPY's: each underlying moves by its beta times the move.
    SpyBeta,
    /// Every underlying moves by the move itself.
    Symbol,
}

impl MoveBasis {
    /// Parses `spy_beta` or `symbol`.
    pub fn parse(text: &str) -> Option<MoveBasis> {
        match text.trim() {
            "spy_beta" | "spy" | "beta" => Some(MoveBasis::SpyBeta),
            "symbol" | "per_symbol" => Some(MoveBasis::Symbol),
            _ => None,
        }
    }
}

/// The axes of a scenario grid.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScenarioGrid {
    /// Underlying moves in percent (−10 = a 10 % drop), ascending.
    pub moves_percent: Vec<f64>,
    /// Implied-volatility shifts in vol points (+5 = σ + 0.05), ascending.
    pub iv_shifts: Vec<f64>,
    /// Calendar days forward, ascending.
    pub days: Vec<u32>,
    /// How the moves apply to each underlying.
    pub move_basis: MoveBasis,
}

/// Bounds of the grid's arguments (a client cannot ask for an unbounded computation).
pub mod limits {
    /// Most moves.
    pub const MAX_MOVES: usize = 15;
    /// Most IV shifts.
    pub const MAX_IV_SHIFTS: usize = 9;
    /// Most time steps.
    pub const MAX_DAYS: usize = 4;
    /// Largest move either way, percent.
    pub const MAX_MOVE_PERCENT: f64 = 50.0;
    /// Largest IV drop, vol points.
    pub const MIN_IV_SHIFT: f64 = -50.0;
    /// Largest IV rise, vol points.
    pub const MAX_IV_SHIFT: f64 = 100.0;
    /// Furthest time step, days.
    pub const MAX_DAY: u32 = 365;
}

impl ScenarioGrid {
    /// The default grid: SPY moves −10, −5, −2, 0, +2, +5, +10 % (beta-scaled), IV −5, 0, +5, +10
    /// points, today and in 7 days.
    pub fn default_grid() -> ScenarioGrid {
        ScenarioGrid {
            moves_percent: vec![-10.0, -5.0, -2.0, 0.0, 2.0, 5.0, 10.0],
            iv_shifts: vec![-5.0, 0.0, 5.0, 10.0],
            days: vec![0, 7],
            move_basis: MoveBasis::SpyBeta,
        }
    }

    /// A grid from optional axes (the defaults fill the rest), validated: each axis 1..=its
    /// maximum of values within bounds, sorted and de-duplicated. A refusal names the field.
    pub fn new(
        moves_percent: Option<Vec<f64>>,
        iv_shifts: Option<Vec<f64>>,
        days: Option<Vec<f64>>,
        move_basis: Option<MoveBasis>,
    ) -> Result<ScenarioGrid, AppError> {
        let default = ScenarioGrid::default_grid();
        let moves = match moves_percent {
            None => default.moves_percent,
            Some(values) => axis(
                "moves",
                values,
                limits::MAX_MOVES,
                -limits::MAX_MOVE_PERCENT,
                limits::MAX_MOVE_PERCENT,
            )?,
        };
        let iv_shifts = match iv_shifts {
            None => default.iv_shifts,
            Some(values) => axis(
                "iv_shifts",
                values,
                limits::MAX_IV_SHIFTS,
                limits::MIN_IV_SHIFT,
                limits::MAX_IV_SHIFT,
            )?,
        };
        let days = match days {
            None => default.days,
            Some(values) => {
                if let Some(bad) = values.iter().find(|d| d.fract() != 0.0) {
                    return Err(AppError::invalid(
                        "days",
                        format!("must be whole days, got {bad}"),
                    ));
                }
                axis("days", values, limits::MAX_DAYS, 0.0, f64::from(limits::MAX_DAY))?
                    .into_iter()
                    .map(|d| d as u32)
                    .collect()
            }
        };
        Ok(ScenarioGrid {
            moves_percent: moves,
            iv_shifts,
            days,
            move_basis: move_basis.unwrap_or(default.move_basis),
        })
    }

    /// Number of cells.
    pub fn cells(&self) -> usize {
        self.days.len() * self.iv_shifts.len() * self.moves_percent.len()
    }

    /// The cell at a flat index (days outermost, then IV shifts, then moves).
    pub fn cell(&self, index: usize) -> Option<Cell> {
        let moves = self.moves_percent.len();
        let ivs = self.iv_shifts.len();
        if moves == 0 || ivs == 0 {
            return None;
        }
        let move_percent = *self.moves_percent.get(index % moves)?;
        let iv_shift = *self.iv_shifts.get((index / moves) % ivs)?;
        let days = *self.days.get(index / (moves * ivs))?;
        Some(Cell {
            days,
            iv_shift,
            move_percent,
        })
    }
}

/// Checks, sorts and de-duplicates one axis.
fn axis(field: &str, mut values: Vec<f64>, max_len: usize, lo: f64, hi: f64) -> Result<Vec<f64>, AppError> {
    if values.is_empty() {
        return Err(AppError::invalid(field, "must have at least one value"));
    }
    if let Some(bad) = values.iter().find(|v| !(v.is_finite() && **v >= lo && **v <= hi)) {
        return Err(AppError::invalid(
            field,
            format!("every value must be between {lo} and {hi}, got {bad}"),
        ));
    }
    values.sort_by(f64::total_cmp);
    values.dedup();
    if values.len() > max_len {
        return Err(AppError::invalid(
            field,
            format!("at most {max_len} distinct values, got {}", values.len()),
        ));
    }
    Ok(values)
}

/// One cell of a grid.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Cell {
    /// Days forward.
    pub days: u32,
    /// IV shift, vol points.
    pub iv_shift: f64,
    /// Move, percent (SPY's when beta-scaled).
    pub move_percent: f64,
}

impl Cell {
    /// "SPY −5 %, IV +10 pts, in 7 days".
    pub fn label(&self, basis: MoveBasis) -> String {
        let what = match basis {
            MoveBasis::SpyBeta => "SPY (beta-scaled)",
            MoveBasis::Symbol => "every underlying",
        };
        let when = match self.days {
            0 => "today".to_owned(),
            1 => "in 1 day".to_owned(),
            n => format!("in {n} days"),
        };
        format!(
            "{what} {}{} %, IV {}{} pts, {when}",
            if self.move_percent > 0.0 { "+" } else { "" },
            self.move_percent,
            if self.iv_shift > 0.0 { "+" } else { "" },
            self.iv_shift,
        )
    }
}

/// The market of a leg in one cell: spot moved (never below 1 % of today's), volatility shifted,
/// time passed.
pub fn shifted(market: &LegMarket, move_fraction: f64, cell: &Cell) -> LegMarket {
    LegMarket {
        spot: market.spot * (1.0 + move_fraction).max(0.01),
        vol: market.vol + cell.iv_shift / 100.0,
        t: (market.t - f64::from(cell.days) / 365.0).max(0.0),
        rate: market.rate,
        dividend_yield: market.dividend_yield,
    }
}

/// Each leg's P&L in every cell (flat, in [`ScenarioGrid::cell`] order); an unpriced leg has
/// none. The P&L of a leg is (value in the cell − value now) × quantity × multiplier.
pub fn leg_pnl(book: &Book, priced: &[Option<PricedLeg>], grid: &ScenarioGrid) -> Vec<Option<Vec<f64>>> {
    let cells: Vec<Cell> = (0..grid.cells()).filter_map(|i| grid.cell(i)).collect();
    book.legs
        .iter()
        .zip(priced)
        .map(|(leg, priced)| {
            let priced = priced.as_ref()?;
            let beta = match grid.move_basis {
                MoveBasis::SpyBeta => book.underlying(&leg.underlying).map_or(1.0, |u| u.beta),
                MoveBasis::Symbol => 1.0,
            };
            let size = leg.quantity * leg.multiplier;
            cells
                .iter()
                .map(|cell| {
                    let market = shifted(&priced.market, beta * cell.move_percent / 100.0, cell);
                    value_leg(leg.kind, &market).map(|v| (v - priced.unit.value) * size)
                })
                .collect()
        })
        .collect()
}

/// The index and value of the lowest entry.
pub fn worst(values: &[f64]) -> Option<(usize, f64)> {
    values
        .iter()
        .copied()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(&b.1))
}

/// A flat grid as `[day][iv shift][move]`.
pub fn nest(grid: &ScenarioGrid, values: &[f64], round: impl Fn(f64) -> f64) -> Vec<Vec<Vec<f64>>> {
    let moves = grid.moves_percent.len().max(1);
    let ivs = grid.iv_shifts.len().max(1);
    values
        .chunks(moves * ivs)
        .map(|day| {
            day.chunks(moves)
                .map(|row| row.iter().map(|v| round(*v)).collect())
                .collect()
        })
        .collect()
}
