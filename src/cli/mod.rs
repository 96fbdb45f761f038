//! The command line: argument parsing, one file per subcommand, and the mapping from the
//! library's errors to one plain sentence and a `sysexits` code. Only this layer prints.

pub(crate) mod check;
mod checklist;
mod completions;
mod config;
mod db;
mod doctor;
mod encounters;
mod exit;
mod export;
mod flow;
mod guidance;
mod guide;
mod hint;
mod man;
pub mod output;
mod review;
mod scene;
mod search;
mod sync;
mod sync_keys;
mod usage;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::error::{Error, Result};
use exit::Exit;
use usage::usage_sentence;

#[derive(Debug, Parser)]
#[command(
    name = "msht",
    version = crate::built_in::CLI_VERSION,
    about = "Offline companion for officers meeting possible victims of modern slavery and human trafficking",
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// The encounter database [default: the platform data directory]
    #[arg(
        long,
        env = "MSHT_DB",
        global = true,
        hide_env_values = true,
        value_name = "PATH"
    )]
    pub db: Option<PathBuf>,
    /// A guidance folder to use instead of the built-in copy
    #[arg(
        long,
        env = "MSHT_GUIDANCE",
        global = true,
        hide_env_values = true,
        value_name = "DIR"
    )]
    pub guidance: Option<PathBuf>,
    /// A raw key file for the encounter database (64 hex characters, owner-only); skips
    /// the passphrase prompt
    #[arg(
        long,
        env = "MSHT_KEY_FILE",
        global = true,
        hide_env_values = true,
        value_name = "PATH"
    )]
    pub key_file: Option<PathBuf>,
    /// The config file of defaults [default: config.toml in the platform config directory]
    #[arg(
        long,
        env = "MSHT_CONFIG",
        global = true,
        hide_env_values = true,
        value_name = "FILE"
    )]
    pub config: Option<PathBuf>,
    /// Print machine-readable JSON instead of text
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Walk through a checklist at a scene, saving every answer as it is given
    Check(check::Args),
    /// Review, complete, amend or void recorded encounters
    #[command(subcommand)]
    Encounters(encounters::Command),
    /// The queue of encounters with duties or welfare prompts still open, and a
    /// supervisor's sign-off
    Review(review::Args),
    /// Export an encounter record (JSON, Markdown, CSV) or all of them (JSONL)
    Export(export::Args),
    /// Search the guidance by keyword
    Search(search::Args),
    /// Read guidance topics
    #[command(subcommand)]
    Guide(guide::Command),
    /// See the checklists and their questions
    #[command(subcommand)]
    Checklist(checklist::Command),
    /// Move encounters to a force hub through bundle files
    #[command(subcommand)]
    Sync(sync::Command),
    /// Tools for guidance authors
    #[command(subcommand)]
    Guidance(guidance::Command),
    /// Scenes: several people met together, each with their own linked encounter
    #[command(subcommand)]
    Scene(scene::Command),
    /// Encrypt the database, or change its passphrase
    #[command(subcommand)]
    Db(db::Command),
    /// Show paths, versions and check the database's integrity
    Doctor,
    /// Show or change your defaults: officer, force, nation, sync folder, database
    #[command(subcommand)]
    Config(config::Command),
    /// Print the tab-completion script for bash, zsh, fish or PowerShell
    Completions(completions::Args),
    /// Print the manual page (roff; read it with `msht man | man -l -`)
    Man(man::Args),
}

/// What every subcommand may need, resolved once from the global flags.
pub struct Ctx {
    /// `--db` or `MSHT_DB`, else the config file's `database`.
    pub db: Option<PathBuf>,
    /// `--key-file`: the raw database key, instead of asking for the passphrase.
    pub key_file: Option<PathBuf>,
    pub guidance_dir: Option<PathBuf>,
    pub json: bool,
    /// `--config` or `MSHT_CONFIG`, else the platform default.
    pub config_path: Option<PathBuf>,
    /// The defaults from the config file (empty for the commands that do not use it).
    pub config: crate::config::Config,
}

