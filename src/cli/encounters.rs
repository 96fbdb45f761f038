//! `msht encounters`: list, show, complete, amend and void recorded encounters.
//!
//! Nothing here changes a record in place: completing, amending and voiding each append
//! one event through the store, which enforces the rules (amend only what is complete,
//! always with a reason). `show` verifies the chain before printing anything, so an
//! altered record is never displayed as if it were sound.

use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;

use super::Ctx;
use super::output;
use crate::engine::{Answer, Session};
use crate::error::{Error, Result};
use crate::guidance::{Guidance, Question};
use crate::record::{EncounterState, EventBody, Status, WelfareOutcome};
use crate::store::{ListFilter, Store, StoreError};

/// How many encounters `list` shows unless told otherwise.
const DEFAULT_LIMIT: usize = 50;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List encounters, newest first
    List(ListArgs),
    /// Show one encounter: answers with times, welfare actions, notes, amendments, integrity
    Show {
        /// The encounter id, or enough of its start to be unique
        id: String,
    },
    /// Finish a draft: records the indicators and duties that follow from its answers
    Complete {
        /// The encounter id, or enough of its start to be unique
        id: String,
    },
    /// Correct a complete encounter; the original answers stay in the record
    Amend(AmendArgs),
    /// Record what was done about a welfare prompt, at the scene or later
    Action(ActionArgs),
    /// Mark an encounter void (a duplicate, a mistake); its events are kept
    Void {
        /// The encounter id, or enough of its start to be unique
        id: String,
        /// Why it is void (kept in the record)
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("outcome").required(true).args(["done", "not_possible", "later"])))]
pub struct ActionArgs {
    /// The encounter id, or enough of its start to be unique
    id: String,
    /// The prompt id (as `encounters show --json` lists it under prompts)
    prompt: String,
    /// It was done
    #[arg(long)]
    done: bool,
    /// It was not possible, and why
    #[arg(long, value_name = "REASON")]
    not_possible: Option<String>,
    /// Still to do
    #[arg(long)]
    later: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StatusArg {
    Draft,
    Complete,
    Void,
}

impl From<StatusArg> for Status {
    fn from(s: StatusArg) -> Status {
        match s {
            StatusArg::Draft => Status::Draft,
            StatusArg::Complete => Status::Complete,
            StatusArg::Void => Status::Void,
        }
    }
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only encounters with this status
    #[arg(long)]
    status: Option<StatusArg>,
    /// Only encounters started on or after this date (YYYY-MM-DD) or time (RFC 3339)
    #[arg(long, value_name = "DATE")]
    since: Option<String>,
    /// How many to show [default: 50]
    #[arg(long, value_name = "N", conflicts_with = "all")]
    limit: Option<usize>,
    /// Skip this many of the newest first (for paging)
    #[arg(long, value_name = "N", default_value_t = 0)]
    offset: usize,
    /// Show every matching encounter
    #[arg(long)]
    all: bool,
}

#[derive(Debug, Args)]
pub struct AmendArgs {
    /// The encounter id, or enough of its start to be unique
    id: String,
    /// Why the record is being corrected (kept in the record)
    #[arg(long, value_name = "TEXT")]
    reason: String,
    /// The question whose answer is corrected (see `msht checklist show`)
    #[arg(long, value_name = "QID", requires = "answer")]
    question: Option<String>,
    /// The corrected answer: yes, no, unsure, skip, a choice id, or text
    #[arg(long, value_name = "VALUE", requires = "question")]
    answer: Option<String>,
    /// A note to add to the record
    #[arg(long, value_name = "TEXT")]
    note: Option<String>,
}

pub fn run(ctx: &Ctx, cmd: Command) -> Result<()> {
    match cmd {
        Command::List(a) => list(ctx, a),
        Command::Show { id } => show(ctx, &id),
        Command::Complete { id } => complete(ctx, &id),
        Command::Amend(a) => amend(ctx, a),
        Command::Action(a) => action(ctx, a),
        Command::Void { id, reason } => void(ctx, &id, reason),
    }
}

fn open(ctx: &Ctx) -> Result<Store> {
    ctx.open_store()
}

fn list(ctx: &Ctx, a: ListArgs) -> Result<()> {
    let store = open(ctx)?;
    let filter = ListFilter {
        status: a.status.map(Status::from),
        since: a.since,
        limit: if a.all {
            None
        } else {
            Some(a.limit.unwrap_or(DEFAULT_LIMIT))
        },
        offset: a.offset,
    };
    let rows = store.list(&filter)?;
    if ctx.json {
        return Ok(output::print_json(&rows)?);
    }
    if rows.is_empty() {
        let what = if filter.status.is_some() || filter.since.is_some() || filter.offset > 0 {
            "No encounters match."
        } else {
            "No encounters recorded yet. `msht check` starts one."
        };
        return Ok(output::print_lines(&[what.to_string()])?);
    }
    let width = output::width();
    let mut lines = Vec::new();
    for r in &rows {
        let short = store.short_id(&r.id)?;
        let when = local_time(&r.created_at, None);
        let id = output::bold().apply_to(&short);
        // Id and status first; the time joins them only if it fits (40-column phones).
        if short.len() + 2 + 8 + 2 + when.len() <= width {
            lines.push(format!("{id}  {}  {when}", status_styled(r.status, 8)));
        } else {
            lines.push(format!("{id}  {}", status_styled(r.status, 0)));
            lines.push(format!("  {when}"));
        }
        let detail = format!("{} · {} · {}", r.officer, r.location, r.checklist);
        lines.extend(output::wrap_indent(&detail, width, "  ", "  "));
    }
    if filter.limit == Some(rows.len()) {
        lines.push(String::new());
        lines.push(
            output::dim()
                .apply_to(format!(
                    "Showing {}; --offset {} shows the next, --all shows every one.",
                    rows.len(),
                    filter.offset + rows.len()
                ))
                .to_string(),
        );
    }
    Ok(output::print_lines(&lines)?)
}

/// The status word, padded to `pad` columns before styling (escape codes have no width).
fn status_styled(s: Status, pad: usize) -> String {
    let text = format!("{:<pad$}", s.as_str());
    match s {
        Status::Draft => console::style(text).yellow().to_string(),
        Status::Complete => console::style(text).green().to_string(),
        Status::Void => output::dim().apply_to(text).to_string(),
    }
}

/// An RFC 3339 UTC time as the officer's clock showed it: in `offset` (the device's offset
/// when recorded) if given, else in this machine's time zone.
fn local_time(at: &str, offset: Option<&str>) -> String {
    let Ok(ts) = at.parse::<jiff::Timestamp>() else {
        return at.to_string();
    };
    let tz = offset
        .and_then(parse_offset)
        .map(jiff::tz::Offset::to_time_zone)
        .unwrap_or_else(jiff::tz::TimeZone::system);
    ts.to_zoned_datetime(tz)
        .strftime("%Y-%m-%d %H:%M:%S")
        .to_string()
}

fn parse_offset(s: &str) -> Option<jiff::tz::Offset> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    let secs = sign * (h.parse::<i32>().ok()? * 3600 + m.parse::<i32>().ok()? * 60);
    jiff::tz::Offset::from_seconds(secs).ok()
}

