//! `msht export`: one encounter as Markdown, JSON or CSV (or the anonymised Duty to Notify
//! copy), or every encounter as JSONL or CSV, streamed one at a time so a hub with
//! 100,000 records exports in constant memory.
//!
//! Output goes to stdout, or with `--out` to a file written atomically with owner-only
//! permissions (see `export::write`). Messages for the officer (what a DtN copy left out,
//! where a file went, progress) go to stderr, so stdout carries only the export.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Ctx;
use super::encounters::StatusArg;
use crate::error::{Error, Result};
use crate::export::write::{self, AtomicFile};
use crate::export::{
    Audience, CsvSink, ExportError, ExportRecord, JSON_SCHEMA, Labels, anonymise, build_record,
    to_json, to_json_line, to_markdown,
};
use crate::record::{EncounterState, Event, Status};
use crate::store::{ListFilter, Store, StoreError};

/// Above this many encounters in the database, `--all` shows progress on a terminal.
const LARGE: usize = 2_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For a person and a supervisor, laid out for the NRM referral and the DtN
    Md,
    /// One encounter for a system (see --schema)
    Json,
    /// One row per encounter for an analyst
    Csv,
    /// One JSON encounter per line (for --all)
    Jsonl,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Md => "md",
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum For {
    /// The anonymised Duty to Notify copy (adults only)
    Dtn,
}

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  msht export 0193a4 --format md --out record.md
  msht export 0193a4 --for dtn
  msht export --all --format jsonl --since 2026-01-01 --out all.jsonl")]
pub struct Args {
    /// Encounter id (a unique prefix is enough)
    #[arg(required_unless_present_any = ["all", "schema", "scene"], conflicts_with_all = ["all", "scene"])]
    pub id: Option<String>,
    /// Export a whole scene: a summary of everyone met together, then each person's
    /// record (md or json; with --schema, print the scene's JSON Schema)
    #[arg(long, value_name = "SCENE", conflicts_with_all = ["all", "for_", "since", "status"])]
    pub scene: Option<String>,
    /// Export every encounter (JSONL or CSV), oldest first
    #[arg(long)]
    pub all: bool,
    /// Output format [default: md for one encounter (json with --json), jsonl for --all]
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Who the copy is for: `dtn` leaves out everything that could identify the person
    #[arg(long = "for", value_enum, value_name = "WHO", conflicts_with = "all")]
    pub for_: Option<For>,
    /// Write to this file (owner-only, atomically) instead of stdout
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Replace the --out file if it exists
    #[arg(long, requires = "out")]
    pub force: bool,
    /// Export void encounters too, marked as void
    #[arg(long)]
    pub include_void: bool,
    /// With --all: only encounters started on or after this date (YYYY-MM-DD) or time
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// With --all: only encounters with this status
    #[arg(long, value_enum)]
    pub status: Option<StatusArg>,
    /// Print the JSON Schema of the JSON export and stop
    // Not `exclusive`: clap counts MSHT_DB from the environment as a conflicting --db.
    #[arg(long, conflicts_with_all = ["id", "all", "format", "for_", "out", "include_void"])]
    pub schema: bool,
}

