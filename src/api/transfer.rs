//! 省际转出 for candidates and city reviewers.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::{ApiCandidate, ApiStaff};
use super::error::{ApiError, ApiErrorBody};
use crate::domain::{ConfirmationKind, MaterialKind, TransferState};
use crate::service::{
    App, DecisionInput, EligibilityView, ImageView, MAX_QUEUE_PAGE, QUEUE_PAGE, ServiceError,
    TargetSpecialty, TransferForm, TransferView,
};
use crate::web::context::ClientIp;

/// An upload body, refused with the size message when over the route's limit.
fn photo(body: Result<Bytes, BytesRejection>, field: &str) -> Result<Bytes, ApiError> {
    body.map_err(|_| ServiceError::field(field, "图片大小不得大于6M").into())
}

/// Serves an image with headers that keep browsers from reinterpreting it.
pub fn jpeg(bytes: Bytes) -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            (header::CACHE_CONTROL, "private, no-store"),
            (header::CONTENT_DISPOSITION, "inline"),
        ],
        bytes,
    )
        .into_response()
}

#[utoipa::path(get, path = "/api/v1/transfer-outs/eligibility", tag = "transfer-out",
    security(("bearer" = [])), responses((status = 200, body = EligibilityView), (status = 409, body = ApiErrorBody)))]
/// Which passed courses would move, and why others would not; refusals if any.
pub async fn eligibility(
    State(app): State<App>,
    ApiCandidate(s): ApiCandidate,
) -> Result<Json<EligibilityView>, ApiError> {
    Ok(Json(app.transfer_eligibility(&s).await?))
}

#[utoipa::path(get, path = "/api/v1/transfer-outs", tag = "transfer-out", security(("bearer" = [])),
    responses((status = 200, body = Vec<TransferView>)))]
/// The candidate's own applications, newest first.
pub async fn list(
    State(app): State<App>,
    ApiCandidate(s): ApiCandidate,
) -> Result<Json<Vec<TransferView>>, ApiError> {
    Ok(Json(app.my_transfers(&s).await?))
}

#[utoipa::path(post, path = "/api/v1/transfer-outs", tag = "transfer-out", security(("bearer" = [])),
    request_body = TransferForm,
    responses((status = 201, body = TransferView), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
/// A new application (Draft).
pub async fn create(
    State(app): State<App>,
    ApiCandidate(s): ApiCandidate,
    body: Result<Json<TransferForm>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(form) = body?;

    let view = app.create_transfer(&s, &form).await?;

    Ok((StatusCode::CREATED, Json(view)).into_response())
}

#[utoipa::path(get, path = "/api/v1/transfer-outs/{id}", tag = "transfer-out", security(("bearer" = [])),
    responses((status = 200, body = TransferView), (status = 404, body = ApiErrorBody)))]
/// State, fields, materials and review result of one's own application.
pub async fn show(
    State(app): State<App>,
    ApiCandidate(s): ApiCandidate,
    Path(id): Path<String>,
) -> Result<Json<TransferView>, ApiError> {
    let row = app.own_transfer(&s, &id).await?;
    Ok(Json(app.transfer_view(&row).await?))
}

