//! The candidate's own copy of their data (个人信息保护法 art. 45).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::auth::ApiAnyCandidate;
use super::error::{ApiError, ApiErrorBody};
use crate::service::App;

/// A zip download.
pub fn zip(bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/zip"),
            (header::CACHE_CONTROL, "private, no-store"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"my-personal-data.zip\"",
            ),
        ],
        bytes,
    )
        .into_response()
}

#[utoipa::path(get, path = "/api/v1/me/data-export", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, description = "zip: data.json and images/", content_type = "application/zip"),
              (status = 401, body = ApiErrorBody), (status = 429, body = ApiErrorBody)))]
/// Everything the platform holds about the candidate: `data.json` (profile in
/// full, identity verification, applications with their materials, notices,
/// audit entries about them) and their images, zipped. At most once a minute.
pub async fn data_export(
    State(app): State<App>,
    ApiAnyCandidate(s): ApiAnyCandidate,
) -> Result<Response, ApiError> {
    Ok(zip(app.personal_data_export(&s).await?))
}
