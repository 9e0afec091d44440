//! The contract matrix: every suite against every adapter and every fake.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;

use contract_tests::broker::BrokerHarness;
use contract_tests::{broker_contract, scenario};
use ttai_core::ports::BrokerPort;

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
