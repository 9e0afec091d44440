//! The `NotifierPort` contract (docs/design.md, "Alerts and notifications"), asserted against what actually arrived.
//!
//! A harness makes a fresh notifier together with a [`Sink`]: the notifier's destination as the
//! suite reads it (the captured stderr lines, the webhook receiver's accepted requests, or the
//! recording fake's list). Checks come in groups, and a harness declares the groups that apply
//! to it as [`Capabilities`]; the [`notifier_contract!`](crate::notifier_contract) macro
//! generates only the declared groups' tests, plus one test that the declaration matches the
//! harness, so no check passes vacuously.
//!
//! - core (every notifier): delivery arrives once, in order, and a failed delivery is
//!   `Unreachable` and loses nothing.
//! - `wire`: every notification arrives as one JSON object, `{"type":"notification", ...}` with
//!   the notification's serde fields (stderr lines and webhook bodies).
//! - `http`: the webhook's HTTP behaviour against a [`WebhookReceiver`]: headers, retries of 5xx,
//!   408 and 429, bounded attempts, 4xx refused at once, timeouts, signatures, secrets kept out of
//!   errors, and a missing URL.

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use orion::hazardous::mac::hmac::sha256::{HmacSha256, SecretKey, Tag};
use serde_json::Value;
use ttai_core::domain::{Alert, AlertCondition, AlertId, AlertStatus, Notification, NotificationId, Symbol};
use ttai_core::ports::{NotifierPort, NotifyError, Secret};
use ttai_core::testing::RecordingNotifier;

use crate::scenario;
use crate::webhook_receiver::{Reply, WebhookReceiver};

/// How long a check waits for a receiver to see something that must happen.
const WAIT: Duration = Duration::from_secs(10);

/// The check groups a harness supports beyond the core one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// The notifier emits the wire form (one JSON object tagged `"type":"notification"`) and its
    /// sink returns the raw bytes.
    pub wire: bool,
    /// The notifier speaks HTTP: the harness builds one for any URL with [`HttpOptions`].
    pub http: bool,
}

/// One notification as it arrived.
#[derive(Clone, Debug)]
pub struct Delivery {
    /// The notification as JSON: the wire object, or the fake's serde form.
    pub json: Value,
    /// The raw bytes (a stderr line with its newline, a request body); `None` for in-memory fakes.
    pub raw: Option<Vec<u8>>,
    /// The HTTP request headers, for HTTP notifiers; empty otherwise.
    pub headers: Vec<(String, String)>,
}

/// The destination of a notifier under test, as the suite reads and disturbs it.
pub trait Sink: Send + Sync {
    /// Every notification that arrived, in order. A delivery that was refused or broken off
    /// does not count.
    fn delivered(&self) -> Vec<Delivery>;

    /// While `true`, deliveries fail in a way that may pass later: a broken pipe for stderr, a
    /// receiver hanging up for a webhook, a scripted failure for the fake.
    fn set_failing(&self, failing: bool);
}

/// A fresh notifier and its destination.
pub struct Subject {
    /// The notifier under test.
    pub notifier: Arc<dyn NotifierPort>,
    /// Where its notifications go.
    pub sink: Box<dyn Sink>,
}

/// Settings for an HTTP notifier built by a check.
#[derive(Clone, Debug)]
pub struct HttpOptions {
    /// The HMAC secret, if any.
    pub secret: Option<Secret>,
    /// The limit for one attempt.
    pub timeout: Duration,
    /// Tries per delivery.
    pub attempts: u32,
    /// The wait before the second try, doubling after.
    pub backoff: Duration,
}

impl HttpOptions {
    /// Generous timeout, three attempts, short backoff: quick tests that do not time out by
    /// accident on a loaded machine.
    pub fn quick() -> HttpOptions {
        HttpOptions {
            secret: None,
            timeout: Duration::from_secs(10),
            attempts: 3,
            backoff: Duration::from_millis(10),
        }
    }
}

/// Makes fresh notifiers for the suite.
pub trait NotifierHarness: Send + Sync {
    /// The check groups that apply, beyond the core one.
    fn capabilities(&self) -> Capabilities;

    /// A new notifier and its sink, with nothing delivered yet.
    fn fresh(&self) -> Subject;

