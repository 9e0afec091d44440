//! The DXLink wire protocol (docs/tastytrade-wire.md, "DXLink"): the messages ttai sends, the field lists it
//! asks for, and COMPACT `FEED_DATA` decoding. Pure: no socket, no clock.

use std::collections::HashMap;

use serde_json::{Value, json};
use ttai_core::domain::Timeframe;

/// The event types ttai streams, each on its own channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum EventType {
    /// Best bid and ask.
    Quote,
    /// Last trade and the day's volume.
    Trade,
    /// The day's open, high, low and the previous close.
    Summary,
    /// OHLCV bars (history as a snapshot, then live).
    Candle,
    /// An option's implied volatility and greeks.
    Greeks,
}

impl EventType {
    /// Every type, in channel order.
    pub(crate) const ALL: [EventType; 5] = [
        EventType::Quote,
        EventType::Trade,
        EventType::Summary,
        EventType::Candle,
        EventType::Greeks,
    ];

    /// The protocol's name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            EventType::Quote => "Quote",
            EventType::Trade => "Trade",
            EventType::Summary => "Summary",
            EventType::Candle => "Candle",
            EventType::Greeks => "Greeks",
        }
    }

    /// Reads a protocol name.
    pub(crate) fn parse(name: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The channel ttai opens for this type (odd numbers, like dxFeed's SDKs).
    pub(crate) fn channel(self) -> u64 {
        match self {
            EventType::Quote => 1,
            EventType::Trade => 3,
            EventType::Summary => 5,
            EventType::Candle => 7,
            EventType::Greeks => 9,
        }
    }

    /// The type carried by `channel`.
    pub(crate) fn of_channel(channel: u64) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.channel() == channel)
    }

    /// The fields ttai asks for, in COMPACT order.
    pub(crate) fn fields(self) -> &'static [&'static str] {
        match self {
            EventType::Quote => &[
                "eventSymbol",
                "eventTime",
                "bidTime",
                "askTime",
                "bidPrice",
                "askPrice",
                "bidSize",
                "askSize",
            ],
            EventType::Trade => &[
                "eventSymbol",
                "eventTime",
                "time",
                "price",
                "change",
                "size",
                "dayVolume",
            ],
            EventType::Summary => &[
                "eventSymbol",
                "eventTime",
                "dayOpenPrice",
                "dayHighPrice",
                "dayLowPrice",
                "prevDayClosePrice",
            ],
            EventType::Candle => &[
                "eventSymbol",
                "eventTime",
                "eventFlags",
                "index",
                "time",
                "sequence",
                "count",
                "open",
                "high",
                "low",
                "close",
                "volume",
            ],
            EventType::Greeks => &[
                "eventSymbol",
                "eventTime",
                "eventFlags",
                "index",
                "time",
                "sequence",
                "price",
                "volatility",
                "delta",
                "gamma",
                "theta",
                "rho",
                "vega",
            ],
        }
    }
}

/// `eventFlags` bits of indexed events.
pub(crate) mod flags {
    /// The event removes the one with its index.
    pub(crate) const REMOVE_EVENT: i64 = 0x2;
    /// The first event of a snapshot.
    pub(crate) const SNAPSHOT_BEGIN: i64 = 0x4;
    /// The last event of a snapshot.
    pub(crate) const SNAPSHOT_END: i64 = 0x8;
    /// The last event of a snapshot cut short by the server.
    pub(crate) const SNAPSHOT_SNIP: i64 = 0x10;
}

/// What ttai announces as `SETUP.version`: the protocol version, then the client and its version
/// (`<protocol>-<client>/<version>`, as dxFeed's own clients do: `0.1-DXF-JS/0.3.0`).
pub(crate) const CLIENT_VERSION: &str = concat!("0.1-ttai/", env!("CARGO_PKG_VERSION"));

/// `SETUP` announcing `version`.
pub(crate) fn setup(version: &str) -> String {
    json!({"type": "SETUP", "channel": 0, "keepaliveTimeout": 60, "acceptKeepaliveTimeout": 60, "version": version})
        .to_string()
}

/// `AUTH` with the API quote token.
pub(crate) fn auth(token: &str) -> String {
    json!({"type": "AUTH", "channel": 0, "token": token}).to_string()
}

/// `KEEPALIVE`.
pub(crate) fn keepalive() -> String {
    json!({"type": "KEEPALIVE", "channel": 0}).to_string()
}

