//! `msht sync`: placeholder until the sync issue lands.

use clap::Subcommand;

use super::Ctx;
use crate::error::{Error, Result};

#[derive(Debug, Subcommand)]
pub enum Command {
    /// What is pending, pushed and acknowledged
    Status,
}

pub fn run(_ctx: &Ctx, _cmd: Command) -> Result<()> {
    Err(Error::Usage(
        "`msht sync` is not available in this build yet".into(),
    ))
}
