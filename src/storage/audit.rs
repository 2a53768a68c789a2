//! The audit log: an append-only hash chain of every staff action and every
//! state change of a candidate or application. Nothing here updates or
//! deletes an entry once its link is written.

use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Db, DbResult, new_id};

/// One audited action; `before`/`after` are sealed by the caller.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    pub at: i64,
    pub actor: &'a str,
    pub address: Option<&'a str>,
    pub action: &'a str,
    pub subject: Option<&'a str>,
    pub candidate_id: Option<&'a str>,
    pub before_enc: Option<String>,
    pub after_enc: Option<String>,
}

/// One entry as stored, with its place in the chain.
#[derive(Debug, Clone)]
pub struct AuditRow {
    pub seq: i64,
    pub at: i64,
    pub actor: String,
    pub address: Option<String>,
    pub action: String,
    pub subject: Option<String>,
    pub candidate_id: Option<String>,
    pub before_enc: Option<String>,
    pub after_enc: Option<String>,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

impl AuditRow {
    /// The entry's fields as the chain covers them.
    pub fn entry(&self) -> AuditEntry<'_> {
        AuditEntry {
            at: self.at,
            actor: &self.actor,
            address: self.address.as_deref(),
            action: &self.action,
            subject: self.subject.as_deref(),
            candidate_id: self.candidate_id.as_deref(),
            before_enc: self.before_enc.clone(),
            after_enc: self.after_enc.clone(),
        }
    }
}

/// The head of the chain: the last entry's number and link, and how many
/// entries from before the chain still wait for their links.
#[derive(Debug, Clone)]
pub struct AuditHead {
    pub seq: i64,
    pub hash: String,
    pub unsealed: i64,
}

/// The viewer's filters; `None` matches everything.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub candidate_id: Option<String>,
    /// An action, or the start of one (`transfer.` matches every transfer action).
    pub action_prefix: Option<String>,
    pub from: Option<i64>,
    pub until: Option<i64>,
}

macro_rules! columns {
    () => {
        "seq, at, actor, address, action, subject, candidate_id, before_enc, after_enc, \
         prev_hash, hash"
    };
}
const COLUMNS: &str = columns!();
const CHAIN_SQL: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM audit_log WHERE seq <= $1 ORDER BY seq"
);

fn from_row(r: &AnyRow) -> DbResult<AuditRow> {
    Ok(AuditRow {
        seq: r.try_get("seq")?,
        at: r.try_get("at")?,
        actor: r.try_get("actor")?,
        address: r.try_get("address")?,
        action: r.try_get("action")?,
        subject: r.try_get("subject")?,
        candidate_id: r.try_get("candidate_id")?,
        before_enc: r.try_get("before_enc")?,
        after_enc: r.try_get("after_enc")?,
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}

impl AuditFilter {
    /// The WHERE clause and its values, numbered from `$1`.
    fn clause(&self) -> (String, Vec<FilterValue>) {
        let mut parts = vec!["seq IS NOT NULL".to_owned()];
        let mut values = vec![];
        let mut add = |sql: &str, v: FilterValue| {
            values.push(v);
            parts.push(sql.replace('?', &format!("${}", values.len())));
        };
        if let Some(a) = &self.actor {
            add("actor = ?", FilterValue::Text(a.clone()));
        }
        if let Some(c) = &self.candidate_id {
            add("candidate_id = ?", FilterValue::Text(c.clone()));
        }
        if let Some(p) = &self.action_prefix {
            let escaped = p.replace('!', "!!").replace('%', "!%").replace('_', "!_");
            add(
                "action LIKE ? ESCAPE '!'",
                FilterValue::Text(format!("{escaped}%")),
            );
        }
        if let Some(f) = self.from {
            add("at >= ?", FilterValue::Int(f));
        }
        if let Some(u) = self.until {
            add("at < ?", FilterValue::Int(u));
        }
        (parts.join(" AND "), values)
    }
}

enum FilterValue {
    Text(String),
    Int(i64),
}

fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    values: &'q [FilterValue],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for v in values {
        q = match v {
            FilterValue::Text(t) => q.bind(t.as_str()),
            FilterValue::Int(i) => q.bind(*i),
        };
    }
    q
}

