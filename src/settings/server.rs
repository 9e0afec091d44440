//! The server group: the transport, where it listens and whom it lets in.

use ttai_core::ports::Secret;

use super::{TransportChoice, env, valid_url};
use crate::cli::GlobalOptions;

/// How `serve` listens: the transport and, for HTTP, the host, port and bearer token.
pub(super) struct Listening {
    pub(super) transport: TransportChoice,
    pub(super) host: String,
    pub(super) port: u16,
    pub(super) auth_token: Option<Secret>,
}

/// The transport, host, port and token; a host that is not loopback needs a token.
pub(super) fn listening(options: &GlobalOptions, problems: &mut Vec<String>) -> Listening {
    let transport = match options
        .transport
        .as_deref()
        .map(str::trim)
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("stdio") => TransportChoice::Stdio,
        Some("http" | "sse" | "streamable-http") => TransportChoice::Http,
        Some(other) => {
            problems.push(format!(
                "transport (--transport / TTAI_TRANSPORT): {other:?} is not stdio or http"
            ));
            TransportChoice::Stdio
        }
    };
    let host = options
        .host
        .clone()
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|| "127.0.0.1".to_owned());
    if host.is_empty() || host.contains(char::is_whitespace) {
        problems.push(format!(
            "host (--host / TTAI_HOST): {host:?} is not a host name or address"
        ));
    }
    let port = match options.port.as_deref().map(str::trim) {
        None => 5180,
        Some(text) => match text.parse::<u16>() {
            Ok(port) => port,
            Err(_) => {
                problems.push(format!(
                    "port (--port / TTAI_PORT): {text:?} is not a port number (0–65535)"
                ));
                5180
            }
        },
    };
    let auth_token = options
        .auth_token
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(Secret::new);
    if let Some(token) = &auth_token
        && token.expose().len() < 16
    {
        problems
            .push("auth token (--auth-token / TTAI_AUTH_TOKEN): must be at least 16 characters".to_owned());
    }
    if transport == TransportChoice::Http && !ttai_core::host::is_loopback(&host) && auth_token.is_none() {
        problems.push(format!(
            "auth token (--auth-token / TTAI_AUTH_TOKEN): required to listen on {host}, which is not a loopback address"
        ));
    }
    Listening {
        transport,
        host,
        port,
        auth_token,
    }
}

/// Browser origins the HTTP transport accepts besides loopback ones.
pub(super) fn allowed_origins(problems: &mut Vec<String>) -> Vec<String> {
    let allowed_origins: Vec<String> = env("TTAI_ALLOWED_ORIGINS")
        .map(|list| {
            list.split(',')
                .map(|o| o.trim().trim_end_matches('/').to_owned())
                .filter(|o| !o.is_empty())
                .collect()
        })
        .unwrap_or_default();
    for origin in &allowed_origins {
        if origin == "*" || !valid_url(origin) {
            problems.push(format!(
                "allowed origins (TTAI_ALLOWED_ORIGINS): {origin:?} is not an origin such as https://app.example.com (no wildcards)"
            ));
        }
    }
    allowed_origins
}
