//! Forgotten password: 身份证号 + 姓名, the two photos through the same checks as
//! identity verification, then a new password; every old session ends.

use std::net::IpAddr;

use bytes::Bytes;
use serde::Deserialize;
use utoipa::ToSchema;

use super::identity::{RECOVERY, json_texts};
use super::sessions::{CANDIDATE, RECOVERED, RECOVERING, RecoverySession};
use super::{
    Actor, App, AuditEvent, Issued, PhotoSlot, ServiceError, ServiceResult, UploadedPhoto,
    VerificationResult,
};
use crate::domain::{
    DIFFERENT_PERSON_MIN, IdentityState, NewPassword, Phone, PhotoKind, RECOVERY_PHOTOS,
    ResidentId, SAME_PERSON_MAX, Verdict,
};
use crate::storage::micros;

const NO_MATCH: &str = "身份证号与姓名不匹配，或该身份证号尚未注册";

/// `{id_number, name}` of the account to recover.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct RecoveryStart {
    pub id_number: String,
    pub name: String,
}

impl App {
    /// Matches 身份证号 + 姓名 to an account and opens a recovery (throttled like
    /// a login, so it cannot be used to probe who is registered).
    pub async fn start_recovery(
        &self,
        input: &RecoveryStart,
        address: IpAddr,
    ) -> ServiceResult<Issued> {
        self.check_address(address)?;
        let id_number = input.id_number.trim().to_ascii_uppercase();
        let id = ResidentId::parse(&id_number, self.clock.today())
            .map_err(|e| ServiceError::field("id_number", e.to_string()))?;
        let key = self.keys.blind_index("recovery", id.as_str());
        self.check_lock(&key).await?;
        let idx = self.keys.blind_index("id_number", id.as_str());
        let account = self
            .db
            .candidate_by_id_number(&idx)
            .await?
            .filter(|c| c.name == input.name.trim());
        let Some(account) = account else {
            return Err(self.fail_login("recovery", &key, NO_MATCH).await);
        };
        self.db.clear_failures(&key).await?;
        tracing::info!(candidate = %account.id, "password recovery started");
        self.issue_session(RECOVERING, &account.id).await
    }

    /// The two photo slots of a recovery, and whether each is uploaded.
    pub async fn recovery_photos(
        &self,
        session: &RecoverySession,
    ) -> ServiceResult<Vec<PhotoSlot>> {
        let stored = self
            .db
            .identity_photos(&session.candidate.id, RECOVERY)
            .await?;
        Ok(RECOVERY_PHOTOS
            .iter()
            .map(|k| PhotoSlot {
                kind: *k,
                label: k.label().into(),
                uploaded: stored.iter().any(|(s, _)| s == k.as_str()),
            })
            .collect())
    }

    /// Checks and stores one recovery photo (两照).
    pub async fn upload_recovery_photo(
        &self,
        session: &RecoverySession,
        kind: PhotoKind,
        raw: Bytes,
    ) -> ServiceResult<UploadedPhoto> {
        if !RECOVERY_PHOTOS.contains(&kind) {
            return Err(ServiceError::field("kind", "找回密码只需上传“两照”"));
        }
        if session.verified {
            return Err(ServiceError::conflict(
                "already_verified",
                "照片已通过核验，请设置新密码",
            ));
        }
        self.put_photo(&session.candidate.id, RECOVERY, kind, raw)
            .await
    }

    /// Runs the checks on the recovery photos. A case the machine cannot decide is
    /// not passed: the candidate may retake the photos or go to the registration point.
    pub async fn verify_recovery(
        &self,
        session: &RecoverySession,
    ) -> ServiceResult<VerificationResult> {
        let c = &session.candidate;
        if session.verified {
            return Err(ServiceError::conflict(
                "already_verified",
                "照片已通过核验，请设置新密码",
            ));
        }
        let mut verdict = self.run_checks(&c.id, RECOVERY, RECOVERY_PHOTOS).await?;
        if matches!(verdict, Verdict::Passed) {
            // Consistent photos are not enough: the face must be the one verified
            // when the account was opened, or anyone knowing 身份证号 and 姓名 could
            // take the account over with their own face.
            verdict = match self.distance_to_file(&c.id, RECOVERY).await? {
                Some(d) if d <= SAME_PERSON_MAX => Verdict::Passed,
                Some(d) if d >= DIFFERENT_PERSON_MIN => {
                    Verdict::Failed(vec!["照片中的人与注册认证时的照片不是同一人".into()])
                }
                _ => Verdict::Review(vec!["无法与注册认证时的照片比对".into()]),
            };
        }
        let (outcome, reasons) = match verdict {
            Verdict::Passed => ("passed", vec![]),
            Verdict::Failed(r) => ("failed", r),
            Verdict::Review(mut r) => {
                r.push("找回密码须通过自动核验；请重新拍摄，或携带身份证到报名点办理".into());
                ("review", r)
            }
        };
        let now = micros(self.clock.now());
        self.db
            .append_attempt(&c.id, RECOVERY, now, outcome, &json_texts(&reasons))
            .await?;
        if outcome == "passed" {
            self.db
                .set_session_kind(&session.token_hash, RECOVERED)
                .await?;
        }
        tracing::info!(candidate = %c.id, outcome, "recovery checks run");
        Ok(VerificationResult {
            outcome: if outcome == "passed" {
                "passed"
            } else {
                "failed"
            }
            .into(),
            identity_state: IdentityState::from_word(&c.identity_state)
                .unwrap_or(IdentityState::AwaitingIdentity),
            reasons,
        })
    }

    /// Sets the new password of a recovery whose photos passed; every session of
    /// the account ends, and the recovery photos are removed.
    pub async fn finish_recovery(&self, session: &RecoverySession, new: &str) -> ServiceResult<()> {
        let c = &session.candidate;
        if !session.verified {
            return Err(ServiceError::conflict(
                "photos_required",
                "请先上传“两照”并通过核验",
            ));
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
        let password = NewPassword::parse(new, id.as_ref(), phone.as_ref())
            .map_err(|e| ServiceError::field("new_password", e.to_string()))?;
        let hash = self
            .passwords
            .hash(password.expose())
            .await
            .map_err(ServiceError::Internal)?;
        self.db
            .set_candidate_password(&c.id, &hash, None, micros(self.clock.now()))
            .await?;
        for kind in [RECOVERING, RECOVERED, CANDIDATE] {
            self.db.delete_sessions_of(kind, &c.id).await?;
        }
        let photos = self.db.identity_photos(&c.id, RECOVERY).await?;
        self.db.forget_identity_photos(&c.id, RECOVERY).await?;
        for (_, file) in photos {
            self.discard_file(&file).await?;
        }
        self.record(
            AuditEvent::new(Actor::Candidate(c.id.clone()), "candidate.password_recover")
                .candidate(&c.id),
        )
        .await?;
        tracing::info!(candidate = %c.id, "password recovered; every session ended");
        Ok(())
    }
}
