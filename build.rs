//! Builds the built-in guidance into the binary, checked, in a form that loads without
//! parsing.
//!
//! It compiles the very loader and validator the binary uses (`src/guidance/`, through
//! `#[path]`, never a copy), runs them over `guidance/`, and fails the build with every
//! problem as `guidance/FILE:LINE: message` if the set does not check. A good set is
//! written to OUT_DIR as the parsed model in postcard form, beside a table of the raw
//! files (`include_bytes!`, for `guidance validate` and the content hash), in
//! `built_in.rs`, which `src/built_in.rs` includes. `--guidance DIR` still parses and checks
//! at run time.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

// The guidance layer only reaches below itself for these two leaves.
#[allow(dead_code)]
#[path = "src/fault.rs"]
mod fault;
#[allow(dead_code, unused_imports)]
#[path = "src/guidance/mod.rs"]
mod guidance;
#[allow(dead_code)]
#[path = "src/text/mod.rs"]
mod text;

/// The stand-in for `src/built_in.rs`: this is what build.rs is making.
mod built_in {
    pub static FILES: &[(&str, &[u8])] = &[];
    pub static MODEL: &[u8] = &[];
}

fn collect(dir: &Path, root: &Path, out: &mut Vec<(String, PathBuf)>) -> Result<(), String> {
    println!("cargo:rerun-if-changed={}", dir.display());
    let read = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut entries: Vec<PathBuf> = read.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, root, out)?;
        } else {
            println!("cargo:rerun-if-changed={}", path.display());
            let rel = path
                .strip_prefix(root)
                .map_err(|e| format!("{}: {e}", path.display()))?
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, path));
        }
    }
    Ok(())
}

/// Loads and checks the guidance exactly as `--guidance DIR` does at run time.
fn checked(root: &Path) -> Result<guidance::Guidance, String> {
    let files = guidance::GuidanceFiles::from_dir(root).map_err(|e| e.to_string())?;
    let (g, problems) = guidance::check(&files);
    match g {
        Some(mut g) if problems.is_empty() => {
            g.origin = guidance::Origin::Embedded;
            Ok(g)
        }
        _ => {
            let mut msg = format!(
                "the built-in guidance has {} problem(s):\n",
                problems.len().max(1)
            );
            for p in &problems.0 {
                let _ = writeln!(msg, "guidance/{p}");
            }
            Err(msg)
        }
    }
}

fn generate(out: &Path) -> Result<(), String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("guidance");
    let mut files = Vec::new();
    collect(&root, &root, &mut files)?;
    let g = checked(&root)?;
    let model = postcard::to_stdvec(&g).map_err(|e| format!("serialising the guidance: {e}"))?;
    let model_path = out.join("guidance.postcard");
    std::fs::write(&model_path, model).map_err(|e| format!("{}: {e}", model_path.display()))?;

    let mut code = String::from("pub static FILES: &[(&str, &[u8])] = &[\n");
    for (rel, path) in files {
        let _ = writeln!(
            code,
            "    ({rel:?}, include_bytes!({:?})),",
            path.display().to_string()
        );
    }
    code.push_str("];\n");
    let _ = writeln!(
        code,
        "pub static MODEL: &[u8] = include_bytes!({:?});",
        model_path.display().to_string()
    );
    let cli_version = format!(
        "{} (guidance {}, sha256 {})",
        env!("CARGO_PKG_VERSION"),
        g.version,
        g.hash
    );
    let _ = writeln!(code, "pub const CLI_VERSION: &str = {cli_version:?};");
    let path = out.join("built_in.rs");
    std::fs::write(&path, code).map_err(|e| format!("{}: {e}", path.display()))
}

fn main() -> ExitCode {
    let Some(out) = std::env::var_os("OUT_DIR") else {
        eprintln!("cargo did not set OUT_DIR");
        return ExitCode::FAILURE;
    };
    match generate(&PathBuf::from(out)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("{msg}");
            ExitCode::FAILURE
        }
    }
}
