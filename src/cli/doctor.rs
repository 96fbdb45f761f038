//! `msht doctor`: the paths and versions in use, and a full check of the database: SQLite's
//! own `integrity_check`, every encounter's hash chain, and the file permissions.
//!
//! It prints everything it found first and only then fails (exit 65), so the report
//! names every broken encounter and event, not just the first.

use std::path::Path;

use serde::Serialize;

use super::Ctx;
use super::output;
use crate::error::Result;

use crate::record::ChainBreak;
use crate::store::{MIGRATIONS, Store, StoreError};

#[derive(Serialize)]
struct Report {
    database: String,
    schema_version: i64,
    supported_schema_version: i64,
    device_id: String,
    encounters: usize,
    integrity_check: Vec<String>,
    #[serde(serialize_with = "breaks_json")]
    chain_breaks: Vec<ChainBreak>,
    /// Files of the database others can read (should be empty).
    open_permissions: Vec<String>,
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
        None => Store::default_path()?,
    };
    // Doctor only reads: a mistyped --db must not leave an empty database behind.
    let store = match super::db::open_existing(ctx) {
        Ok(s) => s,
        Err(e) => {
            // Say which file before the one-sentence error, so a support call can start.
            if !ctx.json {
                output::print_lines(&[format!("database: {}", path.display())])?;
            }
            return Err(e);
        }
    };
    let integrity = store.integrity_check()?;
    let breaks = store.verify_all()?;
    let guidance = ctx.guidance();
    let report = Report {
        database: path.display().to_string(),
        schema_version: store.schema_version()?,
        supported_schema_version: MIGRATIONS.len() as i64,
        device_id: store.device_id().to_string(),
        encounters: store.count()?,
        ok: integrity == ["ok"] && breaks.is_empty() && guidance.is_ok(),
        integrity_check: integrity,
        chain_breaks: breaks,
        open_permissions: open_permissions(&path),
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
    if report.integrity_check != ["ok"] {
        return Err(StoreError::Corrupt {
            path,
            detail: format!(
                "integrity_check: {}",
                report.integrity_check.first().map_or("", String::as_str)
            ),
        }
        .into());
    }
    if let Some(first) = report.chain_breaks.first() {
        return Err(StoreError::Tampered(first.clone()).into());
    }
    guidance.map(|_| ())
}

fn render(r: &Report, width: usize) -> Vec<String> {
    let mut l = Vec::new();
    let line = |l: &mut Vec<String>, s: String| l.extend(output::wrap_indent(&s, width, "", "  "));
    line(&mut l, format!("database: {}", r.database));
    line(
        &mut l,
        format!(
            "schema version: {} (this msht writes {})",
            r.schema_version, r.supported_schema_version
        ),
    );
    line(&mut l, format!("device id: {}", r.device_id));
    line(&mut l, format!("encounters: {}", r.encounters));
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
    if r.chain_breaks.is_empty() {
        line(&mut l, format!("chains: all {} verified", r.encounters));
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

/// The database, -wal and -shm files that exist and that group or others can read.
fn open_permissions(path: &Path) -> Vec<String> {
    let mut out = Vec::new();
    #[cfg(unix)]
    for suffix in ["", "-wal", "-shm"] {
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
