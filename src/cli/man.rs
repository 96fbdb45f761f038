//! `msht man`: the manual page (roff) for `man -l -`, generated from the clap definition so
//! it always matches `--help`.

use clap::CommandFactory;

use super::{Cli, output};
use crate::error::Result;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  msht man | man -l -
  msht man > ~/.local/share/man/man1/msht.1")]
pub struct Args {}

pub fn run(_args: &Args) -> Result<()> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut page)?;
    Ok(output::print_bytes(&page)?)
}
