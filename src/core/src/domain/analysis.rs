use std::fmt;

use serde::{Deserialize, Serialize};

use super::Symbol;
use crate::time::Timestamp;

/// Identifier of a saved analysis (`anl_` + 12 digits).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AnalysisId(pub String);

impl AnalysisId {
    /// The id of the `n`th analysis a store saves (counting from 1).
    pub fn nth(n: u64) -> AnalysisId {
        AnalysisId(super::alert::store_id("anl", n))
    }
}

/// An analysis to save; the store assigns the id.
#[derive(Clone, Debug, PartialEq)]
pub struct NewAnalysis {
    /// The analysed underlying.
    pub symbol: Symbol,
    /// "full_analysis", "chart" or "options".
    pub kind: String,
    /// The strategy, when any.
    pub strategy: Option<String>,
    /// When it was made.
    pub created_at: Timestamp,
    /// Where the data came from.
    pub source: String,
    /// The headline.
    pub summary: String,
    /// The full result.
    pub result: serde_json::Value,
}

impl NewAnalysis {
    /// The record saved under `id`.
    pub fn into_record(self, id: AnalysisId) -> AnalysisRecord {
        AnalysisRecord {
            id,
            symbol: self.symbol,
            kind: self.kind,
            strategy: self.strategy,
            created_at: self.created_at,
            source: self.source,
            summary: self.summary,
            result: self.result,
        }
    }
}

impl fmt::Display for AnalysisId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A saved analysis: what was asked, when, the headline, and the full result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnalysisRecord {
    /// Identifier.
    pub id: AnalysisId,
    /// The analysed underlying.
    pub symbol: Symbol,
    /// "full_analysis", "chart" or "options".
    pub kind: String,
    /// The strategy asked for, when any.
    #[serde(default)]
    pub strategy: Option<String>,
    /// When it was made (market clock).
    pub created_at: Timestamp,
    /// Where the data came from (`tastytrade`, `replay:demo`).
    pub source: String,
    /// The recommendation in a few words.
    pub summary: String,
    /// The full structured result.
    pub result: serde_json::Value,
}
