//! A scene file for `msht check --answers`: several people met together, each with their
//! own answers (or a quick triage), run through the same engine one by one. Pure, like
//! the single-person file: it yields each person's events and the people noted for
//! later, and the caller writes them all in one transaction.
//!
//! ```json
//! { "scene": {"location": "Car wash, Mill Lane", "description": "raid"},
//!   "officer": "PC 1", "shared": {"general_nation": "england"},
//!   "people": [
//!     {"label": "woman, room 2", "checklist": "sexual", "answers": {...}},
//!     {"label": "girl in the kitchen", "raised_by": "woman, room 2",
//!      "question": "sexual_other_child", "checklist": "general", "answers": {...}},
//!     {"label": "worker 3, red jacket", "triage": {"age": "unsure", "danger": "no"}} ] }
//! ```

use serde::Deserialize;
use serde_json::{Map, Value};

use super::{AnswersError, AnswersFile, MAX_FILE_BYTES, MAX_TEXT_CHARS, Notes, Plan, plan};
use crate::engine::Session;
use crate::guidance::Guidance;

/// The longest label of a person at a scene: it must fit a line on a phone.
pub const MAX_LABEL_CHARS: usize = 200;
/// The most people one scene file may hold.
pub const MAX_PEOPLE: usize = 500;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SceneFile {
    /// A new scene to open; without it the people join the scene named on the command
    /// line (or a new one with no description).
    #[serde(default)]
    pub scene: Option<SceneInfo>,
    #[serde(default)]
    pub officer: Option<String>,
    /// Answers every person shares (the nation), unless their own answers say otherwise.
    #[serde(default)]
    pub shared: Map<String, Value>,
    pub people: Vec<PersonFile>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SceneInfo {
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub officer: Option<String>,
}

/// One person: a label, and either a full answers file's fields or a triage.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonFile {
    pub label: String,
    /// The label of an earlier person whose answer raised this one.
    #[serde(default)]
    pub raised_by: Option<String>,
    /// Which of that person's questions raised them (needed only when several did).
    #[serde(default)]
    pub question: Option<String>,
    #[serde(default)]
    pub checklist: Option<String>,
    #[serde(default)]
    pub answers: Map<String, Value>,
    /// Triage answers by the guidance's triage keys (`age`, `danger`, …). A triaged
    /// person is left a draft for the full checklist later.
    #[serde(default)]
    pub triage: Option<Map<String, Value>>,
    #[serde(default)]
    pub notes: Option<Notes>,
    #[serde(default)]
    pub actions: Map<String, Value>,
    #[serde(default)]
    pub complete: Option<bool>,
}

/// One person's planned record.
#[derive(Debug)]
pub struct PersonPlan<'g> {
    pub label: String,
    pub raised_by: Option<usize>,
    pub question: Option<String>,
    pub plan: Plan<'g>,
}

/// Another person raised by an answer that no one in the file was screened for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotedPlan {
    pub by: usize,
    pub label: String,
    pub question: String,
}

#[derive(Debug)]
pub struct ScenePlan<'g> {
    pub people: Vec<PersonPlan<'g>>,
    pub noted: Vec<NotedPlan>,
}

/// Whether `text` is a scene file (an object with `people`) rather than one person's.
pub fn is_scene_file(text: &str) -> bool {
    serde_json::from_str::<Map<String, Value>>(text).is_ok_and(|m| m.contains_key("people"))
}

impl SceneFile {
    pub fn parse(text: &str) -> Result<SceneFile, AnswersError> {
        if text.len() as u64 > MAX_FILE_BYTES {
            return Err(AnswersError::TooLarge);
        }
        let file: SceneFile =
            serde_json::from_str(text).map_err(|e| AnswersError::Shape(e.to_string()))?;
        if file.people.is_empty() {
            return Err(AnswersError::Shape("the scene file lists no people".into()));
        }
        if file.people.len() > MAX_PEOPLE {
            return Err(AnswersError::Shape(format!(
                "the scene file lists more than {MAX_PEOPLE} people; split it"
            )));
        }
        let too_long = |s: &Option<String>| {
            s.as_ref()
                .is_some_and(|s| s.chars().count() > MAX_TEXT_CHARS)
        };
        if let Some(s) = &file.scene
            && (too_long(&s.location)
                || too_long(&Some(s.description.clone()))
                || too_long(&s.officer))
        {
            return Err(AnswersError::TextTooLong("the scene's details".into()));
        }
        for (i, p) in file.people.iter().enumerate() {
            let label = p.label.trim();
            if label.is_empty() {
                return Err(AnswersError::Shape(format!(
                    "person {} has no label; give each person a short description such as \"worker 3, red jacket\"",
                    i + 1
                )));
            }
            if label.chars().count() > MAX_LABEL_CHARS {
                return Err(AnswersError::TextTooLong(format!(
                    "the label of person {}",
                    i + 1
                )));
            }
            if file.people[..i].iter().any(|q| q.label.trim() == label) {
                return Err(AnswersError::Shape(format!(
                    "two people have the label '{label}'; each label must tell them apart"
                )));
            }
        }
        Ok(file)
    }
}

