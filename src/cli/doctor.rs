//! `msht doctor`: placeholder until the store issue lands; reports the guidance in use.

use super::Ctx;
use super::output;
use crate::error::Result;

pub fn run(ctx: &Ctx) -> Result<()> {
    let g = ctx.guidance()?;
    let lines = vec![
        format!("guidance: {}", g.origin),
        format!("guidance version: {}", g.version),
        format!("guidance hash: {}", g.hash),
    ];
    Ok(output::print_lines(&lines)?)
}
