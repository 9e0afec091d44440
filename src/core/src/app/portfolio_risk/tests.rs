//! Hand-made books with the numbers worked out, strategy recognition over a table of leg sets,
//! scenario repricing against the quant reference values, the grid's bounds, the buying-power
//! rules and the management signals.

use serde_json::Value;

use super::model::{BetaSource, Book, LegKind, RiskLeg, UnderlyingState, VolSource, price_book};
use super::report::{ReportContext, assess};
use super::requirement::{self, SliceFacts};
use super::scenario::{MoveBasis, ScenarioGrid, leg_pnl};
use super::signals::{Rule, Severity};
use super::strategy::{LegShape, Strategy, recognise};
use crate::domain::{OptionType, Symbol};
use crate::time::{Date, Timestamp};

fn sym(s: &str) -> Symbol {
    Symbol::parse(s).unwrap()
}

/// 2025-01-15 21:00 UTC: options expire at 21:00 UTC, so a contract `d` days out has exactly
/// t = d / 365.
/// 16:00 in New York (EDT) on a Tuesday, so that an expiration up to 73 days out closes at the
/// same hour (no daylight-saving change between): a leg `days` out has exactly `days` / 365 years
/// to run, as the worked numbers below assume.
fn now() -> Timestamp {
    "2025-04-01T20:00:00Z".parse().unwrap()
}

fn in_days(days: i32) -> Date {
    now().date().add_days(days)
}

fn stock(underlying: &str, quantity: f64, open: f64, mark: f64) -> RiskLeg {
    RiskLeg::new(&sym(underlying), LegKind::Linear, quantity, open).marked(mark)
}

#[allow(clippy::too_many_arguments)]
fn option(
    underlying: &str,
    option_type: OptionType,
    strike: f64,
    days: i32,
    quantity: f64,
    vol: f64,
    open: f64,
    mark: f64,
) -> RiskLeg {
    let kind = LegKind::Option {
        option_type,
        strike,
        expiration: in_days(days),
    };
    RiskLeg::new(&sym(underlying), kind, quantity, open)
        .marked(mark)
        .with_vol(vol, VolSource::ChainMid)
}

fn market(symbol: &str, price: f64, beta: f64) -> UnderlyingState {
    UnderlyingState {
        symbol: sym(symbol),
        price: Some(price),
        beta,
        beta_source: if symbol == "SPY" {
            BetaSource::Reference
        } else {
            BetaSource::MarketMetrics
        },
        dividend_yield: 0.0,
        earnings_date: None,
        ex_dividend_date: None,
        expiration_closes: Vec::new(),
    }
}

fn context() -> ReportContext {
    ReportContext {
        account: "5WT•••01".into(),
        symbol: None,
        warnings: Vec::new(),
        source: "test".into(),
        synthetic: false,
        group_grids: true,
    }
}

/// The hand-made book: a covered call, a short put, a vertical and a strangle, all 73 days out
/// (t = 73/365 = 0.2, √t = 0.4472136), rate 0 and no dividends so that
/// d1 = (ln(S/K) + σ²t/2) / (σ√t), d2 = d1 − σ√t, call Δ = N(d1), put Δ = N(d1) − 1,
/// θ per day = −S n(d1) σ / (2√t) / 365, vega per point = S n(d1) √t / 100.
///
/// | leg | S | K | σ | d1 | N(d1) | n(d1) | value | Δ | θ/day | vega |
/// |---|---|---|---|---|---|---|---|---|---|---|
/// | XYZ 110 call | 100 | 110 | 0.25 | −0.796578 | 0.212848 | 0.290484 | 1.282587 | +0.212848 | −0.022245 | 0.129908 |
/// | ABC 45 put | 50 | 45 | 0.30 | 0.852393 | 0.803002 | 0.277419 | 0.783963 | −0.196998 | −0.012746 | 0.062033 |
/// | SPY 480 put | 500 | 480 | 0.18 | 0.547365 | 0.707936 | 0.343440 | 7.710887 | −0.292064 | −0.094679 | 0.767955 |
/// | SPY 470 put | 500 | 470 | 0.18 | 0.808903 | 0.790714 | 0.287624 | 4.953269 | −0.209286 | −0.079292 | 0.643147 |
/// | QQQ 380 put | 400 | 380 | 0.22 | 0.570536 | 0.715843 | 0.339021 | 7.333040 | −0.284157 | −0.091384 | 0.606459 |
/// | QQQ 420 call | 400 | 420 | 0.22 | −0.446707 | 0.327543 | 0.361060 | 8.022662 | +0.327543 | −0.097325 | 0.645883 |
///
/// Example, the XYZ call: ln(100/110) = −0.0953102, σ²t/2 = 0.25² × 0.2 / 2 = 0.00625,
/// σ√t = 0.1118034, d1 = (−0.0953102 + 0.00625) / 0.1118034 = −0.796578, N(d1) = 0.212848.
fn hand_made_book() -> Book {
    Book {
        now: now(),
        rate: 0.0,
        legs: vec![
            // Covered call: 100 XYZ at 100, short one 110 call sold for 2.00.
            stock("XYZ", 100.0, 95.0, 100.0),
            option("XYZ", OptionType::Call, 110.0, 73, -1.0, 0.25, 2.00, 1.28),
            // Short put: two ABC 45 puts sold for 1.00.
            option("ABC", OptionType::Put, 45.0, 73, -2.0, 0.30, 1.00, 0.78),
            // Vertical: SPY 480/470 bull put spread sold for 5.00 − 3.00 = 2.00.
            option("SPY", OptionType::Put, 480.0, 73, -1.0, 0.18, 5.00, 7.71),
            option("SPY", OptionType::Put, 470.0, 73, 1.0, 0.18, 3.00, 4.95),
            // Strangle: QQQ 380 put and 420 call sold for 4.00 + 4.50.
            option("QQQ", OptionType::Put, 380.0, 73, -1.0, 0.22, 4.00, 7.33),
            option("QQQ", OptionType::Call, 420.0, 73, -1.0, 0.22, 4.50, 8.02),
        ],
        underlyings: vec![
            market("XYZ", 100.0, 1.2),
            market("ABC", 50.0, 0.8),
            market("SPY", 500.0, 1.0),
            market("QQQ", 400.0, 1.1),
        ],
        reference_price: Some(500.0),
        net_liquidating_value: Some(100_000.0),
        buying_power_in_use: Some(15_000.0),
        margin_account: true,
    }
}

