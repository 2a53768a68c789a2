//! Exam records (enrolled candidates, specialties, courses, results) and
//! registration points.

use sqlx::Row;

use super::{Db, DbResult};

/// One enrolled candidate of the exam records.
#[derive(Debug, Clone)]
pub struct ExamCandidateRow {
    pub ticket: String,
    pub id_number_enc: String,
    pub id_number_idx: String,
    pub name: String,
    pub gender: String,
    pub specialty_code: Option<String>,
    pub city: String,
    pub county: String,
    pub status: String,
    pub transfer_in_date: Option<String>,
}

/// One passed course of a candidate.
#[derive(Debug, Clone)]
pub struct NewResultRow {
    pub ticket: String,
    pub course_code: String,
    pub score: String,
    pub passed_year: i64,
    pub passed_month: i64,
    pub by_exemption: bool,
}

/// A registration point 报名点.
#[derive(Debug, Clone)]
pub struct PointRow {
    pub id: String,
    pub city: String,
    pub county: String,
    pub name: String,
    pub address: String,
    pub phone: String,
}

const EXAM_COLUMNS: &str = "ticket, id_number_enc, id_number_idx, name, gender, \
     specialty_code, city, county, status, transfer_in_date";

fn exam_from_row(r: &sqlx::any::AnyRow) -> DbResult<ExamCandidateRow> {
    Ok(ExamCandidateRow {
        ticket: r.try_get("ticket")?,
        id_number_enc: r.try_get("id_number_enc")?,
        id_number_idx: r.try_get("id_number_idx")?,
        name: r.try_get("name")?,
        gender: r.try_get("gender")?,
        specialty_code: r.try_get("specialty_code")?,
        city: r.try_get("city")?,
        county: r.try_get("county")?,
        status: r.try_get("status")?,
        transfer_in_date: r.try_get("transfer_in_date")?,
    })
}

impl Db {
    /// The exam records under a 身份证号 blind index (one per 准考证号).
    pub async fn exam_candidates_by_id_number(&self, idx: &str) -> DbResult<Vec<ExamCandidateRow>> {
        let sql = format!(
            "SELECT {EXAM_COLUMNS} FROM exam_candidates WHERE id_number_idx = $1 ORDER BY ticket"
        );
        let rows = sqlx::query(&sql).bind(idx).fetch_all(&self.read).await?;
        rows.iter().map(exam_from_row).collect()
    }

