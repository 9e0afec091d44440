//! Orders a person confirms, end to end: the real binary against the fake TastyTrade, driven by
//! the official MCP Python SDK with a scripted person behind its elicitation callback
//! (`python/orders_client.py`), and paper trading on the demo tape (`python/paper_client.py`).

use contract_tests::fake_tastytrade::{Endpoint, FakeTastyTrade};
use ttai_core::testing::sample_market_at;

use crate::live_fake::{REFRESH, SECRET, fake};
use crate::python_sdk::run_client;
use crate::support::BIN;

/// Runs `script` with the binary against a new fake TastyTrade and a put of its SPY chain
/// (`BIN DATA_DIR API_URL SECRET REFRESH OCC`): the fake, the put and the client's summary.
fn against_the_fake(script: &str) -> (FakeTastyTrade, String, serde_json::Value) {
    let fake = fake();
    let market = sample_market_at(crate::live_fake::wall_now());
    let chain = market
        .chains
        .iter()
        .find(|c| c.underlying.as_str() == "SPY")
        .unwrap();
    let occ = chain.expirations[0].strikes[2]
        .put
        .as_ref()
        .unwrap()
        .symbol
        .clone();
    let data_dir = tempfile::tempdir().unwrap();
    let summary = run_client(
        script,
        &[
            BIN,
            data_dir.path().to_str().unwrap(),
            &fake.url(),
            SECRET,
            REFRESH,
            &occ,
        ],
    );
    (fake, occ, summary)
}

#[test]
fn only_the_orders_the_person_confirmed_reach_tastytrade() {
    let (fake, occ, summary) = against_the_fake("orders_client.py");

    // The preview: the exact order, TastyTrade's dry run, placeable, orders on, not paper.
    let preview = &summary["preview"];
    assert_eq!(preview["placeable"], true, "{summary}");
    assert_eq!(preview["orders_enabled"], true);
    assert_eq!(preview["paper"], false);
    assert_eq!(preview["fees"], 1.13);
    assert!(preview["buying_power_used"].as_f64().unwrap() > 0.0);
    let ticket = preview["ticket"].as_str().unwrap();
    assert!(
        ticket.ends_with("@ 99.00 LMT credit, good till cancelled"),
        "{ticket}"
    );

    // Accepted: the form showed that order, its fees and buying power; it was placed.
    let accepted = &summary["accepted"];
    assert_eq!(accepted["placed"], true, "{summary}");
    let shown = &summary["accepted_shown"][0];
    assert_eq!(shown["code"], preview["order_code"]);
    assert_eq!(shown["label"], ticket);
    let message = shown["message"].as_str().unwrap();
    for part in [ticket, "fees $1.13", "buying power used $", "order code"] {
        assert!(message.contains(part), "{part:?} not in {message}");
    }
    let placed_id = accepted["broker_order"]["id"].as_str().unwrap();

    // Declined, absent, changed: refused, nothing sent.
    assert_eq!(
        (
            summary["declined"]["placed"].as_bool(),
            summary["declined"]["outcome"].as_str()
        ),
        (Some(false), Some("declined"))
    );
    assert_eq!(summary["declined_shown"], 1);
    assert_eq!(summary["absent"]["error"], true);
    assert_eq!(summary["absent"]["reason"], "no_confirmation_channel");
    assert!(
        summary["absent"]["message"]
            .as_str()
            .unwrap()
            .contains("TastyTrade's own app")
    );
    assert_eq!(summary["changed"]["reason"], "confirmation_mismatch", "{summary}");
    assert_ne!(
        summary["changed_shown"][0]["code"], shown["code"],
        "a different order was shown"
    );
    assert_eq!(summary["orders_off"]["reason"], "orders_disabled");
    assert_eq!(summary["orders_off_shown"], 0, "nobody was asked");

    // The fake saw exactly the confirmed order, once, and its cancel.
    let bodies = fake.order_bodies();
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    assert_eq!(
        bodies[0]["external-identifier"],
        format!("ttai-{}", shown["code"].as_str().unwrap())
    );
    assert_eq!(bodies[0]["price"], "99.00");
    assert_eq!(bodies[0]["legs"][0]["symbol"], occ.as_str());
    assert_eq!(bodies[0]["legs"][0]["action"], "Sell to Open");
    assert_eq!(fake.held_orders().len(), 1);
    assert_eq!(fake.held_orders()[0].0.to_string(), placed_id);
    assert_eq!(summary["listed"][0]["id"], placed_id);
    assert_eq!(summary["cancelled"]["cancelled"], true, "{summary}");
    assert_eq!(fake.held_orders()[0].1, "Cancelled");
    assert_eq!(fake.requests_to(Endpoint::CancelOrder).len(), 1);

    // The audit log has every step, the confirmations bound to the orders' fingerprints.
    let audit: Vec<(String, String)> = summary["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e[0].as_str().unwrap().to_owned(),
                e[1].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("preview", "previewed"),
        ("confirmation", "accepted"),
        ("place", "placed"),
        ("confirmation", "declined"),
        ("confirmation", "unavailable"),
        ("confirmation", "mismatch"),
        ("confirmation", "accepted"),
        ("cancel", "cancelled"),
    ];
    assert_eq!(
        audit,
        expected
            .iter()
            .map(|(a, o)| ((*a).to_owned(), (*o).to_owned()))
            .collect::<Vec<_>>()
    );
    assert_eq!(summary["audit"][1][2], preview["order_hash"]);
}

