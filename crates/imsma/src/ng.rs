//! Reading a restored IMSMA NG database (PostgreSQL), object by object.

use crate::{Codes, NgError, Object, SourceGeometry, SourceObject, SourceVersion};
use postgres::fallible_iterator::FallibleIterator;
use safeground_core::imsma::{Leg, NgPoint, NgShape, ShapeKind};
use serde_json::{Map, Value};
use std::collections::HashMap;
use time::Date;

/// The key columns of NG's object tables (which do not all follow one
/// pattern: see tests/fixtures/imsma_ng/README.md).
trait NgTable {
    fn guid(self) -> &'static str;
    fn localid(self) -> &'static str;
    fn link(self) -> &'static str;
    /// The link table's column naming the object (its guid column's name,
    /// but for `task`).
    fn link_key(self) -> &'static str;
    /// The table of its info versions, their guid column and their link to
    /// shapes, where NG keeps versions the migration replays (hazards').
    fn versions(self) -> Option<(&'static str, &'static str, &'static str)>;
    fn sql(self, cdfs: &str, versions: &Versions, order: &str) -> String;
}

/// The parts of the objects query that read info versions.
struct Versions {
    /// The `versions` CTE's query.
    query: String,
    /// What the `linked` CTE adds: the versions' links to shapes.
    links: String,
    /// The `devices` CTE's query.
    devices: String,
}

const NO_DEVICES: &str = "SELECT NULL::text AS owner, NULL::jsonb AS devices WHERE false";

impl Versions {
    fn none() -> Versions {
        Versions {
            query: "SELECT NULL::text AS owner, NULL::jsonb AS versions WHERE false".into(),
            links: String::new(),
            devices: NO_DEVICES.into(),
        }
    }
}

impl NgTable for Object {
    fn guid(self) -> &'static str {
        match self {
            Object::Hazard => "hazard_guid",
            Object::HazardReduction => "hazreduc_guid",
            Object::Task => "guid",
            Object::Victim => "victim_guid",
            Object::Accident => "accident_guid",
            // NG keeps no EO object (its devices are counts on hazards and
            // reductions): `has` finds no such table.
            Object::Eo => "eo_guid",
            Object::Mre => "mre_guid",
        }
    }
    fn localid(self) -> &'static str {
        match self {
            Object::Hazard => "hazard_localid",
            Object::HazardReduction => "hazreduc_localid",
            Object::Task => "localid",
            Object::Victim => "victim_localid",
            Object::Accident => "accident_localid",
            Object::Eo => "eo_localid",
            Object::Mre => "mre_localid",
        }
    }
    fn link(self) -> &'static str {
        match self {
            Object::Hazard => "hazard_has_geospatialinfo",
            Object::HazardReduction => "hazreduc_has_geospatialinfo",
            Object::Task => "task_has_geospatialinfo",
            Object::Victim => "victim_has_geospatialinfo",
            Object::Accident => "accident_has_geospatialinfo",
            Object::Eo => "eo_has_geospatialinfo",
            Object::Mre => "mre_has_geospatialinfo",
        }
    }
    fn link_key(self) -> &'static str {
        match self {
            Object::Task => "task_guid",
            _ => self.guid(),
        }
    }
    fn versions(self) -> Option<(&'static str, &'static str, &'static str)> {
        match self {
            Object::Hazard => {
                Some(("hazardinfoversion", "hazardinfoversion_guid", "hazardinfoversion_has_geospatialinfo"))
            }
            _ => None,
        }
    }
    fn sql(self, cdfs: &str, versions: &Versions, order: &str) -> String {
        include_str!("../sql/ng_objects.sql")
            .replace("{devices}", &versions.devices)
            .replace("{order}", order)
            .replace("{cdfs}", cdfs)
            .replace("{versions}", &versions.query)
            .replace("{version_links}", &versions.links)
            .replace("{table}", self.table())
            .replace("{guid}", self.guid())
            .replace("{localid}", self.localid())
            .replace("{link}", self.link())
            .replace("{link_key}", self.link_key())
    }
}

/// A connection to an IMSMA NG database, with its enumeration values.
pub struct NgDatabase {
    client: postgres::Client,
    /// `imsmaenum_guid` → `enumvalue`.
    pub codes: Codes,
}

