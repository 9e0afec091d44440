//! Positions and balances, with marks, P&L and days to expiration.

use serde::Serialize;

use super::App;
use crate::domain::{
    Expired, InstrumentType, OptionType, Position, Quote, Symbol, Timeframe, new_york_date, round4,
};
use crate::error::AppError;
use crate::time::{Date, Timestamp};

/// One position as tools and resources show it.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PositionView {
    /// Instrument symbol (OCC for options).
    pub symbol: String,
    /// Underlying symbol.
    pub underlying: String,
    /// equity, equity_option, ...
    pub instrument_type: InstrumentType,
    /// Signed quantity (negative = short).
    pub quantity: f64,
    /// "long" or "short".
    #[schemars(extend("enum" = ["long", "short"]))]
    pub direction: &'static str,
    /// Average open price per share/option.
    pub average_open_price: f64,
    /// Current mark per share/option, when known.
    pub mark: Option<f64>,
    /// Where the mark came from: broker, quote, close, none.
    #[schemars(extend("enum" = ["broker", "quote", "close", "none"]))]
    pub mark_source: &'static str,
    /// Contract multiplier.
    pub multiplier: f64,
    /// mark × quantity × multiplier.
    pub market_value: Option<f64>,
    /// average open × quantity × multiplier.
    pub cost_basis: f64,
    /// (mark − open) × quantity × multiplier.
    pub unrealized_pnl: Option<f64>,
    /// P&L as a percent of |cost basis|.
    pub unrealized_pnl_percent: Option<f64>,
    /// (mark − previous close) × quantity × multiplier.
    pub day_pnl: Option<f64>,
    /// call or put, for options.
    pub option_type: Option<OptionType>,
    /// Strike, for options.
    pub strike: Option<f64>,
    /// Expiration date, for options.
    pub expiration: Option<String>,
    /// Calendar days to expiration, for options.
    pub dte: Option<i32>,
}

/// The positions of an account.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PositionsView {
    /// Masked account number.
    pub account: String,
    /// Positions, by underlying then symbol.
    pub positions: Vec<PositionView>,
    /// Number of positions.
    pub count: usize,
    /// Sum of market values (where marks are known).
    pub total_market_value: f64,
    /// Sum of unrealized P&L (where marks are known).
    pub total_unrealized_pnl: f64,
    /// Sum of day P&L (where known).
    pub total_day_pnl: f64,
    /// Options past their expiration date that the broker still lists (it removes them when it
    /// processes expirations, overnight), each with what the expiration left, judged at the
    /// underlying's close on the expiration day (else its latest price). One that expired
    /// worthless is not in `positions`, the totals or any analysis; one in the money (or not
    /// known) stays in `positions`, its assignment or exercise pending.
    pub expired: Vec<ExpiredView>,
    /// Market clock time of the answer.
    pub as_of: String,
    /// Data source.
    pub source: String,
    /// True for made-up data.
    pub synthetic: bool,
}

/// An option past its expiration date that the broker still lists.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ExpiredView {
    /// OCC symbol.
    pub symbol: String,
    /// Underlying symbol.
    pub underlying: String,
    /// Signed quantity (negative = short).
    pub quantity: f64,
    /// call or put.
    pub option_type: OptionType,
    /// Strike.
    pub strike: Option<f64>,
    /// Expiration date.
    pub expiration: String,
    /// What the outcome is judged at: the underlying's close on the expiration day when the
    /// broker has that daily bar, else its latest price.
    pub underlying_price: Option<f64>,
    /// True when `underlying_price` is the expiration day's close.
    pub price_is_expiration_close: bool,
    /// In the money at that price (assigned or exercised), false: expired worthless, null: not
    /// known.
    pub in_the_money: Option<bool>,
    /// Still in `positions` and the analyses (true unless it expired worthless).
    pub counted: bool,
    /// What the expiration left, in a sentence.
    pub outcome: String,
}

/// The price an option past its expiration is judged at.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Judged {
    /// The underlying's price.
    pub(crate) price: f64,
    /// It is the close of the expiration day (else the latest price: the broker had no bar).
    pub(crate) at_expiration: bool,
}

