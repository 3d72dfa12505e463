//! A priority scenario (TOML) and a GeoJSON line never panic the reader; a
//! scenario it accepts has no problems, and ranks a hazard without panicking
//! into a score from 0 to 100 that its contributions add up to.
#![no_main]
use geo::{polygon, MultiPolygon};
use libfuzzer_sys::fuzz_target;
use safeground_core::codes::{HazardKind, HazardStatus};
use safeground_core::priority::{parse_scenario, rank, read_lines, Candidate};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = read_lines(text);
    let Ok(s) = parse_scenario(text) else { return };
    assert!(s.problems().is_empty());
    let h = Candidate {
        id: Default::default(),
        code: "H".into(),
        name: "H".into(),
        district: "D".into(),
        kind: HazardKind::Cha,
        status: HazardStatus::Open,
        contamination: vec![],
        land_use: vec![],
        remaining_m2: 1000.0,
        evidence: None,
        geometry: MultiPolygon(vec![polygon![(x: 47.0, y: 40.0), (x: 47.01, y: 40.0), (x: 47.01, y: 40.01)]]),
    };
    for r in rank(&s, &[h], &[], &[], None, time::macros::date!(2026 - 01 - 01)) {
        let sum: f64 = r.contributions.iter().map(|c| c.points).sum();
        assert_eq!(sum, r.score);
        assert!((0.0..=100.0 + 1e-9).contains(&r.score));
    }
});
