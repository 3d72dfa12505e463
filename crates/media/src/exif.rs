//! What a camera wrote into a photograph: where and when it was taken.

use exif::{In, Reader, Tag, Value};

/// A photograph's EXIF position and time, as the camera wrote them.
#[derive(Debug, Clone, PartialEq)]
pub struct Exif {
    /// Longitude and latitude (WGS84) from the GPS tags, when both are there
    /// and make a position.
    pub position: Option<(f64, f64)>,
    /// `DateTimeOriginal`, as `YYYY-MM-DDTHH:MM:SS`, with its offset
    /// (`OffsetTimeOriginal`) when the camera wrote one.
    pub taken_at: Option<String>,
}

/// The EXIF of a JPEG or PNG, or `None` when it has none (or none that reads:
/// a photograph without a readable position is still a photograph).
pub fn read_exif(bytes: &[u8]) -> Option<Exif> {
    let exif = Reader::new().read_from_container(&mut std::io::Cursor::new(bytes)).ok()?;
    let ascii = |tag| {
        exif.get_field(tag, In::PRIMARY).and_then(|f| match &f.value {
            Value::Ascii(v) => v.first().map(|s| String::from_utf8_lossy(s).trim().to_string()),
            _ => None,
        })
    };
    let degrees = |tag, reference: Tag, negative: &str| -> Option<f64> {
        let f = exif.get_field(tag, In::PRIMARY)?;
        let Value::Rational(v) = &f.value else { return None };
        let [d, m, s] = [v.first()?, v.get(1)?, v.get(2)?].map(|r| r.to_f64());
        let value = d + m / 60.0 + s / 3600.0;
        let sign =
            if ascii(reference).is_some_and(|r| r.eq_ignore_ascii_case(negative)) { -1.0 } else { 1.0 };
        value.is_finite().then_some(sign * value)
    };
    let lat = degrees(Tag::GPSLatitude, Tag::GPSLatitudeRef, "S");
    let lon = degrees(Tag::GPSLongitude, Tag::GPSLongitudeRef, "W");
    let position = match (lon, lat) {
        (Some(lon), Some(lat)) if lon.abs() <= 180.0 && lat.abs() <= 90.0 => Some((lon, lat)),
        _ => None,
    };
    let taken_at = ascii(Tag::DateTimeOriginal).and_then(|t| exif_time(&t)).map(|t| {
        match ascii(Tag::OffsetTimeOriginal).filter(|o| is_offset(o)) {
            Some(o) => format!("{t}{o}"),
            None => t,
        }
    });
    (position.is_some() || taken_at.is_some()).then_some(Exif { position, taken_at })
}

/// EXIF's `YYYY:MM:DD HH:MM:SS` as `YYYY-MM-DDTHH:MM:SS`; `None` for the
/// blanks and zeros cameras write when they do not know.
fn exif_time(t: &str) -> Option<String> {
    let b = t.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    let shaped = b.len() >= 19
        && digits(0..4)
        && digits(5..7)
        && digits(8..10)
        && digits(11..13)
        && digits(14..16)
        && digits(17..19);
    if !shaped || t.starts_with("0000") {
        return None;
    }
    Some(format!("{}-{}-{}T{}", &t[0..4], &t[5..7], &t[8..10], &t[11..19]))
}

fn is_offset(o: &str) -> bool {
    let b = o.as_bytes();
    b.len() == 6
        && (b[0] == b'+' || b[0] == b'-')
        && b[3] == b':'
        && [1, 2, 4, 5].iter().all(|&i| b[i].is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_as_cameras_write_them() {
        assert_eq!(exif_time("2024:03:01 10:22:33").as_deref(), Some("2024-03-01T10:22:33"));
        assert_eq!(exif_time("0000:00:00 00:00:00"), None);
        assert_eq!(exif_time("    :  :     :  :  "), None);
        assert_eq!(exif_time("2024:03:01"), None);
        assert!(is_offset("+04:00") && is_offset("-03:30") && !is_offset("04:00"));
    }

    #[test]
    fn no_exif_is_none() {
        assert_eq!(read_exif(b"\xff\xd8\xff\xd9"), None);
        assert_eq!(read_exif(b""), None);
    }
}
