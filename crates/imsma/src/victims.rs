//! Victims as persons. A source keeps an accident's victims as records of
//! their own (NG's `victim` table, IMSMA Core's victim table), each naming its
//! accident; the migration reads them first and gives each accident its
//! victims, so the register holds who was hurt (their sex, age, injuries;
//! their names and contacts behind the personal-data permission), not only
//! how many. A victim naming no accident of the source is refused, never
//! dropped; a victim that cannot be read refuses its accident.

use crate::mapping::Unmapped;
use crate::Mapped;
use safeground_core::codes::{Sex, VictimOutcome};
use safeground_core::report::ReportedVictim;
use serde_json::Value;
use std::collections::HashMap;

/// One victim record.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    /// How messages name it: `victim VI-0001 (guid {…})`.
    pub label: String,
    /// The victim, or why it cannot be migrated.
    pub victim: Result<ReportedVictim, String>,
    /// The accident (its label) that took it, once one has.
    pub taken_by: Option<String>,
    /// The ids its `accident` field names (lower case).
    names: Vec<String>,
    /// Its row as the source holds it (for the reject file).
    pub record: serde_json::Map<String, Value>,
}

/// The source's victims, by the accident ids they name.
#[derive(Debug, Clone, Default)]
pub struct Persons {
    people: Vec<Person>,
    by_id: HashMap<String, Vec<usize>>,
}

