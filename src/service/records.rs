//! 查询中心: 合格成绩查询, 当次成绩查询, 专业计划查询 and 准考证打印, each only of
//! the signed-in candidate's own 准考证号.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;
use utoipa::ToSchema;

use super::{App, CandidateSession, ServiceError, ServiceResult};
use crate::clock::china_minute;
use crate::domain::{Gender, PhotoKind};
use crate::storage::ExamCandidateRow;

/// 2026年10月.
fn session_label((year, month): (i64, i64)) -> String {
    format!("{year}年{month:02}月")
}

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "practical" => "实践",
        "thesis" => "毕业论文",
        _ => "理论",
    }
}

/// One passed course (合格成绩).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PassedLine {
    pub code: String,
    pub name: String,
    pub credits: i64,
    pub score: String,
    /// 合格时间, e.g. 2024年04月.
    pub passed_at: String,
    /// 考试 or 免考.
    pub way: String,
}

/// 合格成绩查询: every passed course of the candidate.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PassedResults {
    /// None for a candidate without a 准考证号 (nothing to show).
    pub ticket: Option<String>,
    pub courses: Vec<PassedLine>,
    pub total_credits: i64,
}

/// One score of the latest session.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScoreLine {
    pub code: String,
    pub name: String,
    pub credits: i64,
    pub score: String,
    pub passed: bool,
    /// 合格 or 不合格.
    pub result: String,
}

/// 当次成绩查询: the candidate's scores of the latest exam session.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LatestResults {
    pub ticket: Option<String>,
    /// The latest session with scores, e.g. 2026年10月; None before any.
    pub session: Option<String>,
    pub scores: Vec<ScoreLine>,
}

/// One course of the plan with the candidate's standing in it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanLine {
    pub code: String,
    pub name: String,
    pub credits: i64,
    /// 理论, 实践 or 毕业论文.
    pub kind: String,
    pub passed: bool,
    pub score: Option<String>,
    pub passed_at: Option<String>,
}

/// 专业计划查询: the specialty's plan with the candidate's progress.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanProgress {
    pub ticket: Option<String>,
    pub specialty_code: Option<String>,
    pub specialty_name: Option<String>,
    /// 专科 or 本科.
    pub specialty_level: Option<String>,
    /// Credits to graduate, where the plan gives them.
    pub graduation_credits: Option<i64>,
    pub courses: Vec<PlanLine>,
    pub passed_count: usize,
    pub remaining_count: usize,
    pub passed_credits: i64,
    /// Credits still to earn: to the credits to graduate where known, else the
    /// credits of the courses not yet passed.
    pub remaining_credits: i64,
}

/// One exam of the admission ticket.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExamLine {
    pub code: String,
    pub name: String,
    pub date: String,
    pub time: String,
    pub venue: String,
    pub room: String,
    pub seat: String,
}

/// 准考证打印: the candidate's exams of the latest session with arrangements.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdmissionTicket {
    pub ticket: Option<String>,
    pub name: String,
    pub gender: String,
    /// Masked (the PDF carries the whole number).
    pub id_number: String,
    pub specialty: Option<String>,
    pub session: Option<String>,
    pub exams: Vec<ExamLine>,
}

impl App {
    /// The exam record behind the session, if the candidate has a 准考证号.
    async fn own_record(&self, s: &CandidateSession) -> ServiceResult<Option<ExamCandidateRow>> {
        match &s.candidate.ticket {
            Some(t) => Ok(self.db.exam_candidate(t).await?),
            None => Ok(None),
        }
    }

    /// 合格成绩查询.
    pub async fn passed_results(&self, s: &CandidateSession) -> ServiceResult<PassedResults> {
        let Some(ticket) = s.candidate.ticket.clone() else {
            return Ok(PassedResults {
                ticket: None,
                courses: vec![],
                total_credits: 0,
            });
        };
        let courses: Vec<PassedLine> = self
            .db
            .passed_courses(&ticket)
            .await?
            .into_iter()
            .map(|c| PassedLine {
                passed_at: session_label((c.passed_year, c.passed_month)),
                way: if c.by_exemption { "免考" } else { "考试" }.into(),
                code: c.code,
                name: c.name,
                credits: c.credits,
                score: c.score,
            })
            .collect();
        Ok(PassedResults {
            ticket: Some(ticket),
            total_credits: courses.iter().map(|c| c.credits).sum(),
            courses,
        })
    }

    /// 当次成绩查询: the latest session of the province's scores.
    pub async fn latest_results(&self, s: &CandidateSession) -> ServiceResult<LatestResults> {
        let session = self.db.latest_score_session().await?;
        let scores = match (&s.candidate.ticket, session) {
            (Some(t), Some(session)) => self.db.session_scores(t, session).await?,
            _ => vec![],
        };
        Ok(LatestResults {
            ticket: s.candidate.ticket.clone(),
            session: session.map(session_label),
            scores: scores
                .into_iter()
                .map(|r| ScoreLine {
                    code: r.course_code,
                    name: r.course_name,
                    credits: r.credits,
                    score: r.score,
                    result: if r.passed { "合格" } else { "不合格" }.into(),
                    passed: r.passed,
                })
                .collect(),
        })
    }

