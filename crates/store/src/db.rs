//! One connection to the register, on either backend: the GeoPackage file
//! (SQLite, through rusqlite) or a PostgreSQL/PostGIS database (through the
//! blocking `postgres` client).
//!
//! The rest of the store speaks SQL through this module only, with rusqlite's
//! vocabulary: `?N` placeholders, [`rusqlite::ToSql`] parameters (`params!`),
//! values read with [`rusqlite::types::FromSql`]. On PostgreSQL the
//! placeholders become `$N`, each parameter is converted to the type the
//! server inferred for it, and each column read is decoded from PostgreSQL's
//! binary format into the same five SQLite value kinds, so that both backends
//! hand the code above identical values (the sealed history hashes them).
//!
//! Invariants:
//! - SQL that differs between the backends lives in its own `.sql` file per
//!   dialect ([`Dialect::pick`]); everything else is written once, in the
//!   common subset.
//! - A PostgreSQL connection is used by one thread at a time (the store is not
//!   `Sync`); its statements are prepared once and cached by their text.
//! - Rows of a PostgreSQL query are fetched whole before the caller sees the
//!   first one, so a caller may run other statements while it walks them;
//!   a query that may be long (a whole layer, the history) goes through
//!   [`Db::for_each`] instead, which reads a server-side cursor a batch at a
//!   time.

use crate::StoreError;
use postgres::types::{FromSql as PgFromSql, IsNull, ToSql as PgToSql, Type};
use rusqlite::types::{FromSql, ToSqlOutput, Value, ValueRef};
use rusqlite::ToSql;
use std::cell::RefCell;
use std::collections::HashMap;

/// Which SQL the connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The one of two texts written for this dialect.
    pub(crate) fn pick<'a>(self, sqlite: &'a str, postgres: &'a str) -> &'a str {
        match self {
            Dialect::Sqlite => sqlite,
            Dialect::Postgres => postgres,
        }
    }
}

/// A connection to the register's database.
pub(crate) enum Db {
    Sqlite(rusqlite::Connection),
    Postgres(Box<Pg>),
}

/// A PostgreSQL connection and its prepared statements.
pub(crate) struct Pg {
    client: RefCell<postgres::Client>,
    statements: RefCell<HashMap<String, postgres::Statement>>,
    /// Whether a transaction is open ([`Db::begin_write`], [`Db::begin_read`]).
    in_transaction: std::cell::Cell<bool>,
    /// Cursors opened so far, to name the next one.
    cursors: std::cell::Cell<u64>,
}

impl Pg {
    pub(crate) fn new(client: postgres::Client) -> Pg {
        Pg {
            client: RefCell::new(client),
            statements: RefCell::new(HashMap::new()),
            in_transaction: std::cell::Cell::new(false),
            cursors: std::cell::Cell::new(0),
        }
    }

    /// The statement for `sql`, prepared once. PostgreSQL infers each
    /// parameter's type from where it stands; where it cannot (`?1 IS NULL`
    /// alone, `?1 COLLATE NOCASE`), the statement is prepared again with the
    /// types of the values given (text for a null).
    fn prepare(&self, sql: &str, values: Option<&[Value]>) -> Result<postgres::Statement, StoreError> {
        if let Some(s) = self.statements.borrow().get(sql) {
            return Ok(s.clone());
        }
        let text = placeholders_to_dollar(sql);
        // A statement that fails to prepare aborts the transaction it is in:
        // the first try runs under a savepoint, so that the second can follow.
        let guarded = self.in_transaction.get();
        if guarded {
            self.batch("SAVEPOINT sg_prepare")?;
        }
        let prepared = self.client_mut()?.prepare(&text);
        if guarded {
            self.batch(if prepared.is_ok() {
                "RELEASE SAVEPOINT sg_prepare"
            } else {
                "ROLLBACK TO SAVEPOINT sg_prepare; RELEASE SAVEPOINT sg_prepare"
            })?;
        }
        let stmt = match (prepared, values) {
            (Ok(s), _) => s,
            (Err(e), Some(values))
                if matches!(
                    e.code(),
                    Some(
                        &postgres::error::SqlState::INDETERMINATE_DATATYPE
                            | &postgres::error::SqlState::AMBIGUOUS_PARAMETER
                    )
                ) =>
            {
                let types: Vec<Type> = values
                    .iter()
                    .map(|v| match v {
                        Value::Integer(_) => Type::INT8,
                        Value::Real(_) => Type::FLOAT8,
                        Value::Blob(_) => Type::BYTEA,
                        Value::Null | Value::Text(_) => Type::TEXT,
                    })
                    .collect();
                self.client_mut()?.prepare_typed(&text, &types).map_err(|e| pg_error(e, &text))?
            }
            (Err(e), _) => return Err(pg_error(e, &text)),
        };
        self.statements.borrow_mut().insert(sql.to_string(), stmt.clone());
        Ok(stmt)
    }