    /// A notifier posting to `url` with `options`; `Some` exactly when `capabilities().http`.
    fn http(&self, url: &str, options: HttpOptions) -> Option<Arc<dyn NotifierPort>> {
        let _ = (url, options);
        None
    }
}

/// What the macro's capability list declares must equal the harness's own declaration.
pub fn declared_capabilities_match(h: &dyn NotifierHarness, declared: &[&str]) {
    let caps = h.capabilities();
    assert_eq!(
        caps,
        Capabilities {
            wire: declared.contains(&"wire"),
            http: declared.contains(&"http"),
        },
        "the capabilities passed to notifier_contract! differ from the harness's"
    );
    assert!(!caps.http || caps.wire, "an HTTP notifier posts the wire form");
    let probe = h.http("http://127.0.0.1:9/hook", HttpOptions::quick());
    assert_eq!(
        probe.is_some(),
        caps.http,
        "NotifierHarness::http must build a notifier exactly when http is declared"
    );
}

/// A notification about a triggered alert; `n` makes its id, title and message distinct.
pub fn sample(n: u32) -> Notification {
    let at = scenario::now();
    Notification {
        id: NotificationId(format!("ntf_{n:016x}")),
        kind: "alert_triggered".to_owned(),
        title: format!("SPY crossed above 450.5 (#{n})"),
        message: format!("SPY last 451.25 is above your threshold 450.5.\nNote: \"trim\" #{n}"),
        alert: Some(Alert {
            id: AlertId(format!("alrt_{n:016x}")),
            symbol: Symbol::parse("SPY").unwrap(),
            condition: AlertCondition::Above,
            threshold: 450.5,
            note: Some("trim the call spread".to_owned()),
            status: AlertStatus::Triggered,
            created_at: at.add_millis(-86_400_000),
            triggered_at: Some(at),
            triggered_price: Some(451.25),
            deleted_at: None,
        }),
        created_at: at,
        attempts: n % 3,
    }
}

/// A notification without an alert.
fn sample_without_alert(n: u32) -> Notification {
    Notification {
        alert: None,
        kind: "test".to_owned(),
        ..sample(n)
    }
}

/// The notification a delivery carries, read back through its serde form.
fn notification_of(delivery: &Delivery) -> Notification {
    serde_json::from_value(delivery.json.clone())
        .unwrap_or_else(|e| panic!("delivery is not a notification ({e}): {}", delivery.json))
}

/// The ids of what arrived, in order.
fn ids(sink: &dyn Sink) -> Vec<String> {
    sink.delivered().iter().map(|d| notification_of(d).id.0).collect()
}

/// Requires a declared capability, so a check called by hand cannot pass vacuously.
fn require(h: &dyn NotifierHarness, http: bool) {
    let caps = h.capabilities();
    assert!(caps.wire, "this check needs the wire capability");
    assert!(!http || caps.http, "this check needs the http capability");
}

/// An HTTP notifier from the harness.
fn http_notifier(h: &dyn NotifierHarness, url: &str, options: HttpOptions) -> Arc<dyn NotifierPort> {
    require(h, true);
    h.http(url, options)
        .expect("a harness declaring http builds HTTP notifiers")
}

// Core checks, for every notifier.

/// A delivered notification arrives exactly once, with all its fields.
pub async fn a_delivered_notification_arrives_once(h: &dyn NotifierHarness) {
    let subject = h.fresh();
    assert!(!subject.notifier.name().is_empty());
    assert!(subject.sink.delivered().is_empty());
    let notification = sample(1);
    subject.notifier.deliver(&notification).await.unwrap();
    let delivered = subject.sink.delivered();
    assert_eq!(delivered.len(), 1, "{delivered:?}");
    assert_eq!(notification_of(&delivered[0]), notification);
}

/// Several notifications arrive in the order they were delivered.
pub async fn several_notifications_arrive_in_order(h: &dyn NotifierHarness) {
    let subject = h.fresh();
    let sent: Vec<Notification> = (1..=5)
        .map(|n| {
            if n % 2 == 0 {
                sample_without_alert(n)
            } else {
                sample(n)
            }
        })
        .collect();
    for notification in &sent {
        subject.notifier.deliver(notification).await.unwrap();
    }
    let arrived: Vec<Notification> = subject.sink.delivered().iter().map(notification_of).collect();
    assert_eq!(arrived, sent);
}

