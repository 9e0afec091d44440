//! Minimum price increments of US equity options, and limit prices on them.
//!
//! The table (Cboe / OCC rules for listed equity options):
//!
//! | class | under $3 | from $3 |
//! |---|---|---|
//! | SPY, QQQ, IWM (penny at any price) | $0.01 | $0.01 |
//! | other Penny Interval Program classes ([`PENNY_PROGRAM`]) | $0.01 | $0.05 |
//! | every other class | $0.05 | $0.10 |
//!
//! [`PENNY_PROGRAM`] is a documented subset of the program (its most traded classes); the
//! program's full list changes twice a year. A class not listed is priced on the nickel/dime
//! grid, which is conservative: every nickel or dime is also a valid penny price, so a limit
//! from this table can always be entered, at worst a few cents from the finest possible one.
//!
//! Prices are handled in whole cents so that `7.225` does not become `7.2249999`.

use serde::Serialize;

/// Penny at every price.
pub const PENNY_ALL: &[&str] = &["IWM", "QQQ", "SPY"];

/// Penny Interval Program classes (other than [`PENNY_ALL`]) known to ttai, sorted.
pub const PENNY_PROGRAM: &[&str] = &[
    "AAL", "AAPL", "ABBV", "AMC", "AMD", "AMZN", "ARKK", "BA", "BABA", "BAC", "C", "CCL", "COIN", "CSCO",
    "CVX", "DAL", "DIA", "DIS", "EEM", "EFA", "F", "FXI", "GDX", "GLD", "GM", "GOOG", "GOOGL", "HYG", "INTC",
    "JPM", "KO", "KRE", "META", "MRNA", "MSFT", "MU", "NFLX", "NIO", "NVDA", "ORCL", "PFE", "PLTR", "PYPL",
    "SHOP", "SLV", "SMH", "SNAP", "SOFI", "T", "TLT", "TSLA", "UBER", "USO", "V", "WFC", "XLE", "XLF", "XLI",
    "XLK", "XLU", "XOM",
];

/// The tick class of an underlying's options.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TickClass {
    /// $0.01 at any price.
    PennyAll,
    /// $0.01 under $3, $0.05 from $3.
    Penny,
    /// $0.05 under $3, $0.10 from $3.
    Nickel,
}

impl TickClass {
    /// The class of `underlying`'s options.
    pub fn of(underlying: &str) -> TickClass {
        if PENNY_ALL.contains(&underlying) {
            TickClass::PennyAll
        } else if PENNY_PROGRAM.binary_search(&underlying).is_ok() {
            TickClass::Penny
        } else {
            TickClass::Nickel
        }
    }

    /// The increment, in cents, for an option priced at `cents`.
    pub fn tick_cents(self, cents: i64) -> i64 {
        match (self, cents < 300) {
            (TickClass::PennyAll, _) | (TickClass::Penny, true) => 1,
            (TickClass::Penny, false) | (TickClass::Nickel, true) => 5,
            (TickClass::Nickel, false) => 10,
        }
    }

    /// The increment, in dollars, for an option priced at `price`.
    pub fn tick(self, price: f64) -> f64 {
        self.tick_cents(to_cents_floor(price.abs())) as f64 / 100.0
    }

    /// `price` rounded down onto its tick (a seller's limit: a lower credit fills sooner).
    pub fn floor(self, price: f64) -> f64 {
        let cents = to_cents_floor(price);
        let tick = self.tick_cents(cents.abs());
        from_cents(cents.div_euclid(tick) * tick)
    }

    /// `price` rounded up onto its tick (a buyer's limit).
    pub fn ceil(self, price: f64) -> f64 {
        let cents = to_cents_ceil(price);
        let tick = self.tick_cents(cents.abs());
        let units = cents.div_euclid(tick) + i64::from(cents.rem_euclid(tick) != 0);
        let rounded = units * tick;
        // Crossing $3 upwards can land on a coarser grid; the next tick of that grid is valid.
        let coarse = self.tick_cents(rounded.abs());
        from_cents((rounded + coarse - 1).div_euclid(coarse) * coarse)
    }

    /// True when `price` is a whole number of ticks.
    pub fn on_tick(self, price: f64) -> bool {
        let exact = price * 100.0;
        let cents = exact.round();
        (exact - cents).abs() < 1e-6 && (cents as i64).rem_euclid(self.tick_cents((cents as i64).abs())) == 0
    }
}

/// Tolerance for binary fractions: 7.225 × 100 is 722.4999…, which is 722.5 cents.
const EPSILON_CENTS: f64 = 1e-6;

fn to_cents_floor(price: f64) -> i64 {
    if !price.is_finite() {
        return 0;
    }
    (price * 100.0 + EPSILON_CENTS).floor() as i64
}

fn to_cents_ceil(price: f64) -> i64 {
    if !price.is_finite() {
        return 0;
    }
    (price * 100.0 - EPSILON_CENTS).ceil() as i64
}

fn from_cents(cents: i64) -> f64 {
    cents as f64 / 100.0
}

/// How a credit trade is priced: the mid rounded toward a fill onto the tick, and the natural
/// price (what an immediate fill would collect) beside it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct LimitPrice {
    /// The limit to enter: the mid rounded down to the tick, never below the natural price.
    pub limit: f64,
    /// The exact mid (per share), before rounding.
    pub mid: f64,
    /// The natural price: bid of what is sold minus ask of what is bought.
    pub natural: f64,
    /// The tick the limit is on.
    pub tick: f64,
}

