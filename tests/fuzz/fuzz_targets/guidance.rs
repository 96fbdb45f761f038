//! Guidance parsing and validation: the bundled guidance set with one file replaced (or
//! one file added) by the fuzz input. Starting from the real set means the validator's
//! cross-file checks (reachability, prompts naming topics, conditions naming questions)
//! run on every input, not only the TOML parser. Must never panic or hang; every
//! problem is a `Problem`, never a crash.
#![no_main]

use libfuzzer_sys::fuzz_target;
use msht::guidance::{self, GuidanceFiles, SourceFile};

/// Paths a force's folder might add, including ones the loader must reject.
const EXTRA: &[&str] = &[
    "checklists/extra.toml",
    "topics/extra.md",
    "scenarios/extra.toml",
    "topics/nested/deep.md",
    "stray.txt",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let mut files = GuidanceFiles::embedded();
    let n = files.files.len();
    let slot = usize::from(pick) % (n + EXTRA.len());
    if slot < n {
        files.files[slot].bytes = bytes.to_vec();
    } else {
        files.files.push(SourceFile {
            path: EXTRA[slot - n].to_string(),
            bytes: bytes.to_vec(),
        });
        files.files.sort_by(|a, b| a.path.cmp(&b.path));
    }
    let (g, problems) = guidance::check_release(&files);
    for p in &problems.0 {
        // Every problem names a file and a line a guidance author can open.
        assert!(p.line >= 1, "problem without a line: {p}");
        assert!(!p.message.is_empty(), "empty problem message in {}", p.file);
    }
    if problems.is_empty() {
        let g = g.expect("a set with no problems is built");
        let _ = g.checklists_in_order();
    }
});
