//! From analysis to a ticket: order previews, orders a person confirms, the account's orders,
//! cancels, and the audit log of all of them.
//!
//! The safety model (README "Orders"):
//! - `preview_order` is read-only: it builds the exact order ([`ticket`]), sends it to the
//!   broker's dry run, and adds ttai's own [`checks`].
//! - `place_order` and `cancel_order` do nothing unless the server was started with orders on
//!   ([`OrderSettings::allow_orders`]); they run the preview again, refuse on any blocking check
//!   (the server's limits, naked calls, closing what is not held, the broker's refusals), and
//!   then ask the person through [`Consent`]. Only an answer that accepts, names the order's code
//!   and comes within two minutes places it, exactly as shown, once: a lost answer is never sent
//!   again (see `list_orders`).
//! - Every preview, question, answer, order and cancel is written to the audit log.

mod audit;
mod cancel;
mod checks;
pub mod consent;
mod place;
pub mod simulate;
pub mod ticket;
mod views;

use serde::Serialize;
use serde_json::{Value, json};

pub use consent::{
    Binding, CONFIRMATION_VALIDITY, Confirmed, Consent, ConsentAnswer, ConsentRequest, PendingQuestion,
    check_binding, judge,
};
pub use ticket::{FromAnalysis, LegSpec, LegView, MarketPrice, OrderSource, OrderSpec, Ticket};
pub use views::{
    BrokerVerdict, CancelView, LimitsView, OrderSummary, OrderView, OrdersView, PlacedView, PreviewView,
};

use super::App;
use super::analysis::{AccountContext, Caution, Severity, account_context};
use crate::domain::{
    AccountNumber, AuditEntry, BuyingPowerEffect, FeeCalculation, Order, OrderMessage, OrderPreview,
    OrderQuery, OrderRequest, OrderStatus, PriceEffect, TimeInForce, TradeAction, round_to,
};
use crate::error::{AppError, ErrorCode};
use crate::ports::NewAuditEntry;

/// The default most contracts per order.
pub const DEFAULT_MAX_ORDER_CONTRACTS: u32 = 10;
/// The default most buying power one order may use, percent of net liq.
pub const DEFAULT_MAX_ORDER_BP_PERCENT: f64 = 25.0;
/// The resource that lists the audit log.
pub const AUDIT_URI: &str = "audit://orders";

/// The order settings: off unless the trader turns orders on; limits every order meets.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OrderSettings {
    /// `--allow-orders` / `TTAI_ALLOW_ORDERS=1`: `place_order` and `cancel_order` may act.
    pub allow_orders: bool,
    /// The most contracts (the largest leg) of one order.
    pub max_contracts_per_order: u32,
    /// The most buying power one order may use (the broker's dry run), percent of net liq.
    pub max_order_bp_percent: f64,
}

impl Default for OrderSettings {
    fn default() -> OrderSettings {
        OrderSettings {
            allow_orders: false,
            max_contracts_per_order: DEFAULT_MAX_ORDER_CONTRACTS,
            max_order_bp_percent: DEFAULT_MAX_ORDER_BP_PERCENT,
        }
    }
}

/// A previewed order with everything the answers and the confirmation need.
struct Prepared {
    ticket: Ticket,
    view: PreviewView,
}

fn order_view(ticket: &Ticket) -> OrderView {
    let order = &ticket.order;
    OrderView {
        ticket: order.describe(),
        underlying: order.underlying.to_string(),
        order_type: "limit",
        time_in_force: order.time_in_force,
        price: order.price,
        price_effect: order.price_effect,
        size: order.size(),
        legs: ticket.legs.clone(),
        cash_at_limit: round_to(order.cash_at_limit(), 2),
    }
}

/// A refusal with its reason in `details.reason`.
fn refusal(code: ErrorCode, reason: &str, message: String) -> AppError {
    AppError::new(code, message).with_detail("reason", reason)
}

