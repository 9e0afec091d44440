//! Strategies recognised from the legs of one underlying.
//!
//! The legs of an underlying are matched against the structures traders name, largest first:
//! iron condors and butterflies (four legs), stock with options (collar, covered call,
//! protective put), verticals, straddles and strangles, calendars and diagonals, then single
//! options and plain stock. A leg can be split between structures (three short puts and one long
//! put are one vertical and two short puts); a structure takes the same number of contracts on
//! each of its option legs and `multiplier` shares per covered contract.

use serde::Serialize;

use super::model::LegKind;
use crate::domain::OptionType;
use crate::time::Date;

/// A strategy recognised from legs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Shares (or another instrument priced one for one) held long.
    LongStock,
    /// Shares sold short.
    ShortStock,
    /// Long shares with short calls against them.
    CoveredCall,
    /// Long shares, a short call and a long put of the same expiration.
    Collar,
    /// Long shares with long puts.
    ProtectivePut,
    /// A short put (cash-secured or naked).
    ShortPut,
    /// A short call without shares to cover it.
    ShortCall,
    /// A long put.
    LongPut,
    /// A long call.
    LongCall,
    /// Short put above a long put, same expiration (credit).
    BullPutSpread,
    /// Short call below a long call, same expiration (credit).
    BearCallSpread,
    /// Long call below a short call, same expiration (debit).
    BullCallSpread,
    /// Long put above a short put, same expiration (debit).
    BearPutSpread,
    /// Short put and short call at different strikes, same expiration.
    ShortStrangle,
    /// Long put and long call at different strikes, same expiration.
    LongStrangle,
    /// Short put and short call at one strike, same expiration.
    ShortStraddle,
    /// Long put and long call at one strike, same expiration.
    LongStraddle,
    /// A bull put spread and a bear call spread, same expiration.
    IronCondor,
    /// An iron condor whose short put and short call share a strike.
    IronButterfly,
    /// The same strike and type, one short and one long, different expirations.
    CalendarSpread,
    /// Different strikes and expirations, same type, one short and one long.
    DiagonalSpread,
}

impl Strategy {
    /// Every strategy, for schemas and tests.
    pub const ALL: [Strategy; 21] = [
        Strategy::LongStock,
        Strategy::ShortStock,
        Strategy::CoveredCall,
        Strategy::Collar,
        Strategy::ProtectivePut,
        Strategy::ShortPut,
        Strategy::ShortCall,
        Strategy::LongPut,
        Strategy::LongCall,
        Strategy::BullPutSpread,
        Strategy::BearCallSpread,
        Strategy::BullCallSpread,
        Strategy::BearPutSpread,
        Strategy::ShortStrangle,
        Strategy::LongStrangle,
        Strategy::ShortStraddle,
        Strategy::LongStraddle,
        Strategy::IronCondor,
        Strategy::IronButterfly,
        Strategy::CalendarSpread,
        Strategy::DiagonalSpread,
    ];

    /// Words for a label: "covered call".
    pub fn words(self) -> &'static str {
        match self {
            Strategy::LongStock => "long stock",
            Strategy::ShortStock => "short stock",
            Strategy::CoveredCall => "covered call",
            Strategy::Collar => "collar",
            Strategy::ProtectivePut => "protective put",
            Strategy::ShortPut => "short put",
            Strategy::ShortCall => "short call",
            Strategy::LongPut => "long put",
            Strategy::LongCall => "long call",
            Strategy::BullPutSpread => "bull put spread",
            Strategy::BearCallSpread => "bear call spread",
            Strategy::BullCallSpread => "bull call spread",
            Strategy::BearPutSpread => "bear put spread",
            Strategy::ShortStrangle => "short strangle",
            Strategy::LongStrangle => "long strangle",
            Strategy::ShortStraddle => "short straddle",
            Strategy::LongStraddle => "long straddle",
            Strategy::IronCondor => "iron condor",
            Strategy::IronButterfly => "iron butterfly",
            Strategy::CalendarSpread => "calendar spread",
            Strategy::DiagonalSpread => "diagonal spread",
        }
    }

    /// True when the loss is capped by long legs (or limited to the premium paid).
    pub fn defined_risk(self) -> bool {
        !matches!(
            self,
            Strategy::LongStock
                | Strategy::ShortStock
                | Strategy::CoveredCall
                | Strategy::ShortPut
                | Strategy::ShortCall
                | Strategy::ShortStrangle
                | Strategy::ShortStraddle
        )
    }
}

