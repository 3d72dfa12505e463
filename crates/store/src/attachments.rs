//! Files attached to reports (schema 18): kept with their SHA-256, added by
//! an `ATTACHMENT_ADDED` event whose seal covers the bytes, related to the
//! features the report's approval records through the GeoPackage Related
//! Tables Extension's mapping tables. The rules are `core::attachment`'s;
//! what a file is, `safeground-media`'s (judged before the write begins).

use crate::audit::hex;
use crate::db::OptionalExtension;
use crate::read::stored_code;
use crate::reports::{refused, stored_id, time_text};
use crate::write::Writer;
use crate::{Store, StoreError};
use rusqlite::params;
use safeground_core::attachment::{
    self, clean_name, default_kind, open_for_attachments, personal_by_default, Judged, Limits, Offered,
};
use safeground_core::codes::{AttachmentKind, MediaType, ReportState};
use safeground_core::ids::{fresh, AttachmentId, ReportId};
use safeground_core::report::ReportType;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// A file to attach, as it was sent and judged.
#[derive(Debug, Clone)]
pub struct NewAttachment<'a> {
    /// The name it was sent under (kept for the download; never trusted).
    pub name: &'a str,
    /// What it shows; by default what its media type usually is.
    pub kind: Option<AttachmentKind>,
    /// Personal data (a victim's photograph)? By default what the report's type says.
    pub personal: Option<bool>,
    pub bytes: &'a [u8],
    /// What `safeground_media::inspect` made of the bytes.
    pub judged: &'a Judged,
}

/// An attachment as listed (its bytes and thumbnail are read apart).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttachmentRow {
    pub id: AttachmentId,
    pub report: ReportId,
    pub kind: AttachmentKind,
    pub media: MediaType,
    pub content_type: String,
    pub file_name: String,
    pub size: i64,
    pub sha256: String,
    /// Personal data: shown only to accounts with the personal-data permission.
    pub personal: bool,
    pub width: Option<i64>,
    pub height: Option<i64>,
    /// When the camera says it was taken (EXIF).
    pub taken_at: Option<String>,
    /// Where the camera says it was taken (EXIF), longitude and latitude.
    pub position: Option<[f64; 2]>,
    /// How far (m) that is from the nearest position the report names (a
    /// find, its accident, a turning point of its ground).
    pub distance_m: Option<f64>,
    pub thumbnail: bool,
    pub recorded_at: String,
    pub recorded_by: String,
}

const COLUMNS: &str = "uuid, report_id, kind, content_type, file_name, size, sha256, personal, width, height,
  taken_at, exif_lon, exif_lat, thumbnail IS NOT NULL, recorded_at, recorded_by";

/// The media type a stored `content_type` names (the schema allows no other).
fn media_of(content_type: &str) -> Result<MediaType, StoreError> {
    MediaType::from_mime(content_type).ok_or_else(|| StoreError::Backend {
        detail: format!("an attachment is stored as '{content_type}', which this program does not read"),
    })
}

fn row(r: &crate::db::Row<'_>) -> Result<AttachmentRow, StoreError> {
    let content_type: String = r.get(3)?;
    let media = media_of(&content_type)?;
    let lon: Option<f64> = r.get(11)?;
    let lat: Option<f64> = r.get(12)?;
    Ok(AttachmentRow {
        id: stored_id(r.get(0)?)?,
        report: stored_id(r.get(1)?)?,
        kind: stored_code(&r.get::<String>(2)?, "attachment")?,
        media,
        content_type,
        file_name: r.get(4)?,
        size: r.get(5)?,
        sha256: r.get(6)?,
        personal: r.get::<i64>(7)? != 0,
        width: r.get(8)?,
        height: r.get(9)?,
        taken_at: r.get(10)?,
        position: lon.zip(lat).map(|(lon, lat)| [lon, lat]),
        distance_m: None,
        thumbnail: r.get::<bool>(13)?,
        recorded_at: r.get(14)?,
        recorded_by: r.get(15)?,
    })
}

