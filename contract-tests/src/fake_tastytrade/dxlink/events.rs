//! The events the fake sends: quotes, trades and summaries from the market's quotes, greeks from
//! its chains, and candle snapshots of its bars named as dxFeed names them.

use super::*;

/// The trading day of a time, as dxFeed counts it (days since 1970-01-01).
fn day_id(time: Timestamp) -> i64 {
    i64::from(time.date().days_since_epoch())
}

fn number(value: Option<f64>) -> Value {
    value
        .filter(|v| v.is_finite())
        .map_or_else(|| json!("NaN"), |v| json!(v))
}

/// `Quote`, `Trade` and/or `Summary` of `symbol`, when the market quotes it and the session is
/// subscribed (pushes) or just subscribed (answers).
pub(super) fn quote_frames(shared: &Shared, session: &Session, symbol: &str, events: &[&str]) -> Vec<Value> {
    let (quote, subscribed, withheld, zero_times): (Option<Quote>, Vec<bool>, Vec<bool>, bool) = {
        let state = shared.lock();
        let quote = state
            .options
            .market
            .quotes
            .iter()
            .find(|q| q.symbol.as_str() == symbol)
            .cloned();
        let conn = state.dx.open.get(&session.id);
        let subscribed = events
            .iter()
            .map(|e| conn.is_some_and(|c| c.subscriptions.contains(&((*e).to_owned(), symbol.to_owned()))))
            .collect();
        let withheld = events.iter().map(|e| state.dx.withheld.contains(*e)).collect();
        (quote, subscribed, withheld, state.dx.zero_quote_times)
    };
    let Some(quote) = quote else {
        return Vec::new();
    };
    let time = if zero_times {
        json!(0)
    } else {
        json!(quote.as_of.millis())
    };
    let mut frames = Vec::new();
    for ((event, subscribed), withheld) in events.iter().zip(subscribed).zip(withheld) {
        if !subscribed || withheld {
            continue;
        }
        let mut row: HashMap<&'static str, Value> = HashMap::new();
        row.insert("eventSymbol", json!(symbol));
        row.insert("eventTime", json!(0));
        row.insert("sequence", json!(0));
        row.insert("timeNanoPart", json!(0));
        match *event {
            "Quote" => {
                row.insert("bidTime", time.clone());
                row.insert("askTime", time.clone());
                row.insert("bidExchangeCode", json!("Q"));
                row.insert("askExchangeCode", json!("Q"));
                row.insert("bidPrice", number(quote.bid));
                row.insert("askPrice", number(quote.ask));
                row.insert("bidSize", number(quote.bid_size));
                row.insert("askSize", number(quote.ask_size));
            }
            "Trade" => {
                let change = quote.last.zip(quote.prev_close).map(|(l, p)| l - p);
                let direction = match change {
                    Some(c) if c > 0.0 => "UP",
                    Some(c) if c < 0.0 => "DOWN",
                    Some(_) => "ZERO",
                    None => "UNDEFINED",
                };
                row.insert("time", time.clone());
                row.insert("exchangeCode", json!("Q"));
                row.insert("dayId", json!(day_id(quote.as_of)));
                row.insert("tickDirection", json!(direction));
                row.insert("extendedTradingHours", json!(false));
                row.insert("price", number(quote.last));
                row.insert("change", number(change));
                row.insert("size", json!(100));
                row.insert("dayVolume", number(quote.volume));
                row.insert(
                    "dayTurnover",
                    number(quote.volume.zip(quote.last).map(|(v, l)| v * l)),
                );
            }
            _ => {
                row.insert("dayId", json!(day_id(quote.as_of)));
                row.insert("dayClosePriceType", json!("REGULAR"));
                row.insert("prevDayId", json!(day_id(quote.as_of) - 1));
                row.insert("prevDayClosePriceType", json!("FINAL"));
                row.insert("openInterest", json!(0));
                row.insert("dayOpenPrice", number(quote.open));
                row.insert("dayHighPrice", number(quote.day_high));
                row.insert("dayLowPrice", number(quote.day_low));
                row.insert("dayClosePrice", json!("NaN"));
                row.insert("prevDayClosePrice", number(quote.prev_close));
                row.insert("prevDayVolume", number(quote.volume));
            }
        }
        frames.extend(rows(session, event, &[row]));
    }
    frames
}

