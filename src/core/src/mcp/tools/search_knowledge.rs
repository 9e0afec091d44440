//! `search_knowledge`: ranked passages of the strategy knowledge base.

use async_trait::async_trait;
use serde_json::json;

use super::{Args, Hints, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::App;
use crate::error::AppError;
use crate::knowledge::{KnowledgeError, MAX_LIMIT, MAX_QUERY_CHARS, Origin};
use crate::mcp::schema::{derived, object};

/// The `search_knowledge` tool.
pub(crate) struct SearchKnowledge;

/// The resource URI of a knowledge document.
pub(crate) fn document_uri(path: &str) -> String {
    format!("knowledge://documents/{path}")
}

/// One passage, best first.
#[derive(serde::Serialize, schemars::JsonSchema)]
struct Passage<'a> {
    /// Document path.
    path: &'a str,
    /// Resource URI of the whole document.
    uri: String,
    /// Document title.
    title: &'a str,
    /// Section heading of the passage.
    heading: Option<&'a str>,
    /// BM25 relevance (higher is better).
    score: f64,
    /// Text around the matched words.
    snippet: &'a str,
    /// Query words found.
    matched_terms: &'a [String],
    /// Built-in document or the user's.
    origin: Origin,
}

/// The tool's answer.
#[derive(serde::Serialize, schemars::JsonSchema)]
struct Output<'a> {
    /// The query.
    query: &'a str,
    /// Passages, best first.
    results: Vec<Passage<'a>>,
    /// Number of passages.
    count: usize,
}

#[async_trait]
impl Tool for SearchKnowledge {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "search_knowledge",
            title: "Search the options knowledge base",
            description: "Searches ttai's options-trading knowledge (greeks, IV rank, assignment, cash-secured puts, \
                covered calls, the wheel, credit spreads, iron condors, strangles, calendars, position sizing, \
                rolling, managing winners, defending tested sides) plus the user's own notes, and returns the best \
                matching passages with their document and a snippet. Read a whole document with resources/read \
                on its `uri`.",
            input_schema: object(
                &[
                    (
                        "query",
                        json!({"type": "string", "minLength": 1, "maxLength": MAX_QUERY_CHARS, "description": "what to look for, in plain words, e.g. \"when to roll a cash secured put\""}),
                    ),
                    (
                        "limit",
                        json!({"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 5, "description": "at most this many passages"}),
                    ),
                ],
                &["query"],
                true,
            ),
            output_schema: derived::<Output<'static>>,
            hints: Hints::READS_LOCAL,
        }
    }

    async fn call(&self, app: &App, args: Args, _ctx: &ToolContext) -> Result<ToolOutput, AppError> {
        args.only(&["query", "limit"])?;
        let query = args.required_str("query")?;
        let limit = match args.int("limit", 1, MAX_LIMIT as i64) {
            Ok(limit) => limit.unwrap_or(5) as usize,
            Err(_) => {
                return Err(AppError::invalid(
                    "limit",
                    format!("must be an integer between 1 and {MAX_LIMIT}"),
                ));
            }
        };
        let base = app.knowledge().await;
        let hits = base.search(query, limit).map_err(|e| match e {
            KnowledgeError::EmptyQuery => AppError::invalid("query", "must not be empty"),
            KnowledgeError::QueryTooLong { max } => {
                AppError::invalid("query", format!("must be at most {max} characters"))
            }
            KnowledgeError::InvalidLimit { max, .. } => {
                AppError::invalid("limit", format!("must be between 1 and {max}"))
            }
            other => AppError::invalid("query", other),
        })?;
        let results: Vec<Passage<'_>> = hits
            .iter()
            .map(|h| Passage {
                path: &h.path,
                uri: document_uri(&h.path),
                title: &h.title,
                heading: h.heading.as_deref(),
                score: (h.score * 1000.0).round() / 1000.0,
                snippet: &h.snippet,
                matched_terms: &h.matched_terms,
                origin: h.origin,
            })
            .collect();
        Ok(ToolOutput::serialize(&Output {
            query: query.trim(),
            count: results.len(),
            results,
        }))
    }
}
