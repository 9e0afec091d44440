//! The paper book's accounting, without I/O: fills at the limit, position changes with their
//! average prices, expirations settled at the underlying's close, and the book laid over the
//! broker's positions.

use ttai_core::domain::{
    AccountNumber, InstrumentType, Order, OrderFill, OrderRequest, OrderStatus, PaperBook, PaperEvent,
    Position, Symbol, order_fees, parse_occ, round_to,
};
use ttai_core::time::{Date, Timestamp};

/// Quantities below this are nothing.
const EPS: f64 = 1e-9;

/// A two-sided market.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Market {
    pub(crate) bid: f64,
    pub(crate) ask: f64,
}

impl Market {
    pub(crate) fn mid(self) -> f64 {
        (self.bid + self.ask) / 2.0
    }
}

/// Adds `delta` (signed) of `symbol` at `price` to the book's positions: the average price of a
/// position that grows is the weighted one, of one that shrinks it stays, of one that turns over
/// it is `price`; a position that reaches zero is removed.
pub(crate) fn add_position(book: &mut PaperBook, template: Position, delta: f64, price: f64, at: Timestamp) {
    match book.positions.iter().position(|p| p.symbol == template.symbol) {
        Some(index) => {
            let Some(p) = book.positions.get_mut(index) else {
                return;
            };
            let new = p.quantity + delta;
            if p.quantity.abs() < EPS || p.quantity.signum() == delta.signum() {
                let total = p.quantity.abs() + delta.abs();
                if total > EPS {
                    p.average_open_price =
                        (p.quantity.abs() * p.average_open_price + delta.abs() * price) / total;
                }
            } else if new.abs() > EPS && new.signum() != p.quantity.signum() {
                p.average_open_price = price;
                p.opened_at = Some(at);
            }
            p.quantity = new;
            if new.abs() < EPS {
                book.positions.remove(index);
            }
        }
        None if delta.abs() > EPS => book.positions.push(Position {
            quantity: delta,
            average_open_price: price,
            opened_at: Some(at),
            ..template
        }),
        None => {}
    }
}

/// A position template for an order leg's symbol (option fields from the OCC symbol).
pub(crate) fn leg_position(
    account: &AccountNumber,
    underlying: &Symbol,
    symbol: &Symbol,
    kind: InstrumentType,
) -> Position {
    let occ = parse_occ(symbol.as_str());
    Position {
        account: account.clone(),
        symbol: symbol.clone(),
        instrument_type: kind,
        underlying: underlying.clone(),
        quantity: 0.0,
        average_open_price: 0.0,
        close_price: None,
        mark: None,
        multiplier: if kind == InstrumentType::EquityOption {
            100.0
        } else {
            1.0
        },
        option_type: occ.as_ref().map(|p| p.option_type),
        strike: occ.as_ref().map(|p| p.strike),
        expiration: occ.map(|p| p.expiration),
        opened_at: None,
    }
}

/// Shares of `underlying` as a position template.
fn stock_position(account: &AccountNumber, underlying: &Symbol) -> Position {
    leg_position(account, underlying, underlying, InstrumentType::Equity)
}

/// The order's net price per unit at the markets' mids (credit positive), when every leg has one.
pub(crate) fn net_mid(order: &OrderRequest, market_of: &dyn Fn(&str) -> Option<Market>) -> Option<f64> {
    let size = f64::from(order.size().max(1));
    order
        .legs
        .iter()
        .map(|l| {
            market_of(l.symbol.as_str()).map(|m| -l.action.sign() * m.mid() * f64::from(l.quantity) / size)
        })
        .sum()
}

