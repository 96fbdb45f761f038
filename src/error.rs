//! The crate's top-level error: each module's typed error gathered in one enum, so a
//! command can use `?` across modules. Each says what kind of failure it is
//! ([`Fault`]); `cli` alone turns that into an exit code.

use std::io;

use crate::fault::Fault;

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
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Follow(#[from] crate::follow::FollowError),
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

    pub fn fault(&self) -> Fault {
        match self {
            Error::Guidance(e) => e.fault(),
            Error::Engine(e) => e.fault(),
            Error::Answers(_) => Fault::BadData,
            Error::Store(e) => e.fault(),
            Error::Search(e) => e.fault(),
            Error::Export(e) => e.fault(),
            Error::Sync(e) => e.fault(),
            Error::Config(e) => e.fault(),
            Error::Follow(e) => e.fault(),
            Error::Usage(_) => Fault::BadRequest,
            Error::BadInput(_) => Fault::BadData,
            Error::NotFound(_) => Fault::Missing,
            Error::Interrupted(_) => Fault::Interrupted,
            Error::Io { source, .. } => Fault::of_io(source),
        }
    }

    /// A closed pipe (`msht guide show x | head`) is the reader's choice, not a failure.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == io::ErrorKind::BrokenPipe)
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
