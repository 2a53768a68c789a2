//! The province admin's edits of the province lists, and registration point edits.

use sqlx::Row;

use super::{Db, DbResult, PointRow};

/// One stored list entry: an edit of a province-file entry, or an added one.
#[derive(Debug, Clone)]
pub struct ListEntryRow {
    /// `reason`, `target`, `city` or `county`.
    pub list: String,
    pub code: String,
    /// The city of a county.
    pub parent: Option<String>,
    pub name: String,
    pub enabled: bool,
}

impl Db {
    /// The number that goes up with every list edit.
    pub async fn list_version(&self) -> DbResult<i64> {
        sqlx::query("SELECT version FROM list_version WHERE id = 1")
            .fetch_one(&self.read)
            .await?
            .try_get("version")
    }

    /// Every stored entry, oldest first (the order added entries are shown in).
    pub async fn list_entries(&self) -> DbResult<Vec<ListEntryRow>> {
        let rows = sqlx::query(
            "SELECT list, code, parent, name, enabled FROM list_entries \
             ORDER BY created_at, code",
        )
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ListEntryRow {
                    list: r.try_get("list")?,
                    code: r.try_get("code")?,
                    parent: r.try_get("parent")?,
                    name: r.try_get("name")?,
                    enabled: r.try_get::<i64, _>("enabled")? != 0,
                })
            })
            .collect()
    }

    /// Stores an entry (replacing its name and state) and bumps the list version,
    /// in one transaction so no node caches the one without the other.
    pub async fn put_list_entry(&self, e: &ListEntryRow, now: i64) -> DbResult<()> {
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO list_entries (list, code, parent, name, enabled, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (list, code) DO UPDATE SET \
             name = $4, enabled = $5, updated_at = $6",
        )
        .bind(&e.list)
        .bind(&e.code)
        .bind(&e.parent)
        .bind(&e.name)
        .bind(i64::from(e.enabled))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE list_version SET version = version + 1 WHERE id = 1")
            .execute(&mut *tx)
            .await?;
        tx.commit().await
    }

    /// Changes a registration point's name, address and phone; `Ok(false)` when
    /// there is no such point.
    pub async fn update_point(&self, p: &PointRow) -> DbResult<bool> {
        let done = sqlx::query(
            "UPDATE registration_points SET name = $1, address = $2, phone = $3 WHERE id = $4",
        )
        .bind(&p.name)
        .bind(&p.address)
        .bind(&p.phone)
        .bind(&p.id)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
