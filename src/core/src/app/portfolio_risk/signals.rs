//! Management signals from the knowledge base's own rules, each with the numbers behind it:
//!
//! - take profit at 50 % of the maximum profit of a credit structure (`risk/managing-winners.md`);
//! - close or roll at 21 days to expiration when the target has not been reached (same document);
//! - a tested short strike: the underlying at or through the strike, or the short option's delta
//!   at 0.50 or more (0.30 or more: being tested) (`risk/defending-tested-sides.md`,
//!   `risk/rolling.md`);
//! - an ex-dividend date before a short call's expiration: early assignment when the call is in
//!   the money and its extrinsic value is below the dividend (`basics/assignment-and-exercise.md`);
//! - an earnings date before an option's expiration (`basics/implied-volatility.md`, "Earnings
//!   and IV crush");
//! - an option past its expiration that the broker still lists: the assignment or exercise
//!   pending when it finished in the money, and no other rule for it (it cannot be closed or
//!   rolled) (`basics/assignment-and-exercise.md`).

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::model::{LegKind, UnderlyingState};
use super::strategy::Strategy;
use crate::app::portfolio::Judged;
use crate::domain::{OptionType, round_to};
use crate::time::Date;

/// Take profit at this fraction of the maximum profit.
pub const TAKE_PROFIT_FRACTION: f64 = 0.50;
/// Close or roll at this many days to expiration.
pub const MANAGE_DTE: i32 = 21;
/// A short option with this |delta| or more is tested.
pub const TESTED_DELTA: f64 = 0.50;
/// A short option with this |delta| or more is being tested.
pub const APPROACHING_DELTA: f64 = 0.30;

/// Which rule a signal comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// 50 % of the maximum profit reached.
    TakeProfit,
    /// 21 days or fewer to expiration.
    #[serde(rename = "dte_21")]
    Dte21,
    /// A short strike tested (or being tested).
    TestedShortStrike,
    /// An ex-dividend date before a short call's expiration.
    ExDividend,
    /// An earnings report before expiration.
    Earnings,
    /// An option past its expiration that the broker still lists: its assignment or exercise
    /// is pending, and nothing is left to close or roll.
    Expired,
}

impl Rule {
    /// The knowledge document that states the rule.
    pub fn knowledge(self) -> &'static str {
        match self {
            Rule::TakeProfit | Rule::Dte21 => "knowledge://documents/risk/managing-winners.md",
            Rule::TestedShortStrike => "knowledge://documents/risk/defending-tested-sides.md",
            Rule::ExDividend | Rule::Expired => "knowledge://documents/basics/assignment-and-exercise.md",
            Rule::Earnings => "knowledge://documents/basics/implied-volatility.md",
        }
    }
}

/// How urgent a signal is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The rule says act now.
    Action,
    /// Watch closely.
    Warning,
    /// Worth knowing.
    Info,
}

/// One management signal.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Signal {
    /// The group (position) it concerns.
    pub group: String,
    /// The underlying.
    pub underlying: String,
    /// The group's strategy.
    pub strategy: Strategy,
    /// The leg it concerns, when it is about one leg.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    /// The rule.
    pub rule: Rule,
    /// How urgent.
    pub severity: Severity,
    /// What and why, with the numbers.
    pub message: String,
    /// The numbers behind it.
    pub numbers: Map<String, Value>,
    /// The knowledge document stating the rule (read it with resources/read).
    pub knowledge: &'static str,
}

/// A slice of a leg in a group, with what the rules look at.
#[derive(Clone, Debug, PartialEq)]
pub struct SliceFacts {
    /// Instrument symbol.
    pub symbol: String,
    /// Stock-like or option.
    pub kind: LegKind,
    /// Signed quantity of the slice.
    pub quantity: f64,
    /// Shares per contract.
    pub multiplier: f64,
    /// Mark per unit, when known.
    pub mark: Option<f64>,
    /// Average open price per unit.
    pub open_price: f64,
    /// Per-unit delta, when priced.
    pub delta: Option<f64>,
    /// Volatility used, when priced.
    pub vol: Option<f64>,
    /// Years to expiry.
    pub t: f64,
    /// Days to expiration (options).
    pub dte: Option<i32>,
    /// An option past 16:00 New York on its expiration date: it no longer trades, and the
    /// broker lists it until it processes expirations.
    pub expired: bool,
}

