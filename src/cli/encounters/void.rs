//! `msht encounters void`: marks a record void with a reason; every event is kept.

use crate::cli::Ctx;
use crate::cli::{db, output};
use crate::error::Result;
use crate::record::EventBody;

pub fn run(ctx: &Ctx, prefix: &str, reason: String) -> Result<()> {
    let mut store = db::open_existing(ctx)?;
    let id = store.resolve_id(prefix)?;
    store.encounter(&id)?;
    let e = store.append(&id, EventBody::Voided { reason })?;
    if ctx.json {
        return Ok(output::print_json(&serde_json::json!({
            "encounter_id": id,
            "event_id": e.id,
            "status": "void",
        }))?);
    }
    let short = super::short(&store, &id);
    Ok(output::print_lines(&output::wrap(
        &format!("Encounter {short} is void; all its events are kept."),
        output::width(),
    ))?)
}
