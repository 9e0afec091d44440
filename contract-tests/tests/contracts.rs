//! The contract matrix: every suite against every adapter and every fake.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;

use contract_tests::broker::BrokerHarness;
use contract_tests::{broker_contract, notifier_contract, scenario};
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
