//! Candidate accounts.

use rusqlite::OptionalExtension;
use sqlx::Row;

use super::fast::Fields;
use super::{Db, DbResult};

/// A candidate account as stored; personal fields still sealed.
#[derive(Debug, Clone)]
pub struct CandidateRow {
    pub id: String,
    pub kind: String,
    pub id_number_enc: String,
    pub ticket: Option<String>,
    pub name: String,
    pub gender: String,
    pub birth_date: String,
    pub phone_enc: Option<String>,
    pub email_enc: Option<String>,
    pub ethnicity: Option<String>,
    pub household: Option<String>,
    pub education: Option<String>,
    pub occupation: Option<String>,
    pub politics: Option<String>,
    pub city: String,
    pub county: String,
    pub password_hash: String,
    pub identity_state: String,
}

/// What a registration stores.
#[derive(Debug, Clone)]
pub struct NewCandidateRow {
    pub id: String,
    pub kind: String,
    pub id_number_enc: String,
    pub id_number_idx: String,
    pub ticket: Option<String>,
    pub name: String,
    pub gender: String,
    pub birth_date: String,
    pub phone_enc: Option<String>,
    pub email_enc: Option<String>,
    pub ethnicity: Option<String>,
    pub household: Option<String>,
    pub education: Option<String>,
    pub occupation: Option<String>,
    pub politics: Option<String>,
    pub city: String,
    pub county: String,
    pub password_hash: String,
    pub identity_state: String,
    pub now: i64,
}

const COLUMNS: &str = "id, kind, id_number_enc, ticket, name, gender, birth_date, phone_enc, \
     email_enc, ethnicity, household, education, occupation, politics, city, county, \
     password_hash, identity_state";

fn from_row<R: Fields>(r: &R) -> Result<CandidateRow, R::Error> {
    Ok(CandidateRow {
        id: r.field("id")?,
        kind: r.field("kind")?,
        id_number_enc: r.field("id_number_enc")?,
        ticket: r.field("ticket")?,
        name: r.field("name")?,
        gender: r.field("gender")?,
        birth_date: r.field("birth_date")?,
        phone_enc: r.field("phone_enc")?,
        email_enc: r.field("email_enc")?,
        ethnicity: r.field("ethnicity")?,
        household: r.field("household")?,
        education: r.field("education")?,
        occupation: r.field("occupation")?,
        politics: r.field("politics")?,
        city: r.field("city")?,
        county: r.field("county")?,
        password_hash: r.field("password_hash")?,
        identity_state: r.field("identity_state")?,
    })
}

/// A city office's correction of a candidate's personal data.
#[derive(Debug, Clone)]
pub struct IdentityCorrection<'a> {
    pub candidate_id: &'a str,
    /// The exam record to correct too (enrolled candidates).
    pub ticket: Option<&'a str>,
    pub name: &'a str,
    pub gender: &'a str,
    pub birth_date: &'a str,
    pub id_number_enc: &'a str,
    pub id_number_idx: &'a str,
}

