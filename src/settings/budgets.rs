//! Budgets (README "Budgets"): everything a client can make ttai hold, and for how long, read
//! from the environment with the settings and validated with them.
//!
//! The defaults are the components' own (`ttai_core::mcp::Limits`, the HTTP transport's
//! `HttpLimits`, the stdio transport's `StdioConfig`); a test in `compose` keeps them equal.

use std::time::Duration;

use ttai_core::mcp::Limits;

use super::parse_duration;

/// The budgets in force.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Budgets {
    /// The MCP engine's: batches, requests in flight, subscriptions.
    pub(crate) engine: Limits,
    /// Longest stdio line.
    pub(crate) stdio_max_line: usize,
    /// At shutdown (or stdin EOF), requests in flight get at most this long.
    pub(crate) drain: Duration,
    pub(crate) http_max_body: usize,
    pub(crate) http_body_budget: usize,
    pub(crate) http_header_timeout: Duration,
    pub(crate) http_body_timeout: Duration,
    pub(crate) http_max_connections: usize,
    pub(crate) http_max_sessions: usize,
    pub(crate) http_max_sessions_per_client: usize,
    pub(crate) http_session_idle: Duration,
    pub(crate) http_retain_per_session: usize,
    pub(crate) http_retain_total: usize,
}

const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;

impl Default for Budgets {
    fn default() -> Budgets {
        Budgets {
            engine: Limits::default(),
            stdio_max_line: 4 * MIB,
            drain: Duration::from_secs(10),
            http_max_body: 4 * MIB,
            http_body_budget: 32 * MIB,
            http_header_timeout: Duration::from_secs(10),
            http_body_timeout: Duration::from_secs(30),
            http_max_connections: 512,
            http_max_sessions: 256,
            http_max_sessions_per_client: 64,
            http_session_idle: Duration::from_secs(30 * 60),
            http_retain_per_session: MIB,
            http_retain_total: 32 * MIB,
        }
    }
}

/// Reads `4194304`, `4MiB`, `512KiB`, `4M`, `512k` as bytes (binary multiples).
pub(crate) fn parse_size(text: &str) -> Option<usize> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: usize = number.parse().ok()?;
    let multiple = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => KIB,
        "m" | "mb" | "mib" => MIB,
        "g" | "gb" | "gib" => 1024 * MIB,
        _ => return None,
    };
    number.checked_mul(multiple)
}

