//! The analyses on the demo account (the bundled tape at its last close, 2026-11-20): each case
//! of a recommendation that would cost a trader money, answered as a trader needs.
//!
//! The account (5SYN0001, margin): net liq 245 900.02, option buying power 205 991.02 (16.23 % of
//! net liq in use), 300 AAPL at 228.12 under 3 short AAPL 265 calls, 100 QQQ bought at 567.14 (now
//! 454.21), one short SPY 535 put (2026-12-11) opened at 5.00, nothing in IWM.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::sync::Arc;

use broker_replay::ReplayBroker;
use ttai_core::app::App;
use ttai_core::app::analysis::{FullAnalysis, FullOptions, OptionsRequest, Progress, Severity, Strategy};
use ttai_core::domain::{Symbol, TickClass};
use ttai_core::testing::{InMemoryStore, sample_config};

struct Quiet;
impl Progress for Quiet {
    fn report(&self, _: f64, _: f64, _: &str) {}
}

fn app() -> App {
    App::new(
        Arc::new(ReplayBroker::demo(None)),
        Arc::new(InMemoryStore::new()),
        sample_config(),
    )
}

async fn full(app: &App, symbol: &str, strategy: Strategy, overrides: FullOptions) -> FullAnalysis {
    app.run_full_analysis_with(&Symbol::parse(symbol).unwrap(), strategy, &overrides, &Quiet)
        .await
        .unwrap()
}

fn blocking(result: &FullAnalysis) -> Vec<&'static str> {
    result
        .recommendation
        .cautions
        .iter()
        .filter(|c| c.severity == Severity::Blocking)
        .map(|c| c.code)
        .collect()
}

#[tokio::test]
async fn aapl_covered_by_three_short_calls_has_no_call_left_to_sell() {
    let app = app();
    let result = full(&app, "AAPL", Strategy::CoveredCall, FullOptions::default()).await;
    // floor((300 − 100 × 3) / 100) = 0 lots: another call would be naked.
    assert_eq!(result.account.shares_held, 300.0);
    assert_eq!(result.account.short_calls, 3.0);
    assert_eq!(result.account.covered_call_lots_available, 0);
    assert!(!result.options.eligible);
    assert!(result.options.candidates.is_empty());
    let r = &result.recommendation;
    assert_eq!(r.action, "avoid");
    assert_eq!(blocking(&result), ["naked_call"]);
    assert!(r.candidate.is_none() && r.order.is_none());
    let reason = result.options.reason.as_deref().unwrap();
    assert!(
        reason.contains("already covered by 3 short call") && reason.contains("naked"),
        "{reason}"
    );
    // analyze_options says the same, with no sellable candidate.
    let options = app
        .analyze_options(
            &Symbol::parse("AAPL").unwrap(),
            app.options_defaults(Strategy::CoveredCall),
        )
        .await
        .unwrap();
    assert!(!options.eligible && options.candidates.is_empty());
}

