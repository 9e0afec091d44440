//! DXLink streaming against the fake TastyTrade server's websocket: live quotes, candle history,
//! reconnection with resubscription, token renewal, keepalive, silence and idle handling, and
//! secrets kept out of the logs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::Duration;

use broker_tastytrade::{StreamSettings, TastyConfig, TastyTradeBroker};
use contract_tests::fake_tastytrade::{CandleEcho, Endpoint, FakeOptions, FakeTastyTrade};
use serde_json::Value;
use ttai_core::app::LOGIN_HINT;
use ttai_core::domain::{Symbol, Timeframe, weekly_from_daily};
use ttai_core::ports::{BrokerError, BrokerPort};
use ttai_core::testing::sample_now;
use ttai_core::time::Timestamp;

fn sym(s: &str) -> Symbol {
    Symbol::parse(s).unwrap()
}

/// Short timings, so that every behaviour shows within a second.
fn settings() -> StreamSettings {
    StreamSettings {
        connect_timeout: Duration::from_secs(5),
        candle_timeout: Duration::from_secs(5),
        keepalive: Duration::from_secs(30),
        silence_limit: Duration::from_secs(30),
        idle_after: Duration::from_secs(600),
        backoff_min: Duration::from_millis(20),
        backoff_max: Duration::from_millis(200),
    }
}

fn broker_with(fake: &FakeTastyTrade, settings: StreamSettings) -> TastyTradeBroker {
    common::capture_logs();
    TastyTradeBroker::new(TastyConfig {
        api_url: fake.url(),
        user_agent: "ttai-tests/0.0.0".to_owned(),
        timeout: Duration::from_secs(10),
        credentials: Some(fake.credentials()),
        now: sample_now,
        streaming: Some(settings),
    })
}

fn broker(fake: &FakeTastyTrade) -> TastyTradeBroker {
    broker_with(fake, settings())
}

/// Polls `check` every 10 ms for up to 10 s.
async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..1000 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("not within 10 s: {what}");
}

#[tokio::test]
async fn a_quote_asked_once_is_then_answered_from_the_stream() {
    let fake = FakeTastyTrade::start().unwrap();
    let broker = broker(&fake);
    let first = broker.quotes(&[sym("SPY")]).await.unwrap();
    assert_eq!(fake.calls(Endpoint::MarketData), 1);
    eventually("SPY is live", || broker.live_quotes(&[sym("SPY")]).len() == 1).await;
    let status = broker.stream_status().unwrap();
    assert!(
        status.connected && status.live == 1 && status.watched == 1,
        "{status:?}"
    );
    assert!(
        fake.dxlink_subscriptions()
            .contains(&("Quote".to_owned(), "SPY".to_owned()))
    );
    // Served from the stream: the same quote, no REST request.
    let again = broker.quotes(&[sym("SPY")]).await.unwrap();
    assert_eq!(
        (again[0].bid, again[0].ask, again[0].last),
        (first[0].bid, first[0].ask, first[0].last)
    );
    assert_eq!(again[0].prev_close, first[0].prev_close);
    assert_eq!(fake.calls(Endpoint::MarketData), 1);
    // A new market reaches the broker through the stream alone.
    fake.push_quote("SPY", 601.25, 601.27);
    eventually("the pushed quote", || {
        broker
            .live_quotes(&[sym("SPY")])
            .first()
            .is_some_and(|q| q.bid == Some(601.25))
    })
    .await;
    let pushed = broker.quotes(&[sym("SPY")]).await.unwrap();
    assert_eq!(
        (pushed[0].bid, pushed[0].ask, pushed[0].last),
        (Some(601.25), Some(601.27), Some(601.26))
    );
    assert_eq!(pushed[0].mark, Some(601.26));
    assert_eq!(fake.calls(Endpoint::MarketData), 1);
    // A mixed request: SPY from the stream, AAPL from REST, in the order asked.
    let mixed = broker
        .quotes(&[sym("AAPL"), sym("SPY"), sym("NOPE")])
        .await
        .unwrap();
    assert_eq!(
        mixed.iter().map(|q| q.symbol.as_str()).collect::<Vec<_>>(),
        ["AAPL", "SPY"]
    );
    assert_eq!(fake.calls(Endpoint::MarketData), 2);
    let market_data = fake.requests_to(Endpoint::MarketData);
    assert!(
        !market_data[1].target.contains("SPY"),
        "{}",
        market_data[1].target
    );
    assert_eq!(fake.dxlink_connections(), 1, "one connection serves every symbol");
    assert_eq!(fake.quote_tokens_minted(), 1);
}

