//! The officer's defaults, kept in a small TOML file in the platform config directory:
//! who they are, their force, the nation whose law applies (England or Wales), where sync
//! bundles go and which database to use.
//!
//! Only defaults live here: a flag or an environment variable always wins (the command
//! layer applies that order). A file with an unknown key or a bad value is refused with
//! its line, never half-read, so a typo cannot silently leave a default unset.
//! `set` edits only the value it changes, so an officer's own comments and layout stay.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::fault::Fault;

/// The keys a config file may hold, in the order `config show` lists them.
pub const KEYS: &[&str] = &["officer", "force", "nation", "sync_folder", "database"];

/// The id of the general checklist's question that asks which nation's law applies.
pub const NATION_QUESTION: &str = "general_nation";

/// Where the law differs (safeguarding duties, some referral routes), the nation decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Nation {
    England,
    Wales,
}

impl Nation {
    pub fn as_str(self) -> &'static str {
        match self {
            Nation::England => "england",
            Nation::Wales => "wales",
        }
    }

    fn parse(s: &str) -> Option<Nation> {
        match s.trim().to_ascii_lowercase().as_str() {
            "england" => Some(Nation::England),
            "wales" => Some(Nation::Wales),
            _ => None,
        }
    }
}

/// The settings, each unset unless the file sets it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Config {
    pub officer: Option<String>,
    pub force: Option<String>,
    pub nation: Option<Nation>,
    pub sync_folder: Option<PathBuf>,
    pub database: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("the config file {}, line {line}: {message}", .path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error(
        "there is no setting '{0}'; the settings are officer, force, nation, sync_folder and database"
    )]
    UnknownKey(String),
    #[error("'{value}' is not a valid {key}: {expected}")]
    BadValue {
        key: String,
        value: String,
        expected: &'static str,
    },
    #[error("could not read the config file {}: {source}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("could not write the config file {}: {source}", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("this system has no home or config directory to keep a config file in")]
    NoConfigDir,
}

impl ConfigError {
    pub fn fault(&self) -> Fault {
        match self {
            ConfigError::Invalid { .. } => Fault::BadData,
            ConfigError::UnknownKey(_) | ConfigError::BadValue { .. } => Fault::BadRequest,
            ConfigError::Read { source, .. } | ConfigError::Write { source, .. } => {
                Fault::of_io(source)
            }
            ConfigError::NoConfigDir => Fault::Missing,
        }
    }
}

/// `config.toml` in the platform config directory (`~/.config/msht/` on Linux).
pub fn default_path() -> Result<PathBuf, ConfigError> {
    directories::ProjectDirs::from("", "", "msht")
        .map(|d| d.config_dir().join("config.toml"))
        .ok_or(ConfigError::NoConfigDir)
}

/// The file as written, each value with where it stands, so a bad one can be named by line.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    officer: Option<Spanned<String>>,
    force: Option<Spanned<String>>,
    nation: Option<Spanned<String>>,
    sync_folder: Option<Spanned<String>>,
    database: Option<Spanned<String>>,
}

fn line_of(text: &str, offset: usize) -> usize {
    1 + text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
}

impl Config {
    /// Reads the file at `path`; a missing file (or one that cannot exist, under a path
    /// that is not a folder) is an empty config.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Config::parse(path, &text),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                Ok(Config::default())
            }
            Err(source) => Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    /// Checks every key and value of `text` (the contents of `path`).
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let invalid = |offset: usize, message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            line: line_of(text, offset),
            message,
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let offset = e.span().map(|s| s.start).unwrap_or(0);
            invalid(offset, e.message().trim().to_string())
        })?;
        let checked = |key: &str, v: Option<Spanned<String>>| match v {
            None => Ok(None),
            Some(s) => {
                let offset = s.span().start;
                check_value(key, s.into_inner())
                    .map(Some)
                    .map_err(|e| invalid(offset, e.to_string()))
            }
        };
        let officer = checked("officer", raw.officer)?;
        let force = checked("force", raw.force)?;
        let nation = checked("nation", raw.nation)?;
        let sync_folder = checked("sync_folder", raw.sync_folder)?;
        let database = checked("database", raw.database)?;
        Ok(Config {
            officer,
            force,
            nation: nation.as_deref().and_then(Nation::parse),
            sync_folder: sync_folder.map(PathBuf::from),
            database: database.map(PathBuf::from),
        })
    }

    /// The settings as `(key, value)` in `KEYS` order, unset ones as `None`.
    pub fn entries(&self) -> Vec<(&'static str, Option<String>)> {
        let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
        vec![
            ("officer", self.officer.clone()),
            ("force", self.force.clone()),
            ("nation", self.nation.map(|n| n.as_str().to_string())),
            ("sync_folder", path(&self.sync_folder)),
            ("database", path(&self.database)),
        ]
    }

    /// Answers the config pre-fills in a checklist: the nation, when one is set. An answers
    /// file's own value, or the officer's answer on screen, is never overridden by these.
    pub fn default_answers(&self) -> Vec<(String, String)> {
        self.nation
            .map(|n| vec![(NATION_QUESTION.to_string(), n.as_str().to_string())])
            .unwrap_or_default()
    }
}

/// Checks one value for `key`, returning it as it will be stored.
fn check_value(key: &str, value: String) -> Result<String, ConfigError> {
    let bad = |expected| ConfigError::BadValue {
        key: key.to_string(),
        value: value.clone(),
        expected,
    };
    match key {
        "nation" => Nation::parse(&value)
            .map(|n| n.as_str().to_string())
            .ok_or_else(|| bad("the nation is england or wales")),
        "officer" | "force" | "sync_folder" | "database" if value.trim().is_empty() => {
            Err(bad("it must not be empty"))
        }
        "officer" | "force" | "sync_folder" | "database" => Ok(value.trim().to_string()),
        _ => Err(ConfigError::UnknownKey(key.to_string())),
    }
}

