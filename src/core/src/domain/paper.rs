//! The paper trading book of one account and the audit log of order actions: what the store
//! keeps for the order tools.
//!
//! A [`PaperBook`] is what paper trading changed in an account: the orders it took, the
//! positions those orders opened or closed (signed quantities added to the broker's own), the
//! cash they moved, and what happened (fills, expirations, assignments). The broker's account is
//! never changed; answers show it with the book laid over it.

use serde::{Deserialize, Serialize};

use super::{AccountNumber, Order, Position};
use crate::time::Timestamp;

/// Something that happened in a paper book.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaperEvent {
    /// When (the market clock).
    pub at: Timestamp,
    /// `filled`, `expired_worthless`, `assigned`, `exercised`, `cash_settled`, `cancelled`,
    /// `order_expired`.
    pub kind: String,
    /// The order it belongs to, when any.
    #[serde(default)]
    pub order_id: Option<String>,
    /// The instrument.
    #[serde(default)]
    pub symbol: Option<String>,
    /// Signed quantity that changed hands (short negative).
    #[serde(default)]
    pub quantity: f64,
    /// The price per share or option.
    #[serde(default)]
    pub price: Option<f64>,
    /// Cash it moved (credit positive), after fees.
    #[serde(default)]
    pub cash: f64,
    /// In words.
    pub description: String,
}

/// The paper trades of one account.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaperBook {
    /// The account.
    pub account: AccountNumber,
    /// The next order number (`paper-<n>`).
    pub next_order: u64,
    /// Every paper order, oldest first.
    pub orders: Vec<Order>,
    /// Position changes from paper fills, expirations and assignments, one per symbol (signed;
    /// added to the broker's positions).
    pub positions: Vec<Position>,
    /// Cash moved by paper activity (credit positive), fees included.
    pub cash: f64,
    /// Fees charged so far.
    pub fees: f64,
    /// What happened, oldest first.
    pub events: Vec<PaperEvent>,
    /// The market clock when the book was last brought up to date.
    pub updated_at: Timestamp,
}

impl PaperBook {
    /// An empty book.
    pub fn new(account: AccountNumber, at: Timestamp) -> PaperBook {
        PaperBook {
            account,
            next_order: 1,
            orders: Vec::new(),
            positions: Vec::new(),
            cash: 0.0,
            fees: 0.0,
            events: Vec::new(),
            updated_at: at,
        }
    }
}

/// Identifier of an audit entry (`aud_` + 12 digits).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AuditId(pub String);

impl AuditId {
    /// The id of a store's `n`th audit entry (from 1).
    pub fn nth(n: u64) -> AuditId {
        AuditId(super::alert::store_id("aud", n))
    }
}

impl std::fmt::Display for AuditId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One line of the order audit log: an order action, a confirmation asked or answered, and how
/// each ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Identifier, in the order entries were written.
    pub id: AuditId,
    /// When (the market clock).
    pub at: Timestamp,
    /// `preview`, `place`, `cancel` or `confirmation`.
    pub action: String,
    /// How it ended: `previewed`, `placed`, `refused`, `failed`, `accepted`, `declined`,
    /// `cancelled`, `expired`, `mismatch`, `unavailable`, ...
    pub outcome: String,
    /// The account, masked.
    pub account: String,
    /// True for paper trading.
    pub paper: bool,
    /// The fingerprint of the order (SHA-256 of its canonical text), when there is one.
    #[serde(default)]
    pub order_hash: Option<String>,
    /// The order ticket.
    #[serde(default)]
    pub order: Option<String>,
    /// The broker's order id.
    #[serde(default)]
    pub order_id: Option<String>,
    /// Particulars (checks, the broker's figures, the person's answer, the reason).
    #[serde(default)]
    pub detail: serde_json::Value,
}
