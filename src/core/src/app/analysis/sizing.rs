//! The account's side of a trade: what it already holds in the underlying, how much it is
//! exposed there, how much option buying power is in use, and how many contracts of a candidate
//! fit the caps.
//!
//! Definitions (also stated in every result):
//! - Exposure to an underlying: the shares' value at today's price, plus for options the most
//!   each can lose: a short put strike × 100 (cash-secured), a short put or call paired with a
//!   long one of the same expiration further out of the money its width × 100 (a spread), a
//!   short call neither covered by shares nor paired the price × 100 (notional: the loss has no
//!   cap), a long option what it is worth. A short call covered by 100 shares adds nothing.
//! - A new trade's exposure per contract: strike × 100 for a cash-secured put, the maximum loss
//!   for a spread, nothing for a covered call (the shares are already counted).
//! - Option buying power in use: net liq − option buying power available (what positions tie up
//!   now), as a percent of net liq; a trade adds its capital (strike × 100, or a spread's maximum
//!   loss). A covered call uses none.

use serde::Serialize;

use crate::app::portfolio_risk::signals::dollars;
use crate::app::{ExpiredView, PositionView};
use crate::domain::{InstrumentType, OptionType, round_to};

/// The default per-underlying exposure cap, percent of net liq.
pub const DEFAULT_MAX_EXPOSURE_PERCENT: f64 = 10.0;
/// The default cap on option buying power in use after a trade, percent of net liq.
pub const DEFAULT_MAX_BP_USAGE_PERCENT: f64 = 50.0;
/// The default least credit a credit spread must collect, as a share of its width.
pub const DEFAULT_MIN_CREDIT_TO_WIDTH: f64 = 0.2;

/// The risk caps (settings; tools may override the first two per call).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct RiskLimits {
    /// Exposure to one underlying after the trade, percent of net liq.
    pub max_exposure_percent: f64,
    /// Option buying power in use after the trade, percent of net liq.
    pub max_bp_usage_percent: f64,
    /// Least credit / width of a credit spread (0–1).
    pub min_credit_to_width: f64,
}

impl Default for RiskLimits {
    fn default() -> RiskLimits {
        RiskLimits {
            max_exposure_percent: DEFAULT_MAX_EXPOSURE_PERCENT,
            max_bp_usage_percent: DEFAULT_MAX_BP_USAGE_PERCENT,
            min_credit_to_width: DEFAULT_MIN_CREDIT_TO_WIDTH,
        }
    }
}

/// What the account already has at risk in one underlying ($).
#[derive(Clone, Debug, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Exposure {
    /// |shares| × price.
    pub shares_value: f64,
    /// Short puts not paired with a long put: strike × 100 each.
    pub cash_secured_puts: f64,
    /// Short options paired with a long one further out of the money: width × 100 each.
    pub spreads: f64,
    /// Short calls neither covered by shares nor paired: price × 100 each (notional: the loss
    /// has no cap).
    pub uncovered_calls: f64,
    /// Long options not paired: their market value.
    pub long_options: f64,
    /// The sum.
    pub total: f64,
    /// The sum as a percent of net liq.
    pub percent_of_net_liq: Option<f64>,
}

/// The account's side of an analysis, read once per analysis.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct AccountContext {
    /// Masked account number.
    pub account: String,
    /// Net liquidating value.
    pub net_liquidating_value: f64,
    /// Option buying power available now.
    pub derivative_buying_power: f64,
    /// Option buying power in use now (net liq − available), percent of net liq.
    pub buying_power_in_use_percent: Option<f64>,
    /// Positions in the underlying, with average open price, mark, unrealized P&L.
    pub positions_in_symbol: Vec<PositionView>,
    /// Options in the underlying past their expiration that the broker still lists, with what
    /// the expiration left: one that expired worthless is not in `positions_in_symbol` nor the
    /// exposure; one in the money (or not known) is, its assignment or exercise pending.
    pub expired_in_symbol: Vec<ExpiredView>,
    /// Shares held (signed).
    pub shares_held: f64,
    /// Average open price of the shares.
    pub cost_basis: Option<f64>,
    /// Short call contracts in the underlying (any expiration).
    pub short_calls: f64,
    /// Short put contracts in the underlying (any expiration).
    pub short_puts: f64,
    /// floor((shares − 100 × short calls) / 100): calls that can still be sold covered.
    pub covered_call_lots_available: i64,
    /// What the account already has at risk here.
    pub exposure: Exposure,
    /// The caps applied.
    pub limits: RiskLimits,
    /// The exposure cap in dollars (net liq × cap).
    pub max_exposure: f64,
    /// How exposure and buying power are measured.
    pub method: &'static str,
}

