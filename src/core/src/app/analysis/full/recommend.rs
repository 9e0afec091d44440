//! The recommendation of a full analysis: the action (`sell`, `wait` or `avoid`), its reasons
//! and cautions by severity, the order ticket and how to manage the trade.

use super::{Caution, Recommendation, Severity};
use crate::app::analysis::chart::ChartAnalysis;
use crate::app::analysis::options::{Candidate, IV_RANK_LOW, OptionsAnalysis, OptionsRequest, Strategy};
use crate::app::analysis::sizing::AccountContext;
use crate::app::portfolio_risk::signals::{self, Signal, dollars};
use crate::domain::{OptionType, TickClass};
use crate::error::AppError;

/// "the 540 put", "the 540 / 535 bull put spread", "the 465 call against the shares".
fn describe(c: &Candidate) -> String {
    match c.kind {
        "csp" => format!("the {} put", c.short_strike),
        "covered_call" => format!("the {} call against the shares", c.short_strike),
        "bull_put_spread" => format!(
            "the {} / {} bull put spread",
            c.short_strike,
            c.long_strike.unwrap_or_default()
        ),
        _ => format!(
            "the {} / {} bear call spread",
            c.short_strike,
            c.long_strike.unwrap_or_default()
        ),
    }
}

/// The order ticket: "SELL 2 SPY 2026-12-24 540 PUT @ 6.30 LMT (natural 6.15)".
fn order(symbol: &str, c: &Candidate, contracts: i64) -> String {
    let legs = match (c.kind, c.long_strike) {
        ("csp", _) => format!("{} PUT", c.short_strike),
        ("covered_call", _) => format!("{} CALL", c.short_strike),
        ("bull_put_spread", Some(l)) => format!("{}/{} PUT VERTICAL", c.short_strike, l),
        (_, Some(l)) => format!("{}/{} CALL VERTICAL", c.short_strike, l),
        (_, None) => format!("{}", c.short_strike),
    };
    format!(
        "SELL {contracts} {symbol} {} {legs} @ {:.2} LMT credit (mid {}, natural {:.2}), day order",
        c.expiration, c.price.limit, c.price.mid, c.price.natural
    )
}

/// The facts of the best candidate, for reasons of a sell or a wait.
fn trade_facts(c: &Candidate, verb: &str) -> String {
    format!(
        "{verb} {} expiring {} ({} DTE) at a {:.2} limit (mid {}, natural {:.2}): {} credit per contract",
        describe(c),
        c.expiration,
        c.dte,
        c.credit,
        c.price.mid,
        c.price.natural,
        dollars(c.credit_per_contract, 0)
    )
}

/// The cautions a candidate itself blocks on.
fn blocking(c: &Candidate, request_allows_earnings: bool, allow_below_basis: bool) -> Vec<Caution> {
    let mut out = Vec::new();
    match &c.sizing {
        None => out.push(Caution::new(
            Severity::Blocking,
            "not_sized",
            "the account could not be read, so no size can be checked against its caps".to_owned(),
        )),
        Some(s) if s.contracts < 1 => out.push(Caution::new(
            Severity::Blocking,
            "no_contracts_fit",
            format!("no contract fits the caps: {}", s.note),
        )),
        Some(_) => {}
    }
    if c.earnings_before_expiration == Some(true) && !request_allows_earnings {
        out.push(Caution::new(
            Severity::Blocking,
            "earnings",
            format!(
                "earnings fall before the {} expiration: expect a gap and an IV crush (pass allow_earnings to accept it)",
                c.expiration
            ),
        ));
    }
    if let Some(b) = &c.basis
        && b.below_basis
        && !allow_below_basis
    {
        out.push(Caution::new(
            Severity::Blocking,
            "below_basis",
            format!(
                "the {} strike is below the {} cost basis: assignment would realise {} per contract",
                c.short_strike,
                b.cost_basis,
                dollars(b.pnl_if_assigned, 0)
            ),
        ));
    }
    out
}

/// The recommendation, with what the management rules say about the positions already held in
/// the symbol (`held`; the error's message when they could not be checked).
pub(super) fn recommend(
    chart: &ChartAnalysis,
    options: &OptionsAnalysis,
    account: &AccountContext,
    request: &OptionsRequest,
    wanted: i64,
    held: Result<Vec<Signal>, AppError>,
) -> Recommendation {
    let mut recommendation = decide(chart, options, account, request, wanted);
    let symbol = options.symbol.as_str();
    match held {
        Ok(mut signals) => {
            signals.sort_by_key(|s| s.severity);
            recommendation.reasons.extend(
                signals
                    .iter()
                    .filter(|s| s.severity == signals::Severity::Action)
                    .map(|s| format!("before adding to {symbol}, manage what you hold: {}", s.message)),
            );
            recommendation.position_signals = signals;
        }
        Err(e) => recommendation.cautions.push(Caution::new(
            Severity::Minor,
            "position_signals_unavailable",
            format!(
                "the management rules could not be checked on the positions held in {symbol}: {}",
                e.message
            ),
        )),
    }
    recommendation
}