/// Reads one environment variable (empty counts as unset).
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Budgets {
    /// The budgets from the environment; every bad value is added to `problems`.
    pub(crate) fn from_env(problems: &mut Vec<String>) -> Budgets {
        let d = Budgets::default();
        let mut count = |name: &str, var: &str, default: usize, max: usize| match env(var) {
            None => default,
            Some(text) => match text.trim().parse::<usize>() {
                Ok(v) if (1..=max).contains(&v) => v,
                _ => {
                    problems.push(format!(
                        "{name} ({var}): {text:?} is not a number between 1 and {max}"
                    ));
                    default
                }
            },
        };
        let max_batch_len = count("batch length", "TTAI_MAX_BATCH", d.engine.max_batch_len, 10_000);
        let max_in_flight = count(
            "requests in flight",
            "TTAI_MAX_IN_FLIGHT",
            d.engine.max_in_flight,
            10_000,
        );
        let max_subscriptions = count(
            "subscriptions per session",
            "TTAI_MAX_SUBSCRIPTIONS",
            d.engine.max_subscriptions,
            100_000,
        );
        let http_max_connections = count(
            "HTTP connections",
            "TTAI_HTTP_MAX_CONNECTIONS",
            d.http_max_connections,
            1_000_000,
        );
        let http_max_sessions = count(
            "HTTP session limit",
            "TTAI_HTTP_MAX_SESSIONS",
            d.http_max_sessions,
            100_000,
        );
        let http_max_sessions_per_client = count(
            "HTTP sessions per client",
            "TTAI_HTTP_MAX_SESSIONS_PER_CLIENT",
            d.http_max_sessions_per_client,
            100_000,
        );
        let mut size = |name: &str, var: &str, default: usize, min: usize| match env(var) {
            None => default,
            Some(text) => match parse_size(&text) {
                Some(v) if v >= min && v <= 1024 * MIB => v,
                _ => {
                    problems.push(format!(
                        "{name} ({var}): {text:?} is not a size between {min} bytes and 1GiB, such as 4MiB or 512KiB"
                    ));
                    default
                }
            },
        };
        let max_batch_answer_bytes = size(
            "batch answer budget",
            "TTAI_MAX_BATCH_ANSWER",
            d.engine.max_batch_answer_bytes,
            KIB,
        );
        let stdio_max_line = size("stdio line limit", "TTAI_STDIO_MAX_LINE", d.stdio_max_line, KIB);
        let http_max_body = size("HTTP body limit", "TTAI_HTTP_MAX_BODY", d.http_max_body, KIB);
        let http_body_budget = size(
            "HTTP body budget",
            "TTAI_HTTP_BODY_BUDGET",
            d.http_body_budget,
            KIB,
        );
        let http_retain_per_session = size(
            "SSE retention per session",
            "TTAI_HTTP_SSE_RETAIN",
            d.http_retain_per_session,
            KIB,
        );
        let http_retain_total = size(
            "SSE retention in all",
            "TTAI_HTTP_SSE_RETAIN_TOTAL",
            d.http_retain_total,
            KIB,
        );
        let mut duration = |name: &str, var: &str, default: Duration, min: Duration| match env(var) {
            None => default,
            Some(text) => match parse_duration(&text) {
                Some(v) if v >= min => v,
                _ => {
                    problems.push(format!(
                        "{name} ({var}): {text:?} is not a duration of {}ms or more, such as 10s or 500ms",
                        min.as_millis()
                    ));
                    default
                }
            },
        };
        let second = Duration::from_secs(1);
        let drain = duration("shutdown drain", "TTAI_SHUTDOWN_DRAIN", d.drain, Duration::ZERO);
        let http_header_timeout = duration(
            "HTTP header timeout",
            "TTAI_HTTP_HEADER_TIMEOUT",
            d.http_header_timeout,
            Duration::from_millis(100),
        );
        let http_body_timeout = duration(
            "HTTP body timeout",
            "TTAI_HTTP_BODY_TIMEOUT",
            d.http_body_timeout,
            Duration::from_millis(100),
        );
        let http_session_idle = duration(
            "HTTP session idle timeout",
            "TTAI_HTTP_SESSION_IDLE",
            d.http_session_idle,
            second,
        );
        if http_body_budget < http_max_body {
            problems.push(format!(
                "HTTP body budget (TTAI_HTTP_BODY_BUDGET): {http_body_budget} bytes is less than one body of TTAI_HTTP_MAX_BODY ({http_max_body})"
            ));
        }
        Budgets {
            engine: Limits {
                max_batch_len,
                max_batch_answer_bytes,
                max_in_flight,
                max_subscriptions,
                ..d.engine
            },
            stdio_max_line,
            drain,
            http_max_body,
            http_body_budget,
            http_header_timeout,
            http_body_timeout,
            http_max_connections,
            http_max_sessions,
            http_max_sessions_per_client,
            http_session_idle,
            http_retain_per_session,
            http_retain_total,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!(parse_size("4194304"), Some(4 * MIB));
        assert_eq!(parse_size("4MiB"), Some(4 * MIB));
        assert_eq!(parse_size("512 KiB"), Some(512 * KIB));
        assert_eq!(parse_size("1g"), Some(1024 * MIB));
        assert_eq!(parse_size("lots"), None);
        assert_eq!(parse_size("-1"), None);
    }
}
