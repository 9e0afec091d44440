//! Futures as the fake serves them: the contracts of a product (`/instruments/futures`) and its
//! nested option chain (`/futures-option-chains/{product}/nested`), derived from the market.
//!
//! A futures contract is a quote of instrument type `Future` whose symbol is a product, a month
//! code and a year digit (`/ESU5`); a quote of a bare product (`/ES`) is what the fake broker and
//! the replay tapes answer for the product and is not a contract here. The fake dates every
//! contract like the equity-index futures (the third Friday of its month, 13:30 UTC) and calls
//! the first unexpired one the active month. A product's options are the chain whose underlying
//! is the product; each expiration names the contract it delivers.

use serde_json::{Value, json};
use ttai_core::domain::{InstrumentType, OptionChain};
use ttai_core::testing::FakeMarket;
use ttai_core::time::{Date, Timestamp};

use super::render::{dec, time_offset};

/// Futures month codes, January to December.
const MONTH_CODES: &[u8; 12] = b"FGHJKMNQUVXZ";

/// One futures contract of the market.
pub(crate) struct Contract {
    /// `/ESU5`.
    pub(crate) symbol: String,
    /// `ES`.
    pub(crate) product: String,
    /// When it expires (the third Friday of its month).
    pub(crate) expiry: Date,
}

/// Reads `/ESU5` (or `/ESU25`) as of `today`: the decade is the one that makes the contract
/// expire no earlier than last year.
pub(crate) fn contract(symbol: &str, today: Date) -> Option<Contract> {
    let code = symbol.strip_prefix('/')?;
    let digits = code.bytes().rev().take_while(u8::is_ascii_digit).count();
    if !(1..=2).contains(&digits) {
        return None;
    }
    let split = code.len() - digits - 1;
    let product = code.get(..split).filter(|p| !p.is_empty())?;
    let month = MONTH_CODES
        .iter()
        .position(|c| Some(c) == code.as_bytes().get(split))? as u32
        + 1;
    let year_digits: i32 = code.get(split + 1..)?.parse().ok()?;
    let (this_year, _, _) = today.ymd();
    let modulus = if digits == 1 { 10 } else { 100 };
    let mut year = this_year - this_year.rem_euclid(modulus) + year_digits;
    if year < this_year - 1 {
        year += modulus;
    }
    Some(Contract {
        symbol: symbol.to_owned(),
        product: product.to_owned(),
        expiry: third_friday(year, month)?,
    })
}

/// The third Friday of a month.
fn third_friday(year: i32, month: u32) -> Option<Date> {
    let first = Date::from_ymd(year, month, 1)?;
    let to_friday = (0..7).find(|d| first.add_days(*d).weekday() == ttai_core::time::Weekday::Friday)?;
    Some(first.add_days(to_friday + 14))
}

/// The contracts of `product` the market quotes, soonest first.
pub(crate) fn contracts(market: &FakeMarket, product: &str, today: Date) -> Vec<Contract> {
    let mut found: Vec<Contract> = market
        .quotes
        .iter()
        .filter(|q| q.instrument_type == Some(InstrumentType::Future))
        .filter_map(|q| contract(q.symbol.as_str(), today))
        .filter(|c| c.product == product)
        .collect();
    found.sort_by_key(|c| c.expiry);
    found
}

/// The options chain of `product`, when the market has one.
fn chain<'a>(market: &'a FakeMarket, product: &str) -> Option<&'a OptionChain> {
    let underlying = format!("/{product}");
    market.chains.iter().find(|c| c.underlying.as_str() == underlying)
}

/// Dollars per point of `product`: its options' contract size, else 1.
fn multiplier(market: &FakeMarket, product: &str) -> u32 {
    chain(market, product).map_or(1, |c| c.shares_per_contract)
}

/// The active month (the first unexpired contract) and the next active month, by symbol.
fn active_months(contracts: &[Contract], today: Date) -> (Option<String>, Option<String>) {
    let mut unexpired = contracts.iter().filter(|c| c.expiry >= today);
    let active = unexpired.next().map(|c| c.symbol.clone());
    (active, unexpired.next().map(|c| c.symbol.clone()))
}

