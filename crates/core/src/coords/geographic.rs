//! Reading latitude and longitude written by hand: decimal degrees, degrees and decimal minutes, and
//! degrees-minutes-seconds, which share one grammar.
//!
//! The text is cut into tokens (numbers, unit marks, colons, signs, hemisphere letters, separators),
//! split into two coordinates, and each coordinate is read as
//!
//! ```text
//! [hemisphere] [sign] degrees [° | d | :] [minutes [' | m | ′ | :] [seconds [" | s | ″ | '']]] [hemisphere]
//! ```
//!
//! Splitting, in order of preference:
//! 1. an explicit separator (`,` `;` `/`) between the two coordinates;
//! 2. hemisphere letters: all before the numbers (`N39 45 E46 45`) or all after (`39 45N 46 45E`);
//! 3. the degree marks (`39°45' 46°45'`) or colon groups (`39:45 46:45`);
//! 4. bare numbers shared out evenly: 2 (decimal degrees), 4 (degrees and minutes), 6 (degrees,
//!    minutes, seconds).
//!
//! `s` right after a number that follows minutes is the seconds mark (`39d45m36s`); anywhere else `S`
//! means south.

use super::{cap, decimals_of, CoordError, Notation, Parsed, Position};
use super::{MAX_DDM_DECIMALS, MAX_DD_DECIMALS, MAX_DMS_DECIMALS};

const EXPECTED: &str = super::error::NOTATIONS;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Degrees,
    Minutes,
    Seconds,
}

impl Unit {
    fn plural(self) -> &'static str {
        match self {
            Unit::Degrees => "degrees",
            Unit::Minutes => "minutes",
            Unit::Seconds => "seconds",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    /// A number, normalised to use `.` as decimal point.
    Num(String),
    Unit(Unit),
    Colon,
    Sign {
        negative: bool,
    },
    Hemi(char),
    Sep,
    Space,
    /// A letter not yet resolved (`s` may be seconds or south).
    Letter(char),
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    /// Byte range in the input.
    start: usize,
    end: usize,
}

/// Whether commas are decimal commas: when `;` separates the coordinates, or when there is no `.` and
/// the text is two words whose every comma sits between digits (`39,76 46,75`).
fn decimal_comma(input: &str) -> bool {
    if input.contains(';') {
        return true;
    }
    if input.contains('.') || !input.contains(',') || input.split_whitespace().count() != 2 {
        return false;
    }
    let chars: Vec<char> = input.chars().collect();
    chars.iter().enumerate().all(|(i, &c)| {
        c != ','
            || (i > 0
                && chars[i - 1].is_ascii_digit()
                && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit()))
    })
}

fn lex(input: &str) -> Result<Vec<Token>, CoordError> {
    let comma_is_decimal = decimal_comma(input);
    let chars: Vec<(usize, char)> = input.char_indices().collect();
    let byte_at = |j: usize| chars.get(j).map_or(input.len(), |&(b, _)| b);
    let is_digit_at = |j: usize| chars.get(j).is_some_and(|&(_, c)| c.is_ascii_digit());
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (start, c) = chars[i];
        let starts_number = c.is_ascii_digit() || (c == '.' && is_digit_at(i + 1));
        if starts_number {
            let mut text = String::new();
            let mut seen_point = false;
            let mut j = i;
            while let Some(&(_, ch)) = chars.get(j) {
                if ch.is_ascii_digit() {
                    text.push(ch);
                } else if !seen_point && (ch == '.' || (ch == ',' && comma_is_decimal && is_digit_at(j + 1)))
                {
                    seen_point = true;
                    text.push('.');
                } else {
                    break;
                }
                j += 1;
            }
            tokens.push(Token { kind: Kind::Num(text), start, end: byte_at(j) });
            i = j;
            continue;
        }
        let mut width = 1;
        let kind = match c {
            '°' | 'º' | '˚' => Kind::Unit(Unit::Degrees),
            '\'' | '′' | '’' | '‘' | '´' | '`' => {
                let next_is_quote =
                    chars.get(i + 1).is_some_and(|&(_, n)| matches!(n, '\'' | '′' | '’' | '‘' | '´' | '`'));
                if next_is_quote {
                    width = 2;
                    Kind::Unit(Unit::Seconds)
                } else {
                    Kind::Unit(Unit::Minutes)
                }
            }
            '"' | '″' | '“' | '”' | '〃' => Kind::Unit(Unit::Seconds),
            ':' => Kind::Colon,
            '+' => Kind::Sign { negative: false },
            '-' | '−' | '–' | '—' => Kind::Sign { negative: true },
            ',' | ';' | '/' => Kind::Sep,
            c if c.is_whitespace() => Kind::Space,
            c if c.is_ascii_alphabetic() => Kind::Letter(c),
            _ => {
                return Err(CoordError::UnexpectedText {
                    input: input.to_string(),
                    found: c.to_string(),
                    expected: EXPECTED,
                })
            }
        };
        tokens.push(Token { kind, start, end: byte_at(i + width) });
        i += width;
    }
    Ok(tokens)
}

