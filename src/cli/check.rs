//! `msht check`: placeholder until the guided checklist issue lands.

use std::path::PathBuf;

use super::Ctx;
use crate::error::{Error, Result};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Checklist to run (see `msht checklist list`)
    #[arg(long)]
    pub checklist: Option<String>,
    /// Officer id (collar number)
    #[arg(long)]
    pub officer: Option<String>,
    /// Where the encounter happens
    #[arg(long)]
    pub location: Option<String>,
    /// Continue a draft encounter where it stopped
    #[arg(long, value_name = "ENCOUNTER")]
    pub resume: Option<String>,
    /// Take answers from a JSON file (`-` for stdin) instead of a terminal
    #[arg(long, value_name = "FILE")]
    pub answers: Option<PathBuf>,
}

pub fn run(_ctx: &Ctx, _args: Args) -> Result<()> {
    Err(Error::Usage(
        "`msht check` is not available in this build yet".into(),
    ))
}
