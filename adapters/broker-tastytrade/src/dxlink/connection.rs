//! The task that owns the DXLink socket: connect, handshake, subscribe, read, keep alive,
//! reconnect. See the parent module for what it serves.
//!
//! One session: quote token (from `/api-quote-tokens`, kept until an hour before it expires or
//! until the server refuses it) → websocket → `SETUP` → `AUTH_STATE UNAUTHORIZED` → `AUTH` →
//! `AUTHORIZED` → one `CHANNEL_REQUEST` per event type, each answered `CHANNEL_OPENED` and then
//! given its `FEED_SETUP` → every subscription the state holds → the read loop. A session ends
//! when the socket closes or fails, the server refuses or withdraws authorization (an `ERROR`
//! `UNAUTHORIZED` or an `AUTH_STATE` other than `AUTHORIZED`: the quote token is fetched again),
//! nothing arrives for `silence_limit`, there is nothing left to stream for `idle_after`, or the
//! handle is dropped. Any other `ERROR` is informational (the specification says so): it is
//! logged and the session goes on. Failures are retried after a backoff that doubles from `backoff_min` to
//! `backoff_max` (reset after a session that lasted a minute).
//!
//! What events do to the state is `events.rs`; the socket's plumbing is `socket.rs`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use ttai_core::ports::{BrokerError, Secret};

use super::events::apply;
use super::protocol::{self, EventType, Subscription};
use super::socket::{
    Link, Refusal, Socket, connect, message_type, next_message, send, send_subscriptions, server_error,
};
use super::{CandleRequest, Command, Shared, StreamSettings, quote_subscriptions};
use crate::Inner;
use crate::errors::Call;
use crate::wire::QuoteTokenWire;

/// The API quote token.
struct QuoteToken {
    token: Secret,
    url: String,
    /// When to fetch another one.
    renew_at: Instant,
}

/// Why a session ended.
enum Ended {
    /// The handle was dropped: stop.
    Closed,
    /// Nothing to stream: wait for work before connecting again.
    Idle,
    /// Lost or refused: reconnect after the backoff. The error, when there is one the waiting
    /// candle requests should hear (no credentials, no market-data access).
    Failed(String, Option<BrokerError>),
    /// The server refused the quote token mid-session: fetch another, then reconnect.
    TokenRefused(String),
}

/// The connection task.
pub(super) struct Task {
    pub(super) inner: Arc<Inner>,
    pub(super) shared: Arc<Shared>,
    pub(super) settings: StreamSettings,
    pub(super) commands: mpsc::UnboundedReceiver<Command>,
}

impl Task {
    /// Runs sessions until the handle is dropped.
    pub(super) async fn run(mut self) {
        let mut token: Option<QuoteToken> = None;
        let mut backoff = self.settings.backoff_min;
        loop {
            if self.is_idle() {
                // Sleep until there is something to stream.
                if self.commands.recv().await.is_none() {
                    return;
                }
            }
            // The state already holds what queued commands asked for.
            while self.commands.try_recv().is_ok() {}
            let started = Instant::now();
            let ended = self.session(&mut token).await;
            self.disconnected();
            match ended {
                Ended::Closed => return,
                // `session` turns a refused token into `Failed` after forgetting the token.
                Ended::TokenRefused(reason) => tracing::warn!(%reason, "DXLink refused the quote token"),
                Ended::Idle => {
                    tracing::debug!("DXLink: nothing left to stream; connection closed");
                    backoff = self.settings.backoff_min;
                }
                Ended::Failed(reason, error) => {
                    if started.elapsed() >= Duration::from_secs(60) {
                        backoff = self.settings.backoff_min;
                    }
                    if let Some(error) = error {
                        self.fail_candles(&error);
                    }
                    tracing::warn!(
                        %reason,
                        retry_in_ms = backoff.as_millis() as u64,
                        "DXLink connection lost; reconnecting"
                    );
                    if !self.wait(backoff).await {
                        return;
                    }
                    backoff = (backoff * 2).min(self.settings.backoff_max);
                }
            }
        }
    }