fn orders_off() -> AppError {
    refusal(
        ErrorCode::AuthorizationError,
        "orders_disabled",
        "orders are off on this server: nothing was sent. Start ttai with --allow-orders (or TTAI_ALLOW_ORDERS=1) to let it place orders you confirm, or enter the order in TastyTrade's own app".to_owned(),
    )
}

fn confirmation_used() -> AppError {
    refusal(
        ErrorCode::AuthorizationError,
        "confirmation_used",
        "this confirmation was already used (a repeated retry): nothing more was sent; list_orders shows what the broker holds".to_owned(),
    )
}

fn no_confirmation(why: &str) -> AppError {
    refusal(
        ErrorCode::AuthorizationError,
        "no_confirmation_channel",
        format!(
            "{why}. Nothing was sent: place the order in TastyTrade's own app, or use a client that supports MCP elicitation"
        ),
    )
}

/// The text the person reads before accepting.
fn consent_message(prepared: &Prepared, verb: &str) -> String {
    let view = &prepared.view;
    let mut lines = vec![format!(
        "{verb} this order on account {}?{}",
        view.account,
        if view.paper {
            " (PAPER TRADING: simulated, no real order)"
        } else {
            ""
        }
    )];
    lines.push(view.order.ticket.clone());
    let cash = view.order.cash_at_limit;
    let mut money = vec![format!(
        "{} ${:.2} at the limit",
        if cash >= 0.0 { "credit" } else { "debit" },
        cash.abs()
    )];
    if let Some(fees) = &view.broker.fees {
        money.push(format!("fees ${:.2}", fees.total_fees));
    }
    if let Some(used) = view.broker.buying_power_used {
        money.push(format!("buying power used ${used:.2} (the broker's dry run)"));
    }
    lines.push(money.join(" · "));
    if let Some(market) = &view.market {
        lines.push(format!(
            "market now: mid {} · natural {}",
            market.mid, market.natural
        ));
    }
    let notes: Vec<String> = view
        .checks
        .iter()
        .map(|c| format!("{:?}: {}", c.severity, c.message).to_lowercase())
        .collect();
    if !notes.is_empty() {
        lines.push(format!("checks: {}", notes.join("; ")));
    }
    lines.push(format!(
        "order code {} · valid {} seconds · sent exactly as shown, once",
        view.order_code,
        CONFIRMATION_VALIDITY.as_secs()
    ));
    lines.join("\n")
}

impl App {
    /// The order settings.
    pub fn order_settings(&self) -> OrderSettings {
        self.order_settings
    }

    /// The account's side for the checks: its positions in the underlying and its balances.
    async fn order_context(&self, ticket: &Ticket) -> Result<AccountContext, AppError> {
        let number = ticket.account.as_str();
        let positions = self.positions_view(Some(number)).await?;
        let balances = self.balances_view(Some(number)).await?;
        Ok(account_context(
            balances.account,
            balances.net_liquidating_value,
            balances.derivative_buying_power,
            positions.positions,
            ticket.order.underlying.as_str(),
            ticket.underlying_price.unwrap_or_default(),
            self.risk_limits(),
        ))
    }

