//! Follow-through after the scene: what became of each duty (with the reference the
//! receiving system gave), what is still open, and a supervisor's sign-off. The facts are
//! events (`EventBody::DutyOutcome`, `EventBody::SignedOff`); what is open is the engine's
//! reading of them under the guidance's timescales, and the review queue keeps that
//! reading per encounter (`store::ReviewRow`) so a supervisor's queue over a hub's
//! 100,000 encounters is an index read. Every row is re-derivable from its chain.

use serde::{Deserialize, Serialize};

use crate::fault::Fault;
use crate::guidance::Guidance;
use crate::record::{
    DutyProgress, EncounterState, Event, EventBody, OpenAtSignOff, Status, WelfareOutcome,
};
use crate::store::{ReviewFilter, ReviewRow, Store, StoreError};

/// Why a duty outcome or a sign-off was not recorded. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    #[error("the guidance has no duty '{duty}'; encounter {encounter}'s duties are: {known}")]
    UnknownDuty {
        encounter: String,
        duty: String,
        known: String,
    },
    #[error(
        "duty '{duty}' does not follow from the answers of encounter {encounter}, so nothing can be recorded for it; its duties are: {known}"
    )]
    NotApplicable {
        encounter: String,
        duty: String,
        known: String,
    },
    #[error(
        "the {title} duty is done only when the receiving system has given its reference ({what}), and none was given"
    )]
    ReferenceRequired {
        duty: String,
        title: String,
        what: String,
    },
    #[error(
        "encounter {encounter} still has {count} open ({list}), so a sign-off needs the reason the supervisor accepts that"
    )]
    OpenAtSignOff {
        encounter: String,
        count: usize,
        list: String,
    },
    #[error(
        "the review queue's line for encounter {encounter} is not what its record gives; it was changed outside msht"
    )]
    ReviewAltered { encounter: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl FollowError {
    pub fn fault(&self) -> Fault {
        match self {
            FollowError::Store(e) => e.fault(),
            _ => Fault::BadData,
        }
    }
}

/// One thing still open about an encounter: a duty not yet done, or a welfare prompt
/// with nothing (or only "deferred") recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenItem {
    /// `duty` or `prompt`.
    pub kind: String,
    pub id: String,
    pub title: String,
    /// `open`, `in_progress` (a duty), or `deferred` (a prompt).
    pub state: String,
    /// When it began: the duty began to apply, or the prompt was raised.
    pub since: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timescale: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub if_missed: Option<String>,
}

impl OpenItem {
    /// Past its due time at `now` (stored UTC form). Never for a duty whose timescale is
    /// force policy, end of shift, or not given.
    pub fn is_overdue(&self, now: &str) -> bool {
        self.due_at.as_deref().is_some_and(|d| d < now)
    }
}

/// Everything open about an encounter (its state derived by the engine): open duties in
/// the order to do them, then open welfare prompts, most urgent first. A void record has
/// nothing open.
pub fn open_items(s: &EncounterState) -> Vec<OpenItem> {
    if s.status == Status::Void {
        return Vec::new();
    }
    let duties = s.open_duties().into_iter().map(|d| OpenItem {
        kind: "duty".into(),
        id: d.id.clone(),
        title: d.title.clone(),
        state: match d.outcome {
            Some(DutyProgress::InProgress) => "in_progress".into(),
            _ => "open".into(),
        },
        since: d.since.clone(),
        due_at: d.due_at.clone(),
        timescale: d.timescale.clone(),
        if_missed: d.if_missed.clone(),
    });
    let prompts = s.open_prompts().into_iter().map(|p| OpenItem {
        kind: "prompt".into(),
        id: p.prompt.clone(),
        title: p.title.clone(),
        state: match p.outcome {
            Some(WelfareOutcome::Deferred) => "deferred".into(),
            _ => "open".into(),
        },
        since: p.raised_at.clone(),
        due_at: None,
        timescale: None,
        if_missed: None,
    });
    duties.chain(prompts).collect()
}

/// The review row of an encounter whose state the engine has derived.
pub fn review_row(s: &EncounterState) -> ReviewRow {
    let items = open_items(s);
    ReviewRow {
        encounter_id: s.id.clone(),
        created_at: s.created_at.clone(),
        officer: s.officer.clone(),
        status: s.status.as_str().to_string(),
        open_count: i64::try_from(items.len()).unwrap_or(i64::MAX),
        oldest_open: items.iter().map(|i| i.since.clone()).min(),
        next_due: items.iter().filter_map(|i| i.due_at.clone()).min(),
        signed_by: s.sign_offs.last().map(|x| x.supervisor.clone()),
        // Plain strings always encode.
        items: serde_json::to_string(&items).unwrap_or_else(|_| "[]".into()),
    }
}

/// Replays and derives one encounter for the queue (the engine under `g`; the duties
/// stated at completion when `g` lacks its checklist).
fn derived(store: &Store, g: &Guidance, id: &str) -> Result<EncounterState, StoreError> {
    let mut s = store.encounter(id)?;
    let _ = crate::engine::derive(g, &mut s);
    Ok(s)
}

