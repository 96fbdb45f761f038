//! Seeds a database with N realistic encounters for the `msht export --all` benchmark
//! (`benches/export_jsonl.sh` runs it). Not a test and not timed itself: it only makes
//! the data. Each encounter goes through the same answers-file planner and store call
//! as `msht check --answers`, with answers varied so records differ in shape.
//!
//! Usage: cargo bench --bench export_seed -- DB_PATH N

use std::path::PathBuf;

use msht::answers::{AnswersFile, plan};
use msht::store::Store;

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let (Some(path), Some(n)) = (args.next(), args.next()) else {
        eprintln!("usage: export_seed DB_PATH N");
        std::process::exit(64);
    };
    let n: usize = n.parse().unwrap_or(100_000);
    let path = PathBuf::from(path);
    let g = msht::guidance::load(None).unwrap_or_else(|e| {
        eprintln!("guidance: {e}");
        std::process::exit(1)
    });
    let mut store = Store::open(&path).unwrap_or_else(|e| {
        eprintln!("store: {e}");
        std::process::exit(1)
    });
    let have = store.count().unwrap_or(0);
    let answers = ["yes", "no", "unsure"];
    let mut made = 0;
    for i in have..n {
        // A cheap deterministic mix: most adults, some children; varied indicators.
        let pick = |k: usize| answers[(i.wrapping_mul(2654435761) >> (k % 16)) % 3];
        let age = if i % 5 == 0 { "unsure" } else { "no" };
        let nation = if i % 2 == 0 { "england" } else { "wales" };
        let mut body = serde_json::json!({
            "checklist": "general",
            "officer": format!("PC {}", 1000 + i % 400),
            "location": format!("Unit {}, Industrial Estate {}", i % 97, i % 13),
            "answers": {
                "general_nation": nation,
                "general_danger": "no",
                "general_age": age,
                "general_documents": pick(1),
                "general_debt": pick(2),
                "general_controller_present": pick(3),
                "general_pay": pick(4),
                "general_movement": pick(5),
                "general_fear": pick(6),
            },
            "notes": format!("Seeded encounter {i}: spoke through an interpreter; two others present.")
        });
        if age == "no" {
            body["answers"]["general_nrm_consent"] =
                ["consents", "declines", "not_asked"][i % 3].into();
        }
        let file = match AnswersFile::parse(&body.to_string()) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("answers: {e}");
                std::process::exit(1)
            }
        };
        let p = match plan(
            &g,
            &file,
            &format!("PC {}", 1000 + i % 400),
            "Industrial Estate",
        ) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("plan: {e}");
                std::process::exit(1)
            }
        };
        if let Err(e) = store.record_encounter(p.created, p.rest) {
            eprintln!("record: {e}");
            std::process::exit(1)
        }
        made += 1;
        if made % 10_000 == 0 {
            eprintln!("seeded {} of {n}", have + made);
        }
    }
    eprintln!("database {} holds {n} encounters", path.display());
}