/// Opens the FEED channel of `event`.
pub(crate) fn channel_request(event: EventType) -> String {
    json!({"type": "CHANNEL_REQUEST", "channel": event.channel(), "service": "FEED", "parameters": {"contract": "AUTO"}})
        .to_string()
}

/// Asks for COMPACT data with ttai's field list on the channel of `event`.
pub(crate) fn feed_setup(event: EventType) -> String {
    let mut fields = serde_json::Map::new();
    fields.insert(event.name().to_owned(), json!(event.fields()));
    json!({
        "type": "FEED_SETUP",
        "channel": event.channel(),
        "acceptAggregationPeriod": 0.1,
        "acceptDataFormat": "COMPACT",
        "acceptEventFields": fields,
    })
    .to_string()
}

/// One subscription: a symbol of an event type, with `fromTime` for candles.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Subscription {
    /// The event type.
    pub(crate) event: EventType,
    /// The streamer symbol (`SPY`, `SPY{=1d,tho=true}`).
    pub(crate) symbol: String,
    /// Epoch milliseconds, for candles.
    pub(crate) from_time: Option<i64>,
}

/// The most entries one `FEED_SUBSCRIPTION` carries (the server closes a connection whose frame is
/// too large, code 1009).
pub(crate) const MAX_PER_FRAME: usize = 100;

/// `FEED_SUBSCRIPTION` frames adding (`add` true) or removing `subs` of one event type, chunked.
/// Candle entries carry `fromTime` both ways: the specification calls it ignored but mandatory on
/// `remove`.
pub(crate) fn feed_subscription(event: EventType, subs: &[Subscription], add: bool) -> Vec<String> {
    subs.chunks(MAX_PER_FRAME)
        .map(|chunk| {
            let entries: Vec<Value> = chunk
                .iter()
                .map(|s| {
                    let mut entry = json!({"type": event.name(), "symbol": s.symbol});
                    if let (Some(from), Some(map)) = (s.from_time, entry.as_object_mut()) {
                        map.insert("fromTime".to_owned(), json!(from));
                    }
                    entry
                })
                .collect();
            let key = if add { "add" } else { "remove" };
            json!({"type": "FEED_SUBSCRIPTION", "channel": event.channel(), key: entries}).to_string()
        })
        .collect()
}

/// The candle symbol of `symbol` bars of `timeframe`, regular trading hours only:
/// `SPY{=1d,tho=true}`.
pub(crate) fn candle_symbol(symbol: &str, timeframe: Timeframe) -> String {
    let period = match timeframe {
        Timeframe::Intraday => "5m",
        Timeframe::Daily => "1d",
        Timeframe::Weekly => "1w",
    };
    format!("{symbol}{{={period},tho=true}}")
}

/// The normal form dxFeed gives a candle symbol, which is how it names the symbol of the events
/// it sends back (`SPY{=1d,tho=true}` comes back as `SPY{=d,tho=true}`). The rules of dxFeed's
/// `CandleSymbol` (`docs/tastytrade.md`): each attribute keeps its place; the period (the attribute
/// with an empty key) drops a value of 1 (`1d` → `d`, `1w` → `w`, `1mo` → `mo`) and writes the
/// type in its short form (`5min` → `5m`), the default period (one tick) is removed; `tho`
/// (trading hours only) reads `true`, its default `false` is removed; `price` writes its short
/// form and its default `last` is removed; `a` (alignment) its default `m` (midnight) removed.
/// Anything it does not understand is kept as it is.
pub(crate) fn normalize_candle_symbol(symbol: &str) -> String {
    let Some(open) = symbol.rfind('{') else {
        return symbol.to_owned();
    };
    let (base, rest) = symbol.split_at(open);
    let Some(inner) = rest.strip_prefix('{').and_then(|r| r.strip_suffix('}')) else {
        return symbol.to_owned();
    };
    if inner.is_empty() {
        return symbol.to_owned();
    }
    let mut kept: Vec<String> = Vec::new();
    for attribute in inner.split(',') {
        let Some((key, value)) = attribute.split_once('=') else {
            kept.push(attribute.to_owned());
            continue;
        };
        let normal = match key {
            "" => candle_period(value),
            "tho" => match value.to_ascii_lowercase().as_str() {
                "true" | "t" | "tr" | "tru" => Some(Some("true".to_owned())),
                "false" | "f" | "fa" | "fal" | "fals" => Some(None),
                _ => None,
            },
            "price" => candle_price(value),
            "a" => match value.to_ascii_lowercase().as_str() {
                "m" | "midnight" => Some(None),
                "s" | "session" => Some(Some("s".to_owned())),
                _ => None,
            },
            _ => None,
        };
        match normal {
            Some(Some(value)) => kept.push(format!("{key}={value}")),
            Some(None) => {}
            None => kept.push(attribute.to_owned()),
        }
    }
    if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}{{{}}}", kept.join(","))
    }
}

