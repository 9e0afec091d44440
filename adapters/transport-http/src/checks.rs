//! The checks every request passes before anything else: `Host` (and an absolute-form target's
//! authority) against DNS rebinding, `Origin` against foreign pages, and the bearer token.
//!
//! They parse strictly and refuse what they cannot read: a header that is repeated, holds a
//! byte outside visible ASCII, or does not have the shape of an authority or an origin is a
//! refusal, never a skipped check.

use warp::http::{HeaderMap, StatusCode, Uri};

use ttai_core::host::is_loopback;
use ttai_core::ports::Secret;

/// Why a request was turned away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) status: StatusCode,
    pub(crate) message: &'static str,
}

const fn refusal(status: StatusCode, message: &'static str) -> Refusal {
    Refusal { status, message }
}

/// The one value of a header: `None` when absent; a refusal when it is repeated or is not
/// visible ASCII (tabs and spaces allowed inside).
pub(crate) fn single<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, Refusal> {
    let mut values = headers.get_all(name).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(refusal(
            StatusCode::BAD_REQUEST,
            "Bad Request: a header that must appear once was repeated",
        ));
    }
    let bytes = value.as_bytes();
    if !bytes
        .iter()
        .all(|b| b.is_ascii_graphic() || *b == b' ' || *b == b'\t')
    {
        return Err(refusal(
            StatusCode::BAD_REQUEST,
            "Bad Request: a header holds bytes outside visible ASCII",
        ));
    }
    Ok(std::str::from_utf8(bytes).ok())
}

/// The host of an authority (`host[:port]`, `[v6][:port]`), or `None` when it is not one: no
/// user info, no path, a port of digits only, a name of letters, digits, `-`, `.` and `_`.
pub(crate) fn host_of(authority: &str) -> Option<&str> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (v6, after) = rest.split_once(']')?;
        v6.parse::<std::net::Ipv6Addr>().ok()?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':')?),
        };
        (v6, port)
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if let Some(port) = port
        && !(port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let name_ok = authority.starts_with('[')
        || (!host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_')));
    name_ok.then_some(host)
}

/// The `Host` rule: exactly one `Host` that reads as an authority, and the same for an
/// absolute-form request target; on a loopback address both must name this machine (a
/// loopback name or the configured host), so a DNS-rebound page cannot reach the server.
pub(crate) fn check_host(
    headers: &HeaderMap,
    target: &Uri,
    loopback: bool,
    configured: &str,
) -> Result<(), Refusal> {
    let header = single(headers, "host")?;
    let target = target.authority().map(|a| a.as_str());
    if header.is_none() && target.is_none() {
        return Err(refusal(
            StatusCode::BAD_REQUEST,
            "Bad Request: a Host header is required",
        ));
    }
    for authority in [header, target].into_iter().flatten() {
        let Some(host) = host_of(authority.trim()) else {
            return Err(refusal(
                StatusCode::BAD_REQUEST,
                "Bad Request: the Host cannot be read",
            ));
        };
        if loopback && !is_loopback(host) && !host.eq_ignore_ascii_case(configured) {
            return Err(refusal(StatusCode::FORBIDDEN, "Forbidden: Host not allowed"));
        }
    }
    Ok(())
}

/// The `Origin` rule: absent (not a browser), or one origin that is listed in `allowed` or is a
/// loopback origin (`http(s)://localhost|127.0.0.1|[::1][:port]`). Returns the origin for CORS.
pub(crate) fn check_origin<'a>(
    headers: &'a HeaderMap,
    allowed: &[String],
) -> Result<Option<&'a str>, Refusal> {
    let forbidden = refusal(StatusCode::FORBIDDEN, "Forbidden: Origin not allowed");
    let Some(origin) = single(headers, "origin").map_err(|_| forbidden)? else {
        return Ok(None);
    };
    if allowed.iter().any(|o| o.eq_ignore_ascii_case(origin)) {
        return Ok(Some(origin));
    }
    let authority = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .ok_or(forbidden)?;
    match host_of(authority) {
        Some(host) if is_loopback(host) => Ok(Some(origin)),
        _ => Err(forbidden),
    }
}

