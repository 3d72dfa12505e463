//! The field forms, as XLSForm workbooks (`forms/*.xlsx`) that KoBoToolbox,
//! ODK Central and Survey123 turn into the forms field teams fill in offline.
//!
//! Each form is data here — survey rows, choices, settings — so the choice
//! names are the register's codes ([`safeground_core::codes`]): a submission
//! maps one to one onto a report ([`crate::kobo`] reads the exports back).
//! The field names are what [`crate::kobo`] looks for; change both together,
//! and bump [`VERSION`] so that exports say which form they came from.
//!
//! The workbook is written with a fixed creation time (and rust_xlsxwriter
//! fixes the zip entries' times), so writing the same form twice gives the
//! same bytes.
//!
//! ```
//! use safeground_formats::xlsform::{form, FormKind};
//! let nts = form(FormKind::Nts);
//! assert_eq!(nts.form_id, "safeground_nts");
//! assert!(nts.choices.iter().any(|c| c.list == "eo_category" && c.name == "CMR"));
//! ```

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, XlsxError};
use safeground_core::codes::*;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// The forms' version (the `version` setting); exports carry it as `__version__` or `_version`.
pub const VERSION: &str = "2025010101";

/// The forms safeground ships.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FormKind {
    /// Non-technical survey recording a new hazard.
    Nts,
    /// Clearance progress or completion, with the EO found.
    Clearance,
    /// EO found outside a task.
    EoFind,
    /// An explosive ordnance risk education session.
    EoreSession,
}

impl FormKind {
    pub const ALL: &'static [FormKind] =
        &[FormKind::Nts, FormKind::Clearance, FormKind::EoFind, FormKind::EoreSession];

    /// The file stem and command-line name: `nts`, `clearance`, `eo_find`, `eore_session`.
    pub fn name(self) -> &'static str {
        match self {
            FormKind::Nts => "nts",
            FormKind::Clearance => "clearance",
            FormKind::EoFind => "eo_find",
            FormKind::EoreSession => "eore_session",
        }
    }
}

impl fmt::Display for FormKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for FormKind {
    type Err = String;
    fn from_str(s: &str) -> Result<FormKind, String> {
        FormKind::ALL.iter().copied().find(|k| k.name().eq_ignore_ascii_case(s.trim())).ok_or_else(|| {
            format!("'{s}' is not a form; expected one of: nts, clearance, eo_find, eore_session")
        })
    }
}

/// One row of the `survey` sheet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SurveyRow {
    pub kind: String,
    pub name: String,
    pub label: String,
    pub hint: String,
    pub required: bool,
    pub relevant: String,
    pub constraint: String,
    pub constraint_message: String,
    pub appearance: String,
    pub default: String,
}

/// One row of the `choices` sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub list: String,
    pub name: String,
    pub label: String,
}

/// A whole form.
#[derive(Debug, Clone, PartialEq)]
pub struct Form {
    pub kind: FormKind,
    pub form_id: String,
    pub title: String,
    pub version: String,
    pub survey: Vec<SurveyRow>,
    pub choices: Vec<Choice>,
}

fn row(kind: &str, name: &str, label: &str) -> SurveyRow {
    SurveyRow { kind: kind.into(), name: name.into(), label: label.into(), ..SurveyRow::default() }
}

fn req(kind: &str, name: &str, label: &str) -> SurveyRow {
    SurveyRow { required: true, ..row(kind, name, label) }
}

impl SurveyRow {
    fn hint(mut self, h: &str) -> Self {
        self.hint = h.into();
        self
    }
    fn relevant(mut self, r: &str) -> Self {
        self.relevant = r.into();
        self
    }
    fn constraint(mut self, c: &str, message: &str) -> Self {
        self.constraint = c.into();
        self.constraint_message = message.into();
        self
    }
    fn default_value(mut self, d: &str) -> Self {
        self.default = d.into();
        self
    }
    fn appearance(mut self, a: &str) -> Self {
        self.appearance = a.into();
        self
    }
}

