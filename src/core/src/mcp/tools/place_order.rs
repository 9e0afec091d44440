//! `place_order`: previews the order again, asks the person to confirm this exact order through
//! the client (elicitation), and places it once. Off unless the server runs with
//! `--allow-orders`.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::order_args::{
    broker_verdict_schema, order_input_schema, order_spec, order_summary_schema, order_view_schema,
    paper_field,
};
use super::{Args, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::App;
use crate::error::AppError;
use crate::mcp::elicitation::ElicitationConsent;
use crate::mcp::schema::{boolean, enumeration, nullable, object, props, source_fields, string};

/// The `place_order` tool.
pub(crate) struct PlaceOrder;

fn output_schema() -> Value {
    object(
        &props(&[
            &[
                ("placed", boolean("the broker took the order")),
                (
                    "outcome",
                    enumeration(
                        "placed, or the person's other choice",
                        &["placed", "declined", "cancelled"],
                    ),
                ),
                paper_field(),
                ("account", string("the account, masked", false)),
                ("order", order_view_schema()),
                ("order_hash", string("the order's fingerprint", false)),
                ("broker_order", nullable(order_summary_schema())),
                (
                    "broker",
                    json!({"anyOf": [broker_verdict_schema(), {"type": "null"}]}),
                ),
                ("message", string("one sentence", false)),
            ],
            &source_fields(),
        ]),
        &[
            "placed",
            "outcome",
            "paper",
            "account",
            "order",
            "order_hash",
            "message",
            "source",
            "synthetic",
        ],
        false,
    )
}

#[async_trait]
impl Tool for PlaceOrder {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "place_order",
            title: "Place an order (you confirm it)",
            description: "Places the order preview_order shows for the same arguments, after YOU confirm it: ttai previews \
                it again (TastyTrade's dry run and ttai's checks; any blocking check refuses it), then asks you through \
                your MCP client (a form showing the order, price, fees and buying-power effect) to accept or decline. \
                Only your acceptance of that exact order, within 2 minutes, places it, once. Refused when the server \
                runs without --allow-orders, when the client cannot show the form, or beyond the server's limits \
                (contracts and buying power per order). Says paper: true when orders are simulated.",
            input_schema: order_input_schema(),
            output_schema: output_schema(),
            read_only: false,
            destructive: true,
            idempotent: false,
            open_world: true,
        }
    }

    async fn call(&self, app: &App, args: Args, ctx: &ToolContext) -> Result<ToolOutput, AppError> {
        let spec = order_spec(&args)?;
        let consent = ElicitationConsent::new(ctx.session.clone(), ctx.reply_to.clone());
        let view = app.place_order(&spec, &consent).await?;
        Ok(ToolOutput::serialize(&view))
    }
}

#[cfg(test)]
mod tests {
    //! The confirmation round trip through the engine, as a transport drives it: the server's
    //! `elicitation/create` goes out on the tool call's stream, the client's response comes back
    //! as a frame and reaches the waiting tool.

    use std::sync::Arc;
    use std::time::Duration;

    use serde_json::{Value, json};

    use crate::app::App;
    use crate::app::orders::OrderSettings;
    use crate::mcp::{McpServer, ServerInfo, Session, ToolRegistry};
    use crate::testing::{
        CollectingOutbound, FakeBroker, InMemoryStore, sample_config, sample_market, sample_now,
    };

    struct Client {
        server: McpServer,
        session: Arc<Session>,
        out: Arc<CollectingOutbound>,
        broker: Arc<FakeBroker>,
    }

