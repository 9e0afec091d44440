//! `run_full_analysis`: chart + options + the account's context + a recommendation with its
//! reasons, saved to the store.
//!
//! The decision: every caution has a severity. Any blocking one (the strategy does not apply, a
//! call would be naked, every strike is below the cost basis, no contract fits the caps,
//! earnings before expiration unless asked) makes the action `avoid` or `wait`; two major ones
//! (IV rank below the low threshold, a negative expected value, the trend against the trade,
//! earnings or a strike below basis when asked) make it `wait`; minor ones are told. The reasons
//! always agree with the action: a `wait` opens with why, never with "sell the …".

use serde::Serialize;

mod recommend;

use recommend::recommend;

use super::chart::ChartAnalysis;
use super::options::{Candidate, OptionsAnalysis, Strategy};
use super::sizing::AccountContext;
use crate::app::portfolio_risk::RiskRequest;
use crate::app::portfolio_risk::scenario::{MoveBasis, ScenarioGrid};
use crate::app::portfolio_risk::signals::Signal;
use crate::app::{App, AppEvent};
use crate::domain::{Symbol, Timeframe};
use crate::error::AppError;
use crate::ports::NewAnalysis;

/// Reports stage progress (`done`, `total`, `message`); the MCP layer turns it into
/// `notifications/progress` when the client asked for progress.
pub trait Progress: Send + Sync {
    /// One stage finished.
    fn report(&self, done: f64, total: f64, message: &str);
}

/// How much a caution weighs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The trade must not be placed as proposed.
    Blocking,
    /// Two of these argue for waiting.
    Major,
    /// Worth knowing.
    Minor,
}

/// What speaks against a trade.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Caution {
    /// blocking, major or minor.
    pub severity: Severity,
    /// A stable name: not_eligible, naked_call, below_basis, no_contracts_fit, earnings,
    /// iv_rank_low, negative_expected_value, trend_against, level_not_protecting, liquidity,
    /// existing_short_options, not_sized, position_signals_unavailable.
    pub code: &'static str,
    /// What it is, with the numbers.
    pub message: String,
}

impl Caution {
    fn new(severity: Severity, code: &'static str, message: String) -> Caution {
        Caution {
            severity,
            code,
            message,
        }
    }
}

/// What to do, and why.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Recommendation {
    /// What to do: sell (open the candidate), wait, or avoid (this strategy does not apply now).
    #[schemars(extend("enum" = ["sell", "wait", "avoid"]))]
    pub action: &'static str,
    /// One line.
    pub headline: String,
    /// The trade recommended, when the action is sell (every detail: legs, greeks, levels,
    /// sizing).
    pub candidate: Option<Candidate>,
    /// How many contracts to sell (when the action is sell): the number asked for (one unless
    /// the trader says otherwise), never more than fit the caps. The caps are ceilings, not a
    /// target: the candidate's `sizing` says how many would fit.
    pub contracts: Option<i64>,
    /// The order as a trader would enter it, at its limit price (when the action is sell).
    pub order: Option<String>,
    /// Why, with the numbers; the first reason states the decision.
    pub reasons: Vec<String>,
    /// What speaks against it, most severe first.
    pub cautions: Vec<Caution>,
    /// How to manage it once open.
    pub management: Vec<String>,
    /// What the management rules of `get_portfolio_risk` (take profit at 50 %, close or roll at
    /// 21 DTE, a tested short strike, ex-dividend, earnings) say about the positions already held
    /// in the symbol, most urgent first. Each `action` one is also a reason: manage what you hold
    /// before adding to it.
    pub position_signals: Vec<Signal>,
}

/// A knowledge passage relevant to the trade.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct KnowledgeNote {
    /// Document title.
    pub title: String,
    /// Section heading.
    pub heading: Option<String>,
    /// Resource URI of the document.
    pub uri: String,
    /// The passage, shortened.
    pub snippet: String,
}

