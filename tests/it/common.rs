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
