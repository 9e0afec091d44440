//! The history use cases on the sample account (`testing::sample_market`): eight transactions
//! over 200 days (a deposit, 100 SPY at 500, a SPY put sold for 4.00 and bought back for 1.50,
//! a SPY dividend of 175, an AAPL call sold for 1.10 that expired, the short AAPL put sold for
//! 3.00 ten days ago) and 60 weekdays of net liq ending at 100 000.

use super::*;
use crate::testing::{sample_app, sample_market, sample_now};

fn date(days_ago: i32) -> Date {
    sample_now().date().add_days(-days_ago)
}

#[tokio::test]
async fn transactions_come_newest_first_a_page_at_a_time() {
    let app = sample_app(sample_market());
    // The default window: 90 days back, inclusive (the dividend is exactly 90 days old).
    let first = app
        .transactions_view(&TransactionsRequest {
            limit: Some(3),
            ..TransactionsRequest::default()
        })
        .await
        .unwrap();
    assert_eq!(first.start_date, date(90).to_string());
    assert_eq!(first.end_date, date(0).to_string());
    let subs: Vec<&str> = first.transactions.iter().map(|t| t.sub_type.as_str()).collect();
    assert_eq!(subs, ["Sell to Open", "Expiration", "Sell to Open"]);
    assert_eq!((first.total, first.page, first.pages), (4, 1, 2));
    assert_eq!(first.next_cursor.as_deref(), Some("1:3"));
    // 300 − 1.14 + 0 + 110 − 1.14.
    assert_eq!(first.page_net_value, 407.72);
    let put = &first.transactions[0];
    assert_eq!(put.action, Some(TradeAction::SellToOpen));
    assert_eq!((put.value, put.fees, put.net_value), (300.0, 1.14, 298.86));
    assert_eq!(put.underlying.as_deref(), Some("AAPL"));

    let second = app
        .transactions_view(&TransactionsRequest {
            cursor: first.next_cursor.as_deref().and_then(Cursor::decode),
            ..TransactionsRequest::default()
        })
        .await
        .unwrap();
    assert_eq!(second.transactions.len(), 1);
    assert_eq!(second.transactions[0].sub_type, "Dividend");
    assert_eq!((second.page, second.next_cursor), (2, None));

    // Filters: one underlying over the whole history, and one type.
    let aapl = app
        .transactions_view(&TransactionsRequest {
            start: Some(date(365)),
            symbol: Some(Symbol::parse("AAPL").unwrap()),
            ..TransactionsRequest::default()
        })
        .await
        .unwrap();
    assert_eq!(aapl.total, 3);
    let money = app
        .transactions_view(&TransactionsRequest {
            start: Some(date(365)),
            types: vec!["Money Movement".to_owned()],
            ..TransactionsRequest::default()
        })
        .await
        .unwrap();
    let subs: Vec<&str> = money.transactions.iter().map(|t| t.sub_type.as_str()).collect();
    assert_eq!(subs, ["Dividend", "Deposit"]);

    let backwards = app
        .transactions_view(&TransactionsRequest {
            start: Some(date(1)),
            end: Some(date(2)),
            ..TransactionsRequest::default()
        })
        .await
        .unwrap_err();
    assert_eq!(backwards.details["field"], "start_date");
}

#[test]
fn cursors_round_trip_and_refuse_junk() {
    let cursor = Cursor {
        page: 3,
        per_page: 25,
    };
    assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
    for junk in ["", "3", "x:25", "3:0", "3:101", "-1:5", "3:25:1"] {
        assert_eq!(Cursor::decode(junk), None, "{junk}");
    }
}

