//! A scene: several people met together (a raid on a car wash, a grow house, a brothel),
//! each with their own encounter. The scene is a record of its own, kept like an
//! encounter: an append-only chain of hashed events (opened, an officer added, a person
//! noted for later, a noted person dealt with, closed), its state derived by replay.
//!
//! Who is at the scene is not stored here: each encounter says so in its own chain
//! (`EventBody::SceneJoined`), so joining or leaving is a fact of that person's record
//! and a scene's chain never has to change when a person's does.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::event::{EncodeError, GENESIS_HASH};

/// What happened at the scene.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SceneBody {
    Opened {
        officer: String,
        location: String,
        description: String,
    },
    /// Another officer at the same scene.
    OfficerAdded { officer: String },
    /// Another possible victim, raised by an answer (or told of), not screened yet: an
    /// open item until an encounter is started for them or a reason is given.
    PersonNoted {
        /// Short id of the item within the scene (`n1`, `n2`, …).
        note: String,
        label: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        encounter: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        question: Option<String>,
    },
    /// A noted person dealt with: their own encounter, or a reason there is none.
    NoteResolved {
        note: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        encounter: Option<String>,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        reason: String,
    },
    Closed {
        #[serde(default, skip_serializing_if = "String::is_empty")]
        reason: String,
    },
}

impl SceneBody {
    pub fn type_name(&self) -> &'static str {
        match self {
            SceneBody::Opened { .. } => "opened",
            SceneBody::OfficerAdded { .. } => "officer_added",
            SceneBody::PersonNoted { .. } => "person_noted",
            SceneBody::NoteResolved { .. } => "note_resolved",
            SceneBody::Closed { .. } => "closed",
        }
    }
}

/// One link of a scene's chain: the same shape and hashing as an encounter's event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SceneEvent {
    /// UUIDv7.
    pub id: String,
    pub scene_id: String,
    pub seq: u32,
    pub at: String,
    pub offset: String,
    pub device_id: String,
    pub prev_hash: String,
    pub hash: String,
    pub body: SceneBody,
}

#[derive(Serialize)]
struct Hashed<'a> {
    id: &'a str,
    scene_id: &'a str,
    seq: u32,
    at: &'a str,
    offset: &'a str,
    device_id: &'a str,
    prev_hash: &'a str,
    body: &'a SceneBody,
}

impl SceneEvent {
    /// Builds the next event of a scene's chain, computing its hash.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: String,
        scene_id: String,
        seq: u32,
        at: String,
        offset: String,
        device_id: String,
        prev_hash: String,
        body: SceneBody,
    ) -> Result<SceneEvent, EncodeError> {
        let mut e = SceneEvent {
            id,
            scene_id,
            seq,
            at,
            offset,
            device_id,
            prev_hash,
            hash: String::new(),
            body,
        };
        e.hash = e.compute_hash()?;
        Ok(e)
    }

    /// SHA-256 (hex) over the event's content and the previous event's hash.
    pub fn compute_hash(&self) -> Result<String, EncodeError> {
        let content = Hashed {
            id: &self.id,
            scene_id: &self.scene_id,
            seq: self.seq,
            at: &self.at,
            offset: &self.offset,
            device_id: &self.device_id,
            prev_hash: &self.prev_hash,
            body: &self.body,
        };
        let bytes = serde_json::to_vec(&content).map_err(|e| EncodeError(e.to_string()))?;
        Ok(hex::encode(Sha256::digest(&bytes)))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SceneStatus {
    Open,
    Closed,
}

impl SceneStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SceneStatus::Open => "open",
            SceneStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<SceneStatus> {
        match s {
            "open" => Some(SceneStatus::Open),
            "closed" => Some(SceneStatus::Closed),
            _ => None,
        }
    }
}

/// A person noted for later, and what became of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotedPerson {
    pub note: String,
    pub label: String,
    pub encounter: Option<String>,
    pub question: Option<String>,
    pub at: String,
    /// Set when dealt with: the encounter started for them, if any.
    pub resolved_by: Option<String>,
    pub resolved_reason: String,
    pub resolved_at: Option<String>,
}

impl NotedPerson {
    pub fn is_open(&self) -> bool {
        self.resolved_at.is_none()
    }
}

/// A scene as its events say it stands.
#[derive(Debug, Clone, Serialize)]
pub struct SceneState {
    pub id: String,
    pub status: SceneStatus,
    /// The officer who opened it first, then any added, in order.
    pub officers: Vec<String>,
    pub location: String,
    pub description: String,
    pub device_id: String,
    pub created_at: String,
    pub created_offset: String,
    pub updated_at: String,
    pub closed_at: Option<String>,
    pub close_reason: String,
    pub noted: Vec<NotedPerson>,
    pub event_count: usize,
    pub head_hash: String,
}