/// Resolves letters into unit marks and hemispheres.
fn resolve_letters(input: &str, tokens: &mut [Token]) -> Result<(), CoordError> {
    for i in 0..tokens.len() {
        let Kind::Letter(c) = tokens[i].kind else {
            continue;
        };
        let kind = match c.to_ascii_uppercase() {
            'D' => Kind::Unit(Unit::Degrees),
            'M' => Kind::Unit(Unit::Minutes),
            'N' | 'E' | 'W' => Kind::Hemi(c.to_ascii_uppercase()),
            'S' => {
                if seconds_mark_here(tokens, i) {
                    Kind::Unit(Unit::Seconds)
                } else {
                    Kind::Hemi('S')
                }
            }
            _ => {
                return Err(CoordError::UnexpectedText {
                    input: input.to_string(),
                    found: input[tokens[i].start..tokens[i].end].to_string(),
                    expected: EXPECTED,
                })
            }
        };
        tokens[i].kind = kind;
    }
    Ok(())
}

/// `s` at `i` is a seconds mark when it is glued to a number whose coordinate has minutes before it.
fn seconds_mark_here(tokens: &[Token], i: usize) -> bool {
    let Some(prev) = i.checked_sub(1).and_then(|p| tokens.get(p)) else {
        return false;
    };
    if !matches!(prev.kind, Kind::Num(_)) || prev.end != tokens[i].start {
        return false;
    }
    for t in tokens[..i - 1].iter().rev() {
        match t.kind {
            Kind::Num(_) | Kind::Space | Kind::Colon => continue,
            Kind::Unit(Unit::Minutes) => return true,
            _ => return false,
        }
    }
    false
}

fn significant(tokens: &[Token]) -> impl Iterator<Item = (usize, &Token)> {
    tokens.iter().enumerate().filter(|(_, t)| t.kind != Kind::Space)
}

fn has_content(tokens: &[Token]) -> bool {
    significant(tokens).next().is_some()
}

/// Splits the tokens into the two coordinates.
fn split<'t>(input: &str, tokens: &'t [Token]) -> Result<Vec<&'t [Token]>, CoordError> {
    let count_error = |found| CoordError::CoordinateCount { input: input.to_string(), found };
    if tokens.iter().any(|t| t.kind == Kind::Sep) {
        let parts: Vec<&[Token]> = tokens.split(|t| t.kind == Kind::Sep).collect();
        if parts.len() != 2 || !parts.iter().all(|p| has_content(p)) {
            return Err(count_error(parts.iter().filter(|p| has_content(p)).count()));
        }
        return Ok(parts);
    }
    let hemis: Vec<usize> =
        significant(tokens).filter(|(_, t)| matches!(t.kind, Kind::Hemi(_))).map(|(i, _)| i).collect();
    if hemis.is_empty() {
        return split_by_structure(input, tokens);
    }
    let first = significant(tokens).next().map(|(i, _)| i);
    let prefix = first == hemis.first().copied();
    let mut parts: Vec<&[Token]> = Vec::new();
    if prefix {
        for (k, &h) in hemis.iter().enumerate() {
            let end = hemis.get(k + 1).copied().unwrap_or(tokens.len());
            parts.push(&tokens[h..end]);
        }
        // A trailing letter after a prefix-style coordinate: mixed styles.
        if parts.iter().any(|p| significant(p).all(|(_, t)| matches!(t.kind, Kind::Hemi(_)))) {
            return Err(CoordError::HemisphereStyle { input: input.to_string() });
        }
    } else {
        let mut start = 0;
        for &h in &hemis {
            parts.push(&tokens[start..=h]);
            start = h + 1;
        }
        if has_content(&tokens[start..]) {
            parts.push(&tokens[start..]);
        }
        if parts.iter().any(|p| significant(p).all(|(_, t)| matches!(t.kind, Kind::Hemi(_)))) {
            return Err(CoordError::HemisphereStyle { input: input.to_string() });
        }
    }
    match parts.len() {
        2 => Ok(parts),
        1 => split_by_structure(input, parts[0]),
        n => Err(count_error(n)),
    }
}

