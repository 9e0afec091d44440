//! The contract matrix: every suite against every adapter and every fake.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;

use contract_tests::broker::BrokerHarness;
use contract_tests::store::StoreHarness;
use contract_tests::vault::{FileVaultHarness, KeyFileVaultHarness, VaultHarness};
use contract_tests::{broker_contract, notifier_contract, scenario, store_contract, vault_contract};
use ttai_core::ports::{BrokerPort, StorePort, VaultPort};

mod broker {
    use super::*;

    mod fake {
        use super::*;
        use ttai_core::testing::FakeBroker;

        struct Fake;

        #[async_trait::async_trait]
        impl BrokerHarness for Fake {
            async fn fresh(&self) -> Arc<dyn BrokerPort> {
                Arc::new(FakeBroker::new(scenario::market(), scenario::now()))
            }
        }

        broker_contract!(Fake; candles, catalog, orders);
    }

    /// Paper trading over the fake broker and over the replay broker, each book in a fresh
    /// in-memory store.
    mod paper_over_fake {
        use super::*;
        use broker_paper::PaperBroker;
        use ttai_core::testing::{FakeBroker, InMemoryStore};

        struct Paper;

        #[async_trait::async_trait]
        impl BrokerHarness for Paper {
            async fn fresh(&self) -> Arc<dyn BrokerPort> {
                Arc::new(PaperBroker::new(
                    Arc::new(FakeBroker::new(scenario::market(), scenario::now())),
                    Arc::new(InMemoryStore::new()),
                ))
            }
        }

        broker_contract!(Paper; candles, catalog, orders);
    }

    mod paper_over_replay {
        use super::*;
        use broker_paper::PaperBroker;
        use ttai_core::testing::InMemoryStore;

        struct Paper(Replay);

        #[async_trait::async_trait]
        impl BrokerHarness for Paper {
            async fn fresh(&self) -> Arc<dyn BrokerPort> {
                Arc::new(PaperBroker::new(
                    self.0.fresh().await,
                    Arc::new(InMemoryStore::new()),
                ))
            }
        }

        broker_contract!(Paper(replay(true)); candles, catalog, orders);
    }

    /// The replay broker on the scenario written as a tape, plain or gzipped.
    struct Replay(tempfile::TempDir);

    #[async_trait::async_trait]
    impl BrokerHarness for Replay {
        async fn fresh(&self) -> Arc<dyn BrokerPort> {
            Arc::new(broker_replay::ReplayBroker::new(
                broker_replay::TapeSource::Dir(self.0.path().to_owned()),
                "scenario",
                true,
                None,
            ))
        }
    }

    fn replay(gzip: bool) -> Replay {
        let dir = tempfile::tempdir().unwrap();
        scenario::write_tape(dir.path(), gzip);
        Replay(dir)
    }

    mod replay_plain {
        use super::*;

        broker_contract!(replay(false); candles, catalog);
    }

    mod replay_gzip {
        use super::*;

        broker_contract!(replay(true); candles, catalog);
    }

    mod tastytrade_against_fake_server {
        use std::time::Duration;

        use super::*;
        use broker_tastytrade::{StreamSettings, TastyConfig, TastyTradeBroker};
        use contract_tests::fake_tastytrade::FakeTastyTrade;
        use ttai_core::ports::{Credentials, Secret};

        /// The live adapter pointed at a fake TastyTrade serving the canonical scenario, with the
        /// scenario's clock (option chains are priced by days to expiration).
        struct Live(FakeTastyTrade);

        impl Live {
            fn broker(&self, credentials: Option<Credentials>) -> Arc<dyn BrokerPort> {
                Arc::new(TastyTradeBroker::new(TastyConfig {
                    api_url: self.0.url(),
                    user_agent: "ttai-contract-tests/0.0.0".to_owned(),
                    timeout: Duration::from_secs(10),
                    credentials,
                    now: scenario::now,
                    streaming: Some(StreamSettings::standard()),
                }))
            }
        }

