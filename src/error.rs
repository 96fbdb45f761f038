//! The crate's top-level error and its mapping to the `sysexits` codes of SPEC §2.
//!
//! Each module has its own typed error; this enum gathers them so the binary can print one
//! sentence and exit with the code a script (or a supervisor's tooling) can rely on.

use std::io;

/// Exit codes from `sysexits.h`, as promised in the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    Failure = 1,
    Usage = 64,
    DataErr = 65,
    NoInput = 66,
    IoErr = 74,
    TempFail = 75,
    /// Stopped by Ctrl-C, as shells expect (128 + SIGINT).
    Interrupted = 130,
}

impl Exit {
    pub fn code(self) -> u8 {
        self as u8
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Guidance(#[from] crate::guidance::GuidanceError),
    #[error(transparent)]
    Engine(#[from] crate::engine::EngineError),
    #[error(transparent)]
    Answers(#[from] crate::answers::AnswersError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Search(#[from] crate::search::SearchError),
    #[error(transparent)]
    Export(#[from] crate::export::ExportError),
    #[error(transparent)]
    Sync(#[from] crate::sync::SyncError),
    /// The command line asked for something that cannot be done as asked.
    #[error("{0}")]
    Usage(String),
    /// Input data (an answers file, say) is malformed; nothing was saved.
    #[error("{0}")]
    BadInput(String),
    /// The officer pressed Ctrl-C; everything answered is already saved.
    #[error("{0}")]
    Interrupted(String),
    /// A named input does not exist.
    #[error("{0}")]
    NotFound(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: io::Error,
    },
}

impl Error {
    pub fn io(context: impl Into<String>, source: io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    pub fn exit(&self) -> Exit {
        match self {
            Error::Guidance(e) => e.exit(),
            Error::Engine(e) => e.exit(),
            Error::Answers(_) => Exit::DataErr,
            Error::Store(e) => e.exit(),
            Error::Search(e) => e.exit(),
            Error::Export(e) => e.exit(),
            Error::Sync(e) => e.exit(),
            Error::Usage(_) => Exit::Usage,
            Error::BadInput(_) => Exit::DataErr,
            Error::NotFound(_) => Exit::NoInput,
            Error::Interrupted(_) => Exit::Interrupted,
            Error::Io { source, .. } => io_exit(source),
        }
    }

    /// A closed pipe (`msht guide show x | head`) is the reader's choice, not a failure.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == io::ErrorKind::BrokenPipe)
    }
}

/// Missing files are "no input"; everything else from the OS is an I/O error.
pub fn io_exit(e: &io::Error) -> Exit {
    match e.kind() {
        io::ErrorKind::NotFound => Exit::NoInput,
        _ => Exit::IoErr,
    }
}

impl From<io::Error> for Error {
    fn from(source: io::Error) -> Self {
        Error::Io {
            context: "could not write the output".into(),
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
