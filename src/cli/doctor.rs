//! `msht doctor`: the paths and versions in use, and a full check of the database: SQLite's
//! own `integrity_check`, every encounter's hash chain, and the file permissions.
//!
//! Every summary row is re-derived from its chain and every difference named, and so is
//! every review-queue row (duties and prompts still open, a cache of the engine's reading) (a forged
//! officer, location or status; an encounter whose events were all deleted). It prints
//! everything it found first and only then fails (exit 65), so the report names every
//! broken encounter and event, not just the first; a corrupt page stops a check, never
//! the report.

use std::path::Path;

use serde::Serialize;

use super::Ctx;
use super::output;
use crate::error::Result;

use crate::record::ChainBreak;
use crate::store::{Encryption, MIGRATIONS, StoreError, SummaryDiff};

#[derive(Serialize)]
struct Report {
    database: String,
    /// Whether the database is encrypted.
    encrypted: bool,
    /// How its key was supplied: `none` (not encrypted), `raw_key`, `passphrase`.
    encryption: Encryption,
    schema_version: i64,
    supported_schema_version: i64,
    device_id: String,
    encounters: Option<usize>,
    integrity_check: Vec<String>,
    #[serde(serialize_with = "breaks_json")]
    chain_breaks: Vec<ChainBreak>,
    /// Summary rows that their chains do not bear out, field by field.
    summary_differences: Vec<SummaryDiff>,
    /// Encounters whose review-queue row (a cache) is not what re-deriving their chain
    /// gives: a changed row could hide an encounter from its supervisor.
    review_differences: Vec<String>,
    /// Scenes: chains that do not verify, summary rows or links they do not bear out.
    scene_problems: Vec<String>,
    /// Checks that could not run to the end (a corrupt page), each as one sentence.
    unfinished_checks: Vec<String>,
    /// Files of the database others can read (should be empty).
    open_permissions: Vec<String>,
    /// Files of the database its owner cannot write (a read-only episode leaves a
    /// read-only `-shm`); the next write makes them writable again.
    read_only_files: Vec<String>,
    /// Half-written exports or bundles a killed msht left (personal data), in the
    /// database's folder, the sync folder and the current folder; the next write to
    /// that folder removes them.
    stale_temp_files: Vec<String>,
    guidance: Option<GuidanceReport>,
    ok: bool,
}

/// `ChainBreak` lives in `record` without serde; doctor's JSON spells it out here.
fn breaks_json<S: serde::Serializer>(b: &[ChainBreak], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(b.len()))?;
    for x in b {
        seq.serialize_element(&serde_json::json!({
            "encounter_id": x.encounter_id,
            "seq": x.seq,
            "event_id": x.event_id,
            "problem": x.problem,
        }))?;
    }
    seq.end()
}

#[derive(Serialize)]
struct GuidanceReport {
    origin: String,
    version: String,
    hash: String,
}

pub fn run(ctx: &Ctx) -> Result<()> {
    let path = match &ctx.db {
        Some(p) => p.clone(),
        None => crate::store::Store::default_path()?,
    };
    // Doctor only reads: a mistyped --db must not leave an empty database behind.
    let store = match super::db::open_to_read(ctx) {
        Ok(s) => s,
        Err(e) => {
            // Say which file before the one-sentence error, so a support call can start.
            if !ctx.json {
                output::print_lines(&[format!("database: {}", path.display())])?;
            }
            return Err(e);
        }
    };
    let mut unfinished = Vec::new();
    let mut note = |what: &str, e: StoreError| unfinished.push(format!("{what}: {e}"));
    let integrity = store
        .integrity_check()
        .unwrap_or_else(|e| vec![format!("could not run ({e})")]);
    let audit = store.verify_all().unwrap_or_else(|e| {
        note("verifying the records", e);
        Default::default()
    });
    let scene_problems = store.verify_scenes().unwrap_or_else(|e| {
        note("verifying the scenes", e);
        Vec::new()
    });
    let schema_version = store.schema_version().unwrap_or_else(|e| {
        note("reading the schema version", e);
        0
    });
    let encounters = store
        .count()
        .map_err(|e| note("counting encounters", e))
        .ok();
    let guidance = ctx.guidance();
    let review_differences = match &guidance {
        Ok(g) => crate::follow::check_reviews(&store, g).unwrap_or_else(|e| {
            note("checking the review queue", e);
            Vec::new()
        }),
        Err(_) => Vec::new(),
    };
    let report = Report {
        database: path.display().to_string(),
        encrypted: store.encryption().is_encrypted(),
        encryption: store.encryption(),
        schema_version,
        supported_schema_version: MIGRATIONS.len() as i64,
        device_id: store.device_id().to_string(),
        encounters,
        ok: integrity == ["ok"]
            && audit.is_clean()
            && review_differences.is_empty()
            && scene_problems.is_empty()
            && unfinished.is_empty()
            && guidance.is_ok(),
        review_differences,
        integrity_check: integrity,
        chain_breaks: audit.breaks,
        summary_differences: audit.diffs,
        scene_problems,
        unfinished_checks: unfinished,
        open_permissions: open_permissions(&path),
        read_only_files: read_only_files(&path),
        stale_temp_files: stale_temp_files(ctx, &path),
        guidance: guidance.as_ref().ok().map(|g| GuidanceReport {
            origin: g.origin.to_string(),
            version: g.version.clone(),
            hash: g.hash.clone(),
        }),
    };
    if ctx.json {
        output::print_json(&report)?;
    } else {
        output::print_lines(&render(&report, output::width()))?;
    }
    verdict(&report, path)?;
    guidance.map(|_| ())
}

