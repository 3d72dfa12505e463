//! Several connections approving reports on the same hazard at once: no lost
//! update, no double release, no deadlock left to the user — on a GeoPackage
//! and on PostgreSQL/PostGIS (a fresh database per test on the server at
//! SAFEGROUND_TEST_PG, default postgres://postgres@127.0.0.1:5432).

use geo::{polygon, MultiPolygon};
use safeground_core::codes::*;
use safeground_core::model::*;
use safeground_core::report::{self, Report};
use safeground_store::{ApprovalSettings, Store, StoreError};
use std::path::Path;
use uuid::Uuid;

mod common;
use common::{on_a_geopackage, on_postgis};

fn now() -> time::OffsetDateTime {
    time::macros::datetime!(2024-06-01 12:00 UTC)
}

fn setup(path: &Path) {
    let mut store = Store::create(path).unwrap();
    let region = Region { id: Uuid::new_v4(), name: "R".into() };
    let district = District {
        id: Uuid::new_v4(),
        region_id: region.id,
        name: "Ağdam".into(),
        alt_name: Some("Agdam".into()),
        hasc: Some("AZ.AM".into()),
        boundary: MultiPolygon(vec![
            polygon![(x: 46.5, y: 39.8), (x: 47.1, y: 39.8), (x: 47.1, y: 40.4), (x: 46.5, y: 40.4)],
        ]),
    };
    let org = Organisation {
        id: Uuid::new_v4(),
        name: "Authority".into(),
        acronym: "NA".into(),
        kind: OrganisationKind::NationalAuthority,
        country: "AZ".into(),
    };
    store
        .write(|w| {
            w.insert_region(&region)?;
            w.insert_district(&district)?;
            w.insert_organisation(&org)
        })
        .unwrap();
    let nts = report::parse(
        r#"{"type":"NTS","organisation":"NA","start_date":"2024-01-01","end_date":"2024-01-02",
            "new_hazard":{"code":"H-1","name":"h","kind":"CHA","district":"Agdam","contamination":["AP"],
            "geometry":{"type":"Polygon","coordinates":[[[46.9,39.9],[46.92,39.9],[46.92,39.92],[46.9,39.92],[46.9,39.9]]]}}}"#,
    )
    .unwrap();
    let id = store.submit(&nts, "t", now()).unwrap();
    store.approve(id, "t", now(), &ApprovalSettings::default(), None).unwrap();
}

/// A clearance report releasing the fan of the hazard between two angles
/// around its centre (disjoint fans never overlap).
fn fan(k: usize, n: usize) -> Report {
    let (cx, cy, r) = (46.91, 39.91, 0.0099);
    let a0 = std::f64::consts::TAU * k as f64 / n as f64;
    let a1 = std::f64::consts::TAU * (k + 1) as f64 / n as f64;
    let ring =
        [[cx, cy], [cx + r * a0.cos(), cy + r * a0.sin()], [cx + r * a1.cos(), cy + r * a1.sin()], [cx, cy]];
    report::parse(
        &serde_json::json!({"type":"CLEARANCE","organisation":"NA","hazard":"H-1","start_date":"2024-02-01",
            "end_date":"2024-03-01","released":[{"geometry":{"type":"Polygon","coordinates":[ring]}}]})
        .to_string(),
    )
    .unwrap()
}

fn parallel_approvals_on_one_hazard_lose_nothing(target: &Path) {
    let path = target.to_path_buf();
    setup(&path);
    const N: usize = 8;
    let mut store = Store::open(&path).unwrap();
    let ids: Vec<safeground_core::ids::ReportId> =
        (0..N).map(|k| store.submit(&fan(k, N), "t", now()).unwrap()).collect();
    let threads: Vec<_> = ids
        .iter()
        .cloned()
        .map(|id| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut s = Store::open(&path).unwrap();
                s.approve(id, "officer", now(), &ApprovalSettings::default(), None)
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap().unwrap();
    }
    let detail = store.hazard("H-1").unwrap();
    assert_eq!(detail.released.len(), N, "every approval landed");
    let sum: f64 = detail.released.iter().map(|r| r.area_m2).sum();
    let a = detail.hazard.area_m2;
    assert!((a.cleared - sum).abs() < 1e-6 * sum, "cleared {} vs the sum of the fans {sum}", a.cleared);
    assert!((a.cleared + a.remaining - a.recorded).abs() < 1e-6 * a.recorded);
    assert_eq!(store.hazard_history("H-1").unwrap().len(), N + 1, "one version per approval");
}

