//! The engine alone, without a transport: one `tools/call get_quote` on the in-memory fake
//! broker, in each protocol era, as the transports hand it over: a handshake-era session
//! (`handle_frame_inline`, as stdio and an HTTP session do), a 2026-07-28 request on a
//! connection (stdio) and a 2026-07-28 request over HTTP (`open_stateless`, `handle_stateless`
//! with its routing headers, `close_session`: an engine session per request). Answers are
//! counted and dropped. Median nanoseconds per call over 9 runs of 50 000.
//!
//! Run with `cargo bench -p ttai-core --features testing --bench engine` (`-- TEXT` runs only
//! the cases whose name contains TEXT, e.g. to profile one).
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use ttai_core::mcp::{FrameOutcome, Header, McpServer, Outbound, RoutingHeaders, ServerInfo, ToolRegistry};
use ttai_core::testing::{sample_app, sample_market};

const CALLS: usize = 50_000;
const RUNS: usize = 9;

const LEGACY: &str = r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"get_quote","arguments":{"symbol":"SPY"}}}"#;
const MODERN: &str = r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"get_quote","arguments":{"symbol":"SPY"},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"bench","version":"1"}}}}"#;

/// Counts answers and drops them.
#[derive(Default)]
struct Count(AtomicUsize);

impl Outbound for Count {
    fn send(&self, message: String) {
        assert!(message.contains("\"result\""), "{message}");
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples.get(samples.len() / 2).copied().unwrap_or(f64::NAN)
}

fn measure(name: &str, mut call: impl FnMut()) -> usize {
    let only = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    if only.is_some_and(|only| !name.contains(&only)) {
        return 0;
    }
    for _ in 0..2_000 {
        call();
    }
    let runs: Vec<f64> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..CALLS {
                call();
            }
            start.elapsed().as_nanos() as f64 / CALLS as f64
        })
        .collect();
    println!("{name:<58} median {:>6.0} ns per call", median(runs));
    2_000 + RUNS * CALLS
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let _inside = runtime.enter();
    let server = McpServer::new(
        Arc::new(sample_app(sample_market())),
        ToolRegistry::new(ToolRegistry::standard()),
        ServerInfo {
            name: "ttai".into(),
            version: "bench".into(),
        },
    );
    let sink = Arc::new(Count::default());
    let out: Arc<dyn Outbound> = sink.clone();

    let legacy = server.open_session(out.clone());
    let init = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}"#;
    server.handle_frame(&legacy, init, out.clone());
    server.handle_frame(
        &legacy,
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        out.clone(),
    );
    let mut calls = 0;
    calls += measure("2025-11-25, a session (stdio, HTTP session)", || {
        let outcome = server.handle_frame_inline(&legacy, LEGACY, out.clone());
        assert!(matches!(outcome, FrameOutcome::Answered));
    });

    let connection = server.open_session(out.clone());
    calls += measure("2026-07-28, on a connection (stdio)", || {
        let outcome = server.handle_frame_inline(&connection, MODERN, out.clone());
        assert!(matches!(outcome, FrameOutcome::Answered));
    });

    let headers = RoutingHeaders {
        protocol_version: Header::Value("2026-07-28"),
        method: Header::Value("tools/call"),
        name: Header::Value("get_quote"),
    };
    calls += measure("2026-07-28, a request without a session (HTTP)", || {
        let session = server.open_stateless(out.clone());
        let outcome = server.handle_stateless(&session, MODERN, &headers, out.clone());
        assert!(matches!(outcome, FrameOutcome::Answered));
        server.close_session(&session);
    });
    let answered = sink.0.load(Ordering::Relaxed);
    assert_eq!(answered, calls + 1, "every call answered");
}