        #[async_trait::async_trait]
        impl BrokerHarness for Live {
            async fn fresh(&self) -> Arc<dyn BrokerPort> {
                self.broker(Some(self.0.credentials()))
            }

            async fn without_valid_credentials(&self) -> Vec<(&'static str, Arc<dyn BrokerPort>)> {
                let revoked = Credentials {
                    client_secret: self.0.credentials().client_secret,
                    refresh_token: Secret::new("a-revoked-refresh-token"),
                };
                vec![
                    ("no credentials", self.broker(None)),
                    ("a refused refresh token", self.broker(Some(revoked))),
                ]
            }
        }

        fn harness() -> Live {
            Live(FakeTastyTrade::start().unwrap())
        }

        // Candles over DXLink; no `catalog`: TastyTrade serves any period, so a missing series
        // is `NotFound` rather than `Unsupported`.
        broker_contract!(harness(); candles, credentials, orders);
    }
}

mod vault {
    use super::*;
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use ttai_core::ports::Secret;
    use vault_orion::OrionVault;

    /// A root directory whose subdirectories are fresh vault directories.
    struct Dirs {
        root: tempfile::TempDir,
        next: AtomicUsize,
    }

    impl Dirs {
        fn new() -> Dirs {
            Dirs {
                root: tempfile::tempdir().unwrap(),
                next: AtomicUsize::new(0),
            }
        }

        fn fresh(&self) -> PathBuf {
            let n = self.next.fetch_add(1, Ordering::Relaxed);
            self.root.path().join(format!("vault-{n}"))
        }
    }

    mod orion_key_file {
        use super::*;

        struct KeyFile(Dirs);

        #[async_trait::async_trait]
        impl VaultHarness for KeyFile {
            async fn fresh(&self) -> Arc<dyn VaultPort> {
                Arc::new(OrionVault::new(self.0.fresh()))
            }
        }

        #[async_trait::async_trait]
        impl FileVaultHarness for KeyFile {
            fn open(&self, dir: &Path) -> Arc<dyn VaultPort> {
                Arc::new(OrionVault::new(dir))
            }

            async fn open_with_other_key(&self, dir: &Path) -> Arc<dyn VaultPort> {
                let other = self.0.fresh();
                let donor = OrionVault::new(&other);
                donor
                    .store(&ttai_core::ports::Credentials {
                        client_secret: Secret::new("x"),
                        refresh_token: Secret::new("y"),
                    })
                    .await
                    .unwrap();
                std::fs::copy(donor.key_path(), dir.join(vault_orion::KEY_FILE)).unwrap();
                Arc::new(OrionVault::new(dir))
            }

            fn credentials_path(&self, dir: &Path) -> PathBuf {
                dir.join(vault_orion::CREDENTIALS_FILE)
            }

            fn kept_files(&self, dir: &Path) -> Vec<PathBuf> {
                vec![self.credentials_path(dir), self.key_path(dir)]
            }
        }

        impl KeyFileVaultHarness for KeyFile {
            fn key_path(&self, dir: &Path) -> PathBuf {
                dir.join(vault_orion::KEY_FILE)
            }
        }

        vault_contract!(KeyFile(Dirs::new()); core, files, key_file);
    }

    mod orion_passphrase {
        use super::*;

        /// Passphrase mode at orion's minimum argon2id cost, so that the suite stays fast.
        struct Passphrase(Dirs);

        fn vault(dir: &Path, passphrase: &str) -> Arc<dyn VaultPort> {
            Arc::new(OrionVault::with_passphrase_for_tests(
                dir,
                Secret::new(passphrase),
            ))
        }

        #[async_trait::async_trait]
        impl VaultHarness for Passphrase {
            async fn fresh(&self) -> Arc<dyn VaultPort> {
                vault(&self.0.fresh(), "correct horse battery staple")
            }
        }

        #[async_trait::async_trait]
        impl FileVaultHarness for Passphrase {
            fn open(&self, dir: &Path) -> Arc<dyn VaultPort> {
                vault(dir, "correct horse battery staple")
            }

            async fn open_with_other_key(&self, dir: &Path) -> Arc<dyn VaultPort> {
                vault(dir, "correct horse battery stapler")
            }

