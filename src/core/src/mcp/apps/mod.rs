//! MCP Apps (the `io.modelcontextprotocol/ui` extension, spec 2026-01-26): interactive HTML views
//! a host renders in a sandboxed frame beside a tool's answer.
//!
//! - Four views, each one self-contained HTML file (`src/core/views/`, assembled by `build.rs`
//!   and embedded in the binary), served as `ui://ttai/<view>.html` resources with the mimeType
//!   `text/html;profile=mcp-app`. They load nothing from the network (the spec's default CSP).
//! - The tools that have a view carry `_meta.ui.resourceUri` (and the deprecated flat
//!   `_meta["ui/resourceUri"]`) in `tools/list`; their results carry the view's data as a
//!   view-model in `_meta["ttai/view"]`, built in one place per view (the submodules), never in
//!   the text the model reads.
//! - All of it only for clients that declared the extension with that mimeType
//!   ([`accepts_views`], one function of the client's capabilities); every other client sees
//!   exactly the tools, resources and results it saw before.

pub(crate) mod backtest;
pub(crate) mod chain;
pub(crate) mod chart;
pub(crate) mod payoff;

use serde_json::{Map, Value, json};

use super::tools::ToolContext;

/// The extension's identifier in `capabilities.extensions`.
pub const EXTENSION_ID: &str = "io.modelcontextprotocol/ui";
/// The mimeType of an MCP Apps HTML view.
pub const MIME_TYPE: &str = "text/html;profile=mcp-app";
/// The largest a view may be (bytes): hosts load it into a frame on every render.
pub const MAX_VIEW_BYTES: usize = 256 * 1024;
/// The `_meta` key of a result's view-model.
pub const VIEW_META_KEY: &str = "ttai/view";
/// The deprecated flat `_meta` key some hosts still read.
const FLAT_RESOURCE_URI_KEY: &str = "ui/resourceUri";

/// One view.
#[derive(Clone, Copy, Debug)]
pub struct View {
    /// `ui://ttai/<name>.html`.
    pub uri: &'static str,
    /// Short name.
    pub name: &'static str,
    /// Human title.
    pub title: &'static str,
    /// What it shows.
    pub description: &'static str,
    /// The whole HTML document.
    pub html: &'static str,
}

/// The chart view (`analyze_chart`).
pub const CHART: View = View {
    uri: "ui://ttai/chart.html",
    name: "chart-view",
    title: "Chart",
    description: "Interactive candlestick chart with volume, SMA 20/50/200, Bollinger bands, support and resistance and the analysis' signals; daily, weekly and intraday.",
    html: include_str!(concat!(env!("OUT_DIR"), "/views/chart.html")),
};

/// The chain ladder view (`get_option_chain`, `analyze_options`).
pub const CHAIN: View = View {
    uri: "ui://ttai/chain.html",
    name: "chain-view",
    title: "Option chain",
    description: "Strike ladder around the money per expiration: bid/ask, IV, delta and open interest of calls and puts, the expected move marked, candidates highlighted.",
    html: include_str!(concat!(env!("OUT_DIR"), "/views/chain.html")),
};

/// The payoff view (`analyze_payoff`).
pub const PAYOFF: View = View {
    uri: "ui://ttai/payoff.html",
    name: "payoff-view",
    title: "Payoff",
    description: "P&L of an options position at expiration and on a chosen day over the underlying's price, breakevens, maximum profit and loss, probability of profit; sliders for days forward and an IV shift.",
    html: include_str!(concat!(env!("OUT_DIR"), "/views/payoff.html")),
};

/// The backtest view (`run_backtest`).
pub const BACKTEST: View = View {
    uri: "ui://ttai/backtest.html",
    name: "backtest-view",
    title: "Backtest",
    description: "Equity curve of a backtest with every trade marked, the totals and the trade list.",
    html: include_str!(concat!(env!("OUT_DIR"), "/views/backtest.html")),
};

/// Every view.
pub const VIEWS: [View; 4] = [CHART, CHAIN, PAYOFF, BACKTEST];