/// The report's first problem as the command's error (the report itself is printed
/// already): damage first, then tampering, then caches that disagree.
fn verdict(r: &Report, path: std::path::PathBuf) -> Result<()> {
    if r.integrity_check != ["ok"] || !r.unfinished_checks.is_empty() {
        let detail = match r.integrity_check.first() {
            Some(first) if first != "ok" => format!("integrity_check: {first}"),
            _ => r.unfinished_checks.first().cloned().unwrap_or_default(),
        };
        return Err(StoreError::Corrupt { path, detail }.into());
    }
    if let Some(first) = r.chain_breaks.first() {
        return Err(StoreError::Tampered(first.clone()).into());
    }
    if let Some(first) = r.summary_differences.first() {
        return Err(StoreError::SummaryAltered(first.clone()).into());
    }
    if let Some(first) = r.review_differences.first() {
        return Err(crate::follow::FollowError::ReviewAltered {
            encounter: first.clone(),
        }
        .into());
    }
    if let Some(first) = r.scene_problems.first() {
        return Err(StoreError::ScenesAltered(first.clone()).into());
    }
    Ok(())
}

fn render(r: &Report, width: usize) -> Vec<String> {
    let mut l = Vec::new();
    let line = |l: &mut Vec<String>, s: String| l.extend(output::wrap_indent(&s, width, "", "  "));
    line(&mut l, format!("database: {}", r.database));
    line(
        &mut l,
        match r.encryption {
            Encryption::None => {
                "encryption: WARNING, not encrypted; `msht db encrypt` encrypts it".into()
            }
            Encryption::RawKey => {
                "encryption: encrypted (SQLCipher); key from a raw key file".into()
            }
            Encryption::Passphrase => {
                "encryption: encrypted (SQLCipher); key unlocked with the passphrase".into()
            }
        },
    );
    line(
        &mut l,
        format!(
            "schema version: {} (this msht writes {})",
            r.schema_version, r.supported_schema_version
        ),
    );
    line(&mut l, format!("device id: {}", r.device_id));
    match r.encounters {
        Some(n) => line(&mut l, format!("encounters: {n}")),
        None => line(&mut l, "encounters: could not be counted".into()),
    }
    l.extend(render_files(r, width));
    if r.integrity_check == ["ok"] {
        line(&mut l, "integrity_check: ok".into());
    } else {
        line(
            &mut l,
            output::urgent()
                .apply_to("integrity_check: FAILED")
                .to_string(),
        );
        for p in r.integrity_check.iter().take(10) {
            line(&mut l, format!("  {p}"));
        }
    }
    for u in &r.unfinished_checks {
        line(
            &mut l,
            output::urgent()
                .apply_to(format!("NOT CHECKED: {u}"))
                .to_string(),
        );
    }
    l.extend(render_records(r, width));
    if r.review_differences.is_empty() {
        line(&mut l, "review queue: matches the records".into());
    } else {
        line(
            &mut l,
            output::urgent()
                .apply_to(format!(
                    "review queue: {} line(s) DIFFER from their records: {}",
                    r.review_differences.len(),
                    r.review_differences.join(", ")
                ))
                .to_string(),
        );
    }
    match &r.guidance {
        Some(g) => {
            line(&mut l, format!("guidance: {}", g.origin));
            line(&mut l, format!("guidance version: {}", g.version));
            // Unwrapped: a hash is copied whole.
            l.push(format!("guidance hash: {}", g.hash));
        }
        None => line(
            &mut l,
            "guidance: could not be loaded (see the error below)".into(),
        ),
    }
    l
}

