//! `msht sync`: push bundles to a folder, import bundles from anywhere, see what is
//! pending and acknowledged, and prune what a hub holds. Results go to stdout (JSON with
//! `--json`); refusals and warnings to stderr, one sentence each, naming the file.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Subcommand;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Ctx;
use super::output::{print_json, print_lines, terminal_safe};
use super::sync_keys::{self, HubAction};
use crate::error::{Error, Result};
use crate::store::Store;
use crate::sync::{self, PushReport, Step};

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
    /// What is pending, pushed and acknowledged, and which hub this database trusts
    Status,
    /// Show the hub this device is enrolled with, or (on a hub) its key and trusted
    /// devices; `init` makes this database a hub, `key` prints its key
    Hub {
        #[command(subcommand)]
        action: Option<HubAction>,
        /// The same as `hub init` (kept for scripts)
        #[arg(long, hide = true)]
        serve: bool,
    },
    /// Print this device's key, for the hub to trust (`msht sync trust` there)
    Key,
    /// Enrol this device with a hub: bundles are sealed to it and only its signed
    /// receipts acknowledge events
    Enroll {
        /// The line `msht sync hub key` printed on the hub (msht-hub1:…)
        #[arg(value_name = "HUBKEY")]
        hub_key: String,
    },
    /// On a hub: import bundles signed by this device from now on
    Trust {
        /// The line `msht sync key` printed on the device (msht-dev1:…)
        #[arg(value_name = "DEVICE_KEY")]
        key: String,
        /// Who or what the device is (an officer's collar number, a laptop's asset tag)
        #[arg(long, value_name = "TEXT")]
        name: String,
    },
    /// On a hub: refuse bundles from this device from now on
    Revoke {
        /// The device's id, name or fingerprint
        #[arg(value_name = "DEVICE")]
        device: String,
    },
    /// Remove complete encounters that a hub has acknowledged in full
    Prune {
        /// Only these encounters (full ids); refused whole if any is not removable
        #[arg(value_name = "ENCOUNTER")]
        encounters: Vec<String>,
        /// Say what would be removed, remove nothing
        #[arg(long)]
        dry_run: bool,
        /// Instead: remove copies of held and conflicting events that are resolved (the
        /// record or the hub holds that very event); never the only copy of anything
        #[arg(long, conflicts_with = "encounters")]
        held: bool,
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
    let mut store = super::db::open(ctx)?;
    match cmd {
        Command::Push { .. } => push(
            ctx,
            &mut store,
            to.as_deref().unwrap_or(std::path::Path::new(".")),
        ),
        Command::Import { paths } => import(ctx, &mut store, &paths),
        Command::Status => status(ctx, &store),
        Command::Hub { action, serve } => match (action, serve) {
            (Some(a), _) => sync_keys::hub_action(ctx.json, &mut store, &a),
            (None, true) => sync_keys::hub_action(ctx.json, &mut store, &HubAction::Init),
            (None, false) => hub(ctx, &mut store),
        },
        Command::Key => sync_keys::device_key(ctx.json, &mut store),
        Command::Enroll { hub_key } => sync_keys::enroll(ctx.json, &mut store, &hub_key),
        Command::Trust { key, name } => sync_keys::trust(ctx.json, &mut store, &key, &name),
        Command::Revoke { device } => sync_keys::revoke(ctx.json, &mut store, &device),
        Command::Prune { dry_run, held, .. } if held => prune_held(ctx, &mut store, dry_run),
        Command::Prune {
            encounters,
            dry_run,
            ..
        } => prune(ctx, &mut store, &encounters, dry_run),
    }
}

