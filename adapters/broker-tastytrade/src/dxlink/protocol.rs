//! The DXLink wire protocol (`tastytrade-api.md` §8): the messages ttai sends, the field lists it
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

/// The version ttai announces in `SETUP`.
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
pub(crate) fn feed_subscription(event: EventType, subs: &[Subscription], add: bool) -> Vec<String> {
    subs.chunks(MAX_PER_FRAME)
        .map(|chunk| {
            let entries: Vec<Value> = chunk
                .iter()
                .map(|s| {
                    let mut entry = json!({"type": event.name(), "symbol": s.symbol});
                    if let (true, Some(from), Some(map)) = (add, s.from_time, entry.as_object_mut()) {
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
            json!({"type": "Candle", "symbol": "SPY{=1d,tho=true}"})
        );
        assert_eq!(candle_symbol("AAPL", Timeframe::Intraday), "AAPL{=5m,tho=true}");
        assert_eq!(candle_symbol("AAPL", Timeframe::Weekly), "AAPL{=1w,tho=true}");
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
                let _ = config_layouts(&value);
            }
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
