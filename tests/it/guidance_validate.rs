//! `msht guidance validate` on broken guidance folders: every kind of defect is reported,
//! all in one run, each with the file and line to fix, and exit 65.

use std::path::Path;

use assert_cmd::Command;

const MANIFEST: &str = "version = \"t1\"\n[[areas]]\nid = \"safe\"\ntitle = \"Safe\"\n";
const TOPIC: &str = "+++\nid = \"kids\"\ntitle = \"Children\"\narea = \"safe\"\nreviewed = \"2026-11-30\"\nsources = [{ title = \"S\", url = \"https://x\" }]\n+++\n## First steps\nCall.\n";
const PROMPTS: &str = "[[prompts]]\nid = \"child\"\ntitle = \"Child\"\nurgency = \"immediate\"\nactions = [\"Call.\"]\n";
const DUTIES: &str = "[[duties]]\nid = \"nrm\"\ntitle = \"NRM\"\nnext = \"Refer.\"\n";
const CHECKLIST: &str = r#"id = "general"
title = "General"

[[questions]]
id = "age"
text = "Under 18?"
kind = "yes_no"
topic = "kids#first-steps"

[[questions]]
id = "hurt"
text = "Injured?"
kind = "yes_no"
help = "Look."
when = "age == yes"

[[triggers]]
prompt = "child"
when = "age == yes"

[[duties]]
duty = "nrm"
when = "age == yes"
"#;

fn write_set(dir: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

fn good_set(dir: &Path) {
    write_set(
        dir,
        &[
            ("manifest.toml", MANIFEST),
            ("topics/kids.md", TOPIC),
            ("prompts.toml", PROMPTS),
            ("duties.toml", DUTIES),
            ("checklists/general.toml", CHECKLIST),
        ],
    );
}

fn validate(dir: &Path) -> (i32, String) {
    let out = Command::new(assert_cmd::cargo::cargo_bin!("msht"))
        .args(["guidance", "validate"])
        .arg(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn a_clean_folder_passes() {
    let dir = tempfile::tempdir().unwrap();
    good_set(dir.path());
    release_ids(dir.path());
    let (code, text) = validate(dir.path());
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("ok"), "{text}");
}

/// Adds the ids the code relies on (src/guidance/ids.rs) to a set, as a release needs.
fn release_ids(dir: &Path) {
    let duties = format!(
        "{DUTIES}[[duties]]\nid = \"duty-to-notify\"\ntitle = \"DtN\"\nnext = \"Notify.\"\n"
    );
    write_set(
        dir,
        &[
            ("duties.toml", &duties),
            (
                "checklists/child.toml",
                "id = \"child\"\ntitle = \"Child\"\n\n[[questions]]\nid = \"general_age\"\ntext = \"Under 18?\"\nkind = \"yes_no\"\nhelp = \"Ask.\"\n\n[[questions]]\nid = \"general_nrm_consent\"\ntext = \"Consent?\"\nkind = \"choice\"\nhelp = \"Ask.\"\nchoices = [{ id = \"consents\", label = \"Yes\" }, { id = \"declines\", label = \"No\" }]\n",
            ),
        ],
    );
}

#[test]
fn a_release_set_must_define_the_ids_the_code_relies_on() {
    let dir = tempfile::tempdir().unwrap();
    good_set(dir.path());
    let (code, text) = validate(dir.path());
    assert_eq!(code, 65, "{text}");
    for id in [
        "general_age",
        "general_nrm_consent",
        "'child'",
        "duty-to-notify",
    ] {
        assert!(text.contains(id), "{id} named: {text}");
    }
}

#[test]
fn the_bundled_guidance_passes() {
    let out = Command::new(assert_cmd::cargo::cargo_bin!("msht"))
        .args(["guidance", "validate"])
        .env_remove("MSHT_GUIDANCE")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Each defect, the file:line it must be reported at, and words the message must contain.
#[test]
fn every_kind_of_defect_is_reported_with_file_and_line_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    good_set(dir.path());
    let broken_checklist = r#"id = "general"
title = "General"

[[questions]]
id = "age"
text = "Under 18?"
kind = "yes_no"
topic = "kids#nowhere"
when = "later == yes"

[[questions]]
id = "later"
text = "   "
kind = "yes_no"
help = "Look."

[[questions]]
id = "ghost"
text = "Never asked?"
kind = "yes_no"
help = "Look."
when = "age == yes and age == no"

[[questions]]
id = "age"
text = "Again?"
kind = "yes_no"
help = "Look."
when = "nobody == yes"

[[triggers]]
prompt = "no-such-prompt"
when = "age == yes"
"#;
    write_set(
        dir.path(),
        &[
            ("checklists/general.toml", broken_checklist),
            (
                "checklists/broken.toml",
                "id = \"broken\"\ntitle = [unclosed\n",
            ),
            (
                "topics/nosrc.md",
                "+++\nid = \"nosrc\"\ntitle = \"No sources\"\narea = \"safe\"\n+++\n## A\nText.\n",
            ),
        ],
    );
    let (code, text) = validate(dir.path());
    assert_eq!(code, 65, "{text}");
    let expected: &[(&str, &[&str])] = &[
        ("checklists/broken.toml:2:", &["does not parse"]),
        ("checklists/general.toml:5:", &["unknown section 'nowhere'"]),
        (
            "checklists/general.toml:5:",
            &["'later'", "not asked before"],
        ),
        ("checklists/general.toml:13:", &["question text is empty"]),
        (
            "checklists/general.toml:18:",
            &["'ghost'", "never be asked"],
        ),
        (
            "checklists/general.toml:25:",
            &["duplicate question id 'age'"],
        ),
        (
            "checklists/general.toml:25:",
            &["unknown question 'nobody'"],
        ),
        (
            "checklists/general.toml:32:",
            &["unknown prompt 'no-such-prompt'"],
        ),
        ("topics/nosrc.md:2:", &["no review date"]),
        ("topics/nosrc.md:2:", &["no sources"]),
    ];
    for (at, words) in expected {
        let found = text
            .lines()
            .any(|l| l.starts_with(at) && words.iter().all(|w| l.contains(w)));
        assert!(
            found,
            "expected a problem at {at} mentioning {words:?}; got:\n{text}"
        );
    }
}

#[test]
fn a_missing_folder_is_exit_66() {
    let dir = tempfile::tempdir().unwrap();
    let (code, text) = validate(&dir.path().join("nope"));
    assert_eq!(code, 66, "{text}");
}

#[test]
fn commands_refuse_a_broken_guidance_folder_with_one_sentence() {
    let dir = tempfile::tempdir().unwrap();
    good_set(dir.path());
    write_set(dir.path(), &[("prompts.toml", "[[prompts]]\nid = \n")]);
    let out = Command::new(assert_cmd::cargo::cargo_bin!("msht"))
        .args(["checklist", "list"])
        .env("MSHT_GUIDANCE", dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(65));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("msht: the guidance in"), "{err}");
    assert!(err.contains("guidance validate"), "{err}");
}