    impl Client {
        async fn connect(capabilities: Value) -> Client {
            let broker = Arc::new(FakeBroker::new(sample_market(), sample_now()));
            let app = App::new(broker.clone(), Arc::new(InMemoryStore::new()), sample_config())
                .with_order_settings(OrderSettings {
                    allow_orders: true,
                    ..OrderSettings::default()
                });
            let server = McpServer::new(
                Arc::new(app),
                ToolRegistry::new(ToolRegistry::orders()),
                ServerInfo {
                    name: "ttai".into(),
                    version: "test".into(),
                },
            );
            let out = Arc::new(CollectingOutbound::new());
            let session = server.open_session(out.clone());
            let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
                "protocolVersion": "2025-11-25", "capabilities": capabilities, "clientInfo": {"name": "t", "version": "1"}}});
            server.handle_frame(&session, &init.to_string(), out.clone());
            server.handle_frame(
                &session,
                r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
                out.clone(),
            );
            Client {
                server,
                session,
                out,
                broker,
            }
        }

        fn send(&self, message: &Value) {
            self.server
                .handle_frame(&self.session, &message.to_string(), self.out.clone());
        }

        /// Waits for the next message matching `pick`.
        async fn next(&self, pick: impl Fn(&Value) -> bool) -> Value {
            for n in 1..200 {
                let all = self.out.wait_for(n, Duration::from_secs(10)).await;
                if let Some(found) = all
                    .iter()
                    .map(|m| serde_json::from_str::<Value>(m).unwrap())
                    .find(|m| pick(m))
                {
                    return found;
                }
            }
            panic!("no such message: {:?}", self.out.messages());
        }

        fn place(&self) {
            let put = {
                let mut symbol = String::new();
                self.broker.update_market(|m| {
                    let chain = m.chains.iter().find(|c| c.underlying.as_str() == "SPY").unwrap();
                    symbol = chain.expirations[0].strikes[3]
                        .put
                        .as_ref()
                        .unwrap()
                        .symbol
                        .clone();
                });
                symbol
            };
            self.send(&json!({"jsonrpc": "2.0", "id": "p", "method": "tools/call", "params": {
                "name": "place_order",
                "arguments": {"symbol": "SPY", "legs": [{"symbol": put, "action": "sell_to_open", "quantity": 1}]}}}));
        }
    }

    #[tokio::test]
    async fn the_person_confirms_through_the_client_and_the_order_is_placed() {
        let client = Client::connect(json!({"elicitation": {"form": {}}})).await;
        client.place();
        let ask = client.next(|m| m["method"] == "elicitation/create").await;
        let schema = &ask["params"]["requestedSchema"];
        let code = schema["properties"]["order"]["oneOf"][0]["const"]
            .as_str()
            .unwrap();
        assert!(ask["params"]["message"].as_str().unwrap().contains(code));
        // A stray response first: it reaches nobody and changes nothing.
        client.send(&json!({"jsonrpc": "2.0", "id": "ttai-99", "result": {"action": "accept"}}));
        client.send(&json!({"jsonrpc": "2.0", "id": ask["id"], "result": {
            "action": "accept", "content": {"order": code, "confirm": true}}}));
        let answer = client.next(|m| m["id"] == "p").await;
        let result = &answer["result"]["structuredContent"];
        assert_eq!(answer["result"]["isError"], false, "{answer}");
        assert_eq!(
            (result["placed"].as_bool(), result["outcome"].as_str()),
            (Some(true), Some("placed"))
        );
        assert_eq!(client.broker.placed_orders().len(), 1);
    }

    #[tokio::test]
    async fn a_client_without_elicitation_is_refused_and_nothing_is_sent() {
        let client = Client::connect(json!({})).await;
        client.place();
        let answer = client.next(|m| m["id"] == "p").await;
        assert_eq!(answer["result"]["isError"], true);
        let error = &answer["result"]["structuredContent"]["error"];
        assert_eq!(error["details"]["reason"], "no_confirmation_channel");
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("TastyTrade's own app")
        );
        assert!(
            client
                .out
                .messages()
                .iter()
                .all(|m| !m.contains("elicitation/create"))
        );
        assert!(client.broker.placed_orders().is_empty());
    }

    #[tokio::test]
    async fn an_error_from_the_client_places_nothing() {
        let client = Client::connect(json!({"elicitation": {}})).await;
        client.place();
        let ask = client.next(|m| m["method"] == "elicitation/create").await;
        client.send(&json!({"jsonrpc": "2.0", "id": ask["id"], "error": {"code": -32600, "message": "Elicitation not supported"}}));
        let answer = client.next(|m| m["id"] == "p").await;
        assert_eq!(
            answer["result"]["structuredContent"]["error"]["details"]["reason"],
            "no_confirmation_channel"
        );
        assert!(client.broker.placed_orders().is_empty());
    }
}
