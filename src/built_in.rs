//! What build.rs made of the `guidance/` folder: its files (for `guidance validate` and the
//! content hash) and the parsed, checked model in postcard form, so the built-in guidance
//! loads without parsing TOML and Markdown on every run.
//!
//! build.rs compiles the guidance loader itself and gives it an empty stand-in for this
//! module, which is why the guidance code reaches these through `crate::built_in`.

include!(concat!(env!("OUT_DIR"), "/built_in.rs"));