impl Writer<'_> {
    /// Attaches a file to a DRAFT or SUBMITTED report, as an event of the
    /// history; the report's version moves, so an officer who decided on
    /// what they saw (`approve --expect-version`) is told it changed. The
    /// same bytes attached to the same report again, as the same kind and
    /// personal or not alike, are the attachment they were (a retried
    /// upload, a sync sent twice).
    pub fn attach(
        &mut self,
        report: ReportId,
        file: &NewAttachment<'_>,
        limits: &Limits,
        (actor, at): (&str, OffsetDateTime),
    ) -> Result<AttachmentId, StoreError> {
        let key = report.to_string();
        let label = format!("report {key}");
        let report_type = self.open_for_files(&key, &label)?;
        let name = clean_name(file.name);
        let media = file.judged.media;
        let kind = file.kind.unwrap_or(default_kind(media));
        let offered = Offered { name: &name, kind, media, size: file.bytes.len() as u64 };
        let problems = attachment::problems(&offered, limits);
        if !problems.is_empty() {
            return Err(refused(&label, problems));
        }
        let personal = file.personal.unwrap_or(personal_by_default(report_type));
        let sha256 = hex(&Sha256::digest(file.bytes));
        if let Some(same) = self.same_file(&key, &sha256, (kind, personal), &name)? {
            return Ok(same);
        }
        let id = AttachmentId(fresh());
        let now = time_text(at);
        let j = file.judged;
        self.tx
            .prepare_cached(
                "INSERT INTO attachments (data, content_type, uuid, report_id, kind, file_name, size, sha256, personal,
                   width, height, taken_at, exif_lon, exif_lat, thumbnail, recorded_at, recorded_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
            )?
            .execute(params![
                file.bytes,
                media.mime(),
                id.to_string(),
                key,
                kind.code(),
                name,
                file.bytes.len() as i64,
                sha256,
                i64::from(personal),
                j.pixels.map(|p| i64::from(p.0)),
                j.pixels.map(|p| i64::from(p.1)),
                j.taken_at,
                j.position.map(|p| p.0),
                j.position.map(|p| p.1),
                j.thumbnail.as_deref(),
                now,
                actor
            ])?;
        self.tx.prepare_cached("UPDATE reports SET version = version + 1 WHERE id = ?1")?.execute([&key])?;
        self.record_event("ATTACHMENT_ADDED", &now, actor, (Some(&key), None, Some(&id.to_string())), None)?;
        Ok(id)
    }

    /// The type of report `key`, refused unless it still takes files.
    fn open_for_files(&self, key: &str, label: &str) -> Result<ReportType, StoreError> {
        let (state, report_type): (String, String) = self
            .tx
            .prepare_cached("SELECT state, type FROM reports WHERE id = ?1")?
            .query_row([key], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?
            .ok_or_else(|| StoreError::Unknown { what: "report", key: key.to_string() })?;
        let state: ReportState = stored_code(&state, label)?;
        if let Some(origin) = self.copied_report(key)? {
            return Err(refused(
                label,
                vec![format!("it came with this field copy from {origin}: attach files to it there, or send them with a new report")],
            ));
        }
        if !open_for_attachments(state) {
            return Err(refused(
                label,
                vec![format!(
                    "it is {state}: files are attached while a report is a draft or awaits its decision; send them with a new report"
                )],
            ));
        }
        stored_code(&report_type, label)
    }

    /// The attachment these bytes already are on this report, if any;
    /// refused when it was attached as another kind, or personal where now
    /// it is not (or the reverse): a resend must not change who sees it.
    fn same_file(
        &self,
        key: &str,
        sha256: &str,
        (kind, personal): (AttachmentKind, bool),
        name: &str,
    ) -> Result<Option<AttachmentId>, StoreError> {
        let same: Option<(String, String, i64)> = self
            .tx
            .prepare_cached(
                "SELECT uuid, kind, personal FROM attachments WHERE report_id = ?1 AND sha256 = ?2",
            )?
            .query_row([key, sha256], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        let Some((uuid, was_kind, was_personal)) = same else { return Ok(None) };
        if was_kind != kind.code() || (was_personal != 0) != personal {
            let was = if was_personal != 0 { "personal" } else { "not personal" };
            return Err(refused(
                &format!("report {key}"),
                vec![format!(
                    "{name}: this file is attached already, as a {was_kind} {was} ({uuid}); it is kept as it was sent first"
                )],
            ));
        }
        stored_id(uuid).map(Some)
    }

    /// Relates the files of report `id` (those not personal) to the hazards
    /// its approval (`event`) versioned and the EO finds and accidents it
    /// recorded, in the Related Tables mapping tables, so that GDAL and QGIS
    /// show a feature's files.
    pub(crate) fn relate_media(&mut self, id: &str, event: &str) -> Result<(), StoreError> {
        self.write_pending()?;
        self.tx
            .prepare_cached(
                "INSERT INTO hazards_media (base_id, related_id)
                 SELECT DISTINCT h.fid, a.id FROM attachments a
                   JOIN hazard_versions v ON v.event_id = ?2 JOIN hazards h ON h.id = v.hazard_id
                 WHERE a.report_id = ?1 AND a.personal = 0 ON CONFLICT DO NOTHING",
            )?
            .execute([id, event])?;
        for sql in [
            "INSERT INTO eo_finds_media (base_id, related_id)
             SELECT f.fid, a.id FROM attachments a JOIN eo_finds f ON f.report_id = a.report_id
             WHERE a.report_id = ?1 AND a.personal = 0 ON CONFLICT DO NOTHING",
            "INSERT INTO accidents_media (base_id, related_id)
             SELECT c.fid, a.id FROM attachments a JOIN accidents c ON c.report_id = a.report_id
             WHERE a.report_id = ?1 AND a.personal = 0 ON CONFLICT DO NOTHING",
        ] {
            self.tx.prepare_cached(sql)?.execute([id])?;
        }
        Ok(())
    }

    /// Undoes [`Writer::relate_media`] when report `id` is unapproved: its
    /// features no longer show its files.
    pub(crate) fn unrelate_media(&mut self, id: &str) -> Result<(), StoreError> {
        for mapping in ["hazards_media", "eo_finds_media", "accidents_media"] {
            self.tx
                .prepare_cached(&format!(
                    "DELETE FROM {mapping} WHERE related_id IN (SELECT id FROM attachments WHERE report_id = ?1)"
                ))?
                .execute([id])?;
        }
        Ok(())
    }
}

/// A file shown with a feature, as an export writes it.
#[derive(Debug, Clone)]
pub struct MediaFile {
    /// The feature's UUID.
    pub feature: String,
    pub id: AttachmentId,
    pub kind: AttachmentKind,
    pub media: MediaType,
    pub file_name: String,
    pub sha256: String,
    pub taken_at: Option<String>,
    pub position: Option<[f64; 2]>,
    pub data: Vec<u8>,
}

impl Store {
    /// Every file shown with a feature of `layer` (hazards, EO finds,
    /// accidents: the Related Tables mapping, so never a personal file) by
    /// a report decided by `bound` (an export as of a day; `None`: now), in
    /// the order of the features and the files, for the features `keep`
    /// wants; only those files' bytes are read. Another layer has none.
    pub fn layer_media(
        &self,
        layer: crate::Layer,
        bound: Option<&str>,
        keep: &mut dyn FnMut(&str) -> bool,
        sink: &mut dyn FnMut(MediaFile) -> Result<(), StoreError>,
    ) -> Result<usize, StoreError> {
        let mapping = match layer {
            crate::Layer::Hazards => "hazards_media",
            crate::Layer::EoFinds => "eo_finds_media",
            crate::Layer::Accidents => "accidents_media",
            _ => return Ok(0),
        };
        let table = layer.name();
        let sql = format!(
            "SELECT f.id, a.uuid, a.kind, a.content_type, a.file_name, a.sha256, a.taken_at, a.exif_lon, a.exif_lat
             FROM {mapping} m JOIN {table} f ON f.fid = m.base_id JOIN attachments a ON a.id = m.related_id
               JOIN reports r ON r.id = a.report_id
             WHERE a.personal = 0 AND r.decided_at <= ?1 ORDER BY f.fid, a.id"
        );
        let mut wanted = Vec::new();
        self.conn.for_each(&sql, [bound.unwrap_or("9999-12-31T00:00:00Z")], &mut |r| {
            let feature: String = r.get(0)?;
            if !keep(&feature) {
                return Ok(true);
            }
            let media = media_of(&r.get::<String>(3)?)?;
            let lon: Option<f64> = r.get(7)?;
            let lat: Option<f64> = r.get(8)?;
            wanted.push(MediaFile {
                feature,
                id: stored_id(r.get(1)?)?,
                kind: stored_code(&r.get::<String>(2)?, "attachment")?,
                media,
                file_name: r.get(4)?,
                sha256: r.get(5)?,
                taken_at: r.get(6)?,
                position: lon.zip(lat).map(|(lon, lat)| [lon, lat]),
                data: Vec::new(),
            });
            Ok(true)
        })?;
        let n = wanted.len();
        for mut file in wanted {
            file.data = self.conn.query_row(
                "SELECT data FROM attachments WHERE uuid = ?1",
                [file.id.to_string()],
                |r| r.get(0),
            )?;
            sink(file)?;
        }
        Ok(n)
    }

    /// The files of report `id`, oldest first; personal ones only when
    /// `personal` (the caller checked the permission). Each photograph's
    /// distance from what the report describes is measured here.
    pub fn attachments(&self, id: ReportId, personal: bool) -> Result<Vec<AttachmentRow>, StoreError> {
        let key = id.to_string();
        let body: Option<String> =
            self.conn.query_row("SELECT body FROM reports WHERE id = ?1", [&key], |r| r.get(0)).optional()?;
        let body = body.ok_or_else(|| StoreError::Unknown { what: "report", key: key.clone() })?;
        let positions = serde_json::from_str(&body).map(|r| attachment::positions(&r)).unwrap_or_default();
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {COLUMNS} FROM attachments WHERE report_id = ?1 AND (personal = 0 OR ?2) ORDER BY id"
        ))?;
        let mut rows = stmt.query(params![key, personal])?;
        let mut out = vec![];
        while let Some(r) = rows.next()? {
            let mut a = row(&r)?;
            a.distance_m = a.position.and_then(|[lon, lat]| attachment::nearest_m((lon, lat), &positions));
            out.push(a);
        }
        Ok(out)
    }

    /// The files of hazard `hazard` (its code or id), oldest first: those its
    /// approved reports brought (the Related Tables mapping, so never a
    /// personal one), each with how far it was taken from the nearest
    /// corner (turning point) of the hazard's outline.
    pub fn hazard_attachments(&self, hazard: &str) -> Result<Vec<AttachmentRow>, StoreError> {
        let detail = self.hazard(hazard)?;
        let mut corners = Vec::new();
        if let Some(c) = detail.geometry.get("coordinates") {
            attachment::coordinates(c, &mut corners);
        }
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {COLUMNS} FROM attachments WHERE personal = 0 AND id IN (SELECT m.related_id FROM hazards_media m
               JOIN hazards h ON h.fid = m.base_id WHERE h.id = ?1) ORDER BY id"
        ))?;
        let mut rows = stmt.query([detail.hazard.id.to_string()])?;
        let mut out = vec![];
        while let Some(r) = rows.next()? {
            let mut a = row(&r)?;
            a.distance_m = a.position.and_then(|[lon, lat]| attachment::nearest_m((lon, lat), &corners));
            out.push(a);
        }
        Ok(out)
    }

    /// One file and its bytes (`thumbnail`: its thumbnail's instead, `None`
    /// for a file that has none); a personal one only when `personal`.
    pub fn attachment(
        &self,
        id: AttachmentId,
        personal: bool,
        thumbnail: bool,
    ) -> Result<Option<(AttachmentRow, Vec<u8>)>, StoreError> {
        let column = if thumbnail { "thumbnail" } else { "data" };
        let found: Option<(AttachmentRow, Option<Vec<u8>>)> = self
            .conn
            .query_row(
                &format!(
                    "SELECT {COLUMNS}, {column} FROM attachments WHERE uuid = ?1 AND (personal = 0 OR ?2)"
                ),
                params![id.to_string(), personal],
                |r| Ok((row(r)?, r.get(16)?)),
            )
            .optional()?;
        Ok(found.and_then(|(row, bytes)| bytes.map(|b| (row, b))))
    }
}
