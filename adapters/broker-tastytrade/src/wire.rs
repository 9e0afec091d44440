//! The REST API's JSON as it is on the wire (docs/tastytrade-wire.md, "REST").
//!
//! Keys are kebab-case. Decimals usually come as strings (`"51600.762"`) and counts as numbers
//! (`40`), but not reliably, so every numeric field accepts either ([`de::decimal`]). Times come
//! with `Z`, `+00:00` or `-06:00` offsets, sometimes as epoch milliseconds ([`de::timestamp`]).
//! Unknown fields are ignored and almost every field is optional: what a field means, and what is
//! done when it is missing, is decided in one place, `mapping`. None of these types leaves the
//! crate.

use serde::Deserialize;
use ttai_core::time::{Date, Timestamp};

/// Lenient field readers for `#[serde(deserialize_with = ...)]`.
pub(crate) mod de {
    use serde::de::DeserializeOwned;
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;
    use ttai_core::time::{Date, Timestamp};

    /// Reads a decimal given as a JSON number or a string (`"51600.762"`, `40`). Empty strings,
    /// `null`, `"NaN"`, infinities and text that is not a number read as `None`.
    pub(crate) fn decimal<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
        Ok(decimal_value(&Value::deserialize(deserializer)?))
    }

    /// The decimal in a JSON value, as [`decimal`] reads it.
    pub(crate) fn decimal_value(value: &Value) -> Option<f64> {
        let number = match value {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        number.filter(|n| n.is_finite())
    }

    /// Reads a time given as RFC 3339 text (any offset), a bare date, or epoch milliseconds.
    /// Anything else (and `0`, which the API uses for "unset") reads as `None`.
    pub(crate) fn timestamp<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Timestamp>, D::Error> {
        Ok(match Value::deserialize(deserializer)? {
            Value::String(s) => time_text(&s),
            Value::Number(n) => n.as_i64().filter(|ms| *ms > 0).map(Timestamp::from_millis),
            _ => None,
        })
    }

    /// A time in RFC 3339 or in the net-liq history's form, whose offset has hours only
    /// (`2023-06-08 13:30:00+00`).
    pub(crate) fn time_text(text: &str) -> Option<Timestamp> {
        let text = text.trim();
        text.parse::<Timestamp>().ok().or_else(|| {
            let sign = text.len().checked_sub(3)?;
            let tail = text.get(sign..)?;
            let hours_only = (tail.starts_with('+') || tail.starts_with('-'))
                && tail
                    .get(1..)
                    .is_some_and(|h| h.bytes().all(|b| b.is_ascii_digit()));
            hours_only
                .then(|| format!("{text}:00").parse::<Timestamp>().ok())
                .flatten()
        })
    }

    /// Reads a list of dates (`YYYY-MM-DD`), leaving out what is not one.
    pub(crate) fn dates<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Date>, D::Error> {
        let Value::Array(values) = Value::deserialize(deserializer)? else {
            return Ok(Vec::new());
        };
        Ok(values
            .iter()
            .filter_map(|v| v.as_str().and_then(|s| s.trim().parse::<Date>().ok()))
            .collect())
    }

    /// Reads a date given as `YYYY-MM-DD` or as a full time (its UTC date).
    pub(crate) fn date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Date>, D::Error> {
        Ok(match Value::deserialize(deserializer)? {
            Value::String(s) => {
                let s = s.trim();
                s.parse::<Date>()
                    .ok()
                    .or_else(|| s.parse::<Timestamp>().ok().map(Timestamp::date))
            }
            _ => None,
        })
    }

    /// Reads text given as a string or as a number (error codes are sometimes numeric: `406`).
    pub(crate) fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
        Ok(match Value::deserialize(deserializer)? {
            Value::String(s) => Some(s),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        })
    }

    /// Reads a flag given as a boolean or as `"true"`/`"false"`.
    pub(crate) fn flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<bool>, D::Error> {
        Ok(match Value::deserialize(deserializer)? {
            Value::Bool(b) => Some(b),
            Value::String(s) => match s.trim() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            },
            _ => None,
        })
    }

    /// Reads a list element by element, leaving out elements that do not have the expected
    /// shape (and a list that is not a list), so one odd item does not hide the others. Items
    /// left out are logged by count, never by content.
    pub(crate) fn items<'de, D: Deserializer<'de>, T: DeserializeOwned>(
        deserializer: D,
    ) -> Result<Vec<T>, D::Error> {
        let Value::Array(values) = Value::deserialize(deserializer)? else {
            return Ok(Vec::new());
        };
        let total = values.len();
        let items: Vec<T> = values
            .into_iter()
            .filter_map(|v| serde_json::from_value(v).ok())
            .collect();
        if items.len() < total {
            tracing::warn!(
                skipped = total - items.len(),
                "left out TastyTrade list items of an unexpected shape"
            );
        }
        Ok(items)
    }
}

