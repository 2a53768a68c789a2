//! 查询中心 for apps: the candidate's own passed results, latest scores, plan
//! progress and admission ticket.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::auth::ApiCandidate;
use super::error::{ApiError, ApiErrorBody};
use crate::service::{App, LatestResults, PassedResults, PlanProgress};

/// Serves an admission ticket PDF as a download.
pub fn admission_ticket(bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/pdf"),
            (header::CACHE_CONTROL, "private, no-store"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"admission-ticket.pdf\"",
            ),
        ],
        bytes,
    )
        .into_response()
}

#[utoipa::path(get, path = "/api/v1/me/results", tag = "query", security(("bearer" = [])),
    responses((status = 200, body = PassedResults), (status = 401, body = ApiErrorBody)))]
/// 合格成绩查询: every passed course (by exam or exemption); empty without a 准考证号.
pub async fn passed(
    State(app): State<App>,
    ApiCandidate(s): ApiCandidate,
) -> Result<Json<PassedResults>, ApiError> {
    Ok(Json(app.passed_results(&s).await?))
}

#[utoipa::path(get, path = "/api/v1/me/results/latest", tag = "query", security(("bearer" = [])),
    responses((status = 200, body = LatestResults), (status = 401, body = ApiErrorBody)))]
/// 当次成绩查询: the scores of the latest exam session, failed ones included.
pub async fn latest(
    State(app): State<App>,
    ApiCandidate(s): ApiCandidate,
) -> Result<Json<LatestResults>, ApiError> {
    Ok(Json(app.latest_results(&s).await?))
}

#[utoipa::path(get, path = "/api/v1/me/plan", tag = "query", security(("bearer" = [])),
    responses((status = 200, body = PlanProgress), (status = 401, body = ApiErrorBody)))]
/// 专业计划查询: the specialty's plan with passed and remaining courses and credits.
pub async fn plan(
    State(app): State<App>,
    ApiCandidate(s): ApiCandidate,
) -> Result<Json<PlanProgress>, ApiError> {
    Ok(Json(app.plan_progress(&s).await?))
}

#[utoipa::path(get, path = "/api/v1/me/admission-ticket.pdf", tag = "query",
    security(("bearer" = [])),
    responses((status = 200, content_type = "application/pdf"), (status = 401, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody, description = "no_arrangements: nothing to print; pdf_unavailable")))]
/// 准考证打印: the A4 admission ticket of the latest exam session with arrangements.
pub async fn admission_ticket_pdf(
    State(app): State<App>,
    ApiCandidate(s): ApiCandidate,
) -> Result<Response, ApiError> {
    Ok(admission_ticket(app.admission_ticket_pdf(&s).await?))
}