#[tokio::test]
async fn qqq_below_its_cost_basis_sells_no_call_that_locks_in_the_loss() {
    let app = app();
    let result = full(&app, "QQQ", Strategy::CoveredCall, FullOptions::default()).await;
    assert_eq!(result.account.cost_basis, Some(567.14));
    assert_eq!(result.account.covered_call_lots_available, 1);
    // Every call in the 30–45 DTE, 0.15–0.35 delta window is struck below 567.14.
    assert!(result.options.candidates.is_empty());
    assert!(result.options.rejected.below_cost_basis > 0);
    assert_eq!(result.recommendation.action, "avoid");
    assert_eq!(blocking(&result), ["below_basis"]);
    assert!(result.recommendation.headline.contains("567.14"));

    // Asked for, the calls below the basis are shown with what assignment locks in, and
    // still not recommended.
    let asked = full(
        &app,
        "QQQ",
        Strategy::CoveredCall,
        FullOptions {
            allow_below_basis: true,
            ..FullOptions::default()
        },
    )
    .await;
    let c465 = asked
        .options
        .candidates
        .iter()
        .find(|c| c.short_strike == 465.0 && c.expiration == "2026-12-31")
        .unwrap();
    let basis = c465.basis.as_ref().unwrap();
    // (465 − 567.14 + 4.17) × 100 = −9 797: about $9.8k of loss if assigned.
    assert_eq!(c465.credit, 4.17);
    assert_eq!(basis.pnl_if_assigned, -9797.0);
    assert_eq!(basis.breakeven_on_basis, 562.97);
    assert!(basis.below_basis);
    for c in &asked.options.candidates {
        let b = c.basis.as_ref().unwrap();
        let expected = ((c.short_strike - 567.14 + c.credit) * 100.0 * 100.0).round() / 100.0;
        assert_eq!(b.pnl_if_assigned, expected);
        assert!(c.sizing.as_ref().unwrap().contracts <= 1, "one lot of 100 shares");
    }
    assert_ne!(asked.recommendation.action, "sell");
    assert!(
        asked
            .recommendation
            .cautions
            .iter()
            .any(|c| c.code == "below_basis" && c.severity == Severity::Major)
    );
}

#[tokio::test]
async fn iwm_thin_spreads_are_gone_and_the_ranking_is_by_expected_value() {
    let app = app();
    let result = full(&app, "IWM", Strategy::Spread, FullOptions::default()).await;
    let options = &result.options;
    // The old pick, the 264/270 bear call spread for 0.67 (11 % of its width), is no candidate.
    assert!(
        !options
            .candidates
            .iter()
            .any(|c| c.short_strike == 264.0 && c.long_strike == Some(270.0))
    );
    assert!(options.rejected.credit_too_small > 0);
    assert!(
        options
            .candidates
            .iter()
            .all(|c| c.credit_to_width.unwrap() >= 0.2)
    );
    assert!(
        options
            .candidates
            .windows(2)
            .all(|w| w[0].ev_per_dollar_at_risk >= w[1].ev_per_dollar_at_risk)
    );
    let tick = TickClass::of("IWM");
    for c in &options.candidates {
        assert!(tick.on_tick(c.credit));
        assert_eq!(c.credit_per_contract, (c.credit * 100.0 * 100.0).round() / 100.0);
        assert_eq!(
            c.max_loss,
            ((c.width.unwrap() - c.credit) * 100.0 * 100.0).round() / 100.0
        );
    }
    assert!(options.method.distribution.contains("at-the-money IV"));
    // A margin account: net liq 245 900.02 less option buying power 205 991.02 leaves 39 909
    // (16.23 %) in use, under the 50 % cap. The 10 % exposure cap (24 590.00) over the top
    // spread's 135 maximum loss would fit 182 contracts; the caps are a ceiling, so the
    // recommendation is one contract and says how many would fit.
    assert_eq!(result.account.buying_power_in_use_percent, Some(16.23));
    let r = &result.recommendation;
    assert_eq!(r.action, "sell", "{r:?}");
    let c = r.candidate.as_ref().unwrap();
    assert_eq!(c.rank, 1);
    assert_eq!(c.max_loss, 135.0);
    let sizing = c.sizing.as_ref().unwrap();
    assert_eq!((sizing.contracts, sizing.limited_by), (182, "exposure"));
    assert_eq!(r.contracts, Some(1));
    assert!(r.order.as_deref().unwrap().starts_with("SELL 1 IWM"));
    assert!(r.reasons[0].contains("up to 182 fit the caps"), "{:?}", r.reasons);

    // With buying power capped at 17 % in use, the room is 0.17 × 245 900.02 − 39 909 =
    // 1 894.00, which is 14 spreads at 135 each: asked for 50, the recommendation sells 14.
    let tight = full(
        &app,
        "IWM",
        Strategy::Spread,
        FullOptions {
            max_bp_usage_percent: Some(17.0),
            contracts: Some(50),
            ..FullOptions::default()
        },
    )
    .await;
    let r = &tight.recommendation;
    assert_eq!(r.action, "sell", "{r:?}");
    let sizing = r.candidate.as_ref().unwrap().sizing.as_ref().unwrap();
    assert_eq!((sizing.contracts, sizing.limited_by), (14, "buying_power"));
    assert_eq!(r.contracts, Some(14));
    assert!(r.order.as_deref().unwrap().starts_with("SELL 14 IWM"));

    // Capped at 16 %, below what is already in use, nothing fits and the answer is wait.
    let full_up = full(
        &app,
        "IWM",
        Strategy::Spread,
        FullOptions {
            max_bp_usage_percent: Some(16.0),
            ..FullOptions::default()
        },
    )
    .await;
    assert_eq!(full_up.recommendation.action, "wait");
    assert_eq!(blocking(&full_up), ["no_contracts_fit"]);
    assert!(full_up.recommendation.reasons[0].starts_with("wait: "));
}

