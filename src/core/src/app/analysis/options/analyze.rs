//! The `analyze_options` use case: reads the chain, price, metrics, chart levels and account,
//! runs the pure ranking and assembles the result with its method and citations.

use super::request::{OptionsRequest, Strategy};
use super::view::{ChartLevels, Citation, FiltersUsed, Method, OptionsAnalysis, Rejected};
use super::volatility::iv_context;
use super::{OptionsInput, rank_candidates, size_candidates};
use crate::app::analysis::sizing::{self, AccountContext, RiskLimits};
use crate::app::{App, ExpectedMove, MODEL_NAME, Pricing, expected_move};
use crate::domain::{OptionType, Symbol, new_york_date, round4};
use crate::error::{AppError, ErrorCode};
use crate::time::Timestamp;

const METHOD_PRICING: &str = "each credit is a limit price: the net mid rounded down onto the option's tick (SPY, QQQ, IWM $0.01; other Penny Interval Program classes $0.01 under $3 and $0.05 from $3; all others $0.05 under $3 and $0.10 from $3), never below the natural price (bids of what is sold less asks of what is bought); credit per contract, returns, breakeven, maximum loss and expected value all use it";
const METHOD_POP: &str = "risk-neutral probability that the underlying finishes past the breakeven at expiration (Black-Scholes-Merton with the short leg's implied volatility)";
const METHOD_ROC: &str = "credit / capital required: strike × 100 for a cash-secured put, the shares' value (price × 100) for a covered call, the maximum loss for a spread";
const METHOD_DISTRIBUTION: &str = "lognormal at expiration with the risk-neutral forward (rate − dividend yield) and volatility ½ × the expiration's at-the-money IV + ½ × the 30-day historical volatility (the ATM IV alone without HV): not each option's own IV, at which every trade is worth zero, so skew and IV above HV show as edge";
const METHOD_RANK: &str = "score = expected value per dollar at risk, percent: (limit credit − the options' value at the model volatility) × e^(rate × years) × 100, over the maximum loss (for a covered call the call's value only: the shares are held either way); nothing is clipped; POP, return on capital and annualized return are reported, not ranked";
const METHOD_TIME: &str = "ACT/365 from the chain's quote time to 16:00 America/New_York on the expiration date (EST or EDT by the date)";

impl App {
    /// The account's side of an analysis of `symbol` at `price`: its positions (read once) and
    /// balances, with the caps of `request`.
    pub(crate) async fn account_context(
        &self,
        symbol: &Symbol,
        price: f64,
        request: &OptionsRequest,
    ) -> Result<AccountContext, AppError> {
        let positions = self.positions_view(None).await?;
        let balances = self.balances_view(None).await?;
        let defaults = self.risk_limits();
        let limits = RiskLimits {
            max_exposure_percent: request
                .max_exposure_percent
                .unwrap_or(defaults.max_exposure_percent),
            max_bp_usage_percent: request
                .max_bp_usage_percent
                .unwrap_or(defaults.max_bp_usage_percent),
            min_credit_to_width: request.min_credit_to_width,
        };
        let mut context = sizing::account_context(
            balances.account,
            balances.net_liquidating_value,
            balances.derivative_buying_power,
            positions.positions,
            symbol.as_str(),
            price,
            limits,
        );
        context.expired_in_symbol = positions
            .expired
            .into_iter()
            .filter(|e| e.underlying == symbol.as_str())
            .collect();
        Ok(context)
    }

    /// The options request defaults with the settings' minimum credit / width.
    pub fn options_defaults(&self, strategy: Strategy) -> OptionsRequest {
        OptionsRequest {
            min_credit_to_width: self.risk_limits().min_credit_to_width,
            ..OptionsRequest::defaults(strategy)
        }
    }

