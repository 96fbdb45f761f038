//! Reads the TOML files of a guidance set into the model, noting every problem with its line.
//!
//! Parsing and cross-checking are separate: this file only turns text into items; the
//! checks that need the whole set (links, conditions, reachability) live in `validate.rs`.

use serde::Deserialize;
use toml::Spanned;

use super::condition::Condition;
use super::model::*;
use super::problems::{Problems, is_id};

pub struct ParseCtx<'a> {
    pub file: &'a str,
    pub text: &'a str,
    pub problems: &'a mut Problems,
    /// Where each line ends, so finding an item's line is a binary search rather than a
    /// count from the top of the file (which made a big checklist quadratic to load).
    newlines: Vec<usize>,
}

impl<'a> ParseCtx<'a> {
    pub fn new(file: &'a str, text: &'a str, problems: &'a mut Problems) -> Self {
        let newlines = text
            .bytes()
            .enumerate()
            .filter_map(|(i, b)| (b == b'\n').then_some(i))
            .collect();
        ParseCtx {
            file,
            text,
            problems,
            newlines,
        }
    }

    /// The 1-based line of byte `offset`: what `line_of` says, found in O(log n).
    fn line_at(&self, offset: usize) -> usize {
        self.newlines.partition_point(|&nl| nl < offset) + 1
    }

    fn line<T>(&self, s: &Spanned<T>) -> usize {
        self.line_at(s.span().start)
    }

    fn at<T>(&self, s: &Spanned<T>) -> Location {
        Location {
            file: self.file.to_string(),
            line: self.line(s),
        }
    }

    fn problem(&mut self, line: usize, msg: impl Into<String>) {
        self.problems.add(self.file, line, msg);
    }

    fn id(&mut self, s: &Spanned<String>, what: &str) -> String {
        if !is_id(s.get_ref()) {
            let line = self.line(s);
            self.problem(
                line,
                format!(
                    "{what} id '{}' must be lowercase letters, digits, - or _, starting with a letter",
                    s.get_ref()
                ),
            );
        }
        s.get_ref().clone()
    }

    fn text(&mut self, s: &Spanned<String>, what: &str) -> String {
        if s.get_ref().trim().is_empty() {
            let line = self.line(s);
            self.problem(line, format!("{what} is empty"));
        }
        s.get_ref().trim().to_string()
    }

    fn condition(&mut self, s: &Spanned<String>) -> Option<Condition> {
        match Condition::parse(s.get_ref()) {
            Ok(c) => Some(c),
            Err(e) => {
                let line = self.line(s);
                self.problem(
                    line,
                    format!("condition '{}' does not parse: {e}", s.get_ref()),
                );
                None
            }
        }
    }
}

/// Parses `text` as `T`, reporting a syntax error with its line.
pub fn from_toml<T: serde::de::DeserializeOwned>(ctx: &mut ParseCtx, what: &str) -> Option<T> {
    match toml::from_str(ctx.text) {
        Ok(v) => Some(v),
        Err(e) => {
            let line = e.span().map(|s| ctx.line_at(s.start)).unwrap_or(1);
            ctx.problem(
                line,
                format!("{what} does not parse: {}", e.message().trim()),
            );
            None
        }
    }
}

/// One `{ title, url }` in a file's `sources` list.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    title: String,
    url: String,
}

