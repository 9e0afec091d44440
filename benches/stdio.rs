#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::indexing_slicing
)]
//! Stdio benchmark: sequential `tools/call get_quote` round trips on the replay broker (p50, p99,
//! calls/s) and pipelined calls (16 in flight), in both protocol eras (2025-11-25 after
//! `initialize`, 2026-07-28 with the per-request envelope), and cold start (spawn →
//! `initialize` answered).
//!
//! Run: `cargo bench --bench stdio` (optionally `-- N` for the number of calls, default 20000;
//! `TTAI_BENCH_BIN=PATH` measures another build).
//! This client is as thin as the one in `benches/reference/mcp_bench.py`: pre-serialized requests, raw
//! pipe reads, answers matched by line.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{bin, cpu_of, memory_mb};

fn spawn() -> (
    std::process::Child,
    std::process::ChildStdin,
    BufReader<std::process::ChildStdout>,
) {
    let data = std::env::temp_dir().join("ttai-bench-stdio");
    let mut child = Command::new(bin())
        .args(["--broker", "replay", "--log-level", "warn", "serve"])
        .env("TTAI_DATA_DIR", &data)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("ttai starts");
    let stdin = child.stdin.take().expect("stdin");
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    (child, stdin, stdout)
}

const INIT: &str = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}"#;
/// The first request of a 2026-07-28 connection (no handshake).
const DISCOVER: &str = r#"{"jsonrpc":"2.0","id":0,"method":"server/discover","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"bench","version":"1"}}}}"#;

/// Which protocol era the client speaks.
#[derive(Clone, Copy)]
enum Era {
    /// `initialize`, then bare requests (2025-11-25).
    Handshake,
    /// No handshake; every request carries the envelope (2026-07-28).
    Stateless,
}

impl Era {
    fn name(self) -> &'static str {
        match self {
            Era::Handshake => "MCP 2025-11-25 (initialize)",
            Era::Stateless => "MCP 2026-07-28 (per-request envelope)",
        }
    }

    fn first(self) -> &'static str {
        match self {
            Era::Handshake => INIT,
            Era::Stateless => DISCOVER,
        }
    }

    fn call(self, id: u64) -> String {
        match self {
            Era::Handshake => call(id),
            Era::Stateless => format!(
                r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"get_quote","arguments":{{"symbol":"SPY"}},"_meta":{{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{{}},"io.modelcontextprotocol/clientInfo":{{"name":"bench","version":"1"}}}}}}}}"#
            ),
        }
    }
}

fn call(id: u64) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"get_quote","arguments":{{"symbol":"SPY"}}}}}}"#
    )
}

/// What one era's run measured.
struct Figures {
    latencies: Vec<Duration>,
    elapsed: Duration,
    cpu: Option<Duration>,
    pipelined: Duration,
    rss: Option<f64>,
}

/// Sequential round trips (after 200 warm-up calls), then the same number pipelined 16 deep.
fn round_trips(era: Era, n: u64) -> Figures {
    let mut line = String::new();
    let (mut child, mut stdin, mut stdout) = spawn();
    writeln!(stdin, "{}", era.first()).expect("write");
    line.clear();
    stdout.read_line(&mut line).expect("read");
    assert!(line.contains("\"result\""), "{line}");
    let requests: Vec<String> = (1..=n + 200).map(|id| era.call(id)).collect();
    for request in &requests[..200] {
        writeln!(stdin, "{request}").expect("write");
        line.clear();
        stdout.read_line(&mut line).expect("read");
        assert!(
            !line.contains("\"isError\":true") && line.contains("\"result\""),
            "{line}"
        );
    }
    let cpu_before = cpu_of(child.id());
    let mut latencies = Vec::with_capacity(n as usize);
    let t0 = Instant::now();
    for request in &requests[200..] {
        let t = Instant::now();
        stdin.write_all(request.as_bytes()).expect("write");
        stdin.write_all(b"\n").expect("write");
        stdin.flush().expect("flush");
        line.clear();
        stdout.read_line(&mut line).expect("read");
        latencies.push(t.elapsed());
    }
    let elapsed = t0.elapsed();
    let cpu = match (cpu_before, cpu_of(child.id())) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a)),
        _ => None,
    };
    latencies.sort();
    let inflight = 16_u64;
    // Pre-serialized too, each with its newline, written in one piece.
    let pipelined: Vec<String> = (0..n).map(|i| format!("{}\n", era.call(1_000_000 + i))).collect();
    let t1 = Instant::now();
    let mut sent = 0_u64;
    let mut received = 0_u64;
    while received < n {
        while sent < n && sent - received < inflight {
            stdin
                .write_all(pipelined[sent as usize].as_bytes())
                .expect("write");
            sent += 1;
        }
        stdin.flush().expect("flush");
        line.clear();
        stdout.read_line(&mut line).expect("read");
        received += 1;
    }
    let pipelined = t1.elapsed();
    let rss = memory_mb(child.id(), "VmHWM");
    drop(stdin);
    let _ = child.wait();
    Figures {
        latencies,
        elapsed,
        cpu,
        pipelined,
        rss,
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p / 100.0).round() as usize;
    sorted.get(idx).copied().unwrap_or_default()
}

fn main() {
    let n: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(20_000);
    let mut line = String::new();

    // Cold start: spawn → initialize answered, 10 times.
    let mut starts = Vec::new();
    for _ in 0..10 {
        let t0 = Instant::now();
        let (mut child, mut stdin, mut stdout) = spawn();
        writeln!(stdin, "{INIT}").expect("write");
        line.clear();
        stdout.read_line(&mut line).expect("read");
        starts.push(t0.elapsed());
        drop(stdin);
        let _ = child.wait();
    }
    starts.sort();

    for era in [Era::Handshake, Era::Stateless] {
        let figures = round_trips(era, n);
        println!(
            "stdio bench, {n} sequential tools/call get_quote (replay broker, demo tape), {}:",
            era.name()
        );
        println!(
            "  p50 {:.1} µs   p99 {:.1} µs   max {:.1} µs   {:.0} calls/s",
            percentile(&figures.latencies, 50.0).as_secs_f64() * 1e6,
            percentile(&figures.latencies, 99.0).as_secs_f64() * 1e6,
            figures
                .latencies
                .last()
                .copied()
                .unwrap_or_default()
                .as_secs_f64()
                * 1e6,
            n as f64 / figures.elapsed.as_secs_f64()
        );
        if let Some(cpu) = figures.cpu {
            println!(
                "  server CPU {:.1} µs per call",
                cpu.as_secs_f64() * 1e6 / n as f64
            );
        }
        println!(
            "  pipelined (16 in flight): {:.0} calls/s",
            n as f64 / figures.pipelined.as_secs_f64()
        );
        if let Some(mb) = figures.rss {
            println!("  peak RSS {mb:.1} MB");
        }
    }
    println!(
        "  cold start (spawn → initialize answered), 10 runs: p50 {:.2} ms, min {:.2} ms, max {:.2} ms",
        percentile(&starts, 50.0).as_secs_f64() * 1e3,
        starts.first().copied().unwrap_or_default().as_secs_f64() * 1e3,
        starts.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
}
