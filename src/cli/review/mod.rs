//! `msht review`: the supervisor's queue of encounters with duties or welfare prompts
//! still open, oldest first, each with what is open, for how long, and whether it is past
//! the guidance's timescale; and `msht review sign`, a supervisor's sign-off. The queue
//! reads the review rows (`crate::follow`), brought up to date first, so it answers at
//! once on a hub that sync filled with 100,000 encounters.

mod sign;

use clap::{Args as ClapArgs, Subcommand};
use serde::Serialize;

use super::Ctx;
use super::encounters::StatusArg;
use super::{db, output};
use crate::error::Result;
use crate::follow::{OpenItem, QueueEntry, queue};
use crate::store::ReviewFilter;

#[derive(Debug, ClapArgs)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// Only encounters recorded by this officer
    #[arg(long, value_name = "ID")]
    officer: Option<String>,
    /// Only encounters with this status
    #[arg(long)]
    status: Option<StatusArg>,
    /// Only encounters with a duty past its timescale
    #[arg(long)]
    overdue: bool,
    /// Only the people met at this scene (its id, or enough of it to be unique)
    #[arg(long, value_name = "ID")]
    scene: Option<String>,
    /// Judge how long things are open, and what is overdue, at this time (YYYY-MM-DD or
    /// RFC 3339) instead of now: what will be overdue by the end of the shift
    #[arg(long, value_name = "TIME")]
    as_of: Option<String>,
    /// How many encounters to show [default: 50]
    #[arg(long, value_name = "N", conflicts_with = "all")]
    limit: Option<usize>,
    /// Skip this many of the oldest first (for paging)
    #[arg(long, value_name = "N", default_value_t = 0)]
    offset: usize,
    /// Show every encounter in the queue
    #[arg(long)]
    all: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// A supervisor's sign-off of a complete record; with duties or prompts still open it
    /// needs --accept-open
    Sign(sign::Args),
}

pub fn run(ctx: &Ctx, a: Args) -> Result<()> {
    if let Some(Command::Sign(s)) = a.command {
        return sign::run(ctx, s);
    }
    let now = match &a.as_of {
        Some(t) => crate::store::normalise_since(t)?,
        None => crate::time::now_utc(),
    };
    let g = ctx.guidance()?;
    let mut store = db::open_existing(ctx)?;
    let filter = ReviewFilter {
        officer: a.officer.clone(),
        status: a.status.map(Into::into),
        scene: match &a.scene {
            Some(prefix) => Some(store.resolve_scene_id(prefix)?),
            None => None,
        },
        due_before: a.overdue.then(|| now.clone()),
        limit: if a.all {
            None
        } else {
            Some(a.limit.unwrap_or(50))
        },
        offset: a.offset,
    };
    let (entries, total) = queue(&mut store, &g, &filter)?;
    if ctx.json {
        let shown: Vec<JsonEntry> = entries.iter().map(|e| JsonEntry::new(e, &now)).collect();
        return Ok(output::print_json(&serde_json::json!({
            "as_of": now,
            "total": total,
            "encounters": shown,
        }))?);
    }
    let mut l = Vec::new();
    let width = output::width();
    let what = if a.overdue { "overdue" } else { "still open" };
    if total == 0 {
        l.extend(output::wrap(
            &format!("No encounter has anything {what}."),
            width,
        ));
        return Ok(output::print_lines(&l)?);
    }
    l.extend(output::wrap(
        &format!(
            "{total} encounter{} with something {what}, oldest first (as at {}):",
            if total == 1 { "" } else { "s" },
            super::encounters::local_time(&now, None)
        ),
        width,
    ));
    for e in &entries {
        entry_lines(&store, e, &now, width, &mut l);
    }
    let shown = a.offset + entries.len();
    if shown < total {
        l.push(String::new());
        l.extend(output::wrap(
            &format!("{} more: --offset {shown}, or --all.", total - shown),
            width,
        ));
    }
    Ok(output::print_lines(&l)?)
}

fn entry_lines(
    store: &crate::store::Store,
    e: &QueueEntry,
    now: &str,
    width: usize,
    l: &mut Vec<String>,
) {
    l.push(String::new());
    let short = super::encounters::short(store, &e.encounter_id);
    let signed = e
        .signed_by
        .as_ref()
        .map(|s| format!(", signed off by {s}"))
        .unwrap_or_default();
    let head = format!(
        "{short}  {}  {}  {}{signed}",
        super::encounters::local_time(&e.created_at, None),
        e.officer,
        e.status
    );
    l.push(output::heading().apply_to(head).to_string());
    for i in &e.open {
        let overdue = if i.is_overdue(now) {
            format!(
                "; OVERDUE ({}). {}",
                i.timescale.as_deref().unwrap_or(""),
                i.if_missed.as_deref().unwrap_or("")
            )
        } else {
            i.timescale
                .as_deref()
                .map(|t| format!("; {t}"))
                .unwrap_or_default()
        };
        let text = format!(
            "{}: {} ({}) {} for {}{}",
            i.kind,
            i.title,
            i.id,
            i.state.replace('_', " "),
            open_for(&i.since, now),
            overdue.trim_end()
        );
        l.extend(output::wrap_indent(&text, width, "  • ", "    "));
    }
}

/// How long from `since` to `now`, to the minute: `2d 3h`, `5h 10m`, `12m`.
fn open_for(since: &str, now: &str) -> String {
    let secs = seconds_between(since, now).unwrap_or(0).max(0);
    let (d, h, m) = (secs / 86_400, (secs % 86_400) / 3600, (secs % 3600) / 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else {
        format!("{m}m")
    }
}

fn seconds_between(since: &str, now: &str) -> Option<i64> {
    let a: jiff::Timestamp = since.parse().ok()?;
    let b: jiff::Timestamp = now.parse().ok()?;
    Some(b.as_second() - a.as_second())
}

/// One encounter of `review --json`: each open item with how long it has been open and
/// whether it is overdue at `as_of`.
#[derive(Serialize)]
struct JsonEntry<'a> {
    encounter_id: &'a str,
    created_at: &'a str,
    officer: &'a str,
    status: &'a str,
    signed_by: Option<&'a str>,
    overdue: bool,
    open: Vec<JsonItem<'a>>,
}

#[derive(Serialize)]
struct JsonItem<'a> {
    #[serde(flatten)]
    item: &'a OpenItem,
    open_seconds: i64,
    overdue: bool,
}

impl<'a> JsonEntry<'a> {
    fn new(e: &'a QueueEntry, now: &str) -> JsonEntry<'a> {
        let open: Vec<JsonItem> = e
            .open
            .iter()
            .map(|i| JsonItem {
                item: i,
                open_seconds: seconds_between(&i.since, now).unwrap_or(0).max(0),
                overdue: i.is_overdue(now),
            })
            .collect();
        JsonEntry {
            encounter_id: &e.encounter_id,
            created_at: &e.created_at,
            officer: &e.officer,
            status: &e.status,
            signed_by: e.signed_by.as_deref(),
            overdue: open.iter().any(|i| i.overdue),
            open,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_for_reads_to_the_minute() {
        let t0 = "2026-12-01T10:00:00.000Z";
        assert_eq!(open_for(t0, "2026-12-01T10:12:30.000Z"), "12m");
        assert_eq!(open_for(t0, "2026-12-01T15:10:00.000Z"), "5h 10m");
        assert_eq!(open_for(t0, "2026-12-03T13:00:00.000Z"), "2d 3h");
        assert_eq!(open_for(t0, "garbage"), "0m");
    }
}
