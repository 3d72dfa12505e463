//! KoBoToolbox / ODK Central exports (CSV or JSON) read for every form never
//! panic, and their rejects can always be written back.
#![no_main]
use libfuzzer_sys::fuzz_target;
use safeground_formats::kobo::{read, write_rejects};
use safeground_formats::xlsform::FormKind;

fuzz_target!(|data: &[u8]| {
    for form in FormKind::ALL {
        if let Ok(export) = read("fuzz", data, *form, Some("ANAMA")) {
            let rejected: Vec<(usize, String)> = (0..export.rows.len()).map(|i| (i, "fuzz".into())).collect();
            let _ = write_rejects(&export, &rejected, std::io::sink());
        }
    }
});
