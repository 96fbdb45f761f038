//! `msht review sign`: a supervisor's sign-off, appended to the record with what was
//! still open when they signed. With anything open it needs `--accept-open`, the reason
//! they accept it; the record and its exports show who signed, when, and what was open.

use clap::Args as ClapArgs;

use crate::cli::Ctx;
use crate::cli::encounters::{load, local_time, refuse_void, short};
use crate::cli::{db, output};
use crate::error::{Error, Result};
use crate::follow::sign_off;

#[derive(Debug, ClapArgs)]
pub struct Args {
    /// The encounter id, or enough of its start to be unique
    id: String,
    /// The supervisor signing (collar number or id)
    #[arg(long, value_name = "ID")]
    supervisor: String,
    /// A note to keep with the sign-off
    #[arg(long, value_name = "TEXT")]
    note: Option<String>,
    /// Sign although duties or welfare prompts are still open, and why (kept in the record)
    #[arg(long, value_name = "REASON")]
    accept_open: Option<String>,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<()> {
    if a.supervisor.trim().is_empty() {
        return Err(Error::Usage(
            "--supervisor cannot be empty: give the collar number or id of the supervisor signing"
                .into(),
        ));
    }
    if a.accept_open
        .as_deref()
        .is_some_and(|r| r.trim().is_empty())
    {
        return Err(Error::Usage(
            "--accept-open needs the reason, in a few words".into(),
        ));
    }
    let mut store = db::open_existing(ctx)?;
    let state = load(ctx, &store, &a.id)?;
    let id = short(&store, &state.id);
    refuse_void(&state, &id, "it cannot be signed off")?;
    let e = sign_off(
        &mut store,
        &state,
        &a.supervisor,
        a.note.as_deref().unwrap_or_default(),
        a.accept_open.as_deref().unwrap_or_default(),
    )?;
    let open: Vec<String> = match &e.body {
        crate::record::EventBody::SignedOff { open, .. } => {
            open.iter().map(|o| o.title.clone()).collect()
        }
        _ => Vec::new(),
    };
    if ctx.json {
        return Ok(output::print_json(&serde_json::json!({
            "encounter_id": state.id,
            "event_id": e.id,
            "supervisor": a.supervisor.trim(),
            "at": e.at,
            "open": open,
        }))?);
    }
    let mut text = format!(
        "Signed off {id} by {} at {}.",
        a.supervisor.trim(),
        local_time(&e.at, None)
    );
    if !open.is_empty() {
        text.push_str(&format!(" Open when signed: {}.", open.join("; ")));
    }
    Ok(output::print_lines(&output::wrap(&text, output::width()))?)
}