    /// Knowledge documents to cite for a strategy.
    pub(crate) async fn citations(&self, strategy: Strategy) -> Vec<Citation> {
        let base = self.knowledge().await;
        strategy
            .knowledge_names()
            .iter()
            .filter_map(|name| base.strategy(name))
            .map(|d| Citation {
                title: d.title.clone(),
                uri: format!("knowledge://documents/{}", d.path),
            })
            .collect()
    }

    /// Ranked candidates for a strategy on a symbol, sized to the default account.
    pub async fn analyze_options(
        &self,
        symbol: &Symbol,
        mut request: OptionsRequest,
    ) -> Result<OptionsAnalysis, AppError> {
        check_windows(&request)?;
        let chain = self.option_chain(symbol).await?;
        let spot = self.chain_underlying_price(&chain).await.ok_or_else(|| {
            AppError::new(
                ErrorCode::AnalysisError,
                format!("no price for {symbol}: the options cannot be valued"),
            )
        })?;
        let metrics = self.metrics_of(symbol).await;
        let (dividend_yield, _) = self.dividend_yield(symbol).await;
        let pricing = Pricing {
            spot,
            rate: self.config().risk_free_rate,
            dividend_yield,
            quotes_at: chain.as_of,
        };
        let levels_from = self.chart_levels(symbol, &mut request).await;
        let account = match self.account_context(symbol, spot, &request).await {
            Ok(account) => Some(account),
            // A covered call cannot be judged without the shares.
            Err(err) if request.strategy == Strategy::CoveredCall => return Err(err),
            Err(err) => {
                tracing::debug!(error = %err, "no account for sizing the options analysis");
                None
            }
        };
        let (eligible, reason) = match (&account, request.strategy) {
            (Some(a), Strategy::CoveredCall) => {
                request.cost_basis = a.cost_basis;
                covered_call_eligibility(symbol, a)
            }
            _ => (true, None),
        };
        let today = new_york_date(self.broker().now());
        let input = OptionsInput {
            chain: &chain,
            pricing,
            today,
            metrics: metrics.as_ref(),
            request: &request,
        };
        let (mut candidates, evaluated, rejected) = if eligible {
            rank_candidates(&input)
        } else {
            (Vec::new(), 0, Rejected::default())
        };
        if let Some(a) = &account {
            size_candidates(&mut candidates, a);
        }
        let reason = reason.or_else(|| {
            if candidates.is_empty() {
                Some(no_candidate_reason(symbol, &request, &rejected))
            } else if account.is_none() {
                Some("the account could not be read: candidates are not sized".to_owned())
            } else {
                None
            }
        });
        let expected_moves: Vec<ExpectedMove> = chain
            .expirations
            .iter()
            .filter(|e| {
                let dte = today.days_until(e.date);
                dte >= request.dte_min && dte <= request.dte_max
            })
            .filter_map(|e| expected_move(e, &pricing, today))
            .collect();
        let (support, resistance) = request.levels.unwrap_or((None, None));
        let source = self.source();
        Ok(OptionsAnalysis {
            symbol: symbol.to_string(),
            strategy: request.strategy,
            underlying_price: round4(spot),
            as_of: today.to_string(),
            filters: filters_used(&request),
            eligible,
            reason,
            shares_held: account.as_ref().map(|a| a.shares_held),
            iv_context: iv_context(metrics.as_ref(), expected_moves.first().map(|m| m.atm_iv)),
            expected_moves,
            account,
            chart_levels: ChartLevels {
                nearest_support: support,
                nearest_resistance: resistance,
                atr: request.atr,
                from: levels_from,
            },
            candidates,
            evaluated,
            rejected,
            method: method(&request, &pricing, chain.as_of),
            knowledge: self.citations(request.strategy).await,
            source: source.source,
            synthetic: source.synthetic,
        })
    }

