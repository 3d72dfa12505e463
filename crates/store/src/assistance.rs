//! Victim assistance: consents, their withdrawals and follow-ups, each the
//! event of the sealed history that wrote it (`core::assistance` holds the
//! rules), and the victims listed with them. All of it is personal data: the
//! caller asks `access::decide` first (reading: `ReadPersonal`; recording:
//! `RecordAssistance`); only [`Store::assistance_figures`] names no one.

use crate::db::{Db, OptionalExtension};
use crate::geometry::{date_text, stored_date};
use crate::read::stored_code;
use crate::reports::time_text;
use crate::write::{uuid_text, Writer};
use crate::{Store, StoreError};
use rusqlite::params;
use safeground_core::assistance::{
    check_consent, check_follow_up, check_withdrawal, figures, AssistanceFigures, Consent, FollowUp,
    VictimFacts,
};
use safeground_core::codes::{
    AccidentKind, AssistanceKind, AssistanceStatus, ConsentForm, ConsentGiver, Disability, Sex, VictimOutcome,
};
use std::collections::HashMap;
use time::{Date, OffsetDateTime};

/// A victim as the assistance pages list them.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VictimRow {
    pub id: String,
    pub accident: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub occurred_on: Date,
    pub accident_kind: AccidentKind,
    pub district: Option<String>,
    pub outcome: VictimOutcome,
    pub sex: Sex,
    pub age: Option<i64>,
    pub disability: Option<Disability>,
    pub injuries: Option<String>,
    pub name: Option<String>,
    pub contact: Option<String>,
    pub consents: Vec<ConsentRow>,
    pub follow_ups: Vec<FollowUpRow>,
}