fn the_same_ground_approved_twice_at_once_lands_once(target: &Path) {
    let path = target.to_path_buf();
    setup(&path);
    let mut store = Store::open(&path).unwrap();
    // Two reports of the same ground, and one report approved by two officers at once.
    let a = store.submit(&fan(0, 4), "t", now()).unwrap();
    let b = store.submit(&fan(0, 4), "t", now()).unwrap();
    let results: Vec<Result<Vec<String>, StoreError>> = [a, b, a]
        .into_iter()
        .map(|id| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut s = Store::open(&path).unwrap();
                s.approve(id, "officer", now(), &ApprovalSettings::default(), None)
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().unwrap())
        .collect();
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 1, "{results:?}");
    for e in results.iter().filter_map(|r| r.as_ref().err()) {
        let m = e.to_string();
        assert!(m.contains("released already") || m.contains("it is APPROVED, not SUBMITTED"), "{m}");
    }
    assert_eq!(store.hazard("H-1").unwrap().released.len(), 1);
}

fn a_stale_version_is_refused_as_changed_since_read(target: &Path) {
    let path = target.to_path_buf();
    setup(&path);
    let mut store = Store::open(&path).unwrap();
    let id = store.submit(&fan(0, 4), "t", now()).unwrap();
    let (row, ..) = store.report(id).unwrap();
    store.reject(id, "resubmit with the team named", "other officer", now()).unwrap();
    let err =
        store.approve(id, "officer", now(), &ApprovalSettings::default(), Some(row.version)).unwrap_err();
    assert!(err.to_string().contains("changed since you read it"), "{err}");
}

/// The approval queue asks, on every click, what approving a report would
/// say. It reads: another connection holding the write lock (an import, an
/// approval) does not hold it up, and it writes nothing.
fn the_queue_check_waits_for_no_writer(target: &Path) {
    let path = target.to_path_buf();
    setup(&path);
    let mut store = Store::open(&path).unwrap();
    let first = store.submit(&fan(0, 4), "t", now()).unwrap();
    store.approve(first, "officer", now(), &ApprovalSettings::default(), None).unwrap();
    let again = store.submit(&fan(0, 4), "t", now()).unwrap();
    let next = store.submit(&fan(1, 4), "t", now()).unwrap();
    let history = store.hazard_history("H-1").unwrap();
    let mut writer = Store::open(&path).unwrap();
    let (said, heard) = std::sync::mpsc::channel();
    writer
        .write(|_| {
            let path = path.clone();
            let said = said.clone();
            std::thread::spawn(move || {
                let mut s = Store::open(&path).unwrap();
                let settings = ApprovalSettings::default();
                let _ = said.send((s.check_report(again, &settings), s.check_report(next, &settings)));
            });
            let answer = heard.recv_timeout(std::time::Duration::from_secs(30));
            let (again, next) =
                answer.expect("the check answered while another connection held the write lock");
            let again = again.unwrap();
            assert_eq!(again.len(), 1, "{again:?}");
            assert!(again[0].contains("released already"), "{again:?}");
            assert_eq!(next.unwrap(), Vec::<String>::new());
            Ok(())
        })
        .unwrap();
    let (row, ..) = store.report(next).unwrap();
    assert_eq!(row.state, ReportState::Submitted, "the check approved nothing");
    assert_eq!(store.hazard_history("H-1").unwrap(), history, "the check wrote nothing");
}

#[test]
fn parallel_approvals_on_one_hazard_lose_nothing_on_a_geopackage() {
    on_a_geopackage(parallel_approvals_on_one_hazard_lose_nothing);
}

#[test]
fn parallel_approvals_on_one_hazard_lose_nothing_on_postgis() {
    on_postgis("parallel_approvals_on_one_haza", parallel_approvals_on_one_hazard_lose_nothing);
}

#[test]
fn the_same_ground_approved_twice_at_once_lands_once_on_a_geopackage() {
    on_a_geopackage(the_same_ground_approved_twice_at_once_lands_once);
}

#[test]
fn the_same_ground_approved_twice_at_once_lands_once_on_postgis() {
    on_postgis("the_same_ground_approved_twice", the_same_ground_approved_twice_at_once_lands_once);
}

#[test]
fn a_stale_version_is_refused_as_changed_since_read_on_a_geopackage() {
    on_a_geopackage(a_stale_version_is_refused_as_changed_since_read);
}

