//! `notify-webhook`: the [`NotifierPort`] that POSTs each notification to a webhook (docs/design.md, "Alerts and notifications").
//!
//! The body is the same JSON object the stderr notifier prints, the domain [`Notification`]'s
//! serde form after a `"type":"notification"` tag. Each request carries
//! `Content-Type: application/json`, `User-Agent: ttai/<version>`, `X-TTAI-Notification-Id: <id>`
//! (stable across retries, so the receiver can de-duplicate) and, when a secret is configured,
//! `X-TTAI-Signature: sha256=<hex>`: the lowercase hex HMAC-SHA256 of the exact body bytes under
//! the secret (orion's `hazardous::mac::hmac::sha256`).
//!
//! The key decision: retries are bounded and happen inside [`NotifierPort::deliver`]. Connection
//! failures, timeouts, 408, 429 and 5xx are tried again up to [`WebhookConfig::attempts`] times
//! with a doubling backoff, then reported as `Unreachable`, which leaves the notification in the
//! outbox for the deliverer's next round: short blips are absorbed here, long outages by the
//! outbox. Any other answer outside 2xx is `Rejected` at once, since the same body would be
//! refused again. ureq is blocking, so each attempt runs on `tokio::task::spawn_blocking` with a
//! global timeout, and the backoff sleeps on the async side, holding no thread.
//!
//! Error messages never contain the secret, the signature, the URL (chat webhook URLs embed a
//! token) or ureq's own error text (which may quote the URL).
//!
//! TLS: `https://` URLs need the crate feature `tls` (ureq with rustls); without it they are
//! `NotConfigured`, so the default build compiles no TLS stack.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use orion::hazardous::mac::hmac::sha256::{HmacSha256, SecretKey};
use serde::Serialize;
use ttai_core::domain::Notification;
use ttai_core::ports::{NotifierPort, NotifyError, Secret};

/// The header that carries the notification id.
pub const ID_HEADER: &str = "X-TTAI-Notification-Id";

/// The header that carries the body's HMAC-SHA256 signature, `sha256=<lowercase hex>`.
pub const SIGNATURE_HEADER: &str = "X-TTAI-Signature";

/// Where and how to deliver. There is no `Default`: the composition root states every value.
///
/// Sensible values: `timeout` 5 s, `attempts` 3 and `backoff` 250 ms, which waits 250 ms before the
/// second try and 500 ms before the third, so an unreachable receiver costs at most about 16 s.
#[derive(Clone)]
pub struct WebhookConfig {
    /// The receiver's URL, `http://...` (or `https://...` with the feature `tls`).
    /// An empty URL makes every delivery `NotConfigured`.
    pub url: String,
    /// The HMAC key; when set, every request is signed in [`SIGNATURE_HEADER`].
    /// An empty secret is `NotConfigured` rather than silently unsigned.
    pub secret: Option<Secret>,
    /// The limit for one attempt, from connecting to receiving the answer's status.
    pub timeout: Duration,
    /// Tries per delivery, the first one included; 0 counts as 1.
    pub attempts: u32,
    /// The wait before the second try; it doubles before each later try.
    pub backoff: Duration,
}

impl fmt::Debug for WebhookConfig {
    /// Shows only the URL's scheme, host and port: the path of a chat webhook URL is a token.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("url", &origin(&self.url))
            .field("secret", &self.secret)
            .field("timeout", &self.timeout)
            .field("attempts", &self.attempts)
            .field("backoff", &self.backoff)
            .finish()
    }
}

/// The scheme, host and port of `url`, without credentials, path or query.
fn origin(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
            let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
            format!("{scheme}://{host}/...")
        }
        None if url.is_empty() => String::new(),
        None => "[not a URL]".to_owned(),
    }
}

