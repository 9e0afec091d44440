//! Market data use cases.

use serde::Serialize;

use super::App;

/// Where an answer came from, attached to every broker-backed result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SourceInfo {
    /// `tastytrade` or `replay:<tape>`.
    pub source: String,
    /// True for made-up data.
    pub synthetic: bool,
}

impl App {
    /// The source of broker answers.
    pub fn source(&self) -> SourceInfo {
        let info = self.broker().info();
        SourceInfo {
            source: info.source,
            synthetic: info.synthetic,
        }
    }
}

use crate::domain::{OptionChain, Quote, Symbol};
use crate::error::AppError;

impl App {
    /// Quotes for symbols (unknown ones left out), from the cache when fresh.
    pub async fn quotes(&self, symbols: &[Symbol]) -> Result<Vec<Quote>, AppError> {
        Ok(self.cache.quotes(&**self.broker(), symbols).await?)
    }

    /// The option chain of an underlying, from the cache when fresh.
    pub async fn option_chain(&self, underlying: &Symbol) -> Result<std::sync::Arc<OptionChain>, AppError> {
        Ok(self.cache.chain(&**self.broker(), underlying).await?)
    }
}
