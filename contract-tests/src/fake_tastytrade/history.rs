//! The account's history, watchlists and the market's hours, as TastyTrade serves them:
//! `/accounts/{n}/transactions` (paged, filtered), `/accounts/{n}/net-liq/history`,
//! `/watchlists[/{name}]`, `/market-time/sessions/current` and `/market-time/equities/holidays`.
//!
//! Written the API's way, independently of the adapter: unsigned money with `-effect`s, decimals
//! as strings, quantities as strings on transactions, the `pagination` block, net-liq times as
//! `2025-06-13 20:00:00+00`, and every field the official SDK's models require. Sessions and
//! holidays come from the NYSE calendar at the fake's clock.

use serde_json::{Map, Value, json};
use ttai_core::domain::{
    MarketCalendar, MarketSession, NetLiqPoint, NetLiqWindow, SessionTimes, Symbol, Transaction,
    TransactionQuery, Watchlist, new_york_clock,
};
use ttai_core::time::{Date, Timestamp};

use super::render::{dec, instrument_type, time_offset, time_z};
use super::routes::{data, error, items, known_account, list_param, not_permitted};
use super::server::{Reply, percent_decode};
use super::{RecordedRequest, State};

/// The most transactions per page the fake serves (the official SDK asks 250).
const MAX_PER_PAGE: usize = 2000;

/// `Credit`, `Debit` or `None` by the sign of a cash value.
fn effect(value: f64) -> &'static str {
    if value > 0.0 {
        "Credit"
    } else if value < 0.0 {
        "Debit"
    } else {
        "None"
    }
}

/// `Debit` for a fee paid, `Credit` for a refund, `None` for nothing.
fn fee_effect(cost: f64) -> &'static str {
    effect(-cost)
}

/// One transaction as the API writes it. Fees are split the way TastyTrade itemises an option
/// trade: clearing 0.10 a contract, the rest regulatory.
fn transaction(t: &Transaction) -> Value {
    let mut o = Map::new();
    o.insert("id".into(), json!(t.id));
    o.insert("account-number".into(), json!(t.account.as_str()));
    if let Some(symbol) = &t.symbol {
        o.insert("symbol".into(), json!(symbol.as_str()));
    }
    if let Some(kind) = t.instrument_type {
        o.insert("instrument-type".into(), json!(instrument_type(kind)));
    }
    if let Some(underlying) = &t.underlying {
        o.insert("underlying-symbol".into(), json!(underlying.as_str()));
    }
    o.insert("transaction-type".into(), json!(t.transaction_type));
    o.insert("transaction-sub-type".into(), json!(t.sub_type));
    o.insert("description".into(), json!(t.description));
    if let Some(action) = t.action {
        o.insert("action".into(), json!(action.api_name()));
    }
    if let Some(quantity) = t.quantity {
        o.insert("quantity".into(), dec(quantity));
    }
    if let Some(price) = t.price {
        o.insert("price".into(), dec(price));
    }
    o.insert("executed-at".into(), time_offset(t.executed_at, 0));
    o.insert("transaction-date".into(), json!(t.date.to_string()));
    o.insert("value".into(), dec(t.value.abs()));
    o.insert("value-effect".into(), json!(effect(t.value)));
    let clearing = match t.quantity {
        Some(q) if t.fees > 0.0 => ((0.10 * q).min(t.fees) * 100.0).round() / 100.0,
        _ => 0.0,
    };
    let regulatory = ((t.fees - clearing) * 10_000.0).round() / 10_000.0;
    for (key, cost) in [
        ("commission", t.commission),
        ("clearing-fees", clearing),
        ("regulatory-fees", regulatory),
        ("proprietary-index-option-fees", 0.0),
    ] {
        o.insert(key.into(), dec(cost.abs()));
        o.insert(format!("{key}-effect"), json!(fee_effect(cost)));
    }
    o.insert("net-value".into(), dec(t.net_value.abs()));
    o.insert("net-value-effect".into(), json!(effect(t.net_value)));
    o.insert("is-estimated-fee".into(), json!(t.action.is_some()));
    if t.transaction_type == "Trade" {
        o.insert("order-id".into(), json!(t.id / 10));
        o.insert("leg-count".into(), json!(1));
        o.insert("exchange".into(), json!("CBOE"));
    }
    Value::Object(o)
}