    fn client_mut(&self) -> Result<std::cell::RefMut<'_, postgres::Client>, StoreError> {
        self.client.try_borrow_mut().map_err(|_| StoreError::Backend {
            detail: "the PostgreSQL connection is busy with another statement".into(),
        })
    }

    fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<postgres::Row>, StoreError> {
        let stmt = &self.prepare(sql, Some(params))?;
        let args: Vec<PgParam<'_>> = params.iter().map(PgParam).collect();
        let refs: Vec<&(dyn PgToSql + Sync)> = args.iter().map(|a| a as &(dyn PgToSql + Sync)).collect();
        self.client_mut()?.query(stmt, &refs).map_err(|e| pg_error(e, ""))
    }

    fn execute(&self, sql: &str, params: &[Value]) -> Result<usize, StoreError> {
        let stmt = &self.prepare(sql, Some(params))?;
        let args: Vec<PgParam<'_>> = params.iter().map(PgParam).collect();
        let refs: Vec<&(dyn PgToSql + Sync)> = args.iter().map(|a| a as &(dyn PgToSql + Sync)).collect();
        Ok(self.client_mut()?.execute(stmt, &refs).map_err(|e| pg_error(e, ""))? as usize)
    }

    /// Rows of a statement prepared for this one run (`FETCH` from a cursor,
    /// whose columns are whatever the cursor's query has).
    pub(crate) fn query_once(&self, sql: &str) -> Result<Vec<Vec<Value>>, StoreError> {
        let rows = self.client_mut()?.query(sql, &[]).map_err(|e| pg_error(e, sql))?;
        rows.iter().map(decode).collect()
    }

    /// Every row of `sql` through a server-side cursor, `batch` rows at a
    /// time. The parameters are written into the statement as literals
    /// (a cursor's query takes no bind parameters). Outside a transaction the
    /// cursor is `WITH HOLD`: the server keeps the result, not the client.
    fn for_each(
        &self,
        sql: &str,
        (values, batch): (&[Value], usize),
        f: &mut dyn FnMut(&Row<'_>) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError> {
        let n = self.cursors.get();
        self.cursors.set(n + 1);
        let name = format!("sg_cursor_{n}");
        let hold = if self.in_transaction.get() { "" } else { " WITH HOLD" };
        let text = placeholders_to_literals(sql, values);
        self.batch(&format!("DECLARE {name} NO SCROLL CURSOR{hold} FOR {text}"))?;
        let walked = (|| loop {
            let rows = self.query_once(&format!("FETCH {batch} FROM {name}"))?;
            if rows.is_empty() {
                return Ok(());
            }
            for row in rows {
                if !f(&Row::Postgres(row))? {
                    return Ok(());
                }
            }
        })();
        // After an error inside a transaction the transaction is aborted and
        // takes the cursor with it; the CLOSE then fails, harmlessly.
        let closed = self.batch(&format!("CLOSE {name}"));
        walked.and(closed.or_else(|e| if self.in_transaction.get() { Ok(()) } else { Err(e) }))
    }

    /// Runs statements separated by semicolons, without parameters.
    pub(crate) fn batch(&self, sql: &str) -> Result<(), StoreError> {
        self.client_mut()?.batch_execute(sql).map_err(|e| pg_error(e, ""))
    }

    /// The client itself, for COPY and other PostgreSQL-only work.
    pub(crate) fn client(&self) -> Result<std::cell::RefMut<'_, postgres::Client>, StoreError> {
        self.client_mut()
    }
}

/// A PostgreSQL error as the store reports it: the server's message, its
/// detail and hint, and the statement when it failed to prepare.
pub(crate) fn pg_error(e: postgres::Error, sql: &str) -> StoreError {
    let interrupted = interrupted(&e);
    let detail = match e.as_db_error() {
        Some(db) => {
            let mut s = db.message().to_string();
            if let Some(d) = db.detail() {
                s.push_str(&format!(" ({d})"));
            }
            if let Some(h) = db.hint() {
                s.push_str(&format!("; hint: {h}"));
            }
            if let Some(w) = db.where_() {
                // Where it happened: "COPY eo_finds, line 12, column quantity: \"many\"".
                s.push_str(&format!(" [{w}]"));
            }
            if !sql.is_empty() {
                s.push_str(&format!(" in: {}", sql.trim()));
            }
            s
        }
        None => {
            let mut s = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(c) = source {
                s.push_str(&format!(": {c}"));
                source = c.source();
            }
            if !sql.is_empty() {
                s.push_str(&format!(" in: {}", sql.trim()));
            }
            s
        }
    };
    if interrupted {
        StoreError::Interrupted { detail }
    } else {
        StoreError::Backend { detail }
    }
}

