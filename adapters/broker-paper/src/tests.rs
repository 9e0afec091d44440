#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use super::*;
use ttai_core::domain::{Candle, OptionContract, TimeInForce};
use ttai_core::testing::{FakeBroker, InMemoryStore, SAMPLE_ACCOUNT, sample_market, sample_now};

fn account() -> AccountNumber {
    AccountNumber::new(SAMPLE_ACCOUNT)
}

/// The sample market's SPY put nearest 95 % of the price, first expiration.
fn spy_put(fake: &FakeBroker) -> (OptionContract, f64, ttai_core::time::Date) {
    let mut found = None;
    fake.update_market(|m| {
        let chain = m.chains.iter().find(|c| c.underlying.as_str() == "SPY").unwrap();
        let spot = chain.underlying_price.unwrap();
        let expiration = &chain.expirations[0];
        let row = expiration
            .strikes
            .iter()
            .min_by(|a, b| {
                (a.strike - spot * 0.95)
                    .abs()
                    .total_cmp(&(b.strike - spot * 0.95).abs())
            })
            .unwrap();
        found = Some((row.put.clone().unwrap(), spot, expiration.date));
    });
    found.unwrap()
}

fn sell(contract: &OptionContract, price: f64, quantity: u32) -> OrderRequest {
    OrderRequest {
        time_in_force: TimeInForce::Gtc,
        ..ttai_core::testing::sell_to_open("SPY", &contract.symbol, quantity, price)
    }
}

fn setup() -> (Arc<FakeBroker>, Arc<InMemoryStore>, PaperBroker) {
    let fake = Arc::new(FakeBroker::new(sample_market(), sample_now()));
    let store = Arc::new(InMemoryStore::new());
    let paper = PaperBroker::new(fake.clone(), store.clone());
    (fake, store, paper)
}

#[tokio::test]
async fn a_put_sold_at_the_mid_fills_and_shows_in_positions_and_balances() {
    let (fake, store, paper) = setup();
    assert_eq!(paper.info().source, "fake+paper");
    assert!(paper.is_paper());
    let (put, _, _) = spy_put(&fake);
    let mid = ((put.bid.unwrap() + put.ask.unwrap()) / 2.0 * 100.0).floor() / 100.0;
    let before = paper.balances(&account()).await.unwrap();
    let order = sell(&put, mid, 2);
    let dry = paper.dry_run_order(&account(), &order).await.unwrap();
    let used = dry.buying_power_effect.as_ref().unwrap().used();
    assert!(used > 0.0 && dry.errors.is_empty(), "{dry:?}");
    let placed = paper.place_order(&account(), &order).await.unwrap();
    let filled = placed.order.unwrap();
    assert_eq!(
        filled.status,
        OrderStatus::Filled,
        "a limit at the mid fills at once"
    );
    assert_eq!(filled.id.as_deref(), Some("paper-1"));
    assert_eq!(filled.fill_price(), Some(mid));
    // The wrapped broker saw no order.
    assert_eq!(fake.calls("place_order"), 0);
    let positions = paper.positions(&account()).await.unwrap();
    let short = positions
        .iter()
        .find(|p| p.symbol.as_str() == put.symbol)
        .unwrap();
    assert_eq!((short.quantity, short.average_open_price), (-2.0, mid));
    assert!(short.mark.is_some(), "marked from the chain");
    let after = paper.balances(&account()).await.unwrap();
    let credit = mid * 200.0 - 2.26;
    assert!((after.cash_balance - (before.cash_balance + credit)).abs() < 0.01);
    // The buying power the dry run said, within the requirement's mark-to-market since.
    assert!(
        (before.derivative_buying_power - after.derivative_buying_power - used).abs() < 1.0,
        "{} − {} vs {used}",
        before.derivative_buying_power,
        after.derivative_buying_power
    );
    // The book is in the store: another paper broker over it sees the same, and says paper
    // once it has read a book with trades even where it would not announce itself.
    let again = PaperBroker::new(fake.clone(), store).announced(false);
    assert_eq!(again.info().source, "fake");
    assert_eq!(again.positions(&account()).await.unwrap(), positions);
    assert_eq!(again.info().source, "fake+paper");
    let today = again.orders(&account(), &OrderQuery::Live).await.unwrap();
    assert_eq!(today.len(), 1);
}

