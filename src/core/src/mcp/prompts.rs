//! MCP prompts: the seed's three workflows plus an IV-rank scan, naming the tools they use.

use jsonrpsee::types::ErrorObjectOwned;
use serde_json::{Map, Value, json};

use super::envelope::codes;

struct Prompt {
    name: &'static str,
    title: &'static str,
    description: &'static str,
    arguments: &'static [(&'static str, &'static str, bool)],
}

const PROMPTS: &[Prompt] = &[
    Prompt {
        name: "analyze-for-csp",
        title: "Analyse a cash-secured put",
        description: "Step-by-step review of selling a cash-secured put on a symbol: volatility, chart levels, candidates, account fit.",
        arguments: &[("symbol", "the underlying to sell puts on, e.g. SPY", true)],
    },
    Prompt {
        name: "morning-briefing",
        title: "Morning briefing",
        description: "Start-of-day review of the account: balances, positions needing attention, alerts and volatility.",
        arguments: &[],
    },
    Prompt {
        name: "position-review",
        title: "Review a position",
        description: "Review the open positions in one underlying: P&L, risk, and whether to hold, close or roll.",
        arguments: &[("symbol", "the underlying whose positions to review", true)],
    },
    Prompt {
        name: "iv-rank-scan",
        title: "IV rank scan",
        description: "Scan positions and a watch list for IV-rank extremes: rich premium to sell, or cheap premium to avoid selling.",
        arguments: &[(
            "watchlist",
            "extra symbols to scan, comma-separated (optional)",
            false,
        )],
    },
];

