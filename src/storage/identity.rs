//! Identity verification: photos, consents, verification runs and the review queue.

use sqlx::Row;

use super::{Db, DbResult, FileRow, new_id};

/// Outcomes of automated runs, the ones the daily limit counts.
const AUTOMATED: &str = "('passed', 'failed', 'review')";

/// One verification run or staff decision.
#[derive(Debug, Clone)]
pub struct AttemptRow {
    pub at: i64,
    pub outcome: String,
    /// JSON array of Chinese texts.
    pub findings: String,
}

/// A candidate waiting in a registration point's queue.
#[derive(Debug, Clone)]
pub struct QueueRow {
    pub candidate_id: String,
    pub name: String,
    pub kind: String,
    pub city: String,
    pub county: String,
    pub submitted_at: i64,
    pub findings: String,
}

impl Db {
    /// Makes `file_id` the candidate's photo of `kind`; the file it replaces, if any.
    pub async fn put_identity_photo(
        &self,
        candidate_id: &str,
        purpose: &str,
        kind: &str,
        file_id: &str,
        now: i64,
    ) -> DbResult<Option<String>> {
        let mut tx = self.write.begin().await?;
        let old: Option<String> = sqlx::query(
            "SELECT file_id FROM identity_photos WHERE candidate_id = $1 AND purpose = $2 \
             AND kind = $3",
        )
        .bind(candidate_id)
        .bind(purpose)
        .bind(kind)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get("file_id"))
        .transpose()?;
        sqlx::query(
            "INSERT INTO identity_photos (candidate_id, purpose, kind, file_id, uploaded_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (candidate_id, purpose, kind) \
             DO UPDATE SET file_id = excluded.file_id, uploaded_at = excluded.uploaded_at",
        )
        .bind(candidate_id)
        .bind(purpose)
        .bind(kind)
        .bind(file_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(old)
    }

