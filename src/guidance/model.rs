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
    /// What the receiving system gives when the duty is done ("NRM referral reference"),
    /// if it gives one: recording the duty as done then needs the reference.
    pub reference: Option<String>,
    /// How soon it must be done, if the guidance says.
    pub timescale: Option<Timescale>,
    pub at: Location,
}

/// A duty's timescale: the rule the tool counts, the words an officer reads, and what to
/// do when it is missed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timescale {
    pub within: Within,
    pub text: String,
    pub if_missed: String,
}

/// How long a duty may take, as data (`within = "24h"`). Only `Immediately` and a
/// counted time ever make a duty overdue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Within {
    /// At once: still open after the encounter began means overdue.
    Immediately,
    /// This many seconds after the duty began to apply.
    Seconds(u64),
    /// Before the end of the officer's shift: the tool does not know shifts, so it shows
    /// the words and never marks it overdue.
    EndOfShift,
    /// The official timescale is not confirmed: the force's policy decides, and the tool
    /// never marks it overdue.
    ForcePolicy,
}

impl Within {
    /// Reads `immediately`, `end-of-shift`, `force-policy`, or a count with a unit:
    /// `30m`, `24h`, `5d` (1 to 9999).
    pub fn parse(s: &str) -> Result<Within, String> {
        let s = s.trim();
        match s {
            "immediately" => return Ok(Within::Immediately),
            "end-of-shift" => return Ok(Within::EndOfShift),
            "force-policy" => return Ok(Within::ForcePolicy),
            _ => {}
        }
        let bad = || {
            format!(
                "timescale '{s}' is not one of immediately, end-of-shift, force-policy, or a time such as 30m, 24h or 5d"
            )
        };
        let unit = s.chars().last().ok_or_else(bad)?;
        let per = match unit {
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(bad()),
        };
        let n: u64 = s[..s.len() - 1].parse().map_err(|_| bad())?;
        if !(1..=9999).contains(&n) {
            return Err(bad());
        }
        Ok(Within::Seconds(n * per))
    }

    /// Seconds from when the duty began to apply to when it is due; `None` when the tool
    /// must never mark it overdue.
    pub fn seconds(self) -> Option<u64> {
        match self {
            Within::Immediately => Some(0),
            Within::Seconds(n) => Some(n),
            Within::EndOfShift | Within::ForcePolicy => None,
        }
    }
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

#[cfg(test)]
mod timescale_tests {
    use super::Within;

    #[test]
    fn within_reads_the_documented_forms_and_nothing_else() {
        assert_eq!(Within::parse("immediately"), Ok(Within::Immediately));
        assert_eq!(Within::parse("end-of-shift"), Ok(Within::EndOfShift));
        assert_eq!(Within::parse("force-policy"), Ok(Within::ForcePolicy));
        assert_eq!(Within::parse("30m"), Ok(Within::Seconds(1800)));
        assert_eq!(Within::parse("24h"), Ok(Within::Seconds(86_400)));
        assert_eq!(Within::parse("5d"), Ok(Within::Seconds(432_000)));
        for bad in [
            "", "soon", "0h", "10000h", "h", "24", "-1h", "1.5h", "24 hours",
        ] {
            assert!(Within::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Within::ForcePolicy.seconds(), None);
        assert_eq!(Within::EndOfShift.seconds(), None);
        assert_eq!(Within::Immediately.seconds(), Some(0));
    }
}
