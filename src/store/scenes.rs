//! Scenes in the database: each scene's hash chain (`scene_events`), its summary row
//! (`scenes`, re-derived from the chain by `verify_scenes`), and the index of which
//! encounters joined which scene (`scene_members`, kept in step with every
//! `scene_joined` / `scene_left` event written, here or by an import).
//!
//! A whole scene file (several people, the notes for later) is written by
//! `record_scene` in one transaction: all or nothing.

use rusqlite::{Connection, OptionalExtension, Transaction};
use serde::Serialize;

use super::write::{TxError, record_encounter_tx, write};
use super::{Store, StoreError};
use crate::record::{
    EncounterState, Event, EventBody, GENESIS_HASH, SceneBody, SceneEvent, SceneRuleBreak,
    SceneState, SceneStatus, check_scene,
};

/// One line of `scene list`, from the summary table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SceneSummary {
    pub id: String,
    pub status: String,
    pub officer: String,
    pub location: String,
    pub description: String,
    pub created_at: String,
    pub updated_at: String,
    /// Encounters linked to it now.
    pub people: usize,
}

/// An encounter linked to a scene, as the index holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SceneMember {
    pub encounter_id: String,
    pub label: String,
    pub joined_at: String,
}

/// Where a scene file's people go: a new scene, or one already open here.
#[derive(Debug, Clone)]
pub enum SceneTarget {
    New {
        officer: String,
        location: String,
        description: String,
    },
    Existing(String),
}

/// One person of a scene file: their encounter's events (the scene link is added here).
#[derive(Debug, Clone)]
pub struct PersonBatch {
    pub label: String,
    /// The earlier person (index in `SceneBatch::people`) whose answer raised them.
    pub raised_by: Option<usize>,
    pub question: Option<String>,
    pub created: EventBody,
    pub rest: Vec<EventBody>,
    /// The noted item (`n1`) this person's encounter deals with, if any.
    pub resolves: Option<String>,
}

/// A person noted for later, raised by an answer of person `by`.
#[derive(Debug, Clone)]
pub struct NoteBatch {
    pub by: Option<usize>,
    pub label: String,
    pub question: Option<String>,
}

#[derive(Debug, Clone)]
pub struct SceneBatch {
    pub target: SceneTarget,
    pub people: Vec<PersonBatch>,
    pub notes: Vec<NoteBatch>,
}

/// What `record_scene` wrote: the scene, each person's encounter id in order, the notes.
#[derive(Debug, Clone)]
pub struct SceneRecorded {
    pub scene_id: String,
    pub encounters: Vec<String>,
    pub notes: Vec<String>,
}

const SCENE_EVENT_COLUMNS: &str =
    "id, scene_id, seq, at, offset, device_id, prev_hash, hash, type, body";

impl Store {
    /// Opens a new scene. Durable when it returns.
    pub fn open_scene(
        &mut self,
        officer: &str,
        location: &str,
        description: &str,
    ) -> Result<SceneEvent, StoreError> {
        let Store {
            conn,
            path,
            device_id,
            ..
        } = self;
        let body = SceneBody::Opened {
            officer: officer.to_string(),
            location: location.to_string(),
            description: description.to_string(),
        };
        write(conn, path, |tx| open_scene_tx(tx, device_id, body.clone()))
    }

    /// Appends one event to the scene with this full id, under the scene's rules.
    pub fn append_scene(
        &mut self,
        scene_id: &str,
        body: SceneBody,
    ) -> Result<SceneEvent, StoreError> {
        let Store {
            conn,
            path,
            device_id,
            ..
        } = self;
        write(conn, path, |tx| {
            append_scene_tx(tx, device_id, scene_id, body.clone())
        })
    }

    /// Writes a whole scene file in one transaction: the scene (new, or one open here),
    /// each person's encounter linked to it in order, and the people noted for later.
    pub fn record_scene(&mut self, batch: &SceneBatch) -> Result<SceneRecorded, StoreError> {
        let Store {
            conn,
            path,
            device_id,
            ..
        } = self;
        write(conn, path, |tx| record_scene_tx(tx, device_id, batch))
    }