fn close(actual: f64, expected: f64, tolerance: f64) -> bool {
    (actual - expected).abs() <= tolerance
}

#[test]
fn the_hand_made_book_has_the_worked_delta_theta_and_beta_weighted_delta() {
    let report = assess(&hand_made_book(), &ScenarioGrid::default_grid(), context());
    // Position delta = Δ × quantity × 100:
    //   XYZ stock +100; XYZ call −1 × 21.2848 = −21.2848; ABC puts −2 × −19.6998 = +39.3996;
    //   SPY 480 put +29.2064, 470 put −20.9286; QQQ put +28.4157, call −32.7543.
    //   Total = 100 − 21.2848 + 39.3996 + 29.2064 − 20.9286 + 28.4157 − 32.7543 = 122.0541.
    assert!(close(report.totals.delta, 122.05, 0.005), "{:?}", report.totals);
    // Theta = −θ/day × 100 for each short option, +θ/day × 100 for the long one:
    //   2.2245 + 2 × 1.2746 + 9.4679 − 7.9292 + 9.1384 + 9.7325 = 25.1834 $ a day.
    assert!(close(report.totals.theta, 25.18, 0.005), "{:?}", report.totals);
    // Vega: −12.9908 − 12.4066 − 76.7955 + 64.3147 − 60.6459 − 64.5883 = −163.1124 $ a point.
    assert!(close(report.totals.vega, -163.11, 0.005), "{:?}", report.totals);
    // Beta-weighted delta = Σ delta × beta × S ÷ 500:
    //   XYZ (100 − 21.2848) × 1.2 × 100/500 = 18.8917; ABC 39.3996 × 0.8 × 50/500 = 3.1520;
    //   SPY (29.2064 − 20.9286) × 1 × 1 = 8.2778; QQQ (28.4157 − 32.7543) × 1.1 × 400/500 = −3.8180.
    //   Total = 26.5035 SPY shares.
    let bwd = report.totals.beta_weighted_delta.unwrap();
    assert!(close(bwd, 26.50, 0.005), "{bwd}");
    // Dollar delta of XYZ = 78.7152 × 100 = 7871.52.
    let xyz = report.underlyings.iter().find(|u| u.symbol == "XYZ").unwrap();
    assert!(close(xyz.exposure.delta_dollars, 7872.0, 0.5), "{xyz:?}");
    assert_eq!(report.model.reference_price, Some(500.0));
}

#[test]
fn the_hand_made_book_is_four_recognised_strategies() {
    let report = assess(&hand_made_book(), &ScenarioGrid::default_grid(), context());
    let groups: Vec<(&str, Strategy)> = report
        .groups
        .iter()
        .map(|g| (g.underlying.as_str(), g.strategy))
        .collect();
    assert_eq!(
        groups,
        [
            ("ABC", Strategy::ShortPut),
            ("QQQ", Strategy::ShortStrangle),
            ("SPY", Strategy::BullPutSpread),
            ("XYZ", Strategy::CoveredCall),
        ]
    );
    let spread = report.groups.iter().find(|g| g.underlying == "SPY").unwrap();
    // Credit 2.00 × 100; the marks say buying it back costs (7.71 − 4.95) × 100 = 276: a loss of
    // 76, −38 % of the maximum profit.
    assert_eq!(spread.open_premium, Some(200.0));
    assert_eq!(spread.profit_captured_percent, Some(-38.0));
    assert!(spread.label.contains("bull put spread"), "{}", spread.label);
    assert!(spread.defined_risk);
}

