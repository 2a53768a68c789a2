//! 省际转出: the application, its materials, confirmation and the city review.
//! Every change goes through a guarded state transition, so two actors can never
//! both succeed on one application.

use bytes::Bytes;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::sessions::{CandidateSession, StaffSession};
use super::{Actor, App, AuditEvent, FieldErrors, ServiceError, ServiceResult};
use crate::clock::china_minute;
use crate::domain::eligibility::{Eligibility, PassedCourse, TransferFacts, assess};
use crate::domain::{
    BusinessKind, ConfirmationKind, Decision, MAX_IMAGES_PER_KIND, MaterialKind, ReturnTo, Role,
    StaffScope, Ticket, TransferState, TransitionError, WindowStatus,
};
use crate::media::MATERIAL;
use crate::storage::{StateChange, TransferImageRow, TransferRow, from_micros, micros, new_id};

use super::lists::Lists;

/// Applications on one page of a reviewer's queue.
pub const QUEUE_PAGE: i64 = 50;
/// The last page a queue may be paged to (bounds the rows skipped).
pub const MAX_QUEUE_PAGE: u32 = 10_000;

/// What a view shows of the candidate of an application.
struct Applicant<'a> {
    name: &'a str,
    ticket: Option<&'a str>,
    id_number_enc: &'a str,
}

/// The form 省际转出申请信息填报.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct TransferForm {
    /// 转入省: two-digit province code.
    pub target_province: String,
    /// 转出原因: a code of the province's list.
    pub reason: String,
    /// 转入准考证: the 12-digit ticket issued by the target province.
    pub target_ticket: String,
}

/// 转入地专业名称 / 专业代码 / 专业层次, entered on the confirmation page.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct TargetSpecialty {
    pub name: String,
    pub code: String,
    /// 专科 or 本科
    pub level: String,
}

/// A reviewer's decision.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct DecisionInput {
    pub decision: Decision,
    /// Shown to the candidate; required for every decision but approve.
    #[serde(default)]
    pub reason: String,
    /// For return_for_correction: the step that holds the flaw (default application).
    #[serde(default)]
    pub return_to: Option<ReturnTo>,
}

/// One image of an application.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImageView {
    pub id: String,
    pub kind: String,
    pub kind_label: String,
    pub file_id: String,
}

/// A course line of the 登记表.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CourseLine {
    pub code: String,
    pub name: String,
    pub credits: i64,
    pub score: String,
    /// 合格时间, e.g. 2024年04月
    pub passed: String,
    /// Why the course does not move (courses that do not move only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The review result shown to the candidate.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewView {
    pub decision: Decision,
    pub label: String,
    pub reason: String,
    pub at: String,
}

/// Everything about one application, as its candidate or a reviewer sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TransferView {
    pub id: String,
    pub state: TransferState,
    pub state_label: String,
    pub name: String,
    /// 身份证号, masked
    pub id_number: String,
    pub ticket: String,
    /// 原属地市
    pub city: String,
    pub target_province: String,
    pub target_province_name: String,
    pub reason: String,
    pub reason_name: String,
    pub target_ticket: String,
    pub target_specialty: Option<TargetSpecialty>,
    pub materials: Vec<ImageView>,
    pub confirmation_photos: Vec<ImageView>,
    /// What a reviewer asked to fix, after a return for correction.
    pub correction_note: Option<String>,
    pub review: Option<ReviewView>,
    /// 申请时间
    pub created_at: String,
    pub submitted_at: Option<String>,
    pub confirmed_at: Option<String>,
    /// When the 转考申请 window closes.
    pub window_end: String,
    /// Whether the one more try after a rejection is still available.
    pub tries_left: bool,
}

/// The data of the 转考（转出）登记表.
#[derive(Debug, Clone, Serialize)]
pub struct RegistrationForm {
    pub application_id: String,
    pub province_name: String,
    pub name: String,
    pub gender: String,
    pub birth_date: String,
    pub id_number: String,
    pub phone: String,
    pub ticket: String,
    pub specialty_code: String,
    pub specialty_level: String,
    pub specialty_name: String,
    pub from_place: String,
    pub reason: String,
    pub courses: Vec<CourseLine>,
    pub target_place: String,
    pub target_ticket: String,
    pub target_specialty_name: String,
    pub target_specialty_code: String,
    pub target_specialty_level: String,
    pub state_label: String,
}

/// The eligibility as the form shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EligibilityView {
    pub allowed: bool,
    pub refusals: Vec<String>,
    pub movable: Vec<CourseLine>,
    pub unmovable: Vec<CourseLine>,
}

fn line(c: &PassedCourse, reason: Option<&str>) -> CourseLine {
    CourseLine {
        code: c.code.clone(),
        name: c.name.clone(),
        credits: c.credits,
        score: c.score.clone(),
        passed: format!("{}年{:02}月", c.passed_year, c.passed_month),
        reason: reason.map(Into::into),
    }
}