/// The normal form of a candle period: `Some(None)` for the default (one tick), `None` when it
/// cannot be read.
fn candle_period(value: &str) -> Option<Option<String>> {
    let split = value
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+')))
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let count: f64 = if number.is_empty() {
        1.0
    } else {
        number.parse().ok()?
    };
    if !count.is_finite() || count <= 0.0 {
        return None;
    }
    // dxFeed's candle types: short names first, then the long names its parser also takes.
    let unit = match unit {
        "t" => "t",
        "s" => "s",
        "m" => "m",
        "h" => "h",
        "d" => "d",
        "w" => "w",
        "mo" => "mo",
        "o" => "o",
        "y" => "y",
        "v" => "v",
        "p" => "p",
        "pm" => "pm",
        "pr" => "pr",
        long => match long.to_ascii_lowercase().as_str() {
            "tick" | "ticks" => "t",
            "sec" | "second" | "seconds" => "s",
            "min" | "minute" | "minutes" => "m",
            "hour" | "hours" => "h",
            "day" | "days" => "d",
            "week" | "weeks" => "w",
            "month" | "months" => "mo",
            "optexp" => "o",
            "year" | "years" => "y",
            "volume" => "v",
            "price" => "p",
            _ => return None,
        },
    };
    if count == 1.0 {
        return Some((unit != "t").then(|| unit.to_owned()));
    }
    let count = if count.fract() == 0.0 && count < 1.0e15 {
        format!("{}", count as i64)
    } else {
        format!("{count}")
    };
    Some(Some(format!("{count}{unit}")))
}

/// The normal form of a candle price type: `Some(None)` for the default (`last`).
fn candle_price(value: &str) -> Option<Option<String>> {
    let lower = value.to_ascii_lowercase();
    let found = ["last", "bid", "ask", "mark", "s"]
        .into_iter()
        .find(|name| !lower.is_empty() && name.starts_with(lower.as_str()))?;
    Some((found != "last").then(|| found.to_owned()))
}

/// A number of an event: JSON numbers, and the strings `NaN`, `Infinity`, `-Infinity` or a
/// decimal; `None` for NaN, infinities, `null` and anything else.
pub(crate) fn number(value: &Value) -> Option<f64> {
    let n = match value {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    n.is_finite().then_some(n)
}

/// An integer field (times, flags, indexes); `None` when absent or not a whole number.
pub(crate) fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e18)
                .map(|f| f as i64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// One decoded event: its type, symbol, and fields by name.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Event {
    /// The event type.
    pub(crate) event: EventType,
    /// `eventSymbol`.
    pub(crate) symbol: String,
    /// Every field, by name.
    pub(crate) fields: HashMap<String, Value>,
}

impl Event {
    /// A numeric field (see [`number`]).
    pub(crate) fn number(&self, name: &str) -> Option<f64> {
        self.fields.get(name).and_then(number)
    }

    /// An integer field (see [`integer`]).
    pub(crate) fn integer(&self, name: &str) -> Option<i64> {
        self.fields.get(name).and_then(integer)
    }
}

/// Why a frame could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DecodeError(pub(crate) String);

/// Decodes the `data` of a `FEED_DATA` in either format: FULL (a list of objects keyed by field
/// name, `eventType` naming the type, else the type of `channel`) or COMPACT (see
/// [`decode_compact`]).
pub(crate) fn decode_feed_data(
    data: &Value,
    layouts: &HashMap<EventType, Vec<String>>,
    channel: Option<u64>,
) -> Result<Vec<Event>, DecodeError> {
    match data.as_array().and_then(|items| items.first()) {
        Some(Value::Object(_)) => decode_full(data, channel.and_then(EventType::of_channel)),
        _ => decode_compact(data, layouts),
    }
}

