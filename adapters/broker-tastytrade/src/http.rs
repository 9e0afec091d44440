//! One HTTP exchange with the API: ureq (blocking) on `tokio::task::spawn_blocking`.
//!
//! Every request carries `User-Agent` (from the settings), `Accept: application/json` and
//! `Accept-Version: 20251101` ([`API_VERSION`]); GETs, order POSTs and DELETEs carry
//! `Authorization: Bearer <token>`, the token POST carries none. The answer is read whole (status, the two headers that matter, the
//! body) and interpreted by `errors`. Transport failures become `Unavailable` with a message of
//! our own: ureq's error text can quote the URL.

use std::time::Duration;

use ttai_core::ports::{BrokerError, Secret};

/// The largest answer read (a nested SPX chain is a few MB).
const MAX_BODY: u64 = 64 * 1024 * 1024;

/// The API version every request asks for (`Accept-Version`), the one the official SDK pins:
/// answers keep the shape ttai was written against when TastyTrade publishes a new version.
pub(crate) const API_VERSION: &str = "20251101";

/// The adapter's name in `BrokerError::Other`.
pub(crate) const ADAPTER: &str = "tastytrade";

/// An answer read whole.
#[derive(Clone, Debug)]
pub(crate) struct Answer {
    /// The HTTP status.
    pub(crate) status: u16,
    /// The `Content-Type` header.
    pub(crate) content_type: Option<String>,
    /// The `Retry-After` header in seconds (an HTTP date is ignored).
    pub(crate) retry_after: Option<u64>,
    /// The body bytes.
    pub(crate) body: Vec<u8>,
}

impl Answer {
    /// True for 2xx.
    pub(crate) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// True when the body is empty or only whitespace.
    pub(crate) fn is_blank(&self) -> bool {
        self.body.iter().all(u8::is_ascii_whitespace)
    }

    /// True when the answer is an HTML page (nginx error pages, login walls).
    pub(crate) fn is_html(&self) -> bool {
        let declared = self
            .content_type
            .as_deref()
            .is_some_and(|t| t.to_ascii_lowercase().contains("html"));
        let looks = self
            .body
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|b| *b == b'<');
        declared || looks
    }
}

/// What to send.
enum Outgoing {
    /// A GET with a bearer token.
    Get(Secret),
    /// A POST of a JSON body, without `Authorization`.
    PostJson(Vec<u8>),
    /// A POST of a JSON body with a bearer token (orders).
    PostAuthorized(Secret, Vec<u8>),
    /// A DELETE with a bearer token (a cancel).
    Delete(Secret),
}

/// The HTTP client: ureq's agent plus the settings every request needs. Cheap to clone (the
/// agent is shared).
#[derive(Clone)]
pub(crate) struct Client {
    /// Connection pool with the global timeout; statuses are read, not turned into errors.
    agent: ureq::Agent,
    /// The API's base URL without a trailing slash.
    base: String,
    /// The `User-Agent` header.
    user_agent: String,
    /// The limit for one exchange, for messages.
    timeout: Duration,
}

impl Client {
    /// A client for `base` (e.g. `https://api.tastyworks.com`).
    pub(crate) fn new(base: &str, user_agent: &str, timeout: Duration) -> Client {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            // 4xx and 5xx carry the error envelope: read them ourselves.
            .http_status_as_error(false)
            // Never follow a redirect: the bearer token stays with the configured host.
            .max_redirects(0)
            .max_redirects_will_error(false)
            .build()
            .into();
        let user_agent = if user_agent.trim().is_empty() {
            format!("ttai/{}", env!("CARGO_PKG_VERSION"))
        } else {
            user_agent.trim().to_owned()
        };
        Client {
            agent,
            base: base.trim().trim_end_matches('/').to_owned(),
            user_agent,
            timeout,
        }
    }

    /// The base URL's scheme and authority, for logs and `Debug`.
    pub(crate) fn origin(&self) -> &str {
        match self.base.split_once("://") {
            Some((scheme, rest)) => {
                let end = scheme.len() + 3 + rest.find('/').unwrap_or(rest.len());
                self.base.get(..end).unwrap_or_default()
            }
            None => "",
        }
    }

    /// GETs `path` (which includes the query) with `token`.
    pub(crate) async fn get(&self, path: &str, token: Secret) -> Result<Answer, BrokerError> {
        self.run(path, Outgoing::Get(token)).await
    }

