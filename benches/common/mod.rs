//! What the binary benchmarks share: the build measured and the server's figures from `/proc`.
#![allow(dead_code)]

use std::time::Duration;

/// The binary measured: this build, or `TTAI_BENCH_BIN` (another build, for before/after in one
/// session).
pub(crate) fn bin() -> String {
    std::env::var("TTAI_BENCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_ttai").to_owned())
}

/// CPU time (user + system) a process has used.
pub(crate) fn cpu_of(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// CPU time of every thread of `pid` to the nanosecond (`/proc/PID/task/*/schedstat`), for
/// comparisons finer than [`cpu_of`]'s 10 ms ticks. Threads that ended are not counted: measure
/// a server whose threads live through the measurement.
#[allow(dead_code)]
pub(crate) fn cpu_ns_of(pid: u32) -> Option<u64> {
    let mut total = 0u64;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
        let path = task.ok()?.path().join("schedstat");
        let Ok(stat) = std::fs::read_to_string(path) else {
            continue;
        };
        total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

/// A `/proc/PID/status` memory field (`VmHWM`: peak resident, `VmRSS`: resident now), MB.
pub(crate) fn memory_mb(pid: u32, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.strip_prefix(field).is_some_and(|rest| rest.starts_with(':')))?
        .split_whitespace()
        .nth(1)?
        .parse::<f64>()
        .ok()
        .map(|kb| kb / 1024.0)
}