/// A delivery that fails is `Unreachable` and leaves nothing behind; once the destination is
/// back, delivering the same notification again succeeds and it arrives once.
pub async fn a_failed_delivery_is_unreachable_and_loses_nothing(h: &dyn NotifierHarness) {
    let subject = h.fresh();
    subject.sink.set_failing(true);
    let err = subject.notifier.deliver(&sample(1)).await.unwrap_err();
    assert!(matches!(err, NotifyError::Unreachable(_)), "{err:?}");
    assert!(subject.sink.delivered().is_empty());
    subject.sink.set_failing(false);
    subject.notifier.deliver(&sample(1)).await.unwrap();
    assert_eq!(ids(&*subject.sink), [sample(1).id.0]);
}

/// Delivering the same notification twice is allowed (receivers de-duplicate by id).
pub async fn delivering_the_same_notification_twice_is_allowed(h: &dyn NotifierHarness) {
    let subject = h.fresh();
    subject.notifier.deliver(&sample(7)).await.unwrap();
    subject.notifier.deliver(&sample(7)).await.unwrap();
    let ids = ids(&*subject.sink);
    assert!((1..=2).contains(&ids.len()), "{ids:?}");
    assert!(ids.iter().all(|id| *id == sample(7).id.0), "{ids:?}");
}

// Wire checks, for notifiers that emit the JSON object.

/// Each notification arrives as one JSON object on one line, `{"type":"notification", ...}`
/// followed by exactly the notification's serde fields (no `alert` when there is none).
pub async fn each_notification_is_one_json_object_tagged_notification(h: &dyn NotifierHarness) {
    require(h, false);
    let subject = h.fresh();
    let sent = [sample(1), sample_without_alert(2)];
    for notification in &sent {
        subject.notifier.deliver(notification).await.unwrap();
    }
    let delivered = subject.sink.delivered();
    assert_eq!(delivered.len(), sent.len());
    for (delivery, notification) in delivered.iter().zip(&sent) {
        let raw = delivery.raw.as_deref().expect("a wire sink returns raw bytes");
        let text = std::str::from_utf8(raw).expect("UTF-8");
        let object = text.strip_suffix('\n').unwrap_or(text);
        assert!(!object.contains('\n'), "one line: {text:?}");
        assert!(
            object.starts_with(r#"{"type":"notification","#),
            "the type tag comes first: {object}"
        );
        let value: Value = serde_json::from_str(object).expect("one JSON object");
        let mut expected = serde_json::to_value(notification).unwrap();
        expected
            .as_object_mut()
            .unwrap()
            .insert("type".to_owned(), Value::from("notification"));
        assert_eq!(value, expected);
        for field in ["id", "kind", "title", "message", "created_at", "attempts"] {
            assert!(value.get(field).is_some(), "{field} missing: {value}");
        }
        assert_eq!(value.get("alert").is_some(), notification.alert.is_some());
    }
}

// HTTP checks, for webhook notifiers.

/// Requests are JSON POSTs naming ttai and the notification id, and without a secret they carry
/// no signature.
pub async fn requests_carry_json_user_agent_and_id_and_no_signature_without_a_secret(
    h: &dyn NotifierHarness,
) {
    let receiver = WebhookReceiver::start().unwrap();
    let notifier = http_notifier(h, &receiver.url(), HttpOptions::quick());
    notifier.deliver(&sample(3)).await.unwrap();
    let requests = receiver.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.header("Content-Type"), Some("application/json"));
    assert_eq!(request.header_values("User-Agent").len(), 1);
    assert!(
        request
            .header("User-Agent")
            .is_some_and(|ua| ua.starts_with("ttai/") && ua.len() > "ttai/".len()),
        "{:?}",
        request.header("User-Agent")
    );
    assert_eq!(
        request.header("X-TTAI-Notification-Id"),
        Some(sample(3).id.0.as_str())
    );
    assert_eq!(request.header("X-TTAI-Signature"), None);
}

