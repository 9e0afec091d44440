//! The account's history: transactions (filtered and paged), realized P&L by underlying over a
//! period (`realized`), and the net-liq series with its picture.
//!
//! Answers are sized for a model: transactions come a page at a time with a cursor for the next,
//! the net-liq series is sampled down to a few dozen points (its statistics use every point),
//! and realized P&L is one line per underlying.

mod net_liq;
pub mod realized;

use serde::Serialize;

use super::App;
use crate::domain::{
    AccountNumber, MAX_TRANSACTIONS_PER_PAGE, Symbol, TradeAction, Transaction, TransactionQuery,
    new_york_date, round_to,
};
use crate::error::AppError;
use crate::time::Date;

pub use net_liq::{Drawdown, NetLiqAt, NetLiqRequest, NetLiqView};
pub use realized::{Realized, UnderlyingRealized, Unmatched};
#[cfg(test)]
use {crate::domain::NetLiqWindow, net_liq::sample_indices};

/// Transactions per answer by default.
pub const DEFAULT_TRANSACTIONS: usize = 25;
/// The most transactions per answer.
pub const MAX_TRANSACTIONS: usize = 100;
/// Days of history `get_transactions` covers when no start date is given.
pub const DEFAULT_TRANSACTION_DAYS: i32 = 90;
/// How far before a realized-P&L period openings are looked for (three years: LEAPS and stock
/// held longer show as unmatched closes, said in the answer).
pub const OPENING_LOOKBACK_DAYS: i32 = 3 * 365;
/// The most pages of 250 transactions a realized-P&L answer reads (10 000 transactions).
pub const MAX_HISTORY_PAGES: usize = 40;
/// Net-liq points in an answer by default (its statistics use every point).
pub const DEFAULT_NET_LIQ_POINTS: usize = 40;
/// The most net-liq points an answer may carry.
pub const MAX_NET_LIQ_POINTS: usize = 400;

/// Where the next page of transactions starts: the page and its size, as the answer's
/// `next_cursor` (`<page>:<per page>`), opaque to the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    /// The page, from 0.
    pub page: usize,
    /// Transactions per page.
    pub per_page: usize,
}

impl Cursor {
    /// The cursor's text.
    pub fn encode(self) -> String {
        format!("{}:{}", self.page, self.per_page)
    }

    /// The cursor of a `next_cursor` text; `None` when it is not one.
    pub fn decode(text: &str) -> Option<Cursor> {
        let (page, per_page) = text.trim().split_once(':')?;
        let page: usize = page.parse().ok()?;
        let per_page: usize = per_page.parse().ok()?;
        ((1..=MAX_TRANSACTIONS).contains(&per_page) && page < 1_000_000).then_some(Cursor { page, per_page })
    }
}

/// What `get_transactions` asks.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TransactionsRequest {
    /// The account; default: the configured or first one.
    pub account: Option<String>,
    /// From this date; default: 90 days before `end`.
    pub start: Option<Date>,
    /// To this date; default: today (New York).
    pub end: Option<Date>,
    /// Only this underlying's transactions.
    pub symbol: Option<Symbol>,
    /// Only these transaction types (the API's names).
    pub types: Vec<String>,
    /// Transactions per answer; default [`DEFAULT_TRANSACTIONS`].
    pub limit: Option<usize>,
    /// The page to answer (from a previous answer's `next_cursor`).
    pub cursor: Option<Cursor>,
}

/// One transaction, compact.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct TransactionView {
    /// The broker's id.
    pub id: u64,
    /// Trade date.
    pub date: String,
    /// When it happened.
    pub executed_at: String,
    /// `Trade`, `Receive Deliver`, `Money Movement`, ...
    #[serde(rename = "type")]
    pub transaction_type: String,
    /// `Sell to Open`, `Expiration`, `Assignment`, `Dividend`, ...
    pub sub_type: String,
    /// `buy_to_open`, ..., when a trade.
    pub action: Option<TradeAction>,
    /// The instrument.
    pub symbol: Option<String>,
    /// The underlying.
    pub underlying: Option<String>,
    /// Unsigned quantity.
    pub quantity: Option<f64>,
    /// Price per share or option.
    pub price: Option<f64>,
    /// Cash before fees (credit positive).
    pub value: f64,
    /// Commission and fees paid.
    pub fees: f64,
    /// Cash after fees.
    pub net_value: f64,
    /// The broker's words.
    pub description: String,
}

