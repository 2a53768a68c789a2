//! The reads of every signed-in page, straight from SQLite on the calling
//! thread.
//!
//! sqlx runs each SQLite connection on a thread of its own and hands every
//! statement and every row across by channel; on a page that reads a session,
//! an account, the windows and the messages, those hand-offs cost about ten
//! times the SQL itself (BENCHMARKS.md, "The page ceiling"). These few reads,
//! point look-ups of a few microseconds on an indexed key, run instead on a
//! small set of read-only connections of this node, on the thread that asks.
//! SQLite in WAL mode never makes a reader wait for the writer, so the thread
//! is held for the look-up alone. Writes, and every other read, still go
//! through the pools of [`Db`](super::Db); PostgreSQL has no such path.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::DbResult;

/// Read-only connections to one SQLite file, reused one request at a time.
pub(crate) struct FastReads {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    keep: usize,
}

impl FastReads {
    /// The fast reads of a `sqlite:` URL naming a file; `None` for anything
    /// else (an in-memory database, where each connection would see another).
    pub(crate) fn for_url(url: &str, keep: usize) -> Option<Self> {
        let rest = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))?;
        let (path, options) = rest.split_once('?').unwrap_or((rest, ""));
        if path.is_empty() || path.starts_with(':') || options.contains("mode=memory") {
            return None;
        }
        let path = percent_encoding::percent_decode_str(path)
            .decode_utf8()
            .ok()?
            .into_owned();
        Some(Self {
            path: PathBuf::from(path),
            idle: Mutex::new(Vec::new()),
            keep: keep.max(1),
        })
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(2))?;
        conn.set_prepared_statement_cache_capacity(32);
        Ok(conn)
    }

    /// Runs `read` on an idle connection (opening one when none is idle).
    pub(crate) fn read<T>(
        &self,
        read: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> DbResult<T> {
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let conn = match idle {
            Some(conn) => conn,
            None => self.open().map_err(to_sqlx)?,
        };
        let result = read(&conn).map_err(to_sqlx);
        if result.is_ok()
            && let Ok(mut idle) = self.idle.lock()
            && idle.len() < self.keep
        {
            idle.push(conn);
        }
        result
    }
}

/// A value either driver can read from a column.
pub(crate) trait Field:
    rusqlite::types::FromSql + for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>
{
}

impl<T> Field for T where
    T: rusqlite::types::FromSql + for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>
{
}

/// A row of either driver, read by column name, so that one mapping serves
/// the pools and the fast reads.
pub(crate) trait Fields {
    type Error;
    fn field<T: Field>(&self, name: &str) -> Result<T, Self::Error>;
}

impl Fields for sqlx::any::AnyRow {
    type Error = sqlx::Error;
    fn field<T: Field>(&self, name: &str) -> Result<T, sqlx::Error> {
        sqlx::Row::try_get(self, name)
    }
}

impl Fields for rusqlite::Row<'_> {
    type Error = rusqlite::Error;
    fn field<T: Field>(&self, name: &str) -> rusqlite::Result<T> {
        self.get(name)
    }
}

/// A SQLite error as the pools' error type: busy and locked as I/O (answered
/// 503 系统繁忙, as the pools' own), anything else as a driver error.
fn to_sqlx(e: rusqlite::Error) -> sqlx::Error {
    use rusqlite::ErrorCode::{DatabaseBusy, DatabaseLocked};
    match e.sqlite_error_code() {
        Some(DatabaseBusy | DatabaseLocked) => sqlx::Error::Io(std::io::Error::other(e)),
        _ => sqlx::Error::Protocol(format!("sqlite: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_get_fast_reads() {
        assert!(FastReads::for_url("sqlite://data/zikao.db?mode=rwc", 4).is_some());
        assert!(FastReads::for_url("sqlite:zikao.db", 4).is_some());
        assert!(FastReads::for_url("sqlite::memory:", 4).is_none());
        assert!(FastReads::for_url("sqlite://x.db?mode=memory&cache=shared", 4).is_none());
        assert!(FastReads::for_url("postgres://u@h/db", 4).is_none());
    }
}
