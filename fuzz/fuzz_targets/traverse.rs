//! The traverse reader and computation never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use safeground_core::traverse::{compute, read_csv, Settings};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(stations) = read_csv(text) {
            let _ = compute(&stations, &Settings::default());
            let _ = compute(&stations, &Settings { force: true, declination_deg: 7.0, tolerance_percent: 0.1 });
        }
    }
});
