//! The registration point's side of identity verification: the online review
//! queue, decisions, and verification in person. The province admin sees every
//! queue; city offices have no part in it.

use std::net::IpAddr;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::identity::{IDENTITY, candidate_kind, json_texts};
use super::{Actor, App, AuditEvent, ServiceError, ServiceResult, StaffSession};
use crate::clock::china_minute;
use crate::domain::{
    CLARITY_MIN, IdentityState, PhotoKind, RejectReason, ResidentId, Role, photos_for,
};
use crate::storage::{CandidateRow, QueueRow, from_micros, micros};

/// A case in the queue.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewItem {
    pub candidate_id: String,
    pub name: String,
    /// 新考生 or 在籍考生
    pub kind_label: String,
    /// City and county names.
    pub place: String,
    /// When the checks sent it here, China Standard Time.
    pub submitted_at: String,
    /// What the automated checks found.
    pub findings: Vec<String>,
}

/// A case opened for a decision, with the kinds of photo to show.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseView {
    pub item: ReviewItem,
    /// 身份证号, masked
    pub id_number: String,
    pub photos: Vec<PhotoKind>,
    /// The sharpness the upload measured, per photo on file.
    pub sharpness: Vec<PhotoSharpness>,
}

/// The sharpness of one photo of a case (variance of the Laplacian).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PhotoSharpness {
    pub kind: PhotoKind,
    pub label: String,
    pub value: i64,
    /// At least the clarity threshold.
    pub clear: bool,
}

/// `{decision: approve|reject, reason, note}`; a rejection needs a reason from
/// the list (`unclear`, `not_same_person`, `card_unreadable`, `not_genuine`,
/// `other`), and `other` needs a note.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct ReviewDecision {
    pub decision: String,
    pub reason: Option<String>,
    /// Free text shown to the candidate with the reason.
    pub note: Option<String>,
}

/// A candidate found for verification in person.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InPersonCandidate {
    pub candidate_id: String,
    pub name: String,
    /// 身份证号, masked
    pub id_number: String,
    pub place: String,
    pub identity_state: IdentityState,
    pub identity_state_label: String,
}

impl App {
    /// The county a staff member reviews (`""` for every county), or 403.
    fn review_scope(&self, staff: &StaffSession) -> ServiceResult<String> {
        match (&staff.role, &staff.scope) {
            (Role::ProvinceAdmin, _) => Ok(String::new()),
            (Role::RegistrationPoint, crate::domain::StaffScope::Point { county, .. }) => {
                Ok(county.clone())
            }
            _ => Err(ServiceError::forbidden(
                "not_a_registration_point",
                "身份审核由报名点办理",
            )),
        }
    }

    /// Refuses staff who take no part in identity verification (403).
    pub fn require_identity_reviewer(&self, staff: &StaffSession) -> ServiceResult<()> {
        self.review_scope(staff).map(|_| ())
    }

    /// A candidate's 身份证号, masked.
    fn masked_id_number(&self, c: &CandidateRow) -> ServiceResult<String> {
        Ok(crate::domain::mask(
            &self.keys.decrypt("id_number", &c.id_number_enc)?,
        ))
    }

