//! The database at rest: encrypted files hold no readable record, keys are refused
//! plainly, `db encrypt` survives kill -9 anywhere, and the passphrase flows work on a
//! real terminal.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use expectrl::process::unix::WaitStatus;
use expectrl::session::OsSession;
use expectrl::{Expect, Session};
use msht::record::EventBody;
use msht::store::{ListFilter, Store};
use serde_json::Value;

use crate::common::{db, msht, open};

const LOCATION: &str = "Quarry-Lane-Marker-4471";
const NOTE: &str = "Unique-Note-Marker-9932";
const OFFICER: &str = "PC Marker-5150";
/// A question id: present in every recorded answer's event.
const ANSWER: &str = "general_nrm_consent";

fn answers() -> String {
    format!(
        r#"{{"checklist":"general","officer":"{OFFICER}","location":"{LOCATION}","notes":"{NOTE}","answers":{{"general_nation":"england","general_danger":"no","general_age":"no","general_documents":"no","general_consent_alone":"yes","general_consent_understood":"yes","general_consent_explained":"yes","{ANSWER}":"declines"}}}}"#
    )
}

fn record(db: &Path) {
    crate::common::record(db, &answers());
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn with_suffix(p: &Path, s: &str) -> PathBuf {
    let mut o = p.as_os_str().to_owned();
    o.push(s);
    PathBuf::from(o)
}

/// The markers found in `bytes` (an empty list means nothing readable).
fn readable(bytes: &[u8]) -> Vec<&'static str> {
    [LOCATION, NOTE, OFFICER, ANSWER, "SQLite format 3"]
        .into_iter()
        .filter(|m| contains(bytes, m.as_bytes()))
        .collect()
}

/// The database and its -wal, read while a second connection keeps the -wal alive.
fn files_while_open(db: &Path) -> (Vec<u8>, Vec<u8>) {
    let _holder = open(db); // keeps the -wal from being checkpointed away
    record(db);
    let wal = std::fs::read(with_suffix(db, "-wal")).unwrap();
    assert!(wal.len() > 4096, "the -wal holds the new record");
    (std::fs::read(db).unwrap(), wal)
}

#[test]
fn database_and_wal_hold_no_readable_record() {
    let (_d, path) = db();
    drop(open(&path)); // made encrypted with the test key
    let (main, wal) = files_while_open(&path);
    assert_eq!(readable(&main), Vec::<&str>::new());
    assert_eq!(readable(&wal), Vec::<&str>::new());
    assert_ne!(&main[..16], b"SQLite format 3\0");
}

#[test]
fn a_plaintext_database_shows_the_same_markers() {
    // The control for the test above: the search finds them when they are there.
    let (_d, path) = db();
    drop(Store::open(&path).unwrap()); // plaintext
    let (main, wal) = files_while_open(&path);
    assert!(contains(&main, b"SQLite format 3\0"));
    let found = readable(&wal);
    for m in [LOCATION, NOTE, OFFICER, ANSWER] {
        assert!(found.contains(&m), "{m} not found in the plaintext -wal");
    }
}

fn one_sentence(stderr: &[u8]) -> String {
    let s = String::from_utf8_lossy(stderr).to_string();
    assert_eq!(s.lines().count(), 1, "one line, no SQLCipher noise: {s}");
    assert!(s.starts_with("msht: "), "{s}");
    s
}

fn other_key_file(dir: &Path) -> PathBuf {
    let p = dir.join("other.key");
    msht::atomic::write_replace(&p, format!("{}\n", "ab".repeat(32)).as_bytes()).unwrap();
    p
}

#[test]
fn a_wrong_key_is_one_sentence_and_77_and_changes_nothing() {
    let (d, path) = db();
    record(&path);
    let before = std::fs::read(&path).unwrap();
    let out = msht(&path)
        .env("MSHT_KEY_FILE", other_key_file(d.path()))
        .args(["encounters", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(77));
    let e = one_sentence(&out.stderr);
    assert!(e.contains("key does not open"), "{e}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert!(!with_suffix(&path, "-wal").exists());
}

#[cfg(unix)]
#[test]
fn a_key_file_others_can_read_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let (d, path) = db();
    record(&path);
    let key = d.path().join("open.key");
    std::fs::copy(crate::common::key_file(), &key).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o640)).unwrap();
    let out = msht(&path)
        .env("MSHT_KEY_FILE", &key)
        .args(["encounters", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(77));
    let e = one_sentence(&out.stderr);
    assert!(e.contains("other users"), "{e}");
}