    /// Adds or updates one enrolled candidate.
    pub async fn upsert_exam_candidate(&self, c: &ExamCandidateRow, now: i64) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO exam_candidates (ticket, id_number_enc, id_number_idx, name, gender, \
             specialty_code, city, county, status, transfer_in_date, updated_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) ON CONFLICT (ticket) DO UPDATE SET \
             id_number_enc = $2, id_number_idx = $3, name = $4, gender = $5, \
             specialty_code = $6, city = $7, county = $8, status = $9, transfer_in_date = $10, \
             updated_at = $11",
        )
        .bind(&c.ticket)
        .bind(&c.id_number_enc)
        .bind(&c.id_number_idx)
        .bind(&c.name)
        .bind(&c.gender)
        .bind(&c.specialty_code)
        .bind(&c.city)
        .bind(&c.county)
        .bind(&c.status)
        .bind(&c.transfer_in_date)
        .bind(now)
        .execute(&self.write)
        .await
        .map(|_| ())
    }

    /// Adds or updates a specialty.
    pub async fn upsert_specialty(&self, code: &str, name: &str, level: &str) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO specialties (code, name, level) VALUES ($1, $2, $3) \
             ON CONFLICT (code) DO UPDATE SET name = $2, level = $3",
        )
        .bind(code)
        .bind(name)
        .bind(level)
        .execute(&self.write)
        .await
        .map(|_| ())
    }

    /// Adds or updates a course.
    pub async fn upsert_course(
        &self,
        code: &str,
        name: &str,
        credits: i64,
        kind: &str,
        theory_course: Option<&str>,
    ) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO courses (code, name, credits, kind, theory_course) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (code) DO UPDATE SET name = $2, \
             credits = $3, kind = $4, theory_course = $5",
        )
        .bind(code)
        .bind(name)
        .bind(credits)
        .bind(kind)
        .bind(theory_course)
        .execute(&self.write)
        .await
        .map(|_| ())
    }

    /// Adds or updates a passed result.
    pub async fn upsert_result(&self, r: &NewResultRow) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO results (ticket, course_code, score, passed_year, passed_month, \
             by_exemption) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (ticket, course_code) \
             DO UPDATE SET score = $3, passed_year = $4, passed_month = $5, by_exemption = $6",
        )
        .bind(&r.ticket)
        .bind(&r.course_code)
        .bind(&r.score)
        .bind(r.passed_year)
        .bind(r.passed_month)
        .bind(i64::from(r.by_exemption))
        .execute(&self.write)
        .await
        .map(|_| ())
    }

    /// The name and level of a specialty.
    pub async fn specialty(&self, code: &str) -> DbResult<Option<(String, String)>> {
        let row = sqlx::query("SELECT name, level FROM specialties WHERE code = $1")
            .bind(code)
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| Ok((r.try_get("name")?, r.try_get("level")?)))
            .transpose()
    }

    /// Adds a registration point unless its id exists.
    pub async fn insert_point_if_absent(&self, p: &PointRow) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO registration_points (id, city, county, name, address, phone) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&p.id)
        .bind(&p.city)
        .bind(&p.county)
        .bind(&p.name)
        .bind(&p.address)
        .bind(&p.phone)
        .execute(&self.write)
        .await
        .map(|_| ())
    }

    /// A registration point by id.
    pub async fn point(&self, id: &str) -> DbResult<Option<PointRow>> {
        let row = sqlx::query(
            "SELECT id, city, county, name, address, phone FROM registration_points WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| {
            Ok(PointRow {
                id: r.try_get("id")?,
                city: r.try_get("city")?,
                county: r.try_get("county")?,
                name: r.try_get("name")?,
                address: r.try_get("address")?,
                phone: r.try_get("phone")?,
            })
        })
        .transpose()
    }

    /// Every registration point, by id (the county code orders them by city).
    pub async fn points(&self) -> DbResult<Vec<PointRow>> {
        let rows = sqlx::query(
            "SELECT id, city, county, name, address, phone FROM registration_points ORDER BY id",
        )
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PointRow {
                    id: r.try_get("id")?,
                    city: r.try_get("city")?,
                    county: r.try_get("county")?,
                    name: r.try_get("name")?,
                    address: r.try_get("address")?,
                    phone: r.try_get("phone")?,
                })
            })
            .collect()
    }

    /// Sets a registration point's address and phone.
    pub async fn set_point_contact(&self, id: &str, address: &str, phone: &str) -> DbResult<()> {
        sqlx::query("UPDATE registration_points SET address = $1, phone = $2 WHERE id = $3")
            .bind(address)
            .bind(phone)
            .bind(id)
            .execute(&self.write)
            .await
            .map(|_| ())
    }
}

impl Db {
    /// The exam record of a 准考证号.
    pub async fn exam_candidate(&self, ticket: &str) -> DbResult<Option<ExamCandidateRow>> {
        let sql = format!("SELECT {EXAM_COLUMNS} FROM exam_candidates WHERE ticket = $1");
        let row = sqlx::query(&sql)
            .bind(ticket)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(exam_from_row).transpose()
    }

    /// The passed courses of a 准考证号, with the course facts, by date passed.
    pub async fn passed_courses(
        &self,
        ticket: &str,
    ) -> DbResult<Vec<crate::domain::eligibility::PassedCourse>> {
        let rows = sqlx::query(
            "SELECT r.course_code, c.name, c.credits, c.kind, c.theory_course, r.score, \
             r.passed_year, r.passed_month, r.by_exemption FROM results r \
             JOIN courses c ON c.code = r.course_code WHERE r.ticket = $1 \
             ORDER BY r.passed_year, r.passed_month, r.course_code",
        )
        .bind(ticket)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(crate::domain::eligibility::PassedCourse {
                    code: r.try_get("course_code")?,
                    name: r.try_get("name")?,
                    credits: r.try_get("credits")?,
                    kind: r.try_get("kind")?,
                    theory_course: r.try_get("theory_course")?,
                    score: r.try_get("score")?,
                    passed_year: r.try_get("passed_year")?,
                    passed_month: r.try_get("passed_month")?,
                    by_exemption: r.try_get::<i64, _>("by_exemption")? != 0,
                })
            })
            .collect()
    }

    /// The course codes of a specialty's plan.
    pub async fn plan_courses(&self, specialty: &str) -> DbResult<Vec<String>> {
        let rows = sqlx::query("SELECT course_code FROM plan_courses WHERE specialty_code = $1")
            .bind(specialty)
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(|r| r.try_get("course_code")).collect()
    }

    /// Adds a course to a specialty's plan.
    pub async fn add_plan_course(&self, specialty: &str, course: &str) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO plan_courses (specialty_code, course_code) VALUES ($1, $2) \
             ON CONFLICT DO NOTHING",
        )
        .bind(specialty)
        .bind(course)
        .execute(&self.write)
        .await
        .map(|_| ())
    }
}
