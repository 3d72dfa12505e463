//! Degrees and decimal minutes: `39°45.603'N 46°45.000'E` (the usual GPS "hddd°mm.mmm'" setting).
//!
//! Reading is done by the shared reader of geographic notations (`geographic.rs`), which accepts the
//! same spellings as for degrees-minutes-seconds with two numbers per coordinate (`N39°45.603'`,
//! `39 45.603 N`, `39d45.603m`).

use super::dms::{sexagesimal, Trailing};
use super::{Position, MAX_DDM_DECIMALS};

/// Writes a position as degrees and decimal minutes with hemisphere letters, latitude first:
/// `39°45.603'N 46°45.000'E`.
///
/// `decimals` (on the minutes) above [`MAX_DDM_DECIMALS`] are written as that maximum. Rounding is to
/// the nearest, with the carry into the degrees, as `GeoConvert -d` does.
///
/// ```
/// use safeground_core::coords::{format_ddm, parse_position, Position};
/// let p = parse_position("N39°45.603' E46°45'").unwrap();
/// assert_eq!(format_ddm(p.position, 3), "39°45.603'N 46°45.000'E");
/// let q = Position::new(-33.924_9, 18.424_1).unwrap();
/// assert_eq!(format_ddm(q, 1), "33°55.5'S 18°25.4'E");
/// ```
pub fn format_ddm(position: Position, decimals: u8) -> String {
    let d = usize::from(decimals.min(MAX_DDM_DECIMALS));
    format!(
        "{} {}",
        sexagesimal(position.lat(), Trailing::Minutes, d, ['N', 'S']),
        sexagesimal(position.lon(), Trailing::Minutes, d, ['E', 'W'])
    )
}
