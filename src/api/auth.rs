//! Bearer-token authentication of the API (cookies are for pages only).

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::error::ApiError;
use crate::domain::IdentityState;
use crate::service::{App, CandidateSession, RecoverySession, StaffSession};

/// The bearer token of a request.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// A signed-in candidate in any identity state.
pub struct ApiAnyCandidate(pub CandidateSession);

impl FromRequestParts<App> for ApiAnyCandidate {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, ApiError> {
        let token = bearer(&parts.headers).ok_or(ApiError::Unauthenticated)?;
        let s = app
            .candidate_session(token)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        Ok(Self(s))
    }
}

/// A signed-in candidate whose identity is verified.
pub struct ApiCandidate(pub CandidateSession);

impl FromRequestParts<App> for ApiCandidate {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, ApiError> {
        let ApiAnyCandidate(s) = ApiAnyCandidate::from_request_parts(parts, app).await?;
        if s.identity != IdentityState::Verified {
            return Err(ApiError::IdentityRequired);
        }
        Ok(Self(s))
    }
}

/// A signed-in staff member.
pub struct ApiStaff(pub StaffSession);

impl FromRequestParts<App> for ApiStaff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, ApiError> {
        let token = bearer(&parts.headers).ok_or(ApiError::Unauthenticated)?;
        let s = app
            .staff_session(token)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        if s.enrolling {
            return Err(ApiError::Unauthenticated);
        }
        Ok(Self(s))
    }
}

/// A password recovery in progress (its own bearer token).
pub struct ApiRecovery(pub RecoverySession);

impl FromRequestParts<App> for ApiRecovery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, ApiError> {
        let token = bearer(&parts.headers).ok_or(ApiError::Unauthenticated)?;
        let s = app
            .recovery_session(token)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        Ok(Self(s))
    }
}
