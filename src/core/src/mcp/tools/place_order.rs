//! `place_order`: previews the order again, asks the person to confirm this exact order through
//! the client (elicitation), and places it once. Off unless the server runs with
//! `--allow-orders`.

use async_trait::async_trait;

use super::order_args::{confirmed, order_input_schema, order_spec};
use super::{Args, Hints, Tool, ToolContext, ToolOutput, ToolSpec};
use crate::app::App;
use crate::error::AppError;
use crate::mcp::elicitation::consent_for;
use crate::mcp::schema::derived;

/// The `place_order` tool.
pub(crate) struct PlaceOrder;
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
            output_schema: derived::<crate::app::orders::PlacedView>,
            hints: Hints::CHANGES_BROKER,
        }
    }

    async fn call(&self, app: &App, args: Args, ctx: &ToolContext) -> Result<ToolOutput, AppError> {
        let spec = order_spec(&args)?;
        let consent = consent_for(ctx);
        let view = app.place_order(&spec, &*consent).await?;
        Ok(confirmed(view))
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
        /// A server allowing orders and a session on it, before any handshake.
        fn open() -> Client {
            let broker = Arc::new(FakeBroker::new(sample_market(), sample_now()));
            // Chains uncached: a test moves the market between two calls.
            let config = crate::app::AppConfig {
                chain_ttl: Duration::ZERO,
                ..sample_config()
            };
            let app = App::new(broker.clone(), Arc::new(InMemoryStore::new()), config).with_order_settings(
                OrderSettings {
                    allow_orders: true,
                    ..OrderSettings::default()
                },
            );
            let server = McpServer::new(
                Arc::new(app),
                ToolRegistry::new(ToolRegistry::orders()),
                ServerInfo {
                    name: "ttai".into(),
                    version: "test".into(),
                },
            );
            server.set_request_state_key(crate::mcp::StateKey::from_bytes(&[4; 32]).unwrap());
            let out = Arc::new(CollectingOutbound::new());
            let session = server.open_session(out.clone());
            Client {
                server,
                session,
                out,
                broker,
            }
        }

        async fn connect(capabilities: Value) -> Client {
            let client = Client::open();
            let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
                "protocolVersion": "2025-11-25", "capabilities": capabilities, "clientInfo": {"name": "t", "version": "1"}}});
            client.send(&init);
            client.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
            client
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

        fn put(&self) -> String {
            {
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
            }
        }

        fn place(&self) {
            let put = self.put();
            self.send(&json!({"jsonrpc": "2.0", "id": "p", "method": "tools/call", "params": {
                "name": "place_order",
                "arguments": {"symbol": "SPY", "legs": [{"symbol": put, "action": "sell_to_open", "quantity": 1}]}}}));
        }

        /// An MCP 2026-07-28 `tools/call` of `tool` (the client's capabilities `caps`, `extra`
        /// params beside name and arguments), answered.
        async fn modern_call(
            &self,
            id: &str,
            tool: &str,
            arguments: Value,
            caps: Value,
            extra: Value,
        ) -> Value {
            let mut params = json!({"name": tool, "arguments": arguments, "_meta": {
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": caps}});
            if let (Some(params), Value::Object(extra)) = (params.as_object_mut(), extra) {
                params.extend(extra);
            }
            self.send(&json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params}));
            self.next(|m| m["id"] == id).await
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
    async fn under_2026_07_28_the_person_answers_by_the_retry_which_places_once() {
        let client = Client::open();
        let forms = json!({"elicitation": {"form": {}}});
        let args = json!({"symbol": "SPY", "legs": [{"symbol": client.put(), "action": "sell_to_open", "quantity": 1}]});
        let asked = client
            .modern_call("1", "place_order", args.clone(), forms.clone(), json!({}))
            .await;
        let result = &asked["result"];
        assert_eq!(result["resultType"], "input_required", "{asked}");
        let ask = &result["inputRequests"]["confirm"];
        assert_eq!(ask["method"], "elicitation/create");
        let order = &ask["params"]["requestedSchema"]["properties"]["order"];
        let code = order["oneOf"][0]["const"].as_str().unwrap().to_owned();
        assert!(ask["params"]["message"].as_str().unwrap().contains(&code));
        assert!(ask["params"]["message"].as_str().unwrap().contains("fees $"));
        assert!(
            client.broker.placed_orders().is_empty(),
            "nothing before the answer"
        );
        let state = result["requestState"].clone();
        let answer = |action: &str| {
            json!({"requestState": state, "inputResponses": {"confirm": {
                "action": action, "content": {"order": code, "confirm": true}}}})
        };
        // Another order's arguments with this state: the engine refuses the state.
        let mut other = args.clone();
        other["legs"][0]["quantity"] = json!(2);
        let refused = client
            .modern_call("2", "place_order", other, forms.clone(), answer("accept"))
            .await;
        assert_eq!(refused["error"]["code"], -32602, "{refused}");
        let placed = client
            .modern_call("3", "place_order", args.clone(), forms.clone(), answer("accept"))
            .await;
        let view = &placed["result"]["structuredContent"];
        assert_eq!(placed["result"]["resultType"], "complete", "{placed}");
        assert_eq!(
            (view["placed"].as_bool(), view["outcome"].as_str()),
            (Some(true), Some("placed"))
        );
        // The same retry again (a replay): refused, nothing more sent.
        let replayed = client
            .modern_call("4", "place_order", args.clone(), forms.clone(), answer("accept"))
            .await;
        let error = &replayed["result"]["structuredContent"]["error"];
        assert_eq!(error["details"]["reason"], "confirmation_used", "{replayed}");
        assert_eq!(client.broker.placed_orders().len(), 1);
        // A new question, declined: nothing sent.
        let again = client
            .modern_call("5", "place_order", args.clone(), forms.clone(), json!({}))
            .await;
        let state = again["result"]["requestState"].clone();
        let declined = client
            .modern_call(
                "6",
                "place_order",
                args.clone(),
                forms.clone(),
                json!({"requestState": state, "inputResponses": {"confirm": {"action": "decline"}}}),
            )
            .await;
        assert_eq!(
            declined["result"]["structuredContent"]["outcome"], "declined",
            "{declined}"
        );
        // A client without elicitation: refused before anything is asked.
        let absent = client
            .modern_call("7", "place_order", args.clone(), json!({}), json!({}))
            .await;
        let error = &absent["result"]["structuredContent"]["error"];
        assert_eq!(error["details"]["reason"], "no_confirmation_channel", "{absent}");
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("elicitation capability")
        );
        assert_eq!(client.broker.placed_orders().len(), 1);
        let trail: Vec<(String, String)> = client
            .server
            .app()
            .audit_log(20)
            .await
            .unwrap()
            .into_iter()
            .rev()
            .map(|e| (e.action, e.outcome))
            .collect();
        let trail: Vec<(&str, &str)> = trail.iter().map(|(a, o)| (a.as_str(), o.as_str())).collect();
        assert_eq!(
            trail,
            [
                ("confirmation", "asked"),
                ("confirmation", "accepted"),
                ("place", "placed"),
                ("confirmation", "replayed"),
                ("confirmation", "asked"),
                ("confirmation", "declined"),
                ("confirmation", "unavailable"),
            ]
        );
        // Cancel the placed order the same way.
        let id = view["broker_order"]["id"].as_str().unwrap().to_owned();
        let cancel_args = json!({"order_id": id});
        let asked = client
            .modern_call("8", "cancel_order", cancel_args.clone(), forms.clone(), json!({}))
            .await;
        let ask = &asked["result"]["inputRequests"]["confirm"];
        let code = ask["params"]["requestedSchema"]["properties"]["order"]["oneOf"][0]["const"].clone();
        let cancelled = client
            .modern_call("9", "cancel_order", cancel_args, forms, json!({
                "requestState": asked["result"]["requestState"],
                "inputResponses": {"confirm": {"action": "accept", "content": {"order": code, "confirm": true}}}}))
            .await;
        assert_eq!(
            cancelled["result"]["structuredContent"]["cancelled"], true,
            "{cancelled}"
        );
    }

    /// A retry with the person's acceptance of the order they were shown.
    fn accepting(asked: &Value) -> Value {
        let ask = &asked["result"]["inputRequests"]["confirm"];
        let code = &ask["params"]["requestedSchema"]["properties"]["order"]["oneOf"][0]["const"];
        json!({"requestState": asked["result"]["requestState"], "inputResponses": {"confirm": {
            "action": "accept", "content": {"order": code, "confirm": true}}}})
    }

    #[tokio::test(start_paused = true)]
    async fn under_2026_07_28_an_answer_after_two_minutes_or_for_a_moved_market_places_nothing() {
        let client = Client::open();
        let forms = json!({"elicitation": {}});
        let put = client.put();
        let args =
            json!({"symbol": "SPY", "legs": [{"symbol": put, "action": "sell_to_open", "quantity": 1}]});
        let asked = client
            .modern_call("1", "place_order", args.clone(), forms.clone(), json!({}))
            .await;
        tokio::time::advance(Duration::from_secs(121)).await;
        let late = client
            .modern_call("2", "place_order", args.clone(), forms.clone(), accepting(&asked))
            .await;
        let error = &late["result"]["structuredContent"]["error"];
        assert_eq!(error["details"]["reason"], "confirmation_expired", "{late}");
        // The market moves between the rounds: the same arguments now make another order (a
        // limit at the new mid), which the person never saw.
        let asked = client
            .modern_call("3", "place_order", args.clone(), forms.clone(), json!({}))
            .await;
        client.broker.update_market(|m| {
            for chain in &mut m.chains {
                for expiration in &mut chain.expirations {
                    for strike in &mut expiration.strikes {
                        if let Some(p) = strike.put.as_mut().filter(|p| p.symbol == put) {
                            p.bid = p.bid.map(|b| b + 0.5);
                            p.ask = p.ask.map(|a| a + 0.5);
                        }
                    }
                }
            }
            for quote in m.quotes.iter_mut().filter(|q| q.symbol.as_str() == put) {
                quote.bid = quote.bid.map(|b| b + 0.5);
                quote.ask = quote.ask.map(|a| a + 0.5);
            }
        });
        let moved = client
            .modern_call("4", "place_order", args, forms, accepting(&asked))
            .await;
        let error = &moved["result"]["structuredContent"]["error"];
        assert_eq!(error["details"]["reason"], "confirmation_mismatch", "{moved}");
        assert!(client.broker.placed_orders().is_empty());
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
