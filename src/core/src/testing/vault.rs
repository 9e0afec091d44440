use std::sync::Mutex;

use async_trait::async_trait;

use crate::ports::{Credentials, VaultError, VaultPort};

/// A vault in memory.
#[derive(Debug, Default)]
pub struct MemoryVault {
    stored: Mutex<Option<Credentials>>,
}

impl MemoryVault {
    /// An empty vault.
    pub fn new() -> MemoryVault {
        MemoryVault::default()
    }
}

#[async_trait]
impl VaultPort for MemoryVault {
    async fn load(&self) -> Result<Option<Credentials>, VaultError> {
        self.stored
            .lock()
            .map(|s| s.clone())
            .map_err(|_| VaultError::Io("lock poisoned".to_owned()))
    }

    async fn store(&self, credentials: &Credentials) -> Result<(), VaultError> {
        let mut stored = self
            .stored
            .lock()
            .map_err(|_| VaultError::Io("lock poisoned".to_owned()))?;
        *stored = Some(credentials.clone());
        Ok(())
    }

    async fn erase(&self) -> Result<bool, VaultError> {
        let mut stored = self
            .stored
            .lock()
            .map_err(|_| VaultError::Io("lock poisoned".to_owned()))?;
        Ok(stored.take().is_some())
    }
}
