//! The `TransportPort` contract (`ttai_core::ports::transport`), checked against what a client
//! sees, with a channel [`FrameHandler`] in place of the engine.
//!
//! The [`ChannelHandler`] hands every request it is given to the check as a [`Frame`] (its
//! text, its session and its `reply_to`) and answers nothing by itself: the check answers, late
//! or never, which is how framing, answer routing and the drain are observed. A harness builds a
//! transport with the suite's [`Budgets`] and the [`Client`]s that talk to it (stdio: the pipes
//! that stand for stdin and stdout; HTTP: POSTs to the listener it bound on 127.0.0.1:0).
//!
//! - core (every transport): `each_message_is_one_frame`, `answers_reach_the_client_that_asked`,
//!   `an_oversized_message_is_refused_and_serving_goes_on`,
//!   `shutdown_waits_for_the_answer_in_flight`, `the_drain_gives_up_after_its_period`.
//! - `listens` (network transports): `a_taken_address_is_a_bind_error_naming_it`, on the bind
//!   the composition root calls before it hands the listener to the transport.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;
use ttai_core::ports::{
    FrameHandler, FrameOutcome, FrameSession, Outbound, RoutingHeaders, Shutdown, ShutdownTrigger,
    TransportError, TransportPort,
};

/// How long a check waits for something that must happen.
const WAIT: Duration = Duration::from_secs(10);
/// How long a check watches for something that must not happen (a refused frame reaching the
/// handler, `serve` returning while an answer is owed).
const QUIET: Duration = Duration::from_millis(300);

/// The budgets a check gives the transport.
#[derive(Clone, Copy, Debug)]
pub struct Budgets {
    /// Longest message accepted (a line, a request body), bytes.
    pub max_message: usize,
    /// How long in-flight requests may run after shutdown.
    pub drain: Duration,
}

impl Default for Budgets {
    fn default() -> Budgets {
        Budgets {
            max_message: 64 * 1024,
            drain: WAIT,
        }
    }
}

/// One client of a transport under test.
pub trait Client: Send {
    /// Sends one message (writes a line, POSTs a body); does not wait for the answer.
    fn send(&mut self, message: &str);

    /// The next answer this client received, if one arrives within `within`.
    fn answer(&mut self, within: Duration) -> Option<String>;
}

/// A transport under test and the way its clients reach it.
pub struct Subject {
    /// The transport, not yet serving.
    pub transport: Arc<dyn TransportPort>,
    /// Makes clients: stdio has one (the first call), HTTP as many as asked.
    pub clients: Box<dyn FnMut() -> Box<dyn Client> + Send>,
}

/// Builds transports for the suite.
pub trait TransportHarness: Send + Sync {
    /// True for a network transport (the `listens` checks apply).
    fn listens(&self) -> bool;

    /// Clients that can talk to one transport at once (stdio: 1).
    fn max_clients(&self) -> usize;

    /// A fresh transport with `budgets`.
    fn fresh(&self, budgets: Budgets) -> Subject;

    /// (`listens`) What binding `address` for the transport reports; `None` when it does not
    /// listen.
    fn bind(&self, address: &str) -> Option<Result<(), TransportError>> {
        let _ = address;
        None
    }
}

/// A request the handler was given.
pub struct Frame {
    /// The session it came on (as the handler numbered them).
    pub session: u64,
    /// The frame's text.
    pub text: String,
    /// Where its answer goes; dropping it ends the request.
    pub reply_to: Arc<dyn Outbound>,
}

impl Frame {
    /// The request's `id` (as JSON text).
    pub fn id(&self) -> String {
        serde_json::from_str::<Value>(&self.text)
            .ok()
            .and_then(|v| v.get("id").cloned())
            .map_or_else(|| "null".to_owned(), |id| id.to_string())
    }

    /// Answers with `{"echo": <the request's method>, "session": n}` and ends the request.
    pub fn answer(self) {
        let method = serde_json::from_str::<Value>(&self.text)
            .ok()
            .and_then(|v| v.get("method").cloned())
            .unwrap_or(Value::Null);
        self.reply_to.send(format!(
            r#"{{"jsonrpc":"2.0","id":{},"result":{{"echo":{},"session":{}}}}}"#,
            self.id(),
            method,
            self.session
        ));
    }
}

/// A session of the [`ChannelHandler`].
struct ChannelSession {
    id: u64,
    in_flight: Arc<AtomicUsize>,
}

impl FrameSession for ChannelSession {
    fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    fn protocol_version(&self) -> Option<&'static str> {
        Some("2025-11-25")
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// The engine's stand-in: requests (messages with an `id`) go to the check as [`Frame`]s;
/// notifications are taken and dropped.
pub struct ChannelHandler {
    frames: mpsc::UnboundedSender<Frame>,
    next_session: AtomicU64,
    closed: Mutex<Vec<u64>>,
}

impl ChannelHandler {
    /// A handler and the frames it will be given.
    pub fn new() -> (Arc<ChannelHandler>, mpsc::UnboundedReceiver<Frame>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let handler = ChannelHandler {
            frames: tx,
            next_session: AtomicU64::new(1),
            closed: Mutex::new(Vec::new()),
        };
        (Arc::new(handler), rx)
    }