/// Decodes the `data` of a FULL `FEED_DATA`: one object per event. Events of unknown types and
/// without a symbol are skipped; anything but a list of objects is an error.
pub(crate) fn decode_full(data: &Value, channel_type: Option<EventType>) -> Result<Vec<Event>, DecodeError> {
    let Some(items) = data.as_array() else {
        return Err(DecodeError("FEED_DATA data is not an array".to_owned()));
    };
    let mut events = Vec::new();
    for item in items {
        let Some(object) = item.as_object() else {
            return Err(DecodeError(
                "FULL FEED_DATA holds something that is not an event".to_owned(),
            ));
        };
        let event = match object.get("eventType").and_then(Value::as_str) {
            Some(name) => EventType::parse(name),
            None => channel_type,
        };
        let (Some(event), Some(symbol)) = (event, object.get("eventSymbol").and_then(Value::as_str)) else {
            continue;
        };
        events.push(Event {
            event,
            symbol: symbol.to_owned(),
            fields: object.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        });
    }
    Ok(events)
}

/// Decodes the `data` of a COMPACT `FEED_DATA`: pairs of an event type and a flat array of values,
/// `len(fields)` per event, in the order of `layouts` (the server's `FEED_CONFIG`, else ttai's own
/// lists). Unknown event types are skipped; a value array that is not a whole number of events
/// is an error.
pub(crate) fn decode_compact(
    data: &Value,
    layouts: &HashMap<EventType, Vec<String>>,
) -> Result<Vec<Event>, DecodeError> {
    let Some(items) = data.as_array() else {
        return Err(DecodeError("FEED_DATA data is not an array".to_owned()));
    };
    let mut events = Vec::new();
    let mut pairs = items.chunks(2);
    for pair in &mut pairs {
        let [kind, values] = pair else {
            return Err(DecodeError(
                "FEED_DATA data has an event type without values".to_owned(),
            ));
        };
        let Some(name) = kind.as_str() else {
            return Err(DecodeError("FEED_DATA event type is not a string".to_owned()));
        };
        let Some(event) = EventType::parse(name) else {
            continue;
        };
        let own: Vec<String>;
        let fields: &[String] = match layouts.get(&event) {
            Some(fields) if !fields.is_empty() => fields,
            _ => {
                own = event.fields().iter().map(|f| (*f).to_owned()).collect();
                &own
            }
        };
        let Some(values) = values.as_array() else {
            return Err(DecodeError(format!("{name} values are not an array")));
        };
        if values.len() % fields.len() != 0 {
            return Err(DecodeError(format!(
                "{name}: {} values is not a whole number of {}-field events",
                values.len(),
                fields.len()
            )));
        }
        for row in values.chunks(fields.len()) {
            let map: HashMap<String, Value> = fields.iter().cloned().zip(row.iter().cloned()).collect();
            let Some(symbol) = map.get("eventSymbol").and_then(Value::as_str).map(str::to_owned) else {
                continue;
            };
            events.push(Event {
                event,
                symbol,
                fields: map,
            });
        }
    }
    Ok(events)
}