/// True when the request carries `Authorization: Bearer <token>` with this token: one header,
/// the scheme in any case (RFC 9110), the token compared in constant time.
pub(crate) fn bearer_ok(headers: &HeaderMap, token: &Secret) -> bool {
    let Ok(Some(value)) = single(headers, "authorization") else {
        return false;
    };
    let value = value.trim();
    let Some((scheme, given)) = value.split_once([' ', '\t']) else {
        return false;
    };
    scheme.eq_ignore_ascii_case("bearer")
        && orion::util::secure_cmp(given.trim().as_bytes(), token.expose().as_bytes()).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use warp::http::HeaderValue;

    fn headers(pairs: &[(&str, &[u8])]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(
                warp::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_bytes(v).unwrap(),
            );
        }
        map
    }

    fn origin(uri: &str) -> Uri {
        uri.parse().unwrap()
    }

    #[test]
    fn hosts_and_origins_are_told_apart() {
        assert_eq!(host_of("localhost:8080"), Some("localhost"));
        assert_eq!(host_of("[::1]:5180"), Some("::1"));
        assert_eq!(host_of("127.0.0.1"), Some("127.0.0.1"));
        assert_eq!(host_of("evil.example.com@localhost"), None);
        assert_eq!(host_of("localhost:80/x"), None);
        assert_eq!(host_of("localhost:abc"), None);
        assert_eq!(host_of("[::1]x"), None);
        assert!(is_loopback("localhost") && is_loopback("127.0.0.1") && is_loopback("::1"));
        assert!(!is_loopback("evil.example.com"));
    }

    #[test]
    fn host_checks_refuse_what_they_cannot_read() {
        let path = origin("/mcp");
        let ok = headers(&[("host", b"127.0.0.1:5180")]);
        assert_eq!(check_host(&ok, &path, true, "127.0.0.1"), Ok(()));
        // Regression: each of these skipped the check.
        let non_ascii = headers(&[("host", b"evil.example.com\xff")]);
        assert_eq!(
            check_host(&non_ascii, &path, true, "127.0.0.1")
                .unwrap_err()
                .status,
            StatusCode::BAD_REQUEST
        );
        let missing = headers(&[]);
        assert!(check_host(&missing, &path, true, "127.0.0.1").is_err());
        let duplicate = headers(&[("host", b"localhost"), ("host", b"evil.example.com")]);
        assert!(check_host(&duplicate, &path, true, "127.0.0.1").is_err());
        let absolute = origin("http://evil.example.com/mcp");
        assert_eq!(
            check_host(&ok, &absolute, true, "127.0.0.1").unwrap_err().status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            check_host(&ok, &origin("http://localhost:5180/mcp"), true, "127.0.0.1"),
            Ok(())
        );
        // A public address with a token does not pin the name, but still needs a readable Host.
        let named = headers(&[("host", b"mcp.example.com")]);
        assert_eq!(check_host(&named, &path, false, "0.0.0.0"), Ok(()));
        assert!(check_host(&non_ascii, &path, false, "0.0.0.0").is_err());
    }

    #[test]
    fn origins_are_loopback_or_listed() {
        let allowed = vec!["https://app.example.com".to_owned()];
        for good in [
            "http://localhost:6274",
            "https://127.0.0.1",
            "http://[::1]:3000",
            "https://APP.example.com",
        ] {
            let h = headers(&[("origin", good.as_bytes())]);
            assert_eq!(check_origin(&h, &allowed), Ok(Some(good)), "{good}");
        }
        for bad in [
            &b"https://evil.example.com"[..],
            b"null",
            b"http://localhost.evil.com",
            b"http://localhost@evil.com",
            b"http://localhost:80/path",
            b"http://localhost\xc3\xa9",
        ] {
            let h = headers(&[("origin", bad)]);
            assert!(
                check_origin(&h, &allowed).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        let two = headers(&[
            ("origin", b"http://localhost"),
            ("origin", b"https://evil.example.com"),
        ]);
        assert!(check_origin(&two, &allowed).is_err());
        assert_eq!(check_origin(&headers(&[]), &allowed), Ok(None));
    }

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        let token = Secret::new("t0ken-0123456789abcdef");
        for value in [
            "Bearer t0ken-0123456789abcdef",
            "bearer t0ken-0123456789abcdef",
            "BEARER  t0ken-0123456789abcdef ",
        ] {
            assert!(
                bearer_ok(&headers(&[("authorization", value.as_bytes())]), &token),
                "{value}"
            );
        }
        for value in [
            "Basic t0ken-0123456789abcdef",
            "Bearer wrong",
            "t0ken-0123456789abcdef",
            "Bearer",
        ] {
            assert!(
                !bearer_ok(&headers(&[("authorization", value.as_bytes())]), &token),
                "{value}"
            );
        }
        let twice = headers(&[
            ("authorization", b"Bearer t0ken-0123456789abcdef"),
            ("authorization", b"Bearer other"),
        ]);
        assert!(!bearer_ok(&twice, &token));
    }

    proptest! {
        #[test]
        fn an_accepted_host_on_loopback_always_names_this_machine(raw in prop::collection::vec(any::<u8>(), 0..40)) {
            if let Ok(value) = HeaderValue::from_bytes(&raw) {
                let mut h = HeaderMap::new();
                h.insert("host", value);
                if check_host(&h, &origin("/mcp"), true, "127.0.0.1").is_ok() {
                    let text = std::str::from_utf8(&raw).unwrap();
                    let host = host_of(text.trim()).unwrap();
                    prop_assert!(is_loopback(host) || host == "127.0.0.1", "{}", text);
                }
                let _ = check_origin(&{
                    let mut o = HeaderMap::new();
                    if let Ok(v) = HeaderValue::from_bytes(&raw) { o.insert("origin", v); }
                    o
                }, &[]);
            }
        }
    }
}