    /// Sessions closed so far.
    pub fn closed(&self) -> Vec<u64> {
        self.closed.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn take(&self, session: &dyn FrameSession, frame: &str, reply_to: Arc<dyn Outbound>) -> FrameOutcome {
        let session = session
            .as_any()
            .downcast_ref::<ChannelSession>()
            .expect("a session this handler opened");
        let is_request = serde_json::from_str::<Value>(frame).is_ok_and(|v| v.get("id").is_some());
        if !is_request {
            return FrameOutcome::NoReply;
        }
        let _ = self.frames.send(Frame {
            session: session.id,
            text: frame.to_owned(),
            reply_to,
        });
        FrameOutcome::Pending
    }
}

impl FrameHandler for ChannelHandler {
    fn max_in_flight(&self) -> usize {
        32
    }

    fn open(&self, _outbound: Arc<dyn Outbound>) -> Arc<dyn FrameSession> {
        Arc::new(ChannelSession {
            id: self.next_session.fetch_add(1, Ordering::Relaxed),
            in_flight: Arc::default(),
        })
    }

    fn open_stateless(&self, outbound: Arc<dyn Outbound>) -> Arc<dyn FrameSession> {
        self.open(outbound)
    }

    fn handle(&self, session: &dyn FrameSession, frame: &str, reply_to: Arc<dyn Outbound>) -> FrameOutcome {
        self.take(session, frame, reply_to)
    }

    fn handle_inline(
        &self,
        session: &dyn FrameSession,
        frame: &str,
        reply_to: Arc<dyn Outbound>,
    ) -> FrameOutcome {
        self.take(session, frame, reply_to)
    }

    fn handle_stateless(
        &self,
        session: &dyn FrameSession,
        frame: &str,
        _headers: &RoutingHeaders<'_>,
        reply_to: Arc<dyn Outbound>,
    ) -> FrameOutcome {
        self.take(session, frame, reply_to)
    }

    fn end_listens(&self, _session: Option<&dyn FrameSession>) {}

    fn close(&self, session: &dyn FrameSession) {
        if let Some(session) = session.as_any().downcast_ref::<ChannelSession>() {
            self.closed
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(session.id);
        }
    }
}

/// A transport serving the channel handler, and what the check needs to drive it.
struct Running {
    frames: mpsc::UnboundedReceiver<Frame>,
    trigger: ShutdownTrigger,
    serving: tokio::task::JoinHandle<Result<(), TransportError>>,
    clients: Box<dyn FnMut() -> Box<dyn Client> + Send>,
}

impl Running {
    fn start(harness: &dyn TransportHarness, budgets: Budgets) -> Running {
        let Subject { transport, clients } = harness.fresh(budgets);
        let (handler, frames) = ChannelHandler::new();
        let (trigger, shutdown): (ShutdownTrigger, Shutdown) = ShutdownTrigger::new();
        let serving = tokio::spawn(async move { transport.serve(handler, shutdown).await });
        Running {
            frames,
            trigger,
            serving,
            clients,
        }
    }

    async fn frame(&mut self) -> Frame {
        tokio::time::timeout(WAIT, self.frames.recv())
            .await
            .expect("the handler was given a frame")
            .expect("the transport is serving")
    }

    async fn no_frame(&mut self) {
        if let Ok(Some(frame)) = tokio::time::timeout(QUIET, self.frames.recv()).await {
            panic!(
                "the handler was given a frame it should not have been: {}",
                frame.text
            );
        }
    }

    async fn stop(self) {
        self.trigger.fire();
        let served = tokio::time::timeout(WAIT, self.serving)
            .await
            .expect("serve returns after shutdown");
        assert!(matches!(served, Ok(Ok(()))), "{served:?}");
    }
}

/// A request with `id` and `method`.
fn request(id: u64, method: &str) -> String {
    format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"{method}","params":{{}}}}"#)
}

/// The client's next answer as JSON; panics when none arrives. (The checks run on a
/// multi-threaded runtime, so a client may block the check's thread while it waits.)
fn answer_of(client: &mut Box<dyn Client>) -> Value {
    let answer = client.answer(WAIT).expect("an answer arrived");
    serde_json::from_str(&answer).unwrap_or_else(|e| panic!("not JSON ({e}): {answer}"))
}

/// framing: each message is handed to the handler as one frame, in the order sent, and its
/// answer reaches the client.
pub async fn each_message_is_one_frame(h: &dyn TransportHarness) {
    let mut running = Running::start(h, Budgets::default());
    let mut client = (running.clients)();
    client.send(&request(1, "first"));
    let first = running.frame().await;
    client.send(&request(2, "second"));
    let second = running.frame().await;
    assert_eq!(first.text, request(1, "first"));
    assert_eq!(second.text, request(2, "second"));
    first.answer();
    second.answer();
    let mut answers = [answer_of(&mut client), answer_of(&mut client)];
    answers.sort_by_key(|a| a["id"].as_u64());
    assert_eq!(answers[0]["result"]["echo"], "first");
    assert_eq!(answers[1]["result"]["echo"], "second");
    running.stop().await;
}

