//! A broker's dry run, simulated: what an order does to buying power by the same Reg-T/CBOE
//! rules `get_portfolio_risk` estimates with (`portfolio_risk::requirement`), applied to the
//! underlying's book before and after the order, and TastyTrade-like fees. The paper broker and
//! the fakes answer dry runs with it, so one set of rules serves them all.
//!
//! The maintenance requirement of a structure is the estimate's, except that a defined-risk
//! credit structure (whose estimate is the width less the credit, the buying power it takes)
//! requires its whole width. Buying power changes by the cash the order moves at its limit, less
//! its fees, less the growth of the requirement, which is how TastyTrade's own dry run reads: a
//! 3-wide spread for a 2.00 credit requires 300, moves 200 in, costs 2.302 in fees ⇒ buying power
//! −102.302; one put sold for 6.30 with a naked requirement of 6 630 ⇒ −6 001.13.

use crate::app::portfolio_risk::model::LegKind;
use crate::app::portfolio_risk::requirement::{self, SliceFacts};
use crate::app::portfolio_risk::strategy::{LegShape, Strategy, recognise};
use crate::domain::{
    AccountNumber, BuyingPowerEffect, InstrumentType, OptionType, Order, OrderLegState, OrderMessage,
    OrderPreview, OrderRequest, OrderStatus, Position, PriceEffect, Symbol, new_york_date, order_fees,
    parse_occ, round_to,
};
use crate::time::{Date, Timestamp};

/// One leg of a book for the requirement: stock or an option, signed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SimLeg {
    /// Call or put, strike and expiration; `None` for stock.
    pub option: Option<(OptionType, f64, Date)>,
    /// Signed quantity: contracts or shares.
    pub quantity: f64,
    /// Shares per unit.
    pub multiplier: f64,
    /// Value per share now (the mark).
    pub value: f64,
    /// Price per share it was opened at.
    pub open_price: f64,
}

/// The estimated maintenance requirement of a book of one underlying at `spot`.
pub fn requirement(legs: &[SimLeg], spot: f64, today: Date, margin_account: bool) -> f64 {
    let shapes: Vec<LegShape> = legs
        .iter()
        .map(|l| LegShape {
            kind: match l.option {
                Some((option_type, strike, expiration)) => LegKind::Option {
                    option_type,
                    strike,
                    expiration,
                },
                None => LegKind::Linear,
            },
            quantity: l.quantity,
            multiplier: l.multiplier,
        })
        .collect();
    recognise(&shapes)
        .iter()
        .map(|found| {
            let facts: Vec<SliceFacts> = found
                .slices
                .iter()
                .filter_map(|(i, quantity)| {
                    let leg = legs.get(*i)?;
                    Some(SliceFacts {
                        option: leg.option.map(|(t, k, _)| (t, k)),
                        quantity: *quantity,
                        multiplier: leg.multiplier,
                        value: leg.value,
                        open_price: leg.open_price,
                        dte: leg.option.map_or(0, |(_, _, e)| today.days_until(e)),
                    })
                })
                .collect();
            let estimate = requirement::estimate(found.strategy, &facts, spot, margin_account);
            let credit: f64 = facts
                .iter()
                .filter(|f| f.option.is_some())
                .map(|f| -f.quantity * f.open_price * f.multiplier)
                .sum();
            let width_less_credit = matches!(
                found.strategy,
                Strategy::BullPutSpread
                    | Strategy::BearCallSpread
                    | Strategy::BullCallSpread
                    | Strategy::BearPutSpread
                    | Strategy::IronCondor
                    | Strategy::IronButterfly
            );
            if width_less_credit && credit > 0.0 {
                estimate + credit
            } else {
                estimate
            }
        })
        .sum()
}