/// Splits one run of tokens in two using degree marks, colon groups or the count of bare numbers.
fn split_by_structure<'t>(input: &str, tokens: &'t [Token]) -> Result<Vec<&'t [Token]>, CoordError> {
    let sig: Vec<(usize, &Token)> = significant(tokens).collect();
    let nums: Vec<usize> =
        sig.iter().enumerate().filter(|(_, (_, t))| matches!(t.kind, Kind::Num(_))).map(|(k, _)| k).collect();
    let next_is = |k: usize, kind: &Kind| sig.get(k + 1).is_some_and(|(_, t)| &t.kind == kind);
    let prev_is_colon = |k: usize| k > 0 && sig[k - 1].1.kind == Kind::Colon;

    // Indices (into `sig`) of the numbers that start a coordinate.
    let starts: Vec<usize> = {
        let with_degrees: Vec<usize> =
            nums.iter().copied().filter(|&k| next_is(k, &Kind::Unit(Unit::Degrees))).collect();
        if !with_degrees.is_empty() {
            let mut s = with_degrees;
            if nums.first() != s.first() {
                if let Some(&f) = nums.first() {
                    s.insert(0, f);
                }
            }
            s
        } else if sig.iter().any(|(_, t)| t.kind == Kind::Colon) {
            nums.iter().copied().filter(|&k| !prev_is_colon(k)).collect()
        } else {
            match nums.len() {
                n @ (0 | 1) => {
                    return Err(CoordError::CoordinateCount { input: input.to_string(), found: n })
                }
                2 | 4 | 6 => vec![nums[0], nums[nums.len() / 2]],
                n => return Err(CoordError::NumberCount { input: input.to_string(), found: n }),
            }
        }
    };
    if starts.len() != 2 {
        return Err(CoordError::CoordinateCount { input: input.to_string(), found: starts.len() });
    }
    // The second coordinate starts at its first number, or at the sign just before it.
    let mut k = starts[1];
    if k > 0 && matches!(sig[k - 1].1.kind, Kind::Sign { .. }) {
        k -= 1;
    }
    let at = sig[k].0;
    Ok(vec![&tokens[..at], &tokens[at..]])
}

/// One coordinate as read.
#[derive(Debug, Clone)]
struct Component<'a> {
    text: &'a str,
    value: f64,
    /// 1: decimal degrees, 2: degrees and minutes, 3: degrees, minutes and seconds.
    parts: usize,
    decimals: usize,
    hemisphere: Option<char>,
}