/// Whether a PostgreSQL error interrupted a statement that may succeed when
/// run again: the connection closed or broken (SQLSTATE class 08, or an
/// I/O error), the query cancelled (57014: a statement timeout, or a hot
/// standby's conflict with replay), the server shutting down (57P01–57P03),
/// a serialization failure (40001, also a standby's conflict) or a
/// deadlock (40P01).
fn interrupted(e: &postgres::Error) -> bool {
    use postgres::error::SqlState;
    if e.is_closed() {
        return true;
    }
    match e.code() {
        Some(c) => {
            c.code().starts_with("08")
                || [
                    SqlState::QUERY_CANCELED,
                    SqlState::ADMIN_SHUTDOWN,
                    SqlState::CRASH_SHUTDOWN,
                    SqlState::CANNOT_CONNECT_NOW,
                    SqlState::T_R_SERIALIZATION_FAILURE,
                    SqlState::T_R_DEADLOCK_DETECTED,
                ]
                .contains(c)
        }
        None => std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>()),
    }
}

/// Rows a PostgreSQL cursor hands over at a time.
const CURSOR_BATCH: usize = 5000;

/// `?N` and `?` placeholders as PostgreSQL's `$N`, outside quoted text.
pub(crate) fn placeholders_to_dollar(sql: &str) -> String {
    rewrite_placeholders(sql, |n| format!("${n}"))
}

/// `?N` and `?` placeholders replaced by the values as SQL literals.
fn placeholders_to_literals(sql: &str, values: &[Value]) -> String {
    rewrite_placeholders(sql, |n| values.get(n - 1).map_or_else(|| "NULL".to_string(), literal))
}

/// A value as a PostgreSQL literal (standard_conforming_strings is on).
fn literal(v: &Value) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::Integer(i) => i.to_string(),
        Value::Real(f) if f.is_nan() => "'NaN'::float8".into(),
        Value::Real(f) if f.is_infinite() => {
            if *f > 0.0 { "'Infinity'::float8" } else { "'-Infinity'::float8" }.into()
        }
        Value::Real(f) => format!("{f:?}::float8"),
        Value::Text(t) => format!("'{}'", t.replace('\'', "''")),
        Value::Blob(b) => format!("'\\x{}'::bytea", crate::audit::hex(b)),
    }
}

/// `sql` with each placeholder (`?N`, or `?` numbered in order) outside quoted
/// text and comments replaced by `with(N)`.
fn rewrite_placeholders(sql: &str, with: impl Fn(usize) -> String) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut next = 1;
    let mut chars = sql.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == q {
                    quote = None;
                }
            }
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                out.push(c);
            }
            None if c == '-' && chars.peek() == Some(&'-') => {
                // A comment runs to the end of the line.
                out.push(c);
                for d in chars.by_ref() {
                    out.push(d);
                    if d == '\n' {
                        break;
                    }
                }
            }
            None if c == '?' => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                let n = match digits.parse::<usize>() {
                    Ok(n) => n,
                    Err(_) => {
                        next += 1;
                        next - 1
                    }
                };
                out.push_str(&with(n));
            }
            None => out.push(c),
        }
    }
    out
}

/// Parameters: rusqlite's (`params![..]`, `[x, y]`, `[]`), as owned values.
pub(crate) trait Params {
    fn values(&self) -> Result<Vec<Value>, StoreError>;
}

fn owned(p: &dyn ToSql) -> Result<Value, StoreError> {
    Ok(match p.to_sql()? {
        ToSqlOutput::Borrowed(v) => v.into(),
        ToSqlOutput::Owned(v) => v,
        other => return Err(StoreError::Backend { detail: format!("unsupported parameter {other:?}") }),
    })
}

impl Params for &[&dyn ToSql] {
    fn values(&self) -> Result<Vec<Value>, StoreError> {
        self.iter().map(|p| owned(*p)).collect()
    }
}

/// No parameters: `()` (rusqlite's `[]`, whose element type cannot be inferred here).
impl Params for () {
    fn values(&self) -> Result<Vec<Value>, StoreError> {
        Ok(Vec::new())
    }
}

