//! The fake's DXLink websocket (docs/tastytrade-wire.md, "DXLink"), on its own port of `127.0.0.1`, serving
//! the same market as the REST endpoints.
//!
//! It follows the protocol: `SETUP` → `SETUP` + `AUTH_STATE UNAUTHORIZED`; `AUTH` with a quote
//! token minted by `/api-quote-tokens` → `AUTHORIZED` (else `UNAUTHORIZED` and an `ERROR`);
//! `CHANNEL_REQUEST` → `CHANNEL_OPENED`; `FEED_SETUP` → `FEED_CONFIG` echoing the fields, which
//! then order every COMPACT row (or, with `acceptDataFormat: FULL`, name the fields of every
//! event object); `FEED_SUBSCRIPTION` `add` answers `Quote`, `Trade` and `Summary` from the
//! market's quotes, `Greeks` from the chains, and `Candle` with a snapshot of the market's bars
//! since `fromTime` (newest first, 100 events per frame, `SNAPSHOT_BEGIN` … `SNAPSHOT_END`; an
//! empty snapshot is one removed event; weekly bars are built from daily ones when the market has
//! none); `remove` and `reset` are honoured; `KEEPALIVE` is counted.
//!
//! Like dxFeed, it names candle events with the normal form of the subscribed symbol
//! (`SPY{=1d,tho=true}` → `SPY{=d,tho=true}`), unless told to echo the text as subscribed
//! ([`super::CandleEcho`]). Events carry the types the feed sends: integers for times, ids and
//! flags, strings for exchange codes, tick directions and price types, booleans for flags, and
//! numbers or the string `NaN` for prices and sizes.
//!
//! What tests can do: drop every connection abruptly, freeze them (no reads, no writes), withhold
//! an event type, push a new quote to subscribers, refuse the quote tokens minted so far, and read
//! the counts and current subscriptions.
//!
//! Each connection is a thread polling its socket every few milliseconds (a read timeout), so that
//! pushes, drops and freezes reach it without a second writer.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::io::{self, ErrorKind};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use serde_json::{Value, json};
use ttai_core::app::years_to_expiry;
use ttai_core::domain::{Candle, OptionType, Quote, Timeframe, weekly_from_daily};
use ttai_core::quant::bsm::{self, BsmInput};
use ttai_core::time::Timestamp;
use tungstenite::{Message, WebSocket};

use super::Shared;

mod events;

use events::{candle_frames, greeks_frame, quote_frames};

/// How long a connection thread waits on its socket before looking at pushes and drops.
const POLL: Duration = Duration::from_millis(5);

/// The risk-free rate of the fake's greeks.
const RATE: f64 = 0.04;

/// Events per `FEED_DATA` frame of a candle snapshot.
const SNAPSHOT_FRAME: usize = 100;

/// DXLink's `eventFlags` bits.
const REMOVE_EVENT: i64 = 0x2;
const SNAPSHOT_BEGIN: i64 = 0x4;
const SNAPSHOT_END: i64 = 0x8;

/// The DXLink side of the fake's state.
#[derive(Default)]
pub(crate) struct DxState {
    /// Quote tokens that `AUTH` accepts.
    pub(crate) valid_tokens: BTreeSet<String>,
    /// Quote tokens minted so far.
    pub(crate) tokens_minted: usize,
    /// Connections accepted so far.
    pub(crate) connections: usize,
    /// Successful `AUTH`s so far.
    pub(crate) authorized: usize,
    /// Refused `AUTH`s so far.
    pub(crate) refused: usize,
    /// `KEEPALIVE`s received so far.
    pub(crate) keepalives: usize,
    /// Bumped to drop every open connection.
    pub(crate) drop_generation: u64,
    /// Open connections stop reading and writing while set.
    pub(crate) frozen: bool,
    /// Event types answered with nothing.
    pub(crate) withheld: BTreeSet<String>,
    /// Open connections: what each is subscribed to, and its pushes not yet sent.
    pub(crate) open: HashMap<u64, Conn>,
    /// Numbers connections.
    pub(crate) next_id: u64,
    /// Every client message so far, in arrival order (the first [`MAX_RECEIVED`]).
    pub(crate) received: Vec<Value>,
    /// Answer in the FULL format whatever the client asks.
    pub(crate) force_full: bool,
    /// Send quotes with bid, ask and event times of 0 (as dxFeed often does).
    pub(crate) zero_quote_times: bool,
}

/// The most client messages kept for tests.
const MAX_RECEIVED: usize = 100_000;

/// One open connection, as the state sees it.
#[derive(Default)]
pub(crate) struct Conn {
    /// (event type, symbol) pairs subscribed.
    pub(crate) subscriptions: BTreeSet<(String, String)>,
    /// Symbols whose quote changed, to send.
    pub(crate) pushes: VecDeque<String>,
    /// Frames to send as they are (`ERROR`s a test asked for).
    pub(crate) frames: VecDeque<Value>,
}

