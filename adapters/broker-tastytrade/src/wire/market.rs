//! The market's answers: quotes, chains, instruments, metrics, symbol search and market hours.

use serde::Deserialize;
use ttai_core::time::{Date, Timestamp};

use super::de;

/// One element of `GET /market-data/by-type`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct MarketDataWire {
    /// The symbol as asked.
    #[serde(default)]
    pub(crate) symbol: Option<String>,
    /// `Equity`, `Index`, `Equity Option`, ...
    #[serde(default)]
    pub(crate) instrument_type: Option<String>,
    /// When the quote was last updated.
    #[serde(default, deserialize_with = "de::timestamp")]
    pub(crate) updated_at: Option<Timestamp>,
    /// Best bid.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) bid: Option<f64>,
    /// Size at the bid.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) bid_size: Option<f64>,
    /// Best ask.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) ask: Option<f64>,
    /// Size at the ask.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) ask_size: Option<f64>,
    /// The broker's mark.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) mark: Option<f64>,
    /// Last trade.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) last: Option<f64>,
    /// Today's open.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) open: Option<f64>,
    /// Today's high.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) day_high_price: Option<f64>,
    /// Today's low.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) day_low_price: Option<f64>,
    /// The previous session's close.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) prev_close: Option<f64>,
    /// 52-week low.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) year_low_price: Option<f64>,
    /// 52-week high.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) year_high_price: Option<f64>,
    /// Volume today.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) volume: Option<f64>,
    /// Open interest (options; not documented, read when present).
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) open_interest: Option<f64>,
}

/// One option root of `GET /option-chains/{symbol}/nested` (SPX and SPXW are two roots).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct ChainRootWire {
    /// `Standard` or `Non-standard` (adjusted after corporate actions).
    #[serde(default)]
    pub(crate) option_chain_type: Option<String>,
    /// Shares per contract.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) shares_per_contract: Option<f64>,
    /// The expirations of this root.
    #[serde(default = "Vec::new", deserialize_with = "de::items")]
    pub(crate) expirations: Vec<ExpirationWire>,
}

/// One expiration of a root.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct ExpirationWire {
    /// `Regular`, `Weekly`, ...
    #[serde(default)]
    pub(crate) expiration_type: Option<String>,
    /// The date.
    #[serde(default, deserialize_with = "de::date")]
    pub(crate) expiration_date: Option<Date>,
    /// `AM` or `PM`.
    #[serde(default)]
    pub(crate) settlement_type: Option<String>,
    /// The strikes.
    #[serde(default = "Vec::new", deserialize_with = "de::items")]
    pub(crate) strikes: Vec<StrikeWire>,
}

/// One strike of an expiration.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct StrikeWire {
    /// The strike price.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) strike_price: Option<f64>,
    /// The call's OCC symbol.
    #[serde(default)]
    pub(crate) call: Option<String>,
    /// The call's DXLink symbol.
    #[serde(default)]
    pub(crate) call_streamer_symbol: Option<String>,
    /// The put's OCC symbol.
    #[serde(default)]
    pub(crate) put: Option<String>,
    /// The put's DXLink symbol.
    #[serde(default)]
    pub(crate) put_streamer_symbol: Option<String>,
}

/// `GET /futures-option-chains/{product}/nested`: the product's contracts and its option chains.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct FutureChainWire {
    /// The futures contracts of the product.
    #[serde(default = "Vec::new", deserialize_with = "de::items")]
    pub(crate) futures: Vec<FutureContractWire>,
    /// The option chains (usually one, holding every option root's expirations).
    #[serde(default = "Vec::new", deserialize_with = "de::items")]
    pub(crate) option_chains: Vec<FutureSubchainWire>,
}

/// A futures contract, in a nested futures option chain or an element of
/// `GET /instruments/futures?product-code[]=...`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct FutureContractWire {
    /// `/ESU5`.
    #[serde(default)]
    pub(crate) symbol: Option<String>,
    /// True for the contract TastyTrade treats as the product's current one.
    #[serde(default, deserialize_with = "de::flag")]
    pub(crate) active_month: Option<bool>,
    /// When it expires.
    #[serde(default, deserialize_with = "de::date")]
    pub(crate) expiration_date: Option<Date>,
}

/// One option chain of a futures product.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct FutureSubchainWire {
    /// `American` or `European`.
    #[serde(default)]
    pub(crate) exercise_style: Option<String>,
    /// The expirations of every option root.
    #[serde(default = "Vec::new", deserialize_with = "de::items")]
    pub(crate) expirations: Vec<FutureExpirationWire>,
}

/// One expiration of options on a future: an expiration of a root, with what it delivers.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct FutureExpirationWire {
    /// Type, date, settlement and strikes, as for equity options.
    #[serde(flatten)]
    pub(crate) listing: ExpirationWire,
    /// The contract these options deliver: `/ESU5`.
    #[serde(default)]
    pub(crate) underlying_symbol: Option<String>,
    /// Dollars per displayed price unit of the option (`0.5` for /ES options).
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) notional_value: Option<f64>,
    /// The displayed price unit (`0.01`): `notional-value / display-factor` is the multiplier.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) display_factor: Option<f64>,
}

