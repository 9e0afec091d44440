//! Positions and balances, with marks, P&L and days to expiration.

use serde::Serialize;

use super::App;
use crate::domain::{InstrumentType, OptionType, Position, Symbol, new_york_date, round4};
use crate::error::AppError;

/// One position as tools and resources show it.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PositionView {
    /// Instrument symbol (OCC for options).
    pub symbol: String,
    /// Underlying symbol.
    pub underlying: String,
    /// equity, equity_option, ...
    pub instrument_type: InstrumentType,
    /// Signed quantity (negative = short).
    pub quantity: f64,
    /// "long" or "short".
    #[schemars(extend("enum" = ["long", "short"]))]
    pub direction: &'static str,
    /// Average open price per share/option.
    pub average_open_price: f64,
    /// Current mark per share/option, when known.
    pub mark: Option<f64>,
    /// Where the mark came from: broker, quote, close, none.
    #[schemars(extend("enum" = ["broker", "quote", "close", "none"]))]
    pub mark_source: &'static str,
    /// Contract multiplier.
    pub multiplier: f64,
    /// mark × quantity × multiplier.
    pub market_value: Option<f64>,
    /// average open × quantity × multiplier.
    pub cost_basis: f64,
    /// (mark − open) × quantity × multiplier.
    pub unrealized_pnl: Option<f64>,
    /// P&L as a percent of |cost basis|.
    pub unrealized_pnl_percent: Option<f64>,
    /// (mark − previous close) × quantity × multiplier.
    pub day_pnl: Option<f64>,
    /// call or put, for options.
    pub option_type: Option<OptionType>,
    /// Strike, for options.
    pub strike: Option<f64>,
    /// Expiration date, for options.
    pub expiration: Option<String>,
    /// Calendar days to expiration, for options.
    pub dte: Option<i32>,
}

/// The positions of an account.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PositionsView {
    /// Masked account number.
    pub account: String,
    /// Positions, by underlying then symbol.
    pub positions: Vec<PositionView>,
    /// Number of positions.
    pub count: usize,
    /// Sum of market values (where marks are known).
    pub total_market_value: f64,
    /// Sum of unrealized P&L (where marks are known).
    pub total_unrealized_pnl: f64,
    /// Sum of day P&L (where known).
    pub total_day_pnl: f64,
    /// Market clock time of the answer.
    pub as_of: String,
    /// Data source.
    pub source: String,
    /// True for made-up data.
    pub synthetic: bool,
}

/// The balances of an account.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct BalancesView {
    /// Masked account number.
    pub account: String,
    /// Net liquidating value.
    pub net_liquidating_value: f64,
    /// Cash balance.
    pub cash_balance: f64,
    /// Buying power for stock.
    pub equity_buying_power: f64,
    /// Buying power for options (what a cash-secured put or spread consumes).
    pub derivative_buying_power: f64,
    /// Maintenance requirement.
    pub maintenance_requirement: f64,
    /// Net liq above the requirement.
    pub maintenance_excess: Option<f64>,
    /// derivative buying power as a percent of net liq.
    pub buying_power_percent_of_net_liq: Option<f64>,
    /// Day-trading buying power.
    pub day_trading_buying_power: Option<f64>,
    /// Cash available to withdraw.
    pub cash_available_to_withdraw: Option<f64>,
    /// Pending cash (signed).
    pub pending_cash: Option<f64>,
    /// When the broker computed the figures.
    pub as_of: String,
    /// Data source.
    pub source: String,
    /// True for made-up data.
    pub synthetic: bool,
}

