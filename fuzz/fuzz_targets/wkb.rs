//! GeoPackage geometry blobs from any file never panic the decoder.
#![no_main]
use libfuzzer_sys::fuzz_target;
use safeground_core::wkb::{decode_gpkg, read_wkb};

fuzz_target!(|data: &[u8]| {
    let _ = decode_gpkg(data);
    let _ = read_wkb(data);
});