/// The success envelope: `{"data": ..., "context": "..."}`, with `pagination` on paged lists.
#[derive(Debug, Deserialize)]
pub(crate) struct Envelope<T> {
    /// The payload.
    pub(crate) data: T,
    /// Where a paged list stands (absent or null on other answers).
    #[serde(default)]
    pub(crate) pagination: Option<PaginationWire>,
}

/// `"pagination": {"per-page": 2, "page-offset": 0, "total-items": 8, "total-pages": 4, ...}`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct PaginationWire {
    /// Items per page.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) per_page: Option<f64>,
    /// This page, from 0.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) page_offset: Option<f64>,
    /// Items over every page.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) total_items: Option<f64>,
    /// Pages.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) total_pages: Option<f64>,
}

/// A list payload: `{"items": [...]}`.
#[derive(Debug, Deserialize)]
#[serde(bound(deserialize = "T: serde::de::DeserializeOwned"))]
pub(crate) struct Items<T> {
    /// The elements that could be read.
    #[serde(default = "Vec::new", deserialize_with = "de::items")]
    pub(crate) items: Vec<T>,
}

/// The flat OAuth answer of `POST /oauth/token` (not enveloped).
#[derive(Deserialize)]
pub(crate) struct TokenAnswer {
    /// The access token.
    #[serde(default)]
    pub(crate) access_token: Option<String>,
    /// Its lifetime in seconds (about 900).
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) expires_in: Option<f64>,
}

/// `GET /api-quote-tokens`: the DXLink token and where to connect.
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct QuoteTokenWire {
    /// The token for DXLink's `AUTH` (24 h).
    #[serde(default)]
    pub(crate) token: Option<String>,
    /// `wss://tasty-openapi-ws.dxfeed.com/realtime`.
    #[serde(default)]
    pub(crate) dxlink_url: Option<String>,
    /// The same under its swagger name.
    #[serde(default)]
    pub(crate) websocket_url: Option<String>,
    /// When the token expires, when said.
    #[serde(default, deserialize_with = "de::timestamp")]
    pub(crate) expires_at: Option<Timestamp>,
}

/// An error answer: `{"error": {...}}`; from `/oauth/token`, TastyTrade's
/// `{"error_code": "invalid_grant", "error_description": "Invalid JWT"}` or RFC 6749's
/// `{"error": "invalid_grant", "error_description": "..."}`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ErrorAnswer {
    /// The error, in either form.
    #[serde(default)]
    pub(crate) error: Option<ErrorField>,
    /// TastyTrade's OAuth error code (`invalid_grant`).
    #[serde(default, deserialize_with = "de::text")]
    pub(crate) error_code: Option<String>,
    /// The OAuth error's explanation (`Invalid JWT`).
    #[serde(default, deserialize_with = "de::text")]
    pub(crate) error_description: Option<String>,
}

/// The two shapes of the `error` member.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum ErrorField {
    /// The API's envelope.
    Object(ErrorObject),
    /// RFC 6749's code string (`invalid_grant`).
    Code(String),
}