#[test]
fn one_scenario_cell_checked_by_hand() {
    // SPY −5 % (beta-scaled), IV +5 points, today: XYZ −6 % to 94, ABC −4 % to 48, SPY −5 % to
    // 475, QQQ −5.5 % to 378; every option repriced at σ + 0.05:
    //   XYZ stock: (94 − 100) × 100 = −600.00
    //   XYZ 110 call at S 94, σ 0.30: d1 = −1.104510, value 0.809840; −1 × (0.809840 − 1.282587) × 100 = +47.27
    //   ABC 45 puts at S 48, σ 0.35: d1 = 0.490584, value 1.643237; −2 × (1.643237 − 0.783963) × 100 = −171.85
    //   SPY 480 put at S 475, σ 0.23: d1 = −0.050373, value 22.186820; −1 × 14.475933 × 100 = −1447.59
    //   SPY 470 put at S 475, σ 0.23: d1 = 0.154309, value 16.982806; +1 × 12.029537 × 100 = +1202.95
    //   QQQ 380 put at S 378, σ 0.27: d1 = 0.016671, value 19.263258; −1 × 11.930218 × 100 = −1193.02
    //   QQQ 420 call at S 378, σ 0.27: d1 = −0.812194, value 5.074063; −1 × −2.948599 × 100 = +294.86
    //   Book: −1867.38.
    let grid = ScenarioGrid::new(
        Some(vec![0.0, -5.0]),
        Some(vec![5.0, 0.0]),
        Some(vec![0.0]),
        Some(MoveBasis::SpyBeta),
    )
    .unwrap();
    let report = assess(&hand_made_book(), &grid, context());
    // Axes are sorted: moves [−5, 0], IV shifts [0, 5]; the cell is pnl[0][1][0].
    assert_eq!(report.scenarios.moves_percent, [-5.0, 0.0]);
    assert_eq!(report.scenarios.pnl[0][1][0], -1867.0);
    assert_eq!(
        report.scenarios.pnl[0][0][1], 0.0,
        "no move, no shift, no time: nothing"
    );
    let worst = report.scenarios.worst.as_ref().unwrap();
    assert_eq!(
        (worst.cell.move_percent, worst.cell.iv_shift, worst.pnl),
        (-5.0, 5.0, -1867.0)
    );
    let covered = report.groups.iter().find(|g| g.underlying == "XYZ").unwrap();
    // −600.00 + 47.27 = −552.73.
    assert_eq!(covered.scenario_pnl.as_ref().unwrap()[0][1][0], -553.0);
    // By move at IV unchanged: XYZ −6 % costs 600 on the shares, the call gains back
    // (1.282587 − 0.411021) × 100 = 87.16 (the call at S 94, σ 0.25: d1 = −1.350009):
    // −512.84.
    assert_eq!(covered.pnl_by_move, [[-513.0, 0.0]]);
    assert_eq!(report.scenarios.group_iv_shift, 0.0);
    // And unrounded, straight from the repricing.
    let book = hand_made_book();
    let priced = price_book(&book);
    let pnl = leg_pnl(&book, &priced, &grid);
    let cell = 2; // moves × IV shifts: (−5, 0), (0, 0), (−5, +5), ...
    let total: f64 = pnl.iter().map(|p| p.as_ref().unwrap()[cell]).sum();
    assert!(close(total, -1867.3817, 0.001), "{total}");
}

#[test]
fn time_passing_earns_about_the_theta_and_expiry_leaves_intrinsic_value() {
    let grid = ScenarioGrid::new(
        Some(vec![0.0]),
        Some(vec![0.0]),
        Some(vec![1.0, 73.0, 100.0]),
        Some(MoveBasis::Symbol),
    )
    .unwrap();
    let book = hand_made_book();
    let report = assess(&book, &grid, context());
    // One day: within a few percent of the theta (25.18 a day).
    let day = report.scenarios.pnl[0][0][0];
    assert!((day - 25.0).abs() <= 2.0, "{day}");
    // At expiration (and after it) every option here is out of the money: the book keeps the
    // options' whole value, 100 × (−1.282587 − 2 × 0.783963 − 7.710887 + 4.953269 − 7.333040
    // − 8.022662) × −1 = +2096.38.
    assert_eq!(report.scenarios.pnl[1][0][0], 2096.0);
    assert_eq!(report.scenarios.pnl[2][0][0], 2096.0);
}

#[test]
fn buying_power_follows_the_stated_rules() {
    let report = assess(&hand_made_book(), &ScenarioGrid::default_grid(), context());
    let bp = |u: &str| {
        report
            .groups
            .iter()
            .find(|g| g.underlying == u)
            .unwrap()
            .exposure
            .estimated_buying_power
    };
    // Covered call in a margin account: 50 % of 100 × 100.
    assert_eq!(bp("XYZ"), 5000.0);
    // Two naked 45 puts with ABC at 50: max(0.2 × 50 − 5, 0.1 × 45) = 5, plus the mark 0.78,
    // × 100 × 2 = 1156.
    assert_eq!(bp("ABC"), 1156.0);
    // 10-wide spread for a 2.00 credit: 1000 − 200.
    assert_eq!(bp("SPY"), 800.0);
    // Strangle: put side max(80 − 20, 38) + 7.33 = 67.33, call side max(80 − 20, 40) + 8.02 = 68.02;
    // the larger side plus the other side's value: 6733 + 802 = 6802 + 733 = 7535.
    assert_eq!(bp("QQQ"), 7535.0);
    assert_eq!(report.account_summary.estimated_buying_power, 14491.0);
    assert_eq!(report.account_summary.buying_power_percent_of_net_liq, Some(15.0));
    // In a cash account the puts are cash-secured: (45 − 1.00) × 100 × 2.
    let mut cash = hand_made_book();
    cash.margin_account = false;
    let report = assess(&cash, &ScenarioGrid::default_grid(), context());
    let abc = report.groups.iter().find(|g| g.underlying == "ABC").unwrap();
    assert_eq!(abc.exposure.estimated_buying_power, 8800.0);
    let xyz = report.groups.iter().find(|g| g.underlying == "XYZ").unwrap();
    assert_eq!(xyz.exposure.estimated_buying_power, 10_000.0);
}

