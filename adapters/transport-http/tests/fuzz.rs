//! The HTTP request path under generated requests: raw bytes on a TCP connection to a running
//! transport (methods, targets, every header the transport reads in valid, invalid, repeated and
//! non-ASCII forms, bodies of JSON-RPC shapes or noise, lengths that lie, requests cut short).
//! Every answer is a well-formed HTTP response that is not a 500, and the server serves a real
//! client afterwards. Bounded: `PROPTEST_CASES` (default 96) requests per run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;
use transport_http::{HttpConfig, HttpLimits, HttpTransport};
use ttai_core::app::{App, AppConfig};
use ttai_core::mcp::{McpServer, ServerInfo, ToolRegistry};
use ttai_core::ports::{ShutdownTrigger, TransportPort};
use ttai_core::testing::{FakeBroker, InMemoryStore, sample_market, sample_now};

/// A transport on a free port, served on its own runtime for the whole test binary.
fn server() -> &'static str {
    static ADDRESS: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ADDRESS.get_or_init(|| {
        // Bound here, before serving: a connection made before `serve` waits in the backlog.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let app = Arc::new(App::new(
                    Arc::new(FakeBroker::new(sample_market(), sample_now())),
                    Arc::new(InMemoryStore::new()),
                    AppConfig {
                        default_account: None,
                        risk_free_rate: 0.04,
                        dividend_yield: 0.0,
                        quote_ttl: Duration::from_secs(60),
                        chain_ttl: Duration::from_secs(300),
                    },
                ));
                let mut tools = ToolRegistry::standard();
                tools.extend(ToolRegistry::alerts_and_history());
                let server = Arc::new(McpServer::new(
                    app,
                    ToolRegistry::new(tools),
                    ServerInfo {
                        name: "ttai".into(),
                        version: "fuzz".into(),
                    },
                ));
                let config = HttpConfig {
                    host: "127.0.0.1".into(),
                    port,
                    auth_token: None,
                    allowed_origins: vec![],
                    limits: HttpLimits {
                        max_body: 64 * 1024,
                        header_timeout: Duration::from_millis(300),
                        body_timeout: Duration::from_millis(300),
                        max_sessions: 16,
                        ..HttpLimits::default()
                    },
                };
                let transport = HttpTransport::new(config, listener);
                let (_trigger, shutdown): (ShutdownTrigger, _) = ShutdownTrigger::new();
                transport.serve(server, shutdown).await.unwrap();
            });
        });
        format!("127.0.0.1:{port}")
    })
}

/// Sends `request` (closing the write side when `cut`) and reads the first response head.
fn exchange(request: &[u8], cut: bool) -> Vec<u8> {
    let mut stream = TcpStream::connect(server()).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = stream.write_all(request);
    if cut {
        let _ = stream.shutdown(std::net::Shutdown::Write);
    }
    let mut answer = Vec::new();
    let mut buf = [0u8; 8192];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
        }
    }
    answer
}

fn header_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"127.0.0.1".to_vec()),
        Just(b"localhost:5180".to_vec()),
        Just(b"[::1]".to_vec()),
        Just(b"evil.example.com".to_vec()),
        Just(b"http://localhost:3000".to_vec()),
        Just(b"null".to_vec()),
        Just(b"application/json".to_vec()),
        Just(b"text/event-stream".to_vec()),
        Just(b"application/json, text/event-stream".to_vec()),
        Just(b"2025-11-25".to_vec()),
        Just(b"0123456789abcdef0123456789abcdef".to_vec()),
        Just(b"p1-0".to_vec()),
        Just(b"Bearer x".to_vec()),
        Just(b"chunked".to_vec()),
        "[ -~]{0,24}".prop_map(String::into_bytes),
        prop::collection::vec(prop_oneof![0x21u8..0x7f, 0x80u8..=0xff], 1..16),
    ]
}