impl From<&Eligibility> for EligibilityView {
    fn from(e: &Eligibility) -> Self {
        Self {
            allowed: e.allowed(),
            refusals: e.refusals.clone(),
            movable: e.movable.iter().map(|c| line(c, None)).collect(),
            unmovable: e
                .unmovable
                .iter()
                .map(|u| line(&u.course, Some(u.reason)))
                .collect(),
        }
    }
}

fn transition(e: TransitionError) -> ServiceError {
    ServiceError::conflict("invalid_state", e.to_string())
}

/// The state as of `now`: an unconfirmed application of a closed window counts as
/// abandoned even before the job has written it.
fn effective_state(row: &TransferRow, now: i64) -> TransferState {
    let stored = TransferState::from_word(&row.state).unwrap_or(TransferState::Abandoned);
    if stored.abandons_at_close() && now >= row.window_end {
        TransferState::Abandoned
    } else {
        stored
    }
}

impl App {
    /// The open 转考申请 window, or a 409 saying it is not open.
    async fn open_transfer_window(&self) -> ServiceResult<(i64, i64)> {
        let w = self.window(BusinessKind::Transfer).await?;
        let rows = self.db.windows().await?;
        match (w.status, rows.iter().find(|(k, _, _)| k == "transfer")) {
            (WindowStatus::Open, Some(&(_, start, end))) => Ok((start, end)),
            (WindowStatus::NotStarted, _) => Err(ServiceError::conflict(
                "window_not_open",
                format!(
                    "转考申请尚未开始，办理时间为{}至{}",
                    w.start_text, w.end_text
                ),
            )),
            _ => Err(ServiceError::conflict(
                "window_closed",
                "转考申请不在办理时间内，不受理申请",
            )),
        }
    }

    /// The rules' facts of a candidate; refuses candidates without exam records.
    async fn transfer_facts(
        &self,
        session: &CandidateSession,
    ) -> ServiceResult<(TransferFacts, String)> {
        let no_record = || {
            ServiceError::conflict(
                "no_exam_record",
                "您尚无准考证号和合格课程记录，不能办理省际转出",
            )
        };
        let ticket = session.candidate.ticket.clone().ok_or_else(no_record)?;
        let record = self
            .db
            .exam_candidate(&ticket)
            .await?
            .ok_or_else(no_record)?;
        let plan = match &record.specialty_code {
            Some(code) => self.db.plan_courses(code).await?,
            None => vec![],
        };
        let facts = TransferFacts {
            status: record.status.clone(),
            transfer_in_date: record
                .transfer_in_date
                .as_deref()
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
            passed: self.db.passed_courses(&ticket).await?,
            plan,
        };
        Ok((facts, ticket))
    }

    /// Which courses would move and whether an application may be made now.
    pub async fn transfer_eligibility(
        &self,
        session: &CandidateSession,
    ) -> ServiceResult<EligibilityView> {
        let (facts, _) = self.transfer_facts(session).await?;
        Ok(EligibilityView::from(&assess(&facts, self.clock.today())))
    }

    async fn check_form(&self, form: &TransferForm, own_ticket: &str) -> ServiceResult<()> {
        let mut e = FieldErrors::new();
        let lists = self.lists().await?;
        match lists.target(form.target_province.trim()) {
            None => e.add("target_province", "请选择转入省份（不能是本省）"),
            Some(p) if !p.open => e.add(
                "target_province",
                format!("暂不受理转往{}的申请，请选择其他省份", p.name),
            ),
            Some(_) => {}
        }
        if !lists.reason(form.reason.trim()).is_some_and(|r| r.enabled) {
            e.add("reason", "请选择转出原因");
        }
        match Ticket::parse(&form.target_ticket) {
            Err(err) => e.add("target_ticket", err.to_string()),
            Ok(t) if t.as_str() == own_ticket => e.add(
                "target_ticket",
                "转入准考证号不能是本省的准考证号，请填写转入省发放的准考证号",
            ),
            Ok(_) => {}
        }
        e.into_result()
    }

    /// The applications of a candidate in the current window (or the last one).
    async fn window_applications(
        &self,
        candidate_id: &str,
        window_start: i64,
    ) -> ServiceResult<Vec<TransferRow>> {
        Ok(self
            .db
            .transfers_of(candidate_id)
            .await?
            .into_iter()
            .filter(|t| t.window_start == window_start)
            .collect())
    }

