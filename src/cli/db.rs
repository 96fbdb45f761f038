//! Which database a command opens and with which key, and `msht db encrypt` / `msht db
//! passphrase`. Every command opens the encounter database here: with the raw key file
//! named by `--key-file`/`MSHT_KEY_FILE`, or else by asking the officer for the passphrase
//! (hidden) only if the database needs it. Commands that only read (`doctor`, `encounters
//! list`, `show`, `export`) open an existing file and never create one.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::Subcommand;

use super::Ctx;
use super::output;
use crate::error::{Error, Result};
use crate::store::key::{self, DbKey, KeyError, Passphrase, WrappedKey};
use crate::store::{AskPassphrase, Encryption, KeySource, Store};

/// The shortest passphrase accepted for a new database.
const MIN_PASSPHRASE: usize = 8;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Encrypt a plaintext database in place (verified before and after; the plaintext is
    /// removed only once the encrypted copy checks)
    Encrypt,
    /// Change the passphrase that unlocks the database (the database is not re-encrypted)
    Passphrase,
}

pub fn run(ctx: &Ctx, c: Command) -> Result<()> {
    match c {
        Command::Encrypt => encrypt(ctx),
        Command::Passphrase => passphrase(ctx),
    }
}

impl Ctx {
    /// The database path: `--db`, or the platform default.
    pub fn db_path(&self) -> Result<PathBuf> {
        path(self)
    }
}

/// The database path the flags and environment choose.
pub fn path(ctx: &Ctx) -> Result<PathBuf> {
    Ok(match &ctx.db {
        Some(p) => p.clone(),
        None => Store::default_path()?,
    })
}

/// Opens the database for a command that writes (creating it if needed), keyed as the
/// officer chose.
pub fn open(ctx: &Ctx) -> Result<Store> {
    open_path(ctx, &path(ctx)?)
}

/// Opens an existing database; refuses (exit 66) when there is none at the path. Commands
/// that only read never create one: a mistyped `--db` must say so.
pub fn open_existing(ctx: &Ctx) -> Result<Store> {
    let path = path(ctx)?;
    if !path.exists() {
        return Err(Error::NotFound(format!(
            "there is no msht database at {} (nothing was created); check --db or MSHT_DB, or start one with `msht check`",
            path.display()
        )));
    }
    open_path(ctx, &path)
}

/// Opens an existing database for a command that only reads. A database that cannot be
/// written (a read-only folder or disk) is opened read-only rather than refused.
pub fn open_to_read(ctx: &Ctx) -> Result<Store> {
    let path = path(ctx)?;
    if !path.exists() {
        return open_existing(ctx);
    }
    let mut ask = TerminalAsk;
    let keys = key_source(ctx, &mut ask)?;
    Ok(Store::open_to_read(&path, keys)?)
}

/// Opens the database at `path` with the raw key file if one was given, else asking for
/// the passphrase on the terminal if (and only if) the database needs one.
pub fn open_path(ctx: &Ctx, path: &Path) -> Result<Store> {
    let mut ask = TerminalAsk;
    let keys = key_source(ctx, &mut ask)?;
    Ok(Store::open_with(path, keys)?)
}

fn key_source<'a>(ctx: &Ctx, ask: &'a mut TerminalAsk) -> Result<KeySource<'a>> {
    Ok(match &ctx.key_file {
        Some(f) => KeySource::Raw(key::read_raw_key_file(f).map_err(key_err)?),
        None => KeySource::Ask(ask),
    })
}

fn key_err(k: KeyError) -> Error {
    Error::Store(k.into())
}

/// The hidden passphrase prompt, on stderr; refuses up front when stdin or stderr is not
/// a terminal, so a script gets one sentence instead of a hung prompt.
pub struct TerminalAsk;

impl TerminalAsk {
    fn terminal(db: &Path) -> std::result::Result<(), KeyError> {
        if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
            Ok(())
        } else {
            Err(KeyError::NoTerminal {
                db: db.to_path_buf(),
            })
        }
    }
}

/// A prompt that could not finish (the terminal went away, or the read was interrupted):
/// no passphrase, so nothing is opened or written.
fn prompt_error(_: dialoguer::Error) -> KeyError {
    KeyError::Cancelled
}

