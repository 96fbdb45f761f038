//! `msht encounters action`: what became of a welfare prompt, at the scene or later.
//! Each action is added to the prompt's history; none replaces an earlier one.

use super::ActionArgs;
use crate::cli::Ctx;
use crate::cli::{db, output};
use crate::error::{Error, Result};
use crate::record::{EventBody, WelfareOutcome};

pub fn run(ctx: &Ctx, a: ActionArgs) -> Result<()> {
    let (outcome, reason) = match (&a.not_possible, a.done) {
        (Some(r), _) if r.trim().is_empty() => {
            return Err(Error::Usage(
                "--not-possible needs a reason, in a few words".into(),
            ));
        }
        (Some(r), _) => (WelfareOutcome::NotPossible, r.trim().to_string()),
        (None, true) => (WelfareOutcome::Done, String::new()),
        (None, false) => (WelfareOutcome::Deferred, String::new()),
    };
    let mut store = db::open_existing(ctx)?;
    let state = super::load(ctx, &store, &a.id)?;
    let short = super::short(&store, &state.id);
    super::refuse_void(&state, &short, "no welfare action can be recorded on it")?;
    if !state.prompts.iter().any(|p| p.prompt == a.prompt) {
        let raised: Vec<&str> = state.prompts.iter().map(|p| p.prompt.as_str()).collect();
        return Err(Error::BadInput(format!(
            "prompt '{}' was not raised in encounter {short}; its prompts are: {}",
            a.prompt,
            if raised.is_empty() {
                "none".to_string()
            } else {
                raised.join(", ")
            }
        )));
    }
    let e = store.append(
        &state.id,
        EventBody::WelfareAction {
            prompt: a.prompt.clone(),
            outcome,
            reason,
        },
    )?;
    if ctx.json {
        return Ok(output::print_json(&serde_json::json!({
            "encounter_id": state.id,
            "event_id": e.id,
            "prompt": a.prompt,
            "outcome": outcome.as_str(),
        }))?);
    }
    Ok(output::print_lines(&output::wrap(
        &format!(
            "Recorded for {short}: {} → {} at {}.",
            a.prompt,
            outcome.as_str().replace('_', " "),
            e.at
        ),
        output::width(),
    ))?)
}
