//! Server-side sessions, shared by every node through the database.

use rusqlite::OptionalExtension;

use super::fast::Fields;

use super::{Db, DbResult};

/// A live session.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub token_hash: String,
    pub subject_kind: String,
    pub subject_id: String,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

/// A session from a row of either driver.
fn from_row<R: Fields>(r: &R) -> Result<SessionRow, R::Error> {
    Ok(SessionRow {
        token_hash: r.field("token_hash")?,
        subject_kind: r.field("subject_kind")?,
        subject_id: r.field("subject_id")?,
        last_seen_at: r.field("last_seen_at")?,
        expires_at: r.field("expires_at")?,
    })
}

impl Db {
    /// Stores a new session.
    pub async fn insert_session(
        &self,
        token_hash: &str,
        subject_kind: &str,
        subject_id: &str,
        now: i64,
        expires_at: i64,
    ) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, subject_kind, subject_id, created_at, \
             last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $4, $5)",
        )
        .bind(token_hash)
        .bind(subject_kind)
        .bind(subject_id)
        .bind(now)
        .bind(expires_at)
        .execute(&self.write)
        .await
        .map(|_| ())
    }

    /// Changes what a session may do (a recovery whose photos passed).
    pub async fn set_session_kind(&self, token_hash: &str, subject_kind: &str) -> DbResult<()> {
        sqlx::query("UPDATE sessions SET subject_kind = $1 WHERE token_hash = $2")
            .bind(subject_kind)
            .bind(token_hash)
            .execute(&self.write)
            .await
            .map(|_| ())
    }

    /// The session of a token hash.
    pub async fn session(&self, token_hash: &str) -> DbResult<Option<SessionRow>> {
        if let Some(fast) = &self.fast {
            return fast.read(|c| {
                c.prepare_cached(
                    "SELECT token_hash, subject_kind, subject_id, last_seen_at, expires_at \
                     FROM sessions WHERE token_hash = ?1",
                )?
                .query_row([token_hash], |r| from_row(r))
                .optional()
            });
        }
        let row = sqlx::query(
            "SELECT token_hash, subject_kind, subject_id, last_seen_at, expires_at \
             FROM sessions WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// Records activity on a session (for the idle timeout).
    pub async fn touch_session(&self, token_hash: &str, now: i64) -> DbResult<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(now)
            .bind(token_hash)
            .execute(&self.write)
            .await
            .map(|_| ())
    }

    /// Ends one session.
    pub async fn delete_session(&self, token_hash: &str) -> DbResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.write)
            .await
            .map(|_| ())
    }

    /// Ends every session of one person.
    pub async fn delete_sessions_of(&self, subject_kind: &str, subject_id: &str) -> DbResult<()> {
        sqlx::query("DELETE FROM sessions WHERE subject_kind = $1 AND subject_id = $2")
            .bind(subject_kind)
            .bind(subject_id)
            .execute(&self.write)
            .await
            .map(|_| ())
    }

    /// Removes sessions past their absolute or idle limit.
    pub async fn delete_expired_sessions(&self, now: i64, idle_before: i64) -> DbResult<u64> {
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2")
            .bind(now)
            .bind(idle_before)
            .execute(&self.write)
            .await
            .map(|r| r.rows_affected())
    }
}