/// The `Greeks` of the option with this streamer symbol: Black-Scholes-Merton at the implied
/// volatility of its mid (rate 4 %, the underlying's dividend yield; for an option on a future,
/// Black-76 on the contract it delivers), at the fake's clock; nothing for an unknown symbol or a
/// contract without a two-sided market.
pub(super) fn greeks_frame(shared: &Shared, session: &Session, symbol: &str) -> Option<Value> {
    let computed = {
        let state = shared.lock();
        let market = &state.options.market;
        let now = state.options.now;
        market.chains.iter().find_map(|chain| {
            let div = market
                .metrics
                .iter()
                .find(|m| m.symbol == chain.underlying)
                .and_then(|m| m.dividend_yield)
                .unwrap_or(0.0);
            chain.expirations.iter().find_map(|exp| {
                // Options on a future: Black-76 on the contract the expiration delivers.
                let (spot, div) = match &exp.underlying {
                    Some(delivered) => (delivered.price?, RATE),
                    None => (chain.underlying_price?, div),
                };
                exp.strikes.iter().find_map(|row| {
                    [
                        (row.call.as_ref(), OptionType::Call),
                        (row.put.as_ref(), OptionType::Put),
                    ]
                    .into_iter()
                    .find_map(|(contract, option_type)| {
                        let contract = contract?;
                        let streamer = contract.streamer_symbol.clone().unwrap_or_else(|| {
                            let root = crate::fake_tastytrade::render::occ_root(&contract.symbol);
                            crate::fake_tastytrade::render::streamer_symbol(
                                &root,
                                exp.date,
                                option_type,
                                row.strike,
                            )
                        });
                        if streamer != symbol {
                            return None;
                        }
                        let t = years_to_expiry(now, exp.date);
                        let mid = contract.mid()?;
                        let iv = bsm::implied_volatility(option_type, spot, row.strike, t, RATE, div, mid)?;
                        let greeks = bsm::greeks(&BsmInput {
                            option_type,
                            spot,
                            strike: row.strike,
                            t,
                            vol: iv,
                            rate: RATE,
                            div,
                        })
                        .ok()?;
                        Some((now, mid, iv, greeks))
                    })
                })
            })
        })
    };
    let (now, mid, iv, greeks) = computed?;
    let mut row: HashMap<&'static str, Value> = HashMap::new();
    row.insert("eventSymbol", json!(symbol));
    row.insert("eventTime", json!(0));
    row.insert("eventFlags", json!(0));
    row.insert("index", json!(0));
    row.insert("time", json!(now.millis()));
    row.insert("sequence", json!(0));
    row.insert("price", json!(mid));
    row.insert("volatility", json!(iv));
    row.insert("delta", json!(greeks.delta));
    row.insert("gamma", json!(greeks.gamma));
    row.insert("theta", json!(greeks.theta));
    row.insert("rho", json!(greeks.rho));
    row.insert("vega", json!(greeks.vega));
    rows(session, "Greeks", &[row])
}

/// Splits `SPY{=1d,tho=true}` (or `SPY{=d,tho=true}`) into the symbol and the timeframe.
fn parse_candle_symbol(symbol: &str) -> Option<(&str, Timeframe)> {
    let (base, rest) = symbol.split_once('{')?;
    let attributes = rest.strip_suffix('}')?;
    let period = attributes.split(',').find_map(|a| a.strip_prefix('='))?;
    let timeframe = match period {
        "5m" => Timeframe::Intraday,
        "1d" | "d" => Timeframe::Daily,
        "1w" | "w" => Timeframe::Weekly,
        _ => return None,
    };
    Some((base, timeframe))
}

/// The name dxFeed gives the events of a candle subscription: the period without a count of 1
/// (`1d` → `d`), `tho` only when `true`, other attributes as they are and in place. (The fake's
/// own rules, written apart from the adapter's.)
pub(crate) fn normal_candle_symbol(symbol: &str) -> String {
    let Some((base, rest)) = symbol.split_once('{') else {
        return symbol.to_owned();
    };
    let Some(attributes) = rest.strip_suffix('}') else {
        return symbol.to_owned();
    };
    let kept: Vec<String> = attributes
        .split(',')
        .filter_map(|attribute| match attribute.split_once('=') {
            Some(("", period)) => Some(format!(
                "={}",
                period
                    .strip_prefix('1')
                    .filter(|p| p.starts_with(|c: char| c.is_ascii_alphabetic()))
                    .unwrap_or(period)
            )),
            Some(("tho", value)) if value.eq_ignore_ascii_case("false") => None,
            Some(("tho", _)) => Some("tho=true".to_owned()),
            _ => Some(attribute.to_owned()),
        })
        .collect();
    if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}{{{}}}", kept.join(","))
    }
}

/// The market's bars of `base` for `timeframe` since `from_time`: weekly bars are built from the
/// daily ones when the market has no weekly series (dxFeed serves any period).
fn bars_of(
    state: &crate::fake_tastytrade::State,
    base: &str,
    timeframe: Timeframe,
    from_time: i64,
) -> Vec<Candle> {
    let series = |wanted: Timeframe| {
        state
            .options
            .market
            .candles
            .iter()
            .find(|(s, t, _)| s.as_str() == base && *t == wanted)
            .map(|(_, _, bars)| bars.clone())
    };
    let bars = match (series(timeframe), timeframe) {
        (Some(bars), _) => bars,
        (None, Timeframe::Weekly) => series(Timeframe::Daily)
            .map(|daily| weekly_from_daily(&daily))
            .unwrap_or_default(),
        (None, _) => Vec::new(),
    };
    bars.into_iter()
        .filter(|c| c.time.millis() >= from_time)
        .collect()
}

