//! The envelopes every answer comes in, the token answers and the error answer.

use serde::Deserialize;
use ttai_core::time::Timestamp;

use super::de;

/// The success envelope: `{"data": ..., "context": "..."}`, with `pagination` on paged lists.
#[derive(Debug, Deserialize)]
pub(crate) struct Envelope<T> {
    /// The payload.
    pub(crate) data: T,
    /// Where a paged list stands (absent or null on other answers).
    #[serde(default)]
    pub(crate) pagination: Option<PaginationWire>,
}

/// `"pagination": {"per-page": 2, "page-offset": 0, "total-items": 8, "total-pages": 4, ...}`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct PaginationWire {
    /// Items per page.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) per_page: Option<f64>,
    /// This page, from 0.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) page_offset: Option<f64>,
    /// Items over every page.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) total_items: Option<f64>,
    /// Pages.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) total_pages: Option<f64>,
}

/// A list payload: `{"items": [...]}`.
#[derive(Debug, Deserialize)]
#[serde(bound(deserialize = "T: serde::de::DeserializeOwned"))]
pub(crate) struct Items<T> {
    /// The elements that could be read.
    #[serde(default = "Vec::new", deserialize_with = "de::items")]
    pub(crate) items: Vec<T>,
}

/// The flat OAuth answer of `POST /oauth/token` (not enveloped).
#[derive(Deserialize)]
pub(crate) struct TokenAnswer {
    /// The access token.
    #[serde(default)]
    pub(crate) access_token: Option<String>,
    /// Its lifetime in seconds (about 900).
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) expires_in: Option<f64>,
}

/// `GET /api-quote-tokens`: the DXLink token and where to connect.
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct QuoteTokenWire {
    /// The token for DXLink's `AUTH` (24 h).
    #[serde(default)]
    pub(crate) token: Option<String>,
    /// `wss://tasty-openapi-ws.dxfeed.com/realtime`.
    #[serde(default)]
    pub(crate) dxlink_url: Option<String>,
    /// The same under its swagger name.
    #[serde(default)]
    pub(crate) websocket_url: Option<String>,
    /// When the token expires, when said.
    #[serde(default, deserialize_with = "de::timestamp")]
    pub(crate) expires_at: Option<Timestamp>,
}

/// An error answer: `{"error": {...}}`; from `/oauth/token`, TastyTrade's
/// `{"error_code": "invalid_grant", "error_description": "Invalid JWT"}` or RFC 6749's
/// `{"error": "invalid_grant", "error_description": "..."}`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ErrorAnswer {
    /// The error, in either form.
    #[serde(default)]
    pub(crate) error: Option<ErrorField>,
    /// TastyTrade's OAuth error code (`invalid_grant`).
    #[serde(default, deserialize_with = "de::text")]
    pub(crate) error_code: Option<String>,
    /// The OAuth error's explanation (`Invalid JWT`).
    #[serde(default, deserialize_with = "de::text")]
    pub(crate) error_description: Option<String>,
}

/// The two shapes of the `error` member.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum ErrorField {
    /// The API's envelope.
    Object(ErrorObject),
    /// RFC 6749's code string (`invalid_grant`).
    Code(String),
}

/// `{"code": "validation_error", "message": "...", "errors": [...]}`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct ErrorObject {
    /// A code such as `unauthorized`, or a number such as `406`.
    #[serde(default, deserialize_with = "de::text")]
    pub(crate) code: Option<String>,
    /// A human-readable message.
    #[serde(default, deserialize_with = "de::text")]
    pub(crate) message: Option<String>,
    /// Nested problems.
    #[serde(default = "Vec::new", deserialize_with = "de::items")]
    pub(crate) errors: Vec<ErrorItem>,
}

/// One nested problem: `{code, message}` or `{domain, reason}`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct ErrorItem {
    /// A code such as `margin_check_failed`.
    #[serde(default, deserialize_with = "de::text")]
    pub(crate) code: Option<String>,
    /// What went wrong.
    #[serde(default, deserialize_with = "de::text")]
    pub(crate) message: Option<String>,
    /// The offending parameter, e.g. `account-numbers`.
    #[serde(default, deserialize_with = "de::text")]
    pub(crate) domain: Option<String>,
    /// What is wrong with it, e.g. `is missing`.
    #[serde(default, deserialize_with = "de::text")]
    pub(crate) reason: Option<String>,
}
