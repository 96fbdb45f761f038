//! `msht check`: the guided checklist. With a terminal it is interactive (see `flow/`);
//! with `--answers FILE` the same engine runs on a JSON file and prints the outcome.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Ctx;
use super::output::{self, bold};
use crate::answers::{self, AnswersFile};
use crate::error::{Error, Result};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Checklist to run (see `msht checklist list`)
    #[arg(long)]
    pub checklist: Option<String>,
    /// Officer id (collar number); remembered from the last encounter
    #[arg(long)]
    pub officer: Option<String>,
    /// Where the encounter happens
    #[arg(long)]
    pub location: Option<String>,
    /// Continue a draft encounter where it stopped (with --answers: from a file)
    #[arg(long, value_name = "ENCOUNTER", conflicts_with = "checklist")]
    pub resume: Option<String>,
    /// Take answers from a JSON file (`-` for stdin) instead of a terminal; a file with
    /// `people` is a whole scene (several people, each with answers or a triage)
    #[arg(long, value_name = "FILE")]
    pub answers: Option<PathBuf>,
    /// Link this person to an open scene (several people met together; `msht scene list`)
    #[arg(long, value_name = "SCENE", conflicts_with_all = ["resume", "new_scene"])]
    pub scene: Option<String>,
    /// Open a new scene (several people met together) with this person as its first
    #[arg(long, conflicts_with = "resume")]
    pub new_scene: bool,
    /// What the new scene is, e.g. "raid on a car wash"
    #[arg(long, value_name = "TEXT")]
    pub scene_description: Option<String>,
    /// A short description telling this person apart at the scene ("worker 3, red jacket")
    #[arg(long, value_name = "TEXT")]
    pub label: Option<String>,
    /// The person noted for later at the scene (n1, n2, … in `msht scene show`) whom this
    /// encounter screens
    #[arg(long, value_name = "NOTE", requires = "scene")]
    pub for_note: Option<String>,
    /// A quick triage of several people at a scene (label, age, danger, injury,
    /// interpreter), each saved as a draft to finish later with --resume
    #[arg(long, conflicts_with_all = ["resume", "answers", "checklist"])]
    pub triage: bool,
}

pub fn run(ctx: &Ctx, args: Args) -> Result<()> {
    if let Some(path) = args.answers.clone() {
        return from_answers(ctx, &args, &path);
    }
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        return Err(Error::Usage(
            "msht check needs a terminal to ask questions; to record from a file use `msht check --answers FILE` (or `-` for stdin)"
                .into(),
        ));
    }
    if args.triage {
        return super::flow::triage::run(ctx, args);
    }
    super::flow::run(ctx, args)
}

/// An officer given as an empty string: the record must say who made it.
pub fn empty_officer() -> Error {
    Error::BadInput(
        "the officer cannot be empty: give the collar number or id of the officer who made the record".into(),
    )
}

/// Who made the record: `--officer`, else the file's `officer`. Never the last officer on
/// the device: on a shared device that would attribute the record to the wrong person.
/// The flag, else the answers file, else the config file's officer.
pub fn officer_of(args: &Args, in_file: Option<&str>, configured: Option<&str>) -> Result<String> {
    match args.officer.as_deref().or(in_file).or(configured) {
        Some(o) if o.trim().is_empty() => Err(empty_officer()),
        Some(o) => Ok(o.trim().to_string()),
        None => Err(Error::BadInput(
            "the answers file names no officer; add \"officer\" to it, pass --officer, or set one with `msht config set officer ID`".into(),
        )),
    }
}

