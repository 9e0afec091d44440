//! The five ports of the hexagon, named by the owner. Each is an `#[async_trait]` trait held as
//! `Arc<dyn …Port>` (the adapter is chosen at run time), with its error enum beside it. The docs
//! are the contract: every "MUST" has a same-named check in `contract-tests`.

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
pub use transport::{Shutdown, ShutdownTrigger, TransportError, TransportPort};
pub use vault::{Credentials, Secret, VaultError, VaultPort, VaultState};