/// The decision on the trade itself: sell, wait or avoid, with its reasons and cautions.
fn decide(
    chart: &ChartAnalysis,
    options: &OptionsAnalysis,
    account: &AccountContext,
    request: &OptionsRequest,
    wanted: i64,
) -> Recommendation {
    let symbol = options.symbol.as_str();
    let top = match options.candidates.first() {
        Some(top) if options.eligible => top,
        _ => return nothing_to_sell(options, account),
    };

    let general = general_cautions(options, account);

    // The best candidate that nothing blocks.
    let pick = options
        .candidates
        .iter()
        .find(|c| blocking(c, request.allow_earnings, request.allow_below_basis).is_empty());
    let Some(pick) = pick else {
        let mut cautions = blocking(top, request.allow_earnings, request.allow_below_basis);
        let first = cautions.first().map(|c| c.message.clone()).unwrap_or_default();
        cautions.extend(general);
        let reasons = vec![
            format!("wait: {first}"),
            trade_facts(top, "the best-ranked candidate would be to sell"),
            format!(
                "its expected value is {:+.2} per contract ({:+.3} per dollar at risk); no other candidate clears the blocking cautions",
                top.expected_value, top.ev_per_dollar_at_risk
            ),
            options.iv_context.assessment.clone(),
        ];
        return not_now("wait", format!("{symbol}: wait: {first}"), reasons, cautions);
    };

    let mut cautions = general;
    cautions.extend(pick_cautions(pick, chart, options));
    cautions.sort_by_key(|c| c.severity);

    let fit = pick.sizing.as_ref().map_or(0, |s| s.contracts);
    let contracts = wanted.max(1).min(fit);
    let facts = facts(pick, options, chart);

    let majors: Vec<&Caution> = cautions
        .iter()
        .filter(|c| c.severity == Severity::Major)
        .collect();
    if majors.len() >= 2 {
        let why = majors
            .iter()
            .map(|c| c.message.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        let mut reasons = vec![
            format!(
                "wait: {} major cautions argue against selling now: {why}",
                majors.len()
            ),
            trade_facts(pick, "the best candidate would be to sell"),
        ];
        reasons.extend(facts);
        return not_now(
            "wait",
            format!(
                "{symbol}: wait: {} major cautions ({})",
                majors.len(),
                majors.iter().map(|c| c.code).collect::<Vec<_>>().join(", ")
            ),
            reasons,
            cautions,
        );
    }

    let size = if fit > contracts {
        format!(
            "{} for {contracts}; up to {fit} fit the caps, a ceiling rather than a target",
            dollars(pick.credit_per_contract * contracts as f64, 0)
        )
    } else {
        format!(
            "{} for {contracts}",
            dollars(pick.credit_per_contract * contracts as f64, 0)
        )
    };
    let mut reasons = vec![format!(
        "{} ({size})",
        trade_facts(pick, &format!("sell {contracts} ×")),
    )];
    reasons.extend(facts);
    let management = management(pick, symbol);
    Recommendation {
        action: "sell",
        headline: format!(
            "{symbol}: sell {contracts} × {} {} at {:.2} limit (natural {:.2}), EV {:+.2} per contract, POP {:.0}%",
            pick.expiration,
            describe(pick).trim_start_matches("the "),
            pick.credit,
            pick.price.natural,
            pick.expected_value,
            pick.pop * 100.0
        ),
        order: Some(order(symbol, pick, contracts)),
        candidate: Some(pick.clone()),
        contracts: Some(contracts),
        reasons,
        cautions,
        management,
        position_signals: Vec::new(),
    }
}

/// Cautions about the underlying rather than one candidate: a low IV rank, short options
/// already held in it.
fn general_cautions(options: &OptionsAnalysis, account: &AccountContext) -> Vec<Caution> {
    let symbol = options.symbol.as_str();
    let strategy = options.strategy;
    let mut general = Vec::new();
    if let Some(rank) = options.iv_context.iv_rank
        && rank < IV_RANK_LOW
    {
        general.push(Caution::new(
            Severity::Major,
            "iv_rank_low",
            format!(
                "IV rank {rank:.2} is below {IV_RANK_LOW:.2}: premium is cheap relative to the past year"
            ),
        ));
    }
    if matches!(strategy, Strategy::Csp | Strategy::Spread) {
        let shorts: Vec<String> = account
            .positions_in_symbol
            .iter()
            .filter(|p| p.option_type.is_some() && p.quantity < 0.0)
            .map(|p| {
                format!(
                    "{} × {} {} {} (opened at {}, P&L {})",
                    p.quantity,
                    p.expiration.clone().unwrap_or_default(),
                    p.strike.unwrap_or_default(),
                    p.option_type.map_or("", OptionType::as_str),
                    p.average_open_price,
                    p.unrealized_pnl
                        .map_or("unknown".to_owned(), |v| format!("{v:+.0}"))
                )
            })
            .collect();
        if !shorts.is_empty() {
            general.push(Caution::new(
                Severity::Minor,
                "existing_short_options",
                format!(
                    "the account already holds short {symbol} options, counted in the exposure: {}",
                    shorts.join("; ")
                ),
            ));
        }
    }

    general
}

/// The major and minor cautions of the chosen candidate: expected value, trend, earnings and
/// basis when accepted, a level that does not protect, liquidity.
fn pick_cautions(pick: &Candidate, chart: &ChartAnalysis, options: &OptionsAnalysis) -> Vec<Caution> {
    let mut cautions = Vec::new();
    if pick.expected_value <= 0.0 {
        cautions.push(Caution::new(
            Severity::Major,
            "negative_expected_value",
            format!(
                "expected value {:+.2} per contract at the model volatility {:.1}%: the premium does not pay for the risk",
                pick.expected_value,
                pick.score_parts.model_vol * 100.0
            ),
        ));
    }
    let put_side = matches!(pick.kind, "csp" | "bull_put_spread");
    if put_side && chart.trend.direction == "downtrend" {
        cautions.push(Caution::new(
            Severity::Major,
            "trend_against",
            "the chart is in a downtrend: selling puts leans against it".to_owned(),
        ));
    }
    if pick.kind == "bear_call_spread" && chart.trend.direction == "uptrend" {
        cautions.push(Caution::new(
            Severity::Major,
            "trend_against",
            "the chart is in an uptrend: a bear call spread leans against it".to_owned(),
        ));
    }
    if pick.earnings_before_expiration == Some(true) {
        cautions.push(Caution::new(
            Severity::Major,
            "earnings",
            format!(
                "earnings ({}) fall before expiration (accepted by allow_earnings): expect a gap and an IV crush",
                options.iv_context.earnings_date.clone().unwrap_or_default()
            ),
        ));
    }
    if let Some(b) = &pick.basis
        && b.below_basis
    {
        cautions.push(Caution::new(
            Severity::Major,
            "below_basis",
            format!(
                "the {} strike is below the {} cost basis (accepted by allow_below_basis): assignment realises {} per contract",
                pick.short_strike,
                b.cost_basis,
                dollars(b.pnl_if_assigned, 0)
            ),
        ));
    }
    if pick.levels.protected_by_level == Some(false) {
        let near = pick.levels.level_distance_atr.is_some_and(|d| d < 0.5);
        cautions.push(Caution::new(
            Severity::Minor,
            "level_not_protecting",
            if near {
                format!(
                    "the nearest {} ({}) is only {} ATR from the price: too near to count as protection",
                    pick.levels.level_kind,
                    pick.levels.level.unwrap_or_default(),
                    pick.levels.level_distance_atr.unwrap_or_default()
                )
            } else {
                format!(
                    "the short strike {} is inside the nearest {} ({}), not beyond it",
                    pick.short_strike,
                    pick.levels.level_kind,
                    pick.levels.level.unwrap_or_default()
                )
            },
        ));
    }
    for w in &pick.liquidity_warnings {
        cautions.push(Caution::new(Severity::Minor, "liquidity", w.clone()));
    }
    cautions
}

/// The numbers behind a sell (or a wait on two major cautions).
fn facts(pick: &Candidate, options: &OptionsAnalysis, chart: &ChartAnalysis) -> Vec<String> {
    let mut facts = vec![
        format!(
            "expected value {:+.2} per contract, {:+.2}¢ per dollar at risk (lognormal at {:.1}% volatility: {}), ranked {} of {}",
            pick.expected_value,
            pick.ev_per_dollar_at_risk * 100.0,
            pick.score_parts.model_vol * 100.0,
            pick.score_parts.model_vol_source.replace('+', " blended with "),
            pick.rank,
            options.candidates.len()
        ),
        format!(
            "probability of profit {:.0}% (breakeven {}), return on capital {}% ({}% annualised)",
            pick.pop * 100.0,
            pick.breakeven,
            pick.return_on_capital_percent,
            pick.annualized_return_percent
        ),
    ];
    if let Some(s) = &pick.sizing {
        facts.push(s.note.clone());
    }
    if let Some(b) = &pick.basis {
        facts.push(format!(
            "against the {} cost basis: return {}%, breakeven {}, P&L if assigned {} per contract ({} from today's price)",
            b.cost_basis,
            b.return_on_basis_percent,
            b.breakeven_on_basis,
            signed_dollars(b.pnl_if_assigned),
            signed_dollars(b.pnl_if_assigned_from_price)
        ));
    }
    if pick.levels.protected_by_level == Some(true) {
        facts.push(format!(
            "the short strike is beyond the nearest {} ({}), which is {} ATR from the price: the level stands between the price and the strike",
            pick.levels.level_kind,
            pick.levels.level.unwrap_or_default(),
            pick.levels
                .level_distance_atr
                .map_or("an unknown number of".to_owned(), |d| d.to_string())
        ));
    }
    facts.push(options.iv_context.assessment.clone());
    facts.push(format!(
        "trend: {} ({})",
        chart.trend.direction, chart.trend.reason
    ));
    facts
}

/// How to manage the trade once it is on.
fn management(pick: &Candidate, symbol: &str) -> Vec<String> {
    let mut management = vec![
        format!(
            "take profits at 50% of the credit: a buy-to-close limit at {:.2} (half the credit, on the tick)",
            TickClass::of(symbol).ceil(pick.credit / 2.0)
        ),
        "at about 21 DTE, close or roll out in time for a credit if the trade is not at its target"
            .to_owned(),
    ];
    match pick.kind {
        "csp" => management.push(format!(
            "if assigned at {}, you own the shares at an effective {}: sell covered calls at or above that basis (the wheel)",
            pick.short_strike, pick.breakeven
        )),
        "covered_call" => management.push(format!(
            "if the stock rises through {}, decide before expiration whether to let the shares be called or roll up and out",
            pick.short_strike
        )),
        _ => management.push(format!(
            "if the short strike {} is tested, roll the spread out in time or close it; the loss is capped at ${} per contract",
            pick.short_strike, pick.max_loss
        )),
    }
    management
}

/// Whole dollars with their sign, "+$1,496" or "-$9,797", as a P&L is read.
fn signed_dollars(v: f64) -> String {
    let text = dollars(v, 0);
    if text.starts_with('-') || text == "$0" {
        text
    } else {
        format!("+{text}")
    }
}

/// A `wait` or `avoid` without a trade.
fn not_now(
    action: &'static str,
    headline: String,
    reasons: Vec<String>,
    cautions: Vec<Caution>,
) -> Recommendation {
    Recommendation {
        action,
        headline,
        candidate: None,
        contracts: None,
        order: None,
        reasons,
        cautions,
        management: Vec::new(),
        position_signals: Vec::new(),
    }
}

/// The answer when there is nothing to sell: the strategy does not apply to the account, or no
/// candidate passed the filters.
fn nothing_to_sell(options: &OptionsAnalysis, account: &AccountContext) -> Recommendation {
    let symbol = options.symbol.as_str();
    let strategy = options.strategy;
    if !options.eligible {
        let reason = options
            .reason
            .clone()
            .unwrap_or_else(|| "this strategy does not apply to the account".to_owned());
        let code = if account.shares_held >= 100.0 {
            "naked_call"
        } else {
            "not_eligible"
        };
        return not_now(
            "avoid",
            format!("{symbol}: avoid: {reason}"),
            vec![reason.clone()],
            vec![Caution::new(Severity::Blocking, code, reason)],
        );
    }
    let reason = options.reason.clone().unwrap_or_else(|| {
        format!(
            "no {} candidate meets the filters on {symbol} now",
            strategy.as_str()
        )
    });
    if options.rejected.below_cost_basis > 0 {
        return not_now(
            "avoid",
            format!(
                "{symbol}: avoid selling calls now: every strike in the window is below the {} cost basis",
                account.cost_basis.unwrap_or_default()
            ),
            vec![reason.clone()],
            vec![Caution::new(Severity::Blocking, "below_basis", reason)],
        );
    }
    not_now(
        "wait",
        format!(
            "{symbol}: wait: no {} candidate meets the filters now",
            strategy.as_str()
        ),
        vec![reason],
        Vec::new(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pnl_in_words_has_its_sign_before_the_dollar_and_its_thousands_grouped() {
        assert_eq!(signed_dollars(-9_797.0), "-$9,797");
        assert_eq!(signed_dollars(1_496.4), "+$1,496");
        assert_eq!(signed_dollars(0.2), "$0");
        assert_eq!(signed_dollars(-0.2), "$0");
        assert_eq!(signed_dollars(1_234_567.0), "+$1,234,567");
    }
}
