//! `msht checklist list` and `msht checklist show ID`: what an officer will be asked.

use clap::Subcommand;
use serde::Serialize;

use super::Ctx;
use super::output::{self, bold, dim};
use crate::error::Result;
use crate::guidance::{Choice, Guidance, Question};

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the checklists
    List,
    /// Show a checklist's questions, including those of the checklists it builds on
    Show {
        /// Checklist id (see `msht checklist list`)
        id: String,
    },
}

#[derive(Serialize)]
struct QuestionJson<'a> {
    id: &'a str,
    text: &'a str,
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    choices: Option<&'a [Choice]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    topic: Option<&'a str>,
    checklist: &'a str,
    indicator: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    when: Option<String>,
}

#[derive(Serialize)]
struct ChecklistJson<'a> {
    id: &'a str,
    title: &'a str,
    description: &'a str,
    includes: &'a [String],
    questions: Vec<QuestionJson<'a>>,
}

pub fn run(ctx: &Ctx, cmd: Command) -> Result<()> {
    let g = ctx.guidance()?;
    match cmd {
        Command::List => list(ctx, &g),
        Command::Show { id } => show(ctx, &g, &id),
    }
}

fn list(ctx: &Ctx, g: &Guidance) -> Result<()> {
    let lists = g.checklists_in_order();
    if ctx.json {
        #[derive(Serialize)]
        struct Item<'a> {
            id: &'a str,
            title: &'a str,
            description: &'a str,
            questions: usize,
        }
        let items: Vec<Item> = lists
            .iter()
            .map(|c| Item {
                id: &c.id,
                title: &c.title,
                description: &c.description,
                questions: g.flattened(&c.id).map_or(0, |f| f.questions.len()),
            })
            .collect();
        return Ok(output::print_json(&items)?);
    }
    let w = output::width();
    let mut lines = Vec::new();
    for c in lists {
        lines.push(format!("{}  {}", bold().apply_to(&c.id), c.title));
        if !c.description.is_empty() {
            lines.extend(
                output::wrap_indent(&c.description, w, "  ", "  ")
                    .into_iter()
                    .map(|l| dim().apply_to(l).to_string()),
            );
        }
    }
    lines.push(String::new());
    lines.extend(output::wrap("Start one with: msht check --checklist ID", w));
    Ok(output::print_lines(&lines)?)
}

fn question_json(q: &Question) -> QuestionJson<'_> {
    QuestionJson {
        id: &q.id,
        text: &q.text,
        kind: q.kind.as_str(),
        choices: (!q.choices.is_empty()).then_some(q.choices.as_slice()),
        help: q.help.as_deref(),
        topic: q.topic.as_deref(),
        checklist: &q.checklist,
        indicator: q.indicator,
        when: q.when.as_ref().map(|_| "conditional".to_string()),
    }
}

fn show(ctx: &Ctx, g: &Guidance, id: &str) -> Result<()> {
    let c = g.checklist_or_err(id)?;
    let flat = g
        .flattened(id)
        .ok_or_else(|| crate::guidance::GuidanceError::UnknownChecklist(id.into()))?;
    if ctx.json {
        let j = ChecklistJson {
            id: &c.id,
            title: &c.title,
            description: &c.description,
            includes: &c.includes,
            questions: flat.questions.iter().map(|q| question_json(q)).collect(),
        };
        return Ok(output::print_json(&j)?);
    }
    let w = output::width();
    let mut lines = vec![bold().apply_to(&c.title).to_string()];
    if !c.description.is_empty() {
        lines.extend(output::wrap(&c.description, w));
    }
    if !c.includes.is_empty() {
        lines.extend(output::wrap(
            &format!("Starts with: {}", c.includes.join(", ")),
            w,
        ));
    }
    lines.push(String::new());
    for (i, q) in flat.questions.iter().enumerate() {
        let n = format!("{:>2}. ", i + 1);
        let pad = " ".repeat(n.len());
        lines.extend(output::wrap_indent(&q.text, w, &n, &pad));
        let mut meta = vec![q.id.clone()];
        match q.kind {
            crate::guidance::QuestionKind::YesNo => meta.push("yes/no/unsure".into()),
            crate::guidance::QuestionKind::Text => meta.push("text".into()),
            crate::guidance::QuestionKind::Choice => meta.push(
                q.choices
                    .iter()
                    .map(|c| c.label.as_str())
                    .collect::<Vec<_>>()
                    .join(" / "),
            ),
        }
        if q.when.is_some() {
            meta.push("asked only sometimes".into());
        }
        if q.indicator {
            meta.push(
                if q.weight == crate::guidance::Weight::High {
                    "key indicator"
                } else {
                    "indicator"
                }
                .into(),
            );
        }
        for l in output::wrap_indent(&meta.join(" · "), w, &pad, &pad) {
            lines.push(dim().apply_to(l).to_string());
        }
    }
    Ok(output::print_lines(&lines)?)
}
