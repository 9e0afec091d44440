//! The chain ladder view's model: per expiration, the strikes around the money with bid/ask, IV,
//! delta and open interest of both sides, the expected move; the candidates of
//! `analyze_options` when there are some.

use serde_json::{Value, json};

use crate::app::analysis::{Candidate, OptionsAnalysis};
use crate::app::{App, ChainFilter, ChainView, ContractView, ExpirationView, years_to_expiry};
use crate::error::AppError;
use crate::quant::bsm;
use crate::time::{Date, Timestamp};

/// Most expirations in one view-model.
pub(crate) const MAX_EXPIRATIONS: usize = 8;
/// Strikes shown on each side of the money (more when a candidate's strike lies further out).
pub(crate) const STRIKES_EACH_SIDE: usize = 12;
/// Most strikes of one expiration.
pub(crate) const MAX_ROWS: usize = 60;
/// Most listed expirations offered to choose from.
const MAX_AVAILABLE: usize = 80;

fn side(contract: Option<&ContractView>) -> Value {
    match contract {
        None => Value::Null,
        Some(c) => json!({
            "bid": c.bid,
            "ask": c.ask,
            "mid": c.mid,
            "iv": c.analytics.iv,
            "delta": c.analytics.delta,
            "oi": c.open_interest,
        }),
    }
}

/// The implied volatility at the money: the mean of the call's and the put's at the strike
/// nearest the price (whichever exist).
fn atm_iv(expiration: &ExpirationView, price: f64) -> Option<f64> {
    let row = expiration
        .strikes
        .iter()
        .min_by(|a, b| (a.strike - price).abs().total_cmp(&(b.strike - price).abs()))?;
    let ivs: Vec<f64> = [row.call.as_ref(), row.put.as_ref()]
        .into_iter()
        .flatten()
        .filter_map(|c| c.analytics.iv)
        .collect();
    (!ivs.is_empty()).then(|| ivs.iter().sum::<f64>() / ivs.len() as f64)
}

/// The rows of one expiration: `STRIKES_EACH_SIDE` around the price, widened to `must_show`.
fn expiration_model(
    expiration: &ExpirationView,
    price: Option<f64>,
    quotes_at: Option<Timestamp>,
    must_show: &[f64],
) -> Value {
    let strikes = &expiration.strikes;
    let nearest = price.map_or(strikes.len() / 2, |p| {
        strikes
            .iter()
            .enumerate()
            .min_by(|(_, a), (_, b)| (a.strike - p).abs().total_cmp(&(b.strike - p).abs()))
            .map_or(0, |(i, _)| i)
    });
    let mut lo = nearest.saturating_sub(STRIKES_EACH_SIDE);
    let mut hi = (nearest + STRIKES_EACH_SIDE + 1).min(strikes.len());
    for strike in must_show {
        if let Some(i) = strikes.iter().position(|r| (r.strike - strike).abs() < 1e-6) {
            lo = lo.min(i);
            hi = hi.max(i + 1);
        }
    }
    if hi - lo > MAX_ROWS {
        hi = lo + MAX_ROWS;
    }
    let rows: Vec<Value> = strikes
        .get(lo..hi)
        .unwrap_or_default()
        .iter()
        .map(|r| json!({ "strike": r.strike, "call": side(r.call.as_ref()), "put": side(r.put.as_ref()) }))
        .collect();
    let iv = price.and_then(|p| atm_iv(expiration, p));
    let date: Option<Date> = expiration.date.parse().ok();
    let expected_move = match (price, iv, quotes_at, date) {
        (Some(p), Some(v), Some(at), Some(d)) => {
            let t = years_to_expiry(at, d);
            (t > 0.0).then(|| super::cents(bsm::expected_move(p, v, t)))
        }
        _ => None,
    };
    json!({
        "date": expiration.date,
        "dte": expiration.dte,
        "expiration_type": expiration.expiration_type,
        "atm_iv": iv.map(crate::domain::round4),
        "expected_move": expected_move,
        "rows": rows,
    })
}

fn ladder(view: &ChainView, candidates: &[&Candidate]) -> Value {
    let quotes_at: Option<Timestamp> = view.as_of.parse().ok();
    let expirations: Vec<Value> = view
        .expirations
        .iter()
        .take(MAX_EXPIRATIONS)
        .map(|e| {
            let strikes: Vec<f64> = candidates
                .iter()
                .filter(|c| c.expiration == e.date)
                .flat_map(|c| c.legs.iter().map(|l| l.strike))
                .collect();
            expiration_model(e, view.underlying_price, quotes_at, &strikes)
        })
        .collect();
    json!({
        "view": "chain",
        "symbol": view.symbol,
        "underlying_price": view.underlying_price,
        "as_of": view.as_of,
        "expirations": expirations,
        "more_expirations": view.expirations.len().saturating_sub(MAX_EXPIRATIONS),
        // What the view asks get_option_chain for when it fetches another expiration.
        "strikes_each_side": STRIKES_EACH_SIDE,
        // Every listed expiration, so the view can ask get_option_chain for another one.
        "available": view.available_expirations.iter().take(MAX_AVAILABLE).map(|a| json!([a.date, a.dte])).collect::<Vec<_>>(),
        "source": view.source,
        "synthetic": view.synthetic,
    })
}

