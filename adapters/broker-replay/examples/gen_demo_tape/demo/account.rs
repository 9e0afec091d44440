//! The synthetic account day by day: the opening deposit and stock purchase, dividends, expired
//! short options settled, a short option sold each month at a chain snapshot, and the positions,
//! balances and net liq at every close.

use ttai_core::domain::{
    AccountNumber, Balances, InstrumentType, NetLiqPoint, OptionChain, OptionType, Position, TradeAction,
    new_york_time, round_to,
};
use ttai_core::quant::bsm::{self, BsmInput};
use ttai_core::time::{Date, Timestamp};

use super::calendar::close_time;
use super::chains::{model_price, surface};
use super::ledger::{Booking, Dividend, Ledger, ShortOption, dividends, fees, option_words};
use super::market::{Day, SPECS, Series, Spec, sym};
use super::{ACCOUNT, Out, RATE};
use broker_replay::Op;

/// The account's stock: 300 AAPL and 100 QQQ (index into `SPECS`, shares).
const STOCK: [(usize, f64); 2] = [(2, 300.0), (1, 100.0)];

/// The opening deposit.
const DEPOSIT: f64 = 250_000.0;

/// The synthetic account as it stands after the days stepped so far.
pub(super) struct DemoAccount<'a> {
    series: &'a [Series],
    number: AccountNumber,
    cash: f64,
    /// What each holding of `STOCK` was bought at.
    stock_cost: [f64; 2],
    shorts: Vec<ShortOption>,
    ledger: Ledger,
    payouts: Vec<Dividend>,
    previous_net_liq: Option<f64>,
    /// When the stock was bought (the positions' open time).
    opened_at: Option<Timestamp>,
}

impl<'a> DemoAccount<'a> {
    /// The account before its first day: only the dividends it will be paid from `chain_start`.
    pub(super) fn new(series: &'a [Series], days: &[Date], chain_start: Date) -> DemoAccount<'a> {
        let number = AccountNumber::new(ACCOUNT);
        DemoAccount {
            series,
            number: number.clone(),
            cash: DEPOSIT,
            stock_cost: [0.0; 2],
            shorts: Vec::new(),
            ledger: Ledger {
                account: number,
                next_id: 300_000_001,
                transactions: Vec::new(),
            },
            payouts: dividends(series, days, chain_start),
            previous_net_liq: None,
            opened_at: None,
        }
    }

    fn day(&self, underlying: usize, i: usize) -> Option<&'a Day> {
        self.series.get(underlying).and_then(|x| x.days.get(i))
    }

    /// The first day: the deposit, then the stock bought at the close.
    pub(super) fn open(&mut self, i: usize, day: Date) {
        self.opened_at = Some(close_time(day));
        self.ledger.book(Booking {
            at: new_york_time(day, 9, 0),
            date: day,
            kind: "Money Movement",
            sub_type: "Deposit",
            description: "ACH DEPOSIT".into(),
            symbol: None,
            instrument_type: None,
            underlying: None,
            action: None,
            quantity: None,
            price: None,
            value: self.cash,
            commission: 0.0,
            fees: 0.0,
        });
        for (k, (s, qty)) in STOCK.iter().enumerate() {
            let price = self.day(*s, i).map_or(0.0, |d| d.candle.close);
            let Some(spec) = SPECS.get(*s) else { continue };
            self.cash += self.ledger.book(Booking {
                at: new_york_time(day, 15, 55),
                date: day,
                kind: "Trade",
                sub_type: "Buy to Open",
                description: format!("Bought {qty} {} @ {price:.2}", spec.symbol),
                symbol: Some(spec.symbol.to_owned()),
                instrument_type: Some(InstrumentType::Equity),
                underlying: Some(spec.symbol),
                action: Some(TradeAction::BuyToOpen),
                quantity: Some(*qty),
                price: Some(price),
                value: -price * qty,
                commission: 0.0,
                fees: fees::STOCK_CLEARING * qty,
            });
            if let Some(c) = self.stock_cost.get_mut(k) {
                *c = price;
            }
        }
    }

    /// Dividends paid today on the shares held since their ex-date.
    pub(super) fn collect_dividends(&mut self, day: Date) {
        for dividend in self.payouts.iter().filter(|p| p.pay == day) {
            let (Some(spec), Some((_, shares))) = (
                SPECS.get(dividend.underlying),
                STOCK.iter().find(|(s, _)| *s == dividend.underlying),
            ) else {
                continue;
            };
            self.cash += self.ledger.book(Booking {
                at: new_york_time(day, 8, 0),
                date: day,
                kind: "Money Movement",
                sub_type: "Dividend",
                description: format!(
                    "{} dividend {:.2} a share (ex {})",
                    spec.description, dividend.per_share, dividend.ex
                ),
                symbol: Some(spec.symbol.to_owned()),
                instrument_type: Some(InstrumentType::Equity),
                underlying: Some(spec.symbol),
                action: None,
                quantity: Some(*shares),
                price: Some(dividend.per_share),
                value: dividend.per_share * shares,
                commission: 0.0,
                fees: 0.0,
            });
        }
    }

