//! Where a register lives: a GeoPackage file, or a PostgreSQL database whose
//! URL may hold a password. The URL is kept as text of its own type, shown
//! (Display, Debug) without the password, never as a file path.
//!
//! ```
//! use safeground_store::Location;
//! let db: Location = "postgres://ana:s3cret@db.example/register".parse().unwrap();
//! assert!(db.is_postgres());
//! assert_eq!(db.to_string(), "postgres://ana:***@db.example/register");
//! assert_eq!(format!("{db:?}"), "Postgres(postgres://ana:***@db.example/register)");
//! let file: Location = "register.gpkg".parse().unwrap();
//! assert_eq!(file.file(), Some(std::path::Path::new("register.gpkg")));
//! ```

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// A register's place.
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    /// A GeoPackage file.
    File(PathBuf),
    /// A PostgreSQL/PostGIS database.
    Postgres(PgUrl),
}

/// A PostgreSQL URL (`postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`),
/// shown without its password.
#[derive(Clone, PartialEq, Eq)]
pub struct PgUrl(String);

impl PgUrl {
    /// The URL as written, password included: for connecting only.
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PgUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hide_password(&self.0))
    }
}

impl fmt::Debug for PgUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Location {
    /// Whether the register is a PostgreSQL database.
    pub fn is_postgres(&self) -> bool {
        matches!(self, Location::Postgres(_))
    }

    /// The GeoPackage file, for a register that is one.
    pub fn file(&self) -> Option<&Path> {
        match self {
            Location::File(p) => Some(p),
            Location::Postgres(_) => None,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File(p) => write!(f, "{}", p.display()),
            Location::Postgres(u) => fmt::Display::fmt(u, f),
        }
    }
}

impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File(p) => write!(f, "File({p:?})"),
            Location::Postgres(u) => write!(f, "Postgres({u})"),
        }
    }
}

/// Whether `text` is a PostgreSQL URL rather than a file name.
fn is_url(text: &str) -> bool {
    text.starts_with("postgres://") || text.starts_with("postgresql://")
}

impl FromStr for Location {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(if is_url(s) { Location::Postgres(PgUrl(s.to_string())) } else { Location::File(s.into()) })
    }
}

impl From<&Path> for Location {
    fn from(p: &Path) -> Self {
        match p.to_str() {
            Some(s) if is_url(s) => Location::Postgres(PgUrl(s.to_string())),
            _ => Location::File(p.to_path_buf()),
        }
    }
}

impl From<&PathBuf> for Location {
    fn from(p: &PathBuf) -> Self {
        Location::from(p.as_path())
    }
}

impl From<PathBuf> for Location {
    fn from(p: PathBuf) -> Self {
        Location::from(p.as_path())
    }
}

impl From<&str> for Location {
    fn from(s: &str) -> Self {
        Location::from(Path::new(s))
    }
}

impl From<&String> for Location {
    fn from(s: &String) -> Self {
        Location::from(s.as_str())
    }
}

impl From<&Location> for Location {
    fn from(l: &Location) -> Self {
        l.clone()
    }
}

/// The URL with its password replaced by `***`.
pub(crate) fn hide_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let (auth, host) = match rest.rsplit_once('@') {
        Some(p) => p,
        None => return url.to_string(),
    };
    match auth.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}
