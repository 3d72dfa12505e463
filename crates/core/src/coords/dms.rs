//! Degrees, minutes and seconds: `39°45'36.2"N 46°45'00.0"E`.
//!
//! Reading is done by the shared reader of geographic notations (`geographic.rs`), which accepts `°`,
//! `'`, `"`, `′`, `″`, the letters `d`, `m`, `s`, colons (`39:45:36.2N`) or plain spaces
//! (`39 45 36.2 N`), with hemisphere letters before or after, or a sign.

use super::{Position, MAX_DMS_DECIMALS};

/// The least significant unit written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trailing {
    Minutes,
    Seconds,
}

/// Writes one angle as degrees-minutes(-seconds) with a hemisphere letter, the way GeographicLib's
/// `DMS::Encode` does: the integer degrees are split off, the remainder is scaled to minutes or seconds
/// and rounded once to `decimals`, and the carry goes back into the larger units. Minutes and seconds are
/// written with two integer digits, degrees without padding.
pub(crate) fn sexagesimal(angle: f64, trailing: Trailing, decimals: usize, letters: [char; 2]) -> String {
    let letter = if angle.is_sign_negative() { letters[1] } else { letters[0] };
    let a = angle.abs();
    let whole = a.floor();
    let scale = match trailing {
        Trailing::Minutes => 60.0,
        Trailing::Seconds => 3600.0,
    };
    let rounded = format!("{:.decimals$}", (a - whole) * scale);
    let (int_part, frac_part) = match rounded.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (rounded.as_str(), None),
    };
    // Both parts are ASCII digits written by `format!`; the integer part is below 3600.
    let units: u64 = int_part.parse().unwrap_or(0);
    let frac = frac_part.map_or(String::new(), |f| format!(".{f}"));
    // `whole` is an integer of at most 180.
    let whole = whole as u64;
    match trailing {
        Trailing::Minutes => {
            let degrees = whole + units / 60;
            format!("{degrees}°{:02}{frac}'{letter}", units % 60)
        }
        Trailing::Seconds => {
            let degrees = whole + units / 3600;
            let minutes = (units / 60) % 60;
            format!("{degrees}°{minutes:02}'{:02}{frac}\"{letter}", units % 60)
        }
    }
}

/// Writes a position as degrees, minutes and seconds with hemisphere letters, latitude first:
/// `39°45'36.2"N 46°45'00.0"E`.
///
/// `decimals` (on the seconds) above [`MAX_DMS_DECIMALS`] are written as that maximum. Rounding is to
/// the nearest, with the carry into minutes and degrees (`59.96"` at one decimal becomes the next
/// minute), as `GeoConvert -d` does.
///
/// ```
/// use safeground_core::coords::{format_dms, parse_position, Position};
/// let p = Position::new(39.760_055_6, 46.75).unwrap();
/// assert_eq!(format_dms(p, 1), "39°45'36.2\"N 46°45'00.0\"E");
/// assert_eq!(format_dms(p, 0), "39°45'36\"N 46°45'00\"E");
/// let south_west = Position::new(-0.5, -179.999_999_99).unwrap();
/// assert_eq!(format_dms(south_west, 2), "0°30'00.00\"S 180°00'00.00\"W");
/// ```
pub fn format_dms(position: Position, decimals: u8) -> String {
    let d = usize::from(decimals.min(MAX_DMS_DECIMALS));
    format!(
        "{} {}",
        sexagesimal(position.lat(), Trailing::Seconds, d, ['N', 'S']),
        sexagesimal(position.lon(), Trailing::Seconds, d, ['E', 'W'])
    )
}