/// A 500 is retried; the following 200 delivers it, once, with the same body and id.
pub async fn a_5xx_then_success_is_retried_and_arrives_once(h: &dyn NotifierHarness) {
    let receiver = WebhookReceiver::start().unwrap();
    receiver.fail_next(1, 500);
    let notifier = http_notifier(h, &receiver.url(), HttpOptions::quick());
    notifier.deliver(&sample(4)).await.unwrap();
    let requests = receiver.requests();
    assert_eq!(requests.iter().map(|r| r.status).collect::<Vec<_>>(), [500, 200]);
    assert_eq!(requests[0].body, requests[1].body);
    assert_eq!(
        requests[0].header("X-TTAI-Notification-Id"),
        requests[1].header("X-TTAI-Notification-Id")
    );
    assert_eq!(receiver.accepted().len(), 1);
}

/// 408, 429 and 503 may pass: they are retried within the attempts; when they persist the
/// delivery is `Unreachable` after exactly the configured attempts.
pub async fn statuses_408_429_and_503_are_retried_within_the_attempts(h: &dyn NotifierHarness) {
    let receiver = WebhookReceiver::start().unwrap();
    receiver.script([Reply::status(408), Reply::status(429)]);
    let notifier = http_notifier(h, &receiver.url(), HttpOptions::quick());
    notifier.deliver(&sample(5)).await.unwrap();
    assert_eq!(
        receiver.requests().iter().map(|r| r.status).collect::<Vec<_>>(),
        [408, 429, 200]
    );

    let receiver = WebhookReceiver::start().unwrap();
    receiver.set_default(Reply::status(503));
    let notifier = http_notifier(h, &receiver.url(), HttpOptions::quick());
    let err = notifier.deliver(&sample(5)).await.unwrap_err();
    assert!(matches!(err, NotifyError::Unreachable(_)), "{err:?}");
    assert_eq!(receiver.requests().len(), 3);
    assert!(receiver.accepted().is_empty());
}

/// A receiver that is down is `Unreachable` after exactly the configured attempts, and nothing
/// is recorded: first one that hangs up on every connection, then one that refuses them.
pub async fn a_down_receiver_is_unreachable_after_the_bounded_attempts(h: &dyn NotifierHarness) {
    let receiver = WebhookReceiver::start().unwrap();
    receiver.set_hang_up(true);
    let options = HttpOptions {
        attempts: 4,
        ..HttpOptions::quick()
    };
    let notifier = http_notifier(h, &receiver.url(), options);
    let err = notifier.deliver(&sample(6)).await.unwrap_err();
    assert!(matches!(err, NotifyError::Unreachable(_)), "{err:?}");
    assert_eq!(receiver.connections(), 4, "one connection per attempt");
    assert!(receiver.requests().is_empty());

    receiver.stop();
    let err = notifier.deliver(&sample(6)).await.unwrap_err();
    assert!(matches!(err, NotifyError::Unreachable(_)), "{err:?}");
    assert_eq!(receiver.connections(), 4);
    assert!(receiver.requests().is_empty());
}

/// A 4xx other than 408 and 429 is `Rejected` at once, without a retry.
pub async fn a_4xx_is_rejected_without_retry(h: &dyn NotifierHarness) {
    let receiver = WebhookReceiver::start().unwrap();
    let notifier = http_notifier(h, &receiver.url(), HttpOptions::quick());
    for (n, status) in [400_u16, 401, 403, 404, 410, 422].into_iter().enumerate() {
        receiver.fail_next(1, status);
        let err = notifier.deliver(&sample(10)).await.unwrap_err();
        assert!(matches!(err, NotifyError::Rejected(_)), "{status}: {err:?}");
        assert!(err.to_string().contains(&status.to_string()), "{err}");
        assert_eq!(receiver.requests().len(), n + 1, "{status} was retried");
    }
    assert!(receiver.accepted().is_empty());
}

/// A receiver slower than the timeout makes each attempt time out: `Unreachable` after the
/// configured attempts.
pub async fn a_slow_receiver_beyond_the_timeout_is_unreachable(h: &dyn NotifierHarness) {
    let receiver = WebhookReceiver::start().unwrap();
    receiver.set_default(Reply::status(200).after(Duration::from_secs(3)));
    let options = HttpOptions {
        timeout: Duration::from_millis(250),
        attempts: 2,
        ..HttpOptions::quick()
    };
    let notifier = http_notifier(h, &receiver.url(), options);
    let err = notifier.deliver(&sample(11)).await.unwrap_err();
    assert!(matches!(err, NotifyError::Unreachable(_)), "{err:?}");
    assert_eq!(receiver.wait_for_connections(2, WAIT), 2);
    // The attempts are over: no third connection follows.
    assert_eq!(receiver.connections(), 2);
}