const REQUIRED: &[&str] = &["geospatialinfo", "geopoint", "imsmaenum"];

impl NgDatabase {
    /// Connects and checks that the database has NG's geometry tables.
    /// `shown` names the database in messages (its URL without a password).
    pub fn connect(url: &str, shown: &str) -> Result<NgDatabase, NgError> {
        let mut client = postgres::Client::connect(url, postgres::NoTls)
            .map_err(|e| NgError::Connect { db: shown.into(), detail: e.to_string() })?;
        for table in REQUIRED.iter().chain([Object::Hazard.table(), Object::Hazard.link()].iter()) {
            let found: bool = client
                .query_one("SELECT to_regclass($1) IS NOT NULL", &[table])
                .map_err(|e| NgError::query(shown, e))?
                .get(0);
            if !found {
                return Err(NgError::NotNg { db: shown.into(), table: (*table).into() });
            }
        }
        // One read-only snapshot for the whole migration: what is digested
        // is what is read, whatever NG's users do meanwhile.
        client
            .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .map_err(|e| NgError::query(shown, e))?;
        let enums: HashMap<String, String> = client
            .query("SELECT imsmaenum_guid::text, enumvalue::text FROM imsmaenum", &[])
            .map_err(|e| NgError::query(shown, e))?
            .into_iter()
            .filter_map(|r| {
                Some((r.get::<_, Option<String>>(0)?, r.get::<_, Option<String>>(1).unwrap_or_default()))
            })
            .collect();
        Ok(NgDatabase { client, codes: Codes { shared: enums, ..Codes::default() } })
    }

    /// Whether the database has an object table and its link to shapes
    /// (an NG database may lack the tables of a module it never used).
    pub fn has(&mut self, object: Object) -> Result<bool, NgError> {
        let mut found = true;
        for table in [object.table(), object.link()] {
            found &= self
                .client
                .query_one("SELECT to_regclass($1) IS NOT NULL", &[&table])
                .map_err(|e| NgError::query(table, e))?
                .get::<_, bool>(0);
        }
        Ok(found)
    }

    /// The query of an object table's records, with their custom defined
    /// fields where the database links any to the table.
    fn objects_sql(&mut self, object: Object, by_date: Option<&str>) -> Result<String, NgError> {
        let cdfs = match self.cdf_link(object)? {
            Some((owner, value)) => include_str!("../sql/ng_cdf_values.sql")
                .replace("{cdf_link}", &format!("{}_has_cdfvalue", object.table()))
                .replace("{cdf_owner}", &owner)
                .replace("{cdf_value}", &value),
            None => "SELECT NULL::text AS owner, NULL::jsonb AS cdfs WHERE false".to_string(),
        };
        let versions = self.versions_sql(object)?;
        let order = match by_date {
            None => String::new(),
            Some(column) => {
                let known = self.columns(object)?.into_iter().find(|(c, _)| c.eq_ignore_ascii_case(column));
                let day = match known {
                    Some((c, _)) => {
                        format!(
                            "coalesce(nullif(left(o.\"{}\"::text, 10), ''), s.entered)",
                            c.replace('"', "\"\"")
                        )
                    }
                    None => "s.entered".to_string(),
                };
                format!("{day} NULLS LAST,")
            }
        };
        Ok(object.sql(&cdfs, &versions, &order))
    }

    fn exists(&mut self, table: &str) -> Result<bool, NgError> {
        Ok(self
            .client
            .query_one("SELECT to_regclass($1) IS NOT NULL", &[&table])
            .map_err(|e| NgError::query(table, e))?
            .get(0))
    }

