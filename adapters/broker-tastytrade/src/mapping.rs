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
    Account, AccountNumber, Balances, BrokerGreeks, Expiration, InstrumentType, MarketMetrics, OptionChain,
    OptionContract, Position, Quote, StrikeRow, Symbol, SymbolMatch,
};
use ttai_core::ports::BrokerError;
use ttai_core::time::{Date, Timestamp};

use crate::symbols;
use crate::wire;

/// The instrument type of the API's `instrument-type` text.
pub(crate) fn instrument_type(text: Option<&str>) -> Option<InstrumentType> {
    Some(match text?.trim() {
        "Equity" => InstrumentType::Equity,
        "Equity Option" => InstrumentType::EquityOption,
        "Index" => InstrumentType::Index,
        "Future" => InstrumentType::Future,
        "Future Option" => InstrumentType::FutureOption,
        "Cryptocurrency" => InstrumentType::Cryptocurrency,
        _ => InstrumentType::Other,
    })
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

/// Quotes for the requested symbols only, at most one each, in request order.
pub(crate) fn quotes_for(
    requested: &[Symbol],
    items: Vec<wire::MarketDataWire>,
    now: Timestamp,
) -> Vec<Quote> {
    let mut by_symbol: HashMap<Symbol, Quote> = HashMap::new();
    for quote in items.into_iter().filter_map(|item| quote(item, now)) {
        by_symbol.entry(quote.symbol.clone()).or_insert(quote);
    }
    requested.iter().filter_map(|s| by_symbol.remove(s)).collect()
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

/// The chain's listing without markets: every root merged, expirations sorted by date (then
/// settlement), strikes sorted. Expirations of different roots on the same date and settlement
/// are one expiration; on a strike listed by two such roots the standard root's contract is kept.
///
/// # Errors
/// `NotFound` when no root lists any expiration.
pub(crate) fn chain_listing(
    underlying: &Symbol,
    mut roots: Vec<wire::ChainRootWire>,
    now: Timestamp,
) -> Result<OptionChain, BrokerError> {
    // Standard roots first, so that they win strike collisions and set the contract size.
    roots.sort_by_key(|r| r.option_chain_type.as_deref() != Some("Standard"));
    let shares_per_contract = roots
        .iter()
        .find_map(|r| r.shares_per_contract)
        .filter(|s| *s >= 1.0 && *s <= f64::from(u32::MAX))
        .map_or(100, |s| s.round() as u32);
    let mut merged: BTreeMap<(Date, String), Expiration> = BTreeMap::new();
    let mut strikes: BTreeMap<(Date, String), BTreeMap<i64, StrikeRow>> = BTreeMap::new();
    for root in roots {
        for exp in root.expirations {
            let Some(date) = exp.expiration_date else {
                continue;
            };
            let settlement = exp.settlement_type.unwrap_or_else(|| "PM".to_owned());
            let key = (date, settlement.clone());
            merged.entry(key.clone()).or_insert_with(|| Expiration {
                date,
                expiration_type: exp.expiration_type.unwrap_or_else(|| "Regular".to_owned()),
                settlement,
                strikes: Vec::new(),
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
        exercise_style: if symbols::is_index(underlying.as_str()) {
            "European".to_owned()
        } else {
            "American".to_owned()
        },
        expirations,
        as_of: now,
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use ttai_core::domain::OptionType;

    fn now() -> Timestamp {
        "2025-06-13T20:00:00Z".parse().unwrap()
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
        let chain = chain_listing(&spx, roots, now()).unwrap();
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
        let err = chain_listing(&spx, Vec::new(), now()).unwrap_err();
        assert!(matches!(err, BrokerError::NotFound(_)), "{err:?}");
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
                },
                Expiration {
                    date: far,
                    expiration_type: "Regular".into(),
                    settlement: "PM".into(),
                    strikes: vec![row(100.0, far)],
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
