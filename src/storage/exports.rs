//! Reads for the back office's exports and statistics: streamed rows, and
//! counts grouped by city, state and day.

use futures::channel::mpsc;
use futures::{SinkExt, TryStreamExt};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Db, DbResult};

/// Which rows an export or a statistic covers; `None` matches everything.
#[derive(Debug, Clone, Default)]
pub struct ScopeFilter {
    pub city: Option<String>,
    pub county: Option<String>,
    pub state: Option<String>,
    /// Applications of the window that starts here (statistics).
    pub window_start: Option<i64>,
}

/// One application with its candidate, as exported.
#[derive(Debug, Clone)]
pub struct TransferExportRow {
    pub id: String,
    pub state: String,
    pub city: String,
    pub county: String,
    pub name: String,
    pub ticket: Option<String>,
    pub id_number_enc: String,
    pub phone_enc: Option<String>,
    pub target_province: String,
    pub reason: String,
    pub target_ticket: String,
    pub window_end: i64,
    pub created_at: i64,
    pub submitted_at: Option<i64>,
    pub confirmed_at: Option<i64>,
    pub decision: Option<String>,
    pub decision_reason: Option<String>,
    pub decided_at: Option<i64>,
}

/// One candidate's identity verification, as exported.
#[derive(Debug, Clone)]
pub struct IdentityExportRow {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub ticket: Option<String>,
    pub id_number_enc: String,
    pub phone_enc: Option<String>,
    pub city: String,
    pub county: String,
    pub identity_state: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl ScopeFilter {
    /// The WHERE clause over `t` (applications, optional) and `c` (candidates).
    fn clause(&self, state_column: &str, with_window: bool) -> (String, Vec<String>, Option<i64>) {
        let mut parts = vec!["1 = 1".to_owned()];
        let mut values = vec![];
        for (column, value) in [
            ("c.city", &self.city),
            ("c.county", &self.county),
            (state_column, &self.state),
        ] {
            if let Some(v) = value {
                values.push(v.clone());
                parts.push(format!("{column} = ${}", values.len()));
            }
        }
        let window = self.window_start.filter(|_| with_window);
        if window.is_some() {
            parts.push(format!("t.window_start = ${}", values.len() + 1));
        }
        (parts.join(" AND "), values, window)
    }
}

fn transfer_row(r: &AnyRow) -> DbResult<TransferExportRow> {
    Ok(TransferExportRow {
        id: r.try_get("id")?,
        state: r.try_get("state")?,
        city: r.try_get("city")?,
        county: r.try_get("county")?,
        name: r.try_get("name")?,
        ticket: r.try_get("ticket")?,
        id_number_enc: r.try_get("id_number_enc")?,
        phone_enc: r.try_get("phone_enc")?,
        target_province: r.try_get("target_province")?,
        reason: r.try_get("reason")?,
        target_ticket: r.try_get("target_ticket")?,
        window_end: r.try_get("window_end")?,
        created_at: r.try_get("created_at")?,
        submitted_at: r.try_get("submitted_at")?,
        confirmed_at: r.try_get("confirmed_at")?,
        decision: r.try_get("decision")?,
        decision_reason: r.try_get("decision_reason")?,
        decided_at: r.try_get("decided_at")?,
    })
}

fn identity_row(r: &AnyRow) -> DbResult<IdentityExportRow> {
    Ok(IdentityExportRow {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        name: r.try_get("name")?,
        ticket: r.try_get("ticket")?,
        id_number_enc: r.try_get("id_number_enc")?,
        phone_enc: r.try_get("phone_enc")?,
        city: r.try_get("city")?,
        county: r.try_get("county")?,
        identity_state: r.try_get("identity_state")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

impl Db {
    /// Applications matching `f`, oldest first, sent to `out` one at a time
    /// as they are read (the city and county are the candidate's); stops
    /// when the receiver goes away.
    pub async fn export_transfers(
        &self,
        f: &ScopeFilter,
        mut out: mpsc::Sender<DbResult<TransferExportRow>>,
    ) -> DbResult<()> {
        let (clause, values, _) = f.clause("t.state", false);
        let sql = format!(
            "SELECT t.id, t.state, c.city, c.county, c.name, c.ticket, c.id_number_enc, \
             c.phone_enc, t.target_province, t.reason, t.target_ticket, t.window_end, \
             t.created_at, \
             t.submitted_at, t.confirmed_at, t.decision, t.decision_reason, t.decided_at \
             FROM transfer_outs t JOIN candidates c ON c.id = t.candidate_id \
             WHERE {clause} ORDER BY t.created_at, t.id"
        );
        let mut q = sqlx::query(&sql);
        for v in &values {
            q = q.bind(v.as_str());
        }
        let mut rows = q.fetch(&self.read);
        while let Some(r) = rows.try_next().await? {
            if out.send(Ok(transfer_row(&r)?)).await.is_err() {
                break;
            }
        }
        Ok(())
    }

    /// Candidates matching `f` (state: the identity state), oldest first,
    /// sent to `out` as they are read; stops when the receiver goes away.
    pub async fn export_identities(
        &self,
        f: &ScopeFilter,
        mut out: mpsc::Sender<DbResult<IdentityExportRow>>,
    ) -> DbResult<()> {
        let (clause, values, _) = f.clause("c.identity_state", false);
        let sql = format!(
            "SELECT c.id, c.kind, c.name, c.ticket, c.id_number_enc, c.phone_enc, c.city, \
             c.county, c.identity_state, c.created_at, c.updated_at FROM candidates c \
             WHERE {clause} ORDER BY c.created_at, c.id"
        );
        let mut q = sqlx::query(&sql);
        for v in &values {
            q = q.bind(v.as_str());
        }
        let mut rows = q.fetch(&self.read);
        while let Some(r) = rows.try_next().await? {
            if out.send(Ok(identity_row(&r)?)).await.is_err() {
                break;
            }
        }
        Ok(())
    }

    /// Applications matching `f` counted by `group` (`c.city`, `t.state`, or
    /// `day`: the China date they were created), as (key, count).
    pub async fn count_transfers(
        &self,
        f: &ScopeFilter,
        group: TransferGroup,
    ) -> DbResult<Vec<(String, i64)>> {
        let (clause, values, window) = f.clause("t.state", true);
        let key = match group {
            TransferGroup::City => "c.city",
            TransferGroup::State => "t.state",
            // Microseconds to whole China days since the epoch (UTC+8).
            TransferGroup::Day => "((t.created_at + 28800000000) / 86400000000)",
        };
        let sql = format!(
            "SELECT {key} AS k, COUNT(*) AS n FROM transfer_outs t \
             JOIN candidates c ON c.id = t.candidate_id WHERE {clause} GROUP BY {key} ORDER BY {key}"
        );
        let mut q = sqlx::query(&sql);
        for v in &values {
            q = q.bind(v.as_str());
        }
        if let Some(w) = window {
            q = q.bind(w);
        }
        let rows = q.fetch_all(&self.read).await?;
        rows.iter()
            .map(|r| {
                let k = match group {
                    TransferGroup::Day => r.try_get::<i64, _>("k")?.to_string(),
                    _ => r.try_get("k")?,
                };
                Ok((k, r.try_get("n")?))
            })
            .collect()
    }
}

/// How application counts are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferGroup {
    City,
    State,
    Day,
}

impl Db {
    /// Every identity verification run and decision of a candidate, oldest
    /// first: (purpose, time, outcome, findings JSON).
    pub async fn attempts_of(
        &self,
        candidate_id: &str,
    ) -> DbResult<Vec<(String, i64, String, String)>> {
        let rows = sqlx::query(
            "SELECT purpose, at, outcome, findings FROM identity_attempts \
             WHERE candidate_id = $1 ORDER BY at, id",
        )
        .bind(candidate_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("purpose")?,
                    r.try_get("at")?,
                    r.try_get("outcome")?,
                    r.try_get("findings")?,
                ))
            })
            .collect()
    }

    /// When the candidate consented to the processing of face images.
    pub async fn consent_at(&self, candidate_id: &str) -> DbResult<Option<i64>> {
        let row = sqlx::query("SELECT accepted_at FROM identity_consents WHERE candidate_id = $1")
            .bind(candidate_id)
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| r.try_get("accepted_at")).transpose()
    }
}