/// `{"code": "validation_error", "message": "...", "errors": [...]}`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct ErrorObject {
    /// A code such as `unauthorized`, or a number such as `406`.
    #[serde(default, deserialize_with = "de::text")]
    pub(crate) code: Option<String>,
    /// A human-readable message.
    #[serde(default, deserialize_with = "de::text")]
    pub(crate) message: Option<String>,
    /// Nested problems.
    #[serde(default = "Vec::new", deserialize_with = "de::items")]
    pub(crate) errors: Vec<ErrorItem>,
}

/// One nested problem: `{code, message}` or `{domain, reason}`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct ErrorItem {
    /// A code such as `margin_check_failed`.
    #[serde(default, deserialize_with = "de::text")]
    pub(crate) code: Option<String>,
    /// What went wrong.
    #[serde(default, deserialize_with = "de::text")]
    pub(crate) message: Option<String>,
    /// The offending parameter, e.g. `account-numbers`.
    #[serde(default, deserialize_with = "de::text")]
    pub(crate) domain: Option<String>,
    /// What is wrong with it, e.g. `is missing`.
    #[serde(default, deserialize_with = "de::text")]
    pub(crate) reason: Option<String>,
}

/// One element of `GET /customers/me/accounts`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct AccountItem {
    /// The account.
    #[serde(default)]
    pub(crate) account: Option<AccountWire>,
}

/// An account.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct AccountWire {
    /// `5WT00001`.
    #[serde(default, deserialize_with = "de::text")]
    pub(crate) account_number: Option<String>,
    /// The customer's name for it.
    #[serde(default)]
    pub(crate) nickname: Option<String>,
    /// `Individual`, `IRA`, ...
    #[serde(default)]
    pub(crate) account_type_name: Option<String>,
    /// `Margin` or `Cash`.
    #[serde(default)]
    pub(crate) margin_or_cash: Option<String>,
    /// Closed accounts are left out.
    #[serde(default, deserialize_with = "de::flag")]
    pub(crate) is_closed: Option<bool>,
}

/// `GET /accounts/{n}/balances`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct BalancesWire {
    /// Cash.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) cash_balance: Option<f64>,
    /// Net liquidating value.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) net_liquidating_value: Option<f64>,
    /// Stock buying power.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) equity_buying_power: Option<f64>,
    /// Option buying power.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) derivative_buying_power: Option<f64>,
    /// Day-trading buying power.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) day_trading_buying_power: Option<f64>,
    /// Maintenance requirement.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) maintenance_requirement: Option<f64>,
    /// Maintenance excess.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) maintenance_excess: Option<f64>,
    /// Cash available to withdraw.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) cash_available_to_withdraw: Option<f64>,
    /// Pending cash, unsigned.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) pending_cash: Option<f64>,
    /// `Credit`, `Debit` or `None`: the sign of `pending-cash`.
    #[serde(default)]
    pub(crate) pending_cash_effect: Option<String>,
    /// When the figures were computed.
    #[serde(default, deserialize_with = "de::timestamp")]
    pub(crate) updated_at: Option<Timestamp>,
}

/// One element of `GET /accounts/{n}/positions`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct PositionWire {
    /// The instrument, OCC for equity options.
    #[serde(default)]
    pub(crate) symbol: Option<String>,
    /// `Equity`, `Equity Option`, `Future`, ...
    #[serde(default)]
    pub(crate) instrument_type: Option<String>,
    /// The underlying.
    #[serde(default)]
    pub(crate) underlying_symbol: Option<String>,
    /// Unsigned quantity.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) quantity: Option<f64>,
    /// `Long`, `Short` or `Zero`: the sign of `quantity`.
    #[serde(default)]
    pub(crate) quantity_direction: Option<String>,
    /// Previous close per unit.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) close_price: Option<f64>,
    /// Average open price per unit.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) average_open_price: Option<f64>,
    /// Contract multiplier.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) multiplier: Option<f64>,
    /// Current mark per unit, with `include-marks=true`.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) mark_price: Option<f64>,
    /// Current mark, with `include-marks=true`; used when `mark-price` is absent.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) mark: Option<f64>,
    /// When the position was opened.
    #[serde(default, deserialize_with = "de::timestamp")]
    pub(crate) created_at: Option<Timestamp>,
}

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

