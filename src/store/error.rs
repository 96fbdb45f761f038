//! The store's errors: each one sentence that says what happened and what to do next, and
//! each mapped to the `sysexits` code a script can rely on.
//!
//! Raw SQLite messages ("database is locked", "file is not a database") never reach the
//! user: `classify` turns every rusqlite error into one of these variants.

use std::io;
use std::path::{Path, PathBuf};

use crate::fault::Fault;
use crate::record::{ChainBreak, Status};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "could not find a data directory for this user, so there is no default place to keep encounters"
    )]
    NoDataDir,
    #[error(
        "{} is not an msht database, so msht has not touched it",
        path.display()
    )]
    NotADatabase { path: PathBuf },
    #[error(
        "the database {} is damaged ({detail}); msht has not changed it: keep a copy of the file and ask your IT support to recover it",
        path.display()
    )]
    Corrupt { path: PathBuf, detail: String },
    #[error(
        "the database {} was written by a newer msht (schema {found}, this msht knows up to {supported}); update msht to open it (the file was not changed)",
        path.display()
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("could not use {}: {source}; check the path and its permissions", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "the disk holding {} is full, so nothing more could be saved (everything saved before is safe); free some space and try again",
        path.display()
    )]
    DiskFull { path: PathBuf },
    #[error(
        "could not write to {} ({detail}); check the file and folder permissions and that the disk is writable",
        path.display()
    )]
    Unwritable { path: PathBuf, detail: String },
    #[error(
        "another msht is using {} and did not finish within several seconds; nothing was saved by this command, try again in a moment",
        path.display()
    )]
    Busy { path: PathBuf },
    #[error("the database {} gave an unexpected error ({detail}); please report this", path.display())]
    Database { path: PathBuf, detail: String },
    #[error("{}", not_found_message(.prefix, .nearest))]
    NotFound {
        prefix: String,
        nearest: Vec<String>,
    },
    #[error("{}", ambiguous_message(.prefix, .matches))]
    Ambiguous {
        prefix: String,
        matches: Vec<String>,
    },
    #[error(
        "RECORD ALTERED: {0}. Do not change the database file; report it to your supervisor, it may be evidence"
    )]
    Tampered(ChainBreak),
    #[error(
        "RECORD ALTERED: {0}. Do not change the database file; report it to your supervisor, it may be evidence"
    )]
    SummaryAltered(super::audit::SummaryDiff),
    #[error(transparent)]
    Encode(#[from] crate::record::EncodeError),
    #[error(
        "encounter {id} is {}, and only a draft can take {what}",
        .status.as_str()
    )]
    NotDraft {
        id: String,
        status: Status,
        what: &'static str,
    },
    #[error(
        "encounter {id} is {}, and only a complete encounter can be amended",
        .status.as_str()
    )]
    NotComplete { id: String, status: Status },
    #[error(
        "encounter {id} is {}, and only a complete encounter can be signed off",
        .status.as_str()
    )]
    NotSignable { id: String, status: Status },
    #[error("encounter {id} is already void; its events are kept unchanged")]
    AlreadyVoid { id: String },
    #[error("{what} needs a reason")]
    ReasonRequired { what: &'static str },
    #[error("{0}")]
    BadEvent(String),
    #[error("'{0}' is not a date; use YYYY-MM-DD or an RFC 3339 time such as 2026-11-30T09:00:00Z")]
    BadDate(String),
    #[error("{}", scene_not_found_message(.prefix, .matches))]
    SceneNotFound {
        prefix: String,
        /// More than one scene starts with `prefix` (empty: none does).
        matches: Vec<String>,
    },
    /// A scene event its rules refuse (scene closed, unknown noted item).
    #[error("{0}")]
    SceneRule(crate::record::SceneRuleBreak),
    #[error(
        "RECORD ALTERED: {0}. Do not change the database file; report it to your supervisor, it may be evidence"
    )]
    SceneTampered(crate::record::SceneRuleBreak),
    /// A problem `verify_scenes` found, as its sentence.
    #[error(
        "RECORD ALTERED: {0}. Do not change the database file; report it to your supervisor, it may be evidence"
    )]
    ScenesAltered(String),
    /// The database key: missing, wrong, or in an unusable file.
    #[error(transparent)]
    Key(#[from] super::key::KeyError),
}

fn not_found_message(prefix: &str, nearest: &[String]) -> String {
    if nearest.is_empty() {
        format!("no encounter has an id starting '{prefix}'")
    } else {
        format!(
            "no encounter has an id starting '{prefix}'; did you mean {}?",
            nearest.join(", ")
        )
    }
}

fn scene_not_found_message(prefix: &str, matches: &[String]) -> String {
    if matches.is_empty() {
        format!("no scene has an id starting '{prefix}'")
    } else {
        let shown: Vec<&str> = matches.iter().take(5).map(String::as_str).collect();
        format!(
            "'{prefix}' matches more than one scene ({}); type more of the id",
            shown.join(", ")
        )
    }
}

