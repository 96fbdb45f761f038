//! Appending events: one `BEGIN IMMEDIATE` transaction per write, committed with
//! `synchronous=FULL`, each event checked against the record's rules
//! (`record::rules::check`) and the summary row kept in step in the same transaction.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior};

use super::error::classify;
use super::rows::parse_status;
use super::{Store, StoreError, WRITE_ATTEMPTS, backoff};
use crate::record::{ChainBreak, Event, EventBody, GENESIS_HASH, RuleBreak, Status, rules};

/// Where an encounter's chain ends, read inside a write transaction.
pub(super) struct Head {
    pub(super) id: String,
    pub(super) status: Status,
    pub(super) seq: u32,
    pub(super) hash: String,
}

impl Store {
    /// Starts an encounter: `created` must be `EventBody::Created`. Durable when it returns.
    pub fn create_encounter(&mut self, created: EventBody) -> Result<Event, StoreError> {
        let mut events = self.record_encounter(created, Vec::new())?;
        events
            .pop()
            .ok_or_else(|| StoreError::BadEvent("the encounter was not created".into()))
    }

    /// Creates an encounter and appends `rest` in one transaction: all or nothing.
    pub fn record_encounter(
        &mut self,
        created: EventBody,
        rest: Vec<EventBody>,
    ) -> Result<Vec<Event>, StoreError> {
        // Checked before the transaction so a wrong first event costs nothing.
        if !matches!(created, EventBody::Created { .. }) {
            return Err(StoreError::BadEvent(
                "an encounter must start with a 'created' event".into(),
            ));
        }
        let Store {
            conn,
            path,
            device_id,
            ..
        } = self;
        write(conn, path, |tx| {
            record_encounter_tx(tx, device_id, &created, &rest)
        })
    }

    /// Appends one event to the encounter with this full id. Durable (committed with
    /// `synchronous=FULL`) when it returns. Enforces the record's rules: answers, prompts,
    /// actions and notes only on drafts; `Completed` only on a draft; `Amended` only on a
    /// complete encounter and with a reason; `Voided` with a reason, once.
    pub fn append(&mut self, encounter_id: &str, body: EventBody) -> Result<Event, StoreError> {
        let Store {
            conn,
            path,
            device_id,
            ..
        } = self;
        write(conn, path, |tx| {
            let Some(head) = load_head(tx, encounter_id)? else {
                return Err(StoreError::NotFound {
                    prefix: encounter_id.to_string(),
                    nearest: Vec::new(),
                }
                .into());
            };
            let status = check_rules(&head, &body)?;
            super::scenes::check_join(tx, &body)?;
            let e = next_event(&head, device_id, body.clone())?;
            insert_event(tx, &e)?;
            let head = Head {
                status,
                seq: e.seq,
                hash: e.hash.clone(),
                ..head
            };
            update_summary(tx, &head, &e.at)?;
            Ok(e)
        })
    }
}

impl Store {
    /// Appends `bodies` to the encounter with this full id in one transaction: all or
    /// nothing, each under the record's rules.
    pub fn append_all(
        &mut self,
        encounter_id: &str,
        bodies: Vec<EventBody>,
    ) -> Result<Vec<Event>, StoreError> {
        let Store {
            conn,
            path,
            device_id,
            ..
        } = self;
        write(conn, path, |tx| {
            let Some(mut head) = load_head(tx, encounter_id)? else {
                return Err(StoreError::NotFound {
                    prefix: encounter_id.to_string(),
                    nearest: Vec::new(),
                }
                .into());
            };
            let mut out = Vec::new();
            for body in &bodies {
                let status = check_rules(&head, body)?;
                super::scenes::check_join(tx, body)?;
                let e = next_event(&head, device_id, body.clone())?;
                insert_event(tx, &e)?;
                head.seq = e.seq;
                head.hash = e.hash.clone();
                head.status = status;
                out.push(e);
            }
            if let Some(last) = out.last() {
                update_summary(tx, &head, &last.at)?;
            }
            Ok(out)
        })
    }
}

