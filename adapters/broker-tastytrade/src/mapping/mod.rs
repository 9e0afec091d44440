//! Wire types to domain types, in one place: signs, units, defaults and symbol parsing.
//!
//! - Quantities are unsigned on the wire with a `quantity-direction`; `Short` makes them negative.
//! - Money is unsigned with a sibling `<field>-effect`; `Debit` makes it negative.
//! - Market metrics mix units: IV index, IV ranks, IV percentile and dividend yield are
//!   fractions, historical volatilities are PERCENT and are divided by 100 here.
//! - Option fields (type, strike, expiration) come from the OCC symbol when the wire lacks them.
//! - `as_of` is the item's `updated-at`, or the broker's clock when the item has none.

mod account;
mod chain;
mod market;
mod orders;

pub(crate) use account::*;
pub(crate) use chain::*;
pub(crate) use market::*;
pub(crate) use orders::*;

use ttai_core::domain::{InstrumentType, instrument_from_api};

/// The instrument type of the API's `instrument-type` text.
pub(crate) fn instrument_type(text: Option<&str>) -> Option<InstrumentType> {
    text.map(instrument_from_api)
}

/// `value` with the sign of its `-effect`: `Debit` is negative, anything else positive.
pub(crate) fn signed_by_effect(value: f64, effect: Option<&str>) -> f64 {
    match effect.map(str::trim) {
        Some(e) if e.eq_ignore_ascii_case("debit") => -value.abs(),
        _ => value.abs(),
    }
}

/// `quantity` with the sign of its `quantity-direction`: `Short` is negative, `Zero` is zero.
pub(crate) fn signed_quantity(quantity: f64, direction: Option<&str>) -> f64 {
    match direction.map(str::trim) {
        Some(d) if d.eq_ignore_ascii_case("short") => -quantity.abs(),
        Some(d) if d.eq_ignore_ascii_case("zero") => 0.0,
        _ => quantity.abs(),
    }
}

