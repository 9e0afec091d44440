//! Orders on the fake: the dry run, placing, today's orders, the order history, one order and
//! a cancel, in the shapes of docs/tastytrade.md ("Orders") and the official SDK's models
//! (`PlacedOrderResponse`, `UnplacedOrder`, `PlacedOrder`, `BuyingPowerEffect`,
//! `FeeCalculation`).
//!
//! The body is checked the way the API checks it (every leg's instrument type, symbol, action
//! and quantity; a limit order's price and price effect; a symbol the market lists), and the
//! buying-power effect and fees come from ttai's simulated dry run on the fake's market
//! (`ttai_core::app::orders::simulate`). An order the account cannot carry is refused by the
//! preflight check with HTTP 422 and both `data` (the buying-power effect) and `error` (what
//! failed). A placed order whose limit is at or better than the mid fills at once at its limit;
//! otherwise it stays `Live`. Positions and balances do not change after a fill.

use serde_json::{Value, json};
use ttai_core::app::orders::simulate;
use ttai_core::domain::{
    AccountNumber, InstrumentType, OrderLeg, OrderPreview, OrderRequest, PriceEffect, Symbol, TimeInForce,
    TradeAction, instrument_from_api, new_york_clock,
};
use ttai_core::time::Timestamp;

use super::render::{count, dec, time_z};
use super::routes::{data, error, items, known_account, not_permitted};
use super::server::Reply;
use super::{RecordedRequest, State};

/// An order the fake holds.
#[derive(Clone, Debug)]
pub(crate) struct FakeOrder {
    pub(crate) id: u64,
    pub(crate) account: String,
    pub(crate) request: OrderRequest,
    pub(crate) external_identifier: Option<String>,
    pub(crate) status: &'static str,
    pub(crate) received_at: Timestamp,
    pub(crate) terminal_at: Option<Timestamp>,
}

/// The first order id the fake gives.
const FIRST_ID: u64 = 300_000_001;

/// A 422 validation error naming the problem.
fn invalid(reason: &str) -> Reply {
    Reply::json(
        422,
        &json!({"error": {"code": "validation_error", "message": "Request validation failed",
            "errors": [{"domain": "order", "reason": reason}]}}),
    )
}

/// Reads an order body as the API does.
fn read_body(state: &State, request: &RecordedRequest) -> Result<(OrderRequest, Option<String>), Reply> {
    let body = request.json().ok_or_else(|| invalid("the body is not JSON"))?;
    let text = |key: &str| body.get(key).and_then(Value::as_str);
    let time_in_force = match text("time-in-force") {
        Some("Day") => TimeInForce::Day,
        Some("GTC") => TimeInForce::Gtc,
        _ => return Err(invalid("time-in-force must be Day or GTC")),
    };
    if text("order-type") != Some("Limit") {
        return Err(invalid("order-type must be Limit here"));
    }
    let price = body
        .get("price")
        .and_then(|p| {
            p.as_str()
                .and_then(|s| s.parse::<f64>().ok())
                .or_else(|| p.as_f64())
        })
        .filter(|p| p.is_finite() && *p > 0.0)
        .ok_or_else(|| invalid("a limit order needs a positive price"))?;
    let price_effect = match text("price-effect") {
        Some("Credit") => PriceEffect::Credit,
        Some("Debit") => PriceEffect::Debit,
        _ => return Err(invalid("price-effect must be Credit or Debit")),
    };
    let legs = body
        .get("legs")
        .and_then(Value::as_array)
        .filter(|l| !l.is_empty() && l.len() <= 4)
        .ok_or_else(|| invalid("an order has 1 to 4 legs"))?;
    let mut order_legs = Vec::new();
    for leg in legs {
        let field = |key: &str| leg.get(key).and_then(Value::as_str);
        let instrument_type = instrument_from_api(field("instrument-type").unwrap_or_default());
        let symbol = field("symbol")
            .and_then(|s| Symbol::parse(s).ok())
            .ok_or_else(|| invalid("a leg has no symbol"))?;
        let action = field("action")
            .and_then(TradeAction::from_api)
            .ok_or_else(|| invalid("a leg's action is not one of the API's"))?;
        let quantity = leg
            .get("quantity")
            .and_then(Value::as_u64)
            .filter(|q| *q >= 1)
            .and_then(|q| u32::try_from(q).ok())
            .ok_or_else(|| invalid("a leg's quantity must be a whole number from 1"))?;
        if instrument_type != InstrumentType::EquityOption || mid_of(state, symbol.as_str()).is_none() {
            return Err(invalid(&format!(
                "{symbol} is not an equity option this market lists"
            )));
        }
        order_legs.push(OrderLeg {
            instrument_type,
            symbol,
            action,
            quantity,
        });
    }
    let underlying = order_legs
        .first()
        .and_then(|leg| {
            state
                .options
                .market
                .chains
                .iter()
                .find(|c| c.contract(leg.symbol.as_str()).is_some())
        })
        .map(|c| c.underlying.clone())
        .ok_or_else(|| invalid("the legs' underlying is not known"))?;
    Ok((
        OrderRequest {
            underlying,
            time_in_force,
            price,
            price_effect,
            legs: order_legs,
        },
        text("external-identifier").map(str::to_owned),
    ))
}