/// "DESTROYED_IN_SITU" → "Destroyed in situ".
fn label_of(code: &str) -> String {
    let lower = code.replace('_', " ").to_lowercase();
    let mut c = lower.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

fn list<T: Copy + fmt::Display>(out: &mut Vec<Choice>, name: &str, all: &[T]) {
    for v in all {
        let code = v.to_string();
        out.push(Choice { list: name.into(), label: label_of(&code), name: code });
    }
}

fn eo_categories(out: &mut Vec<Choice>) {
    let labels = [
        (EoCategory::Ap, "Anti-personnel mine (AP)"),
        (EoCategory::At, "Anti-tank mine (AT)"),
        (EoCategory::Uxo, "Unexploded ordnance (UXO)"),
        (EoCategory::Axo, "Abandoned explosive ordnance (AXO)"),
        (EoCategory::Cmr, "Cluster munition remnant (CMR)"),
        (EoCategory::Ied, "Improvised explosive device (IED)"),
    ];
    for (c, l) in labels {
        out.push(Choice { list: "eo_category".into(), name: c.code().into(), label: l.into() });
    }
}

fn yes_no(out: &mut Vec<Choice>) {
    for (n, l) in [("yes", "Yes"), ("no", "No")] {
        out.push(Choice { list: "yes_no".into(), name: n.into(), label: l.into() });
    }
}

fn dates(single: bool) -> Vec<SurveyRow> {
    if single {
        vec![req("date", "date", "Date").constraint(". <= today()", "The date cannot be in the future")]
    } else {
        vec![
            req("date", "start_date", "Start date")
                .constraint(". <= today()", "The date cannot be in the future"),
            req("date", "end_date", "End date").constraint(
                ". >= ${start_date} and . <= today()",
                "The end date is before the start or in the future",
            ),
        ]
    }
}

fn organisation() -> Vec<SurveyRow> {
    vec![
        req("text", "organisation", "Organisation").hint("Its acronym in the register, e.g. ANAMA"),
        row("text", "team", "Team").hint("The team's name in the register (optional)"),
    ]
}

/// The repeat of EO finds (clearance and EO find forms).
fn finds(min_one: bool) -> Vec<SurveyRow> {
    let mut begin = row("begin_repeat", "finds", "EO found");
    if min_one {
        begin.hint = "One entry per item (or batch of the same type)".into();
    }
    vec![
        begin,
        req("select_one eo_category", "category", "Category"),
        req("text", "eo_type", "Type").hint("The model, e.g. PMN-2, BLU-97, 122 mm rocket"),
        req("integer", "quantity", "Quantity").default_value("1").constraint(". >= 1", "At least 1"),
        req("select_one eo_condition", "condition", "Condition").default_value("UNKNOWN"),
        row("text", "fuze_state", "Fuze state"),
        req("select_one disposal", "disposal", "What was done with it"),
        req("geopoint", "location", "Where it was found"),
        row("date", "found_on", "Found on").hint("Leave empty for the report's end date"),
        row("end_repeat", "finds", ""),
    ]
}

fn notes() -> SurveyRow {
    row("text", "notes", "Notes").appearance("multiline")
}

/// The form of `kind`, as data.
pub fn form(kind: FormKind) -> Form {
    let mut survey = Vec::new();
    let mut choices = Vec::new();
    let title = match kind {
        FormKind::Nts => {
            nts_hazard(&mut survey);
            nts_drawing(&mut survey);
            survey.push(notes());
            nts_choices(&mut choices);
            "Non-technical survey (new hazard)"
        }
        FormKind::Clearance => clearance(&mut survey, &mut choices),
        FormKind::EoFind => eo_find(&mut survey, &mut choices),
        FormKind::EoreSession => eore_session(&mut survey, &mut choices),
    };
    Form {
        kind,
        form_id: format!("safeground_{}", kind.name()),
        title: title.into(),
        version: VERSION.into(),
        survey,
        choices,
    }
}

/// A non-technical survey's questions up to the polygon: who, when, the
/// hazard, its evidence, its reference point and benchmark.
fn nts_hazard(survey: &mut Vec<SurveyRow>) {
    survey.extend(organisation());
    survey.extend(dates(false));
    survey.push(row("begin_group", "hazard", "The hazard"));
    survey.push(req("text", "hazard_name", "Name").hint("A name people will recognise: place and landmark"));
    survey.push(req("select_one hazard_kind", "hazard_kind", "Suspected or confirmed"));
    survey.push(req("text", "district", "District").hint("As written in the register (Ağdam or Agdam)"));
    survey.push(req("select_multiple eo_category", "contamination", "Contamination"));
    survey.push(row("select_multiple land_use", "land_use", "Land use blocked"));
    survey.push(row("integer", "beneficiaries", "Beneficiaries").constraint(". >= 0", "Not negative"));
    survey.push(row("end_group", "hazard", ""));
    survey.push(row("begin_group", "evidence", "Evidence"));
    survey.push(req("select_one evidence_source", "evidence_source", "Source"));
    survey.push(req("select_one confidence", "evidence_confidence", "Confidence"));
    survey.push(req("text", "evidence_description", "What was seen or said"));
    survey.push(row("end_group", "evidence", ""));
    survey.push(row("begin_group", "marking", "Reference point and benchmark"));
    survey.push(row("geopoint", "reference_point", "Reference point (landmark)"));
    survey.push(row("text", "reference_description", "Reference point description"));
    survey.push(
        req("geopoint", "benchmark", "Benchmark (BM)")
            .hint("The marked point a safe distance from the hazard; the traverse starts here"),
    );
    survey.push(row("end_group", "marking", ""));
}

/// How a non-technical survey records the polygon: turning points walked
/// from the benchmark (bearings and distances, or GPS), or a shape.
fn nts_drawing(survey: &mut Vec<SurveyRow>) {
    survey.push(req("select_one drawing", "drawing", "How is the polygon recorded?"));
    survey.push(
        req("select_one north", "bearing_reference", "Bearings are")
            .default_value("MAGNETIC")
            .relevant("${drawing} = 'TRAVERSE'"),
    );
    survey.push(
        row("decimal", "declination", "Magnetic declination (degrees, east positive)")
            .default_value("0")
            .relevant("${drawing} = 'TRAVERSE' and ${bearing_reference} = 'MAGNETIC'")
            .constraint(". >= -90 and . <= 90", "Between -90 and 90 degrees"),
    );
    survey.push(
        row("begin_repeat", "turning_points", "Turning points")
            .relevant("${drawing} = 'TRAVERSE'")
            .hint("From the start point round the perimeter; end with the start point's name to close"),
    );
    survey.push(req("text", "point_name", "Point").hint("SP, TP1, TP2, …"));
    survey.push(req("select_one point_method", "point_method", "Recorded as").default_value("BEARING"));
    survey.push(
        req("decimal", "bearing", "Bearing (degrees)")
            .relevant("${point_method} = 'BEARING'")
            .constraint(". >= 0 and . < 360", "A bearing is from 0 to 360 degrees"),
    );
    survey.push(
        req("decimal", "distance", "Distance (m) from the previous point")
            .relevant("${point_method} = 'BEARING'")
            .constraint(". > 0 and . <= 100000", "More than 0 m and at most 100 km"),
    );
    survey.push(req("geopoint", "gps", "Position").relevant("${point_method} = 'GPS'"));
    survey.push(row("end_repeat", "turning_points", ""));
    survey.push(req("geoshape", "shape", "The hazard's polygon").relevant("${drawing} = 'SHAPE'"));
}

/// The choice lists of a non-technical survey.
fn nts_choices(choices: &mut Vec<Choice>) {
    for (c, l) in [(HazardKind::Sha, "Suspected (SHA)"), (HazardKind::Cha, "Confirmed (CHA)")] {
        choices.push(Choice { list: "hazard_kind".into(), name: c.code().into(), label: l.into() });
    }
    eo_categories(choices);
    list(choices, "land_use", LandUse::ALL);
    list(choices, "evidence_source", EvidenceSource::ALL);
    list(choices, "confidence", Confidence::ALL);
    for (n, l) in
        [("TRAVERSE", "Turning points walked"), ("SHAPE", "Polygon traced on the map or walked with GPS")]
    {
        choices.push(Choice { list: "drawing".into(), name: n.into(), label: l.into() });
    }
    for n in ["TRUE", "MAGNETIC", "GRID"] {
        choices.push(Choice { list: "north".into(), name: n.into(), label: label_of(n) });
    }
    for (n, l) in [("BEARING", "Bearing and distance"), ("GPS", "GPS position")] {
        choices.push(Choice { list: "point_method".into(), name: n.into(), label: l.into() });
    }
}

/// A clearance progress report's questions and choices; its title.
fn clearance(survey: &mut Vec<SurveyRow>, choices: &mut Vec<Choice>) -> &'static str {
    survey.extend(organisation());
    survey.push(req("text", "task", "Task code").hint("e.g. T-AZ-AM-900001"));
    survey.push(row("text", "hazard", "Hazard code").hint("e.g. AZ-AM-000012; the task's hazard if empty"));
    survey.extend(dates(false));
    survey.push(req("select_one clearance_method", "method", "Method"));
    survey.push(row("integer", "depth_cm", "Depth (cm)").constraint(". >= 0 and . <= 500", "0 to 500 cm"));
    survey.push(row("decimal", "hours_worked", "Hours worked").constraint(". >= 0", "Not negative"));
    survey.push(row("geoshape", "cleared_area", "Ground cleared in this period"));
    survey.push(req("select_one yes_no", "completion", "Is the hazard completed?").default_value("no"));
    survey.push(
        row("select_one yes_no", "handed_over", "Handed over to its users?")
            .default_value("no")
            .relevant("${completion} = 'yes'"),
    );
    survey.extend(finds(false));
    survey.push(notes());
    list(choices, "clearance_method", ClearanceMethod::ALL);
    yes_no(choices);
    find_choices(choices);
    "Clearance progress"
}