    /// 省际转出申请: a new draft after the window, eligibility and one-open checks.
    pub async fn create_transfer(
        &self,
        session: &CandidateSession,
        form: &TransferForm,
    ) -> ServiceResult<TransferView> {
        let (start, end) = self.open_transfer_window().await?;
        let (facts, ticket) = self.transfer_facts(session).await?;
        let eligibility = assess(&facts, self.clock.today());
        if !eligibility.allowed() {
            return Err(ServiceError::conflict(
                "not_eligible",
                eligibility.refusals.join("；"),
            ));
        }
        self.check_form(form, &ticket).await?;
        let now = micros(self.clock.now());
        let earlier = self
            .window_applications(&session.candidate.id, start)
            .await?;
        let rejections: i64 = earlier.iter().map(|t| t.rejections).sum();
        for t in &earlier {
            match effective_state(t, now) {
                TransferState::Approved => {
                    return Err(ServiceError::conflict(
                        "already_approved",
                        "您本次的转出申请已初审通过",
                    ));
                }
                TransferState::ConfirmationRejected if rejections < 2 => {
                    return Err(ServiceError::conflict(
                        "open_application",
                        "您的线上确认未通过审核，请在原申请中重新上传登记表照片并确认",
                    ));
                }
                s if s.is_open() && s != TransferState::ConfirmationRejected => {
                    return Err(ServiceError::conflict(
                        "open_application",
                        "您已有一份未完成的转出申请，请继续办理该申请",
                    ));
                }
                _ => {}
            }
        }
        if rejections >= 2 {
            return Err(ServiceError::conflict(
                "no_more_tries",
                "本次转考的重新申请机会已用完，审核结果为最终结果",
            ));
        }
        let row = TransferRow {
            id: new_id(),
            candidate_id: session.candidate.id.clone(),
            city: session.candidate.city.clone(),
            window_start: start,
            window_end: end,
            state: TransferState::Draft.as_str().into(),
            target_province: form.target_province.trim().into(),
            reason: form.reason.trim().into(),
            target_ticket: form.target_ticket.trim().into(),
            target_specialty_name: None,
            target_specialty_code: None,
            target_specialty_level: None,
            correction_note: None,
            decision: None,
            decision_reason: None,
            decided_at: None,
            created_at: now,
            submitted_at: None,
            confirmed_at: None,
            rejections: 0,
        };
        self.db.insert_transfer(&row).await?;
        let after = serde_json::json!({
            "state": row.state, "target_province": row.target_province, "reason": row.reason,
            "target_ticket": row.target_ticket,
        });
        self.record(
            AuditEvent::new(
                Actor::Candidate(row.candidate_id.clone()),
                "transfer.create",
            )
            .subject(&row.id)
            .candidate(&row.candidate_id)
            .change(None, Some(after)),
        )
        .await?;
        tracing::info!(application = %row.id, "transfer-out draft created");
        self.transfer_view(&row).await
    }

    /// The candidate's applications, newest first.
    pub async fn my_transfers(
        &self,
        session: &CandidateSession,
    ) -> ServiceResult<Vec<TransferView>> {
        let mut out = vec![];
        for row in self
            .db
            .transfers_of(&session.candidate.id)
            .await?
            .iter()
            .rev()
        {
            out.push(self.transfer_view(row).await?);
        }
        Ok(out)
    }

    /// The candidate's own application; 404 for anyone else's.
    pub async fn own_transfer(
        &self,
        session: &CandidateSession,
        id: &str,
    ) -> ServiceResult<TransferRow> {
        match self.db.transfer(id).await? {
            Some(t) if t.candidate_id == session.candidate.id => Ok(t),
            _ => Err(ServiceError::NotFound),
        }
    }

    /// An application within a reviewer's scope; 404 outside it.
    pub async fn scoped_transfer(
        &self,
        staff: &StaffSession,
        id: &str,
    ) -> ServiceResult<TransferRow> {
        let t = self.db.transfer(id).await?.ok_or(ServiceError::NotFound)?;
        let visible = match &staff.scope {
            StaffScope::Province => true,
            StaffScope::City(c) => *c == t.city,
            StaffScope::Point { .. } => false,
        };
        if visible {
            Ok(t)
        } else {
            Err(ServiceError::NotFound)
        }
    }

