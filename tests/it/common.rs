//! Helpers shared by the integration tests: the real binary against a temporary database,
//! isolated from the developer's own environment.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// `msht` with its database at `db`, the built-in guidance, no colour and 80 columns.
pub fn msht(db: &Path) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin!("msht"));
    // A config file beside the database (absent unless a test writes one), so the
    // developer's own config never leaks into a test.
    c.env("MSHT_DB", db)
        .env("MSHT_CONFIG", db.with_file_name("config.toml"))
        .env("NO_COLOR", "1")
        .env("COLUMNS", "80")
        .env_remove("MSHT_GUIDANCE");
    c
}

/// A temporary folder and a database path inside it (kept alive by the returned guard).
pub fn db() -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("msht.db");
    (d, p)
}

/// Records one encounter through `msht check --answers - --json`; returns its id.
pub fn record(db: &Path, answers: &str) -> String {
    let out = msht(db)
        .args(["check", "--answers", "-", "--json"])
        .write_stdin(answers)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["encounter_id"].as_str().unwrap().to_string()
}

/// An encounter's first event, for tests that write to the store directly.
pub fn created(officer: &str) -> msht::record::EventBody {
    msht::record::EventBody::Created {
        officer: officer.into(),
        location: "Hand car wash, Mill Road".into(),
        checklist: "general".into(),
        checklist_title: "General screen".into(),
        guidance_version: "test".into(),
        guidance_hash: "0123456789abcdef".into(),
    }
}