/// Over the last year: the SPY put realized 400 − 150 = 250 less fees 1.14 + 0.14 (248.72), the
/// AAPL call its 110 premium less 1.14 (108.86); the short AAPL put is still open. Fees paid in
/// the year: 0.08 (the SPY purchase) + 1.14 + 0.14 + 1.14 + 1.14 = 3.64.
#[tokio::test]
async fn realized_pnl_over_the_sample_year() {
    let app = sample_app(sample_market());
    let r = app
        .realized_pnl(&RealizedRequest {
            start: Some(date(365)),
            ..RealizedRequest::default()
        })
        .await
        .unwrap();
    assert_eq!((r.realized, r.gross, r.fees), (357.58, 360.0, 2.42));
    assert_eq!((r.closes, r.wins, r.losses), (2, 2, 0));
    assert_eq!(r.win_rate_percent, Some(100.0));
    assert_eq!(r.dividends, 175.0);
    assert_eq!(r.fees_paid, 3.64);
    let rows: Vec<(&str, f64, f64)> = r
        .by_underlying
        .iter()
        .map(|u| (u.underlying.as_str(), u.realized, u.dividends))
        .collect();
    assert_eq!(rows, [("AAPL", 108.86, 0.0), ("SPY", 248.72, 175.0)]);
    assert!(r.unmatched.is_empty() && r.warnings.is_empty());
    assert_eq!(r.transactions_read, 8);

    // The last 50 days: only the AAPL call's expiration closes; the put sold 120 days ago is
    // found by looking back for openings.
    let recent = app
        .realized_pnl(&RealizedRequest {
            start: Some(date(50)),
            symbol: Some(Symbol::parse("AAPL").unwrap()),
            ..RealizedRequest::default()
        })
        .await
        .unwrap();
    assert_eq!((recent.realized, recent.closes), (108.86, 1));
    assert_eq!(recent.symbol.as_deref(), Some("AAPL"));
}

#[tokio::test]
async fn net_liq_history_statistics_use_every_point() {
    let app = sample_app(sample_market());
    let (view, picture) = app
        .net_liq_history(&NetLiqRequest {
            account: None,
            window: NetLiqWindow::All,
            max_points: 10,
            include_chart: false,
        })
        .await
        .unwrap();
    assert!(picture.is_none());
    let points = &sample_market().net_liq_history[0].1;
    assert_eq!(view.points_total, 60);
    assert_eq!((view.points.len(), view.sampled), (10, true));
    assert_eq!(view.points.first(), view.start.as_ref());
    assert_eq!(view.points.last(), view.end.as_ref());
    // The series runs from 94 200 (95 000 − 800) to 100 000.
    assert_eq!(view.start.as_ref().unwrap().net_liq, 94_200.0);
    assert_eq!(view.end.as_ref().unwrap().net_liq, 100_000.0);
    assert_eq!(view.change, Some(5_800.0));
    assert_eq!(view.change_percent, Some(6.16), "5 800 / 94 200");
    // The largest fall, by brute force over every pair.
    let mut worst = 0.0_f64;
    for (i, a) in points.iter().enumerate() {
        for b in &points[i..] {
            worst = worst.max(a.close - b.close);
        }
    }
    assert_eq!(view.max_drawdown.as_ref().unwrap().amount, round_to(worst, 2));
    let high = points.iter().map(|p| p.close).fold(f64::MIN, f64::max);
    assert_eq!(view.high.as_ref().unwrap().net_liq, high);

    // A month: only the points of the last 31 days.
    let (month, _) = app
        .net_liq_history(&NetLiqRequest {
            account: None,
            window: NetLiqWindow::Month,
            max_points: DEFAULT_NET_LIQ_POINTS,
            include_chart: false,
        })
        .await
        .unwrap();
    let since = sample_now().add_millis(-31 * crate::time::MS_PER_DAY);
    assert_eq!(
        month.points_total,
        points.iter().filter(|p| p.time >= since).count()
    );
    assert!(!month.sampled);
}

#[test]
fn samples_keep_the_first_and_last_point() {
    assert_eq!(sample_indices(5, 10), [0, 1, 2, 3, 4]);
    assert_eq!(sample_indices(9, 3), [0, 4, 8]);
    assert_eq!(sample_indices(100, 4), [0, 33, 66, 99]);
    assert_eq!(sample_indices(7, 1), [6]);
    assert!(sample_indices(0, 5).is_empty());
}