    async fn prepare(&self, spec: &OrderSpec) -> Result<Prepared, AppError> {
        let ticket = self.ticket(spec).await?;
        let context = self.order_context(&ticket).await?;
        let preview = self
            .broker()
            .dry_run_order(&ticket.account, &ticket.order)
            .await?;
        let settings = self.order_settings;
        let now = self.broker().now();
        let checks = checks::checks(&checks::CheckInput {
            ticket: &ticket,
            context: &context,
            preview: Some(&preview),
            settings: &settings,
            allow_below_basis: spec.allow_below_basis,
            now,
        });
        let blocking = checks.iter().find(|c| c.severity == Severity::Blocking);
        let placeable = blocking.is_none();
        let code = ticket.order.code();
        let next_step = match (blocking, settings.allow_orders) {
            (Some(c), _) => format!("not placeable: {}", c.message),
            (None, true) => format!(
                "place_order with the same arguments asks you to confirm this exact order (code {code}) within {} seconds",
                CONFIRMATION_VALIDITY.as_secs()
            ),
            (None, false) => "orders are off on this server (start ttai with --allow-orders to place orders you confirm); you can enter it in TastyTrade's app".to_owned(),
        };
        let source = self.source();
        let view = PreviewView {
            paper: self.broker().is_paper(),
            account: ticket.account.masked(),
            order: order_view(&ticket),
            order_hash: ticket.order.fingerprint(),
            order_code: code,
            market: ticket.market.clone(),
            price_from: ticket.price_from,
            from_analysis: ticket.from.clone(),
            broker: BrokerVerdict::of(&preview),
            checks,
            placeable,
            orders_enabled: settings.allow_orders,
            limits: LimitsView {
                max_contracts_per_order: settings.max_contracts_per_order,
                max_order_bp_percent: settings.max_order_bp_percent,
                confirmation_valid_seconds: CONFIRMATION_VALIDITY.as_secs(),
            },
            next_step,
            as_of: now.to_string(),
            source: source.source,
            synthetic: source.synthetic,
        };
        Ok(Prepared { ticket, view })
    }

    /// `preview_order`: the exact order, the broker's dry run and ttai's checks. Changes nothing.
    pub async fn preview_order(&self, spec: &OrderSpec) -> Result<PreviewView, AppError> {
        let prepared = self.prepare(spec).await?;
        let view = &prepared.view;
        let detail = json!({
            "placeable": view.placeable,
            "buying_power_used": view.broker.buying_power_used,
            "fees": view.broker.fees.as_ref().map(|f| f.total_fees),
            "checks": view.checks.iter().map(|c| c.code).collect::<Vec<_>>(),
        });
        let entry = self.audit_entry(
            "preview",
            "previewed",
            &prepared.ticket.account,
            Some(&prepared.ticket.order),
            None,
            detail,
        );
        // A preview changes nothing: a log that cannot be written is reported, not fatal.
        let _ = self.audit(entry).await;
        Ok(prepared.view)
    }

    /// `list_orders`: today's orders and those of the last `days` days.
    pub async fn list_orders(&self, account: Option<&str>, days: i32) -> Result<OrdersView, AppError> {
        let (number, _) = self.resolve_account(account).await?;
        let now = self.broker().now();
        let since = now.date().add_days(-days.max(0));
        let mut today: Vec<Order> = self.broker().orders(&number, &OrderQuery::Live).await?;
        let recent: Vec<Order> = if days > 0 {
            self.broker()
                .orders(
                    &number,
                    &OrderQuery::Since {
                        date: since,
                        limit: 50,
                    },
                )
                .await?
        } else {
            Vec::new()
        };
        today.sort_by_key(|o| (!o.status.is_working(), std::cmp::Reverse(o.received_at)));
        let listed: Vec<Option<String>> = today.iter().map(|o| o.id.clone()).collect();
        let recent: Vec<OrderSummary> = recent
            .iter()
            .filter(|o| !listed.contains(&o.id))
            .map(OrderSummary::of)
            .collect();
        let today: Vec<OrderSummary> = today.iter().map(OrderSummary::of).collect();
        let source = self.source();
        Ok(OrdersView {
            paper: self.broker().is_paper(),
            account: number.masked(),
            working: today.iter().filter(|o| o.status.is_working()).count(),
            today,
            recent,
            since: since.to_string(),
            as_of: now.to_string(),
            source: source.source,
            synthetic: source.synthetic,
        })
    }
}

/// The action names tools accept: `sell_to_open`, ... (or the API's `Sell to Open`).
pub fn parse_action(text: &str) -> Option<TradeAction> {
    let normalised = text.trim().to_ascii_lowercase().replace(['_', '-'], " ");
    TradeAction::from_api(&normalised).filter(|a| a.opens().is_some())
}

#[cfg(test)]
mod tests;
