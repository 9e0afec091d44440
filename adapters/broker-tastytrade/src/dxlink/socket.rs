//! The websocket under a session: opening it, reading the handshake's messages, server errors,
//! and sending subscription frames.

use std::collections::HashMap;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::protocol::{self, EventType, Subscription};

/// The DXLink websocket.
pub(super) type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Per-connection reading state.
pub(super) struct Link {
    /// The server's field order per event type (its `FEED_CONFIG`); ttai's own lists otherwise.
    pub(super) layouts: HashMap<EventType, Vec<String>>,
    /// When the server last sent anything.
    pub(super) last_heard: Instant,
}

impl Link {
    /// Takes the field orders of a `FEED_CONFIG`.
    pub(super) fn configure(&mut self, message: &Value) {
        for (event, fields) in protocol::config_layouts(message) {
            if !fields.is_empty() {
                self.layouts.insert(event, fields);
            }
        }
    }
}

/// Why a handshake failed.
pub(super) enum Refusal {
    /// The token was refused: fetch another before reconnecting.
    Token(String),
    /// Anything else.
    Other(String),
}

/// The `type` of a message.
pub(super) fn message_type(message: &Value) -> &str {
    message.get("type").and_then(Value::as_str).unwrap_or("")
}

/// Reads an `ERROR`: an authorization error refuses the token; any other is informational (the
/// specification says so) and only logged. Only the error's kind is quoted (when it looks like a
/// code): the server's free text could echo the quote token, so it never reaches an error or a log.
pub(super) fn server_error(message: &Value) -> Result<(), Refusal> {
    let kind = message
        .get("error")
        .and_then(Value::as_str)
        .and_then(crate::errors::safe_code)
        .unwrap_or_else(|| "UNKNOWN".to_owned());
    if kind == "UNAUTHORIZED" {
        return Err(Refusal::Token(format!("DXLink error {kind}")));
    }
    tracing::warn!(error = %kind, "DXLink reported an error; the session goes on");
    Ok(())
}

/// The next JSON message before `deadline`.
pub(super) async fn next_message(
    stream: &mut SplitStream<Socket>,
    deadline: Instant,
    link: &mut Link,
) -> Result<Value, Refusal> {
    loop {
        let frame = tokio::time::timeout_at(deadline, stream.next())
            .await
            .map_err(|_| Refusal::Other("the DXLink handshake timed out".to_owned()))?;
        match frame {
            Some(Ok(Message::Text(text))) => {
                link.last_heard = Instant::now();
                if let Ok(value) = serde_json::from_str::<Value>(text.as_str()) {
                    return Ok(value);
                }
            }
            Some(Ok(Message::Close(_))) | None => {
                return Err(Refusal::Other(
                    "the server closed the connection during the handshake".to_owned(),
                ));
            }
            Some(Ok(_)) => {}
            Some(Err(error)) => return Err(Refusal::Other(format!("the connection failed: {error}"))),
        }
    }
}

/// Sends one text frame.
pub(super) async fn send(sink: &mut SplitSink<Socket, Message>, text: String) -> Result<(), String> {
    sink.send(Message::text(text))
        .await
        .map_err(|e| format!("sending failed: {e}"))
}

/// Adds or removes `subs`, one frame per event type and chunk.
pub(super) async fn send_subscriptions(
    sink: &mut SplitSink<Socket, Message>,
    subs: Vec<Subscription>,
    add: bool,
) -> Result<(), String> {
    if subs.is_empty() {
        return Ok(());
    }
    let mut by_type: HashMap<EventType, Vec<Subscription>> = HashMap::new();
    for sub in subs {
        by_type.entry(sub.event).or_default().push(sub);
    }
    let mut types: Vec<EventType> = by_type.keys().copied().collect();
    types.sort();
    for event in types {
        if let Some(list) = by_type.get(&event) {
            for frame in protocol::feed_subscription(event, list, add) {
                send(sink, frame).await?;
            }
        }
    }
    Ok(())
}

/// Opens the websocket (`ws://` or, with the `tls` feature, `wss://`) with Nagle's algorithm off
/// (small frames go out at once). Messages never quote the URL's query (there is none) or any
/// token.
pub(super) async fn connect(url: &str) -> Result<Socket, String> {
    #[cfg(feature = "tls")]
    let connected = {
        let config = crate::tls::client_config();
        tokio_tungstenite::connect_async_tls_with_config(
            url,
            None,
            true,
            Some(tokio_tungstenite::Connector::Rustls(config)),
        )
        .await
    };
    #[cfg(not(feature = "tls"))]
    let connected = tokio_tungstenite::connect_async_with_config(url, None, true).await;
    connected
        .map(|(socket, _)| socket)
        .map_err(|e| format!("cannot open the DXLink websocket: {e}"))
}
