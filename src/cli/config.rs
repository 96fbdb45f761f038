//! `msht config show | set KEY VALUE | path`: the officer's defaults file. The order in
//! which a value is chosen (flag, then environment, then this file, then the built-in
//! default) is applied in `cli/mod.rs`; this command only reads and edits the file.

use std::path::PathBuf;

use super::{Ctx, output};
use crate::config::{self, Config};
use crate::error::Result;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Show every setting and the file it comes from
    Show,
    /// Set one setting: officer, force, nation (england or wales), sync_folder or database
    #[command(after_help = "Examples:
  msht config set officer \"PC 1234\"
  msht config set nation wales
  msht config set sync_folder /media/usb/msht")]
    Set {
        /// officer, force, nation, sync_folder or database
        key: String,
        value: String,
    },
    /// Print the config file's path (it need not exist yet)
    Path,
}

pub fn path(ctx: &Ctx) -> Result<PathBuf> {
    match &ctx.config_path {
        Some(p) => Ok(p.clone()),
        None => Ok(config::default_path()?),
    }
}

pub fn run(ctx: &Ctx, cmd: Command) -> Result<()> {
    let file = path(ctx)?;
    match cmd {
        Command::Path => {
            if ctx.json {
                return Ok(output::print_json(
                    &serde_json::json!({ "path": file.display().to_string() }),
                )?);
            }
            Ok(output::print_lines(&[file.display().to_string()])?)
        }
        Command::Show => show(ctx, &file, &Config::load(&file)?),
        Command::Set { key, value } => {
            let c = config::set(&file, &key, &value)?;
            let now = c
                .entries()
                .into_iter()
                .find(|(k, _)| *k == key)
                .and_then(|(_, v)| v)
                .unwrap_or_default();
            if ctx.json {
                return show(ctx, &file, &c);
            }
            Ok(output::print_lines(&[format!(
                "{key} = {now} (saved in {})",
                file.display()
            )])?)
        }
    }
}

fn show(ctx: &Ctx, file: &std::path::Path, c: &Config) -> Result<()> {
    if ctx.json {
        let mut settings = serde_json::Map::new();
        for (k, v) in c.entries() {
            settings.insert(k.to_string(), v.into());
        }
        return Ok(output::print_json(&serde_json::json!({
            "path": file.display().to_string(),
            "exists": file.exists(),
            "settings": settings,
        }))?);
    }
    let mut lines = vec![format!(
        "# {}{}",
        file.display(),
        if file.exists() {
            ""
        } else {
            " (not created yet)"
        }
    )];
    for (k, v) in c.entries() {
        lines.push(match v {
            Some(v) => format!("{k} = {v}"),
            None => format!("{k} (not set)"),
        });
    }
    Ok(output::print_lines(&lines)?)
}
