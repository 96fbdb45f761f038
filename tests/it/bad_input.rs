//! The bad-input catalogue (issue 18): every input msht takes, given something wrong, one
//! row each. Every row asserts the exit code of SPEC §2, that stderr is one sentence (one
//! line starting `msht: `, no panic, no backtrace, no raw SQLite text, no control
//! characters) and that nothing was written or lost: the case's folder (database
//! included) is byte-for-byte the same afterwards, with no stray file left.
//!
//! One database is recorded once for the whole file (two encounters, plus a bundle and a
//! receipt from another device) and copied into each case's own folder, so the catalogue
//! costs one process per row. Rows that fail on today's code for reasons outside this
//! file's reach are kept as `#[ignore = "bug: …"]` tests at the end.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use crate::common::{msht, record};

/// What the rows share: a recorded database and a bundle and receipt from elsewhere.
struct Fixture {
    db: Vec<u8>,
    /// A hub (keys made, the bundle's device trusted) for the import rows.
    hub: Vec<u8>,
    ids: Vec<String>,
    bundle: Vec<u8>,
    receipt: Vec<u8>,
}

const ANSWERS: &str = r#"{"checklist":"general","officer":"PC 1","answers":{"general_nation":"england","general_danger":"no","general_age":"yes"}}"#;

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("device.db");
        let ids = vec![record(&db, ANSWERS), record(&db, ANSWERS)];
        let other = dir.path().join("other.db");
        record(&other, ANSWERS);
        let share = dir.path().join("share");
        std::fs::create_dir(&share).unwrap();
        let hub_db = dir.path().join("hub.db");
        crate::common::enroll(&hub_db, &[&other]);
        let push = msht(&other)
            .args(["sync", "push", "--to"])
            .arg(&share)
            .output()
            .unwrap();
        assert!(push.status.success(), "{push:?}");
        let hub = msht(&hub_db)
            .args(["sync", "import"])
            .arg(&share)
            .output()
            .unwrap();
        assert!(hub.status.success(), "{hub:?}");
        let by_ext = |ext: &str| {
            let f = std::fs::read_dir(&share)
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| p.extension().is_some_and(|x| x == ext))
                .unwrap();
            std::fs::read(f).unwrap()
        };
        Fixture {
            db: std::fs::read(&db).unwrap(),
            hub: std::fs::read(&hub_db).unwrap(),
            ids,
            bundle: by_ext("mshtbundle"),
            receipt: by_ext("mshtreceipt"),
        }
    })
}

/// What a row expects on stderr.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Says {
    /// Exactly one line: one sentence starting `msht: `.
    Sentence,
    /// One sentence, then the guidance problems behind it, each `  file:line: message`.
    SentenceAndProblems,
    /// Every line one sentence: `sync import` reports each refused file, then a summary.
    PerFile,
    /// Success: nothing on stderr, or one sentence (a note such as "no results").
    Quiet,
}

type Setup = fn(&Path, &Fixture);

struct Case {
    name: &'static str,
    args: Vec<OsString>,
    stdin: Option<Vec<u8>>,
    env: Vec<(&'static str, String)>,
    setup: Option<Setup>,
    code: i32,
    says: Says,
    timeout: Duration,
}

/// A row: `args` may use `{dir}` (the case's folder), `{id}`, `{id2}` (the recorded
/// encounters) and `{prefix}` (a prefix both ids share).
fn case(name: &'static str, args: &[&str], code: i32) -> Case {
    Case {
        name,
        args: args.iter().map(|a| OsString::from(*a)).collect(),
        stdin: None,
        env: Vec::new(),
        setup: None,
        code,
        timeout: Duration::from_secs(60),
        says: if code == 0 {
            Says::Quiet
        } else {
            Says::Sentence
        },
    }
}

impl Case {
    fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(bytes.into());
        self
    }
    fn env(mut self, key: &'static str, value: &str) -> Self {
        self.env.push((key, value.to_string()));
        self
    }
    fn setup(mut self, f: Setup) -> Self {
        self.setup = Some(f);
        self
    }
    fn per_file(mut self) -> Self {
        self.says = Says::PerFile;
        self
    }
    fn problems(mut self) -> Self {
        self.says = Says::SentenceAndProblems;
        self
    }
    /// An argument that is not UTF-8.
    fn raw_arg(mut self, bytes: &[u8]) -> Self {
        self.args.push(OsString::from_vec(bytes.to_vec()));
        self
    }
}

/// One file or folder as it was: kind, permissions and content.
#[derive(Debug, PartialEq)]
struct Entry {
    kind: &'static str,
    mode: u32,
    bytes: Vec<u8>,
}

