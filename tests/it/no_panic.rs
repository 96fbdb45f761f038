//! Bad input never panics: random and mutated text through the parts that read what
//! people and other programs write (conditions, topics, whole guidance sets, answers
//! files). Each must answer with an error or a result, never a crash.

use msht::answers::{self, AnswersFile};
use msht::guidance::condition::Condition;
use msht::guidance::{self, GuidanceFiles, Problems, topic};
use proptest::prelude::*;

fn bundled_text(path: &str) -> String {
    GuidanceFiles::embedded()
        .files
        .iter()
        .find(|f| f.path == path)
        .and_then(|f| f.text().map(str::to_string))
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn conditions_never_panic(src in "\\PC{0,60}") {
        let _ = Condition::parse(&src);
    }

    #[test]
    fn condition_like_text_never_panics(src in "[a-z_ ()\\[\\],=!<>\"0-9]{0,40}") {
        let _ = Condition::parse(&src);
    }

    #[test]
    fn topics_never_panic(body in "\\PC{0,200}", heading in "\\PC{0,30}") {
        let text = format!("+++\nid = \"t\"\ntitle = \"T\"\narea = \"a\"\nreviewed = \"2026-11-30\"\nsources = [{{ title = \"S\", url = \"u\" }}]\n+++\n{body}\n## {heading}\n{body}");
        let mut p = Problems::default();
        let _ = topic::parse("topics/t.md", &text, &mut p);
        let _ = topic::parse("topics/t.md", &body, &mut p);
    }

    /// Flipping, cutting or inserting bytes in a real guidance file gives problems, not a crash.
    #[test]
    fn mutated_guidance_files_never_panic(
        which in 0usize..4,
        pos in any::<prop::sample::Index>(),
        cut in any::<bool>(),
        insert in "\\PC{0,8}",
    ) {
        let path = ["checklists/general.toml", "prompts.toml", "topics/nrm.md", "manifest.toml"][which];
        let mut text = bundled_text(path);
        let mut at = pos.index(text.len().max(1));
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        if cut {
            text.truncate(at);
        } else {
            text.insert_str(at, &insert);
        }
        let mut files = GuidanceFiles::embedded();
        if let Some(f) = files.files.iter_mut().find(|f| f.path == path) {
            f.bytes = text.into_bytes();
        }
        let _ = guidance::check(&files);
    }

    #[test]
    fn answers_files_never_panic(
        age in prop_oneof![Just("\"yes\"".to_string()), Just("null".to_string()), Just("3".to_string()), "\"\\PC{0,6}\""],
        extra_key in "[a-z_]{1,20}",
        extra_value in prop_oneof![Just("true".to_string()), Just("[]".to_string()), "\"\\PC{0,10}\""],
        checklist in prop_oneof![Just("general".to_string()), Just("child".to_string()), "[a-z-]{0,12}"],
    ) {
        let g = guidance::load(None).unwrap();
        let src = format!(
            r#"{{"checklist":"{checklist}","officer":"PC 1","answers":{{"general_nation":"england","general_danger":"no","general_age":{age},"{extra_key}":{extra_value}}}}}"#
        );
        if let Ok(file) = AnswersFile::parse(&src) {
            let _ = answers::plan(&g, &file, "PC 1", "x");
        }
    }

    #[test]
    fn any_text_as_an_answers_file_never_panics(src in "\\PC{0,120}") {
        let _ = AnswersFile::parse(&src);
    }
}