/// How the exposure and buying power figures are defined.
pub(crate) const SIZING_METHOD: &str = "exposure = shares × price + strike × 100 per cash-secured short put + width × 100 per spread \
    + price × 100 per uncovered short call + unpaired long options' value; a new cash-secured put adds strike × 100, a spread \
    its maximum loss, a covered call nothing. Option buying power in use = net liq − option buying power available, plus the \
    trade's capital; both caps are percents of net liq";

/// How many contracts of a candidate fit, and which cap binds.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Sizing {
    /// Contracts that fit every cap (0: none).
    pub contracts: i64,
    /// Exposure one contract adds ($).
    pub exposure_per_contract: f64,
    /// Option buying power one contract uses ($).
    pub buying_power_per_contract: f64,
    /// Contracts the exposure cap allows (null: no limit from it).
    pub by_exposure: Option<i64>,
    /// Contracts the buying-power cap and the buying power available allow (null: no limit).
    pub by_buying_power: Option<i64>,
    /// Contracts the shares allow (covered calls).
    pub by_shares: Option<i64>,
    /// exposure, buying_power or shares: the cap that binds.
    #[schemars(extend("enum" = ["exposure", "buying_power", "shares"]))]
    pub limited_by: &'static str,
    /// Exposure to the underlying after selling `contracts`, percent of net liq.
    pub exposure_after_percent: Option<f64>,
    /// Option buying power in use after selling `contracts`, percent of net liq.
    pub buying_power_in_use_after_percent: Option<f64>,
    /// Why, in one sentence.
    pub note: String,
}

/// Contracts of a candidate that fit `context`'s caps. `exposure_per_contract` and
/// `bp_per_contract` are 0 for a covered call, which `lots` limits instead.
pub fn size(
    context: &AccountContext,
    exposure_per_contract: f64,
    bp_per_contract: f64,
    lots: Option<i64>,
) -> Sizing {
    let net_liq = context.net_liquidating_value;
    let limits = context.limits;
    let count = |room: f64, per: f64| -> Option<i64> {
        (per > 0.0).then(|| {
            let n = ((room + 1e-6) / per).floor();
            if n.is_finite() && n > 0.0 {
                n.min(1e9) as i64
            } else {
                0
            }
        })
    };
    let positive_net_liq = net_liq > 0.0 && net_liq.is_finite();
    let cap_exposure = if positive_net_liq {
        limits.max_exposure_percent / 100.0 * net_liq
    } else {
        0.0
    };
    let by_exposure = count(cap_exposure - context.exposure.total, exposure_per_contract);
    let in_use = (net_liq - context.derivative_buying_power).max(0.0);
    let cap_bp = if positive_net_liq {
        limits.max_bp_usage_percent / 100.0 * net_liq
    } else {
        0.0
    };
    let by_buying_power = match (
        count(cap_bp - in_use, bp_per_contract),
        count(context.derivative_buying_power, bp_per_contract),
    ) {
        (Some(a), Some(b)) => Some(a.min(b)),
        _ => None,
    };
    let by_shares = lots.map(|l| l.max(0));
    let candidates = [
        (by_exposure, "exposure"),
        (by_buying_power, "buying_power"),
        (by_shares, "shares"),
    ];
    let (contracts, limited_by) = candidates
        .iter()
        .filter_map(|(n, name)| n.map(|n| (n, *name)))
        .min_by_key(|(n, _)| *n)
        .unwrap_or((0, "exposure"));
    let contracts = if positive_net_liq || lots.is_some() {
        contracts
    } else {
        0
    };
    let n = contracts as f64;
    let exposure_after = context.exposure.total + n * exposure_per_contract;
    let bp_after = in_use + n * bp_per_contract;
    let pct = |v: f64| positive_net_liq.then(|| round_to(v / net_liq * 100.0, 2));
    let note = match limited_by {
        _ if !positive_net_liq && lots.is_none() => {
            "net liq is not positive: nothing can be sized".to_owned()
        }
        "shares" if contracts == 0 => format!(
            "no shares are free to cover a call: {} shares, {} short calls",
            context.shares_held, context.short_calls
        ),
        "shares" => format!("{contracts} lot(s) of 100 shares are not yet covered by a short call"),
        "exposure" if contracts == 0 => format!(
            "the account already has {} ({}% of net liq) at risk in this underlying; the cap is {}% ({}) and one contract adds {}",
            dollars(context.exposure.total, 0),
            pct(context.exposure.total).unwrap_or_default(),
            limits.max_exposure_percent,
            dollars(cap_exposure, 0),
            dollars(exposure_per_contract, 0)
        ),
        "exposure" => format!(
            "{contracts} contract(s) keep the exposure to this underlying within {}% of net liq ({} now, {} per contract, cap {})",
            limits.max_exposure_percent,
            dollars(context.exposure.total, 0),
            dollars(exposure_per_contract, 0),
            dollars(cap_exposure, 0)
        ),
        _ if contracts == 0 => format!(
            "option buying power in use is {}% of net liq ({} available); one contract needs {} and the cap is {}% in use after the trade",
            pct(in_use).unwrap_or_default(),
            dollars(context.derivative_buying_power, 0),
            dollars(bp_per_contract, 0),
            limits.max_bp_usage_percent
        ),
        _ => format!(
            "{contracts} contract(s) keep option buying power in use within {}% of net liq ({}% now, {} per contract)",
            limits.max_bp_usage_percent,
            pct(in_use).unwrap_or_default(),
            dollars(bp_per_contract, 0)
        ),
    };
    Sizing {
        contracts,
        exposure_per_contract: round_to(exposure_per_contract, 2),
        buying_power_per_contract: round_to(bp_per_contract, 2),
        by_exposure,
        by_buying_power,
        by_shares,
        limited_by,
        exposure_after_percent: pct(exposure_after),
        buying_power_in_use_after_percent: pct(bp_after),
        note,
    }
}