/// Runs each person through the engine, in file order, and finds who raised whom.
pub fn plan_scene<'g>(
    g: &'g Guidance,
    file: &SceneFile,
    officer: &str,
) -> Result<ScenePlan<'g>, AnswersError> {
    let location = file
        .scene
        .as_ref()
        .and_then(|s| s.location.clone())
        .unwrap_or_default();
    let mut people: Vec<PersonPlan<'g>> = Vec::new();
    for (i, p) in file.people.iter().enumerate() {
        let single = person_file(g, file, p)?;
        let plan = plan(g, &single, officer, &location).map_err(|e| in_person(&p.label, e))?;
        let raised_by = match &p.raised_by {
            None => None,
            Some(by) => Some(
                file.people[..i]
                    .iter()
                    .position(|q| q.label.trim() == by.trim())
                    .ok_or_else(|| {
                        AnswersError::Shape(format!(
                            "'{}' is raised by '{by}', who is not listed before them",
                            p.label.trim()
                        ))
                    })?,
            ),
        };
        let question = match raised_by {
            Some(by) => Some(raising_question(&people[by], p)?),
            None => None,
        };
        people.push(PersonPlan {
            label: p.label.trim().to_string(),
            raised_by,
            question,
            plan,
        });
    }
    let noted = unclaimed(&people);
    Ok(ScenePlan { people, noted })
}

fn in_person(label: &str, e: AnswersError) -> AnswersError {
    AnswersError::Shape(format!("person '{}': {e}", label.trim()))
}

/// The single-person answers file a scene file's person stands for.
fn person_file(
    g: &Guidance,
    file: &SceneFile,
    p: &PersonFile,
) -> Result<AnswersFile, AnswersError> {
    let checklist = p.checklist.clone().unwrap_or_else(|| "general".into());
    let mut answers = p.answers.clone();
    if let Some(triage) = &p.triage {
        let session = Session::new(g, &checklist)
            .map_err(|_| AnswersError::UnknownChecklist(checklist.clone()))?;
        let questions = session.triage_questions();
        for (key, v) in triage {
            let q = questions
                .iter()
                .find(|q| q.triage.as_deref() == Some(key.as_str()))
                .ok_or_else(|| {
                    in_person(
                        &p.label,
                        AnswersError::Shape(format!(
                            "'{key}' is not a triage question of checklist '{checklist}'"
                        )),
                    )
                })?;
            answers.insert(q.id.clone(), v.clone());
        }
    }
    for (q, v) in &file.shared {
        answers.entry(q.clone()).or_insert_with(|| v.clone());
    }
    Ok(AnswersFile {
        checklist,
        officer: None,
        location: None,
        answers,
        notes: p.notes.as_ref().map(|n| match n {
            Notes::One(s) => Notes::One(s.clone()),
            Notes::Many(v) => Notes::Many(v.clone()),
        }),
        actions: p.actions.clone(),
        complete: p.complete.unwrap_or(p.triage.is_none()),
    })
}

