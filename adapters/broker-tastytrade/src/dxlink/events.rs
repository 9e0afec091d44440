//! What the stream's events do to the shared state: quotes, trades and summaries update the
//! watched symbols, greeks the watched contracts, and candle events fill their request until the
//! snapshot ends.

use ttai_core::domain::{BrokerGreeks, Candle};
use ttai_core::time::Timestamp;

use super::State;
use super::protocol::{self, EventType, Subscription, flags};

/// Applies decoded events (`received` at that time) to the state; returns the candle
/// subscriptions to remove.
pub(super) fn apply(state: &mut State, events: &[protocol::Event], received: Timestamp) -> Vec<Subscription> {
    let mut finished = Vec::new();
    for event in events {
        match event.event {
            EventType::Quote => {
                if let Some(w) = state.watched.get_mut(&event.symbol) {
                    w.bid = event.number("bidPrice").or(w.bid);
                    w.ask = event.number("askPrice").or(w.ask);
                    w.bid_size = event.number("bidSize").or(w.bid_size);
                    w.ask_size = event.number("askSize").or(w.ask_size);
                    // dxFeed often sends 0 for all three times: the quote is then as of its arrival.
                    let time = [
                        event.integer("bidTime"),
                        event.integer("askTime"),
                        event.integer("eventTime"),
                    ]
                    .into_iter()
                    .flatten()
                    .filter(|t| *t > 0)
                    .max()
                    .unwrap_or_else(|| received.millis());
                    w.time = w.time.max(Some(time));
                    w.live = true;
                }
            }
            EventType::Trade => {
                if let Some(w) = state.watched.get_mut(&event.symbol) {
                    w.last = event.number("price").or(w.last);
                    w.volume = event.number("dayVolume").or(w.volume);
                    let time = event.integer("time").or_else(|| event.integer("eventTime"));
                    w.time = w.time.max(time.filter(|t| *t > 0));
                }
            }
            EventType::Summary => {
                if let Some(w) = state.watched.get_mut(&event.symbol) {
                    w.open = event.number("dayOpenPrice").or(w.open);
                    w.high = event.number("dayHighPrice").or(w.high);
                    w.low = event.number("dayLowPrice").or(w.low);
                    w.prev_close = event.number("prevDayClosePrice").or(w.prev_close);
                }
            }
            EventType::Candle => {
                if let Some(done) = candle_event(state, event) {
                    finished.push(done);
                }
            }
            EventType::Greeks => {
                let removed = event.integer("eventFlags").unwrap_or(0) & flags::REMOVE_EVENT != 0;
                if let (Some(w), false) = (state.greeks.get_mut(&event.symbol), removed)
                    && let (Some(iv), Some(delta), Some(gamma)) = (
                        event.number("volatility"),
                        event.number("delta"),
                        event.number("gamma"),
                    )
                {
                    let time = event
                        .integer("time")
                        .filter(|t| *t > 0)
                        .or_else(|| event.integer("eventTime"))
                        .unwrap_or(0);
                    w.value = Some(BrokerGreeks {
                        iv,
                        delta,
                        gamma,
                        as_of: Timestamp::from_millis(time),
                    });
                }
            }
        }
    }
    finished
}

/// Adds one candle event to its request (found by the normal form of the event's symbol, so the
/// symbol as subscribed and dxFeed's normal form both match); completes the request at the end of
/// the snapshot.
fn candle_event(state: &mut State, event: &protocol::Event) -> Option<Subscription> {
    let key = protocol::normalize_candle_symbol(&event.symbol);
    let request = state.candles.get_mut(&key)?;
    let bits = event.integer("eventFlags").unwrap_or(0);
    if bits & flags::SNAPSHOT_BEGIN != 0 {
        request.in_snapshot = true;
        request.bars.clear();
    }
    if !request.in_snapshot {
        return None;
    }
    let index = event
        .integer("index")
        .or_else(|| event.integer("time"))
        .unwrap_or(0);
    if bits & flags::REMOVE_EVENT != 0 {
        request.bars.remove(&index);
    } else if let (Some(time), Some(open), Some(high), Some(low), Some(close)) = (
        event.integer("time"),
        event.number("open"),
        event.number("high"),
        event.number("low"),
        event.number("close"),
    ) {
        request.bars.insert(
            index,
            Candle {
                time: Timestamp::from_millis(time),
                open,
                high,
                low,
                close,
                volume: event.number("volume").unwrap_or(0.0),
            },
        );
    }
    if bits & (flags::SNAPSHOT_END | flags::SNAPSHOT_SNIP) == 0 {
        return None;
    }
    let request = state.candles.remove(&key)?;
    let mut bars: Vec<Candle> = request.bars.into_values().collect();
    bars.sort_by_key(|c| c.time);
    bars.dedup_by_key(|c| c.time);
    for waiter in request.waiters {
        let mine: Vec<Candle> = bars.iter().filter(|c| c.time >= waiter.since).copied().collect();
        let _ = waiter.reply.send(Ok(mine));
    }
    Some(Subscription {
        event: EventType::Candle,
        symbol: request.symbol,
        from_time: Some(request.from_time),
    })
}
