//! `msht sync`: push bundles to a folder, import bundles from anywhere, see what is
//! pending and acknowledged, and prune what a hub holds. Results go to stdout (JSON with
//! `--json`); refusals and warnings to stderr, one sentence each, naming the file.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Subcommand;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Ctx;
use super::output::print_json;
use crate::error::Result;
use crate::store::Store;
use crate::sync::{self, Step};

/// Below this many events a bundle imports in a blink; a bar would only flicker.
const PROGRESS_MIN_EVENTS: u64 = 5_000;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write every event no hub has acknowledged into a bundle file in DIR (reads any
    /// receipts already in DIR first; never deletes anything here)
    Push {
        /// The folder to write the bundle into (a share, a USB stick, a hub's inbox)
        /// [default: sync_folder from `msht config`]
        #[arg(long, value_name = "DIR")]
        to: Option<PathBuf>,
    },
    /// Verify and merge bundle files (or folders of them) into this database, and
    /// write a receipt beside each bundle
    Import {
        /// Bundle files, or folders holding `*.mshtbundle` files
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
    /// What is pending, pushed and acknowledged
    Status,
    /// Remove complete encounters that a hub has acknowledged in full
    Prune {
        /// Only these encounters (full ids); refused whole if any is not removable
        #[arg(value_name = "ENCOUNTER")]
        encounters: Vec<String>,
        /// Say what would be removed, remove nothing
        #[arg(long)]
        dry_run: bool,
    },
}

pub fn run(ctx: &Ctx, cmd: Command) -> Result<()> {
    // The folder is settled before the database is opened, so a missing one changes nothing.
    let to = match &cmd {
        Command::Push { to } => to.clone().or_else(|| ctx.config.sync_folder.clone()),
        _ => None,
    };
    if matches!(cmd, Command::Push { .. }) && to.is_none() {
        return Err(crate::error::Error::Usage(
            "sync push needs a folder: give --to DIR, or set one with `msht config set sync_folder DIR`".into(),
        ));
    }
    let mut store = Store::open_ctx(ctx.db.as_deref())?;
    match cmd {
        Command::Push { .. } => push(
            ctx,
            &mut store,
            to.as_deref().unwrap_or(std::path::Path::new(".")),
        ),
        Command::Import { paths } => import(ctx, &mut store, &paths),
        Command::Status => status(ctx, &store),
        Command::Prune {
            encounters,
            dry_run,
        } => prune(ctx, &mut store, &encounters, dry_run),
    }
}

fn push(ctx: &Ctx, store: &mut Store, to: &std::path::Path) -> Result<()> {
    let r = sync::push(store, to)?;
    if ctx.json {
        print_json(&serde_json::json!({
            "receipts_applied": r.receipts_applied,
            "newly_acknowledged": r.newly_acknowledged,
            "bundle": r.written.as_ref().map(|(p, _)| p.display().to_string()),
            "events": r.written.as_ref().map_or(0, |(_, m)| m.event_count),
            "pending_events": r.pending_events,
            "pending_encounters": r.pending_encounters,
        }))?;
        return Ok(());
    }
    if r.receipts_applied > 0 {
        println!(
            "Read {} receipt(s): {} more event(s) acknowledged by the hub.",
            r.receipts_applied, r.newly_acknowledged
        );
    }
    match &r.written {
        None => println!(
            "Nothing to push: every event here has been acknowledged. No file was written."
        ),
        Some((path, m)) => println!(
            "Wrote {} ({} events of {} encounters; {} not yet acknowledged). Nothing was deleted here.",
            path.display(),
            m.event_count,
            m.encounter_count,
            r.pending_events
        ),
    }
    Ok(())
}

fn import(ctx: &Ctx, store: &mut Store, paths: &[PathBuf]) -> Result<()> {
    let tty = std::io::stderr().is_terminal();
    let mut bar: Option<ProgressBar> = None;
    let mut lines: Vec<serde_json::Value> = Vec::new();
    let json = ctx.json;
    let summary = sync::import_paths(store, paths, &mut |step| match step {
        Step::Progress(done, n, i, total) => {
            if !tty || n < PROGRESS_MIN_EVENTS {
                return;
            }
            let b = bar.get_or_insert_with(|| {
                let b = ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr());
                b.set_style(
                    ProgressStyle::with_template(
                        "{msg} [{bar:30}] {pos}/{len} events ({per_sec}, {eta})",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
                );
                b
            });
            if b.length() != Some(n) || done < b.position() {
                b.set_length(n);
                b.reset();
            }
            b.set_message(format!("bundle {}/{}", i + 1, total));
            b.set_position(done);
        }
        Step::Refused(e) => {
            if let Some(b) = &bar {
                b.suspend(|| eprintln!("msht: {e}"));
            } else {
                eprintln!("msht: {e}");
            }
            lines.push(serde_json::json!({"refused": e.to_string()}));
        }
        Step::Imported {
            bundle,
            outcome,
            receipt,
        } => {
            let mut msg = format!(
                "{}: {} events new, {} already here",
                bundle.path.display(),
                outcome.accepted,
                outcome.already_present
            );
            if outcome.released > 0 {
                msg.push_str(&format!(
                    ", {} held earlier now joined their encounters",
                    outcome.released
                ));
            }
            if !outcome.held.is_empty() {
                msg.push_str(&format!(
                    ", {} held until their encounters' earlier events arrive",
                    outcome.held.len()
                ));
            }
            msg.push('.');
            let mut warnings = Vec::new();
            for r in &outcome.refused {
                warnings.push(format!(
                    "msht: {}: event {} of encounter {} was refused: {}",
                    bundle.path.display(),
                    r.event_id,
                    r.encounter_id,
                    r.reason
                ));
            }
            let receipt_path = match &receipt {
                Ok(p) => p.as_ref().map(|p| p.display().to_string()),
                Err(e) => {
                    warnings.push(format!(
                        "msht: the events are imported, but no receipt could be left for the device: {e}"
                    ));
                    None
                }
            };
            let print = || {
                if !json {
                    println!("{msg}");
                }
                for w in &warnings {
                    eprintln!("{w}");
                }
            };
            match &bar {
                Some(b) => b.suspend(print),
                None => print(),
            }
            lines.push(serde_json::json!({
                "bundle": bundle.path.display().to_string(),
                "bundle_sha256": bundle.hash,
                "device_id": bundle.manifest.device_id,
                "outcome": outcome,
                "receipt": receipt_path,
            }));
        }
    });
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let summary = summary?;
    if json {
        print_json(&serde_json::json!({"bundles": lines, "summary": summary}))?;
    } else if summary.bundles == 0 {
        println!("No bundle files (*.mshtbundle) found; nothing was imported.");
    } else {
        println!(
            "Imported {} of {} bundle(s): {} events new, {} already here.",
            summary.bundles - summary.refused_bundles,
            summary.bundles,
            summary.accepted,
            summary.already_present
        );
    }
    match summary.failure() {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

fn status(ctx: &Ctx, store: &Store) -> Result<()> {
    let s = store.sync_status()?;
    if ctx.json {
        print_json(&s)?;
        return Ok(());
    }
    println!("Device {}", s.device_id);
    println!(
        "Pending: {} events in {} encounters not yet acknowledged by a hub.",
        s.pending_events, s.pending_encounters
    );
    match &s.last_push {
        Some(p) => println!(
            "Last push: {} ({} events) to {}.",
            p.created_at, p.events, p.dir
        ),
        None => println!("Last push: never."),
    }
    match &s.last_receipt {
        Some(p) => println!(
            "Last receipt: {} from {} for {} ({} events acknowledged).",
            p.receipt_at.as_deref().unwrap_or("?"),
            p.receipt_by.as_deref().unwrap_or("?"),
            p.file,
            p.acknowledged
        ),
        None => println!("Last receipt: none yet."),
    }
    if s.awaiting_receipt.is_empty() {
        println!("Bundles awaiting a receipt: none.");
    } else {
        println!("Bundles awaiting a receipt: {}", s.awaiting_receipt.len());
        for p in &s.awaiting_receipt {
            println!("  {} in {} ({} events)", p.file, p.dir, p.events);
        }
    }
    println!(
        "Acknowledged: {} events; {} encounters can be pruned; {} pruned so far.",
        s.acknowledged_events, s.prunable_encounters, s.pruned_encounters
    );
    if s.bundles_imported > 0 || s.held_events > 0 || s.conflicts > 0 {
        println!(
            "Received: {} bundles imported; {} events held for earlier events; {} events refused as conflicts.",
            s.bundles_imported, s.held_events, s.conflicts
        );
    }
    Ok(())
}

fn prune(ctx: &Ctx, store: &mut Store, ids: &[String], dry_run: bool) -> Result<()> {
    let only = if ids.is_empty() {
        None
    } else {
        let mut full = Vec::new();
        for id in ids {
            full.push(store.resolve_id(id)?);
        }
        Some(full)
    };
    let out = store.sync_prune(only.as_deref(), dry_run)?;
    if ctx.json {
        print_json(&serde_json::json!({"dry_run": dry_run, "outcome": out}))?;
        return Ok(());
    }
    let verb = if dry_run { "Would remove" } else { "Removed" };
    if out.removed.is_empty() {
        println!("Nothing to prune: no complete encounter here has been acknowledged in full.");
    } else {
        println!(
            "{verb} {} acknowledged encounter(s) (a hub holds them):",
            out.removed.len()
        );
        for p in &out.removed {
            println!("  {} ({} events)", p.encounter_id, p.events);
        }
    }
    if out.kept_drafts + out.kept_unacknowledged > 0 {
        println!(
            "Kept {} draft(s) and {} encounter(s) not yet acknowledged in full.",
            out.kept_drafts, out.kept_unacknowledged
        );
    }
    Ok(())
}
