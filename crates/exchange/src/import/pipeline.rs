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

/// Reads on a thread of its own (parsing, reprojecting and making items)
/// while `take` decides and writes on this one: the two cores of a field
/// laptop both work. Features reach `take` in the file's order.
pub fn pipelined(
    (layer, settings): (Layer, &ApprovalSettings),
    read: impl FnOnce(&mut dyn FnMut(Read) -> Result<(), String>) -> Result<usize, ReadError> + Send,
    take: &mut dyn FnMut(Prepared) -> Result<(), String>,
) -> Result<usize, ReadError> {
    // Features go across in chunks: a wake-up per feature costs more than
    // a small feature's decision.
    const CHUNK: usize = 64;
    std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Prepared>>(8);
        let reader = s.spawn(move || {
            let mut chunk = Vec::with_capacity(CHUNK);
            let stopped = || "the import stopped".to_string();
            let n = read(&mut |r| {
                chunk.push(prepare(layer, settings, r));
                if chunk.len() == CHUNK {
                    tx.send(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK)))
                        .map_err(|_| stopped())?;
                }
                Ok(())
            })?;
            if !chunk.is_empty() {
                tx.send(chunk).map_err(|_| ReadError::Stopped(stopped()))?;
            }
            Ok(n)
        });
        let mut stopped = None;
        'chunks: for chunk in rx.iter() {
            for p in chunk {
                if let Err(e) = take(p) {
                    stopped = Some(e);
                    break 'chunks;
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
