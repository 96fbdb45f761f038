//! Whole-set checks: ids, links, includes, conditions and reachability.
//!
//! These are the mistakes a trainer editing TOML by hand will make; each is reported with
//! the file and line to fix, all in one run, so a release is never a guessing game.

use std::collections::{HashMap, HashSet};

use super::condition::Condition;
use super::model::*;
use super::problems::Problems;
use super::reach::{Positions, satisfiable};

const YES_NO_VALUES: [&str; 4] = ["yes", "no", "unsure", "skipped"];

pub fn check(g: &Guidance, p: &mut Problems) {
    duplicates(g.areas.iter().map(|a| (a.id.as_str(), None)), "area", p);
    duplicates(
        g.topics.iter().map(|t| (t.id.as_str(), Some(&t.at))),
        "topic",
        p,
    );
    duplicates(
        g.checklists.iter().map(|c| (c.id.as_str(), Some(&c.at))),
        "checklist",
        p,
    );
    duplicates(
        g.checklists
            .iter()
            .flat_map(|c| c.questions.iter())
            .map(|q| (q.id.as_str(), Some(&q.at))),
        "question",
        p,
    );
    duplicates(
        g.prompts.iter().map(|x| (x.id.as_str(), Some(&x.at))),
        "prompt",
        p,
    );
    duplicates(
        g.duties.iter().map(|x| (x.id.as_str(), Some(&x.at))),
        "duty",
        p,
    );

    for t in &g.topics {
        if g.area(&t.area).is_none() {
            p.add(
                &t.at.file,
                2,
                format!("topic area '{}' is not one of the manifest's areas", t.area),
            );
        }
    }
    for x in &g.prompts {
        link(g, x.topic.as_deref(), &x.at, p);
    }
    for x in &g.duties {
        link(g, x.topic.as_deref(), &x.at, p);
    }
    for c in &g.checklists {
        checklist(g, c, p);
    }
    for s in &g.scenarios {
        scenario(g, s, p);
    }
}

fn duplicates<'a>(
    items: impl Iterator<Item = (&'a str, Option<&'a Location>)>,
    what: &str,
    p: &mut Problems,
) {
    let mut seen: HashMap<&str, Option<&Location>> = HashMap::new();
    for (id, at) in items {
        if let Some(first) = seen.get(id) {
            let (file, line) = at
                .map(|a| (a.file.as_str(), a.line))
                .unwrap_or(("manifest.toml", 1));
            let earlier = first
                .map(|f| format!(" (first defined at {}:{})", f.file, f.line))
                .unwrap_or_default();
            p.add(file, line, format!("duplicate {what} id '{id}'{earlier}"));
        } else {
            seen.insert(id, at);
        }
    }
}

fn link(g: &Guidance, target: Option<&str>, at: &Location, p: &mut Problems) {
    let Some(target) = target else { return };
    let (topic, section) = target
        .split_once('#')
        .map_or((target, None), |(t, s)| (t, Some(s)));
    match (g.topic(topic), section) {
        (None, _) => p.add(
            &at.file,
            at.line,
            format!("link '{target}' names an unknown topic '{topic}'"),
        ),
        (Some(t), Some(s)) if t.section(s).is_none() => p.add(
            &at.file,
            at.line,
            format!("link '{target}' names an unknown section '{s}' of topic '{topic}'"),
        ),
        _ => {}
    }
}

fn includes_cycle(g: &Guidance, start: &Checklist) -> bool {
    let mut stack: Vec<(&str, usize)> = start.includes.iter().map(|i| (i.as_str(), 1)).collect();
    while let Some((id, depth)) = stack.pop() {
        if id == start.id {
            return true;
        }
        if depth > 32 {
            return true;
        }
        if let Some(c) = g.checklist(id) {
            stack.extend(c.includes.iter().map(|i| (i.as_str(), depth + 1)));
        }
    }
    false
}

