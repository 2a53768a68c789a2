//! Forgotten password over the API: its own bearer token from 身份证号 + 姓名,
//! the two photos, the checks, the new password.

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;

use super::accounts::SessionToken;
use super::auth::ApiRecovery;
use super::error::{ApiError, ApiErrorBody};
use super::identity::photo_kind;
use crate::media::IDENTITY_PHOTO;
use crate::service::{App, RecoveryStart, UploadedPhoto, VerificationResult};
use crate::web::context::ClientIp;
use crate::web::upload::read_body;

/// `{new_password}`
#[derive(Deserialize, ToSchema)]
pub struct NewPasswordBody {
    pub new_password: String,
}

#[utoipa::path(post, path = "/api/v1/password-recovery", tag = "recovery", request_body = RecoveryStart,
    responses((status = 200, description = "a recovery token", body = SessionToken),
              (status = 401, body = ApiErrorBody), (status = 429, body = ApiErrorBody)))]
/// 身份证号 + 姓名 → a token for the rest of the recovery.
pub async fn start(
    State(app): State<App>,
    ClientIp(ip): ClientIp,
    body: Result<Json<RecoveryStart>, JsonRejection>,
) -> Result<Json<SessionToken>, ApiError> {
    let Json(input) = body?;

    let issued = app.start_recovery(&input, ip).await?;

    Ok(Json(SessionToken {
        token: issued.token,
        expires_at: issued.expires_at.to_rfc3339(),
        identity_state: None,
    }))
}

#[utoipa::path(put, path = "/api/v1/password-recovery/photos/{kind}", tag = "recovery",
    security(("bearer" = [])), params(("kind" = String, Path, description = "id_card, holding_id")),
    request_body(content = Vec<u8>, content_type = "image/jpeg"),
    responses((status = 201, body = UploadedPhoto), (status = 422, body = ApiErrorBody)))]
/// One of the two photos.
pub async fn put_photo(
    State(app): State<App>,
    ApiRecovery(s): ApiRecovery,
    Path(kind): Path<String>,
    body: Body,
) -> Result<Response, ApiError> {
    let kind = photo_kind(&kind)?;
    let raw = read_body(body, &IDENTITY_PHOTO, kind.as_str()).await?;

    let stored = app.upload_recovery_photo(&s, kind, raw).await?;

    Ok((StatusCode::CREATED, Json(stored)).into_response())
}

#[utoipa::path(post, path = "/api/v1/password-recovery/verification", tag = "recovery",
    security(("bearer" = [])),
    responses((status = 200, body = VerificationResult), (status = 429, body = ApiErrorBody)))]
/// The same checks as identity verification → passed, or reasons.
pub async fn verify(
    State(app): State<App>,
    ApiRecovery(s): ApiRecovery,
) -> Result<Json<VerificationResult>, ApiError> {
    Ok(Json(app.verify_recovery(&s).await?))
}

#[utoipa::path(post, path = "/api/v1/password-recovery/password", tag = "recovery",
    security(("bearer" = [])), request_body = NewPasswordBody,
    responses((status = 204), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
/// The new password; every session of the account ends.
pub async fn finish(
    State(app): State<App>,
    ApiRecovery(s): ApiRecovery,
    body: Result<Json<NewPasswordBody>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let Json(input) = body?;

    app.finish_recovery(&s, &input.new_password).await?;

    Ok(StatusCode::NO_CONTENT)
}
