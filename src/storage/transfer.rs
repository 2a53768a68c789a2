//! 省际转出 applications and their images.

use std::collections::HashMap;

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Db, DbResult, new_id};

/// An application as stored.
#[derive(Debug, Clone)]
pub struct TransferRow {
    pub id: String,
    pub candidate_id: String,
    pub city: String,
    pub window_start: i64,
    pub window_end: i64,
    pub state: String,
    pub target_province: String,
    pub reason: String,
    pub target_ticket: String,
    pub target_specialty_name: Option<String>,
    pub target_specialty_code: Option<String>,
    pub target_specialty_level: Option<String>,
    pub correction_note: Option<String>,
    pub decision: Option<String>,
    pub decision_reason: Option<String>,
    pub decided_at: Option<i64>,
    pub created_at: i64,
    pub submitted_at: Option<i64>,
    pub confirmed_at: Option<i64>,
    /// Rejections this application received.
    pub rejections: i64,
}

/// One image of an application.
#[derive(Debug, Clone)]
pub struct TransferImageRow {
    pub id: String,
    pub kind: String,
    pub file_id: String,
}

const COLUMNS: &str = "id, candidate_id, city, window_start, window_end, state, target_province, \
     reason, target_ticket, target_specialty_name, target_specialty_code, target_specialty_level, \
     correction_note, decision, decision_reason, decided_at, created_at, submitted_at, confirmed_at, \
     rejections";

fn from_row(r: &AnyRow) -> DbResult<TransferRow> {
    Ok(TransferRow {
        id: r.try_get("id")?,
        candidate_id: r.try_get("candidate_id")?,
        city: r.try_get("city")?,
        window_start: r.try_get("window_start")?,
        window_end: r.try_get("window_end")?,
        state: r.try_get("state")?,
        target_province: r.try_get("target_province")?,
        reason: r.try_get("reason")?,
        target_ticket: r.try_get("target_ticket")?,
        target_specialty_name: r.try_get("target_specialty_name")?,
        target_specialty_code: r.try_get("target_specialty_code")?,
        target_specialty_level: r.try_get("target_specialty_level")?,
        correction_note: r.try_get("correction_note")?,
        decision: r.try_get("decision")?,
        decision_reason: r.try_get("decision_reason")?,
        decided_at: r.try_get("decided_at")?,
        created_at: r.try_get("created_at")?,
        submitted_at: r.try_get("submitted_at")?,
        confirmed_at: r.try_get("confirmed_at")?,
        rejections: r.try_get("rejections")?,
    })
}

/// An application of a reviewer's queue with what the list shows of its
/// candidate.
#[derive(Debug, Clone)]
pub struct TransferQueueRow {
    pub transfer: TransferRow,
    pub name: String,
    pub ticket: Option<String>,
    pub id_number_enc: String,
}

/// Values of one `IN (…)` list at most.
const IN_LIST: usize = 500;

/// `$1, $2, …` for an `IN (…)` list of `n` values.
fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a state change writes besides the state.
#[derive(Debug, Clone, Default)]
pub struct StateChange<'a> {
    pub correction_note: Option<&'a str>,
    pub decision: Option<&'a str>,
    pub decision_reason: Option<&'a str>,
    pub decided_by: Option<&'a str>,
    pub stamp_submitted: bool,
    pub stamp_confirmed: bool,
    pub stamp_decided: bool,
    pub count_rejection: bool,
}

