//! MCP Apps on the protocol side: capability gating, the `ui://` resources, the tools' `_meta.ui`,
//! the results' view-models and the size cap, driven through `handle_frame` as a transport would.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::*;
use crate::app::App;
use crate::mcp::{McpServer, ServerInfo, Session, ToolRegistry};
use crate::testing::{
    CollectingOutbound, FakeBroker, InMemoryStore, sample_config, sample_market, sample_now,
};

const UI_CAPABILITIES: &str =
    r#"{"extensions":{"io.modelcontextprotocol/ui":{"mimeTypes":["text/html;profile=mcp-app"]}}}"#;

struct Client {
    server: McpServer,
    session: Arc<Session>,
    out: Arc<CollectingOutbound>,
    next: std::sync::atomic::AtomicU64,
    /// The answer to `initialize`.
    initialized: Value,
}

fn initialize(capabilities: &str) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","id":0,"method":"initialize","params":{{"protocolVersion":"2025-11-25","capabilities":{capabilities},"clientInfo":{{"name":"t","version":"1"}}}}}}"#
    )
}

/// A server on the sample market with the market-data, analysis and payoff tools.
fn server() -> McpServer {
    let broker = Arc::new(FakeBroker::new(sample_market(), sample_now()));
    let app = Arc::new(App::new(broker, Arc::new(InMemoryStore::new()), sample_config()));
    let mut tools = ToolRegistry::standard();
    tools.extend(ToolRegistry::analysis());
    tools.extend(ToolRegistry::payoff());
    McpServer::new(
        app,
        ToolRegistry::new(tools),
        ServerInfo {
            name: "ttai".into(),
            version: "test".into(),
        },
    )
}

impl Client {
    /// A session initialized with `capabilities` (JSON text).
    async fn new(capabilities: &str) -> Client {
        let server = server();
        let out = Arc::new(CollectingOutbound::new());
        let session = server.open_session(out.clone());
        let mut client = Client {
            server,
            session,
            out,
            next: std::sync::atomic::AtomicU64::new(1),
            initialized: Value::Null,
        };
        client.initialized = client.exchange(&initialize(capabilities)).await;
        client
    }

    async fn exchange(&self, frame: &str) -> Value {
        let before = self.out.messages().len();
        self.server.handle_frame(&self.session, frame, self.out.clone());
        let all = self.out.wait_for(before + 1, Duration::from_secs(5)).await;
        serde_json::from_str(&all[before]).unwrap()
    }

    async fn request(&self, method: &str, params: Value) -> Value {
        let id = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let frame = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        self.exchange(&frame.to_string()).await
    }

    async fn call(&self, tool: &str, args: Value) -> Value {
        let reply = self
            .request("tools/call", json!({"name": tool, "arguments": args}))
            .await;
        assert_eq!(reply["result"]["isError"], false, "{reply}");
        reply["result"].clone()
    }
}

#[test]
fn views_are_accepted_only_with_the_extension_and_its_mimetype() {
    assert!(accepts_views(&serde_json::from_str(UI_CAPABILITIES).unwrap()));
    for refused in [
        json!({}),
        json!(null),
        json!({"extensions": {}}),
        json!({"extensions": {"io.modelcontextprotocol/ui": {}}}),
        json!({"extensions": {"io.modelcontextprotocol/ui": {"mimeTypes": []}}}),
        json!({"extensions": {"io.modelcontextprotocol/ui": {"mimeTypes": ["text/html"]}}}),
        json!({"extensions": {"io.modelcontextprotocol/ui": {"mimeTypes": "text/html;profile=mcp-app"}}}),
        json!({"experimental": {"io.modelcontextprotocol/ui": {"mimeTypes": ["text/html;profile=mcp-app"]}}}),
    ] {
        assert!(!accepts_views(&refused), "{refused}");
    }
}

