//! Staff sessions over the API.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use super::accounts::{SessionToken, end_bearer};
use super::auth::ApiStaff;
use super::error::{ApiError, ApiErrorBody};
use crate::domain::Role;
use crate::service::{
    App, RecordCorrection, RecordView, ServiceError, StaffLogin, StaffLoginOutcome,
};
use crate::web::context::ClientIp;

#[utoipa::path(post, path = "/api/v1/staff/session", tag = "staff", request_body = StaffLogin,
    responses((status = 200, body = SessionToken), (status = 401, body = ApiErrorBody),
              (status = 403, description = "second factor not bound yet", body = ApiErrorBody),
              (status = 429, body = ApiErrorBody)))]
/// Staff login: username, password and, for province admins, the TOTP code.
pub async fn login(
    State(app): State<App>,
    ClientIp(ip): ClientIp,
    body: Result<Json<StaffLogin>, JsonRejection>,
) -> Result<Json<SessionToken>, ApiError> {
    let Json(input) = body?;

    match app.login_staff(&input, ip).await? {
        StaffLoginOutcome::SignedIn(issued) => Ok(Json(SessionToken {
            token: issued.token,
            expires_at: issued.expires_at.to_rfc3339(),
            identity_state: None,
        })),
        StaffLoginOutcome::MustEnrol(issued) => {
            app.end_session(&issued.token).await?;
            Err(ServiceError::forbidden(
                "totp_enrollment_required",
                "请先在网页登录后台，绑定身份验证器（动态验证码）",
            )
            .into())
        }
    }
}

#[utoipa::path(delete, path = "/api/v1/staff/session", tag = "staff", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ApiErrorBody)))]
/// Logs out this staff token.
pub async fn logout(
    State(app): State<App>,
    _s: ApiStaff,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    end_bearer(&app, &headers).await
}

/// The signed-in staff member.
#[derive(Serialize, ToSchema)]
pub struct StaffMe {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// City code of a city office or registration point.
    pub city: Option<String>,
    /// Registration point id.
    pub point: Option<String>,
    pub scope_label: String,
}

#[utoipa::path(get, path = "/api/v1/staff/me", tag = "staff", security(("bearer" = [])),
    responses((status = 200, body = StaffMe), (status = 401, body = ApiErrorBody)))]
/// Who the staff token belongs to, with role and scope.
pub async fn me(State(app): State<App>, ApiStaff(s): ApiStaff) -> Json<StaffMe> {
    Json(StaffMe {
        username: s.staff.username.clone(),
        display_name: s.staff.display_name.clone(),
        role: s.role,
        city: s.staff.city.clone(),
        point: s.staff.point.clone(),
        scope_label: app.scope_label(&s.scope),
    })
}

/// A search for one candidate; posted so the number never enters an address.
#[derive(Debug, serde::Deserialize, ToSchema)]
pub struct RecordSearch {
    /// The candidate's 身份证号 or 准考证号.
    pub q: String,
}

#[utoipa::path(post, path = "/api/v1/staff/candidates/search", tag = "staff",
    security(("bearer" = [])), request_body = RecordSearch,
    responses((status = 200, body = RecordView), (status = 403, body = ApiErrorBody),
              (status = 422, description = "not a number, or no such candidate in scope", body = ApiErrorBody)))]
/// A city office finds a candidate of its city to correct their record.
pub async fn find_record(
    State(app): State<App>,
    ApiStaff(staff): ApiStaff,
    body: Result<Json<RecordSearch>, JsonRejection>,
) -> Result<Json<RecordView>, ApiError> {
    let Json(input) = body?;
    Ok(Json(app.find_record(&staff, &input.q).await?))
}

#[utoipa::path(get, path = "/api/v1/staff/candidates/{candidate_id}/record", tag = "staff",
    security(("bearer" = [])),
    responses((status = 200, body = RecordView), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
/// A candidate's 姓名, 性别, 出生日期 and 身份证号, for the office of their city.
pub async fn record(
    State(app): State<App>,
    ApiStaff(staff): ApiStaff,
    Path(candidate_id): Path<String>,
) -> Result<Json<RecordView>, ApiError> {
    Ok(Json(app.scoped_record(&staff, &candidate_id).await?))
}

#[utoipa::path(put, path = "/api/v1/staff/candidates/{candidate_id}/record", tag = "staff",
    security(("bearer" = [])), request_body = RecordCorrection,
    responses((status = 200, body = RecordView), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
              (status = 422, body = ApiErrorBody)))]
/// Corrects 姓名 and 身份证号 (性别 and 出生日期 follow); audited, and the
/// candidate is told.
pub async fn correct_record(
    State(app): State<App>,
    ApiStaff(staff): ApiStaff,
    ClientIp(ip): ClientIp,
    Path(candidate_id): Path<String>,
    body: Result<Json<RecordCorrection>, JsonRejection>,
) -> Result<Json<RecordView>, ApiError> {
    let Json(input) = body?;
    Ok(Json(
        app.correct_record(&staff, &candidate_id, &input, ip)
            .await?,
    ))
}
