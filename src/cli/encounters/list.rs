//! `msht encounters list`: newest first, paged, each id as its shortest unique prefix.

use super::{ListArgs, local_time};
use crate::cli::Ctx;
use crate::cli::{db, output};
use crate::error::Result;
use crate::record::Status;
use crate::store::ListFilter;

/// How many encounters `list` shows unless told otherwise.
const DEFAULT_LIMIT: usize = 50;

pub fn run(ctx: &Ctx, a: ListArgs) -> Result<()> {
    let store = db::open_to_read(ctx)?;
    let filter = ListFilter {
        status: a.status.map(Status::from),
        since: a.since,
        limit: if a.all {
            None
        } else {
            Some(a.limit.unwrap_or(DEFAULT_LIMIT))
        },
        offset: a.offset,
    };
    let rows = store.list(&filter)?;
    if ctx.json {
        return Ok(output::print_json(&rows)?);
    }
    if rows.is_empty() {
        let what = if filter.status.is_some() || filter.since.is_some() || filter.offset > 0 {
            "No encounters match."
        } else {
            "No encounters recorded yet. `msht check` starts one."
        };
        return Ok(output::print_lines(&[what.to_string()])?);
    }
    let width = output::width();
    let mut lines = Vec::new();
    for r in &rows {
        let short = store.short_id(&r.id)?;
        let when = local_time(&r.created_at, None);
        let id = output::bold().apply_to(&short);
        // Id and status first; the time joins them only if it fits (40-column phones).
        if short.len() + 2 + 8 + 2 + when.len() <= width {
            lines.push(format!("{id}  {}  {when}", status_styled(r.status, 8)));
        } else {
            lines.push(format!("{id}  {}", status_styled(r.status, 0)));
            lines.push(format!("  {when}"));
        }
        let mut detail = format!("{} · {} · {}", r.officer, r.location, r.checklist);
        if let Some(scene) = &r.scene {
            detail.push_str(&format!(" · scene {}", store.short_scene_id(scene)?));
        }
        lines.extend(output::wrap_indent(&detail, width, "  ", "  "));
    }
    if filter.limit == Some(rows.len()) {
        lines.push(String::new());
        lines.push(
            output::dim()
                .apply_to(format!(
                    "Showing {}; --offset {} shows the next, --all shows every one.",
                    rows.len(),
                    filter.offset + rows.len()
                ))
                .to_string(),
        );
    }
    Ok(output::print_lines(&lines)?)
}

/// The status word, padded to `pad` columns before styling (escape codes have no width).
fn status_styled(s: Status, pad: usize) -> String {
    let text = format!("{:<pad$}", s.as_str());
    match s {
        Status::Draft => console::style(text).yellow().to_string(),
        Status::Complete => console::style(text).green().to_string(),
        Status::Void => output::dim().apply_to(text).to_string(),
    }
}
