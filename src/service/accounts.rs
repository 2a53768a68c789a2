//! Candidate accounts: both registration paths, login, password change, profile.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::sessions::{CANDIDATE, CandidateSession, Issued};
use super::{Actor, App, AuditEvent, FieldErrors, ServiceError, ServiceResult};
use crate::domain::{
    CandidateKind, Email, Gender, IdentityState, NewPassword, PersonName, Phone, ResidentId,
    Ticket, gender_of,
};
use crate::storage::{CandidateRow, NewCandidateRow, micros, new_id};

/// The first step of a new candidate (新考生): profile and password.
#[derive(Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct NewRegistration {
    /// 姓名
    pub name: String,
    /// 身份证号
    pub id_number: String,
    /// 手机号
    pub phone: String,
    /// 电子邮箱 (optional)
    pub email: String,
    #[serde(skip_serializing)]
    pub password: String,
    /// The password typed again (pages); when given it must match.
    #[serde(skip_serializing)]
    pub password_confirm: Option<String>,
    /// 民族, e.g. 汉族
    pub ethnicity: String,
    /// 户口性质: 城镇 or 农村
    pub household: String,
    /// 文化程度
    pub education: String,
    /// 职业
    pub occupation: String,
    /// 政治面貌
    pub politics: String,
    /// 报名区县: six-digit county code
    pub county: String,
}

/// The first step of an enrolled candidate (在籍考生).
#[derive(Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct EnrolledRegistration {
    /// 身份证号
    pub id_number: String,
    /// 姓名, as in the exam records
    pub name: String,
    /// The new password; without it only the match is checked.
    #[serde(skip_serializing)]
    pub password: Option<String>,
    /// The password typed again (pages); when given it must match.
    #[serde(skip_serializing)]
    pub password_confirm: Option<String>,
}

/// A created account.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RegistrationOutcome {
    pub candidate_id: String,
    pub identity_state: IdentityState,
}

/// Values of the registration form's lists, for forms and apps.
pub type SelectLists = crate::province::ProfileLists;

/// The personal center's profile, masked for display.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Profile {
    pub name: String,
    /// 身份证号, masked
    pub id_number: String,
    /// 准考证号 (none before the first exam registration)
    pub ticket: Option<String>,
    pub gender: String,
    pub birth_date: String,
    pub ethnicity: String,
    pub household: String,
    pub education: String,
    pub occupation: String,
    pub politics: String,
    /// 手机号, masked
    pub phone: String,
    pub city: String,
    /// 报名区县
    pub county: String,
    /// 电子邮箱, masked
    pub email: String,
    pub kind: CandidateKind,
    pub identity_state: IdentityState,
    /// The Chinese label of the identity state.
    pub identity_state_label: String,
}

const LOGIN_FAILED: &str = "身份证号/准考证号或密码错误";

/// Records a mismatch between a password and its repetition, when one was typed.
fn confirm(e: &mut FieldErrors, password: &str, repeated: Option<&str>) {
    if repeated.is_some_and(|r| r != password) {
        e.add("password_confirm", "两次输入的密码不一致");
    }
}

impl App {
    fn pick(
        &self,
        errors: &mut FieldErrors,
        field: &str,
        value: &str,
        list: &[String],
        what: &str,
    ) {
        if !list.iter().any(|v| v == value) {
            errors.add(field, format!("请选择{what}"));
        }
    }