/// The underlying's close on `expiration` among its `closes` (day, close), else its `latest`
/// price.
pub(crate) fn judged_price(
    expiration: Date,
    closes: impl IntoIterator<Item = (Date, f64)>,
    latest: Option<f64>,
) -> Option<Judged> {
    let close = closes.into_iter().find(|(day, _)| *day == expiration);
    match (close, latest) {
        (Some((_, price)), _) => Some(Judged {
            price,
            at_expiration: true,
        }),
        (None, Some(price)) => Some(Judged {
            price,
            at_expiration: false,
        }),
        (None, None) => None,
    }
}

/// Takes the options that expired worthless out of `positions` (options past their expiration
/// that the broker still lists, judged at [`judged_price`]), and hands every option past its
/// expiration, with what it left and that price, to `seen`.
pub(crate) fn drop_expired_worthless(
    positions: &mut Vec<Position>,
    now: Timestamp,
    closes: &[(Symbol, Date, f64)],
    quotes: &[Quote],
    mut seen: impl FnMut(&Position, &Expired, Option<Judged>),
) {
    positions.retain(|p| {
        let Some(expiration) = p.expiration.filter(|_| p.option_type.is_some()) else {
            return true;
        };
        let underlying_closes = closes
            .iter()
            .filter(|(u, _, _)| *u == p.underlying)
            .map(|(_, day, close)| (*day, *close));
        let latest = quotes
            .iter()
            .find(|q| q.symbol == p.underlying)
            .and_then(Quote::mark_price);
        let judged = judged_price(expiration, underlying_closes, latest);
        let Some(after) = p.past_expiration(now, judged.map(|j| j.price)) else {
            return true;
        };
        seen(p, &after, judged);
        !after.worthless()
    });
}

impl App {
    /// The underlyings' closes on the expiration days of the options in `positions` past their
    /// expiration (a daily bar of that day from the broker; none when it has no such bar or
    /// fails: the latest price stands in).
    pub(crate) async fn expiration_closes(
        &self,
        positions: &[Position],
        now: Timestamp,
    ) -> Vec<(Symbol, Date, f64)> {
        let mut wanted: Vec<(Symbol, Date)> = Vec::new();
        for p in positions {
            if let Some(expiration) = p.expiration.filter(|_| p.past_expiration(now, None).is_some())
                && !wanted.iter().any(|(u, e)| *u == p.underlying && *e == expiration)
            {
                wanted.push((p.underlying.clone(), expiration));
            }
        }
        let mut closes = Vec::new();
        for (underlying, expiration) in wanted {
            let since = expiration.add_days(-7).at_utc(0, 0);
            let Ok(bars) = self.broker().candles(&underlying, Timeframe::Daily, since).await else {
                continue;
            };
            if let Some(bar) = bars.iter().find(|bar| bar.time.date() == expiration) {
                closes.push((underlying, expiration, bar.close));
            }
        }
        closes
    }
}

/// What an option finishing in the money does to shares: "300 shares sold (called away) at 240
/// by assignment" for 3 short calls.
pub(crate) fn shares_moved(option_type: OptionType, quantity: f64, multiplier: f64, strike: f64) -> String {
    let shares = (quantity * multiplier).abs();
    let (how, moved) = match (option_type, quantity < 0.0) {
        (OptionType::Put, true) => ("assignment", "bought"),
        (OptionType::Call, true) => ("assignment", "sold (called away)"),
        (OptionType::Call, false) => ("exercise", "bought"),
        (OptionType::Put, false) => ("exercise", "sold"),
    };
    format!("{shares} shares {moved} at {strike} by {how}")
}

/// What an option past its expiration left, in a sentence a trader reads: worthless and left
/// out, or the shares its assignment or exercise moves (counted as held until the broker
/// processes it), or not known.
pub(crate) fn expiry_outcome(position: &Position, expired: &Expired, judged: Option<Judged>) -> String {
    let underlying = position.underlying.as_str();
    let date = expired.expiration;
    let price = judged.map(|j| j.price);
    let at = match judged {
        Some(Judged {
            price,
            at_expiration: true,
        }) => format!(" ({underlying} closed at {price} that day)"),
        Some(Judged { price, .. }) => {
            format!(" ({underlying} at {price}, the latest price: the broker gave no close for that day)")
        }
        None => String::new(),
    };
    let strike = position.strike.unwrap_or_default();
    match expired.in_the_money {
        Some(false) => {
            format!("expired worthless on {date}{at}: nothing follows from it, and it is left out")
        }
        Some(true) => format!(
            "expired in the money on {date}{at}: {} when the broker processes it; counted as held until then, and nothing is left to close",
            shares_moved(
                position.option_type.unwrap_or(OptionType::Call),
                position.quantity,
                position.multiplier,
                strike
            )
        ),
        None => format!(
            "expired on {date}; whether in the money is not known{}: counted as held until the broker processes it",
            if price.is_some() {
                " (the price is at the strike)"
            } else {
                " (no price for the underlying)"
            }
        ),
    }
}

