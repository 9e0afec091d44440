//! HTTP load benchmark: 32 concurrent keep-alive connections (one thread each) send 20 000
//! `tools/call get_quote` in total to `ttai --transport http` on the replay broker, in four
//! phases: MCP 2025-11-25 with sessions answered in JSON and framed as SSE (a client that accepts
//! only `text/event-stream`), then MCP 2026-07-28 without sessions, JSON and SSE-framed.
//! Reports throughput, p50/p99 latency, failures and the server's CPU per call, and its peak
//! RSS. The phases are interleaved over `TTAI_BENCH_ROUNDS` rounds (3), every other round in
//! reverse order, and the medians reported, with the eras' calls/s ratio round by round (and
//! its median), so a noisy moment of a shared machine does not decide a comparison; `TTAI_BENCH_PHASE=<text>`
//! runs only the phases whose name contains it. `TTAI_BENCH_PAIRED=N` instead alternates N
//! calls of each era on one thread and reports what the 2026-07-28 era adds or saves per call
//! (see `paired`).
//!
//! Run: `cargo bench --bench http` (optionally `-- SESSIONS CALLS`; `TTAI_BENCH_BIN=PATH`
//! measures another build). With `TTAI_BENCH_URL` set
//! (e.g. `http://127.0.0.1:8000/mcp`) the same client measures another server instead, such as
//! the Python SDK reference in `benches/reference/python_sdk_server.py`, and `TTAI_BENCH_PID`
//! names its process for CPU and memory figures.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::indexing_slicing
)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

mod common;
use common::{bin, cpu_ns_of, cpu_of, memory_mb};

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

