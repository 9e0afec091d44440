//! What the fake answers: the User-Agent check, scripted faults, the token endpoint, the bearer
//! check, and one handler per endpoint.

use std::time::Instant;

use serde_json::{Value, json};
use ttai_core::domain::{InstrumentType, rank_symbol_matches};

use super::server::{Reply, percent_decode};
use super::{Endpoint, Fault, RecordedRequest, Shared, State, futures, history, orders, render};

/// The most symbols `/market-data/by-type` and `/market-metrics` take per request.
const MAX_SYMBOLS: usize = 100;

/// Which endpoint a request is for.
pub(crate) fn route(method: &str, path: &str) -> Endpoint {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (method, segments.as_slice()) {
        ("POST", ["oauth", "token"]) => Endpoint::Token,
        ("GET", ["customers", "me", "accounts"]) => Endpoint::Accounts,
        ("GET", ["accounts", _, "balances"] | ["accounts", _, "balances", "USD"]) => Endpoint::Balances,
        ("GET", ["accounts", _, "positions"]) => Endpoint::Positions,
        ("GET", ["market-data", "by-type"]) => Endpoint::MarketData,
        ("GET", ["option-chains", _, "nested"]) => Endpoint::OptionChain,
        ("GET", ["futures-option-chains", _, "nested"]) => Endpoint::FutureOptionChain,
        ("GET", ["instruments", "equities"] | ["instruments", "equities", _]) => Endpoint::Equities,
        ("GET", ["instruments", "futures"] | ["instruments", "futures", _]) => Endpoint::Futures,
        ("GET", ["market-metrics"]) => Endpoint::MarketMetrics,
        ("GET", ["symbols", "search", _]) => Endpoint::SymbolSearch,
        ("GET", ["api-quote-tokens"]) => Endpoint::QuoteToken,
        ("GET", ["accounts", _, "transactions"]) => Endpoint::Transactions,
        ("GET", ["accounts", _, "net-liq", "history"]) => Endpoint::NetLiqHistory,
        ("GET", ["watchlists"] | ["watchlists", _]) => Endpoint::Watchlists,
        ("GET", ["market-time", "sessions", "current"]) => Endpoint::MarketSessions,
        ("GET", ["market-time", "equities", "holidays"]) => Endpoint::MarketHolidays,
        ("POST", ["accounts", _, "orders", "dry-run"]) => Endpoint::OrderDryRun,
        ("POST", ["accounts", _, "orders"]) => Endpoint::PlaceOrder,
        ("GET", ["accounts", _, "orders", "live"]) => Endpoint::LiveOrders,
        ("GET", ["accounts", _, "orders"]) => Endpoint::OrderHistory,
        ("GET", ["accounts", _, "orders", _]) => Endpoint::OrderById,
        ("DELETE", ["accounts", _, "orders", _]) => Endpoint::CancelOrder,
        _ => Endpoint::Other,
    }
}

/// The JSON error envelope.
pub(super) fn error(status: u16, code: &str, message: &str) -> Reply {
    Reply::json(status, &json!({"error": {"code": code, "message": message}}))
}

/// The success envelope around `data`.
pub(super) fn data(request: &RecordedRequest, data: Value) -> Reply {
    Reply::json(200, &json!({"data": data, "context": request.path()}))
}

/// A list answer.
pub(super) fn items(request: &RecordedRequest, items: Vec<Value>) -> Reply {
    data(request, json!({"items": items}))
}

/// Answers one request, recording it first.
pub(crate) fn handle(shared: &Shared, mut request: RecordedRequest) -> Reply {
    request.endpoint = route(&request.method, request.path());
    let mut state = shared.lock();
    *state.calls.entry(request.endpoint).or_insert(0) += 1;
    state.requests.push(request.clone());
    // TastyTrade's nginx turns a request without a User-Agent away before anything else.
    if request.header("user-agent").is_none_or(|ua| ua.trim().is_empty()) {
        return Reply::html(401);
    }
    let mut delay = std::time::Duration::ZERO;
    if let Some(fault) = state
        .script
        .get_mut(&request.endpoint)
        .and_then(|q| q.pop_front())
    {
        match fault {
            Fault::Slow(d) => delay = d,
            other => return fault_reply(other),
        }
    }
    let mut reply = answer(&mut state, &request);
    reply.delay = delay;
    reply
}

