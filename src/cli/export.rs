//! `msht export`: placeholder until the export issue lands.

use super::Ctx;
use crate::error::{Error, Result};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Encounter id (a unique prefix is enough)
    pub id: Option<String>,
}

pub fn run(_ctx: &Ctx, _args: Args) -> Result<()> {
    Err(Error::Usage(
        "`msht export` is not available in this build yet".into(),
    ))
}
