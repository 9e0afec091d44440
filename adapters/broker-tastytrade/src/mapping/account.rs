//! The account: accounts, balances, positions, transactions, net liq and watchlists.

use ttai_core::domain::{
    Account, AccountNumber, Balances, InstrumentType, NetLiqPoint, Position, Symbol, TradeAction,
    Transaction, TransactionPage, TransactionQuery, Watchlist, WatchlistEntry, new_york_clock, round_to,
};
use ttai_core::ports::BrokerError;
use ttai_core::time::Timestamp;

use super::{instrument_type, signed_by_effect, signed_quantity};
use crate::symbols;
use crate::wire;

/// Open accounts; closed ones and items without a number are left out.
pub(crate) fn accounts(items: Vec<wire::AccountItem>) -> Vec<Account> {
    items
        .into_iter()
        .filter_map(|item| item.account)
        .filter(|a| a.is_closed != Some(true))
        .filter_map(|a| {
            let number = a.account_number.filter(|n| !n.trim().is_empty())?;
            Some(Account {
                number: AccountNumber::new(number.trim()),
                nickname: a.nickname,
                account_type: a.account_type_name,
                margin_or_cash: a.margin_or_cash,
            })
        })
        .collect()
}

/// Balances of `account`.
///
/// # Errors
/// `InvalidResponse` when a figure every account has is missing.
pub(crate) fn balances(
    account: &AccountNumber,
    wire: wire::BalancesWire,
    now: Timestamp,
) -> Result<Balances, BrokerError> {
    let required = |value: Option<f64>, name: &str| {
        value.ok_or_else(|| {
            BrokerError::InvalidResponse(format!("TastyTrade's balances answer has no {name}"))
        })
    };
    Ok(Balances {
        account: account.clone(),
        net_liquidating_value: required(wire.net_liquidating_value, "net-liquidating-value")?,
        cash_balance: required(wire.cash_balance, "cash-balance")?,
        equity_buying_power: required(wire.equity_buying_power, "equity-buying-power")?,
        derivative_buying_power: required(wire.derivative_buying_power, "derivative-buying-power")?,
        maintenance_requirement: required(wire.maintenance_requirement, "maintenance-requirement")?,
        maintenance_excess: wire.maintenance_excess,
        day_trading_buying_power: wire.day_trading_buying_power,
        cash_available_to_withdraw: wire.cash_available_to_withdraw,
        pending_cash: wire
            .pending_cash
            .map(|cash| signed_by_effect(cash, wire.pending_cash_effect.as_deref())),
        as_of: wire.updated_at.unwrap_or(now),
    })
}

/// Positions of `account`; items without a readable symbol are left out (and logged by count).
pub(crate) fn positions(account: &AccountNumber, items: Vec<wire::PositionWire>) -> Vec<Position> {
    let total = items.len();
    let positions: Vec<Position> = items
        .into_iter()
        .filter_map(|item| position(account, item))
        .collect();
    if positions.len() < total {
        tracing::warn!(
            skipped = total - positions.len(),
            "left out TastyTrade positions without a readable symbol"
        );
    }
    positions
}

/// One position.
pub(super) fn position(account: &AccountNumber, item: wire::PositionWire) -> Option<Position> {
    let symbol_text = item.symbol?;
    let symbol = Symbol::parse(&symbol_text).ok()?;
    let occ = symbols::parse_occ(&symbol_text);
    let instrument_type = instrument_type(item.instrument_type.as_deref()).unwrap_or(if occ.is_some() {
        InstrumentType::EquityOption
    } else {
        InstrumentType::Equity
    });
    let underlying = item
        .underlying_symbol
        .as_deref()
        .and_then(|u| Symbol::parse(u).ok())
        .or_else(|| occ.as_ref().and_then(|o| Symbol::parse(&o.root).ok()))
        .unwrap_or_else(|| symbol.clone());
    let default_multiplier = if occ.is_some() { 100.0 } else { 1.0 };
    Some(Position {
        account: account.clone(),
        symbol,
        instrument_type,
        underlying,
        quantity: signed_quantity(item.quantity.unwrap_or(0.0), item.quantity_direction.as_deref()),
        average_open_price: item.average_open_price.unwrap_or(0.0),
        close_price: item.close_price,
        mark: item.mark_price.or(item.mark),
        multiplier: item.multiplier.unwrap_or(default_multiplier),
        option_type: occ.as_ref().map(|o| o.option_type),
        strike: occ.as_ref().map(|o| o.strike),
        expiration: occ.as_ref().map(|o| o.expiration),
        opened_at: item.created_at,
    })
}

/// A cost with the sign of its `-effect`: paid (`Debit`) positive, refunded (`Credit`) negative.
pub(super) fn cost_by_effect(value: Option<f64>, effect: Option<&str>) -> f64 {
    match value {
        Some(v) => -signed_by_effect(v, effect.or(Some("Debit"))),
        None => 0.0,
    }
}