fn push(ctx: &Ctx, store: &mut Store, to: &std::path::Path) -> Result<()> {
    let r = sync::push(store, to)?;
    for (path, why) in &r.receipts_ignored {
        let line = format!(
            "msht: {} acknowledges nothing: {why} (`msht sync hub` shows or sets this device's hub).",
            path.display()
        );
        eprintln!("{}", terminal_safe(&line));
    }
    for (encounter, why) in &r.held_for_review {
        let line = format!(
            "msht: the hub holds encounter {encounter} for review, so it stays pending here and is not pruned: {why}."
        );
        eprintln!("{}", terminal_safe(&line));
    }
    for l in &r.left_out {
        let line = format!(
            "msht: encounter {} was left out of the push because its record does not verify: {}.",
            l.encounter_id, l.problem
        );
        eprintln!("{}", terminal_safe(&line));
    }
    if ctx.json {
        print_json(&serde_json::json!({
            "receipts_applied": r.receipts_applied,
            "receipts_ignored": r.receipts_ignored.iter().map(|(p, why)| serde_json::json!({"receipt": p.display().to_string(), "reason": why})).collect::<Vec<_>>(),
            "held_for_review": r.held_for_review.iter().map(|(e, why)| serde_json::json!({"encounter_id": e, "reason": why})).collect::<Vec<_>>(),
            "newly_acknowledged": r.newly_acknowledged,
            "requested_again": r.requested_again,
            "bundle": r.written.as_ref().map(|(p, _)| p.display().to_string()),
            "events": r.written.as_ref().map_or(0, |(_, m)| m.event_count),
            "pending_events": r.pending_events,
            "pending_encounters": r.pending_encounters,
            "left_out": r.left_out,
        }))?;
    } else {
        print_lines(&push_lines(&r))?;
    }
    match r.left_out.len() {
        0 => Ok(()),
        n => Err(sync::SyncError::LeftOut(n).into()),
    }
}

fn push_lines(r: &PushReport) -> Vec<String> {
    let mut out = Vec::new();
    if r.receipts_applied > 0 {
        out.push(format!(
            "Read {} receipt(s): {} more event(s) acknowledged by the hub.",
            r.receipts_applied, r.newly_acknowledged
        ));
    }
    if r.requested_again > 0 {
        out.push(format!(
            "The hub asked again for {} event(s) it lacks; they are sent again.",
            r.requested_again
        ));
    }
    out.push(match &r.written {
        None if r.left_out.is_empty() => {
            "Nothing to push: every event here has been acknowledged. No file was written."
                .to_string()
        }
        None => "Nothing else to push. No file was written.".to_string(),
        Some((path, m)) => format!(
            "Wrote {} ({} events of {} encounters; {} not yet acknowledged). Nothing was deleted here.",
            path.display(),
            m.event_count,
            m.encounter_count,
            r.pending_events
        ),
    });
    out
}

fn hub(ctx: &Ctx, store: &mut Store) -> Result<()> {
    let s = store.sync_status()?;
    if ctx.json {
        print_json(&serde_json::json!({
            "device_id": s.device_id,
            "hub": s.hub,
            "serves_as_hub": s.serves_as_hub,
        }))?;
        return Ok(());
    }
    let mut l = hub_lines(&s);
    l.extend(sync_keys::key_lines(store)?);
    print_lines(&l)?;
    Ok(())
}

fn hub_lines(s: &sync::SyncStatus) -> Vec<String> {
    let mut out = Vec::new();
    let own_hub = match &s.hub {
        Some(h) if h.how == "first_receipt" => format!(
            "Hub: {} (the first hub that acknowledged this device's bundles); receipts from any other database acknowledge nothing.",
            h.device_id
        ),
        Some(h) if h.how == "enrolled" => format!(
            "Hub: {} (enrolled); only receipts it signed acknowledge events.",
            h.device_id
        ),
        Some(h) => format!(
            "Hub: {} (set by hand); receipts from any other database acknowledge nothing.",
            h.device_id
        ),
        None => "Hub: none yet; `msht sync enroll HUBKEY` enrols this device with its hub (push needs it).".to_string(),
    };
    // A hub that pushes nowhere has no hub of its own to speak of.
    if s.hub.is_some() || !s.serves_as_hub {
        out.push(own_hub);
    }
    if s.serves_as_hub {
        out.push(format!(
            "This database serves as a hub: its receipts acknowledge events to the devices that sync with it (device id {}).",
            s.device_id
        ));
    }
    out
}

