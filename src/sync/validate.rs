//! What a bundle's events say, checked before anything of it is written. `bundle.rs` and
//! `seal.rs` prove a bundle is intact and signed by a trusted device (hashes, counts,
//! chains, signature); this module asks whether what it carries makes sense as an msht
//! record, because a trusted device with a bug, a hand-edited database or a stolen key can
//! sign nonsense too. It runs over decoded events only, so how a bundle is read (whole or
//! streamed) does not matter here.
//!
//! Two kinds of finding:
//! - **Refused** (the whole bundle, nothing written, one sentence naming the encounter):
//!   what msht itself never writes, whatever guidance or clock it had. An encounter,
//!   event or device id that is not a UUID; a time or UTC offset not in the stored form
//!   (`src/time.rs`).
//! - **Held for review** (that encounter's events kept aside with the reason, the rest of
//!   the bundle imported, nothing acknowledged for them): what does not make sense here
//!   but an honest device can produce. A checklist this database's guidance does not
//!   have; an answer that is no answer to its question (or to a question the checklist
//!   lacks) under this database's guidance; a welfare action for a prompt never raised
//!   in the chain (nor a prompt the guidance has, after an amendment that could have made
//!   it due); an event dated before its encounter was created (a clock set back). Each
//!   can follow from guidance updated part-way through an encounter (resume, amend and
//!   action use the guidance of the day), a crash between an answer and its prompts, or
//!   a device clock, and a refusal would stop every later push from that device.
//!
//! A new `EventBody` variant must be placed in `check_event`'s match, which has no
//! wildcard: the compiler points at it.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::guidance::{Flattened, Guidance};
use crate::record::{Answer, Event, EventBody};

/// Why a bundle is refused: one clause naming the encounter and the problem, hostile
/// text already escaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

/// Encounters to hold for review (encounter id → reason, one clause), when the bundle as a
/// whole is acceptable.
pub type Held = BTreeMap<String, String>;

/// The encounters of `events` whose run in the bundle does not start at the beginning of
/// the chain: `check` needs this database's copy of their earlier events.
pub fn needs_stored(events: &[Event]) -> Vec<String> {
    let mut first: BTreeMap<&str, u32> = BTreeMap::new();
    for e in events {
        let s = first.entry(&e.encounter_id).or_insert(e.seq);
        *s = (*s).min(e.seq);
    }
    first
        .into_iter()
        .filter(|(_, s)| *s > 1)
        .map(|(id, _)| id.to_string())
        .collect()
}

/// What this database already has of the bundle's encounters.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The record's events of the encounters `needs_stored` named (absent or empty: none
    /// here yet).
    pub stored: HashMap<String, Vec<Event>>,
    /// Events held earlier waiting for their chain's start, by encounter: the merge joins
    /// them once the start arrives, so they are checked with it (in whatever order the
    /// bundles come, the same events pass or fail).
    pub waiting: HashMap<String, Vec<Event>>,
}

/// Checks every event of a bundle, with what this database has of its encounters and
/// `g`, the guidance this database runs with. A tail whose chain start is neither in the
/// bundle nor here is checked event by event only: it waits for its start, and is checked
/// again with the start when it comes.
pub fn check(events: &[Event], context: &Context, g: &Guidance) -> Result<Held, Refused> {
    let mut by_encounter: BTreeMap<&str, Vec<&Event>> = BTreeMap::new();
    for e in events {
        by_encounter.entry(&e.encounter_id).or_default().push(e);
    }
    let mut held = Held::new();
    for (enc, mut run) in by_encounter {
        run.sort_by_key(|e| e.seq);
        let prior = context.stored.get(enc).map_or(&[][..], Vec::as_slice);
        let waiting = context.waiting.get(enc).map_or(&[][..], Vec::as_slice);
        match check_encounter(enc, &run, prior, waiting, g) {
            Ok(None) => {}
            Ok(Some(reason)) => {
                held.insert(enc.to_string(), reason);
            }
            Err(what) => return Err(Refused(format!("encounter {}: {what}", shown(enc)))),
        }
    }
    Ok(held)
}

