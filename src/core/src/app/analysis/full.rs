//! `run_full_analysis`: chart + options + the account's context + a recommendation with its
//! reasons, saved to the store.

use serde::Serialize;

use super::chart::ChartAnalysis;
use super::options::{Candidate, OptionsAnalysis, OptionsRequest, Strategy};
use crate::app::{App, AppEvent};
use crate::domain::{InstrumentType, OptionType, Symbol, Timeframe, round_to};
use crate::error::AppError;
use crate::ports::NewAnalysis;

/// Reports stage progress (`done`, `total`, `message`); the MCP layer turns it into
/// `notifications/progress` when the client asked for progress.
pub trait Progress: Send + Sync {
    /// One stage finished.
    fn report(&self, done: f64, total: f64, message: &str);
}

/// An open position in the analysed underlying.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HeldPosition {
    /// Symbol (OCC for options).
    pub symbol: String,
    /// Signed quantity.
    pub quantity: f64,
    /// equity, equity_option, ...
    pub instrument_type: InstrumentType,
    /// call or put, for options.
    pub option_type: Option<OptionType>,
    /// Strike, for options.
    pub strike: Option<f64>,
    /// Expiration, for options.
    pub expiration: Option<String>,
    /// Mark × quantity × multiplier, when the broker has a mark.
    pub market_value: Option<f64>,
}

/// The account's side of the decision.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AccountContext {
    /// Masked account number.
    pub account: String,
    /// Net liquidating value.
    pub net_liquidating_value: f64,
    /// Option buying power.
    pub derivative_buying_power: f64,
    /// Positions already held in the underlying.
    pub positions_in_symbol: Vec<HeldPosition>,
    /// Shares held.
    pub shares_held: f64,
    /// Market value of the positions in the underlying.
    pub exposure_value: f64,
    /// That exposure as a percent of net liq.
    pub exposure_percent_of_net_liq: Option<f64>,
    /// Capital the top candidate needs per contract.
    pub candidate_capital: Option<f64>,
    /// That capital as a percent of option buying power.
    pub capital_percent_of_buying_power: Option<f64>,
    /// That capital as a percent of net liq.
    pub capital_percent_of_net_liq: Option<f64>,
    /// Whether one contract fits the buying power (covered calls use the shares held).
    pub fits_buying_power: Option<bool>,
}

/// What to do, and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Recommendation {
    /// sell (open the candidate), wait, or avoid (this strategy does not apply).
    pub action: &'static str,
    /// One line.
    pub headline: String,
    /// The trade recommended (the top candidate), when the action is sell.
    pub candidate: Option<Candidate>,
    /// Why, with the numbers.
    pub reasons: Vec<String>,
    /// What speaks against it.
    pub cautions: Vec<String>,
    /// How to manage it once open.
    pub management: Vec<String>,
}

/// A knowledge passage relevant to the trade.
#[derive(Clone, Debug, PartialEq, Serialize)]
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
#[derive(Clone, Debug, PartialEq, Serialize)]
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
    /// Account context.
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

