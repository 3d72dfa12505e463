//! Recomputing every hazard's land-release figures from geometry and
//! comparing them with what the register holds: an audit of the accounting
//! (and the benchmark of it). Read-only; the caller's thread reads hazards
//! in chunks while a worker per core decodes and accounts for those read
//! before, and the outcomes are tallied in the register's order.

use crate::geometry::read_multipolygon;
use crate::{Store, StoreError};
use geo::MultiPolygon;
use safeground_core::accounting::{account, ReleaseFigures};
use safeground_core::codes::ReleaseOutcome;
use serde::Serialize;

/// A hazard whose stored figures differ from its geometry's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mismatch {
    pub code: String,
    pub stored: ReleaseFigures,
    pub computed: ReleaseFigures,
}

/// A hazard whose figures could not be recomputed, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unaccountable {
    pub code: String,
    pub problem: String,
}

/// What the recomputation found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verification {
    pub hazards: usize,
    pub released_polygons: usize,
    /// Σ remaining area, recomputed (m²).
    pub remaining_m2: f64,
    /// The largest difference between a stored and a recomputed figure (m²).
    pub max_difference_m2: f64,
    /// Σ of every figure, recomputed (m²): what was recorded, cancelled,
    /// reduced, cleared and remains.
    pub totals: ReleaseFigures,
    pub mismatches: Vec<Mismatch>,
    /// Hazards whose released ground could not be overlaid on their polygon.
    pub unaccountable: Vec<Unaccountable>,
}

/// A hazard as read, its polygons still in their blobs: the workers decode.
struct Item {
    code: String,
    stored: ReleaseFigures,
    geometry: Vec<u8>,
    released: Vec<(ReleaseOutcome, Vec<u8>)>,
}

/// What became of one hazard: its code, stored and recomputed figures (or
/// why they could not be recomputed), and how many polygons were released.
type Outcome = (String, ReleaseFigures, Result<ReleaseFigures, String>, usize);

/// Decodes and accounts for one hazard.
fn recompute(it: Item) -> Result<Outcome, StoreError> {
    let record = format!("hazard {}", it.code);
    let geometry = read_multipolygon(&it.geometry, &record)?;
    let released: Vec<(ReleaseOutcome, MultiPolygon<f64>)> = it
        .released
        .iter()
        .map(|(o, g)| Ok((*o, read_multipolygon(g, &record)?)))
        .collect::<Result<_, StoreError>>()?;
    let refs: Vec<_> = released.iter().map(|(o, g)| (*o, g)).collect();
    let figures = account(&geometry, &refs).map(|a| a.figures()).map_err(|e| e.to_string());
    Ok((it.code, it.stored, figures, released.len()))
}

fn differs(a: &ReleaseFigures, b: &ReleaseFigures, tolerance: f64) -> f64 {
    [
        (a.recorded, b.recorded),
        (a.cancelled, b.cancelled),
        (a.reduced, b.reduced),
        (a.cleared, b.cleared),
        (a.remaining, b.remaining),
    ]
    .iter()
    .map(|(x, y)| {
        let d = (x - y).abs();
        if d <= tolerance * x.abs().max(y.abs()).max(1.0) {
            0.0
        } else {
            d
        }
    })
    .fold(0.0, f64::max)
}

/// Hazards a worker takes at a time.
const CHUNK: usize = 64;

/// A chunk's outcomes, or a worker's panic to resume on the caller's thread.
type Done = Result<Result<Vec<Outcome>, StoreError>, Box<dyn std::any::Any + Send>>;

/// Adds one hazard's outcome to `out`.
fn tally(out: &mut Verification, (code, stored, computed, n): Outcome, tolerance: f64) {
    out.hazards += 1;
    out.released_polygons += n;
    let computed = match computed {
        Ok(c) => c,
        Err(problem) => {
            out.unaccountable.push(Unaccountable { code, problem });
            return;
        }
    };
    out.remaining_m2 += computed.remaining;
    out.totals.recorded += computed.recorded;
    out.totals.cancelled += computed.cancelled;
    out.totals.reduced += computed.reduced;
    out.totals.cleared += computed.cleared;
    out.totals.remaining += computed.remaining;
    let d = differs(&stored, &computed, tolerance);
    out.max_difference_m2 = out.max_difference_m2.max(
        [(stored.remaining - computed.remaining).abs(), (stored.recorded - computed.recorded).abs()]
            .into_iter()
            .fold(0.0, f64::max),
    );
    if d > 0.0 {
        out.mismatches.push(Mismatch { code, stored, computed });
    }
}

