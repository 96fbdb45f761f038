//! Issue 14: scenes with several people, each with their own linked encounter, driven
//! through scene files (`check --answers` with `people`) so every rule is tested without
//! a terminal. The three scenarios of the issue, plus the store's rules for scenes.

use serde_json::{Value, json};

use crate::common::{db, msht, open, raw_connection, record, run, run_ok};

/// Runs `check --answers - --json` on a scene file (optionally with more args).
fn scene_file(db: &std::path::Path, file: &Value, extra: &[&str]) -> Value {
    let mut args = vec!["check", "--answers", "-", "--json"];
    args.extend(extra);
    let out = msht(db)
        .args(&args)
        .write_stdin(file.to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn ids(v: &Value, field: &str) -> Vec<String> {
    v[field]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_string())
        .collect()
}

fn show(db: &std::path::Path, scene: &str) -> Value {
    serde_json::from_str(&run_ok(db, &["scene", "show", scene, "--json"])).unwrap()
}

const ADULT_IN_BROTHEL: &str = r#"{"general_danger":"no","general_age":"no","sexual_controlled":"yes","sexual_child_signs":"no","sexual_other_child":"yes","general_consent_alone":"yes","general_consent_understood":"yes","general_consent_explained":"yes","general_nrm_consent":"declines"}"#;

fn adult_answers() -> Value {
    serde_json::from_str(ADULT_IN_BROTHEL).unwrap()
}

#[test]
fn a_child_seen_at_a_brothel_gets_their_own_encounter_and_the_adults_duties_are_unchanged() {
    let (_d, db) = db();
    // The adult alone, with no scene: the duties a child seen there must not change.
    let mut alone = json!({"checklist": "sexual", "officer": "PC 1", "answers": adult_answers()});
    alone["answers"]["general_nation"] = json!("england");
    let single: Value = serde_json::from_str(
        &String::from_utf8(
            msht(&db)
                .args(["check", "--answers", "-", "--json"])
                .write_stdin(alone.to_string())
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap(),
    )
    .unwrap();
    let file = json!({
        "scene": {"location": "12 High St", "description": "brothel warrant"},
        "officer": "PC 1",
        "shared": {"general_nation": "england"},
        "people": [
            {"label": "woman, room 2", "checklist": "sexual", "answers": adult_answers()},
            {"label": "girl in the kitchen", "raised_by": "woman, room 2",
             "answers": {"general_danger": "no", "general_age": "yes", "general_child_harm": "yes"}}
        ]
    });
    let out = scene_file(&db, &file, &[]);
    let adult = &out["people"][0];
    let child = &out["people"][1];
    assert_eq!(ids(adult, "duties"), ids(&single, "duties"));
    let adult_duties = ids(adult, "duties");
    assert!(adult_duties.contains(&"duty-to-notify".to_string()));
    for d in ["childrens-services", "nrm-referral"] {
        assert!(!adult_duties.contains(&d.to_string()), "{adult_duties:?}");
    }
    assert!(ids(adult, "welfare_prompts").contains(&"other-child".to_string()));
    assert_eq!(adult["others_raised"][0]["question"], "sexual_other_child");
    let child_duties = ids(child, "duties");
    assert!(
        child_duties.contains(&"childrens-services".to_string()),
        "{child_duties:?}"
    );
    assert!(!child_duties.contains(&"duty-to-notify".to_string()));
    assert!(ids(child, "welfare_prompts").contains(&"child-safeguarding".to_string()));
    assert!(
        out["noted"].as_array().unwrap().is_empty(),
        "the child was screened, not noted"
    );

    let scene = out["scene_id"].as_str().unwrap();
    let shown = show(&db, scene);
    let people = shown["people"].as_array().unwrap();
    assert_eq!(people.len(), 2);
    assert_eq!(people[0]["label"], "woman, room 2");
    assert_eq!(people[0]["age"], "adult");
    assert_eq!(people[1]["age"], "under 18");
    assert_eq!(people[1]["raised_by"], adult["encounter_id"]);
    assert_eq!(people[1]["question"], "sexual_other_child");
    // The link is in the child's own record, as an event of its chain.
    let c = open(&db)
        .encounter(child["encounter_id"].as_str().unwrap())
        .unwrap();
    assert_eq!(c.scene.unwrap().scene, scene);
}

#[test]
fn a_child_seen_but_not_screened_is_noted_for_later_until_someone_is() {
    let (_d, db) = db();
    let file = json!({
        "scene": {"location": "12 High St"}, "officer": "PC 1",
        "shared": {"general_nation": "england"},
        "people": [{"label": "woman", "checklist": "sexual", "answers": adult_answers()}]
    });
    let out = scene_file(&db, &file, &[]);
    let scene = out["scene_id"].as_str().unwrap().to_string();
    assert_eq!(out["noted"][0]["note"], "n1");
    assert_eq!(
        out["noted"][0]["label"],
        "possible child seen at the premises"
    );
    let shown = show(&db, &scene);
    assert_eq!(shown["open_notes"][0]["note"], "n1");
    let text = run_ok(&db, &["scene", "show", &scene]);
    assert!(text.contains("Noted for later"), "{text}");
    assert!(
        text.contains("n1: possible child seen at the premises (raised by woman)"),
        "{text}"
    );

    // The child is found and screened: the note is dealt with by their encounter.
    let child = json!({"checklist": "general", "officer": "PC 1",
        "answers": {"general_nation": "england", "general_danger": "no", "general_age": "yes"}});
    let out = msht(&db)
        .args([
            "check",
            "--answers",
            "-",
            "--json",
            "--scene",
            &scene,
            "--for-note",
            "n1",
            "--label",
            "girl",
        ])
        .write_stdin(child.to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown = show(&db, &scene);
    assert!(
        shown["open_notes"].as_array().unwrap().is_empty(),
        "{shown}"
    );
    assert_eq!(shown["people"].as_array().unwrap().len(), 2);
    assert_eq!(
        shown["scene"]["noted"][0]["resolved_by"],
        shown["people"][1]["encounter_id"]
    );
}

fn triage(label: &str, age: &str, injury: &str, interpreter: &str) -> Value {
    json!({"label": label, "triage": {"danger": "no", "age": age, "injury": injury, "interpreter": interpreter}})
}

#[test]
fn a_car_wash_with_five_workers_triaged_then_two_fully_screened() {
    let (_d, db) = db();
    let file = json!({
        "scene": {"location": "Hand car wash, Mill Road", "description": "multi-agency visit"},
        "officer": "PC 1", "shared": {"general_nation": "england"},
        "people": [
            triage("worker 1, red jacket", "no", "no", "yes"),
            triage("worker 2, boots", "unsure", "no", "yes"),
            triage("worker 3, hurt hand", "no", "yes", "no"),
            triage("worker 4", "no", "no", "no"),
            triage("worker 5, youngest", "yes", "no", "yes"),
        ]
    });
    let out = scene_file(&db, &file, &[]);
    let people = out["people"].as_array().unwrap();
    assert_eq!(people.len(), 5);
    assert!(people.iter().all(|p| p["status"] == "draft"));
    // ACT NOW prompts fire per person at once, from that person's own answers.
    let prompts: Vec<Vec<String>> = people.iter().map(|p| ids(p, "welfare_prompts")).collect();
    let child = |i: usize| {
        prompts[i]
            .iter()
            .any(|p| p.starts_with("possible-child") || p.starts_with("child-safeguarding"))
    };
    assert!(
        !child(0) && child(1) && !child(2) && !child(3) && child(4),
        "{prompts:?}"
    );
    assert!(prompts[2].contains(&"medical".to_string()), "{prompts:?}");
    assert!(!prompts[0].contains(&"medical".to_string()), "{prompts:?}");
    assert!(
        prompts[0].contains(&"interpreter".to_string()),
        "{prompts:?}"
    );
    assert!(
        !prompts[3].contains(&"interpreter".to_string()),
        "{prompts:?}"
    );

    // Two are fully screened later from their drafts (the triage answers stand).
    let w1 = people[0]["encounter_id"].as_str().unwrap();
    let finish = json!({"checklist": "general", "answers": {
        "general_documents": "no", "general_debt": "yes", "general_pay": "yes",
        "general_consent_alone": "yes", "general_consent_understood": "yes",
        "general_consent_explained": "yes", "general_nrm_consent": "consents"}});
    let done: Value = serde_json::from_str(
        &String::from_utf8(
            msht(&db)
                .args(["check", "--resume", w1, "--answers", "-", "--json"])
                .write_stdin(finish.to_string())
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(done["status"], "complete", "{done}");
    assert!(
        ids(&done, "duties").contains(&"nrm-referral".to_string()),
        "{done}"
    );
    let w5 = people[4]["encounter_id"].as_str().unwrap();
    let finish_child = json!({"checklist": "general", "answers": {"general_child_harm": "yes", "general_debt": "yes"}});
    let done: Value = serde_json::from_str(
        &String::from_utf8(
            msht(&db)
                .args(["check", "--resume", w5, "--answers", "-", "--json"])
                .write_stdin(finish_child.to_string())
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(done["status"], "complete", "{done}");
    assert!(
        ids(&done, "duties").contains(&"childrens-services".to_string()),
        "{done}"
    );
    assert!(
        !ids(&done, "duties").contains(&"duty-to-notify".to_string()),
        "{done}"
    );

    let scene = out["scene_id"].as_str().unwrap();
    let shown = show(&db, scene);
    let statuses: Vec<&str> = shown["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["complete", "draft", "draft", "draft", "complete"]
    );
    let labels: Vec<&str> = shown["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels[0], "worker 1, red jacket", "joined order is kept");
    // encounters list names the scene.
    let list: Value =
        serde_json::from_str(&run_ok(&db, &["encounters", "list", "--json"])).unwrap();
    assert!(list.as_array().unwrap().iter().all(|e| e["scene"] == scene));
}

#[test]
fn a_cuckooed_adult_resident_and_the_child_dealing_from_the_flat() {
    let (_d, db) = db();
    let file = json!({
        "scene": {"location": "Flat 3, Tower Court", "description": "drugs warrant"},
        "officer": "PC 1", "shared": {"general_nation": "england"},
        "people": [
            {"label": "boy dealing, 15", "checklist": "criminal", "answers": {
                "general_danger": "no", "general_age": "yes", "general_suspect": "yes",
                "criminal_far_from_home": "yes", "criminal_phones": "yes",
                "criminal_cuckooing": "yes", "general_several_victims": "yes"}},
            {"label": "resident, Mr K", "raised_by": "boy dealing, 15", "checklist": "criminal", "answers": {
                "general_danger": "no", "general_age": "no", "general_care_needs": "yes",
                "criminal_cuckooing": "yes", "general_consent_alone": "yes",
                "general_consent_understood": "yes", "general_consent_explained": "yes",
                "general_nrm_consent": "declines", "general_capacity": "no"}}
        ]
    });
    let out = scene_file(&db, &file, &[]);
    let boy = &out["people"][0];
    let resident = &out["people"][1];
    let boy_duties = ids(boy, "duties");
    for d in ["nrm-referral", "childrens-services"] {
        assert!(boy_duties.contains(&d.to_string()), "{boy_duties:?}");
    }
    assert!(!boy_duties.contains(&"duty-to-notify".to_string()));
    let res_duties = ids(resident, "duties");
    for d in ["adult-safeguarding", "duty-to-notify"] {
        assert!(res_duties.contains(&d.to_string()), "{res_duties:?}");
    }
    for d in ["nrm-referral", "childrens-services"] {
        assert!(!res_duties.contains(&d.to_string()), "{res_duties:?}");
    }
    let shown = show(&db, out["scene_id"].as_str().unwrap());
    assert_eq!(shown["people"][1]["raised_by"], boy["encounter_id"]);
    assert_eq!(shown["people"][1]["question"], "general_several_victims");
}

#[test]
fn a_bad_person_in_a_scene_file_saves_no_one() {
    let (_d, db) = db();
    let file = json!({
        "officer": "PC 1", "shared": {"general_nation": "england"},
        "people": [
            triage("worker 1", "no", "no", "no"),
            {"label": "worker 2", "triage": {"danger": "no", "age": "maybe"}}
        ]
    });
    let out = msht(&db)
        .args(["check", "--answers", "-"])
        .write_stdin(file.to_string())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(65));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("person 'worker 2'"), "{err}");
    assert_eq!(open(&db).count().unwrap(), 0);
    assert!(open(&db).list_scenes(false).unwrap().is_empty());
}

#[test]
fn a_closed_scene_takes_no_one_more_and_is_listed_as_closed() {
    let (_d, db) = db();
    let file = json!({"officer": "PC 1", "shared": {"general_nation": "england"},
        "people": [triage("worker 1", "no", "no", "no")]});
    let scene = scene_file(&db, &file, &[])["scene_id"]
        .as_str()
        .unwrap()
        .to_string();
    run_ok(&db, &["scene", "close", &scene]);
    let one = r#"{"checklist":"general","officer":"PC 1","answers":{"general_nation":"england","general_danger":"no","general_age":"no"}}"#;
    let out = msht(&db)
        .args(["check", "--answers", "-", "--scene", &scene])
        .write_stdin(one)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(65),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("is closed"));
    assert_eq!(
        open(&db).count().unwrap(),
        1,
        "nothing of the refused person was saved"
    );
    let list: Value = serde_json::from_str(&run_ok(&db, &["scene", "list", "--json"])).unwrap();
    assert_eq!(list[0]["status"], "closed");
    assert_eq!(list[0]["people"], 1);
    // A plain encounter with no scene still records as before.
    record(&db, one);
}

#[test]
fn doctor_finds_an_altered_scene_and_a_forged_link() {
    let (_d, db) = db();
    let file = json!({"scene": {"location": "car wash"}, "officer": "PC 1",
        "shared": {"general_nation": "england"},
        "people": [triage("worker 1", "no", "no", "no")]});
    let out = scene_file(&db, &file, &[]);
    let scene = out["scene_id"].as_str().unwrap().to_string();
    assert!(run(&db, &["doctor"]).status.success());
    let c = raw_connection(&db);
    let n = c
        .execute("UPDATE scenes SET location = 'elsewhere'", [])
        .unwrap();
    assert_eq!(n, 1);
    let out = run(&db, &["doctor"]);
    assert_eq!(out.status.code(), Some(65));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("scenes: 1 PROBLEM"), "{text}");
    assert!(text.contains("elsewhere"), "{text}");
    c.execute("UPDATE scenes SET location = 'car wash'", [])
        .unwrap();
    assert!(run(&db, &["doctor"]).status.success());
    c.execute("UPDATE scene_members SET scene_id = 'forged'", [])
        .unwrap();
    let out = run(&db, &["doctor"]);
    assert_eq!(out.status.code(), Some(65));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("the scene index links encounter"), "{text}");
    let _ = scene;
}

fn brothel(db: &std::path::Path) -> Value {
    let file = json!({
        "scene": {"location": "12 High St", "description": "brothel warrant"},
        "officer": "PC 1", "shared": {"general_nation": "england"},
        "people": [
            {"label": "woman, room 2", "checklist": "sexual", "answers": adult_answers()},
            {"label": "girl in the kitchen", "raised_by": "woman, room 2",
             "answers": {"general_danger": "no", "general_age": "yes"}, "complete": false},
            triage("man at the door", "no", "no", "no")
        ]
    });
    scene_file(db, &file, &[])
}

#[test]
fn a_scene_exports_as_json_in_its_schema_and_as_markdown_summary_then_records() {
    let (_d, db) = db();
    let out = brothel(&db);
    let scene = out["scene_id"].as_str().unwrap();
    let json: Value = serde_json::from_str(&run_ok(
        &db,
        &["export", "--scene", scene, "--format", "json"],
    ))
    .unwrap();
    let schema: Value = serde_json::from_str(msht::export::SCENE_SCHEMA).unwrap();
    let v = jsonschema::validator_for(&schema).unwrap();
    let errs: Vec<String> = v
        .iter_errors(&json)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errs.is_empty(), "{errs:?}");
    let enc_schema: Value = serde_json::from_str(msht::export::JSON_SCHEMA).unwrap();
    let ev = jsonschema::validator_for(&enc_schema).unwrap();
    let encounters = json["encounters"].as_array().unwrap();
    assert_eq!(encounters.len(), 3);
    for e in encounters {
        let errs: Vec<String> = ev
            .iter_errors(e)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(e["scene"]["id"], scene);
    }
    assert_eq!(
        encounters[1]["scene"]["raised_by"],
        out["people"][0]["encounter_id"]
    );
    let order: Vec<&str> = json["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        order,
        ["woman, room 2", "girl in the kitchen", "man at the door"]
    );
    // The schema is published and refuses what it should.
    assert_eq!(
        run_ok(&db, &["export", "--schema", "--scene", scene]),
        msht::export::SCENE_SCHEMA
    );
    let mut bad = json.clone();
    bad["scene"]["status"] = json!("half-open");
    assert!(!v.is_valid(&bad));

    let md = run_ok(&db, &["export", "--scene", scene]);
    let summary = md.find("# Scene record").unwrap();
    let first = md.find("# Encounter record").unwrap();
    assert!(summary < first, "summary page first");
    assert_eq!(md.matches("# Encounter record").count(), 3);
    assert!(
        md.contains("2. girl in the kitchen (draft): under 18"),
        "{md}"
    );
    assert!(md.contains("raised by woman, room 2"), "{md}");
    assert!(md.lines().all(|l| l.chars().count() <= 80), "80 columns");
    assert!(md.contains("one of several people at scene"), "{md}");
}

#[test]
fn the_duty_to_notify_copy_leaves_the_scene_out() {
    let (_d, db) = db();
    let out = brothel(&db);
    let adult = out["people"][0]["encounter_id"].as_str().unwrap();
    let dtn: Value = serde_json::from_str(&run_ok(
        &db,
        &["export", adult, "--for", "dtn", "--format", "json"],
    ))
    .unwrap();
    assert!(dtn.get("scene").is_none(), "{dtn}");
    let left: Vec<&str> = dtn["left_out"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(left.iter().any(|l| l.contains("scene")), "{left:?}");
    let md = run_ok(&db, &["export", adult, "--for", "dtn"]);
    assert!(!md.contains("room 2"), "{md}");
}

#[test]
fn a_sync_round_trip_keeps_scenes_links_and_order_and_a_second_import_changes_nothing() {
    let t = tempfile::tempdir().unwrap();
    let (dev, hub) = (t.path().join("dev.db"), t.path().join("hub.db"));
    let share = t.path().join("share");
    std::fs::create_dir(&share).unwrap();
    let out = brothel(&dev);
    let scene = out["scene_id"].as_str().unwrap().to_string();
    crate::common::enroll(&hub, &[&dev]);
    crate::common::push(&dev, &share);
    let bundles = crate::common::files(&share, "mshtbundle");
    assert_eq!(bundles.len(), 1);
    let import = |db: &std::path::Path| {
        serde_json::from_str::<Value>(&run_ok(
            db,
            &["sync", "import", share.to_str().unwrap(), "--json"],
        ))
        .unwrap()
    };
    import(&hub);
    let on_dev = show(&dev, &scene);
    let on_hub = show(&hub, &scene);
    assert_eq!(
        on_hub["people"], on_dev["people"],
        "people, labels, links and order"
    );
    assert_eq!(on_hub["scene"]["head_hash"], on_dev["scene"]["head_hash"]);
    assert_eq!(on_hub["open_notes"], on_dev["open_notes"]);
    let hub_store = open(&hub);
    assert_eq!(
        hub_store.scene_events(&scene).unwrap(),
        open(&dev).scene_events(&scene).unwrap()
    );
    assert!(run(&hub, &["doctor"]).status.success());
    // Idempotent: the same bundle again adds nothing.
    let before = hub_store.scene_events(&scene).unwrap();
    import(&hub);
    assert_eq!(open(&hub).scene_events(&scene).unwrap(), before);
    assert_eq!(show(&hub, &scene)["people"], on_dev["people"]);

    // A scene change alone travels: closing it on the device reaches the hub.
    run_ok(&dev, &["scene", "close", &scene]);
    crate::common::push(&dev, &share);
    import(&hub);
    assert_eq!(show(&hub, &scene)["scene"]["status"], "closed");
    let list: Value =
        serde_json::from_str(&run_ok(&hub, &["encounters", "list", "--json"])).unwrap();
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|e| e["scene"] == scene.as_str())
    );
}

#[test]
fn a_bundle_version_2_without_scenes_is_still_read() {
    use msht::sync::bundle;
    let t = tempfile::tempdir().unwrap();
    let dev = t.path().join("dev.db");
    record(
        &dev,
        r#"{"checklist":"general","officer":"PC 1","answers":{"general_nation":"england","general_danger":"no","general_age":"no"}}"#,
    );
    let store = open(&dev);
    let id = store.list(&Default::default()).unwrap()[0].id.clone();
    let events = store.events(&id).unwrap();
    let w = bundle::Writer {
        device_id: "dev",
        for_hub: None,
        bundle_seq: 1,
        created_at: "2026-01-01T00:00:00.000Z",
        local_seq: (1, 1),
    };
    let (_, _, bytes) = bundle::encode(&w, &events).unwrap();
    // Rewrite the manifest as version 2 wrote it (same fields, no scene section).
    let text = String::from_utf8(bytes).unwrap();
    let (head, rest) = text.split_once('\n').unwrap();
    let mut m: Value = serde_json::from_str(head).unwrap();
    assert!(
        m.get("scene_event_count").is_none(),
        "absent when there are no scenes"
    );
    m["version"] = json!(2);
    let obj = m.as_object_mut().unwrap();
    obj.remove("bundle_sha256");
    let manifest: bundle::Manifest = serde_json::from_value(Value::Object(obj.clone())).unwrap();
    use sha2::Digest;
    let hash = hex::encode(sha2::Sha256::digest(serde_json::to_vec(&manifest).unwrap()));
    obj.insert("bundle_sha256".into(), json!(hash));
    let v2 = format!("{}\n{rest}", serde_json::to_string(&m).unwrap());
    let b = bundle::decode(std::path::Path::new("v2"), v2.as_bytes()).unwrap();
    assert_eq!(b.manifest.version, 2);
    assert_eq!(b.events, events);
    assert!(b.scene_events.is_empty());
}

#[test]
fn the_review_queue_can_show_one_scene_only() {
    let (_d, db) = db();
    let out = brothel(&db);
    let scene = out["scene_id"].as_str().unwrap();
    // Someone met elsewhere, alone, with a duty open.
    let elsewhere = record(
        &db,
        r#"{"checklist":"general","officer":"PC 2","answers":{"general_nation":"england","general_danger":"no","general_age":"yes"}}"#,
    );
    let ids = |args: &[&str]| -> Vec<String> {
        let v: Value = serde_json::from_str(&run_ok(&db, args)).unwrap();
        let mut ids: Vec<String> = v["encounters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["encounter_id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    let everyone = ids(&["review", "--json", "--all"]);
    assert!(everyone.contains(&elsewhere), "{everyone:?}");
    let at_scene = ids(&["review", "--json", "--all", "--scene", &scene[..8]]);
    let members: Vec<String> = open(&db)
        .scene_members(scene)
        .unwrap()
        .into_iter()
        .map(|m| m.encounter_id)
        .collect();
    assert!(
        !at_scene.is_empty() && !at_scene.contains(&elsewhere),
        "{at_scene:?}"
    );
    assert!(
        at_scene.iter().all(|id| members.contains(id)),
        "{at_scene:?} vs {members:?}"
    );
    assert_eq!(
        at_scene.len() + 1,
        everyone.len(),
        "every open encounter but the one met elsewhere"
    );
    assert_eq!(
        run(&db, &["review", "--scene", "ffffffff"]).status.code(),
        Some(66)
    );
}

#[test]
fn encounters_show_names_the_scene_and_who_raised_the_person() {
    let (_d, db) = db();
    let out = brothel(&db);
    let scene = out["scene_id"].as_str().unwrap();
    let members = open(&db).scene_members(scene).unwrap();
    let girl = members
        .iter()
        .find(|m| m.label == "girl in the kitchen")
        .expect("the girl is linked");
    let shown = run_ok(&db, &["encounters", "show", &girl.encounter_id]);
    let flat = shown.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains(&format!(
            "Scene: {scene} as \"girl in the kitchen\", raised by encounter"
        )),
        "{shown}"
    );
}
