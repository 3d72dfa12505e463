//! XLSX input (calamine): one sheet — the one named like the layer, the one
//! named with `--table`, or the only one — read as a table whose first row is
//! the header, like a CSV: `wkt` or `longitude`/`latitude` columns, numbers
//! and dates as Excel typed them. A workbook is read whole (Excel's own limit
//! is about a million rows); use GeoJSON for larger files.

use crate::csv_in::{geometry_columns, row_geometry, Geometry};
use crate::read::{Original, Read, ReadError, Sink};
use calamine::{open_workbook_auto, Data, Reader};
use safeground_core::crs::Crs;
use safeground_core::import::InRecord;
use serde_json::Value;
use std::path::Path;

/// A sheet of a workbook, open for reading.
pub struct XlsxLayerReader {
    sheet: String,
    header: Vec<String>,
    rows: calamine::Range<Data>,
    geometry: Geometry,
    crs: Crs,
}

/// A cell as the text a CSV would hold: whole numbers without a decimal
/// point, dates as YYYY-MM-DD.
fn cell_text(d: &Data) -> Result<String, String> {
    Ok(match d {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(t) => {
            // Excel's serial day 0 is 1899-12-30 (counting its phantom 1900-02-29).
            let serial = t.as_f64();
            let day = time::Date::from_julian_day(2_415_019 + serial.floor() as i32)
                .map_err(|_| format!("{serial} is not a date Excel can hold"))?;
            let seconds = ((serial - serial.floor()) * 86_400.0).round() as u32;
            if seconds == 0 {
                day.to_string()
            } else {
                format!("{day}T{:02}:{:02}:{:02}Z", seconds / 3600, seconds / 60 % 60, seconds % 60)
            }
        }
        Data::Error(e) => return Err(format!("the cell holds an error ({e})")),
    })
}

impl XlsxLayerReader {
    /// Opens the workbook at `path` and picks the sheet.
    pub fn open(path: &Path, sheet: Option<&str>, layer: &str, srs: Option<Crs>) -> Result<Self, ReadError> {
        let file = path.display().to_string();
        let syntax = |place: &str, message: String| ReadError::Syntax {
            file: file.clone(),
            place: place.into(),
            message,
        };
        let mut book = open_workbook_auto(path)
            .map_err(|e| syntax("the workbook", format!("not a readable XLSX ({e})")))?;
        let names = book.sheet_names();
        let pick = match sheet {
            Some(s) => names.iter().find(|n| n.eq_ignore_ascii_case(s)).cloned(),
            None => names
                .iter()
                .find(|n| n.eq_ignore_ascii_case(layer))
                .cloned()
                .or_else(|| (names.len() == 1).then(|| names[0].clone())),
        };
        let Some(sheet) = pick else {
            return Err(syntax(
                "the workbook",
                format!(
                    "has no sheet named '{}'; its sheets are: {}. Name one with --table",
                    sheet.unwrap_or(layer),
                    names.join(", ")
                ),
            ));
        };
        let rows =
            book.worksheet_range(&sheet).map_err(|e| syntax(&format!("sheet {sheet}"), e.to_string()))?;
        let mut header = vec![];
        if let Some(first) = rows.rows().next() {
            for (i, c) in first.iter().enumerate() {
                header.push(
                    cell_text(c)
                        .map_err(|e| syntax(&format!("sheet {sheet}, row 1, column {}", i + 1), e))?
                        .trim()
                        .to_string(),
                );
            }
        }
        while header.last().is_some_and(String::is_empty) {
            header.pop();
        }
        if header.is_empty() {
            return Err(syntax(
                &format!("sheet {sheet}"),
                "the sheet is empty: it needs a header row".into(),
            ));
        }
        let geometry = geometry_columns(&header);
        Ok(XlsxLayerReader { sheet, header, rows, geometry, crs: srs.unwrap_or(Crs::Wgs84) })
    }

    pub fn header(&self) -> &[String] {
        &self.header
    }

    pub fn sheet(&self) -> &str {
        &self.sheet
    }

    pub fn has_geometry(&self) -> bool {
        !matches!(self.geometry, Geometry::None)
    }

    /// Reads every row after the header. Returns the number of rows.
    pub fn read(self, sink: &mut Sink<'_>) -> Result<usize, ReadError> {
        let mut count = 0;
        let first_row = self.rows.start().map(|(r, _)| r as usize).unwrap_or(0);
        for (i, row) in self.rows.rows().enumerate().skip(1) {
            let mut problem = None;
            let mut fields = Vec::with_capacity(self.header.len());
            for (c, cell) in row.iter().enumerate() {
                match cell_text(cell) {
                    Ok(t) => fields.push(t),
                    Err(e) => {
                        let column =
                            self.header.get(c).cloned().unwrap_or_else(|| format!("column {}", c + 1));
                        problem.get_or_insert(format!("field '{column}': {e}"));
                        fields.push(String::new());
                    }
                }
            }
            if fields.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            if fields.len() > self.header.len()
                && fields[self.header.len()..].iter().any(|f| !f.trim().is_empty())
            {
                problem.get_or_insert(format!(
                    "the row has cells beyond the header's {} columns",
                    self.header.len()
                ));
            }
            fields.resize(self.header.len(), String::new());
            count += 1;
            let geometry = match (&problem, row_geometry(&self.geometry, &self.header, &fields, self.crs)) {
                (None, Ok(g)) => g,
                (None, Err(e)) => {
                    problem = Some(e);
                    None
                }
                (Some(_), _) => None,
            };
            let values =
                self.header.iter().cloned().zip(fields.iter().map(|f| Value::from(f.as_str()))).collect();
            let read = Read {
                record: InRecord::new(format!("{} row {}", self.sheet, first_row + i + 1), values, geometry),
                original: Original::Row(fields),
                problem,
            };
            sink(read).map_err(ReadError::Stopped)?;
        }
        Ok(count)
    }
}
