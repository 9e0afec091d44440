//! The risk report as the tool returns it: exposures, groups with their legs, concentration,
//! scenarios and the model's notes.

use serde::Serialize;

use crate::app::portfolio_risk::model::VolSource;
use crate::app::portfolio_risk::scenario::{Cell, MoveBasis};
use crate::app::portfolio_risk::signals::Signal;
use crate::app::portfolio_risk::strategy::Strategy;
use crate::domain::{OptionType, Symbol, round_to};

/// Delta, gamma, theta, vega and the dollar figures of a set of positions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Exposure {
    /// Share-equivalent delta (Δ × quantity × multiplier).
    pub delta: f64,
    /// Share-equivalent gamma (delta change per $1).
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
    pub(super) fn add(&mut self, other: &Exposure) {
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

    pub(super) fn empty(reference: bool) -> Exposure {
        Exposure {
            beta_weighted_delta: reference.then_some(0.0),
            ..Exposure::default()
        }
    }

    pub(super) fn rounded(self) -> Exposure {
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
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct AccountSummary {
    /// Net liquidating value, $.
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
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct UnderlyingRisk {
    /// The underlying.
    pub symbol: String,
    /// Its price.
    pub price: Option<f64>,
    /// Beta to SPY.
    pub beta: f64,
    /// Where the beta came from.
    pub beta_source: crate::app::portfolio_risk::model::BetaSource,
    /// Its exposures.
    #[serde(flatten)]
    pub exposure: Exposure,
    /// Its groups' ids.
    pub groups: Vec<String>,
}

/// One leg (or the part of a leg) in a group.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
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
    /// Expiration, YYYY-MM-DD.
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
    /// Volatility used (options), fraction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iv: Option<f64>,
    /// Where the volatility and greeks came from.
    pub iv_source: VolSource,
    /// Delta per unit.
    pub delta: Option<f64>,
}

/// The worst cell of a grid.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct WorstCell {
    /// The cell.
    #[serde(flatten)]
    pub cell: Cell,
    /// The cell's P&L, $.
    pub pnl: f64,
    /// The cell in words (the book's worst cell only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// One recognised structure (what a trader calls a position).
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
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
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
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
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
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
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
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
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
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
