//! Helpers shared by the integration tests: the real binary against a temporary database,
//! isolated from the developer's own environment.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use assert_cmd::Command;
use msht::store::key::DbKey;
use msht::store::{KeySource, Store};

/// The raw key every test database is encrypted with (tests are not secret).
pub const TEST_KEY: &str = "6d7368742074657374206461746162617365206b6579202d206e6f7420736563";

/// A raw key file holding `TEST_KEY` (0600), made once per test process.
pub fn key_file() -> &'static Path {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| {
        let p = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("msht-test.key");
        // Written atomically: test processes run side by side and all write the same bytes.
        msht::atomic::write_replace(&p, format!("{TEST_KEY}\n").as_bytes()).unwrap();
        p
    })
}

/// The test key, for opening test databases through the library.
pub fn test_key() -> DbKey {
    DbKey::from_hex(TEST_KEY).unwrap()
}

/// Opens (creating encrypted if new) a test database through the library, with the test
/// key: the same database `msht(db)` uses. A plaintext one opens too.
pub fn open(db: &Path) -> Store {
    Store::open_with(db, KeySource::Raw(test_key())).unwrap()
}

/// A bare SQLite connection to a test database, keyed with the test key: what someone
/// holding the file and its key could do with the sqlite3 shell.
pub fn raw_connection(db: &Path) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(db).unwrap();
    c.execute_batch(&format!("PRAGMA key = \"x'{TEST_KEY}'\""))
        .unwrap();
    c
}

/// `msht` with its database at `db` (encrypted with the test key), the built-in guidance,
/// no colour and 80 columns.
pub fn msht(db: &Path) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin!("msht"));
    // A config file beside the database (absent unless a test writes one), so the
    // developer's own config never leaks into a test.
    c.env("MSHT_DB", db)
        .env("MSHT_KEY_FILE", key_file())
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

/// Makes `hub` a hub (once), enrols each device with it and has the hub trust each.
pub fn enroll(hub: &Path, devices: &[&Path]) {
    let ok = |db: &Path, args: &[&str]| -> String {
        let out = msht(db).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "msht {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    ok(hub, &["sync", "hub", "init"]);
    let hub_key = ok(hub, &["sync", "hub", "key"]);
    for (i, d) in devices.iter().enumerate() {
        ok(d, &["sync", "enroll", &hub_key]);
        let key = ok(d, &["sync", "key"]);
        ok(
            hub,
            &["sync", "trust", &key, "--name", &format!("device {i}")],
        );
    }
}

/// For tests that build bundles by hand: a hub store trusting `device`'s key.
pub fn lib_hub(path: &Path, device: &mut msht::store::Store) -> msht::store::Store {
    let mut hub = msht::store::Store::open(path).unwrap();
    msht::sync::keys::hub_init(&mut hub).unwrap();
    let k = msht::sync::keys::device_key(device).unwrap();
    hub.sync_trust(&msht::store::TrustedDevice {
        public: k.verifying.as_bytes().to_vec(),
        device_id: k.device_id.clone(),
        name: "test device".into(),
        fingerprint: k.fingerprint(),
        trusted_at: String::new(),
        revoked_at: None,
    })
    .unwrap();
    hub
}

/// Signs plaintext bundle bytes with `device`'s key and seals them to `hub`.
pub fn seal(
    device: &mut msht::store::Store,
    hub: &mut msht::store::Store,
    plain: &[u8],
) -> Vec<u8> {
    let id = msht::sync::keys::hub_identity(hub).unwrap().unwrap();
    let key = msht::sync::keys::signing_key(device).unwrap();
    msht::sync::seal::seal(&id.key, &key, plain).unwrap()
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

/// Runs msht on `db` with `args`.
pub fn run(db: &Path, args: &[&str]) -> std::process::Output {
    msht(db).args(args).output().unwrap()
}

/// Runs msht on `db`, asserts it succeeded, and returns its stdout.
pub fn run_ok(db: &Path, args: &[&str]) -> String {
    let out = run(db, args);
    assert!(
        out.status.success(),
        "msht {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `msht sync push --to share` on `db`, which must succeed; returns its stdout.
pub fn push(db: &Path, share: &Path) -> String {
    run_ok(db, &["sync", "push", "--to", share.to_str().unwrap()])
}

/// The files in `dir` with extension `ext`, sorted.
pub fn files(dir: &Path, ext: &str) -> Vec<std::path::PathBuf> {
    let mut v: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    v.sort();
    v
}
