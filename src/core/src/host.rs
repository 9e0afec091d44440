//! Host names as settings and request headers write them: text rules only, no lookup.

use std::net::IpAddr;

/// True for a host that names this machine: `localhost` (any case) or a loopback address
/// (`127.0.0.0/8`, `::1`), an IPv6 address with or without its brackets (`[::1]`, as a URL or
/// `--host` writes it).
pub fn is_loopback(host: &str) -> bool {
    let bare = host
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or(host);
    bare.eq_ignore_ascii_case("localhost") || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names_and_addresses() {
        for host in [
            "localhost",
            "LocalHost",
            "127.0.0.1",
            "127.1.2.3",
            "::1",
            "[::1]",
            "[0:0:0:0:0:0:0:1]",
        ] {
            assert!(is_loopback(host), "{host}");
        }
        for host in [
            "evil.example.com",
            "0.0.0.0",
            "::",
            "[::]",
            "192.168.1.10",
            "[::1",
            "::1]",
            "localhost.evil.com",
            "[localhost]x",
            "",
        ] {
            assert!(!is_loopback(host), "{host}");
        }
    }
}
