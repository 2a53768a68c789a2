//! Record correction by the city office (DESIGN §4.9): a candidate cannot edit
//! 姓名 or 身份证号 (and so 性别 and 出生日期, which the number carries); the
//! office of their city corrects them, with a reason, audited before and after,
//! and the candidate is told.
//!
//! Both copies of the personal data change in one transaction: the account
//! and, for an enrolled candidate, the exam record under their 准考证号, so the
//! 登记表, the login by 身份证号 and the enrolled-registration match all read
//! the corrected values.

use std::net::IpAddr;

use serde::Serialize;

use super::audit::{Actor, AuditEvent};
use super::{App, FieldErrors, ServiceError, ServiceResult, StaffSession};
use crate::domain::{Gender, PersonName, ResidentId, Role, StaffScope, Ticket, gender_of};
use crate::storage::{CandidateRow, IdentityCorrection, micros};

/// The largest reason a correction may carry.
const REASON_MAX: usize = 200;

/// A candidate's record as the city office sees it to correct it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecordView {
    pub candidate_id: String,
    pub name: String,
    pub gender: String,
    pub birth_date: String,
    /// In full: the office needs it to compare with the candidate's papers.
    pub id_number: String,
    pub ticket: Option<String>,
    pub city: String,
    pub county: String,
}

/// What the office types.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct RecordCorrection {
    /// 姓名 as it should read.
    pub name: String,
    /// 身份证号 as it should read (性别 and 出生日期 follow from it).
    pub id_number: String,
    /// Why, e.g. the document the candidate showed; the candidate reads it.
    pub reason: String,
}

fn may_correct(staff: &StaffSession) -> bool {
    matches!(staff.role, Role::CityOffice | Role::ProvinceAdmin)
}

fn in_scope(staff: &StaffSession, c: &CandidateRow) -> bool {
    match &staff.scope {
        StaffScope::Province => true,
        StaffScope::City(city) => *city == c.city,
        StaffScope::Point { .. } => false,
    }
}

impl App {
    /// Refuses staff who do not correct records (registration points).
    pub fn require_record_office(&self, staff: &StaffSession) -> ServiceResult<()> {
        if may_correct(staff) {
            Ok(())
        } else {
            Err(ServiceError::forbidden(
                "forbidden",
                "考生信息由地市自考办更正，报名点不办理此项",
            ))
        }
    }

    /// Finds a candidate of the office's scope by 身份证号 or 准考证号; a
    /// candidate of another city is simply not found.
    pub async fn find_record(
        &self,
        staff: &StaffSession,
        login: &str,
    ) -> ServiceResult<RecordView> {
        self.require_record_office(staff)?;
        let login = login.trim();
        if login.is_empty() {
            return Err(ServiceError::field("q", "请输入考生的身份证号或准考证号"));
        }
        let found = if let Ok(id) = ResidentId::parse(login, self.clock.today()) {
            let idx = self.keys.blind_index("id_number", id.as_str());
            self.db.candidate_by_id_number(&idx).await?
        } else if let Ok(ticket) = Ticket::parse(login) {
            self.db.candidate_by_ticket(ticket.as_str()).await?
        } else {
            return Err(ServiceError::field(
                "q",
                "请输入正确的18位身份证号或12位准考证号",
            ));
        };
        match found {
            Some(c) if in_scope(staff, &c) => self.record_view(&c),
            _ => Err(ServiceError::field("q", "本辖区内没有该考生的账号")),
        }
    }

    /// One candidate's record, for an office of their city.
    pub async fn scoped_record(
        &self,
        staff: &StaffSession,
        candidate_id: &str,
    ) -> ServiceResult<RecordView> {
        let c = self.scoped_candidate(staff, candidate_id).await?;
        self.record_view(&c)
    }

    async fn scoped_candidate(
        &self,
        staff: &StaffSession,
        candidate_id: &str,
    ) -> ServiceResult<CandidateRow> {
        self.require_record_office(staff)?;
        match self.db.candidate(candidate_id).await? {
            Some(c) if in_scope(staff, &c) => Ok(c),
            _ => Err(ServiceError::NotFound),
        }
    }

