//! safeground's exchange formats: what the field's tools write, read
//! faithfully, with every problem named by feature and field.

pub mod csv_in;
pub mod csv_out;
pub mod geojson;
pub mod geojson_in;
pub mod geojson_out;
pub mod kml_in;
pub mod kml_out;
pub mod kobo;
pub mod read;
pub mod xlsform;
pub mod xlsx_in;
pub mod xlsx_out;