/// Everything under `dir`, without following links. SQLite's `-shm` index is compared by
/// presence only: a reader may legitimately touch it.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Entry> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let m = std::fs::symlink_metadata(&p).unwrap();
            let t = m.file_type();
            let (kind, bytes) = if t.is_symlink() {
                (
                    "link",
                    std::fs::read_link(&p).unwrap().into_os_string().into_vec(),
                )
            } else if t.is_dir() {
                stack.push(p.clone());
                ("dir", vec![])
            } else if t.is_fifo() {
                ("fifo", vec![])
            } else if p.to_string_lossy().ends_with("-shm") {
                ("shm", vec![])
            } else {
                ("file", std::fs::read(&p).unwrap())
            };
            let mode = m.permissions().mode() & 0o7777;
            out.insert(
                p.strip_prefix(dir).unwrap().to_path_buf(),
                Entry { kind, mode, bytes },
            );
        }
    }
    out
}

/// What differs between two snapshots, if anything.
fn changes(before: &BTreeMap<PathBuf, Entry>, after: &BTreeMap<PathBuf, Entry>) -> Option<String> {
    let mut changed: Vec<&PathBuf> = before
        .keys()
        .chain(after.keys())
        .filter(|k| before.get(*k) != after.get(*k))
        .collect();
    changed.dedup();
    (!changed.is_empty()).then(|| format!("the folder changed: {changed:?}"))
}

/// Raw text from below the command line that must never reach the user.
const RAW: &[&str] = &[
    "panicked",
    "backtrace",
    "internal error",
    "database is locked",
    "disk i/o error",
    "file is not a database",
    "malformed",
    "unable to open database",
    "readonly database",
    "no such table",
    "sqlite_",
    "sql logic error",
    "usage:",
    "for more information",
];

fn stderr_problem(says: Says, code: i32, err: &str) -> Option<String> {
    let lower = err.to_lowercase();
    if let Some(raw) = RAW.iter().find(|r| lower.contains(*r)) {
        return Some(format!("stderr shows raw text {raw:?}"));
    }
    if err.chars().any(|c| c.is_control() && c != '\n') {
        return Some("stderr holds a control character".into());
    }
    let lines: Vec<&str> = err.lines().collect();
    let sentence_ok = |l: &str| l.starts_with("msht: ") && l.len() > 10;
    match says {
        Says::Quiet if lines.is_empty() => None,
        Says::Quiet if lines.len() == 1 && sentence_ok(lines[0]) => None,
        Says::Sentence if lines.len() == 1 && sentence_ok(lines[0]) => None,
        Says::PerFile if !lines.is_empty() && lines.iter().all(|l| sentence_ok(l)) => None,
        Says::SentenceAndProblems
            if !lines.is_empty()
                && sentence_ok(lines[0])
                && lines[1..]
                    .iter()
                    .all(|l| l.starts_with("  ") && l.contains(':')) =>
        {
            None
        }
        _ => Some(format!(
            "expected {says:?} for exit {code}, got {} line(s)",
            lines.len()
        )),
    }
}

fn expand(a: &OsString, dir: &Path, f: &Fixture) -> OsString {
    let Some(s) = a.to_str() else {
        return a.clone();
    };
    let prefix = common_prefix(&f.ids[0], &f.ids[1]);
    OsString::from(
        s.replace("{dir}", &dir.to_string_lossy())
            .replace("{id2}", &f.ids[1])
            .replace("{id}", &f.ids[0])
            .replace("{prefix}", &prefix),
    )
}

fn common_prefix(a: &str, b: &str) -> String {
    a.chars()
        .zip(b.chars())
        .take_while(|(x, y)| x == y)
        .map(|(x, _)| x)
        .collect()
}

/// Runs one row in a fresh folder; `Err` says what went wrong.
fn run(c: &Case) -> Result<(), String> {
    let f = fixture();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = dir.join("msht.db");
    std::fs::write(&db, &f.db).unwrap();
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o600)).unwrap();
    let hub = dir.join("hub.db");
    std::fs::write(&hub, &f.hub).unwrap();
    std::fs::set_permissions(&hub, std::fs::Permissions::from_mode(0o600)).unwrap();
    if let Some(setup) = c.setup {
        setup(dir, f);
    }
    let before = snapshot(dir);
    let mut cmd = msht(&db);
    // The case runs in its folder, so a file written by mistake shows as a stray.
    cmd.current_dir(dir).timeout(c.timeout);
    cmd.args(c.args.iter().map(|a| expand(a, dir, f)));
    for (k, v) in &c.env {
        cmd.env(k, v.replace("{dir}", &dir.to_string_lossy()));
    }
    if let Some(input) = &c.stdin {
        cmd.write_stdin(input.clone());
    }
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let mut problems = Vec::new();
    if out.status.code() != Some(c.code) {
        problems.push(format!("exit {:?}, expected {}", out.status.code(), c.code));
    }
    if let Some(p) = stderr_problem(c.says, c.code, &err) {
        problems.push(p);
    }
    problems.extend(changes(&before, &snapshot(dir)));
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}: {}\n    stderr: {err:?}",
            c.name,
            problems.join("; ")
        ))
    }
}

