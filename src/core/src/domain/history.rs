//! The account's history and lists: transactions, the net-liq series, watchlists.
//!
//! A [`Transaction`] is one line of TastyTrade's `/accounts/{n}/transactions`: money is signed
//! (a credit positive, a debit negative), quantities are unsigned and the [`TradeAction`] says
//! which way they went, fees are costs (positive when paid). A [`TransactionQuery`] selects and
//! pages them the way the API does (newest first); [`TransactionQuery::page_of`] applies one to a
//! list held in memory (the fakes and the replay broker), so every broker pages alike.

use serde::{Deserialize, Serialize};

use super::{AccountNumber, InstrumentType, Symbol};
use crate::time::{Date, MS_PER_DAY, Timestamp};

/// Which way a trade went and whether it opened or closed, TastyTrade's `action`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TradeAction {
    /// Bought, opening a long position.
    BuyToOpen,
    /// Sold, opening a short position.
    SellToOpen,
    /// Bought, closing a short position.
    BuyToClose,
    /// Sold, closing a long position.
    SellToClose,
    /// Bought (futures: opening or closing by the position).
    Buy,
    /// Sold (futures: opening or closing by the position).
    Sell,
}

impl TradeAction {
    /// Every action, for parsing and schemas.
    pub const ALL: [TradeAction; 6] = [
        TradeAction::BuyToOpen,
        TradeAction::SellToOpen,
        TradeAction::BuyToClose,
        TradeAction::SellToClose,
        TradeAction::Buy,
        TradeAction::Sell,
    ];

    /// +1 for a purchase, −1 for a sale.
    pub fn sign(self) -> f64 {
        match self {
            TradeAction::BuyToOpen | TradeAction::BuyToClose | TradeAction::Buy => 1.0,
            TradeAction::SellToOpen | TradeAction::SellToClose | TradeAction::Sell => -1.0,
        }
    }

    /// `Some(true)` for an opening action, `Some(false)` for a closing one, `None` for a bare
    /// buy or sell (which opens or closes by the position it meets).
    pub fn opens(self) -> Option<bool> {
        match self {
            TradeAction::BuyToOpen | TradeAction::SellToOpen => Some(true),
            TradeAction::BuyToClose | TradeAction::SellToClose => Some(false),
            TradeAction::Buy | TradeAction::Sell => None,
        }
    }

    /// The API's text: `Buy to Open`, ..., `Sell`.
    pub fn api_name(self) -> &'static str {
        match self {
            TradeAction::BuyToOpen => "Buy to Open",
            TradeAction::SellToOpen => "Sell to Open",
            TradeAction::BuyToClose => "Buy to Close",
            TradeAction::SellToClose => "Sell to Close",
            TradeAction::Buy => "Buy",
            TradeAction::Sell => "Sell",
        }
    }

    /// The action of the API's text (case-insensitive); `None` for anything else.
    pub fn from_api(text: &str) -> Option<TradeAction> {
        let text = text.trim();
        TradeAction::ALL
            .into_iter()
            .find(|a| a.api_name().eq_ignore_ascii_case(text))
    }
}

/// TastyTrade's transaction types ttai names in filters (the API has a few more).
pub const TRANSACTION_TYPES: [&str; 3] = ["Trade", "Receive Deliver", "Money Movement"];