    /// The scene's events in order, as stored (not verified).
    pub fn scene_events(&self, scene_id: &str) -> Result<Vec<SceneEvent>, StoreError> {
        read_scene_events(&self.conn, scene_id).map_err(|e| self.tx_err(e))
    }

    /// Loads, verifies and replays one scene (its chain, and the summary written with it).
    pub fn scene(&self, scene_id: &str) -> Result<SceneState, StoreError> {
        let snapshot = self.conn.unchecked_transaction().map_err(|e| self.err(e))?;
        let events = self.scene_events(scene_id)?;
        let row = scene_row(&self.conn, scene_id).map_err(|e| self.err(e))?;
        drop(snapshot);
        match audit_scene(scene_id, row.as_ref(), &events) {
            Ok(Some(state)) => Ok(state),
            Ok(None) => Err(StoreError::SceneNotFound {
                prefix: scene_id.to_string(),
                matches: Vec::new(),
            }),
            Err(b) => Err(StoreError::SceneTampered(b)),
        }
    }

    /// A full scene id or a unique prefix of one → the full id.
    pub fn resolve_scene_id(&self, prefix: &str) -> Result<String, StoreError> {
        let p = prefix.trim().to_ascii_lowercase();
        let not_found = |matches| StoreError::SceneNotFound {
            prefix: prefix.to_string(),
            matches,
        };
        if p.is_empty() || !p.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            return Err(not_found(Vec::new()));
        }
        let upper = format!("{p}g");
        let matches: Vec<String> = self
            .conn
            .prepare_cached("SELECT id FROM scenes WHERE id >= ?1 AND id < ?2 ORDER BY id LIMIT 6")
            .and_then(|mut s| s.query_map([&p, &upper], |r| r.get(0))?.collect())
            .map_err(|e| self.err(e))?;
        if let Some(exact) = matches.iter().find(|m| **m == p) {
            return Ok(exact.clone());
        }
        match matches.len() {
            1 => Ok(matches[0].clone()),
            0 => Err(not_found(Vec::new())),
            _ => Err(not_found(matches)),
        }
    }

    /// The shortest prefix (at least 8 characters) no other scene shares.
    pub fn short_scene_id(&self, id: &str) -> Result<String, StoreError> {
        self.short_id_in("scenes", id)
    }

    /// Scenes, newest first; only open ones when `open_only`.
    pub fn list_scenes(&self, open_only: bool) -> Result<Vec<SceneSummary>, StoreError> {
        let sql = format!(
            "SELECT s.id, s.status, s.officer, s.location, s.description, s.created_at,
                    s.updated_at, (SELECT count(*) FROM scene_members m WHERE m.scene_id = s.id)
             FROM scenes s {} ORDER BY s.created_at DESC, s.id DESC",
            if open_only {
                "WHERE s.status = 'open'"
            } else {
                ""
            }
        );
        self.conn
            .prepare_cached(&sql)
            .and_then(|mut s| {
                s.query_map([], |r| {
                    Ok(SceneSummary {
                        id: r.get(0)?,
                        status: r.get(1)?,
                        officer: r.get(2)?,
                        location: r.get(3)?,
                        description: r.get(4)?,
                        created_at: r.get(5)?,
                        updated_at: r.get(6)?,
                        people: usize::try_from(r.get::<_, i64>(7)?).unwrap_or(0),
                    })
                })?
                .collect()
            })
            .map_err(|e| self.err(e))
    }

    /// The encounters linked to a scene now, in the order they joined.
    pub fn scene_members(&self, scene_id: &str) -> Result<Vec<SceneMember>, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT encounter_id, label, joined_at FROM scene_members
                 WHERE scene_id = ?1 ORDER BY joined_at, encounter_id",
            )
            .and_then(|mut s| {
                s.query_map([scene_id], |r| {
                    Ok(SceneMember {
                        encounter_id: r.get(0)?,
                        label: r.get(1)?,
                        joined_at: r.get(2)?,
                    })
                })?
                .collect()
            })
            .map_err(|e| self.err(e))
    }

    /// The scene an encounter is linked to now, if any (from the index).
    pub fn scene_of(&self, encounter_id: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .prepare_cached("SELECT scene_id FROM scene_members WHERE encounter_id = ?1")
            .and_then(|mut s| s.query_row([encounter_id], |r| r.get(0)).optional())
            .map_err(|e| self.err(e))
    }

    /// Every scene's chain verified and its summary row re-derived; and every link in
    /// the member index borne out by its encounter's chain. One sentence per problem.
    pub fn verify_scenes(&self) -> Result<Vec<String>, StoreError> {
        let _snapshot = self.conn.unchecked_transaction().map_err(|e| self.err(e))?;
        let ids: Vec<String> = self
            .conn
            .prepare("SELECT id FROM scenes UNION SELECT DISTINCT scene_id FROM scene_events")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .map_err(|e| self.err(e))?;
        let mut problems = Vec::new();
        for id in ids {
            let events = match self.scene_events(&id) {
                Ok(e) => e,
                Err(e) => {
                    problems.push(e.to_string());
                    continue;
                }
            };
            let row = scene_row(&self.conn, &id).map_err(|e| self.err(e))?;
            if let Err(b) = audit_scene(&id, row.as_ref(), &events) {
                problems.push(b.to_string());
            }
        }
        problems.extend(self.verify_members()?);
        Ok(problems)
    }

    /// Each member row against its encounter's replayed link.
    fn verify_members(&self) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String, String)> = self
            .conn
            .prepare("SELECT encounter_id, scene_id FROM scene_members ORDER BY encounter_id")
            .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
            .map_err(|e| self.err(e))?;
        let mut problems = Vec::new();
        for (enc, scene) in rows {
            // Read inside the caller's snapshot (no transaction of its own); a broken or
            // missing chain is reported by the encounter check itself.
            let events = match self.events(&enc) {
                Ok(e) if EncounterState::verify(&e).is_ok() => e,
                _ => continue,
            };
            let linked =
                EncounterState::from_events(&events).and_then(|s| s.scene.map(|l| l.scene));
            if linked.as_deref() != Some(scene.as_str()) {
                problems.push(format!(
                    "the scene index links encounter {enc} to scene {scene}, but its record says {}",
                    linked.unwrap_or_else(|| "no scene".into())
                ));
            }
        }
        Ok(problems)
    }

    fn tx_err(&self, e: TxError) -> StoreError {
        match e {
            TxError::Sql(e) => self.err(e),
            TxError::Store(e) => e,
        }
    }
}

