//! A scene exported whole: a summary page of everyone met together (and who is still
//! noted for later), then each person's own record. JSON for systems, in the published
//! schema `scene.schema.json` (each encounter in it is an encounter export, valid
//! against `encounter.schema.json`); Markdown for a person, one record after another.

use serde::Serialize;

use super::record::ExportRecord;
use super::time::Time;
use crate::guidance::ids::{AGE_DOUBT_QUESTIONS, AGE_QUESTION};
use crate::record::{EncounterState, NotedPerson, SceneEvent, SceneState};

/// The JSON Schema of `export --scene ID --format json`.
pub const SCENE_SCHEMA: &str = include_str!("scene.schema.json");
/// Changes only when a field is removed or changes meaning.
pub const SCENE_SCHEMA_VERSION: u32 = 1;

/// What the record says about a person's age, in words.
pub fn age_status(s: &EncounterState) -> &'static str {
    let answer = |q: &str| {
        s.answers
            .iter()
            .find(|a| a.question == q)
            .map(|a| a.answer.as_value().to_string())
    };
    let doubt = AGE_DOUBT_QUESTIONS
        .iter()
        .any(|q| matches!(answer(q).as_deref(), Some("yes" | "unsure")));
    match answer(AGE_QUESTION).as_deref() {
        Some("yes") => "under 18",
        Some("unsure") => "age unclear: treated as a child",
        Some("skipped") => "age not checked: treated as a child",
        Some(_) if doubt => "said to be an adult, but may be under 18",
        Some(_) => "adult",
        None => "age not asked yet",
    }
}

#[derive(Debug, Serialize)]
pub struct SceneOut<'e> {
    pub id: String,
    pub status: &'static str,
    pub officers: Vec<String>,
    pub location: String,
    pub description: String,
    pub created: Time,
    pub updated: Time,
    pub closed: Option<Time>,
    pub close_reason: String,
    pub noted: Vec<NotedPerson>,
    /// Every event of the scene's own chain, exactly as hashed.
    pub events: &'e [SceneEvent],
    pub event_count: usize,
    pub head_hash: String,
}

/// One person in the summary: who they are at the scene and where their record stands.
#[derive(Debug, Serialize)]
pub struct PersonSummary {
    pub encounter_id: String,
    pub label: String,
    pub status: &'static str,
    pub age: &'static str,
    pub indicators: usize,
    pub open_prompts: Vec<String>,
    pub duties: Vec<String>,
    pub raised_by: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct SceneExport<'e> {
    pub schema_version: u32,
    pub scene: SceneOut<'e>,
    pub people: Vec<PersonSummary>,
    /// Each person's full record, in the order they joined the scene.
    pub encounters: Vec<ExportRecord<'e>>,
}

/// Builds the export from the verified scene, its chain, and each person's state and
/// record (in the order they joined).
pub fn build_scene<'e>(
    scene: &SceneState,
    events: &'e [SceneEvent],
    people: Vec<(&EncounterState, ExportRecord<'e>)>,
) -> SceneExport<'e> {
    let t = |at: &str| Time::new(at, &scene.created_offset);
    let summaries = people
        .iter()
        .map(|(s, _)| PersonSummary {
            encounter_id: s.id.clone(),
            label: s
                .scene
                .as_ref()
                .map(|l| l.label.clone())
                .unwrap_or_default(),
            status: s.status.as_str(),
            age: age_status(s),
            indicators: s.indicators.len(),
            open_prompts: s.open_prompts().iter().map(|p| p.title.clone()).collect(),
            duties: s.duties.iter().map(|d| d.title.clone()).collect(),
            raised_by: s.scene.as_ref().and_then(|l| l.raised_by.clone()),
        })
        .collect();
    SceneExport {
        schema_version: SCENE_SCHEMA_VERSION,
        scene: SceneOut {
            id: scene.id.clone(),
            status: scene.status.as_str(),
            officers: scene.officers.clone(),
            location: scene.location.clone(),
            description: scene.description.clone(),
            created: t(&scene.created_at),
            updated: t(&scene.updated_at),
            closed: scene.closed_at.as_deref().map(t),
            close_reason: scene.close_reason.clone(),
            noted: scene.noted.clone(),
            events,
            event_count: scene.event_count,
            head_hash: scene.head_hash.clone(),
        },
        people: summaries,
        encounters: people.into_iter().map(|(_, r)| r).collect(),
    }
}