fn main() {
    let numbers: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sessions = numbers.first().copied().unwrap_or(32);
    let calls = numbers.get(1).copied().unwrap_or(20_000);
    let external = std::env::var("TTAI_BENCH_URL").ok();
    let data = std::env::temp_dir().join("ttai-bench-http");
    let mut child = Command::new(if external.is_some() {
        "true".to_owned()
    } else {
        bin()
    })
    .args([
        "--broker",
        "replay",
        "--transport",
        "http",
        "--port",
        "0",
        "--log-level",
        "info",
        "serve",
    ])
    .env("TTAI_DATA_DIR", &data)
    .env("TTAI_HTTP_MAX_SESSIONS", "1000")
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .expect("ttai starts");
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            if let Some(address) = line.split("address=").nth(1) {
                let _ = tx.send(address.trim().to_owned());
            }
        }
    });
    let url = match &external {
        Some(url) => url.clone(),
        None => format!(
            "http://{}/mcp",
            rx.recv_timeout(Duration::from_secs(20))
                .expect("ttai is listening")
        ),
    };
    let pid = std::env::var("TTAI_BENCH_PID")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(child.id());
    let init = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}"#;
    let call = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_quote","arguments":{"symbol":"SPY"}}}"#;
    let modern_call = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_quote","arguments":{"symbol":"SPY"},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"bench","version":"1"}}}}"#;
    // Sessions (handshake era), and a warm-up that also waits for the tape.
    let mut ids = Vec::new();
    for _ in 0..sessions {
        let agent = agent();
        let response = agent
            .post(&url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .send(init)
            .unwrap();
        let id = response
            .headers()
            .get("mcp-session-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        ids.push((agent, id));
    }
    for (agent, id) in &ids {
        let mut r = agent
            .post(&url)
            .header("content-type", "application/json")
            .header("accept", "application/json")
            .header("mcp-session-id", id)
            .header("mcp-protocol-version", "2025-11-25")
            .send(call)
            .unwrap();
        let _ = r.body_mut().read_to_string();
    }
    let authority = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let path = format!(
        "/{}",
        url.trim_start_matches("http://")
            .split_once('/')
            .map_or("", |(_, p)| p)
    );
    let legacy = |accept: &str| -> Vec<String> {
        ids.iter()
            .map(|(_, id)| {
                format!(
                    "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\nAccept: {accept}\r\nMcp-Session-Id: {id}\r\nMCP-Protocol-Version: 2025-11-25\r\nContent-Length: {}\r\n\r\n{call}",
                    call.len()
                )
            })
            .collect()
    };
    let modern = |accept: &str| -> Vec<String> {
        (0..sessions)
            .map(|_| {
                format!(
                    "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\nAccept: {accept}\r\nMCP-Protocol-Version: 2026-07-28\r\nMcp-Method: tools/call\r\nMcp-Name: get_quote\r\nContent-Length: {}\r\n\r\n{modern_call}",
                    modern_call.len()
                )
            })
            .collect()
    };
    let phases = [
        // Both eras' JSON phases accept what MCP clients send (both types), so that the phases
        // differ only in the era.
        (
            "MCP 2025-11-25 with sessions, JSON answers",
            legacy("application/json, text/event-stream"),
        ),
        (
            "MCP 2025-11-25 with sessions, SSE-framed answers (Accept: text/event-stream)",
            legacy("text/event-stream"),
        ),
        (
            "MCP 2026-07-28 without sessions, JSON answers",
            modern("application/json, text/event-stream"),
        ),
        (
            "MCP 2026-07-28 without sessions, SSE-framed answers (Accept: text/event-stream)",
            modern("text/event-stream"),
        ),
    ];
    if let Some(pairs) = std::env::var("TTAI_BENCH_PAIRED")
        .ok()
        .and_then(|p| p.parse::<usize>().ok())
    {
        let legacy = legacy("application/json, text/event-stream").swap_remove(0);
        let modern = modern("application/json, text/event-stream").swap_remove(0);
        paired(&authority, &legacy, &modern, pairs);
        server_cpu_paired(&authority, &legacy, &modern, pairs, pid);
        let _ = child.kill();
        let _ = child.wait();
        return;
    }
    let rounds: usize = std::env::var("TTAI_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    println!(
        "HTTP bench against {url}: {sessions} concurrent connections, {} tools/call get_quote per phase, phases interleaved over {rounds} rounds",
        calls / sessions * sessions
    );
    let only = std::env::var("TTAI_BENCH_PHASE").ok();
    let phases: Vec<_> = phases
        .into_iter()
        .filter(|(name, _)| only.as_ref().is_none_or(|p| name.contains(p.as_str())))
        .collect();
    let mut results: Vec<Vec<Phase>> = phases.iter().map(|_| Vec::new()).collect();
    for round in 1..=rounds {
        println!("round {round}:");
        // Every other round runs the phases in reverse, so no phase always follows the same one.
        let mut order: Vec<usize> = (0..phases.len()).collect();
        if round % 2 == 0 {
            order.reverse();
        }
        for i in order {
            let (name, requests) = &phases[i];
            let phase = run_phase(&authority, requests.clone(), calls / sessions, pid);
            println!("  {name}: {phase}");
            results[i].push(phase);
        }
    }
    // The eras compared round by round (each pair measured minutes apart at most), and the
    // median of those ratios: steadier on a shared machine than a ratio of two medians.
    for framing in ["JSON answers", "SSE-framed"] {
        let of = |era: &str| {
            phases
                .iter()
                .position(|(name, _)| name.contains(era) && name.contains(framing))
        };
        if let (Some(legacy), Some(modern)) = (of("2025-11-25"), of("2026-07-28")) {
            let mut ratios: Vec<f64> = results[modern]
                .iter()
                .zip(&results[legacy])
                .map(|(m, l)| m.calls_per_s / l.calls_per_s)
                .collect();
            let listed: Vec<String> = ratios.iter().map(|r| format!("{r:.3}")).collect();
            ratios.sort_by(f64::total_cmp);
            println!(
                "2026-07-28 / 2025-11-25 calls/s, {framing}, round by round: {} (median {:.3})",
                listed.join(" "),
                ratios[ratios.len() / 2]
            );
        }
    }
    println!("median of {rounds} rounds:");
    for ((name, _), results) in phases.iter().zip(&results) {
        let median = |f: fn(&Phase) -> f64| {
            let mut values: Vec<f64> = results.iter().map(f).collect();
            values.sort_by(f64::total_cmp);
            values[values.len() / 2]
        };
        println!(
            "  {name}:\n    {:.0} calls/s   p50 {:.3} ms   p99 {:.3} ms   server CPU {:.1} µs per call   client CPU {:.1} µs per call   failures {}",
            median(|p| p.calls_per_s),
            median(|p| p.p50_ms),
            median(|p| p.p99_ms),
            median(|p| p.cpu_us.unwrap_or(f64::NAN)),
            median(|p| p.client_cpu_us.unwrap_or(f64::NAN)),
            results.iter().map(|p| p.failures).sum::<usize>()
        );
    }
    let hwm = memory_mb(pid, "VmHWM");
    let _ = child.kill();
    let _ = child.wait();
    if let Some(mb) = hwm {
        println!("  server peak RSS {mb:.1} MB");
    }
}

/// What one phase measured.
struct Phase {
    calls_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    cpu_us: Option<f64>,
    /// This client's own CPU (its 32 threads share the machine with the server).
    client_cpu_us: Option<f64>,
    failures: usize,
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.0} calls/s, p50 {:.3} ms, p99 {:.3} ms, server CPU {:.1} µs per call, client CPU {:.1}, failures {}",
            self.calls_per_s,
            self.p50_ms,
            self.p99_ms,
            self.cpu_us.unwrap_or(f64::NAN),
            self.client_cpu_us.unwrap_or(f64::NAN),
            self.failures
        )
    }
}

