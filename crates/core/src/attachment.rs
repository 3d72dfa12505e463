//! Files attached to a report — photographs, scanned signed forms, sketch
//! maps, GPS tracks: which ones a report may carry, which are personal data,
//! and how far a photograph was taken from what the report describes.
//!
//! What a file *is* is judged from its bytes by `safeground-media`; these
//! are the rules about it, over plain values.
//!
//! ```
//! use safeground_core::attachment::{problems, Limits, Offered};
//! use safeground_core::codes::{AttachmentKind, MediaType};
//!
//! let photo = Offered { name: "marking.jpg", kind: AttachmentKind::Photo, media: MediaType::Jpeg, size: 2_000_000 };
//! assert!(problems(&photo, &Limits::default()).is_empty());
//! let track_as_photo = Offered { media: MediaType::Gpx, ..photo };
//! assert_eq!(problems(&track_as_photo, &Limits::default()).len(), 1);
//! ```

use crate::codes::{AttachmentKind, MediaType, ReportState};
use crate::report::Report;
use crate::report::ReportType;
use geographiclib_rs::{Geodesic, InverseGeodesic};
use serde_json::Value;

/// The default bound on one attached file: 50 MB.
pub const DEFAULT_MAX_BYTES: u64 = 50 * 1024 * 1024;

/// The bounds an attachment is held to (`serve --max-attachment-mb`, the
/// CLI's `--max-attachment-mb`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_bytes: DEFAULT_MAX_BYTES }
    }
}

/// A file offered for attachment, as its bytes were judged.
#[derive(Debug, Clone, Copy)]
pub struct Offered<'a> {
    /// The name it was sent under (messages name it; it is never trusted).
    pub name: &'a str,
    pub kind: AttachmentKind,
    pub media: MediaType,
    pub size: u64,
}

/// The media types a kind of attachment may be.
pub const fn accepts(kind: AttachmentKind) -> &'static [MediaType] {
    match kind {
        AttachmentKind::Photo => &[MediaType::Jpeg, MediaType::Png],
        AttachmentKind::ScannedForm => &[MediaType::Pdf, MediaType::Jpeg, MediaType::Png],
        AttachmentKind::SketchMap => &[MediaType::Jpeg, MediaType::Png, MediaType::Pdf],
        AttachmentKind::GpsTrack => &[MediaType::Gpx, MediaType::Kml],
    }
}

/// The kind a file of `media` is taken for when the sender names none.
pub const fn default_kind(media: MediaType) -> AttachmentKind {
    match media {
        MediaType::Jpeg | MediaType::Png => AttachmentKind::Photo,
        MediaType::Pdf => AttachmentKind::ScannedForm,
        MediaType::Gpx | MediaType::Kml => AttachmentKind::GpsTrack,
    }
}

/// What a file's bytes were judged to be (by `safeground-media`), as the
/// register keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Judged {
    pub media: MediaType,
    /// A picture's size in pixels, as shown (after its EXIF orientation).
    pub pixels: Option<(u32, u32)>,
    /// Where the camera says it was taken (EXIF): longitude, latitude.
    pub position: Option<(f64, f64)>,
    /// When the camera says it was taken (EXIF), `YYYY-MM-DDTHH:MM:SS[±HH:MM]`.
    pub taken_at: Option<String>,
    /// A picture's thumbnail (JPEG).
    pub thumbnail: Option<Vec<u8>>,
}

/// The name a file is kept under: the last part of the name it was sent
/// under, without control characters, at most 120 characters; `file` when
/// nothing is left.
///
/// ```
/// use safeground_core::attachment::clean_name;
/// assert_eq!(clean_name("C:\\DCIM\\IMG_0042.JPG"), "IMG_0042.JPG");
/// assert_eq!(clean_name("a\u{1b}[31mb.jpg"), "a[31mb.jpg");
/// assert_eq!(clean_name("../"), "file");
/// ```
pub fn clean_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).find(|p| !p.trim().is_empty() && *p != "..").unwrap_or("");
    let clean: String = last.chars().filter(|c| !c.is_control()).take(120).collect();
    let clean = clean.trim();
    if clean.is_empty() || clean == "." || clean == ".." {
        "file".to_string()
    } else {
        clean.to_string()
    }
}

/// Every reason `file` may not be attached, each naming the file.
pub fn problems(file: &Offered<'_>, limits: &Limits) -> Vec<String> {
    let mut out = Vec::new();
    if file.size == 0 {
        out.push(format!("{}: the file is empty", file.name));
    }
    if file.size > limits.max_bytes {
        out.push(format!(
            "{}: {} bytes is more than the {} MB an attachment may be; send a smaller copy (a photo at a lower resolution, a scan at 200 dpi)",
            file.name,
            file.size,
            limits.max_bytes / (1024 * 1024)
        ));
    }
    if !accepts(file.kind).contains(&file.media) {
        let expected: Vec<&str> = accepts(file.kind).iter().map(|m| m.code()).collect();
        out.push(format!(
            "{}: a {} is one of {}, and this file is {}",
            file.name,
            file.kind,
            expected.join(", "),
            file.media
        ));
    }
    out
}

/// Whether an attachment is personal data when its sender does not say:
/// what comes with an accident report (the victims, their injuries) is,
/// until someone says otherwise; the rest is not.
pub const fn personal_by_default(report: ReportType) -> bool {
    matches!(report, ReportType::Accident)
}

