//! `msht check --triage`: a quick first screen of many people at a scene.

use crate::cli::Ctx;
use crate::cli::check::Args;
use crate::error::{Error, Result};

pub fn run(_ctx: &Ctx, _args: Args) -> Result<()> {
    Err(Error::Usage("not yet".into()))
}