/// One phase: every connection sends its pre-built request `per_connection` times, one at a time
/// on a raw keep-alive HTTP/1.1 connection (so the client costs as little as possible and the
/// figures are the server's).
fn run_phase(authority: &str, requests: Vec<String>, per_connection: usize, pid: u32) -> Phase {
    let cpu_before = cpu_of(pid);
    let client_before = cpu_of(std::process::id());
    let start = Instant::now();
    let handles: Vec<_> = requests
        .into_iter()
        .map(|request| {
            let authority = authority.to_owned();
            std::thread::spawn(move || {
                let mut connection = Connection::open(&authority);
                let mut latencies = Vec::with_capacity(per_connection);
                let mut failures = 0;
                for _ in 0..per_connection {
                    let t = Instant::now();
                    if !connection.call(&request) {
                        failures += 1;
                    }
                    latencies.push(t.elapsed());
                }
                (latencies, failures)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut failures = 0;
    for handle in handles {
        let (l, f) = handle.join().unwrap();
        latencies.extend(l);
        failures += f;
    }
    let elapsed = start.elapsed();
    let used = |before: Option<Duration>, pid: u32| match (before, cpu_of(pid)) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a)),
        _ => None,
    };
    let cpu = used(cpu_before, pid);
    let client = used(client_before, std::process::id());
    let count = latencies.len() as f64;
    let per_call = |cpu: Duration| cpu.as_secs_f64() * 1e6 / count;
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() - 1) as f64 * p) as usize].as_secs_f64() * 1e3;
    Phase {
        calls_per_s: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        cpu_us: cpu.map(per_call),
        client_cpu_us: client.map(per_call),
        failures,
    }
}

