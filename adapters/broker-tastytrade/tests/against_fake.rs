//! The adapter against the fake TastyTrade server: tokens, errors, chunking, chain pricing and
//! secrets. The `BrokerPort` contract itself runs in `contract-tests`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use broker_tastytrade::{CANDLES_UNSUPPORTED, CHAIN_MAX_PRICED, TastyConfig, TastyTradeBroker, TokenStatus};
use contract_tests::fake_tastytrade::{Endpoint, FakeOptions, FakeTastyTrade, Fault, RecordedRequest};
use ttai_core::app::LOGIN_HINT;
use ttai_core::domain::{
    AccountNumber, Expiration, InstrumentType, OptionChain, OptionContract, OptionType, Quote, StrikeRow,
    Symbol, Timeframe, occ_symbol,
};
use ttai_core::ports::{BrokerError, BrokerPort, Credentials, Secret};
use ttai_core::testing::{FakeMarket, SAMPLE_ACCOUNT, sample_now};
use ttai_core::time::Timestamp;

fn sym(s: &str) -> Symbol {
    Symbol::parse(s).unwrap()
}

fn account() -> AccountNumber {
    AccountNumber::new(SAMPLE_ACCOUNT)
}

fn config(fake: &FakeTastyTrade, timeout: Duration) -> TastyConfig {
    common::capture_logs();
    TastyConfig {
        api_url: fake.url(),
        user_agent: "ttai-tests/0.0.0".to_owned(),
        timeout,
        credentials: Some(fake.credentials()),
        now: sample_now,
        streaming: None,
    }
}

fn broker(fake: &FakeTastyTrade) -> TastyTradeBroker {
    TastyTradeBroker::new(config(fake, Duration::from_secs(10)))
}

/// The symbols a `/market-data/by-type` request asked for, with their keys.
fn by_type_symbols(request: &RecordedRequest) -> Vec<(String, String)> {
    request.query()
}

#[tokio::test]
async fn token_is_minted_lazily_once_and_reused() {
    let fake = FakeTastyTrade::start().unwrap();
    let broker = broker(&fake);
    assert_eq!(
        fake.total_calls(),
        0,
        "nothing is contacted before the first call"
    );
    assert_eq!(broker.token_status(), None);
    for _ in 0..3 {
        assert_eq!(broker.accounts().await.unwrap().len(), 1);
    }
    broker.balances(&account()).await.unwrap();
    assert_eq!(fake.calls(Endpoint::Token), 1);
    assert_eq!(fake.calls(Endpoint::Accounts), 3);
    let status = broker.token_status().unwrap();
    assert!(status.expires_in <= Duration::from_secs(900) && status.expires_in > Duration::from_secs(890));
}

#[tokio::test]
async fn requests_carry_the_required_headers_and_the_grant() {
    let fake = FakeTastyTrade::start().unwrap();
    let broker = broker(&fake);
    broker.accounts().await.unwrap();
    let token = &fake.requests_to(Endpoint::Token)[0];
    assert_eq!(token.method, "POST");
    assert_eq!(
        token.header("authorization"),
        None,
        "no Authorization on /oauth/token"
    );
    assert_eq!(token.header("user-agent"), Some("ttai-tests/0.0.0"));
    assert_eq!(token.header("content-type"), Some("application/json"));
    assert_eq!(token.header("accept"), Some("application/json"));
    let grant = token.json().unwrap();
    assert_eq!(grant["grant_type"], "refresh_token");
    assert_eq!(
        grant["client_secret"],
        contract_tests::fake_tastytrade::CLIENT_SECRET
    );
    assert_eq!(
        grant["refresh_token"],
        contract_tests::fake_tastytrade::REFRESH_TOKEN
    );
    let get = &fake.requests_to(Endpoint::Accounts)[0];
    assert_eq!(get.header("authorization"), Some("Bearer fake-access-token-1"));
    assert_eq!(get.header("user-agent"), Some("ttai-tests/0.0.0"));
    assert_eq!(get.header("accept"), Some("application/json"));
    // The API version is pinned on every request, the token's included.
    broker.quotes(&[sym("SPY"), sym("/ES")]).await.unwrap();
    broker.option_chain(&sym("/ES")).await.unwrap();
    let requests = fake.requests();
    assert!(requests.len() >= 6, "{}", requests.len());
    for request in requests {
        assert_eq!(
            request.header("accept-version"),
            Some("20251101"),
            "{}",
            request.target
        );
    }
}