/// One encounter's run as an import streams it (in seq order, one unbroken run), with
/// this database's events of it (`stored`) and those waiting for its start: the same
/// finding, in the same words, as `check` gives for that encounter.
pub fn check_run(
    run: &[Event],
    stored: &[Event],
    waiting: &[Event],
    g: &Guidance,
) -> Result<Option<String>, Refused> {
    let Some(enc) = run.first().map(|e| e.encounter_id.as_str()) else {
        return Ok(None);
    };
    let run: Vec<&Event> = run.iter().collect();
    check_encounter(enc, &run, stored, waiting, g)
        .map_err(|what| Refused(format!("encounter {}: {what}", shown(enc))))
}

/// One encounter: `Err` refuses the bundle, `Ok(Some)` holds the encounter for review.
/// The chain walked is the record's events before the bundle's run, the run, and the
/// events waiting after it; all but the record's are checked.
fn check_encounter(
    enc: &str,
    run: &[&Event],
    prior: &[Event],
    waiting: &[Event],
    g: &Guidance,
) -> Result<Option<String>, String> {
    if !is_uuid(enc) {
        return Err("its id is not a UUID, and msht writes no other".into());
    }
    let (Some(first_seq), Some(last_seq)) = (run.first().map(|e| e.seq), run.last().map(|e| e.seq))
    else {
        return Ok(None);
    };
    let mut chain: Vec<&Event> = prior.iter().filter(|e| e.seq < first_seq).collect();
    chain.extend(run.iter().copied());
    let mut later: Vec<&Event> = waiting.iter().filter(|e| e.seq > last_seq).collect();
    later.sort_by_key(|e| e.seq);
    chain.extend(later);
    for e in chain.iter().filter(|e| e.seq >= first_seq) {
        check_form(e)?;
    }
    let Some((created, rest)) = chain.split_first() else {
        return Ok(None);
    };
    let EventBody::Created {
        checklist,
        guidance_hash,
        guidance_version,
        ..
    } = &created.body
    else {
        // Not the start of a chain: held for its start, or refused by the merge.
        return Ok(None);
    };
    if created.seq != 1 {
        return Ok(None);
    }
    let Some(flow) = g.flattened(checklist) else {
        return Ok(Some(format!(
            "it was recorded with checklist '{}', which this database's guidance (version {}) does not have",
            shown(checklist),
            shown(&g.version)
        )));
    };
    let mut walk = Walk {
        g,
        flow,
        same_guidance: *guidance_hash == g.hash,
        recorded_with: guidance_version,
        created_at: &created.at,
        raised: HashSet::new(),
        amended: false,
    };
    let mut hold = None;
    for e in rest {
        if let Some(why) = walk.check_event(e, e.seq >= first_seq) {
            hold.get_or_insert(why);
        }
    }
    Ok(hold)
}

/// The parts of an event that are the same whatever its kind: ids and times as msht
/// writes them.
fn check_form(e: &Event) -> Result<(), String> {
    let n = e.seq;
    if !is_uuid(&e.id) {
        return Err(format!(
            "event {n} has the id '{}', which is not a UUID",
            shown(&e.id)
        ));
    }
    if !is_uuid(&e.device_id) {
        return Err(format!(
            "event {n} names the device '{}', whose id is not a UUID",
            shown(&e.device_id)
        ));
    }
    let at_ok =
        e.at.parse::<jiff::Timestamp>()
            .is_ok_and(|t| crate::time::utc_string(t) == e.at);
    if !at_ok {
        return Err(format!(
            "event {n} is dated '{}', which is not a UTC time as msht writes it (2026-11-30T14:04:05.123Z)",
            shown(&e.at)
        ));
    }
    let offset_ok = crate::time::parse_offset(&e.offset)
        .is_some_and(|o| crate::time::format_offset(o.seconds()) == e.offset);
    if !offset_ok {
        return Err(format!(
            "event {n} has the UTC offset '{}', which is not an offset as msht writes it (+01:00)",
            shown(&e.offset)
        ));
    }
    Ok(())
}

/// The state of one chain's walk: what the guidance offers and what has happened so far.
struct Walk<'a> {
    g: &'a Guidance,
    flow: Flattened<'a>,
    /// This database's guidance is the set the encounter was recorded with.
    same_guidance: bool,
    recorded_with: &'a str,
    created_at: &'a str,
    /// Prompts raised so far in the chain.
    raised: HashSet<&'a str>,
    /// An amendment so far: it may make a prompt due that no `prompt_raised` names.
    amended: bool,
}