    /// Settles short options that expired before `day` at intrinsic value (cash-settled in this
    /// synthetic account).
    pub(super) fn settle_expired(&mut self, day: Date) {
        let (series, ledger, cash) = (self.series, &mut self.ledger, &mut self.cash);
        self.shorts.retain(|o| {
            if o.expiration >= day {
                return true;
            }
            let settle_close = series
                .get(o.underlying)
                .and_then(|x| x.days.iter().rev().find(|d| d.date <= o.expiration))
                .map_or(0.0, |d| d.candle.close);
            let intrinsic = match o.option_type {
                OptionType::Call => (settle_close - o.strike).max(0.0),
                OptionType::Put => (o.strike - settle_close).max(0.0),
            };
            let root = SPECS.get(o.underlying).map_or("", |spec| spec.symbol);
            let words = option_words(root, o.expiration, o.option_type, o.strike);
            let (sub_type, why) = if intrinsic > 0.0 {
                ("Cash Settled Assignment", "cash settled assignment")
            } else {
                ("Expiration", "expiration")
            };
            *cash += ledger.book(Booking {
                at: new_york_time(o.expiration, 18, 0),
                date: o.expiration,
                kind: "Receive Deliver",
                sub_type,
                description: format!("Removal of {:.1} {words} due to {why}.", o.quantity.abs()),
                symbol: Some(o.symbol.clone()),
                instrument_type: Some(InstrumentType::EquityOption),
                underlying: Some(root),
                action: Some(if o.quantity < 0.0 {
                    TradeAction::BuyToClose
                } else {
                    TradeAction::SellToClose
                }),
                quantity: Some(o.quantity.abs()),
                price: Some(round_to(intrinsic, 2)),
                value: intrinsic * o.quantity * 100.0,
                commission: 0.0,
                fees: 0.0,
            });
            false
        });
    }

    /// At a chain snapshot of underlying `s`: sells a ~0.25-delta SPY put or ~0.20-delta AAPL
    /// calls (covered) when none is open, at the expiration nearest 40 days, at the mid.
    pub(super) fn sell_monthly(&mut self, s: usize, spec: &Spec, chain: &OptionChain, d: &Day, day: Date) {
        let wants = match spec.symbol {
            "SPY" => Some((OptionType::Put, 0.25, 1.0)),
            "AAPL" => Some((OptionType::Call, 0.20, 3.0)),
            _ => None,
        };
        let Some((option_type, target, qty)) = wants else {
            return;
        };
        if self.shorts.iter().any(|o| o.underlying == s) {
            return;
        }
        let Some((strike, symbol, mid, expiration)) = nearest_delta(spec, chain, d, day, option_type, target)
        else {
            return;
        };
        self.cash += self.ledger.book(Booking {
            at: new_york_time(day, 15, 50),
            date: day,
            kind: "Trade",
            sub_type: "Sell to Open",
            description: format!(
                "Sold {qty} {} @ {mid:.2}",
                option_words(spec.symbol, expiration, option_type, strike)
            ),
            symbol: Some(symbol.clone()),
            instrument_type: Some(InstrumentType::EquityOption),
            underlying: Some(spec.symbol),
            action: Some(TradeAction::SellToOpen),
            quantity: Some(qty),
            price: Some(mid),
            value: mid * qty * 100.0,
            commission: (fees::OPTION_COMMISSION * qty).min(fees::OPTION_COMMISSION_CAP),
            fees: fees::OPTION_FEES * qty,
        });
        self.shorts.push(ShortOption {
            symbol,
            underlying: s,
            option_type,
            strike,
            expiration,
            quantity: -qty,
            open_price: mid,
            opened: day,
        });
    }

    /// Positions, balances and the day's net liq at the close of day `i`.
    pub(super) fn push_close(&mut self, out: &mut Out, i: usize, day: Date, at: Timestamp) {
        let mut positions = Vec::new();
        let stock_value = self.stock_positions(i, &mut positions);
        let (option_value, option_requirement) = self.option_positions(i, day, &mut positions);
        let net_liq = round_to(self.cash + stock_value + option_value, 2);
        let maintenance = round_to(stock_value * 0.25 + option_requirement * 0.2, 2);
        // A margin account: option buying power is what the maintenance requirement leaves of net
        // liq (TastyTrade's derivative buying power), so net liq minus it is the requirement in use.
        let derivative_bp = round_to((net_liq - maintenance).max(0.0), 2);
        let balances = Balances {
            account: self.number.clone(),
            net_liquidating_value: net_liq,
            cash_balance: round_to(self.cash, 2),
            equity_buying_power: round_to(((net_liq - maintenance) * 2.0).max(0.0), 2),
            derivative_buying_power: derivative_bp,
            maintenance_requirement: maintenance,
            maintenance_excess: Some(round_to(net_liq - maintenance, 2)),
            day_trading_buying_power: None,
            cash_available_to_withdraw: Some(round_to((self.cash - option_requirement).max(0.0), 2)),
            pending_cash: None,
            as_of: at,
        };
        out.push(at, Op::Positions, ACCOUNT, &positions);
        out.push(at, Op::Balances, ACCOUNT, &balances);
        // The day's net liq: from the previous close to this one.
        let open = self.previous_net_liq.unwrap_or(net_liq);
        let point = NetLiqPoint {
            time: at,
            open,
            high: open.max(net_liq),
            low: open.min(net_liq),
            close: net_liq,
            pending_cash: 0.0,
        };
        out.push(at, Op::NetLiq, ACCOUNT, &vec![point]);
        self.previous_net_liq = Some(net_liq);
    }

