//! `msht guide list` and `msht guide show TOPIC[#SECTION]`: read guidance offline.

use clap::Subcommand;
use serde::Serialize;

use super::Ctx;
use super::output::{self, bold, dim, heading};
use crate::error::Result;
use crate::guidance::{Guidance, GuidanceError, SourceRef};

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List topics by APP core area
    List,
    /// Show a topic, or one section of it with TOPIC#SECTION
    Show {
        /// Topic id, optionally with #section (as search results print it)
        topic: String,
        /// List every source in full (otherwise one line gives their count)
        #[arg(long)]
        sources: bool,
    },
}

pub fn run(ctx: &Ctx, cmd: Command) -> Result<()> {
    let g = ctx.guidance()?;
    match cmd {
        Command::List => list(ctx, &g),
        Command::Show { topic, sources } => show(ctx, &g, &topic, sources),
    }
}

fn list(ctx: &Ctx, g: &Guidance) -> Result<()> {
    if ctx.json {
        #[derive(Serialize)]
        struct Item<'a> {
            id: &'a str,
            title: &'a str,
            area: &'a str,
            reviewed: &'a str,
            sections: Vec<&'a str>,
        }
        let items: Vec<Item> = g
            .topics
            .iter()
            .map(|t| Item {
                id: &t.id,
                title: &t.title,
                area: &t.area,
                reviewed: &t.reviewed,
                sections: t.sections.iter().map(|s| s.id.as_str()).collect(),
            })
            .collect();
        return Ok(output::print_json(&items)?);
    }
    let w = output::width();
    let mut lines = Vec::new();
    for area in &g.areas {
        lines.push(heading().apply_to(&area.title).to_string());
        let topics: Vec<_> = g.topics.iter().filter(|t| t.area == area.id).collect();
        if topics.is_empty() {
            lines.push(dim().apply_to("  (no topics yet)").to_string());
        }
        for t in topics {
            lines.extend(output::wrap_indent(
                &format!("{}  {}", t.id, t.title),
                w,
                "  ",
                "    ",
            ));
        }
        lines.push(String::new());
    }
    lines.extend(output::wrap(
        &format!(
            "Guidance {} · open a topic with: msht guide show TOPIC",
            g.version
        ),
        w,
    ));
    Ok(output::print_lines(&lines)?)
}

fn show(ctx: &Ctx, g: &Guidance, target: &str, all_sources: bool) -> Result<()> {
    let (topic_id, section_id) = match target.split_once('#') {
        Some((t, s)) => (t, Some(s)),
        None => (target, None),
    };
    let topic = g.topic_or_err(topic_id)?;
    let sections: Vec<_> = match section_id {
        Some(s) => vec![
            topic
                .section(s)
                .ok_or_else(|| GuidanceError::UnknownSection(topic_id.into(), s.into()))?,
        ],
        None => topic.sections.iter().collect(),
    };
    if ctx.json {
        #[derive(Serialize)]
        struct SectionJson<'a> {
            id: &'a str,
            heading: &'a str,
            body: &'a str,
        }
        #[derive(Serialize)]
        struct TopicJson<'a> {
            id: &'a str,
            title: &'a str,
            area: &'a str,
            reviewed: &'a str,
            sources: &'a [SourceRef],
            sections: Vec<SectionJson<'a>>,
        }
        return Ok(output::print_json(&TopicJson {
            id: &topic.id,
            title: &topic.title,
            area: &topic.area,
            reviewed: &topic.reviewed,
            sources: &topic.sources,
            sections: sections
                .iter()
                .map(|s| SectionJson {
                    id: &s.id,
                    heading: &s.heading,
                    body: &s.body,
                })
                .collect(),
        })?);
    }
    let w = output::width();
    let mut lines: Vec<String> = output::wrap(&topic.title, w)
        .into_iter()
        .map(|l| heading().apply_to(l).to_string())
        .collect();
    let area = g
        .area(&topic.area)
        .map_or(topic.area.as_str(), |a| a.title.as_str());
    lines.extend(
        output::wrap(&format!("{area} · reviewed {}", topic.reviewed), w)
            .into_iter()
            .map(|l| dim().apply_to(l).to_string()),
    );
    for s in &sections {
        lines.push(String::new());
        if s.id != "summary" {
            lines.extend(
                output::wrap(&s.heading, w)
                    .into_iter()
                    .map(|l| bold().apply_to(l).to_string()),
            );
        }
        lines.extend(output::render_markdown(&s.body, w));
        if section_id.is_none() && s.id != "summary" {
            lines.extend(
                output::wrap(&format!("[{}#{}]", topic.id, s.id), w)
                    .into_iter()
                    .map(|l| dim().apply_to(l).to_string()),
            );
        }
    }
    lines.push(String::new());
    lines.extend(sources(topic, all_sources, w));
    Ok(output::print_lines(&lines)?)
}

/// The sources after the guidance: one short line with their count, or with `--sources`
/// every one in full (on a phone, 45 lines of URLs would bury a 4-line section).
fn sources(topic: &crate::guidance::Topic, all: bool, w: usize) -> Vec<String> {
    if !all {
        return output::wrap(
            &format!(
                "Sources: {} (msht guide show {} --sources lists them)",
                topic.sources.len(),
                topic.id
            ),
            w,
        )
        .into_iter()
        .map(|l| dim().apply_to(l).to_string())
        .collect();
    }
    let mut lines = vec![bold().apply_to("Sources").to_string()];
    for src in &topic.sources {
        lines.extend(output::wrap_indent(
            &format!("{} <{}>", src.title, src.url),
            w,
            "• ",
            "  ",
        ));
    }
    lines
}