/// POSTs notifications to a webhook, signed when a secret is set.
pub struct WebhookNotifier {
    /// The settings, as given.
    config: WebhookConfig,
    /// ureq's agent: a connection pool with the global timeout and status handling set once.
    agent: ureq::Agent,
    /// `ttai/<version>`.
    user_agent: String,
}

impl WebhookNotifier {
    /// A notifier for `config`. Nothing is checked or contacted here: a bad URL or secret is
    /// reported by each delivery as `NotConfigured`, like a missing one.
    pub fn new(config: WebhookConfig) -> WebhookNotifier {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(config.timeout))
            // Read the status of every answer ourselves: 4xx and 5xx mean different things here.
            .http_status_as_error(false)
            // A redirect is answered to us, not followed: ureq will not re-send a POST body
            // anyway, and the configured URL should be the final one.
            .max_redirects(0)
            .max_redirects_will_error(false)
            .build()
            .into();
        WebhookNotifier {
            config,
            agent,
            user_agent: format!("ttai/{}", env!("CARGO_PKG_VERSION")),
        }
    }

    /// Sets the version in `User-Agent: ttai/<version>`; the binary passes its own, since this
    /// crate's version is not the product's.
    #[must_use]
    pub fn with_version(mut self, version: &str) -> WebhookNotifier {
        self.user_agent = format!("ttai/{version}");
        self
    }

    /// The URL, checked for what can be told without a request.
    fn checked_url(&self) -> Result<&str, NotifyError> {
        let url = self.config.url.trim();
        if url.is_empty() {
            return Err(NotifyError::NotConfigured("webhook URL is empty".to_owned()));
        }
        let scheme = url
            .split_once("://")
            .map(|(scheme, _)| scheme.to_ascii_lowercase());
        match scheme.as_deref() {
            Some("http") => Ok(url),
            Some("https") if cfg!(feature = "tls") => Ok(url),
            Some("https") => Err(NotifyError::NotConfigured(
                "https webhook URLs need ttai built with the notify-webhook feature `tls`".to_owned(),
            )),
            _ => Err(NotifyError::NotConfigured(
                "webhook URL must start with http:// or https://".to_owned(),
            )),
        }
    }

    /// The signature header's value for `body`, when a secret is set.
    fn signature(&self, body: &[u8]) -> Result<Option<String>, NotifyError> {
        match &self.config.secret {
            None => Ok(None),
            Some(secret) if secret.is_empty() => {
                Err(NotifyError::NotConfigured("webhook secret is empty".to_owned()))
            }
            Some(secret) => sign(secret, body).map(Some),
        }
    }
}

/// `sha256=` and the lowercase hex HMAC-SHA256 of `body` under `secret`.
///
/// # Errors
/// `NotConfigured` when orion refuses the key; the message does not quote it.
pub fn sign(secret: &Secret, body: &[u8]) -> Result<String, NotifyError> {
    let refused = |_| NotifyError::NotConfigured("webhook secret cannot be used as an HMAC key".to_owned());
    let key = SecretKey::try_from(secret.expose().as_bytes()).map_err(refused)?;
    let tag = HmacSha256::hmac(&key, body).map_err(refused)?;
    Ok(format!("sha256={}", hex(tag.unprotected_as_ref())))
}

/// Lowercase hex.
fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        // Writing to a String cannot fail.
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// The wire form: the notification's own fields after a `"type"` tag, as the stderr notifier
/// prints it (the contract suite checks that both agree).
#[derive(Serialize)]
struct Body<'a> {
    /// Always `"notification"`.
    #[serde(rename = "type")]
    tag: &'static str,
    /// The notification's serde fields, inlined.
    #[serde(flatten)]
    notification: &'a Notification,
}

/// Encodes the request body.
fn encode(notification: &Notification) -> Result<Vec<u8>, NotifyError> {
    serde_json::to_vec(&Body {
        tag: "notification",
        notification,
    })
    .map_err(|e| NotifyError::Rejected(format!("notification {} cannot be encoded: {e}", notification.id)))
}