impl LimitPrice {
    /// Prices selling at `mid` whose natural is `natural` in `class`.
    pub fn credit(class: TickClass, mid: f64, natural: f64) -> LimitPrice {
        let floor = class.floor(mid);
        let natural_on_tick = class.ceil(natural);
        let limit = if natural_on_tick > floor && natural_on_tick <= mid + EPSILON_CENTS / 100.0 {
            natural_on_tick
        } else {
            floor
        };
        LimitPrice {
            limit,
            mid: (mid * 10_000.0).round() / 10_000.0,
            natural: (natural * 100.0).round() / 100.0,
            tick: class.tick(limit),
        }
    }

    /// Prices buying at `mid` (a net cost, positive) whose natural cost is `natural` (asks of
    /// what is bought less bids of what is sold) in `class`: the mid rounded up onto the tick,
    /// never above the natural cost.
    pub fn debit(class: TickClass, mid: f64, natural: f64) -> LimitPrice {
        let ceil = class.ceil(mid);
        let natural_on_tick = class.floor(natural);
        let limit = if natural_on_tick < ceil && natural_on_tick >= mid - EPSILON_CENTS / 100.0 {
            natural_on_tick
        } else {
            ceil
        };
        LimitPrice {
            limit,
            mid: (mid * 10_000.0).round() / 10_000.0,
            natural: (natural * 100.0).round() / 100.0,
            tick: class.tick(limit),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_gives_each_class_its_increments() {
        assert_eq!(TickClass::of("SPY"), TickClass::PennyAll);
        assert_eq!(TickClass::of("AAPL"), TickClass::Penny);
        assert_eq!(TickClass::of("ZZZZ"), TickClass::Nickel);
        // SPY at 7.22: a penny; AAPL at 2.99 a penny, at 3.00 a nickel; others 0.05 / 0.10.
        assert_eq!(TickClass::PennyAll.tick(7.22), 0.01);
        assert_eq!(TickClass::Penny.tick(2.99), 0.01);
        assert_eq!(TickClass::Penny.tick(3.0), 0.05);
        assert_eq!(TickClass::Nickel.tick(2.95), 0.05);
        assert_eq!(TickClass::Nickel.tick(3.0), 0.10);
        assert!(
            PENNY_PROGRAM.windows(2).all(|w| w[0] < w[1]),
            "sorted for binary search"
        );
    }

    #[test]
    fn half_cent_mids_round_toward_a_fill() {
        // SPY mid 7.225 (bid 7.05, ask 7.40): a seller's limit of 7.22, not the unenterable 7.225.
        let p = LimitPrice::credit(TickClass::PennyAll, 7.225, 7.05);
        assert_eq!((p.limit, p.natural, p.tick), (7.22, 7.05, 0.01));
        // AAPL mid 4.175: the nickel grid from $3 gives 4.15.
        assert_eq!(LimitPrice::credit(TickClass::Penny, 4.175, 4.10).limit, 4.15);
        // A dime name at 3.07 falls to 3.00, on both the dime and the nickel grid.
        assert_eq!(LimitPrice::credit(TickClass::Nickel, 3.07, 2.9).limit, 3.0);
        // A one-tick market: the mid 1.025 of 1.00 × 1.05 in a nickel class sells at the bid.
        assert_eq!(LimitPrice::credit(TickClass::Nickel, 1.025, 1.0).limit, 1.0);
        // 0.675 on the penny grid is 0.67.
        assert_eq!(TickClass::PennyAll.floor(0.675), 0.67);
        assert_eq!(TickClass::Penny.ceil(2.991), 3.0);
        assert_eq!(TickClass::Nickel.ceil(2.96), 3.0);
        assert_eq!(TickClass::Nickel.ceil(3.01), 3.1);
        // A buyer: SPY mid 2.225 (2.05 × 2.40) bids 2.23; a one-tick nickel market pays the ask.
        let p = LimitPrice::debit(TickClass::PennyAll, 2.225, 2.40);
        assert_eq!((p.limit, p.natural), (2.23, 2.4));
        assert_eq!(LimitPrice::debit(TickClass::Nickel, 1.025, 1.05).limit, 1.05);
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn no_limit_price_is_off_its_tick(
            bid_cents in 1i64..5_000,
            spread_cents in 0i64..200,
            half in any::<bool>(),
            class in prop_oneof![Just(TickClass::PennyAll), Just(TickClass::Penny), Just(TickClass::Nickel)],
        ) {
            let bid = bid_cents as f64 / 100.0;
            let ask = (bid_cents + spread_cents) as f64 / 100.0;
            // Mids of quotes, and of spreads (a half-cent off), as the analysis forms them.
            let mid = (bid + ask) / 2.0 + if half { 0.005 } else { 0.0 };
            let p = LimitPrice::credit(class, mid, bid);
            prop_assert!(class.on_tick(p.limit), "{} not on the {:?} tick", p.limit, class);
            prop_assert!(p.limit <= mid + 1e-9, "a seller's limit is never above the mid");
            prop_assert!(mid - p.limit < class.tick(mid) + 1e-9, "within one tick of the mid");
            prop_assert!(class.on_tick(class.ceil(mid)) && class.ceil(mid) >= mid - 1e-9);
            // A buyer's limit: on the tick, never below the mid, within a tick of it.
            let d = LimitPrice::debit(class, mid, ask);
            prop_assert!(class.on_tick(d.limit), "{} not on the {:?} tick", d.limit, class);
            prop_assert!(d.limit >= mid - 1e-9 && d.limit - mid < class.tick(d.limit) + 1e-9);
        }
    }
}
