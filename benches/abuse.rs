//! Abuse figures: what each attack of the hostile-input run costs the server (README, "Budgets").
//!
//! Run: `cargo bench --bench abuse` (or `-- batch sse line sigterm second slowloris` for some of
//! them). `TTAI_BENCH_BIN=/path/to/ttai` measures another build (an
//! older one, for before/after in one session); attacks that would ask an unbounded build for
//! gigabytes are skipped then (`TTAI_BENCH_UNBOUNDED=1` runs them anyway).
//!
//! - batch: a 2025-03-26 batch of 300 `get_option_chain` calls over stdio, and the longest batch
//!   allowed (32); 8 HTTP clients each posting such a batch at once; a 4 MiB HTTP batch body;
//! - SSE: 8 sessions × 64 chain answers on SSE POST streams, kept for resumption;
//! - a 16 MiB stdio line: resident memory afterwards;
//! - SIGTERM with a half-sent request head and a half-sent body open: time to exit;
//! - a second server on the same data dir: time from the first one's exit to the second serving
//!   the database (on its next call, and by its background retry alone);
//! - slowloris at the open-file limit (`ulimit -n 256`, 1000 connections trickling headers):
//!   `/healthz` latency.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::indexing_slicing
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

mod common;
use common::{bin, memory_mb};

fn unbounded_allowed() -> bool {
    std::env::var("TTAI_BENCH_BIN").is_err() || std::env::var("TTAI_BENCH_UNBOUNDED").is_ok()
}

/// (peak, current) resident set of a process, MB.
fn rss(pid: u32) -> (f64, f64) {
    (
        memory_mb(pid, "VmHWM").unwrap_or(0.0),
        memory_mb(pid, "VmRSS").unwrap_or(0.0),
    )
}

struct StdioServer {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    _data: tempfile::TempDir,
}

impl StdioServer {
    fn spawn(data: Option<&std::path::Path>, env: &[(&str, &str)]) -> (StdioServer, Receiver<String>) {
        let own = tempfile::tempdir().unwrap();
        let dir = data.map_or_else(|| own.path().to_owned(), std::path::Path::to_owned);
        let mut command = Command::new(bin());
        command
            .args(["--broker", "replay", "--log-level", "info", "serve"])
            .env("TTAI_DATA_DIR", &dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("ttai starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = child.stderr.take().unwrap();
        let (etx, erx) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = etx.send(line);
            }
        });
        let stdin = child.stdin.take();
        (
            StdioServer {
                child,
                stdin,
                lines: rx,
                _data: own,
            },
            erx,
        )
    }

    fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
    }

    fn recv(&self, timeout: Duration) -> Option<String> {
        self.lines.recv_timeout(timeout).ok()
    }

    fn initialize(&mut self, version: &str) {
        self.send(&format!(
            r#"{{"jsonrpc":"2.0","id":"init","method":"initialize","params":{{"protocolVersion":"{version}","capabilities":{{}},"clientInfo":{{"name":"bench","version":"1"}}}}}}"#
        ));
        self.recv(Duration::from_secs(30)).expect("initialize answered");
        self.send(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#);
    }

    fn call(&mut self, id: &str, tool: &str, args: &str) -> String {
        self.send(&format!(
            r#"{{"jsonrpc":"2.0","id":"{id}","method":"tools/call","params":{{"name":"{tool}","arguments":{args}}}}}"#
        ));
        loop {
            let line = self.recv(Duration::from_secs(60)).expect("an answer");
            if line.contains(&format!("\"id\":\"{id}\"")) {
                return line;
            }
        }
    }
}

impl Drop for StdioServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn chain_batch(n: usize) -> String {
    let items: Vec<String> = (1..=n)
        .map(|id| format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"get_option_chain","arguments":{{"symbol":"SPY"}}}}}}"#))
        .collect();
    format!("[{}]", items.join(","))
}

