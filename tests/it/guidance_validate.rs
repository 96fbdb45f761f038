//! `msht guidance validate` on broken guidance folders: every kind of defect is reported,
//! all in one run, each with the file and line to fix, and exit 65.

use std::path::Path;

use assert_cmd::Command;

const MANIFEST: &str = "version = \"t1\"\n[[areas]]\nid = \"safe\"\ntitle = \"Safe\"\n";
const TOPIC: &str = "+++\nid = \"kids\"\ntitle = \"Children\"\narea = \"safe\"\nreviewed = \"2026-11-30\"\nsources = [{ title = \"S\", url = \"https://x\" }]\n+++\n## First steps\nCall.\n";
/// The file-level review date and sources `guidance validate` requires of checklists,
/// prompts.toml and duties.toml.
const META: &str = "reviewed = \"2026-12-02\"\nsources = [{ title = \"Home Office\", url = \"https://www.gov.uk/x\" }]\n";
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
            ("prompts.toml", &format!("{META}{PROMPTS}")),
            ("duties.toml", &format!("{META}{DUTIES}")),
            ("checklists/general.toml", &format!("{META}{CHECKLIST}")),
            (
                "scenarios/child.toml",
                "name = \"A child\"\nchecklist = \"general\"\nanswers = { age = \"yes\" }\nprompts = [\"child\"]\nduties = [\"nrm\"]\n",
            ),
            (
                "source-rules.toml",
                "[[deny]]\nhost = \"production.copweb.aws.*\"\nreason = \"an internal host; cite www.college.police.uk\"\n",
            ),
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
        "{META}{DUTIES}[[duties]]\nid = \"duty-to-notify\"\ntitle = \"DtN\"\nnext = \"Notify.\"\n"
    );
    let child = format!(
        "{META}id = \"child\"\ntitle = \"Child\"\n\n[[questions]]\nid = \"general_age\"\ntext = \"Under 18?\"\nkind = \"yes_no\"\nhelp = \"Ask.\"\n\n[[questions]]\nid = \"general_nrm_consent\"\ntext = \"Consent?\"\nkind = \"choice\"\nhelp = \"Ask.\"\nchoices = [{{ id = \"consents\", label = \"Yes\" }}, {{ id = \"declines\", label = \"No\" }}]\n"
    );
    write_set(
        dir,
        &[("duties.toml", &duties), ("checklists/child.toml", &child)],
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

#[test]
fn a_bad_source_is_reported_with_file_line_and_rule() {
    let dir = tempfile::tempdir().unwrap();
    good_set(dir.path());
    release_ids(dir.path());
    let topic = "+++\nid = \"kids\"\ntitle = \"Children\"\narea = \"safe\"\nreviewed = \"2026-11-30\"\nsources = [\n  { title = \"APP\", url = \"https://production.copweb.aws.college.police.uk/app/x\" },\n  { title = \"Act\", url = \"http://www.legislation.gov.uk/ukpga/2015/30\" },\n  { title = \"Act\", url = \"https://www.legislation.gov.uk./ukpga/2023/37\" },\n  { title = \"Act\", url = \"https://www.legislation.gov.uk:443/ukpga/2015/30\" },\n  { title = \"Council\", url = \"https://www.example.gov.uk/slavery?utm_source=email\" },\n  { title = \"Search\", url = \"https://www.example.gov.uk/find?q=slavery\" },\n]\n+++\n## First steps\nCall.\n";
    write_set(
        dir.path(),
        &[
            ("topics/kids.md", topic),
            // A checklist without its review date and sources.
            ("checklists/general.toml", CHECKLIST),
        ],
    );
    let (code, text) = validate(dir.path());
    assert_eq!(code, 65, "{text}");
    let expected: &[(&str, &[&str])] = &[
        (
            "topics/kids.md:7:",
            &["production.copweb.aws", "internal host"],
        ),
        ("topics/kids.md:8:", &["not https"]),
        ("topics/kids.md:9:", &["ending in a dot"]),
        ("topics/kids.md:10:", &["port"]),
        ("topics/kids.md:11:", &["'utm_source'"]),
        ("topics/kids.md:12:", &["'q'"]),
        ("checklists/general.toml:1:", &["no review date"]),
        ("checklists/general.toml:1:", &["no sources"]),
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
    // These are release rules: a force's copy with them still loads for officers.
    let out = Command::new(assert_cmd::cargo::cargo_bin!("msht"))
        .args(["checklist", "list"])
        .env("MSHT_GUIDANCE", dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_broken_scenario_is_reported_with_its_line_and_the_rule() {
    let dir = tempfile::tempdir().unwrap();
    good_set(dir.path());
    release_ids(dir.path());
    // The duty rule no longer fires for a child: the scenario must say so.
    let broken = format!(
        "{META}{}",
        CHECKLIST.replace(
            "duty = \"nrm\"\nwhen = \"age == yes\"",
            "duty = \"nrm\"\nwhen = \"age == no\""
        )
    );
    write_set(dir.path(), &[("checklists/general.toml", &broken)]);
    let (code, text) = validate(dir.path());
    assert_eq!(code, 65, "{text}");
    let line = text
        .lines()
        .find(|l| l.starts_with("scenarios/child.toml:1:"))
        .unwrap_or_else(|| panic!("no scenario problem; got:\n{text}"));
    assert!(line.contains("scenario 'A child' fails"), "{line}");
    assert!(
        line.contains("duty 'nrm' should follow but did not"),
        "{line}"
    );
    assert!(line.contains("checklists/general.toml:"), "{line}");
    assert!(text.contains("1 problem(s)"), "{text}");
}

/// A copy of the bundled guidance in a temp folder, for breaking one file.
fn bundled_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("guidance");
    copy_tree(&src, dir.path());
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_tree(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

#[test]
fn a_missing_prompts_file_is_named_not_buried_in_follow_on_errors() {
    let dir = bundled_copy();
    std::fs::remove_file(dir.path().join("prompts.toml")).unwrap();
    let (code, text) = validate(dir.path());
    assert_eq!(code, 65, "{text}");
    assert!(
        text.contains("prompts.toml:1: the guidance has no prompts.toml"),
        "{text}"
    );
    assert!(
        !text.contains("unknown prompt"),
        "no follow-on errors: {text}"
    );
}

#[test]
fn check_with_a_broken_guidance_copy_shows_the_parse_error_first() {
    let dir = bundled_copy();
    std::fs::write(dir.path().join("prompts.toml"), "[[prompts]\nid = \n").unwrap();
    let db = tempfile::tempdir().unwrap();
    let out = Command::new(assert_cmd::cargo::cargo_bin!("msht"))
        .args(["--guidance"])
        .arg(dir.path())
        .args(["--db"])
        .arg(db.path().join("m.db"))
        .args(["check", "--answers", "-"])
        .write_stdin(r#"{"checklist":"general","officer":"PC 1","answers":{}}"#)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(65));
    let err = String::from_utf8_lossy(&out.stderr);
    let first_problem = err.lines().nth(1).unwrap_or_default();
    assert!(
        first_problem.contains("prompts.toml") && first_problem.contains("does not parse"),
        "{err}"
    );
}

/// Issue 14: a question about another person (`other_person`, a child seen at the
/// premises) can never stand for the person screened: no signals, no duty rule, and no
/// condition mixing it with the person's own answers. Each is reported with file and line.
#[test]
fn an_answer_about_another_person_never_becomes_the_persons_own() {
    let dir = bundled_copy();
    let path = dir.path().join("checklists/sexual.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text
        .replace(
            "other_person = \"possible child seen at the premises\"\n",
            "other_person = \"possible child seen at the premises\"\nsignals = [\"child\"]\n",
        )
        .replace(
            "when = \"sexual_other_child in [yes, unsure]\"",
            "when = \"sexual_other_child in [yes, unsure] or general_age == yes\"",
        );
    let text = format!(
        "{text}\n[[duties]]\nduty = \"childrens-services\"\nwhen = \"sexual_other_child == yes\"\n"
    );
    std::fs::write(&path, text).unwrap();
    let (code, out) = validate(dir.path());
    assert_eq!(code, 65, "{out}");
    for needle in [
        "cannot raise signals about the person screened",
        "together with answers about the person screened",
        "duty rule names 'sexual_other_child', which is about another person",
    ] {
        let line = out
            .lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle}: {out}"));
        assert!(line.contains("checklists/sexual.toml:"), "{line}");
    }
}

#[test]
fn a_triage_key_is_used_once_in_a_flow() {
    let dir = bundled_copy();
    let path = dir.path().join("checklists/general.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("triage = \"injury\"", "triage = \"age\"");
    std::fs::write(&path, text).unwrap();
    let (code, out) = validate(dir.path());
    assert_eq!(code, 65, "{out}");
    assert!(
        out.contains("triage key 'age' is already used by question 'general_age'"),
        "{out}"
    );
}