/// An EO find report's questions and choices; its title.
fn eo_find(survey: &mut Vec<SurveyRow>, choices: &mut Vec<Choice>) -> &'static str {
    survey.extend(organisation());
    survey.extend(dates(true));
    survey.push(row("text", "hazard", "Hazard code").hint("If found in a recorded hazard"));
    survey.extend(finds(true));
    survey.push(notes());
    find_choices(choices);
    "EO find"
}

/// The choice lists of the finds' repeat: category, condition, disposal.
fn find_choices(choices: &mut Vec<Choice>) {
    eo_categories(choices);
    list(choices, "eo_condition", EoCondition::ALL);
    list(choices, "disposal", Disposal::ALL);
}

/// An EORE session report's questions and choices; its title.
fn eore_session(survey: &mut Vec<SurveyRow>, choices: &mut Vec<Choice>) -> &'static str {
    survey.extend(organisation());
    survey.extend(dates(true));
    survey.push(req("select_one eore_kind", "kind", "Kind of session"));
    survey.push(req("select_one audience", "audience", "Audience"));
    survey.push(row("text", "settlement", "Settlement").hint("Its name in the register"));
    survey.push(row("geopoint", "location", "Where"));
    for (n, l) in [("girls", "Girls"), ("boys", "Boys"), ("women", "Women"), ("men", "Men")] {
        survey.push(req("integer", n, l).default_value("0").constraint(". >= 0", "Not negative"));
    }
    survey.push(notes());
    list(choices, "eore_kind", EoreKind::ALL);
    list(choices, "audience", Audience::ALL);
    "EORE session"
}