/// The eras compared call by call: one thread alternates a handshake-era call (on its
/// session's connection) with a 2026-07-28 call (on a connection of its own), `pairs` times,
/// so both see the machine in the same moment and a noisy neighbour cannot favour either. The
/// server is otherwise idle, so each latency is one call's whole path (client, kernel, server):
/// the difference of a pair is what the era adds or saves on it. Reports each era's median and
/// the median and mean (with its 95 % interval) of the differences.
fn paired(authority: &str, legacy: &str, modern: &str, pairs: usize) {
    let mut old = Connection::open(authority);
    let mut new = Connection::open(authority);
    for _ in 0..2_000 {
        assert!(old.call(legacy) && new.call(modern), "warm-up calls answered");
    }
    let mut olds = Vec::with_capacity(pairs);
    let mut news = Vec::with_capacity(pairs);
    let mut failures = 0;
    for i in 0..pairs {
        let mut time = |c: &mut Connection, r: &str| {
            let t = Instant::now();
            failures += usize::from(!c.call(r));
            t.elapsed().as_secs_f64() * 1e6
        };
        let (o, n) = in_turn(i, |era| match era {
            Era::Legacy => time(&mut old, legacy),
            Era::Modern => time(&mut new, modern),
        });
        olds.push(o);
        news.push(n);
    }
    let mut differences: Vec<f64> = news.iter().zip(&olds).map(|(n, o)| n - o).collect();
    let count = differences.len() as f64;
    let mean = differences.iter().sum::<f64>() / count;
    let sd = (differences.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (count - 1.0)).sqrt();
    println!(
        "paired, {pairs} calls of each era alternated on one thread: 2025-11-25 median {:.2} µs, 2026-07-28 median {:.2} µs; 2026-07-28 minus 2025-11-25 per call: median {:+.3} µs, mean {:+.3} µs (95 % interval {:+.3} to {:+.3}); failures {failures}",
        median(&mut olds),
        median(&mut news),
        median(&mut differences),
        mean,
        mean - 1.96 * sd / count.sqrt(),
        mean + 1.96 * sd / count.sqrt(),
    );
}

/// Which era a measurement is of.
enum Era {
    Legacy,
    Modern,
}

/// The `i`th pair of measurements, (handshake era, 2026-07-28): the handshake era first on even
/// turns and second on odd ones, so that neither always follows the other.
fn in_turn<T>(i: usize, mut measure: impl FnMut(Era) -> T) -> (T, T) {
    if i.is_multiple_of(2) {
        let legacy = measure(Era::Legacy);
        (legacy, measure(Era::Modern))
    } else {
        let modern = measure(Era::Modern);
        (measure(Era::Legacy), modern)
    }
}

/// The middle value (sorts `values`).
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The server's CPU per call of each era, to the nanosecond: blocks of 500 calls of one era and
/// then of the other (alternating which goes first), one thread, the server's threads' CPU read
/// before and after each block. Reports each era's median and the median difference of the
/// blocks' pairs: what the 2026-07-28 era adds or saves in the server alone, where `paired`
/// measures the whole path (client and kernel too).
fn server_cpu_paired(authority: &str, legacy: &str, modern: &str, pairs: usize, pid: u32) {
    const BLOCK: usize = 500;
    let mut old = Connection::open(authority);
    let mut new = Connection::open(authority);
    let blocks = (pairs / BLOCK).max(3);
    let run = |c: &mut Connection, r: &str| -> Option<f64> {
        let before = cpu_ns_of(pid)?;
        for _ in 0..BLOCK {
            assert!(c.call(r), "answered");
        }
        Some((cpu_ns_of(pid)? - before) as f64 / BLOCK as f64 / 1e3)
    };
    let (mut olds, mut news) = (Vec::new(), Vec::new());
    for i in 0..blocks {
        let (o, n) = in_turn(i, |era| match era {
            Era::Legacy => run(&mut old, legacy),
            Era::Modern => run(&mut new, modern),
        });
        let (Some(o), Some(n)) = (o, n) else {
            println!("server CPU per call: not readable for pid {pid}");
            return;
        };
        olds.push(o);
        news.push(n);
    }
    let mut differences: Vec<f64> = news.iter().zip(&olds).map(|(n, o)| n - o).collect();
    println!(
        "server CPU per call, {blocks} blocks of {BLOCK} calls of each era alternated: 2025-11-25 median {:.2} µs, 2026-07-28 median {:.2} µs; 2026-07-28 minus 2025-11-25 per call: median {:+.3} µs",
        median(&mut olds),
        median(&mut news),
        median(&mut differences),
    );
}

