//! Single-use links that hand the confirmation photos over to a phone.

use sqlx::Row;

use super::{Db, DbResult};

/// A link that was redeemed: whose application it opens.
#[derive(Debug, Clone)]
pub struct HandoffRow {
    pub candidate_id: String,
    pub transfer_id: String,
}

impl Db {
    /// Stores a new link.
    pub async fn insert_handoff(
        &self,
        token_hash: &str,
        candidate_id: &str,
        transfer_id: &str,
        now: i64,
        expires_at: i64,
    ) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO handoff_links (token_hash, candidate_id, transfer_id, created_at, \
             expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(candidate_id)
        .bind(transfer_id)
        .bind(now)
        .bind(expires_at)
        .execute(&self.write)
        .await
        .map(|_| ())
    }

    /// Marks a live, unused link used; `None` when it is unknown, expired or
    /// used already. One statement, so two phones racing get one winner.
    pub async fn redeem_handoff(&self, token_hash: &str, now: i64) -> DbResult<Option<HandoffRow>> {
        let done = sqlx::query(
            "UPDATE handoff_links SET used_at = $1 \
             WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1",
        )
        .bind(now)
        .bind(token_hash)
        .execute(&self.write)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(None);
        }
        self.handoff(token_hash).await
    }

    /// A link by its hash, used or not.
    pub async fn handoff(&self, token_hash: &str) -> DbResult<Option<HandoffRow>> {
        let row = sqlx::query(
            "SELECT candidate_id, transfer_id FROM handoff_links WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.write)
        .await?;
        row.map(|r| {
            Ok(HandoffRow {
                candidate_id: r.try_get("candidate_id")?,
                transfer_id: r.try_get("transfer_id")?,
            })
        })
        .transpose()
    }

    /// Removes links that expired before `before` (their phone sessions are
    /// gone by then too).
    pub async fn delete_old_handoffs(&self, before: i64) -> DbResult<u64> {
        sqlx::query("DELETE FROM handoff_links WHERE expires_at <= $1")
            .bind(before)
            .execute(&self.write)
            .await
            .map(|r| r.rows_affected())
    }
}
