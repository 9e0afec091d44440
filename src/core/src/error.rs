//! The error model of docs/design.md ("Errors"): what a tool reports when it ran and failed.
//!
//! Port errors fold into [`AppError`] through one `From` impl per port; the MCP layer turns an
//! `AppError` into a tool result with `isError: true` and `{"error": {...}}` content. Messages
//! are written for the person reading the chat and never carry secrets or internals.

use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::ports::{BrokerError, NotifyError, StoreError, VaultError};

/// The codes of docs/design.md ("Errors").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// Not logged in, or the broker refused the credentials.
    AuthenticationError,
    /// Logged in, but not allowed (scope, account authority).
    AuthorizationError,
    /// Bad arguments; the message names the field.
    ValidationError,
    /// The symbol, alert, analysis or resource does not exist.
    NotFound,
    /// The broker throttled us; `details.retry_after` says when to try again.
    RateLimit,
    /// The broker failed or answered something unreadable.
    TastytradeError,
    /// The analysis could not be computed from the data.
    AnalysisError,
    /// The local database failed.
    DatabaseError,
    /// A bug or an unexpected failure.
    InternalError,
}

impl ErrorCode {
    /// The code as text, e.g. `NOT_FOUND`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::AuthenticationError => "AUTHENTICATION_ERROR",
            ErrorCode::AuthorizationError => "AUTHORIZATION_ERROR",
            ErrorCode::ValidationError => "VALIDATION_ERROR",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::RateLimit => "RATE_LIMIT",
            ErrorCode::TastytradeError => "TASTYTRADE_ERROR",
            ErrorCode::AnalysisError => "ANALYSIS_ERROR",
            ErrorCode::DatabaseError => "DATABASE_ERROR",
            ErrorCode::InternalError => "INTERNAL_ERROR",
        }
    }
}

/// A failure a tool reports to the client.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AppError {
    /// What kind of failure.
    pub code: ErrorCode,
    /// One or two sentences for the reader.
    pub message: String,
    /// Whether the same call may succeed later.
    pub retryable: bool,
    /// Machine-readable particulars (`field`, `retry_after`, ...).
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub details: Map<String, Value>,
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for AppError {}

impl AppError {
    /// An error with a code and message, not retryable, no details.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> AppError {
        AppError {
            code,
            message: message.into(),
            retryable: false,
            details: Map::new(),
        }
    }

    /// A VALIDATION_ERROR naming the argument at fault.
    pub fn invalid(field: &str, message: impl fmt::Display) -> AppError {
        AppError::new(ErrorCode::ValidationError, format!("{field}: {message}")).with_detail("field", field)
    }

    /// A NOT_FOUND error.
    pub fn not_found(message: impl Into<String>) -> AppError {
        AppError::new(ErrorCode::NotFound, message)
    }

    /// An INTERNAL_ERROR with a generic message; the cause is logged, not shown.
    pub fn internal(context: &str) -> AppError {
        AppError::new(
            ErrorCode::InternalError,
            format!("internal error while {context}; the details are in the server log"),
        )
    }

    /// Adds a detail.
    pub fn with_detail(mut self, key: &str, value: impl Into<Value>) -> AppError {
        self.details.insert(key.to_owned(), value.into());
        self
    }

    /// Marks the error retryable.
    pub fn retryable(mut self) -> AppError {
        self.retryable = true;
        self
    }

    /// `{"error": {...}}`, the tool-result payload.
    pub fn to_payload(&self) -> Value {
        let mut error = Map::new();
        error.insert("code".into(), Value::from(self.code.as_str()));
        error.insert("message".into(), Value::from(self.message.clone()));
        error.insert("retryable".into(), Value::from(self.retryable));
        if !self.details.is_empty() {
            error.insert("details".into(), Value::Object(self.details.clone()));
        }
        let mut payload = Map::new();
        payload.insert("error".into(), Value::Object(error));
        Value::Object(payload)
    }
}

impl From<BrokerError> for AppError {
    fn from(err: BrokerError) -> AppError {
        match err {
            BrokerError::Unauthenticated(message) => AppError::new(ErrorCode::AuthenticationError, message),
            BrokerError::Forbidden(message) => AppError::new(ErrorCode::AuthorizationError, message),
            BrokerError::NotFound(what) => AppError::not_found(format!("{what} not found")),
            BrokerError::RateLimited { retry_after_secs } => {
                let mut e = AppError::new(
                    ErrorCode::RateLimit,
                    match retry_after_secs {
                        Some(s) => format!("the broker is throttling requests; try again in {s} s"),
                        None => "the broker is throttling requests; try again shortly".to_owned(),
                    },
                )
                .retryable();
                e = e.with_detail("retry_after", retry_after_secs.unwrap_or(5));
                e
            }
            BrokerError::Unavailable(message) => AppError::new(
                ErrorCode::TastytradeError,
                format!("the broker is unavailable: {message}"),
            )
            .retryable(),
            BrokerError::InvalidResponse(message) => AppError::new(
                ErrorCode::TastytradeError,
                format!("the broker answered something unreadable: {message}"),
            ),
            BrokerError::Rejected(message) => AppError::new(
                ErrorCode::ValidationError,
                format!("the broker refused the request: {message}"),
            ),
            BrokerError::Unsupported(message) => AppError::new(ErrorCode::NotFound, message),
            BrokerError::Other { adapter, message } => {
                tracing::error!(adapter, %message, "broker failure");
                AppError::new(ErrorCode::TastytradeError, format!("{adapter}: {message}"))
            }
        }
    }
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> AppError {
        match err {
            StoreError::NotFound(what) => AppError::not_found(format!("{what} not found")),
            StoreError::Full => AppError::new(
                ErrorCode::DatabaseError,
                "the disk is full: nothing was saved, and everything saved before is intact",
            ),
            StoreError::InUse(message) => AppError::new(ErrorCode::DatabaseError, message),
            StoreError::Corrupt(message) => AppError::new(
                ErrorCode::DatabaseError,
                format!("the database is damaged: {message}"),
            ),
            StoreError::Unavailable(message) => AppError::new(
                ErrorCode::DatabaseError,
                format!("the database is unavailable: {message}"),
            )
            .retryable(),
            StoreError::Other { adapter, message } => {
                tracing::error!(adapter, %message, "store failure");
                AppError::new(
                    ErrorCode::DatabaseError,
                    format!("database error ({adapter}): {message}"),
                )
            }
        }
    }
}

impl From<VaultError> for AppError {
    fn from(err: VaultError) -> AppError {
        AppError::new(ErrorCode::AuthenticationError, err.to_string())
    }
}

impl From<NotifyError> for AppError {
    fn from(err: NotifyError) -> AppError {
        AppError::new(ErrorCode::InternalError, err.to_string()).retryable()
    }
}