fn batch_stdio(n: usize) {
    let (mut ttai, _) = StdioServer::spawn(None, &[]);
    ttai.initialize("2025-03-26");
    let frame = chain_batch(n);
    let started = Instant::now();
    ttai.send(&frame);
    let answer = ttai.recv(Duration::from_secs(120)).unwrap_or_default();
    let (peak, _) = rss(ttai.child.id());
    let errors = answer.matches("\"error\":").count();
    println!(
        "  stdio batch of {n} chain calls ({:.1} KB): answer {:.1} MB ({errors} errors) in {:.2} s, peak RSS {peak:.1} MB",
        frame.len() as f64 / 1e3,
        answer.len() as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
}

struct Http {
    child: Child,
    address: String,
    _data: tempfile::TempDir,
}

impl Http {
    fn spawn(prefix: &str, env: &[(&str, &str)]) -> Http {
        let data = tempfile::tempdir().unwrap();
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(format!(
                "{prefix} exec {} --broker replay --transport http --port 0 --log-level info serve",
                bin()
            ))
            .env("TTAI_DATA_DIR", data.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("ttai starts");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(address) = line.split("address=").nth(1) {
                    let _ = tx.send(address.split_whitespace().next().unwrap_or_default().to_owned());
                }
            }
        });
        let address = rx.recv_timeout(Duration::from_secs(20)).expect("ttai listens");
        Http {
            child,
            address,
            _data: data,
        }
    }

    fn post(&self, headers: &str, body: &str, timeout: Duration) -> String {
        post(&self.address, headers, body, timeout)
    }

    fn session(&self, version: &str) -> String {
        let answer = self.post(
            "Accept: application/json, text/event-stream\r\n",
            &format!(
                r#"{{"jsonrpc":"2.0","id":0,"method":"initialize","params":{{"protocolVersion":"{version}","capabilities":{{}},"clientInfo":{{"name":"bench","version":"1"}}}}}}"#
            ),
            Duration::from_secs(30),
        );
        answer
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("mcp-session-id")
                    .then(|| value.trim().to_owned())
            })
            .expect("a session id")
    }

    fn healthz(&self, timeout: Duration) -> Option<Duration> {
        let started = Instant::now();
        let mut stream = connect(&self.address, timeout)?;
        stream.set_read_timeout(Some(timeout)).ok()?;
        stream
            .write_all(
                format!(
                    "GET /healthz HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
                    self.address
                )
                .as_bytes(),
            )
            .ok()?;
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        answer.starts_with(b"HTTP/1.1 200").then(|| started.elapsed())
    }
}

/// One request on a fresh connection; the whole answer (until close) or what came in time.
fn post(address: &str, headers: &str, body: &str, timeout: Duration) -> String {
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(timeout)).unwrap();
    let request = format!(
        "POST /mcp HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    if stream.write_all(request.as_bytes()).is_err() {
        return String::new();
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

impl Drop for Http {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn batch_http() {
    let server = Http::spawn("", &[]);
    let sessions: Vec<String> = (0..8).map(|_| server.session("2025-03-26")).collect();
    let started = Instant::now();
    let threads: Vec<_> = sessions
        .into_iter()
        .map(|session| {
            let address = server.address.clone();
            std::thread::spawn(move || {
                post(
                    &address,
                    &format!("Accept: application/json\r\nMcp-Session-Id: {session}\r\nMCP-Protocol-Version: 2025-03-26\r\n"),
                    &chain_batch(32),
                    Duration::from_secs(120),
                )
                .len()
            })
        })
        .collect();
    let bytes: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    let (peak, _) = rss(server.child.id());
    println!(
        "  HTTP: 8 clients at once, each a batch of 32 chain calls: {:.1} MB answered in {:.2} s, peak RSS {peak:.1} MB",
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    if unbounded_allowed() {
        let session = server.session("2025-03-26");
        let mut n = 1;
        while chain_batch(n * 2).len() < 4 * 1024 * 1024 - 1024 {
            n *= 2;
        }
        let started = Instant::now();
        let answer = server.post(
            &format!("Accept: application/json\r\nMcp-Session-Id: {session}\r\nMCP-Protocol-Version: 2025-03-26\r\n"),
            &chain_batch(n),
            Duration::from_secs(120),
        );
        let (peak, _) = rss(server.child.id());
        println!(
            "  HTTP: one {:.1} MB batch body of {n} chain calls: answered {} in {:.2} s, peak RSS {peak:.1} MB",
            chain_batch(n).len() as f64 / 1e6,
            answer.lines().next().unwrap_or("nothing"),
            started.elapsed().as_secs_f64()
        );
    } else {
        println!("  HTTP: one 4 MiB batch body: not run against this build (it would ask for gigabytes)");
    }
}

fn sse_attack() {
    let server = Http::spawn("", &[]);
    let sessions: Vec<String> = (0..8).map(|_| server.session("2025-11-25")).collect();
    let started = Instant::now();
    for session in &sessions {
        for id in 1..=64 {
            server.post(
                &format!("Accept: text/event-stream\r\nMcp-Session-Id: {session}\r\nMCP-Protocol-Version: 2025-11-25\r\n"),
                &format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"get_option_chain","arguments":{{"symbol":"SPY"}}}}}}"#),
                Duration::from_secs(60),
            );
        }
    }
    let (peak, now) = rss(server.child.id());
    println!(
        "  SSE: 8 sessions × 64 chain answers on POST streams in {:.1} s: peak RSS {peak:.1} MB, resident after {now:.1} MB",
        started.elapsed().as_secs_f64()
    );
}

fn long_line() {
    let (mut ttai, _) = StdioServer::spawn(None, &[]);
    ttai.initialize("2025-11-25");
    let (_, before) = rss(ttai.child.id());
    let line = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"ping","params":{{"pad":"{}"}}}}"#,
        "x".repeat(16 * 1024 * 1024)
    );
    ttai.send(&line);
    let answer = ttai.recv(Duration::from_secs(60)).unwrap_or_default();
    ttai.send(r#"{"jsonrpc":"2.0","id":2,"method":"ping"}"#);
    let _ = ttai.recv(Duration::from_secs(60));
    std::thread::sleep(Duration::from_millis(300));
    let (peak, after) = rss(ttai.child.id());
    let verdict = if answer.contains("-32700") {
        "refused"
    } else {
        "answered"
    };
    println!(
        "  stdio: a 16 MiB line ({verdict}): resident {before:.1} MB before, {after:.1} MB after, peak {peak:.1} MB"
    );
}