/// Runs every row and reports every failure together.
fn run_all(cases: Vec<Case>) {
    let failures: Vec<String> = cases.iter().filter_map(|c| run(c).err()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} case(s) failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, bytes).unwrap();
    // Owner-only, as msht makes its own files, so a mode msht restores is not a change.
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
}

fn mkfifo(p: &Path) {
    let c = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo only creates a file.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

/// The bundled guidance written out as a folder, to be damaged by one row.
fn guidance_copy(dir: &Path) -> PathBuf {
    let g = dir.join("g");
    for f in msht::guidance::GuidanceFiles::embedded().files {
        write(&g, &f.path, &f.bytes);
    }
    g
}

fn replace_in(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} lacks {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

// ---------------------------------------------------------------------------------------
// Command-line arguments and flags.

fn argument_cases() -> Vec<Case> {
    vec![
        case("unknown command", &["frobnicate"], 64),
        case("unknown flag", &["search", "debt", "--frobnicate"], 64),
        case("flag without its value", &["export", "{id}", "--out"], 64),
        case(
            "unknown export format",
            &["export", "{id}", "--format", "pdf"],
            64,
        ),
        case("export without an id", &["export"], 64),
        case(
            "export --force without --out",
            &["export", "{id}", "--force"],
            64,
        ),
        case("export an id and --all", &["export", "{id}", "--all"], 64),
        case(
            // A draft resumes on its own checklist (`--resume` with `--answers` finishes a
            // draft from a file since issue 14).
            "resume with a checklist",
            &["check", "--resume", "{id}", "--checklist", "general"],
            64,
        ),
        case(
            "unknown list status",
            &["encounters", "list", "--status", "lost"],
            64,
        ),
        case(
            "list since a non-date",
            &["encounters", "list", "--since", "yesterday-ish"],
            64,
        ),
        case("void without a reason", &["encounters", "void", "{id}"], 64),
        case(
            "amend without a reason",
            &["encounters", "amend", "{id}"],
            64,
        ),
        case("sync push without a folder", &["sync", "push"], 64),
        case("sync import without a path", &["sync", "import"], 64),
        case(
            "sync push to a missing folder",
            &["sync", "push", "--to", "{dir}/none"],
            66,
        ),
        case(
            "sync prune --held with an encounter",
            &["sync", "prune", "--held", "{id}"],
            64,
        ),
        case(
            "hostile command name",
            &["\u{1b}]0;owned\u{7}\u{1b}[2J"],
            64,
        ),
        case("unknown checklist", &["checklist", "show", "nosuch"], 66),
        case("unknown topic", &["guide", "show", "nosuch"], 66),
        case(
            "topic with hostile bytes",
            &["guide", "show", "\u{1b}[31mred\u{202e}"],
            66,
        ),
        case("an argument that is not UTF-8", &["search"], 64).raw_arg(b"debt\xff\xfe"),
        case("search with no words", &["search"], 64),
        case("search with only spaces", &["search", "   "], 64),
    ]
}

fn limit_cases() -> Vec<Case> {
    vec![
        case("--limit 0", &["search", "debt", "--limit", "0"], 64),
        case("--limit -1", &["search", "debt", "--limit", "-1"], 64),
        case("--limit words", &["search", "debt", "--limit", "ten"], 64),
        case("--limit empty", &["search", "debt", "--limit", ""], 64),
        case(
            "--limit 2^64",
            &["search", "debt", "--limit", "18446744073709551616"],
            64,
        ),
        case("--limit 101", &["search", "debt", "--limit", "101"], 64),
        case("--limit 1.5", &["search", "debt", "--limit", "1.5"], 64),
        case(
            "list --limit huge",
            &["encounters", "list", "--limit", "99999999999999999999"],
            64,
        ),
        case(
            "list --limit negative",
            &["encounters", "list", "--limit", "-5"],
            64,
        ),
    ]
}

fn search_cases() -> Vec<Case> {
    let q = |name, words: &'static str| case(name, &["search", words], 0);
    vec![
        q("unclosed quote", "\"debt bondage"),
        q("FTS NEAR", "NEAR(debt bondage, 2)"),
        case("FTS star alone", &["search", "*"], 64),
        q("FTS caret", "^debt"),
        q("FTS column filter", "title:debt"),
        q("FTS boolean words", "AND OR NOT"),
        q("unbalanced brackets", "((((debt"),
        case("minus and plus", &["search", "--", "-debt", "+passport"], 0),
        q("SQL injection", "'; DROP TABLE events; --"),
        q("emoji and bidi", "\u{1f6a8}\u{202e}debt"),
        q(
            "a 20,000-character word",
            Box::leak("a".repeat(20_000).into_boxed_str()),
        ),
        q(
            "2,000 words",
            Box::leak("debt ".repeat(2_000).into_boxed_str()),
        ),
        case(
            "NUL-free control characters",
            &["search", "\u{1b}[2Jdebt\u{7}"],
            0,
        ),
    ]
}

// ---------------------------------------------------------------------------------------
// Answers files: `check --answers FILE` and `-`.

fn answers_case(name: &'static str, body: &'static str, code: i32) -> Case {
    case(name, &["check", "--answers", "-"], code).stdin(body)
}

fn answers_cases() -> Vec<Case> {
    vec![
        case(
            "answers file missing",
            &["check", "--answers", "{dir}/none.json"],
            66,
        ),
        case(
            "answers file empty",
            &["check", "--answers", "{dir}/a.json"],
            65,
        )
        .setup(|d, _| write(d, "a.json", b"")),
        case(
            "answers file binary junk",
            &["check", "--answers", "{dir}/a.json"],
            65,
        )
        .setup(|d, _| {
            write(
                d,
                "a.json",
                &(0..=255u8).cycle().take(4096).collect::<Vec<_>>(),
            )
        }),
        case(
            "answers file not UTF-8",
            &["check", "--answers", "{dir}/a.json"],
            65,
        )
        .setup(|d, _| {
            write(
                d,
                "a.json",
                b"{\"checklist\":\"general\",\"officer\":\"PC \xff\",\"answers\":{}}",
            )
        }),
        case(
            "answers file over 1 MiB",
            &["check", "--answers", "{dir}/a.json"],
            65,
        )
        .setup(|d, _| {
            let mut body = br#"{"checklist":"general","officer":"PC 1","notes":""#.to_vec();
            body.extend(std::iter::repeat_n(b'x', 2 << 20));
            body.extend(br#""}"#);
            write(d, "a.json", &body)
        }),
        answers_case("stdin empty", "", 65),
        answers_case("stdin not JSON", "checklist: general", 65),
        answers_case("JSON array", "[1, 2, 3]", 65),
        answers_case("JSON string", "\"general\"", 65),
        answers_case(
            "cut off",
            r#"{"checklist":"general","officer":"PC 1","answers":{"gen"#,
            65,
        ),
        answers_case(
            "unknown field",
            r#"{"checklist":"general","officer":"PC 1","answers":{},"colour":"red"}"#,
            65,
        ),
        answers_case(
            "answers is a list",
            r#"{"checklist":"general","officer":"PC 1","answers":["yes"]}"#,
            65,
        ),
        answers_case(
            "unknown checklist",
            r#"{"checklist":"nosuch","officer":"PC 1","answers":{}}"#,
            65,
        ),
        answers_case(
            "unknown question",
            r#"{"checklist":"general","officer":"PC 1","answers":{"general_age":"yes","no_such":"yes"}}"#,
            65,
        ),
        answers_case(
            "yes/no given a number",
            r#"{"checklist":"general","officer":"PC 1","answers":{"general_age":3}}"#,
            65,
        ),
        answers_case(
            "yes/no given a word",
            r#"{"checklist":"general","officer":"PC 1","answers":{"general_age":"perhaps"}}"#,
            65,
        ),
        answers_case(
            "yes/no given an object",
            r#"{"checklist":"general","officer":"PC 1","answers":{"general_age":{"a":1}}}"#,
            65,
        ),
        answers_case(
            "a question not asked",
            r#"{"checklist":"general","officer":"PC 1","answers":{"general_age":"no","child_unaccompanied":"yes"}}"#,
            65,
        ),
        answers_case(
            "an action for a prompt not raised",
            r#"{"checklist":"general","officer":"PC 1","answers":{"general_age":"yes"},"actions":{"interpreter":"done"}}"#,
            65,
        ),
        answers_case(
            "deep JSON nesting",
            Box::leak(
                format!(
                    r#"{{"checklist":"general","officer":"PC 1","answers":{{}},"notes":{}1{}}}"#,
                    "[".repeat(5_000),
                    "]".repeat(5_000)
                )
                .into_boxed_str(),
            ),
            65,
        ),
        answers_case(
            "officer over 10,000 characters",
            Box::leak(
                format!(
                    r#"{{"checklist":"general","officer":"{}","answers":{{"general_age":"yes"}}}}"#,
                    "P".repeat(10_001)
                )
                .into_boxed_str(),
            ),
            65,
        ),
        answers_case(
            "hostile checklist id",
            "{\"checklist\":\"\\u001b[2J\\u202e\",\"officer\":\"PC 1\",\"answers\":{}}",
            65,
        ),
        answers_case(
            "NUL in the officer",
            "{\"checklist\":\"general\",\"officer\":\"PC\\u0000 1\",\"answers\":{\"general_age\":\"yes\"},\"complete\":\"maybe\"}",
            65,
        ),
    ]
}

// ---------------------------------------------------------------------------------------
// Guidance folders: `--guidance DIR`, `MSHT_GUIDANCE`, `guidance validate DIR`.

fn guidance_cases() -> Vec<Case> {
    vec![
        case(
            "--guidance missing folder",
            &["--guidance", "{dir}/none", "search", "debt"],
            66,
        ),
        case(
            "--guidance empty folder",
            &["--guidance", "{dir}/g", "search", "debt"],
            65,
        )
        .setup(|d, _| std::fs::create_dir(d.join("g")).unwrap())
        .problems(),
        case(
            "validate a missing folder",
            &["guidance", "validate", "{dir}/none"],
            66,
        ),
        case(
            "validate a checklist that does not parse",
            &["guidance", "validate", "{dir}/g"],
            65,
        )
        .setup(|d, _| write(&guidance_copy(d), "checklists/general.toml", b"x = [")),
        case(
            "--guidance with a checklist that does not parse",
            &["--guidance", "{dir}/g", "checklist", "list"],
            65,
        )
        .setup(|d, _| write(&guidance_copy(d), "checklists/general.toml", b"x = ["))
        .problems(),
        case(
            "validate a file that is not UTF-8",
            &["guidance", "validate", "{dir}/g"],
            65,
        )
        .setup(|d, _| write(&guidance_copy(d), "topics/nrm.md", b"\xff\xfe\x00bad")),
        case(
            "validate without manifest.toml",
            &["guidance", "validate", "{dir}/g"],
            65,
        )
        .setup(|d, _| std::fs::remove_file(guidance_copy(d).join("manifest.toml")).unwrap()),
        case(
            "validate without prompts.toml",
            &["guidance", "validate", "{dir}/g"],
            65,
        )
        .setup(|d, _| std::fs::remove_file(guidance_copy(d).join("prompts.toml")).unwrap()),
        case(
            "validate 10,000 nested brackets",
            &["guidance", "validate", "{dir}/g"],
            65,
        )
        .setup(|d, _| {
            let c = format!(
                "{}general_age = \"yes\"{}",
                "(".repeat(10_000),
                ")".repeat(10_000)
            );
            let p = guidance_copy(d).join("checklists/child.toml");
            let text = std::fs::read_to_string(&p).unwrap();
            let at = text.find("when = ").unwrap();
            let end = at + text[at..].find('\n').unwrap();
            std::fs::write(&p, format!("{}when = '{c}'{}", &text[..at], &text[end..])).unwrap();
        }),
        case(
            "validate 100,000 chained not",
            &["guidance", "validate", "{dir}/g"],
            65,
        )
        .setup(|d, _| {
            let c = format!("{}general_age = \"yes\"", "not ".repeat(100_000));
            let p = guidance_copy(d).join("checklists/child.toml");
            let text = std::fs::read_to_string(&p).unwrap();
            let at = text.find("when = ").unwrap();
            let end = at + text[at..].find('\n').unwrap();
            std::fs::write(&p, format!("{}when = '{c}'{}", &text[..at], &text[end..])).unwrap();
        }),
        case(
            "validate a duplicate question id",
            &["guidance", "validate", "{dir}/g"],
            65,
        )
        .setup(|d, _| {
            let g = guidance_copy(d);
            replace_in(
                &g.join("checklists/child.toml"),
                "id = \"child_",
                "id = \"general_age\"\nx_id = \"child_",
            );
        }),
        case(
            "validate a folder that links to itself",
            &["guidance", "validate", "{dir}/g"],
            65,
        )
        .setup(|d, _| {
            std::os::unix::fs::symlink(".", guidance_copy(d).join("topics/loop")).unwrap()
        }),
        case(
            "validate a FIFO among the topics",
            &["guidance", "validate", "{dir}/g"],
            65,
        )
        .setup(|d, _| mkfifo(&guidance_copy(d).join("topics/pipe.md"))),
        case(
            "validate a 5 MiB topic",
            &["guidance", "validate", "{dir}/g"],
            65,
        )
        .setup(|d, _| write(&guidance_copy(d), "topics/huge.md", &vec![b'a'; 5 << 20])),
        case(
            "validate a stray file",
            &["guidance", "validate", "{dir}/g"],
            65,
        )
        .setup(|d, _| write(&guidance_copy(d), "notes.txt", b"hello")),
        case("MSHT_GUIDANCE at a missing folder", &["search", "debt"], 66)
            .env("MSHT_GUIDANCE", "{dir}/none"),
        case("MSHT_GUIDANCE at /dev/null", &["checklist", "list"], 66)
            .env("MSHT_GUIDANCE", "/dev/null"),
        case("MSHT_GUIDANCE at a file of junk", &["guide", "list"], 66)
            .env("MSHT_GUIDANCE", "{dir}/junk")
            .setup(|d, _| write(d, "junk", b"\x00\x01junk")),
    ]
}

// ---------------------------------------------------------------------------------------
// Bundles and receipts for `sync import`.

fn bundle_case(name: &'static str, code: i32, make: Setup) -> Case {
    let mut c = case(name, &["sync", "import", "{dir}/in/x.mshtbundle"], code)
        .env("MSHT_DB", "{dir}/hub.db")
        .setup(make);
    c.says = Says::PerFile;
    c
}

fn bundle_cases() -> Vec<Case> {
    fn put(d: &Path, bytes: &[u8]) {
        write(d, "in/x.mshtbundle", bytes);
    }
    fn flip(f: &Fixture, at: usize) -> Vec<u8> {
        let mut b = f.bundle.clone();
        b[at] ^= 0x01;
        b
    }
    vec![
        case(
            "import a missing file",
            &["sync", "import", "{dir}/none.mshtbundle"],
            66,
        ),
        bundle_case("import an empty bundle", 65, |d, _| put(d, b"")),
        bundle_case("import a bundle cut in half", 65, |d, f| {
            put(d, &f.bundle[..f.bundle.len() / 2])
        }),
        bundle_case("import a bundle cut inside its manifest", 65, |d, f| {
            put(d, &f.bundle[..40])
        }),
        bundle_case("import a bundle missing its last newline", 65, |d, f| {
            put(d, &f.bundle[..f.bundle.len() - 1])
        }),
        bundle_case("import a bundle with a flipped event byte", 65, |d, f| {
            put(d, &flip(f, f.bundle.len() - 50))
        }),
        bundle_case(
            "import a bundle with a flipped manifest byte",
            65,
            |d, f| put(d, &flip(f, 60)),
        ),
        // A bundle is sealed: only its plaintext header line can be edited by hand.
        bundle_case("import a bundle sealed to another hub", 65, |d, f| {
            put(
                d,
                &edit_header(f, |h| h.replacen("\"to\":\"", "\"to\":\"X", 1)),
            )
        }),
        bundle_case("import a bundle of a newer format", 65, |d, f| {
            put(
                d,
                &edit_header(f, |h| h.replacen("\"version\":2", "\"version\":99", 1)),
            )
        }),
        bundle_case("import a bundle of another format", 65, |d, f| {
            put(
                d,
                &edit_header(f, |h| h.replacen("sealed-bundle", "sealed-bundlf", 1)),
            )
        }),
        bundle_case("import a bundle with an extra event line", 65, |d, f| {
            let mut b = f.bundle.clone();
            let last = b[..b.len() - 1].iter().rposition(|&c| c == b'\n').unwrap();
            let line = b[last + 1..].to_vec();
            b.extend(line);
            put(d, &b)
        }),
        bundle_case("import binary junk", 65, |d, _| {
            put(
                d,
                &(0..=255u8).rev().cycle().take(10_000).collect::<Vec<_>>(),
            )
        }),
        bundle_case("import one 8 MiB line", 65, |d, _| {
            let mut b = b"{\"format\":\"".to_vec();
            b.extend(std::iter::repeat_n(b'a', 8 << 20));
            put(d, &b)
        }),
        bundle_case("import a JSON array", 65, |d, _| put(d, b"[1,2,3]\n[4]\n")),
        bundle_case("import a manifest only", 65, |d, f| {
            let end = f.bundle.iter().position(|&b| b == b'\n').unwrap();
            put(d, &f.bundle[..=end])
        }),
        bundle_case("import a receipt as a bundle", 65, |d, f| {
            put(d, &f.receipt)
        }),
        bundle_case("import a bundle whose name is hostile", 65, |d, _| {
            write(d, "in/x.mshtbundle", b"");
            write(d, "in/\u{1b}[2J\u{202e}.mshtbundle", b"junk");
        }),
        case(
            "import a folder holding a damaged bundle and receipt",
            &["sync", "import", "{dir}/in"],
            65,
        )
        .env("MSHT_DB", "{dir}/hub.db")
        .per_file()
        .setup(|d, f| {
            write(d, "in/x.mshtbundle", &flip(f, f.bundle.len() - 50));
            let mut r = f.receipt.clone();
            r.truncate(r.len() / 2);
            write(d, "in/x.hub.mshtreceipt", &r);
        }),
    ]
}

// ---------------------------------------------------------------------------------------
// The database file, and MSHT_DB.

fn database_cases() -> Vec<Case> {
    vec![
        // With a key given, junk cannot be told from a database encrypted with another
        // key: the key does not open it (77).
        case("a database of junk", &["encounters", "list"], 77)
            .env("MSHT_DB", "{dir}/junk.db")
            .setup(|d, _| {
                write(
                    d,
                    "junk.db",
                    &(0..=255u8).cycle().take(8192).collect::<Vec<_>>(),
                )
            }),
        case("a database cut short", &["encounters", "list"], 65)
            .env("MSHT_DB", "{dir}/cut.db")
            .setup(|d, f| write(d, "cut.db", &f.db[..f.db.len() / 2])),
        case("a text file as the database", &["export", "{id}"], 65)
            .env("MSHT_DB", "{dir}/notes.txt")
            .setup(|d, _| write(d, "notes.txt", b"shopping: milk, eggs\n")),
        case("a database that is a folder", &["encounters", "list"], 74)
            .env("MSHT_DB", "{dir}/adir")
            .setup(|d, _| std::fs::create_dir(d.join("adir")).unwrap()),
        // A read needs an existing database: nothing is created for it (66).
        case("a database under a file", &["encounters", "list"], 66)
            .env("MSHT_DB", "{dir}/msht.db/inner.db"),
        case("a database from a newer msht", &["encounters", "list"], 65)
            .env("MSHT_DB", "{dir}/new.db")
            .setup(|d, f| {
                write(d, "new.db", &f.db);
                let c = crate::common::raw_connection(&d.join("new.db"));
                c.pragma_update(None, "user_version", 9_999).unwrap();
            }),
        case("MSHT_DB empty", &["encounters", "list"], 64).env("MSHT_DB", ""),
        case("--db empty", &["--db", "", "encounters", "list"], 64),
    ]
}

// ---------------------------------------------------------------------------------------
// Encounter ids.

fn id_cases() -> Vec<Case> {
    vec![
        case(
            "unknown id",
            &["encounters", "show", "00000000-0000-7000-8000-000000000000"],
            66,
        ),
        case("ambiguous id", &["encounters", "show", "{prefix}"], 66),
        case("ambiguous id to export", &["export", "{prefix}"], 66),
        case(
            "ambiguous id to void",
            &["encounters", "void", "{prefix}", "--reason", "x"],
            66,
        ),
        case("empty id", &["encounters", "show", ""], 66),
        case("a LIKE wildcard as an id", &["encounters", "show", "%"], 66),
        case("an underscore id", &["encounters", "show", "________"], 66),
        case("SQL in an id", &["export", "' OR 1=1 --"], 66),
        case(
            "escape codes in an id",
            &["encounters", "show", "\u{1b}]52;c;aGk=\u{7}\u{1b}[2J"],
            66,
        ),
        case(
            "a 100,000-character id",
            &[
                "encounters",
                "show",
                Box::leak("a".repeat(100_000).into_boxed_str()),
            ],
            66,
        ),
        // Without a terminal the resume is refused before the id is looked up.
        case(
            "resume an unknown id",
            &["check", "--resume", "ffffffff"],
            64,
        ),
        case(
            "complete an unknown id",
            &["encounters", "complete", "ffffffff"],
            66,
        ),
        case(
            "amend a draft-less unknown id",
            &[
                "encounters",
                "amend",
                "ffffffff",
                "--reason",
                "x",
                "--note",
                "y",
            ],
            66,
        ),
    ]
}

// ---------------------------------------------------------------------------------------
// Environment.

fn env_cases() -> Vec<Case> {
    vec![
        case("COLUMNS=0", &["guide", "list"], 0).env("COLUMNS", "0"),
        case("COLUMNS huge", &["checklist", "show", "general"], 0).env("COLUMNS", "99999999999"),
        case("COLUMNS not a number", &["search", "debt"], 0).env("COLUMNS", "wide"),
        case("MSHT_CACHE_DIR at a file", &["search", "debt"], 0)
            .env("MSHT_CACHE_DIR", "{dir}/msht.db"),
    ]
}

#[test]
fn catalogue_has_at_least_80_cases() {
    let n = [
        argument_cases().len(),
        limit_cases().len(),
        search_cases().len(),
        answers_cases().len(),
        guidance_cases().len(),
        bundle_cases().len(),
        database_cases().len(),
        id_cases().len(),
        env_cases().len(),
    ]
    .iter()
    .sum::<usize>();
    assert!(n >= 80, "only {n} cases");
}

#[test]
fn bad_arguments() {
    run_all(argument_cases());
}

#[test]
fn bad_limits() {
    run_all(limit_cases());
}

#[test]
fn hostile_search_queries() {
    run_all(search_cases());
}

#[test]
fn bad_answers_files() {
    run_all(answers_cases());
}

#[test]
fn bad_guidance_folders() {
    run_all(guidance_cases());
}

#[test]
fn bad_bundles_and_receipts() {
    run_all(bundle_cases());
}

#[test]
fn bad_databases() {
    run_all(database_cases());
}

#[test]
fn bad_ids() {
    run_all(id_cases());
}

#[test]
fn odd_environment() {
    run_all(env_cases());
}

/// Another process holds a write transaction for longer than msht waits: exit 75 and one
/// sentence, never SQLite's "database is locked", and nothing written. (Slow by nature:
/// msht waits several seconds before giving up, so this row has a test of its own and
/// runs beside the others.)
#[test]
fn a_locked_database_is_exit_75() {
    let holder: Setup = |d, _| {
        let c = crate::common::raw_connection(&d.join("msht.db"));
        c.execute_batch("BEGIN IMMEDIATE; CREATE TABLE held_by_test(x);")
            .unwrap();
        // Held until the process ends: the transaction is never committed.
        std::mem::forget(c);
    };
    run_all(vec![
        case(
            "check while another process writes",
            &["check", "--answers", "-"],
            75,
        )
        .stdin(ANSWERS)
        .setup(holder),
    ]);
}

/// Immutable as far as root is concerned (`chattr +i`), or read-only for anyone else;
/// undone on drop so the temporary folder can be removed.
struct ReadOnly(PathBuf);

impl ReadOnly {
    fn make(dir: &Path) -> ReadOnly {
        let chattr = std::process::Command::new("chattr")
            .arg("+i")
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        if !chattr {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).unwrap();
        }
        ReadOnly(dir.to_path_buf())
    }
    fn writable(&self) -> bool {
        std::fs::write(self.0.join(".probe"), b"").is_ok()
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        let _ = std::process::Command::new("chattr")
            .arg("-i")
            .arg(&self.0)
            .status();
        let _ = std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(0o755));
    }
}

/// Runs `args` against a copy of the fixture in a folder nobody can write to.
fn in_read_only_folder(args: &[&str], code: i32) -> Result<(), String> {
    let f = fixture();
    let tmp = tempfile::tempdir().unwrap();
    let ro = tmp.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    let db = ro.join("msht.db");
    std::fs::write(&db, &f.db).unwrap();
    // Owner-only, as msht makes it: a looser file is tightened on open, which is a change
    // this case is not about.
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o600)).unwrap();
    let guard = ReadOnly::make(&ro);
    if guard.writable() {
        eprintln!("skipped: this machine cannot make a read-only folder");
        return Ok(());
    }
    let before = snapshot(tmp.path());
    let args: Vec<OsString> = args
        .iter()
        .map(|a| expand(&OsString::from(*a), tmp.path(), f))
        .collect();
    let out = msht(&db)
        .args(&args)
        .write_stdin(ANSWERS)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let mut problems = Vec::new();
    if out.status.code() != Some(code) {
        problems.push(format!("exit {:?}, expected {code}", out.status.code()));
    }
    let says = if code == 0 {
        Says::Quiet
    } else {
        Says::Sentence
    };
    problems.extend(stderr_problem(says, code, &err));
    problems.extend(changes(&before, &snapshot(tmp.path())));
    drop(guard);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{args:?}: {}; stderr {err:?}", problems.join("; ")))
    }
}