/// The files part of the report: who may read or write the database's files, and
/// temporary files a killed export left.
fn render_files(r: &Report, width: usize) -> Vec<String> {
    let mut l = Vec::new();
    let line = |l: &mut Vec<String>, s: String| l.extend(output::wrap_indent(&s, width, "", "  "));
    if r.open_permissions.is_empty() {
        line(&mut l, "permissions: owner only".into());
    } else {
        line(
            &mut l,
            format!(
                "permissions: WARNING, others can read {}",
                r.open_permissions.join(", ")
            ),
        );
    }
    if !r.read_only_files.is_empty() {
        line(
            &mut l,
            format!(
                "permissions: WARNING, read-only {} (the next write makes it writable again)",
                r.read_only_files.join(", ")
            ),
        );
    }
    for t in &r.stale_temp_files {
        line(
            &mut l,
            format!(
                "left-over temporary file (personal data; the next export to its folder removes it): {t}"
            ),
        );
    }
    l
}

/// The records part of the report: chain breaks and summary rows that disagree.
fn render_records(r: &Report, width: usize) -> Vec<String> {
    let mut l = Vec::new();
    let line = |l: &mut Vec<String>, s: String| l.extend(output::wrap_indent(&s, width, "", "  "));
    if r.chain_breaks.is_empty() && r.unfinished_checks.is_empty() {
        line(
            &mut l,
            format!("chains: all {} verified", r.encounters.unwrap_or(0)),
        );
    } else if r.chain_breaks.is_empty() {
        line(&mut l, "chains: not all could be read (see above)".into());
    } else {
        line(
            &mut l,
            output::urgent()
                .apply_to(format!(
                    "chains: {} BROKEN (records altered after they were written)",
                    r.chain_breaks.len()
                ))
                .to_string(),
        );
        // Ids go on lines of their own, never wrapped, so they can be copied whole.
        for b in &r.chain_breaks {
            l.push(format!("  encounter {}", b.encounter_id));
            l.push(format!("    event {} {}", b.seq, b.event_id));
            l.extend(output::wrap_indent(&b.problem, width, "    ", "    "));
        }
    }
    if r.summary_differences.is_empty() {
        if r.unfinished_checks.is_empty() {
            line(
                &mut l,
                "encounter list: every row matches its record".into(),
            );
        }
    } else {
        line(
            &mut l,
            output::urgent()
                .apply_to(format!(
                    "encounter list: {} ALTERED field(s) (the list disagrees with the records)",
                    r.summary_differences.len()
                ))
                .to_string(),
        );
        for d in &r.summary_differences {
            l.push(format!("  encounter {}", d.encounter_id));
            l.extend(output::wrap_indent(
                &format!(
                    "{}: list says '{}', record says '{}'",
                    d.field, d.summary, d.record
                ),
                width,
                "    ",
                "    ",
            ));
        }
    }
    if r.scene_problems.is_empty() {
        if r.unfinished_checks.is_empty() {
            line(&mut l, "scenes: every chain and link verified".into());
        }
    } else {
        line(
            &mut l,
            output::urgent()
                .apply_to(format!(
                    "scenes: {} PROBLEM(S) (records altered after they were written)",
                    r.scene_problems.len()
                ))
                .to_string(),
        );
        for p in &r.scene_problems {
            l.extend(output::wrap_indent(p, width, "  ", "    "));
        }
    }
    l
}

/// The database, -wal and -shm files that exist and that group or others can read.
fn open_permissions(path: &Path) -> Vec<String> {
    let mut out = Vec::new();
    #[cfg(unix)]
    for suffix in ["", "-wal", "-shm", ".key"] {
        use std::os::unix::fs::PermissionsExt;
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        if let Ok(m) = std::fs::metadata(&p)
            && m.permissions().mode() & 0o077 != 0
        {
            out.push(Path::new(&p).display().to_string());
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    out
}

/// The database and its -wal and -shm files that exist and that their owner cannot write.
fn read_only_files(path: &Path) -> Vec<String> {
    let mut out = Vec::new();
    #[cfg(unix)]
    for suffix in ["", "-wal", "-shm"] {
        use std::os::unix::fs::PermissionsExt;
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        if let Ok(m) = std::fs::metadata(&p)
            && m.is_file()
            && m.permissions().mode() & 0o200 == 0
        {
            out.push(Path::new(&p).display().to_string());
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    out
}

/// Our stale temporary files where exports and bundles are usually written.
fn stale_temp_files(ctx: &Ctx, db: &Path) -> Vec<String> {
    let mut dirs = vec![
        db.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf(),
        Path::new(".").to_path_buf(),
    ];
    dirs.extend(ctx.config.sync_folder.clone());
    let mut seen = std::collections::BTreeSet::new();
    dirs.iter()
        .filter(|d| seen.insert(std::fs::canonicalize(d).unwrap_or_else(|_| d.to_path_buf())))
        .flat_map(|d| crate::atomic::stale_temp_files(d))
        .map(|p| p.display().to_string())
        .collect()
}
