//! Export files go through the shared atomic writer (`crate::atomic`); this maps its
//! outcomes to the sentences an officer sees for an export.

use std::io;
use std::path::Path;

pub use crate::atomic::AtomicFile;

use super::ExportError;

/// The export error for an I/O failure writing `dest`: an existing file is its own case
/// (never replaced without `--force`).
pub fn error(dest: &Path, e: io::Error) -> ExportError {
    if e.kind() == io::ErrorKind::AlreadyExists {
        ExportError::Exists(dest.display().to_string())
    } else {
        ExportError::Io {
            path: dest.display().to_string(),
            source: e,
        }
    }
}
