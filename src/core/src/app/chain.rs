//! Option chains filtered for a question (expirations by date or DTE, strikes around the money).

use serde::Serialize;

use super::App;
use crate::domain::{OptionChain, OptionContract, Symbol, round4};
use crate::error::AppError;
use crate::time::Date;

/// How to cut a chain down.
#[derive(Clone, Debug, PartialEq)]
pub struct ChainFilter {
    /// Only this expiration.
    pub expiration: Option<Date>,
    /// Only expirations at least this many days out.
    pub dte_min: i32,
    /// Only expirations at most this many days out.
    pub dte_max: i32,
    /// Only this many strikes on each side of the money (`None`: all).
    pub strikes_around: Option<usize>,
}

impl ChainFilter {
    /// The default view: 0–60 DTE, 10 strikes each side.
    pub fn default_view() -> ChainFilter {
        ChainFilter {
            expiration: None,
            dte_min: 0,
            dte_max: 60,
            strikes_around: Some(10),
        }
    }
}

/// One side (call or put) of a strike, as tools show it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ContractView {
    /// OCC symbol.
    pub symbol: String,
    /// Best bid.
    pub bid: Option<f64>,
    /// Best ask.
    pub ask: Option<f64>,
    /// Mid of a two-sided market.
    pub mid: Option<f64>,
    /// Last trade.
    pub last: Option<f64>,
    /// Volume today.
    pub volume: Option<f64>,
    /// Open interest.
    pub open_interest: Option<f64>,
    /// True when both sides are quoted (bid > 0): only then are IV and greeks computed.
    pub two_sided: bool,
    /// (ask − bid) / mid, in percent.
    pub spread_percent: Option<f64>,
}

/// One strike.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StrikeView {
    /// Strike price.
    pub strike: f64,
    /// The call.
    pub call: Option<ContractView>,
    /// The put.
    pub put: Option<ContractView>,
}

/// One expiration.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExpirationView {
    /// YYYY-MM-DD.
    pub date: String,
    /// Calendar days to expiration.
    pub dte: i32,
    /// Regular, Weekly, ...
    pub expiration_type: String,
    /// AM or PM.
    pub settlement: String,
    /// Strikes, lowest first.
    pub strikes: Vec<StrikeView>,
}

/// A filtered chain.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChainView {
    /// The underlying.
    pub symbol: String,
    /// Underlying price used for "around the money".
    pub underlying_price: Option<f64>,
    /// Shares per contract.
    pub shares_per_contract: u32,
    /// American for US equity options.
    pub exercise_style: String,
    /// When the chain's quotes were taken.
    pub as_of: String,
    /// Expirations after filtering.
    pub expirations: Vec<ExpirationView>,
    /// Every listed expiration with its DTE, to ask for another.
    pub available_expirations: Vec<AvailableExpiration>,
    /// The filters applied.
    pub filters: FiltersView,
    /// Data source.
    pub source: String,
    /// True for made-up data.
    pub synthetic: bool,
}

/// A listed expiration.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AvailableExpiration {
    /// YYYY-MM-DD.
    pub date: String,
    /// Calendar days to it.
    pub dte: i32,
}

/// The filters applied.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FiltersView {
    /// Expiration asked for.
    pub expiration: Option<String>,
    /// DTE floor.
    pub dte_min: i32,
    /// DTE ceiling.
    pub dte_max: i32,
    /// Strikes kept on each side of the money.
    pub strikes_around: Option<usize>,
}

pub(crate) fn contract_view(contract: &OptionContract) -> ContractView {
    let mid = contract.mid();
    ContractView {
        symbol: contract.symbol.clone(),
        bid: contract.bid,
        ask: contract.ask,
        mid,
        last: contract.last,
        volume: contract.volume,
        open_interest: contract.open_interest,
        two_sided: mid.is_some(),
        spread_percent: match (contract.bid, contract.ask, mid) {
            (Some(b), Some(a), Some(m)) if m > 0.0 => Some(((a - b) / m * 10_000.0).round() / 100.0),
            _ => None,
        },
    }
}

