//! Staff accounts.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Db, DbResult};

/// A staff account as stored.
#[derive(Debug, Clone)]
pub struct StaffRow {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: String,
    pub city: Option<String>,
    pub point: Option<String>,
    pub totp_secret_enc: Option<String>,
    pub totp_last_step: i64,
    pub disabled: bool,
}

/// What creating a staff account stores.
#[derive(Debug, Clone)]
pub struct NewStaffRow {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: String,
    pub city: Option<String>,
    pub point: Option<String>,
    pub totp_secret_enc: Option<String>,
    pub now: i64,
}

const COLUMNS: &str = "id, username, display_name, password_hash, role, city, point, \
                       totp_secret_enc, totp_last_step, disabled";

fn from_row(r: &AnyRow) -> DbResult<StaffRow> {
    Ok(StaffRow {
        id: r.try_get("id")?,
        username: r.try_get("username")?,
        display_name: r.try_get("display_name")?,
        password_hash: r.try_get("password_hash")?,
        role: r.try_get("role")?,
        city: r.try_get("city")?,
        point: r.try_get("point")?,
        totp_secret_enc: r.try_get("totp_secret_enc")?,
        totp_last_step: r.try_get("totp_last_step")?,
        disabled: r.try_get::<i64, _>("disabled")? != 0,
    })
}

impl Db {
    /// Stores a staff account; `Ok(false)` when the username is taken.
    pub async fn insert_staff(&self, s: &NewStaffRow) -> DbResult<bool> {
        let done = sqlx::query(
            "INSERT INTO staff (id, username, display_name, password_hash, role, city, point, \
             totp_secret_enc, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$9) \
             ON CONFLICT DO NOTHING",
        )
        .bind(&s.id)
        .bind(&s.username)
        .bind(&s.display_name)
        .bind(&s.password_hash)
        .bind(&s.role)
        .bind(&s.city)
        .bind(&s.point)
        .bind(&s.totp_secret_enc)
        .bind(s.now)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The account of a username.
    pub async fn staff_by_username(&self, username: &str) -> DbResult<Option<StaffRow>> {
        let sql = format!("SELECT {COLUMNS} FROM staff WHERE username = $1");
        let row = sqlx::query(&sql)
            .bind(username)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// The account of an id.
    pub async fn staff(&self, id: &str) -> DbResult<Option<StaffRow>> {
        let sql = format!("SELECT {COLUMNS} FROM staff WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// Every staff account, by username.
    pub async fn all_staff(&self) -> DbResult<Vec<StaffRow>> {
        let sql = format!("SELECT {COLUMNS} FROM staff ORDER BY username");
        let rows = sqlx::query(&sql).fetch_all(&self.read).await?;
        rows.iter().map(from_row).collect()
    }

    /// Records a second-factor secret (enrolment).
    pub async fn set_staff_totp(&self, id: &str, secret_enc: &str, now: i64) -> DbResult<()> {
        sqlx::query("UPDATE staff SET totp_secret_enc = $1, updated_at = $2 WHERE id = $3")
            .bind(secret_enc)
            .bind(now)
            .bind(id)
            .execute(&self.write)
            .await
            .map(|_| ())
    }

    /// Marks a time step used, so one code cannot be replayed; `Ok(false)` when it
    /// (or a later one) was used already.
    pub async fn use_totp_step(&self, id: &str, step: i64) -> DbResult<bool> {
        let done = sqlx::query(
            "UPDATE staff SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1",
        )
        .bind(step)
        .bind(id)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Whether any staff account exists.
    pub async fn count_staff(&self) -> DbResult<i64> {
        sqlx::query("SELECT COUNT(*) AS n FROM staff")
            .fetch_one(&self.read)
            .await?
            .try_get("n")
    }

    /// Disables or re-enables an account.
    pub async fn set_staff_disabled(&self, id: &str, disabled: bool, now: i64) -> DbResult<()> {
        sqlx::query("UPDATE staff SET disabled = $1, updated_at = $2 WHERE id = $3")
            .bind(i64::from(disabled))
            .bind(now)
            .bind(id)
            .execute(&self.write)
            .await
            .map(|_| ())
    }

    /// Forgets the second-factor secret, so the next sign-in enrols again.
    pub async fn clear_staff_totp(&self, id: &str, now: i64) -> DbResult<()> {
        sqlx::query("UPDATE staff SET totp_secret_enc = NULL, updated_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&self.write)
            .await
            .map(|_| ())
    }

    /// Changes an account's role and scope.
    pub async fn set_staff_scope(
        &self,
        id: &str,
        role: &str,
        city: Option<&str>,
        point: Option<&str>,
        now: i64,
    ) -> DbResult<()> {
        sqlx::query(
            "UPDATE staff SET role = $1, city = $2, point = $3, updated_at = $4 WHERE id = $5",
        )
        .bind(role)
        .bind(city)
        .bind(point)
        .bind(now)
        .bind(id)
        .execute(&self.write)
        .await
        .map(|_| ())
    }
}