/// The balances of an account.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct BalancesView {
    /// Masked account number.
    pub account: String,
    /// Net liquidating value.
    pub net_liquidating_value: f64,
    /// Cash balance.
    pub cash_balance: f64,
    /// Buying power for stock.
    pub equity_buying_power: f64,
    /// Buying power for options (what a cash-secured put or spread consumes).
    pub derivative_buying_power: f64,
    /// Maintenance requirement.
    pub maintenance_requirement: f64,
    /// Net liq above the requirement.
    pub maintenance_excess: Option<f64>,
    /// derivative buying power as a percent of net liq.
    pub buying_power_percent_of_net_liq: Option<f64>,
    /// Day-trading buying power.
    pub day_trading_buying_power: Option<f64>,
    /// Cash available to withdraw.
    pub cash_available_to_withdraw: Option<f64>,
    /// Pending cash (signed).
    pub pending_cash: Option<f64>,
    /// When the broker computed the figures.
    pub as_of: String,
    /// Data source.
    pub source: String,
    /// True for made-up data.
    pub synthetic: bool,
}

fn view(
    position: &Position,
    mark: Option<f64>,
    mark_source: &'static str,
    today: crate::time::Date,
) -> PositionView {
    let q = position.quantity;
    let m = position.multiplier;
    let cost_basis = round4(position.average_open_price * q * m);
    let market_value = mark.map(|mk| round4(mk * q * m));
    let pnl = mark.map(|mk| round4(position.unrealized_pnl(mk)));
    let pnl_percent =
        pnl.and_then(|p| (cost_basis.abs() > 0.0).then(|| (p / cost_basis.abs() * 10_000.0).round() / 100.0));
    let day_pnl = match (mark, position.close_price) {
        (Some(mk), Some(close)) => Some(round4((mk - close) * q * m)),
        _ => None,
    };
    PositionView {
        symbol: position.symbol.to_string(),
        underlying: position.underlying.to_string(),
        instrument_type: position.instrument_type,
        quantity: q,
        direction: if q < 0.0 { "short" } else { "long" },
        average_open_price: position.average_open_price,
        mark,
        mark_source,
        multiplier: m,
        market_value,
        cost_basis,
        unrealized_pnl: pnl,
        unrealized_pnl_percent: pnl_percent,
        day_pnl,
        option_type: position.option_type,
        strike: position.strike,
        expiration: position.expiration.map(|d| d.to_string()),
        dte: position.expiration.map(|d| today.days_until(d)),
    }
}

