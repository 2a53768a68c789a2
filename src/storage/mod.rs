//! All SQL of the platform. One code path for SQLite (the embedded default) and
//! PostgreSQL through sqlx's `Any` driver: portable SQL with `$n` placeholders,
//! application-generated ids, timestamps as microseconds.

mod announcements;
mod audit;
mod candidates;
mod contacts;
mod exports;
mod fast;
mod files;
mod handoff;
mod identity;
pub mod import;
mod lists;
mod records;
mod scores;
mod sessions;
mod staff;
mod throttle;
mod transfer;
mod windows;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

pub use announcements::AnnouncementRow;
pub use audit::{AuditEntry, AuditFilter, AuditHead, AuditRow};
pub use candidates::{CandidateRow, IdentityCorrection, NewCandidateRow};
pub use contacts::ContactRow;
pub use exports::{IdentityExportRow, ScopeFilter, TransferExportRow, TransferGroup};
pub use files::{FileRow, FileStore};
pub use handoff::HandoffRow;
pub use identity::{AttemptRow, QueueRow};
pub use lists::ListEntryRow;
pub use records::{ExamCandidateRow, NewResultRow, PointRow};
pub use scores::{ArrangementRow, PlanCourseRow, SessionScoreRow, SpecialtyRow};
pub use sessions::SessionRow;
pub use staff::{NewStaffRow, StaffRow};
pub use throttle::Throttle;
pub use transfer::{StateChange, TransferImageRow, TransferQueueRow, TransferRow};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Which database engine is behind the pools.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The database of the platform. SQLite gets one writer connection (writes are
/// serialised in-process instead of failing with SQLITE_BUSY) and several readers;
/// PostgreSQL uses one pool for both.
#[derive(Clone)]
pub struct Db {
    read: AnyPool,
    write: AnyPool,
    backend: Backend,
    /// SQLite: the reads of every signed-in page, on the calling thread.
    fast: Option<Arc<fast::FastReads>>,
}

/// A storage failure; its text is for the log only.
pub type DbResult<T> = Result<T, sqlx::Error>;

impl Db {
    /// Connects, sets SQLite's pragmas, and applies the migrations; `wait` is
    /// how long a query waits for a free or new connection before it fails
    /// with a pool time-out (answered 503).
    pub async fn connect(url: &str, max_connections: u32, wait: Duration) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            anyhow::bail!("the database URL must start with sqlite: or postgres:");
        };
        let options = AnyConnectOptions::from_str(url)?;
        let pool = |max: u32| {
            AnyPoolOptions::new()
                .max_connections(max)
                .min_connections(if backend == Backend::Sqlite { 1 } else { 0 })
                .acquire_timeout(wait)
                .after_connect(move |conn, _| {
                    Box::pin(async move {
                        if backend == Backend::Sqlite {
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                                 PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;",
                            )
                            .await?;
                        }
                        Ok(())
                    })
                })
        };
        let (read, write) = match backend {
            Backend::Sqlite => {
                let write = pool(1).connect_with(options.clone()).await?;
                MIGRATOR.run(&write).await?;
                let read = pool(max_connections.max(2)).connect_with(options).await?;
                (read, write)
            }
            Backend::Postgres => {
                let p = pool(max_connections).connect_with(options).await?;
                MIGRATOR.run(&p).await?;
                (p.clone(), p)
            }
        };
        let fast = match backend {
            Backend::Sqlite => {
                fast::FastReads::for_url(url, max_connections as usize).map(Arc::new)
            }
            Backend::Postgres => None,
        };
        Ok(Self {
            read,
            write,
            backend,
            fast,
        })
    }

    /// The engine in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> DbResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.read)
            .await
            .map(|_| ())
    }

    /// Closes every connection (checkpointing SQLite's WAL).
    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}

/// Microseconds since the epoch, as stored.
pub fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

/// An instant from stored microseconds.
pub fn from_micros(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or_default()
}

/// A new random row id.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}
