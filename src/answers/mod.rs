//! The answers-file mode of `msht check`: a JSON file (or stdin) in, the same engine run,
//! and the complete list of events to record out. Pure: the caller writes the events in
//! one transaction, so a bad file saves nothing at all. A scene file (several people,
//! each with their answers or a quick triage) is read by `scene.rs`.

pub mod scene;

use std::collections::HashSet;

use serde::Deserialize;
use serde_json::Value;

use crate::engine::Session;
use crate::guidance::{Guidance, QuestionKind, WelfarePrompt};
use crate::record::Answer;
use crate::record::{DutySnapshot, EventBody, WelfareOutcome};

#[derive(Debug, thiserror::Error)]
pub enum AnswersError {
    #[error("the answers file is not valid JSON of the expected shape: {0}")]
    Shape(String),
    #[error("the answers file names checklist '{0}', which does not exist")]
    UnknownChecklist(String),
    #[error(
        "the answers file answers '{question}', which is not a question of checklist '{checklist}'"
    )]
    UnknownQuestion { checklist: String, question: String },
    #[error("question '{question}': {problem}")]
    BadValue { question: String, problem: String },
    #[error("question '{0}' needs an answer (give \"skip\" or null to skip it on purpose)")]
    Missing(String),
    #[error(
        "question '{0}' is answered, but with the other answers given it is not asked; remove it or check the earlier answers"
    )]
    NotAsked(String),
    #[error(
        "the answers file records an action for prompt '{0}', which these answers do not raise"
    )]
    UnraisedPrompt(String),
    #[error("the encounter cannot be completed: {0}")]
    Incomplete(String),
    #[error("the answers file is larger than {} KiB, more than any checklist needs", MAX_FILE_BYTES / 1024)]
    TooLarge,
    #[error("{0} is longer than {MAX_TEXT_CHARS} characters; shorten it")]
    TextTooLong(String),
}

/// The largest answers file read: a full checklist with long notes is a few KiB.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// The longest officer, location, note, reason or free-text answer accepted.
pub const MAX_TEXT_CHARS: usize = 10_000;

/// The file format of SPEC §2, plus optional `actions` and `complete`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswersFile {
    pub checklist: String,
    #[serde(default)]
    pub officer: Option<String>,
    #[serde(default)]
    pub location: Option<String>,
    pub answers: serde_json::Map<String, Value>,
    #[serde(default)]
    pub notes: Option<Notes>,
    /// What was done about each raised prompt: `{"prompt-id": {"outcome": "done"}}`.
    #[serde(default)]
    pub actions: serde_json::Map<String, Value>,
    /// Leave the encounter as a draft with `false`; complete by default.
    #[serde(default = "yes")]
    pub complete: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Notes {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionSpec {
    outcome: WelfareOutcome,
    #[serde(default)]
    reason: String,
}

/// Everything an answers file produces: the events to record and the outcome to print.
#[derive(Debug)]
pub struct Plan<'g> {
    pub created: EventBody,
    pub rest: Vec<EventBody>,
    pub raised: Vec<&'g WelfarePrompt>,
    pub session: Session<'g>,
    pub complete: bool,
}

impl AnswersFile {
    pub fn parse(text: &str) -> Result<AnswersFile, AnswersError> {
        if text.len() as u64 > MAX_FILE_BYTES {
            return Err(AnswersError::TooLarge);
        }
        let file: AnswersFile =
            serde_json::from_str(text).map_err(|e| AnswersError::Shape(e.to_string()))?;
        file.check_lengths()?;
        Ok(file)
    }