/// Sets `key` to `value` in the file at `path` (creating it and its folder if needed),
/// changing only that value's text. Returns the config as it now stands.
pub fn set(path: &Path, key: &str, value: &str) -> Result<Config, ConfigError> {
    if !KEYS.contains(&key) {
        return Err(ConfigError::UnknownKey(key.to_string()));
    }
    let value = check_value(key, value.to_string())?;
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => {
            return Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    // Refuse to edit a file that does not check: the officer must fix the line named.
    Config::parse(path, &text)?;
    let raw: RawConfig = toml::from_str(&text).unwrap_or_default();
    let span = match key {
        "officer" => raw.officer,
        "force" => raw.force,
        "nation" => raw.nation,
        "sync_folder" => raw.sync_folder,
        _ => raw.database,
    }
    .map(|s| s.span());
    let literal = toml::Value::String(value).to_string();
    let around = span.and_then(|r| Some((text.get(..r.start)?, text.get(r.end..)?)));
    let new_text = match around {
        Some((before, after)) => format!("{before}{literal}{after}"),
        None => {
            let sep = if text.is_empty() || text.ends_with('\n') {
                ""
            } else {
                "\n"
            };
            format!("{text}{sep}{key} = {literal}\n")
        }
    };
    let config = Config::parse(path, &new_text)?;
    let write_err = |source| ConfigError::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(write_err)?;
    }
    crate::atomic::write_replace(path, new_text.as_bytes()).map_err(write_err)?;
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new("/c/config.toml"), text)
    }

    #[test]
    fn every_key_reads() {
        let c = parse(
            "officer = \"PC 1234\"\nforce = \"Gwent\"\nnation = \"wales\"\nsync_folder = \"/media/usb\"\ndatabase = \"/d/msht.db\"\n",
        )
        .unwrap();
        assert_eq!(c.officer.as_deref(), Some("PC 1234"));
        assert_eq!(c.force.as_deref(), Some("Gwent"));
        assert_eq!(c.nation, Some(Nation::Wales));
        assert_eq!(c.sync_folder, Some(PathBuf::from("/media/usb")));
        assert_eq!(c.database, Some(PathBuf::from("/d/msht.db")));
    }

    #[test]
    fn an_unknown_key_names_the_file_and_line() {
        let e = parse("officer = \"PC 1\"\n\ncolour = \"red\"\n").unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("/c/config.toml, line 3"), "{msg}");
        assert!(msg.contains("colour"), "{msg}");
        assert!(!msg.contains('\n'), "one sentence: {msg}");
        assert_eq!(e.fault(), Fault::BadData);
    }

    #[test]
    fn a_bad_nation_names_its_line() {
        let msg = parse("force = \"Dyfed-Powys\"\nnation = \"scotland\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("line 2") && msg.contains("england or wales"),
            "{msg}"
        );
    }

    #[test]
    fn a_value_of_the_wrong_type_or_broken_toml_names_its_line() {
        let msg = parse("\nofficer = 12\n").unwrap_err().to_string();
        assert!(msg.contains("line 2"), "{msg}");
        let msg = parse("officer = \"PC\nforce = 1\n")
            .unwrap_err()
            .to_string();
        assert!(msg.contains("line 1"), "{msg}");
    }

    #[test]
    fn set_changes_only_its_value_and_keeps_comments() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("config.toml");
        set(&path, "officer", "PC 1").unwrap();
        let with_comment = format!("# my defaults\n{}", std::fs::read_to_string(&path).unwrap());
        std::fs::write(&path, with_comment).unwrap();
        let c = set(&path, "officer", "PC \"2\"").unwrap();
        assert_eq!(c.officer.as_deref(), Some("PC \"2\""));
        let c = set(&path, "nation", "Wales").unwrap();
        assert_eq!(c.nation, Some(Nation::Wales));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# my defaults\n"), "{text}");
        assert_eq!(Config::load(&path).unwrap(), c);
    }

    #[test]
    fn set_refuses_unknown_keys_bad_values_and_a_broken_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        assert!(matches!(
            set(&path, "colour", "red"),
            Err(ConfigError::UnknownKey(_))
        ));
        assert!(matches!(
            set(&path, "nation", "france"),
            Err(ConfigError::BadValue { .. })
        ));
        assert!(!path.exists());
        std::fs::write(&path, "colour = 1\n").unwrap();
        assert!(matches!(
            set(&path, "officer", "PC 1"),
            Err(ConfigError::Invalid { line: 1, .. })
        ));
    }

    #[test]
    fn a_missing_file_is_an_empty_config() {
        let dir = tempfile::tempdir().unwrap();
        let c = Config::load(&dir.path().join("none.toml")).unwrap();
        assert_eq!(c, Config::default());
        // Under a file rather than a folder, no config can exist either.
        let file = dir.path().join("file");
        std::fs::write(&file, "x").unwrap();
        assert_eq!(
            Config::load(&file.join("config.toml")).unwrap(),
            Config::default()
        );
        assert!(c.default_answers().is_empty());
    }

    #[test]
    fn the_nation_becomes_a_default_answer() {
        let c = parse("nation = \"england\"\n").unwrap();
        assert_eq!(
            c.default_answers(),
            [(NATION_QUESTION.to_string(), "england".to_string())]
        );
    }
}