/// The legs of `order` as book legs, each at its mid (`mid_of` the OCC symbol) with the order's
/// net limit spread over the legs in proportion to their mids (so the credit is the limit's).
pub fn order_legs(order: &OrderRequest, mid_of: impl Fn(&str) -> Option<f64>) -> Vec<SimLeg> {
    let mids: Vec<f64> = order
        .legs
        .iter()
        .map(|l| mid_of(l.symbol.as_str()).unwrap_or(0.0))
        .collect();
    let size = f64::from(order.size().max(1));
    let net_mid: f64 = order
        .legs
        .iter()
        .zip(&mids)
        .map(|(l, m)| -l.action.sign() * m * f64::from(l.quantity) / size)
        .sum();
    let signed_limit = order.price_effect.sign() * order.price;
    let scale = if net_mid.abs() > 1e-9 {
        signed_limit / net_mid
    } else {
        1.0
    };
    order
        .legs
        .iter()
        .zip(mids)
        .map(|(l, mid)| {
            let option = parse_occ(l.symbol.as_str()).map(|p| (p.option_type, p.strike, p.expiration));
            SimLeg {
                option,
                quantity: l.action.sign() * f64::from(l.quantity),
                multiplier: l.multiplier(),
                value: mid,
                open_price: if scale.is_finite() && scale > 0.0 {
                    mid * scale
                } else {
                    mid
                },
            }
        })
        .collect()
}

/// What a simulated broker knows when it answers a dry run.
#[derive(Clone, Debug)]
pub struct SimAccount<'a> {
    /// The account.
    pub account: &'a AccountNumber,
    /// The underlying's book before the order.
    pub book: &'a [SimLeg],
    /// The underlying's price.
    pub spot: f64,
    /// The market's date.
    pub today: Date,
    /// Option buying power available now.
    pub buying_power: f64,
    /// Margin account (else cash).
    pub margin_account: bool,
    /// When the order is received.
    pub now: Timestamp,
}

/// The positions of `underlying` as requirement legs (valued at the mark, else the close, else
/// the open price).
pub fn position_legs(positions: &[Position], underlying: &Symbol) -> Vec<SimLeg> {
    positions
        .iter()
        .filter(|p| &p.underlying == underlying)
        .map(|p| SimLeg {
            option: match (p.option_type, p.strike, p.expiration) {
                (Some(t), Some(k), Some(e)) => Some((t, k, e)),
                _ => None,
            },
            quantity: p.quantity,
            multiplier: p.multiplier,
            value: p.mark.or(p.close_price).unwrap_or(p.average_open_price),
            open_price: p.average_open_price,
        })
        .collect()
}

/// The dry run of `order` for an account holding `positions`, with `buying_power` available,
/// the legs at their mids (`mid_of`) and the underlying at `spot`.
#[allow(clippy::too_many_arguments)]
pub fn dry_run_on(
    order: &OrderRequest,
    account: &AccountNumber,
    positions: &[Position],
    buying_power: f64,
    margin_account: bool,
    mid_of: impl Fn(&str) -> Option<f64>,
    spot: f64,
    now: Timestamp,
) -> OrderPreview {
    let legs = order_legs(order, mid_of);
    let book = position_legs(positions, &order.underlying);
    dry_run(
        order,
        &legs,
        &SimAccount {
            account,
            book: &book,
            spot,
            today: new_york_date(now),
            buying_power,
            margin_account,
            now,
        },
    )
}

/// The order as a broker holds it, received now, nothing filled.
pub fn received(order: &OrderRequest, account: &AccountNumber, id: Option<String>, now: Timestamp) -> Order {
    Order {
        id,
        account: account.clone(),
        underlying: order.underlying.clone(),
        status: OrderStatus::Received,
        time_in_force: order.time_in_force,
        order_type: "Limit".to_owned(),
        price: Some(order.price),
        price_effect: Some(order.price_effect),
        size: Some(f64::from(order.size())),
        legs: order
            .legs
            .iter()
            .map(|l| OrderLegState {
                instrument_type: l.instrument_type,
                symbol: l.symbol.clone(),
                action: l.action,
                quantity: f64::from(l.quantity),
                remaining_quantity: f64::from(l.quantity),
                fills: Vec::new(),
            })
            .collect(),
        received_at: Some(now),
        updated_at: Some(now),
        terminal_at: None,
        cancellable: true,
        reject_reason: None,
        external_identifier: Some(format!("ttai-{}", order.code())),
    }
}