    /// The view of an application.
    pub async fn transfer_view(&self, row: &TransferRow) -> ServiceResult<TransferView> {
        let candidate = self
            .db
            .candidate(&row.candidate_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let images = self.db.transfer_images(&row.id).await?;
        let earlier = self
            .window_applications(&row.candidate_id, row.window_start)
            .await?;
        let rejections: i64 = earlier.iter().map(|t| t.rejections).sum();
        let lists = self.lists().await?;
        self.build_view(
            row,
            Applicant {
                name: &candidate.name,
                ticket: candidate.ticket.as_deref(),
                id_number_enc: &candidate.id_number_enc,
            },
            &images,
            rejections,
            &lists,
        )
    }

    /// The view of an application from what was read for it: its candidate,
    /// its images and the rejections of the candidate in its window.
    fn build_view(
        &self,
        row: &TransferRow,
        candidate: Applicant<'_>,
        images: &[TransferImageRow],
        rejections: i64,
        lists: &Lists,
    ) -> ServiceResult<TransferView> {
        let now = micros(self.clock.now());
        let state = effective_state(row, now);
        let id_number = self.keys.decrypt("id_number", candidate.id_number_enc)?;
        let view = |kind_label: &str, i: &TransferImageRow| ImageView {
            id: i.id.clone(),
            kind: i.kind.clone(),
            kind_label: kind_label.into(),
            file_id: i.file_id.clone(),
        };
        let mut materials = vec![];
        let mut confirmation_photos = vec![];
        for i in images {
            if let Some(k) = MaterialKind::from_word(&i.kind) {
                materials.push(view(k.label(), i));
            } else if let Some(k) = ConfirmationKind::from_word(&i.kind) {
                confirmation_photos.push(view(k.label(), i));
            }
        }
        let review = match (&row.decision, row.decided_at) {
            (Some(d), Some(at)) => Decision::from_word(d).map(|d| ReviewView {
                decision: d,
                label: d.label().into(),
                reason: row.decision_reason.clone().unwrap_or_default(),
                at: china_minute(from_micros(at)),
            }),
            _ => None,
        };
        let specialty = match (
            &row.target_specialty_name,
            &row.target_specialty_code,
            &row.target_specialty_level,
        ) {
            (Some(name), Some(code), Some(level)) => Some(TargetSpecialty {
                name: name.clone(),
                code: code.clone(),
                level: level.clone(),
            }),
            _ => None,
        };
        Ok(TransferView {
            id: row.id.clone(),
            state,
            state_label: state.label().into(),
            name: candidate.name.to_owned(),
            id_number: crate::domain::mask(&id_number),
            ticket: candidate.ticket.unwrap_or_default().to_owned(),
            city: lists
                .city(&row.city)
                .map(|c| c.name.clone())
                .unwrap_or_default(),
            target_province_name: self
                .province
                .provinces
                .iter()
                .find(|p| p.code == row.target_province)
                .map(|p| p.short_name.clone())
                .unwrap_or_default(),
            target_province: row.target_province.clone(),
            reason_name: lists
                .reason(&row.reason)
                .map(|r| r.name.clone())
                .unwrap_or_default(),
            reason: row.reason.clone(),
            target_ticket: row.target_ticket.clone(),
            target_specialty: specialty,
            materials,
            confirmation_photos,
            correction_note: row.correction_note.clone(),
            review,
            created_at: china_minute(from_micros(row.created_at)),
            submitted_at: row.submitted_at.map(|t| china_minute(from_micros(t))),
            confirmed_at: row.confirmed_at.map(|t| china_minute(from_micros(t))),
            window_end: china_minute(from_micros(row.window_end)),
            tries_left: rejections < 2,
        })
    }

    /// Refuses a change unless the application is in `allowed` and its window open.
    pub(super) async fn ensure_state(
        &self,
        row: &TransferRow,
        allowed: fn(TransferState) -> bool,
        err: TransitionError,
    ) -> ServiceResult<TransferState> {
        let state = effective_state(row, micros(self.clock.now()));
        if state == TransferState::Abandoned {
            return Err(ServiceError::conflict(
                "abandoned",
                "转考申请办理时间已结束，未完成确认的申请视为自动放弃",
            ));
        }
        if !allowed(state) {
            return Err(transition(err));
        }
        if state == TransferState::ConfirmationRejected {
            // After a second rejection nothing of the confirmation may change.
            let earlier = self
                .window_applications(&row.candidate_id, row.window_start)
                .await?;
            if earlier.iter().map(|t| t.rejections).sum::<i64>() >= 2 {
                return Err(transition(TransitionError::NoMoreTries));
            }
        }
        self.open_transfer_window().await?;
        Ok(state)
    }

    /// Changes the form of a draft.
    pub async fn update_transfer(
        &self,
        session: &CandidateSession,
        id: &str,
        form: &TransferForm,
    ) -> ServiceResult<TransferView> {
        let row = self.own_transfer(session, id).await?;
        self.ensure_state(
            &row,
            TransferState::is_editable,
            TransitionError::NotEditable,
        )
        .await?;
        self.check_form(form, session.candidate.ticket.as_deref().unwrap_or(""))
            .await?;
        let now = micros(self.clock.now());
        if !self
            .db
            .update_transfer_form(
                id,
                form.target_province.trim(),
                form.reason.trim(),
                form.target_ticket.trim(),
                now,
            )
            .await?
        {
            return Err(transition(TransitionError::NotEditable));
        }
        let row = self.own_transfer(session, id).await?;
        self.transfer_view(&row).await
    }

    /// Adds one image of a material kind to a draft.
    pub async fn add_material(
        &self,
        session: &CandidateSession,
        id: &str,
        kind: MaterialKind,
        raw: Bytes,
    ) -> ServiceResult<ImageView> {
        let row = self.own_transfer(session, id).await?;
        self.ensure_state(
            &row,
            TransferState::is_editable,
            TransitionError::NotEditable,
        )
        .await?;
        self.attach_image(&row, kind.as_str(), kind.label(), raw, false)
            .await
    }

    /// Stores a photo and links it to an application, removing the file again if
    /// the link cannot be made.
    async fn attach_image(
        &self,
        row: &TransferRow,
        kind: &str,
        label: &str,
        raw: Bytes,
        replace: bool,
    ) -> ServiceResult<ImageView> {
        let photo = self.store_photo(raw, &MATERIAL, kind).await?;
        let now = micros(self.clock.now());
        let linked = self
            .db
            .add_transfer_image(
                &row.id,
                kind,
                &photo.file.id,
                MAX_IMAGES_PER_KIND as i64,
                replace,
                now,
            )
            .await;
        match linked {
            Ok(Some((image_id, replaced))) => {
                for file_id in replaced {
                    if let Some(f) = self.db.file(&file_id).await? {
                        self.discard_file(&f).await?;
                    }
                }
                Ok(ImageView {
                    id: image_id,
                    kind: kind.into(),
                    kind_label: label.into(),
                    file_id: photo.file.id,
                })
            }
            Ok(None) => {
                self.discard_file(&photo.file).await?;
                Err(ServiceError::field(
                    kind,
                    format!("{label}最多上传{MAX_IMAGES_PER_KIND}张"),
                ))
            }
            Err(e) => {
                self.discard_file(&photo.file).await?;
                Err(e.into())
            }
        }
    }

    /// Removes one image while the application is editable.
    pub async fn delete_material(
        &self,
        session: &CandidateSession,
        id: &str,
        image_id: &str,
    ) -> ServiceResult<()> {
        let row = self.own_transfer(session, id).await?;
        let images = self.db.transfer_images(id).await?;
        let image = images
            .iter()
            .find(|i| i.id == image_id)
            .ok_or(ServiceError::NotFound)?;
        let editable: fn(TransferState) -> bool = if MaterialKind::from_word(&image.kind).is_some()
        {
            TransferState::is_editable
        } else {
            TransferState::accepts_confirmation_photos
        };
        self.ensure_state(&row, editable, TransitionError::NotEditable)
            .await?;
        if let Some(file_id) = self.db.delete_transfer_image(id, image_id).await?
            && let Some(f) = self.db.file(&file_id).await?
        {
            self.discard_file(&f).await?;
        }
        Ok(())
    }

    async fn change_state(
        &self,
        row: &TransferRow,
        from: TransferState,
        to: TransferState,
        change: StateChange<'_>,
    ) -> ServiceResult<()> {
        let now = micros(self.clock.now());
        if !self
            .db
            .change_transfer_state(&row.id, from.as_str(), to.as_str(), &change, now)
            .await?
        {
            return Err(ServiceError::conflict(
                "already_changed",
                "申请状态已变化，请刷新后重试",
            ));
        }
        let text = match (to, change.decision_reason) {
            (TransferState::Draft, Some(note))
            | (TransferState::AwaitingConfirmation, Some(note))
                if change.decision.is_some() =>
            {
                format!("您的省际转出申请被退回修改：{note}")
            }
            (_, Some(reason)) if !reason.is_empty() => {
                format!("您的省际转出申请状态变为“{}”：{reason}", to.label())
            }
            _ => format!("您的省际转出申请状态变为“{}”", to.label()),
        };
        self.db.add_notice(&row.candidate_id, &text, now).await?;
        if change.decided_by.is_none() {
            // The candidate's own step; a reviewer's decision is recorded with its reason.
            let action = format!("transfer.{}", to.as_str());
            self.record(
                AuditEvent::new(Actor::Candidate(row.candidate_id.clone()), &action)
                    .subject(&row.id)
                    .candidate(&row.candidate_id)
                    .change(
                        Some(serde_json::json!({ "state": from.as_str() })),
                        Some(serde_json::json!({ "state": to.as_str() })),
                    ),
            )
            .await?;
        }
        tracing::info!(application = %row.id, from = from.as_str(), to = to.as_str(), "transfer-out state changed");
        Ok(())
    }

    /// 提交申请: Draft → AwaitingConfirmation, with every material kind present.
    pub async fn submit_transfer(
        &self,
        session: &CandidateSession,
        id: &str,
    ) -> ServiceResult<TransferView> {
        let row = self.own_transfer(session, id).await?;
        let state = self
            .ensure_state(&row, TransferState::is_editable, TransitionError::NotDraft)
            .await?;
        let (facts, ticket) = self.transfer_facts(session).await?;
        let eligibility = assess(&facts, self.clock.today());
        if !eligibility.allowed() {
            return Err(ServiceError::conflict(
                "not_eligible",
                eligibility.refusals.join("；"),
            ));
        }
        let form = TransferForm {
            target_province: row.target_province.clone(),
            reason: row.reason.clone(),
            target_ticket: row.target_ticket.clone(),
        };
        self.check_form(&form, &ticket).await?;
        let images = self.db.transfer_images(id).await?;
        let mut e = FieldErrors::new();
        for kind in MaterialKind::ALL {
            if !images.iter().any(|i| i.kind == kind.as_str()) {
                e.add(kind.as_str(), format!("请上传{}", kind.label()));
            }
        }
        e.into_result()?;
        let to = state.submit().map_err(transition)?;
        self.change_state(
            &row,
            state,
            to,
            StateChange {
                stamp_submitted: true,
                ..Default::default()
            },
        )
        .await?;
        self.transfer_view(&self.own_transfer(session, id).await?)
            .await
    }

    /// 修改申请: AwaitingConfirmation → Draft.
    pub async fn reopen_transfer(
        &self,
        session: &CandidateSession,
        id: &str,
    ) -> ServiceResult<TransferView> {
        let row = self.own_transfer(session, id).await?;
        let state = self
            .ensure_state(
                &row,
                |s| s == TransferState::AwaitingConfirmation,
                TransitionError::NotEditable,
            )
            .await?;
        let to = state.reopen().map_err(transition)?;
        self.change_state(&row, state, to, StateChange::default())
            .await?;
        self.transfer_view(&self.own_transfer(session, id).await?)
            .await
    }

    /// Records 转入地专业名称 / 专业代码 / 专业层次.
    pub async fn set_target_specialty(
        &self,
        session: &CandidateSession,
        id: &str,
        s: &TargetSpecialty,
    ) -> ServiceResult<TransferView> {
        let row = self.own_transfer(session, id).await?;
        self.ensure_state(
            &row,
            TransferState::accepts_confirmation_photos,
            TransitionError::NotAwaitingConfirmation,
        )
        .await?;
        let mut e = FieldErrors::new();
        let name = s.name.trim();
        if name.is_empty() || name.chars().count() > 50 {
            e.add("name", "请填写转入地专业名称（不超过50字）");
        }
        let code = s.code.trim();
        if code.is_empty() || code.len() > 20 || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
            e.add("code", "转入地专业代码应为不超过20位的字母或数字");
        }
        if s.level != "专科" && s.level != "本科" {
            e.add("level", "请选择转入地专业层次（专科或本科）");
        }
        e.into_result()?;
        if !self
            .db
            .set_target_specialty(id, name, code, &s.level, micros(self.clock.now()))
            .await?
        {
            return Err(transition(TransitionError::NotAwaitingConfirmation));
        }
        self.transfer_view(&self.own_transfer(session, id).await?)
            .await
    }

