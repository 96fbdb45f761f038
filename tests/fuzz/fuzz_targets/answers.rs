//! Answers files (`msht check --answers FILE`): `AnswersFile::parse` on any text, then
//! `answers::plan` against the bundled guidance, which runs the whole engine (visibility,
//! prompts raised, duties derived). Must never panic; a bad file is an `AnswersError`.
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
    if let Err(e) = answers::plan(bundled(), &file, "PC 1234", "fuzz") {
        // Every refusal renders as a sentence.
        assert!(!e.to_string().is_empty());
    }
});
