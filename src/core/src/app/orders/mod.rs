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

mod checks;
pub mod consent;
pub mod simulate;
pub mod ticket;

use serde::Serialize;
use serde_json::{Value, json};

pub use consent::{
    Binding, CONFIRMATION_VALIDITY, Confirmed, Consent, ConsentAnswer, ConsentRequest, PendingQuestion,
    check_binding,
};
pub use ticket::{FromAnalysis, LegSpec, LegView, MarketPrice, OrderSource, OrderSpec, Ticket};

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

/// The order as the answers show it.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct OrderView {
    /// The ticket: `SELL 1 SPY 2026-12-24 540 PUT to open @ 6.30 LMT credit, day`.
    pub ticket: String,
    /// The underlying.
    pub underlying: String,
    /// Always `limit`.
    #[schemars(extend("enum" = ["limit"]))]
    pub order_type: &'static str,
    /// `day` or `gtc`.
    pub time_in_force: TimeInForce,
    /// The limit per share, on the tick.
    pub price: f64,
    /// `credit` or `debit`.
    pub price_effect: PriceEffect,
    /// Contracts (the largest leg).
    pub size: u32,
    /// The legs with their markets now.
    pub legs: Vec<LegView>,
    /// Cash at the limit when filled, before fees ($, credit positive).
    pub cash_at_limit: f64,
}

/// What the broker's dry run said.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct BrokerVerdict {
    /// True when the broker reports no error.
    pub accepted: bool,
    /// Buying power the order uses ($, negative when it frees some).
    pub buying_power_used: Option<f64>,
    /// The broker's figures (signed: a debit is negative).
    pub buying_power_effect: Option<BuyingPowerEffect>,
    /// Fees (costs, positive).
    pub fees: Option<FeeCalculation>,
    /// Warnings.
    pub warnings: Vec<OrderMessage>,
    /// Errors that refuse it.
    pub errors: Vec<OrderMessage>,
}

impl BrokerVerdict {
    fn of(preview: &OrderPreview) -> BrokerVerdict {
        BrokerVerdict {
            accepted: preview.accepted(),
            buying_power_used: preview
                .buying_power_effect
                .as_ref()
                .map(|b| round_to(b.used(), 2)),
            buying_power_effect: preview.buying_power_effect.clone(),
            fees: preview.fees.clone(),
            warnings: preview.warnings.clone(),
            errors: preview.errors.clone(),
        }
    }
}

/// The server's limits, as the answers show them.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct LimitsView {
    /// The most contracts per order.
    pub max_contracts_per_order: u32,
    /// The most buying power per order, percent of net liq.
    pub max_order_bp_percent: f64,
    /// How long a confirmation stays valid, seconds.
    pub confirmation_valid_seconds: u64,
}

/// The answer of `preview_order`.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PreviewView {
    /// True when orders are simulated (paper trading): nothing reaches a real account.
    pub paper: bool,
    /// The account, masked.
    pub account: String,
    /// The exact order.
    pub order: OrderView,
    /// Its fingerprint: SHA-256 of its canonical text.
    pub order_hash: String,
    /// The first 8 hex digits: the code a confirmation names.
    pub order_code: String,
    /// The order's price against the market now.
    pub market: Option<MarketPrice>,
    /// `given` or `market`.
    #[schemars(extend("enum" = ["given", "market"]))]
    pub price_from: &'static str,
    /// The analysis candidate it came from.
    pub from_analysis: Option<FromAnalysis>,
    /// The broker's dry run.
    pub broker: BrokerVerdict,
    /// ttai's checks, most severe first.
    pub checks: Vec<Caution>,
    /// True when no check blocks it.
    pub placeable: bool,
    /// True when this server may place orders (`--allow-orders`).
    pub orders_enabled: bool,
    /// The server's limits.
    pub limits: LimitsView,
    /// What to do next.
    pub next_step: String,
    /// Market clock.
    pub as_of: String,
    /// Data source.
    pub source: String,
    /// True for made-up data.
    pub synthetic: bool,
}