impl TransactionView {
    fn of(t: &Transaction) -> TransactionView {
        TransactionView {
            id: t.id,
            date: t.date.to_string(),
            executed_at: t.executed_at.to_string(),
            transaction_type: t.transaction_type.clone(),
            sub_type: t.sub_type.clone(),
            action: t.action,
            symbol: t.symbol.as_ref().map(|s| s.as_str().to_owned()),
            underlying: t.underlying.as_ref().map(|s| s.as_str().to_owned()),
            quantity: t.quantity,
            price: t.price,
            value: cents(t.value),
            fees: cents(t.total_fees()),
            net_value: cents(t.net_value),
            description: t.description.clone(),
        }
    }
}

/// A page of transactions.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct TransactionsView {
    /// Masked account number.
    pub account: String,
    /// First date covered.
    pub start_date: String,
    /// Last date covered.
    pub end_date: String,
    /// The underlying filter, when given.
    pub symbol: Option<String>,
    /// The type filter (empty: every type).
    pub types: Vec<String>,
    /// Newest first.
    pub transactions: Vec<TransactionView>,
    /// Transactions in this answer.
    pub count: usize,
    /// Transactions matching the filters over every page.
    pub total: usize,
    /// This page, from 1.
    pub page: usize,
    /// Pages.
    pub pages: usize,
    /// Pass as `cursor` (with the same filters) for the next page; null on the last.
    pub next_cursor: Option<String>,
    /// Sum of `net_value` on this page.
    pub page_net_value: f64,
    /// Market clock time of the answer.
    pub as_of: String,
    /// Data source.
    pub source: String,
    /// True for made-up data.
    pub synthetic: bool,
}

/// What `get_realized_pnl` asks.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RealizedRequest {
    /// The account; default: the configured or first one.
    pub account: Option<String>,
    /// From this date; default: January 1 of `end`'s year.
    pub start: Option<Date>,
    /// To this date; default: today (New York).
    pub end: Option<Date>,
    /// Only this underlying.
    pub symbol: Option<Symbol>,
}

/// Realized P&L by underlying over a period.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct RealizedView {
    /// Masked account number.
    pub account: String,
    /// First date of the period.
    pub start_date: String,
    /// Last date of the period.
    pub end_date: String,
    /// The underlying filter, when given.
    pub symbol: Option<String>,
    /// Realized P&L after commission and fees.
    pub realized: f64,
    /// Before commission and fees.
    pub gross: f64,
    /// Commission and fees realized with the closes.
    pub fees: f64,
    /// Closing transactions in the period.
    pub closes: usize,
    /// Closes that made money.
    pub wins: usize,
    /// Closes that lost money.
    pub losses: usize,
    /// Wins as a percent of closes with a result.
    pub win_rate_percent: Option<f64>,
    /// Dividends received in the period (not in `realized`).
    pub dividends: f64,
    /// Commission and fees of every transaction in the period, openings included.
    pub fees_paid: f64,
    /// Per underlying, largest loss first.
    pub by_underlying: Vec<UnderlyingRealized>,
    /// Closes in the period whose opening was not found (left out of the totals).
    pub unmatched: Vec<Unmatched>,
    /// How it is computed.
    pub method: &'static str,
    /// Openings were looked for from this date.
    pub history_from: String,
    /// Transactions read.
    pub transactions_read: usize,
    /// What limits the answer.
    pub warnings: Vec<String>,
    /// Market clock time of the answer.
    pub as_of: String,
    /// Data source.
    pub source: String,
    /// True for made-up data.
    pub synthetic: bool,
}

/// Money to the cent, never −0.
fn cents(value: f64) -> f64 {
    round_to(value, 2) + 0.0
}

/// `start..=end` with the defaults, checked.
fn period(
    start: Option<Date>,
    end: Option<Date>,
    today: Date,
    default_start: impl FnOnce(Date) -> Date,
) -> Result<(Date, Date), AppError> {
    let end = end.unwrap_or(today);
    let start = start.unwrap_or_else(|| default_start(end));
    if start > end {
        return Err(AppError::invalid(
            "start_date",
            format!("{start} is after the end date {end}"),
        ));
    }
    Ok((start, end))
}

