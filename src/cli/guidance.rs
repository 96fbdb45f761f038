//! `msht guidance validate [DIR]`: for guidance authors, every problem in one run.

use std::path::PathBuf;

use clap::Subcommand;
use serde::Serialize;

use super::Ctx;
use super::output;
use crate::error::{Error, Result};
use crate::guidance::{self, GuidanceFiles};

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a guidance folder (default: the one in use) and list every problem
    Validate {
        /// The folder to check [default: --guidance, else the built-in copy]
        dir: Option<PathBuf>,
    },
}

pub fn run(ctx: &Ctx, cmd: Command) -> Result<()> {
    let Command::Validate { dir } = cmd;
    let dir = dir.or_else(|| ctx.guidance_dir.clone());
    let files = match &dir {
        Some(d) => GuidanceFiles::from_dir(d)?,
        None => GuidanceFiles::embedded(),
    };
    // Loading's checks plus the release rules on the files (sources, review dates).
    let (g, mut problems) = guidance::check_release(&files);
    if let Some(g) = &g {
        // A set for release must also define the ids the code relies on (a test fixture
        // need not, so this is the author's check, not the loader's).
        guidance::ids::check(g, &mut problems);
        // Every scenario, run through the engine: a broken duty or welfare rule shows up
        // at the scenario's file and line, with the rules that give that duty or prompt.
        let known = problems.clone();
        crate::engine::check_scenarios(g, &known, &mut problems);
        problems.sort();
    }
    if ctx.json {
        #[derive(Serialize)]
        struct P<'a> {
            file: &'a str,
            line: usize,
            message: &'a str,
        }
        let list: Vec<P> = problems
            .0
            .iter()
            .map(|p| P {
                file: &p.file,
                line: p.line,
                message: &p.message,
            })
            .collect();
        output::print_json(&serde_json::json!({
            "ok": problems.is_empty(),
            "version": g.as_ref().map(|g| g.version.clone()),
            "hash": files.content_hash(),
            "problems": list,
        }))?;
    } else if problems.is_empty() {
        let g = g.as_ref();
        let summary = format!(
            "{}: ok · version {} · {} topics, {} checklists, {} prompts, {} duties, {} scenarios · hash {}",
            files.origin,
            g.map_or("?", |g| g.version.as_str()),
            g.map_or(0, |g| g.topics.len()),
            g.map_or(0, |g| g.checklists.len()),
            g.map_or(0, |g| g.prompts.len()),
            g.map_or(0, |g| g.duties.len()),
            g.map_or(0, |g| g.scenarios.len()),
            &files.content_hash()[..12],
        );
        output::print_lines(&output::wrap(&summary, output::width()))?;
    } else {
        let lines: Vec<String> = problems.0.iter().map(|p| p.to_string()).collect();
        output::print_lines(&lines)?;
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::BadInput(format!(
            "{} has {} problem(s), listed above; fix each at the file and line shown",
            files.origin,
            problems.len()
        )))
    }
}