impl<'a> Walk<'a> {
    /// One event after `created`: why to hold the encounter for review, if anything.
    /// Events already in this database (`in_bundle` false) only feed the walk: they were
    /// checked when they came.
    fn check_event(&mut self, e: &'a Event, in_bundle: bool) -> Option<String> {
        let n = e.seq;
        let mut dated = None;
        if in_bundle && e.at.as_str() < self.created_at {
            dated = Some(format!(
                "event {n} is dated {}, before the encounter was created ({}); the recording device's clock may have been set back",
                shown(&e.at),
                shown(self.created_at)
            ));
        }
        let own = match &e.body {
            // A second 'created' breaks the record's rules; the merge refuses it.
            EventBody::Created { .. } => None,
            EventBody::AnswerGiven {
                question, answer, ..
            } => self.answer(n, question, answer),
            EventBody::Amended {
                question, answer, ..
            } => {
                self.amended = true;
                match (question, answer) {
                    (Some(q), Some(a)) => self.answer(n, q, a),
                    _ => None,
                }
            }
            EventBody::PromptRaised { prompt, .. } => {
                self.raised.insert(prompt);
                None
            }
            EventBody::WelfareAction { prompt, .. } => self.action(n, prompt),
            // A duty's outcome may name a duty the current answers no longer give (it is
            // kept, marked), a sign-off lists what was open by title, and a scene link names
            // a scene that may travel in the same bundle: the record's rules, checked at
            // the merge, are what these must keep.
            EventBody::NoteAdded { .. }
            | EventBody::Completed { .. }
            | EventBody::Voided { .. }
            | EventBody::DutyOutcome { .. }
            | EventBody::SignedOff { .. }
            | EventBody::SceneJoined { .. }
            | EventBody::SceneLeft { .. } => None,
        };
        if !in_bundle {
            return None;
        }
        own.or(dated)
    }

    /// A finding about guidance content, with the versions when they differ. Held, never
    /// refused: an honest device can write it (`check --resume`, `encounters amend` and
    /// `encounters action` use the guidance of the day, which may not be the encounter's).
    fn by_guidance(&self, what: String) -> String {
        if self.same_guidance {
            what
        } else {
            format!(
                "{what} (it was recorded with guidance version {}, this database has {})",
                shown(self.recorded_with),
                shown(&self.g.version)
            )
        }
    }

    fn answer(&self, n: u32, question: &str, answer: &Answer) -> Option<String> {
        let checklist = &self.flow.checklist.id;
        let Some(q) = self.flow.questions.iter().find(|q| q.id == question) else {
            return Some(self.by_guidance(format!(
                "event {n} answers question '{}', which checklist '{checklist}' does not have",
                shown(question)
            )));
        };
        if answer.fits(q) {
            return None;
        }
        Some(self.by_guidance(format!(
            "event {n} answers question '{}' with '{}', which is not a possible answer to a {} question",
            q.id,
            shown(answer.as_value()),
            q.kind.as_str().replace('_', "/")
        )))
    }

    fn action(&self, n: u32, prompt: &str) -> Option<String> {
        if self.raised.contains(prompt) {
            return None;
        }
        // An amendment can make a prompt due with no 'prompt_raised' event (the engine
        // derives it): then the prompt must at least be one the guidance has.
        if self.amended && self.g.prompts.iter().any(|p| p.id == prompt) {
            return None;
        }
        Some(self.by_guidance(format!(
            "event {n} records a welfare action for prompt '{}', which was never raised in it",
            shown(prompt)
        )))
    }
}

/// A UUID in the one form msht writes: lowercase, hyphenated.
fn is_uuid(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok_and(|u| u.hyphenated().to_string() == s)
}

