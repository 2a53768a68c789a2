//! Identity verification over the API: consent, photos, the checks; the
//! registration point's queue and decisions; verification in person.

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{ApiAnyCandidate, ApiStaff};
use super::error::{ApiError, ApiErrorBody};
use crate::domain::{IdentityState, PhotoKind};
use crate::media::IDENTITY_PHOTO;
use crate::service::{
    App, CityPoints, IdentityStatus, InPersonCandidate, ReviewDecision, ReviewItem, ServiceError,
    UploadedPhoto, VerificationResult,
};
use crate::web::context::ClientIp;
use crate::web::upload::read_body;

/// `{accepted: true}`
#[derive(Deserialize, ToSchema)]
pub struct Consent {
    pub accepted: bool,
}

/// `{id_number}` of a candidate at the counter.
#[derive(Deserialize, ToSchema)]
pub struct InPersonSearch {
    pub id_number: String,
}

/// `{card_checked: true}`: the staff member compared the card in hand with the person.
#[derive(Deserialize, ToSchema)]
pub struct InPersonCheck {
    pub card_checked: bool,
}

/// The identity state after a decision.
#[derive(Serialize, ToSchema)]
pub struct DecisionResult {
    pub identity_state: IdentityState,
}

/// A photo kind of the path, or 404.
pub fn photo_kind(word: &str) -> Result<PhotoKind, ApiError> {
    PhotoKind::from_word(word).ok_or(ApiError::Service(ServiceError::NotFound))
}

/// A JPEG response that no cache keeps.
pub fn jpeg(bytes: Bytes) -> Response {
    ([(header::CONTENT_TYPE, "image/jpeg")], bytes).into_response()
}

#[utoipa::path(post, path = "/api/v1/me/consent", tag = "identity", security(("bearer" = [])),
    request_body = Consent,
    responses((status = 204), (status = 401, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
/// The separate consent to processing face images, required before the first photo.
pub async fn consent(
    State(app): State<App>,
    ApiAnyCandidate(s): ApiAnyCandidate,
    body: Result<Json<Consent>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let Json(input) = body?;

    app.give_consent(&s, input.accepted).await?;

    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/me/identity", tag = "identity", security(("bearer" = [])),
    responses((status = 200, body = IdentityStatus), (status = 401, body = ApiErrorBody)))]
/// Where the candidate stands: photos sent, last outcome, runs left today.
pub async fn status(
    State(app): State<App>,
    ApiAnyCandidate(s): ApiAnyCandidate,
) -> Result<Json<IdentityStatus>, ApiError> {
    Ok(Json(app.identity_status(&s).await?))
}

#[utoipa::path(put, path = "/api/v1/me/identity-photos/{kind}", tag = "identity",
    security(("bearer" = [])),
    params(("kind" = String, Path, description = "portrait (三照 only), id_card, holding_id")),
    request_body(content = Vec<u8>, content_type = "image/jpeg"),
    responses((status = 201, body = UploadedPhoto), (status = 401, body = ApiErrorBody),
              (status = 409, description = "no consent yet, or not awaiting identity", body = ApiErrorBody),
              (status = 422, description = "not a JPEG, too large, too small", body = ApiErrorBody)))]
/// Uploads one photo (JPEG under 2 MB), replacing the earlier one of its kind.
pub async fn put_photo(
    State(app): State<App>,
    ApiAnyCandidate(s): ApiAnyCandidate,
    Path(kind): Path<String>,
    body: Body,
) -> Result<Response, ApiError> {
    let kind = photo_kind(&kind)?;
    let raw = read_body(body, &IDENTITY_PHOTO, kind.as_str()).await?;

    let stored = app.upload_identity_photo(&s, kind, raw).await?;

    Ok((StatusCode::CREATED, Json(stored)).into_response())
}

#[utoipa::path(get, path = "/api/v1/me/identity-photos/{kind}", tag = "identity",
    security(("bearer" = [])), params(("kind" = String, Path)),
    responses((status = 200, content_type = "image/jpeg", body = Vec<u8>), (status = 404, body = ApiErrorBody)))]
/// The candidate's own photo of a kind.
pub async fn get_photo(
    State(app): State<App>,
    ApiAnyCandidate(s): ApiAnyCandidate,
    Path(kind): Path<String>,
) -> Result<Response, ApiError> {
    let kind = photo_kind(&kind)?;
    Ok(jpeg(app.own_identity_photo(&s, kind).await?))
}