    /// Registers a new candidate, who then awaits identity verification.
    pub async fn register_new(
        &self,
        input: &NewRegistration,
    ) -> ServiceResult<RegistrationOutcome> {
        let today = self.clock.today();
        let mut e = FieldErrors::new();
        let name = e.check("name", PersonName::parse(&input.name));
        let id = e.check("id_number", ResidentId::parse(&input.id_number, today));
        let phone = e.check("phone", Phone::parse(&input.phone));
        let email = if input.email.trim().is_empty() {
            None
        } else {
            e.check("email", Email::parse(&input.email))
        };
        let lists = &self.province.lists;
        self.pick(
            &mut e,
            "ethnicity",
            &input.ethnicity,
            &lists.ethnicities,
            "民族",
        );
        self.pick(
            &mut e,
            "household",
            &input.household,
            &lists.household,
            "户口性质",
        );
        self.pick(
            &mut e,
            "education",
            &input.education,
            &lists.education,
            "文化程度",
        );
        self.pick(
            &mut e,
            "occupation",
            &input.occupation,
            &lists.occupation,
            "职业",
        );
        self.pick(
            &mut e,
            "politics",
            &input.politics,
            &lists.politics,
            "政治面貌",
        );
        let lists = self.lists().await?;
        let place = lists.open_county(input.county.trim());
        if place.is_none() {
            e.add("county", "请选择报名区县");
        }
        let password = e.check(
            "password",
            NewPassword::parse(&input.password, id.as_ref(), phone.as_ref()),
        );
        if let Some(id) = &id {
            let idx = self.keys.blind_index("id_number", id.as_str());
            if self.db.candidate_exists(&idx).await? {
                e.add("id_number", "该身份证号已注册，请直接登录；忘记密码可找回");
            } else if !self.db.exam_candidates_by_id_number(&idx).await?.is_empty() {
                e.add("id_number", "您已有准考证号，请选择“在籍考生”注册");
            }
        }
        confirm(&mut e, &input.password, input.password_confirm.as_deref());
        e.into_result()?;
        let (Some(name), Some(id), Some(phone), Some(password), Some((city, county))) =
            (name, id, phone, password, place)
        else {
            unreachable!("every field was checked above");
        };

        let row = NewCandidateRow {
            id: new_id(),
            kind: CandidateKind::New.as_str().into(),
            id_number_enc: self.keys.encrypt("id_number", id.as_str()),
            id_number_idx: self.keys.blind_index("id_number", id.as_str()),
            ticket: None,
            name: name.as_str().into(),
            gender: gender_of(&id).as_str().into(),
            birth_date: id.birth_date().to_string(),
            phone_enc: Some(self.keys.encrypt("phone", phone.as_str())),
            email_enc: email.map(|m| self.keys.encrypt("email", m.as_str())),
            ethnicity: Some(input.ethnicity.clone()),
            household: Some(input.household.clone()),
            education: Some(input.education.clone()),
            occupation: Some(input.occupation.clone()),
            politics: Some(input.politics.clone()),
            city: city.code.clone(),
            county: county.code.clone(),
            password_hash: self
                .passwords
                .hash(password.expose())
                .await
                .map_err(ServiceError::Internal)?,
            identity_state: IdentityState::AwaitingIdentity.as_str().into(),
            now: micros(self.clock.now()),
        };
        self.store_candidate(row).await
    }

    async fn store_candidate(&self, row: NewCandidateRow) -> ServiceResult<RegistrationOutcome> {
        if !self.db.insert_candidate(&row).await? {
            return Err(ServiceError::field(
                "id_number",
                "该身份证号已注册，请直接登录；忘记密码可找回",
            ));
        }
        let after = serde_json::json!({
            "kind": row.kind, "name": row.name, "city": row.city, "county": row.county,
            "ticket": row.ticket, "identity_state": row.identity_state,
        });
        self.record(
            AuditEvent::new(Actor::Candidate(row.id.clone()), "candidate.register")
                .candidate(&row.id)
                .change(None, Some(after)),
        )
        .await?;
        tracing::info!(candidate = %row.id, kind = %row.kind, "candidate registered");
        Ok(RegistrationOutcome {
            candidate_id: row.id,
            identity_state: IdentityState::AwaitingIdentity,
        })
    }

