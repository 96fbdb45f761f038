//! Mapping rows to values: an `events` row to an `Event` (a row that does not read back
//! is a break in the record, never a crash), a status column to a `Status`, a list filter
//! to SQL.

use rusqlite::types::Value;

use super::StoreError;
use super::audit::SummaryRow;
use super::read::ListFilter;
use crate::record::{ChainBreak, Event, EventBody, Status};

/// Whether the stored chain ends where the summary (written in the same transaction as
/// each event) says it does. Catches events deleted from the end, which the chain alone
/// cannot show.
pub(super) fn summary_mismatch(
    events: &[Event],
    summary: Option<(i64, String)>,
) -> Option<ChainBreak> {
    let last = events.last()?;
    let problem = match summary {
        None => "belongs to an encounter missing from the encounter list (its summary was removed)"
            .to_string(),
        Some((count, hash)) if count != events.len() as i64 || hash != last.hash => format!(
            "is the last event stored, but the record had {count} events when last written; events were removed or added"
        ),
        Some(_) => return None,
    };
    Some(ChainBreak {
        encounter_id: last.encounter_id.clone(),
        seq: last.seq,
        event_id: last.id.clone(),
        problem,
    })
}

/// A row of `events` before its JSON body is read.
pub(super) struct RawEvent {
    id: String,
    encounter_id: String,
    seq: i64,
    at: String,
    offset: String,
    device_id: String,
    prev_hash: String,
    hash: String,
    kind: String,
    body: String,
}

impl RawEvent {
    pub(super) fn from_row(r: &rusqlite::Row) -> rusqlite::Result<RawEvent> {
        Ok(RawEvent {
            id: r.get(0)?,
            encounter_id: r.get(1)?,
            seq: r.get(2)?,
            at: r.get(3)?,
            offset: r.get(4)?,
            device_id: r.get(5)?,
            prev_hash: r.get(6)?,
            hash: r.get(7)?,
            kind: r.get(8)?,
            body: r.get(9)?,
        })
    }

    /// An event whose stored form cannot be read was changed outside msht: that is a
    /// break in the record, reported like one, never a crash.
    pub(super) fn into_event(self) -> Result<Event, StoreError> {
        let broken = |problem: String| {
            StoreError::Tampered(ChainBreak {
                encounter_id: self.encounter_id.clone(),
                seq: u32::try_from(self.seq).unwrap_or(0),
                event_id: self.id.clone(),
                problem,
            })
        };
        let seq = u32::try_from(self.seq)
            .map_err(|_| broken(format!("has an impossible position ({})", self.seq)))?;
        let body: EventBody = serde_json::from_str(&self.body).map_err(|e| {
            broken(format!(
                "cannot be read ({e}); it was changed after it was written"
            ))
        })?;
        if body.type_name() != self.kind {
            return Err(broken(format!(
                "is stored as '{}' but its content is '{}'; it was changed after it was written",
                self.kind,
                body.type_name()
            )));
        }
        Ok(Event {
            id: self.id,
            encounter_id: self.encounter_id,
            seq,
            at: self.at,
            offset: self.offset,
            device_id: self.device_id,
            prev_hash: self.prev_hash,
            hash: self.hash,
            body,
        })
    }
}

/// The columns `summary_row` reads, in its order.
pub(super) const SUMMARY_COLUMNS: &str = "id, status, officer, location, checklist, device_id, created_at, updated_at, event_count, head_hash";

/// A row selected with `SUMMARY_COLUMNS`.
pub(super) fn summary_row(r: &rusqlite::Row) -> rusqlite::Result<SummaryRow> {
    Ok(SummaryRow {
        id: r.get(0)?,
        status: r.get(1)?,
        officer: r.get(2)?,
        location: r.get(3)?,
        checklist: r.get(4)?,
        device_id: r.get(5)?,
        created_at: r.get(6)?,
        updated_at: r.get(7)?,
        event_count: r.get(8)?,
        head_hash: r.get(9)?,
    })
}

pub(super) fn parse_status(s: &str, id: &str) -> Result<Status, StoreError> {
    Status::parse(s).ok_or_else(|| {
        StoreError::BadEvent(format!(
            "encounter {id} has an unknown status '{s}' in the summary table"
        ))
    })
}

pub(super) fn sql_limit(limit: Option<usize>) -> i64 {
    // SQLite reads a negative LIMIT as "no limit".
    limit.map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX))
}

/// The WHERE clause and its parameters for a filter.
pub(super) fn filter_sql(filter: &ListFilter) -> Result<(String, Vec<Value>), StoreError> {
    let mut clauses = Vec::new();
    let mut params = Vec::new();
    if let Some(s) = filter.status {
        clauses.push("status = ?");
        params.push(Value::Text(s.as_str().to_string()));
    }
    if let Some(since) = &filter.since {
        clauses.push("created_at >= ?");
        params.push(Value::Text(normalise_since(since)?));
    }
    let sql = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    Ok((sql, params))
}

/// `since` as a stored `at` string (UTC, millis, `Z`), so it compares as text. A bare date
/// means local midnight: "since today" is the officer's today.
pub fn normalise_since(since: &str) -> Result<String, StoreError> {
    let s = since.trim();
    let ts = if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        ts
    } else if let Ok(d) = s.parse::<jiff::civil::Date>() {
        d.to_zoned_datetime(jiff::tz::TimeZone::system())
            .map_err(|_| StoreError::BadDate(since.to_string()))?
            .timestamp()
    } else {
        return Err(StoreError::BadDate(since.to_string()));
    };
    Ok(crate::time::utc_string(ts))
}