/// The mid of a listed option.
fn mid_of(state: &State, symbol: &str) -> Option<f64> {
    state.options.market.chains.iter().find_map(|c| c.mid_of(symbol))
}

/// The simulated dry run on the fake's account.
fn dry_run(state: &State, account: &str, order: &OrderRequest) -> OrderPreview {
    let market = &state.options.market;
    let number = AccountNumber::new(account);
    let positions: Vec<_> = market
        .positions
        .iter()
        .filter(|p| p.account == number)
        .cloned()
        .collect();
    let buying_power = market
        .balances
        .iter()
        .find(|b| b.account == number)
        .map_or(0.0, |b| b.derivative_buying_power);
    let spot = market
        .quotes
        .iter()
        .find(|q| q.symbol == order.underlying)
        .and_then(|q| q.mark_price())
        .unwrap_or(0.0);
    simulate::dry_run_on(
        order,
        &number,
        &positions,
        buying_power,
        true,
        |s| mid_of(state, s),
        spot,
        state.options.now,
    )
}

/// A signed amount as the API writes it: unsigned with its effect.
fn effect_pair(out: &mut serde_json::Map<String, Value>, key: &str, signed: f64) {
    out.insert(key.to_owned(), dec(signed.abs()));
    let effect = if signed < 0.0 {
        "Debit"
    } else if signed > 0.0 {
        "Credit"
    } else {
        "None"
    };
    out.insert(format!("{key}-effect"), Value::from(effect));
}

fn buying_power_json(preview: &OrderPreview) -> Value {
    let Some(b) = &preview.buying_power_effect else {
        return Value::Null;
    };
    let mut out = serde_json::Map::new();
    effect_pair(
        &mut out,
        "change-in-margin-requirement",
        b.change_in_margin_requirement,
    );
    effect_pair(&mut out, "change-in-buying-power", b.change_in_buying_power);
    effect_pair(&mut out, "current-buying-power", b.current_buying_power);
    effect_pair(&mut out, "new-buying-power", b.new_buying_power);
    effect_pair(
        &mut out,
        "isolated-order-margin-requirement",
        b.isolated_order_margin_requirement,
    );
    out.insert("is-spread".into(), Value::from(b.is_spread));
    effect_pair(&mut out, "impact", b.change_in_buying_power);
    if let Some(effect) = out.remove("impact-effect") {
        out.insert("effect".into(), effect);
    }
    Value::Object(out)
}

fn fees_json(preview: &OrderPreview) -> Value {
    let Some(f) = &preview.fees else {
        return Value::Null;
    };
    let mut out = serde_json::Map::new();
    for (key, cost) in [
        ("regulatory-fees", f.regulatory_fees),
        ("clearing-fees", f.clearing_fees),
        ("commission", f.commission),
        ("proprietary-index-option-fees", f.proprietary_index_option_fees),
        ("total-fees", f.total_fees),
    ] {
        effect_pair(&mut out, key, -cost);
    }
    Value::Object(out)
}