fn parse_component<'a>(input: &'a str, tokens: &[Token]) -> Result<Component<'a>, CoordError> {
    let sig: Vec<&Token> = tokens.iter().filter(|t| t.kind != Kind::Space).collect();
    let (Some(first), Some(last)) = (sig.first(), sig.last()) else {
        return Err(CoordError::CoordinateCount { input: input.to_string(), found: 1 });
    };
    let text = &input[first.start..last.end];
    let component = || text.to_string();
    let mut i = 0;
    let mut hemisphere = None;
    let mut negative = false;
    if let Some(Kind::Hemi(h)) = sig.get(i).map(|t| &t.kind) {
        hemisphere = Some(*h);
        i += 1;
    }
    if let Some(Kind::Sign { negative: n }) = sig.get(i).map(|t| &t.kind) {
        negative = *n;
        i += 1;
    }
    let mut numbers: Vec<(&str, Option<Unit>)> = Vec::new();
    while let Some(Kind::Num(n)) = sig.get(i).map(|t| &t.kind) {
        i += 1;
        let mut unit = None;
        match sig.get(i).map(|t| &t.kind) {
            Some(Kind::Unit(u)) => {
                unit = Some(*u);
                i += 1;
            }
            Some(Kind::Colon) => {
                i += 1;
                if !matches!(sig.get(i).map(|t| &t.kind), Some(Kind::Num(_))) {
                    return Err(CoordError::MissingNumber { component: component() });
                }
            }
            _ => {}
        }
        numbers.push((n.as_str(), unit));
        if numbers.len() > 3 {
            return Err(CoordError::TooManyNumbers { component: component() });
        }
    }
    if let Some(Kind::Hemi(h)) = sig.get(i).map(|t| &t.kind) {
        if hemisphere.is_some() {
            return Err(CoordError::TwoHemispheres { component: component() });
        }
        hemisphere = Some(*h);
        i += 1;
    }
    if let Some(t) = sig.get(i) {
        return Err(match t.kind {
            Kind::Hemi(_) => CoordError::TwoHemispheres { component: component() },
            Kind::Unit(u) => CoordError::UnitOutOfOrder { component: component(), unit: u.plural() },
            _ => CoordError::UnexpectedText {
                input: input.to_string(),
                found: input[t.start..t.end].to_string(),
                expected: "a coordinate is written [N|S|E|W or sign] degrees [minutes [seconds]] [N|S|E|W]",
            },
        });
    }
    if numbers.is_empty() {
        return Err(CoordError::MissingNumber { component: component() });
    }
    if negative && hemisphere.is_some() {
        return Err(CoordError::SignAndHemisphere { component: component() });
    }
    let order = [Unit::Degrees, Unit::Minutes, Unit::Seconds];
    for (k, (_, unit)) in numbers.iter().enumerate() {
        if let Some(u) = unit {
            if *u != order[k] {
                return Err(CoordError::UnitOutOfOrder { component: component(), unit: u.plural() });
            }
        }
    }
    for (k, (n, _)) in numbers.iter().enumerate().take(numbers.len() - 1) {
        if decimals_of(n) > 0 {
            return Err(CoordError::FractionNotLast {
                component: component(),
                part: order[k].plural(),
                next: order[k + 1].plural(),
            });
        }
    }
    // Numbers are ASCII digits with at most one point: they always parse (huge ones to infinity,
    // which the range checks refuse).
    let value_of = |n: &str| n.parse::<f64>().unwrap_or(f64::INFINITY);
    let degrees = value_of(numbers[0].0);
    let minutes = numbers.get(1).map_or(0.0, |(n, _)| value_of(n));
    let seconds = numbers.get(2).map_or(0.0, |(n, _)| value_of(n));
    if minutes >= 60.0 {
        return Err(CoordError::MinutesOutOfRange { component: component() });
    }
    if seconds >= 60.0 {
        return Err(CoordError::SecondsOutOfRange { component: component() });
    }
    let magnitude = match numbers.len() {
        1 => degrees,
        2 => degrees + minutes / 60.0,
        _ => degrees + (minutes * 60.0 + seconds) / 3600.0,
    };
    let negative = negative || matches!(hemisphere, Some('S' | 'W'));
    let last = numbers.last().map_or("", |(n, _)| n);
    Ok(Component {
        text,
        value: if negative { -magnitude } else { magnitude },
        parts: numbers.len(),
        decimals: decimals_of(last),
        hemisphere,
    })
}

fn is_lat_letter(h: char) -> bool {
    matches!(h, 'N' | 'S')
}

fn kind_name(parts: usize) -> &'static str {
    match parts {
        1 => "decimal degrees",
        2 => "degrees and decimal minutes",
        _ => "degrees, minutes and seconds",
    }
}

