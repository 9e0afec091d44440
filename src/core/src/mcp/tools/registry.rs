//! The tools a server offers: each found by name from the start, and the `tools/list` answer
//! built once, on first use or by [`ToolRegistry::prepare`] on another thread at start-up.
//!
//! A tool's output schema is derived from its types by `schemars`, which is most of the cost of
//! listing the tools (a few milliseconds in a fresh process): it is generated only for the list,
//! so a first `tools/call` does not wait for it. The list is kept as JSON text (one copy for
//! clients that render views, one for the others) and written into each answer as it is; each
//! tool's schema tree lives only while its entry is written, so the build does not raise the
//! process's peak memory by the size of every tree at once.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use serde_json::value::{RawValue, to_raw_value};

use super::{BacktestLab, Tool, ToolSpec};
use crate::mcp::apps;
use crate::mcp::methods::SharedRaw;
use crate::mcp::modern::CacheHint;

/// The tools a server offers, in listing order.
pub struct ToolRegistry {
    tools: Vec<Arc<dyn Tool>>,
    specs: Vec<ToolSpec>,
    by_name: HashMap<&'static str, usize>,
    lists: OnceLock<Lists>,
}

/// The `tools` array of `tools/list`, serialized once.
struct Lists {
    plain: SharedRaw,
    /// The same with the MCP Apps `_meta.ui` of the tools that have a view.
    views: SharedRaw,
}

/// A `tools/list` result: the prepared array, and under MCP 2026-07-28 its freshness hint (the
/// members in the order a JSON object map writes them).
#[derive(serde::Serialize)]
pub(crate) struct ToolsList {
    #[serde(rename = "cacheScope", skip_serializing_if = "Option::is_none")]
    cache_scope: Option<&'static str>,
    tools: SharedRaw,
    #[serde(rename = "ttlMs", skip_serializing_if = "Option::is_none")]
    ttl_ms: Option<u64>,
}

impl std::fmt::Debug for ToolRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.specs().map(|s| s.name)).finish()
    }
}

impl ToolRegistry {
    /// A registry of the given tools, in listing order.
    pub fn new(tools: Vec<Arc<dyn Tool>>) -> ToolRegistry {
        let specs: Vec<ToolSpec> = tools.iter().map(|t| t.spec()).collect();
        let by_name = specs.iter().enumerate().map(|(i, s)| (s.name, i)).collect();
        ToolRegistry {
            tools,
            specs,
            by_name,
            lists: OnceLock::new(),
        }
    }

    /// Builds the `tools/list` answer now (a caller that needs it meanwhile waits for this
    /// build rather than starting another).
    pub fn prepare(&self) {
        let _ = self.lists();
    }

    fn lists(&self) -> &Lists {
        self.lists.get_or_init(|| build_lists(&self.specs))
    }

    /// The `tools/list` result for a client that renders MCP Apps views (`views`) or not, with
    /// the freshness hint of a modern request (`hint`).
    pub(crate) fn list_for(&self, views: bool, hint: Option<CacheHint>) -> ToolsList {
        let lists = self.lists();
        ToolsList {
            cache_scope: hint.map(|h| h.scope.as_str()),
            tools: if views { &lists.views } else { &lists.plain }.clone(),
            ttl_ms: hint.map(|h| h.ttl_ms),
        }
    }

    /// A tool by name.
    pub fn get(&self, name: &str) -> Option<(&ToolSpec, &Arc<dyn Tool>)> {
        let index = *self.by_name.get(name)?;
        Some((self.specs.get(index)?, self.tools.get(index)?))
    }

    /// True when `name` is a long-running tool ([`super::Hints::long_running`]); false for a
    /// tool it does not know.
    pub fn is_long_running(&self, name: &str) -> bool {
        self.get(name).is_some_and(|(spec, _)| spec.hints.long_running)
    }

    /// Every tool's spec, in listing order.
    pub fn specs(&self) -> impl Iterator<Item = &ToolSpec> {
        self.specs.iter()
    }

    /// The market-data and account tools every broker supports.
    pub fn standard() -> Vec<Arc<dyn Tool>> {
        vec![
            Arc::new(super::get_quote::GetQuote),
            Arc::new(super::get_option_chain::GetOptionChain),
            Arc::new(super::get_positions::GetPositions),
            Arc::new(super::get_balances::GetBalances),
            Arc::new(super::get_market_metrics::GetMarketMetrics),
            Arc::new(super::search_symbols::SearchSymbols),
            Arc::new(super::get_portfolio_risk::GetPortfolioRisk),
        ]
    }

    /// The account's history, watchlists and the market's hours.
    pub fn history_and_market() -> Vec<Arc<dyn Tool>> {
        vec![
            Arc::new(super::get_transactions::GetTransactions),
            Arc::new(super::get_realized_pnl::GetRealizedPnl),
            Arc::new(super::get_net_liq_history::GetNetLiqHistory),
            Arc::new(super::get_watchlists::GetWatchlists),
            Arc::new(super::get_market_status::GetMarketStatus),
        ]
    }

    /// Price alerts and analysis history (they need the store).
    pub fn alerts_and_history() -> Vec<Arc<dyn Tool>> {
        vec![
            Arc::new(super::set_price_alert::SetPriceAlert),
            Arc::new(super::list_alerts::ListAlerts),
            Arc::new(super::delete_alert::DeleteAlert),
            Arc::new(super::get_analysis_history::GetAnalysisHistory),
        ]
    }

