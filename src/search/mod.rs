//! Placeholder until the search issue lands: only the error type the rest of the crate names.

use crate::error::Exit;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("this part of msht is not built yet")]
    NotBuilt,
}

impl SearchError {
    pub fn exit(&self) -> Exit {
        Exit::Failure
    }
}