/// The view of each tool that has one.
const TOOL_VIEWS: [(&str, &View); 5] = [
    ("analyze_chart", &CHART),
    ("get_option_chain", &CHAIN),
    ("analyze_options", &CHAIN),
    ("analyze_payoff", &PAYOFF),
    ("run_backtest", &BACKTEST),
];

/// Whether a client renders MCP Apps views, from its capabilities (those of `initialize` in the
/// handshake era, those each request carries under MCP 2026-07-28): it declared `extensions["io.modelcontextprotocol/ui"]` with the
/// mimeType `text/html;profile=mcp-app`.
pub fn accepts_views(capabilities: &Value) -> bool {
    capabilities
        .get("extensions")
        .and_then(|e| e.get(EXTENSION_ID))
        .and_then(|ui| ui.get("mimeTypes"))
        .and_then(Value::as_array)
        .is_some_and(|types| types.iter().any(|t| t.as_str() == Some(MIME_TYPE)))
}

/// The server's capabilities, with the extension declared when the client accepts views.
pub(crate) fn with_extension(mut capabilities: Value, views: bool) -> Value {
    if views && let Some(map) = capabilities.as_object_mut() {
        map.insert(
            "extensions".into(),
            json!({ EXTENSION_ID: { "mimeTypes": [MIME_TYPE] } }),
        );
    }
    capabilities
}

/// The view of a tool, if it has one.
pub fn tool_view(tool: &str) -> Option<&'static View> {
    TOOL_VIEWS
        .iter()
        .find(|(name, _)| *name == tool)
        .map(|(_, view)| *view)
}

/// The `_meta` of a tool that has a view: `ui.resourceUri`, its visibility, and the deprecated
/// flat key.
pub fn tool_meta(view: &View) -> Value {
    json!({
        "ui": { "resourceUri": view.uri, "visibility": ["model", "app"] },
        FLAT_RESOURCE_URI_KEY: view.uri,
    })
}

fn resource_entry(view: &View) -> Value {
    json!({
        "uri": view.uri,
        "name": view.name,
        "title": view.title,
        "description": view.description,
        "mimeType": MIME_TYPE,
        "_meta": resource_meta(),
    })
}

/// The resource `_meta.ui`: no network at all (no CSP domains: the spec's restrictive default),
/// and a visible border.
fn resource_meta() -> Value {
    json!({ "ui": { "prefersBorder": true } })
}

/// A `resources/list` answer with the views added when the client accepts them.
pub(crate) fn with_view_resources(mut list: Value, views: bool) -> Value {
    if views && let Some(resources) = list.get_mut("resources").and_then(Value::as_array_mut) {
        resources.extend(VIEWS.iter().map(resource_entry));
    }
    list
}

/// True for a `ui://` URI.
pub(crate) fn is_view_uri(uri: &str) -> bool {
    uri.starts_with("ui://")
}

/// The `resources/read` answer of a view; `None` for an unknown view or a client that does not
/// accept views (to it they do not exist).
pub(crate) fn read_view(uri: &str, views: bool) -> Option<Value> {
    let view = VIEWS.iter().find(|v| v.uri == uri).filter(|_| views)?;
    Some(json!({ "contents": [{
        "uri": view.uri,
        "mimeType": MIME_TYPE,
        "text": view.html,
        "_meta": resource_meta(),
    }] }))
}

/// Whether the tool call's client renders views (the request's capabilities under MCP
/// 2026-07-28, its session's otherwise): only then is a view-model worth building.
pub(crate) fn wanted(ctx: &ToolContext) -> bool {
    ctx.accepts_views()
}

/// A result `_meta` holding `view_model`.
pub(crate) fn meta(view_model: Value) -> Value {
    let mut map = Map::new();
    map.insert(VIEW_META_KEY.into(), view_model);
    Value::Object(map)
}

/// A price (or any amount) to cents for drawing.
pub(crate) fn cents(value: f64) -> f64 {
    crate::domain::round_to(value, 2)
}

#[cfg(test)]
mod tests;
