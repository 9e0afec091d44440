//! MCP prompts: the seed's three workflows plus an IV-rank scan, naming the tools they use.

use jsonrpsee::types::ErrorObjectOwned;
use serde_json::{Map, Value, json};

use super::envelope::codes;
use crate::app::analysis::{IV_RANK_HIGH, IV_RANK_LOW};
use crate::domain::Alert;

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
        description: "Start-of-day review of the account: whether the market is open, the book's risk, positions needing attention, alerts, volatility and recent P&L.",
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
            "a watchlist's name (see get_watchlists) or extra symbols, comma-separated (optional)",
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

/// What the morning briefing says first about alerts that fired while no client was connected.
fn fired_while_away(alerts: &[Alert]) -> String {
    if alerts.is_empty() {
        return String::new();
    }
    let lines: Vec<String> = alerts
        .iter()
        .map(|a| {
            let fired = match (a.triggered_price, a.triggered_at) {
                (Some(price), Some(at)) => format!(" at {price} on {at}"),
                _ => String::new(),
            };
            let note = a
                .note
                .as_deref()
                .map(|n| format!(" (note: {n})"))
                .unwrap_or_default();
            format!(
                "- {} {} {} ({}){fired}{note}",
                a.symbol,
                a.condition.as_str(),
                a.threshold,
                a.id
            )
        })
        .collect();
    format!(
        "While no client was connected, these price alerts fired; report them first:\n{}\n\n",
        lines.join("\n")
    )
}

fn text(prompt: &Prompt, args: &Map<String, Value>, away: &[Alert]) -> Result<String, ErrorObjectOwned> {
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
                 1. Call run_full_analysis with symbol {symbol} and strategy `csp`. It does the whole review in one \
                 call: the daily chart (trend, support), the ranked puts (30–45 DTE, short delta 0.15–0.35, ranked by \
                 expected value per dollar at risk, each at a limit price on the option's tick), the account (the \
                 short {symbol} options already held, exposure to {symbol}, option buying power in use) and a \
                 recommendation with how many contracts fit the caps and cautions by severity.\n\
                 2. Report the recommendation's action and headline. If it is `sell`, give the order (contracts, \
                 strike, expiration, limit price and the natural price beside it), the expected value, probability of \
                 profit, breakeven, return on capital, and the management plan. If it is `wait` or `avoid`, say why \
                 from the blocking or major cautions and what would change the answer (e.g. exposure below the cap, \
                 IV rank above {low:.2}).\n\
                 3. Mention the existing {symbol} positions listed under account.positions_in_symbol and how they \
                 count toward the exposure cap.\n\
                 4. For a different window or cap, call analyze_options with strategy `csp` and `dte_min`/`dte_max`, \
                 `delta_min`/`delta_max` or `max_exposure_percent`.\n\
                 State the data source of every number; if it says synthetic, say the data is a demo.",
                low = IV_RANK_LOW
            )
        }
        "morning-briefing" => format!(
            "Give me a morning briefing on my account.\n\n{}\
             1. Call get_market_status. If the market is closed (a weekend, a holiday, before the open or after \
             the close), say so first, with when it opens next, and say that prices are the last session's; mention \
             any holiday or early close in its upcoming_closures this week.\n\
             2. Call get_portfolio_risk: net liq and buying power in use, the book's delta, theta, vega and \
             beta-weighted delta, the largest names as a share of net liq, and the worst cell of the scenario grid.\n\
             3. Go through its management signals, most urgent first: winners at 50% of max profit, positions at 21 \
             days to expiration, tested short strikes, ex-dividend dates before short calls expire, earnings before \
             expiration. Quote the numbers each signal carries.\n\
             4. Call list_alerts with status `triggered` and `since` the previous session's date (from step 1) for \
             the price alerts that fired since then (its fired_while_away lists those no client was connected to \
             hear), and list_alerts (active) for those still waiting.\n\
             5. Call get_market_metrics for the underlyings I hold: note IV rank extremes and upcoming earnings.\n\
             6. Call get_net_liq_history (time_back 1m) for the month's change and drawdown, and get_realized_pnl \
             for the year to date by underlying.\n\
             7. Summarise what needs attention today, most urgent first, with the numbers; say whether the book's \
             delta and the worst scenario fit the account.",
            fired_while_away(away)
        ),
        "position-review" => {
            let symbol = arg("symbol").to_ascii_uppercase();
            format!(
                "Review my {symbol} positions.\n\n\
                 1. Call get_portfolio_risk with symbol {symbol}: the strategy each group of legs forms, its delta, theta \
                 and vega, the P&L over the scenario grid (worst cell), and the management signals with their numbers.\n\
                 2. Call get_quote for {symbol}, get_market_metrics for {symbol} and analyze_chart for {symbol}: where is \
                 price against strikes, support and resistance; what is IV rank now.\n\
                 3. Call get_option_chain for {symbol} with the expiration of each short option (`expiration`): its \
                 `expected_move` gives ±1σ by expiration from the at-the-money IV and the ATM straddle.\n\
                 4. For each short option, use the signals and legs: how much of the maximum profit is captured and how \
                 far the strike is from the price, in dollars and in expected moves (distance / one_sigma).\n\
                 5. Call get_transactions with symbol {symbol} (start_date a year back) for how the position was \
                 built: the opening credits or debits, rolls, assignments; and get_realized_pnl with symbol {symbol} \
                 for what it has realized so far this year.\n\
                 6. Recommend hold, close, or roll (out in time for a credit, and to which strike) for each, with the \
                 reasons; use search_knowledge for the rolling and defending guidance if unsure."
            )
        }
        "iv-rank-scan" => {
            let watch = arg("watchlist");
            let extra = if watch.is_empty() {
                String::new()
            } else {
                format!(
                    " plus the watchlist {watch:?}: call get_watchlists with name {watch:?} for its symbols (if no \
                     watchlist has that name, read it as a comma-separated list of symbols)"
                )
            };
            format!(
                "Scan for IV-rank extremes.\n\n\
                 1. Call get_positions and collect the underlyings I hold{extra}.\n\
                 2. Call get_market_metrics for all of them in one call.\n\
                 3. List those with IV rank at or above {high:.2} (rich premium: candidates to sell) and below {low:.2} \
                 (cheap premium: avoid selling, consider closing short premium early); these are the thresholds \
                 analyze_options and run_full_analysis use. Give IV index, HV30, IV−HV spread, liquidity rating and \
                 days to earnings.\n\
                 4. For the two richest liquid names, call analyze_options with strategy `csp` or `spread` and show the \
                 top candidate of each with its limit price, expected value and the contracts that fit.",
                high = IV_RANK_HIGH,
                low = IV_RANK_LOW
            )
        }
        other => return Err(invalid(format!("Unknown prompt: {other}"))),
    })
}

