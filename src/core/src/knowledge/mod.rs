//! The options-trading knowledge base: built-in Markdown documents plus the user's own notes,
//! searchable by passage.
//!
//! Built-in documents live under `src/core/knowledge/` and are embedded in the binary. Each
//! starts with front matter (`title`, `tags`) and is organised in `##` sections; every section
//! (and the text before the first heading) is a passage. [`KnowledgeBase::search`] ranks
//! passages with BM25F over their body, section heading, document title and tags, after the
//! analysis described in the `analyzer` module (lowercasing, stop words, trader abbreviations
//! such as "csp" or "iv", Snowball English stemming).
//!
//! User documents come in as `(relative path, text)` pairs read by an adapter; the core does no
//! file I/O. A user document with the same path as a built-in one replaces it.

mod analyzer;
mod document;
mod index;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde::Serialize;

pub use document::{MAX_DOCUMENT_BYTES, Section, parse_document};

use document::normalize_path;
use index::Index;

/// The longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 500;
/// The largest number of hits one search may return.
pub const MAX_LIMIT: usize = 50;

/// Where a document comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Shipped inside the binary.
    Builtin,
    /// Provided by the user.
    User,
}

/// One knowledge document.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Document {
    /// The relative path, e.g. `strategies/cash-secured-put.md`.
    pub path: String,
    /// The title from the front matter (or, for user documents, the first `# ` heading or the
    /// file name).
    pub title: String,
    /// Lowercase tags from the front matter.
    pub tags: Vec<String>,
    /// The Markdown without its front matter.
    pub body: String,
    /// Built-in or user-provided.
    pub origin: Origin,
}

/// Why a search or a document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KnowledgeError {
    /// The query is empty or only whitespace.
    #[error("query is empty")]
    EmptyQuery,
    /// The query is longer than `max` characters.
    #[error("query is too long (at most {max} characters)")]
    QueryTooLong {
        /// The longest query accepted.
        max: usize,
    },
    /// The result limit is outside `1..=max`.
    #[error("limit must be between 1 and {max}, got {limit}")]
    InvalidLimit {
        /// The limit asked for.
        limit: usize,
        /// The largest limit accepted.
        max: usize,
    },
    /// A document could not be read.
    #[error("bad document `{path}`: {reason}")]
    BadDocument {
        /// The document's path as given.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// One passage that matched a search.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SearchHit {
    /// The document's path.
    pub path: String,
    /// The document's title.
    pub title: String,
    /// The section heading; `None` for the text before the first heading.
    pub heading: Option<String>,
    /// The relevance score; higher is better. Only comparable within one search.
    pub score: f64,
    /// About 200 characters of the passage around the best-matching region.
    pub snippet: String,
    /// The query words (lowercased, as typed) found in the passage's heading or text.
    pub matched_terms: Vec<String>,
    /// Where the document comes from.
    pub origin: Origin,
}

/// Built-in documents: `(path, text)`, embedded at compile time.
const BUILTIN_DOCUMENTS: &[(&str, &str)] = &[
    (
        "basics/assignment-and-exercise.md",
        include_str!("../../knowledge/basics/assignment-and-exercise.md"),
    ),
    (
        "basics/greeks.md",
        include_str!("../../knowledge/basics/greeks.md"),
    ),
    (
        "basics/implied-volatility.md",
        include_str!("../../knowledge/basics/implied-volatility.md"),
    ),
    (
        "risk/defending-tested-sides.md",
        include_str!("../../knowledge/risk/defending-tested-sides.md"),
    ),
    (
        "risk/managing-winners.md",
        include_str!("../../knowledge/risk/managing-winners.md"),
    ),
    (
        "risk/position-sizing.md",
        include_str!("../../knowledge/risk/position-sizing.md"),
    ),
    ("risk/rolling.md", include_str!("../../knowledge/risk/rolling.md")),
    (
        "strategies/bear-call-spread.md",
        include_str!("../../knowledge/strategies/bear-call-spread.md"),
    ),
    (
        "strategies/bull-put-spread.md",
        include_str!("../../knowledge/strategies/bull-put-spread.md"),
    ),
    (
        "strategies/calendar-spread.md",
        include_str!("../../knowledge/strategies/calendar-spread.md"),
    ),
    (
        "strategies/cash-secured-put.md",
        include_str!("../../knowledge/strategies/cash-secured-put.md"),
    ),
    (
        "strategies/covered-call.md",
        include_str!("../../knowledge/strategies/covered-call.md"),
    ),
    (
        "strategies/iron-condor.md",
        include_str!("../../knowledge/strategies/iron-condor.md"),
    ),
    (
        "strategies/short-strangle.md",
        include_str!("../../knowledge/strategies/short-strangle.md"),
    ),
    (
        "strategies/wheel.md",
        include_str!("../../knowledge/strategies/wheel.md"),
    ),
];

/// Strategy aliases and the canonical name each stands for. Names are compared after
/// [`strategy_key`] normalisation, so `cash_secured_put` and `Cash Secured Put` need no entry.
const STRATEGY_ALIASES: &[(&str, &str)] = &[
    ("bear-call", "bear-call-spread"),
    ("buy-write", "covered-call"),
    ("bull-put", "bull-put-spread"),
    ("calendar", "calendar-spread"),
    ("call-credit-spread", "bear-call-spread"),
    ("cc", "covered-call"),
    ("csp", "cash-secured-put"),
    ("horizontal-spread", "calendar-spread"),
    ("ic", "iron-condor"),
    ("put-credit-spread", "bull-put-spread"),
    ("spread", "bull-put-spread"),
    ("strangle", "short-strangle"),
    ("time-spread", "calendar-spread"),
    ("wheel-strategy", "wheel"),
];