/// The answer of `place_order`.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PlacedView {
    /// True when the order was sent and the broker took it.
    pub placed: bool,
    /// `placed`, `declined` or `cancelled` (the person's choice).
    #[schemars(extend("enum" = ["placed", "declined", "cancelled"]))]
    pub outcome: &'static str,
    /// True for paper trading.
    pub paper: bool,
    /// The account, masked.
    pub account: String,
    /// The order asked for.
    pub order: OrderView,
    /// Its fingerprint.
    pub order_hash: String,
    /// The order as the broker holds it (with its id), when placed.
    pub broker_order: Option<OrderSummary>,
    /// The broker's buying-power effect and fees of the placed order.
    pub broker: Option<BrokerVerdict>,
    /// One sentence.
    pub message: String,
    /// Data source.
    pub source: String,
    /// True for made-up data.
    pub synthetic: bool,
}

/// One order as `list_orders` shows it.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct OrderSummary {
    /// The broker's id.
    pub id: Option<String>,
    /// `live`, `filled`, `cancelled`, ...
    pub status: OrderStatus,
    /// The ticket.
    pub ticket: String,
    /// The underlying.
    pub underlying: String,
    /// The limit.
    pub price: Option<f64>,
    /// Credit or debit.
    pub price_effect: Option<PriceEffect>,
    /// Contracts.
    pub size: Option<f64>,
    /// Day or GTC.
    pub time_in_force: TimeInForce,
    /// Contracts not yet filled (the largest leg's).
    pub remaining: f64,
    /// The average net fill price, when filled.
    pub fill_price: Option<f64>,
    /// When received.
    pub received_at: Option<String>,
    /// When it filled, was cancelled or expired.
    pub terminal_at: Option<String>,
    /// True while a cancel may be asked for.
    pub cancellable: bool,
    /// Why it was rejected.
    pub reject_reason: Option<String>,
}

impl OrderSummary {
    /// The summary of a broker's order.
    pub fn of(order: &Order) -> OrderSummary {
        let ticket = order.request().map_or_else(
            || {
                order
                    .legs
                    .iter()
                    .map(|l| format!("{} {} {}", l.action.api_name(), l.quantity, l.symbol))
                    .collect::<Vec<_>>()
                    .join(" / ")
            },
            |r| r.describe(),
        );
        OrderSummary {
            id: order.id.clone(),
            status: order.status,
            ticket,
            underlying: order.underlying.to_string(),
            price: order.price,
            price_effect: order.price_effect,
            size: order.size,
            time_in_force: order.time_in_force,
            remaining: order
                .legs
                .iter()
                .map(|l| l.remaining_quantity)
                .fold(0.0, f64::max),
            fill_price: order.fill_price().map(|p| round_to(p, 4)),
            received_at: order.received_at.map(|t| t.to_string()),
            terminal_at: order.terminal_at.map(|t| t.to_string()),
            cancellable: order.cancellable && order.status.is_working(),
            reject_reason: order.reject_reason.clone(),
        }
    }
}

/// The answer of `list_orders`.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct OrdersView {
    /// True for paper trading.
    pub paper: bool,
    /// The account, masked.
    pub account: String,
    /// Today's orders (working first).
    pub today: Vec<OrderSummary>,
    /// Earlier orders since `since`, newest first.
    pub recent: Vec<OrderSummary>,
    /// The first day of `recent`.
    pub since: String,
    /// Orders still working.
    pub working: usize,
    /// Market clock.
    pub as_of: String,
    /// Data source.
    pub source: String,
    /// True for made-up data.
    pub synthetic: bool,
}

