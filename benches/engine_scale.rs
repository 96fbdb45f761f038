//! How the engine's cost grows with the number of questions in a checklist: a generated
//! checklist of N questions (N = 100, 1,000, 10,000) added to the built-in guidance, then
//! (1) loading and validating that guidance, (2) an answers file through the engine
//! (`answers::plan`: every answer in order, the prompts each raises, the completion) and
//! (3) re-deriving what follows from a record's answers (`engine::derive`, what every
//! read does). Issue 18 measured the engine roughly cubic (1,000 questions 1.75 s); this
//! shows whether it is linear. Not a test: `cargo bench --bench engine_scale`
//! (`MSHT_BENCH_MAX_N=1000` to stop early).

use std::time::{Duration, Instant};

use msht::answers::{AnswersFile, plan};
use msht::guidance::{Guidance, GuidanceFiles, SourceFile};
use msht::record::{Event, EventBody, GENESIS_HASH, hash_event};

/// A checklist of `n` yes/no questions after the general screen: every third an indicator,
/// every ninth of high weight, every fiftieth raising a signal, every odd one asked only
/// when the one before it is not "no"; a trigger on every tenth, a duty rule on every
/// twentieth, and one trigger on the indicator count and the signal.
pub fn checklist(n: usize) -> String {
    let mut s = String::from(
        "reviewed = \"2026-12-02\"\nsources = [{ title = \"Generated\", url = \"https://example.org/\" }]\n\
         id = \"bench\"\ntitle = \"Bench\"\norder = 99\ndescription = \"Generated.\"\nincludes = [\"general\"]\n",
    );
    for i in 0..n {
        s += &format!(
            "[[questions]]\nid = \"bench_q{i}\"\ntext = \"Question {i}?\"\nkind = \"yes_no\"\nhelp = \"h\"\n"
        );
        if i % 3 == 0 {
            s += "indicator = true\n";
        }
        if i % 9 == 0 {
            s += "weight = \"high\"\n";
        }
        if i % 50 == 7 {
            s += "signals = [\"bench_sig\"]\n";
        }
        if i % 2 == 1 {
            s += &format!("when = \"bench_q{} != no\"\n", i - 1);
        }
    }
    let prompts = ["medical", "basic-needs", "interpreter", "mental-health"];
    for i in (0..n).step_by(10) {
        let p = prompts[(i / 10) % prompts.len()];
        s += &format!("[[triggers]]\nprompt = \"{p}\"\nwhen = \"bench_q{i} == yes\"\n");
    }
    let duties = ["nrm-referral", "duty-to-notify"];
    for i in (0..n).step_by(20) {
        let d = duties[(i / 20) % duties.len()];
        s += &format!(
            "[[duties]]\nduty = \"{d}\"\nwhen = \"bench_q{i} in [yes, unsure]\"\nbecause = \"b\"\n"
        );
    }
    s += "[[triggers]]\nprompt = \"several-victims\"\nwhen = \"indicators >= 3 and signal(bench_sig)\"\n";
    s
}

/// An answers file for [`checklist`]: an adult who consents, then every asked question
/// (every fourth "yes", the rest "no"; the odd ones after a "no" are not asked).
pub fn answers(n: usize) -> String {
    let mut a = serde_json::json!({
        "general_nation": "england", "general_danger": "no", "general_age": "no",
        "general_documents": "no", "general_consent_alone": "yes",
        "general_consent_understood": "yes", "general_consent_explained": "yes",
        "general_nrm_consent": "consents"
    });
    for i in (0..n).filter(|i| i % 4 != 3) {
        a[format!("bench_q{i}")] = (if i % 4 == 0 { "yes" } else { "no" }).into();
    }
    serde_json::json!({ "checklist": "bench", "answers": a }).to_string()
}

fn files(n: usize) -> GuidanceFiles {
    let mut files = GuidanceFiles::embedded();
    files.files.push(SourceFile {
        path: "checklists/bench.toml".into(),
        bytes: checklist(n).into_bytes(),
    });
    files.files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

/// The median of `runs` timings, fewer if one run is slow (at least one, at most ~20 s).
fn median(mut f: impl FnMut(), runs: usize) -> Duration {
    let started = Instant::now();
    let mut times = Vec::new();
    while times.len() < runs && (times.is_empty() || started.elapsed() < Duration::from_secs(20)) {
        let t = Instant::now();
        f();
        times.push(t.elapsed());
    }
    times.sort();
    times[times.len() / 2]
}

fn chain(bodies: Vec<EventBody>) -> Vec<Event> {
    let mut prev = GENESIS_HASH.to_string();
    let mut out = Vec::new();
    for (seq, body) in bodies.into_iter().enumerate() {
        let mut e = Event {
            id: format!("e{seq}"),
            encounter_id: "0190f000-0000-7000-8000-000000000000".into(),
            seq: seq as u32 + 1,
            at: "2026-12-02T10:00:00.000Z".into(),
            offset: "+00:00".into(),
            device_id: "bench".into(),
            prev_hash: prev.clone(),
            hash: String::new(),
            body,
        };
        e.hash = hash_event(&e).unwrap_or_default();
        prev = e.hash.clone();
        out.push(e);
    }
    out
}

fn main() {
    let max: usize = std::env::var("MSHT_BENCH_MAX_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    println!("engine cost by checklist size (median; fewer runs when one is slow):");
    println!(
        "{:>7} {:>12} {:>12} {:>12}",
        "N", "load+check", "answers", "derive"
    );
    let mut last: Option<(usize, [f64; 3])> = None;
    for n in [100, 1_000, 10_000].into_iter().filter(|n| *n <= max) {
        let files = files(n);
        let g = match Guidance::from_files(&files) {
            Ok(g) => g,
            Err(e) => {
                eprintln!("the generated guidance did not load: {e}");
                std::process::exit(1);
            }
        };
        let text = answers(n);
        let load = median(
            || drop(std::hint::black_box(Guidance::from_files(&files))),
            5,
        );
        let run = || AnswersFile::parse(&text).map(|f| plan(&g, &f, "PC 1", "").map(|p| p.rest));
        let answering = median(|| drop(std::hint::black_box(run())), 5);
        let Ok(Ok(rest)) = run() else {
            eprintln!("the generated answers file was refused");
            std::process::exit(1);
        };
        let p = AnswersFile::parse(&text)
            .ok()
            .and_then(|f| plan(&g, &f, "PC 1", "").ok());
        let Some(p) = p else { std::process::exit(1) };
        let events = chain(std::iter::once(p.created).chain(rest).collect());
        let Some(state) = msht::record::EncounterState::from_events(&events) else {
            eprintln!("the generated record did not replay");
            std::process::exit(1);
        };
        let derive = median(
            || {
                let mut s = state.clone();
                drop(std::hint::black_box(msht::engine::derive(&g, &mut s)));
            },
            5,
        );
        let secs = [load, answering, derive].map(|d| d.as_secs_f64());
        println!(
            "{n:>7} {:>10.1}ms {:>10.1}ms {:>10.1}ms",
            secs[0] * 1e3,
            secs[1] * 1e3,
            secs[2] * 1e3
        );
        if let Some((m, prev)) = last {
            let r: Vec<String> = (0..3)
                .map(|i| format!("{:.1}x", secs[i] / prev[i]))
                .collect();
            println!("        growth {m} -> {n} (x{}): {}", n / m, r.join("  "));
        }
        last = Some((n, secs));
    }
}
