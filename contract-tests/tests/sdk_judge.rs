//! The official TastyTrade SDK (tastyware `tastytrade`, pinned and installed into `.venv` by
//! `.ci/setup-python`) judges the fake TastyTrade server.
//!
//! ttai's live adapter first runs every call it makes against the fake (accounts, balances,
//! positions, quotes of stocks, an index, options, a futures product, a contract and an option on
//! it, equity and futures option chains with the stream's greeks, metrics, search, daily, weekly
//! and intraday candles, transactions page by page and filtered, the net-liq history,
//! watchlists, the market's session and holidays, order dry runs (one refused by the preflight
//! check), an order placed, listed, read and cancelled); then `sdk_judge/judge.py` reads every answer ttai received with
//! the SDK's own models, makes the SDK's own calls, streams every DXLink event type ttai
//! subscribed to through the SDK, and checks the OAuth error. The test fails on any model that
//! does not validate, any event the SDK skips, or any request of ttai's the judge has no model
//! for. When a new SDK release changes a model, this is where we learn that the API moved.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use broker_tastytrade::{StreamSettings, TastyConfig, TastyTradeBroker};
use contract_tests::fake_tastytrade::{Endpoint, FakeOptions, FakeTastyTrade};
use contract_tests::scenario;
use serde_json::{Value, json};
use ttai_core::domain::{
    AccountNumber, NetLiqWindow, OrderQuery, OrderRequest, Symbol, Timeframe, TransactionQuery,
};
use ttai_core::ports::BrokerPort;
use ttai_core::testing::{SAMPLE_ACCOUNT, sample_now};
use ttai_core::time::Timestamp;

/// An index the adapter does not know by name: it must be recognised through the instruments API.
const INDEX: &str = "XND";

fn sym(s: &str) -> Symbol {
    Symbol::parse(s).unwrap()
}