/// The file-level `reviewed` date and `sources` of a checklist, prompts.toml or duties.toml.
/// Loading accepts a file without them; `guidance validate` requires them.
fn provenance(
    ctx: &ParseCtx,
    reviewed: &Option<Spanned<String>>,
    sources: &[RawSource],
) -> Provenance {
    let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    Provenance {
        file: ctx.file.to_string(),
        reviewed: reviewed.as_ref().map(|r| r.get_ref().clone()),
        reviewed_line: reviewed.as_ref().map_or(1, |r| ctx.line(r)),
        sources: sources
            .iter()
            .map(|s| {
                let n = seen.entry(s.url.as_str()).or_insert(0);
                let line = super::sources::line_of_nth(ctx.text, &s.url, *n, 1);
                *n += 1;
                SourceRef {
                    title: s.title.trim().to_string(),
                    url: s.url.trim().to_string(),
                    line,
                }
            })
            .collect(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawManifest {
    version: Spanned<String>,
    #[serde(default)]
    title: String,
    #[serde(default)]
    areas: Vec<RawArea>,
    #[serde(default)]
    conditions: std::collections::BTreeMap<String, Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawArea {
    id: Spanned<String>,
    title: Spanned<String>,
}

pub struct Manifest {
    pub version: String,
    pub title: String,
    pub areas: Vec<Area>,
    pub conditions: Vec<NamedCondition>,
}

pub fn manifest(ctx: &mut ParseCtx, raw: RawManifest) -> Manifest {
    let version = ctx.text(&raw.version, "the guidance version");
    let mut conditions = Vec::new();
    for (name, when) in &raw.conditions {
        let line = ctx.line(when);
        if !is_id(name) {
            ctx.problem(
                line,
                format!(
                    "condition name '{name}' must be lowercase letters, digits, - or _, starting with a letter"
                ),
            );
        }
        if RESERVED.contains(&name.as_str()) {
            ctx.problem(
                line,
                format!("'{name}' is a word of the condition language and cannot name a condition"),
            );
        }
        if let Some(c) = ctx.condition(when) {
            conditions.push(NamedCondition {
                name: name.clone(),
                when: c,
                at: ctx.at(when),
            });
        }
    }
    let areas = raw
        .areas
        .iter()
        .map(|a| Area {
            id: ctx.id(&a.id, "area"),
            title: ctx.text(&a.title, "an area title"),
        })
        .collect();
    Manifest {
        version,
        title: raw.title,
        areas,
        conditions,
    }
}

/// Words of the condition language that cannot be used as condition names.
const RESERVED: [&str; 9] = [
    "and",
    "or",
    "not",
    "in",
    "always",
    "answered",
    "signal",
    "indicators",
    "high_indicators",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChecklist {
    #[serde(default)]
    reviewed: Option<Spanned<String>>,
    #[serde(default)]
    sources: Vec<RawSource>,
    id: Spanned<String>,
    title: Spanned<String>,
    #[serde(default)]
    order: i64,
    #[serde(default)]
    description: String,
    #[serde(default)]
    includes: Vec<Spanned<String>>,
    #[serde(default)]
    questions: Vec<RawQuestion>,
    #[serde(default)]
    triggers: Vec<RawTrigger>,
    #[serde(default)]
    duties: Vec<RawDutyRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestion {
    id: Spanned<String>,
    text: Spanned<String>,
    kind: QuestionKind,
    #[serde(default)]
    choices: Vec<RawChoice>,
    help: Option<String>,
    topic: Option<Spanned<String>>,
    #[serde(default)]
    indicator: bool,
    concern: Option<Vec<String>>,
    #[serde(default)]
    weight: Weight,
    when: Option<Spanned<String>>,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    last: bool,
    #[serde(default)]
    signals: Vec<Spanned<String>>,
    other_person: Option<Spanned<String>>,
    triage: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChoice {
    id: Spanned<String>,
    label: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrigger {
    prompt: Spanned<String>,
    when: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDutyRule {
    duty: Spanned<String>,
    when: Spanned<String>,
    #[serde(default)]
    because: String,
}

impl RawChecklist {
    pub fn provenance(&self, ctx: &ParseCtx) -> Provenance {
        provenance(ctx, &self.reviewed, &self.sources)
    }
}

impl RawPrompts {
    pub fn provenance(&self, ctx: &ParseCtx) -> Provenance {
        provenance(ctx, &self.reviewed, &self.sources)
    }
}

impl RawDuties {
    pub fn provenance(&self, ctx: &ParseCtx) -> Provenance {
        provenance(ctx, &self.reviewed, &self.sources)
    }
}

pub fn checklist(ctx: &mut ParseCtx, raw: RawChecklist) -> Checklist {
    let id = ctx.id(&raw.id, "checklist");
    let questions = raw
        .questions
        .iter()
        .map(|q| question(ctx, q, &id))
        .collect();
    let triggers = raw
        .triggers
        .iter()
        .filter_map(|t| {
            Some(Trigger {
                prompt: t.prompt.get_ref().clone(),
                when: ctx.condition(&t.when)?,
                at: ctx.at(&t.prompt),
            })
        })
        .collect();
    let duties = raw
        .duties
        .iter()
        .filter_map(|d| {
            Some(DutyRule {
                duty: d.duty.get_ref().clone(),
                when: ctx.condition(&d.when)?,
                because: d.because.trim().to_string(),
                at: ctx.at(&d.duty),
            })
        })
        .collect();
    Checklist {
        title: ctx.text(&raw.title, "the checklist title"),
        order: raw.order,
        description: raw.description.trim().to_string(),
        includes: raw.includes.iter().map(|i| i.get_ref().clone()).collect(),
        questions,
        triggers,
        duties,
        at: ctx.at(&raw.id),
        id,
    }
}

/// One question of checklist `checklist`, with its choices, help and condition checked.
fn question(ctx: &mut ParseCtx, q: &RawQuestion, checklist: &str) -> Question {
    let kind = q.kind;
    let choices: Vec<Choice> = q
        .choices
        .iter()
        .map(|c| Choice {
            id: ctx.id(&c.id, "choice"),
            label: ctx.text(&c.label, "a choice label"),
        })
        .collect();
    let line = ctx.line(&q.id);
    match kind {
        QuestionKind::Choice if choices.is_empty() => {
            ctx.problem(line, "a choice question needs choices")
        }
        QuestionKind::Choice if choices.len() > 9 => ctx.problem(
            line,
            "a choice question can have at most 9 choices (one digit each)",
        ),
        QuestionKind::YesNo | QuestionKind::Text if !choices.is_empty() => {
            ctx.problem(line, "only a choice question may list choices")
        }
        _ => {}
    }
    let help = q
        .help
        .as_ref()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty());
    if help.is_none() && q.topic.is_none() {
        ctx.problem(
            line,
            format!(
                "question '{}' has no help text and no topic link",
                q.id.get_ref()
            ),
        );
    }
    let concern = q
        .concern
        .clone()
        .unwrap_or_else(|| vec!["yes".into(), "unsure".into()]);
    Question {
        id: ctx.id(&q.id, "question"),
        text: ctx.text(&q.text, "question text"),
        kind,
        choices,
        help,
        topic: q.topic.as_ref().map(|t| t.get_ref().clone()),
        indicator: q.indicator,
        concern,
        weight: q.weight,
        when: q.when.as_ref().and_then(|w| ctx.condition(w)),
        required: q.required,
        last: q.last,
        signals: q.signals.iter().map(|s| ctx.id(s, "signal")).collect(),
        other_person: q
            .other_person
            .as_ref()
            .map(|o| ctx.text(o, "the other person's description")),
        triage: q.triage.as_ref().map(|t| ctx.id(t, "triage key")),
        checklist: checklist.to_string(),
        at: ctx.at(&q.id),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPrompts {
    #[serde(default)]
    reviewed: Option<Spanned<String>>,
    #[serde(default)]
    sources: Vec<RawSource>,
    #[serde(default)]
    prompts: Vec<RawPrompt>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrompt {
    id: Spanned<String>,
    title: Spanned<String>,
    urgency: Urgency,
    topic: Option<String>,
    #[serde(default)]
    actions: Vec<Spanned<String>>,
}

pub fn prompts(ctx: &mut ParseCtx, raw: RawPrompts) -> Vec<WelfarePrompt> {
    raw.prompts
        .iter()
        .map(|p| {
            if p.actions.is_empty() {
                let line = ctx.line(&p.id);
                ctx.problem(
                    line,
                    format!("prompt '{}' lists no actions", p.id.get_ref()),
                );
            }
            WelfarePrompt {
                id: ctx.id(&p.id, "prompt"),
                title: ctx.text(&p.title, "the prompt title"),
                urgency: p.urgency,
                topic: p.topic.clone(),
                actions: p.actions.iter().map(|a| ctx.text(a, "an action")).collect(),
                at: ctx.at(&p.id),
            }
        })
        .collect()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDuties {
    #[serde(default)]
    reviewed: Option<Spanned<String>>,
    #[serde(default)]
    sources: Vec<RawSource>,
    #[serde(default)]
    duties: Vec<RawDuty>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDuty {
    id: Spanned<String>,
    title: Spanned<String>,
    next: Spanned<String>,
    topic: Option<String>,
    reference: Option<Spanned<String>>,
    timescale: Option<RawTimescale>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTimescale {
    within: Spanned<String>,
    text: Spanned<String>,
    if_missed: Spanned<String>,
}

pub fn duties(ctx: &mut ParseCtx, raw: RawDuties) -> Vec<Duty> {
    raw.duties
        .iter()
        .map(|d| Duty {
            id: ctx.id(&d.id, "duty"),
            title: ctx.text(&d.title, "the duty title"),
            next: ctx.text(&d.next, "the duty's next step"),
            topic: d.topic.clone(),
            reference: d
                .reference
                .as_ref()
                .map(|r| ctx.text(r, "the duty's reference (what the receiving system gives)")),
            timescale: d.timescale.as_ref().and_then(|t| timescale(ctx, t)),
            at: ctx.at(&d.id),
        })
        .collect()
}

/// A duty's timescale, each field checked at its own line. "force-policy" must say so in
/// its words, so an officer never reads a guessed deadline.
fn timescale(ctx: &mut ParseCtx, t: &RawTimescale) -> Option<Timescale> {
    let text = ctx.text(&t.text, "the timescale's text");
    let if_missed = ctx.text(&t.if_missed, "the timescale's if_missed");
    let within = match Within::parse(t.within.get_ref()) {
        Ok(w) => w,
        Err(msg) => {
            let line = ctx.line(&t.within);
            ctx.problem(line, msg);
            return None;
        }
    };
    if within == Within::ForcePolicy && !text.to_lowercase().contains("force policy") {
        let line = ctx.line(&t.text);
        ctx.problem(
            line,
            "a 'force-policy' timescale's text must say \"force policy\", so no one reads it as a national deadline",
        );
    }
    Some(Timescale {
        within,
        text,
        if_missed,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSynonyms {
    #[serde(default)]
    synonyms: Vec<RawSynonym>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSynonym {
    terms: Spanned<Vec<String>>,
}

pub fn synonyms(ctx: &mut ParseCtx, raw: RawSynonyms) -> Vec<SynonymGroup> {
    // Search looks a term up in the first group that has it, so a term in two groups
    // silently loses the second. Terms are compared as search sees them: words only.
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    raw.synonyms
        .iter()
        .map(|s| {
            let line = ctx.line(&s.terms);
            let terms: Vec<String> = s
                .terms
                .get_ref()
                .iter()
                .map(|t| t.trim().to_lowercase())
                .collect();
            if terms.len() < 2 {
                ctx.problem(line, "a synonym group needs at least two terms");
            }
            if terms
                .iter()
                .any(|t| t.is_empty() || !t.chars().any(char::is_alphanumeric))
            {
                ctx.problem(line, "a synonym term is empty or has no letters or digits");
            }
            for t in &terms {
                let key = crate::text::words(t).join(" ");
                if key.is_empty() {
                    continue;
                }
                match seen.get(&key) {
                    Some(&first) if first == line => ctx.problem(
                        line,
                        format!("the synonym term '{t}' is listed twice in this group"),
                    ),
                    Some(&first) => ctx.problem(
                        line,
                        format!(
                            "the synonym term '{t}' is already in the group on line {first}; search would use only that one, so merge the groups"
                        ),
                    ),
                    None => {
                        seen.insert(key, line);
                    }
                }
            }
            SynonymGroup {
                terms,
                at: Location {
                    file: ctx.file.to_string(),
                    line,
                },
            }
        })
        .collect()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    name: Spanned<String>,
    checklist: String,
    answers: toml::Table,
    #[serde(default)]
    prompts: Vec<String>,
    #[serde(default)]
    duties: Vec<String>,
    #[serde(default)]
    not_prompts: Vec<String>,
    #[serde(default)]
    not_duties: Vec<String>,
    #[serde(default)]
    not_asked: Vec<String>,
}

pub fn scenario(ctx: &mut ParseCtx, raw: RawScenario) -> Scenario {
    let line = ctx.line(&raw.name);
    let answers = raw
        .answers
        .iter()
        .filter_map(|(k, v)| match v.as_str() {
            Some(s) => Some((k.clone(), s.to_string())),
            None => {
                ctx.problem(line, format!("scenario answer for '{k}' must be a string"));
                None
            }
        })
        .collect();
    Scenario {
        name: ctx.text(&raw.name, "the scenario name"),
        checklist: raw.checklist,
        answers,
        prompts: raw.prompts,
        duties: raw.duties,
        not_prompts: raw.not_prompts,
        not_duties: raw.not_duties,
        not_asked: raw.not_asked,
        at: ctx.at(&raw.name),
    }
}