impl App {
    /// Positions of an account (the default one when `account` is `None`), with marks from the
    /// broker, else from a batched quote, else the previous close.
    pub async fn positions_view(&self, account: Option<&str>) -> Result<PositionsView, AppError> {
        let (number, _) = self.resolve_account(account).await?;
        let mut positions = self.broker().positions(&number).await?;
        positions.sort_by(|a, b| a.underlying.cmp(&b.underlying).then(a.symbol.cmp(&b.symbol)));
        let now = self.broker().now();
        let today = new_york_date(now);
        let past = |p: &Position| p.past_expiration(now, None).is_some();
        // Quoted: what the broker gave no mark, and the underlyings of options past expiration.
        let mut wanted: Vec<Symbol> = positions
            .iter()
            .filter(|p| p.mark.is_none())
            .map(|p| p.symbol.clone())
            .collect();
        for p in positions.iter().filter(|p| past(p)) {
            if !wanted.contains(&p.underlying) {
                wanted.push(p.underlying.clone());
            }
        }
        let quotes = if wanted.is_empty() {
            Vec::new()
        } else {
            // A failed quote request is not fatal: the previous close stands in.
            self.quotes(&wanted).await.unwrap_or_default()
        };
        let closes = self.expiration_closes(&positions, now).await;
        let mut expired = Vec::new();
        drop_expired_worthless(&mut positions, now, &closes, &quotes, |p, after, judged| {
            expired.push(ExpiredView {
                symbol: p.symbol.to_string(),
                underlying: p.underlying.to_string(),
                quantity: p.quantity,
                option_type: p.option_type.unwrap_or(OptionType::Call),
                strike: p.strike,
                expiration: after.expiration.to_string(),
                underlying_price: judged.map(|j| j.price),
                price_is_expiration_close: judged.is_some_and(|j| j.at_expiration),
                in_the_money: after.in_the_money,
                counted: !after.worthless(),
                outcome: expiry_outcome(p, after, judged),
            });
        });
        let views: Vec<PositionView> = positions
            .iter()
            .map(|p| {
                let (mark, source) = match p.mark {
                    Some(m) => (Some(m), "broker"),
                    None => match quotes
                        .iter()
                        .find(|q| q.symbol == p.symbol)
                        .and_then(|q| q.mark_price())
                    {
                        Some(m) => (Some(m), "quote"),
                        None => match p.close_price {
                            Some(c) => (Some(c), "close"),
                            None => (None, "none"),
                        },
                    },
                };
                view(p, mark, source, today)
            })
            .collect();
        let source = self.source();
        Ok(PositionsView {
            account: number.masked(),
            count: views.len(),
            total_market_value: round4(views.iter().filter_map(|v| v.market_value).sum()),
            total_unrealized_pnl: round4(views.iter().filter_map(|v| v.unrealized_pnl).sum()),
            total_day_pnl: round4(views.iter().filter_map(|v| v.day_pnl).sum()),
            positions: views,
            expired,
            as_of: self.broker().now().to_string(),
            source: source.source,
            synthetic: source.synthetic,
        })
    }