fn checklist(g: &Guidance, c: &Checklist, p: &mut Problems) {
    for inc in &c.includes {
        if g.checklist(inc).is_none() {
            p.add(
                &c.at.file,
                c.at.line,
                format!("checklist '{}' includes unknown checklist '{inc}'", c.id),
            );
        }
    }
    if includes_cycle(g, c) {
        p.add(
            &c.at.file,
            c.at.line,
            format!("checklist '{}' includes itself through its includes", c.id),
        );
        return;
    }
    if c.questions.is_empty() && c.includes.is_empty() {
        p.add(
            &c.at.file,
            c.at.line,
            format!("checklist '{}' has no questions", c.id),
        );
    }
    let Some(flat) = g.flattened(&c.id) else {
        return;
    };
    // The first definition wins: a duplicate id is reported on its own.
    let mut position: HashMap<&str, usize> = HashMap::new();
    for (i, q) in flat.questions.iter().enumerate() {
        position.entry(q.id.as_str()).or_insert(i);
    }

    let at = Positions::new(&flat, &position);
    questions(g, c, &at, p);
    rules(g, c, &at, p);
    other_people(c, &flat, p);
    triage_keys(c, &flat, p);
}

/// A question about another person (`other_person`) is never read as being about the
/// person screened: it raises no signals, no duty rule names it, and a condition that
/// names it names nothing else (so a child *seen* at the premises can never stand in
/// for the person's own age through a shared condition).
fn other_people(c: &Checklist, flat: &Flattened, p: &mut Problems) {
    let other = |id: &str| {
        flat.questions
            .iter()
            .any(|q| q.id == id && q.other_person.is_some())
    };
    for q in flat.questions.iter().filter(|q| q.checklist == c.id) {
        if q.other_person.is_some() && !q.signals.is_empty() {
            p.add(
                &q.at.file,
                q.at.line,
                format!(
                    "question '{}' is about another person (other_person), so it cannot raise signals about the person screened",
                    q.id
                ),
            );
        }
    }
    let mut conditions: Vec<(&Condition, &Location, bool)> = Vec::new();
    for q in flat.questions.iter().filter(|q| q.checklist == c.id) {
        if let Some(w) = &q.when {
            conditions.push((w, &q.at, false));
        }
    }
    conditions.extend(c.triggers.iter().map(|t| (&t.when, &t.at, false)));
    conditions.extend(c.duties.iter().map(|d| (&d.when, &d.at, true)));
    for (when, at, duty) in conditions {
        let names = when.questions();
        let Some(o) = names.iter().find(|n| other(n)) else {
            continue;
        };
        let problem = if duty {
            format!(
                "duty rule names '{o}', which is about another person (other_person); that person's duties follow in their own encounter"
            )
        } else if names.len() > 1 || when.uses_counts() || !when.signals().is_empty() {
            format!(
                "condition names '{o}', which is about another person (other_person), together with answers about the person screened; keep it in a condition of its own"
            )
        } else {
            continue;
        };
        p.add(&at.file, at.line, problem);
    }
}

/// Triage keys name one question each in a checklist's flow.
fn triage_keys(c: &Checklist, flat: &Flattened, p: &mut Problems) {
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for q in &flat.questions {
        let Some(key) = q.triage.as_deref() else {
            continue;
        };
        match seen.insert(key, q.id.as_str()) {
            Some(first) if q.checklist == c.id => p.add(
                &q.at.file,
                q.at.line,
                format!("triage key '{key}' is already used by question '{first}'"),
            ),
            _ => {}
        }
    }
}

/// Each of `c`'s own questions: its guidance link, and a condition that names only
/// earlier questions, with values they can take, and that can hold at all.
fn questions(g: &Guidance, c: &Checklist, at: &Positions, p: &mut Problems) {
    let mut unreachable: HashSet<&str> = HashSet::new();
    for (i, q) in at.flat().questions.iter().enumerate() {
        if q.checklist != c.id {
            continue; // checked with its own checklist
        }
        link(g, q.topic.as_deref(), &q.at, p);
        let Some(when) = &q.when else { continue };
        let mut ok = true;
        for name in when.questions() {
            let problem = match at.position(name) {
                None => format!("condition of '{}' names unknown question '{name}'", q.id),
                Some(j) if j >= i => format!(
                    "condition of '{}' names '{name}', which is not asked before it",
                    q.id
                ),
                _ => continue,
            };
            p.add(&q.at.file, q.at.line, problem);
            ok = false;
        }
        ok &= values(at, when, &q.at, p);
        if ok && !satisfiable(at, i, when, &unreachable) {
            p.add(
                &q.at.file,
                q.at.line,
                format!(
                    "question '{}' can never be asked: its condition can never hold",
                    q.id
                ),
            );
            unreachable.insert(q.id.as_str());
        }
    }
}