            fn credentials_path(&self, dir: &Path) -> PathBuf {
                dir.join(vault_orion::CREDENTIALS_FILE)
            }

            fn kept_files(&self, dir: &Path) -> Vec<PathBuf> {
                vec![self.credentials_path(dir)]
            }
        }

        vault_contract!(Passphrase(Dirs::new()); core, files);
    }

    mod memory_fake {
        use super::*;
        use ttai_core::testing::MemoryVault;

        struct Memory;

        #[async_trait::async_trait]
        impl VaultHarness for Memory {
            async fn fresh(&self) -> Arc<dyn VaultPort> {
                Arc::new(MemoryVault::new())
            }
        }

        vault_contract!(Memory; core);
    }
}

mod notifier {
    use std::sync::Arc;

    use contract_tests::notifier::{Capabilities, HttpOptions, NotifierHarness, Subject};
    use ttai_core::ports::NotifierPort;

    use super::notifier_contract;

    mod stderr {
        use super::*;
        use contract_tests::notifier::CapturedOutput;
        use notify_stderr::StderrNotifier;

        /// A stderr notifier writing into a captured buffer.
        struct Stderr;

        impl NotifierHarness for Stderr {
            fn capabilities(&self) -> Capabilities {
                Capabilities {
                    wire: true,
                    http: false,
                }
            }

            fn fresh(&self) -> Subject {
                let output = CapturedOutput::new();
                Subject {
                    notifier: Arc::new(StderrNotifier::with_writer(output.writer())),
                    sink: Box::new(output),
                }
            }
        }

        notifier_contract!(Stderr; wire);
    }

    mod webhook {
        use super::*;
        use contract_tests::notifier::ReceiverSink;
        use contract_tests::webhook_receiver::WebhookReceiver;
        use notify_webhook::{WebhookConfig, WebhookNotifier};

        /// A webhook notifier posting to a local receiver.
        struct Webhook;

        fn notifier(url: &str, options: HttpOptions) -> Arc<dyn NotifierPort> {
            Arc::new(
                WebhookNotifier::new(WebhookConfig {
                    url: url.to_owned(),
                    secret: options.secret,
                    timeout: options.timeout,
                    attempts: options.attempts,
                    backoff: options.backoff,
                })
                .with_version("0.0.0-test"),
            )
        }

        impl NotifierHarness for Webhook {
            fn capabilities(&self) -> Capabilities {
                Capabilities {
                    wire: true,
                    http: true,
                }
            }

            fn fresh(&self) -> Subject {
                let receiver = WebhookReceiver::start().unwrap();
                Subject {
                    notifier: notifier(&receiver.url(), HttpOptions::quick()),
                    sink: Box::new(ReceiverSink(receiver)),
                }
            }

            fn http(&self, url: &str, options: HttpOptions) -> Option<Arc<dyn NotifierPort>> {
                Some(notifier(url, options))
            }
        }

        notifier_contract!(Webhook; wire, http);
    }

    mod recording_fake {
        use super::*;
        use contract_tests::notifier::RecordingSink;
        use ttai_core::testing::RecordingNotifier;

        /// The core's recording fake.
        struct Recording;

        impl NotifierHarness for Recording {
            fn capabilities(&self) -> Capabilities {
                Capabilities {
                    wire: false,
                    http: false,
                }
            }

            fn fresh(&self) -> Subject {
                let fake = Arc::new(RecordingNotifier::new());
                Subject {
                    notifier: fake.clone(),
                    sink: Box::new(RecordingSink(fake)),
                }
            }
        }

        notifier_contract!(Recording;);
    }
}

mod store {
    use super::*;

    mod in_memory {
        use super::*;
        use ttai_core::testing::InMemoryStore;

        /// The in-memory store; `set_full` reaches the latest one.
        #[derive(Default)]
        struct InMemory(std::sync::Mutex<Option<Arc<InMemoryStore>>>);

