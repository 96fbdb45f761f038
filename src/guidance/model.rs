//! The loaded, cross-checked guidance set: what the engine, the CLI and search read.
//!
//! Every item remembers the file and line it came from, so the validator and any later
//! error can point a guidance author at the exact place to fix.
//!
//! Every type here is `Serialize + Deserialize`: build.rs parses and checks the built-in
//! guidance once and embeds this model in a compact binary form (postcard), which is
//! positional, so no `skip_serializing_if` or untagged enums here.

use serde::{Deserialize, Serialize};

use super::condition::Condition;

/// Where something was defined, for problem reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub file: String,
    pub line: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Area {
    pub id: String,
    pub title: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Topic {
    pub id: String,
    pub title: String,
    pub area: String,
    pub reviewed: String,
    pub sources: Vec<SourceRef>,
    pub sections: Vec<Section>,
    pub at: Location,
}

impl Topic {
    pub fn section(&self, id: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.id == id)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SourceRef {
    pub title: String,
    pub url: String,
    /// The line of the file the source is listed on, for problem reports.
    #[serde(skip)]
    pub line: usize,
}

/// The `reviewed` date and `sources` of a checklist, `prompts.toml` or `duties.toml`:
/// what the rules in that file rest on, and when a person last checked them.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Provenance {
    pub file: String,
    /// `None` when the file has no `reviewed` key.
    pub reviewed: Option<String>,
    pub reviewed_line: usize,
    pub sources: Vec<SourceRef>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Section {
    pub id: String,
    pub heading: String,
    /// Markdown body, without the heading line.
    pub body: String,
    pub at: Location,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    YesNo,
    Choice,
    Text,
}

impl QuestionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            QuestionKind::YesNo => "yes_no",
            QuestionKind::Choice => "choice",
            QuestionKind::Text => "text",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Weight {
    #[default]
    Normal,
    High,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Choice {
    pub id: String,
    pub label: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Question {
    pub id: String,
    pub text: String,
    pub kind: QuestionKind,
    pub choices: Vec<Choice>,
    pub help: Option<String>,
    /// `topic` or `topic#section`.
    pub topic: Option<String>,
    pub indicator: bool,
    /// Answers that count as a concern for an indicator question.
    pub concern: Vec<String>,
    pub weight: Weight,
    pub when: Option<Condition>,
    pub required: bool,
    /// Asked after every other question, including those of checklists that include
    /// this one (the consent question belongs after the signs have been seen).
    pub last: bool,
    /// Signals this question raises when answered with a concern (`signal(name)`).
    pub signals: Vec<String>,
    /// Set when a concern answer means *another* person is a possible victim (a child
    /// seen at the premises): a short description of them. Such an answer is never about
    /// the person screened: the validator keeps it out of their signals and duties, and
    /// the engine reports it (`Session::others_raised`) so the caller can screen them in
    /// their own encounter.
    pub other_person: Option<String>,
    /// The short key under which a quick triage at a scene asks this question (`age`,
    /// `danger`, …); triage answers are ordinary answers to these questions.
    pub triage: Option<String>,
    pub checklist: String,
    pub at: Location,
}

impl Question {
    /// Whether `value` (an answer's canonical string) is a worrying answer.
    pub fn is_concern(&self, value: &str) -> bool {
        self.indicator && self.concern.iter().any(|c| c == value)
    }

    /// Whether `value` (an answer's canonical string) means another person was raised.
    pub fn raises_other_person(&self, value: &str) -> bool {
        self.other_person.is_some() && self.concern.iter().any(|c| c == value)
    }

    /// Whether `value` raises this question's signals (a concern answer, indicator or not).
    pub fn raises_signals(&self, value: &str) -> bool {
        !self.signals.is_empty() && self.concern.iter().any(|c| c == value)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Trigger {
    pub prompt: String,
    pub when: Condition,
    pub at: Location,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DutyRule {
    pub duty: String,
    pub when: Condition,
    pub because: String,
    pub at: Location,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Checklist {
    pub id: String,
    pub title: String,
    pub order: i64,
    pub description: String,
    pub includes: Vec<String>,
    pub questions: Vec<Question>,
    pub triggers: Vec<Trigger>,
    pub duties: Vec<DutyRule>,
    pub at: Location,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Urgency {
    Immediate,
    BeforeLeaving,
    Later,
}

impl Urgency {
    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::Immediate => "immediate",
            Urgency::BeforeLeaving => "before-leaving",
            Urgency::Later => "later",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Urgency::Immediate => "ACT NOW",
            Urgency::BeforeLeaving => "BEFORE YOU LEAVE",
            Urgency::Later => "LATER",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WelfarePrompt {
    pub id: String,
    pub title: String,
    pub urgency: Urgency,
    pub topic: Option<String>,
    pub actions: Vec<String>,
    pub at: Location,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Duty {
    pub id: String,
    pub title: String,
    pub next: String,
    pub topic: Option<String>,
    pub at: Location,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SynonymGroup {
    pub terms: Vec<String>,
    pub at: Location,
}

/// A guidance test case: answers in, prompts and duties out.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Scenario {
    pub name: String,
    pub checklist: String,
    /// In file order.
    pub answers: Vec<(String, String)>,
    pub prompts: Vec<String>,
    pub duties: Vec<String>,
    pub not_prompts: Vec<String>,
    pub not_duties: Vec<String>,
    /// Questions that must not be asked with these answers.
    pub not_asked: Vec<String>,
    pub at: Location,
}

/// A named condition from manifest.toml's `[conditions]` table, written once and used by
/// name in any `when`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NamedCondition {
    pub name: String,
    /// The condition as written (it may itself use other names).
    pub when: Condition,
    pub at: Location,
}

/// A whole guidance set, parsed and checked.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Guidance {
    pub version: String,
    pub title: String,
    pub hash: String,
    pub origin: super::Origin,
    pub areas: Vec<Area>,
    pub conditions: Vec<NamedCondition>,
    pub topics: Vec<Topic>,
    pub checklists: Vec<Checklist>,
    pub prompts: Vec<WelfarePrompt>,
    pub duties: Vec<Duty>,
    pub synonyms: Vec<SynonymGroup>,
    pub scenarios: Vec<Scenario>,
    /// Review date and sources of each checklist, `prompts.toml` and `duties.toml`.
    pub provenance: Vec<Provenance>,
    /// Which links may not be cited (`source-rules.toml`).
    pub source_rules: super::sources::SourceRules,
}

impl Guidance {
    pub fn topic(&self, id: &str) -> Option<&Topic> {
        self.topics.iter().find(|t| t.id == id)
    }

    pub fn checklist(&self, id: &str) -> Option<&Checklist> {
        self.checklists.iter().find(|c| c.id == id)
    }

    pub fn prompt(&self, id: &str) -> Option<&WelfarePrompt> {
        self.prompts.iter().find(|p| p.id == id)
    }

    pub fn duty(&self, id: &str) -> Option<&Duty> {
        self.duties.iter().find(|d| d.id == id)
    }

    pub fn area(&self, id: &str) -> Option<&Area> {
        self.areas.iter().find(|a| a.id == id)
    }

    /// Resolves `topic` or `topic#section` to the topic and, if named, the section.
    pub fn resolve_link(&self, link: &str) -> Option<(&Topic, Option<&Section>)> {
        let (topic_id, section_id) = match link.split_once('#') {
            Some((t, s)) => (t, Some(s)),
            None => (link, None),
        };
        let topic = self.topic(topic_id)?;
        match section_id {
            None => Some((topic, None)),
            Some(s) => topic.section(s).map(|sec| (topic, Some(sec))),
        }
    }

    /// The questions of a checklist with its includes first (depth-first, each once).
    pub fn flattened(&self, checklist_id: &str) -> Option<Flattened<'_>> {
        let root = self.checklist(checklist_id)?;
        let mut order = Vec::new();
        self.collect_includes(root, &mut order, 0);
        let mut flat = Flattened {
            checklist: root,
            questions: Vec::new(),
            triggers: Vec::new(),
            duties: Vec::new(),
        };
        for c in &order {
            flat.questions
                .extend(c.questions.iter().filter(|q| !q.last));
            flat.triggers.extend(c.triggers.iter());
            flat.duties.extend(c.duties.iter());
        }
        for c in &order {
            flat.questions.extend(c.questions.iter().filter(|q| q.last));
        }
        Some(flat)
    }

    fn collect_includes<'a>(
        &'a self,
        c: &'a Checklist,
        out: &mut Vec<&'a Checklist>,
        depth: usize,
    ) {
        // The validator rejects cycles; the depth cap keeps a bad set from recursing forever.
        if depth > 16 || out.iter().any(|o| o.id == c.id) {
            return;
        }
        for inc in &c.includes {
            if let Some(ic) = self.checklist(inc) {
                self.collect_includes(ic, out, depth + 1);
            }
        }
        if !out.iter().any(|o| o.id == c.id) {
            out.push(c);
        }
    }
}

/// A checklist as it runs: includes' questions and rules first, then its own.
#[derive(Debug, Clone)]
pub struct Flattened<'g> {
    pub checklist: &'g Checklist,
    pub questions: Vec<&'g Question>,
    pub triggers: Vec<&'g Trigger>,
    pub duties: Vec<&'g DutyRule>,
}

impl Flattened<'_> {
    pub fn position(&self, question_id: &str) -> Option<usize> {
        self.questions.iter().position(|q| q.id == question_id)
    }
}
