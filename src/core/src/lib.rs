//! `ttai-core`: the pure core of ttai.
//!
//! Layout:
//! - [`domain`]: instruments, quotes, chains, positions, balances, metrics, candles, alerts,
//!   analyses, with the serde form that tapes record.
//! - [`ports`]: the five ports (`BrokerPort`, `StorePort`, `VaultPort`, `NotifierPort`,
//!   `TransportPort`) with their error enums; adapters implement them.
//! - [`app`]: use cases over the ports (market data, alerts, analysis).
//! - [`knowledge`]: the options-trading knowledge base (built-in Markdown documents plus the
//!   user's notes) and its BM25 passage search.
//! - [`mcp`]: the MCP protocol engine: sessions, JSON-RPC envelope, tools,
//!   resources, prompts.
//! - [`quant`]: Black-Scholes-Merton, implied volatility and TA-Lib-exact indicators.
//! - [`time`]: dates and instants without a clock.
//! - [`host`]: which host names mean this machine, for the settings and the HTTP transport.
//!
//! The key decision: the core does no I/O and reads no clock. It knows nothing of HTTP, redb,
//! orion, warp or ureq; "now" comes from the broker's market clock, so replay is deterministic.
#![warn(missing_docs)]

pub mod app;
pub mod domain;
pub mod error;
pub mod host;
pub mod knowledge;
pub mod mcp;
pub mod ports;
pub mod quant;
pub mod sha256;
pub mod time;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use error::{AppError, ErrorCode};