/// The DXLink symbol of a contract: `/ESU25:XCME`.
fn streamer_symbol(contract: &Contract) -> String {
    let (year, _, _) = contract.expiry.ymd();
    let code = contract
        .symbol
        .trim_start_matches('/')
        .trim_end_matches(|c: char| c.is_ascii_digit());
    format!("/{code}{:02}:XCME", year.rem_euclid(100))
}

/// `/instruments/futures?product-code[]=...&symbol[]=...`: the contracts asked for.
pub(crate) fn instruments(
    market: &FakeMarket,
    products: &[String],
    symbols: &[String],
    now: Timestamp,
) -> Vec<Value> {
    let today = now.date();
    let mut products: Vec<String> = products
        .iter()
        .map(|p| p.trim_start_matches('/').to_owned())
        .collect();
    for symbol in symbols {
        let symbol = if symbol.starts_with('/') {
            symbol.clone()
        } else {
            format!("/{symbol}")
        };
        if let Some(contract) = contract(&symbol, today)
            && !products.contains(&contract.product)
        {
            products.push(contract.product);
        }
    }
    let mut items = Vec::new();
    for product in &products {
        let all = contracts(market, product, today);
        let (active_symbol, next_symbol) = active_months(&all, today);
        for contract in &all {
            let wanted = symbols.is_empty()
                || symbols
                    .iter()
                    .any(|s| s.trim_start_matches('/') == contract.symbol.trim_start_matches('/'));
            if wanted {
                items.push(future(
                    contract,
                    multiplier(market, product),
                    active_symbol.as_ref() == Some(&contract.symbol),
                    next_symbol.as_ref() == Some(&contract.symbol),
                ));
            }
        }
    }
    items
}

/// One element of `/instruments/futures`.
fn future(contract: &Contract, multiplier: u32, active_month: bool, next_active_month: bool) -> Value {
    let expires = contract.expiry.at_utc(13, 30);
    json!({
        "symbol": contract.symbol,
        "product-code": contract.product,
        "contract-size": dec(f64::from(multiplier)),
        "tick-size": "0.25",
        "notional-multiplier": dec(f64::from(multiplier)),
        "main-fraction": "0.0",
        "sub-fraction": "0.0",
        "display-factor": "0.01",
        "last-trade-date": contract.expiry.to_string(),
        "expiration-date": contract.expiry.to_string(),
        "closing-only-date": contract.expiry.to_string(),
        "active": true,
        "active-month": active_month,
        "next-active-month": next_active_month,
        "is-closing-only": false,
        "stops-trading-at": time_offset(expires, 0),
        "expires-at": time_offset(expires, 0),
        "product-group": "CME_ES",
        "exchange": "CME",
        "roll-target-symbol": contract.symbol,
        "streamer-exchange-code": "XCME",
        "streamer-symbol": streamer_symbol(contract),
        "back-month-first-calendar-symbol": false,
        "is-tradeable": true,
        "instrument-type": "Future",
        "tick-sizes": [{"value": "0.25"}],
        "option-tick-sizes": [{"value": "0.05", "threshold": "10.0"}, {"value": "0.25"}],
    })
}

/// The option root and the option contract code of an option on a future
/// (`./ESU5 EW3N5 250718P5800` → `EW3`, `EW3N5`).
fn option_codes(symbol: &str) -> Option<(String, String)> {
    let contract_code = symbol.split(' ').nth(1)?;
    let root = contract_code.get(..contract_code.len().checked_sub(2)?)?;
    Some((root.to_owned(), contract_code.to_owned()))
}