/// The question of `by` that raised person `p`: the one named, or the only one.
fn raising_question(by: &PersonPlan, p: &PersonFile) -> Result<String, AnswersError> {
    let raised = by.plan.session.others_raised();
    let found = match &p.question {
        Some(q) => raised.iter().find(|o| &o.question.id == q),
        None if raised.len() == 1 => raised.first(),
        None => None,
    };
    found.map(|o| o.question.id.clone()).ok_or_else(|| {
        AnswersError::Shape(format!(
            "'{}' is raised by '{}', but {} (answers raising another person: {})",
            p.label.trim(),
            by.label,
            match &p.question {
                Some(q) => format!("their answer to '{q}' raises no other person"),
                None if raised.is_empty() => "none of their answers raises another person".into(),
                None => "several of their answers do, so say which with \"question\"".into(),
            },
            if raised.is_empty() {
                "none".to_string()
            } else {
                raised
                    .iter()
                    .map(|o| o.question.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        ))
    })
}

/// Other people raised by an answer whom no one in the file was screened for: each is
/// noted for later on the scene.
fn unclaimed(people: &[PersonPlan]) -> Vec<NotedPlan> {
    let mut out = Vec::new();
    for (i, p) in people.iter().enumerate() {
        for o in p.plan.session.others_raised() {
            let claimed = people.iter().any(|q| {
                q.raised_by == Some(i) && q.question.as_deref() == Some(o.question.id.as_str())
            });
            if !claimed {
                out.push(NotedPlan {
                    by: i,
                    label: o.label.to_string(),
                    question: o.question.id.clone(),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g() -> Guidance {
        crate::guidance::load(None).unwrap()
    }

    const ADULT_SEES_CHILD: &str = r#"{"checklist":"sexual","answers":{"general_danger":"no","general_age":"no","sexual_child_signs":"no","sexual_other_child":"yes"},"complete":false}"#;

    fn file(people: &str) -> SceneFile {
        SceneFile::parse(&format!(
            r#"{{"shared":{{"general_nation":"england"}},"people":[{people}]}}"#
        ))
        .unwrap()
    }

    fn person(label: &str, body: &str) -> String {
        format!(r#"{{"label":"{label}",{}"#, &body[1..])
    }

    #[test]
    fn an_unclaimed_other_person_is_noted_and_a_claimed_one_is_linked() {
        let g = g();
        let f = file(&person("woman", ADULT_SEES_CHILD));
        let p = plan_scene(&g, &f, "PC 1").unwrap();
        assert_eq!(
            p.noted,
            [NotedPlan {
                by: 0,
                label: "possible child seen at the premises".into(),
                question: "sexual_other_child".into()
            }]
        );
        let child = r#"{"label":"girl","raised_by":"woman","answers":{"general_danger":"no","general_age":"yes"}}"#;
        let f = file(&format!("{},{child}", person("woman", ADULT_SEES_CHILD)));
        let p = plan_scene(&g, &f, "PC 1").unwrap();
        assert!(p.noted.is_empty(), "{:?}", p.noted);
        assert_eq!(p.people[1].raised_by, Some(0));
        assert_eq!(p.people[1].question.as_deref(), Some("sexual_other_child"));
    }

    #[test]
    fn triage_maps_keys_onto_the_guidance_questions_and_leaves_a_draft() {
        let g = g();
        let f = file(
            r#"{"label":"worker 3","triage":{"age":"unsure","danger":"no","injury":"yes","interpreter":"yes"}}"#,
        );
        let p = plan_scene(&g, &f, "PC 1").unwrap();
        let plan = &p.people[0].plan;
        assert!(!plan.complete);
        let raised: Vec<_> = plan.raised.iter().map(|p| p.id.as_str()).collect();
        assert!(raised.contains(&"possible-child"), "{raised:?}");
        assert!(raised.contains(&"medical"), "{raised:?}");
    }

    #[test]
    fn bad_scene_files_say_which_person() {
        let g = g();
        let cases = [
            (r#"{"people":[]}"#, "no people"),
            (r#"{"people":[{"label":" ","answers":{}}]}"#, "no label"),
            (
                r#"{"people":[{"label":"a","triage":{}},{"label":"a","triage":{}}]}"#,
                "two people",
            ),
        ];
        for (src, want) in cases {
            let err = SceneFile::parse(src).unwrap_err().to_string();
            assert!(err.contains(want), "{src}: {err}");
        }
        let cases = [
            (
                r#"{"label":"w","triage":{"shoe":"yes","danger":"no","age":"no"}}"#,
                "'shoe' is not a triage question",
            ),
            (
                r#"{"label":"w","raised_by":"nobody","triage":{"danger":"no","age":"no"}}"#,
                "not listed before them",
            ),
            (
                r#"{"label":"w","answers":{"general_danger":"no"}}"#,
                "person 'w'",
            ),
        ];
        for (src, want) in cases {
            let err = plan_scene(&g, &file(src), "PC 1").unwrap_err().to_string();
            assert!(err.contains(want), "{src}: {err}");
        }
        let two = r#"{"label":"a","triage":{"danger":"no","age":"no"}},{"label":"b","raised_by":"a","triage":{"danger":"no","age":"no"}}"#;
        let err = plan_scene(&g, &file(two), "PC 1").unwrap_err().to_string();
        assert!(
            err.contains("none of their answers raises another person"),
            "{err}"
        );
    }
}