/// Cents, and never a negative zero.
fn money(v: f64) -> f64 {
    round_to(v, 2) + 0.0
}

struct Leg {
    expiration: Option<String>,
    strike: f64,
    /// Contracts (of 100 shares).
    quantity: f64,
    /// Market value of one contract ($), for long legs.
    value_each: f64,
}

/// Pairs short legs with long legs of the same expiration further out of the money (puts:
/// lower strikes, calls: higher), nearest first; returns the pairs' width × 100 and leaves the
/// unpaired quantities in the legs.
fn pair(shorts: &mut [Leg], longs: &mut [Leg], put: bool) -> f64 {
    let mut spreads = 0.0;
    for short in shorts.iter_mut() {
        let mut candidates: Vec<&mut Leg> = longs
            .iter_mut()
            .filter(|l| l.expiration == short.expiration && l.quantity > 0.0)
            .filter(|l| {
                if put {
                    l.strike < short.strike
                } else {
                    l.strike > short.strike
                }
            })
            .collect();
        candidates.sort_by(|a, b| {
            (a.strike - short.strike)
                .abs()
                .total_cmp(&(b.strike - short.strike).abs())
        });
        for long in candidates {
            if short.quantity <= 0.0 {
                break;
            }
            let q = short.quantity.min(long.quantity);
            spreads += (short.strike - long.strike).abs() * 100.0 * q;
            short.quantity -= q;
            long.quantity -= q;
        }
    }
    spreads
}

/// What the positions in one underlying have at risk at `price` (see the module docs).
pub(crate) fn exposure(positions: &[PositionView], price: f64, net_liq: f64) -> Exposure {
    let shares: f64 = positions
        .iter()
        .filter(|p| p.instrument_type == InstrumentType::Equity)
        .map(|p| p.quantity)
        .sum();
    let legs = |option_type: OptionType, short: bool| -> Vec<Leg> {
        positions
            .iter()
            .filter(|p| {
                p.option_type == Some(option_type) && p.quantity != 0.0 && (p.quantity < 0.0) == short
            })
            .map(|p| {
                let quantity = p.quantity.abs() * p.multiplier / 100.0;
                Leg {
                    expiration: p.expiration.clone(),
                    strike: p.strike.unwrap_or_default(),
                    quantity,
                    value_each: p
                        .market_value
                        .map_or(0.0, |v| v.abs() / quantity.max(f64::MIN_POSITIVE)),
                }
            })
            .collect()
    };
    let (mut short_puts, mut long_puts) = (legs(OptionType::Put, true), legs(OptionType::Put, false));
    let (mut short_calls, mut long_calls) = (legs(OptionType::Call, true), legs(OptionType::Call, false));
    // Shares cover the short calls first (100 a contract), lowest strike first.
    short_calls.sort_by(|a, b| a.strike.total_cmp(&b.strike));
    let mut lots = (shares.max(0.0) / 100.0).floor();
    for call in &mut short_calls {
        let covered = call.quantity.min(lots);
        call.quantity -= covered;
        lots -= covered;
    }
    short_puts.sort_by(|a, b| b.strike.total_cmp(&a.strike));
    let spreads =
        pair(&mut short_puts, &mut long_puts, true) + pair(&mut short_calls, &mut long_calls, false);
    let cash_secured_puts: f64 = short_puts.iter().map(|l| l.strike * 100.0 * l.quantity).sum();
    let uncovered_calls = price * 100.0 * short_calls.iter().map(|l| l.quantity).sum::<f64>();
    let long_options: f64 = long_puts
        .iter()
        .chain(long_calls.iter())
        .map(|l| l.value_each * l.quantity)
        .sum();
    let shares_value = shares.abs() * price;
    let total = shares_value + cash_secured_puts + spreads + uncovered_calls + long_options;
    Exposure {
        shares_value: money(shares_value),
        cash_secured_puts: money(cash_secured_puts),
        spreads: money(spreads),
        uncovered_calls: money(uncovered_calls),
        long_options: money(long_options),
        total: money(total),
        percent_of_net_liq: (net_liq > 0.0).then(|| money(total / net_liq * 100.0)),
    }
}