fn header() -> impl Strategy<Value = (&'static str, Vec<u8>)> {
    (
        prop_oneof![
            Just("Host"),
            Just("Origin"),
            Just("Content-Type"),
            Just("Accept"),
            Just("Mcp-Session-Id"),
            Just("MCP-Protocol-Version"),
            Just("Last-Event-ID"),
            Just("Authorization"),
            Just("Transfer-Encoding"),
            Just("Content-Length"),
            Just("Connection"),
        ],
        header_value(),
    )
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(br#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"f","version":"1"}}}"#.to_vec()),
        Just(br#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get_quote","arguments":{"symbol":"SPY"}}}"#.to_vec()),
        Just(br#"[{"jsonrpc":"2.0","id":1,"method":"ping"},["2.0",2,"ping"]]"#.to_vec()),
        Just(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#.to_vec()),
        Just(br#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"set_price_alert","arguments":{"threshold":1e400}}}"#.to_vec()),
        "[ -~]{0,200}".prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>(), 0..300),
    ]
}

/// One raw request: method, target, headers, and a body with a Content-Length that may lie.
fn request() -> impl Strategy<Value = (Vec<u8>, bool)> {
    (
        prop_oneof![
            3 => Just("POST".to_owned()),
            1 => Just("GET".to_owned()),
            1 => Just("DELETE".to_owned()),
            1 => Just("OPTIONS".to_owned()),
            1 => Just("PUT".to_owned()),
            1 => "[A-Z]{1,8}",
        ],
        prop_oneof![
            4 => Just("/mcp".to_owned()),
            1 => Just("/sse".to_owned()),
            1 => Just("/healthz".to_owned()),
            1 => Just("/messages?sessionId=0123".to_owned()),
            1 => Just("http://evil.example.com/mcp".to_owned()),
            1 => Just("http://127.0.0.1/mcp".to_owned()),
            1 => Just("*".to_owned()),
            1 => "/[a-z%?=&]{0,12}",
        ],
        prop::option::of(prop_oneof![3 => Just(b"127.0.0.1".to_vec()), 1 => header_value()]),
        prop::collection::vec(header(), 0..6),
        body(),
        prop_oneof![Just(0i64), -5i64..5, Just(100_000i64)],
        any::<bool>(),
    )
        .prop_map(|(method, target, host, headers, body, skew, cut)| {
            let mut out = format!("{method} {target} HTTP/1.1\r\n").into_bytes();
            if let Some(host) = host {
                out.extend_from_slice(b"Host: ");
                out.extend_from_slice(&host);
                out.extend_from_slice(b"\r\n");
            }
            for (name, value) in headers
                .iter()
                .filter(|(n, _)| *n != "Content-Length" && *n != "Transfer-Encoding")
            {
                out.extend_from_slice(name.as_bytes());
                out.extend_from_slice(b": ");
                out.extend_from_slice(value);
                out.extend_from_slice(b"\r\n");
            }
            let length = (body.len() as i64 + skew).max(0);
            out.extend_from_slice(
                format!("Content-Length: {length}\r\nConnection: close\r\n\r\n").as_bytes(),
            );
            out.extend_from_slice(&body);
            (out, cut)
        })
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(96)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_request_gets_a_well_formed_answer_that_is_not_a_server_error((request, cut) in request()) {
        let answer = exchange(&request, cut);
        if !answer.is_empty() {
            let text = String::from_utf8_lossy(&answer);
            prop_assert!(text.starts_with("HTTP/1.1 "), "{}", text);
            let status: u16 = text[9..12].parse().unwrap();
            prop_assert!((100..600).contains(&status) && status != 500, "{}", text);
        }
        let health = exchange(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", false);
        prop_assert!(health.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&health));
    }
}

#[test]
fn a_real_client_is_served_after_the_noise() {
    let init = br#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"f","version":"1"}}}"#;
    let mut request = format!(
        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        init.len()
    )
    .into_bytes();
    request.extend_from_slice(init);
    let answer = exchange(&request, false);
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.to_ascii_lowercase().contains("mcp-session-id"), "{text}");
}
