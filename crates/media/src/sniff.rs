//! What a file is, from its first bytes.

use crate::MediaError;
use safeground_core::codes::MediaType;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";

/// The kind of file `bytes` are, or why it is not one the register keeps.
///
/// Pictures and PDFs by their signatures; GPX and KML as UTF-8 XML whose
/// root element is `gpx` or `kml` and which carries no script or XHTML.
///
/// ```
/// use safeground_core::codes::MediaType;
/// use safeground_media::sniff;
/// assert_eq!(sniff(b"\xff\xd8\xff\xe0rest").unwrap(), MediaType::Jpeg);
/// assert_eq!(sniff(b"<?xml version=\"1.0\"?>\n<gpx version=\"1.1\"></gpx>").unwrap(), MediaType::Gpx);
/// assert!(sniff(b"<svg onload=\"alert(1)\"/>").is_err());
/// ```
pub fn sniff(bytes: &[u8]) -> Result<MediaType, MediaError> {
    if bytes.starts_with(b"\xff\xd8\xff") {
        return Ok(MediaType::Jpeg);
    }
    if bytes.starts_with(PNG) {
        return Ok(MediaType::Png);
    }
    if bytes.starts_with(b"%PDF-") {
        return Ok(MediaType::Pdf);
    }
    let looks_like = |what| Err(MediaError::Unknown { looks_like: what });
    if bytes.is_empty() {
        return looks_like("empty");
    }
    if let Some(kind) = binary_kind(bytes) {
        return looks_like(kind);
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return looks_like("a binary file of unknown kind");
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let root = root_element(text);
    let lower = text.to_ascii_lowercase();
    let active = lower.contains("<script")
        || lower.contains("http://www.w3.org/1999/xhtml")
        || lower.contains("javascript:");
    match root.as_deref() {
        Some("gpx") if !active => Ok(MediaType::Gpx),
        Some("kml") if !active => Ok(MediaType::Kml),
        Some("gpx") | Some("kml") => looks_like("an XML file with a script or web page inside"),
        Some("html") => looks_like("a web page (HTML)"),
        Some("svg") => looks_like("an SVG drawing (it can carry scripts)"),
        Some(_) => looks_like("an XML file of another kind"),
        None if lower.trim_start().starts_with("<!doctype html") => looks_like("a web page (HTML)"),
        None => looks_like("text"),
    }
}

/// What a binary file of a kind the register does not keep seems to be, by
/// its signature, for the message.
fn binary_kind(bytes: &[u8]) -> Option<&'static str> {
    let kind = if bytes.starts_with(b"PK\x03\x04") {
        "a ZIP archive (or an Office document, a KMZ)"
    } else if bytes.starts_with(b"GIF8") {
        "a GIF picture"
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        "a WebP picture"
    } else if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        "a HEIC picture or a video (save the photo as JPEG)"
    } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        "a TIFF picture"
    } else if bytes.starts_with(b"\x7fELF") || bytes.starts_with(b"MZ") {
        "a program"
    } else {
        return None;
    };
    Some(kind)
}

/// The local name of the document's root element (after the XML
/// declaration, comments, processing instructions and a DOCTYPE), lower-cased.
fn root_element(text: &str) -> Option<String> {
    let mut rest = text;
    loop {
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix("<?") {
            rest = &r[r.find("?>")? + 2..];
        } else if let Some(r) = rest.strip_prefix("<!--") {
            rest = &r[r.find("-->")? + 3..];
        } else if rest.starts_with("<!") {
            return None;
        } else if let Some(r) = rest.strip_prefix('<') {
            let name: String =
                r.chars().take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/').collect();
            let local = name.rsplit(':').next().unwrap_or(&name);
            return (!local.is_empty()).then(|| local.to_ascii_lowercase());
        } else {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures() {
        assert_eq!(sniff(PNG), Ok(MediaType::Png));
        assert_eq!(sniff(b"%PDF-1.4"), Ok(MediaType::Pdf));
        assert!(sniff(b" %PDF-1.4").is_err());
        assert!(sniff(b"\xff\xd8").is_err());
    }

    #[test]
    fn xml_by_its_root() {
        let kml = "\u{feff}<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- a track -->\n<kml xmlns=\"http://www.opengis.net/kml/2.2\"><Document/></kml>";
        assert_eq!(sniff(kml.as_bytes()), Ok(MediaType::Kml));
        assert_eq!(sniff(b"<gpx:gpx xmlns:gpx=\"x\"/>"), Ok(MediaType::Gpx));
        assert!(sniff(b"<gpx><desc><script>x</script></desc></gpx>").is_err());
        assert!(sniff(b"<kml><a href=\"javascript:x\"/></kml>").is_err());
    }

    #[test]
    fn what_is_refused_is_named() {
        let said = |b: &[u8]| sniff(b).unwrap_err().to_string();
        assert!(said(b"<!DOCTYPE html><html>").contains("web page"));
        assert!(said(b"<html><body>").contains("web page"));
        assert!(said(b"<svg/>").contains("SVG"));
        assert!(said(b"GIF89a....").contains("GIF"));
        assert!(said(b"\x00\x00\x00\x18ftypheic").contains("HEIC"));
        assert!(said(b"").contains("empty"));
        assert!(said(b"just words").contains("text"));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes: Vec<u8>) {
            let _ = sniff(&bytes);
        }

        #[test]
        fn text_never_passes_for_a_picture(s: String) {
            if let Ok(m) = sniff(s.as_bytes()) {
                proptest::prop_assert!(!m.is_image());
            }
        }
    }
}
