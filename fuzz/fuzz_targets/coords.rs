//! The coordinate parser never panics, and whatever it reads it can write
//! back and read again to the same position.
#![no_main]
use libfuzzer_sys::fuzz_target;
use safeground_core::coords::{format, parse_position};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(p) = parse_position(text) {
            if let Ok(again) = format(p.position, &p.notation) {
                let q = parse_position(&again).expect("what we write, we read");
                assert_eq!(q.notation, p.notation);
            }
        }
    }
});
