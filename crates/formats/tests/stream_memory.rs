//! A million-feature GeoJSON (about 250 MB, made on the fly, never held
//! whole) streams through the reader in bounded memory: the process's peak
//! resident memory stays far below the document's size. Alone in its test
//! binary, so the peak is this test's.

use safeground_formats::geojson_in::read_geojson;
use std::io::Read;

/// Writes `{"type":"FeatureCollection","features":[f1,f2,…]}` feature by feature.
struct Generated {
    n: usize,
    next: usize,
    buf: Vec<u8>,
    pos: usize,
    produced: usize,
}

impl Read for Generated {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
            if self.next == 0 {
                self.buf.extend_from_slice(br#"{"type":"FeatureCollection","features":["#);
            }
            if self.next < self.n {
                let i = self.next;
                if i > 0 {
                    self.buf.push(b',');
                }
                let f = format!(
                    r#"{{"type":"Feature","properties":{{"id":"00000000-0000-4000-8000-{i:012}","category":"UXO","eo_type":"OF-482M","quantity":{q},"found_on":"2024-05-01","organisation":"ANAMA","disposal":"DESTROYED_IN_SITU"}},"geometry":{{"type":"Point","coordinates":[{x},{y}]}}}}"#,
                    q = 1 + i % 3,
                    x = 46.6 + (i % 1000) as f64 * 0.0008,
                    y = 39.35 + (i / 1000) as f64 * 0.00035,
                );
                self.buf.extend_from_slice(f.as_bytes());
            } else if self.next == self.n {
                self.buf.extend_from_slice(b"]}\n");
            } else {
                return Ok(0);
            }
            self.next += 1;
        }
        let k = out.len().min(self.buf.len() - self.pos);
        out[..k].copy_from_slice(&self.buf[self.pos..self.pos + k]);
        self.pos += k;
        self.produced += k;
        Ok(k)
    }
}

fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[test]
fn a_million_features_stream_in_bounded_memory() {
    let n = 1_000_000;
    let mut input = Generated { n, next: 0, buf: vec![], pos: 0, produced: 0 };
    let mut count = 0usize;
    let mut quantity = 0i64;
    let read = read_geojson(&mut input, "generated.geojson", None, &mut |r| {
        count += 1;
        quantity += r.record.text("quantity").and_then(|q| q.parse::<i64>().ok()).unwrap_or(0);
        assert!(r.problem.is_none() && r.record.geometry.is_some());
        Ok(())
    })
    .unwrap();
    assert_eq!((read, count), (n, n));
    assert_eq!(quantity, (0..n as i64).map(|i| 1 + i % 3).sum::<i64>());
    let size_mb = input.produced / 1_000_000;
    assert!(size_mb > 200, "the document is large ({size_mb} MB)");
    if let Some(kb) = peak_rss_kb() {
        eprintln!("read {n} features ({size_mb} MB) with a peak RSS of {} MB", kb / 1024);
        assert!(kb < 64 * 1024, "peak RSS {} MB for a {size_mb} MB document: not streamed", kb / 1024);
    }
}
