//! The audit log of staff actions.

use super::{Db, DbResult, new_id};

/// One audited action; `before`/`after` are sealed by the caller.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    pub at: i64,
    pub actor: &'a str,
    pub address: Option<&'a str>,
    pub action: &'a str,
    pub subject: Option<&'a str>,
    pub before_enc: Option<String>,
    pub after_enc: Option<String>,
}

impl Db {
    /// Appends one entry.
    pub async fn append_audit(&self, e: &AuditEntry<'_>) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO audit_log (id, at, actor, address, action, subject, before_enc, \
             after_enc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(new_id())
        .bind(e.at)
        .bind(e.actor)
        .bind(e.address)
        .bind(e.action)
        .bind(e.subject)
        .bind(&e.before_enc)
        .bind(&e.after_enc)
        .execute(&self.write)
        .await
        .map(|_| ())
    }
}