/// The index range of `strikes_around` strikes on each side of the strike nearest `price`.
pub(crate) fn around(strikes: &[f64], price: Option<f64>, n: Option<usize>) -> std::ops::Range<usize> {
    let (Some(n), Some(price)) = (n, price) else {
        return 0..strikes.len();
    };
    let nearest = strikes
        .iter()
        .enumerate()
        .min_by(|(_, a), (_, b)| (*a - price).abs().total_cmp(&(*b - price).abs()))
        .map_or(0, |(i, _)| i);
    nearest.saturating_sub(n)..(nearest + n + 1).min(strikes.len())
}

impl App {
    /// The underlying price for a chain: the chain's own, else a quote.
    pub(crate) async fn chain_underlying_price(&self, chain: &OptionChain) -> Option<f64> {
        if let Some(price) = chain.underlying_price {
            return Some(price);
        }
        let quotes = self.quotes(std::slice::from_ref(&chain.underlying)).await.ok()?;
        quotes.first().and_then(|q| q.mark_price())
    }

    /// The chain of `symbol`, cut down by `filter`.
    pub async fn chain_view(&self, symbol: &Symbol, filter: &ChainFilter) -> Result<ChainView, AppError> {
        let chain = self.option_chain(symbol).await?;
        let today = self.broker().now().date();
        let price = self.chain_underlying_price(&chain).await;
        let available: Vec<AvailableExpiration> = chain
            .expirations
            .iter()
            .map(|e| AvailableExpiration {
                date: e.date.to_string(),
                dte: today.days_until(e.date),
            })
            .filter(|e| e.dte >= 0)
            .collect();
        let mut expirations = Vec::new();
        for expiration in &chain.expirations {
            let dte = today.days_until(expiration.date);
            let keep = match filter.expiration {
                Some(date) => expiration.date == date,
                None => dte >= filter.dte_min && dte <= filter.dte_max,
            };
            if !keep || dte < 0 {
                continue;
            }
            let strikes: Vec<f64> = expiration.strikes.iter().map(|s| s.strike).collect();
            let range = around(&strikes, price, filter.strikes_around);
            let rows = expiration.strikes.get(range).unwrap_or_default();
            expirations.push(ExpirationView {
                date: expiration.date.to_string(),
                dte,
                expiration_type: expiration.expiration_type.clone(),
                settlement: expiration.settlement.clone(),
                strikes: rows
                    .iter()
                    .map(|row| StrikeView {
                        strike: row.strike,
                        call: row.call.as_ref().map(contract_view),
                        put: row.put.as_ref().map(contract_view),
                    })
                    .collect(),
            });
        }
        if let Some(date) = filter.expiration
            && expirations.is_empty()
        {
            return Err(AppError::not_found(format!(
                "{symbol} has no expiration on {date}; listed: {}",
                available
                    .iter()
                    .map(|e| e.date.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .with_detail("field", "expiration"));
        }
        let source = self.source();
        Ok(ChainView {
            symbol: chain.underlying.to_string(),
            underlying_price: price.map(round4),
            shares_per_contract: chain.shares_per_contract,
            exercise_style: chain.exercise_style.clone(),
            as_of: chain.as_of.to_string(),
            expirations,
            available_expirations: available,
            filters: FiltersView {
                expiration: filter.expiration.map(|d| d.to_string()),
                dte_min: filter.dte_min,
                dte_max: filter.dte_max,
                strikes_around: filter.strikes_around,
            },
            source: source.source,
            synthetic: source.synthetic,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strikes_around_the_money_are_centred_and_clamped() {
        let strikes = [90.0, 95.0, 100.0, 105.0, 110.0];
        assert_eq!(around(&strikes, Some(101.0), Some(1)), 1..4);
        assert_eq!(around(&strikes, Some(89.0), Some(2)), 0..3);
        assert_eq!(around(&strikes, Some(200.0), Some(1)), 3..5);
        assert_eq!(around(&strikes, None, Some(1)), 0..5);
        assert_eq!(around(&[], Some(100.0), Some(3)), 0..0);
    }
}