    /// Balances of an account (the default one when `account` is `None`).
    pub async fn balances_view(&self, account: Option<&str>) -> Result<BalancesView, AppError> {
        let (number, _) = self.resolve_account(account).await?;
        let b = self.broker().balances(&number).await?;
        let source = self.source();
        Ok(BalancesView {
            account: number.masked(),
            net_liquidating_value: b.net_liquidating_value,
            cash_balance: b.cash_balance,
            equity_buying_power: b.equity_buying_power,
            derivative_buying_power: b.derivative_buying_power,
            maintenance_requirement: b.maintenance_requirement,
            maintenance_excess: b.maintenance_excess,
            buying_power_percent_of_net_liq: (b.net_liquidating_value > 0.0)
                .then(|| (b.derivative_buying_power / b.net_liquidating_value * 10_000.0).round() / 100.0),
            day_trading_buying_power: b.day_trading_buying_power,
            cash_available_to_withdraw: b.cash_available_to_withdraw,
            pending_cash: b.pending_cash,
            as_of: b.as_of.to_string(),
            source: source.source,
            synthetic: source.synthetic,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{InstrumentType, occ_symbol};
    use crate::testing::{sample_app, sample_market, sample_now};

    /// A SPY option of the sample account that expired yesterday, sold at 2.00 and marked at
    /// `mark`.
    fn expired_spy(option_type: OptionType, strike: f64, quantity: f64, mark: f64) -> Position {
        let yesterday = new_york_date(sample_now()).add_days(-1);
        Position {
            account: sample_market().accounts[0].number.clone(),
            symbol: Symbol::parse(&occ_symbol("SPY", yesterday, option_type, strike)).unwrap(),
            instrument_type: InstrumentType::EquityOption,
            underlying: Symbol::parse("SPY").unwrap(),
            quantity,
            average_open_price: 2.0,
            close_price: Some(mark),
            mark: Some(mark),
            multiplier: 100.0,
            option_type: Some(option_type),
            strike: Some(strike),
            expiration: Some(yesterday),
            opened_at: None,
        }
    }

    /// The sample account's positions with `extra` added, as `get_positions` shows them.
    fn view_with(extra: Vec<Position>) -> PositionsView {
        let mut market = sample_market();
        market.positions.extend(extra);
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(sample_app(market).positions_view(None))
            .unwrap()
    }

    /// Options past their expiration that the broker still lists: the worthless one leaves the
    /// positions and the totals, the one in the money stays (its assignment pending), and both
    /// are listed with what the expiration left.
    #[test]
    fn options_past_expiration_are_told_apart_and_the_worthless_one_is_left_out() {
        // SPY trades near 590: a 100 put expired worthless, a 100 call deep in the money.
        let view = view_with(vec![
            expired_spy(OptionType::Put, 100.0, -2.0, 0.0),
            expired_spy(OptionType::Call, 100.0, -1.0, 400.0),
        ]);
        let before = sample_market().positions.len();
        assert_eq!(view.positions.len(), before + 1, "the worthless put is left out");
        assert_eq!(view.count, before + 1);
        assert!(view.positions.iter().any(|p| p.strike == Some(100.0)
            && p.option_type == Some(OptionType::Call)
            && p.dte == Some(-1)));
        assert_eq!(view.expired.len(), 2);
        let put = view
            .expired
            .iter()
            .find(|e| e.option_type == OptionType::Put)
            .unwrap();
        assert_eq!((put.in_the_money, put.counted), (Some(false), false));
        assert!(put.outcome.starts_with("expired worthless on"), "{}", put.outcome);
        let call = view
            .expired
            .iter()
            .find(|e| e.option_type == OptionType::Call)
            .unwrap();
        assert_eq!((call.in_the_money, call.counted), (Some(true), true));
        assert!(
            call.outcome
                .contains("100 shares sold (called away) at 100 by assignment"),
            "{}",
            call.outcome
        );
        assert!(call.underlying_price.is_some_and(|p| p > 100.0));
    }

    /// What an option past its expiration left is judged at the underlying's close on that day
    /// when the broker has the bar, not at its price since.
    #[test]
    fn an_option_past_expiration_is_judged_at_its_expiration_days_close() {
        let market = sample_market();
        let spy = Symbol::parse("SPY").unwrap();
        let yesterday = new_york_date(sample_now()).add_days(-1);
        let close = market
            .candles
            .iter()
            .find(|(s, t, _)| *s == spy && *t == Timeframe::Daily)
            .and_then(|(_, _, bars)| bars.iter().find(|b| b.time.date() == yesterday))
            .map(|b| b.close)
            .expect("the sample has yesterday's bar");
        let latest = market
            .quotes
            .iter()
            .find(|q| q.symbol == spy)
            .and_then(Quote::mark_price)
            .unwrap();
        assert!(
            (close - latest).abs() > 0.5,
            "the test needs the two apart: {close} {latest}"
        );
        // A strike between the two: in the money at the close, out of it at the latest price.
        let strike = ((close + latest) / 2.0).round();
        let option_type = if close < latest {
            OptionType::Put
        } else {
            OptionType::Call
        };
        let view = view_with(vec![expired_spy(option_type, strike, -1.0, 0.0)]);
        let expired = &view.expired[0];
        assert_eq!(expired.underlying_price, Some(close));
        assert!(expired.price_is_expiration_close);
        assert_eq!((expired.in_the_money, expired.counted), (Some(true), true));
        assert!(
            expired
                .outcome
                .contains(&format!("SPY closed at {close} that day")),
            "{}",
            expired.outcome
        );
        assert!(
            view.positions
                .iter()
                .any(|p| p.expiration.as_deref() == Some(&*yesterday.to_string()))
        );
    }

    #[test]
    fn what_an_option_in_the_money_does_to_shares() {
        assert_eq!(
            shares_moved(OptionType::Put, -2.0, 100.0, 555.0),
            "200 shares bought at 555 by assignment"
        );
        assert_eq!(
            shares_moved(OptionType::Call, -3.0, 100.0, 240.0),
            "300 shares sold (called away) at 240 by assignment"
        );
        assert_eq!(
            shares_moved(OptionType::Call, 1.0, 100.0, 50.5),
            "100 shares bought at 50.5 by exercise"
        );
        assert_eq!(
            shares_moved(OptionType::Put, 1.0, 100.0, 50.0),
            "100 shares sold at 50 by exercise"
        );
    }
}