/// With a secret, `X-TTAI-Signature` is `sha256=` and the lowercase hex HMAC-SHA256 of the exact
/// body, and neither the secret nor the signature appears in any error.
pub async fn with_a_secret_the_signature_verifies_and_the_secret_appears_in_no_error(
    h: &dyn NotifierHarness,
) {
    const CANARY: &str = "canary-5ecret-7f3a9c";
    let receiver = WebhookReceiver::start().unwrap();
    let options = HttpOptions {
        secret: Some(Secret::new(CANARY)),
        attempts: 2,
        ..HttpOptions::quick()
    };
    let notifier = http_notifier(h, &receiver.url(), options.clone());
    notifier.deliver(&sample(12)).await.unwrap();
    let request = receiver.requests().remove(0);
    let header = request.header("X-TTAI-Signature").expect("signed");
    let hex = header.strip_prefix("sha256=").expect("sha256= prefix");
    assert_eq!(hex.len(), 64);
    assert!(
        hex.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "{hex}"
    );
    let tag = Tag::try_from(from_hex(hex).as_slice()).unwrap();
    let key = SecretKey::try_from(CANARY.as_bytes()).unwrap();
    HmacSha256::verify(&tag, &key, &request.body).expect("the signature verifies");
    let other = SecretKey::try_from(&b"another secret"[..]).unwrap();
    assert!(HmacSha256::verify(&tag, &other, &request.body).is_err());
    for secret in [CANARY, hex] {
        assert!(!String::from_utf8_lossy(&request.body).contains(secret));
    }

    let mut errors = Vec::new();
    receiver.fail_next(1, 400);
    errors.push(notifier.deliver(&sample(12)).await.unwrap_err());
    receiver.set_hang_up(true);
    errors.push(notifier.deliver(&sample(12)).await.unwrap_err());
    receiver.stop();
    errors.push(notifier.deliver(&sample(12)).await.unwrap_err());
    let unconfigured = http_notifier(h, "", options);
    errors.push(unconfigured.deliver(&sample(12)).await.unwrap_err());
    assert!(matches!(errors[0], NotifyError::Rejected(_)), "{errors:?}");
    assert!(matches!(errors[1], NotifyError::Unreachable(_)), "{errors:?}");
    assert!(matches!(errors[2], NotifyError::Unreachable(_)), "{errors:?}");
    assert!(matches!(errors[3], NotifyError::NotConfigured(_)), "{errors:?}");
    for err in &errors {
        for text in [err.to_string(), format!("{err:?}")] {
            assert!(!text.contains(CANARY), "secret leaked: {text}");
            assert!(!text.contains(hex), "signature leaked: {text}");
        }
    }
}

/// An empty URL is `NotConfigured`, whatever else is set.
pub async fn an_empty_url_is_not_configured(h: &dyn NotifierHarness) {
    let notifier = http_notifier(h, "", HttpOptions::quick());
    let err = notifier.deliver(&sample(13)).await.unwrap_err();
    assert!(matches!(err, NotifyError::NotConfigured(_)), "{err:?}");
}

/// Bytes from lowercase or uppercase hex.
fn from_hex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect()
}

// Sinks the matrix harnesses use.

/// Captured writer output for a stderr-style notifier; `set_failing` makes writes fail.
#[derive(Clone, Default)]
pub struct CapturedOutput {
    /// The bytes and the failure switch, behind the lock the notifier writes under.
    inner: Arc<Mutex<Capture>>,
}

/// What the captured writer holds.
#[derive(Default)]
struct Capture {
    /// Everything written.
    bytes: Vec<u8>,
    /// While true, every write fails with a broken pipe and writes nothing.
    failing: bool,
}

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.failing {
            return Err(std::io::ErrorKind::BrokenPipe.into());
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.failing {
            return Err(std::io::ErrorKind::BrokenPipe.into());
        }
        Ok(())
    }
}

impl CapturedOutput {
    /// An empty capture.
    pub fn new() -> CapturedOutput {
        CapturedOutput::default()
    }