/// One transaction of an account.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Transaction {
    /// The broker's id.
    pub id: u64,
    /// The account.
    pub account: AccountNumber,
    /// When it happened.
    pub executed_at: Timestamp,
    /// The trade (or posting) date.
    pub date: Date,
    /// `Trade`, `Receive Deliver`, `Money Movement`, ...
    pub transaction_type: String,
    /// `Sell to Open`, `Expiration`, `Assignment`, `Cash Settled Assignment`, `Dividend`,
    /// `Deposit`, ...
    pub sub_type: String,
    /// The broker's words.
    #[serde(default)]
    pub description: String,
    /// The instrument (OCC for equity options); none for most money movements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symbol: Option<Symbol>,
    /// The kind of instrument.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instrument_type: Option<InstrumentType>,
    /// The underlying (the instrument itself for stock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub underlying: Option<Symbol>,
    /// Which way and whether it opened or closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<TradeAction>,
    /// Unsigned quantity (shares or contracts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<f64>,
    /// Price per share or per option.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<f64>,
    /// Cash before fees, signed: a credit positive, a debit negative.
    pub value: f64,
    /// Commission paid (positive; negative for a rebate).
    #[serde(default)]
    pub commission: f64,
    /// Clearing, regulatory, exchange and other fees paid (positive; negative for a rebate).
    #[serde(default)]
    pub fees: f64,
    /// Cash after fees, signed: `value − commission − fees`.
    pub net_value: f64,
}

impl Transaction {
    /// Commission and fees: what the transaction cost.
    pub fn total_fees(&self) -> f64 {
        self.commission + self.fees
    }

    /// The signed quantity: positive bought, negative sold, `None` without an action or a
    /// quantity.
    pub fn signed_quantity(&self) -> Option<f64> {
        Some(self.action?.sign() * self.quantity?.abs())
    }
}

/// The most transactions per page a query may ask for (the official SDK's default page).
pub const MAX_TRANSACTIONS_PER_PAGE: usize = 250;

/// Which transactions to list, and which page of them (newest first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransactionQuery {
    /// From this date (inclusive).
    pub start: Option<Date>,
    /// To this date (inclusive).
    pub end: Option<Date>,
    /// Only transactions of this underlying (or this instrument).
    pub underlying: Option<Symbol>,
    /// Only these transaction types (`Trade`, `Receive Deliver`, `Money Movement`); empty: all.
    pub types: Vec<String>,
    /// The page, from 0.
    pub page: usize,
    /// Transactions per page, 1..=[`MAX_TRANSACTIONS_PER_PAGE`].
    pub per_page: usize,
}

impl TransactionQuery {
    /// The first page of `per_page` transactions between two dates.
    pub fn between(start: Option<Date>, end: Option<Date>, per_page: usize) -> TransactionQuery {
        TransactionQuery {
            start,
            end,
            underlying: None,
            types: Vec::new(),
            page: 0,
            per_page,
        }
    }

    /// True when `t` passes the filters (dates, underlying, types).
    pub fn matches(&self, t: &Transaction) -> bool {
        self.start.is_none_or(|start| t.date >= start)
            && self.end.is_none_or(|end| t.date <= end)
            && self
                .underlying
                .as_ref()
                .is_none_or(|u| t.underlying.as_ref() == Some(u) || t.symbol.as_ref() == Some(u))
            && (self.types.is_empty()
                || self
                    .types
                    .iter()
                    .any(|k| k.trim().eq_ignore_ascii_case(t.transaction_type.trim())))
    }

    /// The page this query selects from `all` (any order): the matching transactions, newest
    /// first (then by id, highest first), cut into pages of `per_page`.
    pub fn page_of(&self, all: impl IntoIterator<Item = Transaction>) -> TransactionPage {
        let mut matching: Vec<Transaction> = all.into_iter().filter(|t| self.matches(t)).collect();
        matching.sort_by(|a, b| b.executed_at.cmp(&a.executed_at).then(b.id.cmp(&a.id)));
        let per_page = self.per_page.clamp(1, MAX_TRANSACTIONS_PER_PAGE);
        let total_items = matching.len();
        let total_pages = total_items.div_ceil(per_page).max(1);
        let items = matching
            .into_iter()
            .skip(self.page.saturating_mul(per_page))
            .take(per_page)
            .collect();
        TransactionPage {
            items,
            page: self.page,
            per_page,
            total_items,
            total_pages,
        }
    }
}