#[test]
fn requirement_rules_for_the_other_structures() {
    let put = |strike: f64, quantity: f64, value: f64, open: f64, dte: i32| SliceFacts {
        option: Some((OptionType::Put, strike)),
        quantity,
        multiplier: 100.0,
        value,
        open_price: open,
        dte,
    };
    let call = |strike: f64, quantity: f64, value: f64, open: f64, dte: i32| SliceFacts {
        option: Some((OptionType::Call, strike)),
        ..put(strike, quantity, value, open, dte)
    };
    // Iron condor 90/95/105/110 for 1.50 credit: 5 wide → 500 − 150 = 350.
    let condor = [
        put(90.0, 1.0, 0.4, 0.5, 30),
        put(95.0, -1.0, 1.0, 1.2, 30),
        call(105.0, -1.0, 1.0, 1.3, 30),
        call(110.0, 1.0, 0.4, 0.5, 30),
    ];
    assert_eq!(
        requirement::estimate(Strategy::IronCondor, &condor, 100.0, true),
        350.0
    );
    // Debit call spread bought for 2.00: 200.
    let debit = [call(100.0, 1.0, 3.0, 3.0, 30), call(105.0, -1.0, 1.0, 1.0, 30)];
    assert_eq!(
        requirement::estimate(Strategy::BullCallSpread, &debit, 100.0, true),
        200.0
    );
    // Call diagonal: short 100 (30 days) for 2.00, long 105 (60 days) for 1.50: credit 0.50 and a
    // 5-point adverse width: 500.
    let diagonal = [call(100.0, -1.0, 2.0, 2.0, 30), call(105.0, 1.0, 1.5, 1.5, 60)];
    assert_eq!(
        requirement::estimate(Strategy::DiagonalSpread, &diagonal, 100.0, true),
        500.0
    );
    // Long put: its cost.
    assert_eq!(
        requirement::estimate(Strategy::LongPut, &[put(95.0, 2.0, 1.0, 1.25, 30)], 100.0, true),
        250.0
    );
}

/// Strategy recognition over a table of leg sets.
#[test]
fn strategies_are_recognised_from_a_table_of_leg_sets() {
    let e1 = in_days(30);
    let e2 = in_days(60);
    let s = |q: f64| LegShape {
        kind: LegKind::Linear,
        quantity: q,
        multiplier: 1.0,
    };
    let o = |t: OptionType, k: f64, e: Date, q: f64| LegShape {
        kind: LegKind::Option {
            option_type: t,
            strike: k,
            expiration: e,
        },
        quantity: q,
        multiplier: 100.0,
    };
    use OptionType::{Call as C, Put as P};
    use Strategy::*;
    /// What a leg set should be recognised as: each structure with its (leg, quantity) slices.
    type Expected = Vec<(Strategy, Vec<(usize, f64)>)>;
    let table: Vec<(&str, Vec<LegShape>, Expected)> = vec![
        ("long stock", vec![s(100.0)], vec![(LongStock, vec![(0, 100.0)])]),
        (
            "short stock",
            vec![s(-50.0)],
            vec![(ShortStock, vec![(0, -50.0)])],
        ),
        (
            "short put",
            vec![o(P, 95.0, e1, -2.0)],
            vec![(ShortPut, vec![(0, -2.0)])],
        ),
        (
            "long call",
            vec![o(C, 105.0, e1, 1.0)],
            vec![(LongCall, vec![(0, 1.0)])],
        ),
        (
            "covered call",
            vec![s(100.0), o(C, 110.0, e1, -1.0)],
            vec![(CoveredCall, vec![(0, 100.0), (1, -1.0)])],
        ),
        (
            "covered call with spare shares",
            vec![s(250.0), o(C, 110.0, e1, -2.0)],
            vec![
                (CoveredCall, vec![(0, 200.0), (1, -2.0)]),
                (LongStock, vec![(0, 50.0)]),
            ],
        ),
        (
            "calls beyond the shares are naked",
            vec![s(100.0), o(C, 110.0, e1, -3.0)],
            vec![
                (CoveredCall, vec![(0, 100.0), (1, -1.0)]),
                (ShortCall, vec![(1, -2.0)]),
            ],
        ),
        (
            "fewer than 100 shares cover nothing",
            vec![s(50.0), o(C, 110.0, e1, -1.0)],
            vec![(LongStock, vec![(0, 50.0)]), (ShortCall, vec![(1, -1.0)])],
        ),
        (
            "collar",
            vec![s(100.0), o(C, 110.0, e1, -1.0), o(P, 90.0, e1, 1.0)],
            vec![(Collar, vec![(0, 100.0), (1, -1.0), (2, 1.0)])],
        ),
        (
            "protective put",
            vec![s(200.0), o(P, 90.0, e1, 2.0)],
            vec![(ProtectivePut, vec![(0, 200.0), (1, 2.0)])],
        ),
        (
            "bull put spread",
            vec![o(P, 95.0, e1, -1.0), o(P, 90.0, e1, 1.0)],
            vec![(BullPutSpread, vec![(0, -1.0), (1, 1.0)])],
        ),
        (
            "bear call spread",
            vec![o(C, 105.0, e1, -1.0), o(C, 110.0, e1, 1.0)],
            vec![(BearCallSpread, vec![(0, -1.0), (1, 1.0)])],
        ),
        (
            "bull call spread",
            vec![o(C, 100.0, e1, 1.0), o(C, 105.0, e1, -1.0)],
            vec![(BullCallSpread, vec![(0, 1.0), (1, -1.0)])],
        ),
        (
            "bear put spread",
            vec![o(P, 100.0, e1, 1.0), o(P, 95.0, e1, -1.0)],
            vec![(BearPutSpread, vec![(0, 1.0), (1, -1.0)])],
        ),
        (
            "a vertical and the extra short puts",
            vec![o(P, 95.0, e1, -3.0), o(P, 90.0, e1, 1.0)],
            vec![
                (BullPutSpread, vec![(0, -1.0), (1, 1.0)]),
                (ShortPut, vec![(0, -2.0)]),
            ],
        ),
        (
            "short strangle",
            vec![o(P, 90.0, e1, -1.0), o(C, 110.0, e1, -1.0)],
            vec![(ShortStrangle, vec![(0, -1.0), (1, -1.0)])],
        ),
        (
            "short straddle",
            vec![o(C, 100.0, e1, -2.0), o(P, 100.0, e1, -2.0)],
            vec![(ShortStraddle, vec![(1, -2.0), (0, -2.0)])],
        ),
        (
            "long strangle",
            vec![o(P, 90.0, e1, 1.0), o(C, 110.0, e1, 1.0)],
            vec![(LongStrangle, vec![(0, 1.0), (1, 1.0)])],
        ),
        (
            "iron condor",
            vec![
                o(P, 85.0, e1, 1.0),
                o(P, 90.0, e1, -1.0),
                o(C, 110.0, e1, -1.0),
                o(C, 115.0, e1, 1.0),
            ],
            vec![(IronCondor, vec![(0, 1.0), (1, -1.0), (2, -1.0), (3, 1.0)])],
        ),
        (
            "iron butterfly",
            vec![
                o(P, 90.0, e1, 1.0),
                o(P, 100.0, e1, -1.0),
                o(C, 100.0, e1, -1.0),
                o(C, 110.0, e1, 1.0),
            ],
            vec![(IronButterfly, vec![(0, 1.0), (1, -1.0), (2, -1.0), (3, 1.0)])],
        ),
        (
            "condor wings in another expiration are not a condor",
            vec![
                o(P, 85.0, e2, 1.0),
                o(P, 90.0, e1, -1.0),
                o(C, 110.0, e1, -1.0),
                o(C, 115.0, e1, 1.0),
            ],
            vec![
                (BearCallSpread, vec![(2, -1.0), (3, 1.0)]),
                (DiagonalSpread, vec![(1, -1.0), (0, 1.0)]),
            ],
        ),
        (
            "calendar",
            vec![o(C, 100.0, e1, -1.0), o(C, 100.0, e2, 1.0)],
            vec![(CalendarSpread, vec![(0, -1.0), (1, 1.0)])],
        ),
        (
            "diagonal",
            vec![o(P, 95.0, e1, -1.0), o(P, 90.0, e2, 1.0)],
            vec![(DiagonalSpread, vec![(0, -1.0), (1, 1.0)])],
        ),
        (
            "covered strangle: shares cover the call, the put stands alone",
            vec![s(100.0), o(C, 110.0, e1, -1.0), o(P, 90.0, e1, -1.0)],
            vec![
                (CoveredCall, vec![(0, 100.0), (1, -1.0)]),
                (ShortPut, vec![(2, -1.0)]),
            ],
        ),
    ];
    for (name, legs, expected) in table {
        let found: Expected = recognise(&legs)
            .into_iter()
            .map(|r| (r.strategy, r.slices))
            .collect();
        assert_eq!(found, expected, "{name}");
        // Every leg's quantity is used exactly once.
        for (i, leg) in legs.iter().enumerate() {
            let used: f64 = found
                .iter()
                .flat_map(|(_, slices)| slices)
                .filter(|(j, _)| *j == i)
                .map(|(_, q)| q)
                .sum();
            assert!((used - leg.quantity).abs() < 1e-9, "{name}: leg {i}");
        }
    }
}