impl Db {
    /// Appends one entry at the end of the chain. `link` computes the entry's
    /// link from its number and the link before it. Updating the head row
    /// first serialises appends across nodes (PostgreSQL holds its row lock
    /// until the commit; SQLite has one writer).
    pub async fn append_audit(
        &self,
        e: &AuditEntry<'_>,
        link: &(dyn Fn(i64, &str) -> String + Sync),
    ) -> DbResult<i64> {
        let mut tx = self.write.begin().await?;
        let head =
            sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
                .fetch_one(&mut *tx)
                .await?;
        let seq: i64 = head.try_get("seq")?;
        let prev: String = head.try_get("hash")?;
        let hash = link(seq, &prev);
        sqlx::query(
            "INSERT INTO audit_log (id, seq, at, actor, address, action, subject, candidate_id, \
             before_enc, after_enc, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(new_id())
        .bind(seq)
        .bind(e.at)
        .bind(e.actor)
        .bind(e.address)
        .bind(e.action)
        .bind(e.subject)
        .bind(e.candidate_id)
        .bind(&e.before_enc)
        .bind(&e.after_enc)
        .bind(&prev)
        .bind(&hash)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
            .bind(&hash)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(seq)
    }

    /// Writes the links of the entries made before the chain existed, once,
    /// in their numbered order; the number of entries sealed.
    pub async fn seal_unlinked_audit(
        &self,
        genesis: &str,
        link: &(dyn Fn(&AuditRow, &str) -> String + Sync),
    ) -> DbResult<i64> {
        let mut tx = self.write.begin().await?;
        // Touching the head first locks it, so two nodes starting together
        // cannot both seal.
        let unsealed: i64 = sqlx::query(
            "UPDATE audit_head SET unsealed = unsealed WHERE id = 1 RETURNING unsealed",
        )
        .fetch_one(&mut *tx)
        .await?
        .try_get("unsealed")?;
        if unsealed == 0 {
            return Ok(0);
        }
        let rows = sqlx::query(CHAIN_SQL)
            .bind(unsealed)
            .fetch_all(&mut *tx)
            .await?;
        let mut prev = genesis.to_owned();
        for r in &rows {
            let row = from_row(r)?;
            let hash = link(&row, &prev);
            sqlx::query("UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE seq = $3")
                .bind(&prev)
                .bind(&hash)
                .bind(row.seq)
                .execute(&mut *tx)
                .await?;
            prev = hash;
        }
        sqlx::query("UPDATE audit_head SET hash = $1, unsealed = 0 WHERE id = 1")
            .bind(&prev)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(unsealed)
    }

    /// The head of the chain.
    pub async fn audit_head(&self) -> DbResult<AuditHead> {
        let r = sqlx::query("SELECT seq, hash, unsealed FROM audit_head WHERE id = 1")
            .fetch_one(&self.read)
            .await?;
        Ok(AuditHead {
            seq: r.try_get("seq")?,
            hash: r.try_get("hash")?,
            unsealed: r.try_get("unsealed")?,
        })
    }

    /// The entries numbered up to `last`, in chain order, read as a stream.
    pub fn audit_chain(&self, last: i64) -> BoxStream<'_, DbResult<AuditRow>> {
        sqlx::query(CHAIN_SQL)
            .bind(last)
            .fetch(&self.read)
            .map(|r| r.and_then(|r| from_row(&r)))
            .boxed()
    }

    /// Entries outside the chain: without a number, or numbered beyond the head.
    pub async fn audit_unchained(&self, head_seq: i64) -> DbResult<i64> {
        sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE seq IS NULL OR seq > $1")
            .bind(head_seq)
            .fetch_one(&self.read)
            .await?
            .try_get("n")
    }

    /// The number of the entry whose link is `hash`, if any.
    pub async fn audit_seq_of(&self, hash: &str) -> DbResult<Option<i64>> {
        let row = sqlx::query("SELECT seq FROM audit_log WHERE hash = $1")
            .bind(hash)
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| r.try_get("seq")).transpose()
    }

    /// One page of entries matching `filter`, newest first, and how many match.
    pub async fn audit_page(
        &self,
        filter: &AuditFilter,
        limit: i64,
        offset: i64,
    ) -> DbResult<(Vec<AuditRow>, i64)> {
        let (clause, values) = filter.clause();
        let n = values.len();
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_log WHERE {clause} ORDER BY seq DESC LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        let rows = bind_all(sqlx::query(&sql), &values)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.read)
            .await?;
        let count_sql = format!("SELECT COUNT(*) AS n FROM audit_log WHERE {clause}");
        let total: i64 = bind_all(sqlx::query(&count_sql), &values)
            .fetch_one(&self.read)
            .await?
            .try_get("n")?;
        let rows = rows.iter().map(from_row).collect::<DbResult<Vec<_>>>()?;
        Ok((rows, total))
    }

    /// Every entry about one candidate, oldest first.
    pub async fn audit_of_candidate(&self, candidate_id: &str) -> DbResult<Vec<AuditRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_log WHERE candidate_id = $1 OR actor = $2 ORDER BY seq"
        );
        sqlx::query(&sql)
            .bind(candidate_id)
            .bind(format!("candidate:{candidate_id}"))
            .fetch(&self.read)
            .and_then(|r| async move { from_row(&r) })
            .try_collect()
            .await
    }
}
