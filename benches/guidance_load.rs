//! How long the built-in guidance takes to load, three ways: the postcard model build.rs
//! embeds (what msht does), the same model as JSON (the alternative considered), and
//! parsing and checking the TOML and Markdown (what `--guidance DIR` does, and what every
//! run did before). Not a test: `cargo bench --bench guidance_load`.

use std::time::{Duration, Instant};

use msht::guidance::{Guidance, GuidanceFiles, load};

fn median(mut f: impl FnMut(), runs: usize) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

fn main() {
    let Ok(g) = load(None) else {
        eprintln!("the built-in guidance did not load");
        std::process::exit(1);
    };
    let json = serde_json::to_vec(&g).unwrap_or_default();
    let files = GuidanceFiles::embedded();
    let runs = 200;
    let postcard = median(|| drop(std::hint::black_box(load(None))), runs);
    let from_json = median(
        || {
            drop(std::hint::black_box(serde_json::from_slice::<Guidance>(
                &json,
            )))
        },
        runs,
    );
    let parse = median(
        || drop(std::hint::black_box(Guidance::from_files(&files))),
        runs / 4,
    );
    println!("built-in guidance load, median of {runs} runs:");
    println!(
        "  postcard model (in use):   {:>9.1} µs",
        postcard.as_secs_f64() * 1e6
    );
    println!(
        "  JSON model:                {:>9.1} µs",
        from_json.as_secs_f64() * 1e6
    );
    println!(
        "  parse + check TOML/Markdown: {:>7.1} µs",
        parse.as_secs_f64() * 1e6
    );
}
