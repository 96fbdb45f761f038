//! Several people in the check flow. At the start: is this person one of several met
//! together (join an open scene, or open one)? During it: when an answer raises another
//! possible victim (the engine says so; the guidance marks the question `other_person`),
//! the officer either screens them now, in a flow of their own linked to this person
//! (this encounter waits as a draft and resumes after), or notes them for later on the
//! scene. At the end: who is still noted for later.

use console::Key;

use super::term::{self, Ui};
use super::{Flow, choose_checklist, finish, prompt};
use crate::cli::check::Args;
use crate::cli::output::{bold, dim};
use crate::engine::Session;
use crate::error::Result;
use crate::guidance::Question;
use crate::record::{EventBody, SceneBody};
use crate::store::Store;

/// How many open scenes the start offers to join (the newest).
const OFFERED_SCENES: usize = 3;

/// The `scene_joined` event for a new encounter: the scene named on the command line, a
/// new one (`--new-scene`), or, when open scenes exist, the officer's choice.
pub fn choose_scene(
    ui: &Ui,
    store: &mut Store,
    args: &Args,
    officer: &str,
    location: &str,
) -> Result<Option<EventBody>> {
    let scene = if let Some(prefix) = &args.scene {
        Some(store.resolve_scene_id(prefix)?)
    } else if args.new_scene {
        Some(new_scene(ui, store, args, officer, location)?)
    } else {
        let open = store.list_scenes(true)?;
        if open.is_empty() {
            None
        } else {
            pick_scene(ui, store, args, &open, officer, location)?
        }
    };
    let Some(scene) = scene else {
        return Ok(None);
    };
    let n = store.scene_members(&scene)?.len() + 1;
    let label = match args.label.as_deref().map(str::trim) {
        Some(l) if !l.is_empty() => l.to_string(),
        _ => {
            let typed = ui.read_line(
                &format!("A short description that tells them apart (Enter: person {n}):"),
                "",
            )?;
            if typed.is_empty() {
                format!("person {n}")
            } else {
                typed
            }
        }
    };
    Ok(Some(EventBody::SceneJoined {
        scene,
        label,
        raised_by: None,
        question: None,
    }))
}

fn new_scene(
    ui: &Ui,
    store: &mut Store,
    args: &Args,
    officer: &str,
    location: &str,
) -> Result<String> {
    let description = args.scene_description.clone().unwrap_or_default();
    let e = store.open_scene(officer, location, description.trim())?;
    let short = store.short_scene_id(&e.scene_id)?;
    ui.styled(&format!("Scene {short} opened."), &dim())?;
    Ok(e.scene_id)
}

fn pick_scene(
    ui: &Ui,
    store: &mut Store,
    args: &Args,
    open: &[crate::store::SceneSummary],
    officer: &str,
    location: &str,
) -> Result<Option<String>> {
    let shown = &open[..open.len().min(OFFERED_SCENES)];
    ui.blank()?;
    ui.styled("Is this person one of several met together?", &bold())?;
    for (i, s) in shown.iter().enumerate() {
        let short = store.short_scene_id(&s.id)?;
        let people = match s.people {
            1 => "1 person".to_string(),
            n => format!("{n} people"),
        };
        ui.indented(
            &format!("join {short} · {} · {people}", s.location),
            &format!("{} ", i + 1),
            "  ",
        )?;
    }
    let keys = match shown.len() {
        1 => "1".to_string(),
        n => format!("1-{n}"),
    };
    ui.legend(&[(keys.as_str(), "join"), ("n", "new scene"), ("Enter", "no")])?;
    loop {
        match ui.key()? {
            Key::Enter => return Ok(None),
            Key::Char('n') | Key::Char('N') => {
                return Ok(Some(new_scene(ui, store, args, officer, location)?));
            }
            Key::Char(c) => {
                if let Some(s) = c
                    .to_digit(10)
                    .and_then(|d| shown.get((d as usize).wrapping_sub(1)))
                {
                    return Ok(Some(s.id.clone()));
                }
                ui.styled(
                    &format!("'{c}' is not a key here: {keys}, n or Enter."),
                    &dim(),
                )?;
            }
            _ => ui.styled(&format!("Press {keys}, n, or Enter for no."), &dim())?,
        }
    }
}