#[tokio::test]
async fn candle_history_comes_from_a_snapshot() {
    let fake = FakeTastyTrade::start().unwrap();
    let broker = broker(&fake);
    let all = broker
        .candles(&sym("SPY"), Timeframe::Daily, Timestamp::from_millis(0))
        .await
        .unwrap();
    let want = &contract_tests::scenario::market()
        .candles
        .into_iter()
        .find(|(s, t, _)| s.as_str() == "SPY" && *t == Timeframe::Daily)
        .unwrap()
        .2;
    assert_eq!(&all, want, "every bar, oldest first, over three frames");
    let since = all[200].time;
    let recent = broker
        .candles(&sym("SPY"), Timeframe::Daily, since)
        .await
        .unwrap();
    assert_eq!(recent.as_slice(), &all[200..]);
    // Finished histories are unsubscribed.
    eventually("candle subscriptions removed", || {
        !fake.dxlink_subscriptions().iter().any(|(t, _)| t == "Candle")
    })
    .await;
    // Concurrent asks for the same series share one subscription.
    let aapl = sym("AAPL");
    let (a, b) = tokio::join!(
        broker.candles(&aapl, Timeframe::Daily, since),
        broker.candles(&aapl, Timeframe::Daily, since)
    );
    assert_eq!(a.unwrap(), b.unwrap());
    // A series the server has nothing of: an empty snapshot.
    let err = broker
        .candles(&sym("SPY"), Timeframe::Intraday, since)
        .await
        .unwrap_err();
    assert_eq!(err, BrokerError::NotFound("intraday candles of SPY".to_owned()));
    let err = broker
        .candles(&sym("NOPE"), Timeframe::Daily, since)
        .await
        .unwrap_err();
    assert!(matches!(err, BrokerError::NotFound(_)), "{err:?}");
    assert_eq!(broker.stream_status().unwrap().loading_candles, 0);
}

/// The `FEED_SUBSCRIPTION` entries ttai sent for candles, added (`add`) or removed.
fn candle_entries(fake: &FakeTastyTrade, key: &str) -> Vec<Value> {
    fake.dxlink_messages()
        .into_iter()
        .filter(|m| m["type"] == "FEED_SUBSCRIPTION")
        .flat_map(|m| m[key].as_array().cloned().unwrap_or_default())
        .filter(|e| e["type"] == "Candle")
        .collect()
}

/// dxFeed names candle events with the normal form of the symbol: the daily and weekly bars of
/// `SPY{=1d,tho=true}` and `SPY{=1w,tho=true}` come back as `SPY{=d,tho=true}` and
/// `SPY{=w,tho=true}`. Both that and an exact echo must complete the request.
#[tokio::test]
async fn candles_arrive_whether_the_feed_echoes_the_normal_or_the_exact_symbol() {
    let daily = contract_tests::scenario::market()
        .candles
        .into_iter()
        .find(|(s, t, _)| s.as_str() == "SPY" && *t == Timeframe::Daily)
        .unwrap()
        .2;
    for echo in [CandleEcho::Normalised, CandleEcho::AsSubscribed] {
        let mut options = FakeOptions::scenario();
        options.candle_echo = echo;
        let fake = FakeTastyTrade::start_with(options).unwrap();
        let broker = broker(&fake);
        let from = Timestamp::from_millis(0);
        let got = broker.candles(&sym("SPY"), Timeframe::Daily, from).await;
        assert_eq!(got.as_ref().map(Vec::len), Ok(daily.len()), "{echo:?} daily");
        assert_eq!(got.unwrap(), daily);
        let weekly = broker.candles(&sym("SPY"), Timeframe::Weekly, from).await;
        let want = weekly_from_daily(&daily);
        assert_eq!(weekly.as_ref().map(Vec::len), Ok(want.len()), "{echo:?} weekly");
        assert_eq!(weekly.unwrap(), want);
        let added: Vec<Value> = candle_entries(&fake, "add")
            .iter()
            .map(|e| e["symbol"].clone())
            .collect();
        assert_eq!(added, ["SPY{=1d,tho=true}", "SPY{=1w,tho=true}"]);
        // Finished histories are removed, with `fromTime` (ignored but mandatory).
        eventually("both removed", || candle_entries(&fake, "remove").len() == 2).await;
        for removed in candle_entries(&fake, "remove") {
            assert_eq!(removed["fromTime"], 0, "{removed}");
        }
        assert_eq!(broker.stream_status().unwrap().loading_candles, 0);
    }
}

