//! Attached files judged from their bytes: what a file is ([`sniff`]),
//! and for a picture its size, its EXIF position and time and a thumbnail
//! ([`inspect`]). No I/O: bytes in, plain values out.
//!
//! A file's name and the type its sender claims are never trusted: a page of
//! HTML named `photo.jpg` is refused here, so the register never serves one.
//! A picture is decoded whole (within [`MAX_PIXELS`]) before it is kept, so
//! a file that only starts like a JPEG is refused too.
//!
//! ```
//! use safeground_core::codes::MediaType;
//! assert_eq!(safeground_media::sniff(b"%PDF-1.7\n...").unwrap(), MediaType::Pdf);
//! assert!(safeground_media::sniff(b"<html><script>alert(1)</script>").is_err());
//! ```

mod exif;
mod sniff;
mod thumbnail;

pub use exif::{read_exif, Exif};
pub use sniff::sniff;
pub use thumbnail::{MAX_PIXELS, THUMBNAIL_EDGE};

use safeground_core::attachment::Judged;
use safeground_core::codes::MediaType;

/// Why a file is not kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    /// Not one of the kinds the register keeps; `looks_like` says what it
    /// seems to be.
    #[error("it is {looks_like}, not a JPEG or PNG picture, a PDF, a GPX track or a KML file; attach one of those")]
    Unknown { looks_like: &'static str },
    /// It starts like a kind the register keeps but does not read as one.
    #[error("it starts as a {media} but does not read as one ({detail}); send the original file")]
    Damaged { media: MediaType, detail: String },
    /// A picture too large to decode safely.
    #[error("the picture is {width} × {height} pixels, more than the register decodes (at most {max} million pixels, 8 bits a channel); send a smaller copy")]
    TooManyPixels { width: u32, height: u32, max: u64 },
}

/// Judges `bytes`: refused unless they are a kind the register keeps and,
/// for a picture, decode whole; then its EXIF and its thumbnail.
pub fn inspect(bytes: &[u8]) -> Result<Judged, MediaError> {
    let media = sniff(bytes)?;
    if !media.is_image() {
        return Ok(Judged { media, pixels: None, position: None, taken_at: None, thumbnail: None });
    }
    let exif = read_exif(bytes);
    let (pixels, thumbnail) = thumbnail::make(bytes, media)?;
    Ok(Judged {
        media,
        pixels: Some(pixels),
        position: exif.as_ref().and_then(|e| e.position),
        taken_at: exif.and_then(|e| e.taken_at),
        thumbnail: Some(thumbnail),
    })
}
