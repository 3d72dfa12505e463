//! The import's pipeline, shared by `import` and the IMSMA migration: a
//! feature read is made into an item on the reader's thread ([`pipelined`]),
//! then [`Importer`] groups features into items, writes each through the
//! store's approval, and counts what became of every one.

use safeground_core::approval::{self, Parsed};
use safeground_core::import::{group_key, merge, to_item, ImportItem};
use safeground_formats::read::{Original, Read, ReadError, RejectWriter};
use safeground_store::{ApprovalSettings, ImportBatches, ItemOutcome, Layer, Origin, StoreError, Writer};

/// A feature read, made into an item and keyed for grouping: the work done
/// on the reader's thread while the writer takes the features before it.
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
}

impl Prepared {
    /// Frees here what the writer's thread will not read: the geometry as
    /// read (the item holds its own) and the original as a tree (kept as
    /// text for the reject file). Freeing them there, a tree of values per
    /// feature, was a tenth of an import's time on that thread.
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

/// Reads on a thread of its own (parsing and reprojecting), makes items on
/// as many threads as there are cores (validating and measuring polygons:
/// most of a hazard's cost), while `take` decides and writes on this one:
/// every core of a field laptop works. Features reach `take` in the file's
/// order.
pub fn pipelined(
    (layer, settings): (Layer, &ApprovalSettings),
    read: impl FnOnce(&mut dyn FnMut(Read) -> Result<(), String>) -> Result<usize, ReadError> + Send,
    take: &mut dyn FnMut(Prepared) -> Result<(), String>,
) -> Result<usize, ReadError> {
    // Features go across in chunks: a wake-up per feature costs more than
    // a small feature's decision.
    const CHUNK: usize = 16;
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
    let (raw_tx, raw_rx) = std::sync::mpsc::sync_channel::<(usize, Vec<Read>)>(workers);
    let raw_rx = std::sync::Mutex::new(raw_rx);
    std::thread::scope(|s| {
        // A chunk whose making panicked comes across as `None`: the import stops.
        let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, Option<Vec<Prepared>>)>(workers);
        for _ in 0..workers {
            let (raw_rx, tx) = (&raw_rx, tx.clone());
            s.spawn(move || loop {
                // The lock is held only to take a chunk, not to make it.
                let next = raw_rx.lock().map_err(|_| ()).and_then(|r| r.recv().map_err(|_| ()));
                let Ok((n, chunk)) = next else { return };
                let made = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    chunk.into_iter().map(|r| prepare(layer, settings, r).lightened()).collect::<Vec<_>>()
                }));
                let failed = made.is_err();
                if tx.send((n, made.ok())).is_err() || failed {
                    return;
                }
            });
        }
        drop(tx);
        let reader = s.spawn(move || {
            let mut chunk = Vec::with_capacity(CHUNK);
            let mut sent = 0;
            let stopped = || "the import stopped".to_string();
            let n = read(&mut |r| {
                chunk.push(r);
                if chunk.len() == CHUNK {
                    raw_tx
                        .send((sent, std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK))))
                        .map_err(|_| stopped())?;
                    sent += 1;
                }
                Ok(())
            })?;
            if !chunk.is_empty() {
                raw_tx.send((sent, chunk)).map_err(|_| ReadError::Stopped(stopped()))?;
            }
            Ok(n)
        });
        let mut stopped = None;
        // Chunks made out of turn wait here for those before them.
        let mut early = std::collections::BTreeMap::new();
        let mut next = 0;
        'chunks: for (n, chunk) in rx.iter() {
            early.insert(n, chunk);
            while let Some(chunk) = early.remove(&next) {
                next += 1;
                let Some(chunk) = chunk else {
                    stopped = Some("the features could not be read into records".to_string());
                    break 'chunks;
                };
                for p in chunk {
                    if let Err(e) = take(p) {
                        stopped = Some(e);
                        break 'chunks;
                    }
                }
            }
        }
        drop(rx);
        let read = reader.join().unwrap_or_else(|_| Err(ReadError::Stopped("the reader failed".into())));
        match stopped {
            Some(e) => Err(ReadError::Stopped(e)),
            None => read,
        }
    })
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