/// Fills a working order at its limit when the markets' mid reaches it (a credit at least the
/// limit, a debit at most): the legs fill at their mids scaled to the limit; positions, cash,
/// fees and the events follow. True when it filled.
pub(crate) fn try_fill(
    book: &mut PaperBook,
    index: usize,
    market_of: &dyn Fn(&str) -> Option<Market>,
    now: Timestamp,
) -> bool {
    let Some(order) = book.orders.get(index) else {
        return false;
    };
    let Some(request) = order.request() else {
        return false;
    };
    let Some(mid) = net_mid(&request, market_of) else {
        return false;
    };
    let signed_limit = request.price_effect.sign() * request.price;
    if mid + 1e-9 < signed_limit {
        return false;
    }
    let scale = if mid.abs() > 1e-9 { signed_limit / mid } else { 1.0 };
    let fees = order_fees(&request);
    let cash = request.cash_at_limit() - fees.total_fees;
    let id = order.id.clone();
    let account = book.account.clone();
    let mut changes = Vec::new();
    for leg in &request.legs {
        let leg_mid = market_of(leg.symbol.as_str()).map_or(0.0, Market::mid);
        let price = round_to(
            if scale.is_finite() && scale > 0.0 {
                leg_mid * scale
            } else {
                leg_mid
            },
            4,
        );
        let delta = leg.action.sign() * f64::from(leg.quantity);
        changes.push((leg.clone(), delta, price));
    }
    for (leg, delta, price) in &changes {
        let template = leg_position(&account, &request.underlying, &leg.symbol, leg.instrument_type);
        add_position(book, template, *delta, *price, now);
    }
    if let Some(order) = book.orders.get_mut(index) {
        for (state, (_, _, price)) in order.legs.iter_mut().zip(&changes) {
            state.fills.push(OrderFill {
                quantity: state.quantity,
                price: *price,
                filled_at: now,
            });
            state.remaining_quantity = 0.0;
        }
        order.status = OrderStatus::Filled;
        order.updated_at = Some(now);
        order.terminal_at = Some(now);
        order.cancellable = false;
    }
    book.cash = round_to(book.cash + cash, 4);
    book.fees = round_to(book.fees + fees.total_fees, 4);
    book.events.push(PaperEvent {
        at: now,
        kind: "filled".to_owned(),
        order_id: id,
        symbol: request.legs.first().map(|l| l.symbol.to_string()),
        quantity: changes.first().map_or(0.0, |c| c.1),
        price: Some(request.price),
        cash: round_to(cash, 2),
        description: format!("filled at {:.2}: {}", request.price, request.describe()),
    });
    true
}

/// When a day order stops working: the close (16:00 New York) of the day it was received, or of
/// the next weekday when it came after that close.
pub(crate) fn day_order_end(received: Timestamp) -> Timestamp {
    let (date, _, _) = ttai_core::domain::new_york_clock(received);
    let close = ttai_core::app::expiry_instant(date);
    if received < close {
        return close;
    }
    let mut next = date.add_days(1);
    while next.is_weekend() {
        next = next.add_days(1);
    }
    ttai_core::app::expiry_instant(next)
}

/// Marks a working order expired (its time in force ran out).
pub(crate) fn expire_order(book: &mut PaperBook, index: usize, at: Timestamp) {
    let Some(order) = book.orders.get_mut(index) else {
        return;
    };
    order.status = OrderStatus::Expired;
    order.updated_at = Some(at);
    order.terminal_at = Some(at);
    order.cancellable = false;
    let id = order.id.clone();
    book.events.push(PaperEvent {
        at,
        kind: "order_expired".to_owned(),
        order_id: id,
        symbol: None,
        quantity: 0.0,
        price: None,
        cash: 0.0,
        description: "the day order expired unfilled at the close".to_owned(),
    });
}