fn notation(parts: usize, decimals: usize) -> Notation {
    match parts {
        1 => Notation::DecimalDegrees { decimals: cap(decimals, MAX_DD_DECIMALS) },
        2 => Notation::DegreesDecimalMinutes { decimals: cap(decimals, MAX_DDM_DECIMALS) },
        _ => Notation::DegreesMinutesSeconds { decimals: cap(decimals, MAX_DMS_DECIMALS) },
    }
}

/// A coordinate's text with a hemisphere letter instead of its sign.
fn lettered(c: &Component, positive: char, negative: char) -> String {
    match c.text.strip_prefix(['-', '−', '–', '—']) {
        Some(rest) => format!("{}{negative}", rest.trim_start()),
        None => format!("{}{positive}", c.text.trim_start_matches('+')),
    }
}

/// For a number like 3945.603 (a GPS's NMEA "ddmm.mmm"), the advice to separate degrees and minutes.
fn run_together_hint(c: &Component, max_degrees: f64) -> Option<String> {
    let v = c.value.abs();
    let (degrees, minutes) = ((v / 100.0).floor(), v % 100.0);
    if c.parts != 1 || v < 1000.0 || degrees > max_degrees || minutes >= 60.0 {
        return None;
    }
    let d = c.decimals;
    let width = if d > 0 { d + 3 } else { 2 };
    Some(format!(
        "; if degrees and minutes are written together, as GPS NMEA sentences do, separate them: \
         {degrees}°{minutes:0width$.d$}'"
    ))
}

fn check_lat(c: &Component, other: &Component) -> Result<(), CoordError> {
    if c.value.abs() <= 90.0 {
        return Ok(());
    }
    let swap = c.hemisphere.is_none() && other.hemisphere.is_none() && other.value.abs() <= 90.0;
    let hint = run_together_hint(c, 90.0).or_else(|| {
        swap.then(|| {
            format!(
                "; without hemisphere letters the latitude comes first — if the longitude came first, add \
                 the letters, e.g. '{} {}'",
                lettered(c, 'E', 'W'),
                lettered(other, 'N', 'S')
            )
        })
    });
    Err(CoordError::LatitudeOutOfRange {
        component: c.text.to_string(),
        value: c.value,
        hint: hint.unwrap_or_default(),
    })
}

fn check_lon(c: &Component) -> Result<(), CoordError> {
    if c.value.abs() <= 180.0 {
        Ok(())
    } else {
        Err(CoordError::LongitudeOutOfRange {
            component: c.text.to_string(),
            value: c.value,
            hint: run_together_hint(c, 180.0).unwrap_or_default(),
        })
    }
}

fn finish(input: &str, lat: &Component, lon: &Component, lon_first: bool) -> Result<Parsed, CoordError> {
    check_lat(lat, lon)?;
    check_lon(lon)?;
    // A coordinate may leave out zero trailing parts (`39°45'36"N 46°45'E`): it is read in the other's
    // notation. Decimals on the shorter one (`46°45.5'E`) make them different notations.
    let (long, short) = if lat.parts >= lon.parts { (lat, lon) } else { (lon, lat) };
    if long.parts != short.parts && short.decimals > 0 {
        return Err(CoordError::MixedNotation {
            input: input.to_string(),
            lat: kind_name(lat.parts),
            lon: kind_name(lon.parts),
        });
    }
    let decimals = if lat.parts == lon.parts { lat.decimals.max(lon.decimals) } else { long.decimals };
    let position = Position::new(lat.value, lon.value)?;
    Ok(Parsed { position, notation: notation(long.parts, decimals), lon_first })
}

fn components<'a>(input: &'a str, tokens: &[Token]) -> Result<Vec<Component<'a>>, CoordError> {
    split(input, tokens)?.into_iter().map(|part| parse_component(input, part)).collect()
}

fn tokens_of(input: &str) -> Result<Vec<Token>, CoordError> {
    let mut tokens = lex(input)?;
    resolve_letters(input, &mut tokens)?;
    Ok(tokens)
}