/// The result of `run_full_analysis`.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct FullAnalysis {
    /// The underlying.
    pub symbol: String,
    /// The strategy.
    pub strategy: Strategy,
    /// Market clock time of the analysis.
    pub as_of: String,
    /// The recommendation.
    pub recommendation: Recommendation,
    /// Chart analysis (daily).
    pub chart: ChartAnalysis,
    /// Options analysis.
    pub options: OptionsAnalysis,
    /// Account context: positions in the underlying, exposure, buying power, caps.
    pub account: AccountContext,
    /// Knowledge passages to read.
    pub knowledge_notes: Vec<KnowledgeNote>,
    /// The saved analysis's id (see get_analysis_history).
    pub analysis_id: String,
    /// Data source.
    pub source: String,
    /// True for made-up data.
    pub synthetic: bool,
}

/// What `run_full_analysis` may be asked besides the symbol and strategy.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FullOptions {
    /// Covered calls: keep strikes below the cost basis.
    pub allow_below_basis: bool,
    /// Earnings before expiration is a major caution instead of a blocking one.
    pub allow_earnings: bool,
    /// Exposure cap for this call, percent of net liq.
    pub max_exposure_percent: Option<f64>,
    /// Option buying power cap for this call, percent of net liq.
    pub max_bp_usage_percent: Option<f64>,
    /// Least credit / width of a spread for this call (`None`: the setting).
    pub min_credit_to_width: Option<f64>,
    /// Contracts the trader means to sell (`None`: one); the recommendation never exceeds what
    /// fits the caps.
    pub contracts: Option<i64>,
}

impl App {
    /// Chart, options, account, recommendation; saved to the store. `progress` hears each stage.
    pub async fn run_full_analysis(
        &self,
        symbol: &Symbol,
        strategy: Strategy,
        progress: &dyn Progress,
    ) -> Result<FullAnalysis, AppError> {
        self.run_full_analysis_with(symbol, strategy, &FullOptions::default(), progress)
            .await
    }

    /// [`App::run_full_analysis`] with the trader's overrides.
    pub async fn run_full_analysis_with(
        &self,
        symbol: &Symbol,
        strategy: Strategy,
        overrides: &FullOptions,
        progress: &dyn Progress,
    ) -> Result<FullAnalysis, AppError> {
        const STAGES: f64 = 5.0;
        let (chart, _) = self.analyze_chart(symbol, Timeframe::Daily, false).await?;
        progress.report(1.0, STAGES, "chart analysed");
        let mut request = self.options_defaults(strategy);
        request.levels = Some((chart.levels.nearest_support, chart.levels.nearest_resistance));
        request.atr = chart.volatility.atr14;
        request.allow_below_basis = overrides.allow_below_basis;
        request.allow_earnings = overrides.allow_earnings;
        request.max_exposure_percent = overrides.max_exposure_percent;
        request.max_bp_usage_percent = overrides.max_bp_usage_percent;
        if let Some(min) = overrides.min_credit_to_width {
            request.min_credit_to_width = min;
        }
        let options = self.analyze_options(symbol, request.clone()).await?;
        progress.report(2.0, STAGES, "options ranked");

        let account = match &options.account {
            Some(account) => account.clone(),
            // The options analysis goes on without the account; the full analysis cannot.
            None => {
                self.account_context(symbol, options.underlying_price, &request)
                    .await?
            }
        };
        // A trader manages what is already held in the symbol before adding to it.
        let held = if account.positions_in_symbol.is_empty() {
            Ok(Vec::new())
        } else {
            self.position_signals(symbol).await
        };
        progress.report(3.0, STAGES, "account checked");

        let recommendation = recommend(
            &chart,
            &options,
            &account,
            &request,
            overrides.contracts.unwrap_or(1),
            held,
        );
        let base = self.knowledge().await;
        let query = match strategy {
            Strategy::Csp => "cash secured put rolling managing winners assignment",
            Strategy::CoveredCall => "covered call strike selection cost basis rolling assignment",
            Strategy::Spread => "credit spread defending tested side managing winners",
        };
        let knowledge_notes: Vec<KnowledgeNote> = base
            .search(query, 3)
            .unwrap_or_default()
            .into_iter()
            .map(|h| KnowledgeNote {
                uri: format!("knowledge://documents/{}", h.path),
                title: h.title,
                heading: h.heading,
                snippet: h.snippet,
            })
            .collect();
        progress.report(4.0, STAGES, "recommendation made");

        let source = self.source();
        let as_of = self.broker().now();
        let mut result = FullAnalysis {
            symbol: symbol.to_string(),
            strategy,
            as_of: as_of.to_string(),
            recommendation,
            chart,
            options,
            account,
            knowledge_notes,
            analysis_id: String::new(),
            source: source.source.clone(),
            synthetic: source.synthetic,
        };
        let payload =
            serde_json::to_value(&result).map_err(|_| AppError::internal("serialising the analysis"))?;
        let saved = self
            .store()
            .save_analysis(NewAnalysis {
                symbol: symbol.clone(),
                kind: "full_analysis".to_owned(),
                strategy: Some(strategy.as_str().to_owned()),
                created_at: as_of,
                source: source.source,
                summary: result.recommendation.headline.clone(),
                result: payload,
            })
            .await?;
        result.analysis_id = saved.id.0;
        self.emit(AppEvent::ResourceUpdated("history://analyses".to_owned()));
        self.emit(AppEvent::ResourceUpdated(format!("history://analyses/{symbol}")));
        progress.report(5.0, STAGES, "saved");
        Ok(result)
    }
}