    /// 本人登记表照片上传: replaces the photo of that kind.
    pub async fn add_confirmation_photo(
        &self,
        session: &CandidateSession,
        id: &str,
        kind: ConfirmationKind,
        raw: Bytes,
    ) -> ServiceResult<ImageView> {
        let row = self.own_transfer(session, id).await?;
        self.ensure_state(
            &row,
            TransferState::accepts_confirmation_photos,
            TransitionError::NotAwaitingConfirmation,
        )
        .await?;
        self.attach_image(&row, kind.as_str(), kind.label(), raw, true)
            .await
    }

    /// 确认并提交: AwaitingConfirmation (or a rejected confirmation with a try
    /// left) → PendingReview.
    pub async fn confirm_transfer(
        &self,
        session: &CandidateSession,
        id: &str,
    ) -> ServiceResult<TransferView> {
        let row = self.own_transfer(session, id).await?;
        let state = self
            .ensure_state(
                &row,
                TransferState::accepts_confirmation_photos,
                TransitionError::NotAwaitingConfirmation,
            )
            .await?;
        let view = self.transfer_view(&row).await?;
        let mut e = FieldErrors::new();
        if view.target_specialty.is_none() {
            e.add(
                "target_specialty",
                "请填写转入地专业名称、专业代码和专业层次",
            );
        }
        for kind in ConfirmationKind::ALL {
            if !view
                .confirmation_photos
                .iter()
                .any(|p| p.kind == kind.as_str())
            {
                e.add(kind.as_str(), format!("请上传{}", kind.label()));
            }
        }
        e.into_result()?;
        let to = state.confirm(view.tries_left).map_err(transition)?;
        self.change_state(
            &row,
            state,
            to,
            StateChange {
                stamp_confirmed: true,
                ..Default::default()
            },
        )
        .await?;
        self.transfer_view(&self.own_transfer(session, id).await?)
            .await
    }