impl<T: ToSql, const N: usize> Params for [T; N] {
    fn values(&self) -> Result<Vec<Value>, StoreError> {
        self.iter().map(|p| owned(p)).collect()
    }
}

impl Params for Vec<Value> {
    fn values(&self) -> Result<Vec<Value>, StoreError> {
        Ok(self.clone())
    }
}

/// A row being read.
pub(crate) enum Row<'r> {
    Sqlite(&'r rusqlite::Row<'r>),
    Postgres(Vec<Value>),
}

impl Row<'_> {
    /// How many columns the row has.
    pub(crate) fn len(&self) -> usize {
        match self {
            Row::Sqlite(r) => r.as_ref().column_count(),
            Row::Postgres(v) => v.len(),
        }
    }

    /// Column `i` as a SQLite value, whichever the backend.
    pub(crate) fn get_ref(&self, i: usize) -> Result<ValueRef<'_>, StoreError> {
        match self {
            Row::Sqlite(r) => Ok(r.get_ref(i)?),
            Row::Postgres(v) => v
                .get(i)
                .map(Value::as_ref_value)
                .ok_or(StoreError::Sqlite(rusqlite::Error::InvalidColumnIndex(i))),
        }
    }

    /// Column `i` converted as rusqlite converts it.
    pub(crate) fn get<T: FromSql>(&self, i: usize) -> Result<T, StoreError> {
        match self {
            Row::Sqlite(r) => Ok(r.get(i)?),
            Row::Postgres(_) => {
                let v = self.get_ref(i)?;
                T::column_result(v).map_err(|e| {
                    StoreError::Sqlite(rusqlite::Error::FromSqlConversionFailure(
                        i,
                        v.data_type(),
                        Box::new(e),
                    ))
                })
            }
        }
    }
}

/// `Value::as_ref` under a name that does not clash with `AsRef`.
trait AsRefValue {
    fn as_ref_value(&self) -> ValueRef<'_>;
}
impl AsRefValue for Value {
    fn as_ref_value(&self) -> ValueRef<'_> {
        match self {
            Value::Null => ValueRef::Null,
            Value::Integer(i) => ValueRef::Integer(*i),
            Value::Real(f) => ValueRef::Real(*f),
            Value::Text(t) => ValueRef::Text(t.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }
    }
}

fn decode(row: &postgres::Row) -> Result<Vec<Value>, StoreError> {
    (0..row.len()).map(|i| row.try_get::<_, PgValue>(i).map(|v| v.0).map_err(|e| pg_error(e, ""))).collect()
}

/// A prepared statement.
pub(crate) enum Stmt<'c> {
    Sqlite(rusqlite::CachedStatement<'c>),
    /// Prepared when first run, when the parameters' values are known.
    Postgres(&'c Pg, String),
}

impl Stmt<'_> {
    pub(crate) fn execute(&mut self, params: impl Params) -> Result<usize, StoreError> {
        let values = params.values()?;
        match self {
            Stmt::Sqlite(s) => Ok(s.execute(rusqlite::params_from_iter(values))?),
            Stmt::Postgres(pg, s) => pg.execute(s, &values),
        }
    }

    /// The first row, mapped; an error when there is none (see [`OptionalExtension`]).
    pub(crate) fn query_row<T>(
        &mut self,
        params: impl Params,
        f: impl FnOnce(&Row<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let values = params.values()?;
        match self {
            Stmt::Sqlite(s) => {
                let mut rows = s.query(rusqlite::params_from_iter(values))?;
                match rows.next()? {
                    Some(r) => f(&Row::Sqlite(r)),
                    None => Err(StoreError::Sqlite(rusqlite::Error::QueryReturnedNoRows)),
                }
            }
            Stmt::Postgres(pg, s) => {
                let rows = pg.query(s, &values)?;
                match rows.first() {
                    Some(r) => f(&Row::Postgres(decode(r)?)),
                    None => Err(StoreError::Sqlite(rusqlite::Error::QueryReturnedNoRows)),
                }
            }
        }
    }

    /// Every row, mapped, as an iterator.
    pub(crate) fn query_map<T, F>(
        &mut self,
        params: impl Params,
        f: F,
    ) -> Result<MappedRows<'_, F>, StoreError>
    where
        F: FnMut(&Row<'_>) -> Result<T, StoreError>,
    {
        let values = params.values()?;
        Ok(match self {
            Stmt::Sqlite(s) => MappedRows::Sqlite(s.query(rusqlite::params_from_iter(values))?, f),
            Stmt::Postgres(pg, s) => MappedRows::Postgres(pg.query(s, &values)?.into_iter(), f),
        })
    }

    /// The rows, to walk with [`Rows::next`].
    pub(crate) fn query(&mut self, params: impl Params) -> Result<Rows<'_>, StoreError> {
        let values = params.values()?;
        Ok(match self {
            Stmt::Sqlite(s) => Rows::Sqlite(s.query(rusqlite::params_from_iter(values))?),
            Stmt::Postgres(pg, s) => Rows::Postgres(pg.query(s, &values)?.into_iter()),
        })
    }

    /// How many columns the result has.
    pub(crate) fn column_count(&self) -> usize {
        match self {
            Stmt::Sqlite(s) => s.column_count(),
            Stmt::Postgres(pg, sql) => pg.prepare(sql, None).map(|s| s.columns().len()).unwrap_or(0),
        }
    }

    /// The names of the result's columns.
    pub(crate) fn column_names(&self) -> Vec<String> {
        match self {
            Stmt::Sqlite(s) => s.column_names().into_iter().map(str::to_string).collect(),
            Stmt::Postgres(pg, sql) => pg
                .prepare(sql, None)
                .map(|s| s.columns().iter().map(|c| c.name().to_string()).collect())
                .unwrap_or_default(),
        }
    }
}

/// Rows walked one by one.
pub(crate) enum Rows<'s> {
    Sqlite(rusqlite::Rows<'s>),
    Postgres(std::vec::IntoIter<postgres::Row>),
}

impl Rows<'_> {
    #[allow(clippy::should_implement_trait)]
    pub(crate) fn next(&mut self) -> Result<Option<Row<'_>>, StoreError> {
        match self {
            Rows::Sqlite(r) => Ok(r.next()?.map(Row::Sqlite)),
            Rows::Postgres(it) => match it.next() {
                Some(r) => Ok(Some(Row::Postgres(decode(&r)?))),
                None => Ok(None),
            },
        }
    }
}