/// `c`'s triggers and duty rules: each names a known prompt or duty and a valid condition.
fn rules(g: &Guidance, c: &Checklist, at: &Positions, p: &mut Problems) {
    for t in &c.triggers {
        if g.prompt(&t.prompt).is_none() {
            p.add(
                &t.at.file,
                t.at.line,
                format!("trigger names unknown prompt '{}'", t.prompt),
            );
        }
        rule_condition(at, &t.when, &t.at, p);
    }
    for d in &c.duties {
        if g.duty(&d.duty).is_none() {
            p.add(
                &d.at.file,
                d.at.line,
                format!("duty rule names unknown duty '{}'", d.duty),
            );
        }
        rule_condition(at, &d.when, &d.at, p);
    }
}

fn rule_condition(qs: &Positions, when: &Condition, at: &Location, p: &mut Problems) {
    for name in when.questions() {
        if qs.position(name).is_none() {
            p.add(
                &at.file,
                at.line,
                format!("condition names unknown question '{name}'"),
            );
        }
    }
    values(qs, when, at, p);
}

/// Checks every compared value is a possible answer of that question's kind.
fn values(qs: &Positions, when: &Condition, at: &Location, p: &mut Problems) -> bool {
    let mut ok = true;
    for (qid, v) in when.comparisons() {
        let Some(q) = qs.question(qid) else {
            continue;
        };
        let valid = match q.kind {
            QuestionKind::YesNo => YES_NO_VALUES.contains(&v),
            QuestionKind::Choice => v == "skipped" || q.choices.iter().any(|c| c.id == v),
            QuestionKind::Text => true,
        };
        if !valid {
            p.add(
                &at.file,
                at.line,
                format!(
                    "'{v}' is not a possible answer to '{qid}' ({})",
                    q.kind.as_str()
                ),
            );
            ok = false;
        }
    }
    ok
}

fn scenario(g: &Guidance, s: &Scenario, p: &mut Problems) {
    let Some(flat) = g.flattened(&s.checklist) else {
        p.add(
            &s.at.file,
            s.at.line,
            format!("scenario names unknown checklist '{}'", s.checklist),
        );
        return;
    };
    for (qid, v) in &s.answers {
        match flat.questions.iter().find(|q| &q.id == qid) {
            None => p.add(
                &s.at.file,
                s.at.line,
                format!(
                    "scenario answers '{qid}', which is not a question of checklist '{}'",
                    s.checklist
                ),
            ),
            Some(q) => {
                let valid = match q.kind {
                    QuestionKind::YesNo => YES_NO_VALUES.contains(&v.as_str()),
                    QuestionKind::Choice => v == "skipped" || q.choices.iter().any(|c| &c.id == v),
                    QuestionKind::Text => true,
                };
                if !valid {
                    p.add(
                        &s.at.file,
                        s.at.line,
                        format!("scenario answer '{v}' is not possible for '{qid}'"),
                    );
                }
            }
        }
    }
    for id in s.prompts.iter().chain(&s.not_prompts) {
        if g.prompt(id).is_none() {
            p.add(
                &s.at.file,
                s.at.line,
                format!("scenario names unknown prompt '{id}'"),
            );
        }
    }
    for qid in &s.not_asked {
        if !flat.questions.iter().any(|q| &q.id == qid) {
            p.add(
                &s.at.file,
                s.at.line,
                format!(
                    "scenario says '{qid}' is not asked, but checklist '{}' has no such question",
                    s.checklist
                ),
            );
        }
    }
    for id in s.duties.iter().chain(&s.not_duties) {
        if g.duty(id).is_none() {
            p.add(
                &s.at.file,
                s.at.line,
                format!("scenario names unknown duty '{id}'"),
            );
        }
    }
}