#[test]
fn paper_trading_on_the_demo_tape_sells_puts_and_settles_them_at_expiration() {
    let data_dir = tempfile::tempdir().unwrap();
    let baseline_dir = tempfile::tempdir().unwrap();
    let s = run_client(
        "paper_client.py",
        &[
            BIN,
            data_dir.path().to_str().unwrap(),
            baseline_dir.path().to_str().unwrap(),
        ],
    );
    // Every answer says paper: the flag on orders, the source everywhere.
    assert_eq!(s["preview"]["paper"], true, "{s}");
    assert_eq!(s["preview"]["source"], "replay:demo+paper");
    assert_eq!(s["orders"]["paper"], true);
    assert_eq!(s["risk"]["source"], "replay:demo+paper");
    for side in ["before", "filled", "after"] {
        assert_eq!(s[side]["balances"]["source"], "replay:demo+paper");
    }
    // The analysis's best put (575, 2026-06-18) and a far 530 put fill at their limits, the mid
    // rounded toward a fill.
    let best = &s["best"];
    assert_eq!(best["expiration"], "2026-06-18");
    let placed = s["placed"].as_array().unwrap();
    for order in placed {
        assert_eq!(order["placed"], true);
        assert_eq!(order["paper"], true);
        assert_eq!(order["status"], "filled");
        assert_eq!(order["fill_price"], order["price"]);
        assert_eq!(order["fees"], 1.13);
    }
    assert_eq!(placed[0]["symbol"], best["symbol"]);
    assert_eq!(placed[0]["price"], best["credit"]);
    let (near, far) = (
        placed[0]["symbol"].as_str().unwrap(),
        placed[1]["symbol"].as_str().unwrap(),
    );
    assert_eq!(far, "SPY   260618P00530000");
    // Positions, balances and the portfolio risk show both puts.
    for symbol in [near, far] {
        assert_eq!(s["filled"]["positions"][symbol], -1.0, "{}", s["filled"]);
        assert!(
            s["risk"]["legs"].as_array().unwrap().iter().any(|l| l == symbol),
            "{}",
            s["risk"]
        );
    }
    let credits = placed
        .iter()
        .map(|o| o["price"].as_f64().unwrap() * 100.0 - 1.13)
        .sum::<f64>();
    let cash = |side: &str| s[side]["balances"]["cash_balance"].as_f64().unwrap();
    assert!((cash("filled") - cash("before") - credits).abs() < 0.005);
    // After SPY closed at 537.77 on 2026-06-18: the 575 put was assigned (100 shares bought at
    // 575), the 530 put expired worthless; both are gone from positions and the risk.
    assert_eq!(s["clock"], "2026-06-19T21:00:00Z");
    let baseline_shares = s["baseline"]["positions"]["SPY"].as_f64().unwrap_or(0.0);
    assert_eq!(
        s["after"]["positions"]["SPY"],
        baseline_shares + 100.0,
        "{}",
        s["after"]
    );
    for symbol in [near, far] {
        assert!(s["after"]["positions"].get(symbol).is_none());
        assert!(!s["risk_after"].as_array().unwrap().iter().any(|l| l == symbol));
    }
    assert!(
        (cash("after") - (cash("baseline") + credits - 57_500.0)).abs() < 0.005,
        "{} vs {}",
        cash("after"),
        cash("baseline")
    );
    let bp = |side: &str| s[side]["balances"]["derivative_buying_power"].as_f64().unwrap();
    assert!(
        bp("after") < bp("baseline") - 57_000.0,
        "the shares and the cash paid use buying power"
    );
    // The audit log: the preview, and each order with its confirmation, all on paper.
    let audit: Vec<(&str, &str, bool)> = s["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e[0].as_str().unwrap(),
                e[1].as_str().unwrap(),
                e[2].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        audit,
        [
            ("preview", "previewed", true),
            ("confirmation", "accepted", true),
            ("place", "placed", true),
            ("confirmation", "accepted", true),
            ("place", "placed", true),
        ]
    );
}

#[test]
fn the_confirmation_travels_over_streamable_http_too() {
    let data_dir = tempfile::tempdir().unwrap();
    let server = crate::http_support::spawn_http(
        &["--allow-orders"],
        &[("TTAI_DATA_DIR", data_dir.path().to_str().unwrap())],
    );
    let summary = run_client("orders_http_client.py", &[&format!("{}/mcp", server.base)]);
    assert_eq!(summary["accept"]["placed"], true, "{summary}");
    assert_eq!(summary["accept"]["paper"], true);
    assert_eq!(summary["accept"]["orders"], 1);
    assert_eq!(summary["decline"]["outcome"], "declined");
    assert_eq!(
        summary["decline"]["orders"], 1,
        "the declined order was not placed"
    );
}

