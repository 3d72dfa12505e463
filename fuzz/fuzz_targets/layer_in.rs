//! The layer readers (streamed GeoJSON, CSV, KML/KMZ) and the mapping of what
//! they read to register items never panic, whatever the bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use safeground_core::import::to_item;
use safeground_core::layer::Layer;
use safeground_formats::csv_in::CsvLayerReader;
use safeground_formats::geojson_in::read_geojson;
use safeground_formats::kml_in::read_kml;
use safeground_formats::read::Read;

fuzz_target!(|data: &[u8]| {
    let mut sink = |r: Read| {
        for layer in Layer::ALL {
            let _ = to_item(layer, &r.record);
        }
        Ok::<(), String>(())
    };
    let _ = read_geojson(data, "fuzz.geojson", None, &mut sink);
    if let Ok(reader) = CsvLayerReader::new(data, "fuzz.csv", None) {
        let _ = reader.read(&mut sink);
    }
    let _ = read_kml(data, "fuzz.kml", &mut sink);
});