/// One element of `GET /accounts/{n}/transactions`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct TransactionWire {
    /// The id.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) id: Option<f64>,
    /// The instrument.
    #[serde(default)]
    pub(crate) symbol: Option<String>,
    /// `Equity`, `Equity Option`, ...
    #[serde(default)]
    pub(crate) instrument_type: Option<String>,
    /// The underlying.
    #[serde(default)]
    pub(crate) underlying_symbol: Option<String>,
    /// `Trade`, `Receive Deliver`, `Money Movement`, ...
    #[serde(default)]
    pub(crate) transaction_type: Option<String>,
    /// `Sell to Open`, `Expiration`, `Dividend`, ...
    #[serde(default)]
    pub(crate) transaction_sub_type: Option<String>,
    /// The broker's words.
    #[serde(default)]
    pub(crate) description: Option<String>,
    /// `Buy to Open`, ..., `Buy`, `Sell`.
    #[serde(default)]
    pub(crate) action: Option<String>,
    /// Unsigned quantity.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) quantity: Option<f64>,
    /// Price per unit.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) price: Option<f64>,
    /// When it happened.
    #[serde(default, deserialize_with = "de::timestamp")]
    pub(crate) executed_at: Option<Timestamp>,
    /// The trade date.
    #[serde(default, deserialize_with = "de::date")]
    pub(crate) transaction_date: Option<Date>,
    /// Cash before fees, unsigned.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) value: Option<f64>,
    /// `Credit`, `Debit` or `None`.
    #[serde(default)]
    pub(crate) value_effect: Option<String>,
    /// Cash after fees, unsigned.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) net_value: Option<f64>,
    /// Its effect.
    #[serde(default)]
    pub(crate) net_value_effect: Option<String>,
    /// Commission.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) commission: Option<f64>,
    /// Its effect.
    #[serde(default)]
    pub(crate) commission_effect: Option<String>,
    /// Clearing fees.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) clearing_fees: Option<f64>,
    /// Their effect.
    #[serde(default)]
    pub(crate) clearing_fees_effect: Option<String>,
    /// Regulatory fees.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) regulatory_fees: Option<f64>,
    /// Their effect.
    #[serde(default)]
    pub(crate) regulatory_fees_effect: Option<String>,
    /// Index option fees.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) proprietary_index_option_fees: Option<f64>,
    /// Their effect.
    #[serde(default)]
    pub(crate) proprietary_index_option_fees_effect: Option<String>,
    /// Any other charge.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) other_charge: Option<f64>,
    /// Its effect.
    #[serde(default)]
    pub(crate) other_charge_effect: Option<String>,
}

/// One element of `GET /accounts/{n}/net-liq/history` (the SDK's `NetLiqOhlc`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct NetLiqWire {
    /// Net liq at the interval's start.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) open: Option<f64>,
    /// Highest.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) high: Option<f64>,
    /// Lowest.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) low: Option<f64>,
    /// At `time`.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) close: Option<f64>,
    /// Pending cash at `time`.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) pending_cash_close: Option<f64>,
    /// `2023-06-08 13:30:00+00`.
    #[serde(default, deserialize_with = "de::timestamp")]
    pub(crate) time: Option<Timestamp>,
}

/// One element of `GET /watchlists`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct WatchlistWire {
    /// Its name.
    #[serde(default)]
    pub(crate) name: Option<String>,
    /// Its symbols.
    #[serde(default = "Vec::new", deserialize_with = "de::items")]
    pub(crate) watchlist_entries: Vec<WatchlistEntryWire>,
    /// The group (`default` when none).
    #[serde(default)]
    pub(crate) group_name: Option<String>,
    /// Its place among the watchlists.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) order_index: Option<f64>,
}

