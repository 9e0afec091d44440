//! The `BrokerPort` contract, asserted against the canonical scenario.

use std::sync::Arc;

use ttai_core::domain::{
    AccountNumber, MarketState, NetLiqWindow, OptionType, OrderQuery, OrderRequest, OrderStatus, Symbol,
    TimeInForce, Timeframe, Transaction, TransactionQuery,
};
use ttai_core::ports::{BrokerError, BrokerPort};
use ttai_core::testing::SAMPLE_ACCOUNT;
use ttai_core::time::Timestamp;

use crate::scenario;

/// What a broker's market clock must read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpectedClock {
    /// Exactly the scenario's clock (fakes, replay tapes, a live adapter given a fixed clock).
    Scenario,
    /// The wall clock, give or take a minute (a live adapter in production configuration).
    Wall,
}

/// Makes a fresh broker serving the canonical scenario.
#[async_trait::async_trait]
pub trait BrokerHarness: Send + Sync {
    /// A new broker.
    async fn fresh(&self) -> Arc<dyn BrokerPort>;

    /// What the broker's clock must read; the scenario's unless the harness says otherwise.
    fn clock(&self) -> ExpectedClock {
        ExpectedClock::Scenario
    }

    /// Brokers of the same kind without valid credentials (none at all, refused ones), each with
    /// what it lacks. Only for harnesses declared `credentials` to `broker_contract!`.
    async fn without_valid_credentials(&self) -> Vec<(&'static str, Arc<dyn BrokerPort>)> {
        panic!("this broker harness has no credentials: do not declare the `credentials` capability")
    }
}

fn sym(s: &str) -> Symbol {
    Symbol::parse(s).unwrap()
}

/// Accounts list the scenario's account.
pub async fn accounts_lists_the_customers_accounts(h: &dyn BrokerHarness) {
    let broker = h.fresh().await;
    let accounts = broker.accounts().await.unwrap();
    assert_eq!(
        accounts.iter().map(|a| a.number.as_str()).collect::<Vec<_>>(),
        [SAMPLE_ACCOUNT]
    );
}

/// Without valid credentials, listing the accounts is `Unauthenticated`.
pub async fn accounts_without_valid_credentials_are_unauthenticated(h: &dyn BrokerHarness) {
    let brokers = h.without_valid_credentials().await;
    assert!(!brokers.is_empty(), "the harness gave no broker to check");
    for (lacking, broker) in brokers {
        let err = broker.accounts().await.unwrap_err();
        assert!(
            matches!(err, BrokerError::Unauthenticated(_)),
            "{lacking}: {err:?}"
        );
    }
}

/// Balances of the account match the scenario; an unknown account is `NotFound`.
pub async fn balances_of_an_unknown_account_are_not_found(h: &dyn BrokerHarness) {
    let broker = h.fresh().await;
    let expected = scenario::market().balances.remove(0);
    let balances = broker
        .balances(&AccountNumber::new(SAMPLE_ACCOUNT))
        .await
        .unwrap();
    assert_eq!(balances.net_liquidating_value, expected.net_liquidating_value);
    assert_eq!(balances.derivative_buying_power, expected.derivative_buying_power);
    assert_eq!(balances.maintenance_requirement, expected.maintenance_requirement);
    let err = broker
        .balances(&AccountNumber::new("NOPE0000"))
        .await
        .unwrap_err();
    assert!(matches!(err, BrokerError::NotFound(_)), "{err:?}");
}