/// What recognition needs of a leg.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LegShape {
    /// Stock-like or an option.
    pub kind: LegKind,
    /// Signed quantity: shares or contracts.
    pub quantity: f64,
    /// Shares per contract (1 for stock).
    pub multiplier: f64,
}

/// A recognised structure: its strategy and the part of each leg it holds.
#[derive(Clone, Debug, PartialEq)]
pub struct Recognised {
    /// The strategy.
    pub strategy: Strategy,
    /// (index of the leg, signed quantity taken from it), in the structure's order.
    pub slices: Vec<(usize, f64)>,
}

/// Quantities below this are nothing (fractional shares exist; floating sums leave dust).
const EPS: f64 = 1e-9;

/// An option's fields, when the leg is one.
#[derive(Clone, Copy, Debug)]
struct Opt {
    index: usize,
    option_type: OptionType,
    strike: f64,
    expiration: Date,
    multiplier: f64,
}

/// The legs with what is left of each.
struct Pool<'a> {
    legs: &'a [LegShape],
    left: Vec<f64>,
}

impl Pool<'_> {
    fn left(&self, index: usize) -> f64 {
        self.left.get(index).copied().unwrap_or(0.0)
    }

    /// Options with quantity left whose sign is `short` (true: negative).
    fn options(&self, short: bool) -> Vec<Opt> {
        let mut out: Vec<Opt> = self
            .legs
            .iter()
            .enumerate()
            .filter_map(|(index, leg)| match leg.kind {
                LegKind::Option {
                    option_type,
                    strike,
                    expiration,
                } => {
                    let left = self.left(index);
                    let keep = if short { left < -EPS } else { left > EPS };
                    keep.then_some(Opt {
                        index,
                        option_type,
                        strike,
                        expiration,
                        multiplier: leg.multiplier,
                    })
                }
                LegKind::Linear => None,
            })
            .collect();
        out.sort_by(|a, b| {
            a.expiration
                .cmp(&b.expiration)
                .then(a.strike.total_cmp(&b.strike))
                .then(a.index.cmp(&b.index))
        });
        out
    }

    /// Long stock-like legs with at least `shares` left, largest first.
    fn long_stock(&self, shares: f64) -> Option<usize> {
        self.legs
            .iter()
            .enumerate()
            .filter(|(i, leg)| leg.kind == LegKind::Linear && self.left(*i) >= shares - EPS)
            .max_by(|a, b| self.left(a.0).total_cmp(&self.left(b.0)))
            .map(|(i, _)| i)
    }

    /// Contracts (or shares) left on a leg, unsigned.
    fn size(&self, index: usize) -> f64 {
        self.left(index).abs()
    }

    /// Takes `amount` (unsigned) from a leg; returns the signed slice.
    fn take(&mut self, index: usize, amount: f64) -> (usize, f64) {
        let Some(left) = self.left.get_mut(index) else {
            return (index, 0.0);
        };
        let signed = amount.copysign(*left);
        *left -= signed;
        if left.abs() < EPS {
            *left = 0.0;
        }
        (index, signed)
    }
}