    /// Fills the request's levels and ATR from the daily chart unless the caller gave them;
    /// says where they came from.
    async fn chart_levels(&self, symbol: &Symbol, request: &mut OptionsRequest) -> &'static str {
        if request.levels.is_some() {
            "chart_context"
        } else {
            match self
                .analyze_chart(symbol, crate::domain::Timeframe::Daily, false)
                .await
            {
                Ok((chart, _)) => {
                    request.levels = Some((chart.levels.nearest_support, chart.levels.nearest_resistance));
                    request.atr = request.atr.or(chart.volatility.atr14);
                    "computed"
                }
                Err(err) => {
                    tracing::debug!(error = %err, "no chart levels for the options analysis");
                    "unavailable"
                }
            }
        }
    }
}

/// The request's windows make sense: DTE and delta minimums not above their maximums.
fn check_windows(request: &OptionsRequest) -> Result<(), AppError> {
    if request.dte_min > request.dte_max {
        return Err(AppError::invalid(
            "dte_min",
            format!("must not exceed dte_max ({})", request.dte_max),
        ));
    }
    if !(request.delta_min.is_finite()
        && request.delta_max.is_finite()
        && request.delta_min <= request.delta_max)
    {
        return Err(AppError::invalid("delta_min", "must not exceed delta_max"));
    }
    Ok(())
}

/// The windows applied, as the result reports them.
fn filters_used(request: &OptionsRequest) -> FiltersUsed {
    FiltersUsed {
        dte_min: request.dte_min,
        dte_max: request.dte_max,
        delta_min: request.delta_min,
        delta_max: request.delta_max,
        allow_below_basis: request.allow_below_basis,
        allow_earnings: request.allow_earnings,
    }
}

/// How the numbers were computed, with the rates and the quote time used.
fn method(request: &OptionsRequest, pricing: &Pricing, quotes_at: Timestamp) -> Method {
    Method {
        model: MODEL_NAME,
        pricing: METHOD_PRICING,
        pop: METHOD_POP,
        return_on_capital: METHOD_ROC,
        annualized: "return on capital × 365 / days to expiration",
        distribution: METHOD_DISTRIBUTION,
        ranking: METHOD_RANK,
        time: METHOD_TIME,
        risk_free_rate: pricing.rate,
        dividend_yield: pricing.dividend_yield,
        min_credit_to_width: request.min_credit_to_width,
        quotes_at: quotes_at.to_string(),
    }
}

/// Whether calls can be sold covered: 100 shares per contract not already under a short call.
fn covered_call_eligibility(symbol: &Symbol, account: &AccountContext) -> (bool, Option<String>) {
    let shares = account.shares_held;
    if shares < 100.0 {
        return (
            false,
            Some(format!(
                "a covered call needs 100 shares of {symbol} per contract; the account holds {shares}. Consider a cash-secured put (strategy csp) to get assigned shares first"
            )),
        );
    }
    if account.covered_call_lots_available < 1 {
        let calls: Vec<String> = account
            .positions_in_symbol
            .iter()
            .filter(|p| p.option_type == Some(OptionType::Call) && p.quantity < 0.0)
            .map(|p| {
                format!(
                    "{} × {}",
                    p.quantity,
                    p.symbol.split_whitespace().collect::<Vec<_>>().join(" ")
                )
            })
            .collect();
        // Calls past their expiration that still count finished in the money: their shares go.
        let assigned = account
            .expired_in_symbol
            .iter()
            .filter(|e| e.counted && e.option_type == OptionType::Call && e.quantity < 0.0)
            .map(|e| -e.quantity)
            .sum::<f64>();
        let next = if assigned <= 0.0 {
            "Wait for these to expire or close one first".to_owned()
        } else {
            format!(
                "{assigned} of them expired in the money: their shares are to be called away when the broker processes the assignment, and nothing is left to close. Wait until it shows"
            )
        };
        return (
            false,
            Some(format!(
                "all {shares} shares of {symbol} are already covered by {} short call(s) ({}): another call would be a naked call. {next}",
                account.short_calls,
                calls.join(", ")
            )),
        );
    }
    (true, None)
}