#[tokio::test]
async fn an_order_away_from_the_mid_works_until_cancelled_and_a_day_order_expires() {
    let (fake, _, paper) = setup();
    let (put, _, _) = spy_put(&fake);
    let high = ((put.ask.unwrap() + 1.0) * 100.0).round() / 100.0;
    let placed = paper.place_order(&account(), &sell(&put, high, 1)).await.unwrap();
    let order = placed.order.unwrap();
    assert_eq!(order.status, OrderStatus::Live);
    let id = order.id.unwrap();
    let cancelled = paper.cancel_order(&account(), &id).await.unwrap();
    assert_eq!(cancelled.status, OrderStatus::Cancelled);
    assert!(matches!(
        paper.cancel_order(&account(), &id).await,
        Err(BrokerError::Rejected(_))
    ));
    assert!(matches!(
        paper.cancel_order(&account(), "paper-99").await,
        Err(BrokerError::NotFound(_))
    ));
    // A day order placed at the close (20:00 UTC = 16:00 New York in June) works until
    // Monday's close, then expires.
    let mut day = sell(&put, high, 1);
    day.time_in_force = TimeInForce::Day;
    let id = paper
        .place_order(&account(), &day)
        .await
        .unwrap()
        .order
        .unwrap()
        .id
        .unwrap();
    fake.set_now(sample_now().add_millis(3 * 86_400_000 + 3_600_000));
    let order = paper.order(&account(), &id).await.unwrap();
    assert_eq!(order.status, OrderStatus::Expired);
    // And it is no longer among today's, but among the recent.
    let recent = paper
        .orders(
            &account(),
            &OrderQuery::Since {
                date: sample_now().date(),
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert_eq!(recent.len(), 2);
}

#[tokio::test]
async fn an_order_the_account_cannot_carry_is_refused_with_the_brokers_error() {
    let (fake, _, paper) = setup();
    let (put, _, _) = spy_put(&fake);
    let huge = sell(&put, put.bid.unwrap(), 500);
    let placed = paper.place_order(&account(), &huge).await.unwrap();
    assert!(placed.order.is_none());
    assert_eq!(placed.errors[0].code, "margin_check_failed");
    assert!(
        paper
            .orders(&account(), &OrderQuery::Live)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        paper.place_order(&AccountNumber::new("NOPE"), &huge).await,
        Err(BrokerError::NotFound(_))
    ));
}

/// Sells a put at its bid (fills at once), moves the clock past its expiration with a daily bar
/// closing at `close` on that date, and returns the positions and balances before and after.
async fn through_expiration(
    close_below_strike_by: f64,
) -> (Vec<Position>, Balances, Balances, OptionContract, f64) {
    let (fake, _, paper) = setup();
    let (put, _, expiration) = spy_put(&fake);
    let bid = put.bid.unwrap();
    paper.place_order(&account(), &sell(&put, bid, 1)).await.unwrap();
    let before = paper.balances(&account()).await.unwrap();
    let strike = parse_occ(&put.symbol).unwrap().strike;
    let close = strike - close_below_strike_by;
    fake.update_market(|m| {
        for (symbol, _, candles) in &mut m.candles {
            if symbol.as_str() == "SPY" {
                candles.push(Candle {
                    time: expiration.at_utc(13, 30),
                    open: close,
                    high: close + 1.0,
                    low: close - 1.0,
                    close,
                    volume: 1.0,
                });
            }
        }
    });
    fake.set_now(expiration.add_days(1).at_utc(15, 0));
    let positions = paper.positions(&account()).await.unwrap();
    let after = paper.balances(&account()).await.unwrap();
    (positions, before, after, put, close)
}

#[tokio::test]
async fn a_short_put_in_the_money_at_expiration_is_assigned_into_shares() {
    let (positions, before, after, put, _) = through_expiration(10.0).await;
    let strike = parse_occ(&put.symbol).unwrap().strike;
    assert!(
        positions.iter().all(|p| p.symbol.as_str() != put.symbol),
        "the put is gone"
    );
    let spy = positions.iter().find(|p| p.symbol.as_str() == "SPY").unwrap();
    // The sample account held 100 shares at 500; 100 more at the strike.
    assert_eq!(spy.quantity, 200.0);
    assert!((spy.average_open_price - (500.0 + strike) / 2.0).abs() < 1e-9);
    assert!((before.cash_balance - after.cash_balance - strike * 100.0).abs() < 0.01);
}

#[tokio::test]
async fn a_short_put_out_of_the_money_at_expiration_expires_worthless() {
    let (positions, before, after, put, _) = through_expiration(-10.0).await;
    assert!(positions.iter().all(|p| p.symbol.as_str() != put.symbol));
    assert_eq!(
        positions
            .iter()
            .find(|p| p.symbol.as_str() == "SPY")
            .unwrap()
            .quantity,
        100.0
    );
    assert!(
        (after.cash_balance - before.cash_balance).abs() < 0.01,
        "the credit stays, nothing more"
    );
}
