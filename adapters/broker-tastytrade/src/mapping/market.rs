//! The market: hours, quotes, metrics and symbol search.

use std::collections::HashMap;

use ttai_core::domain::{
    InstrumentType, MarketCalendar, MarketMetrics, MarketSession, MarketState, Quote, SessionTimes, Symbol,
    SymbolMatch, new_york_clock,
};
use ttai_core::ports::BrokerError;
use ttai_core::time::{Date, Timestamp};

use super::{instrument_type, percent_to_fraction};
use crate::wire;

/// A session's times; `None` without an open and a close.
pub(super) fn session_times(date: Option<Date>, hours: wire::SessionHoursWire) -> Option<SessionTimes> {
    let (open_at, close_at) = (hours.open_at?, hours.close_at?);
    Some(SessionTimes {
        date: date.unwrap_or_else(|| new_york_clock(open_at).0),
        start_at: hours.start_at.unwrap_or(open_at),
        open_at,
        close_at,
        close_at_ext: hours.close_at_ext,
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
    let snapshot =
        |s: Option<wire::SessionSnapshotWire>| s.and_then(|s| session_times(s.session_date, s.hours));
    Ok(MarketSession {
        state: equity
            .state
            .as_deref()
            .and_then(MarketState::from_api)
            .unwrap_or(MarketState::Closed),
        current: session_times(None, equity.hours),
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