#[test]
fn a_read_only_folder_can_still_be_read() {
    let reads: [&[&str]; 5] = [
        &["encounters", "show", "{id}"],
        &["encounters", "list"],
        &["export", "{id}"],
        &["export", "{id}", "--format", "json"],
        &["doctor"],
    ];
    let failed: Vec<String> = reads
        .iter()
        .filter_map(|args| in_read_only_folder(args, 0).err())
        .collect();
    assert!(failed.is_empty(), "{failed:#?}");
}

#[test]
fn a_write_to_a_read_only_folder_is_one_plain_sentence() {
    in_read_only_folder(&["check", "--answers", "-"], 74).unwrap();
}

#[test]
fn a_fifo_as_the_database_is_refused_untouched() {
    run_all(vec![
        case("a FIFO as the database", &["encounters", "list"], 74)
            .env("MSHT_DB", "{dir}/fifo")
            .setup(|d, _| {
                mkfifo(&d.join("fifo"));
                std::fs::set_permissions(d.join("fifo"), std::fs::Permissions::from_mode(0o644))
                    .unwrap();
            }),
    ]);
}

#[test]
fn one_refused_bundle_is_one_sentence() {
    let mut c = bundle_case("import one empty bundle", 65, |d, _| {
        write(d, "in/x.mshtbundle", b"")
    });
    c.says = Says::Sentence;
    run_all(vec![c]);
}