/// An order as the API writes it (`id` absent in a dry run).
fn order_json(order: &FakeOrder, dry_run: bool, now: Timestamp) -> Value {
    let filled = order.status == "Filled";
    let r = &order.request;
    let size = r.size();
    let legs: Vec<Value> = r
        .legs
        .iter()
        .map(|l| {
            let fills = if filled {
                json!([{"fill-id": format!("{}-{}", order.id, l.symbol.as_str().trim()), "quantity": dec(f64::from(l.quantity)),
                    "fill-price": dec(r.price), "filled-at": time_z(order.terminal_at.unwrap_or(now)), "destination-venue": "FAKE"}])
            } else {
                json!([])
            };
            json!({"instrument-type": "Equity Option", "symbol": l.symbol.as_str(), "quantity": count(f64::from(l.quantity)),
                "remaining-quantity": count(if filled { 0.0 } else { f64::from(l.quantity) }), "action": l.action.api_name(), "fills": fills})
        })
        .collect();
    let mut out = json!({
        "account-number": order.account,
        "time-in-force": r.time_in_force.api_name(),
        "order-type": "Limit",
        "size": count(f64::from(size)),
        "underlying-symbol": r.underlying.as_str(),
        "underlying-instrument-type": "Equity",
        "price": dec(r.price),
        "price-effect": r.price_effect.api_name(),
        "status": order.status,
        "cancellable": !dry_run && matches!(order.status, "Live" | "Received"),
        "editable": !dry_run && matches!(order.status, "Live" | "Received"),
        "edited": false,
        "legs": legs,
    });
    if let Some(map) = out.as_object_mut() {
        if dry_run {
            // The dry run's `updated-at` is the epoch-ms integer 0.
            map.insert("updated-at".into(), json!(0));
        } else {
            map.insert("id".into(), json!(order.id));
            map.insert("received-at".into(), time_z(order.received_at));
            map.insert(
                "updated-at".into(),
                json!(order.terminal_at.unwrap_or(order.received_at).millis()),
            );
            if let Some(t) = order.terminal_at {
                map.insert("terminal-at".into(), time_z(t));
            }
        }
        if let Some(id) = &order.external_identifier {
            map.insert("external-identifier".into(), Value::from(id.as_str()));
        }
    }
    out
}

/// The answer of a refused preflight: HTTP 422 with `data` (the buying-power effect) and
/// `error`, as the API answers a dry run the account cannot carry.
fn preflight_refusal(preview: &OrderPreview) -> Reply {
    let problems: Vec<Value> = preview
        .errors
        .iter()
        .map(|e| json!({"code": e.code, "message": e.message}))
        .collect();
    Reply::json(
        422,
        &json!({
            "data": {"buying-power-effect": buying_power_json(preview)},
            "error": {"code": "preflight_check_failure", "message": "One or more preflight checks failed", "errors": problems},
        }),
    )
}

/// `POST /accounts/{n}/orders/dry-run` and `POST /accounts/{n}/orders`.
pub(crate) fn submit(state: &mut State, request: &RecordedRequest, place: bool) -> Reply {
    let Some(account) = known_account(state, request) else {
        return not_permitted();
    };
    let (order, external_identifier) = match read_body(state, request) {
        Ok(read) => read,
        Err(reply) => return reply,
    };
    let preview = dry_run(state, &account, &order);
    if !preview.errors.is_empty() {
        return preflight_refusal(&preview);
    }
    let now = state.options.now;
    let mut held = FakeOrder {
        id: FIRST_ID + state.orders.len() as u64,
        account: account.clone(),
        request: order.clone(),
        external_identifier,
        status: "Received",
        received_at: now,
        terminal_at: None,
    };
    if place {
        let marketable = {
            let mid: Option<f64> = order
                .legs
                .iter()
                .map(|l| {
                    mid_of(state, l.symbol.as_str()).map(|m| -l.action.sign() * m * f64::from(l.quantity))
                })
                .sum::<Option<f64>>()
                .map(|net| net / f64::from(order.size().max(1)));
            mid.is_some_and(|mid| mid + 1e-9 >= order.price_effect.sign() * order.price)
        };
        held.status = if marketable { "Filled" } else { "Live" };
        if marketable {
            held.terminal_at = Some(now);
        }
        state.orders.push(held.clone());
    }
    let body = json!({
        "order": order_json(&held, !place, now),
        "warnings": [],
        "buying-power-effect": buying_power_json(&preview),
        "fee-calculation": fees_json(&preview),
    });
    let mut reply = data(request, body);
    if place {
        reply.status = 201;
    }
    reply
}