/// An iterator of mapped rows.
pub(crate) enum MappedRows<'s, F> {
    Sqlite(rusqlite::Rows<'s>, F),
    Postgres(std::vec::IntoIter<postgres::Row>, F),
}

impl<T, F: FnMut(&Row<'_>) -> Result<T, StoreError>> Iterator for MappedRows<'_, F> {
    type Item = Result<T, StoreError>;
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            MappedRows::Sqlite(rows, f) => match rows.next() {
                Ok(Some(r)) => Some(f(&Row::Sqlite(r))),
                Ok(None) => None,
                Err(e) => Some(Err(e.into())),
            },
            MappedRows::Postgres(it, f) => {
                let r = it.next()?;
                Some(decode(&r).and_then(|v| f(&Row::Postgres(v))))
            }
        }
    }
}

impl Db {
    pub(crate) fn dialect(&self) -> Dialect {
        match self {
            Db::Sqlite(_) => Dialect::Sqlite,
            Db::Postgres(_) => Dialect::Postgres,
        }
    }

    /// A statement, prepared once per connection and kept.
    pub(crate) fn prepare_cached(&self, sql: &str) -> Result<Stmt<'_>, StoreError> {
        match self {
            Db::Sqlite(c) => Ok(Stmt::Sqlite(c.prepare_cached(sql)?)),
            Db::Postgres(pg) => Ok(Stmt::Postgres(pg, sql.to_string())),
        }
    }

    /// Hands `each` every row of `one` for one record (`key`, its only
    /// parameter) or, with no key, of `all` for every record. Two texts
    /// rather than `?1 IS NULL OR x = ?1`, which no index serves: reading one
    /// record by that OR reads them all, once per record asked for.
    pub(crate) fn keyed_rows(
        &self,
        key: Option<&str>,
        (one, all): (&str, &str),
        mut each: impl FnMut(&Row<'_>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut stmt = self.prepare_cached(if key.is_some() { one } else { all })?;
        let mut rows = match key {
            Some(key) => stmt.query([key])?,
            None => stmt.query(())?,
        };
        while let Some(r) = rows.next()? {
            each(&r)?;
        }
        Ok(())
    }

    /// A statement run once (on PostgreSQL kept all the same: the cache is per connection).
    pub(crate) fn prepare(&self, sql: &str) -> Result<Stmt<'_>, StoreError> {
        self.prepare_cached(sql)
    }

    pub(crate) fn execute(&self, sql: &str, params: impl Params) -> Result<usize, StoreError> {
        self.prepare_cached(sql)?.execute(params)
    }

    pub(crate) fn query_row<T>(
        &self,
        sql: &str,
        params: impl Params,
        f: impl FnOnce(&Row<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.prepare_cached(sql)?.query_row(params, f)
    }

    /// Every row of a query that may be long (a whole layer, the history),
    /// passed to `f` until it returns `Ok(false)`; `f` may run other
    /// statements between rows. SQLite steps through the rows; PostgreSQL
    /// reads them through a server-side cursor a batch at a time, so memory
    /// holds one batch whatever the size.
    pub(crate) fn for_each(
        &self,
        sql: &str,
        params: impl Params,
        f: &mut dyn FnMut(&Row<'_>) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError> {
        self.for_each_in(sql, params, CURSOR_BATCH, f)
    }

    /// [`Db::for_each`], PostgreSQL's cursor fetching `batch` rows at a time
    /// (a few for rows of megabytes: attached files).
    pub(crate) fn for_each_in(
        &self,
        sql: &str,
        params: impl Params,
        batch: usize,
        f: &mut dyn FnMut(&Row<'_>) -> Result<bool, StoreError>,
    ) -> Result<(), StoreError> {
        match self {
            Db::Sqlite(_) => {
                let mut stmt = self.prepare_cached(sql)?;
                let mut rows = stmt.query(params)?;
                while let Some(row) = rows.next()? {
                    if !f(&row)? {
                        break;
                    }
                }
                Ok(())
            }
            Db::Postgres(pg) => pg.for_each(sql, (&params.values()?, batch.max(1)), f),
        }
    }

    /// Statements separated by semicolons, without parameters.
    pub(crate) fn execute_batch(&self, sql: &str) -> Result<(), StoreError> {
        match self {
            Db::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Db::Postgres(pg) => pg.batch(sql),
        }
    }

    /// Opens a write transaction. SQLite: `BEGIN IMMEDIATE` (one writer per
    /// file). PostgreSQL: `BEGIN`, then the register's write lock (a
    /// transaction-scoped advisory lock), so writers queue instead of
    /// deadlocking or losing updates: every write appends to one hash chain
    /// (the sealed history), which orders them anyway.
    pub(crate) fn begin_write(&self) -> Result<Tx<'_>, StoreError> {
        match self {
            Db::Sqlite(c) => c.execute_batch("BEGIN IMMEDIATE")?,
            Db::Postgres(pg) => {
                pg.batch(&format!("BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK})"))?;
                pg.in_transaction.set(true);
            }
        }
        Ok(Tx { db: self, open: true })
    }

    /// Opens a transaction that holds the advisory `locks` (PostgreSQL) for
    /// its length, taken in ascending order (so that two holders never wait
    /// on each other), so that holders of the same lock take turns without
    /// waiting on the register's writers; on SQLite, a write transaction.
    pub(crate) fn begin_locked(&self, locks: &[i64]) -> Result<Tx<'_>, StoreError> {
        match self {
            Db::Sqlite(c) => c.execute_batch("BEGIN IMMEDIATE")?,
            Db::Postgres(pg) => {
                let mut locks = locks.to_vec();
                locks.sort_unstable();
                locks.dedup();
                let take: String =
                    locks.iter().map(|l| format!("; SELECT pg_advisory_xact_lock({l})")).collect();
                pg.batch(&format!("BEGIN{take}"))?;
                pg.in_transaction.set(true);
            }
        }
        Ok(Tx { db: self, open: true })
    }

    /// Opens a read-only transaction: every query in it sees one state of the
    /// register (SQLite: a deferred transaction; PostgreSQL: repeatable read).
    pub(crate) fn begin_read(&self) -> Result<Tx<'_>, StoreError> {
        match self {
            Db::Sqlite(c) => c.execute_batch("BEGIN DEFERRED")?,
            Db::Postgres(pg) => {
                pg.batch("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?;
                pg.in_transaction.set(true);
            }
        }
        Ok(Tx { db: self, open: true })
    }
}

