//! The customer's watchlists: all of them, compactly, or one by name with every symbol.

use serde::Serialize;

use super::App;
use crate::domain::Watchlist;
use crate::error::AppError;

/// Symbols shown per watchlist when listing them all.
pub(crate) const SYMBOLS_PER_LIST: usize = 25;
/// The most symbols shown for one watchlist.
pub(crate) const MAX_SYMBOLS: usize = 500;

/// One watchlist.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct WatchlistView {
    /// Its name.
    pub name: String,
    /// The group it is filed under.
    pub group: Option<String>,
    /// Symbols in it.
    pub count: usize,
    /// Its symbols, in the customer's order (the first 25 when listing every watchlist).
    pub symbols: Vec<String>,
    /// True when `symbols` is cut short (ask for the watchlist by name for all).
    pub truncated: bool,
}

/// The watchlists asked for.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct WatchlistsView {
    /// The watchlists (one when asked by name).
    pub watchlists: Vec<WatchlistView>,
    /// How many.
    pub count: usize,
    /// Data source.
    pub source: String,
    /// True for made-up data.
    pub synthetic: bool,
}

fn view(list: &Watchlist, limit: usize) -> WatchlistView {
    WatchlistView {
        name: list.name.clone(),
        group: list.group.clone(),
        count: list.entries.len(),
        symbols: list
            .entries
            .iter()
            .take(limit)
            .map(|e| e.symbol.as_str().to_owned())
            .collect(),
        truncated: list.entries.len() > limit,
    }
}

impl App {
    /// Every watchlist (at most 25 symbols each), or the one named `name` (case-insensitive)
    /// with all its symbols.
    pub async fn watchlists_view(&self, name: Option<&str>) -> Result<WatchlistsView, AppError> {
        let lists = self.broker().watchlists().await?;
        let chosen: Vec<WatchlistView> = match name.map(str::trim).filter(|n| !n.is_empty()) {
            None => lists.iter().map(|l| view(l, SYMBOLS_PER_LIST)).collect(),
            Some(name) => {
                let list = lists
                    .iter()
                    .find(|l| l.name.trim().eq_ignore_ascii_case(name))
                    .ok_or_else(|| {
                        let names: Vec<&str> = lists.iter().map(|l| l.name.as_str()).collect();
                        AppError::not_found(format!(
                            "no watchlist named {name:?}; the watchlists are: {}",
                            if names.is_empty() {
                                "none".to_owned()
                            } else {
                                names.join(", ")
                            }
                        ))
                        .with_detail("field", "name")
                        .with_detail("available", names)
                    })?;
                vec![view(list, MAX_SYMBOLS)]
            }
        };
        let source = self.source();
        Ok(WatchlistsView {
            count: chosen.len(),
            watchlists: chosen,
            source: source.source,
            synthetic: source.synthetic,
        })
    }
}