fn import(ctx: &Ctx, store: &mut Store, paths: &[PathBuf]) -> Result<()> {
    let tty = std::io::stderr().is_terminal();
    let mut bar: Option<ProgressBar> = None;
    let mut lines: Vec<serde_json::Value> = Vec::new();
    let json = ctx.json;
    // A closed stdout does not stop the import; the error is returned at the end.
    let mut out_err: Option<std::io::Error> = None;
    let guidance = ctx.guidance()?;
    let summary = sync::import_paths(store, &guidance, paths, &mut |step| match step {
        Step::Progress {
            done,
            events: n,
            index: i,
            bundles: total,
        } => {
            if tty && n >= PROGRESS_MIN_EVENTS {
                show_progress(&mut bar, done, n, i, total);
            }
        }
        Step::Refused(e) => {
            if let Some(b) = &bar {
                b.suspend(|| eprintln!("msht: {}", terminal_safe(&e.to_string())));
            } else {
                eprintln!("msht: {}", terminal_safe(&e.to_string()));
            }
            lines.push(serde_json::json!({"refused": e.to_string()}));
        }
        Step::Imported {
            bundle,
            outcome,
            receipt,
        } => {
            let (msg, mut warnings) = imported_lines(bundle, outcome);
            let receipt_path = match &receipt {
                Ok(p) => p.as_ref().map(|p| p.display().to_string()),
                Err(e) => {
                    warnings.push(format!(
                        "msht: the events are imported, but no receipt could be left for the device: {e}"
                    ));
                    None
                }
            };
            let mut print = || {
                if !json && let Err(e) = print_lines(std::slice::from_ref(&msg)) {
                    out_err.get_or_insert(e);
                }
                for w in &warnings {
                    eprintln!("{}", terminal_safe(w));
                }
            };
            match &bar {
                Some(b) => b.suspend(&mut print),
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
    if let Some(e) = out_err {
        return Err(Error::from(e));
    }
    if json {
        print_json(&serde_json::json!({"bundles": lines, "summary": summary}))?;
    } else if summary.bundles == 0 {
        print_lines(&["No bundle files (*.mshtbundle) found; nothing was imported.".into()])?;
    } else {
        let mut l = vec![format!(
            "Imported {} of {} bundle(s): {} events new, {} already here.",
            summary.bundles - summary.refused_bundles,
            summary.bundles,
            summary.accepted,
            summary.already_present
        )];
        if !store.serves_as_hub()? {
            l.push("This database does not serve as a hub, so its receipts acknowledge nothing on the devices (`msht sync hub init` makes it one).".into());
        }
        print_lines(&l)?;
    }
    match summary.failure() {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

/// Draws the import bar on stderr, one bar per bundle.
fn show_progress(bar: &mut Option<ProgressBar>, done: u64, n: u64, i: usize, total: usize) {
    let b = bar.get_or_insert_with(|| {
        let b = ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr());
        b.set_style(
            ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} events ({per_sec}, {eta})")
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

/// The line for one imported bundle, and a warning per refused event.
fn imported_lines(bundle: &sync::Head, outcome: &sync::ImportOutcome) -> (String, Vec<String>) {
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
    let for_review: usize = outcome.review.iter().map(|r| r.events as usize).sum();
    let waiting = outcome.held.len().saturating_sub(for_review);
    if waiting > 0 {
        msg.push_str(&format!(
            ", {waiting} held until their encounters' earlier events arrive"
        ));
    }
    if for_review > 0 {
        msg.push_str(&format!(", {for_review} held for review"));
    }
    msg.push('.');
    let mut warnings: Vec<String> = outcome
        .review
        .iter()
        .map(|r| {
            format!(
                "msht: {}: encounter {} was held for review, not imported ({} events): {}.",
                bundle.path.display(),
                r.encounter_id,
                r.events,
                r.reason
            )
        })
        .collect();
    warnings.extend(outcome.refused.iter().map(|r| {
        format!(
            "msht: {}: event {} of encounter {} was refused: {}",
            bundle.path.display(),
            r.event_id,
            r.encounter_id,
            r.reason
        )
    }));
    (msg, warnings)
}

fn status(ctx: &Ctx, store: &Store) -> Result<()> {
    let s = store.sync_status()?;
    if ctx.json {
        print_json(&s)?;
        return Ok(());
    }
    let mut l = vec![format!("Device {}", s.device_id)];
    l.extend(hub_lines(&s));
    l.push(format!(
        "Pending: {} events in {} encounters not yet acknowledged by the hub.",
        s.pending_events, s.pending_encounters
    ));
    l.push(match &s.last_push {
        Some(p) => format!(
            "Last push: {} ({} events) to {}.",
            p.created_at, p.events, p.dir
        ),
        None => "Last push: never.".into(),
    });
    l.push(match &s.last_receipt {
        Some(p) => format!(
            "Last receipt: {} from {} for {} ({} events acknowledged).",
            p.receipt_at.as_deref().unwrap_or("?"),
            p.receipt_by.as_deref().unwrap_or("?"),
            p.file,
            p.acknowledged
        ),
        None => "Last receipt: none yet.".into(),
    });
    if s.awaiting_receipt.is_empty() {
        l.push("Bundles awaiting a receipt: none.".into());
    } else {
        l.push(format!(
            "Bundles awaiting a receipt: {}",
            s.awaiting_receipt.len()
        ));
        for p in &s.awaiting_receipt {
            l.push(format!("  {} in {} ({} events)", p.file, p.dir, p.events));
        }
    }
    l.push(format!(
        "Acknowledged: {} events; {} encounters can be pruned; {} pruned so far.",
        s.acknowledged_events, s.prunable_encounters, s.pruned_encounters
    ));
    if s.bundles_imported > 0 || s.held_events > 0 || s.conflicts > 0 {
        l.push(format!(
            "Received: {} bundles imported; {} events held; {} events refused as conflicts.",
            s.bundles_imported, s.held_events, s.conflicts
        ));
    }
    l.extend(held_lines(&s.held));
    print_lines(&l)?;
    Ok(())
}

/// The events imports kept aside, one line per encounter and reason, and how many of
/// them `sync prune --held` would remove.
fn held_lines(groups: &[crate::store::HeldGroup]) -> Vec<String> {
    use crate::store::HeldKind;
    let mut l = Vec::new();
    if groups.is_empty() {
        return l;
    }
    let events: u64 = groups.iter().map(|g| g.events).sum();
    let resolved: u64 = groups.iter().map(|g| g.resolved).sum();
    let encounters: std::collections::BTreeSet<&str> =
        groups.iter().map(|g| g.encounter_id.as_str()).collect();
    l.push(format!(
        "Kept aside from bundles: {events} event(s) of {} encounter(s), {resolved} of them resolved{}:",
        encounters.len(),
        if resolved > 0 {
            " (`msht sync prune --held` removes those)"
        } else {
            ""
        }
    ));
    for g in groups {
        let what = match g.kind {
            HeldKind::Waiting => "held",
            HeldKind::Review => "held for review",
            HeldKind::Conflict => "refused as conflicting",
        };
        l.push(
            terminal_safe(&format!(
                "  {}: {} event(s) {what}: {}.",
                g.encounter_id, g.events, g.reason
            ))
            .into_owned(),
        );
    }
    l
}

fn prune_held(ctx: &Ctx, store: &mut Store, dry_run: bool) -> Result<()> {
    let out = store.sync_prune_held(dry_run)?;
    if ctx.json {
        print_json(&serde_json::json!({"dry_run": dry_run, "outcome": out}))?;
        return Ok(());
    }
    let verb = if dry_run { "Would remove" } else { "Removed" };
    let mut l = vec![format!(
        "{verb} {} resolved copy(ies) of held or conflicting events (this database's record or its hub holds each of those events).",
        out.removed
    )];
    let left: Vec<_> = out
        .kept
        .iter()
        .filter(|g| g.events > g.resolved)
        .cloned()
        .map(|mut g| {
            g.events -= g.resolved;
            g.resolved = 0;
            g
        })
        .collect();
    if left.is_empty() {
        l.push("Nothing unresolved is kept aside.".into());
    } else {
        l.push("Kept, each the only copy of something unresolved:".into());
        l.extend(held_lines(&left).into_iter().skip(1));
    }
    print_lines(&l)?;
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
    let mut l = Vec::new();
    if out.removed.is_empty() {
        l.push(
            "Nothing to prune: no complete encounter here has been acknowledged in full by the hub."
                .to_string(),
        );
    } else {
        l.push(format!(
            "{verb} {} acknowledged encounter(s) (the hub holds them):",
            out.removed.len()
        ));
        for p in &out.removed {
            l.push(format!("  {} ({} events)", p.encounter_id, p.events));
        }
    }
    if out.kept_drafts + out.kept_unacknowledged > 0 {
        l.push(format!(
            "Kept {} draft(s) and {} encounter(s) not yet acknowledged in full.",
            out.kept_drafts, out.kept_unacknowledged
        ));
    }
    for d in &out.kept_damaged {
        l.push(format!(
            "Kept {}: its record does not verify ({}); `msht doctor` lists every damaged record.",
            d.encounter_id, d.problem
        ));
    }
    print_lines(&l)?;
    Ok(())
}
