//! An attached file, judged from its bytes, never panics: it is refused
//! with a reason, or it is a kind the register keeps — and a picture then
//! has a size within the bound and a thumbnail that is itself a JPEG.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(judged) = safeground_media::inspect(data) {
        if judged.media.is_image() {
            let (w, h) = judged.pixels.expect("a picture has a size");
            assert!(u64::from(w) * u64::from(h) <= safeground_media::MAX_PIXELS);
            assert!(judged.thumbnail.expect("a picture has a thumbnail").starts_with(b"\xff\xd8\xff"));
        }
    }
    let _ = safeground_media::read_exif(data);
});
