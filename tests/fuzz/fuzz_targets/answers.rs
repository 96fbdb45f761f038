//! Answers files (`msht check --answers FILE`): `AnswersFile::parse` on any text, then
//! `answers::plan` against the bundled guidance, which runs the whole engine (visibility,
//! prompts raised, duties derived). Must never panic; a bad file is an `AnswersError`.
//! The engine walks on from each answer and re-evaluates only the triggers an answer can
//! change, so a plan that succeeds is checked against a walk from scratch: every prompt
//! whose trigger holds at the end was raised on the way.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use msht::answers::{self, AnswersFile};
use msht::guidance::{Guidance, GuidanceFiles};

fn bundled() -> &'static Guidance {
    static G: OnceLock<Guidance> = OnceLock::new();
    G.get_or_init(|| {
        Guidance::from_files(&GuidanceFiles::embedded()).expect("the bundled guidance loads")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(file) = AnswersFile::parse(text) else {
        return;
    };
    match answers::plan(bundled(), &file, "PC 1234", "fuzz") {
        // Every refusal renders as a sentence.
        Err(e) => assert!(!e.to_string().is_empty()),
        Ok(p) => {
            for due in p.session.prompts_due() {
                assert!(
                    p.session.raised().contains(&due.id),
                    "prompt {} holds but was never raised",
                    due.id
                );
            }
        }
    }
});