#[tokio::test]
async fn spy_put_too_big_for_the_account_and_the_short_put_already_held() {
    let app = app();
    let result = full(&app, "SPY", Strategy::Csp, FullOptions::default()).await;
    let account = &result.account;
    // The short 535 put is listed with its open price and P&L, and counted: 535 × 100.
    let held = account
        .positions_in_symbol
        .iter()
        .find(|p| p.strike == Some(535.0))
        .unwrap();
    assert_eq!((held.quantity, held.average_open_price), (-1.0, 5.0));
    assert!(held.unrealized_pnl.is_some());
    assert_eq!(account.exposure.cash_secured_puts, 53_500.0);
    assert_eq!(account.exposure.percent_of_net_liq, Some(21.76));
    assert_eq!(account.shares_held, 0.0);
    assert!(account.shares_held.is_sign_positive(), "never −0.0");
    // 53 500 is already over the 10 % cap (24 590.00): no put fits, whatever its strike.
    let r = &result.recommendation;
    assert_eq!(r.action, "wait");
    assert_eq!(blocking(&result), ["no_contracts_fit"]);
    assert!(r.headline.contains("21.76% of net liq"), "{}", r.headline);
    assert!(
        r.cautions
            .iter()
            .any(|c| c.code == "existing_short_options" && c.message.contains("535"))
    );
    for c in &result.options.candidates {
        let s = c.sizing.as_ref().unwrap();
        assert_eq!((s.contracts, s.limited_by), (0, "exposure"));
    }
    // The 540 put of 2026-12-31 (7.05 × 7.40): a 7.22 limit, not the half-cent mid 7.225.
    let c540 = result
        .options
        .candidates
        .iter()
        .find(|c| c.short_strike == 540.0 && c.expiration == "2026-12-31")
        .unwrap();
    assert_eq!(
        (c540.credit, c540.price.mid, c540.price.natural),
        (7.22, 7.225, 7.05)
    );
    assert_eq!(c540.credit_per_contract, 722.0);
    assert_eq!(c540.breakeven, 532.78);
    assert_eq!(c540.max_loss, 53_278.0);

    // Expected moves by expiration, and one volatility verdict that reconciles IV, HV and rank.
    let options = app
        .analyze_options(
            &Symbol::parse("SPY").unwrap(),
            OptionsRequest::defaults(Strategy::Csp),
        )
        .await
        .unwrap();
    assert!(!options.expected_moves.is_empty());
    for m in &options.expected_moves {
        assert!(m.lower < options.underlying_price && options.underlying_price < m.upper);
        assert!(m.straddle.is_some());
    }
    let verdict = &options.iv_context.assessment;
    assert!(
        verdict.contains("above the 30-day HV") && verdict.contains("low"),
        "{verdict}"
    );
}
