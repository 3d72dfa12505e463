//! XLSX workbooks for officers who live in spreadsheets: one sheet per layer,
//! typed columns (numbers as numbers, dates as dates), points as longitude
//! and latitude columns and other shapes as WKT.

use crate::csv_out::wkt;
use geo::Geometry;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};
use serde_json::Value;
use std::path::Path;

/// Excel's limits: rows per sheet (less the header) and characters per cell.
pub const MAX_ROWS: u32 = 1_048_575;
pub const MAX_CELL: usize = 32_767;

/// What cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum XlsxOutError {
    #[error("sheet {sheet} would have more than {MAX_ROWS} rows, Excel's limit; export a district or a date at a time, or use GeoPackage")]
    TooManyRows { sheet: String },
    #[error("sheet {sheet}, row {row}: the shape's WKT is {len} characters, more than a cell holds ({MAX_CELL}); use the GeoPackage or GeoJSON export")]
    CellTooLong { sheet: String, row: u32, len: usize },
    #[error("writing the workbook: {0}")]
    Xlsx(#[from] XlsxError),
}

/// How a layer's geometry goes into its sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    None,
    Points,
    Wkt,
}

pub struct XlsxWriter {
    book: Workbook,
    date: Format,
    header: Format,
    sheet: Option<(usize, String, Shape, u32, usize)>,
}

impl Default for XlsxWriter {
    fn default() -> Self {
        Self::new()
    }
}

fn date(s: &str) -> Option<ExcelDateTime> {
    let mut it = s.get(..10)?.split('-');
    let (y, m, d) = (it.next()?.parse().ok()?, it.next()?.parse().ok()?, it.next()?.parse().ok()?);
    ExcelDateTime::from_ymd(y, m, d).ok()
}

impl XlsxWriter {
    pub fn new() -> Self {
        XlsxWriter {
            book: Workbook::new(),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            header: Format::new().set_bold(),
            sheet: None,
        }
    }

    /// Puts a filter on the finished sheet's header.
    fn close_sheet(&mut self) -> Result<(), XlsxOutError> {
        if let Some((index, _, _, _, ncols)) = self.sheet.take() {
            let ws = self.book.worksheet_from_index(index)?;
            ws.autofilter(0, 0, 0, (ncols.max(1) - 1) as u16)?;
        }
        Ok(())
    }

    /// Starts a sheet for a layer.
    pub fn sheet(&mut self, name: &str, columns: &[&str], shape: Shape) -> Result<(), XlsxOutError> {
        self.close_sheet()?;
        let mut header: Vec<&str> = match shape {
            Shape::Points => vec!["longitude", "latitude"],
            Shape::Wkt => vec!["wkt"],
            Shape::None => vec![],
        };
        header.extend_from_slice(columns);
        let ws = self.book.add_worksheet();
        ws.set_name(name)?;
        for (c, h) in header.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &self.header)?;
        }
        ws.set_freeze_panes(1, 0)?;
        let index = self.book.worksheets().len() - 1;
        self.sheet = Some((index, name.to_string(), shape, 0, header.len()));
        Ok(())
    }

    /// Writes one row to the current sheet.
    pub fn feature(
        &mut self,
        columns: &[&str],
        values: &[Value],
        g: Option<&Geometry<f64>>,
    ) -> Result<(), XlsxOutError> {
        let Some((index, name, shape, rows, _)) = self.sheet.as_mut() else { return Ok(()) };
        if *rows >= MAX_ROWS {
            return Err(XlsxOutError::TooManyRows { sheet: name.clone() });
        }
        *rows += 1;
        let row = *rows;
        let (shape, name) = (*shape, name.clone());
        let ws = self.book.worksheet_from_index(*index)?;
        let mut col: u16 = 0;
        match (shape, g) {
            (Shape::Points, Some(Geometry::Point(p))) => {
                ws.write_number(row, 0, p.x())?;
                ws.write_number(row, 1, p.y())?;
                col = 2;
            }
            (Shape::Points, _) => col = 2,
            (Shape::Wkt, Some(g)) => {
                let text = wkt(g);
                if text.len() > MAX_CELL {
                    return Err(XlsxOutError::CellTooLong { sheet: name, row, len: text.len() });
                }
                ws.write_string(row, 0, &text)?;
                col = 1;
            }
            (Shape::Wkt, None) => col = 1,
            (Shape::None, _) => {}
        }
        for (k, v) in columns.iter().zip(values) {
            match v {
                Value::Null => {}
                Value::Number(n) => {
                    ws.write_number(row, col, n.as_f64().unwrap_or(f64::NAN))?;
                }
                Value::Bool(b) => {
                    ws.write_boolean(row, col, *b)?;
                }
                Value::String(s) if k.ends_with("_on") => match date(s) {
                    Some(d) => {
                        ws.write_datetime_with_format(row, col, &d, &self.date)?;
                    }
                    None => {
                        ws.write_string(row, col, s)?;
                    }
                },
                Value::String(s) => {
                    ws.write_string(row, col, s)?;
                }
                other => {
                    ws.write_string(row, col, other.to_string())?;
                }
            }
            col += 1;
        }
        Ok(())
    }

    /// Saves the workbook.
    pub fn save(mut self, path: &Path) -> Result<(), XlsxOutError> {
        self.close_sheet()?;
        self.book.save(path)?;
        Ok(())
    }
}