    /// A reviewer's decision; 409 when someone decided first.
    pub async fn decide_transfer(
        &self,
        staff: &StaffSession,
        id: &str,
        input: &DecisionInput,
        address: std::net::IpAddr,
    ) -> ServiceResult<TransferView> {
        if !matches!(staff.role, Role::CityOffice | Role::ProvinceAdmin) {
            return Err(ServiceError::NotFound);
        }
        let row = self.scoped_transfer(staff, id).await?;
        let reason = input.reason.trim();
        if input.decision != Decision::Approve && reason.is_empty() {
            return Err(ServiceError::field(
                "reason",
                "请填写审核意见，考生将看到该意见",
            ));
        }
        if reason.chars().count() > 500 {
            return Err(ServiceError::field("reason", "审核意见不能超过500字"));
        }
        let state = effective_state(&row, micros(self.clock.now()));
        let return_to = input.return_to.unwrap_or(ReturnTo::Application);
        let to = state.decide(input.decision, return_to).map_err(|_| {
            ServiceError::conflict(
                "already_decided",
                "该申请已被处理（可能已由其他审核人员办理），请刷新后查看",
            )
        })?;
        let returned = input.decision == Decision::ReturnForCorrection;
        let change = StateChange {
            correction_note: returned.then_some(reason),
            decision: Some(input.decision.as_str()),
            decision_reason: Some(reason),
            decided_by: Some(&staff.staff.id),
            stamp_decided: true,
            count_rejection: input.decision.is_rejection(),
            ..Default::default()
        };
        self.change_state(&row, state, to, change)
            .await
            .map_err(|e| match e {
                ServiceError::Conflict { .. } => ServiceError::conflict(
                    "already_decided",
                    "该申请已被处理（可能已由其他审核人员办理），请刷新后查看",
                ),
                other => other,
            })?;
        let before = serde_json::json!({"state": state.as_str()});
        let after = serde_json::json!({"state": to.as_str(), "decision": input.decision.as_str(), "reason": reason});
        self.record(
            AuditEvent::new(Actor::Staff(staff.staff.id.clone()), "transfer.decide")
                .from(address)
                .subject(id)
                .candidate(&row.candidate_id)
                .change(Some(before), Some(after)),
        )
        .await?;
        self.transfer_view(&self.db.transfer(id).await?.ok_or(ServiceError::NotFound)?)
            .await
    }

