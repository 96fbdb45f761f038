//! The next step after an error: the command or flag to use. Domain errors say what went
//! wrong in domain terms; only the CLI knows its own command names and flags, so the
//! advice that names them is added here, in one place.

use crate::answers::AnswersError;
use crate::engine::EngineError;
use crate::error::Error;
use crate::export::ExportError;
use crate::follow::FollowError;
use crate::guidance::GuidanceError;
use crate::record::Status;
use crate::search::SearchError;
use crate::store::StoreError;
use crate::store::key::KeyError;
use crate::sync::SyncError;

/// What the user can run or change next, if there is something useful to say.
pub fn next_step(e: &Error) -> Option<String> {
    match e {
        Error::Guidance(g) => guidance(g),
        Error::Engine(EngineError::UnknownQuestion { checklist, .. }) => {
            Some(format!("`msht checklist show {checklist}` lists them"))
        }
        Error::Engine(EngineError::Guidance(g)) => guidance(g),
        Error::Answers(a) => answers(a),
        Error::Store(s) => store(s),
        Error::Search(s) => search(s),
        Error::Export(x) => export(x),
        Error::Sync(s) => sync(s),
        Error::Follow(f) => follow(f),
        _ => None,
    }
}

fn follow(e: &FollowError) -> Option<String> {
    Some(match e {
        FollowError::ReferenceRequired { .. } => {
            "give it with --ref REFERENCE, or record --in-progress until you have it".into()
        }
        FollowError::UnknownDuty { encounter, .. }
        | FollowError::NotApplicable { encounter, .. } => {
            format!("`msht encounters show {encounter}` lists its duties")
        }
        FollowError::OpenAtSignOff { .. } => {
            "record them with `msht encounters duty` first, or sign with --accept-open \"REASON\""
                .into()
        }
        FollowError::ReviewAltered { .. } => {
            "`msht doctor` lists every one; report it to your supervisor".into()
        }
        FollowError::Store(s) => return store(s),
    })
}

fn guidance(e: &GuidanceError) -> Option<String> {
    Some(match e {
        GuidanceError::MissingDir(_) | GuidanceError::NotADir(_) => {
            "check --guidance or MSHT_GUIDANCE".into()
        }
        GuidanceError::Invalid { .. } => {
            "run `msht guidance validate` on it to see every problem".into()
        }
        GuidanceError::UnknownTopic(_) => "`msht guide list` shows the topics".into(),
        GuidanceError::UnknownSection(topic, _) => {
            format!("`msht guide show {topic}` lists its sections")
        }
        GuidanceError::UnknownChecklist(_) => "`msht checklist list` shows the checklists".into(),
        GuidanceError::Read(..) => return None,
        GuidanceError::Refused(..) => "remove it from the guidance folder".into(),
    })
}

fn answers(e: &AnswersError) -> Option<String> {
    match e {
        AnswersError::UnknownChecklist(_) => {
            Some("`msht checklist list` shows the checklists".into())
        }
        AnswersError::UnknownQuestion { checklist, .. } => {
            Some(format!("`msht checklist show {checklist}` lists them"))
        }
        _ => None,
    }
}

