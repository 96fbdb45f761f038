//! Placeholder until the sync issue lands: only the error type the rest of the crate names.

use crate::error::Exit;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("this part of msht is not built yet")]
    NotBuilt,
}

impl SyncError {
    pub fn exit(&self) -> Exit {
        Exit::Failure
    }
}