/// Foreign text for a one-line sentence: control and direction characters (line breaks
/// included) escaped, and cut short.
fn shown(s: &str) -> String {
    const MAX: usize = 80;
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == MAX {
            out.push('…');
            break;
        }
        if crate::text::visible::is_hostile(c) || c == '\n' || c == '\t' {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{GENESIS_HASH, WelfareOutcome};

    fn g() -> Guidance {
        crate::guidance::load(None).unwrap()
    }

    const ENC: &str = "01900000-0000-7000-8000-0000000000e1";
    const DEV: &str = "01900000-0000-7000-8000-0000000000d1";

    fn created(g: &Guidance, checklist: &str) -> EventBody {
        EventBody::Created {
            officer: "PC 1".into(),
            location: "Dock 4".into(),
            checklist: checklist.into(),
            checklist_title: "General".into(),
            guidance_version: g.version.clone(),
            guidance_hash: g.hash.clone(),
        }
    }

    fn answer(q: &str, a: Answer) -> EventBody {
        EventBody::AnswerGiven {
            question: q.into(),
            question_text: "?".into(),
            answer: a,
        }
    }

    fn raised(p: &str) -> EventBody {
        EventBody::PromptRaised {
            prompt: p.into(),
            title: "t".into(),
            urgency: "immediate".into(),
        }
    }

    fn action(p: &str) -> EventBody {
        EventBody::WelfareAction {
            prompt: p.into(),
            outcome: WelfareOutcome::Done,
            reason: String::new(),
        }
    }

    /// A chain of `bodies` for encounter `ENC`, one second apart.
    fn chain(bodies: Vec<EventBody>) -> Vec<Event> {
        let mut out: Vec<Event> = Vec::new();
        for (i, body) in bodies.into_iter().enumerate() {
            let prev = out.last().map_or(GENESIS_HASH.into(), |e| e.hash.clone());
            out.push(
                Event::new(
                    format!("01900000-0000-7000-8000-{:012x}", i + 1),
                    ENC.into(),
                    i as u32 + 1,
                    format!("2026-01-01T00:00:{:02}.000Z", i + 10),
                    "+00:00".into(),
                    DEV.into(),
                    prev,
                    body,
                )
                .unwrap(),
            );
        }
        out
    }

    fn verdict(events: &[Event]) -> Result<Held, Refused> {
        check(events, &Context::default(), &g())
    }

    fn stored(events: &[Event]) -> Context {
        Context {
            stored: HashMap::from([(ENC.to_string(), events.to_vec())]),
            ..Context::default()
        }
    }

    fn refused(events: &[Event]) -> String {
        verdict(events).unwrap_err().0
    }

    fn held(events: &[Event]) -> String {
        verdict(events)
            .unwrap()
            .remove(ENC)
            .expect("held for review")
    }

    #[test]
    fn a_good_chain_passes() {
        let g = g();
        let ev = chain(vec![
            created(&g, "general"),
            answer("general_danger", Answer::Yes),
            raised("imminent-danger"),
            action("imminent-danger"),
            answer("general_nation", Answer::Choice("england".into())),
            answer("general_age", Answer::Skipped),
        ]);
        assert_eq!(verdict(&ev), Ok(Held::new()));
    }

    #[test]
    fn ids_and_times_must_be_as_msht_writes_them() {
        let g = g();
        let good = chain(vec![created(&g, "general")]);
        let mut e = good.clone();
        e[0].encounter_id = "enc-1".into();
        assert!(
            refused(&e).contains("its id is not a UUID"),
            "{}",
            refused(&e)
        );
        let mut e = good.clone();
        e[0].encounter_id = ENC.to_uppercase();
        assert!(refused(&e).contains("not a UUID"));
        let mut e = good.clone();
        e[0].id = "x".into();
        assert!(refused(&e).contains("event 1 has the id 'x'"));
        let mut e = good.clone();
        e[0].device_id = "dev".into();
        assert!(refused(&e).contains("names the device 'dev'"));
        for at in [
            "yesterday",
            "2026-01-01T00:00:10Z",
            "2026-01-01T00:00:10.000+01:00",
            "",
        ] {
            let mut e = good.clone();
            e[0].at = at.into();
            assert!(refused(&e).contains("is not a UTC time"), "{at}");
        }
        for off in ["Z", "+1:00", "01:00", "+99:00", "+01:00x", ""] {
            let mut e = good.clone();
            e[0].offset = off.into();
            assert!(refused(&e).contains("UTC offset"), "{off}");
        }
    }

    #[test]
    fn hostile_text_is_escaped_in_the_sentence() {
        let g = g();
        let mut e = chain(vec![created(&g, "general")]);
        e[0].encounter_id = "\u{1b}[2J\u{202e}\nInte\rgrity".into();
        let why = refused(&e);
        assert!(!why.chars().any(|c| c.is_control()), "{why:?}");
        assert!(why.contains("\\u{1b}[2J\\u{202e}\\u{a}"), "{why}");
        e[0].encounter_id = "a".repeat(10_000);
        assert!(refused(&e).len() < 400);
    }

    #[test]
    fn an_action_needs_its_prompt_raised_in_the_chain() {
        let g = g();
        let ev = chain(vec![created(&g, "general"), action("imminent-danger")]);
        let why = held(&ev);
        assert!(
            why.starts_with("event 2 records a welfare action for prompt 'imminent-danger', which was never raised"),
            "{why}"
        );
        // Raised in the part already held here: the tail alone is fine.
        let ev = chain(vec![
            created(&g, "general"),
            raised("imminent-danger"),
            action("imminent-danger"),
        ]);
        assert_eq!(needs_stored(&ev[2..]), vec![ENC.to_string()]);
        assert_eq!(check(&ev[2..], &stored(&ev[..2]), &g), Ok(Held::new()));
        // Without this database's copy the tail waits for its start unchecked.
        assert_eq!(check(&ev[2..], &Context::default(), &g), Ok(Held::new()));
    }

    #[test]
    fn a_waiting_tail_is_checked_when_its_start_comes() {
        let g = g();
        let ev = chain(vec![
            created(&g, "general"),
            answer("general_danger", Answer::No),
            action("imminent-danger"),
        ]);
        // The bad tail alone waits; the start then brings it to account, in whichever
        // order they come.
        assert_eq!(check(&ev[2..], &Context::default(), &g), Ok(Held::new()));
        let waiting = Context {
            waiting: HashMap::from([(ENC.to_string(), ev[2..].to_vec())]),
            ..Context::default()
        };
        let why = check(&ev[..2], &waiting, &g).unwrap().remove(ENC).unwrap();
        assert!(why.contains("event 3 records a welfare action"), "{why}");
        assert_eq!(check(&ev, &Context::default(), &g).unwrap()[ENC], why);
        let mut bad = waiting.clone();
        bad.waiting.get_mut(ENC).unwrap()[0].at = "now".into();
        let why = check(&ev[..2], &bad, &g).unwrap_err().0;
        assert!(why.contains("event 3 is dated 'now'"), "{why}");
    }

    #[test]
    fn answers_must_fit_their_question() {
        let g = g();
        for (q, a, says) in [
            (
                "general_danger",
                Answer::Choice("england".into()),
                "yes/no question",
            ),
            (
                "general_nation",
                Answer::Choice("mars".into()),
                "choice question",
            ),
            ("general_nation", Answer::Yes, "choice question"),
            ("no_such_question", Answer::Yes, "does not have"),
        ] {
            let ev = chain(vec![created(&g, "general"), answer(q, a)]);
            let why = held(&ev);
            assert!(why.contains(says), "{why}");
            assert!(!why.contains("recorded with guidance version"), "{why}");
        }
        // Recorded with another guidance: the versions are named.
        let mut c = created(&g, "general");
        if let EventBody::Created { guidance_hash, .. } = &mut c {
            *guidance_hash = "other".into();
        }
        let ev = chain(vec![
            c,
            answer("general_nation", Answer::Choice("mars".into())),
        ]);
        assert!(
            held(&ev).contains("recorded with guidance version"),
            "{}",
            held(&ev)
        );
    }

    #[test]
    fn an_unknown_checklist_is_held_for_review() {
        let g = g();
        let ev = chain(vec![
            created(&g, "no-such-checklist"),
            answer("x", Answer::Yes),
        ]);
        let why = held(&ev);
        assert!(why.contains("checklist 'no-such-checklist'"), "{why}");
    }

    #[test]
    fn an_event_dated_before_its_encounter_is_held_for_review() {
        let g = g();
        let mut ev = chain(vec![
            created(&g, "general"),
            answer("general_danger", Answer::No),
        ]);
        ev[1].at = "2025-12-31T23:59:59.000Z".into();
        assert!(held(&ev).contains("before the encounter was created"));
    }

    #[test]
    fn a_refusal_outweighs_a_hold_anywhere_in_the_bundle() {
        let g = g();
        let mut ev = chain(vec![
            created(&g, "general"),
            action("imminent-danger"),
            answer("general_danger", Answer::No),
        ]);
        ev[2].offset = "+1:00".into();
        assert!(refused(&ev).contains("event 3 has the UTC offset '+1:00'"));
    }
}
