//! `ttai call TOOL [key=value ...]`: one tool call through the same MCP dispatch as `serve`.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;
use ttai_core::mcp::{McpServer, Outbound};

use crate::cli::CallArgs;

/// Forwards messages to a channel the command waits on.
struct ChannelOutbound(mpsc::UnboundedSender<String>);

impl Outbound for ChannelOutbound {
    fn send(&self, message: String) {
        let _ = self.0.send(message);
    }
}

/// `key=value` pairs into a JSON object; values that parse as JSON stay JSON.
pub(crate) fn parse_pairs(pairs: &[String]) -> anyhow::Result<Map<String, Value>> {
    let mut map = Map::new();
    for pair in pairs {
        let Some((key, value)) = pair.split_once('=') else {
            bail!("argument {pair:?} is not key=value");
        };
        let key = key.trim();
        if key.is_empty() {
            bail!("argument {pair:?} has an empty key");
        }
        let value = serde_json::from_str::<Value>(value).unwrap_or_else(|_| Value::String(value.to_owned()));
        map.insert(key.to_owned(), value);
    }
    Ok(map)
}

async fn next(rx: &mut mpsc::UnboundedReceiver<String>, id: &str) -> anyhow::Result<Value> {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(600), rx.recv())
            .await
            .context("no answer within 10 minutes")?
            .context("the server closed")?;
        let value: Value =
            serde_json::from_str(&message).context("the server answered something that is not JSON")?;
        if value.get("id").and_then(Value::as_str) == Some(id) {
            return Ok(value);
        }
    }
}

/// Runs the call and prints the result; exit code 1 when the tool reported an error.
pub(crate) async fn run(server: Arc<McpServer>, args: &CallArgs) -> anyhow::Result<ExitCode> {
    let arguments = match &args.json {
        Some(text) => match serde_json::from_str::<Value>(text).context("--json is not valid JSON")? {
            Value::Object(map) => map,
            _ => bail!("--json must be a JSON object"),
        },
        None => parse_pairs(&args.args)?,
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    let outbound: Arc<dyn Outbound> = Arc::new(ChannelOutbound(tx));
    let session = server.open_session(outbound.clone());
    let init = json!({"jsonrpc": "2.0", "id": "init", "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "ttai-call", "version": env!("CARGO_PKG_VERSION")}}});
    server.handle_frame(&session, &init.to_string(), outbound.clone());
    next(&mut rx, "init").await?;
    server.handle_frame(
        &session,
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        outbound.clone(),
    );
    let call = json!({"jsonrpc": "2.0", "id": "call", "method": "tools/call", "params": {"name": args.tool, "arguments": arguments}});
    server.handle_frame(&session, &call.to_string(), outbound.clone());
    let reply = next(&mut rx, "call").await?;
    server.close_session(&session);
    if let Some(error) = reply.get("error") {
        let message = error.get("message").and_then(Value::as_str).unwrap_or("error");
        let available = error
            .pointer("/data/available")
            .map(|a| format!("; available tools: {a}"))
            .unwrap_or_default();
        bail!("{message}{available}");
    }
    let result = reply.get("result").cloned().unwrap_or(Value::Null);
    let is_error = result.get("isError").and_then(Value::as_bool).unwrap_or(false);
    let shown = if args.raw {
        &result
    } else {
        result.get("structuredContent").unwrap_or(&result)
    };
    let text = serde_json::to_string_pretty(shown).context("printing the result")?;
    crate::compose::print_document(&text).context("writing to stdout")?;
    Ok(if is_error {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_become_json() {
        let map = parse_pairs(&[
            "symbol=SPY".into(),
            "limit=5".into(),
            "symbols=[\"A\",\"B\"]".into(),
            "note=a=b".into(),
        ])
        .unwrap();
        assert_eq!(map["symbol"], "SPY");
        assert_eq!(map["limit"], 5);
        assert_eq!(map["symbols"], json!(["A", "B"]));
        assert_eq!(map["note"], "a=b");
        assert!(parse_pairs(&["novalue".into()]).is_err());
    }
}