    /// The versions' part of the objects query: none where the database
    /// has no info version tables for the object; with each version's field
    /// report where it has `fieldreport`.
    fn versions_sql(&mut self, object: Object) -> Result<Versions, NgError> {
        let devices = if object == Object::HazardReduction
            && self.exists("hazreducdeviceinfo")?
            && self.exists("ordnance")?
        {
            include_str!("../sql/ng_devices.sql").to_string()
        } else {
            NO_DEVICES.to_string()
        };
        let Some((table, guid, link)) = object.versions() else {
            return Ok(Versions { devices, ..Versions::none() });
        };
        if !self.exists(table)? || !self.exists(link)? {
            return Ok(Versions { devices, ..Versions::none() });
        }
        let (report, join) = if self.exists("fieldreport")? {
            ("to_jsonb(f)", "LEFT JOIN fieldreport f ON f.fieldreport_guid = v.fieldreport_guid")
        } else {
            ("NULL::jsonb", "")
        };
        Ok(Versions {
            query: include_str!("../sql/ng_versions.sql")
                .replace("{versions}", table)
                .replace("{version_guid}", guid)
                .replace("{guid}", object.guid())
                .replace("{report}", report)
                .replace("{report_join}", join),
            links: format!("UNION ALL SELECT l.{guid}::text, l.geospatialinfo_guid FROM {link} l"),
            devices,
        })
    }

    /// The columns (quoted) of `<table>_has_cdfvalue` naming the record and
    /// the value, when the database has it and NG's CDF tables: NG spells
    /// them inconsistently (`"Hazard_GUID"`, `"CDFValue_GUID"`), so they are
    /// looked up without case.
    fn cdf_link(&mut self, object: Object) -> Result<Option<(String, String)>, NgError> {
        let link = format!("{}_has_cdfvalue", object.table());
        let what = format!("{link}'s columns");
        for table in [link.as_str(), "cdfvalue", "customdefinedfield"] {
            let found: bool = self
                .client
                .query_one("SELECT to_regclass($1) IS NOT NULL", &[&table])
                .map_err(|e| NgError::query(&what, e))?
                .get(0);
            if !found {
                return Ok(None);
            }
        }
        let mut column = |name: &str| -> Result<Option<String>, NgError> {
            let row = self
                .client
                .query_opt(
                    "SELECT quote_ident(column_name) FROM information_schema.columns
                     WHERE table_schema = current_schema() AND table_name = $1 AND lower(column_name) = $2
                     LIMIT 1",
                    &[&link, &name],
                )
                .map_err(|e| NgError::query(&what, e))?;
            Ok(row.map(|r| r.get(0)))
        };
        Ok(column(object.guid())?.zip(column("cdfvalue_guid")?))
    }

    /// How many objects an object table holds.
    pub fn count(&mut self, object: Object) -> Result<i64, NgError> {
        let sql = format!("SELECT count(*) FROM {}", object.table());
        Ok(self.client.query_one(sql.as_str(), &[]).map_err(|e| NgError::query(object.table(), e))?.get(0))
    }

    /// The columns of an object table: (name, type), in the table's order.
    pub fn columns(&mut self, object: Object) -> Result<Vec<(String, String)>, NgError> {
        let rows = self
            .client
            .query(include_str!("../sql/ng_columns.sql"), &[&object.table()])
            .map_err(|e| NgError::query(object.table(), e))?;
        let mut columns: Vec<(String, String)> = rows.into_iter().map(|r| (r.get(0), r.get(1))).collect();
        if let Some((owner, value)) = self.cdf_link(object)? {
            let sql = format!(
                "SELECT DISTINCT 'cdf:' || f.name::text, 'custom defined field, ' || coalesce(f.cdf_datatype::text, '?')
                 FROM {}_has_cdfvalue l JOIN cdfvalue v ON v.cdfvalue_guid = l.{value}
                 JOIN customdefinedfield f ON f.cdf_id = v.cdf_id WHERE l.{owner} IS NOT NULL ORDER BY 1",
                object.table()
            );
            let rows = self.client.query(sql.as_str(), &[]).map_err(|e| NgError::query(object.table(), e))?;
            columns.extend(rows.into_iter().map(|r| (r.get(0), r.get(1))));
        }
        Ok(columns)
    }

