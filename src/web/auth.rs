//! Who is signed in on a page request.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;

use super::context::{CANDIDATE_COOKIE, STAFF_COOKIE};
use super::error::WebError;
use crate::domain::IdentityState;
use crate::service::{App, CandidateSession, StaffSession};

fn cookie_value(parts: &Parts, name: &str) -> Option<String> {
    CookieJar::from_headers(&parts.headers)
        .get(name)
        .map(|c| c.value().to_owned())
}

/// A signed-in candidate in any identity state (identity pages only).
pub struct AnyCandidate(pub CandidateSession);

impl FromRequestParts<App> for AnyCandidate {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, WebError> {
        let token = cookie_value(parts, CANDIDATE_COOKIE).ok_or(WebError::LoginRequired)?;
        let session = app
            .candidate_session(&token)
            .await?
            .ok_or(WebError::LoginRequired)?;
        Ok(Self(session))
    }
}

/// A signed-in candidate whose identity is verified (every other page).
pub struct Candidate(pub CandidateSession);

impl FromRequestParts<App> for Candidate {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, WebError> {
        let AnyCandidate(session) = AnyCandidate::from_request_parts(parts, app).await?;
        if session.identity != IdentityState::Verified {
            return Err(WebError::IdentityRequired);
        }
        Ok(Self(session))
    }
}

/// A signed-in staff member, second factor done where required.
pub struct Staff(pub StaffSession);

impl FromRequestParts<App> for Staff {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, WebError> {
        let session = staff_session(parts, app).await?;
        if session.enrolling {
            return Err(WebError::StaffLoginRequired);
        }
        Ok(Self(session))
    }
}

/// A province admin who still has to bind the second factor.
pub struct EnrollingStaff(pub StaffSession);

impl FromRequestParts<App> for EnrollingStaff {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, WebError> {
        let session = staff_session(parts, app).await?;
        if !session.enrolling {
            return Err(WebError::StaffLoginRequired);
        }
        Ok(Self(session))
    }
}

async fn staff_session(parts: &Parts, app: &App) -> Result<StaffSession, WebError> {
    let token = cookie_value(parts, STAFF_COOKIE).ok_or(WebError::StaffLoginRequired)?;
    app.staff_session(&token)
        .await?
        .ok_or(WebError::StaffLoginRequired)
}
