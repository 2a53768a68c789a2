//! Server-side sessions: a random token given to the browser (cookie) or the app
//! (bearer), only its hash stored; idle timeout 30 minutes, absolute 12 hours.

use chrono::{DateTime, Duration, Utc};

use super::{App, ServiceResult};
use crate::crypto::{random_token, token_hash};
use crate::domain::{IdentityState, Role, StaffScope};
use crate::storage::{CandidateRow, StaffRow, from_micros, micros};

/// Inactivity after which a session ends.
pub const IDLE: Duration = Duration::minutes(30);
/// Age after which a session ends whatever its activity.
pub const ABSOLUTE: Duration = Duration::hours(12);
/// Activity is written at most this often, to keep page loads read-only.
const TOUCH_EVERY: Duration = Duration::seconds(60);

/// Kinds of session subject.
pub(crate) const CANDIDATE: &str = "candidate";
pub(crate) const STAFF: &str = "staff";
/// A province admin who passed the password but still has to bind a second factor.
pub(crate) const STAFF_ENROLLING: &str = "staff_enrolling";

/// A password recovery before its photos passed the checks.
pub(crate) const RECOVERING: &str = "recovery";
/// A password recovery whose photos passed: only the new password is left.
pub(crate) const RECOVERED: &str = "recovery_verified";

/// A phone that opened a hand-off link: it may only add the confirmation
/// photos of one application.
pub(crate) const HANDOFF: &str = "handoff";

/// A token just issued.
#[derive(Debug, Clone)]
pub struct Issued {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// A signed-in candidate.
#[derive(Debug, Clone)]
pub struct CandidateSession {
    pub token_hash: String,
    pub candidate: CandidateRow,
    pub identity: IdentityState,
}

/// A signed-in staff member.
#[derive(Debug, Clone)]
pub struct StaffSession {
    pub token_hash: String,
    pub staff: StaffRow,
    pub role: Role,
    pub scope: StaffScope,
    /// Only the second-factor enrolment page is open to this session.
    pub enrolling: bool,
}

/// A password recovery in progress: 身份证号 and 姓名 matched an account.
#[derive(Debug, Clone)]
pub struct RecoverySession {
    pub token_hash: String,
    pub candidate: CandidateRow,
    /// The photos passed; the new password may be set.
    pub verified: bool,
}

/// Whoever a token belongs to.
#[derive(Debug, Clone)]
pub enum Subject {
    Candidate(CandidateSession),
    Staff(StaffSession),
}

impl App {
    /// Starts a session for a subject.
    pub(crate) async fn issue_session(&self, kind: &str, id: &str) -> ServiceResult<Issued> {
        self.issue_session_for(kind, id, ABSOLUTE).await
    }

    /// Starts a session that ends after `lifetime` at the latest.
    pub(crate) async fn issue_session_for(
        &self,
        kind: &str,
        id: &str,
        lifetime: Duration,
    ) -> ServiceResult<Issued> {
        let token = random_token();
        let now = self.clock.now();
        let expires_at = now + lifetime.min(ABSOLUTE);
        self.db
            .insert_session(
                &token_hash(&token),
                kind,
                id,
                micros(now),
                micros(expires_at),
            )
            .await?;
        Ok(Issued { token, expires_at })
    }

    /// The live session of a token, ending it if it has expired.
    pub(crate) async fn live_session(
        &self,
        token: &str,
    ) -> ServiceResult<Option<crate::storage::SessionRow>> {
        if token.is_empty() || token.len() > 100 {
            return Ok(None);
        }
        let hash = token_hash(token);
        let Some(s) = self.db.session(&hash).await? else {
            return Ok(None);
        };
        let now = self.clock.now();
        if now >= from_micros(s.expires_at) || now - from_micros(s.last_seen_at) >= IDLE {
            self.db.delete_session(&hash).await?;
            return Ok(None);
        }
        if now - from_micros(s.last_seen_at) >= TOUCH_EVERY {
            self.db.touch_session(&hash, micros(now)).await?;
        }
        Ok(Some(s))
    }

    /// The candidate signed in with `token`, if any.
    pub async fn candidate_session(&self, token: &str) -> ServiceResult<Option<CandidateSession>> {
        let Some(s) = self.live_session(token).await? else {
            return Ok(None);
        };
        if s.subject_kind != CANDIDATE {
            return Ok(None);
        }
        let Some(candidate) = self.db.candidate(&s.subject_id).await? else {
            return Ok(None);
        };
        let identity = IdentityState::from_word(&candidate.identity_state)
            .unwrap_or(IdentityState::AwaitingIdentity);
        Ok(Some(CandidateSession {
            token_hash: s.token_hash,
            candidate,
            identity,
        }))
    }

    /// The password recovery of `token`, if any.
    pub async fn recovery_session(&self, token: &str) -> ServiceResult<Option<RecoverySession>> {
        let Some(s) = self.live_session(token).await? else {
            return Ok(None);
        };
        if s.subject_kind != RECOVERING && s.subject_kind != RECOVERED {
            return Ok(None);
        }
        let Some(candidate) = self.db.candidate(&s.subject_id).await? else {
            return Ok(None);
        };
        Ok(Some(RecoverySession {
            verified: s.subject_kind == RECOVERED,
            token_hash: s.token_hash,
            candidate,
        }))
    }

    /// The staff member signed in with `token`, if any and not disabled.
    pub async fn staff_session(&self, token: &str) -> ServiceResult<Option<StaffSession>> {
        let Some(s) = self.live_session(token).await? else {
            return Ok(None);
        };
        if s.subject_kind != STAFF && s.subject_kind != STAFF_ENROLLING {
            return Ok(None);
        }
        let Some(staff) = self.db.staff(&s.subject_id).await? else {
            return Ok(None);
        };
        if staff.disabled {
            return Ok(None);
        }
        let Some((role, scope)) = self.staff_scope(&staff).await? else {
            return Ok(None);
        };
        Ok(Some(StaffSession {
            token_hash: s.token_hash,
            enrolling: s.subject_kind == STAFF_ENROLLING,
            staff,
            role,
            scope,
        }))
    }

    /// Whoever `token` belongs to.
    pub async fn subject(&self, token: &str) -> ServiceResult<Option<Subject>> {
        if let Some(c) = self.candidate_session(token).await? {
            return Ok(Some(Subject::Candidate(c)));
        }
        Ok(self.staff_session(token).await?.map(Subject::Staff))
    }

    /// Ends the session of a token (logout).
    pub async fn end_session(&self, token: &str) -> ServiceResult<()> {
        self.db.delete_session(&token_hash(token)).await?;
        Ok(())
    }

    /// Removes expired sessions; run periodically.
    pub async fn sweep_sessions(&self) -> ServiceResult<u64> {
        let now = self.clock.now();
        Ok(self
            .db
            .delete_expired_sessions(micros(now), micros(now - IDLE))
            .await?)
    }
}