/// One page of transactions, newest first.
#[derive(Clone, Debug, PartialEq)]
pub struct TransactionPage {
    /// The transactions of the page.
    pub items: Vec<Transaction>,
    /// The page, from 0.
    pub page: usize,
    /// Transactions per page.
    pub per_page: usize,
    /// Transactions matching the query over every page.
    pub total_items: usize,
    /// Pages (at least 1, even when there is nothing).
    pub total_pages: usize,
}

impl TransactionPage {
    /// True when a later page exists.
    pub fn has_more(&self) -> bool {
        self.page + 1 < self.total_pages
    }
}

/// One point of an account's net liquidating value over time (TastyTrade's `NetLiqOhlc`): the
/// interval's open, high, low and close, and pending cash at its close.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetLiqPoint {
    /// The end of the interval (a day's close, or a five-minute bar of a `1d` window).
    pub time: Timestamp,
    /// Net liq at the interval's start.
    pub open: f64,
    /// Highest net liq in the interval.
    pub high: f64,
    /// Lowest net liq in the interval.
    pub low: f64,
    /// Net liq at `time`.
    pub close: f64,
    /// Pending cash at `time` (signed).
    #[serde(default)]
    pub pending_cash: f64,
}

/// How far back a net-liq history goes: TastyTrade's `time-back`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NetLiqWindow {
    /// The last day (five-minute points on the live API).
    Day,
    /// One month.
    Month,
    /// Three months.
    Quarter,
    /// Six months.
    HalfYear,
    /// One year.
    Year,
    /// Everything.
    All,
}

impl NetLiqWindow {
    /// Every window, shortest first.
    pub const ALL: [NetLiqWindow; 6] = [
        NetLiqWindow::Day,
        NetLiqWindow::Month,
        NetLiqWindow::Quarter,
        NetLiqWindow::HalfYear,
        NetLiqWindow::Year,
        NetLiqWindow::All,
    ];

    /// The API's `time-back` value: `1d`, `1m`, `3m`, `6m`, `1y`, `all`.
    pub fn as_str(self) -> &'static str {
        match self {
            NetLiqWindow::Day => "1d",
            NetLiqWindow::Month => "1m",
            NetLiqWindow::Quarter => "3m",
            NetLiqWindow::HalfYear => "6m",
            NetLiqWindow::Year => "1y",
            NetLiqWindow::All => "all",
        }
    }

    /// The window of a `time-back` value.
    pub fn parse(text: &str) -> Option<NetLiqWindow> {
        let text = text.trim();
        NetLiqWindow::ALL
            .into_iter()
            .find(|w| w.as_str().eq_ignore_ascii_case(text))
    }

    /// Calendar days the window spans; `None` for everything.
    pub fn days(self) -> Option<i64> {
        match self {
            NetLiqWindow::Day => Some(1),
            NetLiqWindow::Month => Some(31),
            NetLiqWindow::Quarter => Some(92),
            NetLiqWindow::HalfYear => Some(183),
            NetLiqWindow::Year => Some(366),
            NetLiqWindow::All => None,
        }
    }

    /// The points of `all` (any order, duplicates by time allowed: the later one wins) inside
    /// the window ending at `now`, in time order. A broker holding daily points in memory
    /// answers with this (the live API chooses its own intervals).
    pub fn select(self, all: impl IntoIterator<Item = NetLiqPoint>, now: Timestamp) -> Vec<NetLiqPoint> {
        let since = self.days().map(|d| now.add_millis(-d * MS_PER_DAY));
        let mut points: Vec<NetLiqPoint> = all
            .into_iter()
            .filter(|p| p.time <= now && since.is_none_or(|s| p.time >= s))
            .collect();
        points.sort_by_key(|p| p.time);
        // The last of equal times wins.
        points.reverse();
        points.dedup_by_key(|p| p.time);
        points.reverse();
        points
    }
}

/// One of the account's watchlists.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Watchlist {
    /// Its name (unique per customer).
    pub name: String,
    /// The group it is filed under, when any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Its symbols, in the customer's order.
    #[serde(default)]
    pub entries: Vec<WatchlistEntry>,
}