/// `prompts/get`; `away` are the alerts that fired while no client was connected (the morning
/// briefing reports them).
pub(crate) fn get(params: &Map<String, Value>, away: &[Alert]) -> Result<Value, ErrorObjectOwned> {
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
    let text = text(prompt, args, away)?;
    Ok(json!({
        "description": prompt.description,
        "messages": [{ "role": "user", "content": { "type": "text", "text": text } }],
    }))
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, Value, json};

    fn text(name: &str, args: Value) -> String {
        let mut params = Map::new();
        params.insert("name".into(), json!(name));
        params.insert("arguments".into(), args);
        let got = super::get(&params, &[]).unwrap();
        got["messages"][0]["content"]["text"].as_str().unwrap().to_owned()
    }

    #[test]
    fn the_prompts_use_the_tools_that_answer_them() {
        let csp = text("analyze-for-csp", json!({"symbol": "spy"}));
        assert!(
            csp.contains("run_full_analysis with symbol SPY and strategy `csp`"),
            "{csp}"
        );
        let review = text("position-review", json!({"symbol": "qqq"}));
        assert!(
            review.contains("get_option_chain") && review.contains("expected_move"),
            "{review}"
        );
        let briefing = text("morning-briefing", json!({}));
        assert!(
            briefing.contains("list_alerts with status `triggered` and `since`"),
            "{briefing}"
        );
        assert!(!briefing.contains("While no client was connected"), "{briefing}");
        assert!(
            briefing.contains("get_market_status") && briefing.contains("market is closed"),
            "{briefing}"
        );
        assert!(
            briefing.contains("get_net_liq_history") && briefing.contains("get_realized_pnl"),
            "{briefing}"
        );
        assert!(
            review.contains("get_transactions with symbol QQQ") && review.contains("get_realized_pnl"),
            "{review}"
        );
        let watchlist = text("iv-rank-scan", json!({"watchlist": "Tech"}));
        assert!(
            watchlist.contains(r#"get_watchlists with name "Tech""#),
            "{watchlist}"
        );
        // The scan uses the tool's own IV rank thresholds.
        let scan = text("iv-rank-scan", json!({}));
        assert!(
            scan.contains(&format!("{:.2}", crate::app::analysis::IV_RANK_HIGH))
                && scan.contains(&format!("below {:.2}", crate::app::analysis::IV_RANK_LOW)),
            "{scan}"
        );
    }

    #[test]
    fn the_morning_briefing_reports_alerts_that_fired_while_no_client_was_connected() {
        use crate::domain::{Alert, AlertCondition, AlertId, AlertStatus, Symbol};
        let at: crate::time::Timestamp = "2026-03-10T21:00:00Z".parse().unwrap();
        let alert = Alert {
            id: AlertId("alrt_000000000007".into()),
            symbol: Symbol::parse("SPY").unwrap(),
            condition: AlertCondition::Above,
            threshold: 560.0,
            note: Some("breakout".into()),
            status: AlertStatus::Triggered,
            created_at: at,
            triggered_at: Some(at),
            triggered_price: Some(561.2),
            deleted_at: None,
        };
        let mut params = Map::new();
        params.insert("name".into(), json!("morning-briefing"));
        let got = super::get(&params, &[alert]).unwrap();
        let text = got["messages"][0]["content"]["text"].as_str().unwrap();
        assert!(
            text.contains("While no client was connected")
                && text.contains(
                    "- SPY above 560 (alrt_000000000007) at 561.2 on 2026-03-10T21:00:00Z (note: breakout)"
                ),
            "{text}"
        );
    }
}