/// The first value of query key `key`.
fn param(request: &RecordedRequest, key: &str) -> Option<String> {
    request
        .query()
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

/// A 400 naming the parameter.
fn invalid(domain: &str, reason: &str) -> Reply {
    Reply::json(
        400,
        &json!({"error": {"code": "validation_error", "message": "Request validation failed",
            "errors": [{"domain": domain, "reason": reason}]}}),
    )
}

/// `GET /accounts/{n}/transactions?per-page=&page-offset=&sort=&start-date=&end-date=&symbol=
/// &underlying-symbol=&type=&types[]=`: the account's transactions, paged, with `pagination`.
pub(crate) fn transactions(state: &State, request: &RecordedRequest) -> Reply {
    let Some(number) = known_account(state, request) else {
        return not_permitted();
    };
    let number_param = |key: &str, default: usize| match param(request, key) {
        None => Ok(default),
        Some(text) => text
            .trim()
            .parse::<usize>()
            .map_err(|_| invalid(key, "is not a number")),
    };
    let per_page = match number_param("per-page", 250) {
        Ok(n) if (1..=MAX_PER_PAGE).contains(&n) => n,
        Ok(_) => return invalid("per-page", "is out of range"),
        Err(reply) => return reply,
    };
    let page = match number_param("page-offset", 0) {
        Ok(n) => n,
        Err(reply) => return reply,
    };
    let date = |key: &str| match param(request, key) {
        None => Ok(None),
        Some(text) => text
            .trim()
            .parse::<Date>()
            .map(Some)
            .map_err(|_| invalid(key, "is not a date")),
    };
    let (start, end) = match (date("start-date"), date("end-date")) {
        (Ok(start), Ok(end)) => (start, end),
        (Err(reply), _) | (_, Err(reply)) => return reply,
    };
    let mut types = list_param(request, "types");
    types.extend(param(request, "type"));
    let query = TransactionQuery {
        start,
        end,
        underlying: param(request, "underlying-symbol").and_then(|s| Symbol::parse(&s).ok()),
        types,
        page,
        per_page,
    };
    let symbol = param(request, "symbol");
    let now = state.options.now;
    let mut matching: Vec<&Transaction> = state
        .options
        .market
        .transactions
        .iter()
        .filter(|t| t.account.as_str() == number && t.executed_at <= now && query.matches(t))
        .filter(|t| {
            symbol
                .as_deref()
                .is_none_or(|s| t.symbol.as_ref().is_some_and(|x| x.as_str() == s))
        })
        .collect();
    matching.sort_by_key(|t| (t.executed_at, t.id));
    if param(request, "sort").is_none_or(|s| !s.eq_ignore_ascii_case("Asc")) {
        matching.reverse();
    }
    let total_items = matching.len();
    let total_pages = total_items.div_ceil(per_page).max(1);
    let list: Vec<Value> = matching
        .into_iter()
        .skip(page.saturating_mul(per_page))
        .take(per_page)
        .map(transaction)
        .collect();
    Reply::json(
        200,
        &json!({
            "api-version": "v1",
            "context": request.path(),
            "data": {"items": list},
            "pagination": {
                "per-page": per_page,
                "page-offset": page,
                "item-offset": page.saturating_mul(per_page),
                "total-items": total_items,
                "total-pages": total_pages,
                "current-item-count": list.len(),
                "previous-link": null,
                "next-link": null,
                "paging-link-template": null
            }
        }),
    )
}

/// `2025-06-13 20:00:00+00`, the net-liq history's time form.
fn net_liq_time(t: Timestamp) -> String {
    let text = t.to_string();
    let clock = text.trim_end_matches('Z').replacen('T', " ", 1);
    let clock = clock.split('.').next().unwrap_or_default().to_owned();
    format!("{clock}+00")
}

/// One `NetLiqOhlc`.
fn net_liq_point(p: &NetLiqPoint) -> Value {
    let total = |v: f64| dec(((v + p.pending_cash) * 1000.0).round() / 1000.0);
    json!({
        "open": dec(p.open), "high": dec(p.high), "low": dec(p.low), "close": dec(p.close),
        "pending-cash-open": dec(p.pending_cash), "pending-cash-high": dec(p.pending_cash),
        "pending-cash-low": dec(p.pending_cash), "pending-cash-close": dec(p.pending_cash),
        "total-open": total(p.open), "total-high": total(p.high), "total-low": total(p.low),
        "total-close": total(p.close),
        "time": net_liq_time(p.time),
    })
}

/// `GET /accounts/{n}/net-liq/history?time-back=1m` (or `start-time=`): the points in the window.
pub(crate) fn net_liq_history(state: &State, request: &RecordedRequest) -> Reply {
    let Some(number) = known_account(state, request) else {
        return not_permitted();
    };
    let now = state.options.now;
    let points = state
        .options
        .market
        .net_liq_history
        .iter()
        .filter(|(a, _)| a.as_str() == number)
        .flat_map(|(_, points)| points.iter().copied());
    let selected: Vec<NetLiqPoint> = match (param(request, "start-time"), param(request, "time-back")) {
        (Some(start), _) => match start.trim().parse::<Timestamp>() {
            Ok(start) => NetLiqWindow::All
                .select(points, now)
                .into_iter()
                .filter(|p| p.time >= start)
                .collect(),
            Err(_) => return invalid("start-time", "is not a time"),
        },
        (None, Some(back)) => match NetLiqWindow::parse(&back) {
            Some(window) => window.select(points, now),
            None => return invalid("time-back", "must be 1d, 1m, 3m, 6m, 1y or all"),
        },
        (None, None) => return invalid("time-back", "is missing"),
    };
    items(request, selected.iter().map(net_liq_point).collect())
}

/// One watchlist.
fn watchlist(w: &Watchlist, order_index: usize) -> Value {
    json!({
        "name": w.name,
        "watchlist-entries": w.entries.iter().map(|e| json!({
            "symbol": e.symbol.as_str(),
            "instrument-type": instrument_type(e.instrument_type.unwrap_or(ttai_core::domain::InstrumentType::Equity)),
        })).collect::<Vec<_>>(),
        "group-name": w.group.clone().unwrap_or_else(|| "default".to_owned()),
        "order-index": order_index,
    })
}

/// `GET /watchlists` (every one) and `GET /watchlists/{name}` (one, 404 when unknown).
pub(crate) fn watchlists(state: &State, request: &RecordedRequest) -> Reply {
    let lists = &state.options.market.watchlists;
    match request.path().split('/').nth(2).map(|s| percent_decode(s, false)) {
        Some(name) => match lists.iter().enumerate().find(|(_, w)| w.name == name) {
            Some((i, w)) => data(request, watchlist(w, i)),
            None => error(404, "record_not_found", "Couldn't find Watchlist"),
        },
        None => items(
            request,
            lists.iter().enumerate().map(|(i, w)| watchlist(w, i)).collect(),
        ),
    }
}

/// A session snapshot (`next-session`, `previous-session`).
fn snapshot(s: &SessionTimes) -> Value {
    json!({
        "close-at": time_z(s.close_at),
        "close-at-ext": s.close_at_ext.map(time_z),
        "instrument-collection": "Equity",
        "open-at": time_z(s.open_at),
        "session-date": s.date.to_string(),
        "start-at": time_z(s.start_at),
    })
}

/// The equity market's current session.
fn session(s: &MarketSession) -> Value {
    let current = |f: fn(&SessionTimes) -> Option<Timestamp>| {
        s.current.as_ref().and_then(f).map_or(Value::Null, time_z)
    };
    json!({
        "close-at": current(|c| Some(c.close_at)),
        "close-at-ext": current(|c| c.close_at_ext),
        "instrument-collection": "Equity",
        "open-at": current(|c| Some(c.open_at)),
        "start-at": current(|c| Some(c.start_at)),
        "next-session": s.next.as_ref().map_or(Value::Null, snapshot),
        "previous-session": s.previous.as_ref().map_or(Value::Null, snapshot),
        "state": s.state.api_name(),
    })
}

/// The NYSE calendar around the fake's clock.
fn calendar(state: &State) -> MarketCalendar {
    MarketCalendar::nyse_around(new_york_clock(state.options.now).0)
}

/// `GET /market-time/sessions/current?instrument-collections[]=Equity`: the equity market's
/// session at the fake's clock (the only collection it serves).
pub(crate) fn market_sessions(state: &State, request: &RecordedRequest) -> Reply {
    let wanted = list_param(request, "instrument-collections");
    let list = if wanted.is_empty() || wanted.iter().any(|c| c == "Equity") {
        vec![session(&calendar(state).session_at(state.options.now))]
    } else {
        Vec::new()
    };
    items(request, list)
}

/// `GET /market-time/equities/holidays`.
pub(crate) fn market_holidays(state: &State, request: &RecordedRequest) -> Reply {
    let calendar = calendar(state);
    let dates = |list: &[Date]| list.iter().map(|d| d.to_string()).collect::<Vec<_>>();
    data(
        request,
        json!({
            "market-holidays": dates(&calendar.holidays),
            "market-half-days": dates(&calendar.half_days),
        }),
    )
}