/// One symbol of a watchlist.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WatchlistEntry {
    /// The symbol.
    pub symbol: Symbol,
    /// The kind of instrument, when said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instrument_type: Option<InstrumentType>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(id: u64, day: u32, kind: &str, underlying: &str) -> Transaction {
        let date = Date::from_ymd(2025, 6, day).unwrap();
        Transaction {
            id,
            account: AccountNumber::new("5WT00001"),
            executed_at: date.at_utc(15, 0),
            date,
            transaction_type: kind.to_owned(),
            sub_type: String::new(),
            description: String::new(),
            symbol: Some(Symbol::parse(underlying).unwrap()),
            instrument_type: None,
            underlying: Some(Symbol::parse(underlying).unwrap()),
            action: None,
            quantity: None,
            price: None,
            value: 0.0,
            commission: 0.0,
            fees: 0.0,
            net_value: 0.0,
        }
    }

    #[test]
    fn queries_filter_and_page_newest_first() {
        let all = vec![
            t(1, 2, "Trade", "SPY"),
            t(2, 3, "Trade", "AAPL"),
            t(3, 4, "Money Movement", "SPY"),
            t(4, 5, "Trade", "SPY"),
            t(5, 6, "Receive Deliver", "SPY"),
        ];
        let mut query = TransactionQuery::between(None, None, 2);
        let first = query.page_of(all.clone());
        assert_eq!(first.items.iter().map(|t| t.id).collect::<Vec<_>>(), [5, 4]);
        assert_eq!((first.total_items, first.total_pages), (5, 3));
        assert!(first.has_more());
        query.page = 2;
        let last = query.page_of(all.clone());
        assert_eq!(last.items.iter().map(|t| t.id).collect::<Vec<_>>(), [1]);
        assert!(!last.has_more());
        query.page = 9;
        assert!(query.page_of(all.clone()).items.is_empty());

        let mut query = TransactionQuery::between(Date::from_ymd(2025, 6, 3), Date::from_ymd(2025, 6, 5), 10);
        query.underlying = Some(Symbol::parse("SPY").unwrap());
        query.types = vec!["trade".to_owned(), "money movement".to_owned()];
        let page = query.page_of(all);
        assert_eq!(page.items.iter().map(|t| t.id).collect::<Vec<_>>(), [4, 3]);
        assert_eq!(page.total_pages, 1);
    }

    #[test]
    fn actions_read_the_apis_words() {
        for action in TradeAction::ALL {
            assert_eq!(TradeAction::from_api(action.api_name()), Some(action));
        }
        assert_eq!(
            TradeAction::from_api(" sell to open "),
            Some(TradeAction::SellToOpen)
        );
        assert_eq!(TradeAction::from_api("Hold"), None);
        assert_eq!(TradeAction::SellToOpen.sign(), -1.0);
        assert_eq!(TradeAction::BuyToClose.opens(), Some(false));
    }

    #[test]
    fn windows_select_points_in_time_order() {
        let now = Date::from_ymd(2025, 6, 13).unwrap().at_utc(21, 0);
        let point = |days_ago: i64, close: f64| NetLiqPoint {
            time: now.add_millis(-days_ago * MS_PER_DAY),
            open: close,
            high: close,
            low: close,
            close,
            pending_cash: 0.0,
        };
        let all = [
            point(0, 5.0),
            point(40, 1.0),
            point(1, 4.0),
            point(10, 3.0),
            point(1, 4.5),
        ];
        let month = NetLiqWindow::Month.select(all, now);
        assert_eq!(month.iter().map(|p| p.close).collect::<Vec<_>>(), [3.0, 4.5, 5.0]);
        assert_eq!(NetLiqWindow::All.select(all, now).len(), 4);
        assert_eq!(NetLiqWindow::Day.select(all, now).len(), 2);
        assert_eq!(NetLiqWindow::parse("1Y"), Some(NetLiqWindow::Year));
        assert_eq!(NetLiqWindow::parse("2y"), None);
    }
}