/// The answer a scripted fault stands for.
fn fault_reply(fault: Fault) -> Reply {
    match fault {
        Fault::Unauthorized => error(
            401,
            "unauthorized",
            "Unauthorized. Unique customer support identifier: fake-0001",
        ),
        Fault::RateLimited { retry_after } => {
            let mut reply = error(429, "rate_limited", "Too many requests");
            if let Some(seconds) = retry_after {
                reply
                    .headers
                    .push(("Retry-After".to_owned(), seconds.to_string()));
            }
            reply
        }
        Fault::Status(status) => match status {
            404 => error(status, "record_not_found", "Couldn't find the requested record"),
            500..=599 => error(status, "internal_error", "Something went wrong on our side"),
            _ => error(status, "error", "The request failed"),
        },
        Fault::Html(status) => Reply::html(status),
        Fault::Empty(status) => Reply::empty(status),
        Fault::Reply { status, body } => Reply {
            status,
            content_type: Some("application/json"),
            headers: Vec::new(),
            body: body.into_bytes(),
            delay: std::time::Duration::ZERO,
        },
        // Handled by the caller: a slow answer is a normal one, late.
        Fault::Slow(_) => Reply::empty(500),
    }
}

/// The normal answer.
fn answer(state: &mut State, request: &RecordedRequest) -> Reply {
    if request.endpoint == Endpoint::Token {
        return token(state, request);
    }
    if !bearer_is_valid(state, request) {
        return error(
            401,
            "unauthorized",
            "Unauthorized. The access token is missing, expired or not valid",
        );
    }
    match request.endpoint {
        Endpoint::Accounts => accounts(state, request),
        Endpoint::Balances => balances(state, request),
        Endpoint::Positions => positions(state, request),
        Endpoint::MarketData => market_data(state, request),
        Endpoint::OptionChain => option_chain(state, request),
        Endpoint::FutureOptionChain => future_option_chain(state, request),
        Endpoint::Equities => equities(state, request),
        Endpoint::Futures => futures_instruments(state, request),
        Endpoint::MarketMetrics => market_metrics(state, request),
        Endpoint::SymbolSearch => symbol_search(state, request),
        Endpoint::QuoteToken => quote_token(state, request),
        Endpoint::Transactions => history::transactions(state, request),
        Endpoint::NetLiqHistory => history::net_liq_history(state, request),
        Endpoint::Watchlists => history::watchlists(state, request),
        Endpoint::MarketSessions => history::market_sessions(state, request),
        Endpoint::MarketHolidays => history::market_holidays(state, request),
        Endpoint::OrderDryRun => orders::submit(state, request, false),
        Endpoint::PlaceOrder => orders::submit(state, request, true),
        Endpoint::LiveOrders => orders::live(state, request),
        Endpoint::OrderHistory => orders::history(state, request),
        Endpoint::OrderById => orders::one(state, request),
        Endpoint::CancelOrder => orders::cancel(state, request),
        Endpoint::Token | Endpoint::Other => error(404, "not_found", "No route matches this request"),
    }
}

/// True when the request carries `Authorization: Bearer <a token minted and not expired>`.
fn bearer_is_valid(state: &State, request: &RecordedRequest) -> bool {
    let Some(token) = request
        .header("authorization")
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    state
        .tokens
        .get(token.trim())
        .is_some_and(|expires| Instant::now() < *expires)
}

