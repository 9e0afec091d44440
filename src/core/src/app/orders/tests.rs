//! The order use cases on the sample account (net liq 100 000, 40 000 option buying power, 100
//! SPY shares, one short AAPL put), with a scripted person.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use super::*;
use crate::app::analysis::{Progress, Strategy};
use crate::domain::{InstrumentType, OptionChain, Symbol};
use crate::testing::{FakeBroker, InMemoryStore, sample_config, sample_market, sample_now};

/// A person who answers by a script, after an optional wait.
struct Person {
    answer: Box<dyn Fn(&ConsentRequest) -> ConsentAnswer + Send + Sync>,
    wait: Duration,
    asked: Mutex<Vec<ConsentRequest>>,
    available: bool,
}

impl Person {
    fn new(answer: impl Fn(&ConsentRequest) -> ConsentAnswer + Send + Sync + 'static) -> Person {
        Person {
            answer: Box::new(answer),
            wait: Duration::ZERO,
            asked: Mutex::new(Vec::new()),
            available: true,
        }
    }

    fn accepting() -> Person {
        Person::new(|r| ConsentAnswer::Accepted {
            order_code: r.order_code.clone(),
        })
    }

    fn asked(&self) -> Vec<ConsentRequest> {
        self.asked.lock().unwrap().clone()
    }
}

#[async_trait]
impl Consent for Person {
    fn available(&self) -> Result<(), String> {
        if self.available {
            Ok(())
        } else {
            Err("this client cannot show a confirmation form".to_owned())
        }
    }

    async fn ask(&self, request: &ConsentRequest) -> ConsentAnswer {
        self.asked.lock().unwrap().push(request.clone());
        tokio::time::sleep(self.wait).await;
        (self.answer)(request)
    }
}

/// The view of a use case that ran to its end (these people answer at once).
trait Done<T> {
    fn done(self) -> T;
}

impl<T> Done<T> for Confirmed<T> {
    fn done(self) -> T {
        match self {
            Confirmed::Done(view) => view,
            Confirmed::Asking(question) => panic!("deferred: {question:?}"),
        }
    }
}

struct Quiet;
impl Progress for Quiet {
    fn report(&self, _: f64, _: f64, _: &str) {}
}

fn app(allow: bool) -> (Arc<FakeBroker>, App) {
    let broker = Arc::new(FakeBroker::new(sample_market(), sample_now()));
    let app = App::new(broker.clone(), Arc::new(InMemoryStore::new()), sample_config()).with_order_settings(
        OrderSettings {
            allow_orders: allow,
            ..OrderSettings::default()
        },
    );
    (broker, app)
}

fn spy_chain(broker: &FakeBroker) -> OptionChain {
    let mut chain = None;
    broker.update_market(|m| chain = m.chains.iter().find(|c| c.underlying.as_str() == "SPY").cloned());
    chain.unwrap()
}

/// The first expiration's put (or call) nearest `fraction` of the price.
fn contract(broker: &FakeBroker, put: bool, fraction: f64) -> String {
    let chain = spy_chain(broker);
    let spot = chain.underlying_price.unwrap();
    let row = chain.expirations[0]
        .strikes
        .iter()
        .min_by(|a, b| {
            (a.strike - spot * fraction)
                .abs()
                .total_cmp(&(b.strike - spot * fraction).abs())
        })
        .unwrap();
    let c = if put { row.put.as_ref() } else { row.call.as_ref() };
    c.unwrap().symbol.clone()
}

fn legs(symbol: &str, action: TradeAction, quantity: u32) -> OrderSpec {
    OrderSpec {
        account: None,
        source: OrderSource::Legs {
            underlying: Symbol::parse("SPY").unwrap(),
            legs: vec![LegSpec {
                symbol: Some(Symbol::parse(symbol).unwrap()),
                option_type: None,
                strike: None,
                expiration: None,
                action,
                quantity,
            }],
        },
        contracts: None,
        price: None,
        price_effect: None,
        time_in_force: TimeInForce::Day,
        allow_below_basis: false,
    }
}

fn codes(view: &PreviewView) -> Vec<&'static str> {
    view.checks.iter().map(|c| c.code).collect()
}

