//! safeground's exchange formats: what the field's tools write, read
//! faithfully, with every problem named by feature and field.

pub mod csv_out;
pub mod geojson;
pub mod geojson_out;
pub mod kml_out;
pub mod xlsx_out;
