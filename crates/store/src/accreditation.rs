//! Accreditations: recorded and suspended as events of the sealed history,
//! listed, and loaded for approval (`core::accreditation` holds the rules).

use crate::db::{Db, OptionalExtension};
use crate::geometry::{date_text, stored_date};
use crate::read::stored_code;
use crate::reports::{parse_uuid, time_text};
use crate::write::{uuid_text, Writer};
use crate::{Store, StoreError};
use rusqlite::params;
use safeground_core::accreditation::{problems, Accreditation};
use safeground_core::codes::Capability;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// An accreditation to record, its organisation and team as the user names them.
#[derive(Debug, Clone)]
pub struct NewAccreditation {
    pub reference: String,
    /// Acronym or UUID.
    pub organisation: String,
    /// The team's name or UUID, when it is for one team only.
    pub team: Option<String>,
    pub capability: Capability,
    pub valid_from: Date,
    pub valid_to: Date,
}

/// An accreditation as listed.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccreditationRow {
    pub reference: String,
    pub organisation: String,
    pub team: Option<String>,
    pub capability: Capability,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub valid_from: Date,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub valid_to: Date,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub suspended_on: Option<Date>,
    pub suspension_reason: Option<String>,
}

const COLUMNS: &str =
    "a.reference, o.acronym, t.name, a.capability, a.valid_from, a.valid_to, a.suspended_on,
       a.suspension_reason, a.organisation_id, a.team_id";

fn row(r: &crate::db::Row<'_>) -> Result<(AccreditationRow, Accreditation), StoreError> {
    let reference: String = r.get(0)?;
    let record = format!("accreditation {reference}");
    let (capability, from, to): (String, String, String) = (r.get(3)?, r.get(4)?, r.get(5)?);
    let suspended: Option<String> = r.get(6)?;
    let team_id: Option<String> = r.get(9)?;
    let listed = AccreditationRow {
        organisation: r.get(1)?,
        team: r.get(2)?,
        capability: stored_code(&capability, &record)?,
        valid_from: stored_date(&from, &record)?,
        valid_to: stored_date(&to, &record)?,
        suspended_on: suspended.map(|d| stored_date(&d, &record)).transpose()?,
        suspension_reason: r.get(7)?,
        reference: reference.clone(),
    };
    let rule = Accreditation {
        reference,
        organisation_id: parse_uuid(&r.get::<String>(8)?)?,
        team_id: team_id.map(|t| parse_uuid(&t)).transpose()?,
        capability: listed.capability,
        valid_from: listed.valid_from,
        valid_to: listed.valid_to,
        suspended_on: listed.suspended_on,
    };
    Ok((listed, rule))
}

/// The accreditations of `organisation`, for approval; `None` when the
/// register keeps no accreditation at all (approval then asks for none).
pub(crate) fn of_organisation(db: &Db, organisation: Uuid) -> Result<Option<Vec<Accreditation>>, StoreError> {
    let any: Option<i64> =
        db.prepare_cached("SELECT 1 FROM accreditations LIMIT 1")?.query_row((), |r| r.get(0)).optional()?;
    if any.is_none() {
        return Ok(None);
    }
    let mut stmt = db.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM accreditations a JOIN organisations o ON o.id = a.organisation_id
         LEFT JOIN teams t ON t.id = a.team_id WHERE a.organisation_id = ?1 ORDER BY a.valid_from, a.reference"
    ))?;
    let mut rows = stmt.query([uuid_text(organisation)])?;
    let mut out = vec![];
    while let Some(r) = rows.next()? {
        out.push(row(&r)?.1);
    }
    Ok(Some(out))
}

fn invalid(record: String, problem: impl Into<String>) -> StoreError {
    StoreError::Invalid { record, problem: problem.into() }
}