/// One page of transactions: the items read (those without an id or a time are left out and
/// logged by count) and the page's place from `pagination` (one page of everything without it).
pub(crate) fn transaction_page(
    account: &AccountNumber,
    query: &TransactionQuery,
    items: Vec<wire::TransactionWire>,
    pagination: Option<wire::PaginationWire>,
) -> TransactionPage {
    let total = items.len();
    let transactions: Vec<Transaction> = items
        .into_iter()
        .filter_map(|i| transaction(account, i))
        .collect();
    if transactions.len() < total {
        tracing::warn!(
            skipped = total - transactions.len(),
            "left out TastyTrade transactions without an id or a time"
        );
    }
    let count = |v: Option<f64>| v.filter(|n| *n >= 0.0).map(|n| n as usize);
    let pagination = pagination.unwrap_or_default();
    let total_items = count(pagination.total_items).unwrap_or(total);
    TransactionPage {
        page: count(pagination.page_offset).unwrap_or(query.page),
        per_page: count(pagination.per_page)
            .filter(|n| *n > 0)
            .unwrap_or(query.per_page),
        total_pages: count(pagination.total_pages).unwrap_or(1).max(1),
        total_items,
        items: transactions,
    }
}

/// One transaction: money signed by its effects, fees as costs, the action read.
pub(super) fn transaction(account: &AccountNumber, w: wire::TransactionWire) -> Option<Transaction> {
    let id = w.id.filter(|n| *n >= 0.0)? as u64;
    let executed_at = w
        .executed_at
        .or_else(|| w.transaction_date.map(|d| d.at_utc(12, 0)))?;
    let money = |v: f64| round_to(v, 6);
    let value = money(
        w.value
            .map_or(0.0, |v| signed_by_effect(v, w.value_effect.as_deref())),
    );
    let commission = money(cost_by_effect(w.commission, w.commission_effect.as_deref()));
    let fees = money(
        cost_by_effect(w.clearing_fees, w.clearing_fees_effect.as_deref())
            + cost_by_effect(w.regulatory_fees, w.regulatory_fees_effect.as_deref())
            + cost_by_effect(
                w.proprietary_index_option_fees,
                w.proprietary_index_option_fees_effect.as_deref(),
            )
            + cost_by_effect(w.other_charge, w.other_charge_effect.as_deref()),
    );
    let net_value = match w.net_value {
        Some(v) => money(signed_by_effect(v, w.net_value_effect.as_deref())),
        None => money(value - commission - fees),
    };
    let parse = |s: Option<&str>| s.and_then(|s| Symbol::parse(s).ok());
    Some(Transaction {
        id,
        account: account.clone(),
        executed_at,
        date: w
            .transaction_date
            .unwrap_or_else(|| new_york_clock(executed_at).0),
        transaction_type: w.transaction_type.unwrap_or_default(),
        sub_type: w.transaction_sub_type.unwrap_or_default(),
        description: w.description.unwrap_or_default(),
        symbol: parse(w.symbol.as_deref()),
        instrument_type: instrument_type(w.instrument_type.as_deref()),
        underlying: parse(w.underlying_symbol.as_deref()),
        action: w.action.as_deref().and_then(TradeAction::from_api),
        quantity: w.quantity.map(f64::abs),
        price: w.price,
        value,
        commission,
        fees,
        net_value,
    })
}

/// Net-liq points in time order; items without a time or a close are left out.
pub(crate) fn net_liq_points(items: Vec<wire::NetLiqWire>) -> Vec<NetLiqPoint> {
    let mut points: Vec<NetLiqPoint> = items
        .into_iter()
        .filter_map(|w| {
            let close = w.close?;
            Some(NetLiqPoint {
                time: w.time?,
                open: w.open.unwrap_or(close),
                high: w.high.unwrap_or(close),
                low: w.low.unwrap_or(close),
                close,
                pending_cash: w.pending_cash_close.unwrap_or(0.0),
            })
        })
        .collect();
    points.sort_by_key(|p| p.time);
    points
}

/// Watchlists in the customer's order; unnamed ones and unreadable symbols are left out.
pub(crate) fn watchlists(items: Vec<wire::WatchlistWire>) -> Vec<Watchlist> {
    let mut lists: Vec<(f64, Watchlist)> = items
        .into_iter()
        .filter_map(|w| {
            let name = w.name.filter(|n| !n.trim().is_empty())?;
            let entries = w
                .watchlist_entries
                .into_iter()
                .filter_map(|e| {
                    Some(WatchlistEntry {
                        symbol: Symbol::parse(e.symbol.as_deref()?).ok()?,
                        instrument_type: instrument_type(e.instrument_type.as_deref()),
                    })
                })
                .collect();
            let group = w.group_name.filter(|g| !g.trim().is_empty() && g != "default");
            Some((
                w.order_index.unwrap_or(f64::MAX),
                Watchlist { name, group, entries },
            ))
        })
        .collect();
    lists.sort_by(|a, b| a.0.total_cmp(&b.0));
    lists.into_iter().map(|(_, l)| l).collect()
}