/// A group, with what the rules look at.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupFacts<'a> {
    /// Group id.
    pub id: &'a str,
    /// Its label.
    pub label: &'a str,
    /// The strategy.
    pub strategy: Strategy,
    /// The underlying's market.
    pub underlying: &'a UnderlyingState,
    /// The slices.
    pub slices: &'a [SliceFacts],
    /// The market's date.
    pub today: Date,
}

/// `$1,234.50` or `-$20.00`: dollars with thousands separated, to `decimals` places.
pub(crate) fn dollars(v: f64, decimals: usize) -> String {
    let text = format!("{:.decimals$}", v.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    let sign = if v < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    if fraction.is_empty() {
        format!("{sign}${grouped}")
    } else {
        format!("{sign}${grouped}.{fraction}")
    }
}

fn money(v: f64) -> String {
    dollars(v, 2)
}

fn percent(fraction: f64) -> String {
    format!("{:.0} %", fraction * 100.0)
}

fn numbers(pairs: &[(&str, Value)]) -> Map<String, Value> {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

struct Builder<'a, 'b> {
    group: &'b GroupFacts<'a>,
    out: Vec<Signal>,
}

impl Builder<'_, '_> {
    fn push(
        &mut self,
        symbol: Option<&str>,
        rule: Rule,
        severity: Severity,
        message: String,
        numbers: Map<String, Value>,
    ) {
        self.out.push(Signal {
            group: self.group.id.to_owned(),
            underlying: self.group.underlying.symbol.to_string(),
            strategy: self.group.strategy,
            symbol: symbol.map(str::to_owned),
            rule,
            severity,
            message,
            numbers,
            knowledge: rule.knowledge(),
        });
    }
}

/// The signals of one group.
pub fn signals(group: &GroupFacts<'_>) -> Vec<Signal> {
    let mut b = Builder {
        group,
        out: Vec::new(),
    };
    let spot = group.underlying.price;
    // Options past their expiration date (the broker lists them until it processes them): what
    // is pending; the rules that close or roll apply to the others only.
    for slice in group.slices.iter().filter(|s| s.expired) {
        let Some((option_type, strike, expiration)) = slice.kind.option() else {
            continue;
        };
        let leg = format!(
            "{} {expiration} {strike} {}",
            slice.quantity,
            option_type.as_str()
        );
        // Judged at the expiration day's close when the broker had it, else at the price now.
        let judged = group.underlying.judged_at(expiration);
        let in_the_money = option_type.in_the_money(strike, judged.map(|j| j.price));
        let (severity, what) = match (in_the_money, judged) {
            (
                Some(true),
                Some(Judged {
                    price: p,
                    at_expiration,
                }),
            ) => (
                Severity::Action,
                format!(
                    "expired in the money ({} {}): {} when the broker processes it",
                    group.underlying.symbol,
                    if at_expiration {
                        format!("closed at {p} that day")
                    } else {
                        format!("at {p}, the latest price")
                    },
                    crate::app::portfolio::shares_moved(
                        option_type,
                        slice.quantity,
                        slice.multiplier,
                        strike
                    )
                ),
            ),
            (Some(false), _) => (Severity::Info, "expired worthless".to_owned()),
            _ => (
                Severity::Warning,
                "whether it finished in the money is not known: watch for an assignment".to_owned(),
            ),
        };
        b.push(
            Some(&slice.symbol),
            Rule::Expired,
            severity,
            format!(
                "{}: the {leg} is past its expiration, still listed by the broker: {what}; nothing is left to close or roll",
                group.label
            ),
            numbers(&[
                ("days_past_expiration", json!(-slice.dte.unwrap_or_default().min(0))),
                ("in_the_money", in_the_money.map_or(Value::Null, Value::Bool)),
                ("underlying_price", judged.map_or(Value::Null, |j| json!(j.price))),
                (
                    "price_is_expiration_close",
                    judged.map_or(Value::Null, |j| Value::Bool(j.at_expiration)),
                ),
            ]),
        );
    }
    let options: Vec<&SliceFacts> = group
        .slices
        .iter()
        .filter(|s| s.kind.option().is_some() && !s.expired)
        .collect();
    if options.is_empty() {
        return b.out;
    }
    let shorts: Vec<&SliceFacts> = options.iter().copied().filter(|s| s.quantity < 0.0).collect();

    // Take profit / 21 DTE, for credit structures whose every option has a mark.
    let credit: f64 = options
        .iter()
        .map(|s| -s.quantity * s.open_price * s.multiplier)
        .sum();
    // What buying back (and selling out) the options costs now: positive for a net short.
    let to_close: Option<f64> = options
        .iter()
        .map(|s| s.mark.map(|m| -s.quantity * m * s.multiplier))
        .sum();
    let captured = match to_close {
        Some(to_close) if credit > 0.0 => Some((credit, to_close, (credit - to_close) / credit)),
        _ => None,
    };
    let mut took_profit = false;
    if let Some((credit, to_close, fraction)) = captured
        && fraction >= TAKE_PROFIT_FRACTION
    {
        took_profit = true;
        b.push(
            None,
            Rule::TakeProfit,
            Severity::Action,
            format!(
                "{}: {} of the {} credit captured ({} of {}); the rule takes profit at 50 % of the maximum: buying back costs {}",
                group.label,
                percent(fraction),
                money(credit),
                money(credit - to_close),
                money(credit),
                money(to_close),
            ),
            numbers(&[
                ("credit_received", json!(round_to(credit, 2))),
                ("cost_to_close", json!(round_to(to_close, 2))),
                ("profit", json!(round_to(credit - to_close, 2))),
                ("profit_captured_percent", json!(round_to(fraction * 100.0, 1))),
                ("target_percent", json!(TAKE_PROFIT_FRACTION * 100.0)),
            ]),
        );
    }
    let nearest_short_dte = shorts.iter().filter_map(|s| s.dte).filter(|d| *d >= 0).min();
    if let Some(dte) = nearest_short_dte
        && dte <= MANAGE_DTE
        && !took_profit
    {
        let captured_text = captured.map_or(String::new(), |(_, _, f)| {
            format!(" with {} of the maximum profit captured", percent(f))
        });
        let when = if dte == 0 {
            "expires today".to_owned()
        } else {
            format!("has {dte} days to expiration")
        };
        b.push(
            None,
            Rule::Dte21,
            Severity::Action,
            format!(
                "{}: the nearest short option {when}{captured_text}; the rule closes or rolls at {MANAGE_DTE} DTE, before gamma grows",
                group.label
            ),
            numbers(&[
                ("dte", json!(dte)),
                ("rule_dte", json!(MANAGE_DTE)),
                (
                    "profit_captured_percent",
                    captured.map_or(Value::Null, |(_, _, f)| json!(round_to(f * 100.0, 1))),
                ),
            ]),
        );
    }

    // Tested short strikes.
    if let Some(spot) = spot {
        for short in &shorts {
            let Some((option_type, strike, expiration)) = short.kind.option() else {
                continue;
            };
            let itm = match option_type {
                OptionType::Put => spot <= strike,
                OptionType::Call => spot >= strike,
            };
            let delta = short.delta.map(f64::abs);
            let severity = if itm || delta.is_some_and(|d| d >= TESTED_DELTA) {
                Severity::Action
            } else if delta.is_some_and(|d| d >= APPROACHING_DELTA) {
                Severity::Warning
            } else {
                continue;
            };
            let distance = match option_type {
                OptionType::Put => spot - strike,
                OptionType::Call => strike - spot,
            };
            let sigma = short.vol.map(|v| spot * v * short.t.sqrt()).filter(|s| *s > 0.0);
            let state = if itm {
                format!(
                    "{spot:.2} is through the {strike} {} strike",
                    option_type.as_str()
                )
            } else {
                format!(
                    "{spot:.2} is {:.2} ({:.1} %) from the {strike} {} strike",
                    distance,
                    distance / spot * 100.0,
                    option_type.as_str()
                )
            };
            let delta_text = delta.map_or(String::new(), |d| format!(", short delta {d:.2}"));
            let advice = if group.strategy == Strategy::CoveredCall {
                "the shares may be called away: roll up and out for a credit to keep them, or let them go at the strike"
            } else if severity == Severity::Action {
                "roll out in time for a credit, roll the untested side closer, or close at the loss limit"
            } else {
                "being tested: decide now whether to defend, close or accept"
            };
            b.push(
                Some(&short.symbol),
                Rule::TestedShortStrike,
                severity,
                format!(
                    "{}: {state}{delta_text} (expires {expiration}); {advice}",
                    group.label
                ),
                numbers(&[
                    ("price", json!(round_to(spot, 2))),
                    ("strike", json!(strike)),
                    ("distance", json!(round_to(distance, 2))),
                    ("distance_percent", json!(round_to(distance / spot * 100.0, 2))),
                    ("delta", delta.map_or(Value::Null, |d| json!(round_to(d, 3)))),
                    (
                        "expected_move",
                        sigma.map_or(Value::Null, |s| json!(round_to(s, 2))),
                    ),
                    (
                        "distance_in_expected_moves",
                        sigma.map_or(Value::Null, |s| json!(round_to(distance / s, 2))),
                    ),
                    ("in_the_money", json!(itm)),
                ]),
            );
        }
    }

    // Ex-dividend before a short call's expiration.
    if let Some(ex) = group.underlying.ex_dividend_date {
        for short in &shorts {
            let Some((OptionType::Call, strike, expiration)) = short.kind.option() else {
                continue;
            };
            let days = group.today.days_until(ex);
            if days < 0 || ex > expiration {
                continue;
            }
            let intrinsic = spot.map(|s| (s - strike).max(0.0));
            let extrinsic = match (short.mark, intrinsic) {
                (Some(m), Some(i)) => Some((m - i).max(0.0)),
                _ => None,
            };
            // Quarterly payers: one payment is about a quarter of the yield.
            let dividend = spot
                .map(|s| s * group.underlying.dividend_yield / 4.0)
                .filter(|d| *d > 0.0);
            let itm = intrinsic.is_some_and(|i| i > 0.0);
            let severity = match (itm, extrinsic, dividend) {
                (true, Some(e), Some(d)) if e < d => Severity::Action,
                (true, _, _) => Severity::Warning,
                _ => Severity::Info,
            };
            let detail = match (extrinsic, dividend) {
                (Some(e), Some(d)) if itm => format!(
                    "in the money with {} of extrinsic value against a dividend of about {}: {}",
                    money(e),
                    money(d),
                    if e < d {
                        "early assignment is likely; buy back or roll before the ex-date"
                    } else {
                        "assignment is unlikely while extrinsic value exceeds the dividend"
                    }
                ),
                _ if itm => "in the money: check its extrinsic value against the dividend".to_owned(),
                _ => {
                    "out of the money: early assignment is unlikely unless the stock rises through the strike"
                        .to_owned()
                }
            };
            b.push(
                Some(&short.symbol),
                Rule::ExDividend,
                severity,
                format!(
                    "{}: ex-dividend on {ex} (in {days} days), before the short {strike} call expires on {expiration}; {detail}",
                    group.underlying.symbol
                ),
                numbers(&[
                    ("ex_dividend_date", json!(ex.to_string())),
                    ("days_to_ex_dividend", json!(days)),
                    ("expiration", json!(expiration.to_string())),
                    ("strike", json!(strike)),
                    ("extrinsic_value", extrinsic.map_or(Value::Null, |e| json!(round_to(e, 2)))),
                    (
                        "dividend_estimate",
                        dividend.map_or(Value::Null, |d| json!(round_to(d, 2))),
                    ),
                    ("in_the_money", json!(itm)),
                ]),
            );
        }
    }

    // Earnings before expiration.
    if let Some(earnings) = group.underlying.earnings_date {
        let days = group.today.days_until(earnings);
        let last_expiration = options.iter().filter_map(|s| s.kind.option().map(|o| o.2)).max();
        if let Some(expiration) = last_expiration
            && days >= 0
            && earnings <= expiration
        {
            let short_premium = !shorts.is_empty();
            b.push(
                None,
                Rule::Earnings,
                if short_premium {
                    Severity::Warning
                } else {
                    Severity::Info
                },
                format!(
                    "{}: earnings on {earnings} (in {days} days), before expiration on {expiration}; {}",
                    group.label,
                    if short_premium {
                        "a gap can move the stock past the short strikes; close or roll before the report unless you mean to hold through it"
                    } else {
                        "implied volatility usually drops after the report (IV crush)"
                    }
                ),
                numbers(&[
                    ("earnings_date", json!(earnings.to_string())),
                    ("days_to_earnings", json!(days)),
                    ("expiration", json!(expiration.to_string())),
                ]),
            );
        }
    }
    b.out
}

#[cfg(test)]
mod tests {
    #[test]
    fn dollars_are_grouped() {
        assert_eq!(super::dollars(1234.5, 2), "$1,234.50");
        assert_eq!(super::dollars(-17124.4, 0), "-$17,124");
        assert_eq!(super::dollars(999.0, 0), "$999");
        assert_eq!(super::dollars(-0.001, 2), "$0.00");
        assert_eq!(super::dollars(1_000_000.0, 0), "$1,000,000");
    }
}
