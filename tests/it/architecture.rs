//! The layers of ARCHITECTURE.md, enforced: reads every `crate::` path in `src/` (test code
//! left out) and fails on an import that breaks the rules, naming the file and line. Also
//! keeps exit codes and printing in `cli/`, CLI flags and commands out of domain errors, and
//! every function under 100 lines.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Each top-level module and the modules it may use. A module not listed here fails the
/// test: a new module needs a place in the layers (and a line in ARCHITECTURE.md).
const LAYERS: &[(&str, &[&str])] = &[
    // Leaves: used by everything, use nothing of ours.
    ("text", &[]),
    ("time", &[]),
    ("fault", &[]),
    ("atomic", &[]),
    // What build.rs made of guidance/: generated data, imports nothing.
    ("built_in", &[]),
    ("config", &["fault", "atomic"]),
    // The guidance set, and what is recorded.
    ("guidance", &["text", "time", "fault", "built_in"]),
    ("record", &["guidance", "text", "time", "fault"]),
    // Domain services.
    ("engine", &["record", "guidance", "text", "time", "fault"]),
    (
        "store",
        &["record", "guidance", "text", "time", "fault", "atomic"],
    ),
    ("search", &["guidance", "text", "fault"]),
    (
        "answers",
        &["engine", "record", "guidance", "text", "fault"],
    ),
    (
        "export",
        &[
            "store", "engine", "record", "guidance", "text", "time", "fault", "atomic",
        ],
    ),
    (
        "sync",
        &[
            "store", "record", "guidance", "text", "time", "fault", "atomic",
        ],
    ),
    // Follow-through: duty outcomes, the review queue, sign-offs.
    (
        "follow",
        &["store", "engine", "record", "guidance", "time", "fault"],
    ),
    // The library's error, gathering every module's error for `?` in commands.
    (
        "error",
        &[
            "answers", "engine", "export", "guidance", "search", "store", "sync", "config",
            "fault", "follow",
        ],
    ),
    // The edge: may use everything.
    ("cli", &["*"]),
];

struct Source {
    rel: String,
    module: String,
    /// The file's lines up to its `#[cfg(test)]` part (test code may reach further).
    lines: Vec<String>,
}

fn sources() -> Vec<Source> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&root, &mut files);
    files
        .into_iter()
        .filter(|p| {
            !matches!(
                p.file_name().and_then(|n| n.to_str()),
                Some("tests.rs" | "fixtures.rs")
            )
        })
        .map(|p| {
            let rel = p
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let module = rel
                .split('/')
                .next()
                .unwrap()
                .trim_end_matches(".rs")
                .to_string();
            let text = std::fs::read_to_string(&p).unwrap();
            let lines = text
                .lines()
                .take_while(|l| !l.starts_with("#[cfg(test)]"))
                .map(str::to_string)
                .collect();
            Source { rel, module, lines }
        })
        .collect()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `crate::NAME` paths on a line, ignoring comments.