/// Recognises the structures in the legs of one underlying; every leg's quantity ends up in
/// exactly one structure.
pub fn recognise(legs: &[LegShape]) -> Vec<Recognised> {
    let mut pool = Pool {
        legs,
        left: legs.iter().map(|l| l.quantity).collect(),
    };
    let mut out = Vec::new();
    while let Some(found) = iron(&mut pool) {
        out.push(found);
    }
    while let Some(found) = with_stock(&mut pool) {
        out.push(found);
    }
    while let Some(found) = vertical(&mut pool) {
        out.push(found);
    }
    while let Some(found) = straddle_or_strangle(&mut pool) {
        out.push(found);
    }
    while let Some(found) = calendar(&mut pool) {
        out.push(found);
    }
    // Whatever is left stands alone.
    for (index, leg) in legs.iter().enumerate() {
        let left = pool.left(index);
        if left.abs() < EPS {
            continue;
        }
        let strategy = match (leg.kind, left < 0.0) {
            (LegKind::Linear, false) => Strategy::LongStock,
            (LegKind::Linear, true) => Strategy::ShortStock,
            (LegKind::Option { option_type, .. }, short) => match (option_type, short) {
                (OptionType::Put, true) => Strategy::ShortPut,
                (OptionType::Call, true) => Strategy::ShortCall,
                (OptionType::Put, false) => Strategy::LongPut,
                (OptionType::Call, false) => Strategy::LongCall,
            },
        };
        out.push(Recognised {
            strategy,
            slices: vec![(index, left)],
        });
    }
    out
}

/// The number of contracts a structure of `legs` can take: the smallest size left.
fn common(pool: &Pool<'_>, legs: &[usize]) -> f64 {
    legs.iter()
        .map(|i| pool.size(*i))
        .fold(f64::INFINITY, f64::min)
        .floor()
}

fn build(pool: &mut Pool<'_>, strategy: Strategy, legs: &[usize], n: f64) -> Option<Recognised> {
    (n >= 1.0).then(|| Recognised {
        strategy,
        slices: legs.iter().map(|i| pool.take(*i, n)).collect(),
    })
}

/// Iron condor or butterfly: long put < short put ≤ short call < long call, one expiration.
fn iron(pool: &mut Pool<'_>) -> Option<Recognised> {
    let shorts = pool.options(true);
    let longs = pool.options(false);
    for sp in shorts.iter().filter(|o| o.option_type == OptionType::Put).rev() {
        let same = |o: &&Opt| o.expiration == sp.expiration && o.multiplier == sp.multiplier;
        let lp = longs
            .iter()
            .filter(same)
            .filter(|o| o.option_type == OptionType::Put && o.strike < sp.strike)
            .max_by(|a, b| a.strike.total_cmp(&b.strike));
        let sc = shorts
            .iter()
            .filter(same)
            .find(|o| o.option_type == OptionType::Call && o.strike >= sp.strike);
        let (Some(lp), Some(sc)) = (lp, sc) else { continue };
        let lc = longs
            .iter()
            .filter(same)
            .find(|o| o.option_type == OptionType::Call && o.strike > sc.strike);
        let Some(lc) = lc else { continue };
        let legs = [lp.index, sp.index, sc.index, lc.index];
        let strategy = if (sp.strike - sc.strike).abs() < EPS {
            Strategy::IronButterfly
        } else {
            Strategy::IronCondor
        };
        let n = common(pool, &legs);
        return build(pool, strategy, &legs, n);
    }
    None
}

/// Collar, covered call or protective put: long shares with short calls and/or long puts.
fn with_stock(pool: &mut Pool<'_>) -> Option<Recognised> {
    let shorts = pool.options(true);
    let longs = pool.options(false);
    for sc in shorts.iter().filter(|o| o.option_type == OptionType::Call) {
        let Some(stock) = pool.long_stock(sc.multiplier) else {
            continue;
        };
        let covered = (pool.size(stock) / sc.multiplier + EPS).floor();
        let put = longs.iter().find(|o| {
            o.option_type == OptionType::Put && o.expiration == sc.expiration && o.multiplier == sc.multiplier
        });
        if let Some(lp) = put {
            let n = common(pool, &[sc.index, lp.index]).min(covered);
            if n >= 1.0 {
                let stock_slice = pool.take(stock, n * sc.multiplier);
                let mut found = build(pool, Strategy::Collar, &[sc.index, lp.index], n)?;
                found.slices.insert(0, stock_slice);
                return Some(found);
            }
        }
        let n = common(pool, &[sc.index]).min(covered);
        if n >= 1.0 {
            let stock_slice = pool.take(stock, n * sc.multiplier);
            let mut found = build(pool, Strategy::CoveredCall, &[sc.index], n)?;
            found.slices.insert(0, stock_slice);
            return Some(found);
        }
    }
    for lp in longs.iter().filter(|o| o.option_type == OptionType::Put) {
        let Some(stock) = pool.long_stock(lp.multiplier) else {
            continue;
        };
        let covered = (pool.size(stock) / lp.multiplier + EPS).floor();
        let n = common(pool, &[lp.index]).min(covered);
        if n >= 1.0 {
            let stock_slice = pool.take(stock, n * lp.multiplier);
            let mut found = build(pool, Strategy::ProtectivePut, &[lp.index], n)?;
            found.slices.insert(0, stock_slice);
            return Some(found);
        }
    }
    None
}