/// A scene checked whole: `Ok(None)` when it does not exist at all.
fn audit_scene(
    id: &str,
    row: Option<&SceneRow>,
    events: &[SceneEvent],
) -> Result<Option<SceneState>, SceneRuleBreak> {
    let broken = |seq: u32, event_id: &str, problem: String| SceneRuleBreak::Chain {
        scene_id: id.to_string(),
        seq,
        event_id: event_id.to_string(),
        problem,
    };
    let Some(last) = events.last() else {
        return match row {
            None => Ok(None),
            Some(r) => Err(broken(
                1,
                "",
                format!(
                    "is missing: all {} events of this scene were deleted, only its line in the scene list is left",
                    r.event_count
                ),
            )),
        };
    };
    SceneState::verify(events)?;
    let Some(row) = row else {
        return Err(broken(
            last.seq,
            &last.id,
            "belongs to a scene missing from the scene list (its summary was removed)".into(),
        ));
    };
    if row.event_count != events.len() as i64 || row.head_hash != last.hash {
        return Err(broken(
            last.seq,
            &last.id,
            format!(
                "is the last event stored, but the scene had {} events when last written; events were removed or added",
                row.event_count
            ),
        ));
    }
    let Some(state) = SceneState::from_events(events) else {
        return Err(broken(1, &events[0].id, "does not open a scene".into()));
    };
    let derived = SceneRow::of(&state);
    for (field, stored, record) in row
        .fields()
        .into_iter()
        .zip(derived.fields())
        .map(|((f, a), (_, b))| (f, a, b))
    {
        if stored != record {
            return Err(broken(
                last.seq,
                &last.id,
                format!(
                    "is not borne out by the scene list, which gives the {field} '{stored}' where the record says '{record}'"
                ),
            ));
        }
    }
    Ok(Some(state))
}

