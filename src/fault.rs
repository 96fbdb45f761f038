//! What kind of failure an error is, in domain terms. Every library error says which kind
//! it is; only `cli` turns a kind into an exit code, so no domain module knows about
//! processes, shells or `sysexits`.

use std::io;

/// The kinds of failure the library reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The request itself cannot be carried out as asked (an empty query, a bad limit).
    BadRequest,
    /// Input data (a file, an answer, a bundle, a record) is malformed or inconsistent.
    BadData,
    /// Something named does not exist.
    Missing,
    /// The operating system could not read or write something.
    Io,
    /// Another process holds the database; trying again later will work.
    Busy,
    /// A key or passphrase is wrong, or a file's permissions are unsafe.
    Denied,
    /// The officer stopped the work (Ctrl-C); what was done is saved.
    Interrupted,
    /// Anything else: a bug or an impossible state.
    Internal,
}

impl Fault {
    /// Missing files are `Missing`; everything else from the OS is `Io`.
    pub fn of_io(e: &io::Error) -> Fault {
        match e.kind() {
            io::ErrorKind::NotFound => Fault::Missing,
            _ => Fault::Io,
        }
    }
}
