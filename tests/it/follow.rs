//! Follow-through (issue 15) through the real binary: duty outcomes with references,
//! timescales from the guidance, the review queue, a supervisor's sign-off, on a device
//! and on a hub filled by sync.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{db, enroll, files, msht, push, raw_connection, record, run, run_ok};

/// A child (England) with a controller present and significant harm: children's services
/// and the NRM referral follow.
const CHILD: &str = r#"{"checklist":"general","officer":"PC 11","location":"car wash","answers":{"general_nation":"england","general_danger":"no","general_age":"yes","general_controller_present":"yes","child_adult_no_pr":"yes","general_child_harm":"yes"}}"#;

/// An adult who declines the NRM with an indicator: a Duty to Notify follows.
const ADULT_DECLINES: &str = r#"{"checklist":"general","officer":"PC 22","location":"nail bar","answers":{"general_nation":"england","general_danger":"no","general_age":"no","general_documents":"yes","general_debt":"yes","general_consent_alone":"yes","general_consent_understood":"yes","general_consent_explained":"yes","general_nrm_consent":"declines"}}"#;

fn json(db: &Path, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    serde_json::from_str(&run_ok(db, &all)).unwrap()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

fn flat(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn schema_errors(v: &Value) -> Vec<String> {
    let schema: Value = serde_json::from_str(msht::export::JSON_SCHEMA).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    validator
        .iter_errors(v)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect()
}

/// The queue's encounter ids, oldest first.
fn queue_ids(db: &Path, args: &[&str]) -> Vec<String> {
    let mut all = vec!["review"];
    all.extend_from_slice(args);
    json(db, &all)["encounters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["encounter_id"].as_str().unwrap().to_string())
        .collect()
}

fn follow_of<'a>(show: &'a Value, duty: &str) -> &'a Value {
    show["follow"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == duty)
        .unwrap_or_else(|| panic!("no duty {duty} in {show}"))
}

#[test]
fn a_child_encounter_duties_done_with_references_then_signed() {
    let (_d, db) = db();
    let id = record(&db, CHILD);
    let show = json(&db, &["encounters", "show", &id]);
    assert!(follow_of(&show, "childrens-services")["applies"] == true);
    assert!(follow_of(&show, "nrm-referral")["applies"] == true);
    assert_eq!(
        queue_ids(&db, &[]),
        std::slice::from_ref(&id),
        "open duties put it in the queue"
    );

    // Children's services gives a reference, so "done" without one is refused whole.
    let out = run(
        &db,
        &[
            "encounters",
            "duty",
            &id,
            "childrens-services",
            "--done",
            "--officer",
            "PC 11",
        ],
    );
    assert_eq!(out.status.code(), Some(65), "{}", stderr(&out));
    let err = flat(&stderr(&out));
    assert!(err.contains("Children's services reference"), "{err}");
    assert!(err.contains("--ref"), "the hint names the flag: {err}");
    assert_eq!(err.lines().count(), 1);
    let before = json(&db, &["encounters", "show", &id])["event_count"].clone();
    assert_eq!(before, show["event_count"], "nothing was written");

    for (duty, reference) in [
        ("childrens-services", "CS-2026-0042"),
        ("nrm-referral", "NRM-77812"),
    ] {
        run_ok(
            &db,
            &[
                "encounters",
                "duty",
                &id,
                duty,
                "--done",
                "--ref",
                reference,
                "--officer",
                "PC 11",
            ],
        );
    }
    let show = json(&db, &["encounters", "show", &id]);
    let cs = follow_of(&show, "childrens-services");
    assert_eq!(cs["outcome"], "done");
    assert_eq!(cs["reference"], "CS-2026-0042");
    assert_eq!(cs["history"][0]["officer"], "PC 11");
    assert_eq!(follow_of(&show, "nrm-referral")["reference"], "NRM-77812");

    // Welfare prompts and the supervisor duty are still open: signing needs a reason.
    let out = run(&db, &["review", "sign", &id, "--supervisor", "Sgt 7"]);
    assert_eq!(out.status.code(), Some(65), "{}", stderr(&out));
    assert!(
        flat(&stderr(&out)).contains("--accept-open"),
        "{}",
        stderr(&out)
    );
    run_ok(
        &db,
        &[
            "review",
            "sign",
            &id,
            "--supervisor",
            "Sgt 7",
            "--accept-open",
            "prompts dealt with at the scene, see notes",
        ],
    );

    let text = flat(&run_ok(&db, &["encounters", "show", &id]));
    assert!(text.contains("reference CS-2026-0042"), "{text}");
    assert!(text.contains("reference NRM-77812"), "{text}");
    assert!(text.contains("signed off by Sgt 7"), "{text}");
    assert!(
        text.contains("open when signed: Crime record (duty); Supervisor notification (duty)"),
        "{text}"
    );

    let md = flat(&run_ok(&db, &["export", &id, "--format", "md"]));
    assert!(md.contains("done at"), "{md}");
    assert!(md.contains("reference CS-2026-0042"), "{md}");
    assert!(md.contains("Signed off by Sgt 7"), "{md}");
    assert!(
        md.contains("Open when signed: Crime record (duty); Supervisor notification (duty)"),
        "{md}"
    );
    assert!(
        md.contains("Accepted because: prompts dealt with at the scene"),
        "{md}"
    );

    let v: Value =
        serde_json::from_str(&run_ok(&db, &["export", &id, "--format", "json"])).unwrap();
    assert_eq!(schema_errors(&v), Vec::<String>::new());
    assert_eq!(v["schema_version"], 2);
    assert_eq!(v["sign_offs"][0]["supervisor"], "Sgt 7");
    let types: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["body"]["type"].as_str().unwrap())
        .collect();
    assert!(types.contains(&"duty_outcome") && types.contains(&"signed_off"));

    let csv = run_ok(&db, &["export", &id, "--format", "csv"]);
    let mut rd = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
    let row: Vec<String> = rd
        .records()
        .next()
        .unwrap()
        .unwrap()
        .iter()
        .map(String::from)
        .collect();
    let col = |name: &str| row[header.iter().position(|h| h == name).unwrap()].clone();
    assert_eq!(
        &header[..24].last().unwrap()[..],
        "head_hash",
        "new columns only at the end"
    );
    assert!(col("duty_outcomes").contains("childrens-services=done:CS-2026-0042"));
    assert_eq!(col("signed_off_by"), "Sgt 7");
}