fn ambiguous_message(prefix: &str, matches: &[String]) -> String {
    let shown: Vec<&str> = matches.iter().take(5).map(String::as_str).collect();
    let more = if matches.len() > shown.len() {
        ", …"
    } else {
        ""
    };
    format!(
        "'{prefix}' matches more than one encounter ({}{more}); type more of the id",
        shown.join(", ")
    )
}

impl StoreError {
    pub fn fault(&self) -> Fault {
        match self {
            StoreError::NoDataDir
            | StoreError::Io { .. }
            | StoreError::DiskFull { .. }
            | StoreError::Unwritable { .. } => Fault::Io,
            StoreError::NotADatabase { .. }
            | StoreError::Corrupt { .. }
            | StoreError::TooNew { .. }
            | StoreError::Tampered(_)
            | StoreError::SummaryAltered(_)
            | StoreError::NotDraft { .. }
            | StoreError::NotComplete { .. }
            | StoreError::NotSignable { .. }
            | StoreError::AlreadyVoid { .. }
            | StoreError::ReasonRequired { .. }
            | StoreError::BadEvent(_)
            | StoreError::SceneRule(_)
            | StoreError::SceneTampered(_)
            | StoreError::ScenesAltered(_) => Fault::BadData,
            StoreError::SceneNotFound { .. } => Fault::Missing,
            StoreError::Busy { .. } => Fault::Busy,
            StoreError::NotFound { .. } | StoreError::Ambiguous { .. } => Fault::Missing,
            StoreError::BadDate(_) => Fault::BadRequest,
            StoreError::Database { .. } | StoreError::Encode(_) => Fault::Internal,
            StoreError::Key(e) => e.fault(),
        }
    }

    /// Whether retrying the whole transaction may succeed.
    pub(crate) fn is_busy(&self) -> bool {
        matches!(self, StoreError::Busy { .. })
    }

    pub(crate) fn io(path: &Path, source: io::Error) -> Self {
        StoreError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Turns a rusqlite error into the variant a user can act on.
pub(crate) fn classify(path: &Path, e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode as C;
    let path = path.to_path_buf();
    match &e {
        rusqlite::Error::SqliteFailure(f, msg) => {
            let detail = msg.clone().unwrap_or_else(|| f.to_string());
            match f.code {
                C::DatabaseBusy | C::DatabaseLocked => StoreError::Busy { path },
                // The file was renamed over while this connection waited (`db encrypt`
                // replacing it): nothing was written; opening again reaches the new file.
                C::ReadOnly if f.extended_code == rusqlite::ffi::SQLITE_READONLY_DBMOVED => {
                    StoreError::Busy { path }
                }
                // SQLite's own words ("database disk image is malformed") mean nothing to
                // an officer; say what it is.
                C::DatabaseCorrupt => StoreError::Corrupt {
                    path,
                    detail: "a part of the file does not read back as it was written".into(),
                },
                C::NotADatabase => StoreError::NotADatabase { path },
                C::DiskFull => StoreError::DiskFull { path },
                C::ReadOnly | C::CannotOpen | C::PermissionDenied => StoreError::Unwritable {
                    detail: why_unwritable(&path).unwrap_or(detail),
                    path,
                },
                C::SystemIoFailure | C::AuthorizationForStatementDenied | C::NoLargeFileSupport => {
                    StoreError::Unwritable { path, detail }
                }
                _ => StoreError::Database { path, detail },
            }
        }
        _ => StoreError::Database {
            path,
            detail: e.to_string(),
        },
    }
}

/// Why the operating system will not let the database at `path` be written, in words an
/// officer can act on (SQLite's "unable to open database file" says neither which file nor
/// why). `None` when the file and its folder both look writable.
fn why_unwritable(path: &Path) -> Option<String> {
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let denied = |p: &Path| match may_write(p) {
        Ok(()) => None,
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) if e.raw_os_error() == Some(libc::EROFS) => Some("is on a read-only disk"),
        Err(_) => Some("is read-only"),
    };
    if let Some(why) = denied(path) {
        return Some(format!("the file {why}"));
    }
    for suffix in ["-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        if let Some(why) = denied(Path::new(&p)) {
            return Some(format!("the {suffix} file beside it {why}"));
        }
    }
    denied(folder).map(|why| {
        format!("its folder {why}, and the database needs to make its journal files beside it")
    })
}

/// `access(2)` with `W_OK`: the kernel's own answer, which (unlike the mode bits) knows
/// about read-only mounts, immutable files and the superuser.
#[cfg(unix)]
fn may_write(p: &Path) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(p.as_os_str().as_bytes()).map_err(io::Error::other)?;
    // SAFETY: `c` is a valid NUL-terminated path for the duration of the call.
    if unsafe { libc::access(c.as_ptr(), libc::W_OK) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(unix))]
fn may_write(p: &Path) -> io::Result<()> {
    match std::fs::metadata(p) {
        Ok(m) if m.permissions().readonly() => Err(io::Error::other("read-only")),
        Ok(_) => Ok(()),
        Err(e) => Err(e),
    }
}
