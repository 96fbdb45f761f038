//! Temporary files that a killed msht left behind. An export or bundle is written to a
//! hidden `.NAME.PID.UUID.tmp` beside its destination and renamed when whole; a `kill -9`
//! or a power cut in between leaves that file, holding personal data, where nothing
//! would ever remove it. These are found by their name (only ours match it) and by
//! their writer being gone, so a write still running in another process is never touched.

use std::fs;
use std::path::{Path, PathBuf};

/// A temporary file older than this is stale even if a process with its id runs (the id
/// was reused): no export takes a day.
const OLDEST_LIVE_WRITE: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

/// Our temporary files in `dir` whose writer is gone, sorted. An unreadable folder has none.
pub fn stale_temp_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter(|e| e.file_name().to_str().and_then(parse).is_some_and(is_stale))
        .map(|e| e.path())
        .collect();
    out.sort();
    out
}

/// Removes our stale temporary files from `dir`; the ones removed. Best effort: a file
/// that cannot be removed now is left for the next write (and `doctor` names it).
pub fn remove_stale_temp_files(dir: &Path) -> Vec<PathBuf> {
    stale_temp_files(dir)
        .into_iter()
        .filter(|p| fs::remove_file(p).is_ok())
        .collect()
}

/// What our temporary file's name says: the writer's process id and when it started.
#[derive(Debug, PartialEq, Eq)]
struct TempName {
    pid: u32,
    started: Option<std::time::SystemTime>,
}

/// `.NAME.PID.UUID.tmp`, UUID a simple (32 hex digit) UUIDv7; anything else is not ours.
fn parse(name: &str) -> Option<TempName> {
    let rest = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let mut parts = rest.rsplitn(3, '.');
    let uuid = uuid::Uuid::try_parse(parts.next()?).ok()?;
    let pid: u32 = parts.next()?.parse().ok()?;
    let dest = parts.next()?;
    if dest.is_empty() || uuid.get_version_num() != 7 {
        return None;
    }
    let started = uuid.get_timestamp().map(|t| {
        let (secs, nanos) = t.to_unix();
        std::time::UNIX_EPOCH + std::time::Duration::new(secs, nanos)
    });
    Some(TempName { pid, started })
}

fn is_stale(t: TempName) -> bool {
    let old = t
        .started
        .and_then(|s| s.elapsed().ok())
        .is_some_and(|age| age > OLDEST_LIVE_WRITE);
    old || !process_runs(t.pid)
}

#[cfg(unix)]
fn process_runs(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: signal 0 only asks whether the process exists; nothing is sent.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(not(unix))]
fn process_runs(_pid: u32) -> bool {
    // Without a cheap liveness check, only age makes a file stale.
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(pid: u32, uuid: uuid::Uuid) -> String {
        format!(".export.md.{pid}.{}.tmp", uuid.simple())
    }

    #[test]
    fn only_our_names_parse() {
        let u = uuid::Uuid::now_v7();
        assert_eq!(parse(&name(42, u)).map(|t| t.pid), Some(42));
        for other in [
            "export.md",
            ".export.md.tmp",
            ".42.tmp",
            &format!(".export.md.x.{}.tmp", u.simple()),
            &format!(
                ".export.md.42.{}.tmp",
                uuid::Uuid::from_u128(0x1234_5678_9abc_4def_8123_4567_89ab_cdef).simple()
            ),
            &format!("..42.{}.tmp", u.simple()),
        ] {
            assert_eq!(parse(other), None, "{other}");
        }
    }

    #[test]
    fn a_dead_writers_file_is_stale_and_a_live_ones_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let u = uuid::Uuid::now_v7();
        // Our own process is alive; pid 0x7fff_fff0 is not a process on any real system.
        let live = dir.path().join(name(std::process::id(), u));
        let dead = dir.path().join(name(0x7fff_fff0, u));
        let theirs = dir.path().join(".notes.txt.tmp");
        for p in [&live, &dead, &theirs] {
            fs::write(p, b"personal data").unwrap();
        }
        assert_eq!(stale_temp_files(dir.path()), vec![dead.clone()]);
        assert_eq!(remove_stale_temp_files(dir.path()), vec![dead.clone()]);
        assert!(!dead.exists() && live.exists() && theirs.exists());
    }

    #[test]
    fn a_day_old_file_is_stale_even_if_its_pid_was_reused() {
        let dir = tempfile::tempdir().unwrap();
        let ts = uuid::Timestamp::from_unix(uuid::NoContext, 1_600_000_000, 0);
        let old = dir
            .path()
            .join(name(std::process::id(), uuid::Uuid::new_v7(ts)));
        fs::write(&old, b"x").unwrap();
        assert_eq!(stale_temp_files(dir.path()), vec![old]);
    }
}