/// The answer of `cancel_order`.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct CancelView {
    /// True when the broker took the cancel.
    pub cancelled: bool,
    /// `cancelled`, `declined` or `dismissed`.
    #[schemars(extend("enum" = ["cancelled", "declined", "dismissed"]))]
    pub outcome: &'static str,
    /// True for paper trading.
    pub paper: bool,
    /// The account, masked.
    pub account: String,
    /// The order as it stands after.
    pub order: OrderSummary,
    /// One sentence.
    pub message: String,
    /// Data source.
    pub source: String,
    /// True for made-up data.
    pub synthetic: bool,
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

    /// Appends to the audit log; a failure is logged and returned.
    async fn audit(&self, entry: NewAuditEntry) -> Result<AuditEntry, AppError> {
        match self.store().append_audit(entry).await {
            Ok(entry) => {
                self.emit(super::AppEvent::ResourceUpdated(AUDIT_URI.to_owned()));
                Ok(entry)
            }
            Err(err) => {
                tracing::error!(error = %err, "the order audit log cannot be written");
                Err(err.into())
            }
        }
    }

    fn audit_entry(
        &self,
        action: &str,
        outcome: &str,
        account: &AccountNumber,
        order: Option<&OrderRequest>,
        order_id: Option<String>,
        detail: Value,
    ) -> NewAuditEntry {
        NewAuditEntry {
            at: self.broker().now(),
            action: action.to_owned(),
            outcome: outcome.to_owned(),
            account: account.masked(),
            paper: self.broker().is_paper(),
            order_hash: order.map(OrderRequest::fingerprint),
            order: order.map(OrderRequest::describe),
            order_id,
            detail,
        }
    }

    /// Records an order action refused because orders are off (nothing was built or sent).
    async fn audit_orders_off(&self, action: &str, account: Option<&str>, order_id: Option<&str>) {
        let account = match self.resolve_account(account).await {
            Ok((number, _)) => number,
            Err(_) => AccountNumber::new(account.unwrap_or("unknown")),
        };
        let entry = self.audit_entry(
            action,
            "refused",
            &account,
            None,
            order_id.map(str::to_owned),
            json!({"reason": "orders_disabled"}),
        );
        let _ = self.audit(entry).await;
    }

    /// Records a question handed to the client to ask (its answer comes with a later call). The
    /// question goes out only once it is on record.
    async fn audit_asked(
        &self,
        account: &AccountNumber,
        order: Option<&OrderRequest>,
        order_id: Option<&str>,
        request: &ConsentRequest,
    ) -> Result<(), AppError> {
        let entry = self.audit_entry(
            "confirmation",
            "asked",
            account,
            order,
            order_id.map(str::to_owned),
            json!({
                "action": request.action,
                "order_code": request.order_code,
                "valid_seconds": request.valid_for.as_secs(),
            }),
        );
        self.audit(entry).await.map(|_| ()).map_err(|e| {
            AppError::new(
                e.code,
                format!(
                    "nothing was sent: the question could not be written to the audit log ({})",
                    e.message
                ),
            )
        })
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

    /// `place_order`: the preview again, the person's confirmation of this exact order, then the
    /// order, sent once.
    pub async fn place_order(
        &self,
        spec: &OrderSpec,
        consent: &dyn Consent,
    ) -> Result<Confirmed<PlacedView>, AppError> {
        let settings = self.order_settings;
        if !settings.allow_orders {
            self.audit_orders_off("place", spec.account.as_deref(), None)
                .await;
            return Err(orders_off());
        }
        let prepared = self.prepare(spec).await?;
        let ticket = &prepared.ticket;
        let order = &ticket.order;
        let account = &ticket.account;
        let refuse = |outcome: &str, reason: &str, detail: Value| {
            self.audit_entry(
                "place",
                outcome,
                account,
                Some(order),
                None,
                json!({"reason": reason, "detail": detail}),
            )
        };
        if !prepared.view.placeable {
            let blocking: Vec<&Caution> = prepared
                .view
                .checks
                .iter()
                .filter(|c| c.severity == Severity::Blocking)
                .collect();
            let codes: Vec<&str> = blocking.iter().map(|c| c.code).collect();
            let _ = self.audit(refuse("refused", "blocked", json!(codes))).await;
            let message = blocking
                .iter()
                .map(|c| c.message.as_str())
                .collect::<Vec<_>>()
                .join("; ");
            return Err(refusal(
                ErrorCode::ValidationError,
                "blocked",
                format!("not placed: {message}"),
            )
            .with_detail("checks", codes));
        }
        if let Err(why) = consent.available() {
            let _ = self
                .audit(self.audit_entry(
                    "confirmation",
                    "unavailable",
                    account,
                    Some(order),
                    None,
                    json!({"reason": why}),
                ))
                .await;
            return Err(no_confirmation(&why));
        }
        let request = ConsentRequest {
            action: "place",
            account: account.as_str().to_owned(),
            title: "Place this order?".to_owned(),
            message: consent_message(&prepared, "Place"),
            order_text: order.describe(),
            order_hash: order.fingerprint(),
            order_code: order.code(),
            valid_for: CONFIRMATION_VALIDITY,
        };
        let asked = tokio::time::Instant::now();
        let answer = consent.ask(&request).await;
        if let ConsentAnswer::Deferred(question) = answer {
            self.audit_asked(account, Some(order), None, &request).await?;
            return Ok(Confirmed::Asking(question));
        }
        let elapsed = consent.waited().unwrap_or_else(|| asked.elapsed());
        let binding = match &answer {
            ConsentAnswer::Accepted { order_code } => Some(check_binding(&request, order_code, elapsed)),
            _ => None,
        };
        let outcome = match &binding {
            Some(Binding::Holds) => "accepted",
            Some(Binding::OtherOrder(_)) => "mismatch",
            Some(Binding::Expired) => "expired",
            None => answer.outcome(),
        };
        // The confirmation is on record before anything is sent: no order without its entry.
        self.audit(self.audit_entry(
            "confirmation",
            outcome,
            account,
            Some(order),
            None,
            json!({
                "answer": answer.outcome(),
                "named_code": match &answer { ConsentAnswer::Accepted { order_code } => Some(order_code.clone()), _ => None },
                "order_code": request.order_code,
                "seconds": round_to(elapsed.as_secs_f64(), 1),
                "reason": match &answer { ConsentAnswer::Unavailable(why) => Some(why.clone()), _ => None },
            }),
        ))
        .await
        .map_err(|e| {
            AppError::new(
                e.code,
                format!("not placed: the confirmation could not be written to the audit log ({})", e.message),
            )
        })?;
        let source = self.source();
        let declined = |outcome: &'static str, message: &str| PlacedView {
            placed: false,
            outcome,
            paper: prepared.view.paper,
            account: prepared.view.account.clone(),
            order: prepared.view.order.clone(),
            order_hash: prepared.view.order_hash.clone(),
            broker_order: None,
            broker: None,
            message: message.to_owned(),
            source: source.source.clone(),
            synthetic: source.synthetic,
        };
        match (&answer, binding) {
            (_, Some(Binding::Holds)) => {}
            (ConsentAnswer::Declined, _) => {
                return Ok(Confirmed::Done(declined(
                    "declined",
                    "you declined: nothing was sent",
                )));
            }
            (ConsentAnswer::Cancelled, _) => {
                return Ok(Confirmed::Done(declined(
                    "cancelled",
                    "the confirmation was dismissed: nothing was sent",
                )));
            }
            (ConsentAnswer::AlreadyUsed, _) => return Err(confirmation_used()),
            (ConsentAnswer::NoAnswer, _) => {
                return Err(refusal(
                    ErrorCode::AuthorizationError,
                    "no_answer",
                    format!(
                        "no answer within {} seconds: nothing was sent; preview again when you are ready",
                        CONFIRMATION_VALIDITY.as_secs()
                    ),
                ));
            }
            (ConsentAnswer::Unavailable(why), _) => return Err(no_confirmation(why)),
            (_, Some(Binding::OtherOrder(named))) => {
                return Err(refusal(
                    ErrorCode::AuthorizationError,
                    "confirmation_mismatch",
                    format!(
                        "the confirmation names order {named}, not this order ({}): the order changed after it was confirmed, so nothing was sent",
                        request.order_code
                    ),
                ));
            }
            (_, Some(Binding::Expired)) => {
                return Err(refusal(
                    ErrorCode::AuthorizationError,
                    "confirmation_expired",
                    format!(
                        "the confirmation came after {} seconds: nothing was sent; preview again",
                        CONFIRMATION_VALIDITY.as_secs()
                    ),
                ));
            }
            // Anything but an acceptance bound to this order sends nothing.
            _ => {
                return Err(refusal(
                    ErrorCode::AuthorizationError,
                    "not_confirmed",
                    format!("the order was not confirmed ({outcome}): nothing was sent"),
                ));
            }
        }
        // Sent once. An error here is reported as it is: the order may or may not have reached
        // the broker, so it is never sent again; list_orders shows what the broker holds.
        let placed = match self.broker().place_order(account, order).await {
            Ok(placed) => placed,
            Err(err) => {
                let error = AppError::from(err);
                let _ = self
                    .audit(self.audit_entry(
                        "place",
                        "failed",
                        account,
                        Some(order),
                        None,
                        json!({"error": error.message}),
                    ))
                    .await;
                return Err(AppError::new(
                    error.code,
                    format!(
                        "{}. ttai does not send an order twice: check list_orders before placing it again",
                        error.message
                    ),
                )
                .with_detail("reason", "broker_error"));
            }
        };
        let verdict = BrokerVerdict::of(&placed);
        let broker_order = placed.order.as_ref();
        let id = broker_order.and_then(|o| o.id.clone());
        let accepted = placed.accepted() && broker_order.is_some();
        let _ = self
            .audit(self.audit_entry(
                "place",
                if accepted { "placed" } else { "refused" },
                account,
                Some(order),
                id.clone(),
                json!({
                    "status": broker_order.map(|o| o.status.api_name()),
                    "errors": placed.errors,
                    "buying_power_used": verdict.buying_power_used,
                    "fees": verdict.fees.as_ref().map(|f| f.total_fees),
                }),
            ))
            .await;
        if !accepted {
            let why = placed
                .errors
                .iter()
                .map(|e| format!("{}: {}", e.code, e.message))
                .collect::<Vec<_>>()
                .join("; ");
            return Err(refusal(
                ErrorCode::TastytradeError,
                "broker_refused",
                format!("the broker refused the order: {why}"),
            ));
        }
        let summary = broker_order.map(OrderSummary::of);
        let message = format!(
            "{}placed as order {}: {} ({})",
            if prepared.view.paper { "paper order " } else { "" },
            id.unwrap_or_default(),
            order.describe(),
            summary.as_ref().map_or("status unknown", |s| s.status.api_name())
        );
        Ok(Confirmed::Done(PlacedView {
            placed: true,
            outcome: "placed",
            broker_order: summary,
            broker: Some(verdict),
            message,
            ..declined("placed", "")
        }))
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

    /// `cancel_order`: the person confirms, then the cancel is asked for once.
    pub async fn cancel_order(
        &self,
        account: Option<&str>,
        id: &str,
        consent: &dyn Consent,
    ) -> Result<Confirmed<CancelView>, AppError> {
        if !self.order_settings.allow_orders {
            self.audit_orders_off("cancel", account, Some(id)).await;
            return Err(orders_off());
        }
        let (number, _) = self.resolve_account(account).await?;
        let order = self.broker().order(&number, id).await?;
        let summary = OrderSummary::of(&order);
        let request_of = order.request();
        let entry = |outcome: &str, detail: Value| {
            self.audit_entry(
                "cancel",
                outcome,
                &number,
                request_of.as_ref(),
                Some(id.to_owned()),
                detail,
            )
        };
        if !summary.cancellable {
            let _ = self
                .audit(entry("refused", json!({"status": order.status.api_name()})))
                .await;
            return Err(refusal(
                ErrorCode::ValidationError,
                "not_cancellable",
                format!(
                    "order {id} is {}: there is nothing to cancel",
                    order.status.api_name().to_lowercase()
                ),
            ));
        }
        if let Err(why) = consent.available() {
            let _ = self
                .audit(entry(
                    "refused",
                    json!({"reason": "no_confirmation_channel", "why": why}),
                ))
                .await;
            return Err(no_confirmation(&why));
        }
        let paper = self.broker().is_paper();
        let canonical = format!(
            "cancel|{}|{id}|{}",
            number.as_str(),
            request_of
                .as_ref()
                .map_or_else(|| summary.ticket.clone(), OrderRequest::canonical)
        );
        let hash = crate::sha256::hex(canonical.as_bytes());
        let code: String = hash.chars().take(8).collect();
        let order_text = format!("CANCEL order {id}: {}", summary.ticket);
        let request = ConsentRequest {
            action: "cancel",
            account: number.as_str().to_owned(),
            title: "Cancel this order?".to_owned(),
            message: format!(
                "Cancel order {id} on account {}?{}\n{}\nstatus {} · {} remaining\norder code {code} · valid {} seconds",
                number.masked(),
                if paper { " (PAPER TRADING)" } else { "" },
                summary.ticket,
                summary.status.api_name(),
                summary.remaining,
                CONFIRMATION_VALIDITY.as_secs()
            ),
            order_text,
            order_hash: hash,
            order_code: code,
            valid_for: CONFIRMATION_VALIDITY,
        };
        let asked = tokio::time::Instant::now();
        let answer = consent.ask(&request).await;
        if let ConsentAnswer::Deferred(question) = answer {
            self.audit_asked(&number, request_of.as_ref(), Some(id), &request)
                .await?;
            return Ok(Confirmed::Asking(question));
        }
        let elapsed = consent.waited().unwrap_or_else(|| asked.elapsed());
        let binding = match &answer {
            ConsentAnswer::Accepted { order_code } => Some(check_binding(&request, order_code, elapsed)),
            _ => None,
        };
        let outcome = match &binding {
            Some(Binding::Holds) => "accepted",
            Some(Binding::OtherOrder(_)) => "mismatch",
            Some(Binding::Expired) => "expired",
            None => answer.outcome(),
        };
        self.audit(NewAuditEntry {
            action: "confirmation".to_owned(),
            outcome: outcome.to_owned(),
            ..entry(
                outcome,
                json!({
                    "answer": answer.outcome(),
                    "order_code": request.order_code,
                    "seconds": round_to(elapsed.as_secs_f64(), 1),
                }),
            )
        })
        .await?;
        let source = self.source();
        let unchanged = |outcome: &'static str, message: String| CancelView {
            cancelled: false,
            outcome,
            paper,
            account: number.masked(),
            order: summary.clone(),
            message,
            source: source.source.clone(),
            synthetic: source.synthetic,
        };
        match (&answer, binding) {
            (_, Some(Binding::Holds)) => {}
            (ConsentAnswer::Declined, _) => {
                return Ok(Confirmed::Done(unchanged(
                    "declined",
                    "you declined: the order stays as it is".to_owned(),
                )));
            }
            (ConsentAnswer::Cancelled, _) => {
                return Ok(Confirmed::Done(unchanged(
                    "dismissed",
                    "the confirmation was dismissed: the order stays as it is".to_owned(),
                )));
            }
            (ConsentAnswer::Unavailable(why), _) => return Err(no_confirmation(why)),
            (ConsentAnswer::AlreadyUsed, _) => return Err(confirmation_used()),
            _ => {
                return Err(refusal(
                    ErrorCode::AuthorizationError,
                    "not_confirmed",
                    format!("the cancel of order {id} was not confirmed ({outcome}): nothing was sent"),
                ));
            }
        }
        let after = match self.broker().cancel_order(&number, id).await {
            Ok(after) => after,
            Err(err) => {
                let error = AppError::from(err);
                let _ = self.audit(entry("failed", json!({"error": error.message}))).await;
                return Err(error);
            }
        };
        let _ = self
            .audit(entry("cancelled", json!({"status": after.status.api_name()})))
            .await;
        Ok(Confirmed::Done(CancelView {
            cancelled: true,
            outcome: "cancelled",
            order: OrderSummary::of(&after),
            message: format!(
                "{}order {id} is {}",
                if paper { "paper " } else { "" },
                after.status.api_name().to_lowercase()
            ),
            ..unchanged("cancelled", String::new())
        }))
    }

    /// The newest `limit` audit entries.
    pub async fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, AppError> {
        Ok(self.store().audit_log(limit).await?)
    }
}

/// The action names tools accept: `sell_to_open`, ... (or the API's `Sell to Open`).
pub fn parse_action(text: &str) -> Option<TradeAction> {
    let normalised = text.trim().to_ascii_lowercase().replace(['_', '-'], " ");
    TradeAction::from_api(&normalised).filter(|a| a.opens().is_some())
}

#[cfg(test)]
mod tests;