    /// The writer to hand to the notifier; it shares this capture.
    pub fn writer(&self) -> Arc<Mutex<dyn Write + Send>> {
        self.inner.clone()
    }

    /// Everything written so far.
    pub fn bytes(&self) -> Vec<u8> {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .bytes
            .clone()
    }
}

impl Sink for CapturedOutput {
    /// One delivery per line (a trailing partial line counts too, so the wire check sees it).
    fn delivered(&self) -> Vec<Delivery> {
        self.bytes()
            .split_inclusive(|b| *b == b'\n')
            .map(|line| Delivery {
                json: serde_json::from_slice(line)
                    .unwrap_or_else(|e| panic!("line is not JSON ({e}): {}", String::from_utf8_lossy(line))),
                raw: Some(line.to_vec()),
                headers: Vec::new(),
            })
            .collect()
    }

    fn set_failing(&self, failing: bool) {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner).failing = failing;
    }
}

/// A webhook receiver as a sink: deliveries are the requests it answered 2xx; failing is
/// hanging up.
pub struct ReceiverSink(pub WebhookReceiver);

impl Sink for ReceiverSink {
    fn delivered(&self) -> Vec<Delivery> {
        self.0
            .accepted()
            .into_iter()
            .map(|request| Delivery {
                json: request.json().unwrap_or_else(|| {
                    panic!("body is not JSON: {}", String::from_utf8_lossy(&request.body))
                }),
                raw: Some(request.body),
                headers: request.headers,
            })
            .collect()
    }

    fn set_failing(&self, failing: bool) {
        self.0.set_hang_up(failing);
    }
}

/// The recording fake as a sink: its list, in its serde form; failing is its scripted failure.
pub struct RecordingSink(pub Arc<RecordingNotifier>);

impl Sink for RecordingSink {
    fn delivered(&self) -> Vec<Delivery> {
        self.0
            .delivered()
            .iter()
            .map(|n| Delivery {
                json: serde_json::to_value(n).unwrap(),
                raw: None,
                headers: Vec::new(),
            })
            .collect()
    }

    fn set_failing(&self, failing: bool) {
        self.0.fail_next(if failing { u32::MAX } else { 0 });
    }
}

/// Expands the notifier checks into `#[tokio::test]`s against `$harness`: the core group always,
/// and each capability group listed after the `;` (`wire`, `http`).
///
/// ```ignore
/// notifier_contract!(Recording;);
/// notifier_contract!(Stderr; wire);
/// notifier_contract!(Webhook; wire, http);
/// ```
#[macro_export]
macro_rules! notifier_contract {
    (@group $harness:expr; core) => {
        $crate::notifier_contract!(@checks $harness;
            a_delivered_notification_arrives_once,
            several_notifications_arrive_in_order,
            a_failed_delivery_is_unreachable_and_loses_nothing,
            delivering_the_same_notification_twice_is_allowed,
        );
    };
    (@group $harness:expr; wire) => {
        $crate::notifier_contract!(@checks $harness;
            each_notification_is_one_json_object_tagged_notification,
        );
    };
    (@group $harness:expr; http) => {
        $crate::notifier_contract!(@checks $harness;
            requests_carry_json_user_agent_and_id_and_no_signature_without_a_secret,
            a_5xx_then_success_is_retried_and_arrives_once,
            statuses_408_429_and_503_are_retried_within_the_attempts,
            a_down_receiver_is_unreachable_after_the_bounded_attempts,
            a_4xx_is_rejected_without_retry,
            a_slow_receiver_beyond_the_timeout_is_unreachable,
            with_a_secret_the_signature_verifies_and_the_secret_appears_in_no_error,
            an_empty_url_is_not_configured,
        );
    };
    (@checks $harness:expr; $($check:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $check() {
                let harness = $harness;
                $crate::notifier::$check(&harness).await;
            }
        )*
    };
    ($harness:expr; $($capability:ident),* $(,)?) => {
        #[test]
        fn declared_capabilities_match_the_harness() {
            let harness = $harness;
            $crate::notifier::declared_capabilities_match(
                &harness,
                &[$(stringify!($capability)),*],
            );
        }
        $crate::notifier_contract!(@group $harness; core);
        $( $crate::notifier_contract!(@group $harness; $capability); )*
    };
}
