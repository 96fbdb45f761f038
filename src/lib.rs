//! msht: an offline-first companion for police officers in England and Wales who meet
//! possible victims of modern slavery and human trafficking.
//!
//! The library holds everything; the binary (`main.rs`) only parses, runs and maps errors
//! to exit codes. Nothing below `cli` prints.

pub mod answers;
pub mod atomic;
pub(crate) mod built_in;
pub mod cli;
pub mod config;
pub mod engine;
pub mod error;
pub mod export;
pub mod fault;
pub mod follow;
pub mod guidance;
pub mod record;
pub mod search;
pub mod store;
pub mod sync;
pub mod text;
pub mod time;

pub use error::{Error, Result};
pub use fault::Fault;