/// Whether files may still be attached to a report in `state`: while it is
/// a draft or awaits its decision. An approval seals what it approved.
pub const fn open_for_attachments(state: ReportState) -> bool {
    matches!(state, ReportState::Draft | ReportState::Submitted)
}

/// Every position a report names (its finds, its accident, its session, the
/// turning points of its polygons), as longitude/latitude. A place written
/// as text that does not read is left out (the report's own checks name it).
pub fn positions(report: &Report) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    let places = report.eo_finds.iter().map(|f| &f.location);
    let places = places
        .chain(report.accident.as_ref().map(|a| &a.location))
        .chain(report.session.as_ref().and_then(|s| s.location.as_ref()));
    out.extend(places.filter_map(|p| p.point().ok()).map(|p| (p.x(), p.y())));
    let shapes = report.released.iter().map(|r| &r.geometry);
    let shapes = shapes
        .chain(report.new_hazard.as_ref().map(|h| &h.geometry))
        .chain(report.hazard_geometry.as_ref())
        .chain(report.inspection.as_ref().and_then(|i| i.sample.as_ref()));
    for g in shapes {
        if let Some(c) = g.get("coordinates") {
            coordinates(c, &mut out);
        }
    }
    out
}

/// The positions of a GeoJSON `coordinates` member, at any depth (a
/// polygon's turning points).
pub fn coordinates(c: &Value, out: &mut Vec<(f64, f64)>) {
    let Some(a) = c.as_array() else { return };
    match (a.first().and_then(Value::as_f64), a.get(1).and_then(Value::as_f64)) {
        (Some(lon), Some(lat)) => out.push((lon, lat)),
        _ => a.iter().for_each(|x| coordinates(x, out)),
    }
}

/// The geodesic distance (m) from `at` to the nearest of `positions`, or
/// `None` when the report names no position.
///
/// ```
/// use safeground_core::attachment::nearest_m;
/// let d = nearest_m((46.75, 39.75), &[(46.75, 39.76), (47.0, 40.0)]).unwrap();
/// assert!((d - 1110.0).abs() < 2.0);
/// ```
pub fn nearest_m(at: (f64, f64), positions: &[(f64, f64)]) -> Option<f64> {
    let g = Geodesic::wgs84();
    positions
        .iter()
        .filter(|(lon, lat)| lon.is_finite() && lat.is_finite() && lat.abs() <= 90.0)
        .map(|&(lon, lat)| {
            let d: f64 = g.inverse(at.1, at.0, lat, lon);
            d
        })
        .min_by(f64::total_cmp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offered(kind: AttachmentKind, media: MediaType, size: u64) -> Offered<'static> {
        Offered { name: "f", kind, media, size }
    }

    #[test]
    fn the_size_bound_is_inclusive() {
        let limits = Limits { max_bytes: 1000 };
        assert!(problems(&offered(AttachmentKind::Photo, MediaType::Png, 1000), &limits).is_empty());
        let p = problems(&offered(AttachmentKind::Photo, MediaType::Png, 1001), &limits);
        assert_eq!(p.len(), 1);
        assert!(p[0].contains("1001 bytes"), "{p:?}");
        assert_eq!(problems(&offered(AttachmentKind::Photo, MediaType::Png, 0), &limits).len(), 1);
    }

    #[test]
    fn each_kind_takes_its_media_only() {
        let limits = Limits::default();
        for kind in AttachmentKind::ALL {
            for media in MediaType::ALL {
                let ok = problems(&offered(*kind, *media, 10), &limits).is_empty();
                assert_eq!(ok, accepts(*kind).contains(media), "{kind} {media}");
            }
            // A file sent without a kind is taken for a kind that accepts it.
        }
        for media in MediaType::ALL {
            assert!(accepts(default_kind(*media)).contains(media));
        }
        let p = problems(&offered(AttachmentKind::GpsTrack, MediaType::Jpeg, 10), &limits);
        assert_eq!(p, vec!["f: a GPS_TRACK is one of GPX, KML, and this file is JPEG".to_string()]);
    }

    #[test]
    fn accident_reports_carry_personal_data_by_default() {
        for t in ReportType::ALL {
            assert_eq!(personal_by_default(*t), *t == ReportType::Accident);
        }
    }

    #[test]
    fn only_drafts_and_submitted_reports_take_files() {
        for s in ReportState::ALL {
            let open = matches!(s, ReportState::Draft | ReportState::Submitted);
            assert_eq!(open_for_attachments(*s), open, "{s}");
        }
    }

    #[test]
    fn positions_come_from_points_and_polygons() {
        let r: Report = serde_json::from_value(serde_json::json!({
            "type": "EO_FIND", "organisation": "X", "start_date": "2024-03-01", "end_date": "2024-03-01",
            "eo_finds": [{"location": [46.7, 39.8], "category": "UXO", "type": "x",
                          "disposal": "DESTROYED_IN_SITU"}],
            "released": [{"outcome": "CLEARED", "geometry": {"type": "Polygon",
                "coordinates": [[[46.0, 39.0], [46.1, 39.0], [46.1, 39.1], [46.0, 39.0]]]}}],
        }))
        .expect("a find report");
        let p = positions(&r);
        assert!(p.contains(&(46.7, 39.8)), "{p:?}");
        assert!(p.contains(&(46.1, 39.1)), "{p:?}");
        let d = nearest_m((46.7, 39.8), &p).expect("a position");
        assert!(d < 1e-6);
        assert_eq!(nearest_m((46.7, 39.8), &[]), None);
    }
}
