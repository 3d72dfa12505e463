//! What a hazard's handover certificate cites
//! ([`safeground_core::certificate::CertificateFacts`]), and its ground for
//! the map, read in one state of the register (`sql/certificate/*.sql`).

use crate::geometry::{read_multipolygon, stored_date};
use crate::read::stored_code;
use crate::{Store, StoreError};
use geo::MultiPolygon;
use safeground_core::certificate::{CertificateFacts, Find, Inspection, Piece, Sealed};
use safeground_core::codes::{Disposal, ReleaseOutcome};

/// A certificate's map: the hazard's polygon and its released ground.
#[derive(Debug, Clone)]
pub struct CertificateGround {
    pub hazard: MultiPolygon<f64>,
    pub released: Vec<(ReleaseOutcome, MultiPolygon<f64>)>,
}

impl Store {
    /// The facts of hazard `code`'s certificate and its ground.
    pub fn certificate_facts(&self, code: &str) -> Result<(CertificateFacts, CertificateGround), StoreError> {
        let _snapshot = self.conn.begin_read()?;
        let record = format!("hazard {code}");
        let mut stmt = self.conn.prepare(include_str!("../sql/certificate/hazard.sql"))?;
        let mut rows = stmt.query([code])?;
        let Some(r) = rows.next()? else {
            return Err(StoreError::Unknown { what: "hazard", key: code.to_string() });
        };
        let id: String = r.get(0)?;
        let status: String = r.get(4)?;
        let hazard = read_multipolygon(&r.get::<Vec<u8>>(6)?, &record)?;
        let benchmark = match (r.get::<Option<f64>>(7)?, r.get::<Option<f64>>(8)?) {
            (Some(lon), Some(lat)) => Some((lon, lat)),
            _ => None,
        };
        let mut facts = CertificateFacts {
            code: r.get(1)?,
            name: r.get(2)?,
            district: r.get(3)?,
            status: stored_code(&status, &record)?,
            recorded_m2: r.get(5)?,
            shape: hazard.clone(),
            benchmark,
            pieces: vec![],
            finds: vec![],
            inspections: vec![],
            completion: None,
        };
        drop(rows);
        let mut ground = CertificateGround { hazard, released: vec![] };
        self.certificate_pieces(&id, &record, &mut facts, &mut ground)?;
        self.certificate_reports(&id, &record, &mut facts)?;
        Ok((facts, ground))
    }

    fn certificate_pieces(
        &self,
        id: &str,
        record: &str,
        facts: &mut CertificateFacts,
        ground: &mut CertificateGround,
    ) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare(include_str!("../sql/certificate/pieces.sql"))?;
        let mut rows = stmt.query([id])?;
        while let Some(r) = rows.next()? {
            let (outcome, released_on): (String, String) = (r.get(0)?, r.get(2)?);
            let outcome: ReleaseOutcome = stored_code(&outcome, record)?;
            facts.pieces.push(Piece {
                outcome,
                area_m2: r.get(1)?,
                released_on: stored_date(&released_on, record)?,
                organisation: r.get(3)?,
                activity: r.get(4)?,
                method: r.get(5)?,
                depth_cm: r.get(6)?,
            });
            ground.released.push((outcome, read_multipolygon(&r.get::<Vec<u8>>(7)?, record)?));
        }
        let mut stmt = self.conn.prepare(include_str!("../sql/certificate/finds.sql"))?;
        let mut rows = stmt.query([id])?;
        while let Some(r) = rows.next()? {
            let disposal: Option<String> = r.get(2)?;
            let disposal: Option<Disposal> = disposal.map(|d| stored_code(&d, record)).transpose()?;
            facts.finds.push(Find {
                eo_type: r.get(0)?,
                quantity: r.get(1)?,
                destroyed: matches!(
                    disposal,
                    Some(Disposal::DestroyedInSitu | Disposal::RemovedAndDestroyed)
                ),
            });
        }
        Ok(())
    }

    /// The approved quality-control inspections and the last approved
    /// completion, with its event.
    fn certificate_reports(
        &self,
        id: &str,
        record: &str,
        facts: &mut CertificateFacts,
    ) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare(include_str!("../sql/certificate/reports.sql"))?;
        let mut rows = stmt.query([id])?;
        while let Some(r) = rows.next()? {
            let (kind, end, organisation, body): (String, String, String, String) =
                (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
            let body: serde_json::Value = serde_json::from_str(&body).map_err(|e| StoreError::Invalid {
                record: record.into(),
                problem: format!("a report's body: {e}"),
            })?;
            let on = stored_date(&end, record)?;
            if kind == "QM_INSPECTION" {
                // A QA visit saw work in progress; released ground is judged by QC.
                if body["inspection"]["kind"].as_str() == Some("QA") {
                    continue;
                }
                let result = body["inspection"]["result"].as_str().unwrap_or_default().to_ascii_uppercase();
                facts.inspections.push(Inspection { on, organisation, result });
            } else if body["completion"].as_bool() == Some(true) {
                facts.completion = Some(Sealed {
                    report: r.get(7)?,
                    seq: r.get(4)?,
                    hash: r.get(5)?,
                    at: r.get(6)?,
                    organisation,
                    completed_on: on,
                });
            }
        }
        Ok(())
    }

    /// The hash sealed on event `seq`, and the later event that unapproved
    /// the report it approved, if any; `None` when there is no such event.
    pub fn cited_event(&self, seq: i64) -> Result<Option<(String, Option<i64>)>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT e.hash, (SELECT min(u.seq) FROM events u WHERE u.report_id = e.report_id
                              AND u.kind = 'REPORT_UNAPPROVED' AND u.seq > e.seq)
             FROM events e WHERE e.seq = ?1",
        )?;
        let mut rows = stmt.query([seq])?;
        Ok(match rows.next()? {
            Some(r) => Some((r.get(0)?, r.get(1)?)),
            None => None,
        })
    }
}
