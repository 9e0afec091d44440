//! Wire types to domain types, in one place: signs, units, defaults and symbol parsing.
//!
//! - Quantities are unsigned on the wire with a `quantity-direction`; `Short` makes them negative.
//! - Money is unsigned with a sibling `<field>-effect`; `Debit` makes it negative.
//! - Market metrics mix units: IV index, IV ranks, IV percentile and dividend yield are
//!   fractions, historical volatilities are PERCENT and are divided by 100 here.
//! - Option fields (type, strike, expiration) come from the OCC symbol when the wire lacks them.
//! - `as_of` is the item's `updated-at`, or the broker's clock when the item has none.

use std::collections::{BTreeMap, HashMap};

use ttai_core::domain::{
    Account, AccountNumber, Balances, BrokerGreeks, Expiration, ExpirationUnderlying, InstrumentType,
    MarketCalendar, MarketMetrics, MarketSession, MarketState, NetLiqPoint, OptionChain, OptionContract,
    Position, Quote, SessionTimes, StrikeRow, Symbol, SymbolMatch, TradeAction, Transaction, TransactionPage,
    TransactionQuery, Watchlist, WatchlistEntry, instrument_from_api, new_york_clock, round_to,
};
use ttai_core::domain::{
    BuyingPowerEffect, FeeCalculation, Order, OrderFill, OrderLegState, OrderMessage, OrderPreview,
    OrderRequest, OrderStatus, PriceEffect, TimeInForce, instrument_api_name, price_text,
};
use ttai_core::ports::BrokerError;
use ttai_core::time::{Date, Timestamp};

use crate::errors;
use crate::symbols;
use crate::wire;

/// The instrument type of the API's `instrument-type` text.
pub(crate) fn instrument_type(text: Option<&str>) -> Option<InstrumentType> {
    text.map(instrument_from_api)
}

/// `value` with the sign of its `-effect`: `Debit` is negative, anything else positive.
pub(crate) fn signed_by_effect(value: f64, effect: Option<&str>) -> f64 {
    match effect.map(str::trim) {
        Some(e) if e.eq_ignore_ascii_case("debit") => -value.abs(),
        _ => value.abs(),
    }
}

/// `quantity` with the sign of its `quantity-direction`: `Short` is negative, `Zero` is zero.
pub(crate) fn signed_quantity(quantity: f64, direction: Option<&str>) -> f64 {
    match direction.map(str::trim) {
        Some(d) if d.eq_ignore_ascii_case("short") => -quantity.abs(),
        Some(d) if d.eq_ignore_ascii_case("zero") => 0.0,
        _ => quantity.abs(),
    }
}

