//! One encounter checked whole: its chain verified, and its summary row re-derived from
//! that chain and compared field by field. The summary is a cache written beside each
//! event; a change to it behind msht's back (a forged officer, a status set to
//! `complete` so prune takes it) is as much an alteration of the record as a change to an
//! event, so `doctor`, `export --all`, `sync push` and `sync prune` all read this.

use serde::Serialize;

use crate::record::{ChainBreak, EncounterState, Event};

/// The summary row as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryRow {
    pub id: String,
    pub status: String,
    pub officer: String,
    pub location: String,
    pub checklist: String,
    pub device_id: String,
    pub created_at: String,
    pub updated_at: String,
    pub event_count: i64,
    pub head_hash: String,
}

/// One field of the summary table that its chain does not bear out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error(
    "the encounter list gives encounter {encounter_id} the {field} '{summary}', but its record says '{record}'"
)]
pub struct SummaryDiff {
    pub encounter_id: String,
    pub field: &'static str,
    /// What the summary table says.
    pub summary: String,
    /// What replaying the chain gives.
    pub record: String,
}

/// Everything found wrong with one encounter; empty when it verifies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Audit {
    pub breaks: Vec<ChainBreak>,
    pub diffs: Vec<SummaryDiff>,
}

impl Audit {
    pub fn is_clean(&self) -> bool {
        self.breaks.is_empty() && self.diffs.is_empty()
    }

    /// The first problem as one sentence, for a push or prune that leaves the record out.
    pub fn first_problem(&self) -> Option<String> {
        self.breaks
            .first()
            .map(ToString::to_string)
            .or_else(|| self.diffs.first().map(ToString::to_string))
    }
}

/// Checks one encounter: `events` as read (or the break that made one unreadable) against
/// its summary `row` (`None` when events exist without one). Returns the replayed state
/// when the chain verifies.
pub fn audit(
    id: &str,
    row: Option<&SummaryRow>,
    events: Result<&[Event], ChainBreak>,
) -> (Audit, Option<EncounterState>) {
    let mut a = Audit::default();
    let events = match events {
        Ok(e) => e,
        Err(b) => {
            a.breaks.push(b);
            return (a, None);
        }
    };
    let Some(first) = events.first() else {
        let n = row.map_or(0, |r| r.event_count);
        a.breaks.push(ChainBreak {
            encounter_id: id.to_string(),
            seq: 1,
            event_id: String::new(),
            problem: format!(
                "is missing: all {n} events of this encounter were deleted, only its line in the encounter list is left"
            ),
        });
        return (a, None);
    };
    if let Err(b) = EncounterState::verify(events) {
        a.breaks.push(b);
        return (a, None);
    }
    let Some(row) = row else {
        a.breaks.push(ChainBreak {
            encounter_id: id.to_string(),
            seq: first.seq,
            event_id: first.id.clone(),
            problem:
                "belongs to an encounter missing from the encounter list (its summary was removed)"
                    .into(),
        });
        return (a, None);
    };
    if let Some(b) =
        super::rows::summary_mismatch(events, Some((row.event_count, row.head_hash.clone())))
    {
        a.breaks.push(b);
    }
    let Some(state) = EncounterState::from_events(events) else {
        return (a, None);
    };
    a.diffs = compare(row, &state);
    (a, Some(state))
}

/// Every field of the summary row that replaying the chain does not give.
fn compare(row: &SummaryRow, s: &EncounterState) -> Vec<SummaryDiff> {
    let fields: [(&'static str, &str, &str); 7] = [
        ("status", &row.status, s.status.as_str()),
        ("officer", &row.officer, &s.officer),
        ("location", &row.location, &s.location),
        ("checklist", &row.checklist, &s.checklist),
        ("device id", &row.device_id, &s.device_id),
        ("start time", &row.created_at, &s.created_at),
        ("last change", &row.updated_at, &s.updated_at),
    ];
    fields
        .into_iter()
        .filter(|(_, summary, record)| summary != record)
        .map(|(field, summary, record)| SummaryDiff {
            encounter_id: row.id.clone(),
            field,
            summary: summary.to_string(),
            record: record.to_string(),
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::record::{EventBody, GENESIS_HASH};

    /// A valid chain of `n` events: created, then notes.
    pub(crate) fn chain(encounter: &str, device: &str, n: u32) -> Vec<Event> {
        let mut out: Vec<Event> = Vec::new();
        for seq in 1..=n {
            let prev = out.last().map_or(GENESIS_HASH.into(), |e| e.hash.clone());
            let body = if seq == 1 {
                EventBody::Created {
                    officer: "PC 1".into(),
                    location: "Dock 4".into(),
                    checklist: "general".into(),
                    checklist_title: "General".into(),
                    guidance_version: "1".into(),
                    guidance_hash: "x".into(),
                }
            } else {
                EventBody::NoteAdded {
                    text: format!("note {seq}"),
                }
            };
            let at = format!("2026-01-01T00:00:{:02}.000Z", seq % 60);
            let e = Event::new(
                format!("{encounter}-e{seq}"),
                encounter.into(),
                seq,
                at,
                "+00:00".into(),
                device.into(),
                prev,
                body,
            );
            out.push(e.unwrap());
        }
        out
    }

    fn row_for(events: &[Event]) -> SummaryRow {
        let s = EncounterState::from_events(events).unwrap();
        SummaryRow {
            id: s.id.clone(),
            status: s.status.as_str().into(),
            officer: s.officer.clone(),
            location: s.location.clone(),
            checklist: s.checklist.clone(),
            device_id: s.device_id.clone(),
            created_at: s.created_at.clone(),
            updated_at: s.updated_at.clone(),
            event_count: events.len() as i64,
            head_hash: s.head_hash.clone(),
        }
    }

    #[test]
    fn a_true_row_is_clean_and_each_forged_field_is_named() {
        let ev = chain("enc", "dev", 3);
        let row = row_for(&ev);
        assert!(audit("enc", Some(&row), Ok(&ev)).0.is_clean());
        let forged = SummaryRow {
            officer: "PC 99".into(),
            status: "complete".into(),
            ..row.clone()
        };
        let a = audit("enc", Some(&forged), Ok(&ev)).0;
        let fields: Vec<_> = a.diffs.iter().map(|d| d.field).collect();
        assert_eq!(fields, ["status", "officer"]);
        assert!(a.breaks.is_empty());
    }

    #[test]
    fn no_events_cut_events_and_no_row_are_breaks() {
        let ev = chain("enc", "dev", 3);
        let row = row_for(&ev);
        let a = audit("enc", Some(&row), Ok(&[])).0;
        assert!(a.breaks[0].problem.contains("all 3 events"), "{a:?}");
        assert_eq!(a.breaks[0].encounter_id, "enc");
        let a = audit("enc", Some(&row), Ok(&ev[..2])).0;
        assert_eq!(a.breaks.len(), 1, "{a:?}");
        let a = audit("enc", None, Ok(&ev)).0;
        assert!(a.breaks[0].problem.contains("summary was removed"));
    }
}
