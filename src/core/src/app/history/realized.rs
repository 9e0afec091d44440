//! Realized P&L by underlying from an account's transactions, first in first out.
//!
//! The method (stated in every answer, [`METHOD`]):
//! - Lots are kept per instrument (an option contract, a stock), first in first out. An opening
//!   transaction (`… to Open`) adds a lot at its cash per unit; a closing one (`… to Close`)
//!   closes the oldest lots of the other side; a bare `Buy`/`Sell` (futures) closes what it meets
//!   and opens the rest.
//! - Realized P&L of a close = the opening cash + the closing cash of the quantity closed (cash
//!   signed: a credit positive). A short put sold for 1.50 and bought back for 0.40 realizes
//!   150 − 40 = 110 a contract.
//! - Expiration, assignment and exercise close the option at zero (the premium is realized on
//!   the option); the shares they deliver open at the strike, as the broker books them. A cash
//!   settlement closes at its cash value.
//! - Commission and fees are realized with the close: the opening's share of the quantity closed
//!   plus the closing's own. `realized` is after them, `gross` before.
//! - A close is counted in the period of its date; the openings may be older. A close whose
//!   opening is not among the transactions read is listed as unmatched and left out of the
//!   totals, never guessed.
//! - Dividends (money movements of sub-type Dividend) are listed per underlying beside the
//!   realized P&L, not in it.

use std::collections::{BTreeMap, HashMap, VecDeque};

use serde::Serialize;

use crate::domain::{Transaction, round_to};
use crate::time::Date;

/// The method, in words, for the answer.
pub const METHOD: &str = "FIFO lots per instrument; a close realizes the opening's cash plus the closing's \
    cash for the quantity closed (credits positive); expiration, assignment and exercise close the option \
    at zero (the premium is realized on the option, delivered shares open at the strike); commission and \
    fees of the opening and the closing are realized with the close (realized = gross − fees); a close \
    counts in the period of its date, whenever it was opened; dividends are listed beside, not included.";

/// Quantities below this are zero (fractional shares are real, float dust is not).
const EPSILON: f64 = 1e-9;

/// Realized P&L of one underlying over a period.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct UnderlyingRealized {
    /// The underlying.
    pub underlying: String,
    /// Realized P&L after commission and fees.
    pub realized: f64,
    /// Realized P&L before commission and fees.
    pub gross: f64,
    /// Commission and fees realized with the closes.
    pub fees: f64,
    /// Closing transactions (trades, expirations, assignments) in the period.
    pub closes: usize,
    /// Closes that realized more than zero.
    pub wins: usize,
    /// Closes that realized less than zero.
    pub losses: usize,
    /// Dividends received in the period.
    pub dividends: f64,
}

/// A close whose opening was not among the transactions read.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Unmatched {
    /// The transaction's id.
    pub id: u64,
    /// Its date.
    pub date: Date,
    /// The instrument.
    pub symbol: String,
    /// The quantity that closed nothing (signed: bought positive).
    pub quantity: f64,
    /// Its share of the transaction's cash.
    pub value: f64,
}

/// Realized P&L over a period.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Realized {
    /// Per underlying, by realized P&L (largest loss first, so what hurt leads).
    pub by_underlying: Vec<UnderlyingRealized>,
    /// Sum of `realized`.
    pub realized: f64,
    /// Sum of `gross`.
    pub gross: f64,
    /// Sum of realized `fees`.
    pub fees: f64,
    /// Closes in the period.
    pub closes: usize,
    /// Winning closes.
    pub wins: usize,
    /// Losing closes.
    pub losses: usize,
    /// Dividends received in the period.
    pub dividends: f64,
    /// Commission and fees of every transaction dated in the period (openings included).
    pub fees_paid: f64,
    /// Closes in the period that matched no opening.
    pub unmatched: Vec<Unmatched>,
}

/// An open lot of one instrument.
#[derive(Clone, Copy, Debug)]
struct Lot {
    /// Signed quantity: long positive.
    quantity: f64,
    /// Cash per unit of the opening (signed).
    value_per_unit: f64,
    /// Commission and fees per unit of the opening.
    fees_per_unit: f64,
}