fn no_candidate_reason(symbol: &Symbol, request: &OptionsRequest, rejected: &Rejected) -> String {
    let window = format!(
        "{}–{} DTE and short delta {}–{}",
        request.dte_min, request.dte_max, request.delta_min, request.delta_max
    );
    if rejected.below_cost_basis > 0 {
        return format!(
            "every call on {symbol} with {window} is struck below the shares' cost basis {} ({} left out): assignment would lock in a loss on the shares. Wait for the price to recover toward the basis, or pass allow_below_basis to see them with the P&L if assigned",
            request.cost_basis.unwrap_or_default(),
            rejected.below_cost_basis
        );
    }
    if rejected.credit_too_small > 0 && request.strategy == Strategy::Spread {
        return format!(
            "no {} on {symbol} with {window} collects at least {:.0}% of its width ({} spreads left out as too thin); widen the windows or wait for richer premium",
            request.strategy.as_str(),
            request.min_credit_to_width * 100.0,
            rejected.credit_too_small
        );
    }
    format!(
        "no {} candidate on {symbol} with {window} (see `rejected`); widen the windows",
        request.strategy.as_str()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::round_to;
    use crate::testing::{sample_app, sample_market};

    fn app_with_spy_shares(quantity: f64) -> App {
        let mut market = sample_market();
        for p in &mut market.positions {
            if p.symbol.as_str() == "SPY" {
                p.quantity = quantity;
            }
        }
        sample_app(market)
    }

    #[tokio::test]
    async fn fifty_shares_make_a_covered_call_say_why_not() {
        let app = app_with_spy_shares(50.0);
        let spy = Symbol::parse("SPY").unwrap();
        let analysis = app
            .analyze_options(&spy, OptionsRequest::defaults(Strategy::CoveredCall))
            .await
            .unwrap();
        assert!(!analysis.eligible);
        assert!(analysis.candidates.is_empty());
        let reason = analysis.reason.unwrap();
        assert!(
            reason.contains("100 shares") && reason.contains("holds 50"),
            "{reason}"
        );
        let app = app_with_spy_shares(200.0);
        let analysis = app
            .analyze_options(
                &spy,
                OptionsRequest {
                    delta_min: 0.05,
                    delta_max: 0.6,
                    dte_min: 0,
                    dte_max: 60,
                    ..OptionsRequest::defaults(Strategy::CoveredCall)
                },
            )
            .await
            .unwrap();
        assert!(analysis.eligible);
        assert!(!analysis.candidates.is_empty());
        assert!(
            analysis
                .candidates
                .iter()
                .all(|c| c.kind == "covered_call" && c.short_strike > analysis.underlying_price)
        );
    }

    #[tokio::test]
    async fn spreads_have_a_capped_loss_and_a_credit_below_the_width() {
        let app = app_with_spy_shares(100.0);
        let spy = Symbol::parse("SPY").unwrap();
        let analysis = app
            .analyze_options(
                &spy,
                OptionsRequest {
                    delta_min: 0.05,
                    delta_max: 0.6,
                    dte_min: 0,
                    dte_max: 60,
                    ..OptionsRequest::defaults(Strategy::Spread)
                },
            )
            .await
            .unwrap();
        assert!(!analysis.candidates.is_empty(), "{:?}", analysis.rejected);
        for c in &analysis.candidates {
            let width = c.width.unwrap();
            assert!(c.credit > 0.0 && c.credit < width);
            assert_eq!(c.max_loss, round_to((width - c.credit) * 100.0, 2));
            assert_eq!(c.capital_required, c.max_loss);
            match c.kind {
                "bull_put_spread" => {
                    assert!(c.long_strike.unwrap() < c.short_strike && c.breakeven < c.short_strike)
                }
                "bear_call_spread" => {
                    assert!(c.long_strike.unwrap() > c.short_strike && c.breakeven > c.short_strike)
                }
                other => panic!("{other}"),
            }
        }
        assert!(analysis.candidates.windows(2).all(|w| w[0].score >= w[1].score));
        assert_eq!(analysis.knowledge.len(), 2);
    }
}