    /// Every free-text field within [`MAX_TEXT_CHARS`].
    fn check_lengths(&self) -> Result<(), AnswersError> {
        let too_long = |s: &str| s.chars().count() > MAX_TEXT_CHARS;
        let named = [
            ("the officer", &self.officer),
            ("the location", &self.location),
        ];
        for (what, v) in named {
            if v.as_deref().is_some_and(too_long) {
                return Err(AnswersError::TextTooLong(what.into()));
            }
        }
        let notes: Vec<&String> = match &self.notes {
            None => vec![],
            Some(Notes::One(n)) => vec![n],
            Some(Notes::Many(v)) => v.iter().collect(),
        };
        if notes.iter().any(|n| too_long(n)) {
            return Err(AnswersError::TextTooLong("a note".into()));
        }
        for (q, v) in self.answers.iter().chain(self.actions.iter()) {
            if long_string_in(v, MAX_TEXT_CHARS) {
                return Err(AnswersError::TextTooLong(format!("the entry for '{q}'")));
            }
        }
        Ok(())
    }
}

fn long_string_in(v: &Value, max: usize) -> bool {
    match v {
        Value::String(s) => s.chars().count() > max,
        Value::Array(a) => a.iter().any(|x| long_string_in(x, max)),
        Value::Object(o) => o.values().any(|x| long_string_in(x, max)),
        _ => false,
    }
}

fn value_to_answer(q: &crate::guidance::Question, v: &Value) -> Result<Answer, AnswersError> {
    let bad = |problem: String| AnswersError::BadValue {
        question: q.id.clone(),
        problem,
    };
    match v {
        Value::Null => Ok(Answer::Skipped),
        Value::Bool(b) if q.kind == QuestionKind::YesNo => {
            Ok(if *b { Answer::Yes } else { Answer::No })
        }
        Value::String(s) => Answer::parse_for(q, s).map_err(bad),
        other => Err(bad(format!(
            "{other} is not an answer; use a string such as \"yes\""
        ))),
    }
}

/// Runs the answers through the engine in checklist order and builds the events.
pub fn plan<'g>(
    g: &'g Guidance,
    file: &AnswersFile,
    officer: &str,
    location: &str,
) -> Result<Plan<'g>, AnswersError> {
    let checklist = g
        .checklist(&file.checklist)
        .ok_or_else(|| AnswersError::UnknownChecklist(file.checklist.clone()))?;
    let session = Session::new(g, &checklist.id)
        .map_err(|_| AnswersError::UnknownChecklist(file.checklist.clone()))?;
    let created = EventBody::Created {
        officer: officer.to_string(),
        location: location.to_string(),
        checklist: checklist.id.clone(),
        checklist_title: checklist.title.clone(),
        guidance_version: g.version.clone(),
        guidance_hash: g.hash.clone(),
    };
    let (session, events) = run_file(session, file)?;
    Ok(Plan {
        created,
        rest: events.rest,
        raised: events.raised,
        session,
        complete: file.complete,
    })
}

/// Continues a draft from an answers file: `session` is the draft restored (its answers
/// and the prompts already raised). Questions the draft answered need not be in the
/// file; an answer the file gives to one changes it, as a draft allows. `created` in the
/// plan is unused (the encounter exists).
pub fn plan_resume<'g>(session: Session<'g>, file: &AnswersFile) -> Result<Plan<'g>, AnswersError> {
    if file.checklist != session.checklist_id() {
        return Err(AnswersError::Shape(format!(
            "the draft runs checklist '{}', but the answers file names '{}'",
            session.checklist_id(),
            file.checklist
        )));
    }
    let (session, events) = run_file(session, file)?;
    Ok(Plan {
        created: EventBody::NoteAdded {
            text: String::new(),
        },
        rest: events.rest,
        raised: events.raised,
        session,
        complete: file.complete,
    })
}