/// Creates an encounter from `created` and appends `rest`, inside the caller's
/// transaction. A `scene_joined` event must name an open scene held here.
pub(super) fn record_encounter_tx(
    tx: &Transaction,
    device_id: &str,
    created: &EventBody,
    rest: &[EventBody],
) -> Result<Vec<Event>, TxError> {
    let mut head = Head {
        id: uuid::Uuid::now_v7().to_string(),
        status: Status::Draft,
        seq: 0,
        hash: GENESIS_HASH.to_string(),
    };
    let first = next_event(&head, device_id, created.clone())?;
    insert_summary(tx, &first)?;
    insert_event(tx, &first)?;
    head.seq = 1;
    head.hash = first.hash.clone();
    let mut out = vec![first];
    for body in rest {
        let status = check_rules(&head, body)?;
        super::scenes::check_join(tx, body)?;
        let e = next_event(&head, device_id, body.clone())?;
        insert_event(tx, &e)?;
        head.seq = e.seq;
        head.hash = e.hash.clone();
        head.status = status;
        out.push(e);
    }
    update_summary(tx, &head, out.last().map(|e| e.at.as_str()).unwrap_or(""))?;
    // An officer who screens someone at a scene is one of its officers.
    if let EventBody::Created { officer, .. } = created {
        for body in rest {
            if let EventBody::SceneJoined { scene, .. } = body {
                super::scenes::add_officer(tx, device_id, scene, officer)?;
            }
        }
    }
    Ok(out)
}

/// An error inside a write transaction: either SQLite's or a rule the event broke.
pub(super) enum TxError {
    Sql(rusqlite::Error),
    Store(StoreError),
}

impl From<rusqlite::Error> for TxError {
    fn from(e: rusqlite::Error) -> Self {
        TxError::Sql(e)
    }
}

impl From<StoreError> for TxError {
    fn from(e: StoreError) -> Self {
        TxError::Store(e)
    }
}

/// Runs `f` in a `BEGIN IMMEDIATE` transaction and commits. The write lock is taken up
/// front, so a concurrent writer makes us wait (busy_timeout) at BEGIN rather than fail
/// half way; if it stays busy we roll back and retry the whole transaction a few times.
pub(super) fn write<T>(
    conn: &mut Connection,
    path: &Path,
    mut f: impl FnMut(&Transaction) -> Result<T, TxError>,
) -> Result<T, StoreError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let outcome: Result<T, TxError> = (|| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let v = f(&tx)?;
            tx.commit()?;
            Ok(v)
        })();
        let e = match outcome {
            Ok(v) => return Ok(v),
            Err(TxError::Sql(e)) => classify(path, e),
            Err(TxError::Store(e)) => e,
        };
        if !(e.is_busy() && attempt < WRITE_ATTEMPTS) {
            return Err(e);
        }
        backoff(attempt);
    }
}

