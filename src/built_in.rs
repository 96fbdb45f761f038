//! What build.rs made of the `guidance/` folder: its files (for `guidance validate` and the
//! content hash) and the parsed, checked model in postcard form, so the built-in guidance
//! loads without parsing TOML and Markdown on every run.
//!
//! build.rs compiles the guidance loader itself and gives it an empty stand-in for this
//! module, which is why the guidance code reaches these through `crate::built_in`.

include!(concat!(env!("OUT_DIR"), "/built_in.rs"));

#[cfg(test)]
mod tests {
    use crate::guidance::{Guidance, GuidanceFiles, Origin, load};

    fn as_json(g: &Guidance) -> serde_json::Value {
        serde_json::to_value(g).unwrap()
    }

    /// The model build.rs embedded is exactly what parsing the embedded files gives now,
    /// so skipping the parse at run time changes nothing the commands see.
    #[test]
    fn embedded_model_matches_a_fresh_parse() {
        let embedded = load(None).unwrap();
        let parsed = Guidance::from_files(&GuidanceFiles::embedded()).unwrap();
        assert_eq!(embedded.origin, Origin::Embedded);
        assert_eq!(embedded.hash, GuidanceFiles::embedded().content_hash());
        assert_eq!(as_json(&embedded), as_json(&parsed));
        assert!(!embedded.checklists.is_empty() && !embedded.topics.is_empty());
    }

    #[test]
    fn the_version_string_names_the_guidance_version_and_hash() {
        let g = load(None).unwrap();
        assert!(super::CLI_VERSION.starts_with(env!("CARGO_PKG_VERSION")));
        assert!(super::CLI_VERSION.contains(&g.version));
        assert!(super::CLI_VERSION.contains(&g.hash));
    }
}