/// What `show --json` prints: the derived record and the facts that pin it down.
#[derive(Serialize)]
struct Shown<'a> {
    #[serde(flatten)]
    state: &'a EncounterState,
    integrity: Integrity<'a>,
}

#[derive(Serialize)]
struct Integrity<'a> {
    verified: bool,
    id: &'a str,
    event_count: usize,
    head_hash: &'a str,
}

fn show(ctx: &Ctx, id: &str) -> Result<()> {
    let store = open(ctx)?;
    let id = store.resolve_id(id)?;
    // Verifies the chain: an altered record is an error (exit 65) naming the event.
    let s = store.encounter(&id)?;
    if ctx.json {
        return Ok(output::print_json(&Shown {
            state: &s,
            integrity: Integrity {
                verified: true,
                id: &s.id,
                event_count: s.event_count,
                head_hash: &s.head_hash,
            },
        })?);
    }
    // Labels for choice answers come from the guidance if it still has the checklist;
    // the record itself keeps the question text, so it reads without it.
    let guidance = ctx.guidance().ok();
    Ok(output::print_lines(&render(
        &s,
        guidance.as_ref(),
        output::width(),
    ))?)
}

fn render(s: &EncounterState, g: Option<&Guidance>, width: usize) -> Vec<String> {
    let flat = g.and_then(|g| g.flattened(&s.checklist));
    let question = |id: &str| -> Option<&Question> {
        flat.as_ref()
            .and_then(|f| f.questions.iter().find(|q| q.id == id).copied())
    };
    let off = Some(s.created_offset.as_str());
    let t = |at: &str| local_time(at, off);
    let h = |text: &str| output::heading().apply_to(text).to_string();
    let mut l = Vec::new();
    l.push(h(&format!("Encounter {}", s.id)));
    let status = match (&s.status, &s.completed_at) {
        (Status::Complete, Some(at)) => format!("complete (at {})", t(at)),
        (st, _) => st.as_str().to_string(),
    };
    let mut facts = vec![
        format!("Status: {status}"),
        format!("Officer: {}", s.officer),
        format!("Location: {}", s.location),
        format!("Checklist: {} ({})", s.checklist_title, s.checklist),
        format!(
            "Guidance: version {}, hash {}",
            s.guidance_version,
            s.guidance_hash.chars().take(12).collect::<String>()
        ),
        format!("Started: {} (UTC{})", t(&s.created_at), s.created_offset),
        format!("Device: {}", s.device_id),
    ];
    if let Some(r) = &s.void_reason {
        facts.insert(1, format!("VOID: {r}"));
    }
    for f in facts {
        l.extend(output::wrap_indent(&f, width, "", "  "));
    }

    l.push(String::new());
    l.push(h("Answers"));
    if s.answers.is_empty() {
        l.push("  (none)".into());
    }
    for a in &s.answers {
        let q = question(&a.question);
        l.extend(output::wrap_indent(
            &format!("{} {}", t(&a.at), a.question_text),
            width,
            "  ",
            "    ",
        ));
        l.extend(output::wrap_indent(
            &format!("→ {}", a.answer.display(q)),
            width,
            "    ",
            "      ",
        ));
        for (old, at) in &a.history {
            l.extend(output::wrap_indent(
                &format!("(earlier: {} at {})", old.display(q), t(at)),
                width,
                "      ",
                "      ",
            ));
        }
    }

    if !s.prompts.is_empty() {
        l.push(String::new());
        l.push(h("Welfare prompts"));
        for p in &s.prompts {
            let outcome = match (p.outcome, &p.action_at) {
                (Some(WelfareOutcome::Done), Some(at)) => format!("done at {}", t(at)),
                (Some(WelfareOutcome::NotPossible), Some(at)) => {
                    format!("not possible at {}: {}", t(at), p.reason)
                }
                (Some(WelfareOutcome::Deferred), Some(at)) => {
                    format!("deferred at {}{}", t(at), reason_suffix(&p.reason))
                }
                _ => "OPEN: no action recorded".to_string(),
            };
            l.extend(output::wrap_indent(
                &format!("[{}] {} (raised {})", p.urgency, p.title, t(&p.raised_at)),
                width,
                "  ",
                "    ",
            ));
            l.extend(output::wrap_indent(
                &format!("→ {outcome}"),
                width,
                "    ",
                "      ",
            ));
        }
    }

    if !s.notes.is_empty() {
        l.push(String::new());
        l.push(h("Notes"));
        for n in &s.notes {
            l.extend(output::wrap_indent(
                &format!("{} {}", t(&n.at), n.text),
                width,
                "  ",
                "    ",
            ));
        }
    }

    if s.status != Status::Draft || !s.indicators.is_empty() {
        l.push(String::new());
        l.push(h("Outcome"));
        let ind = if s.indicators.is_empty() {
            "none".to_string()
        } else {
            s.indicators.join(", ")
        };
        l.extend(output::wrap_indent(
            &format!("Indicators: {ind}"),
            width,
            "  ",
            "    ",
        ));
        for d in &s.duties {
            l.extend(output::wrap_indent(
                &format!("Duty: {}", d.title),
                width,
                "  ",
                "    ",
            ));
        }
    }

    if !s.amendments.is_empty() {
        l.push(String::new());
        l.push(h("Amendments"));
        for a in &s.amendments {
            l.extend(output::wrap_indent(
                &format!("{} reason: {}", t(&a.at), a.reason),
                width,
                "  ",
                "    ",
            ));
            if let (Some(qid), Some(ans)) = (&a.question, &a.answer) {
                l.extend(output::wrap_indent(
                    &format!("{qid} → {}", ans.display(question(qid))),
                    width,
                    "    ",
                    "      ",
                ));
            }
            if let Some(n) = &a.note {
                l.extend(output::wrap_indent(
                    &format!("note: {n}"),
                    width,
                    "    ",
                    "      ",
                ));
            }
        }
    }

    l.push(String::new());
    // Not wrapped: the id and hash must be copyable whole.
    l.push(h("Integrity: verified"));
    l.push(format!("  id: {}", s.id));
    l.push(format!("  events: {}", s.event_count));
    l.push(format!("  head hash: {}", s.head_hash));
    l
}