#[tokio::test]
async fn setup_names_the_protocol_and_the_client() {
    let fake = FakeTastyTrade::start().unwrap();
    let broker = broker(&fake);
    broker.quotes(&[sym("SPY")]).await.unwrap();
    eventually("live", || broker.live_quotes(&[sym("SPY")]).len() == 1).await;
    let setup = fake
        .dxlink_messages()
        .into_iter()
        .find(|m| m["type"] == "SETUP")
        .unwrap();
    assert_eq!(
        setup["version"],
        format!("0.1-ttai/{}", env!("CARGO_PKG_VERSION"))
    );
}

#[tokio::test]
async fn an_error_is_survived_unless_it_refuses_authorization() {
    let fake = FakeTastyTrade::start().unwrap();
    let broker = broker(&fake);
    broker.quotes(&[sym("SPY")]).await.unwrap();
    eventually("live", || broker.live_quotes(&[sym("SPY")]).len() == 1).await;
    // Informational: the session goes on.
    fake.send_dxlink_error("BAD_ACTION", "the message was not understood");
    fake.push_quote("SPY", 601.25, 601.27);
    eventually("a quote after the error", || {
        broker
            .live_quotes(&[sym("SPY")])
            .first()
            .is_some_and(|q| q.bid == Some(601.25))
    })
    .await;
    let status = broker.stream_status().unwrap();
    assert!(status.connected && status.sessions == 1, "{status:?}");
    assert_eq!(fake.dxlink_connections(), 1);
    // About authorization: a new quote token and a new session.
    fake.send_dxlink_error("UNAUTHORIZED", "the token expired");
    eventually("reconnected with a new token", || {
        broker.stream_status().unwrap().sessions == 2
    })
    .await;
    assert_eq!(fake.quote_tokens_minted(), 2);
    assert!(
        common::logs().contains("DXLink reported an error; the session goes on"),
        "the informational error is logged"
    );
}

#[tokio::test]
async fn full_format_feed_data_is_read_too() {
    let fake = FakeTastyTrade::start().unwrap();
    fake.force_dxlink_full_format(true);
    let broker = broker(&fake);
    let first = broker.quotes(&[sym("SPY")]).await.unwrap();
    eventually("live", || broker.live_quotes(&[sym("SPY")]).len() == 1).await;
    let live = broker.live_quotes(&[sym("SPY")]);
    assert_eq!((live[0].bid, live[0].ask), (first[0].bid, first[0].ask));
    let daily = broker
        .candles(&sym("AAPL"), Timeframe::Daily, Timestamp::from_millis(0))
        .await
        .unwrap();
    assert_eq!(daily.len(), 300);
}

/// A clock an hour after the scenario's, so a quote stamped on arrival shows.
fn an_hour_later() -> Timestamp {
    sample_now().add_millis(3_600_000)
}

#[tokio::test]
async fn a_quote_without_times_is_as_of_its_arrival() {
    let fake = FakeTastyTrade::start().unwrap();
    fake.zero_dxlink_quote_times(true);
    common::capture_logs();
    let broker = TastyTradeBroker::new(TastyConfig {
        api_url: fake.url(),
        user_agent: "ttai-tests/0.0.0".to_owned(),
        timeout: Duration::from_secs(10),
        credentials: Some(fake.credentials()),
        now: an_hour_later,
        streaming: Some(settings()),
    });
    let rest = broker.quotes(&[sym("SPY")]).await.unwrap();
    assert_eq!(rest[0].as_of, sample_now(), "REST says when it was updated");
    eventually("live", || broker.live_quotes(&[sym("SPY")]).len() == 1).await;
    assert_eq!(broker.live_quotes(&[sym("SPY")])[0].as_of, an_hour_later());
}

#[tokio::test]
async fn a_feed_that_gives_nothing_times_out_with_a_clear_error() {
    let fake = FakeTastyTrade::start().unwrap();
    let broker = broker_with(
        &fake,
        StreamSettings {
            candle_timeout: Duration::from_millis(300),
            ..settings()
        },
    );
    fake.withhold_dxlink("Candle", true);
    let err = broker
        .candles(&sym("SPY"), Timeframe::Daily, Timestamp::from_millis(0))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        BrokerError::Unavailable("DXLink sent no daily candles of SPY within 0.3 s".to_owned())
    );
    eventually("the abandoned subscription is removed", || {
        !fake.dxlink_subscriptions().iter().any(|(t, _)| t == "Candle")
    })
    .await;
    fake.withhold_dxlink("Candle", false);
    assert_eq!(
        broker
            .candles(&sym("SPY"), Timeframe::Daily, Timestamp::from_millis(0))
            .await
            .unwrap()
            .len(),
        300
    );
}