    /// The analyses: chart, options, full analysis.
    pub fn analysis() -> Vec<Arc<dyn Tool>> {
        vec![
            Arc::new(super::analyze_chart::AnalyzeChart),
            Arc::new(super::analyze_options::AnalyzeOptions),
            Arc::new(super::run_full_analysis::RunFullAnalysis),
        ]
    }

    /// The payoff of an options position (any legs).
    pub fn payoff() -> Vec<Arc<dyn Tool>> {
        vec![Arc::new(super::analyze_payoff::AnalyzePayoff)]
    }

    /// Backtests on the replay of a tape, run by `lab` on a replay of its own.
    pub fn backtest(lab: Arc<dyn BacktestLab>) -> Vec<Arc<dyn Tool>> {
        vec![Arc::new(super::run_backtest::RunBacktest::new(lab))]
    }

    /// The knowledge base.
    pub fn knowledge() -> Vec<Arc<dyn Tool>> {
        vec![Arc::new(super::search_knowledge::SearchKnowledge)]
    }

    /// Orders: preview (read-only), place and cancel (person-confirmed, off unless the server
    /// allows orders), list.
    pub fn orders() -> Vec<Arc<dyn Tool>> {
        vec![
            Arc::new(super::preview_order::PreviewOrder),
            Arc::new(super::place_order::PlaceOrder),
            Arc::new(super::list_orders::ListOrders),
            Arc::new(super::cancel_order::CancelOrder),
        ]
    }

    /// Tools that exist only for a replay broker.
    pub fn replay() -> Vec<Arc<dyn Tool>> {
        vec![Arc::new(super::replay_clock::ReplayClockTool)]
    }
}

/// Both `tools` arrays, one tool at a time: its entry (with its output schema generated now) is
/// written as text for each array and its tree dropped before the next.
fn build_lists(specs: &[ToolSpec]) -> Lists {
    let mut plain: Vec<Box<RawValue>> = Vec::with_capacity(specs.len());
    let mut views: Vec<Box<RawValue>> = Vec::with_capacity(specs.len());
    for spec in specs {
        let mut entry = spec.to_json();
        let Ok(text) = to_raw_value(&entry) else {
            tracing::error!(
                tool = spec.name,
                "a tool's entry could not be written; it is left out of tools/list"
            );
            continue;
        };
        let with_view = apps::tool_view(spec.name).and_then(|view| {
            let map = entry.as_object_mut()?;
            map.insert("_meta".into(), apps::tool_meta(view));
            to_raw_value(&entry).ok()
        });
        views.push(with_view.unwrap_or_else(|| text.clone()));
        plain.push(text);
    }
    let array = |entries: &[Box<RawValue>]| {
        SharedRaw(Arc::from(
            to_raw_value(entries).unwrap_or_else(|_| RawValue::NULL.to_owned()),
        ))
    };
    Lists {
        plain: array(&plain),
        views: array(&views),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn registry() -> ToolRegistry {
        let mut tools = ToolRegistry::standard();
        tools.extend(ToolRegistry::analysis());
        tools.extend(ToolRegistry::payoff());
        ToolRegistry::new(tools)
    }

    #[test]
    fn a_tool_is_found_without_building_the_list() {
        let registry = registry();
        let (spec, _) = registry.get("get_quote").unwrap();
        assert_eq!(spec.name, "get_quote");
        assert!(registry.is_long_running("run_full_analysis"));
        assert!(registry.get("no_such_tool").is_none());
        assert!(registry.lists.get().is_none(), "no schema generated for a call");
        registry.prepare();
        assert!(registry.lists.get().is_some());
    }

    #[test]
    fn the_list_is_every_spec_in_order_with_views_only_where_a_tool_has_one() {
        let registry = registry();
        let read = |views: bool, hint: Option<CacheHint>| -> Value {
            serde_json::to_value(registry.list_for(views, hint)).unwrap()
        };
        let plain = read(false, None);
        let expected: Vec<Value> = registry.specs().map(ToolSpec::to_json).collect();
        assert_eq!(plain, json!({ "tools": expected }));
        let views = read(true, None);
        let tools = views["tools"].as_array().unwrap();
        assert_eq!(tools.len(), expected.len());
        for (with_view, entry) in tools.iter().zip(&expected) {
            let name = entry["name"].as_str().unwrap();
            let mut wanted = entry.clone();
            if let Some(view) = apps::tool_view(name) {
                wanted["_meta"] = apps::tool_meta(view);
            }
            assert_eq!(with_view, &wanted, "{name}");
        }
        assert!(tools.iter().any(|t| t.get("_meta").is_some()));
        let modern = read(false, Some(CacheHint::STATIC));
        assert_eq!(modern["tools"], plain["tools"]);
        assert_eq!(modern["ttlMs"], CacheHint::STATIC.ttl_ms);
        assert_eq!(modern["cacheScope"], "public");
        // Written as a map would write it: the members in key order.
        let text = serde_json::to_string(&registry.list_for(false, Some(CacheHint::STATIC))).unwrap();
        assert!(
            text.starts_with(r#"{"cacheScope":"public","tools":[{"#),
            "{}",
            &text[..60]
        );
        assert!(text.ends_with(&format!(r#"],"ttlMs":{}}}"#, CacheHint::STATIC.ttl_ms)));
    }
}