/// Reads "latitude longitude" (or the other way round with hemisphere letters).
pub(crate) fn parse_pair(input: &str) -> Result<Parsed, CoordError> {
    let tokens = tokens_of(input)?;
    let comps = components(input, &tokens)?;
    let [a, b] = comps.as_slice() else {
        return Err(CoordError::CoordinateCount { input: input.to_string(), found: comps.len() });
    };
    match (a.hemisphere, b.hemisphere) {
        (Some(x), Some(y)) if is_lat_letter(x) == is_lat_letter(y) => Err(CoordError::SameAxisTwice {
            input: input.to_string(),
            axis: if is_lat_letter(x) { "latitude" } else { "longitude" },
        }),
        (Some(x), _) if !is_lat_letter(x) => finish(input, b, a, true),
        (_, Some(y)) if is_lat_letter(y) => finish(input, b, a, true),
        _ => finish(input, a, b, false),
    }
}

/// Reads one coordinate alone (one field of a form) and checks its letter suits the field.
fn parse_single<'a>(text: &'a str, want_lat: bool) -> Result<Component<'a>, CoordError> {
    if text.is_empty() {
        return Err(CoordError::Empty);
    }
    let tokens = tokens_of(text)?;
    if tokens.iter().any(|t| t.kind == Kind::Sep) {
        return Err(CoordError::UnexpectedText {
            input: text.to_string(),
            found: tokens
                .iter()
                .find(|t| t.kind == Kind::Sep)
                .map_or(String::new(), |t| text[t.start..t.end].to_string()),
            expected: "one coordinate was expected here, without separators",
        });
    }
    let c = parse_component(text, &tokens)?;
    if let Some(h) = c.hemisphere {
        if is_lat_letter(h) != want_lat {
            let name = |lat: bool| if lat { "latitude" } else { "longitude" };
            return Err(CoordError::WrongAxis {
                component: c.text.to_string(),
                found: name(!want_lat),
                letter: h,
                expected: name(want_lat),
            });
        }
    }
    Ok(c)
}

