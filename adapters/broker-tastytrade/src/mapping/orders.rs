//! Orders: the body sent, the order read back, a dry run's preview.

use ttai_core::domain::{AccountNumber, InstrumentType, Symbol, TradeAction, round_to};
use ttai_core::domain::{
    BuyingPowerEffect, FeeCalculation, Order, OrderFill, OrderLegState, OrderMessage, OrderPreview,
    OrderRequest, OrderStatus, PriceEffect, TimeInForce, instrument_api_name, price_text,
};

use super::{cost_by_effect, instrument_type, signed_by_effect};
use crate::errors;
use crate::wire;

/// The body of `POST /accounts/{n}/orders[/dry-run]`, as the official SDK sends it: the limit
/// unsigned as a string with its `price-effect`, the legs with their API names, and
/// `external-identifier` naming the order's code so the order can be traced to its confirmation.
pub(crate) fn order_body(order: &OrderRequest) -> serde_json::Value {
    serde_json::json!({
        "time-in-force": order.time_in_force.api_name(),
        "order-type": "Limit",
        "price": price_text(order.price),
        "price-effect": order.price_effect.api_name(),
        "legs": order.legs.iter().map(|l| serde_json::json!({
            "instrument-type": instrument_api_name(l.instrument_type),
            "symbol": l.symbol.as_str(),
            "action": l.action.api_name(),
            "quantity": l.quantity,
        })).collect::<Vec<_>>(),
        "external-identifier": format!("ttai-{}", order.code()),
    })
}

/// A cost with its effect: a debit is a cost (positive), a credit a rebate (negative).
pub(super) fn fee(value: Option<f64>, effect: Option<&str>) -> f64 {
    round_to(cost_by_effect(value, effect), 6) + 0.0
}

/// An order of the API; `None` without an account-scoped shape (no legs or no underlying).
pub(crate) fn order(account: &AccountNumber, w: wire::OrderWire) -> Option<Order> {
    let underlying = Symbol::parse(w.underlying_symbol.as_deref()?).ok()?;
    let legs: Vec<OrderLegState> = w
        .legs
        .into_iter()
        .filter_map(|l| {
            let quantity = l.quantity.unwrap_or(0.0);
            Some(OrderLegState {
                instrument_type: instrument_type(l.instrument_type.as_deref())
                    .unwrap_or(InstrumentType::Other),
                symbol: Symbol::parse(l.symbol.as_deref()?).ok()?,
                action: TradeAction::from_api(l.action.as_deref()?)?,
                quantity,
                remaining_quantity: l.remaining_quantity.unwrap_or(quantity),
                fills: l
                    .fills
                    .into_iter()
                    .filter_map(|f| {
                        Some(OrderFill {
                            quantity: f.quantity?,
                            price: f.fill_price?,
                            filled_at: f.filled_at?,
                        })
                    })
                    .collect(),
            })
        })
        .collect();
    if legs.is_empty() {
        return None;
    }
    let status = w
        .status
        .as_deref()
        .and_then(OrderStatus::from_api)
        .unwrap_or(OrderStatus::Received);
    Some(Order {
        id: w.id.filter(|id| !id.trim().is_empty()),
        account: account.clone(),
        underlying,
        status,
        time_in_force: match w.time_in_force.as_deref() {
            Some(t) if t.eq_ignore_ascii_case("gtc") => TimeInForce::Gtc,
            _ => TimeInForce::Day,
        },
        order_type: w.order_type.unwrap_or_else(|| "Limit".to_owned()),
        price: w.price.map(f64::abs),
        price_effect: w.price_effect.as_deref().and_then(|e| match e.trim() {
            "Credit" => Some(PriceEffect::Credit),
            "Debit" => Some(PriceEffect::Debit),
            _ => None,
        }),
        size: w.size,
        legs,
        received_at: w.received_at,
        updated_at: w.updated_at,
        terminal_at: w.terminal_at,
        cancellable: w.cancellable.unwrap_or(false),
        reject_reason: w.reject_reason,
        external_identifier: w.external_identifier,
    })
}

/// The orders of a list answer that could be read.
pub(crate) fn orders(account: &AccountNumber, items: Vec<wire::OrderWire>) -> Vec<Order> {
    items.into_iter().filter_map(|w| order(account, w)).collect()
}

pub(super) fn messages(items: Vec<wire::OrderMessageWire>) -> Vec<OrderMessage> {
    items
        .into_iter()
        .filter_map(|m| {
            let code = m.code.as_deref().and_then(errors::safe_code)?;
            Some(OrderMessage {
                code,
                message: errors::clean(m.message.as_deref().unwrap_or_default()),
            })
        })
        .collect()
}

/// A dry run's or a placed order's answer: `data`, `error`, or both.
pub(crate) fn order_preview(account: &AccountNumber, w: wire::OrderEnvelopeWire) -> OrderPreview {
    let data = w.data.unwrap_or_default();
    let signed = |v: Option<f64>, e: &Option<String>| v.map_or(0.0, |v| signed_by_effect(v, e.as_deref()));
    let buying_power_effect = data.buying_power_effect.map(|b| BuyingPowerEffect {
        change_in_margin_requirement: signed(
            b.change_in_margin_requirement,
            &b.change_in_margin_requirement_effect,
        ),
        change_in_buying_power: signed(b.change_in_buying_power, &b.change_in_buying_power_effect),
        current_buying_power: signed(b.current_buying_power, &b.current_buying_power_effect),
        new_buying_power: signed(b.new_buying_power, &b.new_buying_power_effect),
        isolated_order_margin_requirement: signed(
            b.isolated_order_margin_requirement,
            &b.isolated_order_margin_requirement_effect,
        ),
        is_spread: b.is_spread.unwrap_or(false),
        impact: b.impact.unwrap_or(0.0).abs(),
        effect: match b.effect.as_deref().map(str::trim) {
            Some("Debit") => Some(PriceEffect::Debit),
            Some("Credit") => Some(PriceEffect::Credit),
            _ => None,
        },
    });
    let fees = data.fee_calculation.map(|f| FeeCalculation {
        regulatory_fees: fee(f.regulatory_fees, f.regulatory_fees_effect.as_deref()),
        clearing_fees: fee(f.clearing_fees, f.clearing_fees_effect.as_deref()),
        commission: fee(f.commission, f.commission_effect.as_deref()),
        proprietary_index_option_fees: fee(
            f.proprietary_index_option_fees,
            f.proprietary_index_option_fees_effect.as_deref(),
        ),
        total_fees: fee(f.total_fees, f.total_fees_effect.as_deref()),
    });
    let mut errors = messages(data.errors);
    if let Some(error) = w.error {
        let nested: Vec<OrderMessage> = error
            .errors
            .iter()
            .filter_map(|e| {
                let code = e
                    .code
                    .as_deref()
                    .or(e.domain.as_deref())
                    .and_then(errors::safe_code)?;
                let text = e.message.as_deref().or(e.reason.as_deref()).unwrap_or_default();
                Some(OrderMessage {
                    code,
                    message: errors::clean(text),
                })
            })
            .collect();
        if nested.is_empty() {
            errors.push(OrderMessage {
                code: error
                    .code
                    .as_deref()
                    .and_then(errors::safe_code)
                    .unwrap_or_else(|| "order_refused".to_owned()),
                message: errors::clean(error.message.as_deref().unwrap_or("the order was refused")),
            });
        } else {
            errors.extend(nested);
        }
    }
    OrderPreview {
        order: data.order.and_then(|o| order(account, o)),
        buying_power_effect,
        fees,
        warnings: messages(data.warnings),
        errors,
    }
}
