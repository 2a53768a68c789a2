//! Identity verification of a candidate: consent, 三照/两照 uploads, the automated
//! checks with face matching, and what the candidate sees of the outcome.

use bytes::Bytes;
use chrono::TimeZone;
use serde::Serialize;
use utoipa::ToSchema;

use serde_json::json;

use super::{Actor, App, AuditEvent, CandidateSession, FieldErrors, ServiceError, ServiceResult};
use crate::clock::{china, china_minute};
use crate::domain::{
    ATTEMPTS_PER_DAY, CandidateKind, IdentityState, PhotoKind, PhotoMeasure, Verdict, decide,
    photos_for,
};
use crate::media::{IDENTITY_PHOTO, Signature, check_jpeg};
use crate::storage::{FileRow, from_micros, micros};

/// Photos of the account's own verification.
pub(crate) const IDENTITY: &str = "identity";
/// Photos of a password recovery.
pub(crate) const RECOVERY: &str = "recovery";

/// One photo slot of the identity page.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PhotoSlot {
    pub kind: PhotoKind,
    pub label: String,
    pub uploaded: bool,
}

/// The last run or decision, as the candidate reads it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LastOutcome {
    /// passed, failed, review, approved, rejected or in_person
    pub outcome: String,
    /// When, in China Standard Time.
    pub at: String,
    /// Reasons or the reviewer's words.
    pub reasons: Vec<String>,
}

/// Where a candidate stands in identity verification.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IdentityStatus {
    pub identity_state: IdentityState,
    pub consent_given: bool,
    pub photos: Vec<PhotoSlot>,
    pub last: Option<LastOutcome>,
    /// Automated runs left today.
    pub attempts_left: usize,
}

/// The result of a verification run.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VerificationResult {
    /// passed, failed or review
    pub outcome: String,
    pub identity_state: IdentityState,
    /// Why it failed, or why a person will look.
    pub reasons: Vec<String>,
}

/// A stored photo that passed the upload checks.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UploadedPhoto {
    pub kind: PhotoKind,
    pub width: i64,
    pub height: i64,
}

impl App {
    /// Records the separate consent to processing face images.
    pub async fn give_consent(
        &self,
        session: &CandidateSession,
        accepted: bool,
    ) -> ServiceResult<()> {
        if !accepted {
            return Err(ServiceError::field(
                "accepted",
                "请阅读并勾选同意人脸图像处理说明后再上传照片",
            ));
        }
        self.db
            .record_consent(&session.candidate.id, micros(self.clock.now()))
            .await?;
        let id = &session.candidate.id;
        self.record(
            AuditEvent::new(Actor::Candidate(id.clone()), "identity.consent").candidate(id),
        )
        .await?;
        tracing::info!(candidate = %session.candidate.id, "face image consent given");
        Ok(())
    }

    /// Where the candidate stands.
    pub async fn identity_status(
        &self,
        session: &CandidateSession,
    ) -> ServiceResult<IdentityStatus> {
        let c = &session.candidate;
        let stored = self.db.identity_photos(&c.id, IDENTITY).await?;
        let photos = photos_for(candidate_kind(&c.kind))
            .iter()
            .map(|k| PhotoSlot {
                kind: *k,
                label: k.label().into(),
                uploaded: stored.iter().any(|(s, _)| s == k.as_str()),
            })
            .collect();
        let last = self
            .db
            .latest_attempt(&c.id, IDENTITY)
            .await?
            .map(|a| LastOutcome {
                at: china_minute(from_micros(a.at)),
                reasons: serde_json::from_str(&a.findings).unwrap_or_default(),
                outcome: a.outcome,
            });
        let used = self
            .db
            .automated_attempts_since(&c.id, self.day_start())
            .await?;
        Ok(IdentityStatus {
            identity_state: session.identity,
            consent_given: self.db.has_consent(&c.id).await?,
            photos,
            last,
            attempts_left: ATTEMPTS_PER_DAY.saturating_sub(used as usize),
        })
    }

    /// Checks and stores one identity photo, replacing the earlier one of its kind.
    pub async fn upload_identity_photo(
        &self,
        session: &CandidateSession,
        kind: PhotoKind,
        raw: Bytes,
    ) -> ServiceResult<UploadedPhoto> {
        let c = &session.candidate;
        if session.identity != IdentityState::AwaitingIdentity {
            return Err(ServiceError::conflict(
                "identity_not_open",
                "当前身份认证状态下不能更换照片",
            ));
        }
        if !photos_for(candidate_kind(&c.kind)).contains(&kind) {
            return Err(ServiceError::field("kind", "在籍考生只需上传“两照”"));
        }
        if !self.db.has_consent(&c.id).await? {
            return Err(ServiceError::conflict(
                "consent_required",
                "请先阅读并同意人脸图像处理说明",
            ));
        }
        self.put_photo(&c.id, IDENTITY, kind, raw).await
    }

