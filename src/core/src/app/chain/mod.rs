//! Option chains filtered for a question (expirations by date or DTE, strikes around the money).
//!
//! [`analytics`] is the option model on a contract and an expiration; this file filters the
//! enriched chain into the view `get_option_chain` returns.

mod analytics;

pub(crate) use analytics::FUTURES_MODEL_NAME;
pub use analytics::{
    ContractAnalytics, ExpectedMove, GREEK_UNITS, MODEL_NAME, Pricing, analyse_contract, atm_iv, enrich,
    expected_move, expiry_instant, years_to_expiry,
};

use serde::Serialize;

use super::App;
use crate::domain::{BrokerGreeks, OptionChain, OptionContract, OptionType, Symbol, new_york_date, round4};
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
    /// Keep only the one expiration nearest the DTE window (see [`nearest_expiration`]) instead
    /// of every expiration inside it.
    pub nearest: bool,
}

impl ChainFilter {
    /// A trader's first look: the expiration nearest 30–45 DTE and 5 strikes each side.
    pub fn default_view() -> ChainFilter {
        ChainFilter {
            expiration: None,
            dte_min: 30,
            dte_max: 45,
            strikes_around: Some(5),
            nearest: true,
        }
    }
}

/// The expiration nearest the window `dte_min..=dte_max` among `(dte, monthly)` pairs: one
/// inside the window if any (the monthly one first, then the one nearest the window's middle,
/// then the sooner), else the one fewest days outside it (the sooner on a tie).
pub(crate) fn nearest_expiration(expirations: &[(i32, bool)], dte_min: i32, dte_max: i32) -> Option<usize> {
    let middle2 = dte_min + dte_max;
    expirations
        .iter()
        .enumerate()
        .filter(|(_, (dte, _))| *dte >= 0)
        .min_by_key(|(_, (dte, monthly))| {
            let outside = (dte_min - dte).max(dte - dte_max).max(0);
            (outside, !monthly, (2 * dte - middle2).abs(), *dte)
        })
        .map(|(i, _)| i)
}

/// One side (call or put) of a strike, as tools show it. No field is required in its schema:
/// get_option_chain's `fields` keeps only the fields asked for.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
#[schemars(transform = any_fields)]
pub struct ContractView {
    /// OCC option symbol.
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
    /// True when both sides are quoted (bid > 0 and ask ≥ bid): only then are IV and greeks
    /// computed.
    pub two_sided: bool,
    /// (ask − bid) / mid, in percent: above ~10 % is a wide market.
    pub spread_percent: Option<f64>,
    /// Implied volatility and greeks from the mid (null without a two-sided market).
    #[serde(flatten)]
    pub analytics: ContractAnalytics,
    /// The broker feed's own IV, delta and gamma, when it streams them (a cross-check of ttai's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broker_greeks: Option<BrokerGreeks>,
}

/// One strike.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct StrikeView {
    /// Strike price.
    pub strike: f64,
    /// The call.
    pub call: Option<ContractView>,
    /// The put.
    pub put: Option<ContractView>,
}

/// One expiration.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ExpirationView {
    /// Expiration date, YYYY-MM-DD.
    pub date: String,
    /// Calendar days to expiration.
    pub dte: i32,
    /// What these options deliver when it is not the chain's underlying (the futures contract of
    /// options on a future).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub underlying: Option<String>,
    /// That contract's price, which IV and greeks of this expiration are computed from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub underlying_price: Option<f64>,
    /// Regular (monthly), Weekly, ...
    pub expiration_type: String,
    /// Strikes the expiration lists (those shown are `strikes_around` each side of the money).
    pub strikes_listed: usize,
    /// AM or PM.
    pub settlement: String,
    /// ±1σ by expiration from the ATM IV, and the ATM straddle (from the whole chain, not only
    /// the strikes shown); null without a price or an ATM IV.
    pub expected_move: Option<ExpectedMove>,
    /// Strikes, lowest first.
    pub strikes: Vec<StrikeView>,
}

/// A filtered chain.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ChainView {
    /// The underlying.
    pub symbol: String,
    /// Underlying price used for "around the money" (to centre the strikes).
    pub underlying_price: Option<f64>,
    /// Shares per contract.
    pub shares_per_contract: u32,
    /// American for US equity options.
    pub exercise_style: String,
    /// When the chain's quotes were taken.
    pub as_of: String,
    /// Expirations after filtering, soonest first.
    pub expirations: Vec<ExpirationView>,
    /// Every listed expiration with its DTE, to ask for another.
    pub available_expirations: Vec<AvailableExpiration>,
    /// The filters applied.
    pub filters: FiltersView,
    /// How IV and greeks were computed.
    pub model: ModelView,
    /// Data source.
    pub source: String,
    /// True for made-up data.
    pub synthetic: bool,
}

