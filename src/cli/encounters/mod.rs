//! `msht encounters`: list, show, complete, amend, record a welfare action or what became
//! of a duty, and void.
//! One file per subcommand; this one holds the arguments and what they share.
//!
//! Nothing here changes a record in place: completing, amending and voiding each append
//! one event through the store, which enforces the rules (amend only what is complete,
//! always with a reason). `show` verifies the chain before printing anything, so an
//! altered record is never displayed as if it were sound. Every command reads the record
//! through `load`, which has the engine derive what follows from the current answers.

mod action;
mod amend;
mod complete;
mod duty;
mod list;
mod show;
mod void;

use clap::{Args, Subcommand, ValueEnum};

use super::Ctx;
use crate::error::{Error, Result};
use crate::record::{EncounterState, Status};
use crate::store::Store;

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
    /// Record what became of a duty: done (with the reference the receiving system gave),
    /// not needed (with the reason), or in progress
    Duty(DutyArgs),
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
    /// The prompt id (as `encounters show` lists it)
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

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("outcome").required(true).args(["done", "not_needed", "in_progress"])))]
pub struct DutyArgs {
    /// The encounter id, or enough of its start to be unique
    id: String,
    /// The duty id (as `encounters show` lists it), e.g. nrm-referral
    duty: String,
    /// It was done; give the reference the receiving system gave with --ref
    #[arg(long)]
    done: bool,
    /// It was not needed; say why with --reason
    #[arg(long, requires = "reason")]
    not_needed: bool,
    /// It is under way
    #[arg(long)]
    in_progress: bool,
    /// The reference the receiving system gave (NRM referral, DtN, crime reference number)
    #[arg(long = "ref", value_name = "REFERENCE", conflicts_with = "not_needed")]
    reference: Option<String>,
    /// Why the duty was not needed (kept in the record)
    #[arg(long, value_name = "TEXT", requires = "not_needed")]
    reason: Option<String>,
    /// A note to keep with the outcome
    #[arg(long, value_name = "TEXT")]
    note: Option<String>,
    /// Who is recording it [default: the config file's officer]
    #[arg(long, value_name = "ID")]
    officer: Option<String>,
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
        Command::List(a) => list::run(ctx, a),
        Command::Show { id } => show::run(ctx, &id),
        Command::Complete { id } => complete::run(ctx, &id),
        Command::Amend(a) => amend::run(ctx, a),
        Command::Action(a) => action::run(ctx, a),
        Command::Duty(a) => duty::run(ctx, a),
        Command::Void { id, reason } => void::run(ctx, &id, reason),
    }
}

/// An encounter read for a person: resolved from a prefix, its chain verified, and what
/// follows from its current answers derived by the engine (when the guidance in use has
/// its checklist; otherwise the duties stated at completion stand).
pub(crate) fn load(ctx: &Ctx, store: &Store, prefix: &str) -> Result<EncounterState> {
    let id = store.resolve_id(prefix)?;
    let mut state = store.encounter(&id)?;
    if let Ok(g) = ctx.guidance() {
        let _ = crate::engine::derive(&g, &mut state);
    }
    Ok(state)
}

/// The id as printed for a person: the shortest unique prefix (at least 8 characters),
/// so a command fits a phone screen and still resolves.
pub(crate) fn short(store: &Store, id: &str) -> String {
    store.short_id(id).unwrap_or_else(|_| id.to_string())
}

/// Refuses, in one sentence, to change a void record.
pub(crate) fn refuse_void(s: &EncounterState, short: &str, what: &str) -> Result<()> {
    if s.status == Status::Void {
        return Err(Error::BadInput(format!(
            "encounter {short} is void, so {what}; a void record takes nothing more"
        )));
    }
    Ok(())
}

/// An RFC 3339 UTC time as the officer's clock showed it: in `offset` (the device's offset
/// when recorded) if given, else in this machine's time zone.
pub(crate) fn local_time(at: &str, offset: Option<&str>) -> String {
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

/// `local_time` in this machine's time zone, for other commands' lists.
pub(crate) fn local_time_pub(at: &str) -> String {
    local_time(at, None)
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
