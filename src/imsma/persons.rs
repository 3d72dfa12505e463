//! Victims as persons in a migration: read before the accidents, taken by
//! their accidents as those are read, and accounted for after: each victim
//! went in or stayed out with its accident, and one that no accident took is
//! refused.

use super::{Job, Opened, Pass, Row};
use safeground_exchange::import::pipeline::Outcome;
use safeground_formats::read::Original;
use safeground_imsma::mapping::Mapping;
use safeground_imsma::victims::Persons;
use safeground_imsma::{fields, Fallbacks, Object};
use safeground_store::StoreError;
use serde_json::{json, Value};

/// Every victim record of the source, mapped.
pub(super) fn read_victims(
    source: &mut Opened,
    job: &Job<'_>,
    pass: &mut Pass,
) -> Result<Persons, StoreError> {
    let mut persons = Persons::default();
    let fallback =
        Fallbacks { source: job.source, district: None, organisation: job.organisation, hazards: None };
    let (codes, rows) = (&pass.codes, &mut pass.notes.rows);
    let read = source.objects(Object::Victim, None, &mut |o| {
        let place = format!("victim {} (guid {})", o.label(), o.guid);
        let mapped = fields(Object::Victim, &o, job.mapping, codes, &fallback);
        if let Some(rows) = rows {
            let decisions = mapped.as_ref().map(|m| m.decisions.clone()).unwrap_or_default();
            rows.push(Row {
                place: place.clone(),
                localid: o.localid.clone(),
                guid: o.guid.clone(),
                typed_area_m2: None,
                geodesic_area_m2: None,
                findings: vec![],
                repairs: vec![],
                decisions,
            });
        }
        persons.add(place, mapped, o.record);
        Ok(())
    });
    match read {
        Ok(_) => Ok(persons),
        Err(e) => Err(StoreError::Invalid { record: pass.name.clone(), problem: e }),
    }
}

/// Counts each victim as its accident went (`outcomes`, by the accident's
/// place), and refuses those no accident took.
pub(super) fn settle_victims(
    pass: &mut Pass,
    persons: &Persons,
    outcomes: &[(String, Outcome)],
    mapping: &Mapping,
) -> Result<(), String> {
    // A reject file is no place for a victim's name or contact.
    let personal: Vec<String> = ["name", "contact"]
        .iter()
        .filter_map(|f| mapping.rule(Object::Victim, f)?.column)
        .map(|c| c.to_lowercase())
        .collect();
    let by_place: std::collections::HashMap<&str, &Outcome> =
        outcomes.iter().map(|(p, o)| (p.as_str(), o)).collect();
    for p in persons.all() {
        pass.importer.tally.read += 1;
        let original = Original::Feature(json!({
            "type": "Feature",
            "properties": {"imsma_victim": Value::Object(
                p.record.iter().filter(|(k, _)| !personal.contains(&k.to_lowercase())).map(|(k, v)| (k.clone(), v.clone())).collect()
            )},
            "geometry": null,
        }));
        let went = p.taken_by.as_deref().and_then(|a| Some((a, *by_place.get(a)?)));
        let outcome = match went {
            None => {
                pass.importer.reject(&p.label, &original, &Persons::untaken_reason(p))?;
                continue;
            }
            Some((accident, Outcome::Rejected(why))) => {
                pass.importer.reject(&p.label, &original, &format!("its {accident} was refused: {why}"))?;
                continue;
            }
            Some((_, Outcome::Imported)) => {
                pass.importer.tally.imported += 1;
                Outcome::Imported
            }
            Some((_, Outcome::Present)) => {
                pass.importer.tally.present += 1;
                Outcome::Present
            }
        };
        if let Some(o) = &mut pass.importer.outcomes {
            o.push((p.label.clone(), outcome));
        }
    }
    Ok(())
}