fn recommend(chart: &ChartAnalysis, options: &OptionsAnalysis, account: &AccountContext) -> Recommendation {
    let strategy = options.strategy;
    if !options.eligible {
        return Recommendation {
            action: "avoid",
            headline: options
                .reason
                .clone()
                .unwrap_or_else(|| "this strategy does not apply".to_owned()),
            candidate: None,
            reasons: options.reason.iter().cloned().collect(),
            cautions: Vec::new(),
            management: Vec::new(),
        };
    }
    let Some(top) = options.candidates.first() else {
        return Recommendation {
            action: "wait",
            headline: format!(
                "no {} candidate meets the filters on {} now",
                strategy.as_str(),
                options.symbol
            ),
            candidate: None,
            reasons: options.reason.iter().cloned().collect(),
            cautions: Vec::new(),
            management: Vec::new(),
        };
    };
    let mut reasons = vec![
        format!(
            "{} {} {} expiring {} ({} DTE) for a {:.2} credit (${:.0} per contract) at mid",
            match top.kind {
                "csp" => "sell the",
                "covered_call" => "sell the",
                _ => "sell the",
            },
            top.short_strike,
            match top.kind {
                "csp" => "put".to_owned(),
                "covered_call" => "call against the shares".to_owned(),
                "bull_put_spread" => format!("/ {} bull put spread", top.long_strike.unwrap_or_default()),
                _ => format!("/ {} bear call spread", top.long_strike.unwrap_or_default()),
            },
            top.expiration,
            top.dte,
            top.credit,
            top.credit_per_contract
        ),
        format!(
            "probability of profit {:.0}% (breakeven {}), return on capital {}% ({}% annualised)",
            top.pop * 100.0,
            top.breakeven,
            top.return_on_capital_percent,
            top.annualized_return_percent
        ),
    ];
    if top.levels.protected_by_level == Some(true) {
        reasons.push(format!(
            "the short strike is beyond the nearest {} ({}): the level stands between the price and the strike",
            top.levels.level_kind,
            top.levels.level.unwrap_or_default()
        ));
    }
    reasons.push(options.iv_context.assessment.clone());
    reasons.push(format!(
        "trend: {} ({})",
        chart.trend.direction, chart.trend.reason
    ));

    let mut cautions = Vec::new();
    if options.iv_context.iv_rank.is_some_and(|r| r < 0.3) {
        cautions.push("IV rank is below 0.30: premium is cheap relative to the past year".to_owned());
    }
    if top.earnings_before_expiration == Some(true) {
        cautions.push(format!(
            "earnings ({}) fall before expiration: expect a gap and an IV crush",
            options.iv_context.earnings_date.clone().unwrap_or_default()
        ));
    }
    let put_side = matches!(top.kind, "csp" | "bull_put_spread");
    if put_side && chart.trend.direction == "downtrend" {
        cautions.push("the chart is in a downtrend: selling puts leans against it".to_owned());
    }
    if !put_side && chart.trend.direction == "uptrend" && top.kind == "bear_call_spread" {
        cautions.push("the chart is in an uptrend: a bear call spread leans against it".to_owned());
    }
    if top.levels.protected_by_level == Some(false) {
        cautions.push(format!(
            "the short strike {} is inside the nearest {} ({}), not beyond it",
            top.short_strike,
            top.levels.level_kind,
            top.levels.level.unwrap_or_default()
        ));
    }
    cautions.extend(top.liquidity_warnings.iter().cloned());
    if let Some(pct) = account.capital_percent_of_net_liq
        && pct > 25.0
    {
        cautions.push(format!(
            "one contract ties up {pct}% of net liq: a large position for one trade"
        ));
    }
    if account.exposure_percent_of_net_liq.is_some_and(|p| p > 20.0) {
        cautions.push(format!(
            "the account already has {}% of net liq in {}",
            account.exposure_percent_of_net_liq.unwrap_or_default(),
            options.symbol
        ));
    }
    let mut management = vec![
        format!(
            "take profits at 50% of the credit: buy back near {:.2}",
            round_to(top.credit / 2.0, 2)
        ),
        "at about 21 DTE, close or roll out in time for a credit if the trade is not at its target"
            .to_owned(),
    ];
    match top.kind {
        "csp" => management.push(format!(
            "if assigned at {}, you own the shares at an effective {}: sell covered calls (the wheel)",
            top.short_strike, top.breakeven
        )),
        "covered_call" => management.push(format!(
            "if the stock rises through {}, decide before expiration whether to let the shares be called or roll up and out",
            top.short_strike
        )),
        _ => management.push(format!("if the short strike {} is tested, roll the spread out in time or close it; the loss is capped at ${}", top.short_strike, top.max_loss)),
    }
    if account.fits_buying_power == Some(false) {
        return Recommendation {
            action: "wait",
            headline: format!(
                "the best {} candidate needs ${:.0} per contract but option buying power is ${:.0}",
                strategy.as_str(),
                top.capital_required,
                account.derivative_buying_power
            ),
            candidate: None,
            reasons,
            cautions,
            management: Vec::new(),
        };
    }
    let (action, headline) = if cautions.len() >= 3 {
        (
            "wait",
            format!(
                "{}: the best candidate is {} {}, but {} cautions argue for waiting",
                options.symbol,
                top.kind,
                top.short_strike,
                cautions.len()
            ),
        )
    } else {
        (
            "sell",
            format!(
                "{}: sell the {} {} {} ({} DTE) for {:.2}, POP {:.0}%",
                options.symbol,
                top.expiration,
                top.short_strike,
                top.kind.replace('_', " "),
                top.dte,
                top.credit,
                top.pop * 100.0
            ),
        )
    };
    Recommendation {
        action,
        headline,
        candidate: (action == "sell").then(|| top.clone()),
        reasons,
        cautions,
        management,
    }
}