fn account_orders<'a>(state: &'a State, account: &'a str) -> impl Iterator<Item = &'a FakeOrder> + 'a {
    state.orders.iter().filter(move |o| o.account == account)
}

/// `GET /accounts/{n}/orders/live`: today's orders (by New York's date) and working ones.
pub(crate) fn live(state: &State, request: &RecordedRequest) -> Reply {
    let Some(account) = known_account(state, request) else {
        return not_permitted();
    };
    let now = state.options.now;
    let today = new_york_clock(now).0;
    let list = account_orders(state, &account)
        .filter(|o| matches!(o.status, "Live" | "Received") || new_york_clock(o.received_at).0 == today)
        .map(|o| order_json(o, false, now))
        .collect();
    items(request, list)
}

/// `GET /accounts/{n}/orders?start-date=&per-page=&page-offset=&sort=`: paged, newest first
/// unless `sort=Asc`.
pub(crate) fn history(state: &State, request: &RecordedRequest) -> Reply {
    let Some(account) = known_account(state, request) else {
        return not_permitted();
    };
    let query = request.query();
    let value = |key: &str| query.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let start = value("start-date").and_then(|d| d.parse::<ttai_core::time::Date>().ok());
    let per_page = value("per-page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(50)
        .clamp(1, 200);
    let page = value("page-offset")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut list: Vec<&FakeOrder> = account_orders(state, &account)
        .filter(|o| start.is_none_or(|d| o.received_at.date() >= d))
        .collect();
    if value("sort").as_deref() != Some("Asc") {
        list.reverse();
    }
    let total = list.len();
    let now = state.options.now;
    let page_items: Vec<Value> = list
        .iter()
        .skip(page * per_page)
        .take(per_page)
        .map(|o| order_json(o, false, now))
        .collect();
    let pages = total.div_ceil(per_page).max(1);
    Reply::json(
        200,
        &json!({"data": {"items": page_items}, "context": request.path(), "pagination": {
            "per-page": per_page, "page-offset": page, "item-offset": page * per_page, "total-items": total,
            "total-pages": pages, "current-item-count": page_items.len(), "previous-link": null, "next-link": null,
            "paging-link-template": null}}),
    )
}

fn order_id(request: &RecordedRequest) -> Option<u64> {
    request.path().split('/').nth(4).and_then(|s| s.parse().ok())
}

/// `GET /accounts/{n}/orders/{id}`.
pub(crate) fn one(state: &State, request: &RecordedRequest) -> Reply {
    let Some(account) = known_account(state, request) else {
        return not_permitted();
    };
    let id = order_id(request);
    match account_orders(state, &account).find(|o| Some(o.id) == id) {
        Some(order) => data(request, order_json(order, false, state.options.now)),
        None => error(404, "record_not_found", "Couldn't find Order"),
    }
}

/// `DELETE /accounts/{n}/orders/{id}`: a working order is cancelled; anything else is refused.
pub(crate) fn cancel(state: &mut State, request: &RecordedRequest) -> Reply {
    let Some(account) = known_account(state, request) else {
        return not_permitted();
    };
    let id = order_id(request);
    let now = state.options.now;
    let Some(order) = state
        .orders
        .iter_mut()
        .find(|o| o.account == account && Some(o.id) == id)
    else {
        return error(404, "record_not_found", "Couldn't find Order");
    };
    if !matches!(order.status, "Live" | "Received") {
        return error(
            422,
            "order_not_cancellable",
            "This order can no longer be cancelled",
        );
    }
    order.status = "Cancelled";
    order.terminal_at = Some(now);
    let order = order.clone();
    data(request, order_json(&order, false, now))
}