/// One symbol of a watchlist.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct WatchlistEntryWire {
    /// The symbol.
    #[serde(default)]
    pub(crate) symbol: Option<String>,
    /// `Equity`, `Future`, ...
    #[serde(default)]
    pub(crate) instrument_type: Option<String>,
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
    /// Today's pre-market start.
    #[serde(default, deserialize_with = "de::timestamp")]
    pub(crate) start_at: Option<Timestamp>,
    /// Today's open.
    #[serde(default, deserialize_with = "de::timestamp")]
    pub(crate) open_at: Option<Timestamp>,
    /// Today's close.
    #[serde(default, deserialize_with = "de::timestamp")]
    pub(crate) close_at: Option<Timestamp>,
    /// Today's end of extended hours.
    #[serde(default, deserialize_with = "de::timestamp")]
    pub(crate) close_at_ext: Option<Timestamp>,
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

/// An order (`PlacedOrder`, or the dry run's `UnplacedOrder` without an id).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct OrderWire {
    /// The id (a number).
    #[serde(default, deserialize_with = "de::text")]
    pub(crate) id: Option<String>,
    /// `Day`, `GTC`, ...
    #[serde(default)]
    pub(crate) time_in_force: Option<String>,
    /// `Limit`, `Market`, ...
    #[serde(default)]
    pub(crate) order_type: Option<String>,
    /// Contracts.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) size: Option<f64>,
    /// The underlying.
    #[serde(default)]
    pub(crate) underlying_symbol: Option<String>,
    /// The limit, unsigned.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) price: Option<f64>,
    /// `Credit` or `Debit`.
    #[serde(default)]
    pub(crate) price_effect: Option<String>,
    /// `Received`, `Live`, `Filled`, ...
    #[serde(default)]
    pub(crate) status: Option<String>,
    /// A cancel may be asked for.
    #[serde(default, deserialize_with = "de::flag")]
    pub(crate) cancellable: Option<bool>,
    /// When received.
    #[serde(default, deserialize_with = "de::timestamp")]
    pub(crate) received_at: Option<Timestamp>,
    /// When it last changed (epoch ms or text; 0 in a dry run).
    #[serde(default, deserialize_with = "de::timestamp")]
    pub(crate) updated_at: Option<Timestamp>,
    /// When it ended.
    #[serde(default, deserialize_with = "de::timestamp")]
    pub(crate) terminal_at: Option<Timestamp>,
    /// Why it was rejected.
    #[serde(default)]
    pub(crate) reject_reason: Option<String>,
    /// The identifier the sender gave it.
    #[serde(default)]
    pub(crate) external_identifier: Option<String>,
    /// The legs.
    #[serde(default = "Vec::new", deserialize_with = "de::items")]
    pub(crate) legs: Vec<OrderLegWire>,
}

/// One leg of an order.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct OrderLegWire {
    /// `Equity Option`, ...
    #[serde(default)]
    pub(crate) instrument_type: Option<String>,
    /// The symbol.
    #[serde(default)]
    pub(crate) symbol: Option<String>,
    /// `Sell to Open`, ...
    #[serde(default)]
    pub(crate) action: Option<String>,
    /// Quantity ordered.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) quantity: Option<f64>,
    /// Quantity not filled.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) remaining_quantity: Option<f64>,
    /// Fills.
    #[serde(default = "Vec::new", deserialize_with = "de::items")]
    pub(crate) fills: Vec<FillWire>,
}

/// One fill of a leg.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct FillWire {
    /// Quantity filled.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) quantity: Option<f64>,
    /// Price.
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) fill_price: Option<f64>,
    /// When.
    #[serde(default, deserialize_with = "de::timestamp")]
    pub(crate) filled_at: Option<Timestamp>,
}

/// `buying-power-effect` of a dry run or a placed order: unsigned amounts with `-effect`s.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct BuyingPowerWire {
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) change_in_margin_requirement: Option<f64>,
    #[serde(default)]
    pub(crate) change_in_margin_requirement_effect: Option<String>,
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) change_in_buying_power: Option<f64>,
    #[serde(default)]
    pub(crate) change_in_buying_power_effect: Option<String>,
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) current_buying_power: Option<f64>,
    #[serde(default)]
    pub(crate) current_buying_power_effect: Option<String>,
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) new_buying_power: Option<f64>,
    #[serde(default)]
    pub(crate) new_buying_power_effect: Option<String>,
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) isolated_order_margin_requirement: Option<f64>,
    #[serde(default)]
    pub(crate) isolated_order_margin_requirement_effect: Option<String>,
    #[serde(default, deserialize_with = "de::flag")]
    pub(crate) is_spread: Option<bool>,
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) impact: Option<f64>,
    #[serde(default)]
    pub(crate) effect: Option<String>,
}

