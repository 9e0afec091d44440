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
