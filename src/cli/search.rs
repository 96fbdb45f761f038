//! `msht search`: placeholder until the search issue lands.

use super::Ctx;
use crate::error::{Error, Result};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Words to search for
    pub words: Vec<String>,
}

pub fn run(_ctx: &Ctx, _args: Args) -> Result<()> {
    Err(Error::Usage(
        "`msht search` is not available in this build yet".into(),
    ))
}