pub fn run(ctx: &Ctx, args: Args) -> Result<()> {
    if args.schema {
        if args.scene.is_some() {
            return write_stdout(crate::export::SCENE_SCHEMA.as_bytes());
        }
        return write_stdout(JSON_SCHEMA.as_bytes());
    }
    if let Some(prefix) = args.scene.clone() {
        return export_scene(ctx, &args, &prefix);
    }
    if args.all {
        return export_all(ctx, &args);
    }
    if args.since.is_some() || args.status.is_some() {
        return Err(Error::Usage(
            "--since and --status choose among all encounters; use them with --all".into(),
        ));
    }
    let format = args
        .format
        .unwrap_or(if ctx.json { Format::Json } else { Format::Md });
    let Some(prefix) = args.id.as_deref() else {
        return Err(Error::Usage(
            "give an encounter id, or --all to export every encounter".into(),
        ));
    };
    // Open the output first: a refused --out should fail before any work is done.
    let mut file = open_out(&args)?;
    let store = super::db::open_to_read(ctx)?;
    let id = store.resolve_id(prefix)?;
    // `encounter` verifies the chain and that it ends where the database says it ends.
    store.encounter(&id)?;
    let events = store.events(&id)?;
    let guidance = ctx.guidance().ok();
    let state = checked_state(&id, &events, guidance.as_ref())?;
    if state.status == Status::Void && !args.include_void {
        return Err(ExportError::Voided {
            id,
            reason: state.void_reason.unwrap_or_default(),
        }
        .into());
    }
    let mut rec = build_record(&events, &state, &labels(ctx, &state));
    if args.for_ == Some(For::Dtn) {
        rec = anonymise(rec)?;
    }
    let bytes = render_one(&rec, format)?;

    if rec.audience == Audience::Dtn {
        tell_left_out(&rec);
    }
    match file.take() {
        None => write_stdout(&bytes),
        Some(mut f) => {
            let dest = f.dest().display().to_string();
            f.write_all(&bytes).map_err(|e| io_err(&dest, e))?;
            let path = f.dest().to_path_buf();
            f.commit().map_err(|e| write::error(&path, e))?;
            report_file(
                ctx,
                &dest,
                format,
                serde_json::json!({
                    "encounter_id": rec.encounter_id,
                    "audience": rec.audience,
                    "bytes": bytes.len(),
                }),
                &format!(
                    "Wrote encounter {} to {dest} (readable by you only).",
                    rec.encounter_id
                ),
            )
        }
    }
}

/// `export --scene ID`: the scene verified, then each person's record verified and
/// derived, as one Markdown document or one JSON object.
fn export_scene(ctx: &Ctx, args: &Args, prefix: &str) -> Result<()> {
    let format = args
        .format
        .unwrap_or(if ctx.json { Format::Json } else { Format::Md });
    if !matches!(format, Format::Md | Format::Json) {
        return Err(Error::Usage(
            "a scene exports as md or json; export each person for csv or jsonl".into(),
        ));
    }
    let mut file = open_out(args)?;
    let store = super::db::open_existing(ctx)?;
    let id = store.resolve_scene_id(prefix)?;
    let scene = store.scene(&id)?;
    let scene_events = store.scene_events(&id)?;
    let guidance = ctx.guidance().ok();
    let mut chains = Vec::new();
    for m in store.scene_members(&id)? {
        store.encounter(&m.encounter_id)?;
        let events = store.events(&m.encounter_id)?;
        let state = checked_state(&m.encounter_id, &events, guidance.as_ref())?;
        if state.status == Status::Void && !args.include_void {
            continue;
        }
        chains.push((events, state));
    }
    // The guidance loaded once for everyone's labels, not once per person.
    let label = |state: &EncounterState| {
        guidance
            .as_ref()
            .map(|g| Labels::for_encounter(g, &state.guidance_hash))
            .unwrap_or_default()
    };
    let people = chains
        .iter()
        .map(|(events, state)| (state, build_record(events, state, &label(state))))
        .collect();
    let x = crate::export::build_scene(&scene, &scene_events, people);
    let bytes = match format {
        Format::Json => {
            let mut s = crate::export::scene_to_json(&x);
            s.push('\n');
            s.into_bytes()
        }
        _ => crate::export::scene_to_markdown(&x).into_bytes(),
    };
    match file.take() {
        None => write_stdout(&bytes),
        Some(mut f) => {
            let dest = f.dest().display().to_string();
            f.write_all(&bytes).map_err(|e| io_err(&dest, e))?;
            let path = f.dest().to_path_buf();
            f.commit().map_err(|e| write::error(&path, e))?;
            report_file(
                ctx,
                &dest,
                format,
                serde_json::json!({"scene_id": id, "people": x.people.len(), "bytes": bytes.len()}),
                &format!(
                    "Wrote scene {id} ({} people) to {dest} (readable by you only).",
                    x.people.len()
                ),
            )
        }
    }
}

fn render_one(rec: &ExportRecord, format: Format) -> Result<Vec<u8>> {
    Ok(match format {
        Format::Md => to_markdown(rec).into_bytes(),
        Format::Json => {
            let mut s = to_json(rec);
            s.push('\n');
            s.into_bytes()
        }
        Format::Jsonl => {
            let mut s = to_json_line(rec);
            s.push('\n');
            s.into_bytes()
        }
        Format::Csv => {
            let mut sink = CsvSink::new(Vec::new())?;
            sink.write(rec)?;
            sink.finish()?
        }
    })
}