/// After an answer: if it raises another person not offered yet, ask what to do.
pub fn offer(flow: &mut Flow, q: &Question) -> Result<()> {
    let Some(other) = flow.session.other_raised_by(&q.id) else {
        return Ok(());
    };
    if flow.offered.contains(&q.id) {
        return Ok(());
    }
    flow.offered.push(q.id.clone());
    let ui = &flow.ui;
    ui.blank()?;
    ui.styled(&format!("Another person: {}", other.label), &bold())?;
    ui.para("They need their own screening: their own age check, consent and referral.")?;
    ui.legend(&[("s", "screen them now"), ("l", "note for later")])?;
    let now = loop {
        match ui.key()? {
            Key::Char('s') | Key::Char('S') => break true,
            Key::Char('l') | Key::Char('L') => break false,
            _ => ui.styled(
                "Press s to screen them now, or l to note them for later.",
                &dim(),
            )?,
        }
    };
    let scene = ensure_scene(flow)?;
    if now {
        screen_now(flow, &scene, q, other.label)
    } else {
        let state = flow.store.scene(&scene)?;
        let note = state.next_note_id();
        let noted = flow.store.append_scene(
            &scene,
            SceneBody::PersonNoted {
                note: note.clone(),
                label: other.label.to_string(),
                encounter: Some(flow.id.clone()),
                question: Some(q.id.clone()),
            },
        );
        match noted {
            Ok(_) => flow
                .ui
                .styled(&format!("✔ noted for later as {note} (saved)"), &dim()),
            // A closed scene takes no one more: say so and go on with this person.
            Err(e) => flow.ui.styled(&format!("Not noted: {e}."), &dim()),
        }
    }
}

/// The scene this encounter is linked to, opening one (with this person as its first)
/// if it has none.
fn ensure_scene(flow: &mut Flow) -> Result<String> {
    let state = flow.store.encounter(&flow.id)?;
    if let Some(link) = state.scene {
        return Ok(link.scene);
    }
    let e = flow.store.open_scene(&state.officer, &state.location, "")?;
    flow.store.append(
        &flow.id,
        EventBody::SceneJoined {
            scene: e.scene_id.clone(),
            label: "person 1".into(),
            raised_by: None,
            question: None,
        },
    )?;
    let short = flow.store.short_scene_id(&e.scene_id)?;
    flow.ui.styled(
        &format!("Scene {short} opened; this person is 'person 1' in it."),
        &dim(),
    )?;
    Ok(e.scene_id)
}

/// Screens the person raised by `q` now, in their own linked encounter; this one waits
/// as a draft and resumes at its next question.
fn screen_now(flow: &mut Flow, scene: &str, q: &Question, about: &str) -> Result<()> {
    let ui = &flow.ui;
    ui.para(&format!(
        "Encounter {} is saved as a draft and resumes after theirs.",
        flow.short
    ))?;
    let label = ui.read_line(
        &format!("A short description of them (Enter: {about}):"),
        "",
    )?;
    let label = if label.is_empty() {
        about.to_string()
    } else {
        label
    };
    let checklist = choose_checklist(ui, flow.g)?;
    let state = flow.store.encounter(&flow.id)?;
    let events = flow.store.record_encounter(
        EventBody::Created {
            officer: state.officer.clone(),
            location: state.location.clone(),
            checklist: checklist.id.clone(),
            checklist_title: checklist.title.clone(),
            guidance_version: flow.g.version.clone(),
            guidance_hash: flow.g.hash.clone(),
        },
        vec![EventBody::SceneJoined {
            scene: scene.to_string(),
            label: label.clone(),
            raised_by: Some(flow.id.clone()),
            question: Some(q.id.clone()),
        }],
    )?;
    let id = events
        .first()
        .map(|e| e.encounter_id.clone())
        .unwrap_or_default();
    let short = flow.store.short_id(&id)?;
    term::set_current(&short);
    ui.styled(&format!("Encounter {short} started for {label}."), &bold())?;
    let session = Session::new(flow.g, &checklist.id)?;
    let total = session.visible_questions().len();
    let mut inner = Flow {
        ui: Ui::new(),
        g: flow.g,
        store: &mut *flow.store,
        id,
        short,
        session,
        total,
        prefill: flow.defaults.clone(),
        defaults: flow.defaults.clone(),
        offered: Vec::new(),
    };
    let pending = inner.session.raise_pending();
    prompt::raise(&inner.ui, inner.store, &inner.id, pending)?;
    if inner.questions()? {
        finish::End {
            ui: &inner.ui,
            g: inner.g,
            id: &inner.id,
            short: &inner.short,
            session: &inner.session,
        }
        .run(inner.store)?;
    }
    term::set_current(&flow.short);
    flow.ui.blank()?;
    flow.ui.styled(
        &format!("Back to encounter {}: its next question.", flow.short),
        &bold(),
    )
}

/// At the end: the people still noted for later at this person's scene.
pub fn reminder(flow: &Flow) -> Result<()> {
    let state = flow.store.encounter(&flow.id)?;
    let Some(link) = state.scene else {
        return Ok(());
    };
    let scene = flow.store.scene(&link.scene)?;
    let open = scene.open_notes();
    if open.is_empty() {
        return Ok(());
    }
    let short = flow.store.short_scene_id(&scene.id)?;
    let ui = &flow.ui;
    ui.blank()?;
    ui.styled(&format!("Noted for later at scene {short}:"), &bold())?;
    for n in open {
        ui.indented(&format!("{}: {}", n.note, n.label), "• ", "  ")?;
    }
    // Wrapped, never a line wider than the screen; the scene's command on its own line.
    ui.para(&format!(
        "Screen each with msht check --scene {short} --for-note NOTE. Everyone at once:"
    ))?;
    ui.line(&format!("msht scene show {short}"))
}
