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
    #[error("the picture is {width} × {height} pixels, more than the {max} million a photo may have; send a smaller copy")]
    TooManyPixels { width: u32, height: u32, max: u64 },
}

/// What a kept file is.
#[derive(Debug, Clone, PartialEq)]
pub struct Inspected {
    pub media: MediaType,
    /// A picture's size in pixels (as shown, after its EXIF orientation).
    pub pixels: Option<(u32, u32)>,
    /// What the camera wrote, when the file carries EXIF.
    pub exif: Option<Exif>,
    /// A JPEG of at most [`THUMBNAIL_EDGE`] pixels a side, for a picture.
    pub thumbnail: Option<Vec<u8>>,
}

/// Judges `bytes`: refused unless they are a kind the register keeps and,
/// for a picture, decode whole; then its EXIF and its thumbnail.
pub fn inspect(bytes: &[u8]) -> Result<Inspected, MediaError> {
    let media = sniff(bytes)?;
    if !media.is_image() {
        return Ok(Inspected { media, pixels: None, exif: None, thumbnail: None });
    }
    let exif = read_exif(bytes);
    let (pixels, thumbnail) = thumbnail::make(bytes, media)?;
    Ok(Inspected { media, pixels: Some(pixels), exif, thumbnail: Some(thumbnail) })
}
