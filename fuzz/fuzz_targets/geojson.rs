//! GeoJSON polygons read and validated never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use safeground_core::validate::{repair, validate, Rules};
use safeground_formats::geojson::read_polygons;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(features) = read_polygons(text) {
            for f in features {
                let _ = validate(&f.polygons, &Rules::default());
                let _ = repair(&f.polygons, &Rules::default());
            }
        }
    }
});
