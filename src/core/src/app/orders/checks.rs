//! ttai's own checks of an order, before any person is asked: the server's limits, the position
//! rules of the advice (no naked calls, no covered call below the shares' basis unless allowed,
//! nothing closed that is not held), the advice's sizing caps, the limit against the market, and
//! what the broker's dry run refused or warned of. A blocking check stops `place_order`; the
//! others are shown to the person with the order.

use super::OrderSettings;
use super::ticket::Ticket;
use crate::app::analysis::{self, AccountContext, Caution, Severity};
use crate::app::expiry_instant;
use crate::domain::{OptionType, OrderPreview, PriceEffect, TradeAction, round_to};
use crate::time::{MS_PER_DAY, Timestamp};

fn caution(severity: Severity, code: &'static str, message: String) -> Caution {
    Caution {
        severity,
        code,
        message,
    }
}

/// Everything the checks read.
pub(crate) struct CheckInput<'a> {
    pub(crate) ticket: &'a Ticket,
    pub(crate) context: &'a AccountContext,
    pub(crate) preview: Option<&'a OrderPreview>,
    pub(crate) settings: &'a OrderSettings,
    pub(crate) allow_below_basis: bool,
    pub(crate) now: Timestamp,
}

/// Contracts of `symbol` held (signed: short negative).
fn held(context: &AccountContext, symbol: &str) -> f64 {
    context
        .positions_in_symbol
        .iter()
        .filter(|p| p.symbol == symbol)
        .map(|p| p.quantity * p.multiplier / 100.0)
        .sum()
}

