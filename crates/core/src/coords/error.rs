//! What can go wrong reading or writing a position, in words a field team leader can act on.

use thiserror::Error;

/// The examples every "I could not read this" message ends with.
pub(crate) const NOTATIONS: &str =
    "write a position as decimal degrees (39.76, 46.75), degrees-minutes-seconds \
     (39°45'36\"N 46°45'00\"E), degrees and decimal minutes (N39°45.603' E46°45.000'), \
     UTM (38T 512345 4412345) or MGRS (38TNK1234567890)";

/// A position that could not be read or written.
///
/// Every message quotes what was given and says what was expected instead.
///
/// ```
/// use safeground_core::coords::parse_position;
/// let err = parse_position("39°75'N 46°45'E").unwrap_err();
/// assert_eq!(err.to_string(), "minutes must be below 60 in '39°75'N'");
/// ```
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum CoordError {
    /// Nothing but blanks.
    #[error("no position given: {}", NOTATIONS)]
    Empty,

    /// A character or word that belongs to no notation.
    #[error("unexpected '{found}' in '{input}': {expected}")]
    UnexpectedText { input: String, found: String, expected: &'static str },

    /// Not exactly two coordinates.
    #[error("expected two coordinates, a latitude and a longitude, in '{input}', but found {found}")]
    CoordinateCount { input: String, found: usize },

    /// Bare numbers that cannot be shared out evenly between latitude and longitude.
    #[error(
        "cannot tell latitude from longitude in '{input}': {found} numbers without units or hemisphere \
         letters; write 2 (decimal degrees), 4 (degrees and minutes) or 6 (degrees, minutes, seconds), \
         or add °, ' and \" or N/S and E/W"
    )]
    NumberCount { input: String, found: usize },

    /// Hemisphere letters written before one number and after the other.
    #[error(
        "write the hemisphere letters either all before or all after the numbers in '{input}', \
         e.g. N39.76 E46.75 or 39.76N 46.75E"
    )]
    HemisphereStyle { input: String },

    /// A coordinate without its number (a lone hemisphere letter, a trailing colon).
    #[error("expected a number in '{component}'")]
    MissingNumber { component: String },

    /// More than degrees, minutes and seconds.
    #[error("too many numbers in '{component}': expected degrees, then minutes, then seconds at most")]
    TooManyNumbers { component: String },

    /// A unit mark in the wrong place, such as minutes first.
    #[error("the {unit} in '{component}' are out of place: expected degrees, then minutes, then seconds")]
    UnitOutOfOrder { component: String, unit: &'static str },

    /// Decimals on degrees or minutes that are followed by a smaller unit.
    #[error(
        "only the last number may have decimals: in '{component}' the {part} have decimals \
         but {next} follow"
    )]
    FractionNotLast { component: String, part: &'static str, next: &'static str },

    /// Minutes of 60 or more.
    #[error("minutes must be below 60 in '{component}'")]
    MinutesOutOfRange { component: String },

    /// Seconds of 60 or more.
    #[error("seconds must be below 60 in '{component}'")]
    SecondsOutOfRange { component: String },

    /// A minus sign and a hemisphere letter on the same coordinate.
    #[error("'{component}' has both a minus sign and a hemisphere letter: write one or the other")]
    SignAndHemisphere { component: String },

    /// Two hemisphere letters on one coordinate.
    #[error("'{component}' has two hemisphere letters: write one, before or after the numbers")]
    TwoHemispheres { component: String },

    /// Both coordinates are latitudes (N/S) or both longitudes (E/W).
    #[error(
        "both coordinates in '{input}' are {axis}s: write one latitude (N or S) and one longitude (E or W)"
    )]
    SameAxisTwice { input: String, axis: &'static str },

    /// A latitude field holding a longitude, or the other way round.
    #[error("'{component}' is a {found} (it has the letter {letter}) but a {expected} was expected")]
    WrongAxis { component: String, found: &'static str, letter: char, expected: &'static str },

    /// Latitude beyond the poles.
    #[error("latitude must be between 90°S and 90°N, but '{component}' is {value}°{hint}")]
    LatitudeOutOfRange { component: String, value: f64, hint: String },

    /// Longitude beyond the antimeridian.
    #[error("longitude must be between 180°W and 180°E, but '{component}' is {value}°{hint}")]
    LongitudeOutOfRange { component: String, value: f64, hint: String },

    /// Latitude and longitude written in different notations.
    #[error("'{input}' gives the latitude in {lat} but the longitude in {lon}: write both the same way")]
    MixedNotation { input: String, lat: &'static str, lon: &'static str },

    /// A UTM or MGRS zone number outside 1 to 60.
    #[error("the zone number must be 1 to 60, but '{input}' has zone {zone}")]
    Zone { input: String, zone: u32 },

    /// The letter after a UTM zone number is neither a band nor a hemisphere.
    #[error(
        "'{designator}' after the zone number in '{input}' is neither a latitude band (C to X, without I \
         and O) nor a hemisphere (N or S)"
    )]
    UtmDesignator { input: String, designator: String },

    /// A UTM easting no zone can have.
    #[error(
        "the easting {easting} m in '{input}' is impossible: UTM eastings are 0 to 1000000 m (6 digits){hint}"
    )]
    UtmEasting { input: String, easting: f64, hint: &'static str },

    /// A UTM northing no zone can have.
    #[error(
        "the northing {northing} m in '{input}' is impossible: UTM northings are 0 to 10000000 m (7 digits)"
    )]
    UtmNorthing { input: String, northing: f64 },

    /// A position outside 80°S to 84°N, where UTM and MGRS do not apply.
    #[error(
        "{position} is outside the area UTM and MGRS cover (80°S to 84°N); polar (UPS) coordinates \
         are not supported"
    )]
    OutsideUtm { position: String },

    /// An MGRS band letter that is not one.
    #[error("'{letter}' in '{input}' is not a latitude band letter: expected C to X, without I and O")]
    MgrsBand { input: String, letter: char },

    /// Polar MGRS (UPS grid).
    #[error("'{input}' looks like polar MGRS (bands A, B, Y, Z): polar coordinates are not supported")]
    PolarNotSupported { input: String },

    /// An MGRS column letter not used in the zone.
    #[error(
        "'{letter}' in '{input}' is not a 100 km column letter of zone {zone}: expected one of {expected}"
    )]
    MgrsColumn { input: String, letter: char, zone: u8, expected: &'static str },

    /// An MGRS row letter that is not one.
    #[error("'{letter}' in '{input}' is not a 100 km row letter: expected A to V, without I and O")]
    MgrsRow { input: String, letter: char },

    /// MGRS square letters that do not occur in the stated grid zone.
    #[error(
        "the 100 km square {square} does not occur in grid zone {zone:02}{band} ('{input}'): check the \
         band letter and the square letters"
    )]
    MgrsSquareNotInZone { input: String, square: String, zone: u8, band: char },

    /// MGRS easting and northing digits that do not pair up.
    #[error("'{input}' {problem}")]
    MgrsDigits { input: String, problem: String },

    /// MGRS without digits (a grid zone or a 100 km square only).
    #[error("'{input}' names only {what}: add the easting and the northing, 1 to 5 digits each")]
    MgrsIncomplete { input: String, what: &'static str },

    /// A precision the notation does not support.
    #[error("{notation} can be written with {min} to {max} {unit}, not {given}")]
    Precision { notation: &'static str, unit: &'static str, given: u8, min: u8, max: u8 },

    /// Latitude and longitude numbers that are not a position.
    #[error(
        "not a position: latitude {lat}, longitude {lon} (latitude must be -90 to 90, longitude -180 to 180)"
    )]
    InvalidPosition { lat: f64, lon: f64 },
}
