use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::watch;

use crate::mcp::McpServer;

/// Why a transport stopped with an error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The listening address could not be bound.
    #[error("cannot listen on {address}: {message}")]
    Bind {
        /// The address.
        address: String,
        /// Why.
        message: String,
    },
    /// Reading or writing the channel failed.
    #[error("transport I/O error: {0}")]
    Io(String),
}

/// Fires once to ask long-running tasks to stop.
#[derive(Clone, Debug)]
pub struct ShutdownTrigger(Arc<watch::Sender<bool>>);

/// Resolves when shutdown was asked for; cheap to clone.
#[derive(Clone, Debug)]
pub struct Shutdown(watch::Receiver<bool>);

impl ShutdownTrigger {
    /// A trigger and its first listener.
    pub fn new() -> (ShutdownTrigger, Shutdown) {
        let (tx, rx) = watch::channel(false);
        (ShutdownTrigger(Arc::new(tx)), Shutdown(rx))
    }

    /// Asks everyone listening to stop.
    pub fn fire(&self) {
        self.0.send_replace(true);
    }

    /// Another listener.
    pub fn subscribe(&self) -> Shutdown {
        Shutdown(self.0.subscribe())
    }
}

impl Shutdown {
    /// True once shutdown was asked for.
    pub fn is_fired(&self) -> bool {
        *self.0.borrow()
    }

    /// Waits until shutdown is asked for (or the trigger is gone).
    pub async fn wait(&mut self) {
        let _ = self.0.wait_for(|fired| *fired).await;
    }
}

/// Carries MCP messages between clients and the core (docs/design.md, "Shape").
///
/// A transport frames bytes into JSON-RPC messages and hands each one to
/// [`McpServer::handle_frame`] with the session it belongs to; the server answers through the
/// session's `Outbound`. A transport never interprets MCP beyond what its framing needs.
#[async_trait]
pub trait TransportPort: Send + Sync {
    /// `stdio` or `http`.
    fn name(&self) -> &'static str;

    /// Serves until the clients are gone (stdin EOF) or `shutdown` fires; in-flight requests
    /// are finished before it returns.
    ///
    /// # Errors
    /// MUST return `Bind` when it cannot listen. (Settings a transport must refuse, such as a
    /// public address without a token, are refused at start-up by the binary's settings.)
    async fn serve(&self, server: Arc<McpServer>, shutdown: Shutdown) -> Result<(), TransportError>;
}