    /// POSTs `body` as JSON to `path`, without `Authorization`.
    pub(crate) async fn post_json(&self, path: &str, body: Vec<u8>) -> Result<Answer, BrokerError> {
        self.run(path, Outgoing::PostJson(body)).await
    }

    /// POSTs `body` as JSON to `path` with `token` (sent once: the caller decides on retries).
    pub(crate) async fn post_authorized(
        &self,
        path: &str,
        token: Secret,
        body: Vec<u8>,
    ) -> Result<Answer, BrokerError> {
        self.run(path, Outgoing::PostAuthorized(token, body)).await
    }

    /// DELETEs `path` with `token`.
    pub(crate) async fn delete(&self, path: &str, token: Secret) -> Result<Answer, BrokerError> {
        self.run(path, Outgoing::Delete(token)).await
    }

    /// Runs one exchange on the blocking pool.
    async fn run(&self, path: &str, outgoing: Outgoing) -> Result<Answer, BrokerError> {
        let url = self.url(path)?;
        let client = self.clone();
        tokio::task::spawn_blocking(move || client.exchange(&url, outgoing))
            .await
            .unwrap_or_else(|_| {
                Err(BrokerError::Unavailable(
                    "the TastyTrade request task failed".to_owned(),
                ))
            })
    }

    /// The full URL, refusing schemes this build cannot speak.
    fn url(&self, path: &str) -> Result<String, BrokerError> {
        let scheme = self
            .base
            .split_once("://")
            .map(|(scheme, _)| scheme.to_ascii_lowercase());
        match scheme.as_deref() {
            Some("http") => {}
            Some("https") if cfg!(feature = "tls") => {}
            Some("https") => {
                return Err(BrokerError::Other {
                    adapter: ADAPTER,
                    message: "https API URLs need ttai built with the broker-tastytrade feature `tls`"
                        .to_owned(),
                });
            }
            _ => {
                return Err(BrokerError::Other {
                    adapter: ADAPTER,
                    message: "the TastyTrade API URL must start with https:// (or http:// for a local fake)"
                        .to_owned(),
                });
            }
        }
        Ok(format!("{}{path}", self.base))
    }

    /// Sends one request and reads the answer whole (blocking).
    fn exchange(&self, url: &str, outgoing: Outgoing) -> Result<Answer, BrokerError> {
        let result = match outgoing {
            Outgoing::Get(token) => self
                .agent
                .get(url)
                .header("User-Agent", &self.user_agent)
                .header("Accept", "application/json")
                .header("Accept-Version", API_VERSION)
                .header("Authorization", &format!("Bearer {}", token.expose()))
                .call(),
            Outgoing::PostJson(body) => self
                .agent
                .post(url)
                .header("User-Agent", &self.user_agent)
                .header("Accept", "application/json")
                .header("Accept-Version", API_VERSION)
                .header("Content-Type", "application/json")
                .send(&body[..]),
            Outgoing::PostAuthorized(token, body) => self
                .agent
                .post(url)
                .header("User-Agent", &self.user_agent)
                .header("Accept", "application/json")
                .header("Accept-Version", API_VERSION)
                .header("Authorization", &format!("Bearer {}", token.expose()))
                .header("Content-Type", "application/json")
                .send(&body[..]),
            Outgoing::Delete(token) => self
                .agent
                .delete(url)
                .header("User-Agent", &self.user_agent)
                .header("Accept", "application/json")
                .header("Accept-Version", API_VERSION)
                .header("Authorization", &format!("Bearer {}", token.expose()))
                .call(),
        };
        let mut response = result.map_err(|e| self.transport_error(&e))?;
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let status = response.status().as_u16();
        let content_type = header("content-type");
        let retry_after = header("retry-after").and_then(|v| v.trim().parse::<u64>().ok());
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_vec()
            .map_err(|e| self.transport_error(&e))?;
        Ok(Answer {
            status,
            content_type,
            retry_after,
            body,
        })
    }

