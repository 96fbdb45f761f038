//! Hostile text is stored as typed but never acts on a terminal, a Markdown viewer or a
//! spreadsheet: ESC/OSC/BEL/CR/backspace/NUL/C1 controls and bidi overrides are shown
//! escaped, and CSV cells that start like a formula are neutralised.

use crate::common::{db, msht, record};

const EVIL_OFFICER: &str = "PC 1\u{1b}[2J\u{1b}]0;pwned\u{7}";
const EVIL_LOCATION: &str = "=HYPERLINK(\"http://x\")\r\u{8}\u{9b}31m\u{202e}dlrow";
const EVIL_NOTE: &str = "@SUM(1)\rIntegrity: verified\u{0}";

fn hostile_record(db: &std::path::Path) -> String {
    let answers = serde_json::json!({
        "checklist": "general",
        "officer": EVIL_OFFICER,
        "location": EVIL_LOCATION,
        "notes": EVIL_NOTE,
        "answers": {"general_nation": "england", "general_danger": "no", "general_age": "no", "general_documents": "no",
            "general_consent_alone": "yes", "general_consent_understood": "yes", "general_consent_explained": "yes",
            "general_nrm_consent": "skip"}
    });
    record(db, &answers.to_string())
}

fn assert_inert(what: &str, text: &str) {
    for bad in [
        '\u{1b}', '\u{7}', '\r', '\u{8}', '\u{0}', '\u{9b}', '\u{202e}',
    ] {
        assert!(
            !text.contains(bad),
            "{what} carries {:?} raw:\n{text}",
            bad as u32
        );
    }
}

#[test]
fn show_list_and_every_export_render_hostile_text_inert() {
    let (_d, db) = db();
    let id = hostile_record(&db);
    for args in [
        vec!["encounters", "show", id.as_str()],
        vec!["encounters", "list"],
        vec!["export", id.as_str(), "--format", "md"],
        vec!["export", id.as_str(), "--format", "csv"],
    ] {
        let out = msht(&db).args(&args).env("NO_COLOR", "1").output().unwrap();
        assert!(out.status.success(), "{args:?}");
        // CSV ends its rows with CRLF (RFC 4180): that CR is the format's, not the data's.
        let text = String::from_utf8(out.stdout).unwrap().replace("\r\n", "\n");
        assert_inert(&format!("{args:?}"), &text);
    }
}

#[test]
fn the_record_keeps_exactly_what_was_typed() {
    let (_d, db) = db();
    let id = hostile_record(&db);
    let out = msht(&db)
        .args(["export", &id, "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["officer"], EVIL_OFFICER);
    assert_eq!(v["location"], EVIL_LOCATION);
}

#[test]
fn csv_cells_that_start_like_a_formula_are_neutralised() {
    let (_d, db) = db();
    let id = hostile_record(&db);
    let out = msht(&db)
        .args(["export", &id, "--format", "csv"])
        .output()
        .unwrap();
    let mut r = csv::Reader::from_reader(out.stdout.as_slice());
    let headers = r.headers().unwrap().clone();
    let row = r.records().next().unwrap().unwrap();
    let cell = |name: &str| {
        row.get(headers.iter().position(|h| h == name).unwrap())
            .unwrap()
            .to_string()
    };
    assert!(
        cell("location").starts_with("'=HYPERLINK"),
        "{}",
        cell("location")
    );
    assert!(cell("notes").starts_with("'@SUM"), "{}", cell("notes"));
}

#[test]
fn an_error_quoting_hostile_input_shows_it_escaped() {
    let (_d, db) = db();
    let out = msht(&db)
        .args(["encounters", "show", "\u{1b}]0;pwned\u{7}"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(66));
    assert_inert("stderr", &String::from_utf8_lossy(&out.stderr));
}
