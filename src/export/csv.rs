//! CSV for analysts: one row per encounter, fixed column names in a fixed order (a
//! spreadsheet or a script may rely on them; add columns only at the end), and RFC 4180
//! quoting by the `csv` crate (fields with commas, quotes or line breaks are quoted,
//! quotes doubled, CRLF line ends).
//!
//! Answers differ per checklist, so they go in one `answers` column as a JSON object
//! (`{"general_age":"no"}`) rather than one column per question, which would change the
//! header whenever the guidance changes. Lists of ids are joined with `;` (ids never hold
//! one).
//!
//! Every cell is written through `text::visible::csv_cell`: a cell that starts like a
//! formula (`=`, `+`, `-`, `@`, tab, CR) gets a leading `'`, and control characters are
//! shown escaped, so a hostile note cannot run in a spreadsheet.

use std::io::Write;

use super::record::ExportRecord;
use crate::text::visible::csv_cell;

/// The header, in order. Stable: add only at the end.
pub const CSV_COLUMNS: &[&str] = &[
    "encounter_id",
    "status",
    "audience",
    "checklist",
    "guidance_version",
    "guidance_hash",
    "officer",
    "device_id",
    "location",
    "created_utc",
    "created_local",
    "completed_utc",
    "updated_utc",
    "answer_count",
    "answers",
    "indicators",
    "welfare_prompts",
    "open_prompts",
    "duties",
    "notes",
    "amendment_count",
    "void_reason",
    "event_count",
    "head_hash",
    "duty_outcomes",
    "open_duties",
    "signed_off_by",
    "signed_off_utc",
];

/// The row for one encounter, as field values in `CSV_COLUMNS` order.
pub fn csv_row(rec: &ExportRecord) -> Vec<String> {
    let answers: serde_json::Map<String, serde_json::Value> = rec
        .answers
        .iter()
        .map(|a| (a.question.clone(), a.answer.as_value().to_string().into()))
        .collect();
    let join = |v: Vec<&str>| v.join(";");
    vec![
        rec.encounter_id.clone(),
        rec.status.as_str().to_string(),
        match rec.audience {
            super::Audience::Full => "full",
            super::Audience::Dtn => "dtn",
        }
        .to_string(),
        rec.checklist.id.clone(),
        rec.guidance.version.clone(),
        rec.guidance.hash.clone(),
        rec.officer.clone(),
        rec.device_id.clone(),
        rec.location.clone().unwrap_or_default(),
        rec.created.utc.clone(),
        rec.created.local.clone().unwrap_or_default(),
        rec.completed
            .as_ref()
            .map(|t| t.utc.clone())
            .unwrap_or_default(),
        rec.updated.utc.clone(),
        rec.answers.len().to_string(),
        serde_json::Value::Object(answers).to_string(),
        join(rec.indicators.iter().map(|i| i.question.as_str()).collect()),
        rec.welfare_prompts
            .iter()
            .map(|p| format!("{}={}", p.id, p.outcome.as_deref().unwrap_or("none")))
            .collect::<Vec<_>>()
            .join(";"),
        rec.welfare_prompts
            .iter()
            .filter(|p| matches!(p.outcome.as_deref(), None | Some("deferred")))
            .count()
            .to_string(),
        join(rec.duties.iter().map(|d| d.id.as_str()).collect()),
        rec.notes
            .iter()
            .map(|n| n.text.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        rec.amendments.len().to_string(),
        rec.void.reason.clone().unwrap_or_default(),
        rec.event_count.to_string(),
        rec.head_hash.clone(),
        // id=outcome, with the reference after a colon: `nrm-referral=done:NRM-1`.
        rec.follow_through
            .iter()
            .filter_map(|d| {
                let o = d.outcome.as_deref()?;
                Some(match &d.reference {
                    Some(r) => format!("{}={o}:{r}", d.id),
                    None => format!("{}={o}", d.id),
                })
            })
            .collect::<Vec<_>>()
            .join(";"),
        rec.follow_through
            .iter()
            .filter(|d| d.open)
            .count()
            .to_string(),
        rec.sign_offs
            .last()
            .map(|x| x.supervisor.clone())
            .unwrap_or_default(),
        rec.sign_offs
            .last()
            .map(|x| x.at.utc.clone())
            .unwrap_or_default(),
    ]
}

/// Writes a header, then one row per record, streaming.
pub struct CsvSink<W: Write> {
    w: csv::Writer<W>,
}

impl<W: Write> CsvSink<W> {
    pub fn new(out: W) -> std::io::Result<CsvSink<W>> {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(out);
        w.write_record(CSV_COLUMNS).map_err(csv_io)?;
        Ok(CsvSink { w })
    }

    pub fn write(&mut self, rec: &ExportRecord) -> std::io::Result<()> {
        let row = csv_row(rec);
        self.w
            .write_record(row.iter().map(|cell| csv_cell(cell).into_owned()))
            .map_err(csv_io)
    }

    /// Flushes and hands back the writer.
    pub fn finish(self) -> std::io::Result<W> {
        self.w
            .into_inner()
            .map_err(|e| std::io::Error::other(e.to_string()))
    }
}

fn csv_io(e: csv::Error) -> std::io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => io,
        other => std::io::Error::other(format!("{other:?}")),
    }
}
