//! 通知公告 and 报考简章 for apps: the published ones only.

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::{ApiError, ApiErrorBody};
use crate::service::{AnnouncementKind, AnnouncementView, App};

/// Which announcements to list.
#[derive(Deserialize, IntoParams)]
pub struct KindQuery {
    /// `notice` (通知公告, the default) or `guide` (报考简章).
    kind: Option<AnnouncementKind>,
}

#[utoipa::path(get, path = "/api/v1/announcements", tag = "catalog", params(KindQuery),
    responses((status = 200, body = Vec<AnnouncementView>), (status = 400, body = ApiErrorBody)))]
/// The published announcements of a kind, newest first; the body is sanitised HTML.
pub async fn list(
    State(app): State<App>,
    Query(q): Query<KindQuery>,
) -> Result<Json<Vec<AnnouncementView>>, ApiError> {
    let kind = q.kind.unwrap_or(AnnouncementKind::Notice);
    Ok(Json(app.published_announcements(kind, 100).await?))
}

#[utoipa::path(get, path = "/api/v1/announcements/{id}", tag = "catalog",
    params(("id" = String, Path, description = "announcement id")),
    responses((status = 200, body = AnnouncementView), (status = 404, body = ApiErrorBody)))]
/// One published announcement; 404 before its publish time or once withdrawn.
pub async fn show(
    State(app): State<App>,
    Path(id): Path<String>,
) -> Result<Json<AnnouncementView>, ApiError> {
    Ok(Json(app.published_announcement(&id).await?))
}