#[test]
fn a_damaged_page_is_one_plain_sentence() {
    run_all(vec![
        case(
            "a database with a damaged page",
            &["encounters", "show", "{id}"],
            65,
        )
        .env("MSHT_DB", "{dir}/bad.db")
        .setup(|d, f| {
            let mut b = f.db.clone();
            // Every page after the first: the header stays good, the tables do not.
            for x in &mut b[4096..] {
                *x = !*x;
            }
            write(d, "bad.db", &b)
        }),
    ]);
}

#[test]
fn an_answers_folder_is_missing_input() {
    run_all(vec![case(
        "answers file is a folder",
        &["check", "--answers", "{dir}"],
        66,
    )]);
}

#[test]
fn a_fifo_bundle_is_refused_not_waited_on() {
    let mut c = case(
        "import a FIFO",
        &["sync", "import", "{dir}/in/x.mshtbundle"],
        65,
    )
    .env("MSHT_DB", "{dir}/hub.db")
    .per_file()
    .setup(|d, _| {
        std::fs::create_dir(d.join("in")).unwrap();
        mkfifo(&d.join("in/x.mshtbundle"));
    });
    c.timeout = Duration::from_secs(10);
    run_all(vec![c]);
}

/// The fixture's bundle with its plaintext header line (the part before the sealed box)
/// changed by `edit`.
fn edit_header(f: &Fixture, edit: impl Fn(&str) -> String) -> Vec<u8> {
    let end = f
        .bundle
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(f.bundle.len());
    let header = String::from_utf8_lossy(&f.bundle[..end]);
    let edited = edit(&header);
    assert_ne!(edited, header, "the edit changed the header: {header}");
    let mut out = edited.into_bytes();
    out.extend_from_slice(&f.bundle[end..]);
    out
}
