//! The five ports of the hexagon, named by the owner. Each is an `#[async_trait]` trait held as
//! `Arc<dyn …Port>` (the adapter is chosen at run time), with its error enum beside it. The docs
//! are the contract: every "MUST" of the broker, store, vault and notifier ports has a check in
//! `contract-tests` named after it, run against every adapter and fake of the port (a harness
//! declares the capabilities a check needs, such as a store whose disk can fill). The transport's
//! are checked end to end (`tests/e2e`: stdio, HTTP, a port already taken).

mod broker;
mod notifier;
mod redact;
mod store;
mod transport;
mod vault;

pub use broker::{BrokerError, BrokerInfo, BrokerPort, PAPER_SUFFIX, ReplayClock};
pub use notifier::{NotifierPort, NotifyError};
pub use redact::{MIN_RUN, REDACTED, redact};
pub use store::{NewAlert, NewAnalysis, NewAuditEntry, PendingNotification, StoreError, StorePort};
pub use transport::{
    FrameHandler, FrameOutcome, FrameSession, Header, Outbound, RoutingHeaders, Shutdown, ShutdownTrigger,
    TransportError, TransportPort,
};
pub use vault::{Credentials, Secret, VaultError, VaultPort, VaultState};