fn tell_left_out(rec: &ExportRecord) {
    eprintln!("msht: this Duty to Notify copy leaves out:");
    for l in &rec.left_out {
        for line in super::output::wrap_indent(l, super::output::err_width(), "  - ", "    ") {
            eprintln!("{line}");
        }
    }
}

/// Labels only from the guidance the encounter was run against; a missing or broken
/// guidance folder must not stop an export, so it falls back to the recorded ids.
fn labels(ctx: &Ctx, state: &EncounterState) -> Labels {
    ctx.guidance()
        .map(|g| Labels::for_encounter(&g, &state.guidance_hash))
        .unwrap_or_default()
}

/// The verified state with what follows from its current answers derived by the engine,
/// so every format shows the indicators, prompts and duties the answers give now.
fn checked_state(
    id: &str,
    events: &[Event],
    g: Option<&crate::guidance::Guidance>,
) -> Result<EncounterState> {
    // A broken chain reads the same as in `encounters show`: RECORD ALTERED.
    let mut state = crate::export::verified_state(id, events).map_err(|e| match e {
        ExportError::Chain(_, b) => Error::Store(StoreError::Tampered(b)),
        other => other.into(),
    })?;
    if let Some(g) = g {
        let _ = crate::engine::derive(g, &mut state);
    }
    Ok(state)
}

fn open_out(args: &Args) -> Result<Option<AtomicFile>> {
    Ok(match &args.out {
        Some(p) => Some(AtomicFile::create(p, args.force).map_err(|e| write::error(p, e))?),
        None => None,
    })
}

fn io_err(dest: &str, source: io::Error) -> Error {
    ExportError::Io {
        path: dest.to_string(),
        source,
    }
    .into()
}

fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut out = super::output::stdout()?;
    out.write_all(bytes)?;
    out.flush()?;
    Ok(())
}

fn report_file(
    ctx: &Ctx,
    dest: &str,
    format: Format,
    mut extra: serde_json::Value,
    text: &str,
) -> Result<()> {
    if ctx.json {
        if let Some(o) = extra.as_object_mut() {
            o.insert("path".into(), dest.into());
            o.insert("format".into(), format.name().into());
        }
        super::output::print_json(&extra)?;
    } else {
        super::output::print_lines(&[text.to_string()])?;
    }
    Ok(())
}

/// Where `--all` writes: the atomic file, or stdout through a buffer.
enum Sink {
    File(AtomicFile),
    Stdout(io::BufWriter<io::StdoutLock<'static>>),
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::File(f) => f.write(buf),
            Sink::Stdout(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::File(f) => f.flush(),
            Sink::Stdout(s) => s.flush(),
        }
    }
}

enum Rows {
    Jsonl(Sink),
    Csv(Box<CsvSink<Sink>>),
}