/// A running tally of one underlying.
#[derive(Default)]
struct Tally {
    gross: f64,
    fees: f64,
    closes: usize,
    wins: usize,
    losses: usize,
    dividends: f64,
}

/// True for a dividend payment.
fn is_dividend(t: &Transaction) -> bool {
    t.sub_type.to_ascii_lowercase().contains("dividend")
}

/// What a closing transaction realized: (gross, fees, quantity left unmatched).
fn close_against(
    lots: &mut VecDeque<Lot>,
    signed: f64,
    value_per_unit: f64,
    fees_per_unit: f64,
) -> (f64, f64, f64) {
    let mut remaining = signed.abs();
    let mut gross = 0.0;
    let mut fees = 0.0;
    while remaining > EPSILON {
        let Some(lot) = lots
            .iter_mut()
            .find(|l| l.quantity.abs() > EPSILON && l.quantity.signum() != signed.signum())
        else {
            break;
        };
        let take = remaining.min(lot.quantity.abs());
        gross += (lot.value_per_unit + value_per_unit) * take;
        fees += (lot.fees_per_unit + fees_per_unit) * take;
        lot.quantity += signed.signum() * take;
        remaining -= take;
    }
    lots.retain(|l| l.quantity.abs() > EPSILON);
    (gross, fees, remaining)
}

