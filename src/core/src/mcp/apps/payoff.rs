//! The payoff view's model: a payoff's numbers, its curves, and the request to call
//! `analyze_payoff` again with when a slider moves.

use serde_json::{Value, json};

use crate::app::{LegKind, Payoff, SourceInfo};

/// The view-model of one payoff.
pub(crate) fn view_model(payoff: &Payoff, source: &SourceInfo) -> Value {
    let mut model = serde_json::to_value(payoff).unwrap_or(Value::Null);
    let curve: Vec<Value> = payoff
        .curve
        .iter()
        .map(|p| json!([p.price, p.expiration, p.today]))
        .collect();
    // The same legs at the same entry prices: moving a slider changes only the day and the IV.
    let legs: Vec<Value> = payoff
        .legs
        .iter()
        .map(|leg| match leg.kind {
            LegKind::Stock => json!({ "type": "stock", "quantity": leg.quantity, "price": leg.entry_price }),
            _ => json!({
                "type": if leg.kind == LegKind::Call { "call" } else { "put" },
                "strike": leg.strike,
                "expiration": leg.expiration,
                "quantity": leg.quantity,
                "price": leg.entry_price,
            }),
        })
        .collect();
    if let Some(map) = model.as_object_mut() {
        map.insert("view".into(), json!("payoff"));
        map.insert("curve".into(), Value::Array(curve));
        map.insert(
            "request".into(),
            json!({ "symbol": payoff.symbol, "legs": legs, "days_forward": payoff.days_forward, "iv_shift": payoff.iv_shift }),
        );
        map.remove("method");
        map.insert("source".into(), json!(source.source));
        map.insert("synthetic".into(), json!(source.synthetic));
    }
    model
}
