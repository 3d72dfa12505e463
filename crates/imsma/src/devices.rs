//! The devices IMSMA NG records on a hazard reduction (`hazreducdeviceinfo`
//! with its `ordnance` row: category, model, quantity) as the EO finds of the
//! reduction's release, so what a programme destroyed comes with its land
//! (and its Article 7 Form G). NG keeps no position for them: the migration
//! places them inside the reduction's polygon.

use crate::mapping::{resolve, Mapping};
use crate::{Codes, SourceObject};
use safeground_core::codes::{Disposal, EoCategory};

/// One device, as the mapping reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Device {
    pub category: EoCategory,
    pub eo_type: String,
    pub quantity: i64,
    pub disposal: Disposal,
}

/// What became of an object's devices: `None` when it has none, or when the
/// mapping names no `[device] category` and `disposal` (they stay in the
/// source, said so by the caller); else the devices, those of quantity 0
/// left out, or every value the mapping cannot read.
///
/// ```
/// use safeground_imsma::devices::devices;
/// use safeground_imsma::mapping::Mapping;
/// use safeground_imsma::{Codes, SourceGeometry, SourceObject};
/// let mapping = Mapping::parse(
///     "[device]\ncategory = { column = \"cat\", values = { \"AP mine\" = \"AP\" } }\neo_type = \"model\"\n\
///      quantity = \"qty\"\ndisposal = { default = \"DESTROYED_IN_SITU\" }",
///     "m.toml",
/// )
/// .unwrap();
/// let row = serde_json::json!({"cat": "AP mine", "model": "PMN-2", "qty": 2});
/// let o = SourceObject {
///     guid: "r".into(), localid: None, record: Default::default(), geometry: SourceGeometry::Shapes(vec![]),
///     entered: None, versions: vec![], devices: vec![row.as_object().unwrap().clone()], refusal: None,
/// };
/// let found = devices(&o, &mapping, &Codes::default()).unwrap().unwrap();
/// assert_eq!((found[0].eo_type.as_str(), found[0].quantity), ("PMN-2", 2));
/// ```
pub fn devices(
    o: &SourceObject,
    mapping: &Mapping,
    codes: &Codes,
) -> Option<Result<Vec<Device>, Vec<String>>> {
    if o.devices.is_empty()
        || mapping.device_rule("category").is_none()
        || mapping.device_rule("disposal").is_none()
    {
        return None;
    }
    let mut out = vec![];
    let mut problems = vec![];
    for (i, row) in o.devices.iter().enumerate() {
        let field = |name: &str| -> Result<Option<String>, String> {
            match mapping.device_rule(name) {
                None => Ok(None),
                Some(rule) => resolve(name, &rule, row, codes).map_err(|u| format!("device {}: {u}", i + 1)),
            }
        };
        let device = (|| -> Result<Option<Device>, String> {
            let category = field("category")?.ok_or(format!("device {}: it has no category", i + 1))?;
            let disposal = field("disposal")?.ok_or(format!("device {}: it has no disposal", i + 1))?;
            let quantity = match field("quantity")? {
                None => 1,
                Some(q) => match q.parse::<f64>() {
                    Ok(n) if n.fract() == 0.0 && (0.0..=100_000.0).contains(&n) => n as i64,
                    _ => return Err(format!("device {}: quantity '{q}' is not a count", i + 1)),
                },
            };
            if quantity == 0 {
                return Ok(None);
            }
            Ok(Some(Device {
                category: category.parse().map_err(|e| format!("device {}: {e}", i + 1))?,
                eo_type: field("eo_type")?.unwrap_or_else(|| "(model not recorded)".into()),
                quantity,
                disposal: disposal.parse().map_err(|e| format!("device {}: {e}", i + 1))?,
            }))
        })();
        match device {
            Ok(Some(d)) => out.push(d),
            Ok(None) => {}
            Err(p) => problems.push(p),
        }
    }
    Some(if problems.is_empty() { Ok(out) } else { Err(problems) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SourceGeometry;
    use serde_json::json;

    fn object(rows: &[serde_json::Value]) -> SourceObject {
        SourceObject {
            guid: "r".into(),
            localid: None,
            record: Default::default(),
            geometry: SourceGeometry::Shapes(vec![]),
            entered: None,
            versions: vec![],
            devices: rows.iter().filter_map(|r| r.as_object().cloned()).collect(),
            refusal: None,
        }
    }

    fn mapping(extra: &str) -> Mapping {
        let text = format!("[device]\ncategory = \"cat\"\neo_type = \"model\"\nquantity = \"qty\"\n{extra}");
        Mapping::parse(&text, "m.toml").unwrap()
    }

    #[test]
    fn without_category_and_disposal_mapped_devices_stay_in_the_source() {
        let o = object(&[json!({"cat": "AP", "qty": 1})]);
        assert_eq!(devices(&o, &mapping(""), &Codes::default()), None);
        assert_eq!(
            devices(&object(&[]), &mapping("disposal = { default = \"HANDED_OVER\" }"), &Codes::default()),
            None
        );
    }

    #[test]
    fn a_quantity_of_zero_is_left_out_and_one_that_is_no_count_is_named() {
        let m = mapping("disposal = { default = \"DESTROYED_IN_SITU\" }");
        let o = object(&[json!({"cat": "AP", "qty": 0}), json!({"cat": "AT"})]);
        let found = devices(&o, &m, &Codes::default()).unwrap().unwrap();
        assert_eq!(
            (found.len(), found[0].quantity, found[0].eo_type.as_str()),
            (1, 1, "(model not recorded)")
        );
        let o = object(&[json!({"cat": "AP", "qty": 2.5}), json!({"cat": "SEA", "qty": 1})]);
        let problems = devices(&o, &m, &Codes::default()).unwrap().unwrap_err();
        assert_eq!(problems.len(), 2);
        assert!(problems[0].starts_with("device 1: quantity '2.5' is not a count"), "{problems:?}");
        assert!(problems[1].starts_with("device 2: "), "{problems:?}");
    }
}