/// A `scenes` row.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SceneRow {
    status: String,
    officer: String,
    location: String,
    description: String,
    device_id: String,
    created_at: String,
    updated_at: String,
    event_count: i64,
    head_hash: String,
}

impl SceneRow {
    fn of(s: &SceneState) -> SceneRow {
        SceneRow {
            status: s.status.as_str().to_string(),
            officer: s.officers.first().cloned().unwrap_or_default(),
            location: s.location.clone(),
            description: s.description.clone(),
            device_id: s.device_id.clone(),
            created_at: s.created_at.clone(),
            updated_at: s.updated_at.clone(),
            event_count: s.event_count as i64,
            head_hash: s.head_hash.clone(),
        }
    }

    fn fields(&self) -> [(&'static str, &str); 7] {
        [
            ("status", &self.status),
            ("officer", &self.officer),
            ("location", &self.location),
            ("description", &self.description),
            ("device id", &self.device_id),
            ("start time", &self.created_at),
            ("last change", &self.updated_at),
        ]
    }
}

fn scene_row(conn: &Connection, id: &str) -> rusqlite::Result<Option<SceneRow>> {
    conn.prepare_cached(
        "SELECT status, officer, location, description, device_id, created_at, updated_at,
                event_count, head_hash FROM scenes WHERE id = ?1",
    )?
    .query_row([id], |r| {
        Ok(SceneRow {
            status: r.get(0)?,
            officer: r.get(1)?,
            location: r.get(2)?,
            description: r.get(3)?,
            device_id: r.get(4)?,
            created_at: r.get(5)?,
            updated_at: r.get(6)?,
            event_count: r.get(7)?,
            head_hash: r.get(8)?,
        })
    })
    .optional()
}

/// A scene's events as stored; a row that does not read back is a break, never a crash.
pub(super) fn read_scene_events(
    conn: &Connection,
    scene_id: &str,
) -> Result<Vec<SceneEvent>, TxError> {
    let sql =
        format!("SELECT {SCENE_EVENT_COLUMNS} FROM scene_events WHERE scene_id = ?1 ORDER BY seq");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([scene_id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, String>(6)?,
            r.get::<_, String>(7)?,
            r.get::<_, String>(8)?,
            r.get::<_, String>(9)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, scene_id, seq, at, offset, device_id, prev_hash, hash, kind, body) = row?;
        let broken = |problem: String| {
            StoreError::SceneTampered(SceneRuleBreak::Chain {
                scene_id: scene_id.clone(),
                seq: u32::try_from(seq).unwrap_or(0),
                event_id: id.clone(),
                problem,
            })
        };
        let body: SceneBody = serde_json::from_str(&body).map_err(|e| {
            broken(format!(
                "cannot be read ({e}); it was changed after it was written"
            ))
        })?;
        if body.type_name() != kind {
            return Err(broken(format!(
                "is stored as '{kind}' but its content is '{}'; it was changed after it was written",
                body.type_name()
            ))
            .into());
        }
        let seq = u32::try_from(seq).map_err(|_| broken("has an impossible position".into()))?;
        out.push(SceneEvent {
            id,
            scene_id,
            seq,
            at,
            offset,
            device_id,
            prev_hash,
            hash,
            body,
        });
    }
    Ok(out)
}

/// Inserts one scene event and keeps the summary row in step (`opened` creates it).
pub(super) fn insert_scene_event(tx: &Transaction, e: &SceneEvent) -> Result<(), TxError> {
    let body = serde_json::to_string(&e.body)
        .map_err(|err| StoreError::BadEvent(format!("the event could not be encoded: {err}")))?;
    tx.prepare_cached(&format!(
        "INSERT INTO scene_events ({SCENE_EVENT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
    ))?
    .execute(rusqlite::params![
        e.id,
        e.scene_id,
        i64::from(e.seq),
        e.at,
        e.offset,
        e.device_id,
        e.prev_hash,
        e.hash,
        e.body.type_name(),
        body
    ])?;
    Ok(())
}

/// Re-derives the summary row of `scene_id` from its chain as it now stands in `tx`.
pub(super) fn refresh_scene_row(tx: &Transaction, scene_id: &str) -> Result<(), TxError> {
    let events = read_scene_events(tx, scene_id)?;
    let Some(state) = SceneState::from_events(&events) else {
        return Ok(());
    };
    let r = SceneRow::of(&state);
    tx.prepare_cached(
        "INSERT OR REPLACE INTO scenes (id, status, officer, location, description, device_id,
             created_at, updated_at, event_count, head_hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(rusqlite::params![
        scene_id,
        r.status,
        r.officer,
        r.location,
        r.description,
        r.device_id,
        r.created_at,
        r.updated_at,
        r.event_count,
        r.head_hash
    ])?;
    Ok(())
}

fn new_scene_event(
    scene_id: &str,
    seq: u32,
    prev_hash: &str,
    device_id: &str,
    body: SceneBody,
) -> Result<SceneEvent, StoreError> {
    let (at, offset) = crate::time::now_with_offset();
    SceneEvent::new(
        uuid::Uuid::now_v7().to_string(),
        scene_id.to_string(),
        seq,
        at,
        offset,
        device_id.to_string(),
        prev_hash.to_string(),
        body,
    )
    .map_err(StoreError::from)
}

fn open_scene_tx(
    tx: &Transaction,
    device_id: &str,
    body: SceneBody,
) -> Result<SceneEvent, TxError> {
    if !matches!(body, SceneBody::Opened { .. }) {
        return Err(
            StoreError::BadEvent("a scene must start with an 'opened' event".into()).into(),
        );
    }
    let id = uuid::Uuid::now_v7().to_string();
    let e = new_scene_event(&id, 1, GENESIS_HASH, device_id, body)?;
    insert_scene_event(tx, &e)?;
    refresh_scene_row(tx, &id)?;
    Ok(e)
}

/// The scene as it stands inside `tx`, verified against its summary.
fn scene_in_tx(tx: &Transaction, scene_id: &str) -> Result<SceneState, TxError> {
    let events = read_scene_events(tx, scene_id)?;
    let row = scene_row(tx, scene_id)?;
    match audit_scene(scene_id, row.as_ref(), &events) {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(StoreError::SceneNotFound {
            prefix: scene_id.to_string(),
            matches: Vec::new(),
        }
        .into()),
        Err(b) => Err(StoreError::SceneTampered(b).into()),
    }
}

fn append_scene_tx(
    tx: &Transaction,
    device_id: &str,
    scene_id: &str,
    body: SceneBody,
) -> Result<SceneEvent, TxError> {
    let state = scene_in_tx(tx, scene_id)?;
    check_scene(&state, &body).map_err(StoreError::SceneRule)?;
    let seq = u32::try_from(state.event_count + 1).unwrap_or(u32::MAX);
    let e = new_scene_event(scene_id, seq, &state.head_hash, device_id, body)?;
    insert_scene_event(tx, &e)?;
    refresh_scene_row(tx, scene_id)?;
    Ok(e)
}

fn record_scene_tx(
    tx: &Transaction,
    device_id: &str,
    batch: &SceneBatch,
) -> Result<SceneRecorded, TxError> {
    let scene_id = match &batch.target {
        SceneTarget::New {
            officer,
            location,
            description,
        } => {
            let body = SceneBody::Opened {
                officer: officer.clone(),
                location: location.clone(),
                description: description.clone(),
            };
            open_scene_tx(tx, device_id, body)?.scene_id
        }
        SceneTarget::Existing(id) => id.clone(),
    };
    let mut encounters: Vec<String> = Vec::new();
    for p in &batch.people {
        let raised_by = match p.raised_by {
            Some(i) => Some(encounters.get(i).cloned().ok_or_else(|| {
                StoreError::BadEvent(
                    "a person can only be raised by someone earlier in the scene".into(),
                )
            })?),
            None => None,
        };
        let mut rest = vec![EventBody::SceneJoined {
            scene: scene_id.clone(),
            label: p.label.clone(),
            raised_by,
            question: p.question.clone(),
        }];
        rest.extend(p.rest.iter().cloned());
        let events = record_encounter_tx(tx, device_id, &p.created, &rest)?;
        let id = events
            .first()
            .map(|e| e.encounter_id.clone())
            .unwrap_or_default();
        if let Some(note) = &p.resolves {
            let body = SceneBody::NoteResolved {
                note: note.clone(),
                encounter: Some(id.clone()),
                reason: String::new(),
            };
            append_scene_tx(tx, device_id, &scene_id, body)?;
        }
        encounters.push(id);
    }
    let mut notes = Vec::new();
    for n in &batch.notes {
        let note = scene_in_tx(tx, &scene_id)?.next_note_id();
        let body = SceneBody::PersonNoted {
            note: note.clone(),
            label: n.label.clone(),
            encounter: n.by.and_then(|i| encounters.get(i).cloned()),
            question: n.question.clone(),
        };
        append_scene_tx(tx, device_id, &scene_id, body)?;
        notes.push(note);
    }
    Ok(SceneRecorded {
        scene_id,
        encounters,
        notes,
    })
}

/// A locally written `scene_joined` must name an open scene held here (an imported one
/// may arrive before its scene, so imports do not come through here).
pub(super) fn check_join(tx: &Transaction, body: &EventBody) -> Result<(), TxError> {
    let EventBody::SceneJoined { scene, .. } = body else {
        return Ok(());
    };
    let state = scene_in_tx(tx, scene)?;
    if state.status == SceneStatus::Closed {
        return Err(StoreError::SceneRule(SceneRuleBreak::Closed(
            scene.clone(),
            "no one more can join it",
        ))
        .into());
    }
    Ok(())
}

/// Adds `officer` to an open scene's officers if they are not among them yet.
pub(super) fn add_officer(
    tx: &Transaction,
    device_id: &str,
    scene_id: &str,
    officer: &str,
) -> Result<(), TxError> {
    let state = scene_in_tx(tx, scene_id)?;
    if state.status == SceneStatus::Closed
        || officer.trim().is_empty()
        || state.officers.iter().any(|o| o == officer)
    {
        return Ok(());
    }
    let body = SceneBody::OfficerAdded {
        officer: officer.to_string(),
    };
    append_scene_tx(tx, device_id, scene_id, body).map(|_| ())
}

/// Keeps `scene_members` in step with an encounter event just inserted.
pub(super) fn index_member(tx: &Transaction, e: &Event) -> Result<(), TxError> {
    match &e.body {
        EventBody::SceneJoined { scene, label, .. } => {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO scene_members (encounter_id, scene_id, label, joined_at)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(rusqlite::params![e.encounter_id, scene, label, e.at])?;
        }
        EventBody::SceneLeft { scene, .. } => {
            tx.prepare_cached(
                "DELETE FROM scene_members WHERE encounter_id = ?1 AND scene_id = ?2",
            )?
            .execute(rusqlite::params![e.encounter_id, scene])?;
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn created() -> EventBody {
        EventBody::Created {
            officer: "PC 1".into(),
            location: "car wash".into(),
            checklist: "general".into(),
            checklist_title: "General".into(),
            guidance_version: "1".into(),
            guidance_hash: "x".into(),
        }
    }

    fn store() -> (tempfile::TempDir, Store) {
        let d = tempfile::tempdir().unwrap();
        let s = Store::open(&d.path().join("t.db")).unwrap();
        (d, s)
    }

    fn person(label: &str, raised_by: Option<usize>) -> PersonBatch {
        PersonBatch {
            label: label.into(),
            raised_by,
            question: raised_by.map(|_| "q".into()),
            created: created(),
            rest: vec![EventBody::NoteAdded { text: "n".into() }],
            resolves: None,
        }
    }

    #[test]
    fn a_scene_batch_is_all_or_nothing_and_links_in_order() {
        let (_d, mut s) = store();
        let bad = SceneBatch {
            target: SceneTarget::New {
                officer: "PC 1".into(),
                location: "x".into(),
                description: String::new(),
            },
            people: vec![person("a", None), person("b", Some(5))],
            notes: vec![],
        };
        assert!(s.record_scene(&bad).is_err());
        assert_eq!(
            s.count().unwrap(),
            0,
            "no person of a refused batch is saved"
        );
        assert!(s.list_scenes(false).unwrap().is_empty(), "nor the scene");
        let good = SceneBatch {
            people: vec![person("a", None), person("b", Some(0))],
            notes: vec![NoteBatch {
                by: Some(0),
                label: "a child seen".into(),
                question: Some("q".into()),
            }],
            ..bad
        };
        let rec = s.record_scene(&good).unwrap();
        let members = s.scene_members(&rec.scene_id).unwrap();
        let labels: Vec<_> = members.iter().map(|m| m.label.as_str()).collect();
        assert_eq!(labels, ["a", "b"]);
        let b = s.encounter(&rec.encounters[1]).unwrap();
        assert_eq!(
            b.scene.unwrap().raised_by.as_deref(),
            Some(rec.encounters[0].as_str())
        );
        assert_eq!(rec.notes, ["n1"]);
        assert!(s.verify_scenes().unwrap().is_empty());
        // Another officer screening someone there becomes one of the scene's officers.
        let mut other = person("c", None);
        if let EventBody::Created { officer, .. } = &mut other.created {
            *officer = "PC 2".into();
        }
        s.record_scene(&SceneBatch {
            target: SceneTarget::Existing(rec.scene_id.clone()),
            people: vec![other.clone(), other],
            notes: vec![],
        })
        .unwrap();
        assert_eq!(s.scene(&rec.scene_id).unwrap().officers, ["PC 1", "PC 2"]);
        assert!(s.verify_scenes().unwrap().is_empty());
    }

    #[test]
    fn scene_events_are_append_only_and_leaving_a_scene_unlinks() {
        let (_d, mut s) = store();
        let opened = s.open_scene("PC 1", "x", "").unwrap();
        let err = s
            .conn
            .execute("UPDATE scene_events SET body = '{}'", [])
            .unwrap_err();
        assert!(err.to_string().contains("append-only"), "{err}");
        let mut events = s
            .record_encounter(
                created(),
                vec![EventBody::SceneJoined {
                    scene: opened.scene_id.clone(),
                    label: "a".into(),
                    raised_by: None,
                    question: None,
                }],
            )
            .unwrap();
        let id = events.pop().unwrap().encounter_id;
        assert_eq!(
            s.scene_of(&id).unwrap().as_deref(),
            Some(opened.scene_id.as_str())
        );
        s.append(
            &id,
            EventBody::SceneLeft {
                scene: opened.scene_id.clone(),
                reason: "wrong scene".into(),
            },
        )
        .unwrap();
        assert_eq!(s.scene_of(&id).unwrap(), None);
        assert!(s.encounter(&id).unwrap().scene.is_none());
        // Joining a scene that does not exist here is refused when recorded locally.
        let r = s.append(
            &id,
            EventBody::SceneJoined {
                scene: "nope".into(),
                label: "a".into(),
                raised_by: None,
                question: None,
            },
        );
        assert!(matches!(r, Err(StoreError::SceneNotFound { .. })), "{r:?}");
    }
}