impl App {
    /// The management signals of the positions held in `symbol`, as `get_portfolio_risk` gives
    /// them for that symbol (its grid reduced to the one cell the signals do not need more of).
    async fn position_signals(&self, symbol: &Symbol) -> Result<Vec<Signal>, AppError> {
        let request = RiskRequest {
            account: None,
            symbol: Some(symbol.clone()),
            grid: ScenarioGrid {
                moves_percent: vec![0.0],
                iv_shifts: vec![0.0],
                days: vec![0],
                move_basis: MoveBasis::Symbol,
            },
            include_chart: false,
            group_grids: false,
        };
        let (report, _) = self.portfolio_risk(&request).await?;
        Ok(report.signals)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::{Just, ProptestConfig, prop_assert, prop_assert_eq, prop_oneof, proptest};

    use super::*;
    use crate::app::PositionView;
    use crate::app::analysis::{RiskLimits, account_context, size};
    use crate::domain::{InstrumentType, Position, occ_symbol};
    use crate::domain::{OptionType, TickClass};
    use crate::testing::{sample_app, sample_market};

    struct Quiet;
    impl Progress for Quiet {
        fn report(&self, _: f64, _: f64, _: &str) {}
    }

    /// The sample market with the account reshaped: net liq, option buying power, SPY shares,
    /// short SPY calls and an extra short SPY put.
    fn app(net_liq: f64, bp: f64, shares: f64, short_calls: f64, short_put: Option<f64>) -> App {
        let mut market = sample_market();
        let account = market.accounts[0].number.clone();
        market.balances[0].net_liquidating_value = net_liq;
        market.balances[0].derivative_buying_power = bp;
        for p in &mut market.positions {
            if p.symbol.as_str() == "SPY" {
                p.quantity = shares;
            }
        }
        let expiration = market.chains[0].expirations[0].date;
        let option = |option_type, strike: f64, quantity: f64| Position {
            account: account.clone(),
            symbol: Symbol::parse(&occ_symbol("SPY", expiration, option_type, strike)).unwrap(),
            instrument_type: InstrumentType::EquityOption,
            underlying: Symbol::parse("SPY").unwrap(),
            quantity,
            average_open_price: 2.0,
            close_price: Some(2.0),
            mark: Some(1.5),
            multiplier: 100.0,
            option_type: Some(option_type),
            strike: Some(strike),
            expiration: Some(expiration),
            opened_at: None,
        };
        if short_calls > 0.0 {
            market
                .positions
                .push(option(OptionType::Call, 700.0, -short_calls));
        }
        if let Some(strike) = short_put {
            market.positions.push(option(OptionType::Put, strike, -1.0));
        }
        sample_app(market)
    }

    fn run(app: &App, strategy: Strategy, overrides: &FullOptions) -> FullAnalysis {
        let spy = Symbol::parse("SPY").unwrap();
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(app.run_full_analysis_with(&spy, strategy, overrides, &Quiet))
            .unwrap()
    }

    #[test]
    fn what_is_held_in_the_symbol_is_judged_by_the_portfolio_rules_and_named_in_the_reasons() {
        // A short SPY put sold at 2.00 and marked 0.20: 90 % of its credit captured.
        let mut market = sample_market();
        let account = market.accounts[0].number.clone();
        let expiration = market.chains[0].expirations[0].date;
        market.positions.push(Position {
            account,
            symbol: Symbol::parse(&occ_symbol("SPY", expiration, OptionType::Put, 400.0)).unwrap(),
            instrument_type: InstrumentType::EquityOption,
            underlying: Symbol::parse("SPY").unwrap(),
            quantity: -2.0,
            average_open_price: 2.0,
            close_price: Some(0.2),
            mark: Some(0.2),
            multiplier: 100.0,
            option_type: Some(OptionType::Put),
            strike: Some(400.0),
            expiration: Some(expiration),
            opened_at: None,
        });
        let app = sample_app(market);
        let full = run(&app, Strategy::Csp, &FullOptions::default());
        let r = &full.recommendation;
        let spy = Symbol::parse("SPY").unwrap();
        let risk = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(app.portfolio_risk(&RiskRequest {
                symbol: Some(spy),
                ..RiskRequest::default_book()
            }))
            .unwrap()
            .0;
        assert_eq!(
            r.position_signals, risk.signals,
            "the rules of get_portfolio_risk"
        );
        let take_profit = r
            .position_signals
            .iter()
            .find(|s| s.rule == crate::app::portfolio_risk::signals::Rule::TakeProfit)
            .expect("90 % captured takes profit");
        assert_eq!(take_profit.numbers["credit_received"], 400.0);
        assert_eq!(take_profit.numbers["cost_to_close"], 40.0);
        let actions: Vec<&Signal> = r
            .position_signals
            .iter()
            .filter(|s| s.severity == crate::app::portfolio_risk::signals::Severity::Action)
            .collect();
        assert!(!actions.is_empty());
        for signal in actions {
            assert!(
                r.reasons
                    .iter()
                    .skip(1)
                    .any(|reason| reason.ends_with(&signal.message)
                        && reason.starts_with("before adding to SPY, manage what you hold: ")),
                "{:?}",
                r.reasons
            );
        }
        // Nothing held: nothing to judge, and no such reason.
        let clean = run(&app_without_spy_options(), Strategy::Csp, &FullOptions::default());
        assert!(clean.recommendation.position_signals.is_empty());
        assert!(
            !clean
                .recommendation
                .reasons
                .iter()
                .any(|r| r.contains("manage what you hold"))
        );
    }

    /// The sample market without SPY options held (its shares kept).
    fn app_without_spy_options() -> App {
        let mut market = sample_market();
        market
            .positions
            .retain(|p| !(p.underlying.as_str() == "SPY" && p.option_type.is_some()));
        sample_app(market)
    }

    #[test]
    fn a_sell_names_the_contracts_that_fit_and_a_wait_opens_with_why() {
        // Net liq 1 000 000, 900 000 available (10 % in use), no SPY: a spread fits many times.
        let open = run(
            &app(1_000_000.0, 900_000.0, 0.0, 0.0, None),
            Strategy::Spread,
            &FullOptions {
                allow_earnings: true,
                ..FullOptions::default()
            },
        );
        let r = &open.recommendation;
        assert_eq!(r.action, "sell", "{r:?}");
        let c = r.candidate.as_ref().unwrap();
        let s = c.sizing.as_ref().unwrap();
        // The exposure cap binds: 10 % of 1 000 000 over the spread's maximum loss.
        assert_eq!(s.limited_by, "exposure");
        assert_eq!(s.contracts, (100_000.0 / c.max_loss).floor() as i64);
        // The caps are a ceiling: one contract unless the trader asks for more, and the reason
        // says how many would fit.
        assert!(s.contracts > 1);
        assert_eq!(r.contracts, Some(1));
        assert!(r.reasons[0].starts_with("sell 1 ×"), "{:?}", r.reasons);
        assert!(
            r.reasons[0].contains(&format!("up to {} fit the caps", s.contracts)),
            "{:?}",
            r.reasons
        );
        assert!(r.order.as_ref().unwrap().starts_with("SELL 1 SPY"));
        // Asking for more than fits gets what fits.
        let greedy = run(
            &app(1_000_000.0, 900_000.0, 0.0, 0.0, None),
            Strategy::Spread,
            &FullOptions {
                allow_earnings: true,
                contracts: Some(1_000_000),
                ..FullOptions::default()
            },
        );
        assert_eq!(greedy.recommendation.contracts, Some(s.contracts));
        assert!(
            r.order
                .as_ref()
                .unwrap()
                .contains(&format!("{:.2} LMT", c.credit))
        );
        assert!(r.cautions.iter().all(|c| c.severity != Severity::Blocking));
        // The buy-to-close target is half the credit, on the tick.
        let target = TickClass::of("SPY").ceil(c.credit / 2.0);
        assert!(TickClass::of("SPY").on_tick(target));
        assert!(
            r.management[0].contains(&format!("{target:.2}")),
            "{:?}",
            r.management
        );
        // Net liq 100 000 with 60 000 in use and a 2 000 cap on exposure: no put fits.
        let full = run(
            &app(100_000.0, 40_000.0, 0.0, 0.0, Some(500.0)),
            Strategy::Csp,
            &FullOptions {
                max_exposure_percent: Some(2.0),
                ..FullOptions::default()
            },
        );
        let r = &full.recommendation;
        assert_eq!(r.action, "wait", "{r:?}");
        assert!(r.reasons[0].starts_with("wait: "), "{:?}", r.reasons);
        assert!(!r.headline.contains("sell the"));
        assert_eq!(r.cautions[0].severity, Severity::Blocking);
        assert_eq!(r.cautions[0].code, "no_contracts_fit");
        assert!(r.cautions.iter().any(|c| c.code == "existing_short_options"));
        assert!(r.candidate.is_none() && r.contracts.is_none());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn the_recommended_trade_never_breaches_the_caps(
            net_liq in 20_000.0f64..2_000_000.0,
            available in 0.0f64..1.0,
            shares in 0u32..700,
            short_calls in 0u32..5,
            short_put in proptest::option::of(450.0f64..650.0),
            exposure_cap in 1.0f64..60.0,
            bp_cap in 5.0f64..95.0,
            strategy in prop_oneof![Just(Strategy::Csp), Just(Strategy::CoveredCall), Just(Strategy::Spread)],
            wanted in 1i64..400,
        ) {
            let bp = net_liq * available;
            let app = app(net_liq, bp, f64::from(shares), f64::from(short_calls), short_put);
            let overrides = FullOptions {
                allow_earnings: true,
                allow_below_basis: true,
                max_exposure_percent: Some(exposure_cap),
                max_bp_usage_percent: Some(bp_cap),
                min_credit_to_width: None,
                contracts: Some(wanted),
            };
            let result = run(&app, strategy, &overrides);
            let a = &result.account;
            let lots = ((f64::from(shares) - 100.0 * f64::from(short_calls)) / 100.0).floor().max(0.0) as i64;
            prop_assert_eq!(a.covered_call_lots_available, lots);
            let tick = TickClass::of("SPY");
            for c in &result.options.candidates {
                prop_assert!(tick.on_tick(c.credit), "{} off its tick", c.credit);
                if c.kind == "covered_call" {
                    prop_assert!(c.sizing.as_ref().unwrap().contracts <= lots);
                }
            }
            let r = &result.recommendation;
            if r.action == "sell" {
                let c = r.candidate.as_ref().unwrap();
                let s = c.sizing.as_ref().unwrap();
                let n = r.contracts.unwrap();
                prop_assert!(n >= 1 && n == wanted.min(s.contracts));
                let n = n as f64;
                prop_assert!(a.exposure.total + n * s.exposure_per_contract <= exposure_cap / 100.0 * net_liq + 1e-6
                    || s.exposure_per_contract == 0.0);
                let in_use = net_liq - bp;
                prop_assert!(in_use + n * s.buying_power_per_contract <= bp_cap / 100.0 * net_liq + 1e-6
                    || s.buying_power_per_contract == 0.0);
                prop_assert!(n * s.buying_power_per_contract <= bp + 1e-6);
                if c.kind == "covered_call" {
                    prop_assert!(n as i64 <= lots);
                }
                prop_assert!(r.reasons[0].starts_with("sell "));
            } else {
                prop_assert!(r.candidate.is_none());
                prop_assert!(!r.reasons[0].starts_with("sell"), "{:?}", r.reasons);
            }
        }

        #[test]
        fn a_covered_call_never_exceeds_the_uncovered_lots(
            shares in -300i32..2_000,
            calls in proptest::collection::vec((0u32..6, 1u32..4), 0..4),
        ) {
            let mut positions = vec![PositionView {
                symbol: "XYZ".into(),
                underlying: "XYZ".into(),
                instrument_type: InstrumentType::Equity,
                quantity: f64::from(shares),
                direction: "long",
                average_open_price: 50.0,
                mark: Some(50.0),
                mark_source: "broker",
                multiplier: 1.0,
                market_value: Some(50.0 * f64::from(shares)),
                cost_basis: 0.0,
                unrealized_pnl: None,
                unrealized_pnl_percent: None,
                day_pnl: None,
                option_type: None,
                strike: None,
                expiration: None,
                dte: None,
            }];
            let mut short_calls = 0.0;
            for (i, (quantity, strike)) in calls.iter().enumerate() {
                short_calls += f64::from(*quantity);
                positions.push(PositionView {
                    symbol: format!("XYZ C{i}"),
                    instrument_type: InstrumentType::EquityOption,
                    quantity: -f64::from(*quantity),
                    multiplier: 100.0,
                    market_value: Some(-100.0 * f64::from(*quantity)),
                    option_type: Some(OptionType::Call),
                    strike: Some(50.0 + f64::from(*strike)),
                    expiration: Some("2026-01-16".into()),
                    ..positions[0].clone()
                });
            }
            let context = account_context("A".into(), 1e6, 5e5, positions, "XYZ", 50.0, RiskLimits::default());
            let sizing = size(&context, 0.0, 0.0, Some(context.covered_call_lots_available));
            let uncovered = ((f64::from(shares) - 100.0 * short_calls) / 100.0).floor().max(0.0);
            prop_assert_eq!(sizing.contracts as f64, uncovered);
            prop_assert!(sizing.contracts as f64 * 100.0 + short_calls * 100.0 <= f64::from(shares.max(0)) || sizing.contracts == 0);
        }
    }
}