/// The account context from the account's positions (all of them; those in `symbol` are kept)
/// and balances, at the underlying's `price`.
pub fn account_context(
    account: String,
    net_liq: f64,
    derivative_buying_power: f64,
    positions: Vec<PositionView>,
    symbol: &str,
    price: f64,
    limits: RiskLimits,
) -> AccountContext {
    let held: Vec<PositionView> = positions.into_iter().filter(|p| p.underlying == symbol).collect();
    let equity: Vec<&PositionView> = held
        .iter()
        .filter(|p| p.instrument_type == InstrumentType::Equity)
        .collect();
    // `+ 0.0` turns the negative zero of an empty sum into 0.
    let shares_held = equity.iter().map(|p| p.quantity).sum::<f64>() + 0.0;
    let cost_basis = (shares_held > 0.0).then(|| {
        let cost: f64 = equity.iter().map(|p| p.average_open_price * p.quantity).sum();
        round_to(cost / shares_held, 4)
    });
    let contracts = |option_type: OptionType| {
        held.iter()
            .filter(|p| p.option_type == Some(option_type) && p.quantity < 0.0)
            .map(|p| p.quantity.abs() * p.multiplier / 100.0)
            .sum::<f64>()
            + 0.0
    };
    let short_calls = contracts(OptionType::Call);
    let short_puts = contracts(OptionType::Put);
    let lots = ((shares_held - 100.0 * short_calls) / 100.0).floor();
    let exposure = exposure(&held, price, net_liq);
    AccountContext {
        expired_in_symbol: Vec::new(),
        account,
        net_liquidating_value: net_liq,
        derivative_buying_power,
        buying_power_in_use_percent: (net_liq > 0.0)
            .then(|| round_to((net_liq - derivative_buying_power).max(0.0) / net_liq * 100.0, 2)),
        positions_in_symbol: held,
        shares_held,
        cost_basis,
        short_calls,
        short_puts,
        covered_call_lots_available: if lots.is_finite() && lots > 0.0 {
            lots as i64
        } else {
            0
        },
        exposure,
        limits,
        max_exposure: round_to((net_liq * limits.max_exposure_percent / 100.0).max(0.0), 2),
        method: SIZING_METHOD,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn position(
        symbol: &str,
        quantity: f64,
        option: Option<(OptionType, f64, &str)>,
    ) -> PositionView {
        PositionView {
            symbol: symbol.to_owned(),
            underlying: "XYZ".to_owned(),
            instrument_type: if option.is_some() {
                InstrumentType::EquityOption
            } else {
                InstrumentType::Equity
            },
            quantity,
            direction: if quantity < 0.0 { "short" } else { "long" },
            average_open_price: 100.0,
            mark: Some(1.0),
            mark_source: "broker",
            multiplier: if option.is_some() { 100.0 } else { 1.0 },
            market_value: Some(quantity * if option.is_some() { 100.0 } else { 1.0 }),
            cost_basis: 0.0,
            unrealized_pnl: None,
            unrealized_pnl_percent: None,
            day_pnl: None,
            option_type: option.map(|o| o.0),
            strike: option.map(|o| o.1),
            expiration: option.map(|o| o.2.to_owned()),
            dte: None,
        }
    }

    fn context(positions: Vec<PositionView>, net_liq: f64, bp: f64) -> AccountContext {
        account_context(
            "5WT•••01".into(),
            net_liq,
            bp,
            positions,
            "XYZ",
            100.0,
            RiskLimits::default(),
        )
    }

    #[test]
    fn exposure_counts_shares_secured_puts_spreads_and_naked_calls() {
        let positions = vec![
            position("XYZ", 250.0, None),
            // 3 short calls: 2 covered by 200 of the 250 shares, 1 paired with a long 110 call.
            position("C105", -3.0, Some((OptionType::Call, 105.0, "2026-01-16"))),
            position("C110", 1.0, Some((OptionType::Call, 110.0, "2026-01-16"))),
            // 2 short 95 puts, one paired with a long 90 put.
            position("P95", -2.0, Some((OptionType::Put, 95.0, "2026-01-16"))),
            position("P90", 1.0, Some((OptionType::Put, 90.0, "2026-01-16"))),
        ];
        let c = context(positions, 200_000.0, 50_000.0);
        // Shares 250 × 100 = 25 000; puts: one 95 secured = 9 500, one 95/90 spread = 500;
        // the third call: 105/110 spread = 500. Total 35 500 = 17.75 % of 200 000.
        assert_eq!(c.exposure.shares_value, 25_000.0);
        assert_eq!(c.exposure.cash_secured_puts, 9_500.0);
        assert_eq!(c.exposure.spreads, 1_000.0);
        assert_eq!(c.exposure.uncovered_calls, 0.0);
        assert_eq!(c.exposure.total, 35_500.0);
        assert_eq!(c.exposure.percent_of_net_liq, Some(17.75));
        // floor((250 − 300) / 100) < 0: no lot free.
        assert_eq!(c.covered_call_lots_available, 0);
        assert_eq!((c.short_calls, c.short_puts), (3.0, 2.0));
        assert_eq!(c.cost_basis, Some(100.0));
    }

    #[test]
    fn contracts_that_fit_are_the_smallest_of_the_caps() {
        // Net liq 100 000, 60 000 option buying power available: 40 % in use. Caps: exposure
        // 10 % = 10 000, buying power 50 % = 50 000 in use.
        let c = context(vec![position("XYZ", 20.0, None)], 100_000.0, 60_000.0);
        assert_eq!(c.exposure.total, 2_000.0);
        // A 5-wide spread with 1.20 credit risks 380: exposure room 8 000 / 380 = 21.05 → 21;
        // buying power room 10 000 / 380 = 26.3 → 26. 21 fit, limited by exposure.
        let s = size(&c, 380.0, 380.0, None);
        assert_eq!(
            (s.contracts, s.by_exposure, s.by_buying_power),
            (21, Some(21), Some(26))
        );
        assert_eq!(s.limited_by, "exposure");
        // (2 000 + 21 × 380) / 100 000 = 9.98 %; (40 000 + 7 980) / 100 000 = 47.98 %.
        assert_eq!(s.exposure_after_percent, Some(9.98));
        assert_eq!(s.buying_power_in_use_after_percent, Some(47.98));
        // A 95 cash-secured put (9 500 a contract) does not fit 8 000 of room: 0, and says why.
        let s = size(&c, 9_500.0, 9_500.0, None);
        assert_eq!(s.contracts, 0);
        assert!(s.note.contains("cap is 10%"), "{}", s.note);
        assert!(
            s.note.contains("already has $2,000")
                && s.note.contains("($10,000)")
                && s.note.ends_with("one contract adds $9,500"),
            "dollars as a trader reads them: {}",
            s.note
        );
        // With 45 % in use, a 1 000 spread: buying power room 5 000 → 5; exposure 8 → 5 fit.
        let c = context(vec![position("XYZ", 20.0, None)], 100_000.0, 55_000.0);
        let s = size(&c, 1_000.0, 1_000.0, None);
        assert_eq!((s.contracts, s.limited_by), (5, "buying_power"));
        // A covered call is limited by the shares alone.
        assert_eq!(size(&c, 0.0, 0.0, Some(2)).contracts, 2);
        assert_eq!(size(&c, 0.0, 0.0, Some(0)).limited_by, "shares");
    }

    #[test]
    fn no_shares_is_zero_not_negative_zero() {
        let c = context(Vec::new(), 100_000.0, 50_000.0);
        assert!(c.shares_held.is_sign_positive() && c.shares_held == 0.0);
        assert!(c.short_calls.is_sign_positive());
    }
}