#[test]
fn every_view_is_a_self_contained_html_document_under_the_cap() {
    for view in VIEWS {
        let html = view.html;
        assert!(
            html.len() < MAX_VIEW_BYTES,
            "{} is {} bytes",
            view.uri,
            html.len()
        );
        assert!(html.starts_with("<!doctype html>"), "{}", view.uri);
        assert!(html.trim_end().ends_with("</html>"), "{}", view.uri);
        assert!(
            !html.contains("/*@include"),
            "{} has an unresolved include",
            view.uri
        );
        // Nothing is loaded from anywhere: no external scripts, styles, fonts or images.
        for loader in [
            "<script src",
            "<link",
            "@import",
            "url(http",
            "src=\"http",
            "fetch(",
            "XMLHttpRequest",
            "WebSocket(",
        ] {
            assert!(!html.contains(loader), "{} contains {loader}", view.uri);
        }
        assert!(view.uri.starts_with("ui://ttai/"));
    }
}

#[tokio::test]
async fn a_client_without_the_extension_sees_no_views_no_meta_and_unchanged_results() {
    for capabilities in [
        "{}",
        r#"{"extensions":{"io.modelcontextprotocol/ui":{"mimeTypes":["text/plain"]}}}"#,
    ] {
        let c = Client::new(capabilities).await;
        let tools = c.request("tools/list", json!({})).await;
        for tool in tools["result"]["tools"].as_array().unwrap() {
            assert!(tool.get("_meta").is_none(), "{}", tool["name"]);
        }
        let resources = c.request("resources/list", json!({})).await;
        assert!(
            !resources["result"]["resources"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["uri"].as_str().unwrap().starts_with("ui://"))
        );
        let read = c.request("resources/read", json!({"uri": CHART.uri})).await;
        assert_eq!(read["error"]["code"], -32002, "{read}");
        let result = c.call("analyze_chart", json!({"symbol": "SPY"})).await;
        assert!(result.get("_meta").is_none());
    }
    let c = Client::new("{}").await;
    assert!(
        c.initialized["result"]["capabilities"]
            .get("extensions")
            .is_none()
    );
}

#[tokio::test]
async fn a_client_with_the_extension_gets_the_tools_meta_and_the_resources() {
    let c = Client::new(UI_CAPABILITIES).await;
    assert_eq!(
        c.initialized["result"]["capabilities"]["extensions"][EXTENSION_ID]["mimeTypes"][0],
        MIME_TYPE
    );
    let tools = c.request("tools/list", json!({})).await;
    let tools = tools["result"]["tools"].as_array().unwrap();
    for (name, uri) in [
        ("analyze_chart", CHART.uri),
        ("get_option_chain", CHAIN.uri),
        ("analyze_options", CHAIN.uri),
        ("analyze_payoff", PAYOFF.uri),
    ] {
        let tool = tools.iter().find(|t| t["name"] == name).unwrap();
        assert_eq!(tool["_meta"]["ui"]["resourceUri"], uri, "{name}");
        assert_eq!(
            tool["_meta"]["ui/resourceUri"], uri,
            "{name}: the deprecated flat key"
        );
        assert_eq!(tool["_meta"]["ui"]["visibility"], json!(["model", "app"]));
    }
    let quote = tools.iter().find(|t| t["name"] == "get_quote").unwrap();
    assert!(quote.get("_meta").is_none(), "a tool without a view has no _meta");

    let resources = c.request("resources/list", json!({})).await;
    let listed: Vec<&Value> = resources["result"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["uri"].as_str().unwrap().starts_with("ui://"))
        .collect();
    assert_eq!(listed.len(), VIEWS.len());
    for entry in listed {
        assert_eq!(entry["mimeType"], MIME_TYPE);
        assert_eq!(entry["_meta"]["ui"]["prefersBorder"], true);
    }
    for view in VIEWS {
        let read = c.request("resources/read", json!({"uri": view.uri})).await;
        let content = &read["result"]["contents"][0];
        assert_eq!(content["uri"], view.uri);
        assert_eq!(content["mimeType"], MIME_TYPE);
        assert_eq!(content["text"], view.html);
        // No CSP domains declared: hosts apply the spec's default (no network).
        assert!(content["_meta"]["ui"].get("csp").is_none());
    }
    let unknown = c
        .request("resources/read", json!({"uri": "ui://ttai/nope.html"}))
        .await;
    assert_eq!(unknown["error"]["code"], -32002);
}

