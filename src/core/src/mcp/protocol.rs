//! Protocol versions and the `initialize` answer (docs/protocol.md, "Versions").

use serde_json::{Value, json};

/// The protocol versions ttai speaks, oldest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProtocolVersion {
    /// The HTTP+SSE era.
    V2024_11_05,
    /// Streamable HTTP, tool annotations, batches.
    V2025_03_26,
    /// Structured content and output schemas; batches removed.
    V2025_06_18,
    /// JSON Schema 2020-12, tool input errors as results.
    V2025_11_25,
}

impl ProtocolVersion {
    /// The newest version.
    pub const LATEST: ProtocolVersion = ProtocolVersion::V2025_11_25;

    /// All supported versions, newest first.
    pub const ALL: [ProtocolVersion; 4] = [
        ProtocolVersion::V2025_11_25,
        ProtocolVersion::V2025_06_18,
        ProtocolVersion::V2025_03_26,
        ProtocolVersion::V2024_11_05,
    ];

    /// Reads a version string.
    pub fn parse(text: &str) -> Option<ProtocolVersion> {
        ProtocolVersion::ALL.into_iter().find(|v| v.as_str() == text)
    }

    /// The version string.
    pub fn as_str(self) -> &'static str {
        match self {
            ProtocolVersion::V2024_11_05 => "2024-11-05",
            ProtocolVersion::V2025_03_26 => "2025-03-26",
            ProtocolVersion::V2025_06_18 => "2025-06-18",
            ProtocolVersion::V2025_11_25 => "2025-11-25",
        }
    }

    /// Whether JSON-RPC batches are part of this version.
    pub fn allows_batches(self) -> bool {
        matches!(self, ProtocolVersion::V2024_11_05 | ProtocolVersion::V2025_03_26)
    }

    /// The version to answer for a client's requested one: the same when supported, else the
    /// newest.
    pub fn negotiate(requested: &str) -> ProtocolVersion {
        ProtocolVersion::parse(requested).unwrap_or(ProtocolVersion::LATEST)
    }
}

/// What the server offers (docs/design.md, "MCP surface").
pub(crate) fn capabilities() -> Value {
    json!({
        "tools": { "listChanged": false },
        "resources": { "subscribe": true, "listChanged": false },
        "prompts": { "listChanged": false },
        "logging": {},
        "completions": {}
    })
}

/// The server's human title (`serverInfo.title`).
pub(crate) const TITLE: &str = "ttai — options analysis for TastyTrade";

/// Text for the client's model: what ttai is and how to use it.
pub(crate) const INSTRUCTIONS: &str = "ttai analyses options trades on a TastyTrade account. \
Market data tools (get_quote, get_option_chain, get_market_metrics, search_symbols) and account tools \
(get_positions, get_balances) are read-only. Every answer carries a `source`: `tastytrade` is live data, \
`replay:<tape>` is a recorded tape, and `synthetic: true` marks made-up demo data that must never be \
taken for real prices. Volatilities, IV rank and IV percentile are fractions (0.25 = 25%). Greeks use \
Black-Scholes-Merton, a European approximation of American equity options.";