        #[async_trait::async_trait]
        impl StoreHarness for InMemory {
            async fn fresh(&self) -> Arc<dyn StorePort> {
                let store = Arc::new(InMemoryStore::new());
                *self.0.lock().unwrap() = Some(Arc::clone(&store));
                store
            }

            fn set_full(&self, full: bool) {
                self.0.lock().unwrap().as_ref().unwrap().set_full(full);
            }
        }

        store_contract!(InMemory::default(), full);
    }

    mod redb_file {
        use std::path::PathBuf;
        use std::sync::Mutex;

        use super::*;
        use store_redb::RedbStore;

        /// Stores in files of one temporary folder; `reopen` opens the latest file again.
        struct RedbFile {
            dir: tempfile::TempDir,
            latest: Mutex<(usize, PathBuf)>,
        }

        fn open(path: PathBuf) -> Arc<dyn StorePort> {
            Arc::new(RedbStore::open(&path).unwrap())
        }

        #[async_trait::async_trait]
        impl StoreHarness for RedbFile {
            async fn fresh(&self) -> Arc<dyn StorePort> {
                let path = {
                    let mut latest = self.latest.lock().unwrap();
                    latest.0 += 1;
                    latest.1 = self.dir.path().join(format!("ttai-{}.db", latest.0));
                    latest.1.clone()
                };
                tokio::task::spawn_blocking(move || open(path)).await.unwrap()
            }

            async fn reopen(&self, store: Arc<dyn StorePort>) -> Arc<dyn StorePort> {
                assert_eq!(
                    Arc::strong_count(&store),
                    1,
                    "drop every other handle to the store before reopening it"
                );
                drop(store);
                let path = self.latest.lock().unwrap().1.clone();
                tokio::task::spawn_blocking(move || open(path)).await.unwrap()
            }
        }

        fn harness() -> RedbFile {
            RedbFile {
                dir: tempfile::tempdir().unwrap(),
                latest: Mutex::new((0, PathBuf::new())),
            }
        }

        store_contract!(harness(), durable);
    }

    mod redb_in_memory_backend {
        use std::sync::Mutex;

        use super::*;
        use contract_tests::full_disk::FillableDisk;
        use store_redb::RedbStore;

        /// redb over memory that can be made full; the store reopens the same bytes after a
        /// failed write, as it reopens its file.
        #[derive(Default)]
        struct RedbMemory(Mutex<FillableDisk>);

        #[async_trait::async_trait]
        impl StoreHarness for RedbMemory {
            async fn fresh(&self) -> Arc<dyn StorePort> {
                let disk = FillableDisk::new();
                *self.0.lock().unwrap() = disk.clone();
                Arc::new(RedbStore::open_with_backend_factory(move || disk.clone()).unwrap())
            }

            fn set_full(&self, full: bool) {
                self.0.lock().unwrap().set_full(full);
            }
        }

        store_contract!(RedbMemory::default(), full);
    }
}

mod transport {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::{SocketAddr, TcpStream};
    use std::sync::Arc;
    use std::sync::mpsc::{Receiver, Sender, channel};
    use std::time::Duration;

    use contract_tests::transport::{Budgets, Client, Subject, TransportHarness};
    use contract_tests::transport_contract;
    use ttai_core::ports::TransportError;

    /// A client's answers, as the thread reading them queued them.
    fn answers() -> (Sender<String>, Receiver<String>) {
        channel()
    }

    mod stdio {
        use super::*;
        use transport_stdio::{StdioConfig, StdioTransport};

        /// The stdio transport over two pipes standing for stdin and stdout.
        struct Stdio;

        struct PipeClient {
            input: std::io::PipeWriter,
            answers: Receiver<String>,
        }

        impl Client for PipeClient {
            fn send(&mut self, message: &str) {
                self.input.write_all(format!("{message}\n").as_bytes()).unwrap();
            }

            fn answer(&mut self, within: Duration) -> Option<String> {
                self.answers.recv_timeout(within).ok()
            }
        }

        impl TransportHarness for Stdio {
            fn listens(&self) -> bool {
                false
            }

            fn max_clients(&self) -> usize {
                1
            }