#[utoipa::path(put, path = "/api/v1/transfer-outs/{id}", tag = "transfer-out", security(("bearer" = [])),
    request_body = TransferForm,
    responses((status = 200, body = TransferView), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
/// Changes the form while the application is a draft.
pub async fn update(
    State(app): State<App>,
    ApiCandidate(s): ApiCandidate,
    Path(id): Path<String>,
    body: Result<Json<TransferForm>, JsonRejection>,
) -> Result<Json<TransferView>, ApiError> {
    let Json(form) = body?;
    Ok(Json(app.update_transfer(&s, &id, &form).await?))
}

#[utoipa::path(put, path = "/api/v1/transfer-outs/{id}/materials/{kind}", tag = "transfer-out",
    security(("bearer" = [])), request_body(content = Vec<u8>, content_type = "image/jpeg"),
    params(("kind" = String, Path, description = "id_card, passed_courses, target_ticket or target_transcript")),
    responses((status = 201, body = ImageView), (status = 404, body = ApiErrorBody),
              (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
/// Adds one image of a material kind (JPEG, ≤ 6 MB, at least 500×600).
pub async fn add_material(
    State(app): State<App>,
    ApiCandidate(s): ApiCandidate,
    Path((id, kind)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let kind = MaterialKind::from_word(&kind).ok_or(ServiceError::NotFound)?;
    let raw = photo(body, kind.as_str())?;

    let view = app.add_material(&s, &id, kind, raw).await?;

    Ok((StatusCode::CREATED, Json(view)).into_response())
}

#[utoipa::path(delete, path = "/api/v1/transfer-outs/{id}/materials/{material_id}", tag = "transfer-out",
    security(("bearer" = [])), responses((status = 204), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody)))]
/// Removes one image while editable.
pub async fn delete_material(
    State(app): State<App>,
    ApiCandidate(s): ApiCandidate,
    Path((id, image_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    app.delete_material(&s, &id, &image_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/transfer-outs/{id}/submit", tag = "transfer-out", security(("bearer" = [])),
    responses((status = 200, body = TransferView), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
/// 提交申请: Draft → AwaitingConfirmation.
pub async fn submit(
    State(app): State<App>,
    ApiCandidate(s): ApiCandidate,
    Path(id): Path<String>,
) -> Result<Json<TransferView>, ApiError> {
    Ok(Json(app.submit_transfer(&s, &id).await?))
}

#[utoipa::path(post, path = "/api/v1/transfer-outs/{id}/reopen", tag = "transfer-out", security(("bearer" = [])),
    responses((status = 200, body = TransferView), (status = 409, body = ApiErrorBody)))]
/// 修改申请: AwaitingConfirmation → Draft.
pub async fn reopen(
    State(app): State<App>,
    ApiCandidate(s): ApiCandidate,
    Path(id): Path<String>,
) -> Result<Json<TransferView>, ApiError> {
    Ok(Json(app.reopen_transfer(&s, &id).await?))
}

#[utoipa::path(put, path = "/api/v1/transfer-outs/{id}/target-specialty", tag = "transfer-out",
    security(("bearer" = [])), request_body = TargetSpecialty,
    responses((status = 200, body = TransferView), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
/// 转入地专业名称 / 专业代码 / 专业层次.
pub async fn target_specialty(
    State(app): State<App>,
    ApiCandidate(s): ApiCandidate,
    Path(id): Path<String>,
    body: Result<Json<TargetSpecialty>, JsonRejection>,
) -> Result<Json<TransferView>, ApiError> {
    let Json(input) = body?;
    Ok(Json(app.set_target_specialty(&s, &id, &input).await?))
}

#[utoipa::path(put, path = "/api/v1/transfer-outs/{id}/confirmation-photos/{kind}", tag = "transfer-out",
    security(("bearer" = [])), request_body(content = Vec<u8>, content_type = "image/jpeg"),
    params(("kind" = String, Path, description = "signed_form or holding_form")),
    responses((status = 201, body = ImageView), (status = 404, body = ApiErrorBody),
              (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
/// 已签字登记表照片 / 本人手持登记表照片 (replaces the earlier one).
pub async fn confirmation_photo(
    State(app): State<App>,
    ApiCandidate(s): ApiCandidate,
    Path((id, kind)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let kind = ConfirmationKind::from_word(&kind).ok_or(ServiceError::NotFound)?;
    let raw = photo(body, kind.as_str())?;

    let view = app.add_confirmation_photo(&s, &id, kind, raw).await?;

    Ok((StatusCode::CREATED, Json(view)).into_response())
}

#[utoipa::path(post, path = "/api/v1/transfer-outs/{id}/confirm", tag = "transfer-out", security(("bearer" = [])),
    responses((status = 200, body = TransferView), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
/// 确认并提交: AwaitingConfirmation → PendingReview.
pub async fn confirm(
    State(app): State<App>,
    ApiCandidate(s): ApiCandidate,
    Path(id): Path<String>,
) -> Result<Json<TransferView>, ApiError> {
    Ok(Json(app.confirm_transfer(&s, &id).await?))
}

/// `?size=thumb` for the thumbnail.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ImageQuery {
    #[serde(default)]
    pub size: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/transfer-outs/{id}/files/{file_id}", tag = "transfer-out",
    security(("bearer" = [])), params(ImageQuery),
    responses((status = 200, content_type = "image/jpeg"), (status = 404, body = ApiErrorBody)))]
/// One image of one's own application.
pub async fn image(
    State(app): State<App>,
    ApiCandidate(s): ApiCandidate,
    Path((id, file_id)): Path<(String, String)>,
    Query(q): Query<ImageQuery>,
) -> Result<Response, ApiError> {
    let row = app.own_transfer(&s, &id).await?;
    let bytes = app
        .transfer_image_bytes(&row, &file_id, q.size.as_deref() == Some("thumb"))
        .await?;
    Ok(jpeg(bytes))
}

/// `?state=` of the reviewer's queue (default pending_review).
#[derive(Debug, Deserialize, IntoParams)]
pub struct QueueQuery {
    #[serde(default)]
    pub state: Option<String>,
    /// The page, from 1 (50 applications a page, oldest confirmation first).
    #[serde(default)]
    pub page: Option<u32>,
}

/// A reviewer's queue.
#[derive(Serialize, ToSchema)]
pub struct Queue {
    pub state: TransferState,
    /// The page shown, from 1.
    pub page: u32,
    /// Applications a page; the state's count says how many pages there are.
    pub page_size: i64,
    pub items: Vec<TransferView>,
    /// Applications of the reviewer's scope per state.
    pub counts: std::collections::BTreeMap<String, i64>,
}

#[utoipa::path(get, path = "/api/v1/staff/transfer-outs", tag = "staff", security(("bearer" = [])),
    params(QueueQuery), responses((status = 200, body = Queue), (status = 403, body = ApiErrorBody)))]
/// The reviewer's queue, own scope only, oldest confirmation first.
pub async fn queue(
    State(app): State<App>,
    ApiStaff(staff): ApiStaff,
    Query(q): Query<QueueQuery>,
) -> Result<Json<Queue>, ApiError> {
    let state = match q.state.as_deref() {
        None | Some("") => TransferState::PendingReview,
        Some(s) => {
            TransferState::from_word(s).ok_or_else(|| ServiceError::field("state", "状态不正确"))?
        }
    };

    let page = q.page.unwrap_or(1).clamp(1, MAX_QUEUE_PAGE);
    let (items, counts) = app.transfer_queue_page(&staff, state, page).await?;

    let counts = counts
        .into_iter()
        .map(|(s, n)| (s.as_str().to_owned(), n))
        .collect();
    Ok(Json(Queue {
        state,
        page,
        page_size: QUEUE_PAGE,
        items,
        counts,
    }))
}

#[utoipa::path(get, path = "/api/v1/staff/transfer-outs/{id}", tag = "staff", security(("bearer" = [])),
    responses((status = 200, body = TransferView), (status = 404, body = ApiErrorBody)))]
/// One application within the reviewer's scope.
pub async fn staff_show(
    State(app): State<App>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<String>,
) -> Result<Json<TransferView>, ApiError> {
    let row = app.scoped_transfer(&staff, &id).await?;
    Ok(Json(app.transfer_view(&row).await?))
}

#[utoipa::path(get, path = "/api/v1/staff/transfer-outs/{id}/files/{file_id}", tag = "staff",
    security(("bearer" = [])), params(ImageQuery),
    responses((status = 200, content_type = "image/jpeg"), (status = 404, body = ApiErrorBody)))]
/// One image of an application within the reviewer's scope.
pub async fn staff_image(
    State(app): State<App>,
    ApiStaff(staff): ApiStaff,
    Path((id, file_id)): Path<(String, String)>,
    Query(q): Query<ImageQuery>,
) -> Result<Response, ApiError> {
    let row = app.scoped_transfer(&staff, &id).await?;
    let bytes = app
        .transfer_image_bytes(&row, &file_id, q.size.as_deref() == Some("thumb"))
        .await?;
    Ok(jpeg(bytes))
}

#[utoipa::path(post, path = "/api/v1/staff/transfer-outs/{id}/decision", tag = "staff",
    security(("bearer" = [])), request_body = DecisionInput,
    responses((status = 200, body = TransferView), (status = 404, body = ApiErrorBody),
              (status = 409, description = "already decided", body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
/// Approve, reject the application or the confirmation, or return for correction.
pub async fn decide(
    State(app): State<App>,
    ApiStaff(staff): ApiStaff,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    body: Result<Json<DecisionInput>, JsonRejection>,
) -> Result<Json<TransferView>, ApiError> {
    let Json(input) = body?;
    Ok(Json(app.decide_transfer(&staff, &id, &input, ip).await?))
}

/// One notice.
#[derive(Serialize, ToSchema)]
pub struct Notice {
    pub text: String,
    pub at: String,
}

#[utoipa::path(get, path = "/api/v1/me/notices", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = Vec<Notice>)))]
/// The candidate's newest notices (state changes, reminders).
pub async fn notices(
    State(app): State<App>,
    ApiCandidate(s): ApiCandidate,
) -> Result<Json<Vec<Notice>>, ApiError> {
    let list = app.notices(&s).await?;
    Ok(Json(
        list.into_iter()
            .map(|(text, at)| Notice { text, at })
            .collect(),
    ))
}

/// Serves a PDF as a download.
pub fn pdf(bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/pdf"),
            (header::CACHE_CONTROL, "private, no-store"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"transfer-out-form.pdf\"",
            ),
        ],
        bytes,
    )
        .into_response()
}

#[utoipa::path(get, path = "/api/v1/transfer-outs/{id}/form.pdf", tag = "transfer-out",
    security(("bearer" = [])),
    responses((status = 200, content_type = "application/pdf"), (status = 404, body = ApiErrorBody),
              (status = 409, body = ApiErrorBody)))]
/// 下载登记表PDF: the A3 转考（转出）登记表, once the application is submitted.
pub async fn form_pdf(
    State(app): State<App>,
    ApiCandidate(s): ApiCandidate,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let row = app.own_transfer(&s, &id).await?;
    Ok(pdf(app.form_pdf(&row).await?))
}

#[utoipa::path(get, path = "/api/v1/staff/transfer-outs/{id}/form.pdf", tag = "staff",
    security(("bearer" = [])),
    responses((status = 200, content_type = "application/pdf"), (status = 404, body = ApiErrorBody)))]
/// The 登记表 of an application within the reviewer's scope.
pub async fn staff_form_pdf(
    State(app): State<App>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let row = app.scoped_transfer(&staff, &id).await?;
    Ok(pdf(app.form_pdf(&row).await?))
}