/// Positions carry signed quantities, options their strike and expiration; an unknown account is
/// `NotFound`.
pub async fn positions_of_an_unknown_account_are_not_found(h: &dyn BrokerHarness) {
    let broker = h.fresh().await;
    let mut positions = broker
        .positions(&AccountNumber::new(SAMPLE_ACCOUNT))
        .await
        .unwrap();
    positions.sort_by(|a, b| a.symbol.cmp(&b.symbol));
    let mut expected = scenario::market().positions;
    expected.sort_by(|a, b| a.symbol.cmp(&b.symbol));
    assert_eq!(positions.len(), expected.len());
    for (got, want) in positions.iter().zip(&expected) {
        assert_eq!(got.symbol, want.symbol);
        assert_eq!(got.quantity, want.quantity);
        assert_eq!(got.average_open_price, want.average_open_price);
        assert_eq!(got.multiplier, want.multiplier);
        assert_eq!(got.option_type, want.option_type);
        assert_eq!(got.strike, want.strike);
        assert_eq!(got.expiration, want.expiration);
    }
    assert!(
        positions
            .iter()
            .any(|p| p.quantity < 0.0 && p.option_type == Some(OptionType::Put))
    );
    let err = broker
        .positions(&AccountNumber::new("NOPE0000"))
        .await
        .unwrap_err();
    assert!(matches!(err, BrokerError::NotFound(_)), "{err:?}");
}

/// Quotes answer known symbols with the scenario's prices and leave unknown ones out.
pub async fn quotes_leave_unknown_symbols_out(h: &dyn BrokerHarness) {
    let broker = h.fresh().await;
    let quotes = broker
        .quotes(&[sym("SPY"), sym("NOPE"), sym("AAPL")])
        .await
        .unwrap();
    assert_eq!(quotes.len(), 2);
    for q in &quotes {
        let want = scenario::market()
            .quotes
            .into_iter()
            .find(|w| w.symbol == q.symbol)
            .unwrap();
        assert_eq!(q.bid, want.bid);
        assert_eq!(q.ask, want.ask);
        assert_eq!(q.last, want.last);
        assert_eq!(q.prev_close, want.prev_close);
        assert_eq!(q.mid(), want.mid());
    }
    assert!(broker.quotes(&[]).await.unwrap().is_empty());
}