/// Accepts connections until `stop` is set.
pub(crate) fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>, stop: &AtomicBool) {
    let shared = Arc::clone(shared);
    crate::http1::accept_loop(listener, stop, "fake-dxlink-conn", move |stream| {
        let _ = serve(stream, &shared);
    });
}

/// One connection's own state.
struct Session {
    id: u64,
    generation: u64,
    authorized: bool,
    /// Field order per event type, from `FEED_SETUP`.
    fields: HashMap<String, Vec<String>>,
    /// The channel of each event type.
    channels: HashMap<String, u64>,
    /// Channels that asked for the FULL format.
    full: BTreeSet<u64>,
}

fn serve(stream: TcpStream, shared: &Arc<Shared>) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.set_nodelay(true)?;
    let Ok(mut socket) = tungstenite::accept(stream) else {
        return Ok(());
    };
    socket.get_ref().set_read_timeout(Some(POLL))?;
    let (id, generation) = {
        let mut state = shared.lock();
        state.dx.connections += 1;
        state.dx.next_id += 1;
        let id = state.dx.next_id;
        state.dx.open.insert(id, Conn::default());
        (id, state.dx.drop_generation)
    };
    let mut session = Session {
        id,
        generation,
        authorized: false,
        fields: HashMap::new(),
        channels: HashMap::new(),
        full: BTreeSet::new(),
    };
    let result = run(&mut socket, shared, &mut session);
    shared.lock().dx.open.remove(&id);
    result
}

fn run(socket: &mut WebSocket<TcpStream>, shared: &Shared, session: &mut Session) -> io::Result<()> {
    loop {
        let (dropped, frozen, pushes, frames) = {
            let mut state = shared.lock();
            let dx = &mut state.dx;
            let (pushes, frames): (Vec<String>, Vec<Value>) = dx
                .open
                .get_mut(&session.id)
                .map(|c| (c.pushes.drain(..).collect(), c.frames.drain(..).collect()))
                .unwrap_or_default();
            (
                dx.drop_generation != session.generation,
                dx.frozen,
                pushes,
                frames,
            )
        };
        if dropped {
            // Abruptly: no close frame, like a network failure.
            let _ = socket.get_ref().shutdown(Shutdown::Both);
            return Ok(());
        }
        if frozen {
            std::thread::sleep(POLL);
            continue;
        }
        for frame in frames {
            write(socket, frame)?;
        }
        for symbol in pushes {
            for frame in quote_frames(shared, session, &symbol, &["Quote", "Trade", "Summary"]) {
                write(socket, frame)?;
            }
        }
        match socket.read() {
            Ok(Message::Text(text)) => {
                for reply in handle(shared, session, text.as_str()) {
                    write(socket, reply)?;
                }
            }
            Ok(Message::Close(_)) => return Ok(()),
            Ok(_) => {}
            Err(tungstenite::Error::Io(e))
                if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return Ok(()),
        }
    }
}

fn write(socket: &mut WebSocket<TcpStream>, frame: Value) -> io::Result<()> {
    socket
        .send(Message::text(frame.to_string()))
        .map_err(|e| io::Error::other(e.to_string()))
}

fn error(kind: &str, message: &str) -> Value {
    json!({"type": "ERROR", "channel": 0, "error": kind, "message": message})
}

