//! Driving `ttai serve --transport http`: a blocking HTTP client (ureq) and an SSE reader.

use std::io::{BufRead, BufReader};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::Ttai;

/// A running HTTP server and its base URL.
pub struct HttpServer {
    pub ttai: Ttai,
    pub base: String,
}

/// Starts `ttai --broker replay --transport http --port 0 ARGS` and waits for its address.
pub fn spawn_http(args: &[&str], env: &[(&str, &str)]) -> HttpServer {
    let mut full = vec!["--broker", "replay", "--transport", "http", "--port", "0"];
    full.extend_from_slice(args);
    full.push("serve");
    let ttai = Ttai::spawn_with(&full, env);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let stderr = ttai.stderr();
        if let Some(address) = stderr.lines().find_map(|l| l.split("address=").nth(1)) {
            let address = address.split_whitespace().next().unwrap().to_owned();
            return HttpServer {
                base: format!("http://{address}"),
                ttai,
            };
        }
        assert!(
            Instant::now() < deadline,
            "no listening address in stderr:\n{stderr}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// An HTTP response: status, headers we care about, body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub session: Option<String>,
    pub content_type: String,
    pub www_authenticate: Option<String>,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// One Streamable HTTP client session.
pub struct Client {
    pub agent: ureq::Agent,
    pub url: String,
    pub session: Option<String>,
    pub token: Option<String>,
    pub version: String,
    next_id: i64,
}

impl Client {
    pub fn new(base: &str) -> Client {
        Client {
            agent: agent(),
            url: format!("{base}/mcp"),
            session: None,
            token: None,
            version: "2025-11-25".into(),
            next_id: 1,
        }
    }

    /// POSTs a raw body with extra headers.
    pub fn post_raw(&self, body: &str, extra: &[(&str, &str)]) -> Answer {
        let mut request = self
            .agent
            .post(&self.url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream");
        if let Some(session) = &self.session {
            request = request
                .header("mcp-session-id", session)
                .header("mcp-protocol-version", &self.version);
        }
        if let Some(token) = &self.token {
            request = request.header("authorization", &format!("Bearer {token}"));
        }
        for (k, v) in extra {
            request = request.header(*k, *v);
        }
        let mut response = request.send(body).unwrap();
        answer(&mut response)
    }

    pub fn initialize(&mut self) -> Value {
        let answer = self.post_raw(
            &json!({"jsonrpc": "2.0", "id": 0, "method": "initialize",
                "params": {"protocolVersion": self.version, "capabilities": {}, "clientInfo": {"name": "e2e-http", "version": "1"}}})
            .to_string(),
            &[],
        );
        assert_eq!(answer.status, 200, "{answer:?}");
        self.session = Some(answer.session.clone().expect("Mcp-Session-Id on initialize"));
        let notified = self.post_raw(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#, &[]);
        assert_eq!(notified.status, 202);
        answer.json()
    }

    pub fn request(&mut self, method: &str, params: Value) -> Answer {
        let id = self.next_id;
        self.next_id += 1;
        self.post_raw(
            &json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string(),
            &[],
        )
    }

    pub fn call(&mut self, tool: &str, args: Value) -> Value {
        let answer = self.request("tools/call", json!({"name": tool, "arguments": args}));
        assert_eq!(answer.status, 200, "{answer:?}");
        answer.json()["result"].clone()
    }

    /// Opens the GET stream of the session; events arrive on the returned channel.
    pub fn open_stream(&self, last_event_id: Option<&str>) -> (u16, Receiver<SseEvent>) {
        let mut request = self.agent.get(&self.url).header("accept", "text/event-stream");
        if let Some(session) = &self.session {
            request = request
                .header("mcp-session-id", session)
                .header("mcp-protocol-version", &self.version);
        }
        if let Some(token) = &self.token {
            request = request.header("authorization", &format!("Bearer {token}"));
        }
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let response = request.call().unwrap();
        let status = response.status().as_u16();
        (status, read_sse(response))
    }
}

pub fn answer(response: &mut ureq::http::Response<ureq::Body>) -> Answer {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (session, content_type, www_authenticate) = (
        header("mcp-session-id"),
        header("content-type").unwrap_or_default(),
        header("www-authenticate"),
    );
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_string().unwrap_or_default();
    Answer {
        status,
        session,
        content_type,
        www_authenticate,
        body,
    }
}

/// One server-sent event.
#[derive(Clone, Debug, Default)]
pub struct SseEvent {
    pub id: Option<String>,
    pub event: Option<String>,
    pub data: String,
}

impl SseEvent {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or(Value::Null)
    }
}

/// Opens `GET /sse` (the 2024-11-05 transport) and reads its events on a thread.
pub fn open_legacy_sse(agent: &ureq::Agent, base: &str) -> Receiver<SseEvent> {
    let response = agent
        .get(&format!("{base}/sse"))
        .header("accept", "text/event-stream")
        .call()
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    read_sse(response)
}

/// Reads an SSE body on a thread.
pub fn read_sse(response: ureq::http::Response<ureq::Body>) -> Receiver<SseEvent> {
    let (tx, rx) = channel();
    let reader = BufReader::new(response.into_body().into_reader());
    std::thread::spawn(move || {
        let mut event = SseEvent::default();
        for line in reader.lines() {
            let Ok(line) = line else { break };
            if line.is_empty() {
                if (event.id.is_some() || !event.data.is_empty() || event.event.is_some())
                    && tx.send(std::mem::take(&mut event)).is_err()
                {
                    break;
                }
                continue;
            }
            if let Some(v) = line.strip_prefix("id:") {
                event.id = Some(v.trim().to_owned());
            } else if let Some(v) = line.strip_prefix("event:") {
                event.event = Some(v.trim().to_owned());
            } else if let Some(v) = line.strip_prefix("data:") {
                if !event.data.is_empty() {
                    event.data.push('\n');
                }
                event.data.push_str(v.strip_prefix(' ').unwrap_or(v));
            }
        }
    });
    rx
}

/// Events of a stream until `until` holds for one (inclusive) or the timeout passes.
pub fn collect(
    rx: &Receiver<SseEvent>,
    timeout: Duration,
    until: impl Fn(&SseEvent) -> bool,
) -> Vec<SseEvent> {
    let deadline = Instant::now() + timeout;
    let mut out = Vec::new();
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(event) => {
                let stop = until(&event);
                out.push(event);
                if stop {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    out
}