/// The checks of an order, most severe first.
pub(crate) fn checks(input: &CheckInput<'_>) -> Vec<Caution> {
    let mut out = Vec::new();
    let ticket = input.ticket;
    let order = &ticket.order;
    let context = input.context;
    let size = order.size();

    // Server limits: whatever the arguments say.
    let max = input.settings.max_contracts_per_order;
    if size > max {
        out.push(caution(
            Severity::Blocking,
            "max_contracts_per_order",
            format!("the order is for {size} contracts; this server places at most {max} per order (TTAI_MAX_ORDER_CONTRACTS)"),
        ));
    }
    let net_liq = context.net_liquidating_value;
    let bp_used = input
        .preview
        .and_then(|p| p.buying_power_effect.as_ref())
        .map(|b| b.used());
    let cap = input.settings.max_order_bp_percent;
    match bp_used {
        _ if net_liq.is_nan() || net_liq <= 0.0 => out.push(caution(
            Severity::Blocking,
            "max_order_buying_power",
            "net liq is not positive: no order's buying power can be checked against it".to_owned(),
        )),
        Some(used) if used > cap / 100.0 * net_liq + 1e-6 => out.push(caution(
            Severity::Blocking,
            "max_order_buying_power",
            format!(
                "the order uses ${used:.2} of buying power ({:.2}% of net liq); this server allows at most {cap}% per order (TTAI_MAX_ORDER_BP_PERCENT)",
                used / net_liq * 100.0
            ),
        )),
        _ => {}
    }

    // Expirations.
    for leg in &ticket.legs {
        if let Ok(date) = leg.expiration.parse()
            && input.now >= expiry_instant(date)
        {
            out.push(caution(
                Severity::Blocking,
                "expired",
                format!("{} expired at the close of {}", leg.symbol, leg.expiration),
            ));
        }
    }

    // Closing legs must close something held.
    for leg in &ticket.legs {
        let holding = held(context, &leg.symbol);
        let quantity = f64::from(leg.quantity);
        let (needs, have) = match leg.action {
            TradeAction::BuyToClose => ("short", (-holding).max(0.0)),
            TradeAction::SellToClose => ("long", holding.max(0.0)),
            _ => continue,
        };
        if have + 1e-9 < quantity {
            out.push(caution(
                Severity::Blocking,
                "close_without_position",
                format!(
                    "{} to close {quantity} {} but the account holds {have} {needs}",
                    if leg.action == TradeAction::BuyToClose {
                        "buys"
                    } else {
                        "sells"
                    },
                    leg.symbol
                ),
            ));
        }
    }

    // Calls sold to open: paired with calls bought in the order (a bear call spread), else
    // covered by shares not yet covered, else naked.
    let mut bought_calls: Vec<(String, f64, f64)> = ticket
        .legs
        .iter()
        .filter(|l| l.option_type == OptionType::Call && l.action == TradeAction::BuyToOpen)
        .map(|l| (l.expiration.clone(), l.strike, f64::from(l.quantity)))
        .collect();
    let mut lots = context.covered_call_lots_available as f64;
    for leg in ticket
        .legs
        .iter()
        .filter(|l| l.option_type == OptionType::Call && l.action == TradeAction::SellToOpen)
    {
        let mut open = f64::from(leg.quantity);
        for (expiration, strike, quantity) in &mut bought_calls {
            if *expiration == leg.expiration && *strike > leg.strike && *quantity > 0.0 {
                let paired = open.min(*quantity);
                open -= paired;
                *quantity -= paired;
            }
        }
        if open <= 0.0 {
            continue;
        }
        if open > lots + 1e-9 {
            out.push(caution(
                Severity::Blocking,
                "naked_call",
                format!(
                    "selling {open} {} call(s) uncovered: {} shares held, {} short calls already, so {} lot(s) free; ttai never sells naked calls",
                    leg.strike, context.shares_held, context.short_calls, lots
                ),
            ));
            continue;
        }
        lots -= open;
        if let Some(basis) = context.cost_basis
            && leg.strike < basis
        {
            let severity = if input.allow_below_basis {
                Severity::Major
            } else {
                Severity::Blocking
            };
            out.push(caution(
                severity,
                "below_basis",
                format!(
                    "the {} call is below the shares' {basis} cost basis: assignment would realise a loss on the shares{}",
                    leg.strike,
                    if input.allow_below_basis {
                        " (accepted by allow_below_basis)"
                    } else {
                        " (pass allow_below_basis to accept it)"
                    }
                ),
            ));
        }
    }

    // The advice's caps on opening trades it sizes: a short put, a credit spread, a covered call.
    if let Some((exposure, bp, lots)) = sizing_of(ticket, context) {
        let fit = analysis::size(context, exposure, bp, lots);
        if i64::from(order.size()) > fit.contracts {
            out.push(caution(
                Severity::Major,
                "exceeds_caps",
                format!(
                    "{} contract(s) ordered, {} fit the advice's caps: {}",
                    order.size(),
                    fit.contracts,
                    fit.note
                ),
            ));
        }
    }

    // The limit against the market now.
    match &ticket.market {
        Some(market) => {
            let limit = order.price;
            if market.effect != order.price_effect {
                out.push(caution(
                    Severity::Major,
                    "effect_against_market",
                    format!(
                        "the order asks a {} but the legs are a {} of {} at the mid",
                        order.price_effect.as_str(),
                        market.effect.as_str(),
                        market.mid
                    ),
                ));
            } else {
                let (worse, better) = match order.price_effect {
                    PriceEffect::Credit => (market.natural - limit, limit - market.mid),
                    PriceEffect::Debit => (limit - market.natural, market.mid - limit),
                };
                if worse > 1e-9 {
                    out.push(caution(
                        Severity::Major,
                        "through_the_market",
                        format!(
                            "the {} limit is {} past the natural price {} (what crossing the market gives now): ${:.2} a contract given away",
                            round_to(limit, 2),
                            round_to(worse, 2),
                            market.natural,
                            worse * 100.0
                        ),
                    ));
                } else if better > market.tick + 1e-9 {
                    out.push(caution(
                        Severity::Minor,
                        "away_from_mid",
                        format!(
                            "the {} limit is {} better than the mid {}: it may not fill soon",
                            round_to(limit, 2),
                            round_to(better, 2),
                            market.mid
                        ),
                    ));
                }
            }
        }
        None => out.push(caution(
            Severity::Major,
            "no_market",
            "a leg has no two-sided market now: the limit cannot be checked against it".to_owned(),
        )),
    }

    // What the order came from.
    if let Some(from) = &ticket.from {
        if let Some(analysed) = from.analysed_limit
            && (analysed - order.price).abs() > 1e-9
        {
            out.push(caution(
                Severity::Minor,
                "repriced",
                format!(
                    "the analysis priced it at {analysed:.2}; the limit now is {:.2} ({})",
                    order.price,
                    if ticket.price_from == "given" {
                        "given"
                    } else {
                        "from the market now"
                    }
                ),
            ));
        }
        if let Ok(made) = from.created_at.parse::<Timestamp>()
            && input.now.millis_since(made) > MS_PER_DAY
        {
            out.push(caution(
                Severity::Minor,
                "stale_analysis",
                format!(
                    "the analysis is from {}; run it again before trading on it",
                    from.created_at
                ),
            ));
        }
    }

    // The broker's own verdict.
    if let Some(preview) = input.preview {
        for error in &preview.errors {
            out.push(caution(
                Severity::Blocking,
                "broker_refused",
                format!("{}: {}", error.code, error.message),
            ));
        }
        for warning in &preview.warnings {
            out.push(caution(
                Severity::Minor,
                "broker_warning",
                format!("{}: {}", warning.code, warning.message),
            ));
        }
    }
    out.sort_by_key(|c| c.severity);
    out
}

/// Exposure and buying power per contract, and the lots limit, of an opening trade the advice
/// sizes (one short put, a two-leg credit spread, a covered call); `None` for anything else.
fn sizing_of(ticket: &Ticket, context: &AccountContext) -> Option<(f64, f64, Option<i64>)> {
    let legs = &ticket.legs;
    let order = &ticket.order;
    let per_share_credit = order.price_effect.sign() * order.price;
    match legs.as_slice() {
        [short] if short.action == TradeAction::SellToOpen => match short.option_type {
            OptionType::Put => Some((short.strike * 100.0, short.strike * 100.0, None)),
            OptionType::Call => Some((0.0, 0.0, Some(context.covered_call_lots_available))),
        },
        [a, b]
            if a.option_type == b.option_type
                && a.expiration == b.expiration
                && a.quantity == b.quantity
                && order.price_effect == PriceEffect::Credit =>
        {
            let (short, long) = match (a.action, b.action) {
                (TradeAction::SellToOpen, TradeAction::BuyToOpen) => (a, b),
                (TradeAction::BuyToOpen, TradeAction::SellToOpen) => (b, a),
                _ => return None,
            };
            let width = (short.strike - long.strike).abs();
            let max_loss = ((width - per_share_credit) * 100.0).max(0.0);
            Some((max_loss, max_loss, None))
        }
        _ => None,
    }
}