#[tokio::test]
async fn a_preview_is_the_exact_order_with_the_brokers_dry_run_and_changes_nothing() {
    let (broker, app) = app(false);
    let put = contract(&broker, true, 0.95);
    let view = app
        .preview_order(&legs(&put, TradeAction::SellToOpen, 1))
        .await
        .unwrap();
    let market = view.market.clone().unwrap();
    assert_eq!(view.order.price, market.suggested_limit);
    assert!(view.order.price <= market.mid && view.order.price >= market.natural);
    assert_eq!(view.order.price_effect, PriceEffect::Credit);
    assert_eq!(view.order.legs[0].symbol, put);
    assert!(
        view.order.ticket.starts_with("SELL 1 SPY "),
        "{}",
        view.order.ticket
    );
    assert_eq!(view.order_code, view.order_hash[..8]);
    assert!(view.broker.accepted);
    assert_eq!(view.broker.fees.as_ref().unwrap().total_fees, 1.13);
    assert!(view.broker.buying_power_used.unwrap() > 0.0);
    assert!(view.placeable, "{:?}", view.checks);
    assert!(!view.orders_enabled && view.next_step.contains("--allow-orders"));
    assert!(!view.paper, "the fake broker is not a paper broker");
    assert!(broker.placed_orders().is_empty());
    let log = app.audit_log(10).await.unwrap();
    assert_eq!(
        (log[0].action.as_str(), log[0].outcome.as_str()),
        ("preview", "previewed")
    );
    assert_eq!(log[0].order_hash.as_deref(), Some(view.order_hash.as_str()));
}

#[tokio::test]
async fn a_candidate_of_a_saved_analysis_becomes_its_order() {
    let (broker, app) = app(false);
    let full = app
        .run_full_analysis(&Symbol::parse("SPY").unwrap(), Strategy::Spread, &Quiet)
        .await
        .unwrap();
    let candidate = &full.options.candidates[0];
    let spec = OrderSpec {
        source: OrderSource::Candidate {
            analysis_id: crate::domain::AnalysisId(full.analysis_id.clone()),
            rank: 1,
        },
        contracts: Some(2),
        ..legs("SPY", TradeAction::SellToOpen, 1)
    };
    let view = app.preview_order(&spec).await.unwrap();
    let symbols: Vec<&str> = view.order.legs.iter().map(|l| l.symbol.as_str()).collect();
    let wanted: Vec<&str> = candidate.legs.iter().map(|l| l.symbol.as_str()).collect();
    assert_eq!(symbols, wanted);
    assert!(view.order.legs.iter().all(|l| l.quantity == 2));
    assert_eq!(view.order.legs[0].action, TradeAction::SellToOpen);
    assert_eq!(view.order.legs[1].action, TradeAction::BuyToOpen);
    // The market has not moved since the analysis: the same limit.
    assert_eq!(view.order.price, candidate.credit);
    assert_eq!(view.from_analysis.as_ref().unwrap().rank, 1);
    // An unknown rank names the field.
    let bad = OrderSpec {
        source: OrderSource::Candidate {
            analysis_id: crate::domain::AnalysisId(full.analysis_id.clone()),
            rank: 42,
        },
        ..spec
    };
    let err = app.preview_order(&bad).await.unwrap_err();
    assert_eq!(err.details["field"], "rank");
    assert!(broker.placed_orders().is_empty());
}

#[tokio::test]
async fn legs_that_are_not_an_order_are_refused_naming_the_field() {
    let (broker, app) = app(true);
    let put = contract(&broker, true, 0.95);
    // A stock symbol where an option belongs.
    let err = app
        .preview_order(&legs("QQQ", TradeAction::SellToOpen, 1))
        .await
        .unwrap_err();
    assert_eq!(err.details["field"], "legs[0].symbol");
    assert_eq!(
        err.message,
        "legs[0].symbol: \"QQQ\" is not an OCC option symbol such as \"SPY   261224P00540000\""
    );
    let err = app
        .preview_order(&legs(&put, TradeAction::SellToOpen, 0))
        .await
        .unwrap_err();
    assert_eq!(err.details["field"], "legs[0].quantity");
    // Neither a symbol nor type, strike and expiration.
    let mut bare = legs(&put, TradeAction::SellToOpen, 1);
    if let OrderSource::Legs { legs, .. } = &mut bare.source {
        legs[0].symbol = None;
    }
    let err = app.preview_order(&bare).await.unwrap_err();
    assert_eq!(err.details["field"], "legs[0]");
    assert_eq!(broker.calls("dry_run_order"), 0, "nothing reached the broker");
    assert!(app.audit_log(10).await.unwrap().is_empty());
}

