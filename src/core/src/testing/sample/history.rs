//! The sample account's history: transactions, net liq and watchlists consistent with its positions.

use crate::domain::{
    AccountNumber, InstrumentType, NetLiqPoint, OptionType, TradeAction, Transaction, Watchlist,
    WatchlistEntry, occ_symbol, round_to,
};
use crate::time::{Date, Timestamp};

use super::{SAMPLE_ACCOUNT, sym};

/// One transaction of the sample account, `days_ago` days before `now` at 15:00 UTC.
struct Booked {
    days_ago: i32,
    kind: &'static str,
    sub_type: &'static str,
    description: String,
    symbol: Option<String>,
    underlying: Option<&'static str>,
    action: Option<TradeAction>,
    quantity: Option<f64>,
    price: Option<f64>,
    value: f64,
    commission: f64,
    fees: f64,
}

/// The sample account's history, consistent with its positions: a deposit, 100 SPY bought at
/// 500, a SPY put sold for 4.00 and bought back for 1.50, a SPY dividend, an AAPL call that
/// expired, and the short AAPL put (`put`, sold for 3.00); 60 weekday closes of net liq ending,
/// at the last close before `now`, at the balances' 100 000; three watchlists.
pub(super) fn sample_history(
    now: Timestamp,
    put: &str,
    put_strike: f64,
    put_expiration: Date,
) -> (Vec<Transaction>, Vec<NetLiqPoint>, Vec<Watchlist>) {
    let today = now.date();
    let spy_put_expiration = today.add_days(-85);
    let spy_put = occ_symbol("SPY", spy_put_expiration, OptionType::Put, 470.0);
    let aapl_call_expiration = today.add_days(-30);
    let aapl_call = occ_symbol("AAPL", aapl_call_expiration, OptionType::Call, 230.0);
    let mmddyy = |d: Date| {
        let (y, m, day) = d.ymd();
        format!("{m:02}/{day:02}/{:02}", y % 100)
    };
    let booked = vec![
        Booked {
            days_ago: 200,
            kind: "Money Movement",
            sub_type: "Deposit",
            description: "ACH DEPOSIT".into(),
            symbol: None,
            underlying: None,
            action: None,
            quantity: None,
            price: None,
            value: 90_000.0,
            commission: 0.0,
            fees: 0.0,
        },
        Booked {
            days_ago: 180,
            kind: "Trade",
            sub_type: "Buy to Open",
            description: "Bought 100 SPY @ 500.00".into(),
            symbol: Some("SPY".into()),
            underlying: Some("SPY"),
            action: Some(TradeAction::BuyToOpen),
            quantity: Some(100.0),
            price: Some(500.0),
            value: -50_000.0,
            commission: 0.0,
            fees: 0.08,
        },
        Booked {
            days_ago: 120,
            kind: "Trade",
            sub_type: "Sell to Open",
            description: format!("Sold 1 SPY {} Put 470.00 @ 4.00", mmddyy(spy_put_expiration)),
            symbol: Some(spy_put.clone()),
            underlying: Some("SPY"),
            action: Some(TradeAction::SellToOpen),
            quantity: Some(1.0),
            price: Some(4.0),
            value: 400.0,
            commission: 1.0,
            fees: 0.14,
        },
        Booked {
            days_ago: 100,
            kind: "Trade",
            sub_type: "Buy to Close",
            description: format!("Bought 1 SPY {} Put 470.00 @ 1.50", mmddyy(spy_put_expiration)),
            symbol: Some(spy_put),
            underlying: Some("SPY"),
            action: Some(TradeAction::BuyToClose),
            quantity: Some(1.0),
            price: Some(1.5),
            value: -150.0,
            commission: 0.0,
            fees: 0.14,
        },
        Booked {
            days_ago: 90,
            kind: "Money Movement",
            sub_type: "Dividend",
            description: "SPDR S&P 500 ETF TRUST".into(),
            symbol: Some("SPY".into()),
            underlying: Some("SPY"),
            action: None,
            quantity: None,
            price: None,
            value: 175.0,
            commission: 0.0,
            fees: 0.0,
        },
        Booked {
            days_ago: 60,
            kind: "Trade",
            sub_type: "Sell to Open",
            description: format!("Sold 1 AAPL {} Call 230.00 @ 1.10", mmddyy(aapl_call_expiration)),
            symbol: Some(aapl_call.clone()),
            underlying: Some("AAPL"),
            action: Some(TradeAction::SellToOpen),
            quantity: Some(1.0),
            price: Some(1.1),
            value: 110.0,
            commission: 1.0,
            fees: 0.14,
        },
        Booked {
            days_ago: 30,
            kind: "Receive Deliver",
            sub_type: "Expiration",
            description: format!(
                "Removal of 1.0 AAPL {} Call 230.00 due to expiration.",
                mmddyy(aapl_call_expiration)
            ),
            symbol: Some(aapl_call),
            underlying: Some("AAPL"),
            action: Some(TradeAction::BuyToClose),
            quantity: Some(1.0),
            price: Some(0.0),
            value: 0.0,
            commission: 0.0,
            fees: 0.0,
        },
        Booked {
            days_ago: 10,
            kind: "Trade",
            sub_type: "Sell to Open",
            description: format!(
                "Sold 1 AAPL {} Put {put_strike:.2} @ 3.00",
                mmddyy(put_expiration)
            ),
            symbol: Some(put.to_owned()),
            underlying: Some("AAPL"),
            action: Some(TradeAction::SellToOpen),
            quantity: Some(1.0),
            price: Some(3.0),
            value: 300.0,
            commission: 1.0,
            fees: 0.14,
        },
    ];
    let account = AccountNumber::new(SAMPLE_ACCOUNT);
    let transactions = booked
        .into_iter()
        .enumerate()
        .map(|(i, b)| {
            let date = today.add_days(-b.days_ago);
            let instrument_type = b.symbol.as_ref().map(|s| {
                if s.len() > 6 {
                    InstrumentType::EquityOption
                } else {
                    InstrumentType::Equity
                }
            });
            Transaction {
                id: 4_100_000_001 + i as u64,
                account: account.clone(),
                executed_at: date.at_utc(15, 0),
                date,
                transaction_type: b.kind.to_owned(),
                sub_type: b.sub_type.to_owned(),
                description: b.description,
                symbol: b.symbol.as_deref().map(sym),
                instrument_type,
                underlying: b.underlying.map(sym),
                action: b.action,
                quantity: b.quantity,
                price: b.price,
                value: b.value,
                commission: b.commission,
                fees: b.fees,
                net_value: round_to(b.value - b.commission - b.fees, 2),
            }
        })
        .collect();
    // Closes already made: today's 20:00 UTC point exists only once that time has passed.
    let mut days: Vec<Date> = (0..95)
        .map(|k| today.add_days(-k))
        .filter(|d| !d.is_weekend() && d.at_utc(20, 0) <= now)
        .take(60)
        .collect();
    days.reverse();
    let n = days.len();
    let mut previous = 95_000.0;
    let net_liq = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let close = if i + 1 == n {
                100_000.0
            } else {
                round_to(
                    95_000.0 + 5_000.0 * i as f64 / (n - 1) as f64 + 400.0 * (((i * 7) % 5) as f64 - 2.0),
                    2,
                )
            };
            let open = previous;
            previous = close;
            NetLiqPoint {
                time: d.at_utc(20, 0),
                open,
                high: round_to(open.max(close) + 50.0, 2),
                low: round_to(open.min(close) - 50.0, 2),
                close,
                pending_cash: 0.0,
            }
        })
        .collect();
    let entry = |s: &str, kind: InstrumentType| WatchlistEntry {
        symbol: sym(s),
        instrument_type: Some(kind),
    };
    let watchlists = vec![
        Watchlist {
            name: "Core ETFs".into(),
            group: Some("main".into()),
            entries: vec![entry("SPY", InstrumentType::Equity)],
        },
        Watchlist {
            name: "Tech".into(),
            group: None,
            entries: vec![
                entry("AAPL", InstrumentType::Equity),
                entry("SPY", InstrumentType::Equity),
            ],
        },
        Watchlist {
            name: "Futures".into(),
            group: None,
            entries: vec![entry("/ES", InstrumentType::Future)],
        },
    ];
    (transactions, net_liq, watchlists)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The market the fake TastyTrade serves is built at the real clock, so the series must be
    /// whole at any hour: before a weekday's close (today's point is not made yet), after it,
    /// and at the weekend.
    #[test]
    fn net_liq_ends_at_the_last_close_already_made_whatever_the_hour() {
        let monday = Date::from_ymd(2026, 12, 7).unwrap();
        for (now, last) in [
            (monday.at_utc(0, 7), Date::from_ymd(2026, 12, 4).unwrap()),
            (monday.at_utc(19, 59), Date::from_ymd(2026, 12, 4).unwrap()),
            (monday.at_utc(20, 0), monday),
            (
                monday.add_days(-1).at_utc(12, 0),
                Date::from_ymd(2026, 12, 4).unwrap(),
            ),
        ] {
            let (_, points, _) = sample_history(now, "AAPL", 200.0, monday.add_days(30));
            assert_eq!(points.len(), 60, "{now}");
            assert!(points.iter().all(|p| p.time <= now), "{now}");
            let end = points.last().unwrap();
            assert_eq!((end.time, end.close), (last.at_utc(20, 0), 100_000.0), "{now}");
        }
    }
}