/// The key of the advisory lock every writer of a PostgreSQL register takes
/// ("sgwrite" in ASCII).
pub(crate) const WRITE_LOCK: i64 = 0x0073_6777_7269_7465;

/// An open transaction: rolled back when dropped without [`Tx::commit`].
pub(crate) struct Tx<'c> {
    db: &'c Db,
    open: bool,
}

impl Tx<'_> {
    pub(crate) fn commit(mut self) -> Result<(), StoreError> {
        self.open = false;
        self.ended();
        self.db.execute_batch("COMMIT")
    }

    fn ended(&self) {
        if let Db::Postgres(pg) = self.db {
            pg.in_transaction.set(false);
        }
    }
}

impl std::ops::Deref for Tx<'_> {
    type Target = Db;
    fn deref(&self) -> &Db {
        self.db
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if self.open {
            self.ended();
            // Nothing more can be done about a failed rollback: the connection
            // is dropped with the store, which ends the transaction too.
            let _ = self.db.execute_batch("ROLLBACK");
        }
    }
}

/// `query_row(..).optional()`: no row is `None`, not an error.
pub(crate) trait OptionalExtension<T> {
    fn optional(self) -> Result<Option<T>, StoreError>;
}

impl<T> OptionalExtension<T> for Result<T, StoreError> {
    fn optional(self) -> Result<Option<T>, StoreError> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(StoreError::Sqlite(rusqlite::Error::QueryReturnedNoRows)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// A parameter sent to PostgreSQL as the type the server inferred for it.
#[derive(Debug)]
struct PgParam<'a>(&'a Value);

impl PgToSql for PgParam<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        let mismatch = || -> Box<dyn std::error::Error + Sync + Send> {
            format!("a {} cannot be sent as PostgreSQL {ty}", kind_name(self.0)).into()
        };
        match self.0 {
            Value::Null => Ok(IsNull::Yes),
            Value::Integer(i) => match *ty {
                Type::INT8 => PgToSql::to_sql(&i, ty, out),
                Type::INT4 => PgToSql::to_sql(&i32::try_from(*i).map_err(|_| mismatch())?, ty, out),
                Type::INT2 => PgToSql::to_sql(&i16::try_from(*i).map_err(|_| mismatch())?, ty, out),
                Type::FLOAT8 => PgToSql::to_sql(&(*i as f64), ty, out),
                Type::FLOAT4 => PgToSql::to_sql(&(*i as f32), ty, out),
                Type::BOOL => PgToSql::to_sql(&(*i != 0), ty, out),
                Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                    PgToSql::to_sql(&i.to_string(), &Type::TEXT, out)
                }
                _ => Err(mismatch()),
            },
            Value::Real(f) => match *ty {
                Type::FLOAT8 => PgToSql::to_sql(&f, ty, out),
                Type::FLOAT4 => PgToSql::to_sql(&(*f as f32), ty, out),
                Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                    PgToSql::to_sql(&f.to_string(), &Type::TEXT, out)
                }
                _ => Err(mismatch()),
            },
            Value::Text(s) => match *ty {
                Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                    PgToSql::to_sql(&s.as_str(), &Type::TEXT, out)
                }
                Type::INT8 => PgToSql::to_sql(&s.trim().parse::<i64>().map_err(|_| mismatch())?, ty, out),
                Type::INT4 => PgToSql::to_sql(&s.trim().parse::<i32>().map_err(|_| mismatch())?, ty, out),
                Type::FLOAT8 => PgToSql::to_sql(&s.trim().parse::<f64>().map_err(|_| mismatch())?, ty, out),
                Type::BYTEA => PgToSql::to_sql(&s.as_bytes(), ty, out),
                _ => Err(mismatch()),
            },
            Value::Blob(b) => match *ty {
                Type::BYTEA => PgToSql::to_sql(&b.as_slice(), ty, out),
                _ => Err(mismatch()),
            },
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Integer(_) => "integer",
        Value::Real(_) => "real number",
        Value::Text(_) => "text",
        Value::Blob(_) => "blob",
    }
}