            fn fresh(&self, budgets: Budgets) -> Subject {
                let (stdin, input) = std::io::pipe().unwrap();
                let (output, stdout) = std::io::pipe().unwrap();
                let config = StdioConfig {
                    max_line: budgets.max_message,
                    drain: budgets.drain,
                };
                let transport = StdioTransport::with_io(config, Box::new(stdin), Box::new(stdout));
                let (tx, rx) = answers();
                std::thread::spawn(move || {
                    for line in BufReader::new(output).lines() {
                        let Ok(line) = line else { break };
                        if tx.send(line).is_err() {
                            break;
                        }
                    }
                });
                let mut client = Some(PipeClient { input, answers: rx });
                Subject {
                    transport: Arc::new(transport),
                    clients: Box::new(move || Box::new(client.take().expect("stdio has one client"))),
                }
            }
        }

        transport_contract!(Stdio;);
    }

    mod http {
        use super::*;
        use transport_http::{HttpConfig, HttpLimits, HttpTransport};

        /// The HTTP transport on a listener bound to 127.0.0.1:0; clients POST 2026-07-28
        /// requests to `/mcp`, one connection each.
        struct Http;

        fn config(host: &str, port: u16, budgets: Budgets) -> HttpConfig {
            HttpConfig {
                host: host.to_owned(),
                port,
                auth_token: None,
                allowed_origins: Vec::new(),
                limits: HttpLimits {
                    max_body: budgets.max_message,
                    drain: budgets.drain,
                    ..HttpLimits::default()
                },
            }
        }

        struct PostClient {
            address: SocketAddr,
            tx: Sender<String>,
            answers: Receiver<String>,
        }

        /// The body of an HTTP/1.1 response (chunked or not).
        fn body_of(response: &[u8]) -> Option<String> {
            let text = String::from_utf8_lossy(response);
            let (head, body) = text.split_once("\r\n\r\n")?;
            if !head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
                return Some(body.to_owned());
            }
            let mut rest = body;
            let mut out = String::new();
            loop {
                let (size, after) = rest.split_once("\r\n")?;
                let size = usize::from_str_radix(size.trim(), 16).ok()?;
                if size == 0 {
                    return Some(out);
                }
                out.push_str(after.get(..size)?);
                rest = after.get(size + 2..)?;
            }
        }

        impl Client for PostClient {
            fn send(&mut self, message: &str) {
                let request = format!(
                    "POST /mcp HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2026-07-28\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{message}",
                    self.address,
                    message.len()
                );
                let (address, tx) = (self.address, self.tx.clone());
                std::thread::spawn(move || {
                    let mut stream = TcpStream::connect(address).unwrap();
                    // A refused body may be cut off by the server: its answer still arrives.
                    let _ = stream.write_all(request.as_bytes());
                    let mut response = Vec::new();
                    let _ = stream.read_to_end(&mut response);
                    if let Some(body) = body_of(&response) {
                        let _ = tx.send(body);
                    }
                });
            }

            fn answer(&mut self, within: Duration) -> Option<String> {
                self.answers.recv_timeout(within).ok()
            }
        }

        impl TransportHarness for Http {
            fn listens(&self) -> bool {
                true
            }

            fn max_clients(&self) -> usize {
                2
            }

            fn fresh(&self, budgets: Budgets) -> Subject {
                let config = config("127.0.0.1", 0, budgets);
                let listener = transport_http::bind(&config).unwrap();
                let address = listener.local_addr().unwrap();
                Subject {
                    transport: Arc::new(HttpTransport::new(config, listener)),
                    clients: Box::new(move || {
                        let (tx, answers) = answers();
                        Box::new(PostClient { address, tx, answers })
                    }),
                }
            }

            fn bind(&self, address: &str) -> Option<Result<(), TransportError>> {
                let (host, port) = address.rsplit_once(':').unwrap();
                let config = config(host, port.parse().unwrap(), Budgets::default());
                Some(transport_http::bind(&config).map(drop))
            }
        }

        transport_contract!(Http; listens);
    }
}