/// One element of `GET /instruments/equities?symbol[]=...`: whether a ticker is an index.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct EquityInstrumentWire {
    /// The ticker.
    #[serde(default)]
    pub(crate) symbol: Option<String>,
    /// True for a cash index (quoted under `index`).
    #[serde(default, deserialize_with = "de::flag")]
    pub(crate) is_index: Option<bool>,
}

/// One element of `GET /market-metrics`. Units are mixed on the wire: see `mapping::metrics`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct MetricsWire {
    /// The symbol.
    #[serde(default)]
    pub(crate) symbol: Option<String>,
    /// IV index, a fraction.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) implied_volatility_index: Option<f64>,
    /// IV rank, a fraction, from the source named in `implied-volatility-index-rank-source`.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) implied_volatility_index_rank: Option<f64>,
    /// IV rank computed thinkorswim's way, a fraction.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) tos_implied_volatility_index_rank: Option<f64>,
    /// IV rank computed tastytrade's way, a fraction.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) tw_implied_volatility_index_rank: Option<f64>,
    /// IV percentile, a fraction.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) implied_volatility_percentile: Option<f64>,
    /// 30-day historical volatility in PERCENT.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) historical_volatility_30_day: Option<f64>,
    /// 60-day historical volatility in PERCENT.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) historical_volatility_60_day: Option<f64>,
    /// 90-day historical volatility in PERCENT.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) historical_volatility_90_day: Option<f64>,
    /// Liquidity rating, an integer (4).
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) liquidity_rating: Option<f64>,
    /// Beta.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) beta: Option<f64>,
    /// Dividend yield, a fraction.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) dividend_yield: Option<f64>,
    /// The ex-dividend date.
    #[serde(default, deserialize_with = "de::date")]
    pub(crate) dividend_ex_date: Option<Date>,
    /// Earnings; `null` for indices.
    #[serde(default)]
    pub(crate) earnings: Option<EarningsWire>,
    /// When the metrics were computed.
    #[serde(default, deserialize_with = "de::timestamp")]
    pub(crate) updated_at: Option<Timestamp>,
    /// When the IV figures were computed.
    #[serde(default, deserialize_with = "de::timestamp")]
    pub(crate) implied_volatility_updated_at: Option<Timestamp>,
}

/// The `earnings` member of a metrics item.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct EarningsWire {
    /// The expected report date.
    #[serde(default, deserialize_with = "de::date")]
    pub(crate) expected_report_date: Option<Date>,
}

/// One element of `GET /symbols/search/{prefix}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct SymbolWire {
    /// The ticker.
    #[serde(default)]
    pub(crate) symbol: Option<String>,
    /// The instrument's name.
    #[serde(default)]
    pub(crate) description: Option<String>,
    /// `Equity`, `Index`, ...
    #[serde(default)]
    pub(crate) instrument_type: Option<String>,
    /// True when options are listed.
    #[serde(default, deserialize_with = "de::flag")]
    pub(crate) options: Option<bool>,
}

/// One element of `GET /market-time/sessions/current`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct MarketSessionWire {
    /// `Equity`, `CME`, `CFE`.
    #[serde(default)]
    pub(crate) instrument_collection: Option<String>,
    /// `Open`, `Closed`, `Pre-market`, `Extended`.
    #[serde(default)]
    pub(crate) state: Option<String>,
    /// Today's hours.
    #[serde(flatten)]
    pub(crate) hours: SessionHoursWire,
    /// The next session.
    #[serde(default)]
    pub(crate) next_session: Option<SessionSnapshotWire>,
    /// The previous session.
    #[serde(default)]
    pub(crate) previous_session: Option<SessionSnapshotWire>,
}

/// The next or previous session.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct SessionSnapshotWire {
    /// Its date.
    #[serde(default, deserialize_with = "de::date")]
    pub(crate) session_date: Option<Date>,
    /// Its hours.
    #[serde(flatten)]
    pub(crate) hours: SessionHoursWire,
}

/// A session's hours, as both the current session and the next or previous one give them.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct SessionHoursWire {
    /// Pre-market start.
    #[serde(default, deserialize_with = "de::timestamp")]
    pub(crate) start_at: Option<Timestamp>,
    /// Open.
    #[serde(default, deserialize_with = "de::timestamp")]
    pub(crate) open_at: Option<Timestamp>,
    /// Close.
    #[serde(default, deserialize_with = "de::timestamp")]
    pub(crate) close_at: Option<Timestamp>,
    /// End of extended hours.
    #[serde(default, deserialize_with = "de::timestamp")]
    pub(crate) close_at_ext: Option<Timestamp>,
}

/// `GET /market-time/equities/holidays`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct MarketCalendarWire {
    /// Weekdays without a session.
    #[serde(default = "Vec::new", deserialize_with = "de::dates")]
    pub(crate) market_holidays: Vec<Date>,
    /// Days that close early.
    #[serde(default = "Vec::new", deserialize_with = "de::dates")]
    pub(crate) market_half_days: Vec<Date>,
}
