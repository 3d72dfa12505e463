//! Field submissions in: a KoBoToolbox or ODK Central export of one of
//! the forms in forms/ saved as DRAFT reports, for the command line's
//! `report import-submissions` and the API's `POST /api/submissions` alike.
//!
//! A draft touches nothing of the register until it is submitted and
//! approved. By default one rejected submission saves nothing; with
//! `keep_going` the good ones are drafted. A submission imported before is
//! named with its report's state, never drafted twice.

use safeground_core::report;
use safeground_formats::kobo::{self, Export, Format, KoboError};
use safeground_formats::xlsform::FormKind;
use safeground_store::{DraftOutcome, Store, StoreError};
use time::OffsetDateTime;

/// One export to draft.
#[derive(Debug, Clone)]
pub struct Request {
    /// How messages name the file.
    pub name: String,
    /// The form the submissions were made with.
    pub form: FormKind,
    /// The author of submissions that name no organisation; a submission
    /// naming another is rejected.
    pub organisation: Option<String>,
    /// Draft the good submissions even when some are rejected.
    pub keep_going: bool,
}

/// What became of an export's submissions.
#[derive(Debug)]
pub struct Drafted {
    /// The export as read, for its reject file.
    pub export: Export,
    /// The submissions saved or found already imported, by row, with what became of each.
    pub outcomes: Vec<(usize, DraftOutcome)>,
    /// The rejected submissions, by row, with their reasons, in the file's order.
    pub rejected: Vec<(usize, String)>,
    /// Whether the drafts were saved: false when a submission was rejected
    /// without `keep_going`, so none was.
    pub committed: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum SubmissionsError {
    /// Not an export at all: nothing was saved.
    #[error(transparent)]
    NotAnExport(#[from] KoboError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Drafted {
    /// How many new drafts were saved.
    pub fn drafted(&self) -> usize {
        if !self.committed {
            return 0;
        }
        self.outcomes.iter().filter(|(_, o)| matches!(o, DraftOutcome::Drafted(_))).count()
    }

    /// How many were imported before.
    pub fn already(&self) -> usize {
        self.outcomes.iter().filter(|(_, o)| matches!(o, DraftOutcome::AlreadyImported { .. })).count()
    }

    /// Where the submission of row `i` is in the file (`row 3`, `submission uuid:…`).
    pub fn at(&self, i: usize) -> String {
        self.export.rows.get(i).map(|r| r.at.to_string()).unwrap_or_default()
    }

    /// Each rejection as `FILE, WHERE: REASON`.
    pub fn rejections(&self) -> Vec<String> {
        self.rejected
            .iter()
            .map(|(i, reason)| format!("{}, {}: {reason}", self.export.file, self.at(*i)))
            .collect()
    }

    /// The line `import-submissions` ends with.
    pub fn said(&self) -> String {
        format!(
            "read {}, drafted {}, rejected {} (already imported {})",
            self.export.rows.len(),
            self.drafted(),
            self.rejected.len(),
            self.already()
        )
    }

    /// The reject file's extension: the export's own format.
    pub fn reject_extension(&self) -> &'static str {
        match self.export.format {
            Format::Csv { .. } => "csv",
            Format::Json => "json",
        }
    }

    /// Writes the rejected submissions as they were, each with its `_reject_reason`.
    pub fn write_rejects(&self, out: impl std::io::Write) -> std::io::Result<()> {
        kobo::write_rejects(&self.export, &self.rejected, out)
    }
}

fn reasons(e: &kobo::RowError) -> String {
    e.problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; ")
}

/// Why the actor may not submit a report, if it may not.
pub type May<'a> = dyn Fn(&report::Report) -> Result<(), String> + 'a;

/// Reads `input` and saves its good submissions as drafts by `actor`;
/// `may` says why `actor` may not submit a report (its organisation, its
/// type), which rejects that submission.
pub fn draft(
    store: &mut Store,
    (actor, may): (&str, &May<'_>),
    req: &Request,
    input: impl std::io::Read,
) -> Result<Drafted, SubmissionsError> {
    let export = kobo::read(&req.name, input, req.form, req.organisation.as_deref())?;
    let now = OffsetDateTime::now_utc();
    let mut rejected: Vec<(usize, String)> = Vec::new();
    let mut good = Vec::new();
    for (i, row) in export.rows.iter().enumerate() {
        match &row.outcome {
            Err(e) => rejected.push((i, reasons(e))),
            Ok(d) => {
                let mut problems = report::check_shape(&d.report, now.date());
                if let Some(org) = &req.organisation {
                    if !d.report.organisation.eq_ignore_ascii_case(org) {
                        problems.push(format!(
                            "field 'organisation': the submission is {}'s, not {org}'s",
                            d.report.organisation
                        ));
                    }
                }
                if let Err(why) = may(&d.report) {
                    problems.push(why);
                }
                if problems.is_empty() {
                    good.push((i, d));
                } else {
                    rejected.push((i, problems.join("; ")));
                }
            }
        }
    }
    let mut outcomes: Vec<(usize, DraftOutcome)> = Vec::new();
    let mut refused: Vec<(usize, String)> = Vec::new();
    let parse_rejects = rejected.len();
    let saved = store.write(|w| {
        for (i, d) in &good {
            match w.save_draft(&d.report, actor, now, &d.source) {
                Ok(o) => outcomes.push((*i, o)),
                // The register does not know a reference: this row only.
                Err(e @ (StoreError::Refused { .. } | StoreError::Unknown { .. })) => {
                    refused.push((*i, e.to_string().replace('\n', " ")))
                }
                Err(e) => return Err(e),
            }
        }
        if !req.keep_going && parse_rejects + refused.len() > 0 {
            return Err(StoreError::Invalid {
                record: req.name.clone(),
                problem: "some submissions were rejected".into(),
            });
        }
        Ok(())
    });
    let committed = match saved {
        Ok(()) => true,
        Err(StoreError::Invalid { record, .. }) if record == req.name && !req.keep_going => false,
        Err(e) => return Err(e.into()),
    };
    rejected.extend(refused);
    rejected.sort_by_key(|r| r.0);
    Ok(Drafted { export, outcomes, rejected, committed })
}