/// A PostgreSQL column read as one of SQLite's five value kinds.
struct PgValue(Value);

impl<'a> PgFromSql<'a> for PgValue {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(PgValue(match *ty {
            Type::INT8 => Value::Integer(i64::from_sql(ty, raw)?),
            Type::INT4 => Value::Integer(i32::from_sql(ty, raw)?.into()),
            Type::INT2 => Value::Integer(i16::from_sql(ty, raw)?.into()),
            Type::OID => Value::Integer(u32::from_sql(ty, raw)?.into()),
            Type::BOOL => Value::Integer(bool::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => Value::Real(f32::from_sql(ty, raw)?.into()),
            Type::NUMERIC => numeric(raw)?,
            Type::BYTEA => Value::Blob(raw.to_vec()),
            _ => Value::Text(String::from_utf8(raw.to_vec())?),
        }))
    }

    fn from_sql_null(_: &Type) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(PgValue(Value::Null))
    }

    fn accepts(ty: &Type) -> bool {
        matches!(
            *ty,
            Type::INT8
                | Type::INT4
                | Type::INT2
                | Type::OID
                | Type::BOOL
                | Type::FLOAT8
                | Type::FLOAT4
                | Type::NUMERIC
                | Type::BYTEA
                | Type::TEXT
                | Type::VARCHAR
                | Type::BPCHAR
                | Type::NAME
                | Type::UNKNOWN
                | Type::JSON
        )
    }
}

