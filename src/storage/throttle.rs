//! Failed-login counts per login name, in the database so every node sees them.

use sqlx::Row;

use super::{Db, DbResult};

/// The failure record of one login name.
#[derive(Debug, Clone, Copy, Default)]
pub struct Throttle {
    pub failures: i64,
    pub locked_until: i64,
}

impl Db {
    /// The current record of a key.
    pub async fn throttle(&self, key: &str) -> DbResult<Throttle> {
        let row = sqlx::query("SELECT failures, locked_until FROM login_throttle WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.read)
            .await?;
        match row {
            Some(r) => Ok(Throttle {
                failures: r.try_get("failures")?,
                locked_until: r.try_get("locked_until")?,
            }),
            None => Ok(Throttle::default()),
        }
    }

    /// Adds one failure and returns the new count; `lock` computes the lock end
    /// from that count.
    pub async fn record_failure(
        &self,
        key: &str,
        now: i64,
        lock: impl Fn(i64) -> i64,
    ) -> DbResult<Throttle> {
        let mut tx = self.write.begin().await?;
        let failures: i64 = match sqlx::query("SELECT failures FROM login_throttle WHERE key = $1")
            .bind(key)
            .fetch_optional(&mut *tx)
            .await?
        {
            Some(r) => r.try_get::<i64, _>("failures")? + 1,
            None => 1,
        };
        let locked_until = lock(failures);
        sqlx::query(
            "INSERT INTO login_throttle (key, failures, locked_until, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO UPDATE SET failures = $2, \
             locked_until = $3, updated_at = $4",
        )
        .bind(key)
        .bind(failures)
        .bind(locked_until)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Throttle {
            failures,
            locked_until,
        })
    }

    /// Forgets the failures of a key after a successful login.
    pub async fn clear_failures(&self, key: &str) -> DbResult<()> {
        sqlx::query("DELETE FROM login_throttle WHERE key = $1")
            .bind(key)
            .execute(&self.write)
            .await
            .map(|_| ())
    }
}