#[test]
fn without_terminal_or_key_file_a_database_command_is_64() {
    let (_d, path) = db();
    // A new database: nothing is created.
    let out = msht(&path)
        .env_remove("MSHT_KEY_FILE")
        .args(["check", "--answers", "-"])
        .write_stdin(answers())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64));
    assert!(one_sentence(&out.stderr).contains("--key-file"));
    assert!(!path.exists());
    // An encrypted one.
    record(&path);
    let out = msht(&path)
        .env_remove("MSHT_KEY_FILE")
        .args(["encounters", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64));
    one_sentence(&out.stderr);
}

#[test]
fn guidance_commands_never_need_a_key() {
    let (_d, path) = db();
    record(&path);
    for args in [
        &["guide", "list"][..],
        &["search", "debt", "bondage"],
        &["checklist", "list"],
    ] {
        let out = msht(&path)
            .env_remove("MSHT_KEY_FILE")
            .env("MSHT_CACHE_DIR", "")
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
    }
}

fn doctor(path: &Path) -> Value {
    let out = msht(path).args(["doctor", "--json"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Every encounter's id and the hash of its last event: what must survive encryption.
fn heads(path: &Path) -> Vec<(String, String)> {
    let s = open(path);
    let mut out = Vec::new();
    s.for_each_encounter(&ListFilter::default(), &mut |ev| {
        let last = ev.last().unwrap();
        out.push((last.encounter_id.clone(), last.hash.clone()));
        Ok(())
    })
    .unwrap();
    out.sort();
    out
}

/// A plaintext database with `n` encounters of three events each, made through the
/// library (msht itself never makes a plaintext database).
fn plaintext_db(path: &Path, n: usize) {
    let mut s = Store::open(path).unwrap();
    for i in 0..n {
        let id = s
            .create_encounter(EventBody::Created {
                officer: OFFICER.into(),
                location: format!("{LOCATION} {i}"),
                checklist: "general".into(),
                checklist_title: "General".into(),
                guidance_version: "t".into(),
                guidance_hash: "h".into(),
            })
            .unwrap()
            .encounter_id;
        s.append(
            &id,
            EventBody::NoteAdded {
                text: format!("{NOTE} {i}"),
            },
        )
        .unwrap();
    }
}

#[test]
fn db_encrypt_turns_a_plaintext_database_into_an_encrypted_one() {
    let (_d, path) = db();
    plaintext_db(&path, 5);
    record(&path); // a plaintext database keeps working until it is encrypted
    let want = heads(&path);
    let doc = doctor(&path);
    assert_eq!(doc["encrypted"], false);
    assert_eq!(doc["encryption"], "none");

    let out = msht(&path).args(["db", "encrypt"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("6 encounters"), "{said}");

    assert_eq!(heads(&path), want);
    let doc = doctor(&path);
    assert_eq!(doc["encrypted"], true);
    assert_eq!(doc["encryption"], "raw_key");
    let main = std::fs::read(&path).unwrap();
    assert_eq!(readable(&main), Vec::<&str>::new());
    for leftover in ["-wal", "-shm", "-journal", ".encrypting"] {
        assert!(!with_suffix(&path, leftover).exists(), "{leftover} left");
    }
    // Again: nothing to do.
    let again = msht(&path).args(["db", "encrypt"]).output().unwrap();
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("already encrypted"));
}

#[test]
fn db_encrypt_refuses_an_altered_record_and_changes_nothing() {
    let (_d, path) = db();
    plaintext_db(&path, 2);
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch("DROP TRIGGER events_append_only").unwrap();
        c.execute(
            "UPDATE events SET body = replace(body, 'Quarry', 'Xuarry') WHERE seq = 1",
            [],
        )
        .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let out = msht(&path).args(["db", "encrypt"]).output().unwrap();
    assert_eq!(out.status.code(), Some(65), "{out:?}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert!(!with_suffix(&path, ".encrypting").exists());
}

/// A small random number without a crate: the std hasher's random keys.
fn random_below(n: u64) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(n);
    h.finish() % n.max(1)
}

fn spawn_encrypt(path: &Path) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_msht"))
        .args(["db", "encrypt"])
        .env("MSHT_DB", path)
        .env("MSHT_KEY_FILE", crate::common::key_file())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn db_encrypt_killed_anywhere_leaves_the_old_or_the_new_database() {
    let fixture_dir = tempfile::tempdir().unwrap();
    let fixture = fixture_dir.path().join("fixture.db");
    plaintext_db(&fixture, 300);
    let want = heads(&fixture);
    // How long a whole run takes here, so the kills spread over all of it.
    let timing = tempfile::tempdir().unwrap();
    let t = timing.path().join("t.db");
    std::fs::copy(&fixture, &t).unwrap();
    let start = Instant::now();
    assert!(spawn_encrypt(&t).wait().unwrap().success());
    let whole = start.elapsed().as_micros() as u64;

    let (mut old, mut new) = (0, 0);
    for round in 0..24 {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("msht.db");
        std::fs::copy(&fixture, &path).unwrap();
        let mut child = spawn_encrypt(&path);
        std::thread::sleep(Duration::from_micros(random_below(whole * 11 / 10)));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        assert!(path.exists(), "round {round}: the database is gone");
        if Store::file_is_encrypted(&path).unwrap() {
            new += 1;
        } else {
            old += 1;
        }
        assert_eq!(heads(&path), want, "round {round}: records lost");
        // And the interrupted state converts cleanly.
        let out = msht(&path).args(["db", "encrypt"]).output().unwrap();
        assert!(out.status.success(), "round {round}: {out:?}");
        assert!(Store::file_is_encrypted(&path).unwrap());
        assert_eq!(heads(&path), want, "round {round}: lost on the second run");
        assert!(!with_suffix(&path, ".encrypting").exists());
    }
    eprintln!("kill -9 during db encrypt: {old} left the plaintext, {new} the encrypted copy");
}

/// `msht` on a real terminal, without a raw key file. The pseudo-terminal starts with
/// echo off; `stty echo` turns it on as a real terminal is, so the moment the hidden
/// prompt turns it off can be seen.
fn pty(path: &Path, args: &[&str]) -> OsSession {
    let mut cmd = std::process::Command::new("sh");
    cmd.args([
        "-c",
        "stty echo && exec \"$0\" \"$@\"",
        env!("CARGO_BIN_EXE_msht"),
    ])
    .args(args)
    .env("TERM", "xterm-256color")
    .env("NO_COLOR", "1")
    .env("MSHT_DB", path)
    .env_remove("MSHT_KEY_FILE")
    .env_remove("MSHT_GUIDANCE");
    let mut s = Session::spawn(cmd).unwrap();
    s.set_expect_timeout(Some(Duration::from_secs(30)));
    s
}

/// Waits for `prompt`, then for the terminal to stop echoing (the hidden prompt flushes
/// anything typed before that, as `sudo` does), then types `text`.
fn type_secret(s: &mut OsSession, prompt: &str, text: &str) {
    s.expect(prompt).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while s.get_process().get_echo().unwrap() {
        assert!(Instant::now() < deadline, "the prompt never hid the input");
        std::thread::sleep(Duration::from_millis(5));
    }
    s.send(text).unwrap();
}

/// The rest of the output and the exit code.
fn finish(mut s: OsSession) -> (String, i32) {
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        while let Ok(n @ 1..) = s.try_read(&mut buf) {
            raw.extend_from_slice(&buf[..n]);
        }
        let text = String::from_utf8_lossy(&raw).to_string();
        match s.get_process().status() {
            Ok(WaitStatus::Exited(_, code)) => {
                while let Ok(n @ 1..) = s.try_read(&mut buf) {
                    raw.extend_from_slice(&buf[..n]);
                }
                return (String::from_utf8_lossy(&raw).to_string(), code);
            }
            Ok(WaitStatus::Signaled(_, sig, _)) => panic!("killed by {sig:?}: {text}"),
            _ => {}
        }
        assert!(Instant::now() < deadline, "msht did not exit: {text}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn list_with_passphrase(path: &Path, pass: &str) -> (String, i32) {
    let mut s = pty(path, &["encounters", "list"]);
    type_secret(&mut s, "Passphrase for msht.db", &format!("{pass}\r"));
    finish(s)
}

#[test]
fn passphrase_on_a_terminal_create_open_refuse_and_change() {
    let (d, path) = db();
    // A new database, made by recording: the passphrase twice (a mismatch asks again).
    let file = d.path().join("answers.json");
    std::fs::write(&file, answers()).unwrap();
    let mut s = pty(&path, &["check", "--answers", file.to_str().unwrap()]);
    s.expect("cannot be recovered").unwrap();
    type_secret(&mut s, "New passphrase", "first-secret\r");
    type_secret(&mut s, "Repeat the passphrase", "first-secreX\r");
    s.expect("differ").unwrap();
    type_secret(&mut s, "New passphrase", "first-secret\r");
    type_secret(&mut s, "Repeat the passphrase", "first-secret\r");
    let (text, code) = finish(s);
    assert_eq!(code, 0, "{text}");
    assert!(
        !text.contains("first-secret"),
        "the passphrase is never echoed"
    );
    let keyfile = with_suffix(&path, ".key");
    assert!(keyfile.exists());
    assert!(Store::file_is_encrypted(&path).unwrap());

    let (text, code) = list_with_passphrase(&path, "first-secret");
    assert_eq!(code, 0, "{text}");
    assert!(text.contains(LOCATION), "{text}");
    let (text, code) = list_with_passphrase(&path, "wrong-secret");
    assert_eq!(code, 77, "{text}");
    assert!(text.contains("passphrase does not unlock"), "{text}");
    assert!(!text.contains("ERROR"), "no SQLCipher noise: {text}");

    let before = std::fs::read(&path).unwrap();
    let mut s = pty(&path, &["db", "passphrase"]);
    type_secret(&mut s, "Passphrase for msht.db", "first-secret\r");
    type_secret(&mut s, "New passphrase", "second-secret\r");
    type_secret(&mut s, "Repeat the passphrase", "second-secret\r");
    let (text, code) = finish(s);
    assert_eq!(code, 0, "{text}");
    assert_eq!(std::fs::read(&path).unwrap(), before, "not re-encrypted");
    assert_eq!(list_with_passphrase(&path, "first-secret").1, 77);
    assert_eq!(list_with_passphrase(&path, "second-secret").1, 0);
}

#[test]
fn db_encrypt_on_a_terminal_asks_for_a_new_passphrase() {
    let (_d, path) = db();
    plaintext_db(&path, 3);
    let mut s = pty(&path, &["db", "encrypt"]);
    type_secret(&mut s, "New passphrase", "encrypt-secret\r");
    type_secret(&mut s, "Repeat the passphrase", "encrypt-secret\r");
    let (text, code) = finish(s);
    assert_eq!(code, 0, "{text}");
    assert!(Store::file_is_encrypted(&path).unwrap());
    let (text, code) = list_with_passphrase(&path, "encrypt-secret");
    assert_eq!(code, 0, "{text}");
    assert!(text.contains(LOCATION), "{text}");
    // A passphrase database has its own random key: the test key does not open it.
    let e = Store::open_with(
        &path,
        msht::store::KeySource::Raw(crate::common::test_key()),
    );
    assert!(e.is_err());
}

#[test]
fn db_encrypt_waits_for_no_one_else_to_have_the_database_open() {
    // Another msht with the database open could go on writing to the old file after it
    // is replaced; encrypt refuses (75) instead, and changes nothing.
    let (_d, path) = db();
    plaintext_db(&path, 2);
    let want = heads(&path);
    let holder = Store::open(&path).unwrap();
    let out = msht(&path).args(["db", "encrypt"]).output().unwrap();
    assert_eq!(out.status.code(), Some(75), "{out:?}");
    one_sentence(&out.stderr);
    drop(holder);
    assert!(!Store::file_is_encrypted(&path).unwrap());
    assert_eq!(heads(&path), want);
    assert!(!with_suffix(&path, ".encrypting").exists());
}