/// How the chain's IV and greeks were computed.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ModelView {
    /// The model and its caveat.
    pub name: &'static str,
    /// Risk-free rate used.
    pub risk_free_rate: f64,
    /// Dividend yield used.
    pub dividend_yield: f64,
    /// `market_metrics` or `setting`; `black76` for options on futures (the yield is the rate).
    pub dividend_yield_source: &'static str,
    /// The underlying price used.
    pub underlying_price: Option<f64>,
    /// The time IV and greeks are computed at.
    pub quotes_at: String,
    /// Units of the greeks.
    pub units: &'static str,
}

/// A listed expiration.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct AvailableExpiration {
    /// YYYY-MM-DD.
    pub date: String,
    /// Calendar days to it.
    pub dte: i32,
}

/// The filters applied.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct FiltersView {
    /// Expiration asked for.
    pub expiration: Option<String>,
    /// DTE floor.
    pub dte_min: i32,
    /// DTE ceiling.
    pub dte_max: i32,
    /// Strikes kept on each side of the money.
    pub strikes_around: Option<usize>,
    /// Only the one expiration nearest the DTE window (the default view).
    pub nearest: bool,
    /// Only these fields of each call and put (get_option_chain's `fields`); null: every field.
    pub fields: Option<Vec<String>>,
}

/// A contract's schema without required fields (see [`ContractView`]).
fn any_fields(schema: &mut schemars::Schema) {
    schema.remove("required");
}