const SURVEY_COLUMNS: [&str; 10] = [
    "type",
    "name",
    "label",
    "hint",
    "required",
    "relevant",
    "constraint",
    "constraint_message",
    "appearance",
    "default",
];

/// The workbook of a form, as bytes.
pub fn to_xlsx(f: &Form) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    // A fixed creation time: the same form gives the same bytes.
    let created = ExcelDateTime::from_ymd(2025, 1, 1)?;
    book.set_properties(&DocProperties::new().set_title(&f.title).set_creation_datetime(&created));
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet().set_name("survey")?;
    for (c, h) in SURVEY_COLUMNS.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (i, r) in f.survey.iter().enumerate() {
        let cells = [
            r.kind.as_str(),
            &r.name,
            &r.label,
            &r.hint,
            if r.required { "yes" } else { "" },
            &r.relevant,
            &r.constraint,
            &r.constraint_message,
            &r.appearance,
            &r.default,
        ];
        for (c, v) in cells.iter().enumerate() {
            if !v.is_empty() {
                sheet.write_string(i as u32 + 1, c as u16, *v)?;
            }
        }
    }
    sheet.set_column_width(0, 28)?;
    sheet.set_column_width(1, 22)?;
    sheet.set_column_width(2, 40)?;
    let sheet = book.add_worksheet().set_name("choices")?;
    for (c, h) in ["list_name", "name", "label"].iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (i, ch) in f.choices.iter().enumerate() {
        let r = i as u32 + 1;
        sheet.write_string(r, 0, &ch.list)?;
        sheet.write_string(r, 1, &ch.name)?;
        sheet.write_string(r, 2, &ch.label)?;
    }
    sheet.set_column_width(0, 18)?;
    sheet.set_column_width(1, 24)?;
    sheet.set_column_width(2, 40)?;
    let sheet = book.add_worksheet().set_name("settings")?;
    for (c, (h, v)) in [("form_title", f.title.as_str()), ("form_id", &f.form_id), ("version", &f.version)]
        .iter()
        .enumerate()
    {
        sheet.write_string_with_format(0, c as u16, *h, &bold)?;
        sheet.write_string(1, c as u16, *v)?;
    }
    book.save_to_buffer()
}

