//! `msht encounters duty`: what became of a duty after the scene (done, with the reference
//! the receiving system gave; not needed, with the reason; in progress). Each is a new
//! event with its own time and officer; none replaces an earlier one.

use super::DutyArgs;
use crate::cli::Ctx;
use crate::cli::{db, output};
use crate::error::{Error, Result};
use crate::follow::{DutyUpdate, record_duty};
use crate::record::DutyProgress;

pub fn run(ctx: &Ctx, a: DutyArgs) -> Result<()> {
    let outcome = if a.done {
        DutyProgress::Done
    } else if a.not_needed {
        DutyProgress::NotNeeded
    } else {
        DutyProgress::InProgress
    };
    let reason = a.reason.clone().unwrap_or_default();
    if outcome == DutyProgress::NotNeeded && reason.trim().is_empty() {
        return Err(Error::Usage(
            "--not-needed needs --reason, in a few words".into(),
        ));
    }
    let officer = officer(ctx, a.officer.as_deref())?;
    let g = ctx.guidance()?;
    let mut store = db::open_existing(ctx)?;
    let state = super::load(ctx, &store, &a.id)?;
    let short = super::short(&store, &state.id);
    super::refuse_void(&state, &short, "no duty outcome can be recorded on it")?;
    let duty = a.duty.clone();
    let e = record_duty(
        &mut store,
        &g,
        &state,
        DutyUpdate {
            duty: duty.clone(),
            outcome,
            officer,
            reference: a.reference.clone().unwrap_or_default(),
            reason,
            note: a.note.clone().unwrap_or_default(),
        },
    )?;
    let reference = a.reference.as_deref().map(str::trim).unwrap_or_default();
    if ctx.json {
        return Ok(output::print_json(&serde_json::json!({
            "encounter_id": state.id,
            "event_id": e.id,
            "duty": duty,
            "outcome": outcome.as_str(),
            "reference": Some(reference).filter(|r| !r.is_empty()),
            "at": e.at,
        }))?);
    }
    let with_ref = if reference.is_empty() {
        String::new()
    } else {
        format!(" (reference {reference})")
    };
    Ok(output::print_lines(&output::wrap(
        &format!(
            "Recorded for {short}: {duty} → {}{with_ref} at {}.",
            outcome.as_str().replace('_', " "),
            super::local_time(&e.at, None)
        ),
        output::width(),
    ))?)
}

/// Who records it: `--officer`, else the config file's officer. Never the encounter's
/// officer by default: whoever made the referral may be someone else.
pub(crate) fn officer(ctx: &Ctx, flag: Option<&str>) -> Result<String> {
    match flag.or(ctx.config.officer.as_deref()) {
        Some(o) if o.trim().is_empty() => Err(crate::cli::check::empty_officer()),
        Some(o) => Ok(o.trim().to_string()),
        None => Err(Error::Usage(
            "say who is recording this with --officer ID, or set one with `msht config set officer ID`".into(),
        )),
    }
}
