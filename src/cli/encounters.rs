//! `msht encounters`: placeholder until the store issue lands.

use clap::Subcommand;

use super::Ctx;
use crate::error::{Error, Result};

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List encounters, newest first
    List,
}

pub fn run(_ctx: &Ctx, _cmd: Command) -> Result<()> {
    Err(Error::Usage(
        "`msht encounters` is not available in this build yet".into(),
    ))
}