    /// A reviewer's queue: the first page of the applications of their scope
    /// in a state, with counts.
    pub async fn transfer_queue(
        &self,
        staff: &StaffSession,
        state: TransferState,
    ) -> ServiceResult<(Vec<TransferView>, Vec<(TransferState, i64)>)> {
        self.transfer_queue_page(staff, state, 1).await
    }

    /// Page `page` (from 1, [`QUEUE_PAGE`] applications a page) of a
    /// reviewer's queue, oldest confirmation first, with the counts per state.
    /// A page costs the same whatever the queue holds: one read of the page
    /// with its candidates, one of their images, one of their windows'
    /// rejections, and an index-only count.
    pub async fn transfer_queue_page(
        &self,
        staff: &StaffSession,
        state: TransferState,
        page: u32,
    ) -> ServiceResult<(Vec<TransferView>, Vec<(TransferState, i64)>)> {
        let city = match &staff.scope {
            StaffScope::Province => None,
            StaffScope::City(c) => Some(c.as_str()),
            StaffScope::Point { .. } => {
                return Err(ServiceError::forbidden("forbidden", "报名点不办理转出审核"));
            }
        };
        let offset = i64::from(page.clamp(1, MAX_QUEUE_PAGE) - 1) * QUEUE_PAGE;
        let rows = self
            .db
            .transfer_queue(city, state.as_str(), QUEUE_PAGE, offset)
            .await?;
        let ids: Vec<String> = rows.iter().map(|r| r.transfer.id.clone()).collect();
        let mut candidates: Vec<String> = rows
            .iter()
            .map(|r| r.transfer.candidate_id.clone())
            .collect();
        candidates.sort();
        candidates.dedup();
        let mut images = self.db.transfer_images_of(&ids).await?;
        let rejections = self.db.window_rejections_of(&candidates).await?;
        let lists = self.lists().await?;
        let mut views = Vec::with_capacity(rows.len());
        for r in &rows {
            let t = &r.transfer;
            views.push(
                self.build_view(
                    t,
                    Applicant {
                        name: &r.name,
                        ticket: r.ticket.as_deref(),
                        id_number_enc: &r.id_number_enc,
                    },
                    &images.remove(&t.id).unwrap_or_default(),
                    rejections
                        .get(&(t.candidate_id.clone(), t.window_start))
                        .copied()
                        .unwrap_or(t.rejections),
                    &lists,
                )?,
            );
        }
        let counts = self
            .db
            .transfer_counts(city)
            .await?
            .into_iter()
            .filter_map(|(s, n)| TransferState::from_word(&s).map(|s| (s, n)))
            .collect();
        Ok((views, counts))
    }

