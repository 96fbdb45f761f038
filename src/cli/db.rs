//! Which database a command opens. Commands that only read (`doctor`, `encounters list`,
//! `show`, `export`) open an existing file and never create one: a mistyped `--db` or
//! `MSHT_DB` must say so rather than silently start an empty database.

use std::path::PathBuf;

use super::Ctx;
use crate::error::{Error, Result};
use crate::store::Store;

/// The database path the flags and environment choose.
pub fn path(ctx: &Ctx) -> Result<PathBuf> {
    Ok(match &ctx.db {
        Some(p) => p.clone(),
        None => Store::default_path()?,
    })
}

/// Opens the database for a command that writes (creating it if needed).
pub fn open(ctx: &Ctx) -> Result<Store> {
    Ok(Store::open(&path(ctx)?)?)
}

/// Opens an existing database; refuses (exit 66) when there is none at the path.
pub fn open_existing(ctx: &Ctx) -> Result<Store> {
    let path = path(ctx)?;
    if !path.exists() {
        return Err(Error::NotFound(format!(
            "there is no msht database at {} (nothing was created); check --db or MSHT_DB, or start one with `msht check`",
            path.display()
        )));
    }
    Ok(Store::open(&path)?)
}