/// PostgreSQL's binary NUMERIC (what `sum` of a bigint returns): an integer
/// when it has no fraction and fits, a double otherwise.
fn numeric(raw: &[u8]) -> Result<Value, Box<dyn std::error::Error + Sync + Send>> {
    let word = |i: usize| -> Result<u16, Box<dyn std::error::Error + Sync + Send>> {
        raw.get(i..i + 2).map(|b| u16::from_be_bytes([b[0], b[1]])).ok_or_else(|| "short NUMERIC".into())
    };
    let ndigits = word(0)? as usize;
    let weight = word(2)? as i16 as i32;
    let sign = word(4)?;
    let dscale = word(6)?;
    if sign == 0xC000 {
        return Ok(Value::Real(f64::NAN));
    }
    let mut int: i128 = 0;
    let mut real = 0f64;
    let mut integral = dscale == 0;
    for k in 0..ndigits {
        let d = word(8 + 2 * k)? as i128;
        let power = weight - k as i32;
        real += d as f64 * 10000f64.powi(power);
        if power >= 0 {
            int = int.saturating_add(d.saturating_mul(10000i128.saturating_pow(power as u32)));
        } else if d != 0 {
            integral = false;
        }
    }
    let negative = sign == 0x4000;
    if integral {
        if let Ok(i) = i64::try_from(if negative { -int } else { int }) {
            return Ok(Value::Integer(i));
        }
    }
    Ok(Value::Real(if negative { -real } else { real }))
}

/// A value in COPY's text format.
pub(crate) fn copy_text(out: &mut Vec<u8>, v: ValueRef<'_>) {
    match v {
        ValueRef::Null => out.extend_from_slice(b"\\N"),
        ValueRef::Integer(i) => out.extend_from_slice(i.to_string().as_bytes()),
        ValueRef::Real(f) => out.extend_from_slice(format!("{f:?}").as_bytes()),
        ValueRef::Text(t) => {
            for &b in t {
                match b {
                    b'\\' => out.extend_from_slice(b"\\\\"),
                    b'\t' => out.extend_from_slice(b"\\t"),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    _ => out.push(b),
                }
            }
        }
        ValueRef::Blob(b) => {
            out.extend_from_slice(b"\\\\x");
            crate::audit::hex_into(out, b);
        }
    }
}

/// Rows in COPY's text format sent by `sql` (`COPY … FROM STDIN`).
pub(crate) fn copy_in(db: &Db, sql: &str, data: &[u8]) -> Result<(), StoreError> {
    use std::io::Write;
    let Db::Postgres(pg) = db else {
        return Err(StoreError::Backend { detail: "COPY is PostgreSQL's".into() });
    };
    let mut client = pg.client()?;
    let mut w = client.copy_in(sql).map_err(|e| pg_error(e, sql))?;
    w.write_all(data).map_err(|e| StoreError::Backend { detail: format!("{sql}: {e}") })?;
    w.finish().map_err(|e| pg_error(e, sql))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_dollars_outside_quotes() {
        assert_eq!(
            placeholders_to_dollar(
                "SELECT a FROM t WHERE b = ?1 AND c = '?2' AND d = ?12 -- what?\n AND e = ?"
            ),
            "SELECT a FROM t WHERE b = $1 AND c = '?2' AND d = $12 -- what?\n AND e = $1"
        );
    }

    #[test]
    fn literals_are_quoted_and_typed() {
        let values =
            [Value::Text("O'Brien".into()), Value::Integer(-3), Value::Null, Value::Blob(vec![0xab])];
        assert_eq!(
            placeholders_to_literals("SELECT ?1, ?2, ?3, ?4, '?1'", &values),
            "SELECT 'O''Brien', -3, NULL, '\\xab'::bytea, '?1'"
        );
        assert_eq!(literal(&Value::Real(0.5)), "0.5::float8");
    }

    #[test]
    fn numeric_decodes_integers_and_fractions() {
        // 12345678: ndigits 2, weight 1, sign +, dscale 0, digits 1234 5678.
        let raw = [0, 2, 0, 1, 0, 0, 0, 0, 0x04, 0xD2, 0x16, 0x2E];
        assert_eq!(numeric(&raw).unwrap(), Value::Integer(12_345_678));
        // -1.5: ndigits 2, weight 0, sign -, dscale 1, digits 1 5000.
        let raw = [0, 2, 0, 0, 0x40, 0, 0, 1, 0, 1, 0x13, 0x88];
        assert_eq!(numeric(&raw).unwrap(), Value::Real(-1.5));
    }
}
