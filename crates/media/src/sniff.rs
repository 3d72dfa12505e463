//! What a file is, from its first bytes.

use crate::MediaError;
use safeground_core::codes::MediaType;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";

/// The kind of file `bytes` are, or why it is not one the register keeps.
///
/// Pictures and PDFs by their signatures; GPX and KML as UTF-8 XML whose
/// root element is `gpx` or `kml` and which carries nothing a browser or
/// Google Earth's balloons would run ([`active`]).
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
    let active = active(text);
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

/// Whether XML text carries what a browser or Google Earth's balloons (which
/// render a KML description's HTML) would run or fetch: a script element in
/// any namespace, an event attribute (`onload=`, `onerror=`), a
/// `javascript:`, `vbscript:` or `data:text/html` address, XHTML, SVG, a
/// stylesheet instruction, an entity declaration, frames or objects. It is
/// judged after character references (numeric, XML's five, and `&colon;`,
/// `&tab;`, `&newline;`, which HTML reads inside words) are decoded twice and
/// spaces removed, so `java&#115;cript:` or an escaped `&lt;iframe` is not a
/// way round.
pub fn active(text: &str) -> bool {
    // Twice: a KML description's HTML is often escaped, sometimes twice (`&amp;lt;`).
    let decoded = decode_references(&decode_references(text)).to_lowercase();
    let compact: String = decoded.chars().filter(|c| !c.is_whitespace() && !c.is_control()).collect();
    const RUNS: &[&str] = &[
        "<script",
        ":script",
        "javascript:",
        "vbscript:",
        "data:text/html",
        "xhtml",
        "/2000/svg",
        "<svg",
        "<?xml-stylesheet",
        "<!entity",
        "<iframe",
        "<frame",
        "<object",
        "<embed",
        "<meta",
        "<link",
        "<style",
        "<base",
        "<form",
    ];
    RUNS.iter().any(|r| compact.contains(r)) || has_event_attribute(&decoded)
}

/// An attribute named `on…` (an event handler): `on` after a space, a
/// quote or `/`, letters, then `=`.
fn has_event_attribute(text: &str) -> bool {
    let b = text.as_bytes();
    let mut at = 0;
    while let Some(i) = text[at..].find("on").map(|i| at + i) {
        at = i + 2;
        let before = i.checked_sub(1).map(|j| b[j]);
        if !before.is_some_and(|c| c.is_ascii_whitespace() || c == b'"' || c == b'\'' || c == b'/') {
            continue;
        }
        let name_end = b[at..].iter().position(|c| !c.is_ascii_alphabetic()).map_or(b.len(), |n| at + n);
        if name_end == at {
            continue;
        }
        let after = b[name_end..].iter().find(|c| !c.is_ascii_whitespace());
        if after == Some(&b'=') {
            return true;
        }
    }
    false
}

/// `text` with character references decoded as a browser reads them:
/// numeric ones (`&#115;`, `&#x73;`, zero-padded, the `;` optional), XML's
/// five entities and `&colon;`, `&tab;`, `&newline;` (any case, the `;`
/// optional); anything else left as written.
fn decode_references(text: &str) -> String {
    const NAMED: &[(&str, char)] = &[
        ("newline", '\n'),
        ("colon", ':'),
        ("quot", '"'),
        ("apos", '\''),
        ("tab", '\t'),
        ("amp", '&'),
        ("lt", '<'),
        ("gt", '>'),
    ];
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        let (decoded, used) = if let Some(num) = rest.strip_prefix('#') {
            let (hex, digits) = match num.strip_prefix(['x', 'X']) {
                Some(h) => (true, h),
                None => (false, num),
            };
            let n = digits
                .bytes()
                .take_while(|b| if hex { b.is_ascii_hexdigit() } else { b.is_ascii_digit() })
                .count();
            let value = if hex { u32::from_str_radix(&digits[..n], 16) } else { digits[..n].parse::<u32>() };
            let c = value.ok().and_then(char::from_u32);
            (c, 1 + usize::from(hex) + n)
        } else {
            let lower = rest.get(..7.min(rest.len())).unwrap_or("").to_ascii_lowercase();
            match NAMED.iter().find(|(name, _)| lower.starts_with(name)) {
                Some((name, c)) => (Some(*c), name.len()),
                None => (None, 0),
            }
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[used..];
                rest = rest.strip_prefix(';').unwrap_or(rest);
            }
            None => out.push('&'),
        }
    }
    out.push_str(rest);
    out
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
        // What a review found slipping past a plain search.
        for hostile in [
            "<kml><svg:script xmlns:svg=\"http://www.w3.org/2000/svg\">x</svg:script></kml>",
            "<kml><x:g xmlns:x=\"http://www.w3.org/1999/&#120;html\"/></kml>",
            "<?xml-stylesheet href=\"x.xsl\"?><gpx/>",
            "<kml><Placemark><description><![CDATA[<img src=x onerror=alert(1)>]]></description></Placemark></kml>",
            "<kml><a href=\"java&#115;cript&colon;x\"/></kml>",
            "<kml><a href=\"java\tscript:x\"/></kml>",
            "<gpx><link href=\"data:text/html,x\"/></gpx>",
            "<kml><description>&lt;iframe src=x&gt;</description></kml>",
            "<kml><a href=\"java&#115cript:x\"/></kml>",
            "<kml><a href=\"java&#00000000115;cript:x\"/></kml>",
            "<kml><description>&ltscript&gt;x</description></kml>",
        ] {
            assert!(sniff(hostile.as_bytes()).is_err(), "{hostile}");
        }
        // A KML balloon's ordinary HTML, and words that start with "on", pass.
        let plain = "<kml><Placemark><name>Lane one</name><description><![CDATA[<b>Marked</b> <a href=\"https://example.org/x\">report</a> <img src=\"photo.jpg\">]]></description></Placemark></kml>";
        assert_eq!(sniff(plain.as_bytes()), Ok(MediaType::Kml));
        assert_eq!(sniff(b"<gpx><trk><name>online = yes</name></trk></gpx>"), Ok(MediaType::Gpx));
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