/// Reads at most `answers::MAX_FILE_BYTES` (and one byte more, to know it was more), so
/// `--answers /dev/zero` is refused at once instead of filling memory.
fn read_capped(mut r: impl Read) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    r.by_ref()
        .take(answers::MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

pub fn read_answers(path: &Path) -> Result<String> {
    let read = if path == Path::new("-") {
        read_capped(std::io::stdin().lock())
    } else {
        std::fs::File::open(path).and_then(read_capped)
    };
    match read {
        Ok(bytes) if bytes.len() as u64 > answers::MAX_FILE_BYTES => {
            Err(answers::AnswersError::TooLarge.into())
        }
        Ok(bytes) => String::from_utf8(bytes).map_err(|_| {
            Error::BadInput(format!(
                "the answers file {} is not UTF-8 text",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::NotFound(format!(
            "the answers file {} does not exist; check the path",
            path.display()
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::IsADirectory => Err(Error::NotFound(format!(
            "{} is a folder, not an answers file; give the path of the JSON file",
            path.display()
        ))),
        Err(e) => Err(Error::io(
            format!("could not read the answers file {}", path.display()),
            e,
        )),
    }
}

#[derive(Serialize)]
pub struct IndicatorJson<'a> {
    question: &'a str,
    text: &'a str,
    answer: &'a str,
}

#[derive(Serialize)]
pub struct PromptJson<'a> {
    id: &'a str,
    title: &'a str,
    urgency: &'a str,
}

#[derive(Serialize)]
pub struct DutyJson<'a> {
    id: &'a str,
    title: &'a str,
    next: &'a str,
    because: &'a [String],
}

#[derive(Serialize)]
pub struct OutcomeJson<'a> {
    encounter_id: &'a str,
    status: &'a str,
    checklist: &'a str,
    indicators: Vec<IndicatorJson<'a>>,
    welfare_prompts: Vec<PromptJson<'a>>,
    duties: Vec<DutyJson<'a>>,
    /// The scene the person was linked to, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    scene_id: Option<&'a str>,
    /// Other possible victims the answers raise (each to be screened on their own).
    others_raised: Vec<OtherJson<'a>>,
}

#[derive(Serialize)]
pub struct OtherJson<'a> {
    question: &'a str,
    label: &'a str,
}

impl<'a> OutcomeJson<'a> {
    /// The outcome of one planned encounter, recorded as `id`.
    pub fn of(
        plan: &'a answers::Plan<'a>,
        id: &'a str,
        scene_id: Option<&'a str>,
        indicators: &'a [(&'a crate::guidance::Question, &'a crate::record::Answer)],
        duties: &'a [crate::engine::DutyOutcome<'a>],
    ) -> OutcomeJson<'a> {
        OutcomeJson {
            encounter_id: id,
            status: if plan.complete { "complete" } else { "draft" },
            checklist: plan.session.checklist_id(),
            indicators: indicators
                .iter()
                .map(|(q, a)| IndicatorJson {
                    question: &q.id,
                    text: &q.text,
                    answer: a.as_value(),
                })
                .collect(),
            welfare_prompts: plan
                .raised
                .iter()
                .map(|p| PromptJson {
                    id: &p.id,
                    title: &p.title,
                    urgency: p.urgency.as_str(),
                })
                .collect(),
            duties: duties
                .iter()
                .map(|d| DutyJson {
                    id: &d.duty.id,
                    title: &d.duty.title,
                    next: &d.duty.next,
                    because: &d.because,
                })
                .collect(),
            scene_id,
            others_raised: plan
                .session
                .others_raised()
                .into_iter()
                .map(|o| OtherJson {
                    question: &o.question.id,
                    label: o.label,
                })
                .collect(),
        }
    }
}

/// Fills in the config's default answers (the nation) that the file leaves out, for the
/// questions this checklist asks; the file's own answers always win.
pub fn prefill(ctx: &Ctx, g: &crate::guidance::Guidance, file: &mut AnswersFile) {
    prefill_answers(ctx, g, &file.checklist, &mut file.answers);
}

/// `prefill` on a bare answers map for `checklist`.
pub fn prefill_answers(
    ctx: &Ctx,
    g: &crate::guidance::Guidance,
    checklist: &str,
    answers: &mut serde_json::Map<String, serde_json::Value>,
) {
    let Some(flat) = g.flattened(checklist) else {
        return;
    };
    for (question, value) in ctx.config.default_answers() {
        if flat.position(&question).is_some() {
            answers
                .entry(question)
                .or_insert(serde_json::Value::String(value));
        }
    }
}

