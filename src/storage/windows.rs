//! Business windows.

use sqlx::Row;

use super::{Db, DbResult};

impl Db {
    /// Every window that has been set: `(kind, starts_at, ends_at)`.
    pub async fn windows(&self) -> DbResult<Vec<(String, i64, i64)>> {
        if let Some(fast) = &self.fast {
            return fast.read(|c| {
                c.prepare_cached("SELECT kind, starts_at, ends_at FROM business_windows")?
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                    .collect()
            });
        }
        let rows = sqlx::query("SELECT kind, starts_at, ends_at FROM business_windows")
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("kind")?,
                    r.try_get("starts_at")?,
                    r.try_get("ends_at")?,
                ))
            })
            .collect()
    }

    /// Sets one window, replacing what was there.
    pub async fn set_window(&self, kind: &str, start: i64, end: i64, now: i64) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO business_windows (kind, starts_at, ends_at, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (kind) DO UPDATE SET starts_at = $2, \
             ends_at = $3, updated_at = $4",
        )
        .bind(kind)
        .bind(start)
        .bind(end)
        .bind(now)
        .execute(&self.write)
        .await
        .map(|_| ())
    }
}