/// The scenario's repricing reproduces the QuantLib reference price of every public case: a
/// long option set up 5 % below the reference spot, 5 vol points above its volatility and 7
/// days further from expiry is repriced in the cell (+5 %, −5 points, +7 days), which lands on
/// the reference inputs.
#[test]
fn scenario_repricing_matches_the_quant_reference_values() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/quant/public/bs_expected.json");
    let expected: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let grid = ScenarioGrid::new(
        Some(vec![5.0]),
        Some(vec![-5.0]),
        Some(vec![7.0]),
        Some(MoveBasis::Symbol),
    )
    .unwrap();
    let mut checked = 0;
    for case in expected["cases"].as_array().unwrap() {
        let Some(price) = case["expected"]["price"].as_f64() else {
            continue;
        };
        let f = |k: &str| case[k].as_f64().unwrap();
        let option_type = if case["type"] == "call" {
            OptionType::Call
        } else {
            OptionType::Put
        };
        let days = case["days"].as_i64().unwrap() as i32;
        let mut leg = option(
            "X",
            option_type,
            f("strike"),
            days + 7,
            1.0,
            f("vol") + 0.05,
            0.0,
            0.0,
        );
        leg.multiplier = 1.0;
        let mut underlying = market("X", f("spot") / 1.05, 1.0);
        underlying.dividend_yield = f("div");
        // The clock `days + 7` whole days before the leg's close, whatever the daylight-saving
        // changes between, so that after the grid's 7-day step exactly `days` / 365 years are left.
        let close = crate::app::chain::expiry_instant(in_days(days + 7));
        let start = close.add_millis(-i64::from(days + 7) * 86_400_000);
        let book = Book {
            now: start,
            rate: f("rate"),
            legs: vec![leg],
            underlyings: vec![underlying],
            reference_price: None,
            net_liquidating_value: None,
            buying_power_in_use: None,
            margin_account: true,
        };
        let priced = price_book(&book);
        let base = priced[0].unwrap().unit.value;
        let pnl = leg_pnl(&book, &priced, &grid)[0].as_ref().unwrap()[0];
        let repriced = base + pnl;
        let allowed = 1e-8 + 1e-8 * price.abs();
        assert!(
            (repriced - price).abs() <= allowed,
            "{}: repriced {repriced} vs reference {price}",
            case["id"]
        );
        checked += 1;
    }
    assert!(checked >= 60, "{checked} cases checked");
}

