//! Encoded tiles kept for the register's latest states, and one request at a
//! time making a tile the cache lacks.
//!
//! A national map's low-zoom tiles are the costly ones (a zoom-8 tile of the
//! EO finds reads a million points): when two hundred readers open the map at
//! once, each asking for the same missing tile, one makes it and the others
//! wait for it ([`Flights`]), rather than all making it on the same two cores.
//! When the cache is full it lets go of the tiles of the highest zooms
//! first, which are many, small and cheap to make again. It keeps two states
//! of the register: a replica's, a few events behind, and the primary's.

use crate::AppError;
use axum::body::Bytes;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A tile: its layer, zoom, column, row.
pub(crate) type TileKey = (&'static str, u8, u32, u32);

/// The most the tile cache holds.
pub(crate) const TILE_CACHE_BYTES: usize = 64 << 20;

/// Encoded tiles by layer and z/x/y for at most two states of the register
/// (change stamps), bounded by [`TILE_CACHE_BYTES`] in all. Two, because
/// reads go to a replica a few events behind the primary, or to the primary
/// when the replica is busy: each state's tiles stay useful to its readers.
#[derive(Debug, Default)]
pub(crate) struct TileCache {
    states: Vec<State>,
    pub(crate) bytes: usize,
    /// Tiles answered from the cache, and made afresh, since the start.
    pub(crate) hits: u64,
    pub(crate) misses: u64,
}

#[derive(Debug)]
struct State {
    stamp: String,
    tiles: HashMap<TileKey, Bytes>,
}

impl TileCache {
    /// The tile kept for `key` at the register's state `stamp`, counted as a hit.
    pub(crate) fn get(&mut self, stamp: &str, key: &TileKey) -> Option<Bytes> {
        let hit = self.states.iter().find(|s| s.stamp == stamp).and_then(|s| s.tiles.get(key).cloned());
        if hit.is_some() {
            self.hits += 1;
        }
        hit
    }

    /// Keeps a tile just made (counted as a miss) for the state `stamp`. A
    /// third state takes the place of the older of the two kept (by the
    /// newest event's number; the earlier kept when that does not tell); a
    /// full cache lets go of the highest zooms first, down to three
    /// quarters of `budget`.
    pub(crate) fn put(&mut self, stamp: &str, key: TileKey, tile: Bytes, budget: usize) {
        self.misses += 1;
        if tile.len() > budget {
            return;
        }
        if !self.states.iter().any(|s| s.stamp == stamp) {
            if self.states.len() == 2 {
                let drop = usize::from(older(&self.states[1].stamp, &self.states[0].stamp));
                let gone = self.states.remove(drop);
                self.bytes -= gone.tiles.values().map(Bytes::len).sum::<usize>();
            }
            self.states.push(State { stamp: stamp.to_string(), tiles: HashMap::new() });
        }
        if self.bytes + tile.len() > budget {
            let mut keys: Vec<(usize, TileKey)> = (self.states.iter().enumerate())
                .flat_map(|(i, s)| s.tiles.keys().map(move |k| (i, *k)))
                .collect();
            keys.sort_unstable_by_key(|(_, k)| std::cmp::Reverse(k.1));
            for (i, k) in keys {
                if self.bytes + tile.len() <= budget / 4 * 3 {
                    break;
                }
                if let Some(t) = self.states[i].tiles.remove(&k) {
                    self.bytes -= t.len();
                }
            }
        }
        let Some(state) = self.states.iter_mut().find(|s| s.stamp == stamp) else { return };
        if let Some(old) = state.tiles.insert(key, tile.clone()) {
            self.bytes -= old.len();
        }
        self.bytes += tile.len();
    }
}

/// The tile `key` from the cache at the register's state now; when it is
/// not there and `make` is given, made (and kept). With the state's stamp.
pub(crate) fn cached(
    s: &mut safeground_store::Store,
    cache: &Mutex<TileCache>,
    key: TileKey,
    make: Option<safeground_core::mvt::TileId>,
) -> Result<(Option<Bytes>, String), AppError> {
    let stamp = s.change_stamp()?;
    if let Some(b) = cache.lock().ok().and_then(|mut c| c.get(&stamp, &key)) {
        return Ok((Some(b), stamp));
    }
    let Some(tile) = make else { return Ok((None, stamp)) };
    let layer = key.0;
    let bytes = Bytes::from(
        s.tile(layer, tile)?.ok_or_else(|| AppError::NotFound(format!("{layer} is not served as tiles")))?,
    );
    if let Ok(mut c) = cache.lock() {
        // Counted once made: a read retried on the primary is one miss.
        c.put(&stamp, key, bytes.clone(), TILE_CACHE_BYTES);
    }
    Ok((Some(bytes), stamp))
}

/// Whether the register's state `a` is older than `b`: stamps begin with
/// the newest event's number (`Store::change_stamp`).
fn older(a: &str, b: &str) -> bool {
    let seq = |s: &str| s.split(':').next().and_then(|n| n.parse::<i64>().ok());
    matches!((seq(a), seq(b)), (Some(a), Some(b)) if a < b)
}

/// Tiles being made now: a request that finds a tile missing takes its
/// turn here, so that the others asking for it wait and then find it made.
/// Each key's lock is kept with the number of requests holding or waiting
/// for it, and goes when that falls to none.
#[derive(Debug, Default)]
pub(crate) struct Flights(Mutex<HashMap<TileKey, Flight>>);

/// A tile's turn lock, and how many requests hold or wait for it.
type Flight = (Arc<tokio::sync::Mutex<()>>, usize);

impl Flights {
    /// Waits for the turn to make `key`; the turn ends when it is dropped,
    /// and a request given up while waiting leaves nothing behind.
    pub(crate) async fn turn(self: &Arc<Self>, key: TileKey) -> Turn {
        let lock = self
            .0
            .lock()
            .map(|mut m| {
                let entry = m.entry(key).or_default();
                entry.1 += 1;
                entry.0.clone()
            })
            .ok();
        let counted = lock.is_some();
        // Made before the wait: dropped (and uncounted) if the wait is given up.
        let mut turn = Turn { flights: self.clone(), key, counted, guard: None };
        if let Some(lock) = lock {
            turn.guard = Some(lock.lock_owned().await);
        }
        turn
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.0.lock().map(|m| m.len()).unwrap_or_default()
    }
}

/// A request's turn to make a tile (see [`Flights::turn`]).
pub(crate) struct Turn {
    flights: Arc<Flights>,
    key: TileKey,
    counted: bool,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Drop for Turn {
    fn drop(&mut self) {
        self.guard.take();
        if !self.counted {
            return;
        }
        if let Ok(mut m) = self.flights.0.lock() {
            if let Some(entry) = m.get_mut(&self.key) {
                entry.1 -= 1;
                if entry.1 == 0 {
                    m.remove(&self.key);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tile(n: usize) -> Bytes {
        Bytes::from(vec![0u8; n])
    }

    #[test]
    fn a_full_cache_lets_go_of_the_highest_zooms_first() {
        let mut c = TileCache::default();
        c.put("1", ("hazards", 8, 0, 0), tile(40), 100);
        c.put("1", ("hazards", 14, 0, 0), tile(30), 100);
        c.put("1", ("hazards", 13, 0, 0), tile(20), 100);
        assert_eq!(c.bytes, 90);
        // 90 + 20 > 100: z14 goes (60), which is under 75 with the new one (80 > 75), so z13 too.
        c.put("1", ("eo_finds", 9, 0, 0), tile(20), 100);
        assert!(c.get("1", &("hazards", 8, 0, 0)).is_some());
        assert!(c.get("1", &("eo_finds", 9, 0, 0)).is_some());
        assert!(c.get("1", &("hazards", 14, 0, 0)).is_none());
        assert!(c.get("1", &("hazards", 13, 0, 0)).is_none());
        assert_eq!(c.bytes, 60);
        assert_eq!((c.hits, c.misses), (2, 4));
    }

    #[test]
    fn a_third_state_of_the_register_takes_the_older_place_and_a_tile_too_big_is_not_kept() {
        let mut c = TileCache::default();
        c.put("1:a", ("hazards", 8, 0, 0), tile(40), 100);
        assert!(c.get("2:b", &("hazards", 8, 0, 0)).is_none());
        c.put("2:b", ("hazards", 9, 0, 0), tile(10), 100);
        assert!(c.get("1:a", &("hazards", 8, 0, 0)).is_some());
        assert!(c.get("2:b", &("hazards", 8, 0, 0)).is_none());
        assert_eq!(c.bytes, 50);
        c.put("3:c", ("hazards", 10, 0, 0), tile(5), 100);
        assert!(c.get("1:a", &("hazards", 8, 0, 0)).is_none(), "the oldest state stayed");
        assert!(c.get("2:b", &("hazards", 9, 0, 0)).is_some());
        assert_eq!(c.bytes, 15);
        c.put("3:c", ("hazards", 8, 1, 1), tile(101), 100);
        assert_eq!(c.bytes, 15);
        // The same tile again replaces, not doubles.
        c.put("3:c", ("hazards", 10, 0, 0), tile(5), 100);
        assert_eq!(c.bytes, 15);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_request_makes_a_missing_tile_while_the_others_wait() {
        let flights = Arc::new(Flights::default());
        let made = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let cache = Arc::new(Mutex::new(TileCache::default()));
        let key = ("eo_finds", 8, 1, 1);
        let mut askers = vec![];
        for _ in 0..20 {
            let (flights, made, cache) = (flights.clone(), made.clone(), cache.clone());
            askers.push(tokio::spawn(async move {
                let _turn = flights.turn(key).await;
                let kept = cache.lock().unwrap().get("1", &key);
                if kept.is_none() {
                    made.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    cache.lock().unwrap().put("1", key, tile(10), 100);
                }
            }));
        }
        for a in askers {
            a.await.unwrap();
        }
        assert_eq!(made.load(std::sync::atomic::Ordering::SeqCst), 1, "the tile was made more than once");
        assert_eq!(flights.len(), 0, "a finished flight stayed");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_request_given_up_while_waiting_leaves_nothing_behind() {
        let flights = Arc::new(Flights::default());
        let key = ("hazards", 8, 1, 1);
        let first = flights.turn(key).await;
        let waiting = tokio::spawn({
            let flights = flights.clone();
            async move { flights.turn(key).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        waiting.abort();
        assert!(waiting.await.is_err_and(|e| e.is_cancelled()));
        drop(first);
        assert_eq!(flights.len(), 0, "a given-up waiter left its key behind");
    }

    #[test]
    fn a_replica_behind_and_the_primary_each_keep_their_tiles() {
        let mut c = TileCache::default();
        c.put("12:e12:5:10:1", ("hazards", 8, 0, 0), tile(10), 100);
        // A replica one event behind.
        c.put("11:e11:5:10:1", ("hazards", 8, 0, 0), tile(10), 100);
        assert!(c.get("12:e12:5:10:1", &("hazards", 8, 0, 0)).is_some());
        assert!(c.get("11:e11:5:10:1", &("hazards", 8, 0, 0)).is_some());
        // The primary moves on: the replica's older state gives way.
        c.put("13:e13:5:10:1", ("hazards", 8, 0, 0), tile(10), 100);
        assert!(c.get("11:e11:5:10:1", &("hazards", 8, 0, 0)).is_none());
        assert!(c.get("12:e12:5:10:1", &("hazards", 8, 0, 0)).is_some());
        assert_eq!(c.bytes, 20);
    }

    /// A register restored to an earlier moment numbers its new events as
    /// the old ones were: the newest event's id in the stamp keeps a state
    /// that was undone from ever matching again.
    #[test]
    fn a_state_undone_by_a_restore_is_never_served_again() {
        let mut c = TileCache::default();
        c.put("40:before-restore:5:10:1", ("hazards", 8, 0, 0), tile(10), 100);
        c.put("30:restored:5:10:1", ("hazards", 8, 0, 0), tile(10), 100);
        // The restored register writes ten events: number 40 again, another event.
        assert!(c.get("40:new-event:5:10:1", &("hazards", 8, 0, 0)).is_none());
        c.put("40:new-event:5:10:1", ("hazards", 8, 0, 0), tile(7), 100);
        assert_eq!(c.get("40:new-event:5:10:1", &("hazards", 8, 0, 0)).map(|b| b.len()), Some(7));
    }
}