/// The first short option with a long option of the same type to pair with: in the same
/// expiration at another strike (`same_expiration`, a vertical) or in another expiration (a
/// calendar or diagonal); the long one nearest in strike.
fn short_long_pair(pool: &Pool<'_>, same_expiration: bool) -> Option<(Opt, Opt)> {
    let longs = pool.options(false);
    pool.options(true).into_iter().find_map(|short| {
        longs
            .iter()
            .filter(|o| {
                o.option_type == short.option_type
                    && o.multiplier == short.multiplier
                    && if same_expiration {
                        o.expiration == short.expiration && (o.strike - short.strike).abs() > EPS
                    } else {
                        o.expiration != short.expiration
                    }
            })
            .min_by(|a, b| {
                (a.strike - short.strike)
                    .abs()
                    .total_cmp(&(b.strike - short.strike).abs())
            })
            .map(|long| (short, *long))
    })
}

/// A short and a long option of one type and expiration at different strikes.
fn vertical(pool: &mut Pool<'_>) -> Option<Recognised> {
    let (short, long) = short_long_pair(pool, true)?;
    let strategy = match (short.option_type, short.strike > long.strike) {
        (OptionType::Put, true) => Strategy::BullPutSpread,
        (OptionType::Put, false) => Strategy::BearPutSpread,
        (OptionType::Call, true) => Strategy::BullCallSpread,
        (OptionType::Call, false) => Strategy::BearCallSpread,
    };
    // Long leg first for debit spreads, short leg first for credit spreads: the order a trader
    // reads them in.
    let legs = if matches!(strategy, Strategy::BullPutSpread | Strategy::BearCallSpread) {
        [short.index, long.index]
    } else {
        [long.index, short.index]
    };
    let n = common(pool, &legs);
    build(pool, strategy, &legs, n)
}

/// A put and a call of one expiration and the same sign: a straddle at one strike, else a
/// strangle (nearest strikes first).
fn straddle_or_strangle(pool: &mut Pool<'_>) -> Option<Recognised> {
    for short in [true, false] {
        let options = pool.options(short);
        let puts = options.iter().filter(|o| o.option_type == OptionType::Put);
        let mut best: Option<(f64, Opt, Opt)> = None;
        for put in puts {
            for call in options.iter().filter(|o| {
                o.option_type == OptionType::Call
                    && o.expiration == put.expiration
                    && o.multiplier == put.multiplier
            }) {
                let gap = (call.strike - put.strike).abs();
                if best.as_ref().is_none_or(|(g, _, _)| gap < *g) {
                    best = Some((gap, *put, *call));
                }
            }
        }
        if let Some((gap, put, call)) = best {
            let strategy = match (short, gap < EPS) {
                (true, true) => Strategy::ShortStraddle,
                (true, false) => Strategy::ShortStrangle,
                (false, true) => Strategy::LongStraddle,
                (false, false) => Strategy::LongStrangle,
            };
            let legs = [put.index, call.index];
            let n = common(pool, &legs);
            return build(pool, strategy, &legs, n);
        }
    }
    None
}

/// A short and a long option of one type at different expirations.
fn calendar(pool: &mut Pool<'_>) -> Option<Recognised> {
    let (short, long) = short_long_pair(pool, false)?;
    let strategy = if (long.strike - short.strike).abs() < EPS {
        Strategy::CalendarSpread
    } else {
        Strategy::DiagonalSpread
    };
    let legs = [short.index, long.index];
    let n = common(pool, &legs);
    build(pool, strategy, &legs, n)
}