impl Store {
    /// Recomputes every hazard in force; a figure differing by more than
    /// `tolerance` (relative, and at least 1 m² × tolerance) is a mismatch.
    pub fn verify_accounting(&self, tolerance: f64) -> Result<Verification, StoreError> {
        let mut out = Verification {
            hazards: 0,
            released_polygons: 0,
            remaining_m2: 0.0,
            max_difference_m2: 0.0,
            totals: ReleaseFigures::default(),
            mismatches: vec![],
            unaccountable: vec![],
        };
        let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        // This thread reads chunks of hazards while `threads` workers decode
        // and account for those read before: neither waits for the other.
        let (work, jobs) = std::sync::mpsc::sync_channel::<(usize, Vec<Item>)>(threads * 2);
        let jobs = std::sync::Mutex::new(jobs);
        let (done_tx, done) = std::sync::mpsc::channel::<(usize, Done)>();
        let read = std::thread::scope(|s| {
            for _ in 0..threads {
                let (jobs, done_tx) = (&jobs, done_tx.clone());
                s.spawn(move || loop {
                    let job = jobs.lock().map_err(|_| ()).and_then(|j| j.recv().map_err(|_| ()));
                    let Ok((seq, items)) = job else { break };
                    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        items.into_iter().map(recompute).collect::<Result<Vec<_>, _>>()
                    }));
                    if done_tx.send((seq, result)).is_err() {
                        break;
                    }
                });
            }
            drop(done_tx);
            let read = self.read_items(&mut |seq, chunk| work.send((seq, chunk)).is_ok());
            drop(work);
            read
        });
        read?;
        let mut chunks: Vec<(usize, Done)> = done.into_iter().collect();
        chunks.sort_by_key(|(seq, _)| *seq);
        for (_, result) in chunks {
            let outcomes = result.unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
            for o in outcomes {
                tally(&mut out, o, tolerance);
            }
        }
        Ok(out)
    }

    /// Reads every hazard in force with its released ground, in chunks of
    /// [`CHUNK`] handed to `send` with their sequence number; stops early
    /// when `send` says no one takes them any more.
    fn read_items(&self, send: &mut dyn FnMut(usize, Vec<Item>) -> bool) -> Result<(), StoreError> {
        let mut released = self.conn.prepare_cached(
            "SELECT outcome, geom FROM released_areas WHERE hazard_id = ?1 AND revoked_at IS NULL ORDER BY fid",
        )?;
        let mut chunk: Vec<Item> = Vec::with_capacity(CHUNK);
        let mut seq = 0;
        self.conn.for_each(
            "SELECT id, code, geom, area_recorded_m2, area_cancelled_m2, area_reduced_m2, area_cleared_m2,
                    area_remaining_m2 FROM hazards WHERE revoked_at IS NULL ORDER BY fid",
            (),
            &mut |r| {
                let id: String = r.get(0)?;
                let code: String = r.get(1)?;
                let stored = ReleaseFigures {
                    recorded: r.get(3)?,
                    cancelled: r.get(4)?,
                    reduced: r.get(5)?,
                    cleared: r.get(6)?,
                    remaining: r.get(7)?,
                };
                let mut parts = vec![];
                let mut rel = released.query([&id])?;
                while let Some(x) = rel.next()? {
                    let outcome: String = x.get(0)?;
                    let outcome = outcome.parse().map_err(|e| StoreError::Invalid {
                        record: format!("hazard {code}"),
                        problem: format!("stored outcome: {e}"),
                    })?;
                    parts.push((outcome, x.get(1)?));
                }
                chunk.push(Item { code, stored, geometry: r.get(2)?, released: parts });
                if chunk.len() == CHUNK {
                    let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
                    seq += 1;
                    return Ok(send(seq, full));
                }
                Ok(true)
            },
        )?;
        if !chunk.is_empty() {
            send(seq + 1, chunk);
        }
        Ok(())
    }
}