    /// Checks 身份证号 + 姓名 against the exam records; the matching record.
    pub async fn match_enrolled(
        &self,
        id_number: &str,
        name: &str,
    ) -> ServiceResult<crate::storage::ExamCandidateRow> {
        let mut e = FieldErrors::new();
        let id = e.check(
            "id_number",
            ResidentId::parse(id_number, self.clock.today()),
        );
        let name = e.check("name", PersonName::parse(name));
        e.into_result()?;
        let (Some(id), Some(name)) = (id, name) else {
            unreachable!("checked above")
        };
        let idx = self.keys.blind_index("id_number", id.as_str());
        let record = self
            .db
            .exam_candidates_by_id_number(&idx)
            .await?
            .into_iter()
            .filter(|r| r.name == name.as_str())
            .max_by(|a, b| a.ticket.cmp(&b.ticket));
        let Some(record) = record else {
            return Err(ServiceError::field(
                "id_number",
                "未找到与该身份证号和姓名相符的在籍考生记录，请核对；新参加自考请选择“新考生”注册",
            ));
        };
        if self.db.candidate_exists(&idx).await? {
            return Err(ServiceError::field(
                "id_number",
                "该考生已设置过登录密码，请直接登录；忘记密码可找回",
            ));
        }
        Ok(record)
    }

    /// Registers an enrolled candidate: record match, then the password.
    pub async fn register_enrolled(
        &self,
        input: &EnrolledRegistration,
    ) -> ServiceResult<RegistrationOutcome> {
        let record = self.match_enrolled(&input.id_number, &input.name).await?;
        let id = ResidentId::parse(&input.id_number, self.clock.today())
            .map_err(|e| ServiceError::field("id_number", e.to_string()))?;
        let raw = input.password.as_deref().unwrap_or("");
        let mut e = FieldErrors::new();
        let password = e.check("password", NewPassword::parse(raw, Some(&id), None));
        confirm(&mut e, raw, input.password_confirm.as_deref());
        e.into_result()?;
        let password = password.expect("checked above");
        let row = NewCandidateRow {
            id: new_id(),
            kind: CandidateKind::Enrolled.as_str().into(),
            id_number_enc: record.id_number_enc.clone(),
            id_number_idx: record.id_number_idx.clone(),
            ticket: Some(record.ticket.clone()),
            name: record.name.clone(),
            gender: gender_of(&id).as_str().into(),
            birth_date: id.birth_date().to_string(),
            phone_enc: None,
            email_enc: None,
            ethnicity: None,
            household: None,
            education: None,
            occupation: None,
            politics: None,
            city: record.city.clone(),
            county: record.county.clone(),
            password_hash: self
                .passwords
                .hash(password.expose())
                .await
                .map_err(ServiceError::Internal)?,
            identity_state: IdentityState::AwaitingIdentity.as_str().into(),
            now: micros(self.clock.now()),
        };
        self.store_candidate(row).await
    }

    /// Signs a candidate in by 身份证号 or 准考证号 and password.
    pub async fn login_candidate(
        &self,
        login: &str,
        password: &str,
        address: IpAddr,
    ) -> ServiceResult<(Issued, CandidateRow)> {
        self.check_address(address)?;
        let login = login.trim().to_ascii_uppercase();
        if login.is_empty() || password.is_empty() {
            let mut e = FieldErrors::new();
            if login.is_empty() {
                e.add("login", "请输入身份证号或准考证号");
            }
            if password.is_empty() {
                e.add("password", "请输入密码");
            }
            return Err(ServiceError::Invalid(e));
        }
        let key = self.keys.blind_index("login", &login);
        self.check_lock(&key).await?;
        let account = if let Ok(ticket) = Ticket::parse(&login) {
            self.db.candidate_by_ticket(ticket.as_str()).await?
        } else if login.len() == 18 && login.is_ascii() {
            let idx = self.keys.blind_index("id_number", &login);
            self.db.candidate_by_id_number(&idx).await?
        } else {
            None
        };
        let ok = self
            .passwords
            .verify(password, account.as_ref().map(|a| a.password_hash.as_str()))
            .await
            .map_err(ServiceError::Internal)?;
        let Some(account) = account.filter(|_| ok) else {
            return Err(self.fail_login("candidate", &key, LOGIN_FAILED).await);
        };
        self.db.clear_failures(&key).await?;
        let issued = self.issue_session(CANDIDATE, &account.id).await?;
        tracing::info!(candidate = %account.id, "candidate signed in");
        Ok((issued, account))
    }