pub fn scene_to_json(x: &SceneExport) -> String {
    serde_json::to_string_pretty(x).unwrap_or_default()
}

/// Lines wrapped to the printed width.
struct Md(Vec<String>);

impl Md {
    fn wrap(&mut self, text: &str, first: &str, rest: &str) {
        let opts = textwrap::Options::new(super::markdown::WIDTH)
            .initial_indent(first)
            .subsequent_indent(rest)
            .word_splitter(textwrap::WordSplitter::NoHyphenation)
            .break_words(true);
        self.0.extend(
            textwrap::wrap(text, opts)
                .into_iter()
                .map(|c| c.trim_end().to_string()),
        );
    }

    fn blank(&mut self) {
        self.0.push(String::new());
    }
}

/// The summary page, then each person's record after a page rule.
pub fn scene_to_markdown(x: &SceneExport) -> String {
    let mut md = Md(Vec::new());
    head(&mut md, x);
    people(&mut md, x);
    noted(&mut md, x);
    let s = &x.scene;
    md.blank();
    md.wrap(
        &format!(
            "Integrity: scene {}, {} events, head hash {}",
            s.id, s.event_count, s.head_hash
        ),
        "",
        "",
    );
    let mut out = md.0.join("\n");
    out.push('\n');
    for rec in &x.encounters {
        out.push_str("\n---\n\n");
        out.push_str(&super::to_markdown(rec));
    }
    crate::text::visible::visible(&out).into_owned()
}

fn or_not_recorded(s: &str) -> String {
    if s.trim().is_empty() {
        "not recorded".into()
    } else {
        s.to_string()
    }
}

fn head(md: &mut Md, x: &SceneExport) {
    let s = &x.scene;
    md.wrap("# Scene record: several people met together", "", "  ");
    md.blank();
    for (k, v) in [
        ("Scene", s.id.clone()),
        ("Status", s.status.to_string()),
        ("Date and time", s.created.human()),
        ("Location", or_not_recorded(&s.location)),
        ("Officers", s.officers.join(", ")),
        ("Description", or_not_recorded(&s.description)),
    ] {
        md.wrap(&format!("{k}: {v}"), "- ", "  ");
    }
}

/// The label of the person with encounter `id` (the id itself if not at the scene).
fn label_of(x: &SceneExport, id: &str) -> String {
    x.people
        .iter()
        .find(|p| p.encounter_id == id)
        .map_or_else(|| id.to_string(), |p| p.label.clone())
}

fn people(md: &mut Md, x: &SceneExport) {
    md.blank();
    md.wrap(&format!("## People ({})", x.people.len()), "", "   ");
    md.blank();
    for (i, p) in x.people.iter().enumerate() {
        let mut facts = format!(
            "{}. {} ({}): {}; {} indicator{}",
            i + 1,
            p.label,
            p.status,
            p.age,
            p.indicators,
            if p.indicators == 1 { "" } else { "s" }
        );
        if let Some(by) = &p.raised_by {
            facts.push_str(&format!("; raised by {}", label_of(x, by)));
        }
        md.wrap(&facts, "", "   ");
        for t in &p.open_prompts {
            md.wrap(&format!("still open: {t}"), "   - ", "     ");
        }
        if !p.duties.is_empty() {
            md.wrap(
                &format!("duties: {}", p.duties.join("; ")),
                "   - ",
                "     ",
            );
        }
        md.wrap(
            &format!("record: encounter {}", p.encounter_id),
            "   - ",
            "     ",
        );
    }
}

fn noted(md: &mut Md, x: &SceneExport) {
    let open: Vec<&NotedPerson> = x.scene.noted.iter().filter(|n| n.is_open()).collect();
    if open.is_empty() {
        return;
    }
    md.blank();
    md.wrap("## Noted for later, not yet screened", "", "   ");
    md.blank();
    for n in open {
        let by = n
            .encounter
            .as_deref()
            .map(|e| format!(" (raised by {})", label_of(x, e)))
            .unwrap_or_default();
        md.wrap(&format!("{}: {}{by}", n.note, n.label), "- ", "  ");
    }
}