/// `/futures-option-chains/{product}/nested`: the product's contracts and its options, or `None`
/// when the market has neither.
pub(crate) fn nested_chain(market: &FakeMarket, product: &str, now: Timestamp) -> Option<Value> {
    let today = now.date();
    let all = contracts(market, product, today);
    let chain = chain(market, product);
    if all.is_empty() && chain.is_none() {
        return None;
    }
    let (active_symbol, next_symbol) = active_months(&all, today);
    let futures: Vec<Value> = all
        .iter()
        .map(|c| {
            let expires = c.expiry.at_utc(13, 30);
            json!({
                "symbol": c.symbol,
                "root-symbol": format!("/{product}"),
                "expiration-date": c.expiry.to_string(),
                "days-to-expiration": today.days_until(c.expiry),
                "active-month": active_symbol.as_ref() == Some(&c.symbol),
                "next-active-month": next_symbol.as_ref() == Some(&c.symbol),
                "stops-trading-at": time_offset(expires, 0),
                "expires-at": time_offset(expires, 0),
                "maturity-date": format!("{} 00:00:00 UTC", c.expiry),
            })
        })
        .collect();
    let option_chains: Vec<Value> = chain
        .map(|chain| {
            let multiplier = f64::from(chain.shares_per_contract);
            let expirations: Vec<Value> = chain
                .expirations
                .iter()
                .rev()
                .filter_map(|exp| {
                    let first = exp
                        .strikes
                        .iter()
                        .find_map(|r| r.call.as_ref().or(r.put.as_ref()))?;
                    let (root, contract_code) = option_codes(&first.symbol)?;
                    let delivered = exp
                        .underlying
                        .as_ref()
                        .map(|u| u.symbol.as_str().to_owned())
                        .or_else(|| active_symbol.clone())?;
                    let expires = exp.date.at_utc(20, 0);
                    let strikes: Vec<Value> = exp
                        .strikes
                        .iter()
                        .rev()
                        .filter_map(|row| {
                            let (call, put) = (row.call.as_ref()?, row.put.as_ref()?);
                            Some(json!({
                                "strike-price": dec(row.strike),
                                "call": call.symbol,
                                "call-streamer-symbol": call.streamer_symbol,
                                "put": put.symbol,
                                "put-streamer-symbol": put.streamer_symbol,
                            }))
                        })
                        .collect();
                    Some(json!({
                        "underlying-symbol": delivered,
                        "root-symbol": format!("/{product}"),
                        "option-root-symbol": root,
                        "option-contract-symbol": contract_code,
                        "asset": root,
                        "expiration-date": exp.date.to_string(),
                        "days-to-expiration": today.days_until(exp.date),
                        "expiration-type": exp.expiration_type,
                        "settlement-type": exp.settlement,
                        "notional-value": dec(multiplier * 0.01),
                        "display-factor": "0.01",
                        "strike-factor": "1.0",
                        "stops-trading-at": time_offset(expires, 0),
                        "expires-at": time_offset(expires, 0),
                        "tick-sizes": [{"value": "0.05", "threshold": "5.0"}, {"value": "0.25"}],
                        "strikes": strikes,
                    }))
                })
                .collect();
            vec![json!({
                "underlying-symbol": format!("/{product}"),
                "root-symbol": format!("/{product}"),
                "exercise-style": chain.exercise_style,
                "expirations": expirations,
            })]
        })
        .unwrap_or_default();
    Some(json!({"futures": futures, "option-chains": option_chains}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contracts_are_read_and_dated() {
        let today: Date = "2025-06-13".parse().unwrap();
        let esu5 = contract("/ESU5", today).unwrap();
        assert_eq!(
            (esu5.product.as_str(), esu5.expiry.to_string()),
            ("ES", "2025-09-19".to_owned())
        );
        assert_eq!(contract("/ESH6", today).unwrap().expiry.to_string(), "2026-03-20");
        assert_eq!(
            contract("/ESZ25", today).unwrap().expiry.to_string(),
            "2025-12-19"
        );
        assert_eq!(contract("/6EM6", today).unwrap().product, "6E");
        assert!(contract("/ES", today).is_none());
        assert!(contract("/U5", today).is_none());
        assert_eq!(streamer_symbol(&esu5), "/ESU25:XCME");
        assert_eq!(
            option_codes("./ESU5 EW3N5 250718P5800"),
            Some(("EW3".to_owned(), "EW3N5".to_owned()))
        );
    }
}
