//! The synthetic account's books: its transactions as TastyTrade books them (fees included),
//! its short options, and the dividends its stock pays.

use ttai_core::domain::{AccountNumber, InstrumentType, OptionType, TradeAction, Transaction, round_to};
use ttai_core::time::{Date, Timestamp, Weekday};

use super::calendar::{last_weekday, nth_weekday};
use super::market::{SPECS, Series, sym};

/// An open short option of the synthetic account.
pub(super) struct ShortOption {
    pub(super) symbol: String,
    /// Index into `SPECS`.
    pub(super) underlying: usize,
    pub(super) option_type: OptionType,
    pub(super) strike: f64,
    pub(super) expiration: Date,
    pub(super) quantity: f64,
    pub(super) open_price: f64,
    pub(super) opened: Date,
}

// What TastyTrade charges, as the demo account's ledger books it (the schedule the paper broker
// and the fakes charge too); expirations, cash settlements, dividends and deposits cost nothing.
pub(super) use ttai_core::domain::fees;

/// One booking of the ledger.
pub(super) struct Booking {
    pub(super) at: Timestamp,
    pub(super) date: Date,
    pub(super) kind: &'static str,
    pub(super) sub_type: &'static str,
    pub(super) description: String,
    pub(super) symbol: Option<String>,
    pub(super) instrument_type: Option<InstrumentType>,
    pub(super) underlying: Option<&'static str>,
    pub(super) action: Option<TradeAction>,
    pub(super) quantity: Option<f64>,
    pub(super) price: Option<f64>,
    pub(super) value: f64,
    pub(super) commission: f64,
    pub(super) fees: f64,
}

/// The synthetic account's transactions, as TastyTrade books them.
pub(super) struct Ledger {
    pub(super) account: AccountNumber,
    pub(super) next_id: u64,
    pub(super) transactions: Vec<Transaction>,
}

impl Ledger {
    /// Books a transaction; returns its cash after fees.
    pub(super) fn book(&mut self, b: Booking) -> f64 {
        // `+ 0.0` turns the −0.0 of a worthless short's settlement into 0.
        let value = round_to(b.value, 2) + 0.0;
        let commission = round_to(b.commission, 2);
        let fees = round_to(b.fees, 2);
        let net_value = round_to(value - commission - fees, 2) + 0.0;
        self.transactions.push(Transaction {
            id: self.next_id,
            account: self.account.clone(),
            executed_at: b.at,
            date: b.date,
            transaction_type: b.kind.to_owned(),
            sub_type: b.sub_type.to_owned(),
            description: b.description,
            symbol: b.symbol.as_deref().map(sym),
            instrument_type: b.instrument_type,
            underlying: b.underlying.map(sym),
            action: b.action,
            quantity: b.quantity,
            price: b.price,
            value,
            commission,
            fees,
            net_value,
        });
        self.next_id += 1;
        net_value
    }
}

/// `12/19/25`, as TastyTrade's descriptions write expirations.
pub(super) fn mmddyy(d: Date) -> String {
    let (y, m, day) = d.ymd();
    format!("{m:02}/{day:02}/{:02}", y % 100)
}

/// `AAPL 01/16/26 Call 265.00`.
pub(super) fn option_words(
    underlying: &str,
    expiration: Date,
    option_type: OptionType,
    strike: f64,
) -> String {
    let kind = match option_type {
        OptionType::Call => "Call",
        OptionType::Put => "Put",
    };
    format!("{underlying} {} {kind} {strike:.2}", mmddyy(expiration))
}

/// A quarterly dividend of a held stock: paid on `pay`, to holders on `ex`.
pub(super) struct Dividend {
    pub(super) underlying: usize,
    pub(super) ex: Date,
    pub(super) pay: Date,
    pub(super) per_share: f64,
}

/// The dividends the demo account's stock pays from `from` on: AAPL's (ex-date the second Monday
/// of February, May, August and November, paid ten days later) and QQQ's (ex-date the Monday
/// after the third Friday of March, June, September and December, paid on the month's last
/// Friday), each a quarter of the stock's yield at its ex-date close, in cents.
pub(super) fn dividends(series: &[Series], days: &[Date], from: Date) -> Vec<Dividend> {
    let trading = |d: Date| days.binary_search(&d).is_ok();
    let next_trading = |mut d: Date| {
        while !trading(d) && d <= days.last().copied().unwrap_or(d) {
            d = d.add_days(1);
        }
        d
    };
    let mut out = Vec::new();
    for (y, m) in (2025..=2026).flat_map(|y| (1..=12).map(move |m| (y, m))) {
        let (underlying, ex, pay) = match m {
            2 | 5 | 8 | 11 => {
                let ex = next_trading(nth_weekday(y, m, Weekday::Monday, 2));
                (2, ex, next_trading(ex.add_days(10)))
            }
            3 | 6 | 9 | 12 => {
                let ex = next_trading(nth_weekday(y, m, Weekday::Friday, 3).add_days(3));
                let mut pay = last_weekday(y, m, Weekday::Friday).max(ex);
                while !trading(pay) && pay > ex {
                    pay = pay.add_days(-1);
                }
                (1, ex, pay)
            }
            _ => continue,
        };
        let (Some(spec), Some(close)) = (
            SPECS.get(underlying),
            series
                .get(underlying)
                .and_then(|x| x.days.iter().find(|d| d.date == ex))
                .map(|d| d.candle.close),
        ) else {
            continue;
        };
        if ex >= from && trading(pay) {
            out.push(Dividend {
                underlying,
                ex,
                pay,
                per_share: round_to(close * spec.div_yield / 4.0, 2),
            });
        }
    }
    out
}
