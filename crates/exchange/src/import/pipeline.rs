//! The import's pipeline, shared by `import` and the IMSMA migration: a
//! feature read is made into an item on a worker thread ([`pipelined`]),
//! then [`Importer`] groups features into items, writes each through the
//! store's approval, and counts what became of every one.

use safeground_core::approval::{self, Parsed};
use safeground_core::import::{group_key, merge, to_item, ImportItem};
use safeground_formats::read::{Original, Read, ReadError, RejectWriter};
use safeground_store::{ApprovalSettings, ImportBatches, ItemOutcome, Layer, Origin, StoreError, Writer};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

/// A feature read, made into an item and keyed for grouping: the work done
/// on a worker thread while the writer takes the features before it (on
/// the writer's own for the formats read whole: GeoPackage, XLSX).
pub struct Prepared {
    pub read: Read,
    item: Result<ImportItem, String>,
    key: Option<String>,
    /// A report's polygons read, validated and measured.
    parsed: Option<Parsed>,
}

impl Prepared {
    /// A report made by the importer itself (a migrated hazard's later
    /// version), with the feature it stands for.
    pub fn report(
        read: Read,
        report: safeground_core::report::Report,
        settings: &ApprovalSettings,
    ) -> Prepared {
        let parsed = Some(approval::parse(&report, settings));
        Prepared { read, item: Ok(ImportItem::Report(Box::new(report))), key: None, parsed }
    }

    /// Frees here what the writer's thread will not read: the geometry as
    /// read (the item holds its own) and the original as a tree of values
    /// (kept as text for the reject file). Freed on the writer's thread,
    /// they were a tenth of an EO finds import's time there (BENCHMARKS.md).
    fn lightened(mut self) -> Prepared {
        if self.item.is_ok() {
            self.read.record.geometry = None;
        }
        self.read.original = self.read.original.compact();
        self
    }
}

pub fn prepare(layer: Layer, settings: &ApprovalSettings, read: Read) -> Prepared {
    let item = match &read.problem {
        Some(problem) => Err(problem.clone()),
        None => to_item(layer, &read.record).map_err(|e| e.to_string()),
    };
    let key = item.as_ref().ok().and_then(|_| group_key(layer, &read.record));
    let parsed = match &item {
        Ok(ImportItem::Report(r)) => Some(approval::parse(r, settings)),
        _ => None,
    };
    Prepared { read, item, key, parsed }
}

/// A chunk of features made into items, or the panic that stopped its
/// making (resumed on the writer's thread).
type Made = std::thread::Result<Vec<Prepared>>;

