//! Moving the register's data in and out.
//!
//! - [`export`]: a layer (or every layer, in a workbook) written in one of
//!   the field's formats, at the full or the public level, as it stood on a
//!   day — one function the command line's `export` and the API's
//!   `/api/exports/{layer}` both call, so a download is the file the
//!   command would write.
//! - [`import`]: a layer file read into the register through approval — the
//!   pipeline of the command line's `import`, the API's `POST /api/imports`
//!   and the IMSMA migration.
//! - [`submissions`]: a KoBoToolbox or ODK Central export saved as draft
//!   reports — the command line's `report import-submissions` and the API's
//!   `POST /api/submissions`.

pub mod export;
pub mod import;
pub mod submissions;