#[test]
fn the_grid_is_validated_and_bounded() {
    let field = |r: Result<ScenarioGrid, crate::AppError>| r.unwrap_err().details["field"].clone();
    assert_eq!(field(ScenarioGrid::new(Some(vec![]), None, None, None)), "moves");
    assert_eq!(
        field(ScenarioGrid::new(Some(vec![60.0]), None, None, None)),
        "moves"
    );
    assert_eq!(
        field(ScenarioGrid::new(
            Some((0..16).map(f64::from).collect()),
            None,
            None,
            None
        )),
        "moves"
    );
    assert_eq!(
        field(ScenarioGrid::new(None, Some(vec![-60.0]), None, None)),
        "iv_shifts"
    );
    assert_eq!(
        field(ScenarioGrid::new(None, None, Some(vec![1.5]), None)),
        "days"
    );
    assert_eq!(
        field(ScenarioGrid::new(None, None, Some(vec![400.0]), None)),
        "days"
    );
    assert_eq!(
        field(ScenarioGrid::new(
            None,
            None,
            Some(vec![0.0, 1.0, 2.0, 3.0, 4.0]),
            None
        )),
        "days"
    );
    // Duplicates collapse and axes are sorted.
    let grid = ScenarioGrid::new(
        Some(vec![5.0, -5.0, 5.0]),
        Some(vec![0.0]),
        Some(vec![7.0, 0.0]),
        None,
    )
    .unwrap();
    assert_eq!(grid.moves_percent, [-5.0, 5.0]);
    assert_eq!(grid.days, [0, 7]);
    assert_eq!(grid.cells(), 4);
    let largest = ScenarioGrid::new(
        Some((-7..=7).map(f64::from).collect()),
        Some((-4..=4).map(f64::from).collect()),
        Some(vec![0.0, 1.0, 2.0, 3.0]),
        None,
    )
    .unwrap();
    assert_eq!(largest.cells(), 15 * 9 * 4);
    assert_eq!(ScenarioGrid::default_grid().cells(), 7 * 4 * 2);
    assert_eq!(grid.cell(3).unwrap().days, 7);
    assert!(grid.cell(4).is_none());
}

/// A one-option book for the signal tests.
fn single(leg: RiskLeg, state: UnderlyingState) -> Book {
    Book {
        now: now(),
        rate: 0.0,
        legs: vec![leg],
        underlyings: vec![state],
        reference_price: Some(500.0),
        net_liquidating_value: Some(50_000.0),
        buying_power_in_use: None,
        margin_account: true,
    }
}

fn signals_of(book: &Book) -> Vec<super::signals::Signal> {
    assess(book, &ScenarioGrid::default_grid(), context()).signals
}

#[test]
fn take_profit_at_half_the_credit_with_the_numbers() {
    // Sold for 2.00, now 0.90: (200 − 90) / 200 = 55 % captured.
    let book = single(
        option("ABC", OptionType::Put, 45.0, 40, -1.0, 0.3, 2.00, 0.90),
        market("ABC", 50.0, 1.0),
    );
    let signals = signals_of(&book);
    assert_eq!(signals.len(), 1, "{signals:?}");
    let s = &signals[0];
    assert_eq!((s.rule, s.severity), (Rule::TakeProfit, Severity::Action));
    assert_eq!(s.numbers["credit_received"], 200.0);
    assert_eq!(s.numbers["cost_to_close"], 90.0);
    assert_eq!(s.numbers["profit"], 110.0);
    assert_eq!(s.numbers["profit_captured_percent"], 55.0);
    assert!(s.message.contains("55 %"), "{}", s.message);
    assert_eq!(s.knowledge, "knowledge://documents/risk/managing-winners.md");
    // At 45 % nothing is due yet.
    let book = single(
        option("ABC", OptionType::Put, 45.0, 40, -1.0, 0.3, 2.00, 1.10),
        market("ABC", 50.0, 1.0),
    );
    assert!(signals_of(&book).is_empty());
}

/// An option past its expiration that the broker still lists: what the expiration left, and no
/// rule that would buy it back or roll it (it cannot be traded any more).
#[test]
fn an_option_past_expiration_says_what_is_pending_and_nothing_to_close() {
    // Three short XYZ 240 calls that expired two days ago with XYZ at 246.64, sold at 2.40 and
    // marked at 6.64: assignment calls the 300 shares away at 240.
    let mut book = single(
        option("XYZ", OptionType::Call, 240.0, -2, -3.0, 0.25, 2.40, 6.64),
        market("XYZ", 246.64, 1.0),
    );
    book.legs.push(stock("XYZ", 300.0, 228.12, 246.64));
    let signals = signals_of(&book);
    assert_eq!(
        signals.len(),
        1,
        "only the expiry, no 21 DTE or tested strike: {signals:?}"
    );
    let s = &signals[0];
    assert_eq!((s.rule, s.severity), (Rule::Expired, Severity::Action));
    assert!(
        s.message
            .contains("300 shares sold (called away) at 240 by assignment"),
        "{}",
        s.message
    );
    assert!(
        s.message.contains("nothing is left to close or roll"),
        "{}",
        s.message
    );
    assert_eq!(s.numbers["days_past_expiration"], 2);
    assert_eq!(s.numbers["in_the_money"], true);
    assert_eq!(
        s.knowledge,
        "knowledge://documents/basics/assignment-and-exercise.md"
    );
    // Judged at the expiration day's close when the broker had it: a 240 put that closed in the
    // money at 238 on its day is assigned, whatever the price is now (250).
    let mut state = market("XYZ", 250.0, 1.0);
    state.expiration_closes = vec![(in_days(-2), 238.0)];
    let book = single(
        option("XYZ", OptionType::Put, 240.0, -2, -1.0, 0.25, 3.00, 0.0),
        state,
    );
    let signals = signals_of(&book);
    assert_eq!(signals.len(), 1, "{signals:?}");
    assert_eq!(
        (signals[0].rule, signals[0].severity),
        (Rule::Expired, Severity::Action)
    );
    assert!(
        signals[0].message.contains("XYZ closed at 238 that day")
            && signals[0]
                .message
                .contains("100 shares bought at 240 by assignment"),
        "{}",
        signals[0].message
    );
    assert_eq!(signals[0].numbers["price_is_expiration_close"], true);
    // Out of the money it expired worthless: said, but nothing to act on.
    let book = single(
        option("XYZ", OptionType::Put, 45.0, -1, -1.0, 0.3, 1.00, 0.0),
        market("XYZ", 50.0, 1.0),
    );
    let signals = signals_of(&book);
    assert_eq!(signals.len(), 1, "{signals:?}");
    assert_eq!(
        (signals[0].rule, signals[0].severity),
        (Rule::Expired, Severity::Info)
    );
    // Beside a live option, the live one keeps its rules: the 21 DTE one here.
    let mut book = single(
        option("ABC", OptionType::Put, 45.0, -3, -1.0, 0.3, 1.00, 0.0),
        market("ABC", 50.0, 1.0),
    );
    book.legs
        .push(option("ABC", OptionType::Put, 44.0, 20, -1.0, 0.3, 1.00, 0.70));
    let rules: Vec<Rule> = signals_of(&book).iter().map(|s| s.rule).collect();
    assert!(
        rules.contains(&Rule::Expired) && rules.contains(&Rule::Dte21),
        "{rules:?}"
    );
}