#[utoipa::path(post, path = "/api/v1/me/identity-verification", tag = "identity",
    security(("bearer" = [])),
    responses((status = 200, description = "passed, failed with reasons, or review", body = VerificationResult),
              (status = 409, body = ApiErrorBody), (status = 422, description = "a photo is missing", body = ApiErrorBody),
              (status = 429, description = "five runs today already", body = ApiErrorBody)))]
/// Runs the automated checks → passed, or reasons, or waiting for review.
pub async fn verify(
    State(app): State<App>,
    ApiAnyCandidate(s): ApiAnyCandidate,
) -> Result<Json<VerificationResult>, ApiError> {
    Ok(Json(app.verify_identity(&s).await?))
}

#[utoipa::path(get, path = "/api/v1/staff/identity-reviews", tag = "staff", security(("bearer" = [])),
    responses((status = 200, body = Vec<ReviewItem>), (status = 403, body = ApiErrorBody)))]
/// The registration point's queue, oldest first (the province admin sees all).
pub async fn queue(
    State(app): State<App>,
    ApiStaff(s): ApiStaff,
) -> Result<Json<Vec<ReviewItem>>, ApiError> {
    Ok(Json(app.identity_queue(&s).await?))
}

#[utoipa::path(get, path = "/api/v1/staff/identity-reviews/{candidate_id}/photos/{kind}",
    tag = "staff", security(("bearer" = [])),
    params(("candidate_id" = String, Path), ("kind" = String, Path)),
    responses((status = 200, content_type = "image/jpeg", body = Vec<u8>), (status = 404, body = ApiErrorBody)))]
/// A candidate's photo, for staff of the candidate's registration point.
pub async fn staff_photo(
    State(app): State<App>,
    ApiStaff(s): ApiStaff,
    Path((candidate_id, kind)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let kind = photo_kind(&kind)?;
    Ok(jpeg(
        app.staff_identity_photo(&s, &candidate_id, kind).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/staff/identity-reviews/{candidate_id}/decision", tag = "staff",
    security(("bearer" = [])), params(("candidate_id" = String, Path)), request_body = ReviewDecision,
    responses((status = 200, body = DecisionResult), (status = 404, body = ApiErrorBody),
              (status = 409, description = "already decided", body = ApiErrorBody),
              (status = 422, body = ApiErrorBody)))]
/// Approves, or rejects with a reason the candidate sees.
pub async fn decide(
    State(app): State<App>,
    ClientIp(ip): ClientIp,
    ApiStaff(s): ApiStaff,
    Path(candidate_id): Path<String>,
    body: Result<Json<ReviewDecision>, JsonRejection>,
) -> Result<Json<DecisionResult>, ApiError> {
    let Json(input) = body?;

    let identity_state = app.decide_identity(&s, &candidate_id, &input, ip).await?;

    Ok(Json(DecisionResult { identity_state }))
}

#[utoipa::path(post, path = "/api/v1/staff/identity-in-person/search", tag = "staff",
    security(("bearer" = [])), request_body = InPersonSearch,
    responses((status = 200, body = InPersonCandidate), (status = 422, body = ApiErrorBody)))]
/// Finds a candidate of the point's county by 身份证号.
pub async fn in_person_search(
    State(app): State<App>,
    ApiStaff(s): ApiStaff,
    body: Result<Json<InPersonSearch>, JsonRejection>,
) -> Result<Json<InPersonCandidate>, ApiError> {
    let Json(input) = body?;
    Ok(Json(app.find_for_in_person(&s, &input.id_number).await?))
}

#[utoipa::path(post, path = "/api/v1/staff/identity-in-person/{candidate_id}", tag = "staff",
    security(("bearer" = [])), params(("candidate_id" = String, Path)), request_body = InPersonCheck,
    responses((status = 204), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody),
              (status = 422, body = ApiErrorBody)))]
/// Marks a candidate verified after checking the card in hand (audited).
pub async fn in_person_verify(
    State(app): State<App>,
    ClientIp(ip): ClientIp,
    ApiStaff(s): ApiStaff,
    Path(candidate_id): Path<String>,
    body: Result<Json<InPersonCheck>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let Json(input) = body?;

    app.verify_in_person(&s, &candidate_id, input.card_checked, ip)
        .await?;

    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/registration-points", tag = "catalog",
    responses((status = 200, body = Vec<CityPoints>)))]
/// Every registration point with address and phone, by city (报名点联系方式查询).
pub async fn points(State(app): State<App>) -> Result<Json<Vec<CityPoints>>, ApiError> {
    Ok(Json(app.registration_points().await?))
}