/// One request, ready to be sent as many times as needed.
struct Prepared {
    /// The receiver.
    url: String,
    /// The exact bytes that were signed.
    body: Vec<u8>,
    /// `ttai/<version>`.
    user_agent: String,
    /// The notification id, for [`ID_HEADER`].
    id: String,
    /// The [`SIGNATURE_HEADER`] value, when a secret is set.
    signature: Option<String>,
}

/// What one attempt came to.
enum Attempt {
    /// A 2xx answer.
    Delivered,
    /// May pass: try again, then `Unreachable`.
    Retry(String),
    /// Will not pass by retrying.
    Rejected(String),
    /// The settings are wrong.
    NotConfigured(String),
}

/// Sends `request` once and classifies the outcome.
fn post_once(agent: &ureq::Agent, request: &Prepared, timeout: Duration) -> Attempt {
    let mut call = agent
        .post(&request.url)
        .header("Content-Type", "application/json")
        .header("User-Agent", &request.user_agent)
        .header(ID_HEADER, &request.id);
    if let Some(signature) = &request.signature {
        call = call.header(SIGNATURE_HEADER, signature);
    }
    match call.send(&request.body[..]) {
        Ok(response) => classify_status(response.status().as_u16()),
        Err(error) => classify_error(&error, timeout),
    }
}

/// 2xx is delivered; 408, 429 and 5xx may pass; anything else is refused for good.
fn classify_status(status: u16) -> Attempt {
    match status {
        200..=299 => Attempt::Delivered,
        408 | 429 | 500..=599 => Attempt::Retry(format!("receiver answered HTTP {status}")),
        300..=399 => Attempt::Rejected(format!(
            "receiver answered a redirect (HTTP {status}); configure the final URL"
        )),
        _ => Attempt::Rejected(format!("receiver answered HTTP {status}")),
    }
}

/// Maps a ureq error to an outcome with a message of our own (ureq's text may quote the URL).
fn classify_error(error: &ureq::Error, timeout: Duration) -> Attempt {
    use std::io::ErrorKind;
    match error {
        ureq::Error::Timeout(_) => Attempt::Retry(format!("no answer within {timeout:?}")),
        ureq::Error::Io(e) if matches!(e.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock) => {
            Attempt::Retry(format!("no answer within {timeout:?}"))
        }
        ureq::Error::Io(e) => Attempt::Retry(format!("connection failed: {}", e.kind())),
        ureq::Error::ConnectionFailed => Attempt::Retry("connection failed".to_owned()),
        ureq::Error::HostNotFound => Attempt::Retry("host not found".to_owned()),
        ureq::Error::Protocol(_) => Attempt::Retry("the receiver's answer is not valid HTTP/1.1".to_owned()),
        ureq::Error::BadUri(_) => Attempt::NotConfigured("webhook URL is not valid".to_owned()),
        ureq::Error::RequireHttpsOnly(_) | ureq::Error::TlsRequired | ureq::Error::Tls(_) => {
            Attempt::NotConfigured("webhook TLS is not available in this build".to_owned())
        }
        ureq::Error::Http(_) => {
            Attempt::Rejected("the request could not be built (invalid header value)".to_owned())
        }
        _ => Attempt::Retry("the request failed".to_owned()),
    }
}