/// `POST /oauth/token`: the refresh-token grant, flat OAuth JSON.
fn token(state: &mut State, request: &RecordedRequest) -> Reply {
    // TastyTrade's OAuth errors: `error_code` and `error_description` (not RFC 6749's `error`).
    let oauth_error = |status: u16, code: &str, description: &str| {
        Reply::json(
            status,
            &json!({"error_code": code, "error_description": description}),
        )
    };
    let Some(body) = request.json() else {
        return oauth_error(400, "invalid_request", "Body is not JSON");
    };
    let field = |name: &str| {
        body.get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    if field("grant_type") != "refresh_token" {
        return oauth_error(400, "unsupported_grant_type", "Only refresh_token is supported");
    }
    if field("client_secret") != state.options.client_secret
        || field("refresh_token") != state.options.refresh_token
    {
        return oauth_error(401, "invalid_grant", "Invalid JWT");
    }
    state.minted += 1;
    let access = format!("{}-{}", state.options.token_prefix, state.minted);
    let expires_in = state.expires_in;
    state.tokens.insert(
        access.clone(),
        Instant::now() + std::time::Duration::from_secs(expires_in),
    );
    Reply::json(
        200,
        &json!({"access_token": access, "token_type": "Bearer", "expires_in": expires_in}),
    )
}

/// `GET /api-quote-tokens`: a DXLink token valid for 24 h and the fake's websocket URL.
fn quote_token(state: &mut State, request: &RecordedRequest) -> Reply {
    state.dx.tokens_minted += 1;
    let token = format!("{}-quote-{}", state.options.token_prefix, state.dx.tokens_minted);
    state.dx.valid_tokens.insert(token.clone());
    let now = state.options.now;
    data(
        request,
        json!({
            "token": token,
            "dxlink-url": format!("ws://{}/realtime", state.dxlink_addr),
            "level": "api",
            "issued-at": now.to_string(),
            "expires-at": now.add_millis(24 * 3_600_000).to_string(),
        }),
    )
}

/// `GET /customers/me/accounts`, with one closed account the client must leave out.
fn accounts(state: &State, request: &RecordedRequest) -> Reply {
    let mut list: Vec<Value> = state
        .options
        .market
        .accounts
        .iter()
        .map(|a| render::account(a, false))
        .collect();
    if let Some(closed) = &state.options.closed_account {
        list.push(render::account(
            &ttai_core::domain::Account {
                number: ttai_core::domain::AccountNumber::new(closed.clone()),
                nickname: Some("Old IRA".to_owned()),
                account_type: Some("Traditional IRA".to_owned()),
                margin_or_cash: Some("Cash".to_owned()),
            },
            true,
        ));
    }
    items(request, list)
}

/// The account number of an `/accounts/{n}/...` path, when it is one of the market's accounts.
pub(super) fn known_account(state: &State, request: &RecordedRequest) -> Option<String> {
    let number = percent_decode(request.path().split('/').nth(2).unwrap_or_default(), false);
    state
        .options
        .market
        .accounts
        .iter()
        .any(|a| a.number.as_str() == number)
        .then_some(number)
}

/// What TastyTrade is assumed to answer for an account the customer does not have.
pub(super) fn not_permitted() -> Reply {
    error(
        403,
        "not_permitted",
        "User is not permitted to access this account",
    )
}

/// `GET /accounts/{n}/balances`.
fn balances(state: &State, request: &RecordedRequest) -> Reply {
    let Some(number) = known_account(state, request) else {
        return not_permitted();
    };
    match state
        .options
        .market
        .balances
        .iter()
        .find(|b| b.account.as_str() == number)
    {
        Some(b) => data(request, render::balances(b)),
        None => error(404, "record_not_found", "No balances for this account"),
    }
}

/// `GET /accounts/{n}/positions[?include-marks=true]`.
fn positions(state: &State, request: &RecordedRequest) -> Reply {
    let Some(number) = known_account(state, request) else {
        return not_permitted();
    };
    let include_marks = request
        .query()
        .iter()
        .any(|(k, v)| k == "include-marks" && v == "true");
    let list = state
        .options
        .market
        .positions
        .iter()
        .filter(|p| p.account.as_str() == number)
        .map(|p| render::position(p, include_marks, state.options.now))
        .collect();
    items(request, list)
}

/// The symbols of a list parameter, in any of the accepted forms: repeated keys, `key[]`, or
/// comma-separated values.
pub(super) fn list_param(request: &RecordedRequest, key: &str) -> Vec<String> {
    request
        .query()
        .into_iter()
        .filter(|(k, _)| k.trim_end_matches("[]") == key)
        .flat_map(|(_, v)| {
            v.split(',')
                .map(str::to_owned)
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The validation error for too many symbols.
fn too_many_symbols(n: usize) -> Reply {
    Reply::json(
        400,
        &json!({"error": {"code": "validation_error", "message": "Request validation failed",
                "errors": [{"domain": "symbols", "reason": format!("{n} symbols exceed the limit of {MAX_SYMBOLS}")}]}}),
    )
}

/// `GET /market-data/by-type?equity=...&index=...&equity-option=...&future=...&future-option=...`:
/// each symbol answered only under its own key; a futures product (`/ES`) is no contract and is
/// not answered.
fn market_data(state: &State, request: &RecordedRequest) -> Reply {
    let market = &state.options.market;
    let today = state.options.now.date();
    let equities = list_param(request, "equity");
    let indices = list_param(request, "index");
    let options = list_param(request, "equity-option");
    let futures = list_param(request, "future");
    let future_options = list_param(request, "future-option");
    let total = equities.len() + indices.len() + options.len() + futures.len() + future_options.len();
    if total > MAX_SYMBOLS {
        return too_many_symbols(total);
    }
    let quote_of = |symbol: &str, wanted: &[InstrumentType]| {
        market
            .quotes
            .iter()
            .find(|q| {
                q.symbol.as_str() == symbol
                    && wanted.contains(&q.instrument_type.unwrap_or(InstrumentType::Equity))
            })
            .map(render::quote)
    };
    let mut list: Vec<Value> = Vec::new();
    list.extend(
        equities
            .iter()
            .filter_map(|s| quote_of(s, &[InstrumentType::Equity])),
    );
    list.extend(
        indices
            .iter()
            .filter_map(|s| quote_of(s, &[InstrumentType::Index])),
    );
    list.extend(
        futures
            .iter()
            .filter(|s| futures::contract(s, today).is_some())
            .filter_map(|s| quote_of(s, &[InstrumentType::Future])),
    );
    let option_kinds = [InstrumentType::EquityOption, InstrumentType::FutureOption];
    for symbol in options.iter().chain(&future_options) {
        let future_option = symbol.starts_with("./");
        if future_option != future_options.contains(symbol) {
            continue;
        }
        let contract = market.chains.iter().find_map(|chain| {
            chain
                .expirations
                .iter()
                .flat_map(|e| &e.strikes)
                .flat_map(|row| [&row.call, &row.put])
                .flatten()
                .find(|c| &c.symbol == symbol)
                .map(|c| render::option_quote(c, chain.as_of))
        });
        if let Some(item) = contract.or_else(|| quote_of(symbol, &option_kinds)) {
            list.push(item);
        }
    }
    items(request, list)
}

/// `GET /instruments/equities?symbol[]=...` (or `/instruments/equities/{symbol}`): the stocks,
/// ETFs and indices the market quotes; an index has `is-index: true`.
fn equities(state: &State, request: &RecordedRequest) -> Reply {
    let market = &state.options.market;
    let equity = |symbol: &String| {
        let (position, quote) = market.quotes.iter().enumerate().find(|(_, q)| {
            q.symbol.as_str() == symbol
                && matches!(
                    q.instrument_type,
                    None | Some(InstrumentType::Equity | InstrumentType::Index)
                )
        })?;
        let description = market
            .instruments
            .iter()
            .find(|i| i.symbol == quote.symbol)
            .map_or_else(|| symbol.clone(), |i| i.description.clone());
        let is_index = quote.instrument_type == Some(InstrumentType::Index);
        Some(render::equity_instrument(
            position + 1,
            symbol,
            &description,
            is_index,
        ))
    };
    match request.path().split('/').nth(3).map(|s| percent_decode(s, false)) {
        Some(symbol) => match equity(&symbol) {
            Some(one) => data(request, one),
            None => error(404, "record_not_found", "Couldn't find Equity"),
        },
        None => items(
            request,
            list_param(request, "symbol").iter().filter_map(equity).collect(),
        ),
    }
}

/// `GET /instruments/futures?product-code[]=ES` (or `symbol[]=`, or `/instruments/futures/{symbol}`).
fn futures_instruments(state: &State, request: &RecordedRequest) -> Reply {
    let market = &state.options.market;
    let single = request.path().split('/').nth(3).map(|s| percent_decode(s, false));
    let (products, symbols) = match &single {
        Some(symbol) => (Vec::new(), vec![symbol.clone()]),
        None => (list_param(request, "product-code"), list_param(request, "symbol")),
    };
    let found = futures::instruments(market, &products, &symbols, state.options.now);
    match single {
        Some(_) => match found.into_iter().next() {
            Some(one) => data(request, one),
            None => error(404, "record_not_found", "Couldn't find Future"),
        },
        None => items(request, found),
    }
}

/// `GET /futures-option-chains/{product}/nested`: an unknown product is 404.
fn future_option_chain(state: &State, request: &RecordedRequest) -> Reply {
    let product = percent_decode(request.path().split('/').nth(2).unwrap_or_default(), false);
    match futures::nested_chain(
        &state.options.market,
        product.trim_start_matches('/'),
        state.options.now,
    ) {
        Some(chain) => data(request, chain),
        None => error(404, "record_not_found", "Couldn't find future product"),
    }
}

/// `GET /option-chains/{symbol}/nested`: an unknown symbol has no items.
fn option_chain(state: &State, request: &RecordedRequest) -> Reply {
    let symbol = percent_decode(request.path().split('/').nth(2).unwrap_or_default(), false);
    let list = state
        .options
        .market
        .chains
        .iter()
        .find(|c| c.underlying.as_str() == symbol)
        .map(|c| render::nested_chain(c, state.options.now))
        .unwrap_or_default();
    items(request, list)
}

/// `GET /market-metrics?symbols=A,B`.
fn market_metrics(state: &State, request: &RecordedRequest) -> Reply {
    let symbols = list_param(request, "symbols");
    if symbols.len() > MAX_SYMBOLS {
        return too_many_symbols(symbols.len());
    }
    let list = symbols
        .iter()
        .filter_map(|s| {
            state
                .options
                .market
                .metrics
                .iter()
                .find(|m| m.symbol.as_str() == s)
                .map(render::metrics)
        })
        .collect();
    items(request, list)
}

/// `GET /symbols/search/{prefix}`.
fn symbol_search(state: &State, request: &RecordedRequest) -> Reply {
    let query = percent_decode(request.path().split('/').nth(3).unwrap_or_default(), false);
    let list = rank_symbol_matches(&state.options.market.instruments, &query, usize::MAX)
        .iter()
        .map(render::symbol)
        .collect();
    items(request, list)
}
