//! Where a guidance set comes from: the copy compiled into the binary, or a folder on disk.
//!
//! Both end up as the same list of (relative path, text) pairs, so the loader, the
//! validator and the content hash never care which one they were given.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::GuidanceError;

/// Where the files were read from, for messages and `msht doctor`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Origin {
    Embedded,
    Dir(PathBuf),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Embedded => f.write_str("built-in guidance"),
            Origin::Dir(p) => write!(f, "{}", p.display()),
        }
    }
}

/// One file of a guidance set. `text` is `None` when the bytes were not UTF-8.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

impl SourceFile {
    pub fn text(&self) -> Option<&str> {
        std::str::from_utf8(&self.bytes).ok()
    }
}

#[derive(Debug, Clone)]
pub struct GuidanceFiles {
    pub origin: Origin,
    pub files: Vec<SourceFile>,
}

impl GuidanceFiles {
    pub fn embedded() -> Self {
        let files = crate::built_in::FILES
            .iter()
            .map(|(path, bytes)| SourceFile {
                path: (*path).to_string(),
                bytes: bytes.to_vec(),
            })
            .collect();
        Self::sorted(Origin::Embedded, files)
    }

    pub fn from_dir(dir: &Path) -> Result<Self, GuidanceError> {
        if !dir.is_dir() {
            // A file (or /dev/null) is not "missing": saying so sends the author looking
            // for a folder that is not the problem.
            return Err(if dir.exists() {
                GuidanceError::NotADir(dir.to_path_buf())
            } else {
                GuidanceError::MissingDir(dir.to_path_buf())
            });
        }
        let mut files = Vec::new();
        read_tree(dir, dir, 0, &mut files)?;
        Ok(Self::sorted(Origin::Dir(dir.to_path_buf()), files))
    }

    /// Builds a set from in-memory files; used by tests and fixtures.
    pub fn from_memory(files: &[(&str, &str)]) -> Self {
        let files = files
            .iter()
            .map(|(p, t)| SourceFile {
                path: (*p).to_string(),
                bytes: t.as_bytes().to_vec(),
            })
            .collect();
        Self::sorted(Origin::Embedded, files)
    }

    fn sorted(origin: Origin, mut files: Vec<SourceFile>) -> Self {
        files.retain(|f| is_content(&f.path));
        files.sort_by(|a, b| a.path.cmp(&b.path));
        GuidanceFiles { origin, files }
    }

    /// SHA-256 over every content file's path and bytes, in path order. Paths and lengths
    /// are framed so that moving bytes from one file to the next changes the hash.
    pub fn content_hash(&self) -> String {
        let mut h = Sha256::new();
        for f in &self.files {
            h.update((f.path.len() as u64).to_le_bytes());
            h.update(f.path.as_bytes());
            h.update((f.bytes.len() as u64).to_le_bytes());
            h.update(&f.bytes);
        }
        hex::encode(h.finalize())
    }
}

/// Documentation and dotfiles beside the guidance are not part of the set.
fn is_content(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    !(name.starts_with('.') || name.eq_ignore_ascii_case("README.md"))
}

/// A guidance folder is two levels deep; anything deeper is a mistake (or a loop).
const MAX_DEPTH: usize = 4;
/// No guidance file comes near this; a larger one is not guidance.
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Reads every file under `dir`. Links to folders are refused rather than followed, so a
/// link loop cannot recurse for ever; devices and pipes are refused rather than read.
fn read_tree(
    root: &Path,
    dir: &Path,
    depth: usize,
    out: &mut Vec<SourceFile>,
) -> Result<(), GuidanceError> {
    let refuse = |path: &Path, why: &str| GuidanceError::Refused(path.to_path_buf(), why.into());
    if depth > MAX_DEPTH {
        return Err(refuse(
            dir,
            "folders nest deeper than a guidance folder does",
        ));
    }
    let entries = std::fs::read_dir(dir).map_err(|e| GuidanceError::Read(dir.to_path_buf(), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| GuidanceError::Read(dir.to_path_buf(), e))?;
        let path = entry.path();
        let kind = entry
            .file_type()
            .map_err(|e| GuidanceError::Read(path.clone(), e))?;
        if kind.is_dir() {
            read_tree(root, &path, depth + 1, out)?;
            continue;
        }
        // A link is followed only to a regular file.
        let meta = std::fs::metadata(&path).map_err(|e| GuidanceError::Read(path.clone(), e))?;
        if meta.is_dir() {
            return Err(refuse(
                &path,
                "it is a link to a folder, and links to folders are not followed",
            ));
        }
        if !meta.is_file() {
            return Err(refuse(&path, "it is not a regular file"));
        }
        if meta.len() > MAX_FILE_BYTES {
            return Err(refuse(&path, "it is larger than any guidance file (4 MiB)"));
        }
        let bytes = std::fs::read(&path).map_err(|e| GuidanceError::Read(path.clone(), e))?;
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        out.push(SourceFile { path: rel, bytes });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_changes_when_bytes_move_between_files() {
        let a = GuidanceFiles::from_memory(&[("a.toml", "xy"), ("b.toml", "z")]);
        let b = GuidanceFiles::from_memory(&[("a.toml", "x"), ("b.toml", "yz")]);
        assert_ne!(a.content_hash(), b.content_hash());
    }

    #[test]
    fn a_file_given_as_the_folder_is_named_as_not_a_folder_not_as_missing() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("guidance.zip");
        std::fs::write(&file, b"PK").unwrap();
        let e = GuidanceFiles::from_dir(&file).unwrap_err();
        assert!(matches!(e, GuidanceError::NotADir(_)), "{e:?}");
        assert!(e.to_string().ends_with("is not a folder"), "{e}");
        let e = GuidanceFiles::from_dir(&dir.path().join("none")).unwrap_err();
        assert!(matches!(e, GuidanceError::MissingDir(_)), "{e:?}");
    }

    #[cfg(unix)]
    #[test]
    fn a_link_loop_or_a_pipe_is_refused_not_followed_for_ever() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("topics")).unwrap();
        std::os::unix::fs::symlink(dir.path(), dir.path().join("topics/loop")).unwrap();
        let e = GuidanceFiles::from_dir(dir.path()).unwrap_err();
        assert!(e.to_string().contains("link to a folder"), "{e}");

        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("prompts.toml");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(
            made.is_ok_and(|s| s.success()),
            "mkfifo (coreutils) makes a pipe"
        );
        let e = GuidanceFiles::from_dir(dir.path()).unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
        // What is in the folder is wrong, not the disk: bad data, not an I/O error.
        assert_eq!(e.fault(), crate::fault::Fault::BadData);
    }

    #[test]
    fn readme_is_not_content() {
        let a = GuidanceFiles::from_memory(&[("a.toml", "x"), ("README.md", "doc")]);
        assert_eq!(a.files.len(), 1);
    }

    #[test]
    fn embedded_set_is_not_empty() {
        assert!(!GuidanceFiles::embedded().files.is_empty());
    }
}