fn sigterm_half_sent() {
    let server = Http::spawn("", &[]);
    let mut head = TcpStream::connect(&server.address).unwrap();
    head.write_all(format!("POST /mcp HTTP/1.1\r\nHost: {}\r\nX-Slow: ", server.address).as_bytes())
        .unwrap();
    let mut body = TcpStream::connect(&server.address).unwrap();
    body.write_all(
        format!(
            "POST /mcp HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{{\"jsonrpc\":",
            server.address
        )
        .as_bytes(),
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let mut server = server;
    let started = Instant::now();
    Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    let limit = Duration::from_secs(30);
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            println!(
                "  SIGTERM with a half-sent head and a half-sent body open: exited ({status}) after {:.0} ms",
                started.elapsed().as_secs_f64() * 1e3
            );
            break;
        }
        if started.elapsed() > limit {
            println!(
                "  SIGTERM with a half-sent head and a half-sent body open: still running after {limit:?}"
            );
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    drop((head, body));
}

fn second_server(poll_calls: bool) {
    let data = tempfile::tempdir().unwrap();
    let (mut first, _) = StdioServer::spawn(Some(data.path()), &[]);
    first.initialize("2025-11-25");
    first.call("a", "list_alerts", "{}");
    let (mut second, second_log) = StdioServer::spawn(Some(data.path()), &[]);
    second.initialize("2025-11-25");
    let held = second.call("b0", "list_alerts", "{}");
    assert!(held.contains("DATABASE_ERROR"), "{held}");
    drop(first.stdin.take());
    let exit_wait = Instant::now();
    while first.child.try_wait().unwrap().is_none() {
        assert!(exit_wait.elapsed() < Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(1));
    }
    let exited = Instant::now();
    let limit = Duration::from_secs(20);
    let mut n = 0;
    let served = loop {
        if exited.elapsed() > limit {
            break None;
        }
        if poll_calls {
            n += 1;
            let answer = second.call(&format!("b{n}"), "list_alerts", "{}");
            if !answer.contains("DATABASE_ERROR") {
                break Some(exited.elapsed());
            }
            std::thread::sleep(Duration::from_millis(20));
        } else if let Ok(line) = second_log.recv_timeout(Duration::from_millis(20))
            && line.contains("the database is open now")
        {
            break Some(exited.elapsed());
        }
    };
    let how = if poll_calls {
        "its next call (one every 20 ms)"
    } else {
        "its background retry alone (monitor started)"
    };
    match served {
        Some(after) => println!(
            "  second server on the same data dir, by {how}: serving the database {:.0} ms after the first exited",
            after.as_secs_f64() * 1e3
        ),
        None => println!("  second server on the same data dir, by {how}: still refused after {limit:?}"),
    }
}

fn connect(address: &str, timeout: Duration) -> Option<TcpStream> {
    let address: std::net::SocketAddr = address.parse().ok()?;
    TcpStream::connect_timeout(&address, timeout).ok()
}

fn slowloris() {
    let server = Http::spawn("ulimit -n 256 &&", &[]);
    let idle = server.healthz(Duration::from_secs(10));
    let mut held = Vec::new();
    for _ in 0..1000 {
        // A server that stopped accepting lets the backlog fill; then connecting waits.
        if let Some(mut stream) = connect(&server.address, Duration::from_millis(200)) {
            let _ = stream
                .write_all(format!("GET /mcp HTTP/1.1\r\nHost: {}\r\nX-Slow: a", server.address).as_bytes());
            held.push(stream);
        }
    }
    std::thread::sleep(Duration::from_millis(500));
    let mut latencies: Vec<Option<Duration>> =
        (0..5).map(|_| server.healthz(Duration::from_secs(20))).collect();
    latencies.sort();
    let shown: Vec<String> = latencies
        .iter()
        .map(|l| {
            l.map_or("no answer in 20 s".to_owned(), |d| {
                format!("{:.1} ms", d.as_secs_f64() * 1e3)
            })
        })
        .collect();
    println!(
        "  slowloris at the file limit (ulimit -n 256, {} connections trickling headers): /healthz {} (idle: {})",
        held.len(),
        shown.join(", "),
        idle.map_or("no answer".to_owned(), |d| format!(
            "{:.1} ms",
            d.as_secs_f64() * 1e3
        ))
    );
    drop(held);
}

fn main() {
    // `cargo bench --bench abuse -- NAME...` runs only those attacks.
    let only: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let run = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    println!("abuse bench against {}", bin());
    if run("batch") {
        batch_stdio(300);
        batch_stdio(32);
        batch_http();
    }
    if run("sse") {
        sse_attack();
    }
    if run("line") {
        long_line();
    }
    if run("sigterm") {
        sigterm_half_sent();
    }
    if run("second") {
        second_server(true);
        second_server(false);
    }
    if run("slowloris") {
        slowloris();
    }
}