impl Db {
    /// Stores a new draft.
    pub async fn insert_transfer(&self, t: &TransferRow) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO transfer_outs (id, candidate_id, city, window_start, window_end, state, \
             target_province, reason, target_ticket, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
        )
        .bind(&t.id)
        .bind(&t.candidate_id)
        .bind(&t.city)
        .bind(t.window_start)
        .bind(t.window_end)
        .bind(&t.state)
        .bind(&t.target_province)
        .bind(&t.reason)
        .bind(&t.target_ticket)
        .bind(t.created_at)
        .execute(&self.write)
        .await
        .map(|_| ())
    }

    /// One application.
    pub async fn transfer(&self, id: &str) -> DbResult<Option<TransferRow>> {
        let sql = format!("SELECT {COLUMNS} FROM transfer_outs WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// A candidate's applications of one window, oldest first.
    pub async fn transfers_of(&self, candidate_id: &str) -> DbResult<Vec<TransferRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM transfer_outs WHERE candidate_id = $1 ORDER BY created_at"
        );
        let rows = sqlx::query(&sql)
            .bind(candidate_id)
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(from_row).collect()
    }

    /// One page of the applications of a city (or all when `city` is None) in
    /// a state, oldest confirmation first, each with what the list shows of
    /// its candidate. Two statement shapes, so that each has an index that
    /// yields its rows in order (`transfer_outs_city_queue`,
    /// `transfer_outs_state_queue`) and reads only the page.
    pub async fn transfer_queue(
        &self,
        city: Option<&str>,
        state: &str,
        limit: i64,
        offset: i64,
    ) -> DbResult<Vec<TransferQueueRow>> {
        let columns = COLUMNS
            .split(", ")
            .map(|c| format!("t.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let select = format!(
            "SELECT {columns}, c.name AS c_name, c.ticket AS c_ticket, \
             c.id_number_enc AS c_id_number_enc \
             FROM transfer_outs t JOIN candidates c ON c.id = t.candidate_id"
        );
        let order = "ORDER BY t.confirmed_at, t.created_at";
        let rows = match city {
            Some(city) => {
                sqlx::query(&format!(
                    "{select} WHERE t.city = $1 AND t.state = $2 {order} LIMIT $3 OFFSET $4"
                ))
                .bind(city)
                .bind(state)
                .bind(limit)
                .bind(offset)
                .fetch_all(&self.read)
                .await?
            }
            None => {
                sqlx::query(&format!(
                    "{select} WHERE t.state = $1 {order} LIMIT $2 OFFSET $3"
                ))
                .bind(state)
                .bind(limit)
                .bind(offset)
                .fetch_all(&self.read)
                .await?
            }
        };
        rows.iter()
            .map(|r| {
                Ok(TransferQueueRow {
                    transfer: from_row(r)?,
                    name: r.try_get("c_name")?,
                    ticket: r.try_get("c_ticket")?,
                    id_number_enc: r.try_get("c_id_number_enc")?,
                })
            })
            .collect()
    }

    /// Count of applications per state in a city (or all): an index-only
    /// count of the scope's entries of the queue index.
    pub async fn transfer_counts(&self, city: Option<&str>) -> DbResult<Vec<(String, i64)>> {
        let rows =
            match city {
                Some(city) => sqlx::query(
                    "SELECT state, COUNT(*) AS n FROM transfer_outs WHERE city = $1 GROUP BY state",
                )
                .bind(city)
                .fetch_all(&self.read)
                .await?,
                None => {
                    sqlx::query("SELECT state, COUNT(*) AS n FROM transfer_outs GROUP BY state")
                        .fetch_all(&self.read)
                        .await?
                }
            };
        rows.iter()
            .map(|r| Ok((r.try_get("state")?, r.try_get("n")?)))
            .collect()
    }

    /// The images of several applications, by application, in one read.
    pub async fn transfer_images_of(
        &self,
        application_ids: &[String],
    ) -> DbResult<HashMap<String, Vec<TransferImageRow>>> {
        let mut out: HashMap<String, Vec<TransferImageRow>> = HashMap::new();
        for ids in application_ids.chunks(IN_LIST) {
            let sql = format!(
                "SELECT application_id, id, kind, file_id FROM transfer_images \
                 WHERE application_id IN ({}) ORDER BY created_at, id",
                placeholders(ids.len())
            );
            let mut q = sqlx::query(&sql);
            for id in ids {
                q = q.bind(id);
            }
            for r in q.fetch_all(&self.read).await? {
                out.entry(r.try_get("application_id")?)
                    .or_default()
                    .push(TransferImageRow {
                        id: r.try_get("id")?,
                        kind: r.try_get("kind")?,
                        file_id: r.try_get("file_id")?,
                    });
            }
        }
        Ok(out)
    }

    /// Rejections per (candidate, window) of several candidates, in one read.
    pub async fn window_rejections_of(
        &self,
        candidate_ids: &[String],
    ) -> DbResult<HashMap<(String, i64), i64>> {
        let mut out = HashMap::new();
        for ids in candidate_ids.chunks(IN_LIST) {
            let sql = format!(
                "SELECT candidate_id, window_start, CAST(SUM(rejections) AS BIGINT) AS n FROM transfer_outs \
                 WHERE candidate_id IN ({}) GROUP BY candidate_id, window_start",
                placeholders(ids.len())
            );
            let mut q = sqlx::query(&sql);
            for id in ids {
                q = q.bind(id);
            }
            for r in q.fetch_all(&self.read).await? {
                out.insert(
                    (r.try_get("candidate_id")?, r.try_get("window_start")?),
                    r.try_get("n")?,
                );
            }
        }
        Ok(out)
    }

    /// Moves an application from `from` to `to`; `Ok(false)` when it was no
    /// longer in `from` (someone else acted first).
    pub async fn change_transfer_state(
        &self,
        id: &str,
        from: &str,
        to: &str,
        change: &StateChange<'_>,
        now: i64,
    ) -> DbResult<bool> {
        let done = sqlx::query(
            "UPDATE transfer_outs SET state = $1, updated_at = $2, \
             correction_note = $3, \
             decision = COALESCE($4, decision), decision_reason = COALESCE($5, decision_reason), \
             decided_by = COALESCE($6, decided_by), \
             submitted_at = CASE WHEN $7 = 1 THEN $2 ELSE submitted_at END, \
             confirmed_at = CASE WHEN $8 = 1 THEN $2 ELSE confirmed_at END, \
             decided_at = CASE WHEN $9 = 1 THEN $2 ELSE decided_at END, \
             rejections = rejections + $12 \
             WHERE id = $10 AND state = $11",
        )
        .bind(to)
        .bind(now)
        .bind(change.correction_note)
        .bind(change.decision)
        .bind(change.decision_reason)
        .bind(change.decided_by)
        .bind(i64::from(change.stamp_submitted))
        .bind(i64::from(change.stamp_confirmed))
        .bind(i64::from(change.stamp_decided))
        .bind(id)
        .bind(from)
        .bind(i64::from(change.count_rejection))
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Updates the form fields of a draft.
    pub async fn update_transfer_form(
        &self,
        id: &str,
        target_province: &str,
        reason: &str,
        target_ticket: &str,
        now: i64,
    ) -> DbResult<bool> {
        let done = sqlx::query(
            "UPDATE transfer_outs SET target_province = $1, reason = $2, target_ticket = $3, \
             updated_at = $4 WHERE id = $5 AND state = 'draft'",
        )
        .bind(target_province)
        .bind(reason)
        .bind(target_ticket)
        .bind(now)
        .bind(id)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records the target specialty of the confirmation page.
    pub async fn set_target_specialty(
        &self,
        id: &str,
        name: &str,
        code: &str,
        level: &str,
        now: i64,
    ) -> DbResult<bool> {
        let done = sqlx::query(
            "UPDATE transfer_outs SET target_specialty_name = $1, target_specialty_code = $2, \
             target_specialty_level = $3, updated_at = $4 WHERE id = $5 \
             AND state IN ('awaiting_confirmation', 'confirmation_rejected')",
        )
        .bind(name)
        .bind(code)
        .bind(level)
        .bind(now)
        .bind(id)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Moves the applications of one window to its new dates.
    pub async fn retime_transfers(&self, old_start: i64, start: i64, end: i64) -> DbResult<()> {
        sqlx::query(
            "UPDATE transfer_outs SET window_start = $1, window_end = $2 WHERE window_start = $3",
        )
        .bind(start)
        .bind(end)
        .bind(old_start)
        .execute(&self.write)
        .await
        .map(|_| ())
    }

    /// Draft and unconfirmed applications whose window has closed become
    /// abandoned; returns the ids changed (each by exactly one caller).
    pub async fn abandon_closed_transfers(&self, now: i64) -> DbResult<Vec<(String, String)>> {
        let rows = sqlx::query(
            "UPDATE transfer_outs SET state = 'abandoned', updated_at = $1 \
             WHERE state IN ('draft', 'awaiting_confirmation') AND window_end <= $1 \
             RETURNING id, candidate_id",
        )
        .bind(now)
        .fetch_all(&self.write)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("candidate_id")?)))
            .collect()
    }

    /// Unconfirmed applications due a reminder `days` before the close, marked
    /// as reminded; returns `(candidate_id, window_end)` of each.
    pub async fn take_due_reminders(&self, now: i64, days: i64) -> DbResult<Vec<(String, i64)>> {
        let horizon = now + days * 86_400_000_000;
        let rows = sqlx::query(
            "UPDATE transfer_outs SET reminded_days = $1 \
             WHERE state IN ('draft', 'awaiting_confirmation') AND window_end > $2 \
             AND window_end <= $3 AND reminded_days > $1 RETURNING candidate_id, window_end",
        )
        .bind(days)
        .bind(now)
        .bind(horizon)
        .fetch_all(&self.write)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("candidate_id")?, r.try_get("window_end")?)))
            .collect()
    }

    /// The images of an application.
    pub async fn transfer_images(&self, application_id: &str) -> DbResult<Vec<TransferImageRow>> {
        let rows = sqlx::query(
            "SELECT id, kind, file_id FROM transfer_images WHERE application_id = $1 \
             ORDER BY created_at, id",
        )
        .bind(application_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TransferImageRow {
                    id: r.try_get("id")?,
                    kind: r.try_get("kind")?,
                    file_id: r.try_get("file_id")?,
                })
            })
            .collect()
    }

    /// Adds an image unless the kind already holds `max`; `Ok(None)` when full.
    /// With `replace`, the kind's earlier images are removed and their file ids
    /// returned for deletion.
    pub async fn add_transfer_image(
        &self,
        application_id: &str,
        kind: &str,
        file_id: &str,
        max: i64,
        replace: bool,
        now: i64,
    ) -> DbResult<Option<(String, Vec<String>)>> {
        let mut tx = self.write.begin().await?;
        let mut replaced = vec![];
        if replace {
            let rows = sqlx::query(
                "DELETE FROM transfer_images WHERE application_id = $1 AND kind = $2 RETURNING file_id",
            )
            .bind(application_id)
            .bind(kind)
            .fetch_all(&mut *tx)
            .await?;
            for r in rows {
                replaced.push(r.try_get("file_id")?);
            }
        }
        let n: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM transfer_images WHERE application_id = $1 AND kind = $2",
        )
        .bind(application_id)
        .bind(kind)
        .fetch_one(&mut *tx)
        .await?
        .try_get("n")?;
        if n >= max {
            return Ok(None);
        }
        let id = new_id();
        sqlx::query(
            "INSERT INTO transfer_images (id, application_id, kind, file_id, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(application_id)
        .bind(kind)
        .bind(file_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some((id, replaced)))
    }

    /// Removes one image; its file id when it existed.
    pub async fn delete_transfer_image(
        &self,
        application_id: &str,
        image_id: &str,
    ) -> DbResult<Option<String>> {
        let row = sqlx::query(
            "DELETE FROM transfer_images WHERE application_id = $1 AND id = $2 RETURNING file_id",
        )
        .bind(application_id)
        .bind(image_id)
        .fetch_optional(&self.write)
        .await?;
        row.map(|r| r.try_get("file_id")).transpose()
    }

    /// Adds a notice for a candidate.
    pub async fn add_notice(&self, candidate_id: &str, text: &str, now: i64) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO notices (id, candidate_id, text, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(new_id())
        .bind(candidate_id)
        .bind(text)
        .bind(now)
        .execute(&self.write)
        .await
        .map(|_| ())
    }

    /// A candidate's newest notices.
    pub async fn notices(&self, candidate_id: &str, limit: i64) -> DbResult<Vec<(String, i64)>> {
        if let Some(fast) = &self.fast {
            return fast.read(|c| {
                c.prepare_cached(
                    "SELECT text, created_at FROM notices WHERE candidate_id = ?1 \
                     ORDER BY created_at DESC, id DESC LIMIT ?2",
                )?
                .query_map(rusqlite::params![candidate_id, limit], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?
                .collect()
            });
        }
        let rows = sqlx::query(
            "SELECT text, created_at FROM notices WHERE candidate_id = $1 \
             ORDER BY created_at DESC, id DESC LIMIT $2",
        )
        .bind(candidate_id)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("text")?, r.try_get("created_at")?)))
            .collect()
    }
}
