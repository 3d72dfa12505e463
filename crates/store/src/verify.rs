//! Recomputing every hazard's land-release figures from geometry and
//! comparing them with what the register holds: an audit of the accounting
//! (and the benchmark of it). Read-only; hazards are read in chunks and
//! computed on every core.

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
    pub mismatches: Vec<Mismatch>,
    /// Hazards whose released ground could not be overlaid on their polygon.
    pub unaccountable: Vec<Unaccountable>,
}

struct Item {
    code: String,
    stored: ReleaseFigures,
    geometry: MultiPolygon<f64>,
    released: Vec<(ReleaseOutcome, MultiPolygon<f64>)>,
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

/// Hazards recomputed together, spread over every core.
const CHUNK: usize = 2048;

/// Recomputes `chunk` on `threads` threads and adds it to `out`.
fn fold(chunk: &[Item], threads: usize, tolerance: f64, out: &mut Verification) {
    let per = chunk.len().div_ceil(threads).max(1);
    type Outcome = (String, ReleaseFigures, Result<ReleaseFigures, String>, usize);
    let results: Vec<Vec<Outcome>> = std::thread::scope(|s| {
        let handles: Vec<_> = chunk
            .chunks(per)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|it| {
                            let refs: Vec<_> = it.released.iter().map(|(o, g)| (*o, g)).collect();
                            let figures =
                                account(&it.geometry, &refs).map(|a| a.figures()).map_err(|e| e.to_string());
                            (it.code.clone(), it.stored, figures, it.released.len())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
    });
    for (code, stored, computed, n) in results.into_iter().flatten() {
        out.hazards += 1;
        out.released_polygons += n;
        let computed = match computed {
            Ok(c) => c,
            Err(problem) => {
                out.unaccountable.push(Unaccountable { code, problem });
                continue;
            }
        };
        out.remaining_m2 += computed.remaining;
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
            mismatches: vec![],
            unaccountable: vec![],
        };
        let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        let mut released = self.conn.prepare_cached(
            "SELECT outcome, geom FROM released_areas WHERE hazard_id = ?1 AND revoked_at IS NULL ORDER BY fid",
        )?;
        let mut chunk: Vec<Item> = Vec::with_capacity(CHUNK);
        self.conn.for_each(
            "SELECT id, code, geom, area_recorded_m2, area_cancelled_m2, area_reduced_m2, area_cleared_m2,
                    area_remaining_m2 FROM hazards WHERE revoked_at IS NULL ORDER BY fid",
            (),
            &mut |r| {
                let id: String = r.get(0)?;
                let code: String = r.get(1)?;
                let blob: Vec<u8> = r.get(2)?;
                let geometry = read_multipolygon(&blob, &format!("hazard {code}"))?;
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
                    let g: Vec<u8> = x.get(1)?;
                    parts.push((outcome, read_multipolygon(&g, &format!("hazard {code}"))?));
                }
                chunk.push(Item { code, stored, geometry, released: parts });
                if chunk.len() == CHUNK {
                    fold(&chunk, threads, tolerance, &mut out);
                    chunk.clear();
                }
                Ok(true)
            },
        )?;
        fold(&chunk, threads, tolerance, &mut out);
        Ok(out)
    }
}
