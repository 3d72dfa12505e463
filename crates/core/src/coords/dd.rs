//! Decimal degrees: `39.76000, 46.75000`.
//!
//! Reading is done by the shared reader of geographic notations (`geographic.rs`), which accepts signs or
//! hemisphere letters before or after the number, in either order when the letters say which is which,
//! and a decimal comma when the two coordinates are separated by `;` (`39,76; 46,75`).

use super::{Position, MAX_DD_DECIMALS};

/// Writes a position as signed decimal degrees, latitude first: `lat, lon`.
///
/// `decimals` above [`MAX_DD_DECIMALS`] are written as that maximum. Rounding is to the nearest value
/// with that many decimals (as `printf` and `GeoConvert` do).
///
/// ```
/// use safeground_core::coords::{format_dd, parse_position, Position};
/// let p = Position::new(39.760_055_6, -46.75).unwrap();
/// assert_eq!(format_dd(p, 5), "39.76006, -46.75000");
/// let back = parse_position("39.76006, -46.75000").unwrap();
/// assert_eq!(format_dd(back.position, 5), "39.76006, -46.75000");
/// ```
pub fn format_dd(position: Position, decimals: u8) -> String {
    let d = usize::from(decimals.min(MAX_DD_DECIMALS));
    format!("{:.d$}, {:.d$}", position.lat(), position.lon())
}