/// The answers to one client frame.
fn handle(shared: &Shared, session: &mut Session, text: &str) -> Vec<Value> {
    let Ok(message) = serde_json::from_str::<Value>(text) else {
        return vec![error("INVALID_MESSAGE", "not JSON")];
    };
    let kind = message.get("type").and_then(Value::as_str).unwrap_or("");
    let channel = message.get("channel").and_then(Value::as_u64).unwrap_or(0);
    {
        let mut state = shared.lock();
        if state.dx.received.len() < MAX_RECEIVED {
            state.dx.received.push(message.clone());
        }
    }
    match kind {
        "SETUP" => vec![
            json!({"type": "SETUP", "channel": 0, "keepaliveTimeout": 60, "acceptKeepaliveTimeout": 60, "version": "fake-dxlink/1.0"}),
            json!({"type": "AUTH_STATE", "channel": 0, "state": "UNAUTHORIZED"}),
        ],
        "AUTH" => {
            let token = message.get("token").and_then(Value::as_str).unwrap_or("");
            let mut state = shared.lock();
            if state.dx.valid_tokens.contains(token) {
                state.dx.authorized += 1;
                session.authorized = true;
                vec![
                    json!({"type": "AUTH_STATE", "channel": 0, "state": "AUTHORIZED", "userId": "fake-user"}),
                ]
            } else {
                state.dx.refused += 1;
                vec![
                    error("UNAUTHORIZED", "the token is not valid"),
                    json!({"type": "AUTH_STATE", "channel": 0, "state": "UNAUTHORIZED"}),
                ]
            }
        }
        "KEEPALIVE" => {
            shared.lock().dx.keepalives += 1;
            Vec::new()
        }
        _ if !session.authorized => vec![error("UNAUTHORIZED", "authorize first")],
        "CHANNEL_REQUEST" => vec![json!({
            "type": "CHANNEL_OPENED",
            "channel": channel,
            "service": message.get("service").cloned().unwrap_or(json!("FEED")),
            "parameters": message.get("parameters").cloned().unwrap_or(json!({})),
        })],
        "CHANNEL_CANCEL" => vec![json!({"type": "CHANNEL_CLOSED", "channel": channel})],
        "FEED_SETUP" => {
            let full = message.get("acceptDataFormat").and_then(Value::as_str) == Some("FULL")
                || shared.lock().dx.force_full;
            if full {
                session.full.insert(channel);
            } else {
                session.full.remove(&channel);
            }
            let mut config = serde_json::Map::new();
            if let Some(fields) = message.get("acceptEventFields").and_then(Value::as_object) {
                for (event, list) in fields {
                    let names: Vec<String> = list
                        .as_array()
                        .map(|l| l.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                        .unwrap_or_default();
                    session.fields.insert(event.clone(), names.clone());
                    session.channels.insert(event.clone(), channel);
                    config.insert(event.clone(), json!(names));
                }
            }
            let format = if full { "FULL" } else { "COMPACT" };
            vec![
                json!({"type": "FEED_CONFIG", "channel": channel, "dataFormat": format, "aggregationPeriod": 0.1, "eventFields": config}),
            ]
        }
        "FEED_SUBSCRIPTION" => subscription(shared, session, &message),
        _ => vec![error("BAD_ACTION", "unknown message type")],
    }
}

/// Applies a `FEED_SUBSCRIPTION` and answers the added symbols.
fn subscription(shared: &Shared, session: &mut Session, message: &Value) -> Vec<Value> {
    let entries = |key: &str| -> Vec<(String, String, Option<i64>)> {
        message
            .get(key)
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(|e| {
                        Some((
                            e.get("type")?.as_str()?.to_owned(),
                            e.get("symbol")?.as_str()?.to_owned(),
                            e.get("fromTime").and_then(Value::as_i64),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let added = entries("add");
    {
        let mut state = shared.lock();
        let Some(conn) = state.dx.open.get_mut(&session.id) else {
            return Vec::new();
        };
        if message.get("reset").and_then(Value::as_bool) == Some(true) {
            conn.subscriptions.clear();
        }
        for (event, symbol, _) in entries("remove") {
            conn.subscriptions.remove(&(event, symbol));
        }
        for (event, symbol, _) in &added {
            conn.subscriptions.insert((event.clone(), symbol.clone()));
        }
    }
    let mut frames = Vec::new();
    for (event, symbol, from_time) in added {
        if shared.lock().dx.withheld.contains(&event) {
            continue;
        }
        match event.as_str() {
            "Candle" => frames.extend(candle_frames(shared, session, &symbol, from_time.unwrap_or(0))),
            "Quote" | "Trade" | "Summary" => {
                frames.extend(quote_frames(shared, session, &symbol, &[event.as_str()]))
            }
            "Greeks" => frames.extend(greeks_frame(shared, session, &symbol)),
            _ => {}
        }
    }
    frames
}

/// One `FEED_DATA` of one event type with the fields the session asked for: COMPACT rows in its
/// field order, or FULL objects (with `eventType`) when its channel asked for those. A field the
/// fake has no value for is `NaN` (every field the clients ask for has one; the SDK judge checks).
fn rows(session: &Session, event: &str, events: &[HashMap<&'static str, Value>]) -> Option<Value> {
    let fields = session.fields.get(event)?;
    let channel = *session.channels.get(event)?;
    let value = |row: &HashMap<&'static str, Value>, field: &str| {
        if field == "eventType" {
            json!(event)
        } else {
            row.get(field).cloned().unwrap_or_else(|| json!("NaN"))
        }
    };
    if session.full.contains(&channel) {
        let objects: Vec<Value> = events
            .iter()
            .map(|row| {
                let mut object = serde_json::Map::new();
                object.insert("eventType".to_owned(), json!(event));
                for field in fields {
                    object.insert(field.clone(), value(row, field));
                }
                Value::Object(object)
            })
            .collect();
        return Some(json!({"type": "FEED_DATA", "channel": channel, "data": objects}));
    }
    let mut values = Vec::with_capacity(fields.len() * events.len());
    for row in events {
        for field in fields {
            values.push(value(row, field));
        }
    }
    Some(json!({"type": "FEED_DATA", "channel": channel, "data": [event, values]}))
}