pub(crate) fn list() -> Value {
    let prompts: Vec<Value> = PROMPTS
        .iter()
        .map(|p| {
            json!({
                "name": p.name,
                "title": p.title,
                "description": p.description,
                "arguments": p.arguments.iter().map(|(name, description, required)| json!({
                    "name": name, "description": description, "required": required
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({ "prompts": prompts })
}

fn invalid(message: String) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(codes::INVALID_PARAMS, message, None::<()>)
}

fn text(prompt: &Prompt, args: &Map<String, Value>) -> Result<String, ErrorObjectOwned> {
    let arg = |name: &str| {
        args.get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .unwrap_or_default()
            .to_owned()
    };
    Ok(match prompt.name {
        "analyze-for-csp" => {
            let symbol = arg("symbol").to_ascii_uppercase();
            format!(
                "Analyse selling a cash-secured put on {symbol}.\n\n\
                 1. Call get_quote for {symbol} and get_market_metrics for {symbol}: note the price, IV rank, IV vs HV30 \
                 and days to earnings. Premium is worth selling when IV rank is high (above ~0.30); be careful with \
                 earnings inside the trade's life.\n\
                 2. Call analyze_chart for {symbol} (daily): trend against the 20/50/200-day averages, RSI, and the \
                 nearest support. A put strike at or below support is better protected.\n\
                 3. Call analyze_options for {symbol} with strategy `csp` (30–45 DTE, short delta 0.15–0.35): compare the \
                 top candidates' credit, probability of profit, annualized return on capital, breakeven and liquidity.\n\
                 4. Call get_balances and get_positions: is there buying power for strike × 100 per contract, and how \
                 much {symbol} exposure is already on?\n\
                 5. Recommend one strike and expiration (or say to wait), with the reasons and the numbers behind them, \
                 and how you would manage it (take profit at 50%, roll or accept assignment if tested).\n\
                 State the data source of every number; if it says synthetic, say the data is a demo."
            )
        }
        "morning-briefing" => "Give me a morning briefing on my account.\n\n\
             1. Call get_portfolio_risk: net liq and buying power in use, the book's delta, theta, vega and \
             beta-weighted delta, the largest names as a share of net liq, and the worst cell of the scenario grid.\n\
             2. Go through its management signals, most urgent first: winners at 50% of max profit, positions at 21 \
             days to expiration, tested short strikes, ex-dividend dates before short calls expire, earnings before \
             expiration. Quote the numbers each signal carries.\n\
             3. Call list_alerts to see active and recently triggered price alerts.\n\
             4. Call get_market_metrics for the underlyings I hold: note IV rank extremes and upcoming earnings.\n\
             5. Summarise what needs attention today, most urgent first, with the numbers; say whether the book's \
             delta and the worst scenario fit the account."
            .to_owned(),
        "position-review" => {
            let symbol = arg("symbol").to_ascii_uppercase();
            format!(
                "Review my {symbol} positions.\n\n\
                 1. Call get_portfolio_risk with symbol {symbol}: the strategy each group of legs forms, its delta, theta \
                 and vega, the P&L over the scenario grid (worst cell), and the management signals with their numbers.\n\
                 2. Call get_quote for {symbol}, get_market_metrics for {symbol} and analyze_chart for {symbol}: where is \
                 price against strikes, support and resistance; what is IV rank now.\n\
                 3. For each short option, use the signals and legs: how much of the maximum profit is captured and how \
                 far the strike is from the price (in dollars and in expected moves).\n\
                 4. Recommend hold, close, or roll (out in time for a credit, and to which strike) for each, with the \
                 reasons; use search_knowledge for the rolling and defending guidance if unsure."
            )
        }
        "iv-rank-scan" => {
            let watch = arg("watchlist");
            let extra = if watch.is_empty() { String::new() } else { format!(" plus the watch list {watch}") };
            format!(
                "Scan for IV-rank extremes.\n\n\
                 1. Call get_positions and collect the underlyings I hold{extra}.\n\
                 2. Call get_market_metrics for all of them in one call.\n\
                 3. List those with IV rank above 0.50 (rich premium: candidates to sell) and below 0.20 (cheap premium: \
                 avoid selling, consider closing short premium early), with IV index, HV30, IV−HV spread, liquidity \
                 rating and days to earnings.\n\
                 4. For the two richest liquid names, call analyze_options with strategy `csp` or `spread` and show the \
                 top candidate of each."
            )
        }
        other => return Err(invalid(format!("Unknown prompt: {other}"))),
    })
}

pub(crate) fn get(params: &Map<String, Value>) -> Result<Value, ErrorObjectOwned> {
    let name = params
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("Invalid params: prompts/get needs `name` (a string)".to_owned()))?;
    let prompt = PROMPTS.iter().find(|p| p.name == name).ok_or_else(|| {
        ErrorObjectOwned::owned(
            codes::INVALID_PARAMS,
            format!("Unknown prompt: {name}"),
            Some(json!({ "available": PROMPTS.iter().map(|p| p.name).collect::<Vec<_>>() })),
        )
    })?;
    let empty = Map::new();
    let args = match params.get("arguments") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(map)) => map,
        Some(_) => {
            return Err(invalid(
                "Invalid params: arguments must be an object of strings".to_owned(),
            ));
        }
    };
    for (key, value) in args {
        if !prompt.arguments.iter().any(|(name, _, _)| name == key) {
            return Err(invalid(format!(
                "Invalid params: prompt {name} has no argument `{key}`"
            )));
        }
        if !value.is_string() {
            return Err(invalid(format!(
                "Invalid params: argument `{key}` must be a string"
            )));
        }
    }
    for (arg, _, required) in prompt.arguments {
        let given = args
            .get(*arg)
            .and_then(Value::as_str)
            .is_some_and(|s| !s.trim().is_empty());
        if *required && !given {
            return Err(invalid(format!(
                "Invalid params: prompt {name} needs the argument `{arg}`"
            )));
        }
        if *arg == "symbol" && given {
            let value = args.get(*arg).and_then(Value::as_str).unwrap_or_default();
            crate::domain::Symbol::parse(value)
                .map_err(|e| invalid(format!("Invalid params: symbol: {e}")))?;
        }
    }
    let text = text(prompt, args)?;
    Ok(json!({
        "description": prompt.description,
        "messages": [{ "role": "user", "content": { "type": "text", "text": text } }],
    }))
}