/// Asking again gives the same quotes, however the broker answers the second time (a streaming
/// broker answers from its stream once it has the symbol), and `live_quotes` only ever returns
/// quotes of the symbols asked, equal to the ones `quotes` gives.
pub async fn quotes_asked_again_agree(h: &dyn BrokerHarness) {
    let broker = h.fresh().await;
    let symbols = [sym("AAPL"), sym("SPY")];
    let first = broker.quotes(&symbols).await.unwrap();
    for _ in 0..50 {
        if broker.live_quotes(&symbols).len() == symbols.len() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let again = broker.quotes(&symbols).await.unwrap();
    assert_eq!(
        again.iter().map(|q| q.symbol.as_str()).collect::<Vec<_>>(),
        ["AAPL", "SPY"],
        "in the order asked"
    );
    for (a, b) in first.iter().zip(&again) {
        assert_eq!(
            (a.bid, a.ask, a.last, a.prev_close),
            (b.bid, b.ask, b.last, b.prev_close)
        );
    }
    for live in broker.live_quotes(&[sym("SPY")]) {
        assert_eq!(live.symbol.as_str(), "SPY");
        assert_eq!((live.bid, live.ask), (again[1].bid, again[1].ask));
    }
}

/// Chains are sorted (expirations, strikes) with OCC symbols and two-sided markets; an unknown
/// underlying is `NotFound`.
pub async fn option_chain_of_an_unknown_underlying_is_not_found(h: &dyn BrokerHarness) {
    let broker = h.fresh().await;
    let chain = broker.option_chain(&sym("SPY")).await.unwrap();
    let want = scenario::market()
        .chains
        .into_iter()
        .find(|c| c.underlying.as_str() == "SPY")
        .unwrap();
    assert_eq!(chain.expirations.len(), want.expirations.len());
    assert!(chain.expirations.len() >= 2);
    assert!(chain.expirations.windows(2).all(|w| w[0].date < w[1].date));
    for (got, exp) in chain.expirations.iter().zip(&want.expirations) {
        assert_eq!(got.date, exp.date);
        assert!(got.strikes.windows(2).all(|w| w[0].strike < w[1].strike));
        for (row, want_row) in got.strikes.iter().zip(&exp.strikes) {
            assert_eq!(row.strike, want_row.strike);
            let put = row.put.as_ref().unwrap();
            assert_eq!(put.symbol.len(), 21, "OCC symbol {}", put.symbol);
            assert_eq!(put.bid, want_row.put.as_ref().unwrap().bid);
            assert_eq!(put.ask, want_row.put.as_ref().unwrap().ask);
        }
    }
    let err = broker.option_chain(&sym("NOPE")).await.unwrap_err();
    assert!(matches!(err, BrokerError::NotFound(_)), "{err:?}");
}

/// A futures product is quoted (as its active contract) under its own symbol, and its option
/// chain gives every expiration the contract it delivers, with that contract's price.
pub async fn futures_are_quoted_and_their_options_chained(h: &dyn BrokerHarness) {
    let broker = h.fresh().await;
    let market = scenario::market();
    let quotes = broker.quotes(&[sym("/ES")]).await.unwrap();
    let want = market.quotes.iter().find(|q| q.symbol.as_str() == "/ES").unwrap();
    assert_eq!(quotes.len(), 1);
    assert_eq!(quotes[0].symbol.as_str(), "/ES");
    assert_eq!(
        (quotes[0].bid, quotes[0].ask, quotes[0].last),
        (want.bid, want.ask, want.last)
    );
    let chain = broker.option_chain(&sym("/ES")).await.unwrap();
    let want = market
        .chains
        .iter()
        .find(|c| c.underlying.as_str() == "/ES")
        .unwrap();
    assert_eq!(chain.shares_per_contract, want.shares_per_contract);
    assert_eq!(chain.expirations.len(), want.expirations.len());
    for (got, exp) in chain.expirations.iter().zip(&want.expirations) {
        assert_eq!(got.date, exp.date);
        assert_eq!(
            got.underlying, exp.underlying,
            "the delivered contract and its price"
        );
        let row = got
            .strikes
            .iter()
            .find(|r| r.put.as_ref().is_some_and(|p| p.bid.is_some()));
        if let Some(row) = row {
            let want_row = exp.strikes.iter().find(|r| r.strike == row.strike).unwrap();
            assert_eq!(row.put.as_ref().unwrap().bid, want_row.put.as_ref().unwrap().bid);
        }
    }
}

/// Market metrics answer known symbols in fractions and leave unknown ones out.
pub async fn market_metrics_leave_unknown_symbols_out(h: &dyn BrokerHarness) {
    let broker = h.fresh().await;
    let metrics = broker.market_metrics(&[sym("AAPL"), sym("NOPE")]).await.unwrap();
    assert_eq!(metrics.len(), 1);
    let m = &metrics[0];
    let want = scenario::market()
        .metrics
        .into_iter()
        .find(|w| w.symbol.as_str() == "AAPL")
        .unwrap();
    assert_eq!(m.iv_rank, want.iv_rank);
    assert_eq!(m.iv_index, want.iv_index);
    assert_eq!(m.earnings_date, want.earnings_date);
    assert!(m.iv_rank.unwrap() <= 1.0, "IV rank is a fraction");
}

/// Daily candles are oldest first and honour `since`; an unknown symbol is `NotFound`.
pub async fn candles_are_oldest_first_and_honour_since(h: &dyn BrokerHarness) {
    let broker = h.fresh().await;
    let all = broker
        .candles(&sym("SPY"), Timeframe::Daily, Timestamp::from_millis(0))
        .await
        .unwrap();
    assert_eq!(all.len(), 300);
    assert!(all.windows(2).all(|w| w[0].time < w[1].time));
    let since = all[250].time;
    let recent = broker
        .candles(&sym("SPY"), Timeframe::Daily, since)
        .await
        .unwrap();
    assert_eq!(recent.len(), 50);
    assert_eq!(recent[0], all[250]);
    let err = broker
        .candles(&sym("NOPE"), Timeframe::Daily, since)
        .await
        .unwrap_err();
    assert!(matches!(err, BrokerError::NotFound(_)), "{err:?}");
}

/// A broker that knows which series it carries (a fake, a tape) says `Unsupported` for a
/// timeframe it lacks; the analysis then builds weekly bars from daily ones.
pub async fn a_series_not_carried_is_unsupported(h: &dyn BrokerHarness) {
    let broker = h.fresh().await;
    let err = broker
        .candles(&sym("SPY"), Timeframe::Weekly, Timestamp::from_millis(0))
        .await
        .unwrap_err();
    assert!(matches!(err, BrokerError::Unsupported(_)), "{err:?}");
}

/// Symbol search ranks by ticker then name and honours the limit.
pub async fn symbol_search_ranks_and_limits(h: &dyn BrokerHarness) {
    let broker = h.fresh().await;
    let found = broker.search_symbols("apple", 5).await.unwrap();
    assert_eq!(found.first().map(|m| m.symbol.as_str()), Some("AAPL"));
    let found = broker.search_symbols("SPY", 5).await.unwrap();
    assert_eq!(found.first().map(|m| m.symbol.as_str()), Some("SPY"));
    assert!(broker.search_symbols("a", 1).await.unwrap().len() <= 1);
    assert!(broker.search_symbols("zzzzzz", 5).await.unwrap().is_empty());
}

/// The market clock and the source are reported: the clock the harness expects (the scenario's,
/// or the wall clock for a live broker).
pub async fn clock_and_source_are_reported(h: &dyn BrokerHarness) {
    let broker = h.fresh().await;
    let _ = broker.accounts().await.unwrap();
    match h.clock() {
        ExpectedClock::Scenario => assert_eq!(broker.now(), scenario::now()),
        ExpectedClock::Wall => {
            let wall = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis() as i64;
            let skew = broker.now().millis() - wall;
            assert!(skew.abs() <= 60_000, "clock is {skew} ms off the wall clock");
        }
    }
    assert!(!broker.info().source.is_empty());
    assert_eq!(broker.is_live(), broker.info().live, "is_live agrees with info");
}

/// Transactions come a page at a time, newest first, each exactly as the scenario booked it
/// (signed cash, fees, action, symbols); filters by underlying, type and dates hold; an unknown
/// account is `NotFound`.
pub async fn transactions_page_newest_first_and_filter(h: &dyn BrokerHarness) {
    let broker = h.fresh().await;
    let account = AccountNumber::new(SAMPLE_ACCOUNT);
    let expected = scenario::market().transactions;
    assert_eq!(expected.len(), 8);
    let mut query = TransactionQuery::between(None, None, 3);
    let mut seen: Vec<Transaction> = Vec::new();
    loop {
        let page = broker.transactions(&account, &query).await.unwrap();
        assert_eq!(
            (page.total_items, page.total_pages),
            (8, 3),
            "page {}",
            query.page
        );
        assert!(page.items.len() <= 3);
        seen.extend(page.items.iter().cloned());
        if !page.has_more() {
            break;
        }
        query.page += 1;
        assert!(query.page < 10, "the pages end");
    }
    assert_eq!(seen.len(), 8);
    assert!(
        seen.windows(2).all(|w| w[0].executed_at >= w[1].executed_at),
        "newest first"
    );
    for got in &seen {
        let want = expected.iter().find(|t| t.id == got.id).unwrap();
        assert_eq!(
            (&got.date, &got.transaction_type, &got.sub_type, got.action),
            (&want.date, &want.transaction_type, &want.sub_type, want.action),
            "{}",
            want.id
        );
        assert_eq!((&got.symbol, &got.underlying), (&want.symbol, &want.underlying));
        assert_eq!((got.quantity, got.price), (want.quantity, want.price));
        assert_eq!(
            (got.value, got.total_fees(), got.net_value),
            (want.value, want.total_fees(), want.net_value),
            "{}",
            want.id
        );
        assert_eq!(got.executed_at, want.executed_at);
    }
    let mut aapl = TransactionQuery::between(None, None, 50);
    aapl.underlying = Some(sym("AAPL"));
    assert_eq!(broker.transactions(&account, &aapl).await.unwrap().total_items, 3);
    let mut money = TransactionQuery::between(None, None, 50);
    money.types = vec!["Money Movement".to_owned()];
    let money = broker.transactions(&account, &money).await.unwrap();
    assert_eq!(
        money
            .items
            .iter()
            .map(|t| t.sub_type.as_str())
            .collect::<Vec<_>>(),
        ["Dividend", "Deposit"]
    );
    let dividend = money.items[0].date;
    let one_day = TransactionQuery::between(Some(dividend), Some(dividend), 50);
    assert_eq!(
        broker.transactions(&account, &one_day).await.unwrap().items.len(),
        1
    );
    let err = broker
        .transactions(&AccountNumber::new("NOPE0000"), &query)
        .await
        .unwrap_err();
    assert!(matches!(err, BrokerError::NotFound(_)), "{err:?}");
}

/// The net-liq series is in time order and ends at the balances' net liq; a shorter window is
/// the tail of a longer one; an unknown account is `NotFound`.
pub async fn net_liq_history_windows_nest(h: &dyn BrokerHarness) {
    let broker = h.fresh().await;
    let account = AccountNumber::new(SAMPLE_ACCOUNT);
    let market = scenario::market();
    let all = broker.net_liq_history(&account, NetLiqWindow::All).await.unwrap();
    assert_eq!(all.len(), market.net_liq_history[0].1.len());
    assert!(all.windows(2).all(|w| w[0].time < w[1].time));
    assert_eq!(
        all.last().map(|p| p.close),
        Some(market.balances[0].net_liquidating_value)
    );
    for (got, want) in all.iter().zip(&market.net_liq_history[0].1) {
        assert_eq!(
            (got.time, got.open, got.high, got.low, got.close),
            (want.time, want.open, want.high, want.low, want.close)
        );
    }
    let month = broker
        .net_liq_history(&account, NetLiqWindow::Month)
        .await
        .unwrap();
    assert!(!month.is_empty() && month.len() < all.len());
    assert_eq!(month.as_slice(), &all[all.len() - month.len()..]);
    let err = broker
        .net_liq_history(&AccountNumber::new("NOPE0000"), NetLiqWindow::Month)
        .await
        .unwrap_err();
    assert!(matches!(err, BrokerError::NotFound(_)), "{err:?}");
}

/// The customer's watchlists, in their order, with their symbols.
pub async fn watchlists_are_the_customers(h: &dyn BrokerHarness) {
    let broker = h.fresh().await;
    let lists = broker.watchlists().await.unwrap();
    let want = scenario::market().watchlists;
    assert_eq!(
        lists.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(),
        want.iter().map(|l| l.name.as_str()).collect::<Vec<_>>()
    );
    for (got, want) in lists.iter().zip(&want) {
        let symbols =
            |l: &ttai_core::domain::Watchlist| l.entries.iter().map(|e| e.symbol.clone()).collect::<Vec<_>>();
        assert_eq!(symbols(got), symbols(want), "{}", want.name);
    }
}

/// The market's hours follow the NYSE calendar: at the scenario's clock (Friday 2025-06-13,
/// 16:00 New York, the close) the market is in extended hours, between Thursday's session and
/// Monday's; the calendar has Juneteenth, Independence Day and the early close before it.
pub async fn market_hours_follow_the_calendar(h: &dyn BrokerHarness) {
    let broker = h.fresh().await;
    let session = broker.market_session().await.unwrap();
    let calendar = broker.market_calendar().await.unwrap();
    let d = |s: &str| s.parse::<ttai_core::time::Date>().unwrap();
    for holiday in ["2025-06-19", "2025-07-04"] {
        assert!(calendar.holidays.contains(&d(holiday)), "{holiday}");
    }
    assert!(calendar.half_days.contains(&d("2025-07-03")));
    assert!(calendar.holidays.windows(2).all(|w| w[0] < w[1]));
    if h.clock() == ExpectedClock::Scenario {
        assert_eq!(session.state, MarketState::Extended);
        let current = session.current.unwrap();
        assert_eq!(current.date, d("2025-06-13"));
        assert_eq!(current.open_at.to_string(), "2025-06-13T13:30:00Z");
        assert_eq!(current.close_at, scenario::now());
        assert_eq!(session.next.unwrap().date, d("2025-06-16"));
        assert_eq!(session.previous.unwrap().date, d("2025-06-12"));
        assert_eq!(session.as_of, scenario::now());
    }
}

/// The scenario's first SPY expiration's put nearest 95 % of the price, sold `quantity` at
/// `price` (`None`: one dollar above its ask, which no market reaches at once).
fn spy_put_order(quantity: u32, price: Option<f64>) -> OrderRequest {
    let market = scenario::market();
    let chain = market
        .chains
        .iter()
        .find(|c| c.underlying.as_str() == "SPY")
        .unwrap();
    let spot = chain.underlying_price.unwrap();
    let row = chain.expirations[0]
        .strikes
        .iter()
        .min_by(|a, b| {
            (a.strike - spot * 0.95)
                .abs()
                .total_cmp(&(b.strike - spot * 0.95).abs())
        })
        .unwrap();
    let put = row.put.as_ref().unwrap();
    let price = price.unwrap_or_else(|| ((put.ask.unwrap() + 1.0) * 100.0).round() / 100.0);
    OrderRequest {
        time_in_force: TimeInForce::Gtc,
        ..ttai_core::testing::sell_to_open("SPY", &put.symbol, quantity, price)
    }
}

/// A dry run reports the order, its buying-power effect and its fees, and places nothing; an
/// unknown account is `NotFound`.
pub async fn a_dry_run_reports_the_effect_and_fees_and_places_nothing(h: &dyn BrokerHarness) {
    let broker = h.fresh().await;
    let account = AccountNumber::new(SAMPLE_ACCOUNT);
    let order = spy_put_order(1, None);
    let preview = broker.dry_run_order(&account, &order).await.unwrap();
    assert!(preview.accepted(), "{:?}", preview.errors);
    let dry = preview.order.as_ref().unwrap();
    assert_eq!(dry.id, None, "a dry run has no id");
    assert_eq!(
        dry.request().unwrap().fingerprint(),
        order.fingerprint(),
        "the same order back"
    );
    let effect = preview.buying_power_effect.as_ref().unwrap();
    assert!(effect.used() > 0.0, "a short put uses buying power: {effect:?}");
    assert_eq!(preview.fees.as_ref().unwrap().total_fees, 1.13);
    assert!(
        broker
            .orders(&account, &OrderQuery::Live)
            .await
            .unwrap()
            .is_empty()
    );
    let err = broker
        .dry_run_order(&AccountNumber::new("NOPE0000"), &order)
        .await
        .unwrap_err();
    assert!(matches!(err, BrokerError::NotFound(_)), "{err:?}");
}

/// An order the account cannot carry is refused with the broker's error, and the dry run still
/// reports its buying-power effect; placing it places nothing.
pub async fn an_order_beyond_the_buying_power_is_refused_with_its_effect(h: &dyn BrokerHarness) {
    let broker = h.fresh().await;
    let account = AccountNumber::new(SAMPLE_ACCOUNT);
    let order = spy_put_order(500, None);
    let preview = broker.dry_run_order(&account, &order).await.unwrap();
    assert!(!preview.accepted());
    assert!(
        preview.errors.iter().any(|e| e.code == "margin_check_failed"),
        "{:?}",
        preview.errors
    );
    assert!(preview.buying_power_effect.unwrap().used() > 40_000.0);
    let placed = broker.place_order(&account, &order).await.unwrap();
    assert!(placed.order.is_none() && !placed.accepted());
    assert!(
        broker
            .orders(&account, &OrderQuery::Live)
            .await
            .unwrap()
            .is_empty()
    );
}

/// A placed order gets an id, is listed today and by id, is cancelled once, and a second cancel
/// is `Rejected`; an unknown order is `NotFound`.
pub async fn a_placed_order_is_listed_and_cancelled_once(h: &dyn BrokerHarness) {
    let broker = h.fresh().await;
    let account = AccountNumber::new(SAMPLE_ACCOUNT);
    let order = spy_put_order(1, None);
    let placed = broker.place_order(&account, &order).await.unwrap();
    let held = placed.order.unwrap();
    let id = held.id.clone().unwrap();
    assert_eq!(held.status, OrderStatus::Live, "not marketable: it works");
    assert!(held.cancellable);
    assert_eq!(held.request().unwrap().fingerprint(), order.fingerprint());
    let today = broker.orders(&account, &OrderQuery::Live).await.unwrap();
    assert_eq!(
        today.iter().filter_map(|o| o.id.as_deref()).collect::<Vec<_>>(),
        [id.as_str()]
    );
    let since = broker
        .orders(
            &account,
            &OrderQuery::Since {
                date: scenario::now().date().add_days(-7),
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert_eq!(since.len(), 1);
    assert_eq!(
        broker.order(&account, &id).await.unwrap().status,
        OrderStatus::Live
    );
    let cancelled = broker.cancel_order(&account, &id).await.unwrap();
    assert_eq!(cancelled.status, OrderStatus::Cancelled);
    assert!(!cancelled.cancellable);
    let again = broker.cancel_order(&account, &id).await.unwrap_err();
    assert!(matches!(again, BrokerError::Rejected(_)), "{again:?}");
    let unknown = broker.order(&account, "999999999").await.unwrap_err();
    assert!(matches!(unknown, BrokerError::NotFound(_)), "{unknown:?}");
}

/// Expands every broker check into a `#[tokio::test]` against `$harness`.
///
/// Capabilities after a `;` add the checks that need them: `candles` (the broker serves candle
/// series), `catalog` (it knows which series it carries, so a missing one is `Unsupported`) and
/// `credentials` (it logs in, so it can lack credentials) and `orders` (it takes orders: dry
/// runs, placing, listing, cancelling).
/// `broker_contract!(harness; candles, catalog)` for the fake and replay brokers;
/// `broker_contract!(harness; candles)` for the live adapter (TastyTrade serves any period), so
/// a check is not generated rather than passing vacuously.
#[macro_export]
macro_rules! broker_contract {
    (@capability candles $harness:expr) => {
        $crate::broker_contract!(@checks $harness; candles_are_oldest_first_and_honour_since);
    };
    (@capability catalog $harness:expr) => {
        $crate::broker_contract!(@checks $harness; a_series_not_carried_is_unsupported);
    };
    (@capability credentials $harness:expr) => {
        $crate::broker_contract!(@checks $harness; accounts_without_valid_credentials_are_unauthenticated);
    };
    (@capability orders $harness:expr) => {
        $crate::broker_contract!(@checks $harness;
            a_dry_run_reports_the_effect_and_fees_and_places_nothing,
            an_order_beyond_the_buying_power_is_refused_with_its_effect,
            a_placed_order_is_listed_and_cancelled_once,
        );
    };
    (@checks $harness:expr; $($check:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $check() {
                let harness = $harness;
                $crate::broker::$check(&harness).await;
            }
        )*
    };
    ($harness:expr $(; $($capability:ident),* $(,)?)?) => {
        $crate::broker_contract!(@checks $harness;
            accounts_lists_the_customers_accounts,
            balances_of_an_unknown_account_are_not_found,
            positions_of_an_unknown_account_are_not_found,
            quotes_leave_unknown_symbols_out,
            quotes_asked_again_agree,
            option_chain_of_an_unknown_underlying_is_not_found,
            futures_are_quoted_and_their_options_chained,
            market_metrics_leave_unknown_symbols_out,
            symbol_search_ranks_and_limits,
            clock_and_source_are_reported,
            transactions_page_newest_first_and_filter,
            net_liq_history_windows_nest,
            watchlists_are_the_customers,
            market_hours_follow_the_calendar,
        );
        $($( $crate::broker_contract!(@capability $capability $harness); )*)?
    };
}