#[tokio::test(start_paused = true)]
async fn token_is_refreshed_60_s_before_expiry() {
    let fake = FakeTastyTrade::start().unwrap();
    let broker = broker(&fake);
    broker.accounts().await.unwrap();
    assert_eq!(fake.calls(Endpoint::Token), 1);
    assert_eq!(
        broker.token_status(),
        Some(TokenStatus {
            expires_in: Duration::from_secs(900)
        })
    );
    // 61 s left: still used.
    tokio::time::advance(Duration::from_secs(839)).await;
    broker.accounts().await.unwrap();
    assert_eq!(fake.calls(Endpoint::Token), 1);
    // 59 s left: replaced before use.
    tokio::time::advance(Duration::from_secs(2)).await;
    broker.accounts().await.unwrap();
    assert_eq!(fake.calls(Endpoint::Token), 2);
    assert_eq!(
        fake.requests_to(Endpoint::Accounts)[2].header("authorization"),
        Some("Bearer fake-access-token-2")
    );
    // Long past expiry: a fresh one again.
    tokio::time::advance(Duration::from_secs(3600)).await;
    broker.accounts().await.unwrap();
    assert_eq!(fake.calls(Endpoint::Token), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_concurrent_calls_without_a_token_mint_one() {
    let fake = FakeTastyTrade::start().unwrap();
    // A slow mint keeps the window open for every caller to find the token missing.
    fake.script(Endpoint::Token, [Fault::Slow(Duration::from_millis(300))]);
    let broker = Arc::new(broker(&fake));
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let broker = Arc::clone(&broker);
        tasks.push(tokio::spawn(async move { broker.accounts().await }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap().len(), 1);
    }
    assert_eq!(fake.calls(Endpoint::Token), 1);
    assert_eq!(fake.calls(Endpoint::Accounts), 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_waiting_on_a_failed_mint_share_its_failure() {
    let fake = FakeTastyTrade::start().unwrap();
    fake.script(Endpoint::Token, [Fault::Slow(Duration::from_millis(300))]);
    let mut config = config(&fake, Duration::from_secs(10));
    config.credentials = Some(Credentials {
        client_secret: Secret::new("wrong-secret"),
        refresh_token: Secret::new("wrong-refresh"),
    });
    let broker = Arc::new(TastyTradeBroker::new(config));
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let broker = Arc::clone(&broker);
        tasks.push(tokio::spawn(async move { broker.accounts().await }));
    }
    for task in tasks {
        let err = task.await.unwrap().unwrap_err();
        assert!(matches!(err, BrokerError::Unauthenticated(_)), "{err:?}");
    }
    assert_eq!(fake.calls(Endpoint::Token), 1);
    assert_eq!(fake.calls(Endpoint::Accounts), 0);
    // A later call tries again.
    broker.accounts().await.unwrap_err();
    assert_eq!(fake.calls(Endpoint::Token), 2);
}

#[tokio::test]
async fn a_401_on_a_get_re_mints_once_and_retries() {
    let fake = FakeTastyTrade::start().unwrap();
    let broker = broker(&fake);
    fake.fail_next(Endpoint::Accounts, 1, Fault::Unauthorized);
    assert_eq!(broker.accounts().await.unwrap().len(), 1);
    assert_eq!(fake.calls(Endpoint::Token), 2);
    assert_eq!(fake.calls(Endpoint::Accounts), 2);
    let retried = &fake.requests_to(Endpoint::Accounts)[1];
    assert_eq!(
        retried.header("authorization"),
        Some("Bearer fake-access-token-2")
    );
}

#[tokio::test]
async fn expired_tokens_are_replaced_on_the_401() {
    let fake = FakeTastyTrade::start().unwrap();
    let broker = broker(&fake);
    broker.accounts().await.unwrap();
    fake.expire_tokens();
    broker.positions(&account()).await.unwrap();
    assert_eq!(fake.calls(Endpoint::Token), 2);
    assert_eq!(fake.calls(Endpoint::Positions), 2);
}

#[tokio::test]
async fn two_401s_are_unauthenticated() {
    let fake = FakeTastyTrade::start().unwrap();
    let broker = broker(&fake);
    fake.fail_next(Endpoint::Accounts, 2, Fault::Unauthorized);
    let err = broker.accounts().await.unwrap_err();
    assert!(
        matches!(&err, BrokerError::Unauthenticated(m) if m.contains("unauthorized") && m.contains("ttai login")),
        "{err:?}"
    );
    assert_eq!(fake.calls(Endpoint::Token), 2);
    assert_eq!(fake.calls(Endpoint::Accounts), 2, "one retry only");
}

#[tokio::test]
async fn rate_limited_reply_carries_retry_after() {
    let fake = FakeTastyTrade::start().unwrap();
    let broker = broker(&fake);
    fake.fail_next(
        Endpoint::MarketData,
        1,
        Fault::RateLimited { retry_after: Some(7) },
    );
    let err = broker.quotes(&[sym("SPY")]).await.unwrap_err();
    assert_eq!(
        err,
        BrokerError::RateLimited {
            retry_after_secs: Some(7)
        }
    );
    fake.fail_next(Endpoint::MarketData, 1, Fault::RateLimited { retry_after: None });
    let err = broker.quotes(&[sym("SPY")]).await.unwrap_err();
    assert_eq!(
        err,
        BrokerError::RateLimited {
            retry_after_secs: None
        }
    );
    assert_eq!(broker.quotes(&[sym("SPY")]).await.unwrap().len(), 1);
}

#[tokio::test]
async fn server_errors_are_unavailable() {
    let fake = FakeTastyTrade::start().unwrap();
    let broker = broker(&fake);
    for status in [500, 503] {
        fake.fail_next(Endpoint::Balances, 1, Fault::Status(status));
        let err = broker.balances(&account()).await.unwrap_err();
        assert!(
            matches!(&err, BrokerError::Unavailable(m) if m.contains(&status.to_string())),
            "{err:?}"
        );
    }
    fake.fail_next(Endpoint::Token, 1, Fault::Html(502));
    let fresh = self::broker(&fake);
    let err = fresh.accounts().await.unwrap_err();
    assert!(matches!(err, BrokerError::Unavailable(_)), "{err:?}");
}

#[tokio::test]
async fn an_html_page_is_an_invalid_response() {
    let fake = FakeTastyTrade::start().unwrap();
    let broker = broker(&fake);
    fake.fail_next(Endpoint::Positions, 1, Fault::Html(200));
    let err = broker.positions(&account()).await.unwrap_err();
    assert!(
        matches!(&err, BrokerError::InvalidResponse(m) if m.contains("answered HTML (status 200) instead of JSON")),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_html_401_is_unauthenticated_without_a_retry() {
    let fake = FakeTastyTrade::start().unwrap();
    let broker = broker(&fake);
    fake.fail_next(Endpoint::Accounts, 1, Fault::Html(401));
    let err = broker.accounts().await.unwrap_err();
    assert!(
        matches!(&err, BrokerError::Unauthenticated(m) if m.contains("User-Agent")),
        "{err:?}"
    );
    assert_eq!(
        fake.calls(Endpoint::Token),
        1,
        "a new token cannot cure a refused User-Agent"
    );
    assert_eq!(fake.calls(Endpoint::Accounts), 1);
}

#[tokio::test]
async fn an_empty_body_is_an_invalid_response() {
    let fake = FakeTastyTrade::start().unwrap();
    let broker = broker(&fake);
    fake.fail_next(Endpoint::MarketMetrics, 1, Fault::Empty(200));
    let err = broker.market_metrics(&[sym("SPY")]).await.unwrap_err();
    assert!(
        matches!(&err, BrokerError::InvalidResponse(m) if m.contains("empty body (status 200)")),
        "{err:?}"
    );
    fake.fail_next(Endpoint::Token, 1, Fault::Empty(200));
    let err = self::broker(&fake).accounts().await.unwrap_err();
    assert!(matches!(err, BrokerError::InvalidResponse(_)), "{err:?}");
}

#[tokio::test]
async fn a_slow_answer_beyond_the_timeout_is_unavailable() {
    let fake = FakeTastyTrade::start().unwrap();
    let broker = TastyTradeBroker::new(config(&fake, Duration::from_millis(1500)));
    broker.accounts().await.unwrap();
    fake.fail_next(Endpoint::Accounts, 1, Fault::Slow(Duration::from_secs(6)));
    let err = broker.accounts().await.unwrap_err();
    assert!(
        matches!(&err, BrokerError::Unavailable(m) if m.contains("did not answer within")),
        "{err:?}"
    );
    assert!(!err.to_string().contains("127.0.0.1"), "no URL in errors: {err}");
}

#[tokio::test]
async fn an_unreachable_api_is_unavailable_without_the_url() {
    let fake = FakeTastyTrade::start().unwrap();
    let mut config = config(&fake, Duration::from_secs(2));
    drop(fake);
    config.api_url = "http://127.0.0.1:9".to_owned();
    let err = TastyTradeBroker::new(config).accounts().await.unwrap_err();
    assert!(matches!(err, BrokerError::Unavailable(_)), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("127.0.0.1"), "{err:?}");
}

#[tokio::test]
async fn error_envelope_message_surfaces_for_400() {
    let fake = FakeTastyTrade::start().unwrap();
    let broker = broker(&fake);
    fake.fail_next(
        Endpoint::Balances,
        1,
        Fault::Reply {
            status: 400,
            body: r#"{"error":{"code":"validation_error","message":"Request validation failed",
                     "errors":[{"domain":"account-numbers","reason":"is missing"}]}}"#
                .to_owned(),
        },
    );
    let err = broker.balances(&account()).await.unwrap_err();
    let BrokerError::Rejected(message) = &err else {
        panic!("{err:?}")
    };
    assert!(
        message.contains("validation_error: Request validation failed"),
        "{message}"
    );
    assert!(message.contains("account-numbers is missing"), "{message}");
}

#[tokio::test]
async fn forbidden_and_not_found_are_told_apart() {
    let fake = FakeTastyTrade::start().unwrap();
    let broker = broker(&fake);
    // 403 for an account the customer has: a permission problem.
    fake.fail_next(
        Endpoint::Positions,
        1,
        Fault::Reply {
            status: 403,
            body: r#"{"error":{"code":"not_permitted","message":"Token scope does not allow this"}}"#
                .to_owned(),
        },
    );
    let err = broker.positions(&account()).await.unwrap_err();
    assert!(
        matches!(&err, BrokerError::Forbidden(m) if m.contains("not_permitted")),
        "{err:?}"
    );
    // 403 for an account the customer does not have: not found, and masked.
    let err = broker
        .balances(&AccountNumber::new("5WT12345"))
        .await
        .unwrap_err();
    assert_eq!(err, BrokerError::NotFound("account 5WT•••45".to_owned()));
    // A 404 is not found too.
    fake.fail_next(Endpoint::OptionChain, 1, Fault::Status(404));
    let err = broker.option_chain(&sym("SPY")).await.unwrap_err();
    assert_eq!(err, BrokerError::NotFound("option chain of SPY".to_owned()));
}

#[tokio::test]
async fn quotes_for_250_symbols_take_3_requests_and_leave_unknown_ones_out() {
    let fake = FakeTastyTrade::start().unwrap();
    let broker = broker(&fake);
    let mut symbols: Vec<Symbol> = (0..248).map(|i| sym(&format!("Z{i:03}"))).collect();
    symbols.insert(10, sym("SPY"));
    symbols.push(sym("AAPL"));
    symbols.push(sym("SPY")); // asked twice, answered once
    let quotes = broker.quotes(&symbols).await.unwrap();
    let mut got: Vec<&str> = quotes.iter().map(|q| q.symbol.as_str()).collect();
    got.sort_unstable();
    assert_eq!(got, ["AAPL", "SPY"]);
    assert_eq!(fake.calls(Endpoint::MarketData), 3);
    let mut asked = 0;
    for request in fake.requests_to(Endpoint::MarketData) {
        let pairs = by_type_symbols(&request);
        assert!(pairs.len() <= 100, "{}", pairs.len());
        assert!(pairs.iter().all(|(k, _)| k == "equity"));
        asked += pairs.len();
    }
    assert_eq!(asked, 250);
    let spy = quotes.iter().find(|q| q.symbol.as_str() == "SPY").unwrap();
    assert_eq!(spy.instrument_type, Some(InstrumentType::Equity));
    assert_eq!(spy.as_of, sample_now());
    assert!(spy.mark.is_some() && spy.bid_size.is_some());
}

#[tokio::test]
async fn option_and_index_symbols_are_asked_under_their_keys() {
    let mut options = FakeOptions::scenario();
    options.market.quotes.push(Quote {
        symbol: sym("SPX"),
        instrument_type: Some(InstrumentType::Index),
        bid: None,
        ask: None,
        bid_size: None,
        ask_size: None,
        last: Some(6000.5),
        mark: None,
        volume: None,
        open: None,
        day_high: None,
        day_low: None,
        prev_close: Some(5990.0),
        year_high: None,
        year_low: None,
        as_of: sample_now(),
    });
    let option_symbol = options.market.chains[0].expirations[0].strikes[3]
        .put
        .as_ref()
        .unwrap()
        .symbol
        .clone();
    let fake = FakeTastyTrade::start_with(options).unwrap();
    let broker = broker(&fake);
    let quotes = broker
        .quotes(&[sym("SPX"), sym(&option_symbol), sym("SPY")])
        .await
        .unwrap();
    assert_eq!(quotes.len(), 3);
    let request = &fake.requests_to(Endpoint::MarketData)[0];
    let pairs = request.query();
    assert!(
        pairs.contains(&("index".to_owned(), "SPX".to_owned())),
        "{pairs:?}"
    );
    assert!(
        pairs.contains(&("equity-option".to_owned(), option_symbol.clone())),
        "{pairs:?}"
    );
    assert!(
        pairs.contains(&("equity".to_owned(), "SPY".to_owned())),
        "{pairs:?}"
    );
    assert!(
        request.target.contains("%20"),
        "spaces are percent-encoded: {}",
        request.target
    );
    let spx = quotes.iter().find(|q| q.symbol.as_str() == "SPX").unwrap();
    assert_eq!(spx.instrument_type, Some(InstrumentType::Index));
    assert_eq!((spx.bid, spx.last), (None, Some(6000.5)));
    let option = quotes
        .iter()
        .find(|q| q.symbol.as_str() == option_symbol)
        .unwrap();
    assert_eq!(option.instrument_type, Some(InstrumentType::EquityOption));
}

#[tokio::test]
async fn an_index_beyond_the_known_ones_is_found_through_the_instruments_api() {
    let mut options = FakeOptions::scenario();
    options
        .market
        .quotes
        .push(contract_tests::scenario::index_quote("XND", 2135.42, 2119.87));
    let fake = FakeTastyTrade::start_with(options).unwrap();
    let broker = broker(&fake);
    let quotes = broker.quotes(&[sym("XND"), sym("SPY")]).await.unwrap();
    let got: Vec<(&str, Option<f64>)> = quotes.iter().map(|q| (q.symbol.as_str(), q.last)).collect();
    assert_eq!(got[0], ("XND", Some(2135.42)));
    assert_eq!(quotes[0].instrument_type, Some(InstrumentType::Index));
    assert_eq!(got[1].0, "SPY");
    // Asked as a stock, looked up (once), asked again as an index.
    let lookups = fake.requests_to(Endpoint::Equities);
    assert_eq!(lookups.len(), 1);
    assert_eq!(lookups[0].query(), [("symbol[]".to_owned(), "XND".to_owned())]);
    let asked: Vec<Vec<(String, String)>> = fake
        .requests_to(Endpoint::MarketData)
        .iter()
        .map(RecordedRequest::query)
        .collect();
    assert_eq!(asked.len(), 2);
    assert!(
        asked[1].contains(&("index".to_owned(), "XND".to_owned())),
        "{asked:?}"
    );
    // Remembered: the next quote goes straight to `index`, and unknown tickers are asked once.
    broker.quotes(&[sym("XND"), sym("NOPE")]).await.unwrap();
    broker.quotes(&[sym("NOPE")]).await.unwrap();
    let last = fake.requests_to(Endpoint::MarketData)[2].query();
    assert!(last.contains(&("index".to_owned(), "XND".to_owned())), "{last:?}");
    assert_eq!(fake.calls(Endpoint::Equities), 2, "XND once, NOPE once");
}

#[tokio::test]
async fn a_futures_product_is_quoted_as_its_active_contract() {
    let fake = FakeTastyTrade::start().unwrap();
    let broker = broker(&fake);
    let market = FakeOptions::scenario().market;
    let chain = market
        .chains
        .iter()
        .find(|c| c.underlying.as_str() == "/ES")
        .unwrap();
    let front = chain.expirations[0].underlying.as_ref().unwrap().symbol.clone();
    let want = market.quotes.iter().find(|q| q.symbol == front).unwrap();
    let quotes = broker.quotes(&[sym("/ES"), front.clone()]).await.unwrap();
    assert_eq!(quotes.len(), 2);
    let es = &quotes[0];
    assert_eq!(es.symbol.as_str(), "/ES", "answered under the symbol asked");
    assert_eq!(es.instrument_type, Some(InstrumentType::Future));
    assert_eq!((es.bid, es.ask, es.last), (want.bid, want.ask, want.last));
    assert_eq!(quotes[1].symbol, front);
    let lookup = &fake.requests_to(Endpoint::Futures)[0];
    assert_eq!(lookup.query(), [("product-code[]".to_owned(), "ES".to_owned())]);
    let asked = fake.requests_to(Endpoint::MarketData)[0].query();
    assert_eq!(asked, [("future".to_owned(), front.as_str().to_owned())], "once");
    // The active contract is remembered.
    broker.quotes(&[sym("/ES")]).await.unwrap();
    assert_eq!(fake.calls(Endpoint::Futures), 1);
    // An unknown product is missing, not an error.
    assert!(broker.quotes(&[sym("/ZZ")]).await.unwrap().is_empty());
}

#[tokio::test]
async fn futures_option_chains_carry_each_expirations_contract_and_price() {
    let fake = FakeTastyTrade::start().unwrap();
    let broker = broker(&fake);
    let market = FakeOptions::scenario().market;
    let want = market
        .chains
        .iter()
        .find(|c| c.underlying.as_str() == "/ES")
        .unwrap();
    let chain = broker.option_chain(&sym("/ES")).await.unwrap();
    assert_eq!(
        fake.requests_to(Endpoint::FutureOptionChain)[0].path(),
        "/futures-option-chains/ES/nested"
    );
    assert_eq!(chain.shares_per_contract, want.shares_per_contract);
    assert_eq!(chain.exercise_style, want.exercise_style);
    assert_eq!(chain.underlying_price, want.underlying_price);
    assert_eq!(chain.expirations.len(), want.expirations.len());
    for (got, exp) in chain.expirations.iter().zip(&want.expirations) {
        assert_eq!(got.date, exp.date);
        let (got_u, want_u) = (got.underlying.as_ref().unwrap(), exp.underlying.as_ref().unwrap());
        assert_eq!(got_u.symbol, want_u.symbol);
        assert_eq!(got_u.price, want_u.price, "its own contract's price");
        for (row, want_row) in got.strikes.iter().zip(&exp.strikes) {
            assert_eq!(row.strike, want_row.strike);
            let (put, want_put) = (row.put.as_ref().unwrap(), want_row.put.as_ref().unwrap());
            assert_eq!(put.symbol, want_put.symbol);
            assert_eq!(put.streamer_symbol, want_put.streamer_symbol);
        }
    }
    // Contracts within 60 days near their own contract's price are priced, as future options.
    let priced: Vec<&OptionContract> = chain.expirations[0]
        .strikes
        .iter()
        .filter_map(|r| r.put.as_ref())
        .filter(|c| c.bid.is_some())
        .collect();
    assert!(!priced.is_empty());
    let asked: Vec<(String, String)> = fake
        .requests_to(Endpoint::MarketData)
        .iter()
        .flat_map(RecordedRequest::query)
        .collect();
    assert!(
        asked
            .iter()
            .any(|(k, v)| k == "future-option" && v.starts_with("./")),
        "{asked:?}"
    );
    assert!(
        chain.expirations[2]
            .strikes
            .iter()
            .all(|r| r.put.as_ref().unwrap().bid.is_none()),
        "beyond 60 days"
    );
    // A contract's chain: only the options delivering it.
    let next = want.expirations[2].underlying.as_ref().unwrap().symbol.clone();
    let chain = broker.option_chain(&next).await.unwrap();
    assert_eq!(chain.expirations.len(), 1);
    assert_eq!(chain.underlying, next);
    assert_eq!(
        chain.underlying_price,
        want.expirations[2].underlying.as_ref().unwrap().price
    );
    let err = broker.option_chain(&sym("/ZZ")).await.unwrap_err();
    assert!(matches!(err, BrokerError::NotFound(_)), "{err:?}");
}

#[tokio::test]
async fn positions_carry_signed_quantities_and_marks() {
    let fake = FakeTastyTrade::start().unwrap();
    let broker = broker(&fake);
    let positions = broker.positions(&account()).await.unwrap();
    assert!(
        fake.requests_to(Endpoint::Positions)[0]
            .query()
            .contains(&("include-marks".to_owned(), "true".to_owned()))
    );
    let put = positions.iter().find(|p| p.option_type.is_some()).unwrap();
    assert_eq!(put.quantity, -1.0);
    assert_eq!(put.mark, Some(2.0));
    assert_eq!(put.multiplier, 100.0);
    assert_eq!(put.underlying.as_str(), "AAPL");
    let stock = positions.iter().find(|p| p.symbol.as_str() == "SPY").unwrap();
    assert_eq!(stock.quantity, 100.0);
    assert_eq!(stock.mark, None, "a position without a mark is tolerated");
    assert!(stock.opened_at.is_some());
}

#[tokio::test]
async fn metrics_come_back_as_fractions() {
    let fake = FakeTastyTrade::start().unwrap();
    let broker = broker(&fake);
    let metrics = broker
        .market_metrics(&[sym("SPY"), sym("AAPL"), sym("BRK/B")])
        .await
        .unwrap();
    assert_eq!(metrics.len(), 2);
    let request = &fake.requests_to(Endpoint::MarketMetrics)[0];
    assert!(
        request.target.ends_with("symbols=SPY,AAPL,BRK%2FB"),
        "{}",
        request.target
    );
    let aapl = metrics.iter().find(|m| m.symbol.as_str() == "AAPL").unwrap();
    assert_eq!(aapl.hv_30, Some(0.22), "historical volatility arrives in percent");
    assert_eq!(aapl.iv_percentile, Some(0.61));
    assert_eq!(aapl.liquidity_rating, Some(4.0));
    let spy = metrics.iter().find(|m| m.symbol.as_str() == "SPY").unwrap();
    assert_eq!((spy.hv_60, spy.hv_90), (Some(0.15), Some(0.16)));
    assert_eq!(spy.dividend_yield, Some(0.013));
}

/// A market with one underlying `XYZ` at `price` and a chain of `strikes` at `expirations_dte`,
/// every contract quoted.
fn chain_market(price: f64, strikes: &[f64], expirations_dte: &[i32]) -> FakeOptions {
    let now = sample_now();
    let today = now.date();
    let expirations = expirations_dte
        .iter()
        .map(|&dte| {
            let date = today.add_days(dte);
            Expiration {
                date,
                expiration_type: "Regular".into(),
                settlement: "PM".into(),
                strikes: strikes
                    .iter()
                    .map(|&strike| {
                        let side = |option_type| OptionContract {
                            symbol: occ_symbol("XYZ", date, option_type, strike),
                            streamer_symbol: None,
                            bid: Some(1.0),
                            ask: Some(1.1),
                            last: Some(1.05),
                            volume: Some(10.0),
                            open_interest: Some(100.0),
                            broker_greeks: None,
                        };
                        StrikeRow {
                            strike,
                            call: Some(side(OptionType::Call)),
                            put: Some(side(OptionType::Put)),
                        }
                    })
                    .collect(),
                underlying: None,
            }
        })
        .collect();
    let mut options = FakeOptions::scenario();
    options.market = FakeMarket {
        quotes: vec![Quote {
            symbol: sym("XYZ"),
            instrument_type: Some(InstrumentType::Equity),
            bid: Some(price - 0.01),
            ask: Some(price + 0.01),
            bid_size: None,
            ask_size: None,
            last: Some(price),
            mark: Some(price),
            volume: None,
            open: None,
            day_high: None,
            day_low: None,
            prev_close: None,
            year_high: None,
            year_low: None,
            as_of: now,
        }],
        chains: vec![OptionChain {
            underlying: sym("XYZ"),
            underlying_price: Some(price),
            shares_per_contract: 100,
            exercise_style: "American".into(),
            expirations,
            as_of: now,
        }],
        ..options.market
    };
    options
}

fn priced(contract: &Option<OptionContract>) -> bool {
    contract.as_ref().is_some_and(|c| c.bid.is_some())
}

#[tokio::test]
async fn chains_price_only_contracts_near_the_money_within_60_days() {
    let strikes: Vec<f64> = (10..=30).map(|k| f64::from(k) * 5.0).collect(); // 50 … 150
    let fake = FakeTastyTrade::start_with(chain_market(100.0, &strikes, &[30, 90])).unwrap();
    let broker = broker(&fake);
    let chain = broker.option_chain(&sym("XYZ")).await.unwrap();
    assert_eq!(chain.underlying_price, Some(100.0));
    assert_eq!(chain.expirations.len(), 2, "every expiration is listed");
    let near = &chain.expirations[0];
    let far = &chain.expirations[1];
    assert_eq!(near.strikes.len(), 21, "every strike is listed");
    for row in &near.strikes {
        let inside = (row.strike - 100.0).abs() <= 15.0;
        assert_eq!(priced(&row.call), inside, "strike {}", row.strike);
        assert_eq!(priced(&row.put), inside, "strike {}", row.strike);
        assert!(row.call.as_ref().unwrap().streamer_symbol.is_some());
    }
    assert!(
        far.strikes.iter().all(|r| !priced(&r.call) && !priced(&r.put)),
        "contracts beyond 60 days are listed without a market"
    );
    let atm = near.strikes.iter().find(|r| r.strike == 100.0).unwrap();
    let call = atm.call.as_ref().unwrap();
    assert_eq!(
        (call.bid, call.ask, call.last, call.open_interest),
        (Some(1.0), Some(1.1), Some(1.05), Some(100.0))
    );
    // One request for the underlying, one for the 14 contracts.
    assert_eq!(fake.calls(Endpoint::MarketData), 2);
    assert_eq!(fake.calls(Endpoint::OptionChain), 1);
}

#[tokio::test]
async fn chains_price_at_most_1000_contracts_nearest_first() {
    let strikes: Vec<f64> = (0..=200).map(|k| 95.0 + f64::from(k) * 0.05).collect(); // 95 … 105
    let fake = FakeTastyTrade::start_with(chain_market(100.0, &strikes, &[10, 20, 30])).unwrap();
    let broker = broker(&fake);
    let chain = broker.option_chain(&sym("XYZ")).await.unwrap();
    let rows = chain.expirations.iter().flat_map(|e| &e.strikes);
    let priced_count: usize = rows
        .clone()
        .map(|r| usize::from(priced(&r.call)) + usize::from(priced(&r.put)))
        .sum();
    assert_eq!(priced_count, CHAIN_MAX_PRICED);
    assert_eq!(fake.calls(Endpoint::MarketData), 1 + CHAIN_MAX_PRICED / 100);
    for exp in &chain.expirations {
        let at = |strike: f64| {
            exp.strikes
                .iter()
                .find(|r| (r.strike - strike).abs() < 1e-9)
                .unwrap()
        };
        assert!(priced(&at(100.0).call) && priced(&at(100.0).put));
        assert!(
            !priced(&at(95.0).call) && !priced(&at(105.0).put),
            "the farthest are left out"
        );
    }
}

#[tokio::test]
async fn search_encodes_the_query_and_limits() {
    let fake = FakeTastyTrade::start().unwrap();
    let broker = broker(&fake);
    let found = broker.search_symbols("apple", 5).await.unwrap();
    assert_eq!(found[0].symbol.as_str(), "AAPL");
    assert_eq!(found[0].has_options, Some(true));
    assert!(broker.search_symbols("BRK/B", 5).await.unwrap().is_empty());
    let request = fake.requests_to(Endpoint::SymbolSearch).pop().unwrap();
    assert_eq!(request.path(), "/symbols/search/BRK%2FB");
    assert!(broker.search_symbols("  ", 5).await.unwrap().is_empty());
    assert_eq!(
        fake.calls(Endpoint::SymbolSearch),
        2,
        "a blank query asks nothing"
    );
}

#[tokio::test]
async fn candles_are_unsupported_without_streaming() {
    let fake = FakeTastyTrade::start().unwrap();
    let broker = broker(&fake);
    let err = broker
        .candles(&sym("SPY"), Timeframe::Daily, Timestamp::from_millis(0))
        .await
        .unwrap_err();
    assert_eq!(err, BrokerError::Unsupported(CANDLES_UNSUPPORTED.to_owned()));
}

#[tokio::test]
async fn without_credentials_every_call_gives_the_login_hint() {
    let fake = FakeTastyTrade::start().unwrap();
    let mut config = config(&fake, Duration::from_secs(10));
    config.credentials = None;
    let broker = TastyTradeBroker::new(config);
    let hint = BrokerError::Unauthenticated(LOGIN_HINT.to_owned());
    assert_eq!(broker.accounts().await.unwrap_err(), hint);
    assert_eq!(broker.balances(&account()).await.unwrap_err(), hint);
    assert_eq!(broker.positions(&account()).await.unwrap_err(), hint);
    assert_eq!(broker.quotes(&[sym("SPY")]).await.unwrap_err(), hint);
    assert_eq!(broker.quotes(&[]).await.unwrap_err(), hint);
    assert_eq!(broker.option_chain(&sym("SPY")).await.unwrap_err(), hint);
    assert_eq!(broker.market_metrics(&[sym("SPY")]).await.unwrap_err(), hint);
    assert_eq!(
        broker
            .candles(&sym("SPY"), Timeframe::Daily, Timestamp::from_millis(0))
            .await
            .unwrap_err(),
        hint
    );
    assert_eq!(broker.search_symbols("SPY", 5).await.unwrap_err(), hint);
    assert_eq!(broker.verify().await.unwrap_err(), hint);
    assert_eq!(broker.token_status(), None);
    assert_eq!(fake.total_calls(), 0);
    let info = broker.info();
    assert_eq!(
        (info.source.as_str(), info.live, info.synthetic),
        ("tastytrade", true, false)
    );
    assert_eq!(broker.now(), sample_now());
}

#[tokio::test]
async fn credentials_can_be_set_verified_and_cleared_at_run_time() {
    let fake = FakeTastyTrade::start().unwrap();
    let mut config = config(&fake, Duration::from_secs(10));
    config.credentials = None;
    let broker = TastyTradeBroker::new(config);
    broker.set_credentials(Some(fake.credentials()));
    let accounts = broker.verify().await.unwrap();
    assert_eq!(accounts.len(), 1, "the closed account is left out");
    assert_eq!(fake.calls(Endpoint::Token), 1);
    assert!(broker.token_status().is_some());
    // verify always proves the credentials with a fresh token.
    broker.verify().await.unwrap();
    assert_eq!(fake.calls(Endpoint::Token), 2);
    // Wrong credentials: refused, with what to do.
    broker.set_credentials(Some(Credentials {
        client_secret: Secret::new("other-secret"),
        refresh_token: Secret::new("revoked-refresh-token"),
    }));
    assert_eq!(broker.token_status(), None, "the old token is not used again");
    let err = broker.verify().await.unwrap_err();
    assert_eq!(
        err,
        BrokerError::Unauthenticated(
            "TastyTrade refused the stored credentials (invalid_grant: Invalid JWT); run ttai login"
                .to_owned()
        )
    );
    broker.set_credentials(None);
    assert_eq!(
        broker.accounts().await.unwrap_err(),
        BrokerError::Unauthenticated(LOGIN_HINT.to_owned())
    );
}

#[tokio::test]
async fn unusable_stored_credentials_are_explained_on_every_call() {
    let fake = FakeTastyTrade::start().unwrap();
    let broker = broker(&fake);
    let why = "the stored TastyTrade credentials cannot be used: credentials file is damaged; run ttai login";
    broker.set_credentials_unavailable(why);
    let expected = BrokerError::Unauthenticated(why.to_owned());
    assert_eq!(broker.accounts().await.unwrap_err(), expected);
    assert_eq!(broker.quotes(&[sym("SPY")]).await.unwrap_err(), expected);
    assert_eq!(broker.verify().await.unwrap_err(), expected);
    assert_eq!(fake.total_calls(), 0, "nothing is sent without credentials");
    // A later login replaces the explanation with working credentials.
    broker.set_credentials(Some(fake.credentials()));
    assert_eq!(broker.verify().await.unwrap().len(), 1);
    broker.set_credentials(None);
    assert_eq!(
        broker.accounts().await.unwrap_err(),
        BrokerError::Unauthenticated(LOGIN_HINT.to_owned())
    );
}

#[tokio::test]
async fn secrets_never_appear_in_errors_or_logs() {
    const SECRET: &str = "CANARY-client-secret-7f3a";
    const REFRESH: &str = "CANARY-refresh-token-9b1c";
    const ACCESS: &str = "CANARY-access-token";
    let mut options = FakeOptions::scenario();
    options.client_secret = SECRET.to_owned();
    options.refresh_token = REFRESH.to_owned();
    options.token_prefix = ACCESS.to_owned();
    let fake = FakeTastyTrade::start_with(options).unwrap();
    let broker = TastyTradeBroker::new(config(&fake, Duration::from_millis(1500)));
    let mut seen: Vec<String> = Vec::new();
    let mut record = |err: BrokerError| seen.push(format!("{err} {err:?}"));

    // A refused grant whose description echoes the refresh token.
    fake.fail_next(
        Endpoint::Token,
        1,
        Fault::Reply {
            status: 401,
            body: format!(
                r#"{{"error_code":"invalid_grant","error_description":"refresh token {REFRESH} revoked"}}"#
            ),
        },
    );
    record(broker.accounts().await.unwrap_err());
    broker.accounts().await.unwrap();
    let access = fake.minted_tokens().pop().unwrap();
    // Errors whose messages echo every secret.
    let echo = format!(
        r#"{{"error":{{"code":"bad_request","message":"token {access} secret {SECRET} refresh {REFRESH}"}}}}"#
    );
    for status in [400, 403, 422] {
        fake.fail_next(
            Endpoint::Balances,
            1,
            Fault::Reply {
                status,
                body: echo.clone(),
            },
        );
        record(broker.balances(&account()).await.unwrap_err());
    }
    fake.fail_next(
        Endpoint::Accounts,
        2,
        Fault::Reply {
            status: 401,
            body: echo.clone(),
        },
    );
    record(broker.accounts().await.unwrap_err());
    for fault in [
        Fault::Unauthorized,
        Fault::Status(500),
        Fault::Html(200),
        Fault::Empty(200),
        Fault::RateLimited { retry_after: Some(1) },
        Fault::Slow(Duration::from_secs(6)),
    ] {
        fake.clear_script();
        fake.script(Endpoint::MarketData, [fault.clone(), fault]);
        record(broker.quotes(&[sym("SPY")]).await.unwrap_err());
    }
    fake.clear_script();
    record(
        broker
            .candles(&sym("SPY"), Timeframe::Daily, Timestamp::from_millis(0))
            .await
            .unwrap_err(),
    );
    seen.push(format!("{broker:?}"));
    seen.push(format!("{:?}", config(&fake, Duration::from_secs(1))));
    assert!(
        seen.iter().any(|s| s.contains("[redacted]")),
        "the echoes were scrubbed: {seen:#?}"
    );

    let logs = common::logs();
    assert!(
        logs.contains("minted a TastyTrade access token"),
        "logs are captured"
    );
    for text in seen.iter().chain(std::iter::once(&logs)) {
        for canary in [SECRET, REFRESH, ACCESS] {
            assert!(!text.contains(canary), "{canary} leaked into: {text}");
        }
    }
}

#[tokio::test]
async fn https_needs_the_tls_feature() {
    let fake = FakeTastyTrade::start().unwrap();
    let mut config = config(&fake, Duration::from_secs(1));
    config.api_url = "https://127.0.0.1:9".to_owned();
    let err = TastyTradeBroker::new(config).accounts().await.unwrap_err();
    if cfg!(feature = "tls") {
        assert!(matches!(err, BrokerError::Unavailable(_)), "{err:?}");
    } else {
        assert!(
            matches!(&err, BrokerError::Other { message, .. } if message.contains("feature `tls`")),
            "{err:?}"
        );
    }
}

/// One SPY put of the scenario, sold at `price`.
fn put_order(price: f64) -> ttai_core::domain::OrderRequest {
    use ttai_core::domain::{OrderLeg, OrderRequest, PriceEffect, TimeInForce, TradeAction};
    let market = ttai_core::testing::sample_market();
    let chain = market
        .chains
        .iter()
        .find(|c| c.underlying.as_str() == "SPY")
        .unwrap();
    let put = chain.expirations[0].strikes[2].put.as_ref().unwrap();
    OrderRequest {
        underlying: sym("SPY"),
        time_in_force: TimeInForce::Day,
        price,
        price_effect: PriceEffect::Credit,
        legs: vec![OrderLeg {
            instrument_type: InstrumentType::EquityOption,
            symbol: sym(&put.symbol),
            action: TradeAction::SellToOpen,
            quantity: 1,
        }],
    }
}

#[tokio::test]
async fn orders_go_out_in_the_sdks_shape_and_an_order_is_never_sent_twice() {
    let fake = FakeTastyTrade::start().unwrap();
    let broker = broker(&fake);
    let order = put_order(99.0);
    let preview = broker.dry_run_order(&account(), &order).await.unwrap();
    assert!(preview.accepted());
    let body = fake.requests_to(Endpoint::OrderDryRun)[0].json().unwrap();
    let request = &fake.requests_to(Endpoint::OrderDryRun)[0];
    assert!(request.header("authorization").unwrap().starts_with("Bearer "));
    assert_eq!(
        body,
        serde_json::json!({
            "time-in-force": "Day", "order-type": "Limit", "price": "99.00", "price-effect": "Credit",
            "legs": [{"instrument-type": "Equity Option", "symbol": order.legs[0].symbol.as_str(),
                "action": "Sell to Open", "quantity": 1}],
            "external-identifier": format!("ttai-{}", order.code()),
        })
    );
    // A dry run refused for its token is asked again with a new one (nothing was done).
    fake.fail_next(Endpoint::OrderDryRun, 1, Fault::Unauthorized);
    assert!(broker.dry_run_order(&account(), &order).await.unwrap().accepted());
    assert_eq!(fake.calls(Endpoint::OrderDryRun), 3);
    // An order is sent once, whatever comes back: a refused token, a 5xx, a lost answer.
    for fault in [
        Fault::Unauthorized,
        Fault::Status(502),
        Fault::Slow(Duration::from_secs(3)),
    ] {
        fake.fail_next(Endpoint::PlaceOrder, 1, fault.clone());
        let before = fake.calls(Endpoint::PlaceOrder);
        let quick = TastyTradeBroker::new(config(&fake, Duration::from_secs(1)));
        let err = quick.place_order(&account(), &order).await.unwrap_err();
        assert_eq!(
            fake.calls(Endpoint::PlaceOrder),
            before + 1,
            "{fault:?} → {err:?}: sent once"
        );
    }
    // Placed for real: the SDK's answer read back, with its id and status.
    let placed = broker.place_order(&account(), &order).await.unwrap();
    let held = placed.order.unwrap();
    assert_eq!(held.status, ttai_core::domain::OrderStatus::Live);
    assert_eq!(
        held.external_identifier.as_deref(),
        Some(format!("ttai-{}", order.code()).as_str())
    );
    assert_eq!(placed.fees.unwrap().total_fees, 1.13);
    // The slow one was taken by the fake although its answer was lost: both are held.
    assert_eq!(fake.held_orders().len(), 2);
}

#[tokio::test]
async fn a_refused_preflight_is_read_from_data_and_error_together() {
    let fake = FakeTastyTrade::start().unwrap();
    let broker = broker(&fake);
    let mut order = put_order(1.0);
    order.legs[0].quantity = 500;
    let preview = broker.dry_run_order(&account(), &order).await.unwrap();
    assert_eq!(preview.errors[0].code, "margin_check_failed");
    assert!(preview.errors[0].message.contains("buying power"));
    let effect = preview.buying_power_effect.unwrap();
    assert!(
        effect.change_in_buying_power < 0.0 && effect.used() > 40_000.0,
        "{effect:?}"
    );
    assert!(preview.order.is_none());
    // A body the API refuses outright (validation) is the broker's error, not a failure.
    order.legs[0].symbol = sym("SPY   990101P00001000");
    let refused = broker.dry_run_order(&account(), &order).await.unwrap();
    assert_eq!(refused.errors[0].code, "order");
    assert!(refused.buying_power_effect.is_none());
}