/// The dry run of `order` (its legs `legs`, from [`order_legs`]) against `account`: the
/// buying-power effect, the fees, and the error a broker gives when buying power runs out.
pub fn dry_run(order: &OrderRequest, legs: &[SimLeg], account: &SimAccount<'_>) -> OrderPreview {
    let before = requirement(account.book, account.spot, account.today, account.margin_account);
    let mut after_book = account.book.to_vec();
    after_book.extend_from_slice(legs);
    let after = requirement(&after_book, account.spot, account.today, account.margin_account);
    let fees = order_fees(order);
    let change_in_requirement = after - before;
    let change_in_bp = round_to(order.cash_at_limit() - fees.total_fees - change_in_requirement, 4);
    let new_bp = account.buying_power + change_in_bp;
    let isolated = requirement(legs, account.spot, account.today, account.margin_account);
    let effect = BuyingPowerEffect {
        change_in_margin_requirement: round_to(-change_in_requirement, 4),
        change_in_buying_power: change_in_bp,
        current_buying_power: round_to(account.buying_power, 4),
        new_buying_power: round_to(new_bp, 4),
        isolated_order_margin_requirement: round_to(-isolated, 4),
        is_spread: legs.len() > 1,
        impact: change_in_bp.abs(),
        effect: Some(if change_in_bp < 0.0 {
            PriceEffect::Debit
        } else {
            PriceEffect::Credit
        }),
    };
    let mut errors = Vec::new();
    if new_bp < 0.0 && change_in_bp < 0.0 {
        errors.push(OrderMessage {
            code: "margin_check_failed".to_owned(),
            message: "Account does not have sufficient buying power available for this order.".to_owned(),
        });
    }
    let instrument_ok = order.legs.iter().all(|l| {
        matches!(
            l.instrument_type,
            InstrumentType::EquityOption | InstrumentType::Equity
        )
    });
    if !instrument_ok {
        errors.push(OrderMessage {
            code: "invalid_instrument".to_owned(),
            message: "This order's instruments cannot be traded here.".to_owned(),
        });
    }
    OrderPreview {
        order: Some(received(order, account.account, None, account.now)),
        buying_power_effect: Some(effect),
        fees: Some(fees),
        warnings: Vec::new(),
        errors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{OrderLeg, TimeInForce, TradeAction};

    fn leg(symbol: &str, action: TradeAction) -> OrderLeg {
        OrderLeg {
            instrument_type: InstrumentType::EquityOption,
            symbol: Symbol::parse(symbol).unwrap(),
            action,
            quantity: 1,
        }
    }

    #[test]
    fn a_short_put_uses_its_naked_requirement_less_the_credit_plus_fees() {
        // SPY at 600, the 540 put mid 6.30: naked = max(0.2 × 600 − 60, 0.1 × 540) + 6.30 = 60 + 6.30
        // = 66.30 a share, 6 630 a contract; buying power −(6 630 − 630 + 1.13) = −6 001.13.
        let order = OrderRequest {
            underlying: Symbol::parse("SPY").unwrap(),
            time_in_force: TimeInForce::Day,
            price: 6.3,
            price_effect: PriceEffect::Credit,
            legs: vec![leg("SPY   261224P00540000", TradeAction::SellToOpen)],
        };
        let legs = order_legs(&order, |_| Some(6.3));
        let account = AccountNumber::new("5WT00001");
        let today: Date = "2026-11-20".parse().unwrap();
        let sim = SimAccount {
            account: &account,
            book: &[],
            spot: 600.0,
            today,
            buying_power: 50_000.0,
            margin_account: true,
            now: today.at_utc(15, 0),
        };
        let preview = dry_run(&order, &legs, &sim);
        let bp = preview.buying_power_effect.unwrap();
        assert_eq!(bp.change_in_margin_requirement, -6630.0);
        assert_eq!(bp.change_in_buying_power, -6001.13);
        assert_eq!(bp.used(), 6001.13);
        assert_eq!(bp.new_buying_power, 43_998.87);
        assert!(preview.errors.is_empty());
        // Not enough buying power: the broker's error.
        let poor = SimAccount {
            buying_power: 5_000.0,
            ..sim.clone()
        };
        let refused = dry_run(&order, &legs, &poor);
        assert_eq!(refused.errors[0].code, "margin_check_failed");
        // A vertical against it: 540/535 for 1.00 credit: width 500 − 100 = 400 a contract.
        let spread = OrderRequest {
            price: 1.0,
            legs: vec![
                leg("SPY   261224P00540000", TradeAction::SellToOpen),
                leg("SPY   261224P00535000", TradeAction::BuyToOpen),
            ],
            ..order
        };
        let legs = order_legs(&spread, |s| Some(if s.contains("540") { 6.3 } else { 5.3 }));
        let bp = dry_run(&spread, &legs, &sim).buying_power_effect.unwrap();
        assert_eq!(bp.change_in_margin_requirement, -500.0);
        assert_eq!(bp.change_in_buying_power, -(500.0 - 100.0 + 2.26));
    }
}
