//! The few guidance ids the code itself relies on. Every other rule is data; these name
//! the facts export and the end-of-check summary must find in any guidance set (is the
//! person an adult, did they consent, is a Duty to Notify owed). Kept here, in one place,
//! and checked by the validator, so a force that renames one learns it at validation
//! rather than by a DtN copy of a child's record.

use super::model::Guidance;
use super::problems::Problems;

/// The question recording whether the person is, or may be, under 18.
pub const AGE_QUESTION: &str = "general_age";
/// Later questions that cast doubt on an "adult" age answer: the age re-check at the end,
/// and a sign that the person screened may be a child. A yes or unsure to any of them
/// makes the person a possible child, so export never anonymises the record as a DtN. A
/// set without them simply has fewer ways to raise the doubt, so they are not required.
pub const AGE_DOUBT_QUESTIONS: [&str; 2] = ["general_age_recheck", "sexual_child_signs"];
/// The question recording the adult's decision about an NRM referral.
pub const CONSENT_QUESTION: &str = "general_nrm_consent";
/// The consent question's choice meaning informed consent was given.
pub const CONSENT_GIVEN: &str = "consents";
/// The consent question's choice meaning the adult declined.
pub const CONSENT_DECLINED: &str = "declines";
/// The checklist run only for children.
pub const CHILD_CHECKLIST: &str = "child";
/// The Duty to Notify duty (MSA 2015 s52).
pub const DTN_DUTY: &str = "duty-to-notify";

/// Reports each id above that the guidance set does not define.
pub fn check(g: &Guidance, p: &mut Problems) {
    let manifest = "manifest.toml";
    let question = |id: &str| {
        g.checklists
            .iter()
            .flat_map(|c| c.questions.iter())
            .find(|q| q.id == id)
    };
    if question(AGE_QUESTION).is_none() {
        p.add(
            manifest,
            1,
            format!("no checklist defines the question '{AGE_QUESTION}', which export relies on to tell a child from an adult"),
        );
    }
    match question(CONSENT_QUESTION) {
        None => p.add(
            manifest,
            1,
            format!("no checklist defines the question '{CONSENT_QUESTION}', which export relies on for NRM consent"),
        ),
        Some(q) => {
            for choice in [CONSENT_GIVEN, CONSENT_DECLINED] {
                if !q.choices.iter().any(|c| c.id == choice) {
                    p.add(
                        &q.at.file,
                        q.at.line,
                        format!("question '{CONSENT_QUESTION}' has no choice '{choice}', which export relies on"),
                    );
                }
            }
        }
    }
    if g.checklists.iter().all(|c| c.id != CHILD_CHECKLIST) {
        p.add(
            manifest,
            1,
            format!("there is no checklist '{CHILD_CHECKLIST}', which export relies on to refuse a DtN copy for a child"),
        );
    }
    if g.duties.iter().all(|d| d.id != DTN_DUTY) {
        p.add(
            manifest,
            1,
            format!("there is no duty '{DTN_DUTY}', which export relies on"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_guidance_defines_every_id_the_code_relies_on() {
        let g = crate::guidance::load(None).unwrap();
        let mut p = Problems::default();
        check(&g, &mut p);
        assert!(p.is_empty(), "{p:?}");
    }

    #[test]
    fn a_renamed_id_is_reported() {
        let mut g = crate::guidance::load(None).unwrap();
        g.duties.retain(|d| d.id != DTN_DUTY);
        let mut p = Problems::default();
        check(&g, &mut p);
        assert_eq!(p.len(), 1, "{p:?}");
    }
}
