//! Option chains: the listing (equity and futures), the contracts to price, their markets and
//! greeks, and the underlying's price.

use std::collections::{BTreeMap, HashMap};

use ttai_core::domain::{
    BrokerGreeks, Expiration, ExpirationUnderlying, OptionChain, OptionContract, Quote, StrikeRow, Symbol,
};
use ttai_core::ports::BrokerError;
use ttai_core::time::{Date, Timestamp};

use crate::wire;

/// One listed expiration of one option root, before roots are merged.
pub(super) struct Listed {
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
pub(super) fn merge_listing(
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
pub(super) fn strike_key(strike: f64) -> i64 {
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

pub(super) fn contract(symbol: Option<String>, streamer_symbol: Option<String>) -> Option<OptionContract> {
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