pub(crate) fn contract_view(contract: &OptionContract, analytics: ContractAnalytics) -> ContractView {
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
        analytics,
        broker_greeks: contract.broker_greeks,
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
    /// The dividend yield of an underlying: the broker's when it has one, else the setting.
    pub(crate) async fn dividend_yield(&self, symbol: &Symbol) -> (f64, &'static str) {
        let metrics = self
            .broker()
            .market_metrics(std::slice::from_ref(symbol))
            .await
            .unwrap_or_default();
        match metrics
            .first()
            .and_then(|m| m.dividend_yield)
            .filter(|y| y.is_finite() && *y >= 0.0 && *y < 0.5)
        {
            Some(y) => (y, "market_metrics"),
            None => (self.config().dividend_yield, "setting"),
        }
    }

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
        let today = new_york_date(self.broker().now());
        let price = self.chain_underlying_price(&chain).await;
        let rate = self.config().risk_free_rate;
        // Options on a future: Black-76, the futures price growing at no cost of carry.
        let (dividend_yield, dividend_yield_source, model_name) = if chain.underlying.is_future() {
            (rate, "black76", FUTURES_MODEL_NAME)
        } else {
            let (yield_, source) = self.dividend_yield(symbol).await;
            (yield_, source, MODEL_NAME)
        };
        let available: Vec<AvailableExpiration> = chain
            .expirations
            .iter()
            .map(|e| AvailableExpiration {
                date: e.date.to_string(),
                dte: today.days_until(e.date),
            })
            .filter(|e| e.dte >= 0)
            .collect();
        let nearest = if filter.nearest && filter.expiration.is_none() {
            let listed: Vec<(i32, bool)> = chain
                .expirations
                .iter()
                .map(|e| (today.days_until(e.date), e.expiration_type == "Regular"))
                .collect();
            nearest_expiration(&listed, filter.dte_min, filter.dte_max)
                .and_then(|i| chain.expirations.get(i))
                .map(|e| e.date)
        } else {
            None
        };
        let mut expirations = Vec::new();
        for expiration in &chain.expirations {
            let dte = today.days_until(expiration.date);
            let keep = match (filter.expiration, nearest) {
                (Some(date), _) | (None, Some(date)) => expiration.date == date,
                (None, None) => !filter.nearest && dte >= filter.dte_min && dte <= filter.dte_max,
            };
            if !keep || dte < 0 {
                continue;
            }
            // An expiration delivering its own contract is priced (and centred) on that contract.
            let spot = match &expiration.underlying {
                Some(underlying) => underlying.price,
                None => price,
            };
            let pricing = spot.map(|spot| Pricing {
                spot,
                rate,
                dividend_yield,
                quotes_at: chain.as_of,
            });
            let strikes: Vec<f64> = expiration.strikes.iter().map(|s| s.strike).collect();
            let range = around(&strikes, spot, filter.strikes_around);
            let rows = expiration.strikes.get(range).unwrap_or_default();
            expirations.push(ExpirationView {
                date: expiration.date.to_string(),
                dte,
                underlying: expiration.underlying.as_ref().map(|u| u.symbol.to_string()),
                underlying_price: expiration.underlying.as_ref().and_then(|u| u.price).map(round4),
                expiration_type: expiration.expiration_type.clone(),
                strikes_listed: expiration.strikes.len(),
                settlement: expiration.settlement.clone(),
                expected_move: pricing.and_then(|p| expected_move(expiration, &p, today)),
                strikes: rows
                    .iter()
                    .map(|row| {
                        let side = |option_type: OptionType, contract: &OptionContract| {
                            let analytics = pricing
                                .map(|p| {
                                    analyse_contract(&p, option_type, row.strike, expiration.date, contract)
                                })
                                .unwrap_or_default();
                            contract_view(contract, analytics)
                        };
                        StrikeView {
                            strike: row.strike,
                            call: row.call.as_ref().map(|c| side(OptionType::Call, c)),
                            put: row.put.as_ref().map(|c| side(OptionType::Put, c)),
                        }
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
                nearest: filter.nearest && filter.expiration.is_none(),
                fields: None,
            },
            model: ModelView {
                name: model_name,
                risk_free_rate: rate,
                dividend_yield,
                dividend_yield_source,
                underlying_price: price.map(round4),
                quotes_at: chain.as_of.to_string(),
                units: GREEK_UNITS,
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
    fn the_nearest_expiration_prefers_the_window_then_the_monthly_then_the_middle() {
        // (dte, monthly)
        let listed = [(7, false), (28, true), (34, false), (41, false), (49, true)];
        assert_eq!(
            nearest_expiration(&listed, 30, 45),
            Some(2),
            "34 and 41 tie: the sooner"
        );
        let listed = [(7, false), (31, false), (38, false), (42, true), (56, true)];
        assert_eq!(
            nearest_expiration(&listed, 30, 45),
            Some(3),
            "the monthly inside the window"
        );
        let listed = [(-1, true), (3, false), (20, true), (60, true)];
        assert_eq!(
            nearest_expiration(&listed, 30, 45),
            Some(2),
            "10 days short beats 15 over"
        );
        assert_eq!(
            nearest_expiration(&[(-3, true)], 30, 45),
            None,
            "expired ones never"
        );
        assert_eq!(nearest_expiration(&[], 30, 45), None);
    }

    #[test]
    fn strikes_around_the_money_are_centred_and_clamped() {
        let strikes = [90.0, 95.0, 100.0, 105.0, 110.0];
        assert_eq!(around(&strikes, Some(101.0), Some(1)), 1..4);
        assert_eq!(around(&strikes, Some(89.0), Some(2)), 0..3);
        assert_eq!(around(&strikes, Some(200.0), Some(1)), 3..5);
        assert_eq!(around(&strikes, None, Some(1)), 0..5);
        assert_eq!(around(&[], Some(100.0), Some(3)), 0..0);
    }

    /// Thursday 2025-07-17 21:30 in New York is already Friday in UTC: the sample's Friday
    /// 2025-07-18 expiration is one day out (not 0 DTE) in the chain and in the positions, and
    /// is today once New York's date is Friday.
    #[tokio::test]
    async fn days_to_expiration_count_from_new_yorks_date() {
        use std::sync::Arc;

        use crate::testing::{FakeBroker, InMemoryStore, sample_config, sample_market};

        let broker = Arc::new(FakeBroker::new(
            sample_market(),
            "2025-07-18T01:30:00Z".parse().unwrap(),
        ));
        let app = App::new(broker.clone(), Arc::new(InMemoryStore::new()), sample_config());
        let friday = Date::from_ymd(2025, 7, 18).unwrap();
        let filter = ChainFilter {
            expiration: Some(friday),
            dte_min: 0,
            dte_max: 60,
            strikes_around: Some(1),
            nearest: false,
        };
        let dte = |view: &ChainView| view.expirations.first().map(|e| e.dte);
        let chain = app
            .chain_view(&Symbol::parse("SPY").unwrap(), &filter)
            .await
            .unwrap();
        assert_eq!(dte(&chain), Some(1));
        let positions = app.positions_view(None).await.unwrap();
        let put = positions
            .positions
            .iter()
            .find(|p| p.expiration.is_some())
            .unwrap();
        assert_eq!(put.expiration.as_deref(), Some("2025-07-18"));
        assert_eq!(put.dte, Some(1));
        // 00:30 on Friday in New York (EDT, UTC-4).
        broker.set_now("2025-07-18T04:30:00Z".parse().unwrap());
        let chain = app
            .chain_view(&Symbol::parse("SPY").unwrap(), &filter)
            .await
            .unwrap();
        assert_eq!(dte(&chain), Some(0));
    }
}