fn view(
    position: &Position,
    mark: Option<f64>,
    mark_source: &'static str,
    today: crate::time::Date,
) -> PositionView {
    let q = position.quantity;
    let m = position.multiplier;
    let cost_basis = round4(position.average_open_price * q * m);
    let market_value = mark.map(|mk| round4(mk * q * m));
    let pnl = mark.map(|mk| round4(position.unrealized_pnl(mk)));
    let pnl_percent =
        pnl.and_then(|p| (cost_basis.abs() > 0.0).then(|| (p / cost_basis.abs() * 10_000.0).round() / 100.0));
    let day_pnl = match (mark, position.close_price) {
        (Some(mk), Some(close)) => Some(round4((mk - close) * q * m)),
        _ => None,
    };
    PositionView {
        symbol: position.symbol.to_string(),
        underlying: position.underlying.to_string(),
        instrument_type: position.instrument_type,
        quantity: q,
        direction: if q < 0.0 { "short" } else { "long" },
        average_open_price: position.average_open_price,
        mark,
        mark_source,
        multiplier: m,
        market_value,
        cost_basis,
        unrealized_pnl: pnl,
        unrealized_pnl_percent: pnl_percent,
        day_pnl,
        option_type: position.option_type,
        strike: position.strike,
        expiration: position.expiration.map(|d| d.to_string()),
        dte: position.expiration.map(|d| today.days_until(d)),
    }
}

impl App {
    /// Positions of an account (the default one when `account` is `None`), with marks from the
    /// broker, else from a batched quote, else the previous close.
    pub async fn positions_view(&self, account: Option<&str>) -> Result<PositionsView, AppError> {
        let (number, _) = self.resolve_account(account).await?;
        let mut positions = self.broker().positions(&number).await?;
        positions.sort_by(|a, b| a.underlying.cmp(&b.underlying).then(a.symbol.cmp(&b.symbol)));
        let unmarked: Vec<Symbol> = positions
            .iter()
            .filter(|p| p.mark.is_none())
            .map(|p| p.symbol.clone())
            .collect();
        let quotes = if unmarked.is_empty() {
            Vec::new()
        } else {
            // A failed quote request is not fatal: the previous close stands in.
            self.quotes(&unmarked).await.unwrap_or_default()
        };
        let today = new_york_date(self.broker().now());
        let views: Vec<PositionView> = positions
            .iter()
            .map(|p| {
                let (mark, source) = match p.mark {
                    Some(m) => (Some(m), "broker"),
                    None => match quotes
                        .iter()
                        .find(|q| q.symbol == p.symbol)
                        .and_then(|q| q.mark_price())
                    {
                        Some(m) => (Some(m), "quote"),
                        None => match p.close_price {
                            Some(c) => (Some(c), "close"),
                            None => (None, "none"),
                        },
                    },
                };
                view(p, mark, source, today)
            })
            .collect();
        let source = self.source();
        Ok(PositionsView {
            account: number.masked(),
            count: views.len(),
            total_market_value: round4(views.iter().filter_map(|v| v.market_value).sum()),
            total_unrealized_pnl: round4(views.iter().filter_map(|v| v.unrealized_pnl).sum()),
            total_day_pnl: round4(views.iter().filter_map(|v| v.day_pnl).sum()),
            positions: views,
            as_of: self.broker().now().to_string(),
            source: source.source,
            synthetic: source.synthetic,
        })
    }

    /// Balances of an account (the default one when `account` is `None`).
    pub async fn balances_view(&self, account: Option<&str>) -> Result<BalancesView, AppError> {
        let (number, _) = self.resolve_account(account).await?;
        let b = self.broker().balances(&number).await?;
        let source = self.source();
        Ok(BalancesView {
            account: number.masked(),
            net_liquidating_value: b.net_liquidating_value,
            cash_balance: b.cash_balance,
            equity_buying_power: b.equity_buying_power,
            derivative_buying_power: b.derivative_buying_power,
            maintenance_requirement: b.maintenance_requirement,
            maintenance_excess: b.maintenance_excess,
            buying_power_percent_of_net_liq: (b.net_liquidating_value > 0.0)
                .then(|| (b.derivative_buying_power / b.net_liquidating_value * 10_000.0).round() / 100.0),
            day_trading_buying_power: b.day_trading_buying_power,
            cash_available_to_withdraw: b.cash_available_to_withdraw,
            pending_cash: b.pending_cash,
            as_of: b.as_of.to_string(),
            source: source.source,
            synthetic: source.synthetic,
        })
    }
}