/// The event fields of a `FEED_CONFIG`, by type.
pub(crate) fn config_layouts(message: &Value) -> HashMap<EventType, Vec<String>> {
    let mut layouts = HashMap::new();
    if let Some(fields) = message.get("eventFields").and_then(Value::as_object) {
        for (name, list) in fields {
            if let (Some(event), Some(list)) = (EventType::parse(name), list.as_array()) {
                let names: Vec<String> = list.iter().filter_map(Value::as_str).map(str::to_owned).collect();
                layouts.insert(event, names);
            }
        }
    }
    layouts
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn own_layouts() -> HashMap<EventType, Vec<String>> {
        HashMap::new()
    }

    #[test]
    fn messages_follow_the_protocol() {
        let setup: Value = serde_json::from_str(&setup("ttai/0.1.0")).unwrap();
        assert_eq!(setup["type"], "SETUP");
        assert_eq!(setup["keepaliveTimeout"], 60);
        let request: Value = serde_json::from_str(&channel_request(EventType::Candle)).unwrap();
        assert_eq!(
            (request["channel"].as_u64(), request["service"].as_str()),
            (Some(7), Some("FEED"))
        );
        let feed: Value = serde_json::from_str(&feed_setup(EventType::Quote)).unwrap();
        assert_eq!(feed["acceptDataFormat"], "COMPACT");
        assert_eq!(feed["acceptEventFields"]["Quote"][4], "bidPrice");
        for event in EventType::ALL {
            assert_eq!(EventType::of_channel(event.channel()), Some(event));
            assert_eq!(EventType::parse(event.name()), Some(event));
        }
    }

    #[test]
    fn subscriptions_are_chunked_and_candles_carry_from_time() {
        let subs: Vec<Subscription> = (0..250)
            .map(|i| Subscription {
                event: EventType::Quote,
                symbol: format!("S{i}"),
                from_time: None,
            })
            .collect();
        let frames = feed_subscription(EventType::Quote, &subs, true);
        assert_eq!(frames.len(), 3);
        let first: Value = serde_json::from_str(&frames[0]).unwrap();
        assert_eq!(first["add"].as_array().unwrap().len(), 100);
        let candle = Subscription {
            event: EventType::Candle,
            symbol: candle_symbol("SPY", Timeframe::Daily),
            from_time: Some(1_700_000_000_000),
        };
        let add: Value = serde_json::from_str(
            &feed_subscription(EventType::Candle, std::slice::from_ref(&candle), true)[0],
        )
        .unwrap();
        assert_eq!(
            add["add"][0],
            json!({"type": "Candle", "symbol": "SPY{=1d,tho=true}", "fromTime": 1_700_000_000_000_i64})
        );
        let remove: Value =
            serde_json::from_str(&feed_subscription(EventType::Candle, &[candle], false)[0]).unwrap();
        assert_eq!(
            remove["remove"][0],
            json!({"type": "Candle", "symbol": "SPY{=1d,tho=true}", "fromTime": 1_700_000_000_000_i64}),
            "ignored but mandatory on remove"
        );
        assert_eq!(candle_symbol("AAPL", Timeframe::Intraday), "AAPL{=5m,tho=true}");
        assert_eq!(candle_symbol("AAPL", Timeframe::Weekly), "AAPL{=1w,tho=true}");
    }

    #[test]
    fn candle_symbols_are_normalised_as_dxfeed_does() {
        for (given, normal) in [
            ("SPY{=1d,tho=true}", "SPY{=d,tho=true}"),
            ("SPY{=1w,tho=true}", "SPY{=w,tho=true}"),
            ("SPY{=5m,tho=true}", "SPY{=5m,tho=true}"),
            ("AAPL{=5m}", "AAPL{=5m}"),
            ("AAPL{=1mo}", "AAPL{=mo}"),
            ("AAPL{=2d}", "AAPL{=2d}"),
            ("AAPL{=1.5h}", "AAPL{=1.5h}"),
            ("AAPL{=5min}", "AAPL{=5m}"),
            ("AAPL{=day,tho=TRUE}", "AAPL{=d,tho=true}"),
            ("AAPL{=d,tho=false}", "AAPL{=d}"),
            ("AAPL{=1t}", "AAPL"),
            ("AAPL{=d,price=last}", "AAPL{=d}"),
            ("AAPL{=d,price=bid}", "AAPL{=d,price=bid}"),
            ("AAPL{=d,a=m}", "AAPL{=d}"),
            ("AAPL{=d,a=s,tho=true}", "AAPL{=d,a=s,tho=true}"),
            ("/ESU25:XCME{=1d}", "/ESU25:XCME{=d}"),
            ("SPY", "SPY"),
            ("SPY{=x1}", "SPY{=x1}"),
            ("SPY{}", "SPY{}"),
        ] {
            assert_eq!(normalize_candle_symbol(given), normal, "{given}");
            assert_eq!(
                normalize_candle_symbol(normal),
                normal,
                "{normal} is its own normal form"
            );
        }
        for timeframe in [Timeframe::Intraday, Timeframe::Daily, Timeframe::Weekly] {
            let subscribed = candle_symbol("SPY", timeframe);
            assert_eq!(
                normalize_candle_symbol(&subscribed),
                normalize_candle_symbol(&normalize_candle_symbol(&subscribed))
            );
        }
    }

    #[test]
    fn full_format_data_decodes_by_field_name() {
        let data = json!([
            {"eventType": "Quote", "eventSymbol": "SPY", "bidPrice": 100.5, "askPrice": "NaN", "bidTime": 0},
            {"eventSymbol": "AAPL", "bidPrice": 201.0},
            {"eventType": "Profile", "eventSymbol": "SPY"},
            {"eventType": "Quote"}
        ]);
        let events = decode_feed_data(&data, &own_layouts(), Some(EventType::Quote.channel())).unwrap();
        assert_eq!(
            events.len(),
            2,
            "unknown types and symbol-less events are skipped"
        );
        assert_eq!(events[0].number("bidPrice"), Some(100.5));
        assert_eq!(events[0].number("askPrice"), None);
        assert_eq!(events[1].event, EventType::Quote, "the channel's type");
        assert_eq!(events[1].symbol, "AAPL");
        assert!(decode_full(&json!([{"eventSymbol": "SPY"}, 3]), None).is_err());
        // COMPACT still goes through the same entry point.
        let compact = json!(["Quote", ["SPY", 1, 2, 3, 100.5, 100.75, 10, 10]]);
        assert_eq!(decode_feed_data(&compact, &own_layouts(), None).unwrap().len(), 1);
    }

    #[test]
    fn compact_data_decodes_with_nan_strings() {
        let data = json!([
            "Quote",
            [
                "SPY", 1, 2, 3, 100.5, "100.75", 10, "NaN", "AAPL", 1, 2, 3, "NaN", 201.0, 1, 2
            ]
        ]);
        let events = decode_compact(&data, &own_layouts()).unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].symbol, "SPY");
        assert_eq!(events[0].number("bidPrice"), Some(100.5));
        assert_eq!(events[0].number("askPrice"), Some(100.75));
        assert_eq!(events[0].number("askSize"), None);
        assert_eq!(events[1].number("bidPrice"), None);
        assert_eq!(events[1].integer("eventTime"), Some(1));
    }

    #[test]
    fn the_servers_layout_wins_and_unknown_types_are_skipped() {
        let config = json!({"type": "FEED_CONFIG", "channel": 1, "eventFields": {"Quote": ["eventSymbol", "askPrice", "bidPrice"]}});
        let layouts = config_layouts(&config);
        let data = json!(["Profile", [1, 2], "Quote", ["SPY", 2.0, 1.0]]);
        let events = decode_compact(&data, &layouts).unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(
            (events[0].number("bidPrice"), events[0].number("askPrice")),
            (Some(1.0), Some(2.0))
        );
    }

    #[test]
    fn malformed_data_is_an_error_not_a_panic() {
        for data in [
            json!({"Quote": []}),
            json!(["Quote"]),
            json!([1, []]),
            json!(["Quote", "x"]),
            json!(["Quote", ["SPY", 1, 2]]),
        ] {
            assert!(decode_compact(&data, &own_layouts()).is_err(), "{data}");
        }
        assert_eq!(number(&json!("Infinity")), None);
        assert_eq!(number(&json!("-Infinity")), None);
        assert_eq!(number(&json!(null)), None);
        assert_eq!(integer(&json!(1.7e12)), Some(1_700_000_000_000));
        assert_eq!(integer(&json!("12")), Some(12));
        assert_eq!(integer(&json!(1.5)), None);
    }

    proptest! {
        #[test]
        fn arbitrary_frames_never_panic(text in ".{0,200}") {
            if let Ok(value) = serde_json::from_str::<Value>(&text) {
                let _ = decode_compact(&value, &own_layouts());
                let _ = decode_feed_data(&value, &own_layouts(), Some(1));
                let _ = config_layouts(&value);
            }
        }

        #[test]
        fn normalising_is_idempotent_and_never_panics(text in "[A-Z/:]{1,6}(\\{[=a-z0-9.,]{0,20}\\})?") {
            let once = normalize_candle_symbol(&text);
            prop_assert_eq!(normalize_candle_symbol(&once), once.clone());
        }

        #[test]
        fn rows_round_trip(rows in proptest::collection::vec((0u32..1000, -1.0e6f64..1.0e6, proptest::bool::ANY), 0..50)) {
            let mut values = Vec::new();
            for (i, price, nan) in &rows {
                values.extend([json!(format!("S{i}")), json!(1), json!(2), json!(3),
                               if *nan { json!("NaN") } else { json!(price) }, json!(price), json!(1), json!(1)]);
            }
            let events = decode_compact(&json!(["Quote", values]), &own_layouts()).unwrap();
            prop_assert_eq!(events.len(), rows.len());
            for (event, (i, price, nan)) in events.iter().zip(&rows) {
                prop_assert_eq!(&event.symbol, &format!("S{i}"));
                prop_assert_eq!(event.number("bidPrice"), if *nan { None } else { Some(*price) });
            }
        }
    }
}
