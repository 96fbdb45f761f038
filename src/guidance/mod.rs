//! The guidance set: topics, checklists, welfare prompts and duties, loaded from the copy
//! compiled into the binary or from a folder a force maintains, and checked as a whole.

pub mod condition;
mod files;
pub mod ids;
pub mod model;
mod named;
mod parse;
pub mod problems;
mod reach;
pub mod sources;
pub mod topic;
mod validate;

use std::path::{Path, PathBuf};

pub use files::{GuidanceFiles, Origin, SourceFile};
pub use model::*;
pub use problems::{Problem, Problems};

use crate::fault::Fault;

#[derive(Debug, thiserror::Error)]
pub enum GuidanceError {
    #[error("guidance folder {} does not exist", .0.display())]
    MissingDir(PathBuf),
    #[error("guidance folder {} is not a folder", .0.display())]
    NotADir(PathBuf),
    #[error("could not read guidance file {}: {}", .0.display(), .1)]
    Read(PathBuf, #[source] std::io::Error),
    /// A file in the folder that is not guidance: a link to a folder, a pipe, a device, a
    /// huge file. Bad data in the folder (65), not a failing disk (74).
    #[error("could not read guidance file {}: {}", .0.display(), .1)]
    Refused(PathBuf, String),
    #[error("the guidance in {origin} has {count} problem(s)")]
    Invalid {
        origin: Origin,
        count: usize,
        problems: Problems,
    },
    #[error("there is no guidance topic '{0}'")]
    UnknownTopic(String),
    #[error("topic '{0}' has no section '{1}'")]
    UnknownSection(String, String),
    #[error("there is no checklist '{0}'")]
    UnknownChecklist(String),
}

impl GuidanceError {
    pub fn fault(&self) -> Fault {
        match self {
            GuidanceError::MissingDir(_) | GuidanceError::NotADir(_) => Fault::Missing,
            GuidanceError::Read(_, e) => Fault::of_io(e),
            GuidanceError::Invalid { .. } | GuidanceError::Refused(..) => Fault::BadData,
            GuidanceError::UnknownTopic(_)
            | GuidanceError::UnknownSection(..)
            | GuidanceError::UnknownChecklist(_) => Fault::Missing,
        }
    }
}

/// Loads the guidance in use: `dir` when given (parsed and checked now), else the built-in
/// copy (checked when msht was built).
pub fn load(dir: Option<&Path>) -> Result<Guidance, GuidanceError> {
    match dir {
        Some(d) => Guidance::from_files(&GuidanceFiles::from_dir(d)?),
        None => built_in(),
    }
}

/// The built-in guidance as build.rs parsed and checked it. Should the embedded model ever
/// not read back (only a build bug could do that), the files beside it are parsed instead.
fn built_in() -> Result<Guidance, GuidanceError> {
    match postcard::from_bytes(crate::built_in::MODEL) {
        Ok(g) => Ok(g),
        Err(_) => Guidance::from_files(&GuidanceFiles::embedded()),
    }
}

impl Guidance {
    /// Parses and checks a set; any problem makes the whole set unusable.
    pub fn from_files(files: &GuidanceFiles) -> Result<Guidance, GuidanceError> {
        let (g, problems) = check(files);
        match g {
            Some(g) if problems.is_empty() => Ok(g),
            _ => Err(GuidanceError::Invalid {
                origin: files.origin.clone(),
                count: problems.len().max(1),
                problems,
            }),
        }
    }

    pub fn topic_or_err(&self, id: &str) -> Result<&Topic, GuidanceError> {
        self.topic(id)
            .ok_or_else(|| GuidanceError::UnknownTopic(id.to_string()))
    }

    pub fn checklist_or_err(&self, id: &str) -> Result<&Checklist, GuidanceError> {
        self.checklist(id)
            .ok_or_else(|| GuidanceError::UnknownChecklist(id.to_string()))
    }