#[test]
fn a_stale_version_is_refused_as_changed_since_read_on_postgis() {
    on_postgis("a_stale_version_is_refused_as_", a_stale_version_is_refused_as_changed_since_read);
}

#[test]
fn the_queue_check_waits_for_no_writer_on_a_geopackage() {
    on_a_geopackage(the_queue_check_waits_for_no_writer);
}

#[test]
fn the_queue_check_waits_for_no_writer_on_postgis() {
    on_postgis("the_queue_check_waits_for_no_w", the_queue_check_waits_for_no_writer);
}

/// A transfer begun on one connection goes on from another (another server
/// of the register): each chunk from the byte received so far, refused
/// otherwise with the count; another account's transfer is not there; the
/// file is given back whole only with the SHA-256 it began with.
fn transfers_go_on_from_any_connection(path: &Path) {
    use safeground_store::Purpose;
    use sha2::Digest;
    drop(Store::create(path).unwrap());
    let (a, b) = (Store::open(path).unwrap(), Store::open(path).unwrap());
    let data: Vec<u8> = (0..(3u32 << 20) + 5).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let sha: String = sha2::Sha256::digest(&data).iter().map(|b| format!("{b:02x}")).collect();
    let len = data.len() as u64;
    assert!(matches!(
        a.begin_transfer("team", Purpose::Bundle, (len, "not hex"), now()),
        Err(StoreError::Invalid { .. })
    ));
    let t = a.begin_transfer("team", Purpose::Bundle, (len, &sha), now()).unwrap();
    let mib = 1usize << 20;
    assert_eq!(a.append_transfer(t.id, "team", 0, &data[..mib]).unwrap(), mib as u64);
    // The same chunk again (its answer lost): refused, with where to go on from.
    let again = b.append_transfer(t.id, "team", 0, &data[..mib]).unwrap_err();
    assert!(again.to_string().contains(&format!("{mib} bytes are received so far")), "{again}");
    assert!(b.transfer(t.id, "other").unwrap().is_none());
    assert!(matches!(b.append_transfer(t.id, "other", mib as u64, b"x"), Err(StoreError::Unknown { .. })));
    let early = dir_file("early");
    assert!(matches!(b.transfer_to_file(t.id, "team", &early), Err(StoreError::Conflict { .. })));
    assert!(!early.exists());
    assert_eq!(b.append_transfer(t.id, "team", mib as u64, &data[mib..]).unwrap(), len);
    let over = a.append_transfer(t.id, "team", len, b"x").unwrap_err();
    assert!(over.to_string().contains(&format!("said to be {len} bytes")), "{over}");
    // Any span reads back as sent, across chunks and at the end.
    assert_eq!(a.read_transfer(t.id, "team", mib as u64 - 3, 10).unwrap(), &data[mib - 3..mib + 7]);
    assert_eq!(a.read_transfer(t.id, "team", len - 2, 10).unwrap(), &data[data.len() - 2..]);
    assert!(a.read_transfer(t.id, "team", len, 10).unwrap().is_empty());
    let whole = dir_file("whole");
    assert_eq!(b.transfer_to_file(t.id, "team", &whole).unwrap().received, len);
    assert_eq!(std::fs::read(&whole).unwrap(), data);
    // Bytes that are not the file it began with are not given out.
    let zeros = "0".repeat(64);
    let bad = a.begin_transfer("team", Purpose::Bundle, (3, &zeros), now()).unwrap();
    a.append_transfer(bad.id, "team", 0, b"abc").unwrap();
    let changed = dir_file("changed");
    let e = b.transfer_to_file(bad.id, "team", &changed).unwrap_err();
    assert!(e.to_string().contains("changed on its way"), "{e}");
    assert!(!changed.exists());
    // A day later, what was begun is gone.
    b.begin_transfer("team", Purpose::Bundle, (0, &zeros), now() + time::Duration::days(2)).unwrap();
    assert!(a.transfer(t.id, "team").unwrap().is_none());
    assert!(a.transfer(bad.id, "team").unwrap().is_none());
}

/// A file of this test run's own, not there yet.
fn dir_file(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("sg-transfers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(format!("{name}-{}", Uuid::new_v4()));
    p
}

#[test]
fn transfers_go_on_from_any_connection_on_a_geopackage() {
    on_a_geopackage(transfers_go_on_from_any_connection);
}

#[test]
fn transfers_go_on_from_any_connection_on_postgis() {
    on_postgis("transfers_go_on", transfers_go_on_from_any_connection);
}