#[test]
fn twenty_one_days_to_expiration_says_close_or_roll() {
    let book = single(
        option("ABC", OptionType::Put, 45.0, 20, -1.0, 0.3, 1.00, 0.70),
        market("ABC", 50.0, 1.0),
    );
    let signals = signals_of(&book);
    assert_eq!(signals.len(), 1, "{signals:?}");
    assert_eq!(signals[0].rule, Rule::Dte21);
    assert_eq!(signals[0].numbers["dte"], 20);
    assert_eq!(signals[0].numbers["profit_captured_percent"], 30.0);
    // A long option is not short premium: no 21 DTE signal.
    let book = single(
        option("ABC", OptionType::Put, 45.0, 20, 1.0, 0.3, 1.00, 0.70),
        market("ABC", 50.0, 1.0),
    );
    assert!(signals_of(&book).is_empty());
}

/// One short ABC 45 put expiring Friday 2026-12-18, sold at 1.00 and marked at `mark`.
fn friday_put(mark: f64) -> RiskLeg {
    let kind = LegKind::Option {
        option_type: OptionType::Put,
        strike: 45.0,
        expiration: Date::from_ymd(2026, 12, 18).unwrap(),
    };
    RiskLeg::new(&sym("ABC"), kind, -1.0, 1.00)
        .marked(mark)
        .with_vol(0.3, VolSource::ChainMid)
}

/// Thursday 2026-12-17 21:30 in New York (EST) is Friday 02:30 UTC: a short put expiring Friday
/// has one day to run, not "expires today", until New York's date is Friday.
#[test]
fn days_to_expiration_count_from_new_yorks_date_in_the_evening() {
    let mut book = single(friday_put(0.70), market("ABC", 50.0, 1.0));
    for (now, dte) in [("2026-12-18T02:30:00Z", 1), ("2026-12-18T05:30:00Z", 0)] {
        book.now = now.parse().unwrap();
        let priced = price_book(&book);
        assert_eq!(priced[0].as_ref().map(|p| p.dte), Some(Some(dte)), "{now}");
        let signals = signals_of(&book);
        let signal = signals.iter().find(|s| s.rule == Rule::Dte21).unwrap();
        assert_eq!(signal.numbers["dte"], dte, "{now}");
        assert_eq!(
            signal.message.contains("expires today"),
            dte == 0,
            "{now}: {}",
            signal.message
        );
    }
}

/// On its expiration day an option trades until 16:00 New York and no longer after: at 15:59
/// the 21 DTE rule says it expires today; at 16:30, listed until the broker processes it, it is
/// past its expiration and nothing says to close or roll it.
#[test]
fn at_the_close_of_its_expiration_day_an_option_is_past_its_expiration() {
    let mut book = single(friday_put(0.05), market("ABC", 50.0, 1.0));
    book.now = "2026-12-18T20:59:00Z".parse().unwrap();
    let rules: Vec<Rule> = signals_of(&book).iter().map(|s| s.rule).collect();
    assert!(
        rules.contains(&Rule::TakeProfit) && !rules.contains(&Rule::Expired),
        "{rules:?}"
    );
    book.now = "2026-12-18T21:30:00Z".parse().unwrap();
    let signals = signals_of(&book);
    assert_eq!(signals.len(), 1, "{signals:?}");
    assert_eq!(
        (signals[0].rule, signals[0].severity),
        (Rule::Expired, Severity::Info)
    );
    assert_eq!(signals[0].numbers["days_past_expiration"], 0);
}

#[test]
fn a_tested_short_strike_is_flagged_with_its_distance_and_delta() {
    // ABC at 44 under the 45 strike: in the money.
    let book = single(
        option("ABC", OptionType::Put, 45.0, 40, -1.0, 0.3, 1.00, 2.20),
        market("ABC", 44.0, 1.0),
    );
    let signals = signals_of(&book);
    let tested = signals
        .iter()
        .find(|s| s.rule == Rule::TestedShortStrike)
        .unwrap();
    assert_eq!(tested.severity, Severity::Action);
    assert_eq!(tested.numbers["in_the_money"], true);
    assert_eq!(tested.numbers["distance"], -1.0);
    assert!(tested.symbol.as_deref().unwrap().starts_with("ABC"));
    // σ√t expected move: 44 × 0.3 × √(40/365) = 4.37.
    assert_eq!(tested.numbers["expected_move"], 4.37);
    // At 47 the put's delta is about −0.34: being tested, a warning.
    let book = single(
        option("ABC", OptionType::Put, 45.0, 40, -1.0, 0.3, 1.00, 1.00),
        market("ABC", 47.0, 1.0),
    );
    let tested = signals_of(&book)
        .into_iter()
        .find(|s| s.rule == Rule::TestedShortStrike)
        .unwrap();
    assert_eq!(tested.severity, Severity::Warning);
    let delta = tested.numbers["delta"].as_f64().unwrap();
    assert!((0.30..0.50).contains(&delta), "{delta}");
}