/// Reads a latitude field and a longitude field.
pub(crate) fn parse_fields(lat: &str, lon: &str) -> Result<Parsed, CoordError> {
    let lat_c = parse_single(lat, true)?;
    let lon_c = parse_single(lon, false)?;
    let input = format!("{lat} {lon}");
    finish(&input, &lat_c, &lon_c, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(s: &str) -> (f64, f64, Notation) {
        let p = parse_pair(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        (p.position.lat(), p.position.lon(), p.notation)
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn decimal_degrees_spellings() {
        for s in [
            "39.76, 46.75",
            "39.76 46.75",
            "39.76N 46.75E",
            "N39.76 E46.75",
            "46.75E 39.76N",
            "E46.75, N39.76",
            "39.76 N, 46.75 E",
            "+39.76 +46.75",
            "39,76; 46,75",
            "39,76 46,75",
            "39.76/46.75",
            "39.76°N 46.75°E",
            "39.76° 46.75°",
        ] {
            let (lat, lon, n) = pos(s);
            assert!(close(lat, 39.76) && close(lon, 46.75), "{s}: {lat} {lon}");
            assert_eq!(n, Notation::DecimalDegrees { decimals: 2 }, "{s}");
        }
        let (lat, lon, _) = pos("-39.76, -46.75");
        assert!(close(lat, -39.76) && close(lon, -46.75));
        let (lat, lon, _) = pos("39.76S 46.75W");
        assert!(close(lat, -39.76) && close(lon, -46.75));
        assert!(parse_pair("46.75E 39.76N").unwrap().lon_first);
        assert!(!parse_pair("39.76N 46.75E").unwrap().lon_first);
    }

    #[test]
    fn sexagesimal_spellings() {
        let want = 39.0 + 45.0 / 60.0 + 36.2 / 3600.0;
        for s in [
            "39°45'36.2\"N 46°45'00\"E",
            "39°45′36.2″N 46°45′00″E",
            "39°45’36.2”N 46°45’00”E",
            "39°45'36.2''N 46°45'00''E",
            "39 45 36.2 N 46 45 00 E",
            "39 45 36.2 46 45 0",
            "N39 45 36.2 E46 45 0",
            "39d45m36.2sN 46d45m00sE",
            "39d 45m 36.2s N, 46d 45m 0s E",
            "39:45:36.2N 46:45:00E",
            "39:45:36.2 46:45:00",
            "46°45'E 39°45'36.2\"N",
            "39º45'36.2\"N 46º45'E",
        ] {
            let p = parse_pair(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert!(close(p.position.lat(), want), "{s}: {}", p.position.lat());
            assert!(close(p.position.lon(), 46.75), "{s}: {}", p.position.lon());
            assert_eq!(p.notation, Notation::DegreesMinutesSeconds { decimals: 1 }, "{s}");
        }
        let (lat, lon, n) = pos("N39°45.603' E46°45.1'");
        assert!(close(lat, 39.0 + 45.603 / 60.0) && close(lon, 46.0 + 45.1 / 60.0));
        assert_eq!(n, Notation::DegreesDecimalMinutes { decimals: 3 });
        let (lat, lon, n) = pos("40°N 46°45.5'E");
        assert!(close(lat, 40.0) && close(lon, 46.0 + 45.5 / 60.0));
        assert_eq!(n, Notation::DegreesDecimalMinutes { decimals: 1 });
        let (lat, _, _) = pos("39 45.603 S 46 45.1 E");
        assert!(close(lat, -(39.0 + 45.603 / 60.0)));
        // GeoConvert's own example: one hemisphere letter decides both.
        let (lat, lon, _) = pos("44d24 33d18N");
        assert!(close(lat, 33.3) && close(lon, 44.4), "{lat} {lon}");
    }

    #[test]
    fn errors_say_what_was_expected() {
        let msg = |s: &str| parse_pair(s).unwrap_err().to_string();
        assert_eq!(msg("39°75'N 46°45'E"), "minutes must be below 60 in '39°75'N'");
        assert_eq!(msg("39°45'60\"N 46°45'E"), "seconds must be below 60 in '39°45'60\"N'");
        assert!(msg("39.76N 46.75N").contains("both coordinates"));
        assert!(msg("-39.76S 46.75E").contains("both a minus sign and a hemisphere letter"));
        assert!(msg("39.5°30'N 46°E").contains("degrees have decimals but minutes follow"));
        assert!(msg("45'N 46°E").contains("minutes in '45'N' are out of place"), "{}", msg("45'N 46°E"));
        assert!(msg("120.5, 39.76").contains("if the longitude came first"));
        assert!(msg("-120.5, 39.76").contains("e.g. '120.5W 39.76N'"), "{}", msg("-120.5, 39.76"));
        let nmea = msg("3945.603N 04645.100E");
        assert!(nmea.contains("separate them: 39°45.603'"), "{nmea}");
        assert!(msg("39.76N 04645.1E").contains("separate them: 46°45.1'"), "{}", msg("39.76N 04645.1E"));
        assert!(msg("39.76, 200").contains("longitude must be between"));
        assert!(msg("39.76").contains("but found 1"), "{}", msg("39.76"));
        assert!(msg("39 45 36 46 45").contains("5 numbers"));
        assert!(msg("39.76 46.75 12.0").contains("3 numbers"));
        assert!(msg("39.76N 46.75 E 12").contains("found 3"));
        assert!(msg("N39.76 46.75E").contains("either all before or all after"));
        assert!(msg("39.76 # 46.75").contains("unexpected '#'"));
        assert!(msg("39.76 x 46.75").contains("unexpected 'x'"));
        assert!(msg("39°45'N 46.75E").contains("write both the same way"));
        assert!(msg("39°45'36\"N 46°45.5'E").contains("write both the same way"));
    }

    #[test]
    fn fields() {
        let p = parse_fields("39°45'36.2\"N", "46°45'00\"E").unwrap();
        assert_eq!(p.notation, Notation::DegreesMinutesSeconds { decimals: 1 });
        let e = parse_fields("46.75E", "39.76N").unwrap_err().to_string();
        assert!(e.contains("is a longitude"), "{e}");
        assert!(parse_fields("39.76, 46.75", "46.75").is_err());
    }
}