    /// A candidate within the staff member's review scope, or `NotFound`.
    async fn candidate_in_scope(
        &self,
        staff: &StaffSession,
        candidate_id: &str,
    ) -> ServiceResult<CandidateRow> {
        let county = self.review_scope(staff)?;
        let c = self
            .db
            .candidate(candidate_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        if !county.is_empty() && c.county != county {
            return Err(ServiceError::NotFound);
        }
        Ok(c)
    }

    fn place(&self, county: &str) -> String {
        self.lists_snapshot().place(county)
    }

    fn review_item(&self, r: QueueRow) -> ReviewItem {
        ReviewItem {
            kind_label: candidate_kind(&r.kind).label().into(),
            place: self.place(&r.county),
            submitted_at: china_minute(from_micros(r.submitted_at)),
            findings: serde_json::from_str(&r.findings).unwrap_or_default(),
            candidate_id: r.candidate_id,
            name: r.name,
        }
    }

    /// The review queue of the staff member's scope, oldest first.
    pub async fn identity_queue(&self, staff: &StaffSession) -> ServiceResult<Vec<ReviewItem>> {
        let county = self.review_scope(staff)?;
        let rows = self.db.review_queue(&county).await?;
        Ok(rows.into_iter().map(|r| self.review_item(r)).collect())
    }

    /// One case of the queue.
    pub async fn identity_case(
        &self,
        staff: &StaffSession,
        candidate_id: &str,
    ) -> ServiceResult<CaseView> {
        let c = self.candidate_in_scope(staff, candidate_id).await?;
        let row = self
            .db
            .review_queue(&c.county)
            .await?
            .into_iter()
            .find(|r| r.candidate_id == c.id)
            .ok_or(ServiceError::NotFound)?;
        Ok(CaseView {
            item: self.review_item(row),
            id_number: self.masked_id_number(&c)?,
            photos: photos_for(candidate_kind(&c.kind)).to_vec(),
            sharpness: self
                .db
                .identity_photos(&c.id, IDENTITY)
                .await?
                .iter()
                .filter_map(|(k, f)| {
                    let kind = PhotoKind::from_word(k)?;
                    Some(PhotoSharpness {
                        kind,
                        label: kind.label().into(),
                        value: f.sharpness,
                        clear: f.sharpness as f64 >= CLARITY_MIN,
                    })
                })
                .collect(),
        })
    }

    /// A candidate's identity photo, for staff of their scope.
    pub async fn staff_identity_photo(
        &self,
        staff: &StaffSession,
        candidate_id: &str,
        kind: PhotoKind,
    ) -> ServiceResult<Bytes> {
        let c = self.candidate_in_scope(staff, candidate_id).await?;
        self.photo_of(&c.id, IDENTITY, kind).await
    }

    /// Approves or rejects a case under review (audited). 409 when it was decided
    /// already.
    pub async fn decide_identity(
        &self,
        staff: &StaffSession,
        candidate_id: &str,
        input: &ReviewDecision,
        address: IpAddr,
    ) -> ServiceResult<IdentityState> {
        let c = self.candidate_in_scope(staff, candidate_id).await?;
        let note = input.note.as_deref().unwrap_or("").trim();
        if note.chars().count() > 200 {
            return Err(ServiceError::field("note", "说明不能超过200字"));
        }
        let (to, outcome, texts) = match input.decision.as_str() {
            "approve" => (IdentityState::Verified, "approved", vec![]),
            "reject" => {
                let reason = input.reason.as_deref().and_then(RejectReason::from_word);
                let Some(reason) = reason else {
                    return Err(ServiceError::field("reason", "请选择不通过的原因"));
                };
                if reason == RejectReason::Other && note.is_empty() {
                    return Err(ServiceError::field("note", "请填写具体原因"));
                }
                let text = match note.is_empty() {
                    true => reason.label().to_owned(),
                    false => format!("{}：{note}", reason.label()),
                };
                (IdentityState::AwaitingIdentity, "rejected", vec![text])
            }
            _ => return Err(ServiceError::field("decision", "请选择审核结果")),
        };
        let now = micros(self.clock.now());
        let from = IdentityState::UnderReview.as_str();
        if !self
            .db
            .move_identity_state(&c.id, from, to.as_str(), now)
            .await?
        {
            return Err(ServiceError::conflict(
                "already_decided",
                "该考生的身份审核已办理，请刷新队列",
            ));
        }
        self.db
            .append_attempt(&c.id, IDENTITY, now, outcome, &json_texts(&texts))
            .await?;
        let action = format!("identity.{}", input.decision);
        self.record(
            AuditEvent::new(Actor::Staff(staff.staff.id.clone()), &action)
                .from(address)
                .candidate(&c.id)
                .change(
                    Some(json!({ "identity_state": from })),
                    Some(json!({ "identity_state": to.as_str(), "reason": texts })),
                ),
        )
        .await?;
        tracing::info!(candidate = %c.id, staff = %staff.staff.id, outcome, "identity case decided");
        Ok(to)
    }

    /// Finds a candidate of the staff member's scope by 身份证号, for verification
    /// in person.
    pub async fn find_for_in_person(
        &self,
        staff: &StaffSession,
        id_number: &str,
    ) -> ServiceResult<InPersonCandidate> {
        let county = self.review_scope(staff)?;
        let id = ResidentId::parse(id_number, self.clock.today())
            .map_err(|e| ServiceError::field("id_number", e.to_string()))?;
        let idx = self.keys.blind_index("id_number", id.as_str());
        let c = self
            .db
            .candidate_by_id_number(&idx)
            .await?
            .filter(|c| county.is_empty() || c.county == county)
            .ok_or_else(|| ServiceError::field("id_number", "本报名点没有该身份证号注册的考生"))?;
        let state =
            IdentityState::from_word(&c.identity_state).unwrap_or(IdentityState::AwaitingIdentity);
        Ok(InPersonCandidate {
            candidate_id: c.id.clone(),
            name: c.name.clone(),
            id_number: crate::domain::mask(id.as_str()),
            place: self.place(&c.county),
            identity_state: state,
            identity_state_label: state.label().into(),
        })
    }

    /// A candidate of the staff member's scope as found for verification in person.
    pub async fn in_person_candidate(
        &self,
        staff: &StaffSession,
        candidate_id: &str,
    ) -> ServiceResult<InPersonCandidate> {
        let c = self.candidate_in_scope(staff, candidate_id).await?;
        let state =
            IdentityState::from_word(&c.identity_state).unwrap_or(IdentityState::AwaitingIdentity);
        Ok(InPersonCandidate {
            id_number: self.masked_id_number(&c)?,
            place: self.place(&c.county),
            identity_state: state,
            identity_state_label: state.label().into(),
            candidate_id: c.id,
            name: c.name,
        })
    }

    /// Marks a candidate verified after the staff member checked the card in hand
    /// (audited with the staff member and the time).
    pub async fn verify_in_person(
        &self,
        staff: &StaffSession,
        candidate_id: &str,
        card_checked: bool,
        address: IpAddr,
    ) -> ServiceResult<()> {
        let c = self.candidate_in_scope(staff, candidate_id).await?;
        if !card_checked {
            return Err(ServiceError::field(
                "card_checked",
                "请核对身份证原件与本人后勾选确认",
            ));
        }
        let to = IdentityState::Verified.as_str();
        let now = micros(self.clock.now());
        if c.identity_state == to
            || !self
                .db
                .move_identity_state(&c.id, &c.identity_state, to, now)
                .await?
        {
            return Err(ServiceError::conflict(
                "already_verified",
                "该考生已通过身份认证",
            ));
        }
        let text = format!("{}现场核验身份证原件", staff.staff.display_name);
        self.db
            .append_attempt(&c.id, IDENTITY, now, "in_person", &json_texts(&[text]))
            .await?;
        self.record(
            AuditEvent::new(Actor::Staff(staff.staff.id.clone()), "identity.in_person")
                .from(address)
                .candidate(&c.id)
                .change(
                    Some(json!({ "identity_state": c.identity_state })),
                    Some(json!({ "identity_state": to, "card_checked": true })),
                ),
        )
        .await?;
        tracing::info!(candidate = %c.id, staff = %staff.staff.id, "identity verified in person");
        Ok(())
    }
}