/// The events a file's answers, actions, notes and completion add to `session`.
fn run_file<'g>(
    mut session: Session<'g>,
    file: &AnswersFile,
) -> Result<(Session<'g>, Events<'g>), AnswersError> {
    for (qid, v) in &file.answers {
        let q = session
            .question(qid)
            .ok_or_else(|| AnswersError::UnknownQuestion {
                checklist: session.checklist_id().to_string(),
                question: qid.clone(),
            })?;
        value_to_answer(q, v)?;
    }
    let mut events = Events::default();
    events.raise(session.raise_pending());
    answer_in_order(&mut session, file, &mut events)?;
    let asked: HashSet<&str> = session
        .visible_questions()
        .iter()
        .map(|q| q.id.as_str())
        .collect();
    if let Some(qid) = file
        .answers
        .keys()
        .find(|qid| !asked.contains(qid.as_str()))
    {
        return Err(AnswersError::NotAsked(qid.clone()));
    }
    record_actions(&session, file, &mut events.rest)?;
    record_notes(file, &mut events.rest);
    if file.complete {
        if let Some(problem) = session.completion_problem() {
            return Err(AnswersError::Incomplete(problem.to_string()));
        }
        events.rest.push(completion(&session));
    }
    Ok((session, events))
}

/// The events built so far, and the prompts raised, in order.
#[derive(Default)]
struct Events<'g> {
    rest: Vec<EventBody>,
    raised: Vec<&'g WelfarePrompt>,
}

impl<'g> Events<'g> {
    fn raise(&mut self, prompts: Vec<&'g WelfarePrompt>) {
        for p in prompts {
            self.rest.push(EventBody::PromptRaised {
                prompt: p.id.clone(),
                title: p.title.clone(),
                urgency: p.urgency.as_str().to_string(),
            });
            self.raised.push(p);
        }
    }
}

/// Walks the asked questions in order. A question the file leaves out is left
/// unanswered, not recorded as skipped: the record must not claim the officer chose to
/// skip something they were never shown. Answers can change what is asked, but only
/// after the question answered, so the walk carries on from there (a checklist of N
/// questions costs O(N), not O(N) per answer).
fn answer_in_order<'g>(
    session: &mut Session<'g>,
    file: &AnswersFile,
    events: &mut Events<'g>,
) -> Result<(), AnswersError> {
    let mut passed: HashSet<&'g str> = HashSet::new();
    let mut at = None;
    while let Some((i, q)) = session.asked_after(at) {
        at = Some(i);
        if !passed.insert(q.id.as_str()) {
            continue;
        }
        let answer = match file.answers.get(&q.id) {
            Some(v) => value_to_answer(q, v)?,
            None if q.required && session.answer_of(&q.id).is_none() => {
                return Err(AnswersError::Missing(q.id.clone()));
            }
            None => continue,
        };
        events.rest.push(EventBody::AnswerGiven {
            question: q.id.clone(),
            question_text: q.text.clone(),
            answer: answer.clone(),
        });
        let newly = session
            .answer(&q.id, answer)
            .map_err(|e| AnswersError::BadValue {
                question: q.id.clone(),
                problem: e.to_string(),
            })?;
        events.raise(newly);
    }
    Ok(())
}

/// The welfare actions the file records, each for a prompt these answers raised.
fn record_actions(
    session: &Session,
    file: &AnswersFile,
    rest: &mut Vec<EventBody>,
) -> Result<(), AnswersError> {
    for (pid, spec) in &file.actions {
        if !session.raised().contains(pid) {
            return Err(AnswersError::UnraisedPrompt(pid.clone()));
        }
        let spec: ActionSpec = serde_json::from_value(spec.clone())
            .map_err(|e| AnswersError::Shape(format!("action for prompt '{pid}': {e}")))?;
        if spec.outcome == WelfareOutcome::NotPossible && spec.reason.trim().is_empty() {
            return Err(AnswersError::Shape(format!(
                "action for prompt '{pid}' is not_possible but gives no reason"
            )));
        }
        rest.push(EventBody::WelfareAction {
            prompt: pid.clone(),
            outcome: spec.outcome,
            reason: spec.reason.trim().to_string(),
        });
    }
    Ok(())
}