/// `fee-calculation`: unsigned amounts with `-effect`s.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct FeesWire {
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) regulatory_fees: Option<f64>,
    #[serde(default)]
    pub(crate) regulatory_fees_effect: Option<String>,
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) clearing_fees: Option<f64>,
    #[serde(default)]
    pub(crate) clearing_fees_effect: Option<String>,
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) commission: Option<f64>,
    #[serde(default)]
    pub(crate) commission_effect: Option<String>,
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) proprietary_index_option_fees: Option<f64>,
    #[serde(default)]
    pub(crate) proprietary_index_option_fees_effect: Option<String>,
    #[serde(default, deserialize_with = "de::decimal")]
    pub(crate) total_fees: Option<f64>,
    #[serde(default)]
    pub(crate) total_fees_effect: Option<String>,
}

/// A warning or error about an order: `{code, message[, preflight-id]}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct OrderMessageWire {
    #[serde(default, deserialize_with = "de::text")]
    pub(crate) code: Option<String>,
    #[serde(default, deserialize_with = "de::text")]
    pub(crate) message: Option<String>,
}

/// The `data` of a dry run or a placed order.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct OrderAnswerWire {
    #[serde(default)]
    pub(crate) order: Option<OrderWire>,
    #[serde(default)]
    pub(crate) buying_power_effect: Option<BuyingPowerWire>,
    #[serde(default)]
    pub(crate) fee_calculation: Option<FeesWire>,
    #[serde(default = "Vec::new", deserialize_with = "de::items")]
    pub(crate) warnings: Vec<OrderMessageWire>,
    #[serde(default = "Vec::new", deserialize_with = "de::items")]
    pub(crate) errors: Vec<OrderMessageWire>,
}

