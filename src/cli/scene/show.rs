//! `msht scene show`: the whole scene at once. Every person (their label, how old the
//! record says they may be, indicators, welfare prompts still open, duties, and whether
//! the record is a draft), then the people noted for later that no one has dealt with.
//! Each record is verified and re-derived from its current answers, as `encounters
//! show` does.

use serde::Serialize;

use crate::cli::Ctx;
use crate::cli::{db, output};
use crate::error::Result;
use crate::export::age_status;
use crate::record::{EncounterState, NotedPerson, SceneState};
use crate::store::Store;

/// One person at the scene, as `show` reports them.
#[derive(Debug, Serialize)]
pub struct PersonRow {
    pub encounter_id: String,
    pub label: String,
    pub status: String,
    pub checklist: String,
    /// What the record says about age, in words.
    pub age: &'static str,
    pub indicators: Vec<String>,
    pub open_prompts: Vec<PromptRow>,
    pub duties: Vec<String>,
    /// The encounter whose answer raised this person, if one did.
    pub raised_by: Option<String>,
    pub question: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct PromptRow {
    pub id: String,
    pub title: String,
    pub urgency: String,
}

#[derive(Serialize)]
struct Shown<'a> {
    scene: &'a SceneState,
    people: &'a [PersonRow],
    open_notes: Vec<&'a NotedPerson>,
}

/// Every person linked to the scene, each verified and derived, in the order they joined.
pub fn people(
    ctx: &Ctx,
    store: &Store,
    scene_id: &str,
) -> Result<Vec<(PersonRow, EncounterState)>> {
    let g = ctx.guidance().ok();
    let mut out = Vec::new();
    for m in store.scene_members(scene_id)? {
        let mut s = store.encounter(&m.encounter_id)?;
        if let Some(g) = &g {
            let _ = crate::engine::derive(g, &mut s);
        }
        let link = s.scene.clone();
        let row = PersonRow {
            encounter_id: s.id.clone(),
            label: m.label.clone(),
            status: s.status.as_str().to_string(),
            checklist: s.checklist.clone(),
            age: age_status(&s),
            indicators: s.indicators.clone(),
            open_prompts: s
                .open_prompts()
                .iter()
                .map(|p| PromptRow {
                    id: p.prompt.clone(),
                    title: p.title.clone(),
                    urgency: p.urgency.clone(),
                })
                .collect(),
            duties: s.duties.iter().map(|d| d.title.clone()).collect(),
            raised_by: link.as_ref().and_then(|l| l.raised_by.clone()),
            question: link.and_then(|l| l.question),
        };
        out.push((row, s));
    }
    Ok(out)
}

pub fn run(ctx: &Ctx, prefix: &str) -> Result<()> {
    let store = db::open_existing(ctx)?;
    let id = store.resolve_scene_id(prefix)?;
    let scene = store.scene(&id)?;
    let rows: Vec<PersonRow> = people(ctx, &store, &id)?
        .into_iter()
        .map(|(r, _)| r)
        .collect();
    if ctx.json {
        return Ok(output::print_json(&Shown {
            scene: &scene,
            people: &rows,
            open_notes: scene.open_notes(),
        })?);
    }
    let short = store.short_scene_id(&id)?;
    Ok(output::print_lines(&render(&store, &scene, &short, &rows))?)
}

/// The scene laid out for the screen's width.
fn render(store: &Store, scene: &SceneState, short: &str, rows: &[PersonRow]) -> Vec<String> {
    let w = output::width();
    let h = |t: &str| output::heading().apply_to(t).to_string();
    let mut l = vec![h(&format!("Scene {short} ({})", scene.status.as_str()))];
    let when = crate::cli::encounters::local_time_pub(&scene.created_at);
    l.extend(output::wrap(
        &format!(
            "{when} · {} · {}",
            scene.officers.join(", "),
            scene.location
        ),
        w,
    ));
    if !scene.description.is_empty() {
        l.extend(output::wrap(&scene.description, w));
    }
    l.push(String::new());
    l.push(h(&format!("People ({})", rows.len())));
    let label_of = |enc: &str| {
        rows.iter()
            .find(|r| r.encounter_id == enc)
            .map_or_else(|| enc.chars().take(8).collect(), |r| r.label.clone())
    };
    for r in rows {
        let short = store
            .short_id(&r.encounter_id)
            .unwrap_or_else(|_| r.encounter_id.clone());
        l.extend(output::wrap_indent(
            &format!("{} [{}] {short}", r.label, r.status),
            w,
            "• ",
            "  ",
        ));
        let mut facts = vec![
            r.age.to_string(),
            match r.indicators.len() {
                1 => "1 indicator".to_string(),
                n => format!("{n} indicators"),
            },
        ];
        if let Some(by) = &r.raised_by {
            facts.push(format!("raised by {}", label_of(by)));
        }
        l.extend(output::wrap_indent(&facts.join(" · "), w, "  ", "  "));
        for p in &r.open_prompts {
            let tag = if p.urgency == "immediate" {
                "ACT NOW"
            } else {
                "open"
            };
            l.extend(output::wrap_indent(
                &format!("{tag}: {}", p.title),
                w,
                "  ! ",
                "    ",
            ));
        }
        if !r.duties.is_empty() {
            l.extend(output::wrap_indent(
                &format!("Duties: {}", r.duties.join("; ")),
                w,
                "  ",
                "    ",
            ));
        }
    }
    let open = scene.open_notes();
    if !open.is_empty() {
        l.push(String::new());
        l.push(h("Noted for later (not yet screened)"));
        for n in open {
            let by = n
                .encounter
                .as_deref()
                .map(|e| format!(" (raised by {})", label_of(e)))
                .unwrap_or_default();
            l.extend(output::wrap_indent(
                &format!("{}: {}{by}", n.note, n.label),
                w,
                "• ",
                "  ",
            ));
        }
    }
    l
}