fn from_answers(ctx: &Ctx, args: &Args, path: &Path) -> Result<()> {
    let g = ctx.guidance()?;
    let text = read_answers(path)?;
    if let Some(prefix) = &args.resume {
        return resume_from_answers(ctx, &g, prefix, &text);
    }
    if answers::scene::is_scene_file(&text) {
        return super::scene::file::run(ctx, args, &g, &text);
    }
    let mut file = AnswersFile::parse(&text)?;
    prefill(ctx, &g, &mut file);
    let officer = officer_of(args, file.officer.as_deref(), ctx.config.officer.as_deref())?;
    let mut store = super::db::open(ctx)?;
    let location = args
        .location
        .clone()
        .or_else(|| file.location.clone())
        .unwrap_or_default();
    let plan = answers::plan(&g, &file, &officer, &location)?;
    let (id, scene) = match super::scene::file::target(&store, args, &officer, &location)? {
        Some(target) => {
            let rec = super::scene::file::record_one(&mut store, target, args, &plan)?;
            (
                rec.encounters.first().cloned().unwrap_or_default(),
                Some(rec.scene_id),
            )
        }
        None => {
            let events = store.record_encounter(plan.created.clone(), plan.rest.clone())?;
            let id = events
                .first()
                .map(|e| e.encounter_id.clone())
                .unwrap_or_default();
            (id, None)
        }
    };
    let indicators = plan.session.indicators();
    let duties = plan.session.duties();
    if ctx.json {
        let out = OutcomeJson::of(&plan, &id, scene.as_deref(), &indicators, &duties);
        return Ok(output::print_json(&out)?);
    }
    let status = if plan.complete { "complete" } else { "draft" };
    let mut lines = outcome_lines(&id, status, &indicators, &plan.raised, &duties);
    lines.extend(super::scene::file::others_lines(
        &store,
        &plan,
        scene.as_deref(),
    )?);
    lines.extend(output::wrap(
        &format!("Next: msht export {id} --format md"),
        output::width(),
    ));
    Ok(output::print_lines(&lines)?)
}

/// `check --resume ID --answers FILE`: a draft (a triaged person, say) finished from a
/// file. Everything the file adds is written in one transaction.
fn resume_from_answers(
    ctx: &Ctx,
    g: &crate::guidance::Guidance,
    prefix: &str,
    text: &str,
) -> Result<()> {
    let file = AnswersFile::parse(text)?;
    let mut store = super::db::open(ctx)?;
    let id = store.resolve_id(prefix)?;
    let state = store.encounter(&id)?;
    if state.status != crate::record::Status::Draft {
        return Err(Error::Usage(format!(
            "encounter {} is {}, so it cannot be resumed; use `msht encounters amend` to correct it",
            store.short_id(&id)?,
            state.status.as_str()
        )));
    }
    let raised = state.prompts.iter().map(|p| p.prompt.clone());
    let session =
        crate::engine::Session::restore(g, &state.checklist, state.current_answers(), raised)?;
    let plan = answers::plan_resume(session, &file)?;
    store.append_all(&id, plan.rest.clone())?;
    let indicators = plan.session.indicators();
    let duties = plan.session.duties();
    let scene = state.scene.as_ref().map(|l| l.scene.as_str());
    if ctx.json {
        let out = OutcomeJson::of(&plan, &id, scene, &indicators, &duties);
        return Ok(output::print_json(&out)?);
    }
    let status = if plan.complete { "complete" } else { "draft" };
    let mut lines = outcome_lines(&id, status, &indicators, &plan.raised, &duties);
    lines.extend(super::scene::file::others_lines(&store, &plan, scene)?);
    Ok(output::print_lines(&lines)?)
}

/// The outcome of an answers file as text for a person.
pub fn outcome_lines(
    id: &str,
    status: &str,
    indicators: &[(&crate::guidance::Question, &crate::record::Answer)],
    raised: &[&crate::guidance::WelfarePrompt],
    duties: &[crate::engine::DutyOutcome],
) -> Vec<String> {
    let w = output::width();
    let mut lines = output::wrap(&format!("Encounter {id} saved ({status})."), w);
    lines.push(
        bold()
            .apply_to("Indicators (answers that give concern)")
            .to_string(),
    );
    if indicators.is_empty() {
        lines.push("None recorded.".into());
    }
    for (q, a) in indicators {
        lines.extend(output::wrap_indent(
            &format!("{} → {}", q.text, a.display(Some(q))),
            w,
            "• ",
            "  ",
        ));
    }
    lines.push(bold().apply_to("Welfare prompts raised").to_string());
    if raised.is_empty() {
        lines.push("None.".into());
    }
    for p in raised {
        lines.extend(output::wrap_indent(
            &format!("[{}] {}", p.urgency.label(), p.title),
            w,
            "• ",
            "  ",
        ));
    }
    lines.push(bold().apply_to("Duties that follow").to_string());
    if duties.is_empty() {
        lines.push("None from these answers.".into());
    }
    for d in duties {
        lines.extend(output::wrap_indent(
            &format!("{}: {}", d.duty.title, d.duty.next),
            w,
            "• ",
            "  ",
        ));
    }
    lines
}
