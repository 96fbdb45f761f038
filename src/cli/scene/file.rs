//! Recording through `check --answers` at a scene: one person's file joining a scene
//! (`--scene ID` or `--new-scene`), or a scene file with several people. Whatever a file
//! holds is written in one transaction: a bad person saves no one.

use serde::Serialize;

use crate::answers::scene::{SceneFile, plan_scene};
use crate::answers::{self, Plan};
use crate::cli::Ctx;
use crate::cli::check::{self, Args, OutcomeJson};
use crate::cli::output::{self, bold};
use crate::error::{Error, Result};
use crate::guidance::Guidance;
use crate::store::{NoteBatch, PersonBatch, SceneBatch, SceneRecorded, SceneTarget, Store};

/// The scene the command line names: one to join, a new one, or none.
pub fn target(
    store: &Store,
    args: &Args,
    officer: &str,
    location: &str,
) -> Result<Option<SceneTarget>> {
    if args.scene_description.is_some() && !args.new_scene {
        return Err(Error::Usage(
            "--scene-description describes a new scene; add --new-scene".into(),
        ));
    }
    if let Some(prefix) = &args.scene {
        return Ok(Some(SceneTarget::Existing(store.resolve_scene_id(prefix)?)));
    }
    if args.new_scene {
        return Ok(Some(SceneTarget::New {
            officer: officer.to_string(),
            location: location.to_string(),
            description: args
                .scene_description
                .clone()
                .unwrap_or_default()
                .trim()
                .to_string(),
        }));
    }
    Ok(None)
}

/// The label a person gets when none is given: "person N", N their place at the scene.
pub fn default_label(store: &Store, target: &SceneTarget) -> Result<String> {
    let n = match target {
        SceneTarget::New { .. } => 0,
        SceneTarget::Existing(id) => store.scene_members(id)?.len(),
    };
    Ok(format!("person {}", n + 1))
}

/// Records one planned person linked to `target`, with the other people their answers
/// raise noted for later on the scene.
pub fn record_one(
    store: &mut Store,
    target: SceneTarget,
    args: &Args,
    plan: &Plan,
) -> Result<SceneRecorded> {
    let label = match args.label.as_deref().map(str::trim) {
        Some(l) if !l.is_empty() => l.to_string(),
        _ => default_label(store, &target)?,
    };
    let notes = plan
        .session
        .others_raised()
        .iter()
        .map(|o| NoteBatch {
            by: Some(0),
            label: o.label.to_string(),
            question: Some(o.question.id.clone()),
        })
        .collect();
    let batch = SceneBatch {
        target,
        people: vec![PersonBatch {
            label,
            raised_by: None,
            question: None,
            created: plan.created.clone(),
            rest: plan.rest.clone(),
            resolves: args.for_note.clone(),
        }],
        notes,
    };
    Ok(store.record_scene(&batch)?)
}

/// Lines naming the other people `plan`'s answers raise, and where they stand.
pub fn others_lines(store: &Store, plan: &Plan, scene: Option<&str>) -> Result<Vec<String>> {
    let others = plan.session.others_raised();
    if others.is_empty() {
        return Ok(Vec::new());
    }
    let w = output::width();
    let mut lines = vec![bold().apply_to("Other people raised").to_string()];
    for o in &others {
        lines.extend(output::wrap_indent(o.label, w, "• ", "  "));
    }
    let next = match scene {
        Some(id) => {
            let short = store.short_scene_id(id)?;
            format!(
                "Each is noted for later on scene {short}; screen them with `msht check --scene {short} --for-note NOTE` (see `msht scene show {short}`)."
            )
        }
        None => {
            "Screen each in their own encounter (`msht check --new-scene` links them).".to_string()
        }
    };
    lines.extend(output::wrap(&next, w));
    Ok(lines)
}

#[derive(Serialize)]
struct PersonOut<'a> {
    label: &'a str,
    #[serde(flatten)]
    outcome: OutcomeJson<'a>,
}

#[derive(Serialize)]
struct NotedOut<'a> {
    note: &'a str,
    label: &'a str,
    raised_by: &'a str,
    question: &'a str,
}

#[derive(Serialize)]
struct SceneOut<'a> {
    scene_id: &'a str,
    people: Vec<PersonOut<'a>>,
    noted: Vec<NotedOut<'a>>,
}

