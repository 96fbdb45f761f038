//! Placeholder until the export issue lands: only the error type the rest of the crate names.

use crate::error::Exit;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("this part of msht is not built yet")]
    NotBuilt,
}

impl ExportError {
    pub fn exit(&self) -> Exit {
        Exit::Failure
    }
}