/// The snapshot of a candle subscription, its events named as dxFeed names them.
pub(super) fn candle_frames(shared: &Shared, session: &Session, symbol: &str, from_time: i64) -> Vec<Value> {
    let (bars, echo) = {
        let state = shared.lock();
        let bars = parse_candle_symbol(symbol)
            .map(|(base, timeframe)| bars_of(&state, base, timeframe, from_time))
            .unwrap_or_default();
        let echo = match state.options.candle_echo {
            crate::fake_tastytrade::CandleEcho::Normalised => normal_candle_symbol(symbol),
            crate::fake_tastytrade::CandleEcho::AsSubscribed => symbol.to_owned(),
        };
        (bars, echo)
    };
    let event = |flags: i64, bar: Option<&Candle>| -> HashMap<&'static str, Value> {
        let mut row: HashMap<&'static str, Value> = HashMap::new();
        row.insert("eventSymbol", json!(echo));
        row.insert("eventTime", json!(0));
        row.insert("eventFlags", json!(flags));
        row.insert("sequence", json!(0));
        row.insert("vwap", json!("NaN"));
        row.insert("bidVolume", json!("NaN"));
        row.insert("askVolume", json!("NaN"));
        row.insert("impVolatility", json!("NaN"));
        row.insert("openInterest", json!("NaN"));
        match bar {
            Some(c) => {
                let time = c.time.millis();
                row.insert("index", json!((time / 1000) << 32));
                row.insert("time", json!(time));
                row.insert("count", json!(1));
                row.insert("open", json!(c.open));
                row.insert("high", json!(c.high));
                row.insert("low", json!(c.low));
                row.insert("close", json!(c.close));
                row.insert("volume", json!(c.volume));
            }
            None => {
                row.insert("index", json!(0));
                row.insert("time", json!(0));
                row.insert("count", json!(0));
                for price in ["open", "high", "low", "close", "volume"] {
                    row.insert(price, json!("NaN"));
                }
            }
        }
        row
    };
    if bars.is_empty() {
        return rows(
            session,
            "Candle",
            &[event(SNAPSHOT_BEGIN | SNAPSHOT_END | REMOVE_EVENT, None)],
        )
        .into_iter()
        .collect();
    }
    // Newest first, like dxFeed.
    let last = bars.len() - 1;
    let events: Vec<HashMap<&'static str, Value>> = bars
        .iter()
        .rev()
        .enumerate()
        .map(|(i, bar)| {
            let mut flags = 0;
            if i == 0 {
                flags |= SNAPSHOT_BEGIN;
            }
            if i == last {
                flags |= SNAPSHOT_END;
            }
            event(flags, Some(bar))
        })
        .collect();
    events
        .chunks(SNAPSHOT_FRAME)
        .filter_map(|chunk| rows(session, "Candle", chunk))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candle_symbols_are_read() {
        assert_eq!(
            parse_candle_symbol("SPY{=1d,tho=true}"),
            Some(("SPY", Timeframe::Daily))
        );
        assert_eq!(
            parse_candle_symbol("AAPL{=5m}"),
            Some(("AAPL", Timeframe::Intraday))
        );
        assert_eq!(
            parse_candle_symbol("AAPL{=1w,tho=true}"),
            Some(("AAPL", Timeframe::Weekly))
        );
        assert_eq!(parse_candle_symbol("AAPL{=1mo}"), None);
        assert_eq!(parse_candle_symbol("AAPL"), None);
        assert_eq!(
            parse_candle_symbol("SPY{=d,tho=true}"),
            Some(("SPY", Timeframe::Daily))
        );
    }

    #[test]
    fn candle_events_are_named_as_dxfeed_names_them() {
        assert_eq!(normal_candle_symbol("SPY{=1d,tho=true}"), "SPY{=d,tho=true}");
        assert_eq!(normal_candle_symbol("SPY{=1w,tho=true}"), "SPY{=w,tho=true}");
        assert_eq!(normal_candle_symbol("SPY{=5m,tho=true}"), "SPY{=5m,tho=true}");
        assert_eq!(normal_candle_symbol("AAPL{=5m}"), "AAPL{=5m}");
        assert_eq!(normal_candle_symbol("AAPL{=1d,tho=false}"), "AAPL{=d}");
        assert_eq!(normal_candle_symbol("AAPL{=15m}"), "AAPL{=15m}");
        assert_eq!(normal_candle_symbol("AAPL"), "AAPL");
    }
}