/// Reads on a thread of its own (parsing and reprojecting), makes items on
/// one worker per core, at most 8 (validating and measuring polygons: most
/// of a hazard's cost), while `take` decides and writes on this one: every
/// core of a field laptop works. Features reach `take` in the file's order,
/// a chunk at a time (so that it can ask the register about a chunk at
/// once: [`Importer::take_chunk`]).
///
/// The reader hands each chunk to the workers with a one-place channel for
/// its items and sends that channel's other end to the writer, in order,
/// over a channel of a few places: the writer takes the chunks in the
/// file's order, and no more than those few are ever in memory. When the
/// writer stops, the reader's next send fails and everything winds down.
pub fn pipelined(
    (layer, settings): (Layer, &ApprovalSettings),
    read: impl FnOnce(&mut dyn FnMut(Read) -> Result<(), String>) -> Result<usize, ReadError> + Send,
    take: &mut dyn FnMut(Vec<Prepared>) -> Result<(), String>,
) -> Result<usize, ReadError> {
    // Features go across in chunks: a wake-up per feature costs more than
    // a small feature's decision; 16, as a hazard's items are large.
    const CHUNK: usize = 16;
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
    std::thread::scope(|s| {
        let (order_tx, order_rx) = sync_channel::<Receiver<Made>>(2 * workers);
        let (work_tx, work_rx) = sync_channel::<(Vec<Read>, SyncSender<Made>)>(workers);
        // The workers' only hold on the chunks to make: when the last ends,
        // the reader's next send fails.
        let work_rx = Arc::new(Mutex::new(work_rx));
        for _ in 0..workers {
            let work_rx = Arc::clone(&work_rx);
            s.spawn(move || make_items(layer, settings, &work_rx));
        }
        drop(work_rx);
        let reader = s.spawn(move || {
            let stopped = || "the import stopped".to_string();
            let send = |chunk: Vec<Read>| -> Result<(), String> {
                let (made_tx, made_rx) = sync_channel(1);
                order_tx.send(made_rx).map_err(|_| stopped())?;
                work_tx.send((chunk, made_tx)).map_err(|_| stopped())
            };
            let mut chunk = Vec::with_capacity(CHUNK);
            let n = read(&mut |r| {
                chunk.push(r);
                if chunk.len() == CHUNK {
                    send(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK)))?;
                }
                Ok(())
            });
            // The features read before a failure are decided too: the
            // messages and the reject file name every one.
            let last = if chunk.is_empty() { Ok(()) } else { send(chunk) };
            let n = n?;
            last.map_err(ReadError::Stopped)?;
            Ok(n)
        });
        let (mut stopped, mut panic) = (None, None);
        'chunks: for made_rx in order_rx.iter() {
            let chunk = match made_rx.recv() {
                Ok(Ok(chunk)) => chunk,
                Ok(Err(payload)) => {
                    panic = Some(payload);
                    break;
                }
                Err(_) => {
                    stopped = Some("a worker of the import ended early".to_string());
                    break;
                }
            };
            if let Err(e) = take(chunk) {
                stopped = Some(e);
                break 'chunks;
            }
        }
        drop(order_rx);
        let read = reader.join().unwrap_or_else(|payload| std::panic::resume_unwind(payload));
        if let Some(payload) = panic {
            std::panic::resume_unwind(payload);
        }
        match stopped {
            Some(e) => Err(ReadError::Stopped(e)),
            None => read,
        }
    })
}

/// A worker of [`pipelined`]: makes the chunks it takes into items until
/// the reader is done, or until a chunk's making panics (the panic goes to
/// the writer with the chunk's place in the file).
fn make_items(
    layer: Layer,
    settings: &ApprovalSettings,
    work: &Mutex<Receiver<(Vec<Read>, SyncSender<Made>)>>,
) {
    loop {
        // The lock is held only to take a chunk, not to make it.
        let next = work.lock().map_err(|_| ()).and_then(|r| r.recv().map_err(|_| ()));
        let Ok((chunk, made_tx)) = next else { return };
        let made: Made = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            chunk.into_iter().map(|r| prepare(layer, settings, r).lightened()).collect()
        }));
        let failed = made.is_err();
        // The writer may have stopped: nobody to tell.
        let _ = made_tx.send(made);
        if failed {
            return;
        }
    }
}

/// What an import did, feature by feature.
#[derive(Debug, Default)]
pub struct Tally {
    pub read: usize,
    pub imported: usize,
    pub present: usize,
    pub rejected: usize,
    pub first_rejections: Vec<String>,
}

/// A group of features that go in as one item (one report).
struct Pending {
    key: Option<String>,
    item: ImportItem,
    parsed: Option<Parsed>,
    places: Vec<String>,
    originals: Vec<Original>,
    /// What the (first) feature's source held beside the layer's fields.
    attributes: std::collections::BTreeMap<String, serde_json::Value>,
    /// The day it took effect, for history brought in.
    effective: Option<time::Date>,
}

pub struct Importer {
    file: String,
    pub batches: ImportBatches,
    pub tally: Tally,
    pub rejects: RejectWriter,
    pending: Option<Pending>,
    /// A failure that is not the data's fault (the disk, the database): the import stops.
    pub fatal: Option<String>,
    /// What became of each feature, by its place, when asked for.
    pub outcomes: Option<Vec<(String, Outcome)>>,
}

/// What became of one feature.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Imported,
    Present,
    Rejected(String),
}

impl Importer {
    /// An import of `file` (as messages name it) into `batches`, rejects to `rejects`.
    pub fn new(file: &str, batches: ImportBatches, rejects: RejectWriter) -> Importer {
        Importer {
            file: file.to_string(),
            batches,
            tally: Tally::default(),
            rejects,
            pending: None,
            fatal: None,
            outcomes: None,
        }
    }

