//! A field bundle carried in on a USB stick is read whole, whatever its
//! bytes, without panicking: refused with a reason (not SQLite, not a
//! bundle, a report or file not as this program writes it), or read.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = std::env::temp_dir().join(format!("safeground-fuzz-bundle-{}", std::process::id()));
    if std::fs::write(&path, data).is_ok() {
        let _ = safeground_store::Bundle::read(&path).map(|b| b.reports());
    }
    let _ = std::fs::remove_file(&path);
});