#[tokio::test]
async fn the_position_rules_and_the_servers_limits_block_an_order() {
    let (broker, app) = app(true);
    // 100 shares cover one call: two are one naked.
    let call = contract(&broker, false, 1.05);
    let view = app
        .preview_order(&legs(&call, TradeAction::SellToOpen, 2))
        .await
        .unwrap();
    assert!(
        codes(&view).contains(&"naked_call") && !view.placeable,
        "{:?}",
        view.checks
    );
    assert!(
        app.preview_order(&legs(&call, TradeAction::SellToOpen, 1))
            .await
            .unwrap()
            .placeable
    );
    // Closing what is not held.
    let put = contract(&broker, true, 0.95);
    let view = app
        .preview_order(&legs(&put, TradeAction::BuyToClose, 1))
        .await
        .unwrap();
    assert!(codes(&view).contains(&"close_without_position"));
    // More contracts than the server allows, and more buying power than it allows.
    let view = app
        .preview_order(&legs(&put, TradeAction::SellToOpen, 11))
        .await
        .unwrap();
    assert!(
        codes(&view).contains(&"max_contracts_per_order"),
        "{:?}",
        view.checks
    );
    assert!(
        codes(&view).contains(&"max_order_buying_power"),
        "{:?}",
        view.checks
    );
    // Blocked: the person is never asked and nothing is sent.
    let person = Person::accepting();
    let err = app
        .place_order(&legs(&call, TradeAction::SellToOpen, 2), &person)
        .await
        .unwrap_err();
    assert_eq!(err.details["reason"], "blocked");
    assert!(person.asked().is_empty());
    assert!(broker.placed_orders().is_empty());
}