fn record_notes(file: &AnswersFile, rest: &mut Vec<EventBody>) {
    let notes = match &file.notes {
        None => vec![],
        Some(Notes::One(n)) => vec![n.clone()],
        Some(Notes::Many(v)) => v.clone(),
    };
    for n in notes.into_iter().filter(|n| !n.trim().is_empty()) {
        rest.push(EventBody::NoteAdded { text: n });
    }
}

/// The `Completed` event: indicators and duties as the engine states them now.
pub fn completion(session: &Session) -> EventBody {
    EventBody::Completed {
        indicators: session
            .indicators()
            .iter()
            .map(|(q, _)| q.id.clone())
            .collect(),
        duties: session
            .duties()
            .iter()
            .map(|d| DutySnapshot {
                id: d.duty.id.clone(),
                title: d.duty.title.clone(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g() -> Guidance {
        crate::guidance::load(None).unwrap()
    }

    fn types(p: &Plan) -> Vec<&'static str> {
        p.rest.iter().map(|e| e.type_name()).collect()
    }

    #[test]
    fn child_answers_raise_prompt_right_after_the_answer_and_complete() {
        let g = g();
        let f = AnswersFile::parse(r#"{"checklist":"general","answers":{"general_nation":"england","general_danger":"no","general_age":"yes"}}"#)
            .unwrap();
        let p = plan(&g, &f, "PC 1", "").unwrap();
        let t = types(&p);
        let ans = p
            .rest
            .iter()
            .position(|e| matches!(e, EventBody::AnswerGiven { question, .. } if question == "general_age"))
            .unwrap();
        assert_eq!(t[ans + 1], "prompt_raised", "{t:?}");
        assert_eq!(*t.last().unwrap(), "completed");
    }

    #[test]
    fn questions_left_out_of_the_file_are_not_recorded_as_skipped() {
        let g = g();
        let f = AnswersFile::parse(r#"{"checklist":"general","answers":{"general_nation":"england","general_danger":"no","general_age":"yes"}}"#)
            .unwrap();
        let p = plan(&g, &f, "PC 1", "").unwrap();
        let answered: Vec<_> = p
            .rest
            .iter()
            .filter_map(|e| match e {
                EventBody::AnswerGiven { question, .. } => Some(question.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(
            answered,
            ["general_nation", "general_danger", "general_age"]
        );
        assert_eq!(
            p.session.next_question().unwrap().id,
            "general_injury",
            "a draft would resume here"
        );
    }

    #[test]
    fn bad_inputs_name_the_question() {
        let g = g();
        let cases = [
            (
                r#"{"checklist":"general","answers":{"nope":"yes"}}"#,
                "nope",
            ),
            (
                r#"{"checklist":"general","answers":{"general_nation":"england","general_danger":"no","general_age":"maybe"}}"#,
                "general_age",
            ),
            (r#"{"checklist":"general","answers":{}}"#, "general_nation"),
            (
                r#"{"checklist":"general","answers":{"general_nation":"england"}}"#,
                "general_danger",
            ),
            (
                r#"{"checklist":"general","answers":{"general_nation":"england","general_danger":"no","general_age":"yes","general_nrm_consent":"declines"}}"#,
                "general_nrm_consent",
            ),
            (
                r#"{"checklist":"general","answers":{"general_nation":"england","general_danger":"no","general_age":3}}"#,
                "general_age",
            ),
        ];
        for (src, q) in cases {
            let f = AnswersFile::parse(src).unwrap();
            let err = plan(&g, &f, "PC 1", "").unwrap_err().to_string();
            assert!(err.contains(q), "{src}: {err}");
        }
    }

    #[test]
    fn unknown_fields_and_checklists_are_refused() {
        assert!(AnswersFile::parse(r#"{"checklist":"general","answers":{},"extra":1}"#).is_err());
        let g = g();
        let f = AnswersFile::parse(r#"{"checklist":"nope","answers":{}}"#).unwrap();
        assert!(matches!(
            plan(&g, &f, "", ""),
            Err(AnswersError::UnknownChecklist(_))
        ));
    }

    /// A checklist of `n` yes/no questions after the general screen: every third an
    /// indicator, every odd one asked only when the one before is not "no", a trigger on
    /// every tenth, a duty rule on every twentieth and one trigger on the indicator count
    /// and a signal (the shape `benches/engine_scale.rs` measures).
    fn big_checklist(n: usize) -> String {
        let mut s = String::from(
            "reviewed = \"2026-12-02\"\nsources = [{ title = \"T\", url = \"https://example.org/\" }]\n\
             id = \"big\"\ntitle = \"Big\"\norder = 99\ndescription = \"D.\"\nincludes = [\"general\"]\n",
        );
        for i in 0..n {
            s += &format!(
                "[[questions]]\nid = \"big_{i}\"\ntext = \"Q {i}?\"\nkind = \"yes_no\"\nhelp = \"h\"\n"
            );
            if i % 3 == 0 {
                s += "indicator = true\n";
            }
            if i % 50 == 8 {
                s += "signals = [\"big_sig\"]\n";
            }
            if i % 2 == 1 {
                s += &format!("when = \"big_{} != no\"\n", i - 1);
            }
        }
        for i in (0..n).step_by(10) {
            s += &format!("[[triggers]]\nprompt = \"medical\"\nwhen = \"big_{i} == yes\"\n");
        }
        for i in (0..n).step_by(20) {
            s += &format!("[[duties]]\nduty = \"nrm-referral\"\nwhen = \"big_{i} == yes\"\n");
        }
        s += "[[triggers]]\nprompt = \"several-victims\"\nwhen = \"indicators >= 3 and signal(big_sig)\"\n";
        s
    }

    /// Issue 18: the engine was roughly cubic in the number of questions (10,000 took
    /// over 300 s in release; in a debug test, far longer). Walking on from the last
    /// answer makes this a few seconds at most; no timing is asserted, only that it ends
    /// with the right events.
    #[test]
    fn a_checklist_of_ten_thousand_questions_is_answered_in_order() {
        let n = 10_000;
        let mut files = crate::guidance::GuidanceFiles::embedded();
        files.files.push(crate::guidance::SourceFile {
            path: "checklists/big.toml".into(),
            bytes: big_checklist(n).into_bytes(),
        });
        files.files.sort_by(|a, b| a.path.cmp(&b.path));
        let g = Guidance::from_files(&files).unwrap();
        let mut answers = serde_json::json!({
            "general_nation": "england", "general_danger": "no", "general_age": "no",
            "general_documents": "no", "general_consent_alone": "yes",
            "general_consent_understood": "yes", "general_consent_explained": "yes",
            "general_nrm_consent": "consents"
        });
        for i in (0..n).filter(|i| i % 4 != 3) {
            answers[format!("big_{i}")] = (if i % 4 == 0 { "yes" } else { "no" }).into();
        }
        let text = serde_json::json!({ "checklist": "big", "answers": answers }).to_string();
        let f = AnswersFile::parse(&text).unwrap();
        let p = plan(&g, &f, "PC 1", "").unwrap();
        let answered = p
            .rest
            .iter()
            .filter(|e| matches!(e, EventBody::AnswerGiven { question, .. } if question.starts_with("big_")))
            .count();
        assert_eq!(
            answered,
            n / 4 * 3,
            "every asked question, and no hidden one"
        );
        let raised: Vec<&str> = p.raised.iter().map(|p| p.id.as_str()).collect();
        assert!(raised.contains(&"medical"), "{raised:?}");
        assert!(
            raised.contains(&"several-victims"),
            "the count and signal trigger: {raised:?}"
        );
        assert_eq!(types(&p).last(), Some(&"completed"));
        // Every prompt that holds at the end was raised on the way.
        for due in p.session.prompts_due() {
            assert!(
                raised.contains(&due.id.as_str()),
                "{} holds but was never raised",
                due.id
            );
        }
    }
}
