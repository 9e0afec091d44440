//! A redb storage backend that can be made full: writes, resizes and syncs then fail with
//! `ENOSPC`, as a real disk's do. Clones share the same bytes and the same switch, so a store
//! can be reopened over them and a test can fill the disk under a running store.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use redb::StorageBackend;
use redb::backends::InMemoryBackend;

/// `ENOSPC` on Linux and the BSDs.
const ENOSPC: i32 = 28;

/// An in-memory disk with a "full" switch.
#[derive(Debug, Clone, Default)]
pub struct FillableDisk {
    bytes: Arc<InMemoryBackend>,
    full: Arc<AtomicBool>,
    refused: Arc<AtomicUsize>,
}

impl FillableDisk {
    /// An empty disk with space.
    pub fn new() -> FillableDisk {
        FillableDisk::default()
    }

    /// Fills the disk (`true`) or gives the space back (`false`).
    pub fn set_full(&self, full: bool) {
        self.full.store(full, Ordering::SeqCst);
    }

    /// Write-side calls refused so far, to prove a failure was exercised.
    pub fn refused(&self) -> usize {
        self.refused.load(Ordering::SeqCst)
    }

    fn refuse(&self) -> Result<(), io::Error> {
        if self.full.load(Ordering::SeqCst) {
            self.refused.fetch_add(1, Ordering::SeqCst);
            Err(io::Error::from_raw_os_error(ENOSPC))
        } else {
            Ok(())
        }
    }
}

impl StorageBackend for FillableDisk {
    fn len(&self) -> Result<u64, io::Error> {
        StorageBackend::len(&*self.bytes)
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), io::Error> {
        StorageBackend::read(&*self.bytes, offset, out)
    }

    fn set_len(&self, len: u64) -> Result<(), io::Error> {
        self.refuse()?;
        StorageBackend::set_len(&*self.bytes, len)
    }

    fn sync_data(&self) -> Result<(), io::Error> {
        self.refuse()?;
        StorageBackend::sync_data(&*self.bytes)
    }

    fn write(&self, offset: u64, data: &[u8]) -> Result<(), io::Error> {
        self.refuse()?;
        StorageBackend::write(&*self.bytes, offset, data)
    }
}
