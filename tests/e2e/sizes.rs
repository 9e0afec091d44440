//! Answers sized for a model (ARCHITECTURE.md "Answers sized for a model"): on the demo tape,
//! with default arguments, every tool's text content is at most 16 KB and the whole JSON-RPC
//! answer at most 40 KB; a client that renders MCP Apps views gets the same answer plus the view's
//! data in `_meta["ttai/view"]`, which is not for the model and is held to 32 KB of its own.
//! Resource reads and prompts are held to the same limits (the views' HTML resources, read by the
//! host and never by the model, to 256 KB). Every listed tool is measured: one added later without
//! default arguments in `default_arguments.json` fails this test until it has some.

use serde_json::{Value, json};

use crate::support::{Ttai, repo};

/// The most text content one answer carries.
pub const MAX_TEXT: usize = 16 * 1024;
/// The most bytes of one JSON-RPC answer, apart from view data.
pub const MAX_ANSWER: usize = 40 * 1024;
/// The most bytes of one result's view data.
pub const MAX_VIEW_DATA: usize = 32 * 1024;
/// The most bytes of one view's HTML.
const MAX_VIEW_HTML: usize = 256 * 1024;

/// The argument sets of every tool that has required arguments (`default_arguments.json`).
pub fn default_arguments() -> Value {
    let text = std::fs::read_to_string(repo().join("tests/e2e/default_arguments.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The argument sets to call `tool` with: the file's, else `{}` for a tool that requires nothing.
pub fn argument_sets(table: &Value, tool: &Value) -> Vec<Value> {
    let name = tool["name"].as_str().unwrap();
    if table["_not_called"].get(name).is_some() {
        return Vec::new();
    }
    if let Some(sets) = table.get(name) {
        return sets.as_array().unwrap().clone();
    }
    let required = tool["inputSchema"]["required"].as_array().map_or(0, Vec::len);
    assert_eq!(
        required, 0,
        "{name} has required arguments: add its default arguments to tests/e2e/default_arguments.json"
    );
    vec![json!({})]
}

fn len(value: &Value) -> usize {
    serde_json::to_string(value).unwrap().len()
}

/// One measured answer.
struct Measure {
    what: String,
    text: usize,
    answer: usize,
    view: usize,
}

fn text_bytes(content: &Value) -> usize {
    content
        .as_array()
        .map(|blocks| {
            blocks
                .iter()
                .filter_map(|b| b["text"].as_str())
                .map(str::len)
                .sum()
        })
        .unwrap_or(0)
}

/// Calls every tool, reads every resource and gets every prompt; returns the measures.
fn measure_all(views: bool) -> Vec<Measure> {
    let mut ttai = Ttai::spawn(&["--broker", "replay", "serve"]);
    let capabilities = if views {
        json!({"extensions": {"io.modelcontextprotocol/ui": {"mimeTypes": ["text/html;profile=mcp-app"]}}})
    } else {
        json!({})
    };
    ttai.request(
        "initialize",
        json!({"protocolVersion": "2025-11-25", "capabilities": capabilities, "clientInfo": {"name": "sizes", "version": "1"}}),
    );
    ttai.notify("notifications/initialized", json!({}));
    let table = default_arguments();
    let tools = ttai.request("tools/list", json!({}));
    let mut measures = Vec::new();
    for tool in tools["result"]["tools"].as_array().unwrap() {
        let name = tool["name"].as_str().unwrap();
        for args in argument_sets(&table, tool) {
            let answer = ttai.request("tools/call", json!({"name": name, "arguments": args}));
            let result = &answer["result"];
            assert_eq!(result["isError"], false, "{name} {args}: {answer}");
            let view = result.pointer("/_meta/ttai~1view").map_or(0, len);
            let mut without_view = answer.clone();
            if let Some(meta) = without_view["result"]
                .get_mut("_meta")
                .and_then(Value::as_object_mut)
            {
                meta.remove("ttai/view");
            }
            measures.push(Measure {
                what: format!("tools/call {name} {args}"),
                text: text_bytes(&result["content"]),
                answer: len(&without_view),
                view,
            });
        }
    }
    let resources = ttai.request("resources/list", json!({}));
    for resource in resources["result"]["resources"].as_array().unwrap() {
        let uri = resource["uri"].as_str().unwrap();
        let answer = ttai.request("resources/read", json!({"uri": uri}));
        assert!(answer.get("error").is_none(), "{uri}: {answer}");
        let contents = &answer["result"]["contents"];
        if uri.starts_with("ui://") {
            assert!(len(&answer) <= MAX_VIEW_HTML, "{uri}: {} bytes", len(&answer));
            continue;
        }
        measures.push(Measure {
            what: format!("resources/read {uri}"),
            text: text_bytes(contents),
            answer: len(&answer),
            view: 0,
        });
    }
    // The templates, on an instance each (the analyses saved above fill the history).
    let templates = ttai.request("resources/templates/list", json!({}));
    for template in templates["result"]["resourceTemplates"].as_array().unwrap() {
        let pattern = template["uriTemplate"].as_str().unwrap();
        let uri = pattern
            .replace("{symbol}", "IWM")
            .replace("{strategy}", "cash-secured-put");
        assert!(!uri.contains('{'), "{pattern}: give its placeholder a value here");
        let answer = ttai.request("resources/read", json!({"uri": uri}));
        assert!(answer.get("error").is_none(), "{uri}: {answer}");
        measures.push(Measure {
            what: format!("resources/read {uri}"),
            text: text_bytes(&answer["result"]["contents"]),
            answer: len(&answer),
            view: 0,
        });
    }
    let prompts = ttai.request("prompts/list", json!({}));
    for prompt in prompts["result"]["prompts"].as_array().unwrap() {
        let name = prompt["name"].as_str().unwrap();
        let args = crate::support::required_prompt_arguments(prompt, "SPY");
        let answer = ttai.request("prompts/get", json!({"name": name, "arguments": args}));
        assert!(answer.get("error").is_none(), "{name}: {answer}");
        let text: usize = answer["result"]["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|m| m["content"]["text"].as_str())
            .map(str::len)
            .sum();
        measures.push(Measure {
            what: format!("prompts/get {name}"),
            text,
            answer: len(&answer),
            view: 0,
        });
    }
    measures
}

fn check(measures: &[Measure], client: &str) {
    let mut report =
        format!("answer sizes on the demo tape, {client} (text / whole answer / view data, bytes):\n");
    let mut over = Vec::new();
    for m in measures {
        report.push_str(&format!(
            "  {:>6} {:>6} {:>6}  {}\n",
            m.text, m.answer, m.view, m.what
        ));
        if m.text > MAX_TEXT || m.answer > MAX_ANSWER || m.view > MAX_VIEW_DATA {
            over.push(m.what.clone());
        }
    }
    eprintln!("{report}");
    assert!(
        over.is_empty(),
        "over the limits (text {MAX_TEXT}, answer {MAX_ANSWER}, view data {MAX_VIEW_DATA}): {over:?}\n{report}"
    );
}

#[test]
fn every_answer_on_the_demo_tape_is_sized_for_a_model() {
    let plain = measure_all(false);
    assert!(plain.iter().all(|m| m.view == 0), "no view data without views");
    check(&plain, "a client without views");
    let views = measure_all(true);
    assert!(views.iter().any(|m| m.view > 0), "a views client gets view data");
    check(&views, "a client that renders views");
    // The model sees the same answer either way: only `_meta` differs.
    for (p, v) in plain.iter().zip(&views) {
        assert_eq!(p.what, v.what);
        assert_eq!(p.text, v.text, "{}", p.what);
    }
}