impl Persons {
    /// Adds a victim record, as the mapping made it (or the values it had
    /// no code for).
    pub fn add(
        &mut self,
        label: String,
        mapped: Result<Mapped, Vec<Unmapped>>,
        record: serde_json::Map<String, Value>,
    ) {
        let (victim, named) = match mapped {
            Ok(m) => {
                let named = text(&m.fields, "accident").unwrap_or_default();
                (victim_of(&m.fields), named)
            }
            Err(unmapped) => {
                (Err(unmapped.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")), String::new())
            }
        };
        let names: Vec<String> =
            named.split(',').map(|id| id.trim().to_lowercase()).filter(|id| !id.is_empty()).collect();
        let k = self.people.len();
        for id in &names {
            self.by_id.entry(id.clone()).or_default().push(k);
        }
        self.people.push(Person { label, victim, taken_by: None, names, record });
    }

    /// How many victim records were read.
    pub fn len(&self) -> usize {
        self.people.len()
    }

    /// Whether none was.
    pub fn is_empty(&self) -> bool {
        self.people.is_empty()
    }

    /// The victims of the accident with this guid and local id (`label`
    /// names it), taken so no other accident has them: `None` when no victim
    /// names it; `Err` naming every victim that cannot be read.
    pub fn take(
        &mut self,
        guid: &str,
        localid: Option<&str>,
        label: &str,
    ) -> Option<Result<Vec<(String, ReportedVictim)>, String>> {
        let mut found: Vec<usize> = [Some(guid), localid]
            .into_iter()
            .flatten()
            .filter_map(|id| self.by_id.get(&id.trim().to_lowercase()))
            .flatten()
            .copied()
            .filter(|k| self.people[*k].taken_by.is_none())
            .collect();
        found.sort_unstable();
        found.dedup();
        if found.is_empty() {
            return None;
        }
        let mut victims = vec![];
        let mut problems = vec![];
        for k in found {
            let p = &mut self.people[k];
            p.taken_by = Some(label.to_string());
            match &p.victim {
                Ok(v) => victims.push((p.label.clone(), v.clone())),
                Err(why) => problems.push(format!("its {}: {why}", p.label)),
            }
        }
        Some(if problems.is_empty() { Ok(victims) } else { Err(problems.join("; ")) })
    }

    /// Every victim record, taken or not.
    pub fn all(&self) -> &[Person] {
        &self.people
    }

    /// Why a victim no accident took is refused.
    pub fn untaken_reason(p: &Person) -> String {
        match p.names.as_slice() {
            [] => "it names no accident (map [victim] accident)".to_string(),
            names => format!(
                "it names accident {}, which is not among the accidents migrated from the source",
                names.join(", ")
            ),
        }
    }
}

fn text(fields: &[(String, Value)], name: &str) -> Option<String> {
    let (_, v) = fields.iter().find(|(k, _)| k == name)?;
    let t = match v {
        Value::String(s) => s.trim().to_string(),
        Value::Null => return None,
        other => other.to_string(),
    };
    (!t.is_empty()).then_some(t)
}

/// A victim from its mapped fields: its outcome (required), sex (unknown
/// when not given), age, and the rest as written.
///
/// ```
/// use safeground_imsma::victims::victim_of;
/// use serde_json::json;
/// let fields = vec![("outcome".to_string(), json!("KILLED")), ("sex".to_string(), json!("male")),
///                   ("age".to_string(), json!("34"))];
/// let v = victim_of(&fields).unwrap();
/// assert_eq!((v.outcome.code(), v.sex.code(), v.age), ("KILLED", "MALE", Some(34)));
/// ```
pub fn victim_of(fields: &[(String, Value)]) -> Result<ReportedVictim, String> {
    let outcome: VictimOutcome = text(fields, "outcome")
        .ok_or("field 'outcome' is empty: a victim was killed or injured")?
        .parse()
        .map_err(|e| format!("field 'outcome': {e}"))?;
    let sex = match text(fields, "sex") {
        Some(s) => s.parse::<Sex>().map_err(|e| format!("field 'sex': {e}"))?,
        None => Sex::Unknown,
    };
    let age = match text(fields, "age") {
        None => None,
        Some(a) => match a.parse::<f64>() {
            Ok(n) if n.fract() == 0.0 && (0.0..=120.0).contains(&n) => Some(n as i64),
            _ => return Err(format!("field 'age': '{a}' is not an age in years (0 to 120)")),
        },
    };
    Ok(ReportedVictim {
        outcome,
        sex,
        age,
        occupation: text(fields, "occupation"),
        injuries: text(fields, "injuries"),
        assistance: text(fields, "assistance"),
        disability: match text(fields, "disability") {
            None => None,
            Some(d) => Some(d.parse().map_err(|e| format!("field 'disability': {e}"))?),
        },
        name: text(fields, "name"),
        contact: text(fields, "contact"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn mapped(pairs: &[(&str, &str)]) -> Result<Mapped, Vec<Unmapped>> {
        Ok(Mapped {
            fields: pairs.iter().map(|(k, v)| (k.to_string(), json!(v))).collect(),
            decisions: vec![],
            typed_area_m2: None,
            date: None,
            attributes: Default::default(),
        })
    }

    #[test]
    fn an_accident_takes_the_victims_naming_its_guid_or_local_id_once() {
        let mut p = Persons::default();
        p.add(
            "victim V1".into(),
            mapped(&[("accident", "{A-1}"), ("outcome", "KILLED")]),
            Default::default(),
        );
        p.add(
            "victim V2".into(),
            mapped(&[("accident", "{H-9}, AC-0001"), ("outcome", "INJURED")]),
            Default::default(),
        );
        p.add(
            "victim V3".into(),
            mapped(&[("accident", "{A-2}"), ("outcome", "INJURED")]),
            Default::default(),
        );
        let taken = p.take("{a-1}", Some("AC-0001"), "accident AC-0001").unwrap().unwrap();
        assert_eq!(taken.iter().map(|(l, _)| l.as_str()).collect::<Vec<_>>(), ["victim V1", "victim V2"]);
        assert!(p.take("{A-1}", None, "another").is_none(), "taken once");
        let untaken: Vec<&Person> = p.all().iter().filter(|x| x.taken_by.is_none()).collect();
        assert_eq!(untaken.len(), 1);
        assert!(Persons::untaken_reason(untaken[0]).contains("names accident {a-2}"));
    }

    #[test]
    fn a_victim_that_cannot_be_read_refuses_its_accident_naming_it() {
        let mut p = Persons::default();
        p.add(
            "victim V1".into(),
            mapped(&[("accident", "A"), ("outcome", "KILLED"), ("age", "thirty")]),
            Default::default(),
        );
        let err = p.take("A", None, "accident A").unwrap().unwrap_err();
        assert_eq!(err, "its victim V1: field 'age': 'thirty' is not an age in years (0 to 120)");
    }

    #[test]
    fn outcome_is_required_and_sex_defaults_to_unknown() {
        assert!(victim_of(&[]).unwrap_err().contains("'outcome' is empty"));
        let v = victim_of(&[("outcome".into(), json!("injured"))]).unwrap();
        assert_eq!(v.sex, Sex::Unknown);
        assert!(victim_of(&[("outcome".into(), json!("KILLED")), ("age".into(), json!("121"))]).is_err());
        assert_eq!(
            victim_of(&[("outcome".into(), json!("KILLED")), ("age".into(), json!("0"))]).unwrap().age,
            Some(0)
        );
    }
}
