//! Exit codes from `sysexits.h`, as promised in SPEC §2, and the one mapping from the
//! library's failure kinds to them. Nothing outside `cli` knows these numbers.

use crate::fault::Fault;

/// The exit codes a script (or a supervisor's tooling) can rely on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    Failure = 1,
    Usage = 64,
    DataErr = 65,
    NoInput = 66,
    IoErr = 74,
    TempFail = 75,
    /// A wrong key or passphrase, or a key file others can read.
    NoPerm = 77,
    /// Stopped by Ctrl-C, as shells expect (128 + SIGINT).
    Interrupted = 130,
}

impl Exit {
    pub fn code(self) -> u8 {
        self as u8
    }
}

impl From<Fault> for Exit {
    fn from(f: Fault) -> Exit {
        match f {
            Fault::BadRequest => Exit::Usage,
            Fault::BadData => Exit::DataErr,
            Fault::Missing => Exit::NoInput,
            Fault::Io => Exit::IoErr,
            Fault::Busy => Exit::TempFail,
            Fault::Denied => Exit::NoPerm,
            Fault::Interrupted => Exit::Interrupted,
            Fault::Internal => Exit::Failure,
        }
    }
}