#[tokio::test]
async fn only_the_persons_acceptance_of_this_order_places_it_once() {
    let (broker, app) = app(true);
    let put = contract(&broker, true, 0.95);
    let spec = legs(&put, TradeAction::SellToOpen, 1);
    let person = Person::accepting();
    let placed = app.place_order(&spec, &person).await.unwrap().done();
    assert!(placed.placed && placed.outcome == "placed");
    let asked = person.asked();
    assert_eq!(asked.len(), 1);
    assert!(asked[0].message.contains(&placed.order.ticket));
    assert!(asked[0].message.contains("fees $1.13"), "{}", asked[0].message);
    let sent = broker.placed_orders();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].request().unwrap().fingerprint(), placed.order_hash);
    assert_eq!(
        placed.broker_order.as_ref().unwrap().id.as_deref(),
        Some("fake-1")
    );
    let log = app.audit_log(10).await.unwrap();
    let trail: Vec<(&str, &str)> = log
        .iter()
        .rev()
        .map(|e| (e.action.as_str(), e.outcome.as_str()))
        .collect();
    assert_eq!(
        trail,
        [("confirmation", "accepted"), ("place", "placed")],
        "place_order previews without a preview entry of its own"
    );
    assert_eq!(log[0].order_id.as_deref(), Some("fake-1"));

    // Declined and dismissed: nothing more is sent.
    let declined = app
        .place_order(&spec, &Person::new(|_| ConsentAnswer::Declined))
        .await
        .unwrap()
        .done();
    assert_eq!((declined.placed, declined.outcome), (false, "declined"));
    let dismissed = app
        .place_order(&spec, &Person::new(|_| ConsentAnswer::Cancelled))
        .await
        .unwrap()
        .done();
    assert_eq!(dismissed.outcome, "cancelled");
    // An answer naming another order (the code of a confirmation given before) is refused.
    let stale = asked[0].order_code.clone();
    let mut other = legs(&contract(&broker, true, 0.93), TradeAction::SellToOpen, 1);
    other.time_in_force = TimeInForce::Gtc;
    let err = app
        .place_order(
            &other,
            &Person::new(move |_| ConsentAnswer::Accepted {
                order_code: stale.clone(),
            }),
        )
        .await
        .unwrap_err();
    assert_eq!(err.details["reason"], "confirmation_mismatch");
    // No client to ask, and no answer.
    let mut absent = Person::accepting();
    absent.available = false;
    let err = app.place_order(&spec, &absent).await.unwrap_err();
    assert_eq!(err.details["reason"], "no_confirmation_channel");
    assert!(absent.asked().is_empty());
    let err = app
        .place_order(&spec, &Person::new(|_| ConsentAnswer::NoAnswer))
        .await
        .unwrap_err();
    assert_eq!(err.details["reason"], "no_answer");
    assert_eq!(
        broker.placed_orders().len(),
        1,
        "only the accepted order was sent"
    );
    let outcomes: Vec<String> = app
        .audit_log(20)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.action == "confirmation")
        .map(|e| e.outcome.clone())
        .collect();
    assert_eq!(
        outcomes,
        [
            "no_answer",
            "unavailable",
            "mismatch",
            "cancelled",
            "declined",
            "accepted"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn an_acceptance_after_two_minutes_places_nothing() {
    let (broker, app) = app(true);
    let put = contract(&broker, true, 0.95);
    let mut slow = Person::accepting();
    slow.wait = Duration::from_secs(121);
    let err = app
        .place_order(&legs(&put, TradeAction::SellToOpen, 1), &slow)
        .await
        .unwrap_err();
    assert_eq!(err.details["reason"], "confirmation_expired");
    assert!(broker.placed_orders().is_empty());
}

#[tokio::test]
async fn with_orders_off_nothing_is_asked_or_sent() {
    let (broker, app) = app(false);
    let put = contract(&broker, true, 0.95);
    let person = Person::accepting();
    let err = app
        .place_order(&legs(&put, TradeAction::SellToOpen, 1), &person)
        .await
        .unwrap_err();
    assert_eq!(err.details["reason"], "orders_disabled");
    assert!(err.message.contains("--allow-orders"));
    assert_eq!(broker.calls("dry_run_order"), 0);
    assert!(person.asked().is_empty());
    let err = app.cancel_order(None, "fake-1", &person).await.unwrap_err();
    assert_eq!(err.details["reason"], "orders_disabled");
    let log: Vec<(String, String)> = app
        .audit_log(10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.action, e.outcome))
        .collect();
    assert_eq!(
        log,
        [
            ("cancel".to_owned(), "refused".to_owned()),
            ("place".to_owned(), "refused".to_owned())
        ],
        "refusals are on record too"
    );
}

#[tokio::test]
async fn a_working_order_is_listed_and_cancelled_when_the_person_confirms() {
    let (broker, app) = app(true);
    let put = contract(&broker, true, 0.95);
    app.place_order(&legs(&put, TradeAction::SellToOpen, 1), &Person::accepting())
        .await
        .unwrap();
    let listed = app.list_orders(None, 7).await.unwrap();
    assert_eq!((listed.today.len(), listed.working), (1, 1));
    let id = listed.today[0].id.clone().unwrap();
    // A client that cannot ask: refused before anything is shown, the order still working.
    let mut unreachable = Person::accepting();
    unreachable.available = false;
    let err = app.cancel_order(None, &id, &unreachable).await.unwrap_err();
    assert_eq!(err.details["reason"], "no_confirmation_channel");
    assert!(err.message.contains("TastyTrade's own app"), "{}", err.message);
    assert!(unreachable.asked().is_empty());
    assert_eq!(app.list_orders(None, 0).await.unwrap().working, 1);
    let declined = app
        .cancel_order(None, &id, &Person::new(|_| ConsentAnswer::Declined))
        .await
        .unwrap()
        .done();
    assert!(!declined.cancelled);
    let person = Person::accepting();
    let cancelled = app.cancel_order(None, &id, &person).await.unwrap().done();
    assert!(cancelled.cancelled);
    assert_eq!(cancelled.order.status, crate::domain::OrderStatus::Cancelled);
    assert!(
        person.asked()[0]
            .order_text
            .starts_with(&format!("CANCEL order {id}"))
    );
    let err = app.cancel_order(None, &id, &person).await.unwrap_err();
    assert_eq!(err.details["reason"], "not_cancellable");
    assert_eq!(
        app.list_orders(None, 0).await.unwrap().working,
        0,
        "{:?}",
        InstrumentType::EquityOption
    );
}