    /// The 登记表 of an application once submitted.
    pub async fn registration_form(&self, row: &TransferRow) -> ServiceResult<RegistrationForm> {
        let state = effective_state(row, micros(self.clock.now()));
        if matches!(state, TransferState::Draft) {
            return Err(ServiceError::conflict(
                "not_submitted",
                "请先提交申请，再查看转出登记表",
            ));
        }
        let c = self
            .db
            .candidate(&row.candidate_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let ticket = c.ticket.clone().unwrap_or_default();
        let record = self.db.exam_candidate(&ticket).await?;
        let (specialty_code, specialty_name, specialty_level) =
            match record.as_ref().and_then(|r| r.specialty_code.clone()) {
                Some(code) => match self.db.specialty(&code).await? {
                    Some((name, level)) => (code, name, level),
                    None => (code, String::new(), String::new()),
                },
                None => Default::default(),
            };
        let facts = TransferFacts {
            status: "active".into(),
            transfer_in_date: None,
            passed: self.db.passed_courses(&ticket).await?,
            plan: vec![],
        };
        let eligibility = assess(&facts, self.clock.today());
        let target = self
            .province
            .provinces
            .iter()
            .find(|p| p.code == row.target_province);
        let lists = self.lists().await?;
        Ok(RegistrationForm {
            application_id: row.id.clone(),
            province_name: self.province.info.name.clone(),
            name: c.name.clone(),
            gender: crate::domain::Gender::from_word(&c.gender)
                .map(|g| g.label().to_owned())
                .unwrap_or_default(),
            birth_date: c.birth_date.clone(),
            id_number: self.keys.decrypt("id_number", &c.id_number_enc)?,
            phone: c
                .phone_enc
                .as_deref()
                .map(|p| self.keys.decrypt("phone", p))
                .transpose()?
                .unwrap_or_default(),
            ticket,
            specialty_code,
            specialty_level,
            specialty_name,
            from_place: format!(
                "{}{}",
                self.province.info.name,
                lists.city(&row.city).map(|c| c.name.as_str()).unwrap_or("")
            ),
            reason: lists
                .reason(&row.reason)
                .map(|r| r.name.clone())
                .unwrap_or_default(),
            courses: eligibility.movable.iter().map(|c| line(c, None)).collect(),
            target_place: target.map(|p| p.name.clone()).unwrap_or_default(),
            target_ticket: row.target_ticket.clone(),
            target_specialty_name: row.target_specialty_name.clone().unwrap_or_default(),
            target_specialty_code: row.target_specialty_code.clone().unwrap_or_default(),
            target_specialty_level: row.target_specialty_level.clone().unwrap_or_default(),
            state_label: state.label().into(),
        })
    }

    /// The window-close and reminder job; safe to run on every node at once.
    pub async fn run_transfer_jobs(&self) -> ServiceResult<()> {
        let now = micros(self.clock.now());
        for (id, candidate) in self.db.abandon_closed_transfers(now).await? {
            self.db
                .add_notice(
                    &candidate,
                    "转考申请办理时间已结束，您未完成线上确认的省际转出申请视为自动放弃",
                    now,
                )
                .await?;
            self.record(
                AuditEvent::new(Actor::System, "transfer.abandon_at_close")
                    .subject(&id)
                    .candidate(&candidate)
                    .change(
                        None,
                        Some(serde_json::json!({ "state": TransferState::Abandoned.as_str() })),
                    ),
            )
            .await?;
            tracing::info!(application = %id, "transfer-out abandoned at window close");
        }
        // The nearer reminder first, so a job that first runs within a day of the
        // close sends only that one.
        for days in [1, 3] {
            for (candidate, end) in self.db.take_due_reminders(now, days).await? {
                let text = format!(
                    "提醒：转考申请将于{}结束，您的省际转出申请尚未完成线上确认，逾期视为自动放弃",
                    china_minute(from_micros(end))
                );
                self.db.add_notice(&candidate, &text, now).await?;
            }
        }
        Ok(())
    }

    /// A candidate's newest notices: (text, time).
    pub async fn notices(
        &self,
        session: &CandidateSession,
    ) -> ServiceResult<Vec<(String, String)>> {
        Ok(self
            .db
            .notices(&session.candidate.id, 20)
            .await?
            .into_iter()
            .map(|(text, at)| (text, china_minute(from_micros(at))))
            .collect())
    }

    /// The bytes of an image of an application the caller may see.
    pub async fn transfer_image_bytes(
        &self,
        row: &TransferRow,
        file_id: &str,
        thumbnail: bool,
    ) -> ServiceResult<Bytes> {
        let images = self.db.transfer_images(&row.id).await?;
        if !images.iter().any(|i| i.file_id == file_id) {
            return Err(ServiceError::NotFound);
        }
        let file = self.db.file(file_id).await?.ok_or(ServiceError::NotFound)?;
        self.file_bytes(&file, thumbnail).await
    }
}