    /// Waits `pause`, still noticing a dropped handle; false when it was dropped.
    async fn wait(&mut self, pause: Duration) -> bool {
        let deadline = Instant::now() + pause;
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => return true,
                command = self.commands.recv() => {
                    if command.is_none() {
                        return false;
                    }
                }
            }
        }
    }

    fn is_idle(&self) -> bool {
        let state = self.shared.lock();
        state.watched.is_empty() && state.greeks.is_empty() && state.candles.is_empty()
    }

    fn disconnected(&self) {
        let mut state = self.shared.lock();
        state.connected = false;
        for watched in state.watched.values_mut() {
            watched.live = false;
        }
        // Greeks from a lost connection may be stale: they come again after the reconnect.
        for watched in state.greeks.values_mut() {
            watched.value = None;
        }
        for request in state.candles.values_mut() {
            request.in_snapshot = false;
            request.bars.clear();
        }
    }

    fn fail_candles(&self, error: &BrokerError) {
        let requests: Vec<CandleRequest> = self.shared.lock().candles.drain().map(|(_, r)| r).collect();
        for request in requests {
            for waiter in request.waiters {
                let _ = waiter.reply.send(Err(error.clone()));
            }
        }
    }

    /// A quote token, fetched when there is none or it is due for renewal.
    async fn token(&self, cached: &mut Option<QuoteToken>) -> Result<(Secret, String), BrokerError> {
        if let Some(token) = cached.as_ref()
            && Instant::now() < token.renew_at
        {
            return Ok((token.token.clone(), token.url.clone()));
        }
        let call = Call {
            label: "quote token",
            not_found: "the DXLink quote token".to_owned(),
        };
        let wire: QuoteTokenWire = self.inner.get("/api-quote-tokens", &call).await?;
        let (Some(token), Some(url)) = (wire.token, wire.dxlink_url.or(wire.websocket_url)) else {
            return Err(BrokerError::InvalidResponse(
                "the quote token answer has no token or DXLink URL".to_owned(),
            ));
        };
        // Renew an hour before the stated expiry (24 h when not stated).
        let now = (self.inner.now)();
        let lifetime_ms = wire
            .expires_at
            .map_or(24 * 3_600_000, |at| at.millis() - now.millis());
        let renew_in = Duration::from_millis(u64::try_from(lifetime_ms - 3_600_000).unwrap_or(0).max(60_000));
        let secret = Secret::new(token);
        *cached = Some(QuoteToken {
            token: secret.clone(),
            url: url.clone(),
            renew_at: Instant::now() + renew_in,
        });
        Ok((secret, url))
    }

    /// One session; see the module docs.
    async fn session(&mut self, cached: &mut Option<QuoteToken>) -> Ended {
        let (token, url) = match self.token(cached).await {
            Ok(found) => found,
            Err(error) => {
                let keep = matches!(
                    error,
                    BrokerError::Unauthenticated(_) | BrokerError::Forbidden(_) | BrokerError::NotFound(_)
                );
                return Ended::Failed(
                    format!("no quote token: {error}"),
                    keep.then(|| {
                        BrokerError::Unavailable(format!("DXLink streaming is not available: {error}"))
                    }),
                );
            }
        };
        let socket = match tokio::time::timeout(self.settings.connect_timeout, connect(&url)).await {
            Ok(Ok(socket)) => socket,
            Ok(Err(reason)) => return Ended::Failed(reason, None),
            Err(_) => return Ended::Failed("connecting timed out".to_owned(), None),
        };
        let (mut sink, mut stream) = socket.split();
        let mut link = Link {
            layouts: HashMap::new(),
            last_heard: Instant::now(),
        };
        match self.handshake(&mut sink, &mut stream, &mut link, &token).await {
            Ok(()) => {}
            Err(Refusal::Token(reason)) => {
                *cached = None;
                return Ended::Failed(reason, None);
            }
            Err(Refusal::Other(reason)) => return Ended::Failed(reason, None),
        }
        drop(token);
        // Everything the state holds, from scratch on this connection.
        let subscriptions = {
            let mut state = self.shared.lock();
            let mut subs: Vec<Subscription> = state
                .watched
                .keys()
                .flat_map(|symbol| quote_subscriptions(symbol))
                .collect();
            subs.extend(state.greeks.keys().map(|symbol| Subscription {
                event: EventType::Greeks,
                symbol: symbol.clone(),
                from_time: None,
            }));
            for request in state.candles.values_mut() {
                request.in_snapshot = false;
                request.bars.clear();
                subs.push(Subscription {
                    event: EventType::Candle,
                    symbol: request.symbol.clone(),
                    from_time: Some(request.from_time),
                });
            }
            state.connected = true;
            state.sessions += 1;
            subs
        };
        tracing::info!(
            subscriptions = subscriptions.len(),
            "DXLink connected and authorized"
        );
        if let Err(reason) = send_subscriptions(&mut sink, subscriptions, true).await {
            return Ended::Failed(reason, None);
        }
        match self.read_loop(&mut sink, &mut stream, &mut link).await {
            Ended::TokenRefused(reason) => {
                *cached = None;
                Ended::Failed(reason, None)
            }
            other => other,
        }
    }

    /// SETUP, AUTH and the channels.
    async fn handshake(
        &self,
        sink: &mut SplitSink<Socket, Message>,
        stream: &mut SplitStream<Socket>,
        link: &mut Link,
        token: &Secret,
    ) -> Result<(), Refusal> {
        let deadline = Instant::now() + self.settings.connect_timeout;
        send(sink, protocol::setup(protocol::CLIENT_VERSION))
            .await
            .map_err(Refusal::Other)?;
        // The server says UNAUTHORIZED before it listens to AUTH (or AUTHORIZED when it needs none).
        let mut authorized = false;
        let mut auth_sent = false;
        while !authorized {
            let message = next_message(stream, deadline, link).await?;
            match message_type(&message) {
                "AUTH_STATE" => match message.get("state").and_then(Value::as_str) {
                    Some("AUTHORIZED") => authorized = true,
                    Some("UNAUTHORIZED") if !auth_sent => {
                        send(sink, protocol::auth(token.expose()))
                            .await
                            .map_err(Refusal::Other)?;
                        auth_sent = true;
                    }
                    _ => return Err(Refusal::Token("DXLink refused the quote token".to_owned())),
                },
                "ERROR" => server_error(&message)?,
                _ => {}
            }
        }
        for event in EventType::ALL {
            send(sink, protocol::channel_request(event))
                .await
                .map_err(Refusal::Other)?;
        }
        let mut waiting: HashSet<u64> = EventType::ALL.iter().map(|e| e.channel()).collect();
        while !waiting.is_empty() {
            let message = next_message(stream, deadline, link).await?;
            match message_type(&message) {
                "CHANNEL_OPENED" => {
                    let channel = message.get("channel").and_then(Value::as_u64).unwrap_or(0);
                    if waiting.remove(&channel)
                        && let Some(event) = EventType::of_channel(channel)
                    {
                        send(sink, protocol::feed_setup(event))
                            .await
                            .map_err(Refusal::Other)?;
                    }
                }
                "FEED_CONFIG" => link.configure(&message),
                "ERROR" => server_error(&message)?,
                "AUTH_STATE" if message.get("state").and_then(Value::as_str) != Some("AUTHORIZED") => {
                    return Err(Refusal::Token("DXLink withdrew authorization".to_owned()));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Reads until the session ends; see the module docs.
    async fn read_loop(
        &mut self,
        sink: &mut SplitSink<Socket, Message>,
        stream: &mut SplitStream<Socket>,
        link: &mut Link,
    ) -> Ended {
        let mut keepalive =
            tokio::time::interval_at(Instant::now() + self.settings.keepalive, self.settings.keepalive);
        let sweep_every = (self.settings.idle_after / 4).max(Duration::from_millis(10));
        let mut sweep = tokio::time::interval_at(Instant::now() + sweep_every, sweep_every);
        let mut empty_since: Option<Instant> = None;
        loop {
            let silence_deadline = link.last_heard + self.settings.silence_limit;
            tokio::select! {
                frame = stream.next() => {
                    let outcome = match frame {
                        Some(Ok(Message::Text(text))) => {
                            link.last_heard = Instant::now();
                            self.on_text(text.as_str(), link)
                        }
                        Some(Ok(Message::Close(_))) | None => {
                            Err(Stop::Lost("the server closed the connection".to_owned()))
                        }
                        Some(Ok(_)) => {
                            link.last_heard = Instant::now();
                            Ok(Vec::new())
                        }
                        Some(Err(error)) => Err(Stop::Lost(format!("the connection failed: {error}"))),
                    };
                    match outcome {
                        Ok(removals) => {
                            if let Err(reason) = send_subscriptions(sink, removals, false).await {
                                return Ended::Failed(reason, None);
                            }
                        }
                        Err(Stop::Lost(reason)) => return Ended::Failed(reason, None),
                        Err(Stop::TokenRefused(reason)) => return Ended::TokenRefused(reason),
                    }
                }
                command = self.commands.recv() => {
                    let result = match command {
                        None => {
                            let _ = sink.send(Message::Close(None)).await;
                            return Ended::Closed;
                        }
                        Some(Command::Add(subs)) => send_subscriptions(sink, subs, true).await,
                        Some(Command::Remove(subs)) => send_subscriptions(sink, subs, false).await,
                    };
                    if let Err(reason) = result {
                        return Ended::Failed(reason, None);
                    }
                }
                _ = keepalive.tick() => {
                    if let Err(reason) = send(sink, protocol::keepalive()).await {
                        return Ended::Failed(reason, None);
                    }
                }
                _ = sweep.tick() => {
                    let (removals, empty) = self.sweep();
                    if let Err(reason) = send_subscriptions(sink, removals, false).await {
                        return Ended::Failed(reason, None);
                    }
                    match (empty, empty_since) {
                        (false, _) => empty_since = None,
                        (true, None) => empty_since = Some(Instant::now()),
                        (true, Some(since)) if since.elapsed() >= self.settings.idle_after => {
                            let _ = sink.send(Message::Close(None)).await;
                            return Ended::Idle;
                        }
                        (true, Some(_)) => {}
                    }
                }
                () = tokio::time::sleep_until(silence_deadline) => {
                    return Ended::Failed(
                        format!("nothing arrived for {} s", self.settings.silence_limit.as_secs_f64()),
                        None,
                    );
                }
            }
        }
    }

    /// Unsubscribes symbols nobody asked for during `idle_after`; true when nothing is left.
    fn sweep(&self) -> (Vec<Subscription>, bool) {
        let mut state = self.shared.lock();
        let idle_after = self.settings.idle_after;
        let stale: Vec<String> = state
            .watched
            .iter()
            .filter(|(_, w)| w.last_used.elapsed() >= idle_after)
            .map(|(s, _)| s.clone())
            .collect();
        let mut removals = Vec::new();
        for symbol in stale {
            state.watched.remove(&symbol);
            removals.extend(quote_subscriptions(&symbol));
        }
        let stale: Vec<String> = state
            .greeks
            .iter()
            .filter(|(_, w)| w.last_used.elapsed() >= idle_after)
            .map(|(s, _)| s.clone())
            .collect();
        for symbol in stale {
            state.greeks.remove(&symbol);
            removals.push(Subscription {
                event: EventType::Greeks,
                symbol,
                from_time: None,
            });
        }
        if !removals.is_empty() {
            tracing::debug!(
                subscriptions = removals.len(),
                "DXLink: idle subscriptions dropped"
            );
        }
        let empty = state.watched.is_empty() && state.greeks.is_empty() && state.candles.is_empty();
        (removals, empty)
    }

    /// Handles one text frame; returns the subscriptions to remove (finished candle histories).
    fn on_text(&self, text: &str, link: &mut Link) -> Result<Vec<Subscription>, Stop> {
        let Ok(message) = serde_json::from_str::<Value>(text) else {
            tracing::debug!("DXLink sent a frame that is not JSON; ignored");
            return Ok(Vec::new());
        };
        match message_type(&message) {
            "FEED_DATA" => {
                let Some(data) = message.get("data") else {
                    return Ok(Vec::new());
                };
                let channel = message.get("channel").and_then(Value::as_u64);
                match protocol::decode_feed_data(data, &link.layouts, channel) {
                    Ok(events) => {
                        let received = (self.inner.now)();
                        let finished = apply(&mut self.shared.lock(), &events, received);
                        if events.iter().any(|e| e.event == EventType::Greeks) {
                            self.shared.greeks_arrived.notify_waiters();
                        }
                        Ok(finished)
                    }
                    Err(error) => {
                        tracing::debug!(problem = %error.0, "DXLink FEED_DATA not understood; ignored");
                        Ok(Vec::new())
                    }
                }
            }
            "FEED_CONFIG" => {
                link.configure(&message);
                Ok(Vec::new())
            }
            "ERROR" => match server_error(&message) {
                Ok(()) => Ok(Vec::new()),
                Err(Refusal::Token(reason)) => Err(Stop::TokenRefused(reason)),
                Err(Refusal::Other(reason)) => Err(Stop::Lost(reason)),
            },
            "AUTH_STATE" if message.get("state").and_then(Value::as_str) != Some("AUTHORIZED") => {
                Err(Stop::TokenRefused("DXLink withdrew authorization".to_owned()))
            }
            "CHANNEL_CLOSED" => Err(Stop::Lost("DXLink closed a channel".to_owned())),
            _ => Ok(Vec::new()),
        }
    }
}

/// Why the read loop stops.
enum Stop {
    /// The link is gone or unusable: reconnect.
    Lost(String),
    /// The server refused the quote token: fetch another, then reconnect.
    TokenRefused(String),
}