impl App {
    /// A page of the account's transactions (newest first) with a cursor for the next.
    pub async fn transactions_view(
        &self,
        request: &TransactionsRequest,
    ) -> Result<TransactionsView, AppError> {
        let (number, _) = self.resolve_account(request.account.as_deref()).await?;
        let now = self.broker().now();
        let (start, end) = period(request.start, request.end, new_york_date(now), |end| {
            end.add_days(-DEFAULT_TRANSACTION_DAYS)
        })?;
        let cursor = request.cursor.unwrap_or(Cursor {
            page: 0,
            per_page: request
                .limit
                .unwrap_or(DEFAULT_TRANSACTIONS)
                .clamp(1, MAX_TRANSACTIONS),
        });
        let query = TransactionQuery {
            start: Some(start),
            end: Some(end),
            underlying: request.symbol.clone(),
            types: request.types.clone(),
            page: cursor.page,
            per_page: cursor.per_page,
        };
        let page = self.broker().transactions(&number, &query).await?;
        let transactions: Vec<TransactionView> = page.items.iter().map(TransactionView::of).collect();
        let source = self.source();
        Ok(TransactionsView {
            account: number.masked(),
            start_date: start.to_string(),
            end_date: end.to_string(),
            symbol: request.symbol.as_ref().map(|s| s.as_str().to_owned()),
            types: request.types.clone(),
            count: transactions.len(),
            page_net_value: round_to(transactions.iter().map(|t| t.net_value).sum(), 2),
            transactions,
            total: page.total_items,
            page: page.page + 1,
            pages: page.total_pages,
            next_cursor: page.has_more().then(|| {
                Cursor {
                    page: page.page + 1,
                    per_page: page.per_page,
                }
                .encode()
            }),
            as_of: now.to_string(),
            source: source.source,
            synthetic: source.synthetic,
        })
    }

    /// Every transaction of `account` matching `query` (its page ignored), reading pages of 250
    /// until the last or [`MAX_HISTORY_PAGES`]; the flag says whether it stopped early.
    async fn all_transactions(
        &self,
        account: &AccountNumber,
        mut query: TransactionQuery,
    ) -> Result<(Vec<Transaction>, bool), AppError> {
        query.per_page = MAX_TRANSACTIONS_PER_PAGE;
        let mut all = Vec::new();
        for page in 0..MAX_HISTORY_PAGES {
            query.page = page;
            let answer = self.broker().transactions(account, &query).await?;
            let more = answer.has_more();
            all.extend(answer.items);
            if !more {
                return Ok((all, false));
            }
        }
        Ok((all, true))
    }

    /// Realized P&L by underlying over a period (default: the year to date), from the
    /// transactions (see [`realized::METHOD`]).
    pub async fn realized_pnl(&self, request: &RealizedRequest) -> Result<RealizedView, AppError> {
        let (number, _) = self.resolve_account(request.account.as_deref()).await?;
        let now = self.broker().now();
        let (start, end) = period(request.start, request.end, new_york_date(now), |end| {
            Date::from_ymd(end.ymd().0, 1, 1).unwrap_or(end)
        })?;
        let history_from = start.add_days(-OPENING_LOOKBACK_DAYS);
        let mut query = TransactionQuery::between(Some(history_from), Some(end), MAX_TRANSACTIONS_PER_PAGE);
        query.underlying = request.symbol.clone();
        let (transactions, cut) = self.all_transactions(&number, query).await?;
        let result = realized::realize(&transactions, start, end);
        let mut warnings = Vec::new();
        if cut {
            warnings.push(format!(
                "only the newest {} transactions since {history_from} were read; closes whose openings are older are \
                 listed as unmatched",
                transactions.len()
            ));
        }
        if !result.unmatched.is_empty() {
            warnings.push(format!(
                "{} close(s) in the period have no opening among the transactions since {history_from}: left out of \
                 the totals (see unmatched)",
                result.unmatched.len()
            ));
        }
        let decided = result.wins + result.losses;
        let source = self.source();
        Ok(RealizedView {
            account: number.masked(),
            start_date: start.to_string(),
            end_date: end.to_string(),
            symbol: request.symbol.as_ref().map(|s| s.as_str().to_owned()),
            realized: result.realized,
            gross: result.gross,
            fees: result.fees,
            closes: result.closes,
            wins: result.wins,
            losses: result.losses,
            win_rate_percent: (decided > 0).then(|| round_to(result.wins as f64 / decided as f64 * 100.0, 1)),
            dividends: result.dividends,
            fees_paid: result.fees_paid,
            by_underlying: result.by_underlying,
            unmatched: result.unmatched,
            method: realized::METHOD,
            history_from: history_from.to_string(),
            transactions_read: transactions.len(),
            warnings,
            as_of: now.to_string(),
            source: source.source,
            synthetic: source.synthetic,
        })
    }
}

#[cfg(test)]
mod tests;