/// A raw keep-alive HTTP/1.1 connection that sends one pre-built request at a time and reads
/// its answer. It allocates nothing per call (one buffer for every answer, header names
/// matched in place), so that the client costs as little as it can.
struct Connection {
    stream: std::net::TcpStream,
    reader: BufReader<std::net::TcpStream>,
    line: String,
    body: Vec<u8>,
}

impl Connection {
    fn open(authority: &str) -> Connection {
        let stream = std::net::TcpStream::connect(authority).unwrap();
        stream.set_nodelay(true).unwrap();
        Connection {
            reader: BufReader::new(stream.try_clone().unwrap()),
            stream,
            line: String::new(),
            body: Vec::with_capacity(4096),
        }
    }

    /// Sends `request` and reads its answer: true for a `tools/call` result that is not a tool
    /// error.
    fn call(&mut self, request: &str) -> bool {
        use std::io::{Read, Write};
        let (line, body, reader) = (&mut self.line, &mut self.body, &mut self.reader);
        self.stream.write_all(request.as_bytes()).unwrap();
        line.clear();
        reader.read_line(line).unwrap();
        let ok = line.starts_with("HTTP/1.1 200");
        let mut length = 0usize;
        let mut chunked = false;
        loop {
            line.clear();
            reader.read_line(line).unwrap();
            if line.trim_end().is_empty() {
                break;
            }
            if let Some(v) = header_value(line, "content-length") {
                length = v.parse().unwrap_or(0);
            }
            chunked |= header_value(line, "transfer-encoding").is_some_and(|v| v.contains("chunked"));
        }
        body.clear();
        if chunked {
            loop {
                line.clear();
                reader.read_line(line).unwrap();
                let size = usize::from_str_radix(line.trim(), 16).unwrap_or(0);
                let at = body.len();
                body.resize(at + size + 2, 0);
                reader.read_exact(&mut body[at..]).unwrap();
                body.truncate(at + size);
                if size == 0 {
                    break;
                }
            }
        } else {
            body.resize(length, 0);
            reader.read_exact(body).unwrap();
        }
        ok && answered_without_error(body)
    }
}

/// The value of the header `line` when it is `name`'s (matched without allocating).
fn header_value<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let (key, value) = line.split_once(':')?;
    key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
}

/// True for a `tools/call` result that is not a tool error, read as cheaply as the answers
/// allow, so the client's cost does not grow with the answer's length: the result's head at
/// the start (in JSON or as an SSE event), then its `isError` found from the end, where both
/// eras write it (the 2026-07-28 stamp follows it).
fn answered_without_error(body: &[u8]) -> bool {
    const KEY: &[u8] = b"\"isError\":";
    // The SSE framing (a priming event, the event's id) comes before the result's head.
    let head = body.get(..body.len().min(256)).unwrap_or_default();
    let has_result = head.windows(b"\"result\":".len()).any(|w| w == b"\"result\":");
    // Backwards from quote to quote: a byte compared per byte passed, and a whole key only at
    // a quote (a window compared at every position cost the longer 2026-07-28 tail 0.2 µs).
    let mut end = body.len();
    let mut is_error = None;
    while let Some(at) = body[..end].iter().rposition(|&b| b == b'"') {
        if body[at..].starts_with(KEY) {
            is_error = Some(at);
            break;
        }
        end = at;
    }
    has_result
        && is_error
            .is_some_and(|at| body.get(at + KEY.len()..at + KEY.len() + 5) == Some(b"false".as_slice()))
}
