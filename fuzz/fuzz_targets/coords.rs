//! The coordinate parser never panics, and whatever it reads it can write
//! back and read again in the same notation at the same precision. (The zone
//! may change: a UTM or MGRS position written in a zone it is not in is read,
//! with a warning, and written in its standard zone.)
#![no_main]
use libfuzzer_sys::fuzz_target;
use safeground_core::coords::{format, parse_position};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(p) = parse_position(text) {
            if let Ok(again) = format(p.position, &p.notation) {
                let q = parse_position(&again).expect("what we write, we read");
                assert_eq!(q.notation.name(), p.notation.name());
                assert_eq!(q.notation.precision(), p.notation.precision());
            }
        }
    }
});