    /// 专业计划查询.
    pub async fn plan_progress(&self, s: &CandidateSession) -> ServiceResult<PlanProgress> {
        let record = self.own_record(s).await?;
        let specialty = match record.as_ref().and_then(|r| r.specialty_code.as_deref()) {
            Some(code) => self.db.specialty_row(code).await?,
            None => None,
        };
        let mut progress = PlanProgress {
            ticket: s.candidate.ticket.clone(),
            specialty_code: specialty.as_ref().map(|p| p.code.clone()),
            specialty_name: specialty.as_ref().map(|p| p.name.clone()),
            specialty_level: specialty.as_ref().map(|p| p.level.clone()),
            graduation_credits: specialty.as_ref().and_then(|p| p.graduation_credits),
            courses: vec![],
            passed_count: 0,
            remaining_count: 0,
            passed_credits: 0,
            remaining_credits: 0,
        };
        let (Some(record), Some(specialty)) = (record, specialty) else {
            return Ok(progress);
        };
        let passed: HashMap<String, _> = self
            .db
            .passed_courses(&record.ticket)
            .await?
            .into_iter()
            .map(|c| (c.code.clone(), c))
            .collect();
        for c in self.db.plan_course_rows(&specialty.code).await? {
            let done = passed.get(&c.code);
            progress.courses.push(PlanLine {
                kind: kind_label(&c.kind).into(),
                passed: done.is_some(),
                score: done.map(|d| d.score.clone()),
                passed_at: done.map(|d| session_label((d.passed_year, d.passed_month))),
                code: c.code,
                name: c.name,
                credits: c.credits,
            });
        }
        let (done, open): (Vec<&PlanLine>, Vec<&PlanLine>) =
            progress.courses.iter().partition(|c| c.passed);
        progress.passed_count = done.len();
        progress.remaining_count = open.len();
        progress.passed_credits = done.iter().map(|c| c.credits).sum();
        progress.remaining_credits = match progress.graduation_credits {
            Some(total) => (total - progress.passed_credits).max(0),
            None => open.iter().map(|c| c.credits).sum(),
        };
        Ok(progress)
    }

    /// 准考证打印: the exams of the latest session with arrangements.
    pub async fn admission_ticket(&self, s: &CandidateSession) -> ServiceResult<AdmissionTicket> {
        let c = &s.candidate;
        let record = self.own_record(s).await?;
        let specialty = match record.as_ref().and_then(|r| r.specialty_code.as_deref()) {
            Some(code) => self
                .db
                .specialty_row(code)
                .await?
                .map(|p| format!("{}（{}）{}", p.code, p.level, p.name)),
            None => None,
        };
        let session = self.db.latest_arrangement_session().await?;
        let exams = match (&c.ticket, session) {
            (Some(t), Some(session)) => self.db.arrangements(t, session).await?,
            _ => vec![],
        };
        let id_number = self.keys.decrypt("id_number", &c.id_number_enc)?;
        Ok(AdmissionTicket {
            ticket: c.ticket.clone(),
            name: c.name.clone(),
            gender: Gender::from_word(&c.gender)
                .map_or("", |g| g.label())
                .into(),
            id_number: crate::domain::mask(&id_number),
            specialty,
            session: session.map(session_label),
            exams: exams
                .into_iter()
                .map(|a| ExamLine {
                    code: a.course_code,
                    name: a.course_name,
                    date: a.exam_date,
                    time: a.exam_time,
                    venue: a.venue,
                    room: a.room,
                    seat: a.seat,
                })
                .collect(),
        })
    }

    /// The A4 PDF of the candidate's own admission ticket; 409 when there is no
    /// exam to print.
    pub async fn admission_ticket_pdf(&self, s: &CandidateSession) -> ServiceResult<Vec<u8>> {
        let ticket = self.admission_ticket(s).await?;
        if ticket.exams.is_empty() {
            return Err(ServiceError::conflict(
                "no_arrangements",
                "目前没有您的考试安排，暂无准考证可打印",
            ));
        }
        let renderer: Arc<crate::pdf::FormRenderer> = self.pdf.clone().ok_or_else(|| {
            ServiceError::conflict("pdf_unavailable", "准考证生成服务暂不可用，请稍后再试")
        })?;
        let photo = match self
            .photo_of(
                &s.candidate.id,
                super::identity::IDENTITY,
                PhotoKind::Portrait,
            )
            .await
        {
            Ok(bytes) => Some(bytes.to_vec()),
            Err(ServiceError::NotFound) => None,
            Err(e) => return Err(e),
        };
        let mut data =
            serde_json::to_value(&ticket).map_err(|e| ServiceError::Internal(e.into()))?;
        data["id_number"] = self
            .keys
            .decrypt("id_number", &s.candidate.id_number_enc)?
            .into();
        data["title"] = format!("{}高等教育自学考试准考证", self.province.info.name).into();
        data["organisation"] = self.province.info.organisation.clone().into();
        data["generated_at"] = china_minute(self.clock.now()).into();
        data["has_photo"] = photo.is_some().into();
        // The interactive lane's threads bound the renders at once; they do
        // not queue behind the photo checks' permits.
        let started = std::time::Instant::now();
        let pdf = self
            .interactive
            .run(move || renderer.render_admission_ticket(&data, photo))
            .await
            .map_err(|e| ServiceError::Internal(e.into()))?
            .map_err(|e| ServiceError::Internal(e.into()))?;
        self.metrics.render("admission_ticket", started.elapsed());
        Ok(pdf)
    }
}