/// A copy of the built-in guidance whose DtN has a counted timescale, as a force may set
/// in its own copy (the bundled one says "force policy").
fn guidance_with_dtn_within(dir: &Path, within: &str) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("guidance");
    let dst = dir.join("guidance");
    copy_dir(&src, &dst);
    let p = dst.join("duties.toml");
    let text = std::fs::read_to_string(&p).unwrap();
    let old = "timescale = { within = \"force-policy\", text = \"Force policy: the law sets no timescale for the notification; follow your force's.\"";
    assert!(text.contains(old), "the DtN timescale line moved");
    let new = format!(
        "timescale = {{ within = \"{within}\", text = \"Within {within} (this force's policy).\""
    );
    std::fs::write(&p, text.replace(old, &new)).unwrap();
    dst
}

fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), to).unwrap();
        }
    }
}

fn hours_from_now(h: i64) -> String {
    let t = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(h);
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[test]
fn an_adult_dtn_is_overdue_against_the_guidance_timescale() {
    let (d, db) = db();
    let g = guidance_with_dtn_within(d.path(), "2h");
    let with = |args: &[&str]| -> Value {
        let mut all = args.to_vec();
        all.push("--json");
        let out = msht(&db)
            .env("MSHT_GUIDANCE", &g)
            .args(&all)
            .output()
            .unwrap();
        assert!(out.status.success(), "{all:?}: {}", stderr(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let id = record(&db, ADULT_DECLINES);
    let later = hours_from_now(3);

    assert_eq!(with(&["review", "--overdue"])["total"], 0, "not due yet");
    let q = with(&["review", "--overdue", "--as-of", &later]);
    assert_eq!(q["total"], 1, "{q}");
    let e = &q["encounters"][0];
    assert_eq!(e["encounter_id"], id.as_str());
    assert_eq!(e["overdue"], true);
    let dtn = e["open"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "duty-to-notify")
        .unwrap();
    assert_eq!(dtn["overdue"], true);
    assert_eq!(dtn["timescale"], "Within 2h (this force's policy).");
    assert!(dtn["if_missed"].as_str().unwrap().contains("supervisor"));
    assert!(dtn["open_seconds"].as_i64().unwrap() >= 3 * 3600 - 60);
    // The crime record stays "force policy" in this copy: never overdue.
    let crime = e["open"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "crime-record")
        .unwrap();
    assert_eq!(crime["overdue"], false);

    let text = flat(
        &String::from_utf8(
            msht(&db)
                .env("MSHT_GUIDANCE", &g)
                .args(["review", "--overdue", "--as-of", &later])
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap(),
    );
    assert!(
        text.contains("OVERDUE (Within 2h (this force's policy).)"),
        "{text}"
    );

    // The bundled guidance says "force policy" for the DtN: no overdue mark, ever.
    let far = hours_from_now(24 * 30);
    assert_eq!(
        json(&db, &["review", "--overdue", "--as-of", &far])["total"],
        0
    );
    assert_eq!(json(&db, &["review", "--as-of", &far])["total"], 1);

    // Done, with its reference: no longer overdue, whatever the time.
    let out = msht(&db)
        .env("MSHT_GUIDANCE", &g)
        .args([
            "encounters",
            "duty",
            &id,
            "duty-to-notify",
            "--done",
            "--ref",
            "DTN-5",
            "--officer",
            "PC 22",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        with(&["review", "--overdue", "--as-of", &later])["total"],
        0
    );
}

#[test]
fn a_supervisor_signs_off_on_a_hub_after_sync_from_two_devices() {
    let t = tempfile::tempdir().unwrap();
    let (a, b, hub, share) = (
        t.path().join("a.db"),
        t.path().join("b.db"),
        t.path().join("hub.db"),
        t.path().join("share"),
    );
    std::fs::create_dir(&share).unwrap();
    enroll(&hub, &[&a, &b]);
    let child = record(&a, CHILD);
    run_ok(
        &a,
        &[
            "encounters",
            "duty",
            &child,
            "childrens-services",
            "--done",
            "--ref",
            "CS-1",
            "--officer",
            "PC 11",
        ],
    );
    let adult = record(&b, ADULT_DECLINES);
    run_ok(
        &b,
        &[
            "encounters",
            "duty",
            &adult,
            "duty-to-notify",
            "--done",
            "--ref",
            "DTN-9",
            "--officer",
            "PC 22",
        ],
    );
    run_ok(
        &b,
        &[
            "encounters",
            "duty",
            &adult,
            "crime-record",
            "--in-progress",
            "--officer",
            "PC 22",
        ],
    );
    push(&a, &share);
    push(&b, &share);
    assert_eq!(
        files(&share, "mshtbundle").len(),
        2,
        "{:?}",
        files(&share, "mshtbundle")
    );
    run_ok(&hub, &["sync", "import", share.to_str().unwrap()]);

    // The hub's queue holds both, oldest first, with what the devices recorded.
    let q = json(&hub, &["review"]);
    assert_eq!(queue_ids(&hub, &[]), [child.clone(), adult.clone()], "{q}");
    assert_eq!(
        queue_ids(&hub, &["--officer", "PC 22"]),
        std::slice::from_ref(&adult)
    );
    let adult_open: Vec<(String, String)> = q["encounters"][1]["open"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["id"].as_str().unwrap().into(),
                i["state"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        adult_open.contains(&("crime-record".into(), "in_progress".into())),
        "{adult_open:?}"
    );
    assert!(
        !adult_open.iter().any(|(id, _)| id == "duty-to-notify"),
        "done on the device"
    );

    run_ok(
        &hub,
        &[
            "review",
            "sign",
            &adult,
            "--supervisor",
            "Sgt 3",
            "--note",
            "checked",
            "--accept-open",
            "crime record under way",
        ],
    );
    let show = json(&hub, &["encounters", "show", &adult]);
    assert_eq!(show["sign_offs"][0]["supervisor"], "Sgt 3");
    assert_eq!(show["sign_offs"][0]["open"][0]["id"], "crime-record");
    assert_eq!(follow_of(&show, "duty-to-notify")["reference"], "DTN-9");
    let at = hours_from_now(1);
    let q = json(&hub, &["review", "--as-of", &at]);
    assert_eq!(q["encounters"][1]["signed_by"], "Sgt 3");

    // Importing the same bundles again changes nothing; the queue and doctor agree.
    run_ok(&hub, &["sync", "import", share.to_str().unwrap()]);
    let again = json(&hub, &["review", "--as-of", &at]);
    assert_eq!(again["encounters"], q["encounters"]);
    assert_eq!(
        json(&hub, &["encounters", "show", &adult])["event_count"],
        show["event_count"]
    );
    let doctor = json(&hub, &["doctor"]);
    assert_eq!(doctor["ok"], true, "{doctor}");
    assert_eq!(doctor["review_differences"], Value::Array(vec![]));
}

#[test]
fn an_amendment_keeps_outcomes_and_marks_a_duty_that_no_longer_applies() {
    let (_d, db) = db();
    let id = record(&db, ADULT_DECLINES);
    run_ok(
        &db,
        &[
            "encounters",
            "duty",
            &id,
            "duty-to-notify",
            "--done",
            "--ref",
            "DTN-1",
            "--officer",
            "PC 22",
        ],
    );
    run_ok(
        &db,
        &[
            "encounters",
            "amend",
            &id,
            "--reason",
            "they consented after all",
            "--question",
            "general_nrm_consent",
            "--answer",
            "consents",
        ],
    );
    let show = json(&db, &["encounters", "show", &id]);
    let dtn = follow_of(&show, "duty-to-notify");
    assert_eq!(dtn["applies"], false, "{dtn}");
    assert_eq!(dtn["outcome"], "done");
    assert_eq!(dtn["reference"], "DTN-1", "the outcome stays");
    let nrm = follow_of(&show, "nrm-referral");
    assert_eq!(nrm["applies"], true);
    assert!(nrm["outcome"].is_null());
    assert_eq!(
        nrm["since"], show["amendments"][0]["at"],
        "it applies from the amendment"
    );
    let text = flat(&run_ok(&db, &["encounters", "show", &id]));
    assert!(
        text.contains("reference DTN-1 → no longer applies"),
        "{text}"
    );
    // Nothing more can be recorded for a duty that no longer applies.
    let out = run(
        &db,
        &[
            "encounters",
            "duty",
            &id,
            "duty-to-notify",
            "--in-progress",
            "--officer",
            "PC 22",
        ],
    );
    assert_eq!(out.status.code(), Some(65), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("does not follow from the answers"),
        "{}",
        stderr(&out)
    );
    let v: Value =
        serde_json::from_str(&run_ok(&db, &["export", &id, "--format", "json"])).unwrap();
    assert_eq!(schema_errors(&v), Vec::<String>::new());
}

#[test]
fn unknown_duties_void_records_and_drafts_are_refused_in_one_sentence() {
    let (_d, db) = db();
    let id = record(&db, ADULT_DECLINES);
    let duty = |args: &[&str]| {
        let mut all = vec!["encounters", "duty", &id];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--officer", "PC 22"]);
        run(&db, &all)
    };
    let out = duty(&["no-such-duty", "--done"]);
    assert_eq!(out.status.code(), Some(65));
    assert!(
        stderr(&out).contains("the guidance has no duty 'no-such-duty'"),
        "{}",
        stderr(&out)
    );
    let out = duty(&["nrm-referral", "--done", "--ref", "X"]);
    assert_eq!(out.status.code(), Some(65));
    assert!(
        stderr(&out).contains("duty-to-notify"),
        "lists its duties: {}",
        stderr(&out)
    );
    let out = duty(&["crime-record", "--not-needed"]);
    assert_eq!(out.status.code(), Some(64), "--not-needed needs --reason");
    run_ok(
        &db,
        &[
            "encounters",
            "duty",
            &id,
            "crime-record",
            "--not-needed",
            "--reason",
            "recorded by CID",
            "--officer",
            "PC 22",
        ],
    );
    // No officer anywhere: refused, not guessed.
    let out = run(&db, &["encounters", "duty", &id, "supervisor", "--done"]);
    assert_eq!(out.status.code(), Some(64), "{}", stderr(&out));

    run_ok(&db, &["encounters", "void", &id, "--reason", "duplicate"]);
    let out = duty(&["supervisor", "--done"]);
    assert_eq!(out.status.code(), Some(65));
    assert!(stderr(&out).contains("void"), "{}", stderr(&out));
    let out = run(&db, &["review", "sign", &id, "--supervisor", "Sgt 1"]);
    assert_eq!(out.status.code(), Some(65));
    assert!(
        queue_ids(&db, &[]).is_empty(),
        "a void record has nothing open"
    );
}

#[test]
fn guidance_validate_names_a_bad_timescale_with_file_and_line() {
    let d = tempfile::tempdir().unwrap();
    let g = guidance_with_dtn_within(d.path(), "soon");
    let out = msht(&d.path().join("x.db"))
        .args(["guidance", "validate", g.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(65), "{}", stderr(&out));
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    let text = std::fs::read_to_string(g.join("duties.toml")).unwrap();
    let line = text
        .lines()
        .position(|l| l.contains("within = \"soon\""))
        .unwrap()
        + 1;
    assert!(
        all.contains(&format!(
            "duties.toml:{line}: timescale 'soon' is not one of"
        )),
        "{all}"
    );
    // "force-policy" must say so in its words.
    let p = g.join("duties.toml");
    let fixed = text.replace(
        "within = \"soon\", text = \"Within soon (this force's policy).\"",
        "within = \"force-policy\", text = \"Within a day.\"",
    );
    std::fs::write(&p, fixed).unwrap();
    let out = msht(&d.path().join("x.db"))
        .args(["guidance", "validate", g.to_str().unwrap()])
        .output()
        .unwrap();
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(all.contains("must say \"force policy\""), "{all}");
}

#[test]
fn doctor_names_a_review_row_changed_behind_mshts_back() {
    let (_d, db) = db();
    let id = record(&db, ADULT_DECLINES);
    assert_eq!(queue_ids(&db, &[]), std::slice::from_ref(&id));
    // Hide the encounter from its supervisor by editing the cache.
    raw_connection(&db)
        .execute("UPDATE review SET open_count = 0, items = '[]'", [])
        .unwrap();
    assert!(
        queue_ids(&db, &[]).is_empty(),
        "the forged row is what the queue reads"
    );
    let out = run(&db, &["doctor"]);
    assert_eq!(out.status.code(), Some(65), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("review queue's line for encounter {id}")),
        "{}",
        stderr(&out)
    );
    // Any new event makes the row stale, and the queue re-derives it.
    run_ok(
        &db,
        &[
            "encounters",
            "duty",
            &id,
            "crime-record",
            "--in-progress",
            "--officer",
            "PC 22",
        ],
    );
    assert_eq!(queue_ids(&db, &[]), [id]);
}