impl App {
    /// Chart, options, account, recommendation; saved to the store. `progress` hears each stage.
    pub async fn run_full_analysis(
        &self,
        symbol: &Symbol,
        strategy: Strategy,
        progress: &dyn Progress,
    ) -> Result<FullAnalysis, AppError> {
        const STAGES: f64 = 5.0;
        let (chart, _) = self.analyze_chart(symbol, Timeframe::Daily, false).await?;
        progress.report(1.0, STAGES, "chart analysed");
        let mut request = OptionsRequest::defaults(strategy);
        request.levels = Some((chart.levels.nearest_support, chart.levels.nearest_resistance));
        let options = self.analyze_options(symbol, request).await?;
        progress.report(2.0, STAGES, "options ranked");

        let balances = self.balances_view(None).await?;
        let positions = self.positions_view(None).await?;
        let held: Vec<HeldPosition> = positions
            .positions
            .iter()
            .filter(|p| p.underlying == symbol.as_str())
            .map(|p| HeldPosition {
                symbol: p.symbol.clone(),
                quantity: p.quantity,
                instrument_type: p.instrument_type,
                option_type: p.option_type,
                strike: p.strike,
                expiration: p.expiration.clone(),
                market_value: p.market_value,
            })
            .collect();
        let shares_held: f64 = held
            .iter()
            .filter(|p| p.instrument_type == InstrumentType::Equity)
            .map(|p| p.quantity)
            .sum();
        let exposure_value = round_to(held.iter().filter_map(|p| p.market_value).sum(), 2);
        let net_liq = balances.net_liquidating_value;
        let bp = balances.derivative_buying_power;
        let capital = options.candidates.first().map(|c| c.capital_required);
        let uses_bp = !matches!(strategy, Strategy::CoveredCall);
        let account = AccountContext {
            account: balances.account.clone(),
            net_liquidating_value: net_liq,
            derivative_buying_power: bp,
            positions_in_symbol: held,
            shares_held,
            exposure_value,
            exposure_percent_of_net_liq: (net_liq > 0.0)
                .then(|| round_to(exposure_value.abs() / net_liq * 100.0, 2)),
            candidate_capital: capital,
            capital_percent_of_buying_power: capital
                .filter(|_| uses_bp && bp > 0.0)
                .map(|c| round_to(c / bp * 100.0, 2)),
            capital_percent_of_net_liq: capital
                .filter(|_| net_liq > 0.0)
                .map(|c| round_to(c / net_liq * 100.0, 2)),
            fits_buying_power: capital.map(|c| !uses_bp || c <= bp),
        };
        progress.report(3.0, STAGES, "account checked");

        let recommendation = recommend(&chart, &options, &account);
        let base = self.knowledge().await;
        let query = match strategy {
            Strategy::Csp => "cash secured put rolling managing winners assignment",
            Strategy::CoveredCall => "covered call strike selection rolling assignment",
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
                summary: format!(
                    "{}: {}",
                    result.recommendation.action, result.recommendation.headline
                ),
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
