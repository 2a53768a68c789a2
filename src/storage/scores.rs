//! Reads of the query center: session scores, plans with course facts, exam
//! arrangements.

use sqlx::Row;

use super::{Db, DbResult};

/// A score of one exam session, with the course's facts.
#[derive(Debug, Clone)]
pub struct SessionScoreRow {
    pub course_code: String,
    pub course_name: String,
    pub credits: i64,
    pub score: String,
    pub passed: bool,
}

/// A course of a specialty's plan.
#[derive(Debug, Clone)]
pub struct PlanCourseRow {
    pub code: String,
    pub name: String,
    pub credits: i64,
    pub kind: String,
}

/// One exam of a candidate's arrangements.
#[derive(Debug, Clone)]
pub struct ArrangementRow {
    pub course_code: String,
    pub course_name: String,
    pub exam_date: String,
    pub exam_time: String,
    pub venue: String,
    pub room: String,
    pub seat: String,
}

/// A specialty with its credits to graduate.
#[derive(Debug, Clone)]
pub struct SpecialtyRow {
    pub code: String,
    pub name: String,
    pub level: String,
    pub graduation_credits: Option<i64>,
}

impl Db {
    /// The latest exam session (year, month) with scores, if any.
    pub async fn latest_score_session(&self) -> DbResult<Option<(i64, i64)>> {
        latest(self, "session_scores").await
    }

    /// The latest exam session (year, month) with arrangements, if any.
    pub async fn latest_arrangement_session(&self) -> DbResult<Option<(i64, i64)>> {
        latest(self, "exam_arrangements").await
    }

    /// A candidate's scores of one session, by course code.
    pub async fn session_scores(
        &self,
        ticket: &str,
        (year, month): (i64, i64),
    ) -> DbResult<Vec<SessionScoreRow>> {
        let rows = sqlx::query(
            "SELECT s.course_code, c.name, c.credits, s.score, s.passed FROM session_scores s \
             JOIN courses c ON c.code = s.course_code WHERE s.ticket = $1 AND s.exam_year = $2 \
             AND s.exam_month = $3 ORDER BY s.course_code",
        )
        .bind(ticket)
        .bind(year)
        .bind(month)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SessionScoreRow {
                    course_code: r.try_get("course_code")?,
                    course_name: r.try_get("name")?,
                    credits: r.try_get("credits")?,
                    score: r.try_get("score")?,
                    passed: r.try_get::<i64, _>("passed")? != 0,
                })
            })
            .collect()
    }

    /// A specialty with its credits to graduate.
    pub async fn specialty_row(&self, code: &str) -> DbResult<Option<SpecialtyRow>> {
        let row = sqlx::query(
            "SELECT code, name, level, graduation_credits FROM specialties WHERE code = $1",
        )
        .bind(code)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| {
            Ok(SpecialtyRow {
                code: r.try_get("code")?,
                name: r.try_get("name")?,
                level: r.try_get("level")?,
                graduation_credits: r.try_get("graduation_credits")?,
            })
        })
        .transpose()
    }

    /// The courses of a specialty's plan, by course code.
    pub async fn plan_course_rows(&self, specialty: &str) -> DbResult<Vec<PlanCourseRow>> {
        let rows = sqlx::query(
            "SELECT c.code, c.name, c.credits, c.kind FROM plan_courses p \
             JOIN courses c ON c.code = p.course_code WHERE p.specialty_code = $1 \
             ORDER BY c.code",
        )
        .bind(specialty)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PlanCourseRow {
                    code: r.try_get("code")?,
                    name: r.try_get("name")?,
                    credits: r.try_get("credits")?,
                    kind: r.try_get("kind")?,
                })
            })
            .collect()
    }

    /// A candidate's exams of one session, by date and time.
    pub async fn arrangements(
        &self,
        ticket: &str,
        (year, month): (i64, i64),
    ) -> DbResult<Vec<ArrangementRow>> {
        let rows = sqlx::query(
            "SELECT a.course_code, c.name, a.exam_date, a.exam_time, a.venue, a.room, a.seat \
             FROM exam_arrangements a JOIN courses c ON c.code = a.course_code \
             WHERE a.ticket = $1 AND a.exam_year = $2 AND a.exam_month = $3 \
             ORDER BY a.exam_date, a.exam_time, a.course_code",
        )
        .bind(ticket)
        .bind(year)
        .bind(month)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ArrangementRow {
                    course_code: r.try_get("course_code")?,
                    course_name: r.try_get("name")?,
                    exam_date: r.try_get("exam_date")?,
                    exam_time: r.try_get("exam_time")?,
                    venue: r.try_get("venue")?,
                    room: r.try_get("room")?,
                    seat: r.try_get("seat")?,
                })
            })
            .collect()
    }
}

async fn latest(db: &Db, table: &str) -> DbResult<Option<(i64, i64)>> {
    let row = sqlx::query(&format!(
        "SELECT exam_year, exam_month FROM {table} \
         ORDER BY exam_year DESC, exam_month DESC LIMIT 1"
    ))
    .fetch_optional(&db.read)
    .await?;
    row.map(|r| Ok((r.try_get("exam_year")?, r.try_get("exam_month")?)))
        .transpose()
}