#[async_trait]
impl NotifierPort for WebhookNotifier {
    fn name(&self) -> &'static str {
        "webhook"
    }

    async fn deliver(&self, notification: &Notification) -> Result<(), NotifyError> {
        let url = self.checked_url()?;
        let body = encode(notification)?;
        let signature = self.signature(&body)?;
        let request = Arc::new(Prepared {
            url: url.to_owned(),
            body,
            user_agent: self.user_agent.clone(),
            id: notification.id.0.clone(),
            signature,
        });
        let attempts = self.config.attempts.max(1);
        let timeout = self.config.timeout;
        let mut backoff = self.config.backoff;
        let mut last = String::new();
        for attempt in 1..=attempts {
            let agent = self.agent.clone();
            let prepared = Arc::clone(&request);
            let outcome = tokio::task::spawn_blocking(move || post_once(&agent, &prepared, timeout))
                .await
                .unwrap_or_else(|_| Attempt::Retry("the sending task failed".to_owned()));
            match outcome {
                Attempt::Delivered => return Ok(()),
                Attempt::Rejected(why) => {
                    return Err(NotifyError::Rejected(format!(
                        "webhook refused notification {}: {why}",
                        notification.id
                    )));
                }
                Attempt::NotConfigured(why) => return Err(NotifyError::NotConfigured(why)),
                Attempt::Retry(why) => last = why,
            }
            if attempt < attempts {
                tokio::time::sleep(backoff).await;
                backoff = backoff.saturating_mul(2);
            }
        }
        Err(NotifyError::Unreachable(format!(
            "webhook did not take notification {} after {attempts} attempt{}: {last}",
            notification.id,
            if attempts == 1 { "" } else { "s" }
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str) -> WebhookConfig {
        WebhookConfig {
            url: url.to_owned(),
            secret: None,
            timeout: Duration::from_secs(5),
            attempts: 3,
            backoff: Duration::from_millis(250),
        }
    }

    #[test]
    fn signatures_match_rfc_4231_test_case_2() {
        // RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?".
        let signature = sign(&Secret::new("Jefe"), b"what do ya want for nothing?").unwrap();
        assert_eq!(
            signature,
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn statuses_are_classified() {
        assert!(matches!(classify_status(204), Attempt::Delivered));
        for status in [408, 429, 500, 502, 503] {
            assert!(matches!(classify_status(status), Attempt::Retry(_)), "{status}");
        }
        for status in [301, 400, 401, 403, 404, 410, 422] {
            assert!(
                matches!(classify_status(status), Attempt::Rejected(_)),
                "{status}"
            );
        }
    }

    #[test]
    fn debug_hides_the_secret_and_the_url_path() {
        let mut config = config("https://user:pw@hooks.example.com:8443/services/T0/B0/XYZ?t=1");
        config.secret = Some(Secret::new("canary-secret"));
        let text = format!("{config:?}");
        assert!(text.contains("https://hooks.example.com:8443/..."), "{text}");
        for hidden in ["canary-secret", "XYZ", "pw", "t=1"] {
            assert!(!text.contains(hidden), "{text}");
        }
    }

    #[test]
    fn urls_are_checked_before_sending() {
        let notifier = WebhookNotifier::new(config("  "));
        assert!(matches!(
            notifier.checked_url(),
            Err(NotifyError::NotConfigured(_))
        ));
        let notifier = WebhookNotifier::new(config("ftp://example.com/hook"));
        assert!(matches!(
            notifier.checked_url(),
            Err(NotifyError::NotConfigured(_))
        ));
        let notifier = WebhookNotifier::new(config("http://127.0.0.1:9/hook"));
        assert_eq!(notifier.checked_url().unwrap(), "http://127.0.0.1:9/hook");
        let notifier = WebhookNotifier::new(config("https://example.com/hook"));
        assert_eq!(notifier.checked_url().is_ok(), cfg!(feature = "tls"));
    }

    #[test]
    fn an_empty_secret_is_not_configured() {
        let mut config = config("http://127.0.0.1:9/hook");
        config.secret = Some(Secret::new(""));
        let notifier = WebhookNotifier::new(config);
        assert!(matches!(
            notifier.signature(b"{}"),
            Err(NotifyError::NotConfigured(_))
        ));
    }

    #[test]
    fn the_user_agent_carries_the_version() {
        let notifier = WebhookNotifier::new(config("http://127.0.0.1:9/hook")).with_version("1.2.3");
        assert_eq!(notifier.user_agent, "ttai/1.2.3");
    }
}