/// Writes every form into `dir` as `NAME.xlsx`; returns the paths written.
pub fn write_all(dir: &Path) -> Result<Vec<std::path::PathBuf>, XlsformError> {
    std::fs::create_dir_all(dir).map_err(|e| XlsformError::Io(dir.display().to_string(), e))?;
    let mut written = Vec::new();
    for k in FormKind::ALL {
        let path = dir.join(format!("{}.xlsx", k.name()));
        let bytes = to_xlsx(&form(*k))?;
        let part = path.with_extension("xlsx.part");
        std::fs::write(&part, &bytes).map_err(|e| XlsformError::Io(part.display().to_string(), e))?;
        std::fs::rename(&part, &path).map_err(|e| XlsformError::Io(path.display().to_string(), e))?;
        written.push(path);
    }
    Ok(written)
}

/// What cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum XlsformError {
    #[error("writing {0}: {1}")]
    Io(String, std::io::Error),
    #[error("writing the workbook: {0}")]
    Xlsx(#[from] XlsxError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_are_byte_stable_and_names_unique() {
        for k in FormKind::ALL {
            let f = form(*k);
            assert_eq!(to_xlsx(&f).unwrap(), to_xlsx(&f).unwrap());
            let mut names: Vec<&str> =
                f.survey.iter().filter(|r| !r.kind.starts_with("end_")).map(|r| r.name.as_str()).collect();
            let n = names.len();
            names.sort();
            names.dedup();
            assert_eq!(n, names.len(), "{k}: duplicate names");
            assert_eq!(k.name().parse::<FormKind>(), Ok(*k));
        }
    }

    #[test]
    fn choice_names_are_the_registers_codes() {
        let f = form(FormKind::Clearance);
        for d in Disposal::ALL {
            assert!(f.choices.iter().any(|c| c.list == "disposal" && c.name == d.code()));
        }
        assert_eq!(label_of("DESTROYED_IN_SITU"), "Destroyed in situ");
    }
}