    fn record_view(&self, c: &CandidateRow) -> ServiceResult<RecordView> {
        Ok(RecordView {
            candidate_id: c.id.clone(),
            name: c.name.clone(),
            gender: Gender::from_word(&c.gender)
                .map(|g| g.label().to_owned())
                .unwrap_or_default(),
            birth_date: c.birth_date.clone(),
            id_number: self.keys.decrypt("id_number", &c.id_number_enc)?,
            ticket: c.ticket.clone(),
            city: c.city.clone(),
            county: c.county.clone(),
        })
    }

    /// Corrects 姓名 and 身份证号 of a candidate of the office's scope.
    pub async fn correct_record(
        &self,
        staff: &StaffSession,
        candidate_id: &str,
        input: &RecordCorrection,
        address: IpAddr,
    ) -> ServiceResult<RecordView> {
        let c = self.scoped_candidate(staff, candidate_id).await?;
        let mut errors = FieldErrors::new();
        let name = errors.check("name", PersonName::parse(&input.name));
        let id = errors.check(
            "id_number",
            ResidentId::parse(&input.id_number, self.clock.today()),
        );
        let reason = input.reason.trim();
        if reason.is_empty() {
            errors.add(
                "reason",
                "请填写更正依据（如考生出示的证件），考生将看到该说明",
            );
        } else if reason.chars().count() > REASON_MAX {
            errors.add("reason", format!("更正依据不能超过{REASON_MAX}字"));
        }
        let (Some(name), Some(id), true) = (name, id, errors.is_empty()) else {
            return Err(ServiceError::Invalid(errors));
        };
        let before = self.record_view(&c)?;
        if before.name == name.as_str() && before.id_number == id.as_str() {
            return Err(ServiceError::field(
                "name",
                "姓名和身份证号与现有信息相同，无需更正",
            ));
        }
        let idx = self.keys.blind_index("id_number", id.as_str());
        if let Some(other) = self.db.candidate_by_id_number(&idx).await?
            && other.id != c.id
        {
            return Err(ServiceError::field(
                "id_number",
                "该身份证号已被其他考生账号使用，请核实",
            ));
        }
        let gender = gender_of(&id);
        let correction = IdentityCorrection {
            candidate_id: &c.id,
            ticket: c.ticket.as_deref(),
            name: name.as_str(),
            gender: gender.as_str(),
            birth_date: &id.birth_date().to_string(),
            id_number_enc: &self.keys.encrypt("id_number", id.as_str()),
            id_number_idx: &idx,
        };
        let now = micros(self.clock.now());
        if !self.db.correct_identity(&correction, now).await? {
            return Err(ServiceError::field(
                "id_number",
                "该身份证号已被其他考生账号使用，请核实",
            ));
        }
        let after = RecordView {
            name: name.as_str().to_owned(),
            gender: gender.label().to_owned(),
            birth_date: id.birth_date().to_string(),
            id_number: id.as_str().to_owned(),
            ..before.clone()
        };
        let details = |v: &RecordView| {
            serde_json::json!({
                "name": v.name, "gender": v.gender, "birth_date": v.birth_date,
                "id_number": v.id_number, "reason": reason,
            })
        };
        self.record(
            AuditEvent::new(
                Actor::Staff(staff.staff.id.clone()),
                "candidate.correct_record",
            )
            .from(address)
            .candidate(&c.id)
            .change(Some(details(&before)), Some(details(&after))),
        )
        .await?;
        let mut changed = vec![];
        if before.name != after.name {
            changed.push("姓名");
        }
        if before.id_number != after.id_number {
            changed.push("身份证号");
            if before.gender != after.gender {
                changed.push("性别");
            }
            if before.birth_date != after.birth_date {
                changed.push("出生日期");
            }
        }
        self.db
            .add_notice(
                &c.id,
                &format!(
                    "地市自考办已更正您的{}。更正依据：{reason}。如已打印登记表，请重新下载打印。",
                    changed.join("、")
                ),
                now,
            )
            .await?;
        Ok(after)
    }
}