fn store(e: &StoreError) -> Option<String> {
    Some(match e {
        StoreError::NoDataDir => "pass --db PATH or set MSHT_DB".into(),
        StoreError::Key(KeyError::NoTerminal { .. }) => {
            "give a raw key file with --key-file PATH (or MSHT_KEY_FILE)".into()
        }
        StoreError::Key(KeyError::NoKey { .. }) => {
            "give its raw key file with --key-file PATH (or MSHT_KEY_FILE)".into()
        }
        StoreError::NotADatabase { .. } => {
            "pass --db (or MSHT_DB) with the right file, or a new file name".into()
        }
        StoreError::NotFound { .. } => "`msht encounters list` shows the encounters".into(),
        StoreError::NotDraft { id, status, .. } => match status {
            Status::Void => "a void record takes nothing more".into(),
            _ => format!(
                "a complete record is corrected with `msht encounters amend {id} --reason ...`"
            ),
        },
        StoreError::NotComplete { id, status } if *status == Status::Draft => format!(
            "finish it with `msht encounters complete {id}` or keep answering with `msht check --resume {id}`"
        ),
        StoreError::ReasonRequired { what } if what.starts_with("a sign-off") => {
            "give one with --accept-open \"REASON\"".into()
        }
        StoreError::ReasonRequired { .. } => "give one with --reason TEXT".into(),
        StoreError::NotSignable { id, status } if *status == Status::Draft => {
            format!("finish it first with `msht encounters complete {id}`")
        }
        StoreError::SummaryAltered(_) => "`msht doctor` lists every difference".into(),
        StoreError::SceneNotFound { .. } => "`msht scene list` shows the scenes".into(),
        StoreError::SceneRule(crate::record::SceneRuleBreak::Closed(..)) => {
            "open a new scene with `msht check --new-scene`".into()
        }
        StoreError::SceneTampered(_) | StoreError::ScenesAltered(_) => {
            "`msht doctor` lists every problem".into()
        }
        StoreError::BadEvent(m) if m.starts_with("an amendment must") => {
            "use --question and --answer, or --note".into()
        }
        _ => return None,
    })
}

fn search(e: &SearchError) -> Option<String> {
    Some(match e {
        SearchError::EmptyQuery | SearchError::NoWords => {
            "type some words, for example: msht search debt bondage".into()
        }
        SearchError::BadLimit => "give --limit a number in that range".into(),
        _ => return None,
    })
}

fn export(e: &ExportError) -> Option<String> {
    Some(match e {
        ExportError::ChildDtn(id) => {
            format!("`msht export {id} --format md` gives the full record for the referral")
        }
        ExportError::AgeUnknownDtn(id) => format!(
            "if they are an adult, amend the age answer with `msht encounters amend {id}`; otherwise make an NRM referral"
        ),
        ExportError::Voided { .. } => "add --include-void to export it, marked as void".into(),
        ExportError::Exists(_) => "add --force to replace it, or choose another --out path".into(),
        ExportError::Chain(..) => "run `msht doctor` and report it to your supervisor".into(),
        ExportError::Empty(_) => "run `msht doctor`".into(),
        _ => return None,
    })
}

fn sync(e: &SyncError) -> Option<String> {
    match e {
        SyncError::NotAFolder { .. } => Some("give `sync push --to` a folder".into()),
        SyncError::NoFolder { .. } => Some(
            "create it, or give `sync push --to` (or `msht config set sync_folder`) a folder that exists".into(),
        ),
        SyncError::LeftOut(_) => {
            Some("`msht doctor` lists every damaged record; report them to your supervisor".into())
        }
        SyncError::Store(s) => store(s),
        SyncError::NotEnrolled => Some(
            "ask the hub for its key (`msht sync hub key` there) and run `msht sync enroll HUBKEY` here".into(),
        ),
        SyncError::NotAHub => Some("`msht sync hub init` makes this database a hub".into()),
        SyncError::NoSuchDevice(_) => Some("`msht sync hub` lists the trusted devices".into()),
        SyncError::Key(crate::sync::keys::KeyError::Malformed { .. }) => {
            Some("copy the whole line the other side printed, from msht- to the end".into())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_done_duty_without_its_reference_is_told_the_flag() {
        let e = Error::Follow(FollowError::ReferenceRequired {
            duty: "nrm-referral".into(),
            title: "NRM referral".into(),
            what: "NRM referral reference".into(),
        });
        assert!(!e.to_string().contains("--"), "{e}");
        assert!(next_step(&e).unwrap().contains("--ref"));
    }

    #[test]
    fn a_void_record_is_never_told_to_amend() {
        let e = Error::Store(StoreError::NotDraft {
            id: "x".into(),
            status: Status::Void,
            what: "a welfare action",
        });
        let hint = next_step(&e).unwrap();
        assert!(!hint.contains("amend"), "{hint}");
    }

    #[test]
    fn the_hint_names_the_command_the_domain_message_leaves_out() {
        let e = Error::Guidance(GuidanceError::UnknownTopic("x".into()));
        assert!(!e.to_string().contains("msht "));
        assert!(next_step(&e).unwrap().contains("msht guide list"));
    }
}