impl VictimRow {
    /// The consent in force on `day`, if any.
    pub fn consent_on(&self, day: Date) -> Option<&ConsentRow> {
        self.consents.iter().find(|c| c.consent().in_force_on(day))
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsentRow {
    pub id: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub given_on: Date,
    pub given_by: ConsentGiver,
    pub form: ConsentForm,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub withdrawn_on: Option<Date>,
    pub recorded_by: String,
}

impl ConsentRow {
    fn consent(&self) -> Consent {
        Consent {
            given_on: self.given_on,
            given_by: self.given_by,
            form: self.form,
            withdrawn_on: self.withdrawn_on,
        }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FollowUpRow {
    pub id: String,
    pub kind: AssistanceKind,
    pub status: AssistanceStatus,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub on: Date,
    pub provider: String,
    pub notes: Option<String>,
    pub recorded_by: String,
}

impl FollowUpRow {
    fn follow_up(&self) -> FollowUp {
        FollowUp { kind: self.kind, status: self.status, on: self.on, provider: self.provider.clone() }
    }
}

/// A consent to record: the day, who gave it and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewConsent {
    pub given_on: Date,
    pub given_by: ConsentGiver,
    pub form: ConsentForm,
}

fn invalid(victim: &str, problems: Vec<String>) -> StoreError {
    StoreError::Invalid { record: format!("victim {victim}"), problem: problems.join("; ") }
}

/// Victim `id`'s facts, if its accident is in force.
fn facts(db: &Db, id: &str) -> Result<VictimFacts, StoreError> {
    let row: Option<(String, Option<i64>, String)> = db
        .prepare_cached(include_str!("../sql/assistance/victim.sql"))?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let Some((outcome, age, on)) = row else {
        return Err(StoreError::Unknown { what: "victim", key: id.to_string() });
    };
    let record = format!("victim {id}");
    Ok(VictimFacts { outcome: stored_code(&outcome, &record)?, age, injured_on: stored_date(&on, &record)? })
}

/// The follow-ups of victim `victim`: the consent each rests on, its day.
fn follow_ups_of(db: &Db, victim: &str) -> Result<Vec<(String, Date)>, StoreError> {
    let mut stmt = db.prepare_cached("SELECT consent_id, given_on FROM assistance WHERE victim_id = ?1")?;
    let mut rows = stmt.query([victim])?;
    let mut out = vec![];
    while let Some(r) = rows.next()? {
        let (consent, day): (String, String) = (r.get(0)?, r.get(1)?);
        out.push((consent, stored_date(&day, &format!("victim {victim}"))?));
    }
    Ok(out)
}

/// The consents of the victims in force (of one with `victim`), by victim.
fn consents(db: &Db, victim: Option<&str>) -> Result<HashMap<String, Vec<ConsentRow>>, StoreError> {
    let sql =
        (include_str!("../sql/assistance/consents_of.sql"), include_str!("../sql/assistance/consents.sql"));
    let mut out: HashMap<String, Vec<ConsentRow>> = HashMap::new();
    db.keyed_rows(victim, sql, |r| {
        let victim: String = r.get(0)?;
        let id: String = r.get(1)?;
        let record = format!("consent {id}");
        let (given_on, given_by, form, withdrawn): (String, String, String, Option<String>) =
            (r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?);
        out.entry(victim).or_default().push(ConsentRow {
            given_on: stored_date(&given_on, &record)?,
            given_by: stored_code(&given_by, &record)?,
            form: stored_code(&form, &record)?,
            withdrawn_on: withdrawn.map(|w| stored_date(&w, &record)).transpose()?,
            recorded_by: r.get(6)?,
            id,
        });
        Ok(())
    })?;
    Ok(out)
}

/// The follow-ups of the victims in force, by victim.
fn follow_ups(db: &Db) -> Result<HashMap<String, Vec<FollowUpRow>>, StoreError> {
    let mut stmt = db.prepare_cached(include_str!("../sql/assistance/follow_ups.sql"))?;
    let mut rows = stmt.query(())?;
    let mut out: HashMap<String, Vec<FollowUpRow>> = HashMap::new();
    while let Some(r) = rows.next()? {
        let victim: String = r.get(0)?;
        let id: String = r.get(1)?;
        let record = format!("follow-up {id}");
        let (kind, status, on): (String, String, String) = (r.get(2)?, r.get(3)?, r.get(4)?);
        out.entry(victim).or_default().push(FollowUpRow {
            kind: stored_code(&kind, &record)?,
            status: stored_code(&status, &record)?,
            on: stored_date(&on, &record)?,
            provider: r.get(5)?,
            notes: r.get(6)?,
            recorded_by: r.get(7)?,
            id,
        });
    }
    Ok(out)
}

impl Store {
    /// The victims of the accidents in force (of one accident with
    /// `accident`, its UUID; of the accidents `organisation` reported, with
    /// it: an operator's), the latest accident first, each with its consents
    /// and follow-ups: personal data, read in one snapshot.
    pub fn victims(
        &self,
        accident: Option<&str>,
        organisation: Option<uuid::Uuid>,
    ) -> Result<Vec<VictimRow>, StoreError> {
        let _snapshot = self.conn.begin_read()?;
        let mut consents = consents(&self.conn, None)?;
        let mut follow_ups = follow_ups(&self.conn)?;
        let mut stmt = self.conn.prepare_cached(include_str!("../sql/assistance/victims.sql"))?;
        let mut rows = stmt.query(params![accident.map(str::trim), organisation.map(uuid_text)])?;
        let mut out = vec![];
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let record = format!("victim {id}");
            let (on, kind, outcome, sex, disability): (String, String, String, String, Option<String>) =
                (r.get(2)?, r.get(3)?, r.get(5)?, r.get(6)?, r.get(8)?);
            out.push(VictimRow {
                accident: r.get(1)?,
                occurred_on: stored_date(&on, &record)?,
                accident_kind: stored_code(&kind, &record)?,
                district: r.get(4)?,
                outcome: stored_code(&outcome, &record)?,
                sex: stored_code(&sex, &record)?,
                age: r.get(7)?,
                disability: disability.map(|d| stored_code(&d, &record)).transpose()?,
                injuries: r.get(9)?,
                name: r.get(10)?,
                contact: r.get(11)?,
                consents: consents.remove(&id).unwrap_or_default(),
                follow_ups: follow_ups.remove(&id).unwrap_or_default(),
                id,
            });
        }
        Ok(out)
    }

    /// One victim (by UUID) with its consents and follow-ups; with
    /// `organisation`, only one of the accidents it reported.
    pub fn victim(&self, id: &str, organisation: Option<uuid::Uuid>) -> Result<VictimRow, StoreError> {
        let id = id.trim();
        let accident: Option<String> = self
            .conn
            .prepare_cached("SELECT accident_id FROM victims WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?;
        let found = match accident {
            Some(a) => self.victims(Some(&a), organisation)?.into_iter().find(|v| v.id == id),
            None => None,
        };
        found.ok_or_else(|| StoreError::Unknown { what: "victim", key: id.to_string() })
    }

    /// Follow-ups counted, no one named: victims with consent in force on
    /// `today`, victims followed up, follow-ups by kind.
    pub fn assistance_figures(&self, today: Date) -> Result<AssistanceFigures, StoreError> {
        let _snapshot = self.conn.begin_read()?;
        let mut consents = consents(&self.conn, None)?;
        let follow_ups = follow_ups(&self.conn)?;
        let mut victims: Vec<(Vec<Consent>, Vec<FollowUp>)> = follow_ups
            .into_iter()
            .map(|(v, f)| {
                let c = consents.remove(&v).unwrap_or_default();
                (c.iter().map(ConsentRow::consent).collect(), f.iter().map(FollowUpRow::follow_up).collect())
            })
            .collect();
        victims.extend(consents.into_values().map(|c| (c.iter().map(ConsentRow::consent).collect(), vec![])));
        Ok(figures(&victims, today))
    }
}

impl Writer<'_> {
    /// The victims report `report`'s approval recorded — id, facts, injuries
    /// — in an order that depends on nothing but them.
    pub fn victims_of_report(
        &self,
        report: uuid::Uuid,
    ) -> Result<Vec<(String, VictimFacts, Option<String>)>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT v.id, v.injuries FROM victims v JOIN accidents a ON a.id = v.accident_id
             WHERE a.report_id = ?1
             ORDER BY v.outcome, v.sex, coalesce(v.age, -1), coalesce(v.injuries, ''), v.id",
        )?;
        let rows =
            stmt.query_map([uuid_text(report)], |r| Ok((r.get::<String>(0)?, r.get::<Option<String>>(1)?)))?;
        let mut out = vec![];
        for row in rows {
            let (id, injuries) = row?;
            out.push((facts(self.tx, &id)?, id, injuries));
        }
        Ok(out.into_iter().map(|(f, id, injuries)| (id, f, injuries)).collect())
    }

