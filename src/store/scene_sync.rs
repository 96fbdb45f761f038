//! Scenes in sync: which scene chains travel with a push, and merging the scene chains a
//! bundle carries. A bundle always carries a scene's whole chain (scenes are a handful
//! of events), so an import either finds each event already held, appends it where the
//! held chain ends, or refuses it as a contradiction (kept in `sync_conflicts` for a
//! person to review, never merged). Importing the same bundle twice changes nothing.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::{OptionalExtension, Transaction};
use serde::Serialize;

use super::scenes::{insert_scene_event, read_scene_events, refresh_scene_row};
use super::write::{TxError, write};
use super::{Store, StoreError};
use crate::record::{Event, EventBody, GENESIS_HASH, SceneEvent, SceneState};

/// The `meta` key holding the last scene event (rowid) a push carried.
const PUSHED_MARK: &str = "scene_events_pushed";

/// What a push sends of scenes.
#[derive(Debug, Default, Clone)]
pub struct OutgoingScenes {
    pub events: Vec<SceneEvent>,
    /// Scenes left out because their chain does not verify, each as one sentence.
    pub left_out: Vec<String>,
    /// The newest scene event now held, to remember once the bundle is written.
    pub mark: i64,
}

/// What an import did with a bundle's scene events.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct SceneImport {
    pub accepted: u64,
    pub already_present: u64,
    /// Events refused (they contradict the scene held here), each as one sentence.
    pub refused: Vec<String>,
}

impl Store {
    /// The whole chains of the scenes `events` link to, and of every scene changed since
    /// the last push. A scene whose chain does not verify is left out and named.
    pub fn sync_outgoing_scenes(&self, events: &[Event]) -> Result<OutgoingScenes, StoreError> {
        // No snapshot of its own: `scene` below takes one per scene. The newest event is
        // read first, so one appended meanwhile is sent again next time, never missed.
        let newest: i64 = self
            .conn
            .query_row(
                "SELECT coalesce(max(rowid), 0) FROM scene_events",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        let mark: i64 = self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = ?1",
                [PUSHED_MARK],
                |r| r.get::<_, String>(0),
            )
            .optional()
            .map_err(|e| self.err(e))?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut scenes: BTreeSet<String> = BTreeSet::new();
        for e in events {
            if let EventBody::SceneJoined { scene, .. } | EventBody::SceneLeft { scene, .. } =
                &e.body
            {
                scenes.insert(scene.clone());
            }
        }
        let changed: Vec<String> = self
            .conn
            .prepare("SELECT DISTINCT scene_id FROM scene_events WHERE rowid > ?1")
            .and_then(|mut s| s.query_map([mark], |r| r.get(0))?.collect())
            .map_err(|e| self.err(e))?;
        scenes.extend(changed);
        let mut out = OutgoingScenes {
            mark: newest,
            ..OutgoingScenes::default()
        };
        for id in scenes {
            if self.scene_events(&id)?.is_empty() {
                continue; // a scene known only from a link: its chain is elsewhere
            }
            match self.scene(&id) {
                // As far as it was verified (an event appended since goes next time).
                Ok(state) => out
                    .events
                    .extend(self.scene_events(&id)?.into_iter().take(state.event_count)),
                Err(e) => out.left_out.push(e.to_string()),
            }
        }
        Ok(out)
    }

    /// Remembers that scene events up to `mark` left in a written bundle.
    pub fn sync_scenes_pushed(&mut self, mark: i64) -> Result<(), StoreError> {
        let Store { conn, path, .. } = self;
        write(conn, path, |tx| {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                rusqlite::params![PUSHED_MARK, mark.to_string()],
            )?;
            Ok(())
        })
    }

    /// Merges a verified bundle's scene chains in one transaction.
    pub fn sync_import_scenes(
        &mut self,
        bundle_sha256: &str,
        events: &[SceneEvent],
    ) -> Result<SceneImport, StoreError> {
        let Store { conn, path, .. } = self;
        write(conn, path, |tx| import_scenes(tx, bundle_sha256, events))
    }
}

/// Merges a verified bundle's scene chains inside `tx` (an import's transaction).
pub(super) fn import_scenes(
    tx: &Transaction,
    bundle_sha256: &str,
    events: &[SceneEvent],
) -> Result<SceneImport, TxError> {
    let mut by_scene: BTreeMap<&str, Vec<&SceneEvent>> = BTreeMap::new();
    for e in events {
        by_scene.entry(&e.scene_id).or_default().push(e);
    }
    for run in by_scene.values_mut() {
        run.sort_by_key(|e| e.seq);
    }
    let at = super::sync::now();
    let mut out = SceneImport::default();
    for (scene, run) in &by_scene {
        let mut held = read_scene_events(tx, scene)?;
        let mut added = false;
        for e in run {
            let i = e.seq as usize;
            let problem = if i <= held.len() {
                if held[i - 1].hash == e.hash {
                    out.already_present += 1;
                    continue;
                }
                "is a different event at the same place as one held here"
            } else if i == held.len() + 1
                && e.prev_hash == held.last().map_or(GENESIS_HASH, |h| h.hash.as_str())
                && (i > 1 || SceneState::verify(std::slice::from_ref(*e)).is_ok())
            {
                insert_scene_event(tx, e)?;
                held.push((*e).clone());
                added = true;
                out.accepted += 1;
                continue;
            } else {
                "does not follow the scene's chain held here"
            };
            out.refused.push(format!(
                "event {} ({}) of scene {scene} {problem}; it was not merged",
                e.seq, e.id
            ));
            let body = serde_json::to_string(e).unwrap_or_default();
            tx.execute(
                "INSERT OR IGNORE INTO sync_conflicts
                     (event_id, encounter_id, seq, hash, event, reason, bundle_sha256, received_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                rusqlite::params![
                    e.id,
                    scene,
                    i64::from(e.seq),
                    e.hash,
                    body,
                    format!("scene event {problem}"),
                    bundle_sha256,
                    at
                ],
            )?;
            break;
        }
        if added {
            refresh_scene_row(tx, scene)?;
        }
    }
    Ok(out)
}