/// The directory of strategy documents.
const STRATEGY_DIR: &str = "strategies/";

/// Normalises a strategy name: lowercase, `_` and spaces become `-`, and a `strategies/`
/// prefix or `.md` suffix is dropped.
fn strategy_key(name: &str) -> String {
    let name = name.trim().to_lowercase().replace('\\', "/");
    let name = name.strip_prefix(STRATEGY_DIR).unwrap_or(&name);
    let name = name.strip_suffix(".md").unwrap_or(name);
    name.split(|c: char| c == '_' || c == '-' || c.is_whitespace())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// The strategy name of a document path, when it is a direct child of `strategies/` ending
/// in `.md`.
fn strategy_name_of(path: &str) -> Option<String> {
    let file = path.strip_prefix(STRATEGY_DIR)?;
    if file.contains('/') || !file.to_lowercase().ends_with(".md") {
        return None;
    }
    let key = strategy_key(file);
    (!key.is_empty()).then_some(key)
}

/// The built-in documents, parsed.
fn builtin_documents() -> Vec<Document> {
    BUILTIN_DOCUMENTS
        .iter()
        .filter_map(|(path, text)| match parse_document(path, text, Origin::Builtin) {
            Ok(doc) => Some(doc),
            Err(error) => {
                // The unit tests parse every built-in document, so this is unreachable in a
                // tested build; skipping keeps the rest of the knowledge base usable.
                tracing::error!(%error, "built-in knowledge document skipped");
                None
            }
        })
        .collect()
}

/// Documents and their passage index.
#[derive(Clone, Debug)]
pub struct KnowledgeBase {
    documents: Vec<Document>,
    index: Index,
}

impl KnowledgeBase {
    /// The built-in documents only.
    pub fn builtin() -> KnowledgeBase {
        KnowledgeBase::from_documents(builtin_documents())
    }

    /// The built-in documents plus the user's, given as `(relative path, text)` pairs. A user
    /// document replaces a built-in one with the same path. User documents that cannot be
    /// parsed, and later ones repeating an earlier user path, are skipped and reported.
    pub fn with_user_documents(user: Vec<(String, String)>) -> (KnowledgeBase, Vec<KnowledgeError>) {
        let mut documents = builtin_documents();
        let mut errors = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (path, text) in user {
            match parse_document(&path, &text, Origin::User) {
                Ok(doc) if !seen.insert(doc.path.clone()) => errors.push(KnowledgeError::BadDocument {
                    path,
                    reason: "another user document has the same path".to_owned(),
                }),
                Ok(doc) => documents.push(doc),
                Err(error) => errors.push(error),
            }
        }
        (KnowledgeBase::from_documents(documents), errors)
    }

    /// A knowledge base over exactly these documents. When two share a path, the later one
    /// wins.
    pub fn from_documents(documents: Vec<Document>) -> KnowledgeBase {
        let by_path: BTreeMap<String, Document> =
            documents.into_iter().map(|doc| (doc.path.clone(), doc)).collect();
        let documents: Vec<Document> = by_path.into_values().collect();
        let index = Index::build(&documents);
        KnowledgeBase { documents, index }
    }

    /// Searches the passages. `limit` must be in `1..=50`; the query must not be empty or
    /// longer than 500 characters. Hits come best first, at most one per passage, with ties
    /// broken by path then heading. A query made only of stop words finds nothing.
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<SearchHit>, KnowledgeError> {
        if query.trim().is_empty() {
            return Err(KnowledgeError::EmptyQuery);
        }
        if query.chars().count() > MAX_QUERY_CHARS {
            return Err(KnowledgeError::QueryTooLong { max: MAX_QUERY_CHARS });
        }
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(KnowledgeError::InvalidLimit {
                limit,
                max: MAX_LIMIT,
            });
        }
        Ok(self.index.search(&self.documents, query, limit))
    }

    /// Every document, sorted by path.
    pub fn documents(&self) -> &[Document] {
        &self.documents
    }

    /// The document at `path` (normalised like user paths, so `./basics/greeks.md` works).
    pub fn document(&self, path: &str) -> Option<&Document> {
        let path = normalize_path(path).ok()?;
        let i = self
            .documents
            .binary_search_by(|d| d.path.as_str().cmp(&path))
            .ok()?;
        self.documents.get(i)
    }

    /// The strategy document for a name or alias, case-insensitively: `csp`, `Cash Secured Put`
    /// and `cash_secured_put` all give `strategies/cash-secured-put.md`. A document whose name
    /// matches exactly wins over an alias.
    pub fn strategy(&self, name: &str) -> Option<&Document> {
        let key = strategy_key(name);
        if key.is_empty() {
            return None;
        }
        let find = |key: &str| {
            self.documents.iter().find(|d| {
                d.path.starts_with(STRATEGY_DIR) && strategy_name_of(&d.path).as_deref() == Some(key)
            })
        };
        find(&key).or_else(|| {
            let (_, canonical) = STRATEGY_ALIASES.iter().find(|(alias, _)| *alias == key)?;
            find(canonical)
        })
    }

    /// The canonical names of every strategy document present, sorted.
    pub fn strategy_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .documents
            .iter()
            .filter_map(|d| strategy_name_of(&d.path))
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// The number of indexed passages.
    pub fn passage_count(&self) -> usize {
        self.index.passage_count()
    }
}
