//! Placeholder until the store issue lands: only the error type the rest of the crate names.

use crate::error::Exit;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("this part of msht is not built yet")]
    NotBuilt,
}

impl StoreError {
    pub fn exit(&self) -> Exit {
        Exit::Failure
    }
}