impl Db {
    /// Writes a correction to the account and its exam record in one
    /// transaction; `Ok(false)` when the new 身份证号 belongs to another account.
    pub async fn correct_identity(&self, c: &IdentityCorrection<'_>, now: i64) -> DbResult<bool> {
        let mut tx = self.write.begin().await?;
        let updated = sqlx::query(
            "UPDATE candidates SET name = $1, gender = $2, birth_date = $3, id_number_enc = $4, \
             id_number_idx = $5, updated_at = $6 WHERE id = $7",
        )
        .bind(c.name)
        .bind(c.gender)
        .bind(c.birth_date)
        .bind(c.id_number_enc)
        .bind(c.id_number_idx)
        .bind(now)
        .bind(c.candidate_id)
        .execute(&mut *tx)
        .await;
        match updated {
            Ok(_) => {}
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => return Ok(false),
            Err(e) => return Err(e),
        }
        if let Some(ticket) = c.ticket {
            sqlx::query(
                "UPDATE exam_candidates SET name = $1, gender = $2, id_number_enc = $3, \
                 id_number_idx = $4, updated_at = $5 WHERE ticket = $6",
            )
            .bind(c.name)
            .bind(c.gender)
            .bind(c.id_number_enc)
            .bind(c.id_number_idx)
            .bind(now)
            .bind(ticket)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Stores a new account; `Ok(false)` when the 身份证号 or 准考证号 is taken.
    pub async fn insert_candidate(&self, c: &NewCandidateRow) -> DbResult<bool> {
        let done = sqlx::query(
            "INSERT INTO candidates (id, kind, id_number_enc, id_number_idx, ticket, name, gender, \
             birth_date, phone_enc, email_enc, ethnicity, household, education, occupation, \
             politics, city, county, password_hash, identity_state, created_at, updated_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$20) \
             ON CONFLICT DO NOTHING",
        )
        .bind(&c.id)
        .bind(&c.kind)
        .bind(&c.id_number_enc)
        .bind(&c.id_number_idx)
        .bind(&c.ticket)
        .bind(&c.name)
        .bind(&c.gender)
        .bind(&c.birth_date)
        .bind(&c.phone_enc)
        .bind(&c.email_enc)
        .bind(&c.ethnicity)
        .bind(&c.household)
        .bind(&c.education)
        .bind(&c.occupation)
        .bind(&c.politics)
        .bind(&c.city)
        .bind(&c.county)
        .bind(&c.password_hash)
        .bind(&c.identity_state)
        .bind(c.now)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Whether an account exists for this 身份证号 blind index.
    pub async fn candidate_exists(&self, id_number_idx: &str) -> DbResult<bool> {
        let row = sqlx::query("SELECT 1 FROM candidates WHERE id_number_idx = $1")
            .bind(id_number_idx)
            .fetch_optional(&self.read)
            .await?;
        Ok(row.is_some())
    }

    /// The account of a 身份证号 blind index.
    pub async fn candidate_by_id_number(&self, idx: &str) -> DbResult<Option<CandidateRow>> {
        let sql = format!("SELECT {COLUMNS} FROM candidates WHERE id_number_idx = $1");
        let row = sqlx::query(&sql)
            .bind(idx)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// The account of a 准考证号.
    pub async fn candidate_by_ticket(&self, ticket: &str) -> DbResult<Option<CandidateRow>> {
        let sql = format!("SELECT {COLUMNS} FROM candidates WHERE ticket = $1");
        let row = sqlx::query(&sql)
            .bind(ticket)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// The account of an id.
    pub async fn candidate(&self, id: &str) -> DbResult<Option<CandidateRow>> {
        if let Some(fast) = &self.fast {
            return fast.read(|c| {
                c.prepare_cached(&format!("SELECT {COLUMNS} FROM candidates WHERE id = ?1"))?
                    .query_row([id], |r| from_row(r))
                    .optional()
            });
        }
        let sql = format!("SELECT {COLUMNS} FROM candidates WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// Replaces the password hash and ends every session of the account but `keep`.
    pub async fn set_candidate_password(
        &self,
        id: &str,
        hash: &str,
        keep_session: Option<&str>,
        now: i64,
    ) -> DbResult<()> {
        let mut tx = self.write.begin().await?;
        sqlx::query("UPDATE candidates SET password_hash = $1, updated_at = $2 WHERE id = $3")
            .bind(hash)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "DELETE FROM sessions WHERE subject_kind = 'candidate' AND subject_id = $1 \
             AND token_hash <> $2",
        )
        .bind(id)
        .bind(keep_session.unwrap_or(""))
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }

    /// Sets the identity state of an account.
    pub async fn set_identity_state(&self, id: &str, state: &str, now: i64) -> DbResult<()> {
        sqlx::query("UPDATE candidates SET identity_state = $1, updated_at = $2 WHERE id = $3")
            .bind(state)
            .bind(now)
            .bind(id)
            .execute(&self.write)
            .await
            .map(|_| ())
    }

    /// Number of candidate accounts.
    pub async fn count_candidates(&self) -> DbResult<i64> {
        sqlx::query("SELECT COUNT(*) AS n FROM candidates")
            .fetch_one(&self.read)
            .await?
            .try_get("n")
    }
}
