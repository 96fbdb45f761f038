//! `msht encounters amend`: a correction appended with its reason. The answer is checked
//! by the engine, as at the scene, and when it changes the duties the output says so,
//! old → new (the record's history shows the same, derived on every read).

use super::AmendArgs;
use super::show::none_if_empty;
use crate::cli::Ctx;
use crate::cli::{db, output};
use crate::engine::{Session, duties_for};
use crate::error::{Error, Result};
use crate::record::{Answer, EncounterState, EventBody, Status};

pub fn run(ctx: &Ctx, a: AmendArgs) -> Result<()> {
    let mut store = db::open_existing(ctx)?;
    // Loading verifies the chain: nothing is added to an altered record.
    let s = super::load(ctx, &store, &a.id)?;
    let short = super::short(&store, &s.id);
    super::refuse_void(&s, &short, "it cannot be amended")?;
    if s.status == Status::Draft {
        return Err(Error::BadInput(format!(
            "encounter {short} is still a draft, and only a complete encounter can be amended; continue it with `msht check --resume {short}`"
        )));
    }
    let change = match (&a.question, &a.answer) {
        (Some(qid), Some(value)) => Some(checked(ctx, &s, qid, value)?),
        _ => None,
    };
    let before: Vec<String> = s.duties.iter().map(|d| d.title.clone()).collect();
    let after = match &change {
        Some((qid, answer)) => duties_after(ctx, &s, qid, answer)?,
        None => before.clone(),
    };
    let e = store.append(
        &s.id,
        EventBody::Amended {
            reason: a.reason,
            question: change.as_ref().map(|(q, _)| q.clone()),
            answer: change.map(|(_, v)| v),
            note: a.note,
        },
    )?;
    let changed = before != after;
    if ctx.json {
        return Ok(output::print_json(&serde_json::json!({
            "encounter_id": s.id,
            "event_id": e.id,
            "seq": e.seq,
            "at": e.at,
            "duties_changed": changed.then(|| serde_json::json!({"before": before, "after": after})),
        }))?);
    }
    let width = output::width();
    let mut l = output::wrap(
        &format!(
            "Amended encounter {short} (event {}); the original stays in the record.",
            e.seq
        ),
        width,
    );
    if changed {
        l.extend(output::wrap(
            &format!(
                "Duties changed: {} → {}.",
                none_if_empty(&before),
                none_if_empty(&after)
            ),
            width,
        ));
    }
    Ok(output::print_lines(&l)?)
}

/// The corrected answer, checked by the engine against the record's other answers.
fn checked(ctx: &Ctx, s: &EncounterState, qid: &str, value: &str) -> Result<(String, Answer)> {
    let g = ctx.guidance()?;
    let mut others = s.current_answers();
    others.retain(|(q, _)| q != qid);
    let session = Session::restore(&g, &s.checklist, others, []).map_err(|_| {
        Error::BadInput(format!(
            "the guidance in use has no checklist '{}', which this encounter used, so the answer cannot be checked; use --guidance with the version it was recorded with ({})",
            s.checklist, s.guidance_version
        ))
    })?;
    let answer = session.parse_answer(qid, value).map_err(|e| match e {
        crate::engine::EngineError::UnknownQuestion { .. } => Error::BadInput(format!(
            "checklist '{0}' has no question '{qid}'; `msht checklist show {0}` lists them",
            s.checklist
        )),
        other => other.into(),
    })?;
    Ok((qid.to_string(), answer))
}

fn duties_after(ctx: &Ctx, s: &EncounterState, qid: &str, answer: &Answer) -> Result<Vec<String>> {
    let g = ctx.guidance()?;
    let mut answers = s.current_answers();
    answers.retain(|(q, _)| q != qid);
    answers.push((qid.to_string(), answer.clone()));
    Ok(duties_for(&g, &s.checklist, answers)?
        .into_iter()
        .map(|d| d.title)
        .collect())
}