impl Writer<'_> {
    /// Records an accreditation, as an event of the history.
    pub fn add_accreditation(
        &mut self,
        a: &NewAccreditation,
        actor: &str,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.refuse_on_copy("recording an accreditation")?;
        self.add_accreditation_as(safeground_core::ids::fresh(), a, actor, at)
    }

    /// [`Writer::add_accreditation`] under a given id (the demo's ids come
    /// from its seed, so the same seed makes the same register).
    pub fn add_accreditation_as(
        &mut self,
        id: Uuid,
        a: &NewAccreditation,
        actor: &str,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let record = format!("accreditation {}", a.reference.trim());
        let Some(org) = self.organisation_id(&a.organisation)? else {
            return Err(StoreError::Unknown { what: "organisation", key: a.organisation.clone() });
        };
        let team: Option<String> = match &a.team {
            Some(t) => Some(
                self.tx
                    .prepare_cached(
                        "SELECT id FROM teams WHERE (id = ?1 OR name = ?1 COLLATE NOCASE) AND organisation_id = ?2",
                    )?
                    .query_row([t.trim(), org.as_str()], |r| r.get(0))
                    .optional()?
                    .ok_or_else(|| invalid(record.clone(), format!("team '{t}' is not one of {}'s teams", a.organisation)))?,
            ),
            None => None,
        };
        let rule = Accreditation {
            reference: a.reference.trim().to_string(),
            organisation_id: parse_uuid(&org)?,
            team_id: team.as_deref().map(parse_uuid).transpose()?,
            capability: a.capability,
            valid_from: a.valid_from,
            valid_to: a.valid_to,
            suspended_on: None,
        };
        let all = problems(&rule);
        if !all.is_empty() {
            return Err(invalid(record, all.join("; ")));
        }
        let taken: Option<i64> = self
            .tx
            .prepare_cached("SELECT 1 FROM accreditations WHERE reference = ?1")?
            .query_row([rule.reference.as_str()], |r| r.get(0))
            .optional()?;
        if taken.is_some() {
            return Err(invalid(record, "the reference is another accreditation's: give this one its own"));
        }
        let id = uuid_text(id);
        let now = time_text(at);
        self.tx
            .prepare_cached(
                "INSERT INTO accreditations (id, reference, organisation_id, team_id, capability, valid_from, valid_to,
                   recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                id,
                rule.reference,
                org,
                team,
                rule.capability.code(),
                date_text(rule.valid_from),
                date_text(rule.valid_to),
                now
            ])?;
        self.record_about("ACCREDITATION_ADDED", &now, actor, &id, None)?;
        Ok(())
    }

    /// Suspends accreditation `reference` from `on` (at the earliest its
    /// first day, which it returns), as an event of the history (once: a
    /// suspended accreditation is replaced, not reinstated).
    pub fn suspend_accreditation(
        &mut self,
        reference: &str,
        on: Date,
        reason: &str,
        actor: &str,
        at: OffsetDateTime,
    ) -> Result<Date, StoreError> {
        self.refuse_on_copy("suspending an accreditation")?;
        let record = format!("accreditation {reference}");
        let found: Option<(String, String, String, Option<String>)> = self
            .tx
            .prepare_cached(
                "SELECT id, valid_from, valid_to, suspended_on FROM accreditations WHERE reference = ?1",
            )?
            .query_row([reference.trim()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .optional()?;
        let Some((id, from, to, suspended)) = found else {
            return Err(StoreError::Unknown { what: "accreditation", key: reference.to_string() });
        };
        if let Some(s) = suspended {
            return Err(invalid(
                record,
                format!("it is suspended already, from {s}: record a new accreditation to replace it"),
            ));
        }
        let (from, to) = (stored_date(&from, &record)?, stored_date(&to, &record)?);
        if on > to {
            return Err(invalid(record, format!("it expired on {to}, before {on}: nothing to suspend")));
        }
        if reason.trim().is_empty() {
            return Err(invalid(record, "give the reason for the suspension (--reason)"));
        }
        let on = on.max(from);
        let now = time_text(at);
        self.tx
            .prepare_cached(
                "UPDATE accreditations SET suspended_on = ?1, suspension_reason = ?2 WHERE id = ?3",
            )?
            .execute(params![date_text(on), reason.trim(), id])?;
        self.record_about("ACCREDITATION_SUSPENDED", &now, actor, &id, Some(reason.trim()))?;
        Ok(on)
    }
}

impl Store {
    /// Every accreditation, by organisation and start.
    pub fn accreditations(&self) -> Result<Vec<AccreditationRow>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {COLUMNS} FROM accreditations a JOIN organisations o ON o.id = a.organisation_id
             LEFT JOIN teams t ON t.id = a.team_id ORDER BY o.acronym, a.valid_from, a.reference"
        ))?;
        let mut rows = stmt.query(())?;
        let mut out = vec![];
        while let Some(r) = rows.next()? {
            out.push(row(&r)?.0);
        }
        Ok(out)
    }

    /// The accreditations in force on `today` that end within `days` days,
    /// the soonest first.
    pub fn accreditations_expiring(
        &self,
        today: Date,
        days: i64,
    ) -> Result<Vec<AccreditationRow>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {COLUMNS} FROM accreditations a JOIN organisations o ON o.id = a.organisation_id
             LEFT JOIN teams t ON t.id = a.team_id ORDER BY a.valid_to, a.reference"
        ))?;
        let mut rows = stmt.query(())?;
        let mut all = vec![];
        while let Some(r) = rows.next()? {
            all.push(row(&r)?);
        }
        let rules: Vec<Accreditation> = all.iter().map(|(_, a)| a.clone()).collect();
        let soon: Vec<&str> = safeground_core::accreditation::expiring(&rules, today, days)
            .iter()
            .map(|a| a.reference.as_str())
            .collect();
        Ok(soon
            .iter()
            .filter_map(|r| all.iter().find(|(l, _)| l.reference == *r).map(|(l, _)| l.clone()))
            .collect())
    }
}