/// Brings the review rows up to date under `g`: every encounter whose chain grew since
/// its row was derived (here or by sync) is replayed and derived again. Returns how many
/// were. An encounter whose record does not verify gets no row (it stays out of the queue,
/// and `doctor` names it).
pub fn refresh(store: &mut Store, g: &Guidance) -> Result<usize, StoreError> {
    let stale = store.stale_reviews(&g.hash)?;
    let mut batch = Vec::new();
    let mut done = 0;
    for id in &stale {
        let s = match derived(store, g, id) {
            Ok(s) => s,
            Err(StoreError::Tampered(_)) => continue,
            Err(e) => return Err(e),
        };
        batch.push((review_row(&s), s.head_hash.clone()));
        if batch.len() >= 1000 {
            store.put_reviews(&batch)?;
            done += batch.len();
            batch.clear();
        }
    }
    store.put_reviews(&batch)?;
    Ok(done + batch.len())
}

/// One encounter in the queue.
#[derive(Debug, Clone, Serialize)]
pub struct QueueEntry {
    pub encounter_id: String,
    pub created_at: String,
    pub officer: String,
    pub status: String,
    pub signed_by: Option<String>,
    pub open: Vec<OpenItem>,
}

/// The review queue under `g`, oldest encounter first, and how many match in all.
pub fn queue(
    store: &mut Store,
    g: &Guidance,
    filter: &ReviewFilter,
) -> Result<(Vec<QueueEntry>, usize), StoreError> {
    refresh(store, g)?;
    let (rows, total) = store.review_queue(filter)?;
    let entries = rows
        .into_iter()
        .map(|r| QueueEntry {
            open: serde_json::from_str(&r.items).unwrap_or_default(),
            encounter_id: r.encounter_id,
            created_at: r.created_at,
            officer: r.officer,
            status: r.status,
            signed_by: r.signed_by,
        })
        .collect();
    Ok((entries, total))
}

/// Stored review rows that re-deriving their chain under `g` does not give: a row changed
/// behind msht's back could hide an encounter from its supervisor. Rows derived under
/// other guidance are not compared (they are replaced at the next review).
pub fn check_reviews(store: &Store, g: &Guidance) -> Result<Vec<String>, StoreError> {
    if store.review_guidance()?.as_deref() != Some(g.hash.as_str()) {
        return Ok(Vec::new());
    }
    let mut wrong = Vec::new();
    for row in store.current_reviews()? {
        let fresh = match derived(store, g, &row.encounter_id) {
            Ok(s) => review_row(&s),
            Err(StoreError::Tampered(_)) => continue,
            Err(e) => return Err(e),
        };
        if fresh != row {
            wrong.push(row.encounter_id);
        }
    }
    Ok(wrong)
}

/// What to record about one duty.
#[derive(Debug, Clone)]
pub struct DutyUpdate {
    pub duty: String,
    pub outcome: DutyProgress,
    pub officer: String,
    pub reference: String,
    pub reason: String,
    pub note: String,
}

/// Records what became of a duty of `s` (derived under `g`): refused for a duty the
/// guidance does not know, one that does not apply to this encounter, or "done" without
/// the reference the guidance says the receiving system gives.
pub fn record_duty(
    store: &mut Store,
    g: &Guidance,
    s: &EncounterState,
    u: DutyUpdate,
) -> Result<Event, FollowError> {
    let known = || {
        let ids: Vec<&str> = s
            .follow
            .iter()
            .filter(|f| f.applies)
            .map(|f| f.id.as_str())
            .collect();
        if ids.is_empty() {
            "none".to_string()
        } else {
            ids.join(", ")
        }
    };
    let Some(f) = s.follow.iter().find(|f| f.id == u.duty && f.applies) else {
        let in_guidance = g.duties.iter().any(|d| d.id == u.duty);
        let (encounter, duty, known) = (s.id.clone(), u.duty.clone(), known());
        return Err(if in_guidance {
            FollowError::NotApplicable {
                encounter,
                duty,
                known,
            }
        } else {
            FollowError::UnknownDuty {
                encounter,
                duty,
                known,
            }
        });
    };
    let needs_ref = g
        .duties
        .iter()
        .find(|d| d.id == u.duty)
        .and_then(|d| d.reference.clone());
    if let Some(what) = needs_ref
        && u.outcome == DutyProgress::Done
        && u.reference.trim().is_empty()
    {
        return Err(FollowError::ReferenceRequired {
            duty: u.duty,
            title: f.title.clone(),
            what,
        });
    }
    Ok(store.append(
        &s.id,
        EventBody::DutyOutcome {
            duty: u.duty,
            title: f.title.clone(),
            outcome: u.outcome,
            officer: u.officer.trim().to_string(),
            reference: u.reference.trim().to_string(),
            reason: u.reason.trim().to_string(),
            note: u.note.trim().to_string(),
        },
    )?)
}

/// A supervisor's sign-off of `s` (derived), recording what was open when they signed;
/// with anything open it needs `accept_open`, the reason they accept it.
pub fn sign_off(
    store: &mut Store,
    s: &EncounterState,
    supervisor: &str,
    note: &str,
    accept_open: &str,
) -> Result<Event, FollowError> {
    let open: Vec<OpenAtSignOff> = open_items(s)
        .into_iter()
        .map(|i| OpenAtSignOff {
            kind: i.kind,
            id: i.id,
            title: i.title,
        })
        .collect();
    if !open.is_empty() && accept_open.trim().is_empty() && s.status == Status::Complete {
        let list: Vec<String> = open.iter().map(|o| o.title.clone()).collect();
        return Err(FollowError::OpenAtSignOff {
            encounter: s.id.clone(),
            count: open.len(),
            list: list.join("; "),
        });
    }
    Ok(store.append(
        &s.id,
        EventBody::SignedOff {
            supervisor: supervisor.trim().to_string(),
            note: note.trim().to_string(),
            open,
            accept_open: accept_open.trim().to_string(),
        },
    )?)
}