#[test]
fn an_ex_dividend_date_before_a_short_calls_expiration_is_flagged() {
    // XYZ at 105, short 100 call worth 5.05 (0.05 extrinsic); 4 % yield: a quarterly dividend
    // of about 105 × 0.04 / 4 = 1.05 > 0.05: assignment is likely.
    let mut state = market("XYZ", 105.0, 1.0);
    state.dividend_yield = 0.04;
    state.ex_dividend_date = Some(in_days(10));
    let book = single(
        option("XYZ", OptionType::Call, 100.0, 30, -1.0, 0.2, 6.00, 5.05),
        state.clone(),
    );
    let ex = signals_of(&book)
        .into_iter()
        .find(|s| s.rule == Rule::ExDividend)
        .unwrap();
    assert_eq!(ex.severity, Severity::Action);
    assert_eq!(ex.numbers["extrinsic_value"], 0.05);
    assert_eq!(ex.numbers["dividend_estimate"], 1.05);
    assert_eq!(ex.numbers["days_to_ex_dividend"], 10);
    // After the expiration: no signal.
    state.ex_dividend_date = Some(in_days(40));
    let book = single(
        option("XYZ", OptionType::Call, 100.0, 30, -1.0, 0.2, 6.00, 5.05),
        state,
    );
    assert!(signals_of(&book).iter().all(|s| s.rule != Rule::ExDividend));
}

#[test]
fn earnings_before_expiration_are_flagged() {
    let mut state = market("ABC", 50.0, 1.0);
    state.earnings_date = Some(in_days(12));
    let book = single(
        option("ABC", OptionType::Put, 40.0, 40, -1.0, 0.3, 1.00, 0.80),
        state.clone(),
    );
    let earnings = signals_of(&book)
        .into_iter()
        .find(|s| s.rule == Rule::Earnings)
        .unwrap();
    assert_eq!(earnings.severity, Severity::Warning);
    assert_eq!(earnings.numbers["days_to_earnings"], 12);
    state.earnings_date = Some(in_days(50));
    let book = single(
        option("ABC", OptionType::Put, 40.0, 40, -1.0, 0.3, 1.00, 0.80),
        state,
    );
    assert!(signals_of(&book).is_empty());
}

#[test]
fn broker_greeks_replace_the_models_delta_and_gamma() {
    let mut leg = option("ABC", OptionType::Put, 45.0, 40, -1.0, 0.3, 1.00, 1.00);
    leg.broker_delta_gamma = Some((-0.25, 0.05));
    leg.vol_source = VolSource::Broker;
    let report = assess(
        &single(leg, market("ABC", 50.0, 1.0)),
        &ScenarioGrid::default_grid(),
        context(),
    );
    // −1 × −0.25 × 100 = +25 shares; gamma −1 × 0.05 × 100 = −5.
    assert_eq!(report.totals.delta, 25.0);
    assert_eq!(report.totals.gamma, -5.0);
    assert_eq!(report.groups[0].legs[0].iv_source, VolSource::Broker);
}

#[test]
fn unpriced_legs_are_left_out_and_said() {
    let mut leg = option("ABC", OptionType::Put, 45.0, 40, -1.0, 0.3, 1.00, 1.00);
    leg.vol = None;
    leg.vol_source = VolSource::Unpriced;
    let mut book = single(leg, market("ABC", 50.0, 1.0));
    book.reference_price = None;
    let report = assess(&book, &ScenarioGrid::default_grid(), context());
    assert_eq!(report.account_summary.priced_positions, 0);
    assert_eq!(report.totals.delta, 0.0);
    assert!(
        report.warnings.iter().any(|w| w.contains("left out")),
        "{:?}",
        report.warnings
    );
    assert!(report.warnings.iter().any(|w| w.contains("no SPY price")));
    assert_eq!(report.totals.beta_weighted_delta, None);
}

#[test]
fn a_long_list_of_groups_is_cut_to_the_largest_and_the_totals_keep_everything() {
    // 35 short puts on one underlying, strikes 60..=94: 35 groups; the answer lists the 30 with
    // the most buying power (the highest strikes) and says 5 were left out.
    let legs: Vec<RiskLeg> = (60..95)
        .map(|k| option("ABC", OptionType::Put, f64::from(k), 40, -1.0, 0.3, 1.0, 1.0))
        .collect();
    let mut book = single(legs[0].clone(), market("ABC", 100.0, 1.0));
    book.legs = legs;
    let report = assess(&book, &ScenarioGrid::default_grid(), context());
    assert_eq!(report.groups.len(), super::report::MAX_GROUPS);
    assert_eq!(report.groups_omitted, 5);
    let lowest_listed = report
        .groups
        .iter()
        .map(|g| g.legs[0].strike.unwrap())
        .fold(f64::INFINITY, f64::min);
    assert_eq!(lowest_listed, 65.0);
    let listed_delta: f64 = report.groups.iter().map(|g| g.exposure.delta).sum();
    assert!(
        report.totals.delta > listed_delta,
        "the totals include the omitted groups"
    );
    assert_eq!(report.underlyings[0].groups.len(), 35);
}