    pub fn reject(&mut self, place: &str, original: &Original, reason: &str) -> Result<(), String> {
        if let Some(o) = &mut self.outcomes {
            o.push((place.to_string(), Outcome::Rejected(reason.to_string())));
        }
        let line = format!("{}, {place}: {reason}", self.file);
        self.tally.rejected += 1;
        if self.tally.first_rejections.len() < 20 {
            self.tally.first_rejections.push(line);
        }
        self.rejects.reject(original, reason).map_err(|e| {
            let msg = format!("writing the reject file {}: {e}", self.rejects.path().display());
            self.fatal = Some(msg.clone());
            msg
        })
    }

    /// Asks the register in one round trip whether the new hazards of
    /// `chunk`, and of the group still open, are taken
    /// ([`Writer::ask_ahead`]): the questions the features would otherwise
    /// ask one by one as they are decided.
    pub fn ask_ahead(&mut self, w: &mut Writer<'_>, chunk: &[Prepared]) -> Result<(), String> {
        let open = self.pending.as_ref().map(|p| &p.item);
        let items = open.into_iter().chain(chunk.iter().filter_map(|p| p.item.as_ref().ok()));
        let asked = items.filter_map(|item| match item {
            ImportItem::Report(r) => r.new_hazard.as_ref().map(|n| (n.id, n.code.clone())),
            _ => None,
        });
        w.ask_ahead(asked).map_err(|e| {
            let msg = e.to_string();
            self.fatal = Some(msg.clone());
            msg
        })
    }

    /// Takes a chunk of features in the file's order, having asked about
    /// them ahead. The answers go with the chunk: the group left open is
    /// asked about again with the next.
    pub fn take_chunk(&mut self, w: &mut Writer<'_>, chunk: Vec<Prepared>) -> Result<(), String> {
        self.ask_ahead(w, &chunk)?;
        let taken = chunk.into_iter().try_for_each(|p| self.take(w, p));
        w.forget_ahead();
        taken
    }

    pub fn take(&mut self, w: &mut Writer<'_>, p: Prepared) -> Result<(), String> {
        self.tally.read += 1;
        let Prepared { read, item, key, parsed } = p;
        let place = read.record.place.clone();
        let item = match item {
            Err(problem) => return self.reject(&place, &read.original, &problem),
            Ok(item) => item,
        };
        if let (Some(p), ImportItem::Report(next)) = (&mut self.pending, &item) {
            if key.is_some() && p.key == key {
                if let ImportItem::Report(into) = &mut p.item {
                    // A group is decided as one report: its polygons are read then.
                    p.parsed = None;
                    merge(into, (**next).clone());
                    p.places.push(place);
                    p.originals.push(read.original);
                    return Ok(());
                }
            }
        }
        self.flush(w)?;
        self.pending = Some(Pending {
            key,
            item,
            parsed,
            places: vec![place],
            originals: vec![read.original],
            attributes: read.record.attributes,
            effective: read.record.effective,
        });
        Ok(())
    }