/// framing: an answer goes to the client whose request it answers, whatever the order the
/// answers come in (stdio has one client: its answers still arrive, each once).
pub async fn answers_reach_the_client_that_asked(h: &dyn TransportHarness) {
    let mut running = Running::start(h, Budgets::default());
    let mut clients: Vec<Box<dyn Client>> =
        (0..h.max_clients().min(2)).map(|_| (running.clients)()).collect();
    let mut frames = Vec::new();
    for (n, client) in clients.iter_mut().enumerate() {
        client.send(&request(10 + n as u64, &format!("client{n}")));
        frames.push(running.frame().await);
    }
    // Answered last first.
    while let Some(frame) = frames.pop() {
        frame.answer();
    }
    for (n, client) in clients.iter_mut().enumerate() {
        let answer = answer_of(client);
        assert_eq!(answer["id"], 10 + n as u64, "{answer}");
        assert_eq!(answer["result"]["echo"], format!("client{n}"), "{answer}");
        assert!(client.answer(QUIET).is_none(), "one answer per request");
    }
    running.stop().await;
}

/// oversized: a message over the budget is refused with an error to its client, never reaches
/// the handler, and the next message is served.
pub async fn an_oversized_message_is_refused_and_serving_goes_on(h: &dyn TransportHarness) {
    let budgets = Budgets {
        max_message: 1024,
        ..Budgets::default()
    };
    let mut running = Running::start(h, budgets);
    let mut client = (running.clients)();
    let padding = "x".repeat(4 * budgets.max_message);
    client.send(&format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"big","params":{{"padding":"{padding}"}}}}"#
    ));
    let refusal = answer_of(&mut client);
    assert!(refusal.get("error").is_some(), "{refusal}");
    running.no_frame().await;
    client.send(&request(2, "after"));
    running.frame().await.answer();
    let answer = answer_of(&mut client);
    assert_eq!(answer["result"]["echo"], "after", "{answer}");
    running.stop().await;
}

/// drain: after shutdown, `serve` waits for the answer of a request in flight, the answer
/// reaches its client, and then `serve` returns.
pub async fn shutdown_waits_for_the_answer_in_flight(h: &dyn TransportHarness) {
    let mut running = Running::start(h, Budgets::default());
    let mut client = (running.clients)();
    client.send(&request(7, "slow"));
    let frame = running.frame().await;
    running.trigger.fire();
    assert!(
        tokio::time::timeout(QUIET, &mut running.serving).await.is_err(),
        "serve returned while an answer was owed"
    );
    frame.answer();
    let answer = answer_of(&mut client);
    assert_eq!(answer["id"], 7, "{answer}");
    running.stop().await;
}

/// drain: a request that never finishes holds `serve` for the drain period, no longer.
pub async fn the_drain_gives_up_after_its_period(h: &dyn TransportHarness) {
    let budgets = Budgets {
        drain: Duration::from_millis(200),
        ..Budgets::default()
    };
    let mut running = Running::start(h, budgets);
    let mut client = (running.clients)();
    client.send(&request(8, "never"));
    let held = running.frame().await;
    running.stop().await;
    drop(held);
}

/// `listens`: binding an address another socket holds is `Bind`, naming the address.
pub async fn a_taken_address_is_a_bind_error_naming_it(h: &dyn TransportHarness) {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let address = taken.local_addr().expect("its address").to_string();
    match h.bind(&address) {
        Some(Err(TransportError::Bind { address: named, .. })) => assert_eq!(named, address),
        other => panic!("binding a taken address gave {other:?}"),
    }
    drop(taken);
}

/// What the macro's capability list declares must equal the harness's own declaration.
pub fn declared_capabilities_match(h: &dyn TransportHarness, declared: &[&str]) {
    assert_eq!(
        h.listens(),
        declared.contains(&"listens"),
        "declared {declared:?}"
    );
}

/// Turns every check of the transport contract into a test for `$harness`; capabilities
/// (`listens`) add their checks.
#[macro_export]
macro_rules! transport_contract {
    (@group $harness:expr; core) => {
        $crate::transport_contract!(@checks $harness;
            each_message_is_one_frame,
            answers_reach_the_client_that_asked,
            an_oversized_message_is_refused_and_serving_goes_on,
            shutdown_waits_for_the_answer_in_flight,
            the_drain_gives_up_after_its_period,
        );
    };
    (@group $harness:expr; listens) => {
        $crate::transport_contract!(@checks $harness;
            a_taken_address_is_a_bind_error_naming_it,
        );
    };
    (@checks $harness:expr; $($check:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                let harness = $harness;
                $crate::transport::$check(&harness).await;
            }
        )*
    };
    ($harness:expr; $($capability:ident),* $(,)?) => {
        #[test]
        fn declared_capabilities_match_the_harness() {
            let harness = $harness;
            $crate::transport::declared_capabilities_match(&harness, &[$(stringify!($capability)),*]);
        }
        $crate::transport_contract!(@group $harness; core);
        $( $crate::transport_contract!(@group $harness; $capability); )*
    };
}