/// A percent figure as a fraction: 20.02 → 0.2002.
pub(crate) fn percent_to_fraction(percent: f64) -> f64 {
    percent / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use ttai_core::domain::{
        AccountNumber, Expiration, InstrumentType, MarketState, OptionChain, OptionContract, Quote,
        StrikeRow, Symbol, TradeAction, TransactionQuery,
    };
    use ttai_core::ports::BrokerError;
    use ttai_core::time::{Date, Timestamp};

    use crate::symbols;
    use crate::wire;
    use ttai_core::domain::OptionType;

    fn now() -> Timestamp {
        "2025-06-13T20:00:00Z".parse().unwrap()
    }

    /// A real-shape transactions answer (the API's published example, with a page block): money
    /// unsigned with effects, fees as costs, a quantity as a string.
    #[test]
    fn transactions_read_their_effects_and_pagination() {
        let body = r#"{"data": {"items": [
            {"id": 2455333333, "account-number": "5YZ55555", "symbol": "RIVN  230623C00015000",
             "instrument-type": "Equity Option", "underlying-symbol": "RIVN", "transaction-type": "Trade",
             "transaction-sub-type": "Sell to Open", "description": "Sold 40 RIVN 06/23/23 Call 15.00 @ 0.47",
             "action": "Sell to Open", "quantity": "40.0", "price": "0.47",
             "executed-at": "2023-06-12T13:53:08.199+00:00", "transaction-date": "2023-06-12",
             "value": "1880.0", "value-effect": "Credit", "regulatory-fees": "0.042",
             "regulatory-fees-effect": "Debit", "clearing-fees": "0.40", "clearing-fees-effect": "Debit",
             "net-value": "1829.558", "net-value-effect": "Credit", "commission": "50.0", "commission-effect": "Debit",
             "proprietary-index-option-fees": "0.0", "proprietary-index-option-fees-effect": "None",
             "is-estimated-fee": true},
            {"id": 7, "transaction-type": "Money Movement", "transaction-sub-type": "Withdrawal",
             "description": "ACH", "executed-at": "2023-06-13T15:00:00Z", "value": "500", "value-effect": "Debit",
             "net-value": "500", "net-value-effect": "Debit", "is-estimated-fee": false},
            {"transaction-type": "Trade", "description": "no id"}
          ]},
          "pagination": {"per-page": 2, "page-offset": 1, "item-offset": 2, "total-items": 5, "total-pages": 3,
                         "current-item-count": 2, "previous-link": null, "next-link": null}}"#;
        let envelope: wire::Envelope<wire::Items<wire::TransactionWire>> =
            serde_json::from_str(body).unwrap();
        let account = AccountNumber::new("5YZ55555");
        let query = TransactionQuery::between(None, None, 2);
        let page = transaction_page(&account, &query, envelope.data.items, envelope.pagination);
        assert_eq!(
            (page.page, page.per_page, page.total_items, page.total_pages),
            (1, 2, 5, 3)
        );
        assert!(page.has_more());
        assert_eq!(page.items.len(), 2, "the item without an id is left out");
        let sold = &page.items[0];
        assert_eq!(sold.action, Some(TradeAction::SellToOpen));
        assert_eq!((sold.quantity, sold.price), (Some(40.0), Some(0.47)));
        assert_eq!((sold.value, sold.commission, sold.fees), (1880.0, 50.0, 0.442));
        assert_eq!(sold.net_value, 1829.558);
        assert_eq!(sold.instrument_type, Some(InstrumentType::EquityOption));
        assert_eq!(sold.underlying.as_ref().map(Symbol::as_str), Some("RIVN"));
        let withdrawal = &page.items[1];
        assert_eq!((withdrawal.value, withdrawal.net_value), (-500.0, -500.0));
        assert_eq!((withdrawal.symbol.clone(), withdrawal.action), (None, None));
        assert_eq!(withdrawal.date, "2023-06-13".parse().unwrap());
        // Without a page block: one page of what came.
        let page = transaction_page(&account, &query, Vec::new(), None);
        assert_eq!(
            (page.total_items, page.total_pages, page.has_more()),
            (0, 1, false)
        );
    }

    #[test]
    fn net_liq_times_with_hour_offsets_are_read() {
        let items: wire::Items<wire::NetLiqWire> = serde_json::from_str(
            r#"{"items": [
                {"open": "4498.712", "high": "4498.9", "low": "4498.1", "close": "4498.5",
                 "pending-cash-close": "0.0", "time": "2023-06-08 13:35:00+00"},
                {"open": "4498.667", "high": "4498.667", "low": "4498.667", "close": "4498.667",
                 "pending-cash-close": "12.5", "time": "2023-06-08 13:30:00+00"},
                {"close": "1", "time": "yesterday"}]}"#,
        )
        .unwrap();
        let points = net_liq_points(items.items);
        assert_eq!(points.len(), 2);
        assert_eq!(
            points[0].time.to_string(),
            "2023-06-08T13:30:00Z",
            "in time order"
        );
        assert_eq!((points[0].close, points[0].pending_cash), (4498.667, 12.5));
        assert_eq!(points[1].high, 4498.9);
    }

    #[test]
    fn sessions_and_holidays_are_read() {
        let items: wire::Items<wire::MarketSessionWire> = serde_json::from_str(
            r#"{"items": [
                {"instrument-collection": "CME", "state": "Open"},
                {"close-at": null, "close-at-ext": null, "instrument-collection": "Equity", "open-at": null,
                 "start-at": null, "state": "Closed",
                 "next-session": {"close-at": "2025-02-18T21:00:00.000Z", "close-at-ext": "2025-02-19T01:00:00.000Z",
                   "instrument-collection": "Equity", "open-at": "2025-02-18T14:30:00.000Z",
                   "session-date": "2025-02-18", "start-at": "2025-02-18T13:15:00.000Z"},
                 "previous-session": {"close-at": "2025-02-14T21:00:00.000Z", "instrument-collection": "Equity",
                   "open-at": "2025-02-14T14:30:00.000Z", "session-date": "2025-02-14",
                   "start-at": "2025-02-14T13:15:00.000Z"}}]}"#,
        )
        .unwrap();
        let session = market_session(items.items, now()).unwrap();
        assert_eq!(session.state, MarketState::Closed);
        assert!(session.current.is_none());
        let next = session.next.unwrap();
        assert_eq!(next.date, "2025-02-18".parse().unwrap());
        assert_eq!(next.start_at.to_string(), "2025-02-18T13:15:00Z");
        assert_eq!(session.previous.unwrap().close_at_ext, None);
        let none: wire::Items<wire::MarketSessionWire> =
            serde_json::from_str(r#"{"items": [{"instrument-collection": "CFE", "state": "Open"}]}"#)
                .unwrap();
        assert!(matches!(
            market_session(none.items, now()),
            Err(BrokerError::InvalidResponse(_))
        ));
        let calendar: wire::MarketCalendarWire = serde_json::from_str(
            r#"{"market-half-days": ["2025-12-24", "2025-07-03", "x"], "market-holidays": ["2025-12-25", "2025-01-01"]}"#,
        )
        .unwrap();
        let calendar = market_calendar(calendar);
        assert_eq!(calendar.half_days.len(), 2);
        assert!(calendar.holidays.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn historical_volatility_in_percent_becomes_a_fraction() {
        let item: wire::MetricsWire = serde_json::from_str(
            r#"{"symbol": "AAPL", "implied-volatility-index": "0.224186663",
                "implied-volatility-index-rank": "0.02231313", "implied-volatility-percentile": "0.031249801",
                "implied-volatility-30-day": "21.87", "historical-volatility-30-day": "20.02",
                "historical-volatility-60-day": "19.55", "historical-volatility-90-day": 20,
                "liquidity-rating": 4, "beta": "1.265634436", "dividend-yield": "0.006396146",
                "dividend-ex-date": "2023-05-12", "earnings": {"expected-report-date": "2023-07-27", "estimated": false},
                "updated-at": "2023-06-07T19:55:23.376Z"}"#,
        )
        .unwrap();
        let m = metrics(item, now()).unwrap();
        assert_eq!(m.iv_index, Some(0.224186663));
        assert_eq!(m.iv_rank, Some(0.02231313));
        assert_eq!(m.iv_percentile, Some(0.031249801));
        assert!((m.hv_30.unwrap() - 0.2002).abs() < 1e-12);
        assert!((m.hv_60.unwrap() - 0.1955).abs() < 1e-12);
        assert_eq!(m.hv_90, Some(0.2));
        assert_eq!(m.liquidity_rating, Some(4.0));
        assert_eq!(m.dividend_yield, Some(0.006396146));
        assert_eq!(m.earnings_date, Some("2023-07-27".parse().unwrap()));
        assert_eq!(m.ex_dividend_date, Some("2023-05-12".parse().unwrap()));
        assert_eq!(m.as_of, "2023-06-07T19:55:23.376Z".parse().unwrap());
    }

    #[test]
    fn metrics_without_figures_are_left_out_and_rank_falls_back() {
        let empty: wire::MetricsWire = serde_json::from_str(r#"{"symbol": "NOPE"}"#).unwrap();
        assert!(metrics(empty, now()).is_none());
        let tos: wire::MetricsWire = serde_json::from_str(
            r#"{"symbol": "SPX", "tos-implied-volatility-index-rank": "0.4", "earnings": null}"#,
        )
        .unwrap();
        let m = metrics(tos, now()).unwrap();
        assert_eq!(m.iv_rank, Some(0.4));
        assert_eq!(m.as_of, now());
    }

    #[test]
    fn short_quantities_are_negative_and_option_fields_come_from_the_symbol() {
        let account = AccountNumber::new("5WT00001");
        let items: Vec<wire::PositionWire> = serde_json::from_str(
            r#"[{"symbol": "RIVN  230609P00014000", "instrument-type": "Equity Option",
                 "underlying-symbol": "RIVN", "quantity": 40, "quantity-direction": "Short",
                 "close-price": "0.41", "average-open-price": "0.79", "multiplier": 100,
                 "created-at": "2023-05-24T17:17:57.615+00:00"},
                {"symbol": "SPY", "instrument-type": "Equity", "quantity": "100",
                 "quantity-direction": "Long", "average-open-price": "500.0", "mark-price": "590.5",
                 "mark": "59050.0"},
                {"symbol": "X", "quantity": 3, "quantity-direction": "Zero"},
                {"quantity": 1}]"#,
        )
        .unwrap();
        let positions = positions(&account, items);
        assert_eq!(positions.len(), 3, "the item without a symbol is left out");
        let put = &positions[0];
        assert_eq!(put.quantity, -40.0);
        assert_eq!(put.instrument_type, InstrumentType::EquityOption);
        assert_eq!(put.option_type, Some(OptionType::Put));
        assert_eq!(put.strike, Some(14.0));
        assert_eq!(put.expiration, Some("2023-06-09".parse().unwrap()));
        assert_eq!(put.multiplier, 100.0);
        assert_eq!(put.mark, None, "marks are optional");
        assert_eq!(put.unrealized_pnl(0.41), (0.41 - 0.79) * -40.0 * 100.0);
        let spy = &positions[1];
        assert_eq!(spy.quantity, 100.0);
        assert_eq!(spy.mark, Some(590.5), "mark-price is the per-unit mark");
        assert_eq!(spy.multiplier, 1.0);
        assert_eq!(spy.underlying.as_str(), "SPY");
        assert_eq!(positions[2].quantity, 0.0);
    }

    #[test]
    fn debit_pending_cash_is_negative() {
        let wire: wire::BalancesWire = serde_json::from_str(
            r#"{"cash-balance": "51600.762", "net-liquidating-value": "543557.677",
                "equity-buying-power": "100.0", "derivative-buying-power": "50.0",
                "maintenance-requirement": "10.0", "pending-cash": "12.5", "pending-cash-effect": "Debit"}"#,
        )
        .unwrap();
        let b = balances(&AccountNumber::new("5WT00001"), wire, now()).unwrap();
        assert_eq!(b.pending_cash, Some(-12.5));
        assert_eq!(b.cash_balance, 51600.762);
        assert_eq!(b.as_of, now());
        let missing: wire::BalancesWire = serde_json::from_str(r#"{"cash-balance": "1"}"#).unwrap();
        let err = balances(&AccountNumber::new("5WT00001"), missing, now()).unwrap_err();
        assert!(matches!(err, BrokerError::InvalidResponse(_)), "{err:?}");
        assert_eq!(signed_by_effect(3.0, Some("Credit")), 3.0);
        assert_eq!(signed_by_effect(3.0, Some("None")), 3.0);
    }

    #[test]
    fn closed_accounts_are_left_out() {
        let items: Vec<wire::AccountItem> = serde_json::from_str(
            r#"[{"account": {"account-number": "5WT00001", "nickname": "Main", "account-type-name": "Individual",
                             "margin-or-cash": "Margin", "is-closed": false}, "authority-level": "owner"},
                {"account": {"account-number": "5WT00002", "is-closed": true}},
                {"authority-level": "owner"}]"#,
        )
        .unwrap();
        let accounts = accounts(items);
        assert_eq!(accounts.len(), 1);
        assert_eq!(accounts[0].number.as_str(), "5WT00001");
        assert_eq!(accounts[0].account_type.as_deref(), Some("Individual"));
    }

    #[test]
    fn chains_merge_roots_and_sort() {
        let roots: Vec<wire::ChainRootWire> = serde_json::from_str(
            r#"[{"root-symbol": "SPXW", "option-chain-type": "Standard", "shares-per-contract": 100,
                 "expirations": [
                    {"expiration-type": "Weekly", "expiration-date": "2025-06-20", "settlement-type": "PM",
                     "strikes": [{"strike-price": "6010.0", "call": "SPXW  250620C06010000", "put": "SPXW  250620P06010000"},
                                 {"strike-price": "6000.0", "call": "SPXW  250620C06000000", "put": "SPXW  250620P06000000"}]},
                    {"expiration-type": "Weekly", "expiration-date": "2025-06-16", "settlement-type": "PM",
                     "strikes": [{"strike-price": "6000.0", "call": "SPXW  250616C06000000"}]}]},
                {"root-symbol": "SPX", "option-chain-type": "Standard", "shares-per-contract": 100,
                 "expirations": [
                    {"expiration-type": "Regular", "expiration-date": "2025-06-20", "settlement-type": "AM",
                     "strikes": [{"strike-price": "6000.0", "call": "SPX   250620C06000000",
                                  "call-streamer-symbol": ".SPX250620C6000"}]}]}]"#,
        )
        .unwrap();
        let spx = Symbol::parse("SPX").unwrap();
        let chain = chain_listing(&spx, roots, true, now()).unwrap();
        let summary: Vec<(String, &str, usize)> = chain
            .expirations
            .iter()
            .map(|e| (e.date.to_string(), e.settlement.as_str(), e.strikes.len()))
            .collect();
        assert_eq!(
            summary,
            [
                ("2025-06-16".to_owned(), "PM", 1),
                ("2025-06-20".to_owned(), "AM", 1),
                ("2025-06-20".to_owned(), "PM", 2)
            ]
        );
        let pm = &chain.expirations[2];
        assert!(pm.strikes.windows(2).all(|w| w[0].strike < w[1].strike));
        assert_eq!(chain.exercise_style, "European");
        assert_eq!(
            chain.expirations[1].strikes[0]
                .call
                .as_ref()
                .unwrap()
                .streamer_symbol
                .as_deref(),
            Some(".SPX250620C6000")
        );
        let err = chain_listing(&spx, Vec::new(), true, now()).unwrap_err();
        assert!(matches!(err, BrokerError::NotFound(_)), "{err:?}");
    }

    /// The shape of `/futures-option-chains/ES/nested`: several option roots in one chain, each
    /// expiration naming the contract it delivers.
    const ES_CHAIN: &str = r#"{
        "futures": [
            {"symbol": "/ESM5", "root-symbol": "/ES", "expiration-date": "2025-06-20", "active-month": false},
            {"symbol": "/ESU5", "root-symbol": "/ES", "expiration-date": "2025-09-19", "active-month": true},
            {"symbol": "/ESZ5", "root-symbol": "/ES", "expiration-date": "2025-12-19", "active-month": false}
        ],
        "option-chains": [{
            "underlying-symbol": "/ES", "root-symbol": "/ES", "exercise-style": "American",
            "expirations": [
                {"underlying-symbol": "/ESZ5", "root-symbol": "/ES", "option-root-symbol": "EW1",
                 "option-contract-symbol": "EW1V5", "expiration-date": "2025-10-03", "days-to-expiration": 112,
                 "expiration-type": "Weekly", "settlement-type": "PM", "notional-value": "0.5",
                 "display-factor": "0.01", "strike-factor": "1.0",
                 "strikes": [{"strike-price": "6100.0", "call": "./ESZ5 EW1V5 251003C6100",
                              "call-streamer-symbol": "./EW1V25C6100:XCME",
                              "put": "./ESZ5 EW1V5 251003P6100", "put-streamer-symbol": "./EW1V25P6100:XCME"}]},
                {"underlying-symbol": "/ESU5", "root-symbol": "/ES", "option-root-symbol": "EW3",
                 "option-contract-symbol": "EW3N5", "expiration-date": "2025-07-18", "days-to-expiration": 35,
                 "expiration-type": "Weekly", "settlement-type": "PM", "notional-value": "0.5",
                 "display-factor": "0.01", "strike-factor": "1.0",
                 "strikes": [{"strike-price": "6025.0", "call": "./ESU5 EW3N5 250718C6025",
                              "call-streamer-symbol": "./EW3N25C6025:XCME",
                              "put": "./ESU5 EW3N5 250718P6025", "put-streamer-symbol": "./EW3N25P6025:XCME"},
                             {"strike-price": "6000.0", "call": "./ESU5 EW3N5 250718C6000",
                              "call-streamer-symbol": "./EW3N25C6000:XCME",
                              "put": "./ESU5 EW3N5 250718P6000", "put-streamer-symbol": "./EW3N25P6000:XCME"}]}
            ]
        }]
    }"#;

    #[test]
    fn futures_option_chains_name_the_contract_each_expiration_delivers() {
        let es = Symbol::parse("/ES").unwrap();
        let wire: wire::FutureChainWire = serde_json::from_str(ES_CHAIN).unwrap();
        let (chain, active) = future_chain_listing(&es, wire, None, now()).unwrap();
        assert_eq!(active.unwrap().as_str(), "/ESU5");
        assert_eq!(chain.shares_per_contract, 50, "0.5 / 0.01: $50 a point");
        assert_eq!(chain.exercise_style, "American");
        let summary: Vec<(String, &str)> = chain
            .expirations
            .iter()
            .map(|e| (e.date.to_string(), e.underlying.as_ref().unwrap().symbol.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                ("2025-07-18".to_owned(), "/ESU5"),
                ("2025-10-03".to_owned(), "/ESZ5")
            ]
        );
        let first = &chain.expirations[0];
        assert_eq!(first.strikes[0].strike, 6000.0, "strikes sorted");
        let put = first.strikes[0].put.as_ref().unwrap();
        assert_eq!(put.symbol, "./ESU5 EW3N5 250718P6000");
        assert_eq!(put.streamer_symbol.as_deref(), Some("./EW3N25P6000:XCME"));
        assert_eq!(delivered_contracts(&chain).len(), 2);

        // A contract's chain lists only the options delivering it.
        let wire: wire::FutureChainWire = serde_json::from_str(ES_CHAIN).unwrap();
        let esz5 = Symbol::parse("/ESZ5").unwrap();
        let (chain, _) = future_chain_listing(&esz5, wire, Some("/ESZ5"), now()).unwrap();
        assert_eq!(chain.expirations.len(), 1);

        // Prices go on the expirations; the strike band follows each expiration's contract.
        let wire: wire::FutureChainWire = serde_json::from_str(ES_CHAIN).unwrap();
        let (mut chain, _) = future_chain_listing(&es, wire, None, now()).unwrap();
        let quote = |symbol: &str, price: f64| Quote {
            symbol: Symbol::parse(symbol).unwrap(),
            instrument_type: Some(InstrumentType::Future),
            bid: Some(price - 0.25),
            ask: Some(price + 0.25),
            bid_size: None,
            ask_size: None,
            last: None,
            mark: Some(price),
            volume: None,
            open: None,
            day_high: None,
            day_low: None,
            prev_close: None,
            year_high: None,
            year_low: None,
            as_of: now(),
        };
        apply_underlying_prices(&mut chain, &[quote("/ESU5", 6010.0), quote("/ESZ5", 6095.0)]);
        assert_eq!(
            chain.expirations[1].underlying.as_ref().unwrap().price,
            Some(6095.0)
        );
        let picked = contracts_to_price(&chain, now().date(), Some(5.0), 200, 0.001, 10);
        assert_eq!(
            picked,
            ["./ESZ5 EW1V5 251003C6100", "./ESZ5 EW1V5 251003P6100"],
            "within 0.1 % of its own contract, whatever the chain's price"
        );

        // Without notional value and display factor the size cannot be known.
        let bare: wire::FutureChainWire = serde_json::from_str(
            r#"{"futures": [], "option-chains": [{"expirations": [{"underlying-symbol": "/ESU5",
                "expiration-date": "2025-07-18", "strikes": [{"strike-price": "1", "call": "./X"}]}]}]}"#,
        )
        .unwrap();
        let (chain, active) = future_chain_listing(&es, bare, None, now()).unwrap();
        assert_eq!((chain.shares_per_contract, active), (1, None));
        let empty: wire::FutureChainWire = serde_json::from_str("{}").unwrap();
        assert!(matches!(
            future_chain_listing(&es, empty, None, now()),
            Err(BrokerError::NotFound(_))
        ));
    }

    #[test]
    fn a_product_is_answered_by_its_contract_under_its_own_symbol() {
        let items: Vec<wire::MarketDataWire> = serde_json::from_str(
            r#"[{"symbol": "/ESU5", "instrument-type": "Future", "bid": "6010.0", "ask": "6010.25"},
                {"symbol": "SPY", "instrument-type": "Equity", "bid": "590.0", "ask": "590.02"}]"#,
        )
        .unwrap();
        let sym = |s: &str| Symbol::parse(s).unwrap();
        let asks = [
            (sym("/ES"), "/ESU5".to_owned()),
            (sym("/ESU5"), "/ESU5".to_owned()),
            (sym("NOPE"), "NOPE".to_owned()),
            (sym("SPY"), "SPY".to_owned()),
        ];
        let quotes = quotes_for(&asks, items, now());
        let got: Vec<(&str, Option<f64>)> = quotes.iter().map(|q| (q.symbol.as_str(), q.bid)).collect();
        assert_eq!(
            got,
            [
                ("/ES", Some(6010.0)),
                ("/ESU5", Some(6010.0)),
                ("SPY", Some(590.0))
            ]
        );
        assert_eq!(quotes[0].instrument_type, Some(InstrumentType::Future));
    }

    #[test]
    fn contracts_near_the_money_and_within_60_days_are_priced_first() {
        let row = |strike: f64, date: Date| StrikeRow {
            strike,
            call: Some(OptionContract {
                symbol: ttai_core::domain::occ_symbol("X", date, OptionType::Call, strike),
                streamer_symbol: None,
                bid: None,
                ask: None,
                last: None,
                volume: None,
                open_interest: None,
                broker_greeks: None,
            }),
            put: None,
        };
        let today: Date = "2025-06-13".parse().unwrap();
        let near = today.add_days(30);
        let far = today.add_days(90);
        let chain = OptionChain {
            underlying: Symbol::parse("X").unwrap(),
            underlying_price: None,
            shares_per_contract: 100,
            exercise_style: "American".into(),
            expirations: vec![
                Expiration {
                    date: near,
                    expiration_type: "Regular".into(),
                    settlement: "PM".into(),
                    strikes: vec![
                        row(80.0, near),
                        row(95.0, near),
                        row(100.0, near),
                        row(110.0, near),
                        row(120.0, near),
                    ],
                    underlying: None,
                },
                Expiration {
                    date: far,
                    expiration_type: "Regular".into(),
                    settlement: "PM".into(),
                    strikes: vec![row(100.0, far)],
                    underlying: None,
                },
            ],
            as_of: now(),
        };
        let picked = contracts_to_price(&chain, today, Some(101.0), 60, 0.15, 1000);
        let strikes: Vec<f64> = picked
            .iter()
            .map(|s| symbols::parse_occ(s).unwrap().strike)
            .collect();
        assert_eq!(strikes, [100.0, 95.0, 110.0]);
        assert_eq!(
            contracts_to_price(&chain, today, Some(101.0), 60, 0.15, 2).len(),
            2
        );
        assert_eq!(contracts_to_price(&chain, today, None, 60, 0.15, 1000).len(), 5);
    }

    #[test]
    fn search_puts_the_exact_ticker_first_and_honours_the_limit() {
        let items: Vec<wire::SymbolWire> = serde_json::from_str(
            r#"[{"symbol": "SPYG", "description": "growth"}, {"symbol": "SPY", "description": "SPDR", "options": true},
                {"symbol": "bad;symbol"}, {"symbol": "SPYD"}]"#,
        )
        .unwrap();
        let found = symbol_matches("spy", items, 2);
        let symbols: Vec<&str> = found.iter().map(|m| m.symbol.as_str()).collect();
        assert_eq!(symbols, ["SPY", "SPYG"]);
        assert_eq!(found[0].has_options, Some(true));
    }
}