    /// Stores a photo into a candidate's slot, removing the one it replaces.
    pub(crate) async fn put_photo(
        &self,
        candidate_id: &str,
        purpose: &str,
        kind: PhotoKind,
        raw: Bytes,
    ) -> ServiceResult<UploadedPhoto> {
        let stored = self
            .store_photo(raw, &IDENTITY_PHOTO, kind.as_str())
            .await?;
        let now = micros(self.clock.now());
        let old = self
            .db
            .put_identity_photo(candidate_id, purpose, kind.as_str(), &stored.file.id, now)
            .await?;
        if let Some(old) = old
            && let Some(file) = self.db.file(&old).await?
        {
            self.discard_file(&file).await?;
        }
        tracing::info!(candidate = %candidate_id, purpose, kind = kind.as_str(), "photo stored");
        Ok(UploadedPhoto {
            kind,
            width: stored.file.width,
            height: stored.file.height,
        })
    }

    /// Runs the automated checks on the uploaded photos.
    pub async fn verify_identity(
        &self,
        session: &CandidateSession,
    ) -> ServiceResult<VerificationResult> {
        let c = &session.candidate;
        match session.identity {
            IdentityState::AwaitingIdentity => {}
            IdentityState::UnderReview => {
                return Err(ServiceError::conflict(
                    "under_review",
                    "您的照片正在由报名点人工审核，请耐心等待结果",
                ));
            }
            IdentityState::Verified => {
                return Err(ServiceError::conflict(
                    "already_verified",
                    "您已通过身份认证",
                ));
            }
        }
        let required = photos_for(candidate_kind(&c.kind));
        let verdict = self.run_checks(&c.id, IDENTITY, required).await?;
        let now = micros(self.clock.now());
        let (outcome, reasons, state) = match verdict {
            Verdict::Passed => ("passed", vec![], IdentityState::Verified),
            Verdict::Failed(r) => ("failed", r, IdentityState::AwaitingIdentity),
            Verdict::Review(r) => ("review", r, IdentityState::UnderReview),
        };
        self.db
            .append_attempt(&c.id, IDENTITY, now, outcome, &json_texts(&reasons))
            .await?;
        if state != IdentityState::AwaitingIdentity {
            self.db
                .move_identity_state(
                    &c.id,
                    IdentityState::AwaitingIdentity.as_str(),
                    state.as_str(),
                    now,
                )
                .await?;
        }
        let action = format!("identity.check_{outcome}");
        self.record(
            AuditEvent::new(Actor::Candidate(c.id.clone()), &action)
                .candidate(&c.id)
                .change(
                    Some(json!({ "identity_state": IdentityState::AwaitingIdentity.as_str() })),
                    Some(json!({ "identity_state": state.as_str(), "reasons": reasons })),
                ),
        )
        .await?;
        tracing::info!(candidate = %c.id, outcome, "identity checks run");
        Ok(VerificationResult {
            outcome: outcome.into(),
            identity_state: state,
            reasons,
        })
    }

    /// The daily limit, then the measures and the verdict of a set of photos.
    pub(crate) async fn run_checks(
        &self,
        candidate_id: &str,
        purpose: &str,
        required: &[PhotoKind],
    ) -> ServiceResult<Verdict> {
        let stored = self.db.identity_photos(candidate_id, purpose).await?;
        let mut missing = FieldErrors::new();
        let mut photos = Vec::new();
        for kind in required {
            match stored.iter().find(|(k, _)| k == kind.as_str()) {
                Some((_, file)) => photos.push((*kind, file.clone())),
                None => missing.add(kind.as_str(), format!("请上传{}", kind.label())),
            }
        }
        missing.into_result()?;
        let used = self
            .db
            .automated_attempts_since(candidate_id, self.day_start())
            .await?;
        if used as usize >= ATTEMPTS_PER_DAY {
            let retry_after_secs = (self.day_start() + 86_400_000_000 - micros(self.clock.now()))
                .max(1_000_000) as u64
                / 1_000_000;
            return Err(ServiceError::TooManyRequests {
                retry_after_secs,
                message: format!(
                    "今日身份认证次数已达{ATTEMPTS_PER_DAY}次，请明天再试，或携带身份证到报名点现场认证"
                ),
            });
        }
        let (measures, distances) = self.measure(&photos).await?;
        Ok(decide(&measures, distances.as_deref()))
    }

