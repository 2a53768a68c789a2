//! 手机上传: on a computer, a QR code opens the confirmation photo step on the
//! candidate's phone through a short-lived, single-use link. Opening the link
//! gives the phone a session that can do nothing but add the two confirmation
//! photos of that one application, for at most [`PHONE_SESSION`].

use chrono::{DateTime, Duration, Utc};

use super::sessions::{HANDOFF, Issued};
use super::{App, CandidateSession, ServiceError, ServiceResult};
use crate::crypto::{random_token, token_hash};
use crate::domain::{IdentityState, TransferState, TransitionError};
use crate::storage::micros;

/// How long a link may wait to be opened.
pub const LINK_LIFETIME: Duration = Duration::minutes(10);
/// How long the phone may upload after opening it.
pub const PHONE_SESSION: Duration = Duration::minutes(30);

/// A link just made, with its QR code.
#[derive(Debug, Clone)]
pub struct HandoffLink {
    pub url: String,
    /// The QR code as an inline `<svg>` element.
    pub qr_svg: String,
    pub expires_at: DateTime<Utc>,
}

/// A phone that opened a link: the candidate and the one application it serves.
#[derive(Debug, Clone)]
pub struct PhoneSession {
    pub session: CandidateSession,
    pub transfer_id: String,
}

impl App {
    /// Makes a link for the confirmation photos of the candidate's own
    /// application, while those photos may still change.
    pub async fn start_handoff(
        &self,
        session: &CandidateSession,
        id: &str,
    ) -> ServiceResult<HandoffLink> {
        let row = self.own_transfer(session, id).await?;
        self.ensure_state(
            &row,
            TransferState::accepts_confirmation_photos,
            TransitionError::NotAwaitingConfirmation,
        )
        .await?;
        let token = random_token();
        let now = self.clock.now();
        let expires_at = now + LINK_LIFETIME;
        self.db
            .insert_handoff(
                &token_hash(&token),
                &row.candidate_id,
                &row.id,
                micros(now),
                micros(expires_at),
            )
            .await?;
        let url = format!("{}/m/{token}", self.config.public_url.trim_end_matches('/'));
        let svg = qrcode::QrCode::new(url.as_bytes())
            .map_err(|e| ServiceError::Internal(anyhow::anyhow!("qr: {e}")))?
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(220, 220)
            .build();
        // Inline in the page: drop the XML declaration before the element.
        let qr_svg = svg
            .find("<svg")
            .map_or(svg.clone(), |at| svg[at..].to_owned());
        Ok(HandoffLink {
            url,
            qr_svg,
            expires_at,
        })
    }

    /// Opens a link once: a phone session, or `None` when the link is unknown,
    /// expired or already used.
    pub async fn redeem_handoff(&self, token: &str) -> ServiceResult<Option<Issued>> {
        if token.is_empty() || token.len() > 100 {
            return Ok(None);
        }
        let hash = token_hash(token);
        let now = micros(self.clock.now());
        if self.db.redeem_handoff(&hash, now).await?.is_none() {
            return Ok(None);
        }
        self.issue_session_for(HANDOFF, &hash, PHONE_SESSION)
            .await
            .map(Some)
    }

    /// The phone session of `token`, if it is live and its candidate may still
    /// use the services.
    pub async fn phone_session(&self, token: &str) -> ServiceResult<Option<PhoneSession>> {
        let Some(s) = self.live_session(token).await? else {
            return Ok(None);
        };
        if s.subject_kind != HANDOFF {
            return Ok(None);
        }
        let Some(link) = self.db.handoff(&s.subject_id).await? else {
            return Ok(None);
        };
        let Some(candidate) = self.db.candidate(&link.candidate_id).await? else {
            return Ok(None);
        };
        if candidate.identity_state != IdentityState::Verified.as_str() {
            return Ok(None);
        }
        Ok(Some(PhoneSession {
            session: CandidateSession {
                token_hash: s.token_hash,
                candidate,
                identity: IdentityState::Verified,
            },
            transfer_id: link.transfer_id,
        }))
    }

    /// Removes links whose phone sessions have certainly ended.
    pub async fn sweep_handoffs(&self) -> ServiceResult<u64> {
        let before = self.clock.now() - LINK_LIFETIME - PHONE_SESSION;
        Ok(self.db.delete_old_handoffs(micros(before)).await?)
    }
}