/// The view-model of a `get_option_chain` result.
pub(crate) fn chain_view_model(view: &ChainView) -> Value {
    let mut model = ladder(view, &[]);
    if let Some(map) = model.as_object_mut() {
        map.insert("strategy".into(), Value::Null);
        map.insert("candidates".into(), json!([]));
    }
    model
}

/// The legs `analyze_payoff` takes for a candidate (a covered call with its 100 shares), priced
/// so that they net to the candidate's limit credit: bought legs at their mid, and the rounding
/// of the limit onto its tick taken off the first sold leg, as a fill at the limit would be.
fn payoff_legs(candidate: &Candidate, underlying_price: f64) -> Vec<Value> {
    let mut legs: Vec<Value> = Vec::new();
    if candidate.kind == "covered_call" {
        legs.push(json!({ "type": "stock", "quantity": 100, "price": underlying_price }));
    }
    let rounding = candidate.price.mid - candidate.credit;
    let first_sold = candidate.legs.iter().position(|l| l.action == "sell");
    legs.extend(candidate.legs.iter().enumerate().map(|(i, l)| {
        let price = if Some(i) == first_sold {
            l.mid - rounding
        } else {
            l.mid
        };
        json!({
            "type": l.option_type.as_str(),
            "strike": l.strike,
            "expiration": candidate.expiration,
            "quantity": if l.action == "sell" { -1 } else { 1 },
            "price": (price * 10_000.0).round() / 10_000.0,
        })
    }));
    legs
}

fn candidate_model(candidate: &Candidate, underlying_price: f64) -> Value {
    json!({
        "rank": candidate.rank,
        "kind": candidate.kind,
        "expiration": candidate.expiration,
        "dte": candidate.dte,
        "legs": candidate.legs.iter().map(|l| json!({
            "action": l.action,
            "type": l.option_type.as_str(),
            "strike": l.strike,
            "mid": l.mid,
        })).collect::<Vec<_>>(),
        "credit": candidate.credit,
        "credit_per_contract": candidate.credit_per_contract,
        "max_profit": candidate.max_profit,
        "max_loss": candidate.max_loss,
        "breakeven": candidate.breakeven,
        "pop": candidate.pop,
        "return_on_capital_percent": candidate.return_on_capital_percent,
        "annualized_return_percent": candidate.annualized_return_percent,
        "payoff_legs": payoff_legs(candidate, underlying_price),
    })
}

/// The view-model of an `analyze_options` result: the ladders of the candidates' expirations
/// (the chain comes from the cache the analysis just filled).
pub(crate) async fn options_view_model(app: &App, analysis: &OptionsAnalysis) -> Result<Value, AppError> {
    let symbol = crate::domain::Symbol::parse(&analysis.symbol)
        .map_err(|_| AppError::internal("the analysed symbol"))?;
    let mut dates: Vec<&str> = analysis
        .candidates
        .iter()
        .map(|c| c.expiration.as_str())
        .collect();
    dates.sort_unstable();
    dates.dedup();
    let filter = ChainFilter {
        expiration: None,
        dte_min: analysis.filters.dte_min,
        dte_max: analysis.filters.dte_max,
        strikes_around: None,
        nearest: false,
    };
    let mut view = app.chain_view(&symbol, &filter).await?;
    // The candidates' expirations always, then the soonest others of the window, by date.
    view.expirations
        .sort_by_key(|e| (!dates.contains(&e.date.as_str()), e.dte));
    view.expirations.truncate(MAX_EXPIRATIONS);
    view.expirations.sort_by_key(|e| e.dte);
    let candidates: Vec<&Candidate> = analysis.candidates.iter().collect();
    let mut model = ladder(&view, &candidates);
    if let Some(map) = model.as_object_mut() {
        map.insert("strategy".into(), json!(analysis.strategy.as_str()));
        map.insert(
            "candidates".into(),
            Value::Array(
                analysis
                    .candidates
                    .iter()
                    .map(|c| candidate_model(c, analysis.underlying_price))
                    .collect(),
            ),
        );
    }
    Ok(model)
}
