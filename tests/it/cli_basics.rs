//! The read-only commands and the process contract: exit codes, `--json` shapes,
//! `NO_COLOR`, narrow screens and closed pipes.

use std::process::Stdio;

use assert_cmd::Command;
use serde_json::Value;

fn msht() -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin!("msht"));
    c.env_remove("MSHT_GUIDANCE").env("NO_COLOR", "1");
    c
}

#[test]
fn help_is_exit_0_and_a_usage_error_is_64() {
    msht().arg("--help").assert().success();
    msht().args(["checklist", "--help"]).assert().success();
    msht().arg("no-such-command").assert().code(64);
    msht()
        .args(["search"])
        .arg("--no-such-flag")
        .assert()
        .code(64);
}

#[test]
fn checklist_show_json_has_the_spec_fields() {
    let out = msht()
        .args(["checklist", "show", "general", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["id"], "general");
    assert!(v["title"].is_string());
    let qs = v["questions"].as_array().unwrap();
    assert!(qs.len() > 5);
    for q in qs {
        assert!(
            q["id"].is_string() && q["text"].is_string() && q["kind"].is_string(),
            "{q}"
        );
        if q["kind"] == "choice" {
            assert!(
                q["choices"].as_array().is_some_and(|c| !c.is_empty()),
                "{q}"
            );
        }
    }
    assert!(qs.iter().any(|q| q["help"].is_string()));
}

#[test]
fn every_checklist_of_the_spec_is_listed() {
    let out = msht()
        .args(["checklist", "list", "--json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    for id in [
        "general",
        "sexual",
        "labour",
        "criminal",
        "cannabis",
        "forced-criminality",
        "domestic-servitude",
        "organ-removal",
        "child",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
}

#[test]
fn guide_list_shows_all_six_areas_with_topics() {
    let out = msht().args(["guide", "list"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for area in [
        "Legislative framework",
        "Identifying and engaging with victims",
        "Actions to keep victims safe",
        "Effective investigation and supervision",
        "Governance, training and partnership working",
        "Workforce considerations",
    ] {
        assert!(text.contains(area), "{area} missing:\n{text}");
    }
    assert!(
        !text.contains("(no topics yet)"),
        "every area has topics:\n{text}"
    );
}

#[test]
fn guide_show_a_section_and_unknown_topics() {
    let out = msht()
        .args(["guide", "show", "nrm", "--json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let first_section = v["sections"][1]["id"].as_str().unwrap().to_string();
    assert!(!v["sources"].as_array().unwrap().is_empty());
    let target = format!("nrm#{first_section}");
    let out = msht()
        .args(["guide", "show", &target, "--json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["sections"].as_array().unwrap().len(), 1);
    msht()
        .args(["guide", "show", "no-such-topic"])
        .assert()
        .code(66);
    msht()
        .args(["guide", "show", "nrm#no-such-section"])
        .assert()
        .code(66);
}

#[test]
fn guide_show_at_40_columns_without_colour_fits_and_has_no_escapes() {
    let out = msht()
        .args(["guide", "show", "s45-defence"])
        .env("COLUMNS", "40")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains('\x1b'), "NO_COLOR means no escape codes");
    for line in text.lines() {
        assert!(console::measure_text_width(line) <= 40, "{line:?}");
    }
}

/// Every command that prints, run with its stdout's reading end already closed (as under
/// `msht … | head -0`): each exits 0 with nothing on stderr, never 134 from a panic.
#[test]
fn every_printing_command_is_quiet_on_a_closed_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pipe.db");
    let id = crate::common::record(
        &db,
        r#"{"checklist":"general","officer":"PC 1","answers":{"general_nation":"england","general_danger":"no","general_age":"no","general_documents":"no","general_consent_alone":"yes","general_consent_understood":"yes","general_consent_explained":"yes","general_nrm_consent":"skip"}}"#,
    );
    let cases: Vec<Vec<&str>> = vec![
        vec!["guide", "show", "nrm"],
        vec!["guide", "list"],
        vec!["checklist", "list"],
        vec!["checklist", "show", "general"],
        vec!["search", "debt", "bondage"],
        vec!["search", "--json", "debt"],
        vec!["guidance", "validate"],
        vec!["doctor"],
        vec!["encounters", "list"],
        vec!["encounters", "show", &id],
        vec!["export", &id],
        vec!["export", &id, "--format", "json"],
        vec!["export", &id, "--format", "csv"],
        vec!["export", "--all", "--format", "jsonl"],
        vec!["--help"],
        vec!["--version"],
    ];
    for args in cases {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin!("msht"))
            .args(&args)
            .env("MSHT_DB", &db)
            .env("RUST_BACKTRACE", "1")
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {:?}", out.status);
        assert!(
            out.stderr.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// A panic is one sentence and exit 1 (not 134, not a backtrace), and the release profile
/// keeps the unwinding that makes this possible.
#[test]
fn a_panic_is_one_sentence_and_exit_1() {
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin!("msht"))
        .args(["guide", "list"])
        .env("MSHT_PANIC_FOR_TESTS", "1")
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("internal error"), "{err}");

    let manifest = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"));
    let manifest = manifest.unwrap();
    let release = manifest
        .split("[profile.release]")
        .nth(1)
        .unwrap_or_default()
        .split("\n[")
        .next()
        .unwrap_or_default();
    assert!(
        !release
            .lines()
            .any(|l| l.trim_start().starts_with("panic") && l.contains("abort")),
        "the release profile must unwind: {release}"
    );
}

/// `msht export ID >&-`: a closed standard output is an I/O error (74), never a success
/// with nothing written.
#[test]
fn a_closed_stdout_is_exit_74_not_silent_success() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let id = crate::common::record(
        &db,
        r#"{"checklist":"general","officer":"PC 1","answers":{"general_nation":"england","general_danger":"no","general_age":"no","general_documents":"no","general_consent_alone":"yes","general_consent_understood":"yes","general_consent_explained":"yes","general_nrm_consent":"skip"}}"#,
    );
    for args in [vec!["export", id.as_str()], vec!["guide", "show", "nrm"]] {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin!("msht"));
        cmd.args(&args).env("MSHT_DB", &db).stderr(Stdio::piped());
        // Close fd 1 in the child before it runs, as the shell's `>&-` does.
        unsafe {
            use std::os::unix::process::CommandExt;
            cmd.pre_exec(|| {
                libc::close(1);
                Ok(())
            });
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(74), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("standard output is closed"), "{err}");
    }
    // `> /dev/null` (opened write-only, as a shell does) is a choice, not a closed stream.
    let null = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/null")
        .unwrap();
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin!("msht"))
        .args(["export", &id])
        .env("MSHT_DB", &db)
        .stdout(null)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}
