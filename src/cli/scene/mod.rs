//! `msht scene`: several people met together (a raid, a grow house), each with their own
//! encounter linked to one scene. `list`, `show` (every person, what is still open, and
//! the people noted for later), `close`, and `resolve` (what became of a noted person).
//! `file.rs` records a scene file given to `check --answers` (the quick interactive
//! triage is `cli/flow/triage.rs`); `show.rs` lays a scene out for a person.

pub mod file;
mod show;

use clap::Subcommand;

use super::Ctx;
use super::{db, output};
use crate::error::{Error, Result};
use crate::record::SceneBody;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List scenes, newest first
    List {
        /// Only scenes still open
        #[arg(long)]
        open: bool,
    },
    /// Show a scene: every person at it, what is still open, and who is noted for later
    Show {
        /// The scene id, or enough of its start to be unique
        id: String,
    },
    /// Close a scene: no one more joins it (noted people can still be dealt with)
    Close {
        /// The scene id, or enough of its start to be unique
        id: String,
        /// Why, if it needs saying (kept in the record)
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
    /// Record what became of a person noted for later: their encounter, or a reason
    Resolve {
        /// The scene id, or enough of its start to be unique
        id: String,
        /// The noted item (n1, n2, … as `scene show` lists them)
        note: String,
        /// The encounter started for them
        #[arg(long, value_name = "ENCOUNTER", required_unless_present = "reason")]
        encounter: Option<String>,
        /// Why there is no encounter for them (kept in the record)
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
}

pub fn run(ctx: &Ctx, cmd: Command) -> Result<()> {
    match cmd {
        Command::List { open } => list(ctx, open),
        Command::Show { id } => show::run(ctx, &id),
        Command::Close { id, reason } => close(ctx, &id, reason),
        Command::Resolve {
            id,
            note,
            encounter,
            reason,
        } => resolve(ctx, &id, &note, encounter, reason),
    }
}

fn list(ctx: &Ctx, open_only: bool) -> Result<()> {
    let store = db::open_existing(ctx)?;
    let rows = store.list_scenes(open_only)?;
    if ctx.json {
        return Ok(output::print_json(&rows)?);
    }
    if rows.is_empty() {
        return Ok(output::print_lines(&[
            "No scenes yet. `msht check --new-scene` opens one.".to_string(),
        ])?);
    }
    let width = output::width();
    let mut lines = Vec::new();
    for r in &rows {
        let short = store.short_scene_id(&r.id)?;
        let people = match r.people {
            1 => "1 person".to_string(),
            n => format!("{n} people"),
        };
        lines.push(format!(
            "{}  {}  {people}",
            output::bold().apply_to(&short),
            r.status
        ));
        let when = super::encounters::local_time_pub(&r.created_at);
        let mut detail = format!("{when} · {} · {}", r.officer, r.location);
        if !r.description.is_empty() {
            detail.push_str(&format!(" · {}", r.description));
        }
        lines.extend(output::wrap_indent(&detail, width, "  ", "  "));
    }
    Ok(output::print_lines(&lines)?)
}

fn close(ctx: &Ctx, prefix: &str, reason: Option<String>) -> Result<()> {
    let mut store = db::open_existing(ctx)?;
    let id = store.resolve_scene_id(prefix)?;
    let body = SceneBody::Closed {
        reason: reason.unwrap_or_default().trim().to_string(),
    };
    store.append_scene(&id, body)?;
    let state = store.scene(&id)?;
    let short = store.short_scene_id(&id)?;
    if ctx.json {
        return Ok(output::print_json(&state)?);
    }
    let mut lines = output::wrap(&format!("Scene {short} closed."), output::width());
    let open = state.open_notes();
    if !open.is_empty() {
        lines.extend(output::wrap(
            &format!(
                "Still noted for later: {}. Record what became of each with `msht scene resolve {short} NOTE`.",
                open.iter()
                    .map(|n| format!("{} ({})", n.note, n.label))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            output::width(),
        ));
    }
    Ok(output::print_lines(&lines)?)
}

fn resolve(
    ctx: &Ctx,
    prefix: &str,
    note: &str,
    encounter: Option<String>,
    reason: Option<String>,
) -> Result<()> {
    let mut store = db::open_existing(ctx)?;
    let id = store.resolve_scene_id(prefix)?;
    let encounter = match encounter {
        Some(e) => Some(store.resolve_id(&e)?),
        None => None,
    };
    if encounter.is_none() && reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
        return Err(Error::Usage(
            "say what became of the noted person: --encounter ID or --reason TEXT".into(),
        ));
    }
    store.append_scene(
        &id,
        SceneBody::NoteResolved {
            note: note.to_string(),
            encounter,
            reason: reason.unwrap_or_default().trim().to_string(),
        },
    )?;
    let short = store.short_scene_id(&id)?;
    Ok(output::print_lines(&output::wrap(
        &format!("Noted item {note} of scene {short} recorded as dealt with."),
        output::width(),
    ))?)
}