    /// Changes the password after checking the current one; every other session
    /// of the candidate ends.
    pub async fn change_password(
        &self,
        session: &CandidateSession,
        current: &str,
        new: &str,
        new_confirm: Option<&str>,
    ) -> ServiceResult<()> {
        let c = &session.candidate;
        let ok = self
            .passwords
            .verify(current, Some(&c.password_hash))
            .await
            .map_err(ServiceError::Internal)?;
        let mut e = FieldErrors::new();
        if !ok {
            e.add("current_password", "当前密码不正确");
        }
        let id = ResidentId::parse(
            &self.keys.decrypt("id_number", &c.id_number_enc)?,
            self.clock.today(),
        )
        .ok();
        let phone = match &c.phone_enc {
            Some(p) => Phone::parse(&self.keys.decrypt("phone", p)?).ok(),
            None => None,
        };
        if new_confirm.is_some_and(|r| r != new) {
            e.add("new_password_confirm", "两次输入的新密码不一致");
        }
        let new = e.check(
            "new_password",
            NewPassword::parse(new, id.as_ref(), phone.as_ref()),
        );
        if new.is_some() && current == new.as_ref().map(NewPassword::expose).unwrap_or_default() {
            e.add("new_password", "新密码不能与当前密码相同");
        }
        e.into_result()?;
        let new = new.expect("checked above");
        let hash = self
            .passwords
            .hash(new.expose())
            .await
            .map_err(ServiceError::Internal)?;
        self.db
            .set_candidate_password(
                &c.id,
                &hash,
                Some(&session.token_hash),
                micros(self.clock.now()),
            )
            .await?;
        self.record(
            AuditEvent::new(Actor::Candidate(c.id.clone()), "candidate.password_change")
                .candidate(&c.id),
        )
        .await?;
        tracing::info!(candidate = %c.id, "password changed; other sessions ended");
        Ok(())
    }

    /// The profile of the signed-in candidate, masked.
    pub fn profile(&self, session: &CandidateSession) -> ServiceResult<Profile> {
        let c = &session.candidate;
        let id = self.keys.decrypt("id_number", &c.id_number_enc)?;
        let phone = c
            .phone_enc
            .as_deref()
            .map(|p| self.keys.decrypt("phone", p))
            .transpose()?;
        let email = c
            .email_enc
            .as_deref()
            .map(|m| self.keys.decrypt("email", m))
            .transpose()?;
        let lists = self.lists_snapshot();
        let (city, county) = match lists.county(&c.county) {
            Some((city, county)) => (city.name.clone(), county.name.clone()),
            None => (c.city.clone(), c.county.clone()),
        };
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        Ok(Profile {
            name: c.name.clone(),
            id_number: crate::domain::mask(&id),
            ticket: c.ticket.clone(),
            gender: Gender::from_word(&c.gender)
                .map(|g| g.label().to_owned())
                .unwrap_or_default(),
            birth_date: c.birth_date.clone(),
            ethnicity: text(&c.ethnicity),
            household: text(&c.household),
            education: text(&c.education),
            occupation: text(&c.occupation),
            politics: text(&c.politics),
            phone: phone
                .as_deref()
                .map(crate::domain::mask_phone)
                .unwrap_or_default(),
            city,
            county,
            email: email
                .as_deref()
                .map(crate::domain::mask_email)
                .unwrap_or_default(),
            kind: CandidateKind::from_word(&c.kind).unwrap_or(CandidateKind::New),
            identity_state: session.identity,
            identity_state_label: session.identity.label().to_owned(),
        })
    }
}

impl App {
    /// Signs in an account that was just registered on this device.
    pub async fn sign_in_registered(&self, outcome: &RegistrationOutcome) -> ServiceResult<Issued> {
        self.issue_session(CANDIDATE, &outcome.candidate_id).await
    }
}