pub(super) fn load_head(tx: &Transaction, encounter_id: &str) -> Result<Option<Head>, TxError> {
    let summary: Option<(String, i64, String)> = tx
        .query_row(
            "SELECT status, event_count, head_hash FROM encounters WHERE id = ?1",
            [encounter_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((status, count, head_hash)) = summary else {
        return Ok(None);
    };
    let last: Option<(i64, String, String)> = tx
        .query_row(
            "SELECT seq, hash, id FROM events WHERE encounter_id = ?1 ORDER BY seq DESC LIMIT 1",
            [encounter_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((seq, hash, event_id)) = last else {
        return Err(StoreError::Tampered(ChainBreak {
            encounter_id: encounter_id.to_string(),
            seq: 1,
            event_id: String::new(),
            problem: "is missing: the encounter has no events left".into(),
        })
        .into());
    };
    // Never build on a chain whose end disagrees with the summary written with it: an
    // event was removed or added behind msht's back.
    if seq != count || hash != head_hash {
        return Err(StoreError::Tampered(ChainBreak {
            encounter_id: encounter_id.to_string(),
            seq: u32::try_from(seq).unwrap_or(0),
            event_id,
            problem: format!(
                "is not where the record ended when last written ({count} events); events were removed, added or changed"
            ),
        })
        .into());
    }
    Ok(Some(Head {
        id: encounter_id.to_string(),
        status: parse_status(&status, encounter_id)?,
        seq: u32::try_from(seq).unwrap_or(u32::MAX),
        hash,
    }))
}

/// The status the encounter has after `body`, or the rule it breaks, as a store error
/// naming the encounter.
pub(super) fn check_rules(head: &Head, body: &EventBody) -> Result<Status, StoreError> {
    rules::check(head.status, body).map_err(|b| rule_error(&head.id, b))
}

fn rule_error(id: &str, b: RuleBreak) -> StoreError {
    let id = id.to_string();
    match b {
        RuleBreak::NotDraft { status, what } => StoreError::NotDraft { id, status, what },
        RuleBreak::NotComplete { status } => StoreError::NotComplete { id, status },
        RuleBreak::NotSignable { status } => StoreError::NotSignable { id, status },
        RuleBreak::AlreadyVoid => StoreError::AlreadyVoid { id },
        RuleBreak::ReasonRequired { what } => StoreError::ReasonRequired { what },
        RuleBreak::Malformed(m) => StoreError::BadEvent(m.to_string()),
    }
}

/// The event after `head`: a new UUIDv7, now in UTC with millisecond precision, and the
/// local offset so the record can show the officer's own clock time.
fn next_event(head: &Head, device_id: &str, body: EventBody) -> Result<Event, StoreError> {
    let (at, offset) = crate::time::now_with_offset();
    Event::new(
        uuid::Uuid::now_v7().to_string(),
        head.id.clone(),
        head.seq + 1,
        at,
        offset,
        device_id.to_string(),
        head.hash.clone(),
        body,
    )
    .map_err(StoreError::from)
}

/// The summary row of a new encounter, from its `created` event (recorded here or
/// imported from another device, whose id the row keeps).
pub(super) fn insert_summary(tx: &Transaction, created: &Event) -> Result<(), TxError> {
    let EventBody::Created {
        officer,
        location,
        checklist,
        ..
    } = &created.body
    else {
        return Err(TxError::Store(StoreError::BadEvent(
            "an encounter must start with a 'created' event".into(),
        )));
    };
    tx.prepare_cached(
        "INSERT INTO encounters (id, status, officer, location, checklist, device_id,
             created_at, updated_at, event_count, head_hash)
         VALUES (?1, 'draft', ?2, ?3, ?4, ?5, ?6, ?6, 0, ?7)",
    )?
    .execute(rusqlite::params![
        created.encounter_id,
        officer,
        location,
        checklist,
        created.device_id,
        created.at,
        GENESIS_HASH
    ])?;
    Ok(())
}

pub(super) fn insert_event(tx: &Transaction, e: &Event) -> Result<(), TxError> {
    let body = serde_json::to_string(&e.body)
        .map_err(|err| StoreError::BadEvent(format!("the event could not be encoded: {err}")))?;
    tx.prepare_cached(
        "INSERT INTO events (id, encounter_id, seq, at, offset, device_id, prev_hash, hash, type, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(rusqlite::params![
        e.id,
        e.encounter_id,
        i64::from(e.seq),
        e.at,
        e.offset,
        e.device_id,
        e.prev_hash,
        e.hash,
        e.body.type_name(),
        body
    ])?;
    super::scenes::index_member(tx, e)?;
    Ok(())
}

pub(super) fn update_summary(tx: &Transaction, head: &Head, at: &str) -> Result<(), TxError> {
    tx.prepare_cached(
        "UPDATE encounters SET status = ?2, updated_at = ?3, event_count = ?4, head_hash = ?5
         WHERE id = ?1",
    )?
    .execute(rusqlite::params![
        head.id,
        head.status.as_str(),
        at,
        i64::from(head.seq),
        head.hash
    ])?;
    Ok(())
}