/// What `orders_modern_client.py` found, the same over stdio and HTTP: the form, the order
/// placed once on the accepted retry, the replay, the tampered state, the decline, the client
/// without elicitation and the confirmed cancel refused or done as they should be.
fn check_the_stateless_confirmation(s: &serde_json::Value) {
    assert_eq!(s["protocol_version"], "2026-07-28", "{s}");
    assert_eq!(s["first_type"], "InputRequiredResult", "{s}");
    let shown = &s["shown"];
    assert_eq!(shown["method"], "elicitation/create");
    let message = shown["message"].as_str().unwrap();
    for part in [
        shown["label"].as_str().unwrap(),
        "fees $",
        "buying power used $",
        "order code",
        shown["code"].as_str().unwrap(),
    ] {
        assert!(message.contains(part), "{part:?} not in {message}");
    }
    assert_eq!(s["accepted"]["placed"], true, "{s}");
    assert_eq!(s["accepted"]["outcome"], "placed");
    assert_eq!(s["replayed"]["error"], true, "{s}");
    assert_eq!(s["replayed"]["reason"], "confirmation_used");
    assert_eq!(s["tampered"]["refused"], true, "{s}");
    assert_eq!(s["tampered"]["code"], -32602);
    assert_eq!(
        (
            s["declined"]["placed"].as_bool(),
            s["declined"]["outcome"].as_str()
        ),
        (Some(false), Some("declined")),
        "{s}"
    );
    assert_eq!(s["declined_shown"], 1);
    assert_eq!(s["absent"]["reason"], "no_confirmation_channel", "{s}");
    assert!(
        s["absent"]["message"]
            .as_str()
            .unwrap()
            .contains("elicitation capability")
    );
    assert_eq!(s["cancelled"]["cancelled"], true, "{s}");
    assert!(
        s["cancel_shown"][0]["label"]
            .as_str()
            .unwrap()
            .starts_with("CANCEL order")
    );
    let audit: Vec<(&str, &str)> = s["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e[0].as_str().unwrap(), e[1].as_str().unwrap()))
        .collect();
    assert_eq!(
        audit,
        [
            ("confirmation", "asked"),
            ("confirmation", "accepted"),
            ("place", "placed"),
            ("confirmation", "replayed"),
            ("confirmation", "asked"),
            ("confirmation", "asked"),
            ("confirmation", "declined"),
            ("confirmation", "unavailable"),
            ("confirmation", "asked"),
            ("confirmation", "accepted"),
            ("cancel", "cancelled"),
        ],
        "{s}"
    );
    assert_eq!(s["audit"][1][2], s["accepted"]["order_hash"]);
}

#[test]
fn under_2026_07_28_the_person_confirms_by_retrying_and_tastytrade_sees_one_order() {
    let (fake, occ, s) = against_the_fake("orders_modern_client.py");
    check_the_stateless_confirmation(&s);
    assert_eq!(s["accepted"]["paper"], false);
    let bodies = fake.order_bodies();
    assert_eq!(bodies.len(), 1, "exactly the confirmed order, once: {bodies:?}");
    assert_eq!(
        bodies[0]["external-identifier"],
        format!("ttai-{}", s["shown"]["code"].as_str().unwrap())
    );
    assert_eq!(bodies[0]["legs"][0]["symbol"], occ.as_str());
    assert_eq!(fake.held_orders().len(), 1);
    assert_eq!(fake.held_orders()[0].1, "Cancelled");
    assert_eq!(fake.requests_to(Endpoint::CancelOrder).len(), 1);
}

#[test]
fn under_2026_07_28_the_confirmation_works_over_http_on_paper() {
    let data_dir = tempfile::tempdir().unwrap();
    let server = crate::http_support::spawn_http(
        &["--allow-orders"],
        &[("TTAI_DATA_DIR", data_dir.path().to_str().unwrap())],
    );
    let s = run_client("orders_modern_client.py", &[&format!("{}/mcp", server.base)]);
    check_the_stateless_confirmation(&s);
    assert_eq!(s["accepted"]["paper"], true);
    assert_eq!(s["listed"].as_array().unwrap().len(), 1, "one paper order: {s}");
}

#[test]
fn paper_trading_on_the_live_broker_fills_locally_and_sends_no_order() {
    let (fake, occ, s) = against_the_fake("paper_live_client.py");
    assert_eq!(s["quote_source"], "tastytrade+paper", "{s}");
    assert_eq!(s["placed"]["placed"], true);
    assert_eq!(s["placed"]["paper"], true);
    assert_eq!(
        s["placed"]["status"], "filled",
        "a limit at the mid fills at once"
    );
    assert!(s["placed"]["id"].as_str().unwrap().starts_with("paper-"));
    assert_eq!(s["positions"][occ.as_str()], -1.0);
    assert_eq!(s["positions_source"], "tastytrade+paper");
    // Live quotes and chains were asked of TastyTrade; no order, not even a dry run.
    assert!(fake.calls(Endpoint::MarketData) > 0);
    assert_eq!(fake.calls(Endpoint::OrderDryRun), 0);
    assert_eq!(fake.calls(Endpoint::PlaceOrder), 0);
}
