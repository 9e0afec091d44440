//! The engine alone, without a transport: one `tools/call get_quote` on the in-memory fake
//! broker, in each protocol era, as the transports hand it over: a handshake-era session
//! (`handle_frame_inline`, as stdio and an HTTP session do), a 2026-07-28 request on a
//! connection (stdio) and a 2026-07-28 request over HTTP (`open_stateless`, `handle_stateless`
//! with its routing headers, `close_session`: an engine session per request). Answers are
//! counted and dropped. Median nanoseconds per call over 9 rounds of 50 000, the cases
//! interleaved round by round, and each case's median difference from the first.
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

/// A named case: one call per invocation.
type Case<'a> = (&'a str, Box<dyn FnMut() + 'a>);

/// Runs the cases interleaved, `RUNS` rounds of `CALLS` calls of each (after a warm-up), so a
/// noisy moment of the machine falls on every case alike, and prints each case's median
/// nanoseconds per call and its difference from the first case's in the same rounds. Returns
/// the calls made.
fn measure(mut cases: Vec<Case<'_>>) -> usize {
    let only = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    cases.retain(|(name, _)| only.as_ref().is_none_or(|only| name.contains(only.as_str())));
    let mut calls = 0;
    for (_, call) in &mut cases {
        for _ in 0..2_000 {
            call();
        }
        calls += 2_000;
    }
    let mut runs: Vec<Vec<f64>> = cases.iter().map(|_| Vec::new()).collect();
    for _ in 0..RUNS {
        for ((_, call), runs) in cases.iter_mut().zip(&mut runs) {
            let start = Instant::now();
            for _ in 0..CALLS {
                call();
            }
            runs.push(start.elapsed().as_nanos() as f64 / CALLS as f64);
            calls += CALLS;
        }
    }
    for ((name, _), case) in cases.iter().zip(&runs) {
        let versus = runs.first().map_or(String::new(), |first| {
            let differences = case.iter().zip(first).map(|(c, f)| c - f).collect();
            format!("   {:+5.0} ns against the first case", median(differences))
        });
        println!(
            "{name:<58} median {:>6.0} ns per call{versus}",
            median(case.clone())
        );
    }
    calls
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
    let connection = server.open_session(out.clone());
    let headers = RoutingHeaders {
        protocol_version: Header::Value("2026-07-28"),
        method: Header::Value("tools/call"),
        name: Header::Value("get_quote"),
    };
    let calls = measure(vec![
        (
            "2025-11-25, a session (stdio, HTTP session)",
            Box::new(|| {
                let outcome = server.handle_frame_inline(&legacy, LEGACY, out.clone());
                assert!(matches!(outcome, FrameOutcome::Answered));
            }),
        ),
        (
            "2026-07-28, on a connection (stdio)",
            Box::new(|| {
                let outcome = server.handle_frame_inline(&connection, MODERN, out.clone());
                assert!(matches!(outcome, FrameOutcome::Answered));
            }),
        ),
        (
            "2026-07-28, a request without a session (HTTP)",
            Box::new(|| {
                let session = server.open_stateless(out.clone());
                let outcome = server.handle_stateless(&session, MODERN, &headers, out.clone());
                assert!(matches!(outcome, FrameOutcome::Answered));
                server.close_session(&session);
            }),
        ),
    ]);
    let answered = sink.0.load(Ordering::Relaxed);
    assert_eq!(answered, calls + 1, "every call answered");
}