#[tokio::test]
async fn results_carry_a_bounded_view_model_apart_from_the_text() {
    let c = Client::new(UI_CAPABILITIES).await;
    let chart = c.call("analyze_chart", json!({"symbol": "SPY"})).await;
    let model = &chart["_meta"][VIEW_META_KEY];
    assert_eq!(model["view"], "chart");
    let bars = model["bars"].as_array().unwrap();
    assert!(!bars.is_empty() && bars.len() <= chart::MAX_BARS);
    assert_eq!(model["last_close"], chart["structuredContent"]["last_close"]);
    let last = bars.last().unwrap();
    assert_eq!(
        last[4].as_f64().unwrap(),
        cents(chart["structuredContent"]["last_close"].as_f64().unwrap())
    );
    assert_eq!(model["lines"].as_array().unwrap().len(), 6);
    for line in model["lines"].as_array().unwrap() {
        assert_eq!(line["values"].as_array().unwrap().len(), bars.len());
    }
    // The model reads the text: the same JSON as before, without the bars.
    let text = chart["content"][0]["text"].as_str().unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(text).unwrap(),
        chart["structuredContent"]
    );
    assert!(!text.contains("\"bars\":["));
    assert!(model.to_string().len() < 40_000);

    let chain = c.call("get_option_chain", json!({"symbol": "SPY"})).await;
    let model = &chain["_meta"][VIEW_META_KEY];
    assert_eq!(model["view"], "chain");
    let expirations = model["expirations"].as_array().unwrap();
    assert!(!expirations.is_empty() && expirations.len() <= chain::MAX_EXPIRATIONS);
    for e in expirations {
        let rows = e["rows"].as_array().unwrap();
        assert!(!rows.is_empty() && rows.len() <= chain::MAX_ROWS);
        assert!(e["expected_move"].as_f64().unwrap() > 0.0, "{e}");
    }
}

#[tokio::test]
async fn a_candidates_payoff_matches_the_options_analysis() {
    let c = Client::new(UI_CAPABILITIES).await;
    let options = c
        .call(
            "analyze_options",
            json!({"symbol": "SPY", "strategy": "csp", "dte_min": 0, "dte_max": 90}),
        )
        .await;
    let model = &options["_meta"][VIEW_META_KEY];
    assert_eq!(model["view"], "chain");
    assert_eq!(model["strategy"], "csp");
    let candidate = &model["candidates"][0];
    let top = &options["structuredContent"]["candidates"][0];
    assert_eq!(candidate["pop"], top["pop"]);
    // The candidate's strike is on the ladder of its expiration.
    let expiration = model["expirations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["date"] == top["expiration"])
        .unwrap();
    assert!(
        expiration["rows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["strike"] == top["short_strike"])
    );
    let payoff = c
        .call(
            "analyze_payoff",
            json!({"symbol": "SPY", "legs": candidate["payoff_legs"]}),
        )
        .await;
    let numbers = &payoff["structuredContent"];
    assert_eq!(numbers["pop"], top["pop"]);
    assert_eq!(numbers["breakevens"][0], top["breakeven"]);
    assert_eq!(numbers["max_profit"], top["max_profit"]);
    assert_eq!(numbers["max_loss"], top["max_loss"]);
    let view = &payoff["_meta"][VIEW_META_KEY];
    assert_eq!(view["view"], "payoff");
    assert!(view["curve"].as_array().unwrap().len() > 100);
    // A cash-secured put's one leg is entered at the candidate's limit, not the exact mid.
    assert_eq!(view["request"]["legs"][0]["price"], top["credit"]);
    assert!(
        numbers.get("curve").is_none(),
        "the curve is not in the model's text"
    );
}