#[tokio::test]
async fn a_dropped_connection_is_recovered_and_subscriptions_resumed() {
    let fake = FakeTastyTrade::start().unwrap();
    let broker = broker(&fake);
    broker.quotes(&[sym("SPY"), sym("AAPL")]).await.unwrap();
    eventually("both live", || {
        broker.live_quotes(&[sym("SPY"), sym("AAPL")]).len() == 2
    })
    .await;
    let rest = fake.calls(Endpoint::MarketData);

    fake.drop_dxlink_connections();
    // While the stream is down, quotes come from REST (never a stale stream value).
    eventually("reconnected", || {
        let status = broker.stream_status().unwrap();
        status.sessions == 2 && status.live == 2
    })
    .await;
    assert_eq!(fake.dxlink_connections(), 2);
    let subscribed = fake.dxlink_subscriptions();
    for symbol in ["SPY", "AAPL"] {
        for event in ["Quote", "Trade", "Summary"] {
            assert!(
                subscribed.contains(&(event.to_owned(), symbol.to_owned())),
                "{event} {symbol}: {subscribed:?}"
            );
        }
    }
    fake.push_quote("AAPL", 199.5, 199.6);
    eventually("a push after the reconnect", || {
        broker
            .live_quotes(&[sym("AAPL")])
            .first()
            .is_some_and(|q| q.ask == Some(199.6))
    })
    .await;
    assert!(fake.calls(Endpoint::MarketData) >= rest);

    // A candle request made while the link is down is served after the reconnect.
    fake.drop_dxlink_connections();
    let candles = broker
        .candles(&sym("SPY"), Timeframe::Daily, Timestamp::from_millis(0))
        .await
        .unwrap();
    assert_eq!(candles.len(), 300);
}

#[tokio::test]
async fn a_refused_quote_token_is_replaced() {
    let fake = FakeTastyTrade::start().unwrap();
    let broker = broker(&fake);
    broker.quotes(&[sym("SPY")]).await.unwrap();
    eventually("live", || broker.live_quotes(&[sym("SPY")]).len() == 1).await;
    fake.expire_quote_tokens();
    fake.drop_dxlink_connections();
    eventually("reconnected with a new token", || {
        broker.stream_status().unwrap().sessions == 2
    })
    .await;
    assert_eq!(fake.dxlink_auths(), (2, 1), "one refusal, then a fresh token");
    assert_eq!(fake.quote_tokens_minted(), 2);
}

#[tokio::test]
async fn keepalives_are_sent_and_a_silent_link_is_replaced() {
    let fake = FakeTastyTrade::start().unwrap();
    let broker = broker_with(
        &fake,
        StreamSettings {
            keepalive: Duration::from_millis(30),
            silence_limit: Duration::from_millis(400),
            ..settings()
        },
    );
    broker.quotes(&[sym("SPY")]).await.unwrap();
    eventually("keepalives", || fake.dxlink_keepalives() >= 3).await;
    fake.freeze_dxlink(true);
    eventually("the frozen link given up", || {
        !broker.stream_status().unwrap().connected
    })
    .await;
    // The frozen connection is abandoned; the next one works once the fake thaws.
    fake.freeze_dxlink(false);
    eventually("a new session", || broker.stream_status().unwrap().sessions >= 2).await;
    eventually("live again", || broker.live_quotes(&[sym("SPY")]).len() == 1).await;
}

#[tokio::test]
async fn idle_subscriptions_are_dropped_and_the_connection_closed() {
    let fake = FakeTastyTrade::start().unwrap();
    let broker = broker_with(
        &fake,
        StreamSettings {
            idle_after: Duration::from_millis(200),
            ..settings()
        },
    );
    broker.quotes(&[sym("SPY")]).await.unwrap();
    eventually("subscribed", || !fake.dxlink_subscriptions().is_empty()).await;
    eventually("unsubscribed when nobody asks", || {
        broker.stream_status().unwrap().watched == 0
    })
    .await;
    eventually("the connection closed", || fake.dxlink_open() == 0).await;
    // The next ask opens another connection.
    broker.quotes(&[sym("AAPL")]).await.unwrap();
    eventually("live again", || broker.live_quotes(&[sym("AAPL")]).len() == 1).await;
    assert_eq!(fake.dxlink_connections(), 2);
}