/// Settles an expired option position of the book at the underlying's `close` on its
/// expiration: worthless out of the money; in the money (by $0.01 or more, the OCC's automatic
/// exercise threshold) shares change hands at the strike, or, for a cash-settled index, the
/// intrinsic value is paid.
pub(crate) fn settle(book: &mut PaperBook, symbol: &Symbol, close: f64, cash_settled: bool, at: Timestamp) {
    let Some(index) = book.positions.iter().position(|p| &p.symbol == symbol) else {
        return;
    };
    let position = book.positions.remove(index);
    let (Some(option_type), Some(strike), Some(expiration)) =
        (position.option_type, position.strike, position.expiration)
    else {
        return;
    };
    let quantity = position.quantity;
    let intrinsic = match option_type {
        ttai_core::domain::OptionType::Put => (strike - close).max(0.0),
        ttai_core::domain::OptionType::Call => (close - strike).max(0.0),
    };
    let side = if quantity < 0.0 { "short" } else { "long" };
    let what = format!(
        "{} {} {} {} {}",
        quantity.abs(),
        side,
        position.underlying,
        expiration,
        format_args!("{strike} {}", option_type.as_str())
    );
    let account = book.account.clone();
    if intrinsic < 0.01 {
        book.events.push(PaperEvent {
            at,
            kind: "expired_worthless".to_owned(),
            order_id: None,
            symbol: Some(symbol.to_string()),
            quantity: -quantity,
            price: Some(0.0),
            cash: 0.0,
            description: format!(
                "{what} expired worthless ({} closed at {close})",
                position.underlying
            ),
        });
        return;
    }
    if cash_settled {
        let cash = round_to(intrinsic * position.multiplier * quantity, 2);
        book.cash = round_to(book.cash + cash, 4);
        book.events.push(PaperEvent {
            at,
            kind: "cash_settled".to_owned(),
            order_id: None,
            symbol: Some(symbol.to_string()),
            quantity: -quantity,
            price: Some(intrinsic),
            cash,
            description: format!(
                "{what} cash-settled at {intrinsic:.2} ({} closed at {close})",
                position.underlying
            ),
        });
        return;
    }
    // Long calls and short puts take delivery; long puts and short calls deliver.
    let shares = position.multiplier
        * quantity
        * match option_type {
            ttai_core::domain::OptionType::Call => 1.0,
            ttai_core::domain::OptionType::Put => -1.0,
        };
    let cash = round_to(-shares * strike, 2);
    add_position(
        book,
        stock_position(&account, &position.underlying),
        shares,
        strike,
        at,
    );
    book.cash = round_to(book.cash + cash, 4);
    let kind = if quantity < 0.0 { "assigned" } else { "exercised" };
    book.events.push(PaperEvent {
        at,
        kind: kind.to_owned(),
        order_id: None,
        symbol: Some(symbol.to_string()),
        quantity: -quantity,
        price: Some(strike),
        cash,
        description: format!(
            "{what} {kind} ({} closed at {close}): {} {} shares at {strike}",
            position.underlying,
            if shares > 0.0 { "bought" } else { "sold" },
            shares.abs()
        ),
    });
}

/// The broker's positions with the book's laid over them, one per symbol.
pub(crate) fn merge(real: Vec<Position>, book: &PaperBook) -> Vec<Position> {
    let mut out = real;
    for paper in &book.positions {
        match out.iter().position(|p| p.symbol == paper.symbol) {
            Some(index) => {
                let Some(p) = out.get_mut(index) else { continue };
                let new = p.quantity + paper.quantity;
                if p.quantity.signum() == paper.quantity.signum() {
                    let total = p.quantity.abs() + paper.quantity.abs();
                    if total > EPS {
                        p.average_open_price = (p.quantity.abs() * p.average_open_price
                            + paper.quantity.abs() * paper.average_open_price)
                            / total;
                    }
                } else if new.abs() > EPS && new.signum() != p.quantity.signum() {
                    p.average_open_price = paper.average_open_price;
                }
                p.quantity = new;
                if new.abs() < EPS {
                    out.remove(index);
                }
            }
            None => out.push(paper.clone()),
        }
    }
    out
}

/// The next order id of the book.
pub(crate) fn next_id(book: &mut PaperBook) -> String {
    let id = format!("paper-{}", book.next_order);
    book.next_order += 1;
    id
}

/// Orders of the book received since `date`, newest first.
pub(crate) fn orders_since(book: &PaperBook, date: Date, limit: usize) -> Vec<Order> {
    let mut orders: Vec<Order> = book
        .orders
        .iter()
        .filter(|o| o.received_at.is_some_and(|t| t.date() >= date))
        .cloned()
        .collect();
    orders.sort_by_key(|o| std::cmp::Reverse(o.received_at));
    orders.truncate(limit);
    orders
}

#[cfg(test)]
mod tests {
    use super::*;
    use ttai_core::app::orders::simulate;

    fn account() -> AccountNumber {
        AccountNumber::new("5SYN0001")
    }

    fn sym(s: &str) -> Symbol {
        Symbol::parse(s).unwrap()
    }

    fn at(date: &str, hour: u32) -> Timestamp {
        date.parse::<Date>().unwrap().at_utc(hour, 0)
    }

    fn sell_put(price: f64) -> OrderRequest {
        ttai_core::testing::sell_to_open("SPY", "SPY   261218P00540000", 2, price)
    }

    fn book_with(order: &OrderRequest) -> PaperBook {
        let mut book = PaperBook::new(account(), at("2026-11-20", 15));
        let id = next_id(&mut book);
        book.orders.push(simulate::received(
            order,
            &account(),
            Some(id),
            at("2026-11-20", 15),
        ));
        book
    }