    /// A message of our own for a ureq error (its text may quote the URL).
    fn transport_error(&self, error: &ureq::Error) -> BrokerError {
        use std::io::ErrorKind;
        let timeout = self.timeout;
        let unavailable = |message: String| BrokerError::Unavailable(message);
        match error {
            ureq::Error::Timeout(_) => unavailable(format!("TastyTrade did not answer within {timeout:?}")),
            ureq::Error::Io(e) if matches!(e.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock) => {
                unavailable(format!("TastyTrade did not answer within {timeout:?}"))
            }
            ureq::Error::Io(e) => unavailable(io_failure(e)),
            ureq::Error::ConnectionFailed => unavailable("cannot connect to TastyTrade".to_owned()),
            ureq::Error::HostNotFound => unavailable("TastyTrade's host name does not resolve".to_owned()),
            ureq::Error::Protocol(_) => unavailable("TastyTrade's answer is not valid HTTP".to_owned()),
            ureq::Error::BodyExceedsLimit(_) => BrokerError::InvalidResponse(format!(
                "TastyTrade's answer is larger than {} MiB",
                MAX_BODY / (1024 * 1024)
            )),
            ureq::Error::BadUri(_) => BrokerError::Other {
                adapter: ADAPTER,
                message: "the TastyTrade API URL is not valid".to_owned(),
            },
            ureq::Error::Http(_) => BrokerError::Other {
                adapter: ADAPTER,
                message: "the request could not be built (is the User-Agent setting a valid header value?)"
                    .to_owned(),
            },
            ureq::Error::RequireHttpsOnly(_) | ureq::Error::TlsRequired | ureq::Error::Tls(_) => {
                unavailable("the TLS connection to TastyTrade failed".to_owned())
            }
            _ => unavailable("the request to TastyTrade failed".to_owned()),
        }
    }
}

/// Why a connection failed, in words a person acts on (an offline machine fails to resolve the
/// host name: std reports that with no error kind of its own).
fn io_failure(error: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match error.kind() {
        ErrorKind::NetworkUnreachable | ErrorKind::NetworkDown => {
            "the network is unreachable (is this computer offline?)".to_owned()
        }
        ErrorKind::HostUnreachable => "TastyTrade's host is unreachable from this network".to_owned(),
        ErrorKind::ConnectionRefused => "TastyTrade refused the connection".to_owned(),
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => {
            "the connection to TastyTrade was cut".to_owned()
        }
        _ if error.to_string().contains("lookup") || error.to_string().contains("resolve") => {
            "TastyTrade's host name does not resolve: the network is unreachable (is this computer offline?)"
                .to_owned()
        }
        kind => format!("the connection to TastyTrade failed ({kind})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_failures_say_what_to_do() {
        use std::io::{Error, ErrorKind};
        let dns = Error::other("failed to lookup address information: Temporary failure in name resolution");
        assert!(
            io_failure(&dns).contains("network is unreachable"),
            "{}",
            io_failure(&dns)
        );
        let offline = Error::from(ErrorKind::NetworkUnreachable);
        assert!(io_failure(&offline).contains("offline"));
        let refused = Error::from(ErrorKind::ConnectionRefused);
        assert_eq!(io_failure(&refused), "TastyTrade refused the connection");
    }

    fn answer(content_type: Option<&str>, body: &str) -> Answer {
        Answer {
            status: 200,
            content_type: content_type.map(str::to_owned),
            retry_after: None,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn html_and_blank_bodies_are_recognised() {
        assert!(answer(Some("text/html; charset=utf-8"), "{}").is_html());
        assert!(answer(None, "\r\n <html><body>401</body></html>").is_html());
        assert!(!answer(Some("application/json"), "{\"data\":{}}").is_html());
        assert!(answer(None, " \n").is_blank());
        assert!(!answer(None, "{}").is_blank());
    }

    #[test]
    fn origins_hide_paths() {
        let client = Client::new(
            "https://api.tastyworks.com/some/path/",
            "ttai/1",
            Duration::from_secs(1),
        );
        assert_eq!(client.origin(), "https://api.tastyworks.com");
        let client = Client::new("http://127.0.0.1:9", "", Duration::from_secs(1));
        assert_eq!(client.origin(), "http://127.0.0.1:9");
        assert!(client.user_agent.starts_with("ttai/"));
    }

    #[test]
    fn unusable_urls_are_refused_before_sending() {
        let client = Client::new("ftp://example.com", "ttai/1", Duration::from_secs(1));
        assert!(matches!(client.url("/x"), Err(BrokerError::Other { .. })));
        let client = Client::new("https://api.tastyworks.com", "ttai/1", Duration::from_secs(1));
        assert_eq!(client.url("/x").is_ok(), cfg!(feature = "tls"));
    }
}