fn reason_suffix(r: &str) -> String {
    if r.is_empty() {
        String::new()
    } else {
        format!(": {r}")
    }
}

fn complete(ctx: &Ctx, id: &str) -> Result<()> {
    let mut store = open(ctx)?;
    let id = store.resolve_id(id)?;
    let s = store.encounter(&id)?;
    if s.status != Status::Draft {
        return Err(StoreError::NotDraft {
            id,
            status: s.status,
            what: "it cannot be completed (only a draft can)",
        }
        .into());
    }
    let g = ctx.guidance()?;
    let session = Session::restore(
        &g,
        &s.checklist,
        s.answers
            .iter()
            .map(|a| (a.question.clone(), a.answer.clone())),
        s.prompts.iter().map(|p| p.prompt.clone()),
    )?;
    let body = crate::answers::completion(&session);
    let (indicators, duties) = match &body {
        EventBody::Completed { indicators, duties } => (indicators.clone(), duties.clone()),
        _ => (Vec::new(), Vec::new()),
    };
    let e = store.append(&id, body)?;
    if ctx.json {
        return Ok(output::print_json(&serde_json::json!({
            "encounter_id": id,
            "status": "complete",
            "event_id": e.id,
            "indicators": indicators,
            "duties": duties,
        }))?);
    }
    let width = output::width();
    let mut l = vec![format!("Encounter {id} is complete.")];
    let ind = if indicators.is_empty() {
        "none".to_string()
    } else {
        indicators.join(", ")
    };
    l.extend(output::wrap_indent(
        &format!("Indicators: {ind}"),
        width,
        "",
        "  ",
    ));
    for d in &duties {
        l.extend(output::wrap_indent(
            &format!("Duty: {}", d.title),
            width,
            "",
            "  ",
        ));
    }
    let open = s.open_prompts();
    if !open.is_empty() {
        l.push(
            output::urgent()
                .apply_to(format!(
                    "{} welfare prompt(s) have no action recorded: {}",
                    open.len(),
                    open.iter()
                        .map(|p| p.title.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
                .to_string(),
        );
    }
    Ok(output::print_lines(&l)?)
}

fn amend(ctx: &Ctx, a: AmendArgs) -> Result<()> {
    let mut store = open(ctx)?;
    let id = store.resolve_id(&a.id)?;
    // Loading verifies the chain: nothing is added to an altered record.
    let s = store.encounter(&id)?;
    let answer = match (&a.question, &a.answer) {
        (Some(qid), Some(value)) => {
            let g = ctx.guidance()?;
            let flat = g.flattened(&s.checklist).ok_or_else(|| {
                Error::BadInput(format!(
                    "the guidance in use has no checklist '{}', which this encounter used, so the answer cannot be checked; use --guidance with the version it was recorded with ({})",
                    s.checklist, s.guidance_version
                ))
            })?;
            let q = flat
                .questions
                .iter()
                .find(|q| q.id == *qid)
                .ok_or_else(|| {
                    Error::BadInput(format!(
                        "checklist '{}' has no question '{qid}'; `msht checklist show {}` lists them",
                        s.checklist, s.checklist
                    ))
                })?;
            Some(Answer::parse_for(q, value).map_err(Error::BadInput)?)
        }
        _ => None,
    };
    let e = store.append(
        &id,
        EventBody::Amended {
            reason: a.reason,
            question: a.question,
            answer,
            note: a.note,
        },
    )?;
    if ctx.json {
        return Ok(output::print_json(&serde_json::json!({
            "encounter_id": id,
            "event_id": e.id,
            "seq": e.seq,
            "at": e.at,
        }))?);
    }
    Ok(output::print_lines(&[format!(
        "Amended encounter {id} (event {}); the original stays in the record.",
        e.seq
    )])?)
}

fn action(ctx: &Ctx, a: ActionArgs) -> Result<()> {
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
    let mut store = open(ctx)?;
    let id = store.resolve_id(&a.id)?;
    let state = store.encounter(&id)?;
    if !state.prompts.iter().any(|p| p.prompt == a.prompt) {
        let raised: Vec<&str> = state.prompts.iter().map(|p| p.prompt.as_str()).collect();
        return Err(Error::BadInput(format!(
            "prompt '{}' was not raised in encounter {id}; its prompts are: {}",
            a.prompt,
            if raised.is_empty() {
                "none".to_string()
            } else {
                raised.join(", ")
            }
        )));
    }
    let e = store.append(
        &id,
        EventBody::WelfareAction {
            prompt: a.prompt.clone(),
            outcome,
            reason,
        },
    )?;
    if ctx.json {
        return Ok(output::print_json(&serde_json::json!({
            "encounter_id": id,
            "event_id": e.id,
            "prompt": a.prompt,
            "outcome": outcome.as_str(),
        }))?);
    }
    Ok(output::print_lines(&[format!(
        "Recorded for {id}: {} → {} at {}.",
        a.prompt,
        outcome.as_str().replace('_', " "),
        e.at
    )])?)
}

fn void(ctx: &Ctx, id: &str, reason: String) -> Result<()> {
    let mut store = open(ctx)?;
    let id = store.resolve_id(id)?;
    store.encounter(&id)?;
    let e = store.append(&id, EventBody::Voided { reason })?;
    if ctx.json {
        return Ok(output::print_json(&serde_json::json!({
            "encounter_id": id,
            "event_id": e.id,
            "status": "void",
        }))?);
    }
    Ok(output::print_lines(&[format!(
        "Encounter {id} is void; all its events are kept."
    )])?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_show_in_the_recorded_offset() {
        assert_eq!(
            local_time("2026-06-30T10:00:00.000Z", Some("+01:00")),
            "2026-06-30 11:00:00"
        );
        assert_eq!(
            local_time("2026-06-30T10:00:00.000Z", Some("-05:30")),
            "2026-06-30 04:30:00"
        );
        assert_eq!(local_time("garbage", None), "garbage");
        assert!(parse_offset("01:00").is_none());
    }
}