    /// Streams every object of a table to `each`, in local id order (with
    /// `by_date`, in the order of that column's date, else of the day its
    /// polygons were entered, then of local id); stops when `each` returns
    /// an error (which it returns). Returns the count and
    /// the SHA-256 the migration's reports name the source by: of the
    /// SHA-256 of each object's row and shapes as read (their JSON), in this
    /// order. One read-only snapshot, so they are what is migrated.
    pub fn objects(
        &mut self,
        object: Object,
        by_date: Option<&str>,
        each: &mut dyn FnMut(SourceObject) -> Result<(), String>,
    ) -> Result<(usize, String), NgError> {
        use sha2::{Digest, Sha256};
        let mut digest = Sha256::new();
        let sql = self.objects_sql(object, by_date)?;
        let mut rows = self
            .client
            .query_raw(sql.as_str(), std::iter::empty::<&str>())
            .map_err(|e| NgError::query(object.table(), e))?;
        let mut n = 0;
        while let Some(row) = rows.next().map_err(|e| NgError::query(object.table(), e))? {
            let guid: String = row.get(0);
            let localid: Option<String> = row.get(1);
            let (record_text, shapes_text, versions_text, devices_text): (&str, &str, &str, &str) =
                (row.get(2), row.get(3), row.get(4), row.get(5));
            let mut one = Sha256::new().chain_update(record_text).chain_update(shapes_text);
            // A database without versions or devices digests as it did before them.
            for extra in [versions_text, devices_text].into_iter().filter(|t| *t != "[]") {
                one.update(extra);
            }
            digest.update(one.finalize());
            let json = |i: usize| serde_json::from_str::<Value>(row.get(i)).unwrap_or(Value::Null);
            let record = match json(2) {
                Value::Object(m) => m,
                _ => Map::new(),
            };
            let shapes = json(3);
            let (shapes, entered) = shapes_of(&shapes);
            n += 1;
            let entered = entered.into_iter().flatten().min().map(|d| (d, "its polygons' data entry date"));
            let geometry = SourceGeometry::Shapes(shapes);
            let versions = versions_of(&json(4));
            let devices =
                json(5).as_array().into_iter().flatten().filter_map(|d| d.as_object().cloned()).collect();
            each(SourceObject { guid, localid, record, geometry, entered, versions, devices, refusal: None })
                .map_err(NgError::Stopped)?;
        }
        Ok((n, digest.finalize().iter().map(|b| format!("{b:02x}")).collect()))
    }
}

/// The info versions of the query's JSON.
fn versions_of(v: &Value) -> Vec<SourceVersion> {
    let row = |v: &Value| match v {
        Value::Object(m) => m.clone(),
        _ => Map::new(),
    };
    let mut out = vec![];
    for version in v.as_array().into_iter().flatten() {
        let (shapes, entered) = shapes_of(&version["shapes"]);
        out.push(SourceVersion {
            guid: version["guid"].as_str().unwrap_or_default().to_string(),
            record: row(&version["record"]),
            report: row(&version["report"]),
            geometry: SourceGeometry::Shapes(shapes),
            entered: entered.into_iter().flatten().min(),
        });
    }
    out
}

/// The shapes of the query's JSON, with each active shape's entry date.
fn shapes_of(v: &Value) -> (Vec<NgShape>, Vec<Option<Date>>) {
    let text = |v: &Value| v.as_str().map(str::to_string);
    let mut shapes = vec![];
    let mut entered = vec![];
    for s in v.as_array().into_iter().flatten() {
        let points = s["points"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| NgPoint {
                pointno: p[0].as_i64(),
                local_id: text(&p[1]),
                lon: p[2].as_f64(),
                lat: p[3].as_f64(),
                guid: text(&p[4]),
                leg: match (text(&p[7]), p[5].as_f64(), p[6].as_f64()) {
                    (Some(from), Some(bearing_deg), Some(distance_m)) => {
                        Some(Leg { from, bearing_deg, distance_m })
                    }
                    _ => None,
                },
            })
            .collect();
        let active = s["active"].as_bool().unwrap_or(true);
        let shape = NgShape {
            guid: text(&s["guid"]).unwrap_or_default(),
            shape_id: text(&s["shape_id"]),
            kind: ShapeKind::of(s["kind"].as_str()),
            active,
            points,
        };
        if active && shape.kind == ShapeKind::Polygon {
            entered.push(s["entered"].as_str().and_then(crate::date_of));
        }
        shapes.push(shape);
    }
    (shapes, entered)
}