    pub fn flush(&mut self, w: &mut Writer<'_>) -> Result<(), String> {
        let Some(p) = self.pending.take() else { return Ok(()) };
        let fatal = |me: &mut Self, e: StoreError| {
            let msg = e.to_string();
            me.fatal = Some(msg.clone());
            msg
        };
        // A report is refused before anything of it is written; reference
        // data may write a region before its district is refused.
        let guarded = !matches!(p.item, ImportItem::Report(_));
        if guarded {
            if let Err(e) = w.savepoint() {
                return Err(fatal(self, e));
            }
        }
        let origin = Origin { features: &p.places, attributes: &p.attributes, effective: p.effective };
        match w.import_item(&p.item, p.parsed, &mut self.batches, origin) {
            Ok(outcome) => {
                if guarded {
                    if let Err(e) = w.release_savepoint() {
                        return Err(fatal(self, e));
                    }
                }
                let (count, each) = match outcome {
                    ItemOutcome::Imported => (&mut self.tally.imported, Outcome::Imported),
                    ItemOutcome::Present => (&mut self.tally.present, Outcome::Present),
                };
                *count += p.places.len();
                if let Some(o) = &mut self.outcomes {
                    o.extend(p.places.iter().map(|place| (place.clone(), each.clone())));
                }
                Ok(())
            }
            Err(
                e @ (StoreError::Refused { .. } | StoreError::Invalid { .. } | StoreError::Unknown { .. }),
            ) => {
                if guarded {
                    if let Err(e) = w.rollback_savepoint() {
                        return Err(fatal(self, e));
                    }
                }
                let reason = match &e {
                    StoreError::Refused { problems, .. } => problems.join("; "),
                    other => other.to_string(),
                };
                for (place, original) in p.places.iter().zip(&p.originals) {
                    self.reject(place, original, &reason)?;
                }
                Ok(())
            }
            Err(e) => Err(fatal(self, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use safeground_core::import::InRecord;

    /// `n` features the reader already found wrong (made into refusals at
    /// once), from `feature 1`.
    fn features(
        n: usize,
    ) -> impl FnOnce(&mut dyn FnMut(Read) -> Result<(), String>) -> Result<usize, ReadError> {
        move |sink| {
            for i in 1..=n {
                let record = InRecord::new(format!("feature {i}"), vec![], None);
                sink(Read {
                    record,
                    original: Original::Row(vec![i.to_string()]),
                    problem: Some("bad".into()),
                })
                .map_err(ReadError::Stopped)?;
            }
            Ok(n)
        }
    }

    #[test]
    fn features_reach_the_writer_in_the_files_order() {
        let settings = ApprovalSettings::default();
        let mut seen = vec![];
        let n = pipelined((Layer::EoFinds, &settings), features(5_000), &mut |chunk| {
            seen.extend(chunk.iter().map(|p| p.read.record.place.clone()));
            Ok(())
        });
        assert_eq!(n.ok(), Some(5_000));
        let want: Vec<String> = (1..=5_000).map(|i| format!("feature {i}")).collect();
        assert_eq!(seen, want);
    }

    #[test]
    fn a_writer_that_stops_stops_the_reader_and_the_workers() {
        let settings = ApprovalSettings::default();
        let (mut taken, read) = (0, std::sync::atomic::AtomicUsize::new(0));
        let counted = |sink: &mut dyn FnMut(Read) -> Result<(), String>| {
            features(100_000)(&mut |r| {
                read.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                sink(r)
            })
        };
        let out = pipelined((Layer::EoFinds, &settings), counted, &mut |_| {
            taken += 1;
            Err("the disk is full".into())
        });
        assert!(matches!(&out, Err(ReadError::Stopped(e)) if e == "the disk is full"), "{out:?}");
        assert_eq!(taken, 1);
        // A few chunks in flight at most, not the file.
        let read = read.into_inner();
        assert!(read <= 16 * (2 * 8 + 8 + 3), "{read} features read after the writer stopped");
    }

    #[test]
    fn a_panic_making_items_is_the_writers() {
        let settings = ApprovalSettings::default();
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pipelined((Layer::EoFinds, &settings), features(1_000), &mut |_| panic!("a bug"))
        }));
        let payload = out.err().and_then(|p| p.downcast_ref::<&str>().map(|s| s.to_string()));
        assert_eq!(payload.as_deref(), Some("a bug"));
    }

    #[test]
    fn a_reader_that_fails_says_why_after_the_features_before() {
        let settings = ApprovalSettings::default();
        let mut seen = 0;
        let read = |sink: &mut dyn FnMut(Read) -> Result<(), String>| {
            features(40)(sink)?;
            Err(ReadError::Stopped("line 41: not JSON".into()))
        };
        let out = pipelined((Layer::EoFinds, &settings), read, &mut |chunk| {
            seen += chunk.len();
            Ok(())
        });
        assert!(matches!(&out, Err(ReadError::Stopped(e)) if e == "line 41: not JSON"), "{out:?}");
        assert_eq!(seen, 40);
    }
}