impl AskPassphrase for TerminalAsk {
    fn current(&mut self, db: &Path) -> std::result::Result<Passphrase, KeyError> {
        TerminalAsk::terminal(db)?;
        dialoguer::Password::new()
            .with_prompt(format!("Passphrase for {}", display_name(db)))
            .report(false)
            .interact()
            .map(Passphrase::new)
            .map_err(prompt_error)
    }

    fn new_passphrase(&mut self, db: &Path) -> std::result::Result<Passphrase, KeyError> {
        TerminalAsk::terminal(db)?;
        let note = format!(
            "Choose a passphrase for {} (at least {MIN_PASSPHRASE} characters). It cannot be recovered: without it the records cannot be read.",
            db.display()
        );
        let term = console::Term::stderr();
        for line in output::wrap(&note, output::err_width()) {
            let _ = term.write_line(&line);
        }
        dialoguer::Password::new()
            .with_prompt("New passphrase")
            .with_confirmation("Repeat the passphrase", "The two differ; try again")
            .validate_with(|s: &String| -> std::result::Result<(), String> {
                if s.chars().count() >= MIN_PASSPHRASE {
                    Ok(())
                } else {
                    Err(format!("Use at least {MIN_PASSPHRASE} characters"))
                }
            })
            .report(false)
            .interact()
            .map(Passphrase::new)
            .map_err(prompt_error)
    }
}

fn display_name(db: &Path) -> String {
    db.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| db.display().to_string())
}

fn must_exist(path: &Path) -> Result<()> {
    if path.exists() {
        Ok(())
    } else {
        Err(Error::NotFound(format!(
            "there is no database at {}; pass --db PATH (or MSHT_DB) to name it",
            path.display()
        )))
    }
}

fn encrypt(ctx: &Ctx) -> Result<()> {
    let path = ctx.db_path()?;
    must_exist(&path)?;
    if Store::file_is_encrypted(&path)? {
        return say(ctx, &path, "already encrypted; nothing to do", None);
    }
    let store = Store::open(&path)?;
    let mut ask = TerminalAsk;
    let keys = key_source(ctx, &mut ask)?;
    let done = store.encrypt(keys)?;
    let how = match done.encryption {
        Encryption::Passphrase => format!(
            "unlocked by your passphrase (key in {})",
            key::passphrase_file(&path).display()
        ),
        _ => "unlocked by the raw key file".to_string(),
    };
    let msg = format!(
        "encrypted: {} encounters, {} events verified before and after; {how}; no plaintext copy is left",
        done.encounters, done.events
    );
    say(ctx, &path, &msg, Some(done.encryption))
}

fn passphrase(ctx: &Ctx) -> Result<()> {
    let path = ctx.db_path()?;
    must_exist(&path)?;
    if !Store::file_is_encrypted(&path)? {
        return Err(Error::Usage(format!(
            "the database {} is not encrypted, so it has no passphrase; `msht db encrypt` encrypts it",
            path.display()
        )));
    }
    let mut ask = TerminalAsk;
    let key: DbKey = match &ctx.key_file {
        Some(f) => key::read_raw_key_file(f).map_err(key_err)?,
        None => match WrappedKey::load(&path).map_err(key_err)? {
            Some(w) => w
                .unwrap(&ask.current(&path).map_err(key_err)?, &path)
                .map_err(key_err)?,
            None => return Err(key_err(KeyError::NoKey { db: path })),
        },
    };
    // Proves the key opens this database before a passphrase file is written for it.
    drop(Store::open_with(&path, KeySource::Raw(key.clone()))?);
    let new = ask.new_passphrase(&path).map_err(key_err)?;
    WrappedKey::wrap(&key, &new)
        .and_then(|w| w.save(&path, true))
        .map_err(key_err)?;
    say(
        ctx,
        &path,
        "passphrase changed; the database itself was not rewritten",
        Some(Encryption::Passphrase),
    )
}

fn say(ctx: &Ctx, path: &Path, msg: &str, enc: Option<Encryption>) -> Result<()> {
    if ctx.json {
        output::print_json(&serde_json::json!({
            "database": path.display().to_string(),
            "encryption": enc,
            "message": msg,
        }))?;
    } else {
        output::print_lines(&output::wrap(
            &format!("{}: {msg}", path.display()),
            output::width(),
        ))?;
    }
    Ok(())
}
