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
use contract_tests::{broker_contract, scenario, store_contract};
use ttai_core::ports::{BrokerPort, StorePort};

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

        broker_contract!(Fake);
    }

    mod replay_plain {
        use super::*;
        use broker_replay::{ReplayBroker, TapeSource};

        struct Replay(tempfile::TempDir);

        #[async_trait::async_trait]
        impl BrokerHarness for Replay {
            async fn fresh(&self) -> Arc<dyn BrokerPort> {
                Arc::new(ReplayBroker::new(
                    TapeSource::Dir(self.0.path().to_owned()),
                    "scenario",
                    true,
                    None,
                ))
            }
        }

        fn harness() -> Replay {
            let dir = tempfile::tempdir().unwrap();
            scenario::write_tape(dir.path(), false);
            Replay(dir)
        }

        broker_contract!(harness());
    }

    mod replay_gzip {
        use super::*;
        use broker_replay::{ReplayBroker, TapeSource};

        struct Replay(tempfile::TempDir);

        #[async_trait::async_trait]
        impl BrokerHarness for Replay {
            async fn fresh(&self) -> Arc<dyn BrokerPort> {
                Arc::new(ReplayBroker::new(
                    TapeSource::Dir(self.0.path().to_owned()),
                    "scenario",
                    true,
                    None,
                ))
            }
        }

        fn harness() -> Replay {
            let dir = tempfile::tempdir().unwrap();
            scenario::write_tape(dir.path(), true);
            Replay(dir)
        }

        broker_contract!(harness());
    }
}

mod store {
    use super::*;

    mod in_memory {
        use super::*;
        use ttai_core::testing::InMemoryStore;

        struct InMemory;

        #[async_trait::async_trait]
        impl StoreHarness for InMemory {
            async fn fresh(&self) -> Arc<dyn StorePort> {
                Arc::new(InMemoryStore::new())
            }
        }

        store_contract!(InMemory);
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
        use super::*;
        use redb::backends::InMemoryBackend;
        use store_redb::RedbStore;

        struct RedbMemory;

        #[async_trait::async_trait]
        impl StoreHarness for RedbMemory {
            async fn fresh(&self) -> Arc<dyn StorePort> {
                Arc::new(RedbStore::open_with_backend(InMemoryBackend::new()).unwrap())
            }
        }

        store_contract!(RedbMemory);
    }
}