impl Ctx {
    pub fn guidance(&self) -> Result<crate::guidance::Guidance> {
        Ok(crate::guidance::load(self.guidance_dir.as_deref())?)
    }
}

pub fn run(cli: Cli) -> Result<()> {
    // The one way to check, on any build, that a panic keeps its promise (one sentence,
    // exit 1): the release profile must unwind for `main`'s `catch_unwind` to see it.
    if std::env::var_os("MSHT_PANIC_FOR_TESTS").is_some() {
        panic!("MSHT_PANIC_FOR_TESTS is set");
    }
    let mut ctx = Ctx {
        db: cli.db,
        key_file: cli.key_file.filter(|p| !p.as_os_str().is_empty()),
        guidance_dir: cli.guidance,
        json: cli.json,
        config_path: cli.config,
        config: crate::config::Config::default(),
    };
    // Flag and environment (clap) first, then the config file, then the built-in
    // default. `config` itself must work on a broken file (to say what is wrong with it),
    // and completions and the man page never need it.
    if !matches!(
        cli.command,
        Command::Config(_) | Command::Completions(_) | Command::Man(_)
    ) {
        ctx.config = crate::config::Config::load(&config::path(&ctx)?)?;
        if ctx.db.is_none() {
            ctx.db = ctx.config.database.clone();
        }
    }
    match cli.command {
        Command::Check(a) => check::run(&ctx, a),
        Command::Encounters(c) => encounters::run(&ctx, c),
        Command::Review(a) => review::run(&ctx, a),
        Command::Export(a) => export::run(&ctx, a),
        Command::Search(a) => search::run(&ctx, a),
        Command::Guide(c) => guide::run(&ctx, c),
        Command::Checklist(c) => checklist::run(&ctx, c),
        Command::Sync(c) => sync::run(&ctx, c),
        Command::Guidance(c) => guidance::run(&ctx, c),
        Command::Scene(c) => scene::run(&ctx, c),
        Command::Db(c) => db::run(&ctx, c),
        Command::Doctor => doctor::run(&ctx),
        Command::Config(c) => config::run(&ctx, c),
        Command::Completions(a) => completions::run(&a),
        Command::Man(a) => man::run(&a),
    }
}

/// Entry point for the binary. Never lets a panic's backtrace or a raw error reach the user.
pub fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "msht: internal error{at}; everything already saved is safe. Please report this with the command you ran."
        );
    }));
    output::guard_standard_streams();
    output::init_colour();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    Exit::Ok
                }
                clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => Exit::Usage,
                _ => {
                    // A mistyped command is one sentence like every other error (SPEC §2),
                    // not clap's multi-line block; help and version print as clap wrote them.
                    eprintln!("{}", usage_sentence(&e.render().to_string()));
                    return ExitCode::from(Exit::Usage.code());
                }
            };
            let _ = e.print();
            return ExitCode::from(code.code());
        }
    };
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(cli)));
    match outcome {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            report(&e);
            ExitCode::from(Exit::from(e.fault()).code())
        }
        Err(_) => ExitCode::from(Exit::Failure.code()),
    }
}

/// Prints the error as one sentence with its next step. On a terminal it is wrapped to
/// the screen (a phone is 40 columns); in a log it stays on one line for scripts.
fn report(e: &Error) {
    let sentence = match hint::next_step(e) {
        Some(next) => format!("msht: {e}; {next}"),
        None => format!("msht: {e}"),
    };
    // An error may quote what was typed or imported: show it, never let it act.
    let sentence = crate::text::visible::visible(&sentence);
    if std::io::stderr().is_terminal() {
        // A message's own line breaks keep a command whole on a line of its own.
        for part in sentence.lines() {
            for line in output::wrap(part, output::err_width()) {
                eprintln!("{line}");
            }
        }
    } else {
        eprintln!("{sentence}");
    }
    if let Error::Guidance(crate::guidance::GuidanceError::Invalid { problems, .. }) = e {
        for p in problems.0.iter().take(5) {
            eprintln!("  {p}");
        }
    }
}
