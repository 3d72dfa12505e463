//! The organisations of the programme as reference data: listed with what
//! the register holds of each, and added one at a time (an administrator's
//! work; `import --layer organisations` adds many).

use crate::db::OptionalExtension;
use crate::read::stored_code;
use crate::write::uuid_text;
use crate::{Store, StoreError};
use rusqlite::params;
use safeground_core::codes::OrganisationKind;
use safeground_core::ids::fresh;
use safeground_core::import::OrganisationIn;
use serde::Serialize;

/// An organisation with what the register holds of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrganisationRow {
    pub id: String,
    pub acronym: String,
    pub name: String,
    pub kind: OrganisationKind,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub teams: i64,
    pub accounts: i64,
    pub reports: i64,
    /// Tasks issued or in progress.
    pub open_tasks: i64,
}

impl Store {
    /// Every organisation, by acronym, with its counts.
    pub fn organisation_rows(&self) -> Result<Vec<OrganisationRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(include_str!("../sql/organisations/list.sql"))?;
        let mut rows = stmt.query(())?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let (acronym, kind): (String, String) = (r.get(1)?, r.get(3)?);
            let kind = stored_code(&kind, &format!("organisation {acronym}"))?;
            out.push(OrganisationRow {
                id: r.get(0)?,
                acronym,
                name: r.get(2)?,
                kind,
                country: r.get(4)?,
                teams: r.get(5)?,
                accounts: r.get(6)?,
                reports: r.get(7)?,
                open_tasks: r.get(8)?,
            });
        }
        Ok(out)
    }

    /// Adds `o`, refused (`Conflict`) when its acronym (in any case) or id is taken.
    pub fn add_organisation(&mut self, o: &OrganisationIn) -> Result<OrganisationRow, StoreError> {
        crate::checkout::refuse_on_copy(&self.conn, "adding an organisation")?;
        let id = o.id.unwrap_or_else(fresh);
        self.write(|w| {
            let taken: Option<String> =
                w.tx.prepare_cached(
                    "SELECT acronym FROM organisations WHERE id = ?1 OR upper(acronym) = upper(?2)",
                )?
                .query_row(params![uuid_text(id), o.acronym], |r| r.get(0))
                .optional()?;
            if let Some(acronym) = taken {
                return Err(StoreError::Conflict {
                    record: format!("organisation {}", o.acronym),
                    detail: format!("the register has {acronym} already: choose another acronym"),
                });
            }
            w.insert_organisation(&safeground_core::model::Organisation {
                id,
                name: o.name.clone(),
                acronym: o.acronym.clone(),
                kind: o.kind,
                country: o.country.clone(),
            })
        })?;
        self.organisation_rows()?.into_iter().find(|r| r.id == uuid_text(id)).ok_or_else(|| {
            StoreError::Invalid { record: o.acronym.clone(), problem: "not found once added".into() }
        })
    }
}