#[tokio::test]
async fn without_credentials_nothing_streams() {
    let fake = FakeTastyTrade::start().unwrap();
    let mut config = TastyConfig {
        api_url: fake.url(),
        user_agent: "ttai-tests/0.0.0".to_owned(),
        timeout: Duration::from_secs(10),
        credentials: None,
        now: sample_now,
        streaming: Some(settings()),
    };
    let broker = TastyTradeBroker::new(config.clone());
    let hint = BrokerError::Unauthenticated(LOGIN_HINT.to_owned());
    assert_eq!(
        broker
            .candles(&sym("SPY"), Timeframe::Daily, Timestamp::from_millis(0))
            .await
            .unwrap_err(),
        hint
    );
    assert!(broker.live_quotes(&[sym("SPY")]).is_empty());
    assert_eq!((fake.total_calls(), fake.dxlink_connections()), (0, 0));
    // Credentials the API refuses: candle requests hear why instead of waiting.
    config.credentials = Some(ttai_core::ports::Credentials {
        client_secret: ttai_core::ports::Secret::new("wrong"),
        refresh_token: ttai_core::ports::Secret::new("wrong"),
    });
    let broker = TastyTradeBroker::new(config);
    let err = broker
        .candles(&sym("SPY"), Timeframe::Daily, Timestamp::from_millis(0))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, BrokerError::Unavailable(m) if m.contains("DXLink streaming is not available") && m.contains("ttai login")),
        "{err:?}"
    );
}

#[tokio::test]
async fn quote_tokens_and_secrets_never_reach_the_logs() {
    const ACCESS: &str = "CANARY-stream-token";
    let mut options = FakeOptions::scenario();
    options.token_prefix = ACCESS.to_owned();
    let fake = FakeTastyTrade::start_with(options).unwrap();
    let broker = broker(&fake);
    broker.quotes(&[sym("SPY")]).await.unwrap();
    broker
        .candles(&sym("SPY"), Timeframe::Daily, Timestamp::from_millis(0))
        .await
        .unwrap();
    fake.expire_quote_tokens();
    fake.drop_dxlink_connections();
    eventually("reconnected", || broker.stream_status().unwrap().sessions == 2).await;
    let debug = format!("{broker:?}");
    let logs = common::logs();
    assert!(logs.contains("DXLink connected"), "the logs were captured");
    for text in [&debug, &logs] {
        assert!(!text.contains(ACCESS), "{text}");
        assert!(!text.contains(contract_tests::fake_tastytrade::CLIENT_SECRET));
        assert!(!text.contains(contract_tests::fake_tastytrade::REFRESH_TOKEN));
    }
}

#[tokio::test]
async fn a_chain_carries_the_feeds_greeks_of_its_priced_contracts() {
    use ttai_core::app::years_to_expiry;
    use ttai_core::domain::OptionType;
    use ttai_core::quant::bsm;

    let fake = FakeTastyTrade::start().unwrap();
    let broker = broker(&fake);
    let chain = broker.option_chain(&sym("SPY")).await.unwrap();
    let spot = chain.underlying_price.unwrap();
    let mut with_greeks = 0;
    for exp in &chain.expirations {
        let t = years_to_expiry(sample_now(), exp.date);
        for row in &exp.strikes {
            for (contract, option_type) in [(&row.call, OptionType::Call), (&row.put, OptionType::Put)] {
                let Some(contract) = contract else { continue };
                let Some(greeks) = contract.broker_greeks else {
                    continue;
                };
                with_greeks += 1;
                // The fake computes them as ttai would: the same IV from the same mid.
                let iv = bsm::implied_volatility(
                    option_type,
                    spot,
                    row.strike,
                    t,
                    0.04,
                    0.013,
                    contract.mid().unwrap(),
                )
                .unwrap();
                assert!(
                    (greeks.iv - iv).abs() < 1e-9,
                    "{} {} vs {iv}",
                    contract.symbol,
                    greeks.iv
                );
                assert!(greeks.delta.abs() <= 1.0 && greeks.gamma >= 0.0);
                assert_eq!(greeks.as_of, sample_now());
            }
        }
    }
    let priced = chain
        .expirations
        .iter()
        .flat_map(|e| &e.strikes)
        .flat_map(|r| [&r.call, &r.put])
        .flatten()
        .filter(|c| c.mid().is_some())
        .count();
    assert!(
        with_greeks > 0 && with_greeks == priced.min(broker_tastytrade::CHAIN_MAX_GREEKS),
        "{with_greeks} of {priced}"
    );
    let watched = broker.stream_status().unwrap().greeks;
    assert_eq!(watched, with_greeks);
    // The next fetch finds them held live: no new subscriptions, no waiting.
    let started = std::time::Instant::now();
    let again = broker.option_chain(&sym("SPY")).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(broker.stream_status().unwrap().greeks, watched);
    assert_eq!(again.expirations, chain.expirations);
}
