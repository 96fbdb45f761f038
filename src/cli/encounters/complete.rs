//! `msht encounters complete`: finishes a draft once it holds what the engine requires,
//! stating the indicators and duties that follow, and naming every prompt still open.

use crate::cli::Ctx;
use crate::cli::{db, output};
use crate::engine::Session;
use crate::error::{Error, Result};
use crate::record::Status;

pub fn run(ctx: &Ctx, prefix: &str) -> Result<()> {
    let mut store = db::open_existing(ctx)?;
    let id = store.resolve_id(prefix)?;
    let s = store.encounter(&id)?;
    let short = super::short(&store, &id);
    super::refuse_void(&s, &short, "it cannot be completed")?;
    if s.status == Status::Complete {
        return Err(Error::BadInput(format!(
            "encounter {short} is already complete; to correct it use `msht encounters amend {short} --reason TEXT`"
        )));
    }
    let g = ctx.guidance()?;
    let session = Session::restore(&g, &s.checklist, s.current_answers(), [])?;
    if let Some(problem) = session.completion_problem() {
        return Err(Error::BadInput(format!(
            "encounter {short} cannot be completed yet: {problem}; continue it with `msht check --resume {short}`"
        )));
    }
    let e = store.append(&id, crate::answers::completion(&session))?;
    let done = super::load(ctx, &store, &id)?;
    if ctx.json {
        return Ok(output::print_json(&serde_json::json!({
            "encounter_id": id,
            "status": "complete",
            "event_id": e.id,
            "indicators": done.indicators,
            "duties": done.duties,
        }))?);
    }
    let width = output::width();
    let mut l = output::wrap(&format!("Encounter {short} is complete."), width);
    l.push("Duties, in the order to do them:".into());
    for (n, d) in done.duties.iter().enumerate() {
        l.extend(output::wrap_indent(
            &d.title,
            width,
            &format!("{}. ", n + 1),
            "   ",
        ));
    }
    let open = done.open_prompts();
    if !open.is_empty() {
        l.push(
            output::urgent()
                .apply_to(format!("{} welfare prompt(s) still open:", open.len()))
                .to_string(),
        );
        for p in open {
            l.extend(output::wrap_indent(&p.title, width, "• ", "  "));
            l.extend(output::wrap_indent(
                &format!("msht encounters action {short} {} --done", p.prompt),
                width,
                "  ",
                "    ",
            ));
        }
    }
    Ok(output::print_lines(&l)?)
}