/// Why a scene's chain does not verify, or an event the scene's rules refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SceneRuleBreak {
    #[error("event {seq} ({event_id}) of scene {scene_id}: {problem}")]
    Chain {
        scene_id: String,
        seq: u32,
        event_id: String,
        problem: String,
    },
    #[error("scene {0} is closed, so {1}")]
    Closed(String, &'static str),
    #[error("scene {scene} has no open item '{note}' noted for later")]
    NoSuchNote { scene: String, note: String },
    #[error("{0}")]
    Malformed(&'static str),
}

impl SceneState {
    /// Checks each event's hash, its link to the one before, and its position.
    pub fn verify(events: &[SceneEvent]) -> Result<(), SceneRuleBreak> {
        let mut prev = GENESIS_HASH.to_string();
        for (i, e) in events.iter().enumerate() {
            let fail = |problem: &str| SceneRuleBreak::Chain {
                scene_id: e.scene_id.clone(),
                seq: e.seq,
                event_id: e.id.clone(),
                problem: problem.to_string(),
            };
            if e.seq as usize != i + 1 {
                return Err(fail("is out of sequence (an event is missing or repeated)"));
            }
            if e.prev_hash != prev {
                return Err(fail(
                    "does not follow the event before it (the chain is broken)",
                ));
            }
            match e.compute_hash() {
                Ok(h) if h == e.hash => {}
                Ok(_) => {
                    return Err(fail(
                        "has content that does not match its hash (it was changed after it was written)",
                    ));
                }
                Err(err) => return Err(fail(&err.to_string())),
            }
            if (i == 0) != matches!(e.body, SceneBody::Opened { .. }) {
                return Err(fail(
                    "is misplaced: a scene starts with one 'opened' event and has no other",
                ));
            }
            prev = e.hash.clone();
        }
        Ok(())
    }

    /// Replays events into the current state; `None` unless the first is `opened`.
    pub fn from_events(events: &[SceneEvent]) -> Option<SceneState> {
        let first = events.first()?;
        let SceneBody::Opened {
            officer,
            location,
            description,
        } = &first.body
        else {
            return None;
        };
        let mut s = SceneState {
            id: first.scene_id.clone(),
            status: SceneStatus::Open,
            officers: vec![officer.clone()],
            location: location.clone(),
            description: description.clone(),
            device_id: first.device_id.clone(),
            created_at: first.at.clone(),
            created_offset: first.offset.clone(),
            updated_at: first.at.clone(),
            closed_at: None,
            close_reason: String::new(),
            noted: Vec::new(),
            event_count: events.len(),
            head_hash: events.last().map(|e| e.hash.clone()).unwrap_or_default(),
        };
        for e in &events[1..] {
            s.updated_at = e.at.clone();
            s.apply(e);
        }
        Some(s)
    }

    fn apply(&mut self, e: &SceneEvent) {
        match &e.body {
            SceneBody::Opened { .. } => {}
            SceneBody::OfficerAdded { officer } => {
                if !self.officers.contains(officer) {
                    self.officers.push(officer.clone());
                }
            }
            SceneBody::PersonNoted {
                note,
                label,
                encounter,
                question,
            } => self.noted.push(NotedPerson {
                note: note.clone(),
                label: label.clone(),
                encounter: encounter.clone(),
                question: question.clone(),
                at: e.at.clone(),
                resolved_by: None,
                resolved_reason: String::new(),
                resolved_at: None,
            }),
            SceneBody::NoteResolved {
                note,
                encounter,
                reason,
            } => {
                if let Some(n) = self.noted.iter_mut().find(|n| &n.note == note) {
                    n.resolved_by = encounter.clone();
                    n.resolved_reason = reason.clone();
                    n.resolved_at = Some(e.at.clone());
                }
            }
            SceneBody::Closed { reason } => {
                self.status = SceneStatus::Closed;
                self.closed_at = Some(e.at.clone());
                self.close_reason = reason.clone();
            }
        }
    }

    /// Items noted for later that nobody has dealt with yet.
    pub fn open_notes(&self) -> Vec<&NotedPerson> {
        self.noted.iter().filter(|n| n.is_open()).collect()
    }

    /// The id the next noted person gets: `n1`, `n2`, …
    pub fn next_note_id(&self) -> String {
        format!("n{}", self.noted.len() + 1)
    }
}

/// Whether `body` may follow a scene that stands as `state`. A closed scene still takes
/// what became of a noted person (a later fact), never a new person or officer.
pub fn check_scene(state: &SceneState, body: &SceneBody) -> Result<(), SceneRuleBreak> {
    let open = || {
        if state.status == SceneStatus::Open {
            Ok(())
        } else {
            Err(SceneRuleBreak::Closed(
                state.id.clone(),
                "nothing more can be added to it",
            ))
        }
    };
    match body {
        SceneBody::Opened { .. } => Err(SceneRuleBreak::Malformed(
            "a scene has only one 'opened' event; open a new scene instead",
        )),
        SceneBody::OfficerAdded { officer } if officer.trim().is_empty() => Err(
            SceneRuleBreak::Malformed("an officer added to a scene needs an id"),
        ),
        SceneBody::OfficerAdded { .. } => open(),
        SceneBody::PersonNoted { label, .. } if label.trim().is_empty() => Err(
            SceneRuleBreak::Malformed("a person noted for later needs a short description"),
        ),
        SceneBody::PersonNoted { note, .. } if state.noted.iter().any(|n| &n.note == note) => Err(
            SceneRuleBreak::Malformed("that noted item already exists at the scene"),
        ),
        SceneBody::PersonNoted { .. } => open(),
        SceneBody::NoteResolved {
            note,
            encounter,
            reason,
        } => {
            if !state.noted.iter().any(|n| &n.note == note && n.is_open()) {
                return Err(SceneRuleBreak::NoSuchNote {
                    scene: state.id.clone(),
                    note: note.clone(),
                });
            }
            if encounter.is_none() && reason.trim().is_empty() {
                return Err(SceneRuleBreak::Malformed(
                    "a noted person is dealt with by their own encounter or with a reason",
                ));
            }
            Ok(())
        }
        SceneBody::Closed { .. } => open(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn chain(scene: &str, bodies: Vec<SceneBody>) -> Vec<SceneEvent> {
        let mut out: Vec<SceneEvent> = Vec::new();
        for (i, body) in bodies.into_iter().enumerate() {
            let prev = out.last().map_or(GENESIS_HASH.into(), |e| e.hash.clone());
            let e = SceneEvent::new(
                format!("{scene}-e{i}"),
                scene.into(),
                i as u32 + 1,
                format!("2026-12-02T10:00:0{i}.000Z"),
                "+00:00".into(),
                "dev".into(),
                prev,
                body,
            );
            out.push(e.unwrap());
        }
        out
    }

    fn opened() -> SceneBody {
        SceneBody::Opened {
            officer: "PC 1".into(),
            location: "car wash".into(),
            description: "five workers".into(),
        }
    }

    fn noted(note: &str) -> SceneBody {
        SceneBody::PersonNoted {
            note: note.into(),
            label: "possible child seen".into(),
            encounter: Some("enc".into()),
            question: Some("sexual_other_child".into()),
        }
    }

    #[test]
    fn replays_notes_officers_and_closing() {
        let ev = chain(
            "s",
            vec![
                opened(),
                SceneBody::OfficerAdded {
                    officer: "PC 2".into(),
                },
                noted("n1"),
                noted("n2"),
                SceneBody::NoteResolved {
                    note: "n1".into(),
                    encounter: Some("enc2".into()),
                    reason: String::new(),
                },
                SceneBody::Closed {
                    reason: String::new(),
                },
            ],
        );
        SceneState::verify(&ev).unwrap();
        let s = SceneState::from_events(&ev).unwrap();
        assert_eq!(s.officers, ["PC 1", "PC 2"]);
        assert_eq!(s.status, SceneStatus::Closed);
        let open: Vec<_> = s.open_notes().iter().map(|n| n.note.clone()).collect();
        assert_eq!(open, ["n2"]);
        assert_eq!(s.noted[0].resolved_by.as_deref(), Some("enc2"));
        assert_eq!(s.next_note_id(), "n3");
    }

    #[test]
    fn verify_names_a_changed_or_misplaced_event() {
        let mut ev = chain("s", vec![opened(), noted("n1")]);
        ev[1].body = noted("n9");
        assert!(matches!(
            SceneState::verify(&ev),
            Err(SceneRuleBreak::Chain { seq: 2, .. })
        ));
        let ev = chain("s", vec![noted("n1")]);
        assert!(SceneState::verify(&ev).is_err(), "must start with opened");
        let ev = chain("s", vec![opened(), opened()]);
        assert!(SceneState::verify(&ev).is_err(), "only one opened");
    }

    #[test]
    fn rules_refuse_what_a_closed_scene_or_a_bad_note_cannot_take() {
        let ev = chain("s", vec![opened(), noted("n1")]);
        let open = SceneState::from_events(&ev).unwrap();
        assert!(check_scene(&open, &noted("n2")).is_ok());
        assert!(
            check_scene(&open, &noted("n1")).is_err(),
            "duplicate note id"
        );
        let resolve = |note: &str, reason: &str| SceneBody::NoteResolved {
            note: note.into(),
            encounter: None,
            reason: reason.into(),
        };
        assert!(check_scene(&open, &resolve("n1", "")).is_err(), "reason");
        assert!(
            check_scene(&open, &resolve("n7", "gone")).is_err(),
            "unknown"
        );
        let closed_ev = chain(
            "s",
            vec![
                opened(),
                noted("n1"),
                SceneBody::Closed {
                    reason: String::new(),
                },
            ],
        );
        let closed = SceneState::from_events(&closed_ev).unwrap();
        assert!(check_scene(&closed, &noted("n2")).is_err());
        assert!(
            check_scene(&closed, &resolve("n1", "left before we could speak")).is_ok(),
            "what became of a noted person is a later fact"
        );
        assert!(
            check_scene(
                &closed,
                &SceneBody::Closed {
                    reason: String::new()
                }
            )
            .is_err()
        );
    }
}