/// Realized P&L of the closes dated `start..=end` among `transactions` (any order; openings may
/// be older than `start`; transactions after `end` are ignored).
pub fn realize(transactions: &[Transaction], start: Date, end: Date) -> Realized {
    let mut ordered: Vec<&Transaction> = transactions.iter().filter(|t| t.date <= end).collect();
    ordered.sort_by(|a, b| a.executed_at.cmp(&b.executed_at).then(a.id.cmp(&b.id)));
    let mut lots: HashMap<String, VecDeque<Lot>> = HashMap::new();
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    let mut unmatched = Vec::new();
    let mut fees_paid = 0.0;
    for t in ordered {
        let in_period = t.date >= start;
        let underlying = t
            .underlying
            .as_ref()
            .or(t.symbol.as_ref())
            .map_or_else(|| "—".to_owned(), |s| s.as_str().to_owned());
        if in_period {
            fees_paid += t.total_fees();
            if is_dividend(t) {
                tallies.entry(underlying.clone()).or_default().dividends += t.value;
            }
        }
        let (Some(symbol), Some(action), Some(signed)) = (&t.symbol, t.action, t.signed_quantity()) else {
            continue;
        };
        if signed.abs() <= EPSILON {
            continue;
        }
        let value_per_unit = t.value / signed.abs();
        let fees_per_unit = t.total_fees() / signed.abs();
        let book = lots.entry(symbol.as_str().to_owned()).or_default();
        if action.opens() == Some(true) {
            book.push_back(Lot {
                quantity: signed,
                value_per_unit,
                fees_per_unit,
            });
            continue;
        }
        let (gross, fees, left) = close_against(book, signed, value_per_unit, fees_per_unit);
        let closed = signed.abs() - left;
        if left > EPSILON {
            if action.opens().is_none() {
                // A bare buy or sell beyond the position opens the other side.
                book.push_back(Lot {
                    quantity: signed.signum() * left,
                    value_per_unit,
                    fees_per_unit,
                });
            } else if in_period {
                unmatched.push(Unmatched {
                    id: t.id,
                    date: t.date,
                    symbol: symbol.as_str().to_owned(),
                    quantity: round_to(signed.signum() * left, 6),
                    value: round_to(value_per_unit * left, 2),
                });
            }
        }
        if in_period && closed > EPSILON {
            let tally = tallies.entry(underlying).or_default();
            tally.gross += gross;
            tally.fees += fees;
            tally.closes += 1;
            let net = round_to(gross - fees, 2);
            if net > 0.0 {
                tally.wins += 1;
            } else if net < 0.0 {
                tally.losses += 1;
            }
        }
    }
    let mut by_underlying: Vec<UnderlyingRealized> = tallies
        .into_iter()
        .map(|(underlying, t)| UnderlyingRealized {
            underlying,
            realized: round_to(t.gross - t.fees, 2),
            gross: round_to(t.gross, 2),
            fees: round_to(t.fees, 2),
            closes: t.closes,
            wins: t.wins,
            losses: t.losses,
            dividends: round_to(t.dividends, 2),
        })
        .collect();
    by_underlying.sort_by(|a, b| {
        a.realized
            .total_cmp(&b.realized)
            .then(a.underlying.cmp(&b.underlying))
    });
    let sum = |f: fn(&UnderlyingRealized) -> f64| round_to(by_underlying.iter().map(f).sum(), 2);
    Realized {
        realized: sum(|u| u.realized),
        gross: sum(|u| u.gross),
        fees: sum(|u| u.fees),
        dividends: sum(|u| u.dividends),
        closes: by_underlying.iter().map(|u| u.closes).sum(),
        wins: by_underlying.iter().map(|u| u.wins).sum(),
        losses: by_underlying.iter().map(|u| u.losses).sum(),
        by_underlying,
        fees_paid: round_to(fees_paid, 2),
        unmatched,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AccountNumber, InstrumentType, Symbol, TradeAction};

    struct Row {
        id: u64,
        date: &'static str,
        kind: &'static str,
        sub_type: &'static str,
        symbol: Option<&'static str>,
        underlying: Option<&'static str>,
        action: Option<TradeAction>,
        quantity: Option<f64>,
        value: f64,
        fees: f64,
    }

    fn transaction(r: &Row) -> Transaction {
        let date: Date = r.date.parse().unwrap();
        let sym = |s: &str| Symbol::parse(s).unwrap();
        Transaction {
            id: r.id,
            account: AccountNumber::new("5WT00001"),
            executed_at: date.at_utc(15, 0).add_millis(r.id as i64),
            date,
            transaction_type: r.kind.to_owned(),
            sub_type: r.sub_type.to_owned(),
            description: String::new(),
            symbol: r.symbol.map(sym),
            instrument_type: r.symbol.map(|s| {
                if s.len() > 6 {
                    InstrumentType::EquityOption
                } else {
                    InstrumentType::Equity
                }
            }),
            underlying: r.underlying.map(sym),
            action: r.action,
            quantity: r.quantity,
            price: None,
            value: r.value,
            commission: 0.0,
            fees: r.fees,
            net_value: r.value - r.fees,
        }
    }

    const P50: &str = "XYZ   250404P00050000";
    const P48: &str = "XYZ   250404P00048000";
    const C60: &str = "ABC   250117C00060000";
    const Q: &str = "QQQ   250321C00500000";

    /// A hand-made account, with the period March–April 2025:
    ///
    /// | id | date       | what                                                        | cash     | fees |
    /// |----|------------|-------------------------------------------------------------|----------|------|
    /// | 1  | 2024-12-02 | deposit                                                     | +10 000  |      |
    /// | 2  | 2024-12-10 | sell to open 1 ABC 60 call @ 1.20                           | +120     | 1.14 |
    /// | 3  | 2025-01-17 | ABC call expires (before the period: realizes nothing here) | 0        |      |
    /// | 4  | 2025-02-27 | sell to open 2 XYZ 50 puts @ 1.50 (before the period)       | +300     | 2.28 |
    /// | 5  | 2025-03-10 | sell to open 1 XYZ 48 put @ 1.00                            | +100     | 1.14 |
    /// | 6  | 2025-03-20 | buy to close 1 XYZ 50 put @ 0.40                            | −40      | 0.14 |
    /// | 7  | 2025-04-04 | the other XYZ 50 put expires                                | 0        |      |
    /// | 8  | 2025-04-04 | the XYZ 48 put is assigned (removed at zero)                | 0        |      |
    /// | 9  | 2025-04-04 | 100 XYZ delivered at 48.00                                  | −4 800   |      |
    /// | 10 | 2025-04-10 | dividend 0.25 × 100 XYZ                                     | +25      |      |
    /// | 11 | 2025-04-15 | sell to close 100 XYZ @ 46.50                               | +4 650   | 0.13 |
    /// | 12 | 2025-04-16 | buy to close 1 QQQ call @ 2.00, opened before any record     | −200     | 0.14 |
    /// | 13 | 2025-05-02 | sell to open 1 XYZ 45 put (after the period)                | +90      | 1.14 |
    ///
    /// Closes in the period (fees: the opening's share plus the closing's own):
    /// - #6: 150 − 40 = 110 gross; fees 2.28 / 2 + 0.14 = 1.28; realized 108.72 (win)
    /// - #7: 150 + 0 = 150 gross; fees 1.14; realized 148.86 (win)
    /// - #8: 100 + 0 = 100 gross; fees 1.14; realized 98.86 (win)
    /// - #11: −4 800 + 4 650 = −150 gross; fees 0.13; realized −150.13 (loss)
    ///
    /// XYZ: gross 210, fees 3.69, realized 206.31, 4 closes, 3 wins, 1 loss, dividends 25.
    /// ABC realized its 118.86 in January, outside the period; QQQ's close is unmatched (−200).
    /// Fees paid in the period: 1.14 + 0.14 + 0.13 + 0.14 = 1.55.
    #[test]
    fn realized_pnl_by_underlying_worked_by_hand() {
        use TradeAction::*;
        let rows = [
            Row {
                id: 1,
                date: "2024-12-02",
                kind: "Money Movement",
                sub_type: "Deposit",
                symbol: None,
                underlying: None,
                action: None,
                quantity: None,
                value: 10_000.0,
                fees: 0.0,
            },
            Row {
                id: 2,
                date: "2024-12-10",
                kind: "Trade",
                sub_type: "Sell to Open",
                symbol: Some(C60),
                underlying: Some("ABC"),
                action: Some(SellToOpen),
                quantity: Some(1.0),
                value: 120.0,
                fees: 1.14,
            },
            Row {
                id: 3,
                date: "2025-01-17",
                kind: "Receive Deliver",
                sub_type: "Expiration",
                symbol: Some(C60),
                underlying: Some("ABC"),
                action: Some(BuyToClose),
                quantity: Some(1.0),
                value: 0.0,
                fees: 0.0,
            },
            Row {
                id: 4,
                date: "2025-02-27",
                kind: "Trade",
                sub_type: "Sell to Open",
                symbol: Some(P50),
                underlying: Some("XYZ"),
                action: Some(SellToOpen),
                quantity: Some(2.0),
                value: 300.0,
                fees: 2.28,
            },
            Row {
                id: 5,
                date: "2025-03-10",
                kind: "Trade",
                sub_type: "Sell to Open",
                symbol: Some(P48),
                underlying: Some("XYZ"),
                action: Some(SellToOpen),
                quantity: Some(1.0),
                value: 100.0,
                fees: 1.14,
            },
            Row {
                id: 6,
                date: "2025-03-20",
                kind: "Trade",
                sub_type: "Buy to Close",
                symbol: Some(P50),
                underlying: Some("XYZ"),
                action: Some(BuyToClose),
                quantity: Some(1.0),
                value: -40.0,
                fees: 0.14,
            },
            Row {
                id: 7,
                date: "2025-04-04",
                kind: "Receive Deliver",
                sub_type: "Expiration",
                symbol: Some(P50),
                underlying: Some("XYZ"),
                action: Some(BuyToClose),
                quantity: Some(1.0),
                value: 0.0,
                fees: 0.0,
            },
            Row {
                id: 8,
                date: "2025-04-04",
                kind: "Receive Deliver",
                sub_type: "Assignment",
                symbol: Some(P48),
                underlying: Some("XYZ"),
                action: Some(BuyToClose),
                quantity: Some(1.0),
                value: 0.0,
                fees: 0.0,
            },
            Row {
                id: 9,
                date: "2025-04-04",
                kind: "Receive Deliver",
                sub_type: "Buy to Open",
                symbol: Some("XYZ"),
                underlying: Some("XYZ"),
                action: Some(BuyToOpen),
                quantity: Some(100.0),
                value: -4_800.0,
                fees: 0.0,
            },
            Row {
                id: 10,
                date: "2025-04-10",
                kind: "Money Movement",
                sub_type: "Dividend",
                symbol: Some("XYZ"),
                underlying: Some("XYZ"),
                action: None,
                quantity: None,
                value: 25.0,
                fees: 0.0,
            },
            Row {
                id: 11,
                date: "2025-04-15",
                kind: "Trade",
                sub_type: "Sell to Close",
                symbol: Some("XYZ"),
                underlying: Some("XYZ"),
                action: Some(SellToClose),
                quantity: Some(100.0),
                value: 4_650.0,
                fees: 0.13,
            },
            Row {
                id: 12,
                date: "2025-04-16",
                kind: "Trade",
                sub_type: "Buy to Close",
                symbol: Some(Q),
                underlying: Some("QQQ"),
                action: Some(BuyToClose),
                quantity: Some(1.0),
                value: -200.0,
                fees: 0.14,
            },
            Row {
                id: 13,
                date: "2025-05-02",
                kind: "Trade",
                sub_type: "Sell to Open",
                symbol: Some("XYZ   250606P00045000"),
                underlying: Some("XYZ"),
                action: Some(SellToOpen),
                quantity: Some(1.0),
                value: 90.0,
                fees: 1.14,
            },
        ];
        let mut transactions: Vec<Transaction> = rows.iter().map(transaction).collect();
        // Any order in, the same answer out.
        transactions.reverse();
        let r = realize(
            &transactions,
            "2025-03-01".parse().unwrap(),
            "2025-04-30".parse().unwrap(),
        );
        let xyz = r.by_underlying.iter().find(|u| u.underlying == "XYZ").unwrap();
        assert_eq!(
            (xyz.gross, xyz.fees, xyz.realized),
            (210.0, 3.69, 206.31),
            "{xyz:?}"
        );
        assert_eq!((xyz.closes, xyz.wins, xyz.losses), (4, 3, 1));
        assert_eq!(xyz.dividends, 25.0);
        assert!(
            r.by_underlying.iter().all(|u| u.underlying != "ABC"),
            "ABC closed in January"
        );
        // QQQ's close has no opening: listed, not counted.
        assert_eq!(
            r.unmatched,
            [Unmatched {
                id: 12,
                date: "2025-04-16".parse().unwrap(),
                symbol: Q.to_owned(),
                quantity: 1.0,
                value: -200.0
            }]
        );
        assert_eq!((r.realized, r.gross, r.fees), (206.31, 210.0, 3.69));
        assert_eq!((r.closes, r.wins, r.losses), (4, 3, 1));
        assert_eq!(r.dividends, 25.0);
        assert_eq!(r.fees_paid, 1.55);

        // January alone: the ABC call's premium less its opening fees.
        let january = realize(
            &transactions,
            "2025-01-01".parse().unwrap(),
            "2025-01-31".parse().unwrap(),
        );
        assert_eq!(january.by_underlying.len(), 1);
        assert_eq!(
            (january.by_underlying[0].underlying.as_str(), january.realized),
            ("ABC", 118.86)
        );
    }

    #[test]
    fn futures_buys_and_sells_close_what_they_meet_and_open_the_rest() {
        use TradeAction::*;
        let f = "/ESM5";
        let rows = [
            Row {
                id: 1,
                date: "2025-03-03",
                kind: "Trade",
                sub_type: "Sell",
                symbol: Some(f),
                underlying: Some("/ES"),
                action: Some(Sell),
                quantity: Some(1.0),
                value: 0.0,
                fees: 3.0,
            },
            // Bought two: one closes the short (a 1 250 gain booked as cash), one opens a long.
            Row {
                id: 2,
                date: "2025-03-04",
                kind: "Trade",
                sub_type: "Buy",
                symbol: Some(f),
                underlying: Some("/ES"),
                action: Some(Buy),
                quantity: Some(2.0),
                value: 2_500.0,
                fees: 6.0,
            },
            Row {
                id: 3,
                date: "2025-03-05",
                kind: "Trade",
                sub_type: "Sell",
                symbol: Some(f),
                underlying: Some("/ES"),
                action: Some(Sell),
                quantity: Some(1.0),
                value: -500.0,
                fees: 3.0,
            },
        ];
        let transactions: Vec<Transaction> = rows.iter().map(transaction).collect();
        let r = realize(
            &transactions,
            "2025-03-01".parse().unwrap(),
            "2025-03-31".parse().unwrap(),
        );
        // #2: 0 + 1 250 for the closed unit, fees 3 + 3 = 6 → 1 244; #3: 1 250 − 500, fees 3 + 3.
        assert_eq!((r.gross, r.fees, r.realized), (2_000.0, 12.0, 1_988.0));
        assert_eq!((r.closes, r.wins), (2, 2));
        assert!(r.unmatched.is_empty());
    }
}
