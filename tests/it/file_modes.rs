//! What msht leaves on disk around its files: the database's -wal and -shm after a
//! read-only episode, and the hidden temporary files of an export killed half-way.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use crate::common::{TEST_KEY, msht, record};

const ANSWERS: &str = r#"{"checklist":"general","officer":"PC 1","answers":{"general_nation":"england","general_danger":"no","general_age":"yes"}}"#;

/// `msht` as an ordinary user. File modes do not bind the superuser, so as root the
/// command runs as `nobody` (the folder is handed to it first); `None` if that cannot be
/// arranged here.
fn as_ordinary_user(dir: &Path, db: &Path) -> Option<Command> {
    let key = dir.join("key");
    std::fs::write(&key, format!("{TEST_KEY}\n")).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let bin = assert_cmd::cargo::cargo_bin!("msht");
    let mut c = if running_as_root() {
        let chown = Command::new("chown")
            .args(["-R", "65534:65534"])
            .arg(dir)
            .status()
            .ok()?;
        if !chown.success() {
            return None;
        }
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(bin);
        c
    } else {
        Command::new(bin)
    };
    c.env("MSHT_DB", db)
        .env("MSHT_KEY_FILE", &key)
        .env("MSHT_CONFIG", dir.join("config.toml"))
        .env("HOME", dir)
        .env("NO_COLOR", "1");
    Some(c)
}

fn running_as_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false)
}

#[test]
fn a_read_only_episode_does_not_block_later_writes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("msht.db");
    let mut first = as_ordinary_user(dir.path(), &db).expect("no way to run as another user");
    first.args(["check", "--answers", "-"]);
    // Record once, as that user, then make the file read-only and read it: SQLite gives
    // the -shm it makes the file's (read-only) mode.
    let mut child = first
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), ANSWERS.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o400)).unwrap();
    let read = as_ordinary_user(dir.path(), &db)
        .unwrap()
        .args(["encounters", "list"])
        .output()
        .unwrap();
    assert!(
        read.status.success(),
        "{}",
        String::from_utf8_lossy(&read.stderr)
    );
    let shm = dir.path().join("msht.db-shm");
    let shm_mode = std::fs::metadata(&shm).map(|m| m.permissions().mode() & 0o777);
    assert_eq!(shm_mode.ok(), Some(0o400), "the episode this test is about");

    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = assert_cmd::Command::from_std(as_ordinary_user(dir.path(), &db).unwrap())
        .args(["check", "--answers", "-"])
        .write_stdin(ANSWERS)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "a write after the file was made writable again failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_killed_exports_temporary_file_is_named_by_doctor_and_removed_by_the_next_export() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("msht.db");
    let id = record(&db, ANSWERS);
    // What `kill -9` during `export --out` leaves: our hidden temporary name, a writer
    // that is gone (no process has this id), personal data inside.
    let out_dir = dir.path().join("exports");
    std::fs::create_dir(&out_dir).unwrap();
    let stale = out_dir.join(format!(
        ".{id}.md.{}.{}.tmp",
        0x7fff_fff0u32,
        uuid::Uuid::now_v7().simple()
    ));
    std::fs::write(&stale, b"PC 1 met a person at 1 High Street").unwrap();
    let someone_elses = out_dir.join(".notes.md.tmp");
    std::fs::write(&someone_elses, b"not ours").unwrap();

    let doctor = msht(&db)
        .current_dir(&out_dir)
        .args(["doctor", "--json"])
        .output()
        .unwrap();
    assert!(
        doctor.status.success(),
        "{}",
        String::from_utf8_lossy(&doctor.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&doctor.stdout).unwrap();
    let listed: Vec<&str> = report["stale_temp_files"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    let name = stale.file_name().unwrap().to_string_lossy();
    assert!(
        listed.len() == 1 && listed[0].ends_with(&*name),
        "{listed:?}"
    );

    msht(&db)
        .args(["export", &id, "--format", "md", "--out"])
        .arg(out_dir.join("record.md"))
        .assert()
        .success();
    assert!(!stale.exists(), "the stale temporary file is still there");
    assert!(
        someone_elses.exists(),
        "a file that is not ours was removed"
    );
    assert!(out_dir.join("record.md").exists());
}