/// `check --answers` with a scene file: every person planned, then all written at once.
pub fn run(ctx: &Ctx, args: &Args, g: &Guidance, text: &str) -> Result<()> {
    let mut file = SceneFile::parse(text)?;
    if args.scene.is_some() && file.scene.is_some() {
        return Err(Error::Usage(
            "the scene file opens a new scene and --scene names one to join; use one or the other"
                .into(),
        ));
    }
    let in_file = file
        .officer
        .clone()
        .or_else(|| file.scene.as_ref().and_then(|s| s.officer.clone()));
    let officer = check::officer_of(args, in_file.as_deref(), ctx.config.officer.as_deref())?;
    let info = file.scene.get_or_insert_with(Default::default);
    if let Some(l) = &args.location {
        info.location = Some(l.clone());
    }
    let location = info.location.clone().unwrap_or_default();
    let description = args
        .scene_description
        .clone()
        .unwrap_or_else(|| info.description.clone());
    // The config's defaults (the nation) for every person; every checklist includes the
    // child one, which includes the general questions they answer.
    check::prefill_answers(
        ctx,
        g,
        crate::guidance::ids::CHILD_CHECKLIST,
        &mut file.shared,
    );
    let plan = plan_scene(g, &file, &officer)?;
    let mut store = crate::cli::db::open(ctx)?;
    let target = match &args.scene {
        Some(prefix) => SceneTarget::Existing(store.resolve_scene_id(prefix)?),
        None => SceneTarget::New {
            officer: officer.clone(),
            location,
            description: description.trim().to_string(),
        },
    };
    let batch = SceneBatch {
        target,
        people: plan
            .people
            .iter()
            .map(|p| PersonBatch {
                label: p.label.clone(),
                raised_by: p.raised_by,
                question: p.question.clone(),
                created: p.plan.created.clone(),
                rest: p.plan.rest.clone(),
                resolves: None,
            })
            .collect(),
        notes: plan
            .noted
            .iter()
            .map(|n| NoteBatch {
                by: Some(n.by),
                label: n.label.clone(),
                question: Some(n.question.clone()),
            })
            .collect(),
    };
    let rec = store.record_scene(&batch)?;
    print(ctx, &store, &plan, &rec)
}

fn print(
    ctx: &Ctx,
    store: &Store,
    plan: &answers::scene::ScenePlan,
    rec: &SceneRecorded,
) -> Result<()> {
    let facts: Vec<_> = plan
        .people
        .iter()
        .map(|p| (p.plan.session.indicators(), p.plan.session.duties()))
        .collect();
    if ctx.json {
        let out = SceneOut {
            scene_id: &rec.scene_id,
            people: plan
                .people
                .iter()
                .zip(&rec.encounters)
                .zip(&facts)
                .map(|((p, id), (ind, duties))| PersonOut {
                    label: &p.label,
                    outcome: OutcomeJson::of(&p.plan, id, Some(&rec.scene_id), ind, duties),
                })
                .collect(),
            noted: plan
                .noted
                .iter()
                .zip(&rec.notes)
                .map(|(n, note)| NotedOut {
                    note,
                    label: &n.label,
                    raised_by: rec.encounters.get(n.by).map_or("", String::as_str),
                    question: &n.question,
                })
                .collect(),
        };
        return Ok(output::print_json(&out)?);
    }
    let short = store.short_scene_id(&rec.scene_id)?;
    let w = output::width();
    let mut lines = output::wrap(
        &format!("Scene {short} saved with {} people.", plan.people.len()),
        w,
    );
    for ((p, id), (ind, duties)) in plan.people.iter().zip(&rec.encounters).zip(&facts) {
        lines.push(String::new());
        lines.push(output::heading().apply_to(&p.label).to_string());
        let status = if p.plan.complete { "complete" } else { "draft" };
        lines.extend(check::outcome_lines(
            id,
            status,
            ind,
            &p.plan.raised,
            duties,
        ));
    }
    if !plan.noted.is_empty() {
        lines.push(String::new());
        lines.push(bold().apply_to("Noted for later").to_string());
        for (n, note) in plan.noted.iter().zip(&rec.notes) {
            lines.extend(output::wrap_indent(
                &format!("{note}: {}", n.label),
                w,
                "• ",
                "  ",
            ));
        }
    }
    lines.extend(output::wrap(&format!("Next: msht scene show {short}"), w));
    Ok(output::print_lines(&lines)?)
}