    #[test]
    fn a_limit_fills_only_when_the_mid_reaches_it_and_books_cash_and_fees() {
        let order = sell_put(6.30);
        let mut book = book_with(&order);
        let quote = |bid: f64, ask: f64| move |_: &str| Some(Market { bid, ask });
        // Mid 6.20 < 6.30: the seller waits.
        assert!(!try_fill(&mut book, 0, &quote(6.10, 6.30), at("2026-11-20", 15)));
        assert_eq!(book.orders[0].status, OrderStatus::Received);
        // Mid 6.35 ≥ 6.30: filled at the limit, two contracts: 1 260 − 2 × 1.13 fees.
        assert!(try_fill(&mut book, 0, &quote(6.30, 6.40), at("2026-11-23", 15)));
        assert_eq!(book.orders[0].status, OrderStatus::Filled);
        assert_eq!(book.orders[0].fill_price(), Some(6.3));
        assert_eq!(book.cash, 1257.74);
        assert_eq!(book.fees, 2.26);
        let p = &book.positions[0];
        assert_eq!(
            (p.quantity, p.average_open_price, p.strike),
            (-2.0, 6.3, Some(540.0))
        );
    }

    #[test]
    fn an_in_the_money_short_put_is_assigned_and_an_otm_one_expires() {
        let mut book = book_with(&sell_put(6.30));
        try_fill(
            &mut book,
            0,
            &|_| Some(Market { bid: 6.3, ask: 6.3 }),
            at("2026-11-20", 15),
        );
        let mut otm = book.clone();
        settle(
            &mut otm,
            &sym("SPY   261218P00540000"),
            541.0,
            false,
            at("2026-12-18", 21),
        );
        assert!(otm.positions.is_empty());
        assert_eq!(otm.cash, book.cash);
        assert_eq!(otm.events.last().unwrap().kind, "expired_worthless");
        // Closed at 530: 200 shares bought at 540 (108 000 out), the put is gone.
        settle(
            &mut book,
            &sym("SPY   261218P00540000"),
            530.0,
            false,
            at("2026-12-18", 21),
        );
        let shares = &book.positions[0];
        assert_eq!(
            (shares.symbol.as_str(), shares.quantity, shares.average_open_price),
            ("SPY", 200.0, 540.0)
        );
        assert_eq!(book.cash, 1257.74 - 108_000.0);
        assert_eq!(book.events.last().unwrap().kind, "assigned");
    }

    #[test]
    fn index_options_settle_in_cash() {
        let mut book = PaperBook::new(account(), at("2026-11-20", 15));
        let symbol = sym("SPXW  261218C05000000");
        add_position(
            &mut book,
            leg_position(&account(), &sym("SPX"), &symbol, InstrumentType::EquityOption),
            -1.0,
            20.0,
            at("2026-11-20", 15),
        );
        settle(&mut book, &symbol, 5012.5, true, at("2026-12-18", 21));
        assert_eq!(book.cash, -1250.0);
        assert!(book.positions.is_empty());
    }

    #[test]
    fn the_book_lays_over_the_brokers_positions() {
        let mut book = PaperBook::new(account(), at("2026-11-20", 15));
        let put = sym("SPY   261218P00540000");
        let template = leg_position(&account(), &sym("SPY"), &put, InstrumentType::EquityOption);
        // The broker holds −1 at 5.00; paper buys it back: nothing left.
        let real = vec![Position {
            quantity: -1.0,
            average_open_price: 5.0,
            ..template.clone()
        }];
        add_position(&mut book, template.clone(), 1.0, 3.0, at("2026-11-20", 15));
        assert!(merge(real.clone(), &book).is_empty());
        // Paper sells one more: −2 at the weighted 5.50.
        let mut more = PaperBook::new(account(), at("2026-11-20", 15));
        add_position(&mut more, template, -1.0, 6.0, at("2026-11-20", 15));
        let merged = merge(real, &more);
        assert_eq!((merged[0].quantity, merged[0].average_open_price), (-2.0, 5.5));
    }

    #[test]
    fn day_orders_end_at_the_close_or_the_next_weekdays() {
        // 15:00 UTC on Friday 2026-11-20 is 10:00 in New York: ends 16:00 New York (21:00 UTC).
        assert_eq!(day_order_end(at("2026-11-20", 15)), at("2026-11-20", 21));
        // After the close on Friday: Monday's close.
        assert_eq!(day_order_end(at("2026-11-20", 22)), at("2026-11-23", 21));
    }
}