/// A percent figure as a fraction: 20.02 → 0.2002.
pub(crate) fn percent_to_fraction(percent: f64) -> f64 {
    percent / 100.0
}

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
fn position(account: &AccountNumber, item: wire::PositionWire) -> Option<Position> {
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
fn cost_by_effect(value: Option<f64>, effect: Option<&str>) -> f64 {
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
fn transaction(account: &AccountNumber, w: wire::TransactionWire) -> Option<Transaction> {
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

/// A session's times; `None` without an open and a close.
fn session_times(
    date: Option<Date>,
    start_at: Option<Timestamp>,
    open_at: Option<Timestamp>,
    close_at: Option<Timestamp>,
    close_at_ext: Option<Timestamp>,
) -> Option<SessionTimes> {
    let (open_at, close_at) = (open_at?, close_at?);
    Some(SessionTimes {
        date: date.unwrap_or_else(|| new_york_clock(open_at).0),
        start_at: start_at.unwrap_or(open_at),
        open_at,
        close_at,
        close_at_ext,
    })
}

/// The equity market's session from `/market-time/sessions/current`.
pub(crate) fn market_session(
    items: Vec<wire::MarketSessionWire>,
    now: Timestamp,
) -> Result<MarketSession, BrokerError> {
    let equity = items
        .into_iter()
        .find(|i| {
            i.instrument_collection
                .as_deref()
                .is_some_and(|c| c.trim().eq_ignore_ascii_case("Equity"))
        })
        .ok_or_else(|| {
            BrokerError::InvalidResponse("TastyTrade's market sessions have no Equity session".to_owned())
        })?;
    let snapshot = |s: Option<wire::SessionSnapshotWire>| {
        s.and_then(|s| session_times(s.session_date, s.start_at, s.open_at, s.close_at, s.close_at_ext))
    };
    Ok(MarketSession {
        state: equity
            .state
            .as_deref()
            .and_then(MarketState::from_api)
            .unwrap_or(MarketState::Closed),
        current: session_times(
            None,
            equity.start_at,
            equity.open_at,
            equity.close_at,
            equity.close_at_ext,
        ),
        next: snapshot(equity.next_session),
        previous: snapshot(equity.previous_session),
        as_of: now,
    })
}

/// Holidays and half days, sorted and once each.
pub(crate) fn market_calendar(wire: wire::MarketCalendarWire) -> MarketCalendar {
    let mut calendar = MarketCalendar {
        holidays: wire.market_holidays,
        half_days: wire.market_half_days,
    };
    for list in [&mut calendar.holidays, &mut calendar.half_days] {
        list.sort();
        list.dedup();
    }
    calendar
}

/// A quote; `None` when the item has no readable symbol.
pub(crate) fn quote(item: wire::MarketDataWire, now: Timestamp) -> Option<Quote> {
    let symbol = Symbol::parse(item.symbol.as_deref()?).ok()?;
    Some(Quote {
        instrument_type: instrument_type(item.instrument_type.as_deref()),
        symbol,
        bid: item.bid,
        ask: item.ask,
        bid_size: item.bid_size,
        ask_size: item.ask_size,
        last: item.last,
        mark: item.mark,
        volume: item.volume,
        open: item.open,
        day_high: item.day_high_price,
        day_low: item.day_low_price,
        prev_close: item.prev_close,
        year_high: item.year_high_price,
        year_low: item.year_low_price,
        as_of: item.updated_at.unwrap_or(now),
    })
}

/// Quotes of the requested symbols, in request order, at most one each: every request names the
/// symbol it was asked as (itself, or the active contract of a futures product such as `/ES`),
/// and the quote of that symbol is answered under the requested one.
pub(crate) fn quotes_for(
    asks: &[(Symbol, String)],
    items: Vec<wire::MarketDataWire>,
    now: Timestamp,
) -> Vec<Quote> {
    let mut by_symbol: HashMap<String, Quote> = HashMap::new();
    for quote in items.into_iter().filter_map(|item| quote(item, now)) {
        by_symbol.entry(quote.symbol.as_str().to_owned()).or_insert(quote);
    }
    asks.iter()
        .filter_map(|(requested, asked)| {
            let mut quote = by_symbol.get(asked)?.clone();
            if quote.symbol != *requested {
                quote.symbol = requested.clone();
                quote.instrument_type = quote.instrument_type.or(Some(InstrumentType::Future));
            }
            Some(quote)
        })
        .collect()
}

/// Metrics for the requested symbols only, at most one each, in request order. Items that carry
/// none of the figures (how an unknown symbol may be answered) are left out.
pub(crate) fn metrics_for(
    requested: &[Symbol],
    items: Vec<wire::MetricsWire>,
    now: Timestamp,
) -> Vec<MarketMetrics> {
    let mut by_symbol: HashMap<Symbol, MarketMetrics> = HashMap::new();
    for m in items.into_iter().filter_map(|item| metrics(item, now)) {
        by_symbol.entry(m.symbol.clone()).or_insert(m);
    }
    requested.iter().filter_map(|s| by_symbol.remove(s)).collect()
}

/// One symbol's metrics, converted to fractions.
pub(crate) fn metrics(item: wire::MetricsWire, now: Timestamp) -> Option<MarketMetrics> {
    let symbol = Symbol::parse(item.symbol.as_deref()?).ok()?;
    let metrics = MarketMetrics {
        symbol,
        iv_index: item.implied_volatility_index,
        iv_rank: item
            .implied_volatility_index_rank
            .or(item.tos_implied_volatility_index_rank)
            .or(item.tw_implied_volatility_index_rank),
        iv_percentile: item.implied_volatility_percentile,
        hv_30: item.historical_volatility_30_day.map(percent_to_fraction),
        hv_60: item.historical_volatility_60_day.map(percent_to_fraction),
        hv_90: item.historical_volatility_90_day.map(percent_to_fraction),
        earnings_date: item.earnings.and_then(|e| e.expected_report_date),
        liquidity_rating: item.liquidity_rating,
        beta: item.beta,
        dividend_yield: item.dividend_yield,
        ex_dividend_date: item.dividend_ex_date,
        as_of: item
            .updated_at
            .or(item.implied_volatility_updated_at)
            .unwrap_or(now),
    };
    let has_figures = metrics.iv_index.is_some()
        || metrics.iv_rank.is_some()
        || metrics.iv_percentile.is_some()
        || metrics.hv_30.is_some()
        || metrics.liquidity_rating.is_some()
        || metrics.beta.is_some()
        || metrics.earnings_date.is_some();
    has_figures.then_some(metrics)
}

/// Symbol search results: readable ones, an exact ticker match first, then the API's order, at
/// most `limit`.
pub(crate) fn symbol_matches(query: &str, items: Vec<wire::SymbolWire>, limit: usize) -> Vec<SymbolMatch> {
    let query = query.trim().to_ascii_uppercase();
    let mut found: Vec<SymbolMatch> = Vec::new();
    for item in items {
        let Some(symbol) = item.symbol.as_deref().and_then(|s| Symbol::parse(s).ok()) else {
            continue;
        };
        if found.iter().any(|m| m.symbol == symbol) {
            continue;
        }
        found.push(SymbolMatch {
            symbol,
            description: item.description.unwrap_or_default(),
            instrument_type: instrument_type(item.instrument_type.as_deref()),
            has_options: item.options,
        });
    }
    // A stable sort keeps the API's order among the rest.
    found.sort_by_key(|m| m.symbol.as_str() != query);
    found.truncate(limit);
    found
}

/// One listed expiration of one option root, before roots are merged.
struct Listed {
    date: Date,
    expiration_type: String,
    settlement: String,
    /// The contract these options deliver, for options on futures.
    underlying: Option<Symbol>,
    strikes: Vec<wire::StrikeWire>,
}

impl Listed {
    /// An expiration as listed, `None` without a date.
    fn of(exp: wire::ExpirationWire, underlying: Option<Symbol>) -> Option<Listed> {
        Some(Listed {
            date: exp.expiration_date?,
            expiration_type: exp.expiration_type.unwrap_or_else(|| "Regular".to_owned()),
            settlement: exp.settlement_type.unwrap_or_else(|| "PM".to_owned()),
            underlying,
            strikes: exp.strikes,
        })
    }
}

/// A futures product's active contract among `futures`: the one marked `active-month`, else the
/// nearest not expired by `today`.
pub(crate) fn active_contract(futures: &[wire::FutureContractWire], today: Date) -> Option<Symbol> {
    futures
        .iter()
        .find(|f| f.active_month == Some(true))
        .or_else(|| {
            futures
                .iter()
                .filter(|f| f.expiration_date.is_some_and(|d| d >= today))
                .min_by_key(|f| f.expiration_date)
        })
        .and_then(|f| Symbol::parse(f.symbol.as_deref()?).ok())
}

/// The chain's listing without markets: every root merged, expirations sorted by date (then
/// settlement), strikes sorted. Expirations of different roots on the same date and settlement
/// are one expiration; on a strike listed by two such roots the standard root's contract is kept.
/// `european` is the exercise style of index options.
///
/// # Errors
/// `NotFound` when no root lists any expiration.
pub(crate) fn chain_listing(
    underlying: &Symbol,
    mut roots: Vec<wire::ChainRootWire>,
    european: bool,
    now: Timestamp,
) -> Result<OptionChain, BrokerError> {
    // Standard roots first, so that they win strike collisions and set the contract size.
    roots.sort_by_key(|r| r.option_chain_type.as_deref() != Some("Standard"));
    let shares_per_contract = roots
        .iter()
        .find_map(|r| r.shares_per_contract)
        .filter(|s| *s >= 1.0 && *s <= f64::from(u32::MAX))
        .map_or(100, |s| s.round() as u32);
    let listed = roots
        .into_iter()
        .flat_map(|root| root.expirations)
        .filter_map(|exp| Listed::of(exp, None))
        .collect();
    let style = if european { "European" } else { "American" };
    merge_listing(underlying, listed, shares_per_contract, style, now)
}

/// The listing of the options on a futures product (`/futures-option-chains/{product}/nested`):
/// every root merged as in [`chain_listing`], each expiration naming the contract it delivers.
/// For a contract (`contract` given, e.g. `/ESU5`) only the options delivering it are listed.
/// The contract size is the options' `notional-value / display-factor` ($50 a point for /ES).
/// Also returns the product's active contract (`active-month`, else the nearest unexpired one).
///
/// # Errors
/// `NotFound` when no expiration is listed.
pub(crate) fn future_chain_listing(
    underlying: &Symbol,
    wire: wire::FutureChainWire,
    contract: Option<&str>,
    now: Timestamp,
) -> Result<(OptionChain, Option<Symbol>), BrokerError> {
    let active = active_contract(&wire.futures, now.date());
    let exercise_style = wire
        .option_chains
        .iter()
        .find_map(|c| c.exercise_style.clone())
        .unwrap_or_else(|| "American".to_owned());
    let expirations: Vec<wire::FutureExpirationWire> = wire
        .option_chains
        .into_iter()
        .flat_map(|c| c.expirations)
        .filter(|e| contract.is_none_or(|c| e.underlying_symbol.as_deref() == Some(c)))
        .collect();
    let multiplier = expirations
        .iter()
        .find_map(|e| match (e.notional_value, e.display_factor) {
            (Some(notional), Some(display)) if notional > 0.0 && display > 0.0 => Some(notional / display),
            _ => None,
        })
        .filter(|m| *m >= 0.5 && *m <= f64::from(u32::MAX));
    let shares_per_contract = multiplier.map_or_else(
        || {
            tracing::warn!(
                "TastyTrade's futures option chain states no notional value; contract size 1 assumed"
            );
            1
        },
        |m| m.round() as u32,
    );
    let listed = expirations
        .into_iter()
        .filter_map(|exp| {
            let delivered = exp
                .underlying_symbol
                .as_deref()
                .and_then(|s| Symbol::parse(s).ok());
            Listed::of(exp.listing, delivered)
        })
        .collect();
    let chain = merge_listing(underlying, listed, shares_per_contract, &exercise_style, now)?;
    Ok((chain, active))
}

/// Merges listed expirations into a chain: one expiration per date, settlement and delivered
/// contract; on a strike listed twice the first listing's contract is kept.
fn merge_listing(
    underlying: &Symbol,
    listed: Vec<Listed>,
    shares_per_contract: u32,
    exercise_style: &str,
    now: Timestamp,
) -> Result<OptionChain, BrokerError> {
    type Key = (Date, String, String);
    let mut merged: BTreeMap<Key, Expiration> = BTreeMap::new();
    let mut strikes: BTreeMap<Key, BTreeMap<i64, StrikeRow>> = BTreeMap::new();
    for exp in listed {
        let delivered = exp.underlying.as_ref().map(|s| s.as_str().to_owned());
        let key = (exp.date, exp.settlement.clone(), delivered.unwrap_or_default());
        merged.entry(key.clone()).or_insert_with(|| Expiration {
            date: exp.date,
            expiration_type: exp.expiration_type,
            settlement: exp.settlement,
            strikes: Vec::new(),
            underlying: exp
                .underlying
                .map(|symbol| ExpirationUnderlying { symbol, price: None }),
        });
        let rows = strikes.entry(key).or_default();
        for strike in exp.strikes {
            let Some(price) = strike.strike_price.filter(|p| *p > 0.0) else {
                continue;
            };
            let row = rows.entry(strike_key(price)).or_insert_with(|| StrikeRow {
                strike: price,
                call: None,
                put: None,
            });
            if row.call.is_none() {
                row.call = contract(strike.call, strike.call_streamer_symbol);
            }
            if row.put.is_none() {
                row.put = contract(strike.put, strike.put_streamer_symbol);
            }
        }
    }
    let expirations: Vec<Expiration> = merged
        .into_iter()
        .map(|(key, mut exp)| {
            exp.strikes = strikes.remove(&key).unwrap_or_default().into_values().collect();
            exp
        })
        .filter(|e| !e.strikes.is_empty())
        .collect();
    if expirations.is_empty() {
        return Err(BrokerError::NotFound(format!("option chain of {underlying}")));
    }
    Ok(OptionChain {
        underlying: underlying.clone(),
        underlying_price: None,
        shares_per_contract,
        exercise_style: exercise_style.to_owned(),
        expirations,
        as_of: now,
    })
}

/// The contracts an options-on-futures chain's expirations deliver, once each.
pub(crate) fn delivered_contracts(chain: &OptionChain) -> Vec<Symbol> {
    let mut found: Vec<Symbol> = Vec::new();
    for symbol in chain.expirations.iter().filter_map(|e| e.underlying.as_ref()) {
        if !found.contains(&symbol.symbol) {
            found.push(symbol.symbol.clone());
        }
    }
    found
}

/// Puts the delivered contracts' prices on the expirations.
pub(crate) fn apply_underlying_prices(chain: &mut OptionChain, quotes: &[Quote]) {
    for underlying in chain.expirations.iter_mut().filter_map(|e| e.underlying.as_mut()) {
        underlying.price = quotes
            .iter()
            .find(|q| q.symbol == underlying.symbol)
            .and_then(Quote::mark_price);
    }
}

/// A strike as an integer key (thousandths), so that equal strikes of two roots meet.
fn strike_key(strike: f64) -> i64 {
    (strike * 1000.0).round() as i64
}

/// A listed contract without a market.
/// The streamer symbols of the contracts with these OCC symbols, in that order.
pub(crate) fn streamer_symbols(chain: &OptionChain, occ: &[String]) -> Vec<String> {
    let by_occ: HashMap<&str, &str> = chain
        .expirations
        .iter()
        .flat_map(|e| &e.strikes)
        .flat_map(|row| [row.call.as_ref(), row.put.as_ref()])
        .flatten()
        .filter_map(|c| Some((c.symbol.as_str(), c.streamer_symbol.as_deref()?)))
        .collect();
    occ.iter()
        .filter_map(|s| by_occ.get(s.as_str()).map(|s| (*s).to_owned()))
        .collect()
}

/// Puts the feed's greeks (by streamer symbol) on the chain's contracts.
pub(crate) fn apply_greeks(chain: &mut OptionChain, greeks: &HashMap<String, BrokerGreeks>) {
    if greeks.is_empty() {
        return;
    }
    for row in chain.expirations.iter_mut().flat_map(|e| e.strikes.iter_mut()) {
        for contract in [row.call.as_mut(), row.put.as_mut()].into_iter().flatten() {
            if let Some(found) = contract.streamer_symbol.as_ref().and_then(|s| greeks.get(s)) {
                contract.broker_greeks = Some(*found);
            }
        }
    }
}

fn contract(symbol: Option<String>, streamer_symbol: Option<String>) -> Option<OptionContract> {
    let symbol = symbol.filter(|s| !s.trim().is_empty())?;
    Some(OptionContract {
        symbol,
        streamer_symbol,
        bid: None,
        ask: None,
        last: None,
        volume: None,
        open_interest: None,
        broker_greeks: None,
    })
}

/// The contracts whose markets are fetched: expiring within `max_dte` days of `today` and with a
/// strike within `band` (a fraction) of the underlying's price, nearest to the money first, at
/// most `max`. Without an underlying price the strike band cannot be applied: the nearest
/// expirations' contracts are taken in listing order instead.
pub(crate) fn contracts_to_price(
    chain: &OptionChain,
    today: Date,
    underlying_price: Option<f64>,
    max_dte: i32,
    band: f64,
    max: usize,
) -> Vec<String> {
    let mut picked: Vec<(f64, i32, &str)> = Vec::new();
    for exp in &chain.expirations {
        let dte = today.days_until(exp.date);
        if !(0..=max_dte).contains(&dte) {
            continue;
        }
        // Options on a future are centred on the contract they deliver.
        let underlying_price = match &exp.underlying {
            Some(delivered) => delivered.price,
            None => underlying_price,
        };
        for row in &exp.strikes {
            let distance = match underlying_price {
                Some(price) if price > 0.0 => {
                    let distance = (row.strike - price).abs() / price;
                    if distance > band {
                        continue;
                    }
                    distance
                }
                _ => 0.0,
            };
            for side in [&row.call, &row.put].into_iter().flatten() {
                picked.push((distance, dte, side.symbol.as_str()));
            }
        }
    }
    // A stable sort: equal distances keep expiration order.
    picked.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    picked
        .into_iter()
        .take(max)
        .map(|(_, _, symbol)| symbol.to_owned())
        .collect()
}

/// Puts the fetched markets on the chain's contracts.
pub(crate) fn apply_markets(chain: &mut OptionChain, items: Vec<wire::MarketDataWire>) {
    let mut by_symbol: HashMap<String, wire::MarketDataWire> = HashMap::new();
    for item in items {
        if let Some(symbol) = item.symbol.clone() {
            by_symbol.entry(symbol).or_insert(item);
        }
    }
    for exp in &mut chain.expirations {
        for row in &mut exp.strikes {
            for side in [&mut row.call, &mut row.put].into_iter().flatten() {
                if let Some(market) = by_symbol.remove(&side.symbol) {
                    side.bid = market.bid;
                    side.ask = market.ask;
                    side.last = market.last;
                    side.volume = market.volume;
                    side.open_interest = market.open_interest;
                }
            }
        }
    }
}

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
fn fee(value: Option<f64>, effect: Option<&str>) -> f64 {
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

fn messages(items: Vec<wire::OrderMessageWire>) -> Vec<OrderMessage> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use ttai_core::domain::OptionType;

    fn now() -> Timestamp {
        "2025-06-13T20:00:00Z".parse().unwrap()
    }

    /// A real-shape transactions answer (the API's published example, with a page block): money
    /// unsigned with effects, fees as costs, a quantity as a string.
    #[test]
    fn transactions_read_their_effects_and_pagination() {
        let body = r#"{"data": {"items": [
            {"id": 2455333333, "account-number": "5YZ55555", "symbol": "RIVN  230623C00015000",
             "instrument-type": "Equity Option", "underlying-symbol": "RIVN", "transaction-type": "Trade",
             "transaction-sub-type": "Sell to Open", "description": "Sold 40 RIVN 06/23/23 Call 15.00 @ 0.47",
             "action": "Sell to Open", "quantity": "40.0", "price": "0.47",
             "executed-at": "2023-06-12T13:53:08.199+00:00", "transaction-date": "2023-06-12",
             "value": "1880.0", "value-effect": "Credit", "regulatory-fees": "0.042",
             "regulatory-fees-effect": "Debit", "clearing-fees": "0.40", "clearing-fees-effect": "Debit",
             "net-value": "1829.558", "net-value-effect": "Credit", "commission": "50.0", "commission-effect": "Debit",
             "proprietary-index-option-fees": "0.0", "proprietary-index-option-fees-effect": "None",
             "is-estimated-fee": true},
            {"id": 7, "transaction-type": "Money Movement", "transaction-sub-type": "Withdrawal",
             "description": "ACH", "executed-at": "2023-06-13T15:00:00Z", "value": "500", "value-effect": "Debit",
             "net-value": "500", "net-value-effect": "Debit", "is-estimated-fee": false},
            {"transaction-type": "Trade", "description": "no id"}
          ]},
          "pagination": {"per-page": 2, "page-offset": 1, "item-offset": 2, "total-items": 5, "total-pages": 3,
                         "current-item-count": 2, "previous-link": null, "next-link": null}}"#;
        let envelope: wire::Envelope<wire::Items<wire::TransactionWire>> =
            serde_json::from_str(body).unwrap();
        let account = AccountNumber::new("5YZ55555");
        let query = TransactionQuery::between(None, None, 2);
        let page = transaction_page(&account, &query, envelope.data.items, envelope.pagination);
        assert_eq!(
            (page.page, page.per_page, page.total_items, page.total_pages),
            (1, 2, 5, 3)
        );
        assert!(page.has_more());
        assert_eq!(page.items.len(), 2, "the item without an id is left out");
        let sold = &page.items[0];
        assert_eq!(sold.action, Some(TradeAction::SellToOpen));
        assert_eq!((sold.quantity, sold.price), (Some(40.0), Some(0.47)));
        assert_eq!((sold.value, sold.commission, sold.fees), (1880.0, 50.0, 0.442));
        assert_eq!(sold.net_value, 1829.558);
        assert_eq!(sold.instrument_type, Some(InstrumentType::EquityOption));
        assert_eq!(sold.underlying.as_ref().map(Symbol::as_str), Some("RIVN"));
        let withdrawal = &page.items[1];
        assert_eq!((withdrawal.value, withdrawal.net_value), (-500.0, -500.0));
        assert_eq!((withdrawal.symbol.clone(), withdrawal.action), (None, None));
        assert_eq!(withdrawal.date, "2023-06-13".parse().unwrap());
        // Without a page block: one page of what came.
        let page = transaction_page(&account, &query, Vec::new(), None);
        assert_eq!(
            (page.total_items, page.total_pages, page.has_more()),
            (0, 1, false)
        );
    }

    #[test]
    fn net_liq_times_with_hour_offsets_are_read() {
        let items: wire::Items<wire::NetLiqWire> = serde_json::from_str(
            r#"{"items": [
                {"open": "4498.712", "high": "4498.9", "low": "4498.1", "close": "4498.5",
                 "pending-cash-close": "0.0", "time": "2023-06-08 13:35:00+00"},
                {"open": "4498.667", "high": "4498.667", "low": "4498.667", "close": "4498.667",
                 "pending-cash-close": "12.5", "time": "2023-06-08 13:30:00+00"},
                {"close": "1", "time": "yesterday"}]}"#,
        )
        .unwrap();
        let points = net_liq_points(items.items);
        assert_eq!(points.len(), 2);
        assert_eq!(
            points[0].time.to_string(),
            "2023-06-08T13:30:00Z",
            "in time order"
        );
        assert_eq!((points[0].close, points[0].pending_cash), (4498.667, 12.5));
        assert_eq!(points[1].high, 4498.9);
    }

    #[test]
    fn sessions_and_holidays_are_read() {
        let items: wire::Items<wire::MarketSessionWire> = serde_json::from_str(
            r#"{"items": [
                {"instrument-collection": "CME", "state": "Open"},
                {"close-at": null, "close-at-ext": null, "instrument-collection": "Equity", "open-at": null,
                 "start-at": null, "state": "Closed",
                 "next-session": {"close-at": "2025-02-18T21:00:00.000Z", "close-at-ext": "2025-02-19T01:00:00.000Z",
                   "instrument-collection": "Equity", "open-at": "2025-02-18T14:30:00.000Z",
                   "session-date": "2025-02-18", "start-at": "2025-02-18T13:15:00.000Z"},
                 "previous-session": {"close-at": "2025-02-14T21:00:00.000Z", "instrument-collection": "Equity",
                   "open-at": "2025-02-14T14:30:00.000Z", "session-date": "2025-02-14",
                   "start-at": "2025-02-14T13:15:00.000Z"}}]}"#,
        )
        .unwrap();
        let session = market_session(items.items, now()).unwrap();
        assert_eq!(session.state, MarketState::Closed);
        assert!(session.current.is_none());
        let next = session.next.unwrap();
        assert_eq!(next.date, "2025-02-18".parse().unwrap());
        assert_eq!(next.start_at.to_string(), "2025-02-18T13:15:00Z");
        assert_eq!(session.previous.unwrap().close_at_ext, None);
        let none: wire::Items<wire::MarketSessionWire> =
            serde_json::from_str(r#"{"items": [{"instrument-collection": "CFE", "state": "Open"}]}"#)
                .unwrap();
        assert!(matches!(
            market_session(none.items, now()),
            Err(BrokerError::InvalidResponse(_))
        ));
        let calendar: wire::MarketCalendarWire = serde_json::from_str(
            r#"{"market-half-days": ["2025-12-24", "2025-07-03", "x"], "market-holidays": ["2025-12-25", "2025-01-01"]}"#,
        )
        .unwrap();
        let calendar = market_calendar(calendar);
        assert_eq!(calendar.half_days.len(), 2);
        assert!(calendar.holidays.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn historical_volatility_in_percent_becomes_a_fraction() {
        let item: wire::MetricsWire = serde_json::from_str(
            r#"{"symbol": "AAPL", "implied-volatility-index": "0.224186663",
                "implied-volatility-index-rank": "0.02231313", "implied-volatility-percentile": "0.031249801",
                "implied-volatility-30-day": "21.87", "historical-volatility-30-day": "20.02",
                "historical-volatility-60-day": "19.55", "historical-volatility-90-day": 20,
                "liquidity-rating": 4, "beta": "1.265634436", "dividend-yield": "0.006396146",
                "dividend-ex-date": "2023-05-12", "earnings": {"expected-report-date": "2023-07-27", "estimated": false},
                "updated-at": "2023-06-07T19:55:23.376Z"}"#,
        )
        .unwrap();
        let m = metrics(item, now()).unwrap();
        assert_eq!(m.iv_index, Some(0.224186663));
        assert_eq!(m.iv_rank, Some(0.02231313));
        assert_eq!(m.iv_percentile, Some(0.031249801));
        assert!((m.hv_30.unwrap() - 0.2002).abs() < 1e-12);
        assert!((m.hv_60.unwrap() - 0.1955).abs() < 1e-12);
        assert_eq!(m.hv_90, Some(0.2));
        assert_eq!(m.liquidity_rating, Some(4.0));
        assert_eq!(m.dividend_yield, Some(0.006396146));
        assert_eq!(m.earnings_date, Some("2023-07-27".parse().unwrap()));
        assert_eq!(m.ex_dividend_date, Some("2023-05-12".parse().unwrap()));
        assert_eq!(m.as_of, "2023-06-07T19:55:23.376Z".parse().unwrap());
    }

    #[test]
    fn metrics_without_figures_are_left_out_and_rank_falls_back() {
        let empty: wire::MetricsWire = serde_json::from_str(r#"{"symbol": "NOPE"}"#).unwrap();
        assert!(metrics(empty, now()).is_none());
        let tos: wire::MetricsWire = serde_json::from_str(
            r#"{"symbol": "SPX", "tos-implied-volatility-index-rank": "0.4", "earnings": null}"#,
        )
        .unwrap();
        let m = metrics(tos, now()).unwrap();
        assert_eq!(m.iv_rank, Some(0.4));
        assert_eq!(m.as_of, now());
    }

    #[test]
    fn short_quantities_are_negative_and_option_fields_come_from_the_symbol() {
        let account = AccountNumber::new("5WT00001");
        let items: Vec<wire::PositionWire> = serde_json::from_str(
            r#"[{"symbol": "RIVN  230609P00014000", "instrument-type": "Equity Option",
                 "underlying-symbol": "RIVN", "quantity": 40, "quantity-direction": "Short",
                 "close-price": "0.41", "average-open-price": "0.79", "multiplier": 100,
                 "created-at": "2023-05-24T17:17:57.615+00:00"},
                {"symbol": "SPY", "instrument-type": "Equity", "quantity": "100",
                 "quantity-direction": "Long", "average-open-price": "500.0", "mark-price": "590.5",
                 "mark": "59050.0"},
                {"symbol": "X", "quantity": 3, "quantity-direction": "Zero"},
                {"quantity": 1}]"#,
        )
        .unwrap();
        let positions = positions(&account, items);
        assert_eq!(positions.len(), 3, "the item without a symbol is left out");
        let put = &positions[0];
        assert_eq!(put.quantity, -40.0);
        assert_eq!(put.instrument_type, InstrumentType::EquityOption);
        assert_eq!(put.option_type, Some(OptionType::Put));
        assert_eq!(put.strike, Some(14.0));
        assert_eq!(put.expiration, Some("2023-06-09".parse().unwrap()));
        assert_eq!(put.multiplier, 100.0);
        assert_eq!(put.mark, None, "marks are optional");
        assert_eq!(put.unrealized_pnl(0.41), (0.41 - 0.79) * -40.0 * 100.0);
        let spy = &positions[1];
        assert_eq!(spy.quantity, 100.0);
        assert_eq!(spy.mark, Some(590.5), "mark-price is the per-unit mark");
        assert_eq!(spy.multiplier, 1.0);
        assert_eq!(spy.underlying.as_str(), "SPY");
        assert_eq!(positions[2].quantity, 0.0);
    }

    #[test]
    fn debit_pending_cash_is_negative() {
        let wire: wire::BalancesWire = serde_json::from_str(
            r#"{"cash-balance": "51600.762", "net-liquidating-value": "543557.677",
                "equity-buying-power": "100.0", "derivative-buying-power": "50.0",
                "maintenance-requirement": "10.0", "pending-cash": "12.5", "pending-cash-effect": "Debit"}"#,
        )
        .unwrap();
        let b = balances(&AccountNumber::new("5WT00001"), wire, now()).unwrap();
        assert_eq!(b.pending_cash, Some(-12.5));
        assert_eq!(b.cash_balance, 51600.762);
        assert_eq!(b.as_of, now());
        let missing: wire::BalancesWire = serde_json::from_str(r#"{"cash-balance": "1"}"#).unwrap();
        let err = balances(&AccountNumber::new("5WT00001"), missing, now()).unwrap_err();
        assert!(matches!(err, BrokerError::InvalidResponse(_)), "{err:?}");
        assert_eq!(signed_by_effect(3.0, Some("Credit")), 3.0);
        assert_eq!(signed_by_effect(3.0, Some("None")), 3.0);
    }

    #[test]
    fn closed_accounts_are_left_out() {
        let items: Vec<wire::AccountItem> = serde_json::from_str(
            r#"[{"account": {"account-number": "5WT00001", "nickname": "Main", "account-type-name": "Individual",
                             "margin-or-cash": "Margin", "is-closed": false}, "authority-level": "owner"},
                {"account": {"account-number": "5WT00002", "is-closed": true}},
                {"authority-level": "owner"}]"#,
        )
        .unwrap();
        let accounts = accounts(items);
        assert_eq!(accounts.len(), 1);
        assert_eq!(accounts[0].number.as_str(), "5WT00001");
        assert_eq!(accounts[0].account_type.as_deref(), Some("Individual"));
    }

    #[test]
    fn chains_merge_roots_and_sort() {
        let roots: Vec<wire::ChainRootWire> = serde_json::from_str(
            r#"[{"root-symbol": "SPXW", "option-chain-type": "Standard", "shares-per-contract": 100,
                 "expirations": [
                    {"expiration-type": "Weekly", "expiration-date": "2025-06-20", "settlement-type": "PM",
                     "strikes": [{"strike-price": "6010.0", "call": "SPXW  250620C06010000", "put": "SPXW  250620P06010000"},
                                 {"strike-price": "6000.0", "call": "SPXW  250620C06000000", "put": "SPXW  250620P06000000"}]},
                    {"expiration-type": "Weekly", "expiration-date": "2025-06-16", "settlement-type": "PM",
                     "strikes": [{"strike-price": "6000.0", "call": "SPXW  250616C06000000"}]}]},
                {"root-symbol": "SPX", "option-chain-type": "Standard", "shares-per-contract": 100,
                 "expirations": [
                    {"expiration-type": "Regular", "expiration-date": "2025-06-20", "settlement-type": "AM",
                     "strikes": [{"strike-price": "6000.0", "call": "SPX   250620C06000000",
                                  "call-streamer-symbol": ".SPX250620C6000"}]}]}]"#,
        )
        .unwrap();
        let spx = Symbol::parse("SPX").unwrap();
        let chain = chain_listing(&spx, roots, true, now()).unwrap();
        let summary: Vec<(String, &str, usize)> = chain
            .expirations
            .iter()
            .map(|e| (e.date.to_string(), e.settlement.as_str(), e.strikes.len()))
            .collect();
        assert_eq!(
            summary,
            [
                ("2025-06-16".to_owned(), "PM", 1),
                ("2025-06-20".to_owned(), "AM", 1),
                ("2025-06-20".to_owned(), "PM", 2)
            ]
        );
        let pm = &chain.expirations[2];
        assert!(pm.strikes.windows(2).all(|w| w[0].strike < w[1].strike));
        assert_eq!(chain.exercise_style, "European");
        assert_eq!(
            chain.expirations[1].strikes[0]
                .call
                .as_ref()
                .unwrap()
                .streamer_symbol
                .as_deref(),
            Some(".SPX250620C6000")
        );
        let err = chain_listing(&spx, Vec::new(), true, now()).unwrap_err();
        assert!(matches!(err, BrokerError::NotFound(_)), "{err:?}");
    }

    /// The shape of `/futures-option-chains/ES/nested`: several option roots in one chain, each
    /// expiration naming the contract it delivers.
    const ES_CHAIN: &str = r#"{
        "futures": [
            {"symbol": "/ESM5", "root-symbol": "/ES", "expiration-date": "2025-06-20", "active-month": false},
            {"symbol": "/ESU5", "root-symbol": "/ES", "expiration-date": "2025-09-19", "active-month": true},
            {"symbol": "/ESZ5", "root-symbol": "/ES", "expiration-date": "2025-12-19", "active-month": false}
        ],
        "option-chains": [{
            "underlying-symbol": "/ES", "root-symbol": "/ES", "exercise-style": "American",
            "expirations": [
                {"underlying-symbol": "/ESZ5", "root-symbol": "/ES", "option-root-symbol": "EW1",
                 "option-contract-symbol": "EW1V5", "expiration-date": "2025-10-03", "days-to-expiration": 112,
                 "expiration-type": "Weekly", "settlement-type": "PM", "notional-value": "0.5",
                 "display-factor": "0.01", "strike-factor": "1.0",
                 "strikes": [{"strike-price": "6100.0", "call": "./ESZ5 EW1V5 251003C6100",
                              "call-streamer-symbol": "./EW1V25C6100:XCME",
                              "put": "./ESZ5 EW1V5 251003P6100", "put-streamer-symbol": "./EW1V25P6100:XCME"}]},
                {"underlying-symbol": "/ESU5", "root-symbol": "/ES", "option-root-symbol": "EW3",
                 "option-contract-symbol": "EW3N5", "expiration-date": "2025-07-18", "days-to-expiration": 35,
                 "expiration-type": "Weekly", "settlement-type": "PM", "notional-value": "0.5",
                 "display-factor": "0.01", "strike-factor": "1.0",
                 "strikes": [{"strike-price": "6025.0", "call": "./ESU5 EW3N5 250718C6025",
                              "call-streamer-symbol": "./EW3N25C6025:XCME",
                              "put": "./ESU5 EW3N5 250718P6025", "put-streamer-symbol": "./EW3N25P6025:XCME"},
                             {"strike-price": "6000.0", "call": "./ESU5 EW3N5 250718C6000",
                              "call-streamer-symbol": "./EW3N25C6000:XCME",
                              "put": "./ESU5 EW3N5 250718P6000", "put-streamer-symbol": "./EW3N25P6000:XCME"}]}
            ]
        }]
    }"#;

    #[test]
    fn futures_option_chains_name_the_contract_each_expiration_delivers() {
        let es = Symbol::parse("/ES").unwrap();
        let wire: wire::FutureChainWire = serde_json::from_str(ES_CHAIN).unwrap();
        let (chain, active) = future_chain_listing(&es, wire, None, now()).unwrap();
        assert_eq!(active.unwrap().as_str(), "/ESU5");
        assert_eq!(chain.shares_per_contract, 50, "0.5 / 0.01: $50 a point");
        assert_eq!(chain.exercise_style, "American");
        let summary: Vec<(String, &str)> = chain
            .expirations
            .iter()
            .map(|e| (e.date.to_string(), e.underlying.as_ref().unwrap().symbol.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                ("2025-07-18".to_owned(), "/ESU5"),
                ("2025-10-03".to_owned(), "/ESZ5")
            ]
        );
        let first = &chain.expirations[0];
        assert_eq!(first.strikes[0].strike, 6000.0, "strikes sorted");
        let put = first.strikes[0].put.as_ref().unwrap();
        assert_eq!(put.symbol, "./ESU5 EW3N5 250718P6000");
        assert_eq!(put.streamer_symbol.as_deref(), Some("./EW3N25P6000:XCME"));
        assert_eq!(delivered_contracts(&chain).len(), 2);

        // A contract's chain lists only the options delivering it.
        let wire: wire::FutureChainWire = serde_json::from_str(ES_CHAIN).unwrap();
        let esz5 = Symbol::parse("/ESZ5").unwrap();
        let (chain, _) = future_chain_listing(&esz5, wire, Some("/ESZ5"), now()).unwrap();
        assert_eq!(chain.expirations.len(), 1);

        // Prices go on the expirations; the strike band follows each expiration's contract.
        let wire: wire::FutureChainWire = serde_json::from_str(ES_CHAIN).unwrap();
        let (mut chain, _) = future_chain_listing(&es, wire, None, now()).unwrap();
        let quote = |symbol: &str, price: f64| Quote {
            symbol: Symbol::parse(symbol).unwrap(),
            instrument_type: Some(InstrumentType::Future),
            bid: Some(price - 0.25),
            ask: Some(price + 0.25),
            bid_size: None,
            ask_size: None,
            last: None,
            mark: Some(price),
            volume: None,
            open: None,
            day_high: None,
            day_low: None,
            prev_close: None,
            year_high: None,
            year_low: None,
            as_of: now(),
        };
        apply_underlying_prices(&mut chain, &[quote("/ESU5", 6010.0), quote("/ESZ5", 6095.0)]);
        assert_eq!(
            chain.expirations[1].underlying.as_ref().unwrap().price,
            Some(6095.0)
        );
        let picked = contracts_to_price(&chain, now().date(), Some(5.0), 200, 0.001, 10);
        assert_eq!(
            picked,
            ["./ESZ5 EW1V5 251003C6100", "./ESZ5 EW1V5 251003P6100"],
            "within 0.1 % of its own contract, whatever the chain's price"
        );

        // Without notional value and display factor the size cannot be known.
        let bare: wire::FutureChainWire = serde_json::from_str(
            r#"{"futures": [], "option-chains": [{"expirations": [{"underlying-symbol": "/ESU5",
                "expiration-date": "2025-07-18", "strikes": [{"strike-price": "1", "call": "./X"}]}]}]}"#,
        )
        .unwrap();
        let (chain, active) = future_chain_listing(&es, bare, None, now()).unwrap();
        assert_eq!((chain.shares_per_contract, active), (1, None));
        let empty: wire::FutureChainWire = serde_json::from_str("{}").unwrap();
        assert!(matches!(
            future_chain_listing(&es, empty, None, now()),
            Err(BrokerError::NotFound(_))
        ));
    }

    #[test]
    fn a_product_is_answered_by_its_contract_under_its_own_symbol() {
        let items: Vec<wire::MarketDataWire> = serde_json::from_str(
            r#"[{"symbol": "/ESU5", "instrument-type": "Future", "bid": "6010.0", "ask": "6010.25"},
                {"symbol": "SPY", "instrument-type": "Equity", "bid": "590.0", "ask": "590.02"}]"#,
        )
        .unwrap();
        let sym = |s: &str| Symbol::parse(s).unwrap();
        let asks = [
            (sym("/ES"), "/ESU5".to_owned()),
            (sym("/ESU5"), "/ESU5".to_owned()),
            (sym("NOPE"), "NOPE".to_owned()),
            (sym("SPY"), "SPY".to_owned()),
        ];
        let quotes = quotes_for(&asks, items, now());
        let got: Vec<(&str, Option<f64>)> = quotes.iter().map(|q| (q.symbol.as_str(), q.bid)).collect();
        assert_eq!(
            got,
            [
                ("/ES", Some(6010.0)),
                ("/ESU5", Some(6010.0)),
                ("SPY", Some(590.0))
            ]
        );
        assert_eq!(quotes[0].instrument_type, Some(InstrumentType::Future));
    }

    #[test]
    fn contracts_near_the_money_and_within_60_days_are_priced_first() {
        let row = |strike: f64, date: Date| StrikeRow {
            strike,
            call: Some(OptionContract {
                symbol: ttai_core::domain::occ_symbol("X", date, OptionType::Call, strike),
                streamer_symbol: None,
                bid: None,
                ask: None,
                last: None,
                volume: None,
                open_interest: None,
                broker_greeks: None,
            }),
            put: None,
        };
        let today: Date = "2025-06-13".parse().unwrap();
        let near = today.add_days(30);
        let far = today.add_days(90);
        let chain = OptionChain {
            underlying: Symbol::parse("X").unwrap(),
            underlying_price: None,
            shares_per_contract: 100,
            exercise_style: "American".into(),
            expirations: vec![
                Expiration {
                    date: near,
                    expiration_type: "Regular".into(),
                    settlement: "PM".into(),
                    strikes: vec![
                        row(80.0, near),
                        row(95.0, near),
                        row(100.0, near),
                        row(110.0, near),
                        row(120.0, near),
                    ],
                    underlying: None,
                },
                Expiration {
                    date: far,
                    expiration_type: "Regular".into(),
                    settlement: "PM".into(),
                    strikes: vec![row(100.0, far)],
                    underlying: None,
                },
            ],
            as_of: now(),
        };
        let picked = contracts_to_price(&chain, today, Some(101.0), 60, 0.15, 1000);
        let strikes: Vec<f64> = picked
            .iter()
            .map(|s| symbols::parse_occ(s).unwrap().strike)
            .collect();
        assert_eq!(strikes, [100.0, 95.0, 110.0]);
        assert_eq!(
            contracts_to_price(&chain, today, Some(101.0), 60, 0.15, 2).len(),
            2
        );
        assert_eq!(contracts_to_price(&chain, today, None, 60, 0.15, 1000).len(), 5);
    }

    #[test]
    fn search_puts_the_exact_ticker_first_and_honours_the_limit() {
        let items: Vec<wire::SymbolWire> = serde_json::from_str(
            r#"[{"symbol": "SPYG", "description": "growth"}, {"symbol": "SPY", "description": "SPDR", "options": true},
                {"symbol": "bad;symbol"}, {"symbol": "SPYD"}]"#,
        )
        .unwrap();
        let found = symbol_matches("spy", items, 2);
        let symbols: Vec<&str> = found.iter().map(|m| m.symbol.as_str()).collect();
        assert_eq!(symbols, ["SPY", "SPYG"]);
        assert_eq!(found[0].has_options, Some(true));
    }
}