fn export_all(ctx: &Ctx, args: &Args) -> Result<()> {
    let format = args.format.unwrap_or(Format::Jsonl);
    if !matches!(format, Format::Jsonl | Format::Csv) {
        return Err(Error::Usage(format!(
            "--all writes jsonl or csv (one encounter per line or row), not {}; use --format jsonl or --format csv",
            format.name()
        )));
    }
    let status: Option<Status> = args.status.map(Into::into);
    if status == Some(Status::Void) && !args.include_void {
        return Err(Error::Usage(
            "void encounters are exported only with --include-void; add it to --status void".into(),
        ));
    }
    let file = open_out(args)?;
    let store = super::db::open_to_read(ctx)?;
    let filter = ListFilter {
        status,
        since: args.since.clone(),
        limit: None,
        offset: 0,
    };
    let dest = file.as_ref().map(|f| f.dest().display().to_string());
    let sink = match file {
        Some(f) => Sink::File(f),
        None => Sink::Stdout(io::BufWriter::with_capacity(
            1 << 16,
            super::output::stdout()?,
        )),
    };
    let mut rows = match format {
        Format::Csv => Rows::Csv(Box::new(CsvSink::new(sink)?)),
        _ => Rows::Jsonl(sink),
    };

    let progress = progress_bar(&store)?;
    // Stop cleanly on Ctrl-C, so the temporary file of a half-done export is removed
    // rather than left behind holding personal data.
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = Arc::clone(&stop);
        let _ = ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst));
    }
    // Labels are built once: every encounter run against the guidance in use shares them.
    let guidance = ctx.guidance().ok();
    let (guidance_hash, current_labels) = match &guidance {
        Some(g) => (g.hash.clone(), Labels::for_encounter(g, &g.hash)),
        None => (String::new(), Labels::default()),
    };
    let no_labels = Labels::default();
    let mut exported = 0usize;
    let mut skipped_void = 0usize;
    let mut line: Vec<u8> = Vec::with_capacity(1 << 16);
    let mut failure: Option<Error> = None;
    let walked = store.for_each_encounter(&filter, &mut |events| {
        let mut step = || -> Result<()> {
            if stop.load(Ordering::SeqCst) {
                return Err(ExportError::Interrupted.into());
            }
            let id = events
                .first()
                .map(|e| e.encounter_id.clone())
                .unwrap_or_default();
            let state = checked_state(&id, &events, guidance.as_ref())?;
            if state.status == Status::Void && !args.include_void {
                skipped_void += 1;
                return Ok(());
            }
            let labels = if !guidance_hash.is_empty() && state.guidance_hash == guidance_hash {
                &current_labels
            } else {
                &no_labels
            };
            let rec = build_record(&events, &state, labels);
            match &mut rows {
                Rows::Jsonl(w) => write_line(w, &mut line, &rec)?,
                Rows::Csv(c) => c.write(&rec)?,
            }
            exported += 1;
            progress.inc(1);
            Ok(())
        };
        step().map_err(|e| {
            failure = Some(e);
            // Only stops the walk; the real error is `failure`.
            StoreError::BadEvent("export stopped".into())
        })
    });
    progress.finish_and_clear();
    if let Some(e) = failure {
        return Err(e);
    }
    walked?;

    finish_all(ctx, rows, dest, format, exported, skipped_void)
}

/// Closes the output of `--all` (committing the file) and says what was exported.
fn finish_all(
    ctx: &Ctx,
    rows: Rows,
    dest: Option<String>,
    format: Format,
    exported: usize,
    skipped_void: usize,
) -> Result<()> {
    let sink = match rows {
        Rows::Jsonl(s) => s,
        Rows::Csv(c) => c.finish()?,
    };
    let void_note = if skipped_void > 0 {
        format!(" ({skipped_void} void left out; add --include-void to include them)")
    } else {
        String::new()
    };
    match sink {
        Sink::Stdout(mut s) => {
            s.flush()?;
            if io::stderr().is_terminal() {
                eprintln!("msht: exported {exported} encounters{void_note}.");
            }
            Ok(())
        }
        Sink::File(f) => {
            let dest = dest.unwrap_or_default();
            let path = f.dest().to_path_buf();
            f.commit().map_err(|e| write::error(&path, e))?;
            report_file(
                ctx,
                &dest,
                format,
                serde_json::json!({ "exported": exported, "skipped_void": skipped_void }),
                &format!(
                    "Wrote {exported} encounters to {dest} (readable by you only){void_note}."
                ),
            )
        }
    }
}

/// One JSONL line, serialised into a buffer reused for every encounter and written in
/// one call: straight into the sink, every token was its own trip through two writers.
fn write_line(w: &mut Sink, line: &mut Vec<u8>, rec: &ExportRecord) -> io::Result<()> {
    line.clear();
    serde_json::to_writer(&mut *line, rec).map_err(io::Error::from)?;
    line.push(b'\n');
    w.write_all(line)
}

/// A progress bar on stderr, only when stderr is a terminal and the export is large;
/// hidden otherwise so pipes and logs stay clean.
fn progress_bar(store: &Store) -> Result<ProgressBar> {
    if !io::stderr().is_terminal() {
        return Ok(ProgressBar::hidden());
    }
    let total = store.count()?;
    if total < LARGE {
        return Ok(ProgressBar::hidden());
    }
    let pb = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{bar:30} {pos}/{len} encounters, {per_sec}, about {eta} left")
    {
        pb.set_style(style);
    }
    Ok(pb)
}