/// Sells `quantity` of the option `occ` at `price` (a credit), as ttai would.
fn order_of(occ: &str, quantity: u32, price: f64) -> OrderRequest {
    ttai_core::testing::sell_to_open("SPY", occ, quantity, price)
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The canonical scenario plus a cash index.
fn fake() -> FakeTastyTrade {
    let mut options = FakeOptions::scenario();
    options
        .market
        .quotes
        .push(scenario::index_quote(INDEX, 2135.42, 2119.87));
    FakeTastyTrade::start_with(options).unwrap()
}

fn broker(fake: &FakeTastyTrade) -> TastyTradeBroker {
    TastyTradeBroker::new(TastyConfig {
        api_url: fake.url(),
        user_agent: "ttai-sdk-judge/1".to_owned(),
        timeout: Duration::from_secs(10),
        credentials: Some(fake.credentials()),
        now: sample_now,
        streaming: Some(StreamSettings {
            candle_timeout: Duration::from_secs(10),
            ..StreamSettings::standard()
        }),
    })
}

/// Runs the judge on `plan`, at most three minutes; returns its summary.
fn run_judge(plan: &Value) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.json");
    std::fs::write(&path, plan.to_string()).unwrap();
    let mut child = Command::new(scenario::venv_python())
        .arg(repo().join("contract-tests/sdk_judge/judge.py"))
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(180);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the SDK judge did not finish within 180 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the official SDK rejected what the fake serves:\n{stderr}\n{stdout}"
    );
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("judge summary {last:?}: {e}\n{stderr}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_sdk_accepts_everything_the_fake_serves() {
    let fake = fake();
    let broker = broker(&fake);
    let account = AccountNumber::new(SAMPLE_ACCOUNT);

    // Everything ttai asks of TastyTrade.
    broker.accounts().await.unwrap();
    broker.balances(&account).await.unwrap();
    broker.positions(&account).await.unwrap();
    let spy = broker.option_chain(&sym("SPY")).await.unwrap();
    let es = broker.option_chain(&sym("/ES")).await.unwrap();
    let first = |chain: &ttai_core::domain::OptionChain| {
        chain.expirations[0].strikes[8]
            .put
            .as_ref()
            .unwrap()
            .symbol
            .clone()
    };
    let occ = first(&spy);
    let future_option = first(&es);
    let contract = es.expirations[0].underlying.as_ref().unwrap().symbol.clone();
    let quoted = [
        "SPY",
        "AAPL",
        INDEX,
        "/ES",
        contract.as_str(),
        occ.as_str(),
        future_option.as_str(),
        "NOPE",
    ];
    let symbols: Vec<Symbol> = quoted.iter().map(|s| sym(s)).collect();
    let quotes = broker.quotes(&symbols).await.unwrap();
    assert_eq!(
        quotes.iter().map(|q| q.symbol.as_str()).collect::<Vec<_>>(),
        &quoted[..quoted.len() - 1],
        "every known symbol quoted, the index found through the instruments API"
    );
    broker
        .market_metrics(&[sym("SPY"), sym("AAPL"), sym("/ES")])
        .await
        .unwrap();
    broker.search_symbols("apple", 5).await.unwrap();
    // The history in pages of three, filtered; the net-liq series; watchlists; the market's hours.
    let mut query = TransactionQuery::between(None, None, 3);
    while broker.transactions(&account, &query).await.unwrap().has_more() {
        query.page += 1;
    }
    let mut filtered = TransactionQuery::between(None, None, 50);
    filtered.underlying = Some(sym("AAPL"));
    filtered.types = vec!["Trade".to_owned(), "Receive Deliver".to_owned()];
    broker.transactions(&account, &filtered).await.unwrap();
    broker
        .net_liq_history(&account, NetLiqWindow::Month)
        .await
        .unwrap();
    broker.watchlists().await.unwrap();
    broker.market_session().await.unwrap();
    broker.market_calendar().await.unwrap();
    // Orders: a dry run, one refused by the preflight check, an order placed, listed today, in
    // the history and by id, and cancelled.
    let order = order_of(&occ, 1, 99.0);
    assert!(broker.dry_run_order(&account, &order).await.unwrap().accepted());
    let refused = broker
        .dry_run_order(&account, &order_of(&occ, 500, 1.0))
        .await
        .unwrap();
    assert!(!refused.accepted() && refused.buying_power_effect.is_some());
    let placed = broker.place_order(&account, &order).await.unwrap();
    let id = placed.order.unwrap().id.unwrap();
    broker.orders(&account, &OrderQuery::Live).await.unwrap();
    broker
        .orders(
            &account,
            &OrderQuery::Since {
                date: sample_now().date(),
                limit: 10,
            },
        )
        .await
        .unwrap();
    broker.order(&account, &id).await.unwrap();
    broker.cancel_order(&account, &id).await.unwrap();
    for timeframe in [Timeframe::Daily, Timeframe::Weekly, Timeframe::Intraday] {
        // Intraday bars the scenario has none of: an empty snapshot, still an event to judge.
        let _ = broker
            .candles(&sym("SPY"), timeframe, Timestamp::from_millis(0))
            .await;
    }
    // Quotes again: the stream now holds them (Quote, Trade and Summary subscriptions).
    for _ in 0..100 {
        if broker.live_quotes(&[sym("SPY"), sym("AAPL")]).len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let greeks_answered: Vec<String> = [&spy, &es]
        .iter()
        .flat_map(|chain| &chain.expirations)
        .flat_map(|e| &e.strikes)
        .flat_map(|row| [row.call.as_ref(), row.put.as_ref()])
        .flatten()
        .filter(|c| c.broker_greeks.is_some())
        .filter_map(|c| c.streamer_symbol.clone())
        .collect();
    assert!(!greeks_answered.is_empty(), "the stream gave greeks");
    drop(broker);

    // What ttai asked: every GET, and every DXLink subscription.
    let requests: Vec<String> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.endpoint != Endpoint::Other)
        .map(|r| r.target)
        .collect();
    let subscriptions: Vec<Value> = fake
        .dxlink_messages()
        .into_iter()
        .filter(|m| m["type"] == "FEED_SUBSCRIPTION")
        .flat_map(|m| m["add"].as_array().cloned().unwrap_or_default())
        .collect();
    for endpoint in [
        Endpoint::Accounts,
        Endpoint::Balances,
        Endpoint::Positions,
        Endpoint::MarketData,
        Endpoint::OptionChain,
        Endpoint::FutureOptionChain,
        Endpoint::MarketMetrics,
        Endpoint::SymbolSearch,
        Endpoint::Equities,
        Endpoint::Futures,
        Endpoint::QuoteToken,
        Endpoint::Transactions,
        Endpoint::NetLiqHistory,
        Endpoint::Watchlists,
        Endpoint::MarketSessions,
        Endpoint::MarketHolidays,
        Endpoint::OrderDryRun,
        Endpoint::PlaceOrder,
        Endpoint::LiveOrders,
        Endpoint::OrderHistory,
        Endpoint::OrderById,
        Endpoint::CancelOrder,
    ] {
        assert!(fake.calls(endpoint) > 0, "ttai never called {endpoint:?}");
    }
    let order_bodies: Vec<Value> = fake
        .requests()
        .into_iter()
        .filter(|r| matches!(r.endpoint, Endpoint::OrderDryRun | Endpoint::PlaceOrder))
        .filter_map(|r| r.json())
        .collect();
    let credentials = fake.credentials();
    let plan = json!({
        "api_url": fake.url(),
        "client_secret": credentials.client_secret.expose(),
        "refresh_token": credentials.refresh_token.expose(),
        "requests": requests,
        "subscriptions": subscriptions,
        "greeks_answered": greeks_answered,
        "order_bodies": order_bodies,
        "order_symbol": occ,
        "symbols": {
            "equities": ["SPY", "AAPL"],
            "indices": [INDEX],
            "equity_options": [occ],
            "futures": [contract.as_str()],
            "future_options": [future_option],
            "chains": ["SPY", "AAPL"],
            "future_chains": ["/ES"],
            "metrics": ["SPY", "AAPL", "/ES"],
            "search": "apple",
        },
        "timeout": 20.0,
    });
    let summary = tokio::task::spawn_blocking(move || run_judge(&plan))
        .await
        .unwrap();
    eprintln!("SDK judge: {summary}");
    assert_eq!(summary["failures"], json!([]), "{summary}");
    let models = summary["models"].as_array().unwrap();
    assert!(models.len() >= 16, "models checked: {summary}");
    assert_eq!(
        summary["event_types"],
        json!(["Candle", "Greeks", "Quote", "Summary", "Trade"]),
        "every DXLink event type ttai uses reached the SDK: {summary}"
    );
}
