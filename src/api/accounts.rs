//! Registration, sessions and the candidate's own profile.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{ApiAnyCandidate, ApiCandidate, bearer};
use super::error::{ApiError, ApiErrorBody};
use crate::domain::IdentityState;
use crate::service::{App, EnrolledRegistration, NewRegistration, Profile, RegistrationOutcome};
use crate::web::context::ClientIp;

/// `{login, password}`: login is a 身份证号 or 准考证号.
#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    pub login: String,
    pub password: String,
}

/// A bearer token.
#[derive(Serialize, ToSchema)]
pub struct SessionToken {
    pub token: String,
    /// When the token ends at the latest (RFC 3339); it also ends after 30
    /// minutes without use.
    pub expires_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity_state: Option<IdentityState>,
}

/// The match of an enrolled candidate, before the password is set.
#[derive(Serialize, ToSchema)]
pub struct EnrolledMatch {
    pub matched: bool,
}

/// `{current_password, new_password}`.
#[derive(Deserialize, ToSchema)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

#[utoipa::path(post, path = "/api/v1/registrations/new", tag = "accounts",
    request_body = NewRegistration,
    responses((status = 201, body = RegistrationOutcome), (status = 422, body = ApiErrorBody)))]
/// New candidate: profile fields and password → account awaiting identity.
pub async fn register_new(
    State(app): State<App>,
    body: Result<Json<NewRegistration>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(input) = body?;

    let outcome = app.register_new(&input).await?;

    Ok((StatusCode::CREATED, Json(outcome)).into_response())
}

#[utoipa::path(post, path = "/api/v1/registrations/enrolled", tag = "accounts",
    request_body = EnrolledRegistration,
    responses((status = 200, description = "matched, no password given", body = EnrolledMatch),
              (status = 201, body = RegistrationOutcome), (status = 422, body = ApiErrorBody)))]
/// Enrolled candidate: 身份证号 + 姓名 matched against the records, with the password.
pub async fn register_enrolled(
    State(app): State<App>,
    body: Result<Json<EnrolledRegistration>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(input) = body?;

    if input.password.is_none() {
        app.match_enrolled(&input.id_number, &input.name).await?;
        return Ok(Json(EnrolledMatch { matched: true }).into_response());
    }
    let outcome = app.register_enrolled(&input).await?;

    Ok((StatusCode::CREATED, Json(outcome)).into_response())
}

#[utoipa::path(post, path = "/api/v1/session", tag = "accounts", request_body = LoginRequest,
    responses((status = 200, body = SessionToken), (status = 401, body = ApiErrorBody),
              (status = 422, body = ApiErrorBody), (status = 429, body = ApiErrorBody)))]
/// Candidate login → bearer token.
pub async fn login(
    State(app): State<App>,
    ClientIp(ip): ClientIp,
    body: Result<Json<LoginRequest>, JsonRejection>,
) -> Result<Json<SessionToken>, ApiError> {
    let Json(input) = body?;

    let (issued, account) = app
        .login_candidate(&input.login, &input.password, ip)
        .await?;

    Ok(Json(SessionToken {
        token: issued.token,
        expires_at: issued.expires_at.to_rfc3339(),
        identity_state: IdentityState::from_word(&account.identity_state),
    }))
}

/// Ends the session of the request's bearer token, whoever it belongs to.
pub async fn end_bearer(app: &App, headers: &HeaderMap) -> Result<StatusCode, ApiError> {
    let token = bearer(headers).ok_or(ApiError::Unauthenticated)?;
    app.end_session(token).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/v1/session", tag = "accounts", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ApiErrorBody)))]
/// Logs out this token.
pub async fn logout(
    State(app): State<App>,
    _c: ApiAnyCandidate,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    end_bearer(&app, &headers).await
}

#[utoipa::path(get, path = "/api/v1/me", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = Profile), (status = 401, body = ApiErrorBody)))]
/// The candidate's profile (masked) and identity state.
pub async fn me(
    State(app): State<App>,
    ApiAnyCandidate(s): ApiAnyCandidate,
) -> Result<Json<Profile>, ApiError> {
    Ok(Json(app.profile(&s)?))
}

#[utoipa::path(put, path = "/api/v1/me/password", tag = "accounts", security(("bearer" = [])),
    request_body = PasswordChange,
    responses((status = 204), (status = 401, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
/// Changes the password; every other session of the candidate ends.
pub async fn change_password(
    State(app): State<App>,
    ApiCandidate(s): ApiCandidate,
    body: Result<Json<PasswordChange>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let Json(input) = body?;

    app.change_password(&s, &input.current_password, &input.new_password, None)
        .await?;

    Ok(StatusCode::NO_CONTENT)
}