    /// Sharpness of each photo and, with a face model, its faces and the distance
    /// between the largest faces of every pair. Signatures live only in here.
    async fn measure(
        &self,
        photos: &[(PhotoKind, FileRow)],
    ) -> ServiceResult<(Vec<PhotoMeasure>, Option<Vec<(PhotoKind, PhotoKind, f64)>>)> {
        let mut measures = Vec::new();
        let mut signatures: Vec<(PhotoKind, Option<Signature>)> = Vec::new();
        for (kind, file) in photos {
            let faces = match self.faces.is_some() {
                true => Some(self.faces_of(file).await?),
                false => None,
            };
            signatures.push((
                *kind,
                faces
                    .as_ref()
                    .and_then(|f| f.first().map(|f| f.signature.clone())),
            ));
            measures.push(PhotoMeasure {
                kind: *kind,
                sharpness: file.sharpness as f64,
                faces: faces.map(|f| f.iter().map(|f| f.size).collect()),
            });
        }
        if self.faces.is_none() {
            return Ok((measures, None));
        }
        let mut distances = Vec::new();
        for (i, (a, sa)) in signatures.iter().enumerate() {
            for (b, sb) in &signatures[i + 1..] {
                if let (Some(sa), Some(sb)) = (sa, sb) {
                    distances.push((*a, *b, sa.distance(sb)));
                }
            }
        }
        Ok((measures, Some(distances)))
    }

    /// The smallest face distance between the largest face of any photo of
    /// `purpose` and any photo already on file from the identity verification;
    /// `None` when either side has no face to compare (or no face model).
    pub(crate) async fn distance_to_file(
        &self,
        candidate_id: &str,
        purpose: &str,
    ) -> ServiceResult<Option<f64>> {
        if self.faces.is_none() {
            return Ok(None);
        }
        let signatures = |files: Vec<(String, FileRow)>| async move {
            let mut out = Vec::new();
            for (_, file) in files {
                if let Some(face) = self.faces_of(&file).await?.into_iter().next() {
                    out.push(face.signature);
                }
            }
            Ok::<_, ServiceError>(out)
        };
        let new = signatures(self.db.identity_photos(candidate_id, purpose).await?).await?;
        let on_file = signatures(self.db.identity_photos(candidate_id, IDENTITY).await?).await?;
        Ok(new
            .iter()
            .flat_map(|a| on_file.iter().map(move |b| a.distance(b)))
            .min_by(f64::total_cmp))
    }

    /// The faces of a stored photo, found off the async runtime under the photo permits.
    async fn faces_of(&self, file: &FileRow) -> ServiceResult<Vec<crate::media::Face>> {
        let bytes = self.file_bytes(file, false).await?;
        let _permit = self
            .image_permits
            .acquire()
            .await
            .map_err(|e| ServiceError::Internal(e.into()))?;
        let app = self.clone();
        self.bulk
            .run(move || {
                let checked = check_jpeg(&bytes, &IDENTITY_PHOTO)
                    .map_err(|e| ServiceError::Internal(anyhow::anyhow!("stored photo: {e}")))?;
                let engine = app.faces.as_ref().ok_or(ServiceError::Unavailable)?;
                engine
                    .faces(&checked.detail)
                    .map_err(|e| ServiceError::Internal(anyhow::anyhow!("faces: {e}")))
            })
            .await
            .map_err(|e| ServiceError::Internal(e.into()))?
    }

    /// The start of today in China Standard Time, as stored microseconds.
    fn day_start(&self) -> i64 {
        let midnight = self.clock.today().and_hms_opt(0, 0, 0).unwrap_or_default();
        china()
            .from_local_datetime(&midnight)
            .single()
            .map(|t| t.timestamp_micros())
            .unwrap_or_default()
    }

    /// The candidate's own photo of `kind` (JPEG bytes).
    pub async fn own_identity_photo(
        &self,
        session: &CandidateSession,
        kind: PhotoKind,
    ) -> ServiceResult<Bytes> {
        self.photo_of(&session.candidate.id, IDENTITY, kind).await
    }

    /// A candidate's stored photo of `kind`, or `NotFound`.
    pub(crate) async fn photo_of(
        &self,
        candidate_id: &str,
        purpose: &str,
        kind: PhotoKind,
    ) -> ServiceResult<Bytes> {
        let stored = self.db.identity_photos(candidate_id, purpose).await?;
        let (_, file) = stored
            .iter()
            .find(|(k, _)| k == kind.as_str())
            .ok_or(ServiceError::NotFound)?;
        self.file_bytes(file, false).await
    }
}

/// The kind of an account as stored.
pub(crate) fn candidate_kind(word: &str) -> CandidateKind {
    CandidateKind::from_word(word).unwrap_or(CandidateKind::New)
}

/// Texts as the JSON array stored with a run.
pub(crate) fn json_texts(texts: &[String]) -> String {
    serde_json::to_string(texts).unwrap_or_else(|_| "[]".into())
}