    /// The stock positions at the close of day `i`; returns their value.
    fn stock_positions(&self, i: usize, positions: &mut Vec<Position>) -> f64 {
        let mut stock_value = 0.0;
        for (k, (s, qty)) in STOCK.iter().enumerate() {
            let Some(d) = self.day(*s, i) else {
                continue;
            };
            let Some(spec) = SPECS.get(*s) else { continue };
            stock_value += d.candle.close * qty;
            positions.push(Position {
                account: self.number.clone(),
                symbol: sym(spec.symbol),
                instrument_type: InstrumentType::Equity,
                underlying: sym(spec.symbol),
                quantity: *qty,
                average_open_price: self.stock_cost.get(k).copied().unwrap_or(0.0),
                close_price: Some(d.prev_close),
                mark: Some(d.candle.close),
                multiplier: 1.0,
                option_type: None,
                strike: None,
                expiration: None,
                opened_at: self.opened_at,
            });
        }
        stock_value
    }

    /// The short option positions at the close of day `i`, marked by the model; returns their
    /// value and the cash-secured puts' requirement.
    fn option_positions(&self, i: usize, day: Date, positions: &mut Vec<Position>) -> (f64, f64) {
        let mut option_value = 0.0;
        let mut option_requirement = 0.0;
        for o in &self.shorts {
            let (Some(d), Some(spec)) = (self.day(o.underlying, i), SPECS.get(o.underlying)) else {
                continue;
            };
            let t = f64::from(day.days_until(o.expiration)) / 365.0;
            let earnings_inside = self
                .series
                .get(o.underlying)
                .and_then(|x| x.earnings.iter().find(|e| **e >= day))
                .is_some_and(|e| *e < o.expiration);
            let vol = surface(
                spec,
                d.iv30,
                d.candle.close,
                o.strike,
                t.max(1.0 / 365.0),
                earnings_inside,
            );
            let mark = round_to(
                model_price(
                    o.option_type,
                    d.candle.close,
                    o.strike,
                    t.max(0.0),
                    vol,
                    spec.div_yield,
                ),
                2,
            );
            let prev = round_to(
                model_price(
                    o.option_type,
                    d.prev_close,
                    o.strike,
                    t + 1.0 / 365.0,
                    vol,
                    spec.div_yield,
                ),
                2,
            );
            option_value += mark * o.quantity * 100.0;
            if o.option_type == OptionType::Put {
                option_requirement += o.strike * 100.0 * o.quantity.abs();
            }
            positions.push(Position {
                account: self.number.clone(),
                symbol: sym(&o.symbol),
                instrument_type: InstrumentType::EquityOption,
                underlying: sym(spec.symbol),
                quantity: o.quantity,
                average_open_price: o.open_price,
                close_price: Some(prev),
                mark: Some(mark),
                multiplier: 100.0,
                option_type: Some(o.option_type),
                strike: Some(o.strike),
                expiration: Some(o.expiration),
                opened_at: Some(close_time(o.opened)),
            });
        }
        (option_value, option_requirement)
    }

    /// Each transaction on the tape when it happened.
    pub(super) fn push_transactions(&self, out: &mut Out) {
        for transaction in &self.ledger.transactions {
            out.push(
                transaction.executed_at,
                Op::Transactions,
                ACCOUNT,
                &vec![transaction.clone()],
            );
        }
    }
}

/// The contract of the expiration nearest 40 days whose |delta| (at its mid's implied
/// volatility) is nearest `target`: strike, symbol, mid, expiration.
fn nearest_delta(
    spec: &Spec,
    chain: &OptionChain,
    d: &Day,
    day: Date,
    option_type: OptionType,
    target: f64,
) -> Option<(f64, String, f64, Date)> {
    let expiration = chain
        .expirations
        .iter()
        .min_by_key(|e| (day.days_until(e.date) - 40).abs())?;
    let t = f64::from(day.days_until(expiration.date)) / 365.0;
    expiration
        .strikes
        .iter()
        .filter_map(|row| {
            let c = row.side(option_type)?;
            let mid = c.mid()?;
            let iv = bsm::implied_volatility(
                option_type,
                d.candle.close,
                row.strike,
                t,
                RATE,
                spec.div_yield,
                mid,
            )?;
            let g = bsm::greeks(&BsmInput {
                option_type,
                spot: d.candle.close,
                strike: row.strike,
                t,
                vol: iv,
                rate: RATE,
                div: spec.div_yield,
            })
            .ok()?;
            Some((
                (g.delta.abs() - target).abs(),
                row.strike,
                c.symbol.clone(),
                mid,
                expiration.date,
            ))
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, strike, symbol, mid, date)| (strike, symbol, mid, date))
}