fn crate_paths(line: &str) -> Vec<String> {
    let code = line.split("//").next().unwrap_or("");
    code.match_indices("crate::")
        .map(|(i, _)| {
            code[i + 7..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect()
        })
        .collect()
}

#[test]
fn imports_follow_the_layers() {
    let rules: BTreeMap<&str, &[&str]> = LAYERS.iter().copied().collect();
    let mut broken = Vec::new();
    for s in sources() {
        if matches!(s.module.as_str(), "lib" | "main") {
            continue;
        }
        let Some(allowed) = rules.get(s.module.as_str()) else {
            broken.push(format!(
                "src/{}: module '{}' has no place in the layers; add it to LAYERS in tests/it/architecture.rs and to ARCHITECTURE.md",
                s.rel, s.module
            ));
            continue;
        };
        for (n, line) in s.lines.iter().enumerate() {
            for used in crate_paths(line) {
                if used != s.module && !allowed.contains(&"*") && !allowed.contains(&used.as_str())
                {
                    broken.push(format!(
                        "src/{}:{}: '{}' may not use '{used}' (it may use {allowed:?})",
                        s.rel,
                        n + 1,
                        s.module
                    ));
                }
            }
        }
    }
    assert!(
        broken.is_empty(),
        "layer rules broken:\n{}",
        broken.join("\n")
    );
}

#[test]
fn only_cli_knows_exit_codes_and_only_cli_prints() {
    let mut broken = Vec::new();
    for s in sources() {
        let in_cli = s.module == "cli" || s.module == "main";
        for (n, line) in s.lines.iter().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            let at = format!("src/{}:{}", s.rel, n + 1);
            if !in_cli && (code.contains("Exit::") || code.contains("process::exit")) {
                broken.push(format!("{at}: exit codes belong in cli/"));
            }
            if !in_cli
                && ["println!", "print!(", "eprintln!", "eprint!("]
                    .iter()
                    .any(|m| code.contains(m))
            {
                broken.push(format!("{at}: nothing below cli/ prints"));
            }
            let stdout_macro = code.match_indices("print").any(|(i, _)| {
                !code[..i].ends_with('e') && code[i..].starts_with("println!")
                    || code[i..].starts_with("print!(")
            });
            if in_cli && stdout_macro {
                broken.push(format!(
                    "{at}: println! panics on a closed pipe; use cli::output"
                ));
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn domain_errors_name_no_commands_or_flags() {
    let mut broken = Vec::new();
    for s in sources().into_iter().filter(|s| s.module != "cli") {
        let text = s.lines.join("\n");
        let mut rest = text.as_str();
        while let Some(i) = rest.find("#[error(") {
            let attr = &rest[i..];
            let end = attr.find(")]").unwrap_or(attr.len());
            let msg = &attr[..end];
            if ["`msht", "msht check", "msht sync", " --", "`--", "MSHT_"]
                .iter()
                .any(|c| msg.contains(c))
            {
                let line = text[..text.len() - rest.len() + i].lines().count() + 1;
                broken.push(format!("src/{}:{line}: {msg}", s.rel));
            }
            rest = &attr[end.min(attr.len())..];
            if end == attr.len() {
                break;
            }
        }
    }
    assert!(
        broken.is_empty(),
        "domain errors that name a command or flag (add the advice in src/cli/hint.rs):\n{}",
        broken.join("\n")
    );
}

#[test]
fn no_function_is_over_100_lines() {
    let mut long = Vec::new();
    for s in sources() {
        let mut i = 0;
        while i < s.lines.len() {
            let Some(name) = fn_name(&s.lines[i]) else {
                i += 1;
                continue;
            };
            let (mut depth, mut started, mut j) = (0i64, false, i);
            while j < s.lines.len() {
                let l = &s.lines[j];
                depth += l.matches('{').count() as i64 - l.matches('}').count() as i64;
                started |= l.contains('{');
                if (started && depth <= 0) || (!started && l.trim_end().ends_with(';')) {
                    break;
                }
                j += 1;
            }
            if started && j - i + 1 > 100 {
                long.push(format!(
                    "src/{}:{} {name} ({} lines)",
                    s.rel,
                    i + 1,
                    j - i + 1
                ));
            }
            i = if started { j + 1 } else { i + 1 };
        }
    }
    assert!(
        long.is_empty(),
        "functions over 100 lines:\n{}",
        long.join("\n")
    );
}

fn fn_name(line: &str) -> Option<&str> {
    let t = line.trim_start();
    let t = t
        .strip_prefix("pub(crate) ")
        .or_else(|| t.strip_prefix("pub(super) "))
        .or_else(|| t.strip_prefix("pub "))
        .unwrap_or(t);
    let t = t.strip_prefix("const ").unwrap_or(t);
    let t = t.strip_prefix("fn ")?;
    let end = t.find(|c: char| !(c.is_alphanumeric() || c == '_'))?;
    Some(&t[..end])
}