    /// The candidate's current photos for `purpose`: (kind, file).
    pub async fn identity_photos(
        &self,
        candidate_id: &str,
        purpose: &str,
    ) -> DbResult<Vec<(String, FileRow)>> {
        let rows = sqlx::query(
            "SELECT p.kind, f.id, f.object_key, f.thumb_key, f.byte_size, f.width, f.height, \
             f.sharpness FROM identity_photos p JOIN files f ON f.id = p.file_id \
             WHERE p.candidate_id = $1 AND p.purpose = $2 ORDER BY p.kind",
        )
        .bind(candidate_id)
        .bind(purpose)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("kind")?,
                    FileRow {
                        id: r.try_get("id")?,
                        object_key: r.try_get("object_key")?,
                        thumb_key: r.try_get("thumb_key")?,
                        byte_size: r.try_get("byte_size")?,
                        width: r.try_get("width")?,
                        height: r.try_get("height")?,
                        sharpness: r.try_get("sharpness")?,
                    },
                ))
            })
            .collect()
    }

    /// Forgets the candidate's photos for `purpose` (their files are removed by the caller).
    pub async fn forget_identity_photos(&self, candidate_id: &str, purpose: &str) -> DbResult<()> {
        sqlx::query("DELETE FROM identity_photos WHERE candidate_id = $1 AND purpose = $2")
            .bind(candidate_id)
            .bind(purpose)
            .execute(&self.write)
            .await
            .map(|_| ())
    }

    /// Records the consent to processing face images (the first one counts).
    pub async fn record_consent(&self, candidate_id: &str, now: i64) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO identity_consents (candidate_id, accepted_at) VALUES ($1, $2) \
             ON CONFLICT DO NOTHING",
        )
        .bind(candidate_id)
        .bind(now)
        .execute(&self.write)
        .await
        .map(|_| ())
    }

    /// Whether the candidate has consented.
    pub async fn has_consent(&self, candidate_id: &str) -> DbResult<bool> {
        let row = sqlx::query("SELECT 1 FROM identity_consents WHERE candidate_id = $1")
            .bind(candidate_id)
            .fetch_optional(&self.read)
            .await?;
        Ok(row.is_some())
    }

    /// Appends a run or decision.
    pub async fn append_attempt(
        &self,
        candidate_id: &str,
        purpose: &str,
        at: i64,
        outcome: &str,
        findings: &str,
    ) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO identity_attempts (id, candidate_id, purpose, at, outcome, findings) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(new_id())
        .bind(candidate_id)
        .bind(purpose)
        .bind(at)
        .bind(outcome)
        .bind(findings)
        .execute(&self.write)
        .await
        .map(|_| ())
    }

    /// Automated runs of a candidate since `since`, over every purpose.
    pub async fn automated_attempts_since(&self, candidate_id: &str, since: i64) -> DbResult<i64> {
        let sql = format!(
            "SELECT COUNT(*) AS n FROM identity_attempts WHERE candidate_id = $1 AND at >= $2 \
             AND outcome IN {AUTOMATED}"
        );
        sqlx::query(&sql)
            .bind(candidate_id)
            .bind(since)
            .fetch_one(&self.read)
            .await?
            .try_get("n")
    }

    /// The newest run or decision of a candidate for `purpose`.
    pub async fn latest_attempt(
        &self,
        candidate_id: &str,
        purpose: &str,
    ) -> DbResult<Option<AttemptRow>> {
        let row = sqlx::query(
            "SELECT at, outcome, findings FROM identity_attempts WHERE candidate_id = $1 \
             AND purpose = $2 ORDER BY at DESC, id DESC LIMIT 1",
        )
        .bind(candidate_id)
        .bind(purpose)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| {
            Ok(AttemptRow {
                at: r.try_get("at")?,
                outcome: r.try_get("outcome")?,
                findings: r.try_get("findings")?,
            })
        })
        .transpose()
    }

    /// The lengths of the two review queues across the province: transfer-outs
    /// waiting for a city office, and identity cases waiting for a
    /// registration point.
    pub async fn review_queue_lengths(&self) -> DbResult<(i64, i64)> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM transfer_outs WHERE state = 'pending_review') AS t, \
                    (SELECT COUNT(*) FROM candidates WHERE identity_state = 'under_review') AS i",
        )
        .fetch_one(&self.read)
        .await?;
        Ok((row.try_get("t")?, row.try_get("i")?))
    }

    /// Candidates under review, oldest submission first; `county` empty for all.
    pub async fn review_queue(&self, county: &str) -> DbResult<Vec<QueueRow>> {
        let rows = sqlx::query(
            "SELECT c.id, c.name, c.kind, c.city, c.county, a.at, a.findings \
             FROM candidates c JOIN identity_attempts a ON a.id = (\
                 SELECT id FROM identity_attempts WHERE candidate_id = c.id \
                 AND purpose = 'identity' AND outcome = 'review' ORDER BY at DESC, id DESC LIMIT 1) \
             WHERE c.identity_state = 'under_review' AND ($1 = '' OR c.county = $1) \
             ORDER BY a.at, c.id",
        )
        .bind(county)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(QueueRow {
                    candidate_id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    kind: r.try_get("kind")?,
                    city: r.try_get("city")?,
                    county: r.try_get("county")?,
                    submitted_at: r.try_get("at")?,
                    findings: r.try_get("findings")?,
                })
            })
            .collect()
    }

    /// Moves a candidate's identity state from `from` to `to`; false when it was
    /// no longer `from` (someone else decided first).
    pub async fn move_identity_state(
        &self,
        id: &str,
        from: &str,
        to: &str,
        now: i64,
    ) -> DbResult<bool> {
        let done = sqlx::query(
            "UPDATE candidates SET identity_state = $1, updated_at = $2 WHERE id = $3 \
             AND identity_state = $4",
        )
        .bind(to)
        .bind(now)
        .bind(id)
        .bind(from)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