    /// The consents of victim `id`, as the rules take them.
    fn consents_of(&self, id: &str) -> Result<Vec<ConsentRow>, StoreError> {
        Ok(consents(self.tx, Some(id))?.remove(id).unwrap_or_default())
    }

    /// Records the consent of victim `victim` (UUID), as the event
    /// CONSENT_RECORDED; refused, with every reason, when the rules say no.
    pub fn record_consent(
        &mut self,
        victim: &str,
        c: &NewConsent,
        actor: &str,
        at: OffsetDateTime,
    ) -> Result<String, StoreError> {
        self.refuse_on_copy("recording consent")?;
        let victim = victim.trim();
        let v = facts(self.tx, victim)?;
        let given: Vec<Consent> = self.consents_of(victim)?.iter().map(ConsentRow::consent).collect();
        let new = Consent { given_on: c.given_on, given_by: c.given_by, form: c.form, withdrawn_on: None };
        check_consent(&v, &given, &new, at.date()).map_err(|p| invalid(victim, p))?;
        let id = uuid_text(safeground_core::ids::fresh());
        let now = time_text(at);
        self.tx
            .prepare_cached(
                "INSERT INTO victim_consents (id, victim_id, given_on, given_by, form, actor, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                id,
                victim,
                date_text(c.given_on),
                c.given_by.code(),
                c.form.code(),
                actor,
                now
            ])?;
        self.record_about("CONSENT_RECORDED", &now, actor, &id, None)?;
        Ok(id)
    }

    /// Records the withdrawal, on `on`, of victim `victim`'s consent in
    /// force, as the event CONSENT_WITHDRAWN. Follow-ups recorded before
    /// stay; none can be recorded on or after `on`.
    pub fn withdraw_consent(
        &mut self,
        victim: &str,
        on: Date,
        actor: &str,
        at: OffsetDateTime,
    ) -> Result<String, StoreError> {
        self.refuse_on_copy("withdrawing consent")?;
        let victim = victim.trim();
        let v = facts(self.tx, victim)?;
        let rows = self.consents_of(victim)?;
        let given: Vec<Consent> = rows.iter().map(ConsentRow::consent).collect();
        let mut follow_ups = vec![];
        for f in follow_ups_of(self.tx, victim)? {
            if let Some(i) = rows.iter().position(|c| c.id == f.0) {
                follow_ups.push((i, f.1));
            }
        }
        let i = check_withdrawal(&v, &given, &follow_ups, on, at.date()).map_err(|p| invalid(victim, p))?;
        let id = uuid_text(safeground_core::ids::fresh());
        let now = time_text(at);
        self.tx
            .prepare_cached(
                "INSERT INTO consent_withdrawals (id, consent_id, withdrawn_on, actor, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![id, rows[i].id, date_text(on), actor, now])?;
        self.record_about("CONSENT_WITHDRAWN", &now, actor, &id, None)?;
        Ok(id)
    }

    /// Records a follow-up of victim `victim`, as the event
    /// ASSISTANCE_RECORDED; refused, with every reason, without consent in
    /// force on its day or where the rules say no.
    pub fn record_follow_up(
        &mut self,
        victim: &str,
        f: &FollowUp,
        notes: Option<&str>,
        actor: &str,
        at: OffsetDateTime,
    ) -> Result<String, StoreError> {
        self.refuse_on_copy("recording assistance")?;
        let victim = victim.trim();
        let v = facts(self.tx, victim)?;
        let rows = self.consents_of(victim)?;
        let given: Vec<Consent> = rows.iter().map(ConsentRow::consent).collect();
        let i = check_follow_up(&v, &given, f, at.date()).map_err(|p| invalid(victim, p))?;
        let id = uuid_text(safeground_core::ids::fresh());
        let now = time_text(at);
        self.tx
            .prepare_cached(
                "INSERT INTO assistance (id, victim_id, consent_id, kind, status, given_on, provider, notes,
                   actor, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                id,
                victim,
                rows[i].id,
                f.kind.code(),
                f.status.code(),
                date_text(f.on),
                f.provider.trim(),
                notes.map(str::trim).filter(|n| !n.is_empty()),
                actor,
                now
            ])?;
        self.record_about("ASSISTANCE_RECORDED", &now, actor, &id, None)?;
        Ok(id)
    }
}