/// An order answer as a whole: `data`, `error`, or both (a dry run refused by the broker's
/// preflight checks still reports its buying-power effect).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct OrderEnvelopeWire {
    #[serde(default)]
    pub(crate) data: Option<OrderAnswerWire>,
    #[serde(default)]
    pub(crate) error: Option<ErrorObject>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn documented_samples_are_read() {
        let json = r#"{"data": {"items": [
            {"symbol": "AAPL", "instrument-type": "Equity", "updated-at": "2025-04-29T21:33:25.535Z",
             "bid": "210.55", "bid-size": "2.0", "ask": "210.6", "ask-size": 1, "mark": "210.55",
             "last": "210.511", "prev-close": "210.14", "halt-start-time": -1, "volume": "35348839.0",
             "is-trading-halted": false, "beta": "1.26"},
            "not an object",
            {"symbol": "SPX", "instrument-type": "Index", "updated-at": "2019-01-20T18:02:44.206-06:00",
             "bid": null, "last": 5000}
        ]}, "context": "/market-data/by-type"}"#;
        let answer: Envelope<Items<MarketDataWire>> = serde_json::from_str(json).unwrap();
        let items = answer.data.items;
        assert_eq!(items.len(), 2, "the malformed item is left out");
        let first = &items[0];
        assert_eq!(first.bid, Some(210.55));
        assert_eq!(first.ask_size, Some(1.0));
        assert_eq!(first.volume, Some(35_348_839.0));
        assert_eq!(
            first.updated_at,
            Some("2025-04-29T21:33:25.535Z".parse().unwrap())
        );
        let second = &items[1];
        assert_eq!(second.bid, None);
        assert_eq!(second.last, Some(5000.0));
        assert_eq!(second.updated_at.unwrap().to_string(), "2019-01-21T00:02:44.206Z");
    }

    #[test]
    fn error_envelopes_of_every_shape_are_read() {
        let nested: ErrorAnswer = serde_json::from_str(
            r#"{"error": {"code": "validation_error", "message": "Request validation failed",
                "errors": [{"domain": "account-numbers", "reason": "is missing"},
                           {"code": "margin_check_failed", "message": "not enough"}]}}"#,
        )
        .unwrap();
        let Some(ErrorField::Object(object)) = nested.error else {
            panic!("an object")
        };
        assert_eq!(object.code.as_deref(), Some("validation_error"));
        assert_eq!(object.errors.len(), 2);
        assert_eq!(object.errors[0].domain.as_deref(), Some("account-numbers"));
        assert_eq!(object.errors[1].code.as_deref(), Some("margin_check_failed"));

        let numeric: ErrorAnswer = serde_json::from_str(
            r#"{"error": {"code": 406, "message": "The requested version is not supported."}}"#,
        )
        .unwrap();
        let Some(ErrorField::Object(object)) = numeric.error else {
            panic!("an object")
        };
        assert_eq!(object.code.as_deref(), Some("406"));

        let oauth: ErrorAnswer =
            serde_json::from_str(r#"{"error": "invalid_grant", "error_description": "Grant revoked"}"#)
                .unwrap();
        assert!(matches!(oauth.error, Some(ErrorField::Code(code)) if code == "invalid_grant"));
        let tastytrade: ErrorAnswer =
            serde_json::from_str(r#"{"error_code": "invalid_grant", "error_description": "Invalid JWT"}"#)
                .unwrap();
        assert!(tastytrade.error.is_none());
        assert_eq!(tastytrade.error_code.as_deref(), Some("invalid_grant"));
        assert_eq!(tastytrade.error_description.as_deref(), Some("Invalid JWT"));
    }

    #[test]
    fn odd_values_read_as_missing() {
        for text in [
            r#""""#,
            r#""NaN""#,
            r#""Infinity""#,
            r#""abc""#,
            "null",
            "true",
            "[]",
        ] {
            let value: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(de::decimal_value(&value), None, "{text}");
        }
    }

    /// A JSON member holding `value` as a number or as a string.
    fn decimal_json(value: f64, as_string: bool) -> String {
        if as_string {
            format!(r#"{{"bid": "{value}"}}"#)
        } else {
            format!(r#"{{"bid": {value}}}"#)
        }
    }

    proptest! {
        #[test]
        fn decimals_read_the_same_as_strings_or_numbers(
            value in prop_oneof![
                -1.0e12f64..1.0e12,
                (0i64..100_000_000).prop_map(|n| n as f64 / 1000.0),
                (0i64..1_000_000).prop_map(|n| n as f64),
            ],
            as_string in any::<bool>(),
        ) {
            let wire: MarketDataWire = serde_json::from_str(&decimal_json(value, as_string)).unwrap();
            prop_assert_eq!(wire.bid, Some(value));
        }

        #[test]
        fn timestamps_read_the_same_in_every_offset(
            ms in 0i64..4_102_444_800_000,
            offset_minutes in prop_oneof![Just(0i64), -720i64..=840],
            form in 0u8..4,
        ) {
            let at = Timestamp::from_millis(ms);
            let local = Timestamp::from_millis(ms + offset_minutes * 60_000);
            let (date, rest) = {
                let text = local.to_string();
                let (date, time) = text.split_once('T').unwrap();
                (date.to_owned(), time.trim_end_matches('Z').to_owned())
            };
            let clock = if rest.contains('.') { rest } else { format!("{rest}.000") };
            let sign = if offset_minutes < 0 { '-' } else { '+' };
            let offset = format!("{sign}{:02}:{:02}", offset_minutes.abs() / 60, offset_minutes.abs() % 60);
            let text = match form {
                0 if offset_minutes == 0 => format!("\"{date}T{clock}Z\""),
                1 => ms.to_string(),
                _ => format!("\"{date}T{clock}{offset}\""),
            };
            let json = format!(r#"{{"updated-at": {text}}}"#);
            let wire: MarketDataWire = serde_json::from_str(&json).unwrap();
            let expected = if form == 1 && ms == 0 { None } else { Some(at) };
            prop_assert_eq!(wire.updated_at, expected, "{}", json);
        }
    }
}