    /// Checklists in display order.
    pub fn checklists_in_order(&self) -> Vec<&Checklist> {
        let mut v: Vec<&Checklist> = self.checklists.iter().collect();
        v.sort_by(|a, b| (a.order, &a.id).cmp(&(b.order, &b.id)));
        v
    }
}

/// Parses every file and runs every check, returning the set (if it could be built) and
/// all problems found, sorted by file and line.
pub fn check(files: &GuidanceFiles) -> (Option<Guidance>, Problems) {
    let mut problems = Problems::default();
    let mut manifest = None;
    let mut g = Guidance {
        version: String::new(),
        title: String::new(),
        hash: files.content_hash(),
        origin: files.origin.clone(),
        areas: Vec::new(),
        conditions: Vec::new(),
        topics: Vec::new(),
        checklists: Vec::new(),
        prompts: Vec::new(),
        duties: Vec::new(),
        synonyms: Vec::new(),
        scenarios: Vec::new(),
        provenance: Vec::new(),
        source_rules: sources::SourceRules::default(),
    };
    for f in &files.files {
        read_file(f, &mut g, &mut manifest, &mut problems);
    }
    if let Some(m) = manifest {
        g.version = m.version;
        g.title = m.title;
        g.areas = m.areas;
        g.conditions = m.conditions;
    }
    let missing = missing_files(files, &mut problems);
    // What was found while reading files comes first: a file that does not parse is the
    // cause of what the cross-checks then say about it.
    problems.mark_causes();
    // A missing file makes every reference into it look wrong (a missing prompts.toml
    // gave 91 "unknown prompt" lines), so references wait until every file is there.
    if !missing {
        named::resolve(&mut g, &mut problems);
        validate::check(&g, &mut problems);
    }
    problems.sort();
    (Some(g), problems)
}

/// The files every guidance set needs; reports each one missing.
fn missing_files(files: &GuidanceFiles, problems: &mut Problems) -> bool {
    let has = |p: &str| files.files.iter().any(|f| f.path == p);
    let mut missing = false;
    for (path, what) in [
        (
            "manifest.toml",
            "the guidance has no manifest.toml (version and areas)",
        ),
        (
            "prompts.toml",
            "the guidance has no prompts.toml (the welfare prompts)",
        ),
        (
            "duties.toml",
            "the guidance has no duties.toml (the duties that follow)",
        ),
    ] {
        if !has(path) {
            problems.add(path, 1, what);
            missing = true;
        }
    }
    if !files
        .files
        .iter()
        .any(|f| f.path.starts_with("checklists/"))
    {
        problems.add("checklists/", 1, "the guidance has no checklists");
        missing = true;
    }
    missing
}

/// Parses one file into `g`, reporting what does not parse.
fn read_file(
    f: &SourceFile,
    g: &mut Guidance,
    manifest: &mut Option<parse::Manifest>,
    problems: &mut Problems,
) {
    let Some(text) = f.text() else {
        problems.add(&f.path, 1, "the file is not UTF-8 text");
        return;
    };
    let mut ctx = parse::ParseCtx::new(&f.path, text, problems);
    let path = f.path.as_str();
    let in_dir = |dir: &str, ext: &str| {
        path.strip_prefix(dir)
            .is_some_and(|rest| !rest.contains('/') && rest.ends_with(ext))
    };
    if path == "manifest.toml" {
        let raw = parse::from_toml(&mut ctx, "manifest.toml");
        *manifest = raw.map(|raw| parse::manifest(&mut ctx, raw));
    } else if path == "prompts.toml" {
        let Some(raw) = parse::from_toml::<parse::RawPrompts>(&mut ctx, "prompts.toml") else {
            return;
        };
        g.provenance.push(raw.provenance(&ctx));
        g.prompts = parse::prompts(&mut ctx, raw);
    } else if path == "duties.toml" {
        let Some(raw) = parse::from_toml::<parse::RawDuties>(&mut ctx, "duties.toml") else {
            return;
        };
        g.provenance.push(raw.provenance(&ctx));
        g.duties = parse::duties(&mut ctx, raw);
    } else if path == "synonyms.toml" {
        if let Some(raw) = parse::from_toml(&mut ctx, "synonyms.toml") {
            g.synonyms = parse::synonyms(&mut ctx, raw);
        }
    } else if path == "source-rules.toml" {
        g.source_rules = sources::parse(path, text, ctx.problems);
    } else if in_dir("topics/", ".md") {
        g.topics.extend(topic::parse(path, text, ctx.problems));
    } else if in_dir("checklists/", ".toml") {
        let Some(raw) = parse::from_toml::<parse::RawChecklist>(&mut ctx, "the checklist") else {
            return;
        };
        g.provenance.push(raw.provenance(&ctx));
        g.checklists.push(parse::checklist(&mut ctx, raw));
    } else if in_dir("scenarios/", ".toml") {
        if let Some(raw) = parse::from_toml(&mut ctx, "the scenario") {
            g.scenarios.push(parse::scenario(&mut ctx, raw));
        }
    } else {
        ctx.problems.add(
            path,
            1,
            "unexpected file: not part of the guidance format (see guidance/README.md)",
        );
    }
}

/// What loading needs ([`check`]) plus the release rules `msht guidance validate`
/// enforces on the files themselves: file-level sources and review dates, and links that
/// may be cited (see `sources.rs`). The validate command also runs the scenarios
/// (`engine::check_scenarios`), which needs the engine, a layer above this one.
pub fn check_release(files: &GuidanceFiles) -> (Option<Guidance>, Problems) {
    let (g, mut problems) = check(files);
    if let Some(g) = &g {
        sources::check(g, &mut problems);
        problems.sort();
    }
    (g, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_guidance_is_valid() {
        let (_, problems) = check_release(&GuidanceFiles::embedded());
        assert!(
            problems.is_empty(),
            "bundled guidance has problems:\n{problems}"
        );
    }
}
