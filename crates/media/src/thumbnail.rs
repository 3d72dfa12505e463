//! A picture decoded whole, within bounds, and its thumbnail.

use crate::MediaError;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use safeground_core::codes::MediaType;

/// The longest side of a thumbnail, in pixels.
pub const THUMBNAIL_EDGE: u32 = 320;

/// The most pixels a picture may have: 100 million (a 12,000 × 8,000
/// photograph), so that a small file cannot ask for gigabytes when decoded.
pub const MAX_PIXELS: u64 = 100_000_000;

/// Decodes the picture (turned as its EXIF orientation says) and makes a
/// JPEG thumbnail of it; its size in pixels as shown.
pub(crate) fn make(bytes: &[u8], media: MediaType) -> Result<((u32, u32), Vec<u8>), MediaError> {
    let damaged = |e: &dyn std::fmt::Display| MediaError::Damaged { media, detail: e.to_string() };
    let format = if media == MediaType::Png { ImageFormat::Png } else { ImageFormat::Jpeg };
    let mut reader = ImageReader::with_format(std::io::Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_PIXELS * 4 + (64 << 20));
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| damaged(&e))?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(MediaError::TooManyPixels { width, height, max: MAX_PIXELS / 1_000_000 });
    }
    let orientation = decoder.orientation().map_err(|e| damaged(&e))?;
    let picture = DynamicImage::from_decoder(decoder).map_err(|e| match e {
        image::ImageError::Limits(_) => {
            MediaError::TooManyPixels { width, height, max: MAX_PIXELS / 1_000_000 }
        }
        e => damaged(&e),
    })?;
    // Made small first, then turned upright: a turn of the whole picture
    // would copy it once more.
    let mut small = picture.thumbnail(THUMBNAIL_EDGE, THUMBNAIL_EDGE);
    drop(picture);
    small.apply_orientation(orientation);
    let turned = matches!(
        orientation,
        image::metadata::Orientation::Rotate90
            | image::metadata::Orientation::Rotate270
            | image::metadata::Orientation::Rotate90FlipH
            | image::metadata::Orientation::Rotate270FlipH
    );
    let shown = if turned { (height, width) } else { (width, height) };
    let small = small.to_rgb8();
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&small)
        .map_err(|e| damaged(&e))?;
    Ok((shown, out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder, Rgb, RgbImage};

    fn png(width: u32, height: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(width, height, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 128]));
        let mut out = Vec::new();
        image::codecs::png::PngEncoder::new(&mut out)
            .write_image(img.as_raw(), width, height, image::ExtendedColorType::Rgb8)
            .expect("an encoded PNG");
        out
    }

    #[test]
    fn a_thumbnail_keeps_the_shape_within_the_edge() {
        let (pixels, thumb) = make(&png(1000, 500), MediaType::Png).expect("a picture");
        assert_eq!(pixels, (1000, 500));
        let t = image::load_from_memory(&thumb).expect("a JPEG thumbnail");
        assert_eq!((t.width(), t.height()), (THUMBNAIL_EDGE, THUMBNAIL_EDGE / 2));
    }

    #[test]
    fn a_truncated_picture_is_damaged() {
        let mut p = png(64, 64);
        p.truncate(p.len() / 2);
        assert!(matches!(make(&p, MediaType::Png), Err(MediaError::Damaged { .. })));
        assert!(matches!(make(b"\xff\xd8\xff\xe0garbage", MediaType::Jpeg), Err(MediaError::Damaged { .. })));
    }

    #[test]
    fn a_picture_that_claims_too_many_pixels_is_refused_before_decoding() {
        // A PNG header claiming 20,000 × 20,000 pixels, with no pixels behind it.
        let mut p = png(1, 1);
        p[16..20].copy_from_slice(&20_000u32.to_be_bytes());
        p[20..24].copy_from_slice(&20_000u32.to_be_bytes());
        // The header's CRC no longer matches; either refusal keeps the memory bounded.
        assert!(make(&p, MediaType::Png).is_err());
    }
}
